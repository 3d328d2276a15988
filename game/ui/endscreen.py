"""The end-of-run screen's lines: outcome, cause of death, score, the run's figures, and its keys.

The screen is a list of lines, so other parts of the game (e.g. win conditions saying
who won and why) add theirs through ``notes`` without touching the drawing.
"""

from __future__ import annotations

#: Score per enemy slain, per floor below the first reached, and for a victory.
SLAIN_POINTS, FLOOR_POINTS, VICTORY_POINTS = 100, 250, 500


def score(slain: int, deepest: int, won: bool) -> int:
    """The run's score: :data:`SLAIN_POINTS` per enemy slain, :data:`FLOOR_POINTS` per floor descended,
    :data:`VICTORY_POINTS` for a victory (``deepest`` counts floors from 1)."""
    return SLAIN_POINTS * slain + FLOOR_POINTS * max(0, deepest - 1) + (VICTORY_POINTS if won else 0)


def end_lines(outcome: str, death: str, notes: list[str], *, turns: int, deepest: int, floors: int,
              slain: int, enemies: int, won: bool, seed: int) -> list[str]:
    """Lines of the end screen: the outcome first, then the cause of death, notes, score and figures."""
    lines = [outcome]
    if death:
        lines.append(f"{death}.")
    lines += list(notes)
    points = score(slain, deepest, won)
    lines += [f"Score: {points}  ({SLAIN_POINTS} per enemy slain, {FLOOR_POINTS} per floor descended"
              f"{f', {VICTORY_POINTS} for the victory' if won else ''})",
              f"Turns: {turns}", f"Deepest floor: {deepest} of {floors}",
              f"Enemies slain: {slain} of {enemies}", f"Level seed: {seed}"]
    return lines


def end_prompt(next_seed: int | None, can_load: bool, replay: bool) -> str:
    """The keys line of the end screen; offers F9 only when a save exists."""
    first = "Enter: watch the replay again" if replay else f"Enter: a new run (level seed {next_seed})"
    parts = [first] + (["F9: load the saved game"] if can_load else []) + ["F5: live retraining", "Esc: quit"]
    return "   ".join(parts)

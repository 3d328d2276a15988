"""The game's goals in words: the start-of-run line, the HUD badge and the outcome.

The simulation decides goals and outcomes (:mod:`game.goals`, :func:`game.outcome.finish_check`);
this module only says them to a player, from the simulator's state.
"""

from __future__ import annotations

from game.batch import BatchedSim
from game.state import ARTIFACTS, W_TURN
from levels.params import LevelParams


def _floor_phrase(params: LevelParams, floor: int) -> str:
    index = params.floor_index(floor)
    if params.floors.count == 1:
        return ""
    deepest = " (the deepest)" if index == params.floors.count - 1 else ""
    return f" on floor {index + 1}{deepest}"


def goal_text(params: LevelParams, goal: str, carrying: bool = False) -> str:
    """What ``goal`` asks, in a few words: ``"escape through the exit on floor 3 (the deepest)"``."""
    exits = "an exit" if params.exits.count > 1 else "the exit"
    if goal == "escape":
        return f"escape through {exits}{_floor_phrase(params, params.exits.floor)}"
    if goal == "fetch":
        name = params.artifact.name
        if carrying:
            return f"carry the {name} to {exits}{_floor_phrase(params, params.exits.floor)}"
        return f"find the {name}{_floor_phrase(params, params.artifact.floor)} and carry it to {exits}"
    if goal == "survive":
        return "stay alive until the time runs out"
    return "slay every enemy"


def start_line(sim: BatchedSim, faction: str) -> str:
    """The one line that opens a run: the faction's goal and the time it has."""
    goal = sim.goals()[faction]
    return f"Your goal: {goal_text(sim.params, goal)} within {sim.max_turns} turns; the monsters want you dead."


def goal_badge(sim: BatchedSim, faction: str, slot: int) -> tuple[str, str]:
    """The two HUD badges: the goal in short and the turns left (``"Turns left: 812 of 1000"``)."""
    params = sim.params
    goal = sim.goals()[faction]
    carrying = slot >= 0 and bool(sim.world.ag[0, slot, ARTIFACTS])

    def floor(f: int) -> str:
        return f", floor {params.floor_index(f) + 1}" if params.floors.count > 1 else ""

    short = {"escape": f"Goal: reach the exit{floor(params.exits.floor)}",
             "fetch": (f"Goal: {params.artifact.name} to the exit{floor(params.exits.floor)}" if carrying
                       else f"Goal: find the {params.artifact.name}{floor(params.artifact.floor)}"),
             "survive": "Goal: survive", "eliminate": "Goal: slay every enemy"}[goal]
    left = max(0, sim.max_turns - int(sim.world.wi[0, W_TURN]))
    return short, f"Turns left: {left} of {sim.max_turns}"


def outcome_line(sim: BatchedSim, player_faction: str | None) -> str:
    """Who won and why, for the end screen, from the finished world's winner and cause.

    A player killed by the winners gets "You died." (the end screen then names the
    killer, :mod:`game.ui.combat`, and :func:`winner_note` the winners).

    ``player_faction`` is the faction the player played (None when spectating); the
    player's cause of death is the end screen's next line (:mod:`game.ui.combat`).
    """
    info = sim.info()
    winner = int(info["winner"][0])
    cause = str(sim_cause(sim))
    factions = sim.layout.factions
    goals = sim.goals()
    if winner < 0:
        if cause == "all_dead":
            return "Nobody wins: every agent is dead."
        return f"Out of time: nobody's goal was met in {sim.max_turns} turns."
    name = factions[winner]
    if player_faction is not None and name == player_faction:
        how = {"escaped": "you escaped", "fetched": f"you brought the {sim.params.artifact.name} out",
               "eliminated": "every enemy is dead", "last_standing": "every enemy is dead",
               "survived": "you survived until the time ran out"}.get(cause, cause)
        return f"Victory: {how}."
    why = {"escaped": f"the {name} escaped", "fetched": f"the {name} brought the {sim.params.artifact.name} out",
           "eliminated": f"the {name} killed every enemy", "last_standing": f"the {name} are the last standing",
           "survived": f"the {name} survived until the time ran out"}.get(cause, cause)
    if player_faction is not None:
        if cause in ("eliminated", "last_standing"):
            return "You died."
        return f"Defeat: {why} before you could {goal_text(sim.params, goals[player_faction])}."
    return f"The {name} win: {why}."


def sim_cause(sim: BatchedSim) -> str:
    """The name of why world 0's episode ended ("" while it goes on)."""
    from game.goals import cause_name

    return cause_name(sim.info()["cause"][0])


def winner_note(sim: BatchedSim) -> str:
    """``"The monsters win."`` for a finished world with a winner, else ""."""
    winner = int(sim.info()["winner"][0])
    return f"The {sim.layout.factions[winner]} win." if winner >= 0 else ""

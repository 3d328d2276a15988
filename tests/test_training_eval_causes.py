"""Evaluation reports wins, losses and draws by the cause the simulation gives."""
from __future__ import annotations

from npc.scripted import ScriptedNPC
from training.evaluate import evaluate


def test_outcomes_are_counted_by_cause() -> None:
    result = evaluate(ScriptedNPC(), ScriptedNPC(), "labyrinth", episodes=6, seed=3, num_worlds=6)
    counted = {outcome: sum(causes.values()) for outcome, causes in result.by_cause.items()}
    assert counted == {"wins": result.wins, "losses": result.losses, "draws": result.draws}
    allowed = {"wins": {"eliminated", "escaped", "last_standing"},
               "losses": {"eliminated", "last_standing"}, "draws": {"out_of_time", "all_dead"}}
    for outcome, causes in result.by_cause.items():
        assert set(causes) <= allowed[outcome], (outcome, causes)
    assert result.to_dict()["by_cause"] == result.by_cause

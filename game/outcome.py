"""The end of an episode: goals met, factions wiped out, the turn limit; winner and rewards.

:func:`finish_check` runs at the end of every tick (:func:`game.rules.tick`); the order
of its checks is the rule book's (docs/simulation.md, "Goals").
"""

from __future__ import annotations

from numba import njit

from game.state import (
    ALIVE,
    CAUSE_ALL_DEAD,
    CAUSE_ELIMINATED,
    CAUSE_LAST_STANDING,
    CAUSE_OUT_OF_TIME,
    CAUSE_SURVIVED,
    FACTION,
    G_ELIMINATE,
    G_SURVIVE,
    OBJ_LOSE,
    OBJ_SURVIVE,
    OBJ_WIN,
    OUT_CAUSE,
    OUT_WINNER,
    RULE_MAX_TURNS,
    W_DONE,
    W_FACTION_BITS,
    W_FACTIONS,
    W_GOAL_CAUSE,
    W_GOAL_MET,
    W_TURN,
)


@njit(cache=True, error_model="numpy", inline="always")
def finish_check(W, C, out, S, b: int) -> None:
    """End the episode when a faction wins, nobody can, or the turn limit is reached.

    In order: a faction whose agent reached an exit this tick meeting its escape or
    fetch goal wins; else a living faction whose eliminate targets (those that had
    agents at the start; at least one) are all dead wins; else, when the level started
    with two or more factions and only one has living agents, it wins (last standing);
    with no living agent at all the episode is a draw. At the turn limit a draw, unless
    exactly one living faction plays survive (it wins). A level that started with one
    faction and no goal it can meet ends when it is wiped out or at the turn limit.
    Winning gives the ``win`` weight to the winners' living agents and ``lose`` to the
    other living agents; every living agent gets ``survive``.
    """
    A = W.ag.shape[1]
    ag = W.ag[b]
    factions = C.sight.shape[0]
    counts = S.counts
    counts[:] = 0
    for a in range(A):
        if ag[a, ALIVE]:
            counts[ag[a, FACTION]] += 1
    left = 0
    last = -1
    for f in range(factions):
        if counts[f] > 0:
            left += 1
            last = f
    started = W.wi[b, W_FACTION_BITS]
    winner = -1
    cause = 0
    if W.wi[b, W_GOAL_MET] > 0:
        winner = W.wi[b, W_GOAL_MET] - 1
        cause = W.wi[b, W_GOAL_CAUSE]
    else:
        for f in range(factions):
            if counts[f] == 0 or W.goal[b, f] != G_ELIMINATE:
                continue
            targets = 0
            standing = 0
            for g in range(factions):
                if C.targets[f, g] and started >> g & 1:
                    targets += 1
                    standing += counts[g]
            if targets > 0 and standing == 0:
                winner = f
                cause = CAUSE_ELIMINATED
                break
    if winner < 0:
        if left == 0:
            cause = CAUSE_ALL_DEAD
        elif W.wi[b, W_FACTIONS] >= 2 and left == 1:
            winner = last
            cause = CAUSE_LAST_STANDING
        elif W.wi[b, W_TURN] >= C.rules[RULE_MAX_TURNS]:
            cause = CAUSE_OUT_OF_TIME
            for f in range(factions):
                if counts[f] > 0 and W.goal[b, f] == G_SURVIVE:
                    if winner < 0:
                        winner = f
                        cause = CAUSE_SURVIVED
                    else:  # two factions survive: nobody's goal alone is met
                        winner = -1
                        cause = CAUSE_OUT_OF_TIME
                        break
    if cause == 0:
        return
    W.wi[b, W_DONE] = 1
    out.wout[b, OUT_WINNER] = winner
    out.wout[b, OUT_CAUSE] = cause
    truncate = cause == CAUSE_OUT_OF_TIME
    for a in range(A):
        if ag[a, ALIVE]:
            w = C.weights[ag[a, FACTION]]
            out.reward[b, a] += w[OBJ_SURVIVE]
            if winner >= 0:
                out.reward[b, a] += w[OBJ_WIN] if ag[a, FACTION] == winner else w[OBJ_LOSE]
            if truncate:
                out.truncated[b, a] = 1
            else:
                out.terminated[b, a] = 1

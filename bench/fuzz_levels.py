"""Fuzz level parameters: random parameter sets, each refused in one line or generated with every guarantee.

    .venv/bin/python bench/fuzz_levels.py [--n 500] [--json out.json]

Three in four documents are valid ones from ``tests/level_strategies.py``; the rest
are those with one field replaced by a hostile value (out of range, wrong type, NaN,
a huge integer, a world beyond the memory budget). A refused document must raise
:class:`~levels.common.errors.UserError` with a one-line message, nothing else; an accepted
one is generated with two seeds and must keep every generator guarantee
(``tests/test_levels.check_guarantees``), read back through ``Level.from_dict`` (the
load-time checks of ``levels.validate``) and run 20 random steps in the simulator
with ``game.invariants.check_world`` after each. Exits 1 on the first failure.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from game.batch import BatchedSim  # noqa: E402
from game.invariants import check_world  # noqa: E402
from levels.common.errors import UserError  # noqa: E402
from levels.common.files import atomic_write_text  # noqa: E402
from levels.generate import generate  # noqa: E402
from levels.level import Level  # noqa: E402
from levels.params import params_from_dict  # noqa: E402
from npc.scripted import random_legal_actions  # noqa: E402
from tests.level_strategies import level_documents  # noqa: E402
from tests.test_levels import check_guarantees  # noqa: E402

HOSTILE_VALUES = [-1, 0, 10**9, 2**70, -(2**63), 1e308, float("nan"), float("inf"), "x", [], {}, True, None,
                  [1, 2, 3], [10**9, 10**9]]


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            out += _paths(value, (*prefix, i))
    return out


def _mutate(doc: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    if rng.random() < 0.1:  # a world far beyond the budget, every field in range
        doc["floors"] = {"count": 16, "width": 256, "height": 256}
        doc["spawns"] = doc["spawns"] + [{"faction": "monsters", "count": [64, 64]}] * 12
        return doc
    path = rng.choice(_paths(doc))
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = rng.choice(HOSTILE_VALUES)
    return doc


def _check_accepted(params: Any, seed: int) -> None:
    for level_seed in (seed, seed + 1):
        level = generate(params, level_seed)
        check_guarantees(level)
        Level.from_dict(level.to_dict())
    sim = BatchedSim(params, 2, seed=seed, pool_size=2, max_turns=30, threads=1)
    obs = sim.reset()
    rng = np.random.default_rng(seed)
    items = check_world(sim.world)
    for _ in range(20):
        obs, *_ = sim.step(random_legal_actions(obs["action_mask"], rng))
        items = check_world(sim.world, items)


def main() -> int:
    """Run the fuzzer; print and optionally write its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="parameter sets to try (default: 500)")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    counts = {"tried": 0, "accepted": 0, "refused": 0, "hostile_tried": 0, "hostile_accepted": 0}
    reasons: dict[str, int] = {}
    start = time.perf_counter()

    @settings(max_examples=args.n, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(doc=level_documents(), seed=st.integers(0, 2**31))
    def one(doc: dict[str, Any], seed: int) -> None:
        # Hypothesis draws the valid documents; the hostile edits use a seeded RNG so that
        # their kinds are spread evenly (Hypothesis favours small choices).
        rng = random.Random(seed)
        hostile = rng.random() < 0.25
        if hostile:
            doc = _mutate(doc, rng)
            counts["hostile_tried"] += 1
        counts["tried"] += 1
        try:
            params = params_from_dict(doc)
        except UserError as exc:
            message = str(exc)
            assert "\n" not in message and message, message
            counts["refused"] += 1
            key = message.split(":")[0] if ":" in message else message[:30]
            reasons[key] = reasons.get(key, 0) + 1
            return
        counts["accepted"] += 1
        counts["hostile_accepted"] += hostile
        _check_accepted(params, seed)

    try:
        one()
    except Exception as exc:  # the first failure, reported in one line
        reason = " ".join(str(exc).split())[:300]
        print(f"FAILED after {counts['tried']} parameter sets: {type(exc).__name__}: {reason}")
        return 1
    seconds = time.perf_counter() - start
    print(f"{counts['tried']} parameter sets in {seconds:.0f} s: {counts['accepted']} generated with every "
          f"guarantee, {counts['refused']} refused in one line ({counts['hostile_tried']} hostile, "
          f"{counts['hostile_accepted']} of them still valid)")
    top = sorted(reasons.items(), key=lambda kv: -kv[1])[:8]
    print("most common refusals: " + ", ".join(f"{k} ({v})" for k, v in top))
    if args.json:
        atomic_write_text(args.json, json.dumps({**counts, "seconds": seconds, "refusals": reasons}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

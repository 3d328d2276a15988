"""Hypothesis strategies for random valid level-parameter documents (plain TOML data)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from levels.params import DEEPCRAWL_KINDS, GENERATORS


@st.composite
def generation_tables(draw: st.DrawFn, width: int, height: int) -> dict[str, Any]:
    """A valid ``[generation]`` table for a floor of ``width`` x ``height``."""
    inner = min(width, height) - 2
    min_size = draw(st.integers(2, max(2, min(inner, 12))))
    max_size = draw(st.integers(min_size, max(min_size, min(inner, 16))))
    low_rooms = draw(st.integers(0, 10))
    mix = draw(st.one_of(
        st.sampled_from(GENERATORS),
        st.dictionaries(st.sampled_from(GENERATORS), st.floats(0.1, 5.0), min_size=1, max_size=3),
    ))
    door_weights = draw(st.lists(st.floats(0.0, 3.0), min_size=3, max_size=3).filter(lambda w: sum(w) > 0))
    pool_low = draw(st.integers(1, 10))
    return {
        "generator": mix,
        "stairs": draw(st.integers(1, 3)),
        "rooms": {
            "count": [low_rooms, draw(st.integers(low_rooms, 12))],
            "min_size": min_size,
            "max_size": max_size,
            "pillars": draw(st.floats(0.0, 1.0)),
        },
        "corridors": {
            "width": draw(st.integers(1, max(1, min(4, (inner - 1) // 2)))),
            "extra_loops": draw(st.floats(0.0, 1.0)),
        },
        "caves": {"fill": draw(st.floats(0.2, 0.75)), "iterations": draw(st.integers(0, 12))},
        "drunkard": {"coverage": draw(st.floats(0.05, 0.9)), "walkers": draw(st.integers(1, 16))},
        "doors": {
            "density": draw(st.floats(0.0, 1.0)),
            "open": door_weights[0], "closed": door_weights[1], "locked": door_weights[2],
        },
        "hazards": {
            "water": draw(st.floats(0.0, 0.5)),
            "lava": draw(st.floats(0.0, 0.3)),
            "pool_size": [pool_low, draw(st.integers(pool_low, 20))],
        },
    }


@st.composite
def level_documents(draw: st.DrawFn, max_side: int = 40, max_floors: int = 3) -> dict[str, Any]:
    """A valid level-parameter document, small enough to generate quickly."""
    count = draw(st.integers(1, max_floors))
    width = draw(st.integers(8, max_side))
    height = draw(st.integers(8, max_side))
    doc: dict[str, Any] = {
        "name": "random",
        "floors": {"count": count, "width": width, "height": height},
        "generation": draw(generation_tables(width, height)),
        "spawns": [
            {"faction": "hero", "count": 1, "floors": [0], "hp": 20,
             "items": draw(st.lists(st.sampled_from(sorted(DEEPCRAWL_KINDS)), max_size=2))},
            {"faction": "monsters", "count": [0, draw(st.integers(0, 4))],
             "hp": [5, 15], "depth_scaling": draw(st.floats(0.0, 1.0)),
             "min_entry_distance": draw(st.integers(0, 20))},
        ],
        "loot": {"density": [0.0, draw(st.floats(0.0, 0.5))]},
    }
    goals = ("eliminate", "escape", "fetch", "survive")
    weights = draw(st.dictionaries(st.sampled_from(goals), st.floats(0.5, 3.0), min_size=1, max_size=4))
    doc["factions"] = {"hero": {"goal": weights}, "monsters": {}}
    doc["exits"] = {"count": draw(st.integers(1, 3)), "floor": draw(st.integers(-count, count - 1)),
                    "spread": draw(st.floats(0.01, 1.0))}
    doc["artifact"] = {"floor": draw(st.integers(-count, count - 1))}
    if count > 1 and draw(st.booleans()):
        override = draw(generation_tables(width, height))
        override = {k: override[k] for k in draw(st.sets(st.sampled_from(sorted(override)), min_size=1))}
        doc["overrides"] = [{"floors": [draw(st.integers(0, count - 1))], **override}]
    return doc

"""The dependency order of docs/architecture.md holds, and no two modules import each other."""

from __future__ import annotations

import pytest

from tests.layering import LAYERS, circles, layer_of, project_sources, violations


@pytest.fixture(scope="module")
def sources() -> dict[str, str]:
    """The project's modules and their source text."""
    return project_sources()


def test_every_module_has_a_layer(sources: dict[str, str]) -> None:
    """Each package's modules fall under the layer named for them."""
    assert layer_of("game.batch") == [p for p, _ in LAYERS].index("game")
    assert layer_of("game.ui.app") == [p for p, _ in LAYERS].index("game.ui")
    assert layer_of("levels.params") == [p for p, _ in LAYERS].index("levels")
    for module in sources:
        layer_of(module)  # raises for a module outside every layer


def test_no_import_goes_up_the_layers(sources: dict[str, str]) -> None:
    """No module imports a module of a higher layer, lazily or not; torch and pygame stay up."""
    assert [str(v) for v in violations(sources)] == []


def test_no_import_circles(sources: dict[str, str]) -> None:
    """No set of modules imports itself round (imports inside functions included)."""
    assert circles(sources) == []


def test_a_forbidden_import_is_caught(sources: dict[str, str]) -> None:
    """The check fails on an upward import, even one hidden in a function."""
    probe = dict(sources)
    probe["game.probe"] = "def f():\n    from training.ppo import Trainer\n    return Trainer\n"
    probe["search.probe"] = "import torch\n"
    found = {(v.importer, v.imported, v.line) for v in violations(probe)}
    assert ("game.probe", "training.ppo", 2) in found
    assert ("search.probe", "torch", 1) in found


def test_a_circle_is_caught(sources: dict[str, str]) -> None:
    """The check finds a circle that two new modules would close through an existing one."""
    probe = dict(sources)
    probe["levels.probe_a"] = "import levels.probe_b\n"
    probe["levels.probe_b"] = "from levels import probe_a\n"
    assert ["levels.probe_a", "levels.probe_b"] in circles(probe)


def test_type_checking_imports_count_for_layers_only(sources: dict[str, str]) -> None:
    """A type-only import cannot make a circle but still may not point up."""
    probe = dict(sources)
    probe["levels.probe_a"] = "import levels.probe_b\n"
    probe["levels.probe_b"] = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                               "    from levels.probe_a import X\n    from npc.policy import Policy\n")
    assert ["levels.probe_a", "levels.probe_b"] not in circles(probe)
    assert ("levels.probe_b", "npc.policy") in {(v.importer, v.imported) for v in violations(probe)}

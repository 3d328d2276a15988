"""``train --backend ray`` options that need no Ray session: a missing install, misplaced options."""

from __future__ import annotations

import sys

import pytest

import main


def test_missing_ray_says_how_to_install_it_in_one_line(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    assert main.main(["train", "--backend", "ray", "--workers", "2", "--steps", "10"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "pip install" in err and "[ray]" in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [["--workers", "2"], ["--address", "10.0.0.1:6379"]])
def test_ray_options_are_refused_with_the_local_backend(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["train", *argv, "--steps", "10"]) == 2
    err = capsys.readouterr().err
    assert f"{argv[0]} only applies to --backend ray" in err


def test_workers_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["train", "--backend", "ray", "--workers", "0", "--steps", "10"]) == 2
    assert "--workers must be at least 1" in capsys.readouterr().err

"""The numba cache is dropped when, and only when, a kernel source changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from levels.common import kernel_cache
from levels.common.kernel_cache import STAMP_NAME, refresh_kernel_cache


def _tree(root: Path) -> tuple[Path, Path]:
    """A project tree with one kernel module, one plain module and a cached kernel."""
    (root / "game" / "__pycache__").mkdir(parents=True)
    kernel = root / "game" / "rules.py"
    kernel.write_text("from numba import njit\n\n@njit(cache=True)\ndef f(x):\n    return x + 1\n")
    (root / "game" / "plain.py").write_text("X = 1\n")
    cached = root / "game" / "__pycache__" / "rules.f-3.py311.nbi"
    cached.write_bytes(b"index")
    return kernel, cached


def _new_process() -> None:
    """Forget which roots this process has checked (as a new process would)."""
    kernel_cache._refreshed.clear()


def test_a_changed_kernel_source_drops_the_cache_and_nothing_else_does(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(kernel_cache, "_refreshed", set())
    kernel, cached = _tree(tmp_path)
    assert refresh_kernel_cache(tmp_path)  # no stamp yet: the cache may be stale
    assert not cached.exists() and (tmp_path / "game" / "__pycache__" / STAMP_NAME).exists()

    cached.write_bytes(b"index")  # compiled again
    _new_process()
    assert not refresh_kernel_cache(tmp_path) and cached.exists()  # same sources: kept

    (tmp_path / "game" / "plain.py").write_text("X = 2\n")  # a module without kernels
    _new_process()
    assert not refresh_kernel_cache(tmp_path) and cached.exists()

    kernel.write_text(kernel.read_text().replace("x + 1", "x + 2"))
    assert not refresh_kernel_cache(tmp_path) and cached.exists()  # checked once per process
    _new_process()
    assert refresh_kernel_cache(tmp_path) and not cached.exists()


def test_a_user_cache_dir_is_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setattr(kernel_cache, "_refreshed", set())
    _, cached = _tree(tmp_path)
    assert not refresh_kernel_cache(tmp_path) and cached.exists()

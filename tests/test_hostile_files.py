"""Issue 17: the shared reading and writing layer (levels.common.files) under hostile input and faults.

Disk-full and read-only failures cannot be produced portably without root, so they
are injected at the write layer (the ``OSError`` the kernel would return, raised by
``os.fsync`` / ``os.replace``); when this process may mount a tmpfs, one test also
fills a real 64 KiB file system.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import levels.common.files
from levels.common.errors import OutputError, UserError
from levels.common.files import (
    MAX_NESTING,
    atomic_write_bytes,
    deferred_interrupts,
    parse_json,
    parse_toml,
    read_user_bytes,
    read_user_text,
    remove_stale_temporaries,
)


def _error(reason: str) -> UserError:
    return UserError(reason)


READS = {
    "dev_zero": ("/dev/zero", "device"),
    "dev_urandom": ("/dev/urandom", "device"),
    "directory": (".", "directory"),
    "missing": ("{d}/nope", "file not found"),
}


@pytest.mark.parametrize("case", sorted(READS))
def test_reads_refuse_devices_directories_and_missing_files(case: str, tmp_path: Path) -> None:
    path, fragment = READS[case]
    with pytest.raises(UserError, match=fragment):
        read_user_bytes(path.replace("{d}", str(tmp_path)), _error)


def test_reads_are_bounded(tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.write_bytes(b"x" * 2000)
    with pytest.raises(UserError, match="limit"):
        read_user_bytes(big, _error, limit=1000)
    assert read_user_bytes(big, _error, limit=2000) == b"x" * 2000
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", f"yes > {fifo}"])  # a stream that never ends
    try:
        with pytest.raises(UserError, match="limit"):
            read_user_bytes(fifo, _error, limit=10_000)
    finally:
        writer.kill()
        writer.wait()
    (tmp_path / "latin1").write_bytes(b"caf\xe9")
    with pytest.raises(UserError, match="UTF-8"):
        read_user_text(tmp_path / "latin1", _error)


JSON_DOCS = {
    "nested_100k": "[" * 100_000 + "]" * 100_000,
    "nested_objects": '{"a":' * 5000 + "1" + "}" * 5000,
    "nested_just_over": "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1),
    "nan": '{"x": NaN}', "infinity": "[Infinity]", "minus_infinity": "[-Infinity]",
    "big_int": "[" + "9" * 5000 + "]", "truncated": '{"a": [1, 2', "empty": "", "bytes_not_utf8": b"[\"\xff\"]",
}
TOML_DOCS = {
    "nested_100k": "a = " + "[" * 100_000 + "]" * 100_000, "nested_tables": "a = " + "{b = " * 3000 + "1" + "}" * 3000,
    "nan": "x = nan", "inf": "x = -inf", "inf_in_list": "x = [1.0, inf]", "big_int": "x = " + "9" * 5000,
    "syntax": "[x", "duplicate": "a = 1\na = 2",
}


@pytest.mark.parametrize("case", sorted(JSON_DOCS))
def test_parse_json_refuses_in_one_error(case: str) -> None:
    with pytest.raises(UserError):
        parse_json(JSON_DOCS[case], _error)


@pytest.mark.parametrize("case", sorted(TOML_DOCS))
def test_parse_toml_refuses_in_one_error(case: str) -> None:
    with pytest.raises(UserError):
        parse_toml(TOML_DOCS[case], _error)


def test_parse_accepts_the_nesting_formats_need() -> None:
    assert parse_json("[" * MAX_NESTING + "]" * MAX_NESTING, _error)
    assert parse_toml("a = [[1, 2], [3]]\n[b.c.d]\ne = 1.5", _error)["b"]["c"]["d"]["e"] == 1.5


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4),
    max_leaves=40)


@settings(max_examples=60, deadline=None)
@given(depth=st.integers(1, 3000), wrap=st.sampled_from(["[", '{"k":']))
def test_any_nesting_depth_is_a_user_error_or_a_value(depth: int, wrap: str) -> None:
    close = "]" if wrap == "[" else "}"
    text = wrap * depth + "0" + close * depth
    if depth > MAX_NESTING:
        with pytest.raises(UserError, match="nested"):
            parse_json(text, _error)
    else:
        parse_json(text, _error)


@settings(max_examples=60, deadline=None)
@given(value=json_values)
def test_any_json_value_round_trips_or_is_refused_by_depth(value: object) -> None:
    import json

    parse_json(json.dumps(value), _error)


# ----------------------------------------------------------------------------- writes

WRITE_FAULTS = {
    "disk_full": errno.ENOSPC, "read_only": errno.EROFS, "quota": errno.EDQUOT, "io_error": errno.EIO,
    "permission": errno.EACCES,
}


@pytest.mark.parametrize("case", sorted(WRITE_FAULTS))
@pytest.mark.parametrize("stage", ["fsync", "replace"])
def test_a_failed_write_names_the_path_and_keeps_the_old_file(case: str, stage: str, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "file.bin"
    atomic_write_bytes(target, b"old")
    code = WRITE_FAULTS[case]

    def fail(*args: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(levels.common.files.os, stage, fail)
    with pytest.raises(OutputError, match=os.strerror(code)) as info:
        atomic_write_bytes(target, b"new")
    assert str(target) in str(info.value)
    monkeypatch.undo()
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.bin"]  # no temporary left


OUTPUTS = {"directory": "dir", "parent_is_file": "a_file/x.bin", "device": "/dev/full", "fifo": "fifo"}


@pytest.mark.parametrize("case", sorted(OUTPUTS))
def test_output_paths_that_cannot_be_files(case: str, tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "a_file").write_text("keep")
    os.mkfifo(tmp_path / "fifo")
    target = OUTPUTS[case] if OUTPUTS[case].startswith("/") else tmp_path / OUTPUTS[case]
    with pytest.raises(OutputError):
        atomic_write_bytes(target, b"data")
    assert (tmp_path / "a_file").read_text() == "keep"
    assert Path("/dev/full").is_char_device() and (tmp_path / "fifo").is_fifo()


def test_missing_parent_directories_are_created(tmp_path: Path) -> None:
    atomic_write_bytes(tmp_path / "a/b/c.bin", b"x")
    assert (tmp_path / "a/b/c.bin").read_bytes() == b"x"


def test_stale_temporaries_of_dead_writers_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "policy.safetensors"
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f".policy.safetensors.{dead.pid}.abc123.tmp"
    alive = tmp_path / f".policy.safetensors.{os.getppid()}.def456.tmp"  # a live writer's file
    other = tmp_path / ".other.txt.1.xyz.tmp"
    for path in (stale, alive, other):
        path.write_bytes(b"partial")
    atomic_write_bytes(target, b"new")
    assert not stale.exists() and alive.exists() and other.exists()
    assert remove_stale_temporaries(target) == []


def test_deferred_interrupts_hold_ctrl_c_until_the_block_ends() -> None:
    finished = []
    with pytest.raises(KeyboardInterrupt), deferred_interrupts():
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)  # the second Ctrl-C during a save
        finished.append(True)
    assert finished == [True]


def _can_mount_tmpfs(where: Path) -> bool:
    if os.geteuid() != 0:
        return False
    where.mkdir(exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(where)],
                          capture_output=True).returncode == 0


def test_a_real_full_disk(tmp_path: Path) -> None:
    """Where a tmpfs can be mounted (root), fill a real 64 KiB file system."""
    mount = tmp_path / "small"
    if not _can_mount_tmpfs(mount):
        pytest.skip("cannot mount a tmpfs here (needs root); the injected faults above cover the layer")
    try:
        target = mount / "save.bin"
        atomic_write_bytes(target, b"old" * 1000)
        with pytest.raises(OutputError, match="No space left on device"):
            atomic_write_bytes(target, os.urandom(200_000))
        assert target.read_bytes() == b"old" * 1000
        assert [p.name for p in mount.iterdir()] == ["save.bin"]
    finally:
        subprocess.run(["umount", str(mount)], check=False)

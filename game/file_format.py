"""The header every Mindcrawl file the game writes carries: format name and versions.

Simulation snapshots (:mod:`game.snapshot`) and game recordings
(:mod:`game.ui.recording`) start their metadata with :func:`format_header` and check it
on load with :func:`check_format`, so a file from another program or another version
is refused with one line naming the file and the field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from game.actions import ACTIONS_VERSION
from game.spec import OBS_VERSION


def format_header(name: str, version: int) -> dict[str, Any]:
    """The format name, its version and the observation and action versions."""
    return {"format": name, "version": version, "obs_version": OBS_VERSION, "actions_version": ACTIONS_VERSION}


def check_format(data: Any, name: str, version: int, source: str, kind: str,
                 error: Callable[[str], Exception]) -> None:
    """Raise ``error(message)`` unless ``data`` has the header :func:`format_header` writes.

    ``kind`` names the file in the message ("save", "recording"); ``source`` is its path.
    """
    if not isinstance(data, dict) or data.get("format") != name:
        raise error(f"{source}: not a Mindcrawl {kind}")
    for key, want in (("version", version), ("obs_version", OBS_VERSION), ("actions_version", ACTIONS_VERSION)):
        if data.get(key) != want:
            raise error(f"{source}: {key} {data.get(key)!r} is not supported (this Mindcrawl reads {want})")

"""Hit effects on the app's clock: a red flash on struck agents, damage numbers, the viewer's hit marker.

:class:`HitEffects` remembers the hits of recent turns (from :func:`game.ui.combat.turn_hits`)
with the time they happened and answers, for a frame at time ``now``, which agents
flash, which damage numbers float where, and where the viewer was hit from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from game.state import FLOOR
from game.ui.combat import Hit
from game.ui.view_state import Effect

FLASH_SECONDS = 0.35
NUMBER_SECONDS = 1.2
MARKER_SECONDS = 1.5
HIT_TINT = (255, 70, 60)


@dataclass
class HitEffects:
    """Recent hits: ``(time, floor, hit, angle from the viewer to its attacker)``."""

    recent: list[tuple[float, int, Hit, float | None]] = field(default_factory=list)

    def add(self, hits: list[Hit], now: float, after_ag: np.ndarray, viewer: int) -> None:
        """Remember the hits of a turn played at ``now`` (``after_ag``: the agents after it)."""
        self.recent = [r for r in self.recent if now - r[0] < MARKER_SECONDS]
        for hit in hits:
            angle = hit.source_angle(after_ag) if hit.victim == viewer else None
            self.recent.append((now, int(after_ag[hit.victim, FLOOR]), hit, angle))

    def flashes(self, now: float) -> dict[int, float]:
        """Agents struck less than :data:`FLASH_SECONDS` ago, with a flash strength (1 fading to 0)."""
        out: dict[int, float] = {}
        for when, _floor, hit, _angle in self.recent:
            age = now - when
            if 0 <= age < FLASH_SECONDS:
                out[hit.victim] = max(out.get(hit.victim, 0.0), 1.0 - age / FLASH_SECONDS)
        return out

    def effects(self, now: float, floor: int, viewer: int) -> tuple[Effect, ...]:
        """Damage numbers on ``floor`` and the viewer's hit markers at time ``now``."""
        out = []
        for when, on_floor, hit, angle in self.recent:
            age = now - when
            limit = MARKER_SECONDS if hit.victim == viewer else NUMBER_SECONDS
            if on_floor != floor or not 0 <= age < limit:
                continue
            out.append(Effect(float(hit.y), float(hit.x), f"-{hit.amount}", age / limit,
                              on_viewer=hit.victim == viewer, angle=angle))
        return tuple(out)

    def clear(self) -> None:
        """Forget every hit (a new floor or run)."""
        self.recent.clear()


def tinted(colour: tuple[int, int, int], flash: float) -> tuple[int, int, int]:
    """``colour`` turned red while an agent flashes (two steps, so sprite caches stay small)."""
    if flash <= 0:
        return colour
    k = 1.0 if flash > 0.5 else 0.55
    return tuple(int(c + (t - c) * k) for c, t in zip(colour, HIT_TINT, strict=True))  # type: ignore[return-value]

"""Smooth motion between turns: positions and facings eased from one turn to the next.

The simulation moves agents cell by cell; the screen shows them gliding. A
:class:`Tween` holds, for every animated thing (agents by slot, the camera), where it
was and where it is going, and samples the in-between state at any time on the app's
clock. Time is whatever the caller passes (seconds on the app's fixed or real clock),
never read from the wall clock here, so headless runs are deterministic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: Seconds a move or turn takes on screen.
TURN_SECONDS = 0.16


def ease(t: float) -> float:
    """Smoothstep easing of ``t`` in [0, 1] (clamped)."""
    t = min(max(t, 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


def lerp_angle(a: float, b: float, t: float) -> float:
    """Interpolate from angle ``a`` to ``b`` (radians) the short way round."""
    delta = (b - a + math.pi) % (2.0 * math.pi) - math.pi
    return a + delta * t


@dataclass(frozen=True)
class Pose:
    """Where something is and where it looks: cell coordinates and an angle in radians."""

    y: float
    x: float
    facing: float = 0.0


def blend(a: Pose, b: Pose, t: float) -> Pose:
    """The pose a fraction ``t`` of the way from ``a`` to ``b`` (no easing)."""
    return Pose(a.y + (b.y - a.y) * t, a.x + (b.x - a.x) * t, lerp_angle(a.facing, b.facing, t))


@dataclass
class Tween:
    """Poses of keyed things animated from their previous to their new values.

    ``retarget`` starts a new animation from wherever things are *now* (mid-flight
    included), so input during an animation never makes anything jump back.
    Things that teleport (stairs, a new floor, a loaded game) should be ``snap``-ped.
    """

    duration: float = TURN_SECONDS
    start_time: float = 0.0
    _from: dict[object, Pose] = field(default_factory=dict)
    _to: dict[object, Pose] = field(default_factory=dict)

    def progress(self, now: float) -> float:
        """Eased progress of the current animation in [0, 1]."""
        if self.duration <= 0:
            return 1.0
        return ease((now - self.start_time) / self.duration)

    def busy(self, now: float) -> bool:
        """True while the current animation is still playing."""
        return now - self.start_time < self.duration and self._from != self._to

    def sample(self, key: object, now: float) -> Pose | None:
        """The pose of ``key`` at time ``now`` (None if it is unknown)."""
        target = self._to.get(key)
        if target is None:
            return None
        origin = self._from.get(key, target)
        return blend(origin, target, self.progress(now))

    def retarget(self, targets: dict[object, Pose], now: float) -> None:
        """Animate every key from its pose at ``now`` to ``targets`` (new keys appear in place)."""
        current = {key: self.sample(key, now) for key in targets}
        self._from = {key: pose if pose is not None else targets[key] for key, pose in current.items()}
        self._to = dict(targets)
        self.start_time = now

    def snap(self, targets: dict[object, Pose], now: float) -> None:
        """Put every key at its target immediately (no animation)."""
        self._from = dict(targets)
        self._to = dict(targets)
        self.start_time = now

    def snap_key(self, key: object, pose: Pose) -> None:
        """Put one key at ``pose`` immediately, leaving the others animating."""
        self._from[key] = pose
        self._to[key] = pose

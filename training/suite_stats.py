"""Confidence intervals for evaluation figures (95% by default), all plain functions of numbers.

* :func:`wilson_interval`: a rate (wins of episodes), Wilson's score interval
  (``scipy.stats.binomtest``);
* :func:`mean_interval`: a mean over episodes, Student's t (``scipy.stats.t``);
* :func:`median_interval`: a median over episodes, from order statistics: the interval
  between two sorted values whose ranks a Binomial(n, 1/2) count covers with the asked
  confidence (``scipy.stats.quantile_test``); values may be ``inf`` (an event that never
  happened in the episode), so the median itself may be ``inf``;
* :func:`ratio_interval`: a ratio of sums over episodes (undoing moves / moving turns),
  the delta-method (linearisation) interval with the episode as the cluster, since the
  turns of one episode are not independent of each other; :func:`share_interval` widens it
  to at least the Wilson interval of the pooled counts, so that a share of 0 (where every
  episode agrees and the delta method has no spread) still has an upper end.

Each returns ``(low, high)``; with too little data to say anything the interval is the
whole range (``(0, 1)`` for rates and ratios, ``(-inf, inf)`` or the data's range otherwise).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

Interval = tuple[float, float]


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> Interval:
    """The Wilson score interval of a binomial proportion (``(0, 1)`` for no trials)."""
    if n == 0:
        return 0.0, 1.0
    interval = stats.binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(interval.low), float(interval.high)


def mean_interval(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> Interval:
    """Student's t interval of the mean of ``values`` (``(-inf, inf)`` for fewer than two values)."""
    x = np.asarray(values, np.float64)
    if len(x) < 2:
        return -math.inf, math.inf
    mean = float(x.mean())
    sem = float(x.std(ddof=1)) / math.sqrt(len(x))
    if sem == 0.0:
        return mean, mean
    low, high = stats.t.interval(confidence, len(x) - 1, loc=mean, scale=sem)
    return float(low), float(high)


def median(values: Sequence[float] | np.ndarray) -> float:
    """The sample median (``nan`` for no values); ``inf`` values count as the largest."""
    x = np.sort(np.asarray(values, np.float64))
    if len(x) == 0:
        return math.nan
    mid = len(x) // 2
    if len(x) % 2:
        return float(x[mid])
    low, high = x[mid - 1], x[mid]
    return float(high) if math.isinf(high) else float((low + high) / 2)


def median_interval(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> Interval:
    """A distribution-free interval for the median: two order statistics of ``values``.

    The ranks come from ``scipy.stats.quantile_test`` (binomial, ``p = 0.5``); where the
    sample is too small for the asked confidence, the side without an order statistic is
    unbounded (``-inf`` / ``inf``).
    """
    x = np.asarray(values, np.float64)
    if len(x) == 0:
        return -math.inf, math.inf
    # quantile_test wants finite numbers; an event that never happened ranks above every
    # observed one, which a value above the finite maximum preserves (ranks are all that matter).
    finite = x[np.isfinite(x)]
    top = (float(finite.max()) if len(finite) else 0.0) + 1.0
    ranked = np.where(np.isposinf(x), top, x)
    ci = stats.quantile_test(ranked, q=float(np.median(ranked)), p=0.5).confidence_interval(confidence)
    low, high = float(ci.low), float(ci.high)
    if high == top and np.isposinf(x).any():
        high = math.inf
    if low == top and np.isposinf(x).any():
        low = math.inf
    return (-math.inf if math.isnan(low) else low), (math.inf if math.isnan(high) else high)


def ratio_interval(numerators: Sequence[float] | np.ndarray, denominators: Sequence[float] | np.ndarray,
                   confidence: float = 0.95, bounds: Interval = (0.0, 1.0)) -> Interval:
    """Interval of ``sum(numerators) / sum(denominators)`` with episodes as clusters.

    The delta-method standard error of a ratio estimator,
    ``se^2 = sum((y_i - r x_i)^2) / (n (n - 1) xbar^2)``, with Student's t on ``n - 1``
    degrees of freedom (``n``: episodes with a non-zero denominator contribute; every
    episode counts in ``n``), clipped to ``bounds``. ``bounds`` for fewer than two
    episodes or a zero denominator.
    """
    y = np.asarray(numerators, np.float64)
    x = np.asarray(denominators, np.float64)
    n = len(x)
    if n < 2 or x.sum() <= 0:
        return bounds
    r = y.sum() / x.sum()
    residual = y - r * x
    se = math.sqrt(float((residual**2).sum()) / (n * (n - 1))) / float(x.mean())
    if se == 0.0:
        return float(r), float(r)
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * se
    return max(bounds[0], float(r) - half), min(bounds[1], float(r) + half)


def share_interval(numerators: Sequence[int] | np.ndarray, denominators: Sequence[int] | np.ndarray,
                   confidence: float = 0.95) -> Interval:
    """A share of counts pooled over episodes: the hull of :func:`ratio_interval` (clusters)
    and the Wilson interval of ``sum(numerators)`` of ``sum(denominators)`` (no clusters)."""
    lo, hi = ratio_interval(numerators, denominators, confidence)
    wlo, whi = wilson_interval(int(np.sum(numerators)), int(np.sum(denominators)), confidence)
    return min(lo, wlo), max(hi, whi)

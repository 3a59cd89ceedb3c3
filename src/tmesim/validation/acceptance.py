"""Acceptance rules: does a simulated value reproduce a published one?

Every rule returns a :class:`Verdict` (passed, one-line reason). Values are in the published
units (percent, months, ...).

The main rule, `consistent`, accounts for the uncertainty of both sides: the published estimate
with its 95% interval (Wilson from k of n; Newcombe's interval from two k of n for a difference;
else the published CI, rescaled to 95% when it is at another level) and the simulated estimate
with its own 95% interval are combined into a 95% interval of their difference (MOVER; on the
log scale for medians and ratios), which must contain no difference. The simulated group must be
large enough that its own interval is narrow: when it is wider than `PRECISION` times the
published one, the reason says so (more virtual subjects are needed to judge the target).

Example:
    >>> consistent(22.0, (18.4, 26.1), 20.0, (5.7, 51.0)).passed
    True
    >>> tolerance(30.0, 25.0, absolute=3.0).reason
    '|30 − 25| = 5 > 3'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scipy import stats

from tmesim.trials.statistics import proportion_ci

if TYPE_CHECKING:
    from tmesim.validation.metrics import MetricValue
    from tmesim.validation.targets import Target


PRECISION = 0.5
"""The simulated 95% interval must be at most this fraction of the published one's width (on the
rule's scale) for the simulation to resolve the target: then the combined interval is at most
√(1 + 0.5²) ≈ 1.12 times the published one, so the verdict is about the published data, not about
too few virtual subjects."""
Z95 = float(stats.norm.isf(0.025))
LOG_METRICS = frozenset(
    {"median_survival", "hazard_ratio", "observable_ratio", "observable_median", "half_life"}
)
"""Metrics compared on the log scale (positive, ratio-like; their intervals are log-symmetric)."""


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reason: str


def _finite(value: float) -> Verdict | None:
    if not math.isfinite(value):
        return Verdict(False, f"simulated value is {value:g} (not estimable)")
    return None


def mover_interval(
    simulated: float,
    simulated_ci: tuple[float, float],
    published: float,
    published_ci: tuple[float, float],
) -> tuple[float, float]:
    """95% interval of (simulated − published) from each estimate's own 95% interval, by the
    method of variance estimates recovery (MOVER; Zou & Donner, Stat Med 2008;27:1693). With
    Wilson intervals on both sides it is Newcombe's hybrid score interval for the difference of
    two proportions (Newcombe, Stat Med 1998;17:873, method 10). A missing (NaN) bound counts as
    infinitely far from its estimate.

    Example:
        >>> [round(x, 3) for x in mover_interval(0.5, (0.4, 0.6), 0.2, (0.1, 0.3))]
        [0.159, 0.441]
    """
    s_low, s_high = _bounds(simulated_ci)
    p_low, p_high = _bounds(published_ci)
    d = simulated - published
    low = d - math.hypot(simulated - s_low, p_high - published)
    high = d + math.hypot(s_high - simulated, published - p_low)
    return low, high


def _bounds(ci: tuple[float, float]) -> tuple[float, float]:
    low, high = ci
    return (-math.inf if math.isnan(low) else low, math.inf if math.isnan(high) else high)


def _log(x: float) -> float:
    if math.isnan(x):
        return x
    return math.log(x) if x > 0 else -math.inf


def consistent(
    simulated: float,
    simulated_ci: tuple[float, float],
    published: float,
    published_ci: tuple[float, float],
    *,
    log: bool = False,
    precision: float = PRECISION,
) -> Verdict:
    """Published and simulated estimates agree within both sides' uncertainty: the 95% interval
    of their difference (of their log ratio with `log`), from `mover_interval`, contains 0.
    The reason notes when the simulated interval is wider than `precision` times the published
    one (too few virtual subjects to judge the target).

    Example:
        >>> consistent(0.5, (0.46, 0.54), 0.2, (0.1, 0.3)).reason
        'simulated − published = +0.3 (95% CI 0.192 to 0.408) excludes 0'
        >>> consistent(5.0, (4.0, 6.5), 6.9, (4.3, 9.5), log=True).passed
        True
    """
    bad = _finite(simulated)
    if bad:
        return bad
    if log and simulated <= 0:
        return Verdict(False, f"simulated value is {simulated:g} (a ratio or time must be > 0)")
    scale = _log if log else float
    s, p = scale(simulated), scale(published)
    s_ci = (scale(simulated_ci[0]), scale(simulated_ci[1]))
    p_ci = (scale(published_ci[0]), scale(published_ci[1]))
    low, high = mover_interval(s, s_ci, p, p_ci)
    ok = low <= 0.0 <= high
    verb = "includes" if ok else "excludes"
    if log:
        text = (
            f"simulated / published = {math.exp(s - p):.3g} (95% CI {math.exp(low):.3g} to "
            f"{math.exp(high):.3g}) {verb} 1"
        )
    else:
        text = f"simulated − published = {s - p:+.3g} (95% CI {low:.3g} to {high:.3g}) {verb} 0"
    s_low, s_high = _bounds(s_ci)
    width = (s_high - s_low) / max(p_ci[1] - p_ci[0], 1e-300)
    if not width <= precision:
        text += (
            f"; simulated CI {width:.2g}× the published width (> {precision:g}): "
            "too few virtual subjects to resolve it"
        )
    return Verdict(ok, text)


def tolerance(
    simulated: float,
    published: float,
    *,
    absolute: float | None = None,
    relative: float | None = None,
) -> Verdict:
    """|simulated − published| within the absolute tolerance or the relative one (either)."""
    bad = _finite(simulated)
    if bad:
        return bad
    allowed = max(
        absolute if absolute is not None else 0.0,
        relative * abs(published) if relative is not None else 0.0,
    )
    gap = abs(simulated - published)
    sign = "≤" if gap <= allowed else ">"
    return Verdict(
        gap <= allowed, f"|{simulated:.3g} − {published:g}| = {gap:.3g} {sign} {allowed:.3g}"
    )


def wilson(events: int, n: int, scale: float = 1.0) -> tuple[float, tuple[float, float]]:
    """k of n as (proportion, Wilson 95% interval), times `scale` (100 for percent)."""
    low, high = proportion_ci(events, n, method="wilson")
    return events / n * scale, (low * scale, high * scale)


def newcombe(
    events: int, n: int, reference_events: int, reference_n: int, scale: float = 1.0
) -> tuple[float, tuple[float, float]]:
    """Difference of two independent proportions (k/n − k₀/n₀) with Newcombe's hybrid score 95%
    interval (method 10: MOVER on the two Wilson intervals).

    Example (Newcombe 1998, Table II, 56/70 − 48/80):
        >>> d, (low, high) = newcombe(56, 70, 48, 80)
        >>> round(d, 2), round(low, 4), round(high, 4)
        (0.2, 0.0524, 0.3339)
    """
    a, a_ci = wilson(events, n)
    b, b_ci = wilson(reference_events, reference_n)
    low, high = mover_interval(a, a_ci, b, b_ci)
    return (a - b) * scale, (low * scale, high * scale)


def published_estimate(target: Target) -> tuple[float, tuple[float, float]]:
    """The published estimate and its 95% interval, in published units: from k of n (Wilson), from
    two k of n for a difference (Newcombe), else from the published CI (rescaled to 95% on the
    rule's scale when published at another level, e.g. CheckMate 067's 99.5% hazard ratios).

    Raises:
        ValueError: the target publishes neither counts nor an interval.
    """
    from tmesim.validation.targets import counts_published

    p, m = target.published, target.metric
    scale = target.scale
    if counts_published(target):
        assert p.events is not None and p.n is not None
        if m.type == "fraction_difference":
            assert p.reference_events is not None and p.reference_n is not None
            return newcombe(p.events, p.n, p.reference_events, p.reference_n, scale)
        return wilson(p.events, p.n, scale)
    if p.ci is None or p.value is None:
        raise ValueError(f"target {target.id} publishes neither k of n nor an interval")
    if p.ci_level == 0.95:
        return p.value, (p.ci[0], p.ci[1])
    shrink = Z95 / float(stats.norm.isf((1.0 - p.ci_level) / 2.0))
    if m.type in LOG_METRICS:
        centre = math.log(p.value)
        low = math.exp(centre - (centre - math.log(p.ci[0])) * shrink)
        high = math.exp(centre + (math.log(p.ci[1]) - centre) * shrink)
    else:
        low = p.value - (p.value - p.ci[0]) * shrink
        high = p.value + (p.ci[1] - p.value) * shrink
    return p.value, (low, high)


def direction(
    simulated: float,
    ci: tuple[float, float],
    *,
    sign: str,
    min_size: float,
    no_effect: float = 0.0,
    max_size: float | None = None,
) -> Verdict:
    """The effect (simulated − no_effect) has the expected sign, at least `min_size` and at most
    `max_size` (a ceiling, where a published magnitude bounds it), and its 95% interval excludes
    the value of no effect.

    Example:
        >>> direction(0.5, (0.3, 0.7), sign="negative", min_size=0.2, no_effect=1.0).passed
        True
        >>> direction(95.0, (90.0, 99.0), sign="positive", min_size=10, max_size=92).passed
        False
    """
    bad = _finite(simulated)
    if bad:
        return bad
    effect = simulated - no_effect
    signed = effect if sign == "positive" else -effect
    low, high = ci
    excludes = (low > no_effect) if sign == "positive" else (high < no_effect)
    if math.isnan(low) or math.isnan(high):
        excludes = False
    under_ceiling = max_size is None or signed <= max_size
    ok = signed >= min_size and under_ceiling and excludes
    want = ">" if sign == "positive" else "<"
    ceiling = "" if max_size is None else f" and ≤ {max_size:g}"
    return Verdict(
        ok,
        f"effect {effect:+.3g} (CI {low:.3g}–{high:.3g}) vs wanted {want} {no_effect:g} by ≥ "
        f"{min_size:g}{ceiling}{'' if excludes else '; CI includes no effect'}"
        f"{'' if under_ceiling else '; above the ceiling'}",
    )


def in_range(simulated: float, bounds: tuple[float, float], margin: float = 0.0) -> Verdict:
    """Simulated value inside the published range widened by `margin` on both sides."""
    bad = _finite(simulated)
    if bad:
        return bad
    low, high = bounds[0] - margin, bounds[1] + margin
    ok = low <= simulated <= high
    return Verdict(ok, f"{simulated:.3g} {'inside' if ok else 'outside'} [{low:g}, {high:g}]")


def judge(target: Target, simulated: MetricValue) -> Verdict:
    """Apply the target's acceptance rule to a simulated metric (canonical units)."""
    a, p = target.acceptance, target.published
    scale = target.scale
    value = simulated.value * scale
    ci = (simulated.ci_low * scale, simulated.ci_high * scale)
    if a.rule == "consistent":
        published, published_ci = published_estimate(target)
        log = target.metric.type in LOG_METRICS
        return consistent(value, ci, published, published_ci, log=log)
    if a.rule == "tolerance":
        assert p.value is not None
        return tolerance(value, p.value, absolute=a.absolute, relative=a.relative)
    if a.rule == "direction":
        assert a.sign is not None
        return direction(
            value, ci, sign=a.sign, min_size=a.min_size, no_effect=a.no_effect, max_size=a.max_size
        )
    assert p.range is not None
    return in_range(value, p.range, a.margin)


def describe_rule(target: Target) -> str:
    """The rule in words, for tables: 'inside published 95% CI', '±5 (absolute)', ..."""
    a, p = target.acceptance, target.published
    if a.rule == "consistent":
        if target.metric.type in LOG_METRICS:
            return "simulated / published: 95% CI of both sides (MOVER, log scale) includes 1"
        return "simulated − published: 95% CI of both sides (MOVER) includes 0"
    if a.rule == "tolerance":
        parts = []
        if a.absolute is not None:
            parts.append(f"±{a.absolute:g}")
        if a.relative is not None:
            parts.append(f"±{a.relative:.0%}")
        return "within " + " or ".join(parts)
    if a.rule == "direction":
        want = ">" if a.sign == "positive" else "<"
        ceiling = "" if a.max_size is None else f" and ≤ {a.max_size:g}"
        return f"{want} {a.no_effect:g} by ≥ {a.min_size:g}{ceiling}, CI excluding {a.no_effect:g}"
    assert p.range is not None
    return f"inside [{p.range[0]:g}, {p.range[1]:g}] ± {a.margin:g}"

"""Acceptance rules: does a simulated value reproduce a published one?

Every rule returns a :class:`Verdict` (passed, one-line reason). Values are in the published
units (percent, months, ...), except `binomial_consistent`, which compares counts with a rate.

Example:
    >>> within_ci(50.0, (45.0, 55.0)).passed
    True
    >>> tolerance(30.0, 25.0, absolute=3.0).reason
    '|30 − 25| = 5 > 3'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scipy import stats

if TYPE_CHECKING:
    from tmesim.validation.metrics import MetricValue
    from tmesim.validation.targets import Target


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reason: str


def _finite(value: float) -> Verdict | None:
    if not math.isfinite(value):
        return Verdict(False, f"simulated value is {value:g} (not estimable)")
    return None


def within_ci(simulated: float, ci: tuple[float, float]) -> Verdict:
    """Simulated value inside the published 95% interval."""
    bad = _finite(simulated)
    if bad:
        return bad
    low, high = ci
    ok = low <= simulated <= high
    return Verdict(ok, f"{simulated:.3g} {'inside' if ok else 'outside'} [{low:g}, {high:g}]")


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


def binomial_consistent(events: int, n: int, rate: float, alpha: float) -> Verdict:
    """The published k of n is consistent with a binomial at the simulated rate: two-sided exact
    test p ≥ alpha.

    Example:
        >>> binomial_consistent(2, 10, 0.2, 0.05).passed, binomial_consistent(9, 10, 0.2, 0.05).passed
        (True, False)
    """
    bad = _finite(rate)
    if bad:
        return bad
    p = float(stats.binomtest(events, n, min(max(rate, 0.0), 1.0)).pvalue)
    ok = p >= alpha
    return Verdict(
        ok,
        f"{events}/{n} vs simulated rate {rate:.3f}: exact p = {p:.3g} {'≥' if ok else '<'} {alpha:g}",
    )


def direction(
    simulated: float,
    ci: tuple[float, float],
    *,
    sign: str,
    min_size: float,
    no_effect: float = 0.0,
) -> Verdict:
    """The effect (simulated − no_effect) has the expected sign, at least `min_size`, and its
    95% interval excludes the value of no effect.

    Example:
        >>> direction(0.5, (0.3, 0.7), sign="negative", min_size=0.2, no_effect=1.0).passed
        True
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
    ok = signed >= min_size and excludes
    want = ">" if sign == "positive" else "<"
    return Verdict(
        ok,
        f"effect {effect:+.3g} (CI {low:.3g}–{high:.3g}) vs wanted {want} {no_effect:g} by ≥ "
        f"{min_size:g}{'' if excludes else '; CI includes no effect'}",
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
    if a.rule == "within_ci":
        assert p.ci is not None
        return within_ci(value, p.ci)
    if a.rule == "tolerance":
        assert p.value is not None
        return tolerance(value, p.value, absolute=a.absolute, relative=a.relative)
    if a.rule == "binomial_consistent":
        assert p.events is not None and p.n is not None
        return binomial_consistent(p.events, p.n, simulated.value, a.alpha)
    if a.rule == "direction":
        assert a.sign is not None
        return direction(value, ci, sign=a.sign, min_size=a.min_size, no_effect=a.no_effect)
    assert p.range is not None
    return in_range(value, p.range, a.margin)


def describe_rule(target: Target) -> str:
    """The rule in words, for tables: 'inside published 95% CI', '±5 (absolute)', ..."""
    a, p = target.acceptance, target.published
    if a.rule == "within_ci":
        return "inside the published 95% CI"
    if a.rule == "tolerance":
        parts = []
        if a.absolute is not None:
            parts.append(f"±{a.absolute:g}")
        if a.relative is not None:
            parts.append(f"±{a.relative:.0%}")
        return "within " + " or ".join(parts)
    if a.rule == "binomial_consistent":
        return f"{p.events}/{p.n} consistent with simulated rate (exact p ≥ {a.alpha:g})"
    if a.rule == "direction":
        want = ">" if a.sign == "positive" else "<"
        return f"{want} {a.no_effect:g} by ≥ {a.min_size:g}, CI excluding {a.no_effect:g}"
    assert p.range is not None
    return f"inside [{p.range[0]:g}, {p.range[1]:g}] ± {a.margin:g}"

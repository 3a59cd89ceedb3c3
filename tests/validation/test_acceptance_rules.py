"""Acceptance rules, table-driven; the two-sided rule checked against Newcombe's published
example and against the normal-theory test it approximates."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tmesim.validation.acceptance import (
    PRECISION,
    consistent,
    direction,
    in_range,
    mover_interval,
    newcombe,
    published_estimate,
    tolerance,
    wilson,
)
from tmesim.validation.targets import load_targets


@pytest.mark.parametrize(
    ("simulated", "published", "absolute", "relative", "passed"),
    [
        (10.0, 12.0, 2.0, None, True),
        (10.0, 12.5, 2.0, None, False),
        (10.0, 12.0, None, 0.2, True),
        (10.0, 13.0, None, 0.2, False),
        (10.0, 13.0, 1.0, 0.25, True),
        (math.inf, 13.0, 1.0, None, False),
    ],
)
def test_tolerance(simulated, published, absolute, relative, passed):
    assert tolerance(simulated, published, absolute=absolute, relative=relative).passed is passed


@pytest.mark.parametrize(
    ("simulated", "ci", "sign", "min_size", "no_effect", "max_size", "passed"),
    [
        (0.5, (0.4, 0.6), "negative", 0.3, 1.0, None, True),
        (0.8, (0.7, 0.9), "negative", 0.3, 1.0, None, False),  # too small
        (0.5, (0.2, 1.1), "negative", 0.3, 1.0, None, False),  # CI includes no effect
        (0.3, (0.1, 0.5), "positive", 0.2, 0.0, None, True),
        (-0.3, (-0.5, -0.1), "positive", 0.2, 0.0, None, False),
        (40.0, (30.0, 50.0), "positive", 10.0, 0.0, 89.0, True),
        (95.0, (90.0, 99.0), "positive", 10.0, 0.0, 89.0, False),  # above the ceiling
    ],
)
def test_direction(simulated, ci, sign, min_size, no_effect, max_size, passed):
    verdict = direction(
        simulated, ci, sign=sign, min_size=min_size, no_effect=no_effect, max_size=max_size
    )
    assert verdict.passed is passed
    if max_size is not None and not passed:
        assert "above the ceiling" in verdict.reason


@pytest.mark.parametrize(
    ("simulated", "bounds", "margin", "passed"),
    [
        (85.0, (81.0, 88.0), 0.0, True),
        (78.0, (81.0, 88.0), 5.0, True),
        (75.0, (81.0, 88.0), 5.0, False),
        (94.0, (81.0, 88.0), 5.0, False),
    ],
)
def test_in_range(simulated, bounds, margin, passed):
    assert in_range(simulated, bounds, margin).passed is passed


def test_newcombe_reproduces_the_published_examples():
    # Newcombe, Stat Med 1998;17:873, Table II (method 10): 56/70 − 48/80 and 9/10 − 3/10.
    d, (low, high) = newcombe(56, 70, 48, 80)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)
    d, (low, high) = newcombe(9, 10, 3, 10)
    assert (round(low, 4), round(high, 4)) == (0.1705, 0.8090)


@pytest.mark.parametrize(
    ("k_sim", "n_sim", "k_pub", "n_pub", "passed"),
    [
        (60, 300, 2, 10, True),  # 20% vs 2/10
        (150, 300, 2, 10, True),  # 50% vs 2/10: within 2/10's wide interval
        (210, 300, 2, 10, False),  # 70% vs 2/10
        (0, 400, 0, 18, True),
        (40, 400, 0, 18, True),  # 10% vs 0/18 (upper Wilson bound 17.6%)
        (120, 400, 0, 18, False),  # 30% vs 0/18
        (300, 300, 8, 8, True),
        (150, 300, 8, 8, False),
    ],
)
def test_consistent_two_proportions(k_sim, n_sim, k_pub, n_pub, passed):
    sim, sim_ci = wilson(k_sim, n_sim, 100.0)
    pub, pub_ci = wilson(k_pub, n_pub, 100.0)
    assert consistent(sim, sim_ci, pub, pub_ci).passed is passed


@given(
    n=st.integers(40, 400),
    k_fraction=st.floats(0.2, 0.8),
    m=st.integers(40, 400),
    j_fraction=st.floats(0.2, 0.8),
)
def test_mover_on_wilson_is_newcombe_and_near_the_wald_test(n, k_fraction, m, j_fraction):
    k, j = round(k_fraction * n), round(j_fraction * m)
    a, a_ci = wilson(k, n)
    b, b_ci = wilson(j, m)
    assert mover_interval(a, a_ci, b, b_ci) == pytest.approx(newcombe(k, n, j, m)[1])
    # Away from 0 and 1 it agrees with the two-sample Wald interval to a few points.
    se = math.sqrt(a * (1 - a) / n + b * (1 - b) / m)
    low, high = mover_interval(a, a_ci, b, b_ci)
    assert abs(low - (a - b - 1.96 * se)) < 0.05 and abs(high - (a - b + 1.96 * se)) < 0.05


def test_consistent_on_the_log_scale_for_medians_and_ratios():
    # A published median of 8 (5-12) against simulated medians with their own intervals.
    assert consistent(6.0, (5.2, 6.8), 8.0, (5.0, 12.0), log=True).passed
    assert not consistent(3.0, (2.6, 3.4), 8.0, (5.0, 12.0), log=True).passed
    assert not consistent(0.0, (0.0, 0.0), 8.0, (5.0, 12.0), log=True).passed
    # A simulated median whose upper bound is not reached is not excluded from above.
    assert consistent(10.0, (8.0, math.nan), 8.0, (5.0, 12.0), log=True).passed
    # On the log scale a ratio twice the published one is as far as one half of it.
    twice = consistent(16.0, (15.0, 17.0), 8.0, (5.0, 12.0), log=True)
    half = consistent(4.0, (3.75, 4.25), 8.0, (5.0, 12.0), log=True)
    assert twice.passed is half.passed is False


def test_a_wide_simulated_interval_is_reported():
    pub, pub_ci = wilson(2, 10, 100.0)
    narrow = consistent(*wilson(60, 300, 100.0), pub, pub_ci)
    wide = consistent(*wilson(3, 12, 100.0), pub, pub_ci)
    assert "too few virtual subjects" not in narrow.reason
    assert "too few virtual subjects" in wide.reason and f"> {PRECISION:g}" in wide.reason


def test_published_intervals_from_counts_differences_and_other_levels():
    by_id = {t.id: t for t in load_targets()}
    value, (low, high) = published_estimate(by_id["de_henau_2016_4t1_checkpoint_cr"])
    assert (value, (low, high)) == wilson(2, 10, 100.0)
    value, ci = published_estimate(by_id["de_henau_2016_4t1_ipi549_gain"])
    assert (value, ci) == newcombe(8, 10, 2, 10, 100.0)
    # A 99.5% interval is narrowed to 95% on the log scale about the estimate.
    target = by_id["checkmate067_pfs_hazard_ratio_nivolumab_ipilimumab_vs_ipilimumab"]
    value, (low, high) = published_estimate(target)
    p = target.published
    assert p.ci_level == 0.995 and p.ci is not None
    assert p.ci[0] < low < value < high < p.ci[1]
    ratio = math.log(high / low) / math.log(p.ci[1] / p.ci[0])
    assert ratio == pytest.approx(1.959964 / 2.807034, rel=1e-5)

"""Acceptance rules, table-driven, with the binomial rule checked against scipy's exact test."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from tmesim.validation.acceptance import (
    binomial_consistent,
    direction,
    in_range,
    tolerance,
    within_ci,
)


@pytest.mark.parametrize(
    ("simulated", "ci", "passed"),
    [
        (5.0, (4.0, 6.0), True),
        (4.0, (4.0, 6.0), True),
        (6.1, (4.0, 6.0), False),
        (float("nan"), (4.0, 6.0), False),
    ],
)
def test_within_ci(simulated, ci, passed):
    assert within_ci(simulated, ci).passed is passed


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
    ("simulated", "ci", "sign", "min_size", "no_effect", "passed"),
    [
        (0.5, (0.4, 0.6), "negative", 0.3, 1.0, True),
        (0.8, (0.7, 0.9), "negative", 0.3, 1.0, False),  # too small
        (0.5, (0.2, 1.1), "negative", 0.3, 1.0, False),  # CI includes no effect
        (0.3, (0.1, 0.5), "positive", 0.2, 0.0, True),
        (-0.3, (-0.5, -0.1), "positive", 0.2, 0.0, False),
    ],
)
def test_direction(simulated, ci, sign, min_size, no_effect, passed):
    verdict = direction(simulated, ci, sign=sign, min_size=min_size, no_effect=no_effect)
    assert verdict.passed is passed


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


@given(
    n=st.integers(1, 60),
    k_fraction=st.floats(0, 1),
    rate=st.one_of(st.just(0.0), st.just(1.0), st.floats(1e-6, 1 - 1e-6)),
    alpha=st.sampled_from([0.01, 0.05, 0.1]),
)
def test_binomial_rule_is_the_exact_two_sided_test(n, k_fraction, rate, alpha):
    k = round(k_fraction * n)
    expected = bool(stats.binomtest(k, n, rate).pvalue >= alpha)
    assert binomial_consistent(k, n, rate, alpha).passed is expected


def test_binomial_rule_hand_cases():
    # P(X = 0 | n = 18, p = 0) = 1; 10 of 10 at p = 0.5: p-value 2 * 0.5**10 < 0.05.
    assert binomial_consistent(0, 18, 0.0, 0.05).passed
    assert not binomial_consistent(10, 10, 0.5, 0.05).passed
    assert binomial_consistent(10, 10, 0.8, 0.05).passed  # 0.8**10 = 0.107

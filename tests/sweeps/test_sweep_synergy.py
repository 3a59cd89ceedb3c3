"""Bliss and HSA synergy on analytic toys with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tmesim.sweeps.synergy import bliss_excess, bliss_expected, hsa_excess, synergy_estimate

N = 5000


def _kills(
    p_a: float, p_b: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    u_a, u_b = rng.random(N), rng.random(N)
    return u_a, u_b, u_a < p_a, u_b < p_b


@pytest.mark.parametrize(("p_a", "p_b"), [(0.2, 0.3), (0.5, 0.1), (0.05, 0.6)])
def test_independent_kill_terms_give_bliss_near_zero(p_a, p_b) -> None:
    # A patient escapes the combination only if it escapes both independent kill terms.
    _, _, a, b = _kills(p_a, p_b, seed=11)
    s = synergy_estimate(a, b, a | b, bootstrap=400, seed=1)
    assert s.bliss_ci[0] < 0 < s.bliss_ci[1]
    assert abs(s.bliss) < 3 * (s.bliss_ci[1] - s.bliss_ci[0])
    assert s.hsa > 0  # independent agents still beat the better one alone


def test_a_synergistic_pair_gives_positive_bliss() -> None:
    # Besides each agent's own kills, half of the patients hit by neither are killed when both
    # are given: the combination does more than independence predicts.
    u_a, u_b, a, b = _kills(0.2, 0.3, seed=12)
    extra = (~a & ~b) & (np.random.default_rng(5).random(N) < 0.5)
    s = synergy_estimate(a, b, a | b | extra, bootstrap=400, seed=1)
    assert s.bliss_ci[0] > 0
    assert s.bliss == pytest.approx(0.5 * (1 - 0.2) * (1 - 0.3), abs=0.03)


def test_an_antagonistic_pair_gives_negative_bliss() -> None:
    _, _, a, b = _kills(0.4, 0.4, seed=13)
    s = synergy_estimate(a, b, a, bootstrap=400, seed=1)  # B adds nothing to A
    assert s.bliss_ci[1] < 0
    assert s.hsa_ci[0] <= 0 <= s.hsa_ci[1]


def test_pairing_narrows_the_interval_of_correlated_outcomes() -> None:
    _, _, a, b = _kills(0.3, 0.3, seed=14)
    paired = synergy_estimate(a, b, a | b, paired=True, bootstrap=400, seed=2)
    unpaired = synergy_estimate(a, b, a | b, paired=False, bootstrap=400, seed=2)
    width = lambda s: s.bliss_ci[1] - s.bliss_ci[0]  # noqa: E731
    assert width(paired) < width(unpaired)


def test_the_same_seed_gives_the_same_interval() -> None:
    _, _, a, b = _kills(0.3, 0.3, seed=15)
    first = synergy_estimate(a, b, a | b, bootstrap=200, seed=4)
    assert synergy_estimate(a, b, a | b, bootstrap=200, seed=4) == first


def test_paired_outcomes_need_the_same_patients() -> None:
    with pytest.raises(ValueError, match="same patients"):
        synergy_estimate([True, False], [True], [True, True])


@settings(max_examples=50, deadline=None)
@given(
    st.floats(min_value=0, max_value=1), st.floats(min_value=0, max_value=1),
    st.floats(min_value=0, max_value=1),
)  # fmt: skip
def test_bliss_is_never_above_hsa_and_the_expectation_is_a_probability(e_a, e_b, e_ab) -> None:
    expected = bliss_expected(e_a, e_b)
    assert max(e_a, e_b) - 1e-12 <= expected <= min(1.0, e_a + e_b) + 1e-12
    assert bliss_excess(e_a, e_b, e_ab) <= hsa_excess(e_a, e_b, e_ab) + 1e-9

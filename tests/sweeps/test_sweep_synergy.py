"""Bliss and HSA synergy on analytic toys with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tmesim.sweeps.synergy import (
    bliss_excess,
    bliss_expected,
    dose_for_effect,
    hsa_excess,
    loewe_estimate,
    loewe_index,
    synergy_estimate,
)

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


def _hill(dose, potency):
    d = np.asarray(dose, dtype=float) / potency
    return d / (1.0 + d)


DOSES = np.geomspace(0.05, 50, 60)


@pytest.mark.parametrize(("a", "b"), [(0.5, 1.0), (1.0, 3.0), (0.2, 0.2)])
def test_a_drug_combined_with_a_dilution_of_itself_is_loewe_additive(a, b) -> None:
    # B is A at a third of the potency: the pair acts as a + b/3 of A, so the index is 1.
    e_ab = float(_hill(a + b / 3.0, 1.0))
    index = loewe_index(a, b, DOSES, _hill(DOSES, 1.0), DOSES, _hill(DOSES, 3.0), e_ab)
    assert index == pytest.approx(1.0, abs=0.01)


def test_more_than_the_dose_equivalent_effect_gives_an_index_below_one() -> None:
    e_ab = float(_hill(2.0 * (1.0 + 1.0 / 3.0), 1.0))  # twice the dose-equivalent effect
    index = loewe_index(1.0, 1.0, DOSES, _hill(DOSES, 1.0), DOSES, _hill(DOSES, 3.0), e_ab)
    assert 0.4 < index < 0.6


def test_loewe_is_undefined_beyond_the_single_agents_reach() -> None:
    assert np.isnan(loewe_index(1, 1, [1, 2], [0.1, 0.2], [1, 2], [0.1, 0.3], 0.5))
    assert np.isnan(dose_for_effect([1, 2, 4], [0.2, 0.3, 0.4], 0.1))


def test_the_loewe_interval_covers_a_sham_combination() -> None:
    rng = np.random.default_rng(3)
    n = 3000
    u = rng.random(n)  # each patient's sensitivity: responds when the A-equivalent dose is enough
    doses = np.array([0.25, 0.5, 1.0, 2.0, 4.0])
    respond = lambda dose: u < _hill(dose, 1.0)  # noqa: E731
    outcomes_a = np.array([respond(d) for d in doses])
    outcomes_b = np.array([respond(d / 2.0) for d in doses])  # B: half the potency of A
    combo = respond(1.0 + 2.0 / 2.0)
    index, (low, high) = loewe_estimate(
        1.0, 2.0, doses, outcomes_a, doses, outcomes_b, combo, bootstrap=200, seed=1
    )
    # Patients respond by their own sensitivity, so the combination's responders are exactly A's
    # at the equivalent dose: the index is 1 in every resample.
    assert low <= 1.0 <= high
    assert index == pytest.approx(1.0, abs=1e-9)

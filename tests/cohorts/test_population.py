"""Virtual populations: one stream per patient, correlated priors through a Gaussian copula."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from tmesim.cohorts.population import Stream, patient_rng, sample_population
from tmesim.errors import ConfigError
from tmesim.parameters import get_preset

PAIR = ("tumor_myeloid_factor", "ccl2_secretion_tumor_cell")


def test_correlated_priors_have_the_declared_rank_correlation(model):
    ps = replace(get_preset("mouse_4t1"), correlations={PAIR: 0.8})
    _, table = sample_population(ps, model, np.arange(3000), seed=4)
    rho, _ = stats.spearmanr(table[PAIR[0]], table[PAIR[1]])
    # A Gaussian copula with r keeps Spearman's rho at (6/π)·asin(r/2).
    assert rho == pytest.approx(6 / np.pi * np.arcsin(0.4), abs=0.03)
    _, independent = sample_population(get_preset("mouse_4t1"), model, np.arange(3000), seed=4)
    assert abs(stats.spearmanr(independent[PAIR[0]], independent[PAIR[1]])[0]) < 0.06


def test_correlations_keep_each_marginal(model):
    ps = get_preset("mouse_4t1")
    _, plain = sample_population(ps, model, np.arange(4000), seed=9)
    _, tied = sample_population(replace(ps, correlations={PAIR: -0.7}), model, np.arange(4000), 9)
    # The first parameter in sorted order is drawn from the same normal, so it is unchanged.
    first = sorted(p.id for p in ps.varied())[0]
    np.testing.assert_allclose(plain[first], tied[first])
    for pid in PAIR:
        assert stats.ks_2samp(plain[pid], tied[pid]).pvalue > 1e-3


@pytest.mark.parametrize("bad", [{PAIR: 1.0}, {(PAIR[0], "tumor_cell_density"): 0.3}])
def test_invalid_correlations_name_the_pair(model, bad):
    ps = replace(get_preset("mouse_4t1"), correlations=bad)
    with pytest.raises(ConfigError, match="correlations"):
        sample_population(ps, model, np.arange(2), seed=0)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32), first=st.integers(0, 10_000), n=st.integers(1, 6))
def test_a_patient_draws_the_same_whatever_the_chunk(seed, first, n):
    ps = get_preset("mouse_b16f10")
    from tmesim.model import build_model

    model = build_model()
    P, _ = sample_population(ps, model, np.arange(first, first + n), seed)
    P_last, _ = sample_population(ps, model, np.array([first + n - 1]), seed)
    np.testing.assert_array_equal(P[-1], P_last[0])
    assert np.all(np.isfinite(P)) and np.all(P >= 0)


def test_streams_differ_by_purpose_and_attempt():
    draws = {(s, a): patient_rng(3, 5, s, a).standard_normal() for s in Stream for a in (0, 1)}
    assert len(set(draws.values())) == len(draws)

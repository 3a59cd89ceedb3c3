"""Mechanisms of non-response to CD19 CAR-T in B-ALL: product fitness and CD19-negative disease."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tmesim.parameters import get_preset
from tmesim.parameters.parameter_set import Prior
from tmesim.parameters.presets.human_b_all import PRODUCT_FITNESS_CV
from tmesim.simulation import Simulation

CART = "tisagenlecleucel 3e6 cells/kg once"
DAYS = 84


def _run(**overrides: float):
    sim = Simulation("human_b_all", regimen=CART, parameters_override=overrides)
    r = sim.solve(DAYS)
    assert (r.status == 0).all()
    return r


@pytest.fixture(scope="module")
def by_fitness():
    return {f: _run(cart_product_fitness=f) for f in (0.1, 0.5, 1.0, 2.0)}


def test_lower_product_fitness_lowers_cart_expansion(by_fitness):
    peaks = [by_fitness[f].observable("cart_cells")[0].max() for f in (0.1, 0.5, 1.0, 2.0)]
    assert all(a < b for a, b in zip(peaks, peaks[1:], strict=False)), peaks
    dose = by_fitness[1.0].observable("cart_cells")[0, 0]
    assert peaks[2] > 10 * dose  # a typical product expands many-fold


def test_a_product_that_cannot_expand_leaves_the_leukemia(by_fitness):
    fit = by_fitness[1.0].observable("tumor_cells")[0]
    unfit = by_fitness[0.1].observable("tumor_cells")[0]
    # Typical product: CD19+ leukemia cleared to below ~1e6 blasts within four weeks.
    assert fit[28] < 1e-4 * fit[0]
    # A product whose proliferation cannot outrun its contraction fails (primary non-response).
    assert unfit[28] > 0.1 * unfit[0]
    unfit_cart = by_fitness[0.1].observable("cart_cells")[0]
    assert unfit_cart.max() < 1.5 * unfit_cart[0]  # no expansion beyond the infused dose


def test_cd19_negative_clone_escapes_cart_and_grows_back():
    r = _run(clone_1_emergence_rate=1e-4)
    cells = r.observable("tumor_cells")[0]
    negative = cells * r.observable("clone_1_fraction")[0]
    positive = cells - negative
    assert positive[28] < 1e-4 * positive[0]  # the CD19+ leukemia is cleared
    assert r.observable("clone_1_fraction")[0, 28] > 0.99  # what is left is CD19-negative
    assert negative[DAYS] > 2 * negative[0]  # and it grows back, unharmed
    # The same clone carrying CD19 is cleared with the rest: the escape is the missing antigen.
    same = _run(clone_1_emergence_rate=1e-4, clone_1_cd19=1.0)
    same_cells = same.observable("tumor_cells")[0] * same.observable("clone_1_fraction")[0]
    assert same_cells[28] < 1e-4 * same_cells[0]
    assert same_cells[DAYS] < 1e-3 * negative[DAYS]


def test_stein_random_effects_become_log_scale_spreads():
    """The preset's priors reproduce Stein 2019's ω² on the log scale (not ω used as a CV)."""
    params = get_preset("human_b_all")
    z = np.random.default_rng(0).standard_normal(200_000)
    for pid, omega2 in (
        ("cart_contraction_rate", 0.91),
        ("cart_memory_rate", 0.80),
        ("cart_memory_death_rate", 0.86),
    ):
        p = params[pid]
        samples = p.prior.sample(p.value, z)
        assert np.std(np.log(samples)) == pytest.approx(math.sqrt(omega2), rel=0.02), pid
    fitness = params["cart_product_fitness"]
    assert fitness.value == 1.0 and fitness.prior.cv == PRODUCT_FITNESS_CV
    assert Prior.log_sd(0.0).cv == 0.0

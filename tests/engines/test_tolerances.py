"""Per-state absolute tolerances from the units of the model's species."""

from __future__ import annotations

import numpy as np
import pytest

from tmesim.engines.qsp.codegen import generate_source
from tmesim.engines.qsp.tolerances import UNIT_ATOL, absolute_tolerances, settings_atol
from tmesim.errors import ConfigError
from tmesim.model import ModelBuilder, build_model
from tmesim.solvers import SolverSettings
from tmesim.solvers.cohort import state_atol


def toy(units: str) -> object:
    b = ModelBuilder("toy")
    x = b.species("x", "cell", "tumor", "cells")
    c = b.species("c", units, "tumor", "a concentration")
    k = b.parameter("k", "1/day", "rate")
    b.add_rate(x, k * x)
    b.add_rate(c, -k * c)
    return b.build()


def test_every_species_of_the_model_has_a_tolerance_by_its_units() -> None:
    model = build_model()
    atol = absolute_tolerances(model)
    assert atol.shape == (len(model.species),)
    assert np.all(atol > 0.0)
    for species, a in zip(model.species, atol, strict=True):
        assert a == UNIT_ATOL[species.units]
        if species.units == "cell":
            assert a < 1.0  # below one cell, where the small-population rule takes over


def test_an_unknown_unit_names_the_species_and_the_table() -> None:
    with pytest.raises(ConfigError, match=r"'c'.*UNIT_ATOL"):
        absolute_tolerances(toy("furlong"))


def test_the_generated_kernel_declares_them_and_settings_can_override() -> None:
    model = toy("nM")
    source = generate_source(model)
    assert "STATE_ATOL = np.array([0.001, 1e-06])" in source
    np.testing.assert_array_equal(settings_atol(model, None), [1e-3, 1e-6])
    np.testing.assert_array_equal(settings_atol(model, 1e-9), [1e-9, 1e-9])

    class Kernel:
        N_STATES = 2
        STATE_ATOL = np.array([1e-3, 1e-6])

    np.testing.assert_array_equal(state_atol(Kernel, SolverSettings()), [1e-3, 1e-6])
    np.testing.assert_array_equal(state_atol(Kernel, SolverSettings(atol=0.5)), [0.5, 0.5])
    Kernel.STATE_ATOL = np.array([1e-3, 0.0])
    with pytest.raises(ConfigError, match="STATE_ATOL"):
        state_atol(Kernel, SolverSettings())


def test_species_without_units_need_one_tolerance_for_every_state() -> None:
    # An SBML import declares no tmesim units: no per-state default, a clear request instead.
    model = toy("")
    assert np.isnan(absolute_tolerances(model)[1]) and absolute_tolerances(model)[0] == 1e-3
    assert "np.nan" in generate_source(model)

    class Kernel:
        N_STATES = 2
        STATE_ATOL = absolute_tolerances(model)

    with pytest.raises(ConfigError, match=r"solver\.atol.*declare no units"):
        state_atol(Kernel, SolverSettings())
    assert state_atol(Kernel, SolverSettings(atol=1e-9)).tolist() == [1e-9, 1e-9]

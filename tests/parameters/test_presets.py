"""Every preset passes the standard harness: complete, sourced, in valid units, solvable, finite,
non-negative, deterministic."""

from __future__ import annotations

import numpy as np
import pytest

from tmesim.errors import ConfigError
from tmesim.parameters import get_preset, list_presets
from tmesim.parameters.units import convert, registry
from tmesim.simulation import Simulation

PRESETS = [p.name for p in list_presets()]


@pytest.mark.parametrize("name", PRESETS)
def test_preset_is_complete_and_every_value_has_units_and_a_source(model, name):
    ps = get_preset(name)
    ps.check(model)
    ureg = registry()
    for p in ps:
        assert p.source.strip(), f"{p.id} has no source"
        assert np.isfinite(p.value) and p.value >= 0, p.id
        convert(1.0, p.units, p.units, field=p.id)  # units parse
        if p.id.startswith("mechanism_"):
            assert p.value in (0.0, 1.0)
    assert ureg is registry()


@pytest.mark.parametrize("name", PRESETS)
def test_preset_solves_finite_non_negative_and_deterministic(model, name):
    sim = Simulation(name)
    a = sim.solve(days=60, n_patients=4, variability=True, seed=11)
    b = sim.solve(days=60, n_patients=4, variability=True, seed=11)
    assert (a.status == 0).all()
    assert np.isfinite(a.observables).all()
    assert (a.observables >= 0).all()
    assert (a.y_final >= 0).all()
    np.testing.assert_array_equal(a.observables, b.observables)


@pytest.mark.parametrize("name", PRESETS)
def test_priors_give_positive_bounded_values(model, name):
    ps = get_preset(name)
    z = np.linspace(-4, 4, 41)
    for p in ps.varied():
        v = p.prior.sample(p.value, z)
        assert (v > 0).all() and np.isfinite(v).all(), p.id
        if p.prior.kind == "logitnormal":
            assert (v < 1).all()
        assert np.all(np.diff(v) >= 0), "samples must increase with z (monotone transform)"


def test_unknown_preset_suggests_the_nearest():
    with pytest.raises(ConfigError, match="did you mean 'mouse_4t1'"):
        get_preset("mouse_4t")


def test_overrides_with_units_are_converted_once():
    ps = get_preset("mouse_4t1").updated(
        {"tumor_growth_rate": "0.02 1/hour", "tumor_site_volume": "0.002 cm^3"}
    )
    assert ps["tumor_growth_rate"].value == pytest.approx(0.48)
    assert ps["tumor_site_volume"].value == pytest.approx(2.0)
    assert ps["tumor_growth_rate"].source == "user override"


@pytest.mark.parametrize(
    "override, message",
    [
        ({"tumor_growth_rat": 0.3}, "did you mean 'tumor_growth_rate'"),
        ({"tumor_growth_rate": "0.3 mg"}, "compatible with '1/day'"),
        ({"tumor_growth_rate": "fast"}, "give a number"),
        ({"tumor_growth_rate": -1.0}, "non-negative"),
    ],
)
def test_bad_overrides_name_the_field_and_the_fix(override, message):
    with pytest.raises(ConfigError, match=message):
        get_preset("mouse_4t1").updated(override)

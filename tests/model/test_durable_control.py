"""Durable control after treatment stops: human memory persists for years (Hammarlund 2003), and a
responder stays in remission once the antibody is gone unless it carries a variant that kept too
little of the parental clone's recognition (patient-drawn in the melanoma preset)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tmesim.cohorts.population import sample_population
from tmesim.model import build_model
from tmesim.parameters import get_preset, list_presets
from tmesim.simulation import Simulation

NIVOLUMAB_2Y = "nivolumab 3 mg/kg q2w x52"


@pytest.mark.parametrize("info", list_presets(), ids=lambda i: i.name)
def test_human_memory_half_life_is_years(info):
    rate = get_preset(info.name).parameters["cd8_memory_death_rate"].value
    years = math.log(2) / rate / 365.25
    if info.species == "human":
        assert 8 <= years <= 15  # Hammarlund 2003: 8–15 years
    else:
        assert years < 8


def test_variant_recognition_is_drawn_per_patient():
    preset = get_preset("human_melanoma")
    _, table = sample_population(preset, build_model(), np.arange(300), seed=3)
    a = table["clone_1_antigenicity"].to_numpy()
    assert np.all((a > 0) & (a < 1))
    assert 0.2 < np.median(a) < 0.4
    assert np.quantile(a, 0.1) < 0.15 and np.quantile(a, 0.9) > 0.5  # partial to near-complete


def _cells_after_two_years_off_treatment(antigenicity: float) -> tuple[np.ndarray, np.ndarray]:
    sim = Simulation(
        "human_melanoma",
        regimen=NIVOLUMAB_2Y,
        parameters_override={"clone_1_antigenicity": antigenicity},
    )
    result = sim.solve(1460, save_every=30.0, n_patients=1, seed=1, variability=False)
    assert result.status[0] == 0
    return result.t, result.observable("tumor_cells")[0]


@pytest.mark.parametrize("antigenicity", [0.3, 0.6])
def test_a_responder_stays_clear_after_the_antibody_washes_out(antigenicity):
    t, cells = _cells_after_two_years_off_treatment(antigenicity)
    assert cells[0] > 1e7
    off = t >= 730 + 365  # a year after the last dose onward: no antibody left
    assert np.all(cells[off] < 1.0)


def test_a_strongly_antigen_low_variant_is_not_cleared():
    t, cells = _cells_after_two_years_off_treatment(0.05)
    assert cells[-1] > 1e3
    assert cells[t >= 730].max() > 10 * cells[t <= 730][1:].min()

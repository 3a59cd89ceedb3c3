"""The Simulation orchestrator and the cohort path: seeds, chunks, threads, failures, switches."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tmesim.cohorts.population import sample_population
from tmesim.errors import ConfigError
from tmesim.parameters import get_preset
from tmesim.simulation import Simulation, simulate
from tmesim.solvers import DoseSchedule

REGIMEN = "rmp1-14 200 ug biw x4 from day 7 + ipi-549 15 mg/kg qd x14 from day 7"


def test_same_seed_same_patients_whatever_threads_and_chunks():
    sim = Simulation("mouse_4t1", regimen=REGIMEN)
    whole = sim.solve(days=30, n_patients=6, seed=5, variability=True, n_threads=2)
    one_thread = sim.solve(days=30, n_patients=6, seed=5, variability=True, n_threads=1)
    np.testing.assert_array_equal(whole.observables, one_thread.observables)
    # patients 3..5 drawn alone are the same patients as in the whole cohort
    tail = sim.solve(days=30, n_patients=3, seed=5, variability=True, first_patient=3)
    np.testing.assert_array_equal(tail.observables, whole.observables[3:])
    other = sim.solve(days=30, n_patients=6, seed=6, variability=True)
    assert not np.array_equal(other.observables, whole.observables)


def test_patient_parameters_do_not_depend_on_the_arm(model):
    a = Simulation("mouse_4t1").solve(days=5, n_patients=3, seed=2, variability=True)
    b = Simulation("mouse_4t1", regimen=REGIMEN).solve(
        days=5, n_patients=3, seed=2, variability=True
    )
    varied = [c for c in a.patients.columns if c in get_preset("mouse_4t1").parameters]
    assert varied
    np.testing.assert_array_equal(a.patients[varied].to_numpy(), b.patients[varied].to_numpy())


def test_a_failing_patient_is_recorded_not_fatal(model):
    sim = Simulation("mouse_4t1")
    P, _ = sample_population(sim.parameters, model, np.arange(3), seed=0, variability=False)
    P[1, model.parameter_index("tumor_cell_density")] = (
        0.0  # volume becomes infinite: non-finite rates
    )
    Y0 = np.tile(sim.parameters.initial_state(model), (3, 1))
    sol = simulate(model, P, Y0, np.arange(0.0, 20.0), DoseSchedule.empty(3))
    assert sol.status[0] == 0 and sol.status[2] == 0
    assert sol.status[1] != 0
    assert "patient 1" in sol.messages()[1]
    assert np.isfinite(sol.observables[0]).all()


def test_mechanism_switches_are_checked():
    with pytest.raises(ConfigError, match="did you mean 'nk_missing_self'"):
        Simulation("mouse_4t1", mechanisms={"nk_mising_self": False})
    with pytest.raises(ConfigError, match="true or false"):
        Simulation("mouse_4t1", mechanisms={"nk_missing_self": "no"})


def test_unknown_drug_suggests_the_nearest():
    with pytest.raises(ConfigError, match="did you mean 'nivolumab'"):
        Simulation("human_melanoma", regimen="nivolumb 240 mg q2w x4")


def test_human_drug_cannot_be_given_to_a_mouse_clone_and_vice_versa():
    with pytest.raises(ConfigError):
        Simulation("human_melanoma", regimen="rmp1-14 200 ug biw x4")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    factors=st.lists(st.floats(0.3, 3.0), min_size=6, max_size=6),
    dose_day=st.floats(0.0, 20.0),
)
def test_states_stay_finite_and_non_negative(model, factors, dose_day):
    """Property: perturbing rates within a plausible range never breaks positivity or finiteness."""
    ids = [
        "tumor_growth_rate",
        "cd8_kill_rate",
        "tumor_myeloid_factor",
        "ccl2_secretion_tumor_cell",
        "nk_kill_rate",
        "cd8_priming_rate",
    ]
    sim = Simulation(
        "mouse_4t1",
        regimen=f"rmp1-14 200 ug biw x4 from day {dose_day:.2f} + ipi-549 15 mg/kg qd x7 from day {dose_day:.2f}",
    )
    ps = sim.parameters
    overrides = {pid: ps[pid].value * f for pid, f in zip(ids, factors, strict=True)}
    result = Simulation("mouse_4t1", regimen=sim.regimen_, parameters_override=overrides).solve(
        days=40, save_every=2
    )
    assert result.status[0] == 0
    assert np.isfinite(result.observables).all()
    assert (result.observables >= 0).all()
    assert (result.y_final >= 0).all()


def test_a_tumor_gone_before_treatment_is_redrawn_not_counted_as_eradicated():
    # examples/human_melanoma_nivo_ipi.yaml with a strongly immunogenic melanoma: grown untreated
    # from the inoculum for the preset's pretreatment days, some drawn patients reject their tumor
    # before day 0; they used to be counted as eradicated by the regimen.
    from pathlib import Path

    from tmesim.config.scenario import load_scenario
    from tmesim.solvers import SolverSettings

    example = Path(__file__).parents[1] / "examples" / "human_melanoma_nivo_ipi.yaml"
    s = load_scenario(example)
    sim = Simulation(
        s.preset,
        regimen=s.regimen,
        solver=SolverSettings(**s.solver),
        parameters_override={"tumor_antigen_breadth": 10.0},
    )
    result = sim.solve(days=14, save_every=7, n_patients=12, seed=s.seed, variability=True)
    p = result.patients
    cells_day0 = result.observable("tumor_cells")[:, 0]
    assert (p["attempts"] > 1).any()  # some first draws had no tumor left on day 0
    assert p["tumor_at_start"].all() and (cells_day0 >= 1.0).all()
    assert not (p["tumor_eradicated"] & ~p["tumor_at_start"]).any()
    # redraws come from each patient's own streams: a patient drawn alone is the same
    tail = sim.solve(
        days=14, save_every=7, n_patients=4, seed=s.seed, variability=True, first_patient=8
    )
    np.testing.assert_array_equal(tail.observables, result.observables[8:])
    np.testing.assert_array_equal(tail.patients["attempts"], p["attempts"].to_numpy()[8:])

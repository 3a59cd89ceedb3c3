"""Golden tests of the compiled QSP engine against independent references.

- The generated exact Jacobian against central finite differences of the right-hand side.
- The compiled right-hand side against the plain-Python one printed from the same expressions.
- The whole model over a year with repeated dosing against scipy's Radau at tight tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest

from tmesim.engines.qsp.compiled import compiled_kernel
from tmesim.engines.qsp.reference import python_functions, solve_reference
from tmesim.simulation import Simulation, simulate
from tmesim.solvers import SolverSettings


def _state_samples(model, n: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Realistic states (each preset 10 days into treatment, by the scipy reference), perturbed."""
    rng = np.random.default_rng(seed)
    out = []
    for preset, regimen in [
        ("mouse_4t1", "rmp1-14 200 ug biw x4 + ipi-549 15 mg/kg qd x10 + dapt 10 mg/kg qd x10"),
        (
            "human_melanoma",
            "nivolumab 1 mg/kg q3w x4 + ipilimumab 3 mg/kg q3w x4 + aldesleukin 600000 IU/kg q8h x3",
        ),
    ]:
        sim = Simulation(preset, regimen=regimen)
        p = sim.parameters.vector(model)
        schedule = sim.dose_schedule(1)
        doses = list(zip(schedule.t, schedule.state, schedule.amount, strict=True))
        t = np.array([-sim.parameters.pretreatment_days, 1.0])
        states, _ = solve_reference(
            model, p, sim.parameters.initial_state(model), t, doses, rtol=1e-6, atol=1e-6
        )
        for _ in range(n):
            y = states[-1] * np.exp(rng.normal(0, 0.3, size=states.shape[1]))
            zeros = y == 0
            y[zeros] = rng.uniform(0, 10, size=int(zeros.sum()))
            out.append((y, p))
    return out


def test_jacobian_matches_finite_differences(model):
    kernel = compiled_kernel(model)
    n = len(model.species)
    eps = np.finfo(float).eps
    for y, p in _state_samples(model, 3, seed=1):
        J = np.zeros((n, n))
        kernel.jac(0.0, y, p, J)
        for j in range(n):
            # At least 1e-6 of a unit: a state of 1e-5 cells would otherwise be perturbed by
            # 1e-11, and round-off in the large terms that cancel in f would swamp the difference.
            h = 1e-6 * max(abs(y[j]), 1.0)
            yp, ym = y.copy(), y.copy()
            yp[j] += h
            ym[j] -= h
            fp, fm = np.empty(n), np.empty(n)
            kernel.rhs(0.0, yp, p, fp)
            kernel.rhs(0.0, ym, p, fm)
            fd = (fp - fm) / (2 * h)
            # Central differences carry O(h²) truncation and eps·|f|/h round-off.
            allowed = (
                1e-4 * (np.abs(J[:, j]) + np.abs(fd))
                + 100 * eps * np.maximum(np.abs(fp), np.abs(fm)) / h
            )
            bad = np.abs(J[:, j] - fd) > allowed
            assert not bad.any(), (
                f"d {np.array(model.species_ids)[bad]} / d {model.species_ids[j]}: "
                f"exact {J[bad, j]}, finite difference {fd[bad]}"
            )


def test_compiled_rhs_equals_plain_python(model):
    kernel = compiled_kernel(model)
    rhs_py, _, obs_py = python_functions(model)
    n, k = len(model.species), len(model.observables)
    for y, p in _state_samples(model, 2, seed=2):
        a, b = np.empty(n), np.empty(n)
        kernel.rhs(0.0, y, p, a)
        rhs_py(0.0, y, p, b)
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-300)
        oa, ob = np.empty(k), np.empty(k)
        kernel.observe(0.0, y, p, oa)
        obs_py(0.0, y, p, ob)
        np.testing.assert_allclose(oa, ob, rtol=1e-12)


@pytest.mark.parametrize(
    "preset, regimen",
    [
        ("human_melanoma", "pembrolizumab 200 mg q3w x18"),
        (
            "mouse_4t1",
            "rmp1-14 200 ug biw x6 from day 7 + 9h10 100 ug q3d x3 from day 7 + ipi-549 15 mg/kg qd x21 from day 7",
        ),
    ],
)
def test_year_with_repeated_dosing_matches_scipy_radau(model, preset, regimen):
    """Relative difference in tumor burden <= 1e-4 over a year (SPEC: golden test vs Radau)."""
    tight = SolverSettings(rtol=1e-10, atol=1e-10, extinction_threshold=0.0, clip_negative=False)
    # A partly responding, never eradicated tumor: the comparison is of a live tumor under immune
    # pressure, not of two solvers' round-off near zero.
    sim = Simulation(
        preset, regimen=regimen, solver=tight, parameters_override={"tumor_antigen_breadth": 0.3}
    )
    t_save = np.arange(0.0, 366.0, 5.0)
    P = sim.parameters.vector(model)[None, :]
    y0 = sim.parameters.initial_state(model)[None, :]
    t0 = -sim.parameters.pretreatment_days
    schedule = sim.dose_schedule(1)
    ours = simulate(model, P, y0, t_save, schedule, t0=t0, settings=tight)
    assert ours.status[0] == 0
    doses = list(zip(schedule.t, schedule.state, schedule.amount, strict=True))
    _, ref = solve_reference(
        model, P[0], y0[0], t_save, doses, t0=t0, method="Radau", rtol=1e-10, atol=1e-10
    )
    k = model.observable_ids.index("tumor_cells")
    burden_ours, burden_ref = ours.observables[0, :, k], ref[:, k]
    assert burden_ref.min() > 1e3  # a live tumor throughout
    assert np.max(np.abs(burden_ours - burden_ref) / burden_ref) <= 1e-4
    # and every observable, with an absolute floor for those that pass through zero
    scale = np.abs(ref) + 1e-4 * np.abs(ref).max(axis=0) + 1e-9  # floors for values near zero
    assert np.max(np.abs(ours.observables[0] - ref) / scale) <= 1e-3

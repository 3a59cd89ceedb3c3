"""Agreement with scipy's Radau (an independent implicit Runge-Kutta code) on stiff problems."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy.integrate import solve_ivp
from solver_test_models import LINEAR, ROBERTSON, VAN_DER_POL, cohort, robertson, van_der_pol

from tmesim.solvers import SolverSettings, solve


def radau(rhs, jac, y0: list[float], t_save: NDArray[np.float64], atol: float) -> NDArray:
    ref = solve_ivp(
        rhs, (0.0, float(t_save[-1])), y0, method="Radau", rtol=1e-10, atol=atol,
        t_eval=t_save, jac=jac,
    )  # fmt: skip
    assert ref.success, ref.message
    return ref.y.T


@pytest.mark.parametrize("dense_output", [False, True])
def test_van_der_pol_stiff_matches_radau(kernel: ModuleType, dense_output: bool) -> None:
    mu = 1000.0
    t_save = np.linspace(0.0, 3000.0, 31)  # about two relaxation periods, four fast jumps

    def rhs(t: float, y: NDArray) -> list[float]:
        return [y[1], mu * (1.0 - y[0] ** 2) * y[1] - y[0]]

    def jac(t: float, y: NDArray) -> list[list[float]]:
        return [[0.0, 1.0], [-2.0 * mu * y[0] * y[1] - 1.0, mu * (1.0 - y[0] ** 2)]]

    ref = radau(rhs, jac, [2.0, 0.0], t_save, atol=1e-12)
    # The velocity is negative half of the time: no clipping for this test problem.
    settings = SolverSettings(
        rtol=1e-10, atol=1e-12, max_steps=10**6, clip_negative=False, dense_output=dense_output
    )
    sol = solve(kernel, *cohort([van_der_pol([2.0, 0.0], mu)]), 0.0, t_save, settings=settings)
    assert sol.status[0] == 0, sol.messages()
    np.testing.assert_allclose(sol.observables[0, :, VAN_DER_POL], ref, rtol=1e-4, atol=1e-8)
    # The other systems stay at rest.
    assert np.all(sol.observables[0, :, LINEAR] == 0.0)
    assert np.all(sol.observables[0, :, ROBERTSON] == 0.0)


def test_robertson_matches_radau(kernel: ModuleType) -> None:
    k1, k2, k3 = 0.04, 3e7, 1e4
    t_save = np.concatenate([[0.0], np.logspace(-5, 5, 21)])

    def rhs(t: float, y: NDArray) -> list[float]:
        return [
            -k1 * y[0] + k3 * y[1] * y[2],
            k1 * y[0] - k3 * y[1] * y[2] - k2 * y[1] ** 2,
            k2 * y[1] ** 2,
        ]

    # atol far below the intermediate species (1e-7 .. 4e-5), so both codes resolve it.
    atol = 1e-14
    ref = radau(rhs, None, [1.0, 0.0, 0.0], t_save, atol=atol)
    settings = SolverSettings(rtol=1e-10, atol=atol, max_steps=10**6)
    patient = robertson([1.0, 0.0, 0.0], [k1, k2, k3])
    sol = solve(kernel, *cohort([patient]), 0.0, t_save, settings=settings)
    assert sol.status[0] == 0, sol.messages()
    assert np.all(sol.observables[0, :, VAN_DER_POL] == 0.0)
    concentrations = sol.observables[0, :, ROBERTSON]
    # Relative accuracy is asked for where values are well above the absolute tolerance (1e5
    # atol); below that both codes are only accurate to about atol.
    np.testing.assert_allclose(concentrations, ref, rtol=1e-4, atol=1e5 * atol)
    # Mass is conserved by the equations, and a linear invariant by every Rosenbrock method.
    np.testing.assert_allclose(concentrations.sum(axis=1), 1.0, rtol=0, atol=1e-12)

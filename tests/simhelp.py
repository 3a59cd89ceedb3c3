"""A one-line way for tests to simulate a preset's nominal patient under a regimen."""

from __future__ import annotations

import numpy as np

from tmesim.simulation import Simulation, SimulationResult
from tmesim.solvers import SolverSettings


def run(
    preset: str,
    regimen: str | None = None,
    *,
    days: float = 60.0,
    overrides: dict | None = None,
    mechanisms: dict | None = None,
    save_every: float = 1.0,
    rtol: float = 1e-6,
) -> SimulationResult:
    """Simulate the preset's nominal patient."""
    sim = Simulation(
        preset,
        regimen=regimen,
        mechanisms=mechanisms or {},
        parameters_override=overrides or {},
        solver=SolverSettings(rtol=rtol, atol=1e-10 if rtol < 1e-7 else 1e-8),
    )
    result = sim.solve(days=days, save_every=save_every)
    assert result.status[0] == 0, result.patients["message"].iloc[0]
    return result


def final(result: SimulationResult, observable: str) -> float:
    return float(result.observable(observable)[0, -1])


def at(result: SimulationResult, observable: str, day: float) -> float:
    k = int(np.argmin(np.abs(result.t - day)))
    return float(result.observable(observable)[0, k])

"""A small inoculum meets the host's memory as a birth–death process: a memory-armed host rejects
a few tumor cells more often than a naive host does, and neither outcome is certain."""

from __future__ import annotations

import numpy as np

from tmesim.model import build_model
from tmesim.parameters import get_preset
from tmesim.simulation import simulate
from tmesim.solvers import SolverSettings


def tumor_free_share(memory_cells: float, n: int = 200, cells: float = 20.0) -> float:
    model = build_model()
    params = get_preset("mouse_b16_gmcsf")
    P = np.tile(params.vector(model), (n, 1))
    y0 = params.initial_state(model)
    y0[model.species_index("tumor_clone_0")] = cells
    y0[model.species_index("cd8_memory")] = memory_cells
    Y0 = np.tile(y0, (n, 1))
    t_save = np.array([0.0, 30.0])
    keys = np.arange(n, dtype=np.uint64) * 6151 + 7
    sol = simulate(model, P, Y0, t_save, None, settings=SolverSettings(), keys=keys)
    assert np.all(sol.status == 0)
    tumor = sol.observables[:, -1, model.observable_ids.index("tumor_cells")]
    return float(np.mean(tumor == 0.0))


def test_memory_armed_host_rejects_a_small_inoculum_more_often() -> None:
    naive = tumor_free_share(0.0)
    armed = tumor_free_share(1e5)
    n = 200
    se = np.sqrt(max(naive * (1 - naive), armed * (1 - armed), 1.0 / n) * 2 / n)
    assert armed - naive > 3 * se, (naive, armed)
    # A birth–death process, not a threshold: some naive hosts reject 20 cells by chance.
    assert 0.0 < naive < 1.0, naive

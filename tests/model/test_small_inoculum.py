"""A small inoculum meets the host's memory as a birth–death process: a memory-armed host rejects
a few tumor cells more often than a naive host does.

The test grows the tumor logistically, so that a cell's division rate is the preset's
proliferation rate; under the presets' Gompertz law the per-capita division rate r·ln(K/N) of 20
cells is ~1.7 /day (a doubling every ~10 hours), which no modelled immune pressure matches.
"""

from __future__ import annotations

import numpy as np

from tmesim.model import build_model
from tmesim.parameters import get_preset
from tmesim.simulation import simulate
from tmesim.solvers import SolverSettings


def tumor_free_share(memory_cells: float, n: int = 150, cells: float = 20.0) -> float:
    model = build_model()
    params = get_preset("mouse_4t1")
    P = np.tile(params.vector(model), (n, 1))
    P[:, model.parameter_index("tumor_growth_gompertz")] = 0.0
    y0 = params.initial_state(model)
    y0[model.species_index("tumor_clone_0")] = cells
    y0[model.species_index("cd8_memory")] = memory_cells
    t_save = np.array([0.0, 30.0])
    keys = np.arange(n, dtype=np.uint64) * 6151 + 7
    sol = simulate(
        model, P, np.tile(y0, (n, 1)), t_save, None, settings=SolverSettings(), keys=keys
    )
    assert np.all(sol.status == 0)
    tumor = sol.observables[:, -1, model.observable_ids.index("tumor_cells")]
    return float(np.mean(tumor == 0.0))


def test_memory_armed_host_rejects_a_small_inoculum_more_often() -> None:
    n = 150
    naive = tumor_free_share(0.0, n)
    armed = tumor_free_share(1e5, n)
    se = np.sqrt(max(naive * (1 - naive), armed * (1 - armed), 1.0 / n) * 2 / n)
    assert armed - naive > 3 * se, (naive, armed)
    # Not a threshold: with memory, some hosts still fail to reject the cells.
    assert armed < 1.0, armed

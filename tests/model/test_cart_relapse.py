"""CAR-T relapses both ways: CD19-dim blasts held by persisting CAR-T cells return as a
CD19-positive relapse once the CAR-T cells are gone, while CD19-negative blasts escape them."""

from __future__ import annotations

import numpy as np

from tmesim.simulation import Simulation

CART = "tisagenlecleucel 3e6 cells/kg once"
DAYS = 540


def _run(**overrides: float):
    sim = Simulation("human_b_all", regimen=CART, parameters_override=overrides)
    r = sim.solve(DAYS, save_every=2.0)
    assert (r.status == 0).all()
    return r


def _cells(r, name: str) -> np.ndarray:
    return r.observable(name)[0]


def test_loss_of_cart_persistence_lets_cd19_dim_blasts_return():
    base = {"clone_1_emergence_rate": 0.0, "clone_2_emergence_rate": 1e-5}
    held = _run(cart_persistence_loss_rate=0.0, **base)
    lost = _run(cart_persistence_loss_rate=0.1, **base)
    # Persisting CAR-T cells hold the CD19-dim blasts: no relapse.
    assert _cells(held, "cart_cells")[-1] > 0
    assert _cells(held, "tumor_cells")[-1] < 1e-6 * _cells(held, "tumor_cells")[0]
    # Without them, the last CAR-T cell is gone and CD19-positive disease grows back.
    assert _cells(lost, "cart_cells")[-1] == 0.0
    tumor = _cells(lost, "tumor_cells")
    assert tumor[-1] > 1e-2 * tumor[0]
    assert _cells(lost, "cd19_positive_cells")[-1] > 0.9 * tumor[-1]


def test_cd19_negative_blasts_relapse_under_persisting_cart():
    r = _run(cart_persistence_loss_rate=0.0, clone_1_emergence_rate=1e-6)
    tumor = _cells(r, "tumor_cells")
    assert _cells(r, "cart_cells")[-1] > 0
    assert tumor[-1] > 1e-2 * tumor[0]
    assert _cells(r, "cd19_positive_cells")[-1] < 0.1 * tumor[-1]

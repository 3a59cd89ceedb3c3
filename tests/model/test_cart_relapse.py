"""CAR-T relapses both ways: CD19-dim blasts return as a CD19-positive relapse once the CAR-T
cells are (nearly) gone, while CD19-negative blasts escape persisting CAR-T cells."""

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


def _at(r, name: str, day: float) -> float:
    return float(r.observable(name)[0, int(np.argmin(np.abs(r.t - day)))])


def test_loss_of_cart_persistence_brings_back_cd19_positive_disease():
    dim_only = {"clone_1_emergence_rate": 0.0, "clone_2_emergence_rate": 1e-4}
    held = _run(cart_persistence_loss_rate=0.0, **dim_only)
    lost = _run(cart_persistence_loss_rate=0.1, **dim_only)
    start = _at(held, "tumor_cells", 0.0)
    # Persisting CAR-T cells hold the CD19-dim blasts through day 240.
    assert _at(held, "cart_cells", 240) > 1e7
    assert _at(held, "tumor_cells", 240) < 1e-6 * start
    # When the CAR-T pool has all but vanished, CD19-positive disease is back by day 240.
    cart = lost.observable("cart_cells")[0]
    assert cart[(lost.t >= 100) & (lost.t <= 240)].min() < 100
    relapse = _at(lost, "tumor_cells", 240)
    assert relapse > 1e-2 * start
    assert _at(lost, "cd19_positive_cells", 240) > 0.9 * relapse


def test_cd19_negative_blasts_relapse_under_persisting_cart():
    r = _run(
        cart_persistence_loss_rate=0.0, clone_1_emergence_rate=1e-6, clone_2_emergence_rate=0.0
    )
    start, end = _at(r, "tumor_cells", 0.0), _at(r, "tumor_cells", DAYS)
    assert _at(r, "cart_cells", DAYS) > 0
    assert end > 1e-2 * start
    assert _at(r, "cd19_positive_cells", DAYS) < 0.1 * end

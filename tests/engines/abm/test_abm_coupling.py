"""Systemic coupling: drugs reach the tissue with the QSP engine's PK; cell bookkeeping holds."""

from __future__ import annotations

import numpy as np

from tmesim import Simulation
from tmesim.engines.abm import AbmSettings, Tissue
from tmesim.engines.abm.coupling import qsp_systemic
from tmesim.engines.abm.rules import S_CD8, S_IPI549, S_OCC_PD1, SYSTEMIC_NAMES

REGIMEN = "rmp1-14 200 ug biw x6 from day 7 + ipi-549 15 mg/kg qd x21 from day 7"


def test_drug_levels_in_the_tissue_follow_the_qsp_pharmacokinetics():
    sim = Simulation("mouse_4t1", regimen=REGIMEN)
    systemic = qsp_systemic(sim, start_day=5.0, days=6.0, every=0.5)
    before, after = systemic.at(6.5), systemic.at(10.0)
    assert before[S_IPI549] == 0.0 and before[S_OCC_PD1] == 0.0
    assert after[S_IPI549] > 0.3 and after[S_OCC_PD1] > 0.3
    # independent route: the ODE's own plasma observable and the drug's potency
    result = sim.solve(days=10.0, save_every=0.5)
    plasma = result.observable("ipi549_plasma")[0]
    ic50 = sim.parameters.value("ipi549_ic50")
    expected = plasma / (plasma + ic50)
    for day in (8.0, 9.5, 10.0):
        k = int(round(day / 0.5))
        assert np.isclose(systemic.at(day)[S_IPI549], expected[k], rtol=1e-6)
    assert len(SYSTEMIC_NAMES) == systemic.values.shape[1]
    assert np.all(systemic.values[:, S_CD8] >= 0)


def test_tumor_cells_are_accounted_for_by_their_events():
    settings = AbmSettings(
        dimension=2, grid=[40, 40], initial_tumor_cells=500, coupling="fixed", images=False,
        fixed={"cd8": 5e4, "nk": 2e4, "monocyte": 2e4, "mdsc": 2e4, "treg": 5e3},
    )  # fmt: skip
    tissue = Tissue("mouse_4t1", settings=settings, seed=11)
    tissue.advance(2.0)
    r = tissue.readouts()
    born = r["events_tumor_divisions"]
    gone = (
        r["events_tumor_killed_cd8"]
        + r["events_tumor_killed_nk"]
        + r["events_tumor_died_ifng_or_spontaneous"]
        + r["events_tumor_necrosis"]
    )
    assert r["events_tumor_killed_cd8"] > 0 and born > 0
    assert r["n_tumor"] == 500 + born - gone


def test_every_systemic_channel_is_the_qsp_models_own_observable():
    """The tissue's inputs are the QSP model's observables of the same names, read from one
    integration: equal (up to solver tolerance) to those of an independent `Simulation.solve`."""
    sim = Simulation("mouse_4t1", regimen=REGIMEN)
    systemic = qsp_systemic(sim, start_day=0.0, days=12.0, every=1.0)
    result = sim.solve(days=12.0, save_every=1.0)
    for k, name in enumerate(SYSTEMIC_NAMES):
        expected = result.observable(name)[0]
        got = np.array([systemic.at(float(d))[k] for d in range(13)])
        assert np.allclose(got, expected, rtol=1e-4, atol=1e-9), name

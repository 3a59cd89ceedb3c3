"""The exported SBML is valid and libroadrunner integrates it to tmesim's own trajectories."""

from __future__ import annotations

import numpy as np
import pytest

libsbml = pytest.importorskip("libsbml")
roadrunner = pytest.importorskip("roadrunner")

from tmesim.interop.sbml_export import export_sbml, observable_id  # noqa: E402
from tmesim.parameters.presets import list_presets  # noqa: E402
from tmesim.simulation import Simulation  # noqa: E402
from tmesim.solvers import SolverSettings  # noqa: E402

MOUSE = (
    "anti-pd-1 200 ug biw x6 from day 7",
    "eganelisib 15 mg/kg qd x21 + 9h10 100 ug q3d x3 + cancer vaccine 100 ug qw x2 from day 3",
)
HUMAN = (
    "nivolumab 1 mg/kg q3w x4 + ipilimumab 3 mg/kg q3w x4",
    "aldesleukin 600000 IU/kg q8h x14 + pembrolizumab 200 mg q3w x4 from day 7",
)
B_ALL = ("tisagenlecleucel 3e6 cells/kg once", "untreated")
RTOL = 1e-4
"""Agreement asked of every observable at every save time: relative to its size, with a floor of
1e-6 of its largest value and of ABS_FLOOR (both solvers at rtol 1e-9, where their own error is
far smaller)."""
ABS_FLOOR = 1e-8
"""Values this small (in the observable's units) count as zero: tmesim sets states that come out
slightly negative to 0 where CVODE leaves them at about -1e-18."""


def _regimens(preset: str) -> tuple[str, ...]:
    if preset == "human_b_all":
        return B_ALL
    return HUMAN if preset.startswith("human") else MOUSE


def _days(preset: str) -> float:
    return 42.0 if preset.startswith("mouse") else 120.0


@pytest.mark.slow
@pytest.mark.parametrize("preset", [p.name for p in list_presets()])
def test_roadrunner_matches_tmesim(preset: str) -> None:
    days = _days(preset)
    for regimen in _regimens(preset):
        text = export_sbml(preset, regimen, days=days)
        # The plain ODE on both sides: tmesim's rule for populations under one cell switched off.
        settings = SolverSettings(
            rtol=1e-9, atol=1e-12, extinction_threshold=0.0, stochastic_threshold=0.0
        )
        sim = Simulation(preset, regimen=regimen, solver=settings)
        ours = sim.solve(days, save_every=7.0)
        assert ours.status[0] == 0
        rr = roadrunner.RoadRunner(text)
        rr.integrator.relative_tolerance = 1e-9
        rr.integrator.absolute_tolerance = 1e-12
        rr.integrator.maximum_num_steps = 100_000
        offset = sim.parameters.pretreatment_days
        ids = [observable_id(sim.model, o) for o in sim.model.observable_ids]
        times = np.concatenate([[0.0], offset + ours.t]) if offset > 0 else ours.t
        out = np.asarray(rr.simulate(times=list(times), selections=ids))[-len(ours.t) :]
        theirs = out
        mine = ours.observables[0]
        scale = np.abs(mine) + 1e-6 * np.abs(mine).max(axis=0) + ABS_FLOOR
        err = np.abs(theirs - mine) / scale
        worst = np.unravel_index(np.argmax(err), err.shape)
        assert err.max() < RTOL, (
            f"{preset}, {regimen}: {sim.model.observable_ids[worst[1]]} on day "
            f"{ours.t[worst[0]]:g}: roadrunner {theirs[worst]:.6g} vs tmesim {mine[worst]:.6g}"
        )


def test_export_is_valid_sbml_with_units_sources_and_events() -> None:
    text = export_sbml("mouse_mc38", MOUSE[0], days=42)
    doc = libsbml.readSBMLFromString(text)
    assert (doc.getLevel(), doc.getVersion()) == (3, 2)
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, False)
    doc.checkConsistency()
    log = doc.getErrorLog()
    severe = [log.getError(i) for i in range(log.getNumErrors())]
    assert not [e for e in severe if e.getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
    m = doc.getModel()
    rate = m.getParameter("tumor_growth_rate")
    ud = m.getUnitDefinition(rate.getUnits())
    assert ud.getName() == "1/day"
    kinds = {libsbml.UnitKind_toString(u.getKind()): u.getExponent() for u in ud.getListOfUnits()}
    assert kinds["second"] == -1.0
    assert "source=" in rate.getAnnotationString()
    # six doses of anti-PD-1, each an event adding to the drug's input state
    assert m.getNumEvents() == 6
    target = m.getEvent(0).getEventAssignment(0).getVariable()
    assert target.startswith("anti_pd1")


def test_units_are_converted_to_sbml_base_units() -> None:
    text = export_sbml("mouse_mc38", None, days=7)
    m = libsbml.readSBMLFromString(text).getModel()
    ud = m.getUnitDefinition("u_nM")
    units = {libsbml.UnitKind_toString(u.getKind()): u for u in ud.getListOfUnits()}
    assert units["mole"].getExponent() == 1.0 and units["metre"].getExponent() == -3.0
    assert units["dimensionless"].getMultiplier() == pytest.approx(1e-6)

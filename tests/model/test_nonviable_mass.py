"""Mechanism tests for the lesion's non-viable mass: dead tumor cells leave necrosis and scar that
calipers and CT still measure, resorbed at `nonviable_clearance_rate`."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simhelp import run
from tmesim.simulation import Simulation, simulate
from tmesim.trials.endpoints import measured_diameters_mm

KILLED_CELLS = 1e8
"""Tumor cells at day 0 of the killed lesion (1,000 mm³ at 1e5 cells/mm³)."""
DETECTION_MM = 3.0


def _killed_lesion(days: float, overrides: dict | None = None) -> tuple[np.ndarray, dict]:
    """A mouse lesion of `KILLED_CELLS` cells that stop dividing and die at 3/day: every tumor
    cell is gone within about a week. Returns (days, observables by name) of the one mouse."""
    values = {"tumor_growth_rate": 0.0, "tumor_death_rate": 3.0, **(overrides or {})}
    sim = Simulation("mouse_4t1", parameters_override=values)
    model = sim.model
    y0 = sim.parameters.initial_state(model)
    y0[model.species_index("tumor_clone_0")] = KILLED_CELLS
    t = np.arange(0.0, days + 1e-9, 1.0)
    sol = simulate(
        model, sim.parameters.vector(model)[None, :], y0[None, :], t, sim.dose_schedule(1)
    )
    assert sol.status[0] == 0
    obs = {o: sol.observables[0, :, k] for k, o in enumerate(model.observable_ids)}
    return t, obs


def test_a_killed_lesion_still_measures_and_its_mass_decays_at_the_clearance_rate():
    """Once every tumor cell is dead, the lesion still has a volume (its necrosis and scar), which
    shrinks exponentially at the clearance rate: a pathological complete response that radiology
    reads as a residual mass."""
    sim = Simulation("mouse_4t1")
    k = sim.parameters["nonviable_clearance_rate"].value
    residue = sim.parameters["nonviable_residue_fraction"].value
    density = sim.parameters["tumor_cell_density"].value
    t, obs = _killed_lesion(75)
    d15, d75 = 15, 75
    assert obs["tumor_cells"][d15] == 0.0
    mass = obs["nonviable_volume"]
    # Every dead cell left `residue` of its volume, partly resorbed while the lesion was dying.
    assert residue * KILLED_CELLS / density * math.exp(-k * d15) < mass[d15]
    assert mass[d15] < residue * KILLED_CELLS / density
    assert obs["tumor_volume"][d15] >= mass[d15]
    assert mass[d75] / mass[d15] == pytest.approx(math.exp(-k * (d75 - d15)), rel=1e-4)
    assert measured_diameters_mm(obs["tumor_volume"][d15], DETECTION_MM) > DETECTION_MM


def test_with_very_fast_clearance_radiology_sees_only_living_cells():
    """With clearance far faster than killing, nothing dead stays behind: the measured lesion is
    its living cells, and it disappears from imaging no later than with a slow clearance."""
    _, slow = _killed_lesion(40)
    _, fast = _killed_lesion(40, {"nonviable_clearance_rate": 200.0})
    assert np.all(fast["nonviable_volume"][10:] < 1e-3 * slow["nonviable_volume"][10:])
    np.testing.assert_allclose(
        fast["tumor_volume"][10:], fast["lesion_cell_volume"][10:], rtol=1e-3
    )
    seen_fast = measured_diameters_mm(fast["tumor_volume"], DETECTION_MM) > 0
    seen_slow = measured_diameters_mm(slow["tumor_volume"], DETECTION_MM) > 0
    assert seen_fast.sum() < seen_slow.sum()
    assert not np.any(seen_fast & ~seen_slow)


def test_untreated_growth_carries_a_minor_nonviable_share():
    """A growing untreated lesion holds some necrosis, but most of its volume is living cells."""
    result = run("human_melanoma", days=60, save_every=10.0)
    share = result.observable("nonviable_volume")[0] / result.observable("tumor_volume")[0]
    assert np.all(np.isfinite(share))
    assert np.all((share > 0.0) & (share < 0.5))


def test_nonviable_mass_is_finite_and_non_negative_across_patients():
    """Varied patients under checkpoint blockade: the non-viable mass stays finite and ≥ 0 and
    never exceeds the measured volume."""
    sim = Simulation("human_melanoma", regimen="nivolumab 3 mg/kg q2w x10")
    result = sim.solve(120, save_every=10.0, n_patients=12, seed=5, variability=True)
    ok = result.status == 0
    assert ok.sum() >= 10
    mass = result.observable("nonviable_volume")[ok]
    volume = result.observable("tumor_volume")[ok]
    assert np.all(np.isfinite(mass)) and np.all(mass >= 0.0)
    assert np.all(mass <= volume * (1 + 1e-9))


def test_a_persistent_scar_stays_while_the_rest_of_the_residue_decays_analytically():
    """With a scar share s, the killed lesion's non-viable mass splits in two: s of every dead
    cell's residue stays for good, the rest decays at the clearance rate (golden: the analytic
    exponential once the cells are gone), so the lesion never disappears from imaging."""
    sim = Simulation("mouse_4t1")
    k = sim.parameters["nonviable_clearance_rate"].value
    share = 0.16
    _, plain = _killed_lesion(400)
    t, scarred = _killed_lesion(400, {"nonviable_scar_fraction": share})
    d15, d400 = 15, 400
    mass = scarred["nonviable_volume"]
    scar = mass[d15:] - plain["nonviable_volume"][d15:] * (1 - share)
    # The persistent part is constant once no cell dies any more.
    assert np.ptp(scar) <= 1e-6 * scar[0]
    resorbing = mass - scar[0]
    assert resorbing[d400] / resorbing[d15] == pytest.approx(math.exp(-k * (d400 - d15)), rel=1e-4)
    # Every dead cell left `residue` of its volume and s of that stays: 0.16 × 0.2 × 1,000 mm³.
    residue = sim.parameters["nonviable_residue_fraction"].value
    density = sim.parameters["tumor_cell_density"].value
    assert scar[0] == pytest.approx(share * residue * KILLED_CELLS / density, rel=1e-3)
    seen = measured_diameters_mm(scarred["tumor_volume"][d15:], DETECTION_MM)
    assert np.all(seen > 0.0)
    gone = measured_diameters_mm(plain["tumor_volume"][d15:], DETECTION_MM) == 0.0
    assert gone[-1], "without the scar the same lesion does disappear"

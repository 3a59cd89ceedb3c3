"""Human anti-CTLA-4 acts through CD28 co-stimulation in the lymph node, not through Fc-mediated
depletion of intratumoral Tregs (Sharma 2019 Clin Cancer Res 25:1233); mouse anti-CTLA-4 keeps its
depletion (Simpson 2013, Selby 2013)."""

from __future__ import annotations

import numpy as np
import pytest

from tmesim.parameters import get_preset, list_presets
from tmesim.simulation import Simulation

IPI = "ipilimumab 3 mg/kg q3w x4"


@pytest.mark.parametrize("info", list_presets(), ids=lambda i: i.name)
def test_depletion_follows_the_species_evidence(info):
    p = get_preset(info.name).parameters["anti_ctla4_treg_depletion_rate"]
    if info.species == "human":
        assert p.value == 0.0
        assert "Sharma" in p.source
    else:
        assert p.value > 0.0


def _nominal(regimen: str | None, days: float = 63.0):
    sim = Simulation("human_melanoma", regimen=regimen)
    result = sim.solve(days, save_every=7.0, n_patients=1, seed=1, variability=False)
    assert result.status[0] == 0
    return result


def test_ipilimumab_frees_b7_and_expands_primed_cd8_without_depleting_tumor_tregs():
    untreated, treated = _nominal(None), _nominal(IPI)
    costim_0 = untreated.observable("costimulation")[0]
    costim_1 = treated.observable("costimulation")[0]
    # Untreated: CTLA-4 on Tregs and activated T cells keeps co-stimulation well below its maximum.
    assert 0.3 < costim_0[0] < 0.9
    # Blockade in the node frees B7: co-stimulation rises while the antibody is there.
    assert costim_1[3:].min() > costim_0[3:].max() + 0.1
    assert costim_1.max() <= 1.0 + 1e-9
    # More primed CD8 T cells reach the tumor (effector density up) ...
    cd8_0 = untreated.observable("cd8_effector_tumor")[0, -1]
    cd8_1 = treated.observable("cd8_effector_tumor")[0, -1]
    assert cd8_1 > 1.5 * cd8_0
    # ... and the tumor's Tregs are not removed by the antibody: Tregs per tumor cell do not fall
    # below the untreated lesion's as they would under Fc-mediated depletion.
    treg_per_cell = [
        r.observable("treg_tumor")[0] / np.maximum(r.observable("tumor_cells")[0], 1.0)
        for r in (untreated, treated)
    ]
    assert treg_per_cell[1][4] >= 0.5 * treg_per_cell[0][4]

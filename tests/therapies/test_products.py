"""Every product of the catalog states its source; the antigen-presenting-cell vaccine acts
through the model's priming of T cells."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from tmesim.cli import app
from tmesim.simulation import Simulation
from tmesim.therapies import list_drugs
from tmesim.therapies.dosing import Subject, dose_events
from tmesim.therapies.drugs import get_drug


@pytest.mark.parametrize("drug", list_drugs(), ids=lambda d: d.id)
def test_every_product_states_its_source(drug):
    assert len(drug.source) >= 10


def test_tmesim_drugs_shows_each_source():
    result = CliRunner().invoke(app, ["drugs"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    assert "Source" in result.output
    for name in ("Provenge label", "Yescarta label", "Kymriah label"):
        assert name in result.output


def test_sipuleucel_t_doses_in_cells_carry_their_antigen_into_the_vaccine_state():
    drug = get_drug("provenge")
    events = dose_events("sipuleucel-t 5e7 cells q2w x3", Subject(species="human"))
    assert [e.time_day for e in events] == [0.0, 14.0, 28.0]
    assert {e.state_id for e in events} == {"vaccine_depot"}
    assert events[0].amount == pytest.approx(5e7 * drug.antigen_ug_per_cell)


def _cd8_density(**extra) -> np.ndarray:
    result = Simulation("human_prostate", **extra).solve(days=60, n_patients=1, seed=1)
    return result.observable("cd8_tumor_density")[0]


def test_sipuleucel_t_acts_through_dendritic_cell_priming_only():
    regimen = "sipuleucel-t 5e7 cells q2w x3"
    control = _cd8_density()
    treated = _cd8_density(regimen=regimen)
    assert treated[-1] > 1.1 * control[-1]  # more tumor-specific CD8 T cells reach the tumor
    # Without lymph-node DC loading by the vaccine, the infusions do nothing.
    blocked = _cd8_density(regimen=regimen, parameters_override={"vaccine_dc_loading_rate": 0.0})
    np.testing.assert_allclose(blocked, control, rtol=1e-6)


@pytest.mark.parametrize(("weight", "expected"), [(60.0, 1.2e8), (100.0, 2e8), (130.0, 2e8)])
def test_axicabtagene_ciloleucel_is_dosed_per_kg_up_to_the_label_maximum(weight, expected):
    subject = Subject(species="human", body_weight_kg=weight)
    events = dose_events("axicabtagene ciloleucel 2e6 cells/kg once", subject)
    assert [e.state_id for e in events] == ["cart_blood"]
    assert events[0].amount == pytest.approx(expected)

"""Lesion-to-lesion radiology: each lesion's regression bed and whether it is a lymph node, drawn
from the patient's own stream."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tmesim.cohorts.baseline import vary_lesion_residue
from tmesim.model import build_model
from tmesim.model.lesions import LESION_RESIDUE, lesion_model
from tmesim.trials.clinical import lesion_measurements, lesion_radiology
from tmesim.trials.recist import targets_resolved

IDS = np.arange(400)


def test_radiology_draws_are_deterministic_by_seed_and_patient():
    a = lesion_radiology(7, IDS, 3, 0.25)
    b = lesion_radiology(7, IDS, 3, 0.25)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    # A patient's draws do not depend on who else is drawn, or in what order.
    picked = IDS[::-1][:50]
    z, u_scar, u_node, share = lesion_radiology(7, picked, 3, 0.25)
    np.testing.assert_array_equal(a[0][:, picked], z)
    np.testing.assert_array_equal(a[1][:, picked], u_scar)
    np.testing.assert_array_equal(a[2][:, picked], u_node)
    np.testing.assert_array_equal(a[3][picked], share)
    other = lesion_radiology(8, IDS, 3, 0.25)
    assert not np.allclose(a[0], other[0])
    # A screened replacement candidate draws afresh.
    again = lesion_radiology(7, IDS, 3, 0.25, screenings=1)
    assert not np.allclose(a[0], again[0])


def test_patient_nodal_shares_have_the_configured_mean_and_differ_between_patients():
    share = lesion_radiology(3, np.arange(2000), 1, 0.25)[3]
    assert share.mean() == pytest.approx(0.25, abs=0.02)
    assert share.std() > 0.15
    assert np.all(lesion_radiology(3, IDS, 1, 0.0)[3] == 0.0)


def test_residue_draws_have_the_configured_spread_and_scar_share():
    model = build_model()
    z, u_scar, _, _ = lesion_radiology(11, np.arange(4000), 1, 0.25)
    P = np.tile(np.ones(len(model.parameters)) * 0.2, (4000, 1))
    Q = vary_lesion_residue(
        P,
        model,
        z[0],
        u_scar[0],
        residue_cv=0.5,
        clearance_cv=1.0,
        scar_probability=0.3,
        scar_fraction=0.16,
    )
    residue, clearance, scar = (Q[:, model.parameter_index(p)] for p in LESION_RESIDUE)
    log_sd = math.sqrt(math.log1p(1.0))
    assert np.std(np.log(clearance / 0.2)) == pytest.approx(log_sd, rel=0.05)
    assert np.median(residue) == pytest.approx(0.2, rel=0.05)
    assert np.all(residue <= 1.0)
    assert set(np.unique(scar)) == {0.0, 0.16}
    assert np.mean(scar > 0) == pytest.approx(0.3, abs=0.03)
    # Only the regression bed moves.
    others = [i for i, p in enumerate(model.parameters) if p.id not in LESION_RESIDUE]
    np.testing.assert_array_equal(Q[:, others], P[:, others])


def test_residue_parameters_are_local_to_each_lesion():
    joint = lesion_model(build_model(), 2)
    for pid in LESION_RESIDUE:
        assert f"{pid}__lesion_1" in joint.parameter_ids


def test_a_scarred_lesion_never_reads_as_gone_but_a_normal_node_does():
    """Measurements of a lesion that leaves a 40 mm³ scar (never resorbed) and of a node whose
    metastasis is gone: the first is always seen (no CR), the second is back under 10 mm."""
    days = np.arange(0.0, 2000.0, 7.0)
    scarred = 4000.0 * np.exp(-days / 30.0) + 40.0 * (1 - np.exp(-days / 10.0))
    node = 4000.0 * np.exp(-days / 30.0)
    d = np.stack(
        [
            lesion_measurements(scarred[None, :], np.array([False]), 3.0, 6.0)[0],
            lesion_measurements(node[None, :], np.array([True]), 3.0, 6.0)[0],
        ]
    )
    gone = targets_resolved(d, np.array([[False], [True]]))
    assert np.all(d[0, 1:] >= 3.0)
    assert not gone.any()
    assert np.all(d[1] > 0.0) and d[1, -1] == pytest.approx(6.0, abs=0.01)
    alone = targets_resolved(d[1:], np.array([[True]]))
    assert alone[-1] and not alone[0]

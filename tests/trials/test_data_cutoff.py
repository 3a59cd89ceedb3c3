"""Endpoints read at a data cutoff after staggered accrual (TrialScenario.data_cutoff)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from studyhelp import clinical_trial, mouse_study

from tmesim.config.trial import DataCutoff
from tmesim.errors import ConfigError
from tmesim.trials.clinical import analysis_follow_up_days
from tmesim.trials.runner import run_study

CUTOFF = {"accrual_days": 100, "cutoff_day": 160}


def test_without_a_cutoff_every_patient_is_followed_for_the_whole_study():
    s = clinical_trial()
    np.testing.assert_array_equal(analysis_follow_up_days(s, np.arange(5)), s.follow_up_days)


def test_follow_up_at_the_cutoff_spans_the_accrual_and_is_per_patient():
    s = clinical_trial(data_cutoff=CUTOFF)
    f = analysis_follow_up_days(s, np.arange(400))
    assert f.min() >= 60 and f.max() <= 160  # cutoff minus the last and the first enrollment
    assert f.max() - f.min() > 90  # the whole accrual is used
    assert abs(np.median(f) - 110) < 10  # uniform accrual: median follow-up cutoff - accrual/2
    np.testing.assert_array_equal(f, analysis_follow_up_days(s, np.arange(400)))
    other_seed = clinical_trial(data_cutoff=CUTOFF, seed=6)
    assert not np.array_equal(f, analysis_follow_up_days(other_seed, np.arange(400)))


def test_follow_up_never_exceeds_the_study_follow_up():
    s = clinical_trial(data_cutoff={"accrual_days": 30, "cutoff_day": 2000})
    np.testing.assert_array_equal(analysis_follow_up_days(s, np.arange(20)), s.follow_up_days)


@pytest.mark.parametrize(
    ("cutoff", "words"),
    [
        ({"accrual_days": 200, "cutoff_day": 150}, "after the last enrollment"),
        ({"accrual_days": 200, "cutoff_day": 200}, "after the last enrollment"),
        ({"accrual_days": -1, "cutoff_day": 150}, "greater than or equal to 0"),
        ({"accrual_days": 10}, "required"),
    ],
)
def test_bad_cutoffs_are_rejected_naming_the_field(cutoff, words):
    with pytest.raises(ConfigError) as err:
        clinical_trial(data_cutoff=cutoff)
    assert "data_cutoff" in str(err.value)
    assert words in str(err.value)


def test_a_mouse_study_has_no_data_cutoff():
    with pytest.raises(ConfigError) as err:
        mouse_study(kind="mouse_study", data_cutoff=CUTOFF)
    assert "data_cutoff" in str(err.value)


def test_minimum_follow_up_is_the_cutoff_after_the_last_enrollment():
    assert DataCutoff(accrual_days=271, cutoff_day=545).minimum_follow_up_days == 274


def _tables(path):
    return pd.read_parquet(path / "patients.parquet"), pd.read_parquet(path / "visits.parquet")


def test_the_cutoff_hides_what_happens_after_it_and_nothing_before(tmp_path):
    full = clinical_trial()
    cut = clinical_trial(data_cutoff=CUTOFF)
    run_study(full, tmp_path / "full", progress=False, report=False, n_threads=1)
    run_study(cut, tmp_path / "cut", progress=False, report=False, n_threads=1)
    p_full, v_full = _tables(tmp_path / "full")
    p_cut, v_cut = _tables(tmp_path / "cut")
    assert len(p_full) == len(p_cut)
    horizon = pd.Series(
        analysis_follow_up_days(cut, p_cut["patient_id"].to_numpy()), index=p_cut.index
    )
    # Scans: exactly the scans of the full study up to each patient's follow-up.
    key = ["arm", "patient_id"]
    merged = v_full.merge(
        p_cut[key].assign(horizon=horizon.to_numpy()), on=key, how="left", validate="m:1"
    )
    expected = merged[merged["day"] <= merged["horizon"]].drop(columns="horizon")
    pd.testing.assert_frame_equal(
        v_cut.sort_values([*key, "day"]).reset_index(drop=True),
        expected.sort_values([*key, "day"]).reset_index(drop=True),
    )
    assert len(v_cut) < len(v_full)  # some scans fall after the cutoff
    # Times to event are censored at the follow-up; events before it are kept.
    for col in ("os", "pfs"):
        day = p_cut[f"{col}_day"].to_numpy(dtype=float)
        assert np.all(day <= horizon.to_numpy() + 1e-9)
        event = p_cut[f"{col}_event"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        full_event = p_full[f"{col}_event"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        full_day = p_full[f"{col}_day"].to_numpy(dtype=float)
        seen = full_event & (full_day <= horizon.to_numpy())
        np.testing.assert_array_equal(event, seen)
        np.testing.assert_allclose(day[event], full_day[event])
    assert p_full["os_event"].sum() >= p_cut["os_event"].sum()

"""Scheduled scans with a protocol visit window (visits.window_days)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from studyhelp import clinical_trial

from tmesim.config.trial import Visits
from tmesim.errors import ConfigError
from tmesim.trials.clinical import scheduled_visit_days, visit_days
from tmesim.trials.runner import run_study


def test_window_zero_gives_the_scheduled_days():
    v = Visits(every_days=42, first_day=84)
    assert v.window_days == 0
    expected = np.arange(84.0, 1095.0 + 1e-9, 42.0)  # the schedule as it always was
    np.testing.assert_array_equal(scheduled_visit_days(v, 1095), expected)
    for patient in range(5):
        np.testing.assert_array_equal(visit_days(v, 1095, seed=3, patient_id=patient), expected)


def test_windowed_days_lie_in_the_window_and_are_whole_day_offsets():
    v = Visits(every_days=42, first_day=84, window_days=7)
    scheduled = scheduled_visit_days(v, 1095)
    offsets = []
    for patient in range(200):
        days = visit_days(v, 1095, seed=3, patient_id=patient)
        kept = scheduled[: len(days)]
        assert np.all(np.abs(days - kept) <= 7)
        assert np.all(np.diff(np.concatenate([[0.0], days])) > 0)  # ordered, after baseline
        offsets.append(days - kept)
    every = np.concatenate(offsets)
    assert np.array_equal(every, np.round(every))
    assert every.min() == -7 and every.max() == 7  # the whole window is used
    assert abs(every.mean()) < 0.5  # centred on the scheduled day


def test_windowed_days_are_reproducible_and_differ_between_patients():
    v = Visits(every_days=42, first_day=84, window_days=7)
    a = visit_days(v, 700, seed=11, patient_id=4)
    np.testing.assert_array_equal(a, visit_days(v, 700, seed=11, patient_id=4))
    assert not np.array_equal(a, visit_days(v, 700, seed=11, patient_id=5))
    assert not np.array_equal(a, visit_days(v, 700, seed=12, patient_id=4))
    # A longer follow-up adds scans without moving the earlier ones.
    longer = visit_days(v, 1400, seed=11, patient_id=4)
    np.testing.assert_array_equal(longer[: len(a) - 1], a[:-1])


def test_a_scan_pushed_past_follow_up_is_dropped():
    v = Visits(every_days=42, first_day=42, window_days=10)
    for patient in range(50):
        assert visit_days(v, 126, seed=1, patient_id=patient).max() <= 126


@pytest.mark.parametrize(
    ("visits", "words"),
    [
        ({"every_days": 42, "window_days": -1}, "greater than or equal to 0"),
        ({"every_days": 42, "window_days": 21}, "half the scan interval"),
        ({"every_days": 42, "window_days": 30}, "half the scan interval"),
        ({"every_days": 56, "first_day": 14, "window_days": 14}, "first scan"),
    ],
)
def test_bad_windows_are_rejected_naming_the_field(visits, words):
    with pytest.raises(ConfigError) as err:
        clinical_trial(visits=visits)
    assert "visits.window_days" in str(err.value)
    assert words in str(err.value)


def test_a_window_just_below_half_the_interval_is_accepted():
    assert clinical_trial(visits={"every_days": 42, "window_days": 20.5}).visits.window_days == 20.5


def _tables(path):
    return pd.read_parquet(path / "patients.parquet"), pd.read_parquet(path / "visits.parquet")


def test_trial_visits_follow_the_window_and_do_not_depend_on_threads(tmp_path):
    visits = {"every_days": 42, "first_day": 42, "window_days": 7}
    s = clinical_trial(visits=visits)
    run_study(s, tmp_path / "one", progress=False, report=False, n_threads=1)
    run_study(s, tmp_path / "two", progress=False, report=False, n_threads=2)
    p1, v1 = _tables(tmp_path / "one")
    p2, v2 = _tables(tmp_path / "two")
    pd.testing.assert_frame_equal(p1, p2)
    pd.testing.assert_frame_equal(v1, v2)

    scans = v1[v1["day"] > 0]
    assert len(scans) > 0
    for (_, pid), g in scans.groupby(["arm", "patient_id"]):
        expected = visit_days(Visits(**visits), s.follow_up_days, s.seed, int(pid))
        np.testing.assert_array_equal(np.sort(g["day"].to_numpy()), expected[: len(g)])
    # Distinct patients are scanned on distinct days; the same patient on the same days in
    # every arm (its own visit stream).
    first_scan = scans.sort_values("day").groupby(["arm", "patient_id"])["day"].first()
    assert first_scan.loc["ipilimumab"].nunique() > 1
    pd.testing.assert_series_equal(
        first_scan.loc["ipilimumab"], first_scan.loc["nivolumab"], check_names=False
    )
    # Progression is recorded on the actual scan day.
    progressed = p1[p1["progression_day"].notna()]
    for _, row in progressed.iterrows():
        days = v1[(v1["arm"] == row["arm"]) & (v1["patient_id"] == row["patient_id"])]["day"]
        assert row["progression_day"] in set(days)


def test_window_zero_trial_keeps_the_scheduled_visit_days(tmp_path):
    s = clinical_trial()
    run_study(s, tmp_path, progress=False, report=False, n_threads=1)
    _, v = _tables(tmp_path)
    allowed = set(np.concatenate([[0.0], scheduled_visit_days(s.visits, s.follow_up_days)]))
    assert set(v["day"]) <= allowed
    assert set(v["day"]) == allowed  # every scheduled scan is taken by some patient


def test_adding_an_arm_changes_no_other_arm(tmp_path):
    visits = {"every_days": 42, "first_day": 42, "window_days": 7}
    one_arm = clinical_trial(
        visits=visits, arms=[{"name": "ipilimumab", "regimen": "ipilimumab 3 mg/kg q3w x4"}]
    )
    run_study(one_arm, tmp_path / "one", progress=False, report=False, n_threads=1)
    run_study(
        clinical_trial(visits=visits), tmp_path / "two", progress=False, report=False, n_threads=1
    )
    p1, v1 = _tables(tmp_path / "one")
    p2, v2 = _tables(tmp_path / "two")
    keep = v2["arm"] == "ipilimumab"
    pd.testing.assert_frame_equal(v1, v2[keep].reset_index(drop=True))
    pd.testing.assert_frame_equal(p1, p2[p2["arm"] == "ipilimumab"].reset_index(drop=True))

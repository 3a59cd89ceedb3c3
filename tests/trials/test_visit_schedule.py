"""Visit schedules in phases (Visits.phases), read by RECIST and written to the visit table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from studyhelp import clinical_trial

from tmesim.config.trial import Visits
from tmesim.errors import ConfigError
from tmesim.trials.runner import run_study
from tmesim.trials.schedule import scheduled_days


def test_the_text_form_reads_as_phases():
    v = Visits(phases="q6w until day 365, then q12w")
    assert [(p.every_days, p.until_day) for p in v.phases] == [(42.0, 365.0), (84.0, None)]
    days = scheduled_days(v, 600)
    assert days[:8].tolist() == [42.0 * k for k in range(1, 9)]  # 336: the last within a year
    assert days[7:].tolist() == [336.0, 420.0, 504.0, 588.0]
    assert v.describe() == "every 42 days to day 365, then every 84 days"


@pytest.mark.parametrize(
    ("visits", "field"),
    [
        ({"every_days": 42, "phases": "q6w until day 365, then q12w"}, "visits.every_days"),
        ({"phases": [{"every_days": 42}, {"every_days": 84}]}, "visits.phases"),
        ({"phases": [{"every_days": 42, "until_day": 100}]}, "visits.phases"),
        ({"phases": "q6w until day 200, then q8w until day 100, then q12w"}, "until_day"),
        ({"phases": "every six weeks"}, "visits.phases"),
        ({"phases": "q6w until day 365, then q12w", "window_days": 21}, "visits.window_days"),
    ],
)
def test_a_bad_schedule_names_the_field_and_the_fix(visits, field):
    with pytest.raises(ConfigError, match=field):
        clinical_trial(visits=visits)


@given(
    st.lists(st.integers(7, 120), min_size=1, max_size=4),
    st.lists(st.integers(10, 300), min_size=3, max_size=3, unique=True),
    st.one_of(st.none(), st.integers(7, 100)),
)
@settings(max_examples=80, deadline=None)
def test_phased_scans_keep_each_phase_interval(intervals, ends, first_day):
    ends = sorted(ends)[: len(intervals) - 1]
    phases = [
        {"every_days": e, "until_day": ends[k] if k < len(intervals) - 1 else None}
        for k, e in enumerate(intervals)
    ]
    v = Visits(phases=phases, first_day=first_day)
    days = scheduled_days(v, 720)
    assert days[0] == (first_day or intervals[0])
    assert np.all(np.diff(days) > 0) and days[-1] <= 720
    gaps = np.diff(days)
    assert set(gaps.tolist()) <= {float(e) for e in intervals}
    # a scan within the first phase is followed by the first interval while it stays within it
    if len(intervals) > 1:
        inside = (days[:-1] + intervals[0] <= ends[0]) & (days[:-1] <= ends[0])
        assert np.all(gaps[inside] == intervals[0])


def test_one_phase_is_the_plain_schedule():
    plain = scheduled_days(Visits(every_days=56, first_day=28), 400)
    phased = scheduled_days(Visits(phases=[{"every_days": 56}], first_day=28), 400)
    np.testing.assert_array_equal(plain, phased)


def test_the_trial_scans_on_the_phased_schedule(tmp_path):
    s = clinical_trial(
        follow_up_days=259,
        visits={"phases": "q6w until day 84, then q12w"},
        arms=[{"name": "nivolumab", "regimen": "nivolumab 3 mg/kg q2w x12"}],
    )
    run_study(s, tmp_path, progress=False, report=False, n_threads=1)
    visits = pd.read_parquet(tmp_path / "visits.parquet")
    assert len(visits)
    expected = {0.0, 42.0, 84.0, 168.0, 252.0}
    assert set(visits["day"].unique()) <= expected
    full = visits.groupby("patient_id")["day"].apply(list)
    assert any(days == sorted(expected) for days in full)  # a patient followed to the end

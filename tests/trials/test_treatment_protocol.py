"""Treatment until progression, and beyond it per protocol (ArmSpec.treat_until)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from studyhelp import clinical_trial

from tmesim.config.trial import ArmSpec, BeyondProgression
from tmesim.errors import ConfigError
from tmesim.solvers import DoseSchedule
from tmesim.trials.protocol import beyond_progression_stop, progression_stop
from tmesim.trials.runner import run_study
from tmesim.trials.subsequent import dose_counts, stopped_doses

NIVO = "nivolumab 3 mg/kg q2w x18"


@given(
    st.lists(
        st.lists(st.floats(0, 300, allow_nan=False), max_size=8),
        min_size=1,
        max_size=6,
    ),
    st.lists(st.one_of(st.none(), st.floats(0, 320, allow_nan=False)), min_size=6, max_size=6),
)
@settings(max_examples=60, deadline=None)
def test_a_stop_drops_exactly_the_doses_on_or_after_it(times, stops):
    schedule = DoseSchedule.from_lists([(sorted(t), [1] * len(t), [2.0] * len(t)) for t in times])
    stop = np.array([np.nan if s is None else s for s in stops[: len(times)]])
    cut = stopped_doses(schedule, stop)
    for i, t in enumerate(times):
        kept = cut.t[cut.ptr[i] : cut.ptr[i + 1]]
        expected = [x for x in sorted(t) if np.isnan(stop[i]) or x < stop[i]]
        assert kept.tolist() == expected
    assert (dose_counts(cut) <= dose_counts(schedule)).all()


def test_treat_until_reads_the_protocol_words():
    arm = ArmSpec(name="a", treat_until="progression or unacceptable toxicity")
    assert arm.treat_until == "progression_or_toxicity"
    assert arm.stops_at_progression and arm.stops_at_toxicity
    assert ArmSpec(name="a", treat_until="Disease progression").treat_until == "progression"
    with pytest.raises(ConfigError, match="treat_until.*progression_or_toxicity"):
        clinical_trial(arms=[{"name": "a", "regimen": NIVO, "treat_until": "response"}])


def test_beyond_progression_needs_treatment_until_progression():
    with pytest.raises(ConfigError, match="beyond_progression.*treat_until: progression"):
        clinical_trial(arms=[{"name": "a", "regimen": NIVO, "beyond_progression": {"max_days": 6}}])
    with pytest.raises(ConfigError, match="max_sum_increase_percent"):
        clinical_trial(
            arms=[
                {
                    "name": "a",
                    "regimen": NIVO,
                    "treat_until": "progression",
                    "beyond_progression": {"max_sum_increase_percent": -5},
                }
            ]
        )


def test_treatment_until_progression_needs_the_metastatic_setting():
    with pytest.raises(ConfigError, match="treat_until"):
        clinical_trial(
            setting="adjuvant", arms=[{"name": "a", "regimen": NIVO, "treat_until": "progression"}]
        )


def _visits(sums: list[float], new: list[int] | None = None) -> pd.DataFrame:
    days = 42.0 * np.arange(len(sums))
    return pd.DataFrame(
        {
            "patient_id": 3,
            "day": days,
            "sum_diameters_mm": sums,
            "new_lesions": new or [0] * len(sums),
            "new_lesion_sum_mm": 0.0,
        }
    )


def test_treatment_beyond_progression_stops_at_the_first_limit_reached():
    ids = np.array([3])
    v = _visits([50.0, 40.0, 52.0, 53.0, 70.0])  # PD at 84 (52 ≥ 1.2 × 40), confirmed at 168
    stop, why = beyond_progression_stop(BeyondProgression(), ids, v)
    assert (stop.tolist(), why.tolist()) == ([168.0], ["confirmed_progression"])
    stop, why = beyond_progression_stop(BeyondProgression(max_days=50), ids, v)
    assert (stop.tolist(), why.tolist()) == ([134.0], ["time_beyond_progression"])
    stop, why = beyond_progression_stop(
        BeyondProgression(until_confirmed=False, max_sum_increase_percent=60), ids, v
    )
    assert (stop.tolist(), why.tolist()) == ([168.0], ["burden_threshold"])  # 70 ≥ 1.6 × 40
    stop, why = beyond_progression_stop(BeyondProgression(until_confirmed=False), ids, v)
    assert np.isnan(stop).all() and why.tolist() == [""]


def test_a_patient_who_shrinks_again_is_treated_on():
    v = _visits([50.0, 40.0, 52.0, 30.0, 30.0])  # a pseudo-progression: iUPD then shrinkage
    stop, _ = beyond_progression_stop(BeyondProgression(), np.array([3]), v)
    assert np.isnan(stop).all()


def test_without_beyond_progression_treatment_stops_at_progression():
    arm = ArmSpec(name="a", treat_until="progression")
    stop, why = progression_stop(arm, np.array([1, 2]), np.array([np.nan, 126.0]), pd.DataFrame())
    assert np.isnan(stop[0]) and stop[1] == 126.0 and why.tolist() == ["", "progression"]
    fixed = ArmSpec(name="a")
    assert np.isnan(progression_stop(fixed, np.array([2]), np.array([126.0]), pd.DataFrame())[0])


def test_treatment_until_progression_stops_dosing_at_the_progression_scan(tmp_path):
    s = clinical_trial(
        follow_up_days=210,
        arms=[
            {"name": "fixed", "regimen": NIVO},
            {"name": "to progression", "regimen": NIVO, "treat_until": "progression"},
            {
                "name": "beyond",
                "regimen": NIVO,
                "treat_until": "progression",
                "beyond_progression": {"max_days": 42},
            },
        ],
    )
    run_study(s, tmp_path, progress=False, report=False, n_threads=1)
    p = pd.read_parquet(tmp_path / "patients.parquet")
    fixed = p[p["arm"] == "fixed"].set_index("patient_id")
    cut = p[p["arm"] == "to progression"].set_index("patient_id")
    ok = cut["status"] == "success"
    assert ok.sum() >= 4
    # The scans before the stop are the same, so the progression read from them is the same.
    pd.testing.assert_series_equal(
        cut.loc[ok, "progression_day"], fixed.loc[ok, "progression_day"], check_names=False
    )
    progressed = ok & cut["progression_day"].notna()
    assert progressed.any(), "no patient progressed; the test cannot check the stop"
    rows = cut[progressed]
    assert (rows["last_dose_day"] < rows["progression_day"]).all()
    assert (rows["last_dose_day"] >= rows["progression_day"] - 14).all()  # dosed until then
    assert (rows["treatment_stop_day"] == rows["progression_day"]).all()
    assert (rows["treatment_stop_reason"] == "progression").all()
    on = cut[ok & cut["progression_day"].isna()]
    within = int(np.sum(14.0 * np.arange(18) <= 210))  # every dose within follow-up
    assert (on["doses_received"] == within).all() and on["treatment_stop_reason"].eq("").all()
    beyond = p[p["arm"] == "beyond"].set_index("patient_id")
    rows = beyond[beyond["treatment_stop_day"].notna()]
    assert (rows["treatment_stop_day"] >= rows["progression_day"]).all()
    assert (rows["treatment_stop_day"] <= rows["progression_day"] + 42).all()
    assert (rows["last_dose_day"] < rows["treatment_stop_day"]).all()
    treated_on = beyond.loc[progressed[progressed].index, "doses_received"]
    assert (treated_on >= cut.loc[treated_on.index, "doses_received"]).all()

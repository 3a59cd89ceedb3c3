"""Subsequent therapy after progression (ArmSpec.subsequent_therapy)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest
from studyhelp import clinical_trial, mouse_study

from tmesim.config.trial import SubsequentTherapy
from tmesim.errors import ConfigError
from tmesim.solvers import DoseSchedule
from tmesim.trials.runner import run_study
from tmesim.trials.study import Study
from tmesim.trials.subsequent import (
    SubsequentPlan,
    draw_regimens,
    plan_subsequent,
    switched_doses,
)

NIVO = "nivolumab 3 mg/kg q2w x12"
DELAY = 21.0


def _arms(share: float = 1.0, **extra: object) -> list[dict[str, object]]:
    therapy = {"name": "anti-PD-1", "regimen": NIVO, "share": share, "start_delay_days": DELAY}
    therapy.update(extra)
    return [
        {
            "name": "ipilimumab",
            "regimen": "ipilimumab 3 mg/kg q3w x4",
            "subsequent_therapy": [therapy],
        }
    ]


def _patients(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "patients.parquet").sort_values("patient_id")


def test_the_new_regimen_is_dosed_only_from_progression_plus_delay():
    first = DoseSchedule.from_lists([([0.0, 21.0, 42.0, 63.0], [1] * 4, [5.0] * 4)] * 3)
    second = DoseSchedule.from_lists([([0.0, 14.0, 28.0], [2] * 3, [3.0] * 3)])
    progression = np.array([30.0, np.nan, 50.0])
    plan = SubsequentPlan(np.array([0, -1, 0]), progression + DELAY)
    s = switched_doses(first, [second], plan, progression, until_day=90.0)
    for i in range(3):
        t = s.t[s.ptr[i] : s.ptr[i + 1]]
        state = s.state[s.ptr[i] : s.ptr[i + 1]]
        if plan.choice[i] < 0:
            np.testing.assert_array_equal(t, first.t[first.ptr[i] : first.ptr[i + 1]])
            continue
        new = t[state == 2]
        assert new.min() == pytest.approx(progression[i] + DELAY)  # first dose at the start
        assert (new <= 90.0).all()  # nothing after the follow-up
        assert (t[state == 1] < progression[i]).all()  # the first line stops at progression
        assert np.all(np.diff(t) >= 0)


def test_the_received_share_matches_the_configured_share():
    n = 20_000
    shares = [0.3, 0.15]
    drawn = draw_regimens(3, np.arange(n), np.zeros(n, dtype=np.int64), shares)
    therapies = [
        SubsequentTherapy(name=f"r{k}", regimen=NIVO, share=s, start_delay_days=DELAY)
        for k, s in enumerate(shares)
    ]
    progressed = np.arange(n) % 2 == 0  # half the arm progresses, on day 84
    plan = plan_subsequent(
        therapies,
        drawn,
        np.where(progressed, 84.0, np.nan),
        np.full(n, np.nan),
        np.full(n, 1000.0),
    )
    assert not plan.treated[~progressed].any()
    for k, share in enumerate(shares):
        received = int(np.sum(plan.choice[progressed] == k))
        assert binomtest(received, int(progressed.sum()), share).pvalue > 1e-3
    np.testing.assert_array_equal(plan.start[plan.treated], 84.0 + DELAY)


def test_no_regimen_for_a_patient_dead_or_out_of_follow_up_before_its_start():
    t = [SubsequentTherapy(name="b", regimen=NIVO, share=1.0, start_delay_days=DELAY)]
    plan = plan_subsequent(
        t,
        np.zeros(3, dtype=np.int64),
        np.array([84.0, 84.0, 84.0]),
        np.array([90.0, np.nan, np.nan]),
        np.array([300.0, 100.0, 300.0]),
    )
    assert plan.choice.tolist() == [-1, -1, 0]


def test_a_trial_switches_progressing_patients_and_is_the_same_before_the_switch(tmp_path):
    base = clinical_trial(arms=[{"name": "ipilimumab", "regimen": "ipilimumab 3 mg/kg q3w x4"}])
    run_study(base, tmp_path / "none", progress=False, report=False)
    s = clinical_trial(arms=_arms())
    run_study(s, tmp_path / "a", progress=False, report=False, n_threads=1)
    p = _patients(tmp_path / "a")
    progressed = p["progression_day"].notna().to_numpy()
    treated = (p["subsequent_therapy"] == "anti-PD-1").to_numpy()
    assert treated.any()
    assert not treated[~progressed].any()
    np.testing.assert_allclose(
        p.loc[treated, "subsequent_start_day"], p.loc[treated, "progression_day"] + DELAY
    )
    summary = json.loads((tmp_path / "a" / "study.json").read_text())["subsequent_therapy"]
    assert summary[0]["received"] == {"anti-PD-1": int(treated.sum())}
    assert summary[0]["progressed"] == int(progressed.sum())
    # the course before progression (where the first line stops) is the one without subsequent
    # therapy; after the new regimen starts, it differs
    b0 = pd.read_parquet(tmp_path / "none" / "burden.parquet")
    b1 = pd.read_parquet(tmp_path / "a" / "burden.parquet")
    key = ["patient_id", "day"]
    both = b0.merge(b1, on=key, suffixes=("_0", "_1"))
    start = p.set_index("patient_id")["subsequent_start_day"]
    stop = p.set_index("patient_id")["progression_day"].where(start.notna())
    both["start"] = both["patient_id"].map(start)
    both["stop"] = both["patient_id"].map(stop)
    before = both[~(both["day"] >= both["stop"])]
    np.testing.assert_allclose(before["tumor_volume_mm3_0"], before["tumor_volume_mm3_1"])
    after = both[both["day"] > both["start"] + 14]
    assert not np.allclose(after["tumor_volume_mm3_0"], after["tumor_volume_mm3_1"])
    # same seed, same result whatever the chunking and thread count
    again = clinical_trial(arms=_arms(), chunk_size=3)
    run_study(again, tmp_path / "b", progress=False, report=False, n_threads=2)
    q = _patients(tmp_path / "b")
    cols = ["subsequent_therapy", "subsequent_start_day", "progression_day", "os_day"]
    pd.testing.assert_frame_equal(
        p[cols].reset_index(drop=True), q[cols].reset_index(drop=True), check_exact=False
    )


def test_a_valid_share_is_kept():
    assert clinical_trial(arms=_arms(share=0.7)).arms[0].subsequent_therapy[0].share == 0.7


def test_a_mouse_study_has_no_subsequent_therapy():
    with pytest.raises(ConfigError) as err:
        mouse_study(arms=_arms())
    assert "subsequent_therapy" in str(err.value)


def _two(shares: tuple[float, float]) -> list[dict[str, object]]:
    arms = _arms(share=shares[0])
    arms[0]["subsequent_therapy"].append(  # type: ignore[union-attr]
        {"name": "other", "regimen": NIVO, "share": shares[1], "start_delay_days": 0}
    )
    return arms


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ({"arms": _two((0.7, 0.5))}, "arms.ipilimumab.subsequent_therapy.share", "at most 1"),
        ({"arms": _arms(share=1.5)}, "share", "less than or equal to 1"),
        ({"arms": _arms(start_delay_days=-3)}, "start_delay_days", "greater than or equal"),
        ({"arms": _arms(dose="x")}, "dose", ""),
        ({"arms": _arms(), "setting": "adjuvant"}, "arms.ipilimumab.subsequent_therapy", "RECIST"),
    ],
)
def test_bad_subsequent_therapy_is_rejected_naming_the_field(extra, field, words):
    with pytest.raises(ConfigError) as err:
        clinical_trial(**extra)
    assert field in str(err.value)
    assert words in str(err.value)


def test_an_unknown_subsequent_regimen_names_its_field():
    s = clinical_trial(arms=_arms(regimen="nivolumab 3 bananas q2w"))
    with pytest.raises(ConfigError) as err:
        Study(s, 1)
    assert "arms.ipilimumab.subsequent_therapy.anti-PD-1.regimen" in str(err.value)

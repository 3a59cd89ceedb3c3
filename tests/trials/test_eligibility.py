"""Enrollment as a protocol writes it: eligibility, screen failures, early deaths."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from studyhelp import clinical_trial, mouse_study

from tmesim.config.trial import Eligibility, trial_from_dict
from tmesim.errors import ConfigError
from tmesim.trials.clinical import early_death_response
from tmesim.trials.eligibility import REASONS, ecog_proxy, failure_reasons, screening_summary
from tmesim.trials.runner import run_study
from tmesim.trials.study import Study

LETHAL = 3e5


def patients(out):
    return pd.read_parquet(out / "patients.parquet")


def day0_burden(out, factor: float) -> pd.Series:
    """Total burden on day 0 from the burden table (all target lesions × non-target factor)."""
    burden = pd.read_parquet(out / "burden.parquet")
    day0 = burden[burden["day"] == 0].set_index(["arm", "patient_id"])["tumor_volume_mm3"]
    return day0 * factor


def test_failure_reasons_record_the_first_criterion_failed():
    rules = Eligibility(max_ecog=1)
    reasons = failure_reasons(
        rules,
        total_burden_mm3=np.array([1e4, 4e5, 1e4, 1e4, 2e5, 6e4, np.nan]),
        longest_diameter_mm=np.array([30.0, 40.0, 9.9, 10.0, 40.0, 30.0, 30.0]),
        tumor_cells=np.array([1e9, 1e9, 1e9, 0.5, 1e9, 1e9, 1e9]),
        lethal_burden_mm3=LETHAL,
    )
    assert reasons.tolist() == [
        "",
        "lethal_burden",
        "not_measurable",
        "no_tumor",
        "burden_above_limit",
        "performance_status",  # 20% of lethal: ECOG proxy 2 > 1
        "lethal_burden",  # an unknown burden is not one to enroll
    ]
    adjuvant = failure_reasons(
        Eligibility(),
        np.array([1e4]),
        np.array([5.0]),
        np.array([1e9]),
        lethal_burden_mm3=LETHAL,
        measurable_required=False,
    )
    assert adjuvant.tolist() == [""]
    assert ecog_proxy(np.array([0.0, 0.05, 0.149, 0.7]), (0.05, 0.15, 0.3, 0.6)).tolist() == [
        0,
        1,
        1,
        4,
    ]


@pytest.mark.parametrize(
    ("eligibility", "field"),
    [
        ({"max_burden_fraction": 1.0}, "max_burden_fraction"),
        ({"max_burden_fraction": 0}, "max_burden_fraction"),
        ({"min_lesion_diameter_mm": 5}, "min_lesion_diameter_mm"),
        ({"max_ecog": 5}, "max_ecog"),
        ({"ecog_burden_fractions": [0.3, 0.2, 0.5, 0.6]}, "ecog_burden_fractions"),
        ({"max_screenings": 0}, "max_screenings"),
        ({"max_burden": 0.5}, "max_burden"),
    ],
)
def test_bad_eligibility_is_a_clear_error(eligibility, field):
    data = clinical_trial().model_dump(mode="json")
    data["cohorts"][0]["eligibility"] = eligibility
    with pytest.raises(ConfigError) as err:
        trial_from_dict(data)
    assert field in str(err.value)


def test_unknown_eligibility_key_names_the_nearest_one():
    data = clinical_trial().model_dump(mode="json")
    data["cohorts"][0]["eligibility"] = {"max_burden_fractoin": 0.4}
    with pytest.raises(ConfigError, match="max_burden_fraction"):
        trial_from_dict(data)


def test_mouse_studies_have_no_eligibility():
    data = mouse_study().model_dump(mode="json")
    data["cohorts"][0]["eligibility"] = {"max_burden_fraction": 0.4}
    with pytest.raises(ConfigError, match="cohorts.4T1.eligibility"):
        Study(trial_from_dict(data), n_threads=1)


def test_early_death_is_ne_or_clinical_progression():
    disease = np.array([True, False])
    assert early_death_response("NE", "recist1.1", disease).tolist() == ["NE", "NE"]
    assert early_death_response("PD", "recist1.1", disease).tolist() == ["PD", "NE"]
    assert early_death_response("PD", "irecist", disease).tolist() == ["iCPD", "NE"]


def test_dmmr_trial_enrolls_no_patient_dead_or_near_death_and_never_leaves_a_blank(tmp_path):
    # Before eligibility, patients 0 and 24 of this cohort started above the lethal burden,
    # died on day 0 and had a blank best response.
    s = trial_from_dict(
        {
            "title": "dMMR colorectal cancer, pembrolizumab",
            "setting": "metastatic",
            "seed": 2509,
            "follow_up_days": 98,
            "save_every_days": 7,
            "chunk_size": 25,
            "cohorts": [{"name": "dMMR", "preset": "human_crc_dmmr", "n": 25}],
            "arms": [{"name": "pembrolizumab", "regimen": "pembrolizumab 10 mg/kg q2w x26"}],
            "visits": {"every_days": 56, "first_day": 84, "window_days": 7},
            "response": {"criteria": "irecist"},
        }
    )
    run_study(s, tmp_path, progress=False, report=True)
    p = patients(tmp_path)
    enrolled = p[p["status"] == "success"]
    assert len(enrolled) == 25 and enrolled["eligible"].all()
    assert enrolled["best_response"].notna().all()
    assert (enrolled["os_day"] > 0).all()
    limit = Eligibility().max_burden_fraction * LETHAL
    assert (enrolled["baseline_burden_mm3"] <= limit).all()
    day0 = day0_burden(tmp_path, s.survival.non_target_factor)
    assert (day0 <= limit * (1 + 1e-9)).all() and len(day0) == 25
    failed = enrolled["screen_failure_reasons"].str.split(";").explode()
    assert "lethal_burden" in set(failed) and enrolled["screen_failures"].sum() > 0
    early = enrolled["early_death"].astype(bool)
    assert (enrolled.loc[early, "best_response"] == "NE").all()
    summary = json.loads((tmp_path / "study.json").read_text())["screening"][0]
    assert summary["enrolled"] == 25
    assert summary["screen_failures"] == enrolled["screen_failures"].sum()
    assert sum(summary["reasons"].values()) == summary["screen_failures"]
    assert "Screening" in (tmp_path / "report.html").read_text()


def test_screening_is_deterministic_per_slot(tmp_path):
    # A tight burden limit forces screen failures; chunks and threads must not change them.
    cohort = clinical_trial().cohorts[0].model_dump(mode="json")
    cohort["eligibility"] = {"max_burden_fraction": 0.06, "max_screenings": 6}
    base = {
        "cohorts": [cohort],
        "follow_up_days": 50,
        "arms": [{"name": "ipilimumab", "regimen": "ipilimumab 3 mg/kg q3w x4"}],
    }
    a = clinical_trial(**base, chunk_size=3)
    b = clinical_trial(**base, chunk_size=8)
    run_study(a, tmp_path / "a", progress=False, report=False, n_threads=1)
    run_study(b, tmp_path / "b", progress=False, report=False, n_threads=2)
    pa, pb = patients(tmp_path / "a"), patients(tmp_path / "b")
    pd.testing.assert_frame_equal(pa, pb)
    assert pa["screen_failures"].sum() > 0
    enrolled = pa[pa["status"] == "success"]
    assert (enrolled["baseline_burden_mm3"] <= 0.06 * LETHAL).all()
    left = pa[pa["status"] == "ineligible"]
    assert (left["screen_failures"] == 6).all()
    assert left["message"].str.startswith("not eligible").all()
    codes = set(pa["screen_failure_reasons"].str.split(";").explode()) - {""}
    assert codes <= set(REASONS)


def test_screening_summary_counts_each_patient_once():
    p = pd.DataFrame(
        {
            "cohort": "c",
            "arm": ["a", "b", "a", "b"],
            "patient_id": [0, 0, 1, 1],
            "eligible": True,
            "screen_failures": [1, 1, 0, 0],
            "screen_failure_reasons": ["not_measurable", "not_measurable", "", ""],
        }
    )
    (s,) = screening_summary(p)
    assert (s["slots"], s["screened"], s["enrolled"], s["screen_failures"]) == (2, 3, 2, 1)
    assert s["reasons"] == {"not_measurable": 1}

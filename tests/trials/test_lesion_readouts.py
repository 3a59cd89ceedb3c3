"""A trial patient's lesions under one immune system: per-lesion readouts, mixed responses,
and relapse after resection from residual local and occult distant disease."""

from __future__ import annotations

import numpy as np
import pandas as pd
from studyhelp import clinical_trial

from tmesim.config.trial import trial_from_dict
from tmesim.trials.analysis import lesion_table
from tmesim.trials.clinical import lesion_columns
from tmesim.trials.runner import run_study


def _patients(out) -> pd.DataFrame:
    return pd.read_parquet(out / "patients.parquet")


def test_metastatic_checkpoint_arm_has_mixed_responses_and_reports_them(tmp_path):
    s = clinical_trial(
        arms=[{"name": "nivolumab", "regimen": "nivolumab 3 mg/kg q2w x12"}],
        lesions={"mean_target_lesions": 3.0, "heterogeneity_cv": 0.6},
    )
    s = s.model_copy(
        update={"cohorts": [s.cohorts[0].model_copy(update={"n": 16})], "chunk_size": 8}
    )
    run_study(s, tmp_path, progress=False, report=True)
    p = _patients(tmp_path)
    ok = p[p["status"] == "success"]
    assert ok["best_response"].notna().all()
    multi = ok[ok["n_lesions"] > 1]
    assert len(multi) >= 4
    # every target lesion has its own best response, in lesion order
    counts = multi["lesion_best_responses"].str.split(";").map(len)
    assert (counts == multi["n_lesions"]).all()
    assert multi["mixed_response"].astype(bool).any()
    assert ok.loc[ok["n_lesions"] == 1, "mixed_response"].isna().all()
    table = lesion_table(ok)
    row = table.iloc[0]
    assert row["multi_lesion"] == len(multi)
    assert 0 < row["mixed_share"] <= 1
    assert row["mixed_responses"] == int(multi["mixed_response"].astype(bool).sum())
    assert (ok["new_lesions"] >= 0).all()
    with_new = ok[ok["new_lesions"] > 0]
    days = with_new["new_lesion_days"].str.split(";").map(len)
    assert (days == with_new["new_lesions"]).all()
    report = (tmp_path / "report.html").read_text()
    assert "Mixed response" in report


def test_lesion_readouts_before_the_first_scan_are_empty():
    d = [np.array([[10.0, 5.0]]), np.array([[10.0, 13.0]])]
    present = [np.ones(1, dtype=bool)] * 2
    c = lesion_columns(np.array([0.0, 28.0]), d, present, np.array([]), np.full(1, np.nan))
    assert c["lesion_best_responses"].tolist() == [""]
    assert c["mixed_response"].tolist() == [False]
    nodes = [np.ones(1, dtype=bool), np.zeros(1, dtype=bool)]
    c = lesion_columns(np.array([0.0, 28.0]), d, present, np.array([]), np.full(1, np.nan), nodes)
    assert c["lesion_best_responses"].tolist() == [""]


def test_adjuvant_arm_has_distant_relapses_and_deaths_after_relapse(tmp_path):
    s = trial_from_dict(
        {
            "title": "adjuvant",
            "setting": "adjuvant",
            "seed": 238,
            "follow_up_days": 1095,
            "save_every_days": 14,
            "chunk_size": 20,
            "cohorts": [{"name": "resected melanoma", "preset": "human_melanoma", "n": 20}],
            "arms": [{"name": "observation"}],
        }
    )
    run_study(s, tmp_path, progress=False, report=True)
    p = _patients(tmp_path)
    ok = p[p["status"] == "success"]
    site = ok["relapse_site"].astype(str)
    assert (site == "distant").any()
    assert set(site) <= {"", "local", "distant"}
    relapsed = site != ""
    assert np.all(np.isfinite(ok.loc[relapsed, "relapse_day"]))
    assert ok.loc[~relapsed, "relapse_day"].isna().all()
    died = ok["death_after_relapse"].astype(bool)
    assert died.any()
    assert (ok.loc[died, "os_day"] > ok.loc[died, "relapse_day"]).all()
    assert (ok.loc[died, "death_cause"] == "tumor burden").all()
    report = (tmp_path / "report.html").read_text()
    assert "Relapsed: distant" in report

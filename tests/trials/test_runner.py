"""Studies run end to end: same patients across arms and threads, resumable, failures recorded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from studyhelp import CPB, clinical_trial, mouse_study

from tmesim.config.trial import trial_to_yaml
from tmesim.errors import ConfigError
from tmesim.trials.runner import run_study


def patients(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "patients.parquet")


def test_mouse_study_tables(tmp_path):
    s = mouse_study(rechallenge={"cells": 1e5, "follow_up_days": 10})
    summary = run_study(s, tmp_path, progress=False, report=False)
    p = patients(tmp_path)
    assert summary.rows == len(p) == (6 + 4) * 2
    assert list(p["cohort"].unique()) == ["4T1", "B16"]
    assert list(p["arm"].unique()) == ["control", "CPB"]
    ok = p["status"] == "success"
    assert ok.all(), p.loc[~ok, "message"].tolist()
    # Every mouse grew to about its start volume (60 mm³, log-sd from the preset).
    assert p["baseline_volume_mm3"].between(20, 200).all()
    # Survival to the endpoint: the time is within follow-up; events are endpoint crossings.
    assert p["endpoint_day"].between(0, 20).all()
    crossed = p["final_volume_mm3"] >= 1500
    assert (p.loc[crossed, "endpoint_event"]).all()
    # Only cured mice are rechallenged; naive controls are in the first arm only.
    assert p.loc[~p["tumor_free"].astype(bool), "rechallenge_tumor_free"].isna().all()
    assert p.loc[p["arm"] == "control", "naive_challenge_tumor_free"].notna().all()
    assert p.loc[p["arm"] == "CPB", "naive_challenge_tumor_free"].isna().all()
    burden = pd.read_parquet(tmp_path / "burden.parquet")
    assert set(burden["phase"]) >= {"primary", "naive"}
    assert (burden["tumor_volume_mm3"] >= 0).all()
    study = json.loads((tmp_path / "study.json").read_text())
    assert study["kind"] == "mouse_study" and len(study["arms"][1]["doses"]) == 7


def test_arms_share_patients_and_threads_do_not_matter(tmp_path):
    s = mouse_study()
    run_study(s, tmp_path / "one", progress=False, report=False, n_threads=1)
    run_study(s, tmp_path / "two", progress=False, report=False, n_threads=2)
    pd.testing.assert_frame_equal(patients(tmp_path / "one"), patients(tmp_path / "two"))
    p = patients(tmp_path / "one")
    params = ["tumor_growth_rate", "tumor_myeloid_factor", "baseline_volume_mm3"]
    by_arm = [g.set_index(["cohort", "patient_id"])[params] for _, g in p.groupby("arm")]
    pd.testing.assert_frame_equal(by_arm[0], by_arm[1])


def test_an_added_arm_does_not_change_the_other_arms(tmp_path):
    two = [{"name": "control"}, {"name": "CPB", "regimen": CPB}]
    three = [two[0], {"name": "IPI-549", "regimen": "ipi-549 15 mg/kg qd x14"}, two[1]]
    run_study(mouse_study(two), tmp_path / "a", progress=False, report=False)
    run_study(mouse_study(three), tmp_path / "b", progress=False, report=False)
    a, b = patients(tmp_path / "a"), patients(tmp_path / "b")
    b = b[b["arm"] != "IPI-549"].reset_index(drop=True)
    key = ["cohort", "arm", "patient_id"]
    pd.testing.assert_frame_equal(
        a.sort_values(key).reset_index(drop=True), b.sort_values(key).reset_index(drop=True)
    )


def test_randomized_design_allocates_each_patient_once(tmp_path):
    s = mouse_study(design="randomized")
    run_study(s, tmp_path, progress=False, report=False)
    p = patients(tmp_path)
    assert not p.duplicated(["cohort", "patient_id"]).any()
    assert len(p) == 6 + 4


def test_resume_refuses_a_different_study(tmp_path):
    run_study(mouse_study(), tmp_path, progress=False, report=False)
    with pytest.raises(ConfigError, match="different study"):
        run_study(mouse_study(seed=12), tmp_path, resume=True, progress=False, report=False)


def test_a_failing_patient_is_recorded_not_fatal(tmp_path):
    s = mouse_study(solver={"max_steps": 40})
    run_study(s, tmp_path, progress=False, report=False)
    p = patients(tmp_path)
    assert len(p) == 20
    failed = p[p["status"] != "success"]
    assert len(failed) > 0 and (failed["message"].str.len() > 0).all()
    assert failed["tumor_free"].isna().all()


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_table(tmp_path):
    s = mouse_study(chunk_size=1, follow_up_days=30)
    scenario = tmp_path / "study.yaml"
    scenario.write_text(trial_to_yaml(s))
    reference = tmp_path / "reference"
    run_study(s, reference, progress=False, report=False)

    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "tmesim", "trial", str(scenario), "--out", str(out), "-q"]
    proc = subprocess.Popen(cmd, env={**os.environ, "NUMBA_NUM_THREADS": "1"})
    deadline = time.monotonic() + 300
    done = out / "parts" / "done"
    while time.monotonic() < deadline and len(list(done.glob("*.json"))) < 3:
        assert proc.poll() is None, "the run finished before it could be interrupted"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = len(list(done.glob("*.json")))
    assert 3 <= finished < 20 and not (out / "patients.parquet").exists()

    summary = run_study(s, out, resume=True, progress=False, report=False)
    assert summary.units_resumed == finished
    pd.testing.assert_frame_equal(patients(out), patients(reference))


def test_clinical_trial_endpoints(tmp_path):
    run_study(clinical_trial(), tmp_path, progress=False, report=False)
    p = patients(tmp_path)
    assert len(p) == 16 and (p["status"] == "success").all()
    assert p["n_lesions"].between(1, 5).all()
    assert p["best_response"].isin(["CR", "PR", "SD", "PD", "NE"]).all()
    assert (p["pfs_day"] <= p["os_day"] + 1e-9).all()
    assert p["os_day"].le(252).all() and p["pfs_day"].ge(0).all()
    responders = p["best_response"].isin(["CR", "PR"])
    assert p.loc[responders, "dor_day"].notna().all()
    assert p.loc[~responders, "dor_day"].isna().all()
    visits = pd.read_parquet(tmp_path / "visits.parquet")
    first = visits.sort_values("day").groupby(["arm", "patient_id"]).first()
    assert np.allclose(first["day"], 0.0)
    merged = first.reset_index().merge(p, on=["arm", "patient_id"])
    np.testing.assert_allclose(merged["sum_diameters_mm"], merged["baseline_sum_diameters_mm"])


def test_adjuvant_trial_has_relapse_free_survival(tmp_path):
    run_study(clinical_trial(setting="adjuvant"), tmp_path, progress=False, report=False)
    p = patients(tmp_path)
    assert (p["status"] == "success").all()
    assert p["rfs_day"].notna().all() and (p["rfs_day"] <= p["os_day"] + 1e-9).all()
    assert "best_response" not in p


def test_patients_without_measurable_disease_are_not_evaluable(tmp_path):
    # Lesions of ~4 cm³ measure ~2 cm: with a 5 cm detection limit nothing is measurable.
    s = clinical_trial(response={"detection_limit_mm": 50.0}, setting="established")
    run_study(s, tmp_path, progress=False, report=False)
    p = patients(tmp_path)
    assert (p["status"] == "success").all()
    assert (p["best_response"] == "NE").all() and (p["baseline_sum_diameters_mm"] == 0).all()
    assert p["os_day"].notna().all()


def test_trial_object_runs_and_reads_its_tables(tmp_path):
    from tmesim import Trial

    trial = Trial.from_dict(mouse_study().model_dump(mode="json"), **{"cohorts.1.n": 2})
    result = trial.run(tmp_path, report=False)
    assert len(result.patients) == (6 + 2) * 2 == result.summary.rows
    assert set(result.burden["phase"]) == {"primary"}
    assert list(result.key_results()["arm"]) == ["control", "CPB"] * 2


def test_clinical_trial_is_the_same_on_one_and_two_threads_and_reads_irecist(tmp_path):
    s = clinical_trial(response={"criteria": "irecist"}, design="randomized")
    run_study(s, tmp_path / "one", progress=False, report=False, n_threads=1)
    run_study(s, tmp_path / "two", progress=False, report=False, n_threads=2)
    one, two = patients(tmp_path / "one"), patients(tmp_path / "two")
    pd.testing.assert_frame_equal(one, two)
    assert one["best_response"].isin(["iCR", "iPR", "iSD", "iUPD", "iCPD", "NE"]).all()
    assert not one.duplicated(["cohort", "patient_id"]).any()
    visits = pd.read_parquet(tmp_path / "one" / "visits.parquet")
    later = visits[visits["day"] > 0]["response"]
    assert later[later != ""].str.startswith("i").all()

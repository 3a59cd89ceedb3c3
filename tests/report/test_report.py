"""The HTML report of a run folder: self-contained, complete, and faithful to the analysis tables."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tmesim.errors import ConfigError
from tmesim.report import render_report
from tmesim.report.html import mechanism_medians
from tmesim.trials.analysis import proportion_table, response_table

MOUSE_COHORTS = ("4T1 orthotopic", "B16F10 subcutaneous")
MOUSE_ARMS = ("vehicle", "anti-PD-1")
TRIAL_ARMS = ("dacarbazine", "nivolumab + ipilimumab")
FOLLOW_UP = 60.0
ENDPOINT_VOLUME = 2000.0
RECHALLENGE_DAY = 60.0
MICE = 12
TRIAL_PATIENTS = 60


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def _mouse_run(run: Path) -> pd.DataFrame:
    """A mouse study: 2 cohorts x 2 arms x 12 mice, rechallenge of the tumor-free, one failure."""
    rng = np.random.default_rng(20240601)
    run.mkdir()
    days = np.arange(0.0, FOLLOW_UP + 1)
    doses = [
        {"drug": "rmp1-14", "day": float(d), "amount": 200.0, "unit": "ug"}
        for d in 7 + 3.5 * np.arange(6)
    ]
    study = {
        "title": "Checkpoint blockade in two syngeneic models",
        "description": "Anti-PD-1 against vehicle in 4T1 and B16F10.\n\n"
        "Cured mice are rechallenged on day 60.",
        "kind": "mouse_study",
        "setting": "established",
        "seed": 7,
        "design": "matched",
        "follow_up_days": FOLLOW_UP,
        "endpoint_volume_mm3": ENDPOINT_VOLUME,
        "criteria": None,
        "visit_every_days": None,
        "cohorts": [
            {"name": c, "preset": p, "species": "mouse", "description": f"{c} tumors", "n": MICE}
            for c, p in zip(MOUSE_COHORTS, ("mouse_4t1", "mouse_b16f10"), strict=True)
        ],
        "arms": [
            {"name": "vehicle", "regimen": "", "doses": []},
            {"name": "anti-PD-1", "regimen": "rmp1-14 200 ug biw x6 from day 7", "doses": doses},
        ],
        "rechallenge": {"day": RECHALLENGE_DAY, "cells": 1e5, "follow_up_days": 30.0},
        "seconds": 1.5,
    }
    patients, burden = [], []
    for cohort in MOUSE_COHORTS:
        for arm in MOUSE_ARMS:
            for pid in range(MICE):
                failed = cohort == MOUSE_COHORTS[1] and arm == "anti-PD-1" and pid == MICE - 1
                cured = bool(rng.random() < (0.6 if arm == "anti-PD-1" else 0.15))
                rate = rng.uniform(0.07, 0.14)
                volume = 50.0 * np.exp(rate * days)
                if cured:
                    volume = np.where(days < 10, volume, volume[10] * np.exp(-0.5 * (days - 10)))
                reached = np.flatnonzero(volume >= ENDPOINT_VOLUME)
                end = int(reached[0]) if reached.size and not cured else len(days) - 1
                row = {
                    "cohort": cohort,
                    "arm": arm,
                    "patient_id": pid,
                    "status": "too_many_steps" if failed else "success",
                    "message": "Too many steps: the model is stiff." if failed else "",
                    "baseline_volume_mm3": 50.0,
                    "tumor_free": pd.NA if failed else cured,
                    "endpoint_day": np.nan if failed else days[end],
                    "endpoint_event": np.nan if failed else float(reached.size > 0 and not cured),
                    "rechallenge_tumor_free": pd.NA,
                    "tumor_growth_rate": rate,
                }
                if failed:
                    patients.append(row)
                    continue
                burden.append(
                    pd.DataFrame(
                        {
                            "cohort": cohort,
                            "arm": arm,
                            "patient_id": pid,
                            "phase": "primary",
                            "day": days[: end + 1],
                            "tumor_volume_mm3": volume[: end + 1],
                            "cd8_tumor_density": 10.0 * np.exp(0.1 * days[: end + 1]),
                            "myeloid_suppression": np.full(
                                end + 1, 0.2 if arm == "anti-PD-1" else 0.7
                            ),
                        }
                    )
                )
                if cured:
                    rejected = bool(rng.random() < 0.8)
                    row["rechallenge_tumor_free"] = rejected
                    after = np.arange(0.0, 31.0)
                    grow = 1.0 * np.exp((-0.3 if rejected else 0.2) * after)
                    burden.append(
                        pd.DataFrame(
                            {
                                "cohort": cohort,
                                "arm": arm,
                                "patient_id": pid,
                                "phase": "rechallenge",
                                "day": RECHALLENGE_DAY + after,
                                "tumor_volume_mm3": grow,
                            }
                        )
                    )
                patients.append(row)
    frame = pd.DataFrame(patients)
    frame["tumor_free"] = frame["tumor_free"].astype("boolean")
    frame["rechallenge_tumor_free"] = frame["rechallenge_tumor_free"].astype("boolean")
    frame.to_parquet(run / "patients.parquet")
    pd.concat(burden, ignore_index=True).to_parquet(run / "burden.parquet")
    _write_json(run / "study.json", study)
    _write_json(run / "manifest.json", {"seed": 7, "command": "tmesim trial mice.yaml"})
    return frame


def _trial_run(run: Path) -> pd.DataFrame:
    """A clinical trial: 1 cohort x 2 arms x 60 patients with RECIST visits, one failure."""
    rng = np.random.default_rng(99)
    run.mkdir()
    follow_up = 730.0
    visit_every = 56.0
    study = {
        "title": "Virtual phase III: combination checkpoint blockade in melanoma",
        "description": "Nivolumab plus ipilimumab against dacarbazine.",
        "kind": "clinical_trial",
        "setting": "metastatic",
        "seed": 11,
        "design": "randomized",
        "follow_up_days": follow_up,
        "endpoint_volume_mm3": None,
        "criteria": "recist1.1",
        "visit_every_days": visit_every,
        "cohorts": [
            {
                "name": "melanoma",
                "preset": "human_melanoma",
                "species": "human",
                "description": "advanced melanoma",
                "n": TRIAL_PATIENTS,
            }
        ],
        "arms": [
            {
                "name": TRIAL_ARMS[0],
                "regimen": "dacarbazine 1000 mg q3w x8",
                "doses": [
                    {"drug": "dacarbazine", "day": 21.0 * i, "amount": 1000.0, "unit": "mg"}
                    for i in range(8)
                ],
            },
            {
                "name": TRIAL_ARMS[1],
                "regimen": "nivolumab 1 mg/kg q3w x4 + ipilimumab 3 mg/kg q3w x4",
                "doses": [
                    {"drug": drug, "day": 21.0 * i, "amount": amount, "unit": "mg/kg"}
                    for drug, amount in (("nivolumab", 1.0), ("ipilimumab", 3.0))
                    for i in range(4)
                ],
            },
        ],
        "rechallenge": None,
        "seconds": 3.0,
    }
    patients, visits = [], []
    ranges = {"CR": (-100, -100), "PR": (-95, -31), "SD": (-29, 19), "PD": (21, 140)}
    for arm, probs in zip(
        TRIAL_ARMS, ([0.02, 0.13, 0.35, 0.5], [0.15, 0.35, 0.25, 0.25]), strict=True
    ):
        for pid in range(TRIAL_PATIENTS):
            best = str(rng.choice(["CR", "PR", "SD", "PD"], p=probs))
            change = float(rng.uniform(*ranges[best]))
            pfs = float(rng.exponential(700 if best in ("CR", "PR") else 150)) + 20
            os_ = pfs + float(rng.exponential(300))
            pfs_event = float(pfs < follow_up)
            os_event = float(os_ < follow_up)
            pfs, os_ = min(pfs, follow_up), min(os_, follow_up)
            responder = best in ("CR", "PR") and pfs > visit_every
            if best in ("CR", "PR") and not responder:
                best, change = "SD", float(rng.uniform(*ranges["SD"]))
            response_day = visit_every if responder else np.nan
            failed = arm == TRIAL_ARMS[1] and pid == 0
            patients.append(
                {
                    "cohort": "melanoma",
                    "arm": arm,
                    "patient_id": pid,
                    "status": "step_underflow" if failed else "success",
                    "message": "Step size underflow." if failed else "",
                    "baseline_volume_mm3": 8000.0,
                    "best_response": best,
                    "best_percent_change": change,
                    "response_day": response_day,
                    "progression_day": pfs if pfs_event else np.nan,
                    "pfs_day": pfs,
                    "pfs_event": pfs_event,
                    "os_day": os_,
                    "os_event": os_event,
                    "dor_day": pfs - response_day if responder else np.nan,
                    "dor_event": pfs_event if responder else np.nan,
                }
            )
            for k, day in enumerate(np.arange(0.0, pfs + 1e-9, visit_every)):
                pct = 0.0 if k == 0 else change * min(1.0, k / 2)
                visits.append(
                    {
                        "cohort": "melanoma",
                        "arm": arm,
                        "patient_id": pid,
                        "day": day,
                        "sum_diameters_mm": 80.0 * (1 + pct / 100),
                        "percent_change": pct,
                        "new_lesions": False,
                        "response": "SD" if k else "NE",
                    }
                )
    frame = pd.DataFrame(patients)
    frame.to_parquet(run / "patients.parquet")
    pd.DataFrame(visits).to_parquet(run / "visits.parquet")
    burden = frame[["cohort", "arm", "patient_id"]].assign(
        phase="primary", day=0.0, tumor_volume_mm3=8000.0
    )
    burden.to_parquet(run / "burden.parquet")
    _write_json(run / "study.json", study)
    _write_json(run / "manifest.json", {"seed": 11})
    return frame


def _assert_self_contained(html: str) -> None:
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html)
    assert "<script" not in html
    assert "data:image/png;base64," in html


def test_mouse_study_report(tmp_path):
    run = tmp_path / "mouse"
    patients = _mouse_run(run)
    path = render_report(run)
    assert path == run / "report.html"
    html = path.read_text(encoding="utf-8")
    _assert_self_contained(html)
    assert "Checkpoint blockade in two syngeneic models" in html
    assert "Cured mice are rechallenged on day 60." in html
    for name in (*MOUSE_COHORTS, *MOUSE_ARMS):
        assert name in html
    ok = patients[patients["status"] == "success"]
    tumor_free = proportion_table(ok, "tumor_free")
    assert len(tumor_free) == 4
    for row in tumor_free.itertuples(index=False):
        group = ok[(ok["cohort"] == row.cohort) & (ok["arm"] == row.arm)]
        assert (row.events, row.n) == (int(group["tumor_free"].sum()), len(group))
        assert f"{row.events}/{row.n}" in html
    challenged = ok.dropna(subset=["rechallenge_tumor_free"])
    for row in proportion_table(challenged, "rechallenge_tumor_free").itertuples(index=False):
        assert f"{row.events}/{row.n}" in html
    # growth, rechallenge, KM and regimen figures; the failed mouse is reported with its message
    assert html.count("data:image/png;base64,") >= 5
    assert "How the treatments act" in html  # the burden table carries mechanism columns
    assert "too_many_steps" in html and "Too many steps: the model is stiff." in html
    assert "<details>" in html
    assert not [p for p in run.iterdir() if ".tmp-" in p.name]


def test_mechanism_medians_are_the_medians_of_subjects_on_study():
    burden = pd.DataFrame(
        {
            "cohort": "a",
            "arm": ["x", "x", "x", "x"],
            "patient_id": [0, 1, 2, 0],
            "phase": ["primary", "primary", "primary", "rechallenge"],
            "day": [0.0, 0.0, 0.0, 0.0],
            "tumor_volume_mm3": 1.0,
            "myeloid_suppression": [0.1, 0.5, 0.9, 100.0],
        }
    )
    table = mechanism_medians(burden)
    assert table["myeloid_suppression"].tolist() == [0.5]


def test_clinical_trial_report(tmp_path):
    run = tmp_path / "trial"
    patients = _trial_run(run)
    out = tmp_path / "elsewhere" / "trial.html"
    assert render_report(run, out=out) == out
    assert not (run / "report.html").exists()
    html = out.read_text(encoding="utf-8")
    _assert_self_contained(html)
    assert "Virtual phase III" in html
    for arm in TRIAL_ARMS:
        assert arm in html
    for alt in (
        "Waterfall plot",
        "Response spectrum",
        "Spider plot",
        "Swimmer plot",
        "Regimen diagram",
    ):
        assert f'alt="{alt}"' in html
    assert "Median PFS, months" in html and "Median OS, months" in html
    assert "Hazard ratio (95% CI)" in html
    ok = patients[patients["status"] == "success"]
    orr = response_table(ok).query("endpoint == 'ORR'")
    for row in orr.itertuples(index=False):
        assert f"{row.events} · " in html
    assert "step_underflow" in html


def test_missing_results_name_the_file_and_the_command(tmp_path):
    run = tmp_path / "mouse"
    _mouse_run(run)
    (run / "patients.parquet").unlink()
    with pytest.raises(ConfigError, match="patients.parquet") as info:
        render_report(run)
    assert "tmesim trial" in str(info.value)
    with pytest.raises(ConfigError, match="does not exist"):
        render_report(tmp_path / "nowhere")
    assert not (run / "report.html").exists()


def test_adjuvant_trial_report_leads_with_recurrence_free_survival(tmp_path):
    run = tmp_path / "adjuvant"
    patients = _trial_run(run)
    study = json.loads((run / "study.json").read_text(encoding="utf-8"))
    study.update(setting="adjuvant", criteria=None, visit_every_days=None)
    _write_json(run / "study.json", study)
    no_disease = {"best_response": "NE", "best_percent_change": np.nan, "response_day": np.nan}
    patients = patients.assign(
        rfs_day=patients["pfs_day"], rfs_event=patients["pfs_event"], **no_disease
    ).drop(columns=["dor_day", "dor_event"])
    patients.to_parquet(run / "patients.parquet")
    (run / "visits.parquet").unlink()
    html = render_report(run).read_text(encoding="utf-8")
    _assert_self_contained(html)
    assert "Median RFS, months" in html and "HR RFS vs control" in html
    assert 'alt="Waterfall plot"' not in html and "ORR" not in html

"""Every example scenario runs end to end through the command line (with a small cohort)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from tmesim.cli import app
from tmesim.io.manifest import read_manifest
from tmesim.io.results import load_patients, load_trajectories

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.yaml"))
SPATIAL = [p for p in EXAMPLES if yaml.safe_load(p.read_text()).get("engine") == "abm"]
STUDIES = [p for p in EXAMPLES if "arms" in yaml.safe_load(p.read_text()) and p not in SPATIAL]
SIMULATIONS = [p for p in EXAMPLES if p not in STUDIES and p not in SPATIAL]


@pytest.mark.parametrize("scenario", SIMULATIONS, ids=lambda p: p.stem)
def test_example_runs(tmp_path, scenario):
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            str(scenario),
            "--out",
            str(out),
            "--quiet",
            "--set",
            "n_patients=3",
            "--set",
            "chunk_size=2",
        ],
    )
    assert result.exit_code == 0, result.output
    patients = load_patients(out)
    assert list(patients["patient_id"]) == [0, 1, 2]
    assert (patients["status"] == "success").all()
    trajectories = load_trajectories(out)
    assert trajectories.sizes["patient"] == 3
    assert trajectories["tumor_volume"].attrs["units"] == "mm^3"
    manifest = read_manifest(out)
    assert manifest["seed"] == yaml.safe_load(scenario.read_text()).get("seed", 0)
    assert manifest["config"]["n_patients"] == 3
    assert manifest["model_hash"] and manifest["parameter_hash"]


@pytest.mark.parametrize("study", STUDIES, ids=lambda p: p.stem)
def test_example_study_runs(tmp_path, study):
    out = tmp_path / "run"
    data = yaml.safe_load(study.read_text())
    small = [f"cohorts.{i}.n=4" for i in range(len(data["cohorts"]))]
    follow_up = min(float(data.get("follow_up_days", 60)), 150.0)
    args = [
        "trial",
        str(study),
        "--out",
        str(out),
        "--quiet",
        "--set",
        f"follow_up_days={follow_up}",
    ]
    for item in small:
        args += ["--set", item]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    patients = pd.read_parquet(out / "patients.parquet")
    per_arm = 1 if data.get("design") == "randomized" else len(data["arms"])
    assert len(patients) == 4 * len(data["cohorts"]) * per_arm
    assert (out / "report.html").stat().st_size > 10_000
    assert read_manifest(out)["seed"] == data.get("seed", 0)


def test_examples_exist():
    assert len(SIMULATIONS) >= 2 and len(STUDIES) >= 1 and len(SPATIAL) >= 3


# Spatial examples run on a smaller tissue for a shorter time: the test checks that they run and
# write their outputs, not their biology (tests/engines/abm does that).
SMALL_TISSUE = ["--set", "abm.grid=[30,30]", "--set", "abm.initial_tumor_cells=150"]


@pytest.mark.parametrize("scenario", SPATIAL, ids=lambda p: p.stem)
def test_spatial_example_runs(tmp_path, scenario):
    out = tmp_path / "run"
    data = yaml.safe_load(scenario.read_text())
    if "arms" in data:
        args = ["trial", str(scenario), "--set", "follow_up_days=1"]
        args += [a for i in range(len(data["cohorts"])) for a in ("--set", f"cohorts.{i}.n=2")]
    else:
        args = ["simulate", str(scenario), "--set", "duration_days=1", "--set", "n_patients=2"]
    result = CliRunner().invoke(app, [*args, *SMALL_TISSUE, "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert read_manifest(out)["seed"] == data.get("seed", 0)
    if "arms" in data:
        patients = pd.read_parquet(out / "patients.parquet")
        assert len(patients) == 2 * len(data["cohorts"]) * len(data["arms"])
        assert (out / "report.html").stat().st_size > 10_000
    else:
        readouts = pd.read_parquet(out / "readouts.parquet")
        assert sorted(readouts["tissue"].unique()) == [0, 1]
        assert (out / "tissue-000" / "cells").is_dir()

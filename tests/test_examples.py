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
STUDIES = [p for p in EXAMPLES if "arms" in yaml.safe_load(p.read_text())]
SIMULATIONS = [p for p in EXAMPLES if p not in STUDIES]


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
    assert len(SIMULATIONS) >= 2 and len(STUDIES) >= 1

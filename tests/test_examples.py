"""Every example scenario runs end to end through the command line (with a small cohort)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tmesim.cli import app
from tmesim.io.manifest import read_manifest
from tmesim.io.results import load_patients, load_trajectories

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.yaml"))


@pytest.mark.parametrize("scenario", EXAMPLES, ids=lambda p: p.stem)
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


def test_examples_exist():
    assert len(EXAMPLES) >= 2

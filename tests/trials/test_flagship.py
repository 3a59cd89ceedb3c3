"""A bare `tmesim trial` runs the flagship study end to end (small cohorts here)."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from tmesim.cli import app
from tmesim.io.manifest import verify_manifest


def test_bare_trial_runs_the_flagship_and_writes_the_report(tmp_path):
    out = tmp_path / "flagship"
    sizes = [arg for i in range(3) for arg in ("--set", f"cohorts.{i}.n=3")]
    result = CliRunner().invoke(app, ["trial", "--out", str(out), *sizes])
    assert result.exit_code == 0, result.output
    assert "tumor-free" in result.output
    patients = pd.read_parquet(out / "patients.parquet")
    assert len(patients) == 3 * 3 * 4
    assert patients["tumor_free"].notna().all()
    study = json.loads((out / "study.json").read_text())
    assert study["kind"] == "mouse_study" and study["rechallenge"]["day"] == 74
    html = (out / "report.html").read_text()
    for arm in study["arms"]:
        assert arm["name"] in html
    assert "How the treatments act" in html and "Rechallenge" in html
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 2016 and manifest["config"]["cohorts"][0]["n"] == 3
    assert verify_manifest(out) == []  # every file, the report included, is as the run wrote it

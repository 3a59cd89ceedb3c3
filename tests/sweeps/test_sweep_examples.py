"""The example sweeps are valid (every point a valid study) and run, shrunk, end to end."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tmesim.cli import app
from tmesim.config.sweep import load_sweep
from tmesim.sweeps.run import point_scenarios

EXAMPLES = sorted((Path(__file__).parents[2] / "examples" / "sweeps").glob("*.yaml"))


def test_there_are_example_sweeps() -> None:
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_point_of_an_example_is_a_valid_study(path: Path) -> None:
    config, template = load_sweep(path)
    planned = point_scenarios(config, template)
    assert len(planned) >= 2
    seeds = {scenario.seed for _, scenario in planned}
    assert len(seeds) == 1  # the same virtual patients at every point


def test_the_dose_example_runs_shrunk(tmp_path: Path) -> None:
    path = next(p for p in EXAMPLES if "4t1" in p.stem)
    small = ["study.cohorts.0.n=3", "study.follow_up_days=8", "axes.0.values=[100]",
             "axes.1.values=[0.3, 15]"]  # fmt: skip
    args = ["sweep", str(path), "--out", str(tmp_path / "out"), "--quiet", "-j", "1"]
    for item in small:
        args += ["--set", item]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(tmp_path / "out" / "sweep.parquet")
    assert sorted(table["point"].unique()) == [0, 1]
    assert (tmp_path / "out" / "sweep.html").stat().st_size > 10_000


def test_the_order_example_runs_shrunk(tmp_path: Path) -> None:
    path = next(p for p in EXAMPLES if "order" in p.stem)
    small = ["study.cohorts.0.n=4", "study.follow_up_days=200", "landmarks_days=[100]"]
    args = ["sweep", str(path), "--out", str(tmp_path / "out"), "--quiet", "-j", "1"]
    for item in small:
        args += ["--set", item]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(tmp_path / "out" / "sweep.parquet")
    assert set(table["order"]) == {"together", "nivolumab first", "ipilimumab first"}
    assert {"ORR", "CR", "median PFS", "OS at day 100", "grade 3–4 irAE"} <= set(table["endpoint"])
    assert "Pareto front" in (tmp_path / "out" / "sweep.html").read_text()
    synergy = pd.read_parquet(tmp_path / "out" / "synergy.parquet")
    assert set(synergy["endpoint"]) == {"ORR", "CR"}

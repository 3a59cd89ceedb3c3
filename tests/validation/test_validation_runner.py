"""The validation runner end to end: tables, page, exit codes, failures recorded, fast subset."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from typer.testing import CliRunner

from tmesim.cli import app
from tmesim.validation import runner
from tmesim.validation.runner import COLUMNS, run_validation
from tmesim.validation.targets import load_targets, target_from_dict

PK = "antibody_half_life_nivolumab"


def _tiny_mouse_target() -> dict:
    return {
        "id": "tiny_mouse",
        "title": "tiny mouse study",
        "citation": "none: a test of the machinery",
        "kind": "mouse",
        "study": {
            "title": "tiny",
            "seed": 3,
            "follow_up_days": 14,
            "cohorts": [{"name": "B16-F10", "preset": "mouse_b16f10"}],
            "arms": [{"name": "control"}],
        },
        "published": {"value": 0, "units": "percent", "n": 5, "events": 0},
        "metric": {"type": "tumor_free_fraction"},
        "acceptance": {"rule": "binomial_consistent"},
        "simulate": {"n": 3, "n_fast": 3},
    }


def test_tiny_study_end_to_end(tmp_path):
    target = target_from_dict(_tiny_mouse_target())
    report = run_validation(out=tmp_path, targets=[target])
    table = pd.read_csv(report.csv)
    assert list(table.columns) == list(COLUMNS)
    row = table.iloc[0]
    assert row["id"] == "tiny_mouse" and row["n_simulated"] == 3
    assert 0 <= row["simulated"] <= 100 and row["role"] == "validation"
    html = report.html.read_text()
    assert "tiny mouse study" in html and "data:image/png;base64," in html


def test_a_failing_simulation_is_recorded_not_fatal(tmp_path):
    data = _tiny_mouse_target()
    broken = target_from_dict(data)
    broken = broken.model_copy(update={"study": {**data["study"], "follow_up_days": -1}})
    fine = load_targets([PK])[0]
    report = run_validation(out=tmp_path, targets=[broken, fine])
    table = report.table.set_index("id")
    assert not table.loc["tiny_mouse", "passed"]
    assert "follow_up_days" in table.loc["tiny_mouse", "reason"]
    assert math.isfinite(table.loc[PK, "simulated"])
    assert not report.passed


def test_cli_exit_codes(tmp_path, monkeypatch):
    result = CliRunner().invoke(app, ["validate", "--only", PK, "--out", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "a" / "validation.csv").exists()
    unknown = CliRunner().invoke(app, ["validate", "--only", "no_such_target"])
    assert unknown.exit_code == 2 and "no_such_target" in unknown.output
    # The same target held to an impossible value must fail and exit 1.
    real = load_targets([PK])[0]
    impossible = real.model_copy(
        update={"published": real.published.model_copy(update={"value": 10 * real.published.value})}
    )
    monkeypatch.setattr(runner, "load_targets", lambda only, fast=False: [impossible])
    result = CliRunner().invoke(app, ["validate", "--only", PK, "--out", str(tmp_path / "b")])
    assert result.exit_code == 1, result.output


@pytest.fixture(scope="module")
def fast_subset(tmp_path_factory):
    return run_validation(out=tmp_path_factory.mktemp("fast"), fast=True, threads=2)


def test_fast_subset_simulates_every_member(fast_subset):
    expected = {t.id for t in load_targets(fast=True)}
    table = fast_subset.table.set_index("id")
    assert set(table.index) == expected
    for target_id, row in table.iterrows():
        assert math.isfinite(row["simulated"]), f"{target_id}: {row['reason']}"


def test_fast_subset_passes(fast_subset):
    """The fast subset holds targets whose metric a small group resolves (not, e.g., a ±15-point
    difference of two fractions, which needs the full group size)."""
    failed = fast_subset.table.loc[~fast_subset.table["passed"], ["id", "reason"]]
    assert failed.empty, failed.to_string()

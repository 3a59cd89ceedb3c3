"""The validation runner end to end: tables, page, exit codes, failures recorded, fast subset."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from tmesim.cli import app
from tmesim.errors import ConfigError
from tmesim.parameters.presets import get_preset
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
        "acceptance": {"rule": "consistent"},
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


def test_parse_overrides_checks_each_setting_against_its_preset():
    parsed = runner.parse_overrides(
        ["*:cd8_kill_rate=2", "human_melanoma:tumor_antigen_breadth=0.7"],
        ["human_melanoma", "mouse_4t1", "human_melanoma"],
    )
    assert parsed == {
        "human_melanoma": {"cd8_kill_rate": 2.0, "tumor_antigen_breadth": 0.7},
        "mouse_4t1": {"cd8_kill_rate": 2.0},
    }
    for bad, says in [
        ("human_melanoma:tumor_antigen_breath=0.7", "tumor_antigen_breadth"),  # nearest id
        ("human_melanom:cd8_kill_rate=2", "human_melanoma"),  # nearest preset
        ("human_melanoma:cd8_kill_rate=-1", "non-negative"),
        ("human_melanoma:cd8_kill_rate=fast", "must be a number"),
        ("cd8_kill_rate=2", "PRESET:PARAMETER=VALUE"),
    ]:
        with pytest.raises(ConfigError, match="--set") as info:
            runner.parse_overrides([bad], ["human_melanoma"])
        assert says in str(info.value), str(info.value)


@given(st.floats(min_value=0.0, max_value=1e12, allow_nan=False, allow_subnormal=False))
def test_parse_overrides_reads_any_value_back(value):
    text = f"human_melanoma:cd8_kill_rate={value!r}"
    assert runner.parse_overrides([text], [])["human_melanoma"]["cd8_kill_rate"] == value


def test_what_if_run_moves_its_target_and_says_so(tmp_path):
    """Halving nivolumab clearance doubles its half-life; the table and the page name the value,
    and a target of another preset is untouched."""
    target = load_targets([PK])[0]
    clearance = get_preset("human_melanoma").value("anti_pd1_clearance")
    other = target_from_dict(_tiny_mouse_target())
    base = run_validation(out=tmp_path / "base", targets=[target]).table.set_index("id")
    settings = [f"human_melanoma:anti_pd1_clearance={clearance / 2!r}"]
    what_if = run_validation(
        out=tmp_path / "what-if",
        targets=[target, other],
        parameters=runner.parse_overrides(settings, ["human_melanoma"]),
    )
    table = pd.read_csv(what_if.csv).set_index("id")
    ratio = table.loc[PK, "simulated"] / base.loc[PK, "simulated"]
    assert 1.6 < ratio < 2.1  # clearance sets most, not all, of the terminal half-life
    assert table.loc[PK, "overrides"].startswith("human_melanoma:anti_pd1_clearance=")
    assert pd.isna(table.loc["tiny_mouse", "overrides"])
    assert "What-if run" in what_if.html.read_text()
    assert "What-if run" not in (tmp_path / "base" / "validation.html").read_text()


def test_cli_set_reports_a_bad_setting(tmp_path):
    result = CliRunner().invoke(
        app, ["validate", "--only", PK, "--set", "human_melanoma:no_such=1", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2 and "--set" in result.output, result.output
    assert not (tmp_path / "validation.csv").exists()

"""`tmesim validate --list` and the nearest id on a typo in --only; nothing is simulated."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tmesim.cli import app
from tmesim.errors import ConfigError
from tmesim.validation import runner
from tmesim.validation.record import load_record
from tmesim.validation.targets import list_targets, load_targets


@pytest.fixture
def no_simulation(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("validate --list must not simulate")

    monkeypatch.setattr(runner, "run_validation", refuse)


def test_list_names_every_target_with_kind_metric_role_and_title(no_simulation):
    result = CliRunner().invoke(app, ["validate", "--list"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    record = load_record()
    targets = load_targets()
    assert f"{len(targets)} validation targets" in result.output
    lines = result.output.splitlines()
    for t in targets:
        (line,) = [ln for ln in lines if f" {t.id} " in ln]
        for cell in (t.kind, t.metric.type, record.role(t.id), t.title[:30]):
            assert cell in line, (cell, line)


def test_list_ids_stay_whole_in_a_narrow_terminal(no_simulation):
    result = CliRunner().invoke(app, ["validate", "--list"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    for t in load_targets():
        assert t.id in result.output  # not folded over two lines: it can be copied to --only


def test_list_follows_only_and_fast(no_simulation):
    fast = {t.id for t in load_targets(fast=True)}
    rows = list_targets(fast=True)
    assert {r[0] for r in rows} == fast
    result = CliRunner().invoke(
        app, ["validate", "--list", "--only", "le_2015_dmmr_orr"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0 and "1 validation targets" in result.output


def test_a_typo_in_only_names_the_nearest_target(no_simulation):
    result = CliRunner().invoke(app, ["validate", "--only", "le_2015_dmmr_oor"])
    assert result.exit_code == 2
    assert "did you mean 'le_2015_dmmr_orr'?" in result.output
    assert "--list" in result.output  # and where to find them all
    with pytest.raises(ConfigError) as info:
        load_targets(["de_henau_2016_4t1_checkpont_cr"])
    assert "did you mean 'de_henau_2016_4t1_checkpoint_cr'?" in str(info.value)
    assert info.value.choices is not None and "le_2015_dmmr_orr" in info.value.choices

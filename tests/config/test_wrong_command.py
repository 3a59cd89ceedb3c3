"""A file given to the wrong command is refused with the command that runs it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tmesim.cli import app
from tmesim.config.scenario import scenario_from_dict
from tmesim.config.trial import trial_from_dict
from tmesim.errors import ConfigError

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_a_study_given_as_a_scenario_points_to_tmesim_trial() -> None:
    with pytest.raises(ConfigError, match="tmesim trial FILE") as info:
        scenario_from_dict({"title": "t", "cohorts": [], "arms": []}, source="study.yaml")
    assert str(info.value).count("not valid") == 1  # one message, not one per unknown key


def test_a_sweep_or_a_scenario_given_as_a_study_points_to_its_command() -> None:
    with pytest.raises(ConfigError, match="tmesim sweep FILE"):
        trial_from_dict({"title": "s", "study": {}, "axes": []})
    with pytest.raises(ConfigError, match="tmesim simulate FILE"):
        trial_from_dict({"preset": "mouse_4t1", "n_patients": 10})


def test_a_scenario_with_a_preset_is_still_checked_key_by_key() -> None:
    with pytest.raises(ConfigError, match="not a scenario key"):
        scenario_from_dict({"preset": "mouse_4t1", "arms": []})


@pytest.mark.parametrize(
    ("command", "path", "expected"),
    [
        ("simulate", EXAMPLES / "melanoma_nivo_ipi_trial.yaml", "tmesim trial FILE"),
        ("trial", EXAMPLES / "sweeps" / "melanoma_ipi_nivo_order.yaml", "tmesim sweep FILE"),
        ("trial", EXAMPLES / "mouse_4t1_checkpoint.yaml", "tmesim simulate FILE"),
    ],
)
def test_the_cli_names_the_right_command(command: str, path: Path, expected: str, tmp_path) -> None:
    result = CliRunner().invoke(app, [command, str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code != 0
    assert expected in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()

"""The command line: help texts, error reporting, and what each command hands to the API.

The model, presets, drug catalog and simulation are replaced by small fakes here, so these tests
check the CLI layer alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import types
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

import tmesim
import tmesim.model
import tmesim.parameters
import tmesim.therapies
from tmesim.cli import app
from tmesim.errors import ConfigError

COMMANDS = [
    "simulate",
    "trial",
    "sweep",
    "report",
    "validate",
    "sensitivity",
    "calibrate",
    "stratify",
    "presets",
    "parameters",
    "drugs",
    "mechanisms",
    "schema",
    "version",
]

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


# --- help -----------------------------------------------------------------------------------


def test_exactly_the_implemented_commands_are_registered():
    names = {c.name or c.callback.__name__ for c in app.registered_commands}
    assert names == set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0, result.output
    assert f"tmesim {command}" in result.output
    docstring = next(
        c.callback.__doc__ for c in app.registered_commands if c.callback.__name__ == command
    )
    first_line = docstring.strip().splitlines()[0]
    assert first_line[:40] in " ".join(result.output.split())


def test_top_level_help_lists_commands():
    result = invoke("--help")
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output


def test_help_does_not_import_the_model_or_the_simulation():
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from tmesim.cli import app\n"
        "for args in (['--help'], ['simulate', '--help'], ['parameters', '--help']):\n"
        "    assert CliRunner().invoke(app, args).exit_code == 0\n"
        "heavy = ['tmesim.simulation', 'tmesim.model', 'tmesim.parameters.presets',\n"
        "         'tmesim.therapies', 'tmesim.config.scenario', 'numpy', 'pandas', 'xarray']\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    src = str(Path(tmesim.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip() == "[]"


def test_version():
    result = invoke("version")
    assert result.exit_code == 0
    assert result.output.strip() == f"tmesim {tmesim.__version__}"


# --- simulate -------------------------------------------------------------------------------


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_text("preset: mouse_4t1\nn_patients: 5\nseed: 3\n")
    return path


@pytest.fixture
def fake_simulation(monkeypatch):
    """Stand-in for tmesim.simulation that records its call."""
    calls = []

    class Result:
        def summary(self) -> str:
            return "5 virtual patients simulated [0 failed]"

    def run_scenario(scenario, *, out_dir, progress, n_threads, **backend):
        calls.append(
            {"scenario": scenario, "out_dir": out_dir, "progress": progress, "threads": n_threads}
        )
        return Result()

    module = types.ModuleType("tmesim.simulation")
    module.run_scenario = run_scenario
    monkeypatch.setitem(sys.modules, "tmesim.simulation", module)
    return calls


def test_simulate_unknown_key_exits_2_with_suggestion(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("preset: mouse_4t1\nn_patient: 100\n")
    result = invoke("simulate", path)
    assert result.exit_code == 2
    assert "did you mean 'n_patients'?" in result.output
    assert "Traceback" not in result.output


def test_simulate_unknown_override_exits_2_with_suggestion(scenario_file):
    result = invoke("simulate", scenario_file, "--set", "mechanisms.nk=false", "--set", "sed=4")
    assert result.exit_code == 2
    assert "did you mean 'seed'?" in result.output
    assert "--set sed=4" in result.output


def test_simulate_malformed_yaml_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("preset: mouse_4t1\nn_patients 100\n")
    result = invoke("simulate", path)
    assert result.exit_code == 2
    assert "line 2" in result.output
    assert "Traceback" not in result.output


def test_simulate_missing_file(tmp_path):
    result = invoke("simulate", tmp_path / "absent.yaml")
    assert result.exit_code == 2
    assert "absent.yaml" in result.output


def test_simulate_hands_the_scenario_and_options_to_the_api(
    scenario_file, tmp_path, fake_simulation
):
    out = tmp_path / "run"
    result = invoke(
        "simulate", scenario_file, "--set", "n_patients=7", "-s", "solver.rtol=1e-8",
        "--out", out, "--threads", "3", "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "5 virtual patients simulated [0 failed]" in result.output
    (call,) = fake_simulation
    assert call["scenario"].n_patients == 7
    assert call["scenario"].solver == {"rtol": 1e-8}
    assert call["scenario"].seed == 3
    assert call["out_dir"] == out
    assert call["scenario"].output == str(out)
    assert call["threads"] == 3
    assert call["progress"] is False


def test_simulate_output_folder_defaults(scenario_file, tmp_path, monkeypatch, fake_simulation):
    monkeypatch.chdir(tmp_path)
    assert invoke("simulate", scenario_file).exit_code == 0
    assert invoke("simulate", scenario_file, "--set", "output=from_yaml").exit_code == 0
    first, second = fake_simulation
    assert first["out_dir"] == Path("tmesim-out")
    assert first["progress"] is True
    assert first["threads"] is None
    assert second["out_dir"] == Path("from_yaml")


def test_simulate_rejects_zero_threads(scenario_file, fake_simulation):
    result = invoke("simulate", scenario_file, "--threads", "0")
    assert result.exit_code == 2
    assert fake_simulation == []


def test_errors_raised_by_the_simulation_are_reported(scenario_file, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # the default output folder, away from any earlier run's

    def run_scenario(scenario, **kwargs):
        raise ConfigError("preset", scenario.preset, "use a listed preset", choices=["mouse_4t1"])

    module = types.ModuleType("tmesim.simulation")
    module.run_scenario = run_scenario
    monkeypatch.setitem(sys.modules, "tmesim.simulation", module)
    result = invoke("simulate", scenario_file, "--set", "preset=mouse_4t")
    assert result.exit_code == 2
    assert "preset: 'mouse_4t' is not valid; did you mean 'mouse_4t1'?" in result.output
    assert "Traceback" not in result.output


# --- listings -------------------------------------------------------------------------------


@dataclass
class Preset:
    name: str
    species: str
    description: str


@dataclass
class Parameter:
    id: str
    value: float
    units: str
    source: str
    description: str


PARAMETERS = [
    Parameter("tumor_growth_rate", 0.2345678, "1/day", "Smith 2019", "net tumor growth"),
    Parameter("cd8_kill_rate", 1.5, "1/day", "calibrated", "killing by CD8 T cells"),
]


@pytest.fixture
def fake_presets(monkeypatch):
    module = types.ModuleType("tmesim.parameters.presets")
    module.list_presets = lambda: [
        Preset("mouse_4t1", "mouse", "4T1 breast carcinoma"),
        Preset("human_melanoma", "human", "metastatic melanoma"),
    ]

    class FakeSet:
        def __init__(self, records):
            self.records = records

        def __iter__(self):
            return iter(self.records)

        def described(self, model):
            assert model == "the model"
            return FakeSet(PARAMETERS)

    def get_preset(name):
        if name != "mouse_4t1":
            raise ConfigError(
                "preset", name, "use one of the listed presets", choices=["mouse_4t1"]
            )
        # Descriptions come from the model: the bare preset has none.
        return FakeSet([replace(p, description="") for p in PARAMETERS])

    module.get_preset = get_preset
    monkeypatch.setitem(sys.modules, "tmesim.parameters.presets", module)
    monkeypatch.setattr(tmesim.parameters, "presets", module, raising=False)
    monkeypatch.setattr(tmesim.model, "build_model", lambda: "the model", raising=False)


def test_presets_table(fake_presets):
    result = invoke("presets")
    assert result.exit_code == 0, result.output
    assert "mouse_4t1" in result.output
    assert "human_melanoma" in result.output
    assert "4T1 breast carcinoma" in result.output


def test_parameters_table(fake_presets):
    result = invoke("parameters", "mouse_4t1")
    assert result.exit_code == 0, result.output
    assert "tumor_growth_rate" in result.output
    assert "0.234568" in result.output
    assert "Smith 2019" in result.output
    assert "cd8_kill_rate" in result.output
    assert "net tumor growth" in result.output


def test_parameters_search_matches_source(fake_presets):
    result = invoke("parameters", "mouse_4t1", "--search", "smith")
    assert result.exit_code == 0, result.output
    assert "tumor_growth_rate" in result.output
    assert "cd8_kill_rate" not in result.output


def test_parameters_search_matches_id_or_description(fake_presets):
    result = invoke("parameters", "mouse_4t1", "--search", "CD8 T")
    assert result.exit_code == 0, result.output
    assert "cd8_kill_rate" in result.output
    assert "tumor_growth_rate" not in result.output


def test_parameters_search_without_match_suggests(fake_presets):
    result = invoke("parameters", "mouse_4t1", "--search", "tumor_grwth_rate")
    assert result.exit_code == 2
    assert "did you mean 'tumor_growth_rate'?" in result.output


def test_unknown_preset_is_reported_in_red_without_traceback(fake_presets):
    result = invoke("parameters", "mouse_4t")
    assert result.exit_code == 2
    assert "did you mean 'mouse_4t1'?" in result.output
    assert "Traceback" not in result.output


def test_drugs_table(monkeypatch):
    drug = types.SimpleNamespace(
        id="nivolumab",
        display_name="Nivolumab",
        target="PD-1",
        modality="antibody",
        species=("human",),
        source="Opdivo label",
    )
    monkeypatch.setattr(tmesim.therapies, "list_drugs", lambda: [drug], raising=False)
    result = invoke("drugs")
    assert result.exit_code == 0, result.output
    for text in ("nivolumab", "Nivolumab", "PD-1", "antibody", "human", "Opdivo label"):
        assert text in result.output


def test_mechanisms_table(monkeypatch):
    monkeypatch.setattr(
        tmesim.model,
        "MECHANISMS",
        {"pd1": "[M1] [bold]PD-1[/bold] brake", "nk_missing_self": "[M7] NK cells kill"},
        raising=False,
    )
    result = invoke("mechanisms")
    assert result.exit_code == 0, result.output
    # Printed as written (not read as rich markup), in the model's order.
    assert "[M1] [bold]PD-1[/bold] brake" in result.output
    assert result.output.index("pd1") < result.output.index("nk_missing_self")


def test_errors_are_printed_in_red(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("preset: mouse_4t1\nn_patient: 100\n")
    result = runner.invoke(app, ["simulate", str(path)], env={"FORCE_COLOR": "1"})
    assert result.exit_code == 2
    assert "\x1b[31m" in result.output

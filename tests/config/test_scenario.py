"""The simulation scenario: loading, overrides, error messages and the YAML round trip."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tmesim.config.scenario import (
    SimulationScenario,
    load_scenario,
    save_scenario,
    scenario_from_dict,
    scenario_from_yaml,
    scenario_to_yaml,
)
from tmesim.errors import ConfigError

BASIC = textwrap.dedent(
    """\
    preset: mouse_4t1
    regimen: anti-PD-1 10 mg/kg q3d x3
    n_patients: 50
    seed: 11
    parameters:
      tumor_growth_rate: 0.25
      t_cell_kill_rate: 0.3 1/day
    mechanisms:
      nk_missing_self: true
    solver:
      rtol: 1e-6
    """
)


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_text(BASIC)
    return path


def test_load_reads_every_section(scenario_file):
    s = load_scenario(scenario_file)
    assert s.preset == "mouse_4t1"
    assert s.regimen == "anti-PD-1 10 mg/kg q3d x3"
    assert s.n_patients == 50
    assert s.seed == 11
    assert s.parameters == {"tumor_growth_rate": 0.25, "t_cell_kill_rate": "0.3 1/day"}
    assert s.mechanisms == {"nk_missing_self": True}
    assert s.solver == {"rtol": 1e-6}
    assert s.duration_days == 365.0  # default
    assert s.output is None


def test_overrides_use_dotted_keys_and_yaml_scalars(scenario_file):
    s = load_scenario(
        scenario_file,
        [
            "parameters.tumor_growth_rate=0.2",
            "n_patients=100",
            "mechanisms.nk_missing_self=false",
            "solver.rtol=1e-8",
            "variability=false",
        ],
    )
    assert s.parameters["tumor_growth_rate"] == 0.2
    assert s.parameters["t_cell_kill_rate"] == "0.3 1/day"  # untouched sibling
    assert s.n_patients == 100
    assert s.mechanisms == {"nk_missing_self": False}
    assert s.solver == {"rtol": 1e-8}
    assert s.variability is False


def test_regimen_as_typed_dose_steps_is_kept_as_given():
    steps = [{"drug": "nivolumab", "dose": 1, "unit": "mg/kg", "every_days": 21, "times": 4}]
    s = scenario_from_dict({"preset": "human_melanoma", "regimen": steps})
    assert s.regimen == steps


def test_unknown_key_suggests_the_nearest_field(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("preset: mouse_4t1\nn_patient: 10\n")
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "'n_patient'" in message
    assert "did you mean 'n_patients'?" in message
    assert str(path) in message


def test_unknown_key_from_override_says_so(scenario_file):
    with pytest.raises(ConfigError) as info:
        load_scenario(scenario_file, ["durration_days=30"])
    message = str(info.value)
    assert "did you mean 'duration_days'?" in message
    assert "--set durration_days=30" in message


@pytest.mark.parametrize(
    ("override", "field", "words"),
    [
        ("n_patients=0", "n_patients", "greater than or equal to 1"),
        ("n_patients=20000000", "n_patients", "less than or equal to 10000000"),
        ("n_patients=2.5", "n_patients", "integer"),
        ("duration_days=-1", "duration_days", "greater than 0"),
        ("duration_days=.inf", "duration_days", "finite"),
        ("save_every_days=0", "save_every_days", "greater than or equal to 0.000694"),
        ("seed=-3", "seed", "greater than or equal to 0"),
        ("chunk_size=0", "chunk_size", "greater than or equal to 1"),
        ("preset=", "preset", "string"),
        ("regimen=[]", "regimen", "at least 1 item"),
        ("regimen=5", "regimen", "valid string or a valid list"),
        ("parameters.tumor_growth_rate=.nan", "parameters.tumor_growth_rate", "finite"),
        ("parameters.tumor_growth_rate=[1, 2]", "parameters.tumor_growth_rate", "number"),
        ("mechanisms.nk_missing_self=maybe", "mechanisms.nk_missing_self", "boolean"),
        ("variability=perhaps", "variability", "boolean"),
    ],
)
def test_constraint_errors_name_field_value_and_rule(scenario_file, override, field, words):
    with pytest.raises(ConfigError) as info:
        load_scenario(scenario_file, [override])
    assert info.value.field == field
    message = str(info.value)
    assert message.startswith(f"{field}: ")
    assert words in message
    assert f"--set {override}" in message


def test_boolean_parameter_points_to_mechanisms():
    with pytest.raises(ConfigError) as info:
        scenario_from_dict({"preset": "mouse_4t1", "parameters": {"nk_missing_self": True}})
    assert info.value.field == "parameters.nk_missing_self"
    assert "mechanisms.nk_missing_self" in str(info.value)


def test_save_interval_longer_than_simulation_is_rejected():
    with pytest.raises(ConfigError) as info:
        scenario_from_dict({"preset": "p", "duration_days": 30, "save_every_days": 60})
    assert info.value.field == "save_every_days"
    assert "duration_days (30)" in str(info.value)


def test_too_many_saved_points_is_rejected():
    with pytest.raises(ConfigError, match="time points per patient"):
        scenario_from_dict({"preset": "p", "duration_days": 36500, "save_every_days": 1e-3})


def test_missing_preset_is_named():
    with pytest.raises(ConfigError) as info:
        scenario_from_dict({"n_patients": 3})
    assert info.value.field == "preset"
    assert "required" in str(info.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as info:
        scenario_from_dict({"preset": "p", "n_patients": 0, "seed": -1})
    message = str(info.value)
    assert message.startswith("n_patients: 0")
    assert "Also: seed: -1" in message


def test_empty_file_asks_for_preset(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("")
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    assert info.value.field == "preset"


def test_top_level_list_is_rejected(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- preset: mouse_4t1\n")
    with pytest.raises(ConfigError, match="mapping of keys"):
        load_scenario(path)


def test_malformed_yaml_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("preset: mouse_4t1\nparameters:\n  a: [1, 2\nseed: 1\n")
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    assert str(path) in str(info.value)
    assert "line" in info.value.field


def test_direct_construction_rejects_unknown_keys():
    with pytest.raises(ValidationError):
        SimulationScenario(preset="p", n_patient=3)


def test_numbers_written_with_exponent_are_accepted():
    s = scenario_from_yaml("preset: p\nn_patients: 1e5\nduration_days: 3.65e2")
    assert s.n_patients == 100_000
    assert isinstance(s.n_patients, int)
    assert s.duration_days == 365.0


def test_save_scenario_is_loadable(tmp_path):
    s = scenario_from_dict({"preset": "p", "seed": 3, "solver": {"rtol": 1e-9}})
    path = save_scenario(s, tmp_path / "sub" / "scenario.yaml")
    assert load_scenario(path) == s
    assert [p.name for p in path.parent.iterdir()] == ["scenario.yaml"]  # no temp file left


# --- round trip ---------------------------------------------------------------------------

identifiers = st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True)
texts = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=25)
finite = st.floats(allow_nan=False, allow_infinity=False)
dose_steps = st.lists(
    st.fixed_dictionaries(
        {"drug": texts, "dose": finite, "unit": texts, "every_days": finite},
        optional={"times": st.integers(1, 100), "note": st.none() | texts},
    ),
    min_size=1,
    max_size=3,
)


@st.composite
def scenarios(draw: st.DrawFn) -> SimulationScenario:
    duration = draw(st.floats(min_value=1e-2, max_value=36500))
    # at least a minute between saves, and a chunk of at most MAX_VALUES_PER_CHUNK points
    ratio = draw(st.floats(min_value=max(1e-4, 1.001 / 1440 / duration), max_value=1.0))
    return SimulationScenario(
        preset=draw(texts),
        regimen=draw(texts | dose_steps),
        n_patients=draw(st.integers(1, 10_000_000)),
        duration_days=duration,
        save_every_days=duration * ratio,
        seed=draw(st.integers(0, 2**63 - 1)),
        variability=draw(st.booleans()),
        parameters=draw(st.dictionaries(identifiers, finite | texts, max_size=4)),
        mechanisms=draw(st.dictionaries(identifiers, st.booleans(), max_size=4)),
        solver=draw(
            st.dictionaries(
                identifiers,
                finite | st.integers() | st.booleans() | st.none() | texts,
                max_size=4,
            )
        ),
        chunk_size=draw(st.integers(1, 1_000)),
        output=draw(st.none() | texts),
    )


@settings(max_examples=200, deadline=None)
@given(scenarios())
# Strings that YAML would read as other types if written unquoted.
@example(
    SimulationScenario(
        preset="true",
        regimen="1e5",
        parameters={"a": "1e-8", "b": 1e-8, "c": "0.3 1/day", "d": "null"},
        solver={"rtol": 1e-12, "method": "2E3", "flag": "yes"},
        output="~",
    )
)
def test_load_of_dump_is_identity(tmp_path_factory, scenario):
    path = tmp_path_factory.mktemp("roundtrip") / "scenario.yaml"
    path.write_text(scenario_to_yaml(scenario), encoding="utf-8")
    loaded = load_scenario(path)
    assert loaded == scenario
    assert loaded.model_dump() == scenario.model_dump()

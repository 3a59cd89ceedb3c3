"""``--set key=value`` overrides: parsing of keys and values, nesting, and their errors."""

from __future__ import annotations

import pytest

from tmesim.config.overrides import apply_overrides, parse_override
from tmesim.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "path", "value"),
    [
        ("n_patients=100", ("n_patients",), 100),
        ("parameters.tumor_growth_rate=0.2", ("parameters", "tumor_growth_rate"), 0.2),
        ("mechanisms.nk_missing_self=false", ("mechanisms", "nk_missing_self"), False),
        # PyYAML alone reads 1e-8 as the string "1e-8"; a tolerance must be a float.
        ("solver.rtol=1e-8", ("solver", "rtol"), 1e-8),
        ("solver.max_steps=2e5", ("solver", "max_steps"), 2e5),
        ("parameters.kill_rate=0.3 1/day", ("parameters", "kill_rate"), "0.3 1/day"),
        ("output=null", ("output",), None),
        ("output=", ("output",), None),
        ("regimen=nivolumab 1 mg/kg q3w x4", ("regimen",), "nivolumab 1 mg/kg q3w x4"),
        ("seed = 7", ("seed",), 7),
        ("preset='0123'", ("preset",), "0123"),
        ("solver={rtol: 1e-6}", ("solver",), {"rtol": 1e-6}),
        ("note=a=b", ("note",), "a=b"),
    ],
)
def test_values_are_read_as_yaml_scalars(text, path, value):
    override = parse_override(text)
    assert override.path == path
    assert override.value == value
    assert type(override.value) is type(value)


def test_nested_keys_create_sections_and_keep_siblings():
    data = {"preset": "mouse_4t1", "parameters": {"a": 1.0}}
    result = apply_overrides(data, ["parameters.b=2", "solver.rtol=1e-9", "n_patients=10"])
    assert result == {
        "preset": "mouse_4t1",
        "parameters": {"a": 1.0, "b": 2},
        "solver": {"rtol": 1e-9},
        "n_patients": 10,
    }


def test_input_is_not_modified():
    data = {"parameters": {"a": 1.0}}
    apply_overrides(data, ["parameters.a=5"])
    assert data == {"parameters": {"a": 1.0}}


def test_later_override_wins():
    assert apply_overrides({}, ["seed=1", "seed=2"]) == {"seed": 2}


@pytest.mark.parametrize("text", ["n_patients", "=5", "parameters..x=1", ".x=1", "x.=1"])
def test_malformed_override_names_the_flag_and_the_format(text):
    with pytest.raises(ConfigError) as info:
        apply_overrides({}, [text])
    message = str(info.value)
    assert "--set" in message
    assert repr(text) in message
    assert "key=value" in message


def test_override_through_a_value_explains_the_section():
    with pytest.raises(ConfigError) as info:
        apply_overrides({"n_patients": 5}, ["n_patients.x=1"])
    assert "'n_patients' holds a value" in str(info.value)
    assert info.value.field == "--set n_patients.x"


def test_unquoted_colon_in_value_is_rejected_not_turned_into_a_mapping():
    with pytest.raises(ConfigError) as info:
        parse_override("regimen=nivolumab: 3 mg/kg")
    assert "quote" in str(info.value)


def test_invalid_yaml_value_asks_for_quotes():
    with pytest.raises(ConfigError) as info:
        parse_override("regimen=[unclosed")
    assert info.value.field == "--set regimen"
    assert "quotes" in str(info.value)

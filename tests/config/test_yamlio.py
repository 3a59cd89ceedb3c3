"""YAML reading: exponent floats, duplicate keys and errors that name the file and the line."""

from __future__ import annotations

import pytest

from tmesim.config.yamlio import dump_yaml, parse_yaml, read_yaml
from tmesim.errors import ConfigError


def test_exponent_numbers_are_floats_and_integers_stay_integers():
    data = parse_yaml("a: 1e-8\nb: 2.5E6\nc: 100\nd: .5e3\ne: 1e-8x\nf: 1_000")
    assert data == {"a": 1e-8, "b": 2.5e6, "c": 100, "d": 500.0, "e": "1e-8x", "f": 1000}
    assert isinstance(data["c"], int)


def test_strings_that_look_like_numbers_are_quoted_on_dump():
    for text in ["1e-8", "2E5", "0.5", "true", "null", "010", "1e5"]:
        assert parse_yaml(dump_yaml({"v": text})) == {"v": text}


@pytest.mark.parametrize("text", ["\x85", "a\x85b", "a\u2028b", "\u2029", "x\n", "\x00\t", " a "])
def test_unusual_characters_survive_a_round_trip(text):
    data = {"key": text, "items": [{"key": text}]}
    assert parse_yaml(dump_yaml(data)) == data


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_text("preset: mouse_4t1\nn_patients 100\nseed: 3\n")
    with pytest.raises(ConfigError) as info:
        read_yaml(path)
    message = str(info.value)
    assert f"{path}, line 2" in message
    assert "n_patients 100" in message
    assert "key: value" in message


def test_bad_indentation_names_its_line(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_text("preset: mouse_4t1\nparameters:\n  a: 1\n   b: 2\n")
    with pytest.raises(ConfigError) as info:
        read_yaml(path)
    assert "line 4" in str(info.value)


def test_tabs_get_a_specific_hint():
    with pytest.raises(ConfigError) as info:
        parse_yaml("parameters:\n\ta: 1\n", source="s.yaml")
    assert "tabs" in str(info.value)
    assert "s.yaml, line 2" in str(info.value)


def test_duplicate_key_is_an_error_naming_both_lines():
    with pytest.raises(ConfigError) as info:
        parse_yaml("seed: 1\nn_patients: 5\nseed: 2\n", source="s.yaml")
    message = str(info.value)
    assert "s.yaml, line 3" in message
    assert "already given on line 1" in message


def test_duplicate_in_nested_mapping_is_caught():
    with pytest.raises(ConfigError, match="line 3"):
        parse_yaml("parameters:\n  a: 1\n  a: 2\n")


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(ConfigError) as info:
        read_yaml(tmp_path / "nope.yaml")
    assert "nope.yaml" in str(info.value)
    assert "no file exists" in str(info.value)


def test_folder_instead_of_file(tmp_path):
    with pytest.raises(ConfigError, match="not a folder"):
        read_yaml(tmp_path)

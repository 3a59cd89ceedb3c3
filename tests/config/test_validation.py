"""validate_config: pydantic errors turned into messages that name the path users wrote."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from tmesim.config.validation import format_path, validate_config
from tmesim.errors import ConfigError


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    drug: str
    dose: float = Field(gt=0)


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rtol: float = Field(1e-6, gt=0, lt=1, description="Relative tolerance.")
    method: Literal["rodas5", "tsit5"] = "rodas5"
    steps: list[Step] = []


def test_prefix_completes_the_path_for_nested_sections():
    with pytest.raises(ConfigError) as info:
        validate_config(Settings, {"rtol": 2.0}, label="solver", prefix=("solver",))
    assert info.value.field == "solver.rtol"
    assert "less than 1" in str(info.value)
    assert "Relative tolerance" in str(info.value)


def test_unknown_key_of_a_section_suggests_with_the_label():
    with pytest.raises(ConfigError) as info:
        validate_config(Settings, {"rtoll": 1e-8}, label="solver", prefix=("solver",))
    assert str(info.value).startswith("solver key: 'rtoll' is not valid; did you mean 'rtol'?")


def test_errors_inside_lists_of_models_name_the_index():
    data = {"steps": [{"drug": "nivolumab", "dose": 1.0}, {"drug": "ipilimumab", "dose": -3}]}
    with pytest.raises(ConfigError) as info:
        validate_config(Settings, data)
    assert info.value.field == "steps[1].dose"
    assert info.value.value == -3


def test_unknown_key_inside_a_list_item_names_its_place():
    data = {"steps": [{"drug": "nivolumab", "dose": 1.0, "dos": 2}]}
    with pytest.raises(ConfigError) as info:
        validate_config(Settings, data, source="s.yaml")
    assert info.value.field == "steps[0] key"
    assert info.value.value == "dos"
    assert "did you mean 'dose'?" in str(info.value)
    assert "(in s.yaml)" in str(info.value)


def test_literal_choices_are_listed():
    with pytest.raises(ConfigError) as info:
        validate_config(Settings, {"method": "rodas"})
    assert "'rodas5' or 'tsit5'" in str(info.value)


def test_override_origin_is_reported():
    with pytest.raises(ConfigError) as info:
        validate_config(Settings, {}, overrides=["rtol=0"], source="s.yaml")
    assert "(set by --set rtol=0)" in str(info.value)
    assert "s.yaml" not in str(info.value)


def test_valid_data_passes_through_with_overrides():
    settings = validate_config(Settings, {"rtol": 1e-3}, overrides=["method=tsit5"])
    assert settings == Settings(rtol=1e-3, method="tsit5")


@pytest.mark.parametrize(
    ("path", "text"),
    [((), ""), (("a",), "a"), (("a", 0, "b"), "a[0].b"), ((0, "x"), "[0].x")],
)
def test_format_path(path, text):
    assert format_path(path) == text

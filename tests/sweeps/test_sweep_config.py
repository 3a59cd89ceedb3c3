"""The sweep file: errors name the field and the fix; paths are those of `--set`."""

from __future__ import annotations

import pytest

from tmesim.config.overrides import apply_overrides, set_entries
from tmesim.config.schema import config_keys
from tmesim.config.sweep import load_sweep, sweep_from_dict
from tmesim.errors import ConfigError
from tmesim.sweeps.run import point_scenarios

STUDY = {
    "title": "t",
    "cohorts": [{"name": "4T1", "preset": "mouse_4t1", "n": 4}],
    "arms": [
        {"name": "control"},
        {"name": "A", "regimen": [{"drug": "rmp1-14", "amount": 200, "unit": "ug"}]},
    ],
}
AXIS = {"name": "dose", "path": "arms.1.regimen.0.amount", "values": [100, 200]}


def _sweep(**changes):
    data = {"title": "s", "study": STUDY, "axes": [AXIS], **changes}
    return sweep_from_dict(data)


@pytest.mark.parametrize(
    ("changes", "field", "fix"),
    [
        ({"axes": [{"name": "d", "values": [1]}]}, "axes.d.path", "name the study entry"),
        ({"axes": [{"name": "d", "path": "x"}]}, "axes.d", "exactly one of values"),
        ({"axes": [{"name": "d", "path": "x", "values": [1], "range": [0, 1]}]}, "axes.d",
         "exactly one of"),
        ({"axes": [{"name": "d", "path": "seed", "values": [1, 2]}]}, "axes.d.path",
         "same virtual patients"),
        ({"axes": [{"name": "d", "path": "x", "values": [1, 2], "labels": ["a"]}]},
         "axes.d.labels", "one label per value"),
        ({"axes": [{"name": "d", "path": "x", "range": [2, 1]}],
          "design": {"kind": "sobol", "n": 4}}, "axes.d.range", "low < high"),
        ({"axes": [{"name": "d", "path": "x", "range": [0, 1], "scale": "log"}],
          "design": {"kind": "sobol", "n": 4}}, "axes.d.range", "low > 0"),
        ({"axes": [{"name": "d", "path": "x", "range": [0, 1]}]}, "axes.d.range",
         "latin_hypercube"),
        ({"design": {"kind": "sobol", "n": 12}}, "design.n", "use 8 or 16"),
        ({"design": {"kind": "latin_hypercube"}}, "design.n", "how many points"),
        ({"axes": [AXIS, AXIS]}, "axes.name", "its own name"),
        ({"heatmap": ["dose", "nope"]}, "heatmap", "name two axes"),
        ({"synergy": {"a": "A", "b": "A", "combination": "C"}}, "synergy", "three different"),
    ],
)  # fmt: skip
def test_bad_sweeps_name_the_field_and_the_fix(changes, field, fix) -> None:
    with pytest.raises(ConfigError) as err:
        _sweep(**changes)
    message = str(err.value)
    assert message.startswith(field), message
    assert fix in message, message


def test_an_unknown_key_suggests_the_valid_one() -> None:
    with pytest.raises(ConfigError, match="did you mean 'axes'"):
        sweep_from_dict({"title": "s", "study": STUDY, "axis": [AXIS]})


def test_a_point_that_makes_an_invalid_study_names_the_axis_values() -> None:
    bad = {"name": "dose", "path": "arms.1.regimen.0.amount", "values": [100, -5]}
    with pytest.raises(ConfigError) as err:
        point_scenarios(_sweep(axes=[bad]), STUDY)
    message = str(err.value)
    assert "dose=-5" in message and "p0001" in message and "amount" in message


def test_a_path_through_a_value_says_how_to_set_it() -> None:
    bad = {"name": "dose", "path": "arms.0.regimen.0.amount", "values": [1]}
    study = {**STUDY, "arms": [{"name": "control", "regimen": "untreated"}]}
    with pytest.raises(ConfigError, match="arms.0.regimen"):
        point_scenarios(_sweep(axes=[bad]), study)


def test_synergy_arms_must_be_arms_of_the_study() -> None:
    s = _sweep(synergy={"a": "A", "b": "B", "combination": "A+B"})
    with pytest.raises(ConfigError, match="synergy.b"):
        point_scenarios(s, STUDY)


def test_set_entries_follows_the_rules_of_set() -> None:
    typed = set_entries(STUDY, {"arms.1.regimen.0.amount": 50, "cohorts.0.n": 7})
    parsed = apply_overrides(STUDY, ["arms.1.regimen.0.amount=50", "cohorts.0.n=7"])
    assert typed == parsed
    assert STUDY["cohorts"][0]["n"] == 4  # the template is not modified
    with pytest.raises(ConfigError, match="list of 2 entries"):
        set_entries(STUDY, {"arms.5.name": "x"}, label="axes")


def test_a_study_file_is_read_relative_to_the_sweep_file(tmp_path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "study.yaml").write_text("title: t\ncohorts: []\narms: []\n")
    (tmp_path / "sweep.yaml").write_text(
        "title: s\nstudy: sub/study.yaml\naxes: [{name: n, path: cohorts.0.n, values: [1]}]\n"
    )
    config, template = load_sweep(tmp_path / "sweep.yaml")
    assert template["title"] == "t" and config.axes[0].paths == ["cohorts.0.n"]
    (tmp_path / "other.yaml").write_text(
        "title: s\nstudy: missing.yaml\naxes: [{name: n, path: cohorts.0.n, values: [1]}]\n"
    )
    with pytest.raises(ConfigError, match="no such study file"):
        load_sweep(tmp_path / "other.yaml")


def test_the_schema_lists_the_sweep_keys_with_the_study_keys() -> None:
    paths = {k.path for k in config_keys("sweep")}
    assert {"axes[].path", "design.kind", "synergy.combination", "study.arms[].regimen"} <= paths


@pytest.mark.parametrize(
    ("synergy", "fix"),
    [
        ({"dose_a": "dose"}, "give dose_a and dose_b"),
        ({"dose_a": "dose", "dose_b": "nope"}, "name an axis"),
        ({"dose_a": "dose", "dose_b": "dose"}, "the other agent"),
        ({"dose_a": "dose", "dose_b": "order"}, "positive numbers"),
    ],
)
def test_loewe_dose_axes_are_checked(synergy, fix) -> None:
    order = {"name": "order", "path": "arms.0.regimen", "values": ["untreated", "untreated"]}
    with pytest.raises(ConfigError, match=fix):
        _sweep(axes=[AXIS, order], synergy={"a": "A", "b": "B", "combination": "C", **synergy})


def test_set_reaches_into_a_study_read_from_its_file(tmp_path) -> None:
    from tmesim.config.yamlio import dump_yaml

    (tmp_path / "study.yaml").write_text(dump_yaml(STUDY))
    (tmp_path / "sweep.yaml").write_text(dump_yaml({"title": "s", "study": "study.yaml",
                                                    "axes": [AXIS]}))  # fmt: skip
    config, template = load_sweep(
        tmp_path / "sweep.yaml", ["study.cohorts.0.n=7", "design.kind=grid"]
    )
    assert template["cohorts"][0]["n"] == 7 and config.design.kind == "grid"
    inline = tmp_path / "inline.yaml"
    inline.write_text(dump_yaml({"title": "s", "study": STUDY, "axes": [AXIS]}))
    _, template = load_sweep(inline, ["study.cohorts.0.n=9"])
    assert template["cohorts"][0]["n"] == 9

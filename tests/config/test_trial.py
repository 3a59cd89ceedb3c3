"""The study scenario: bad input is named with its fix; a study round-trips through YAML."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tmesim.config.trial import load_trial, trial_from_dict, trial_to_yaml
from tmesim.errors import ConfigError
from tmesim.trials.runner import run_study
from tmesim.trials.scenarios import flagship_path

BASE = {
    "title": "t",
    "cohorts": [{"name": "4T1", "preset": "mouse_4t1", "n": 2}],
    "arms": [{"name": "control"}, {"name": "CPB", "regimen": "rmp1-14 200 ug biw x2"}],
}


def study(**changes):
    return trial_from_dict({**BASE, **changes})


def test_unknown_key_suggests_the_nearest():
    with pytest.raises(ConfigError, match="follow_up_days"):
        trial_from_dict({**BASE, "folow_up_days": 30})


def test_duplicate_arm_names_are_refused():
    with pytest.raises(ConfigError, match="arms.name"):
        study(arms=[{"name": "a"}, {"name": "a"}])


def test_rechallenge_belongs_to_mouse_studies():
    with pytest.raises(ConfigError, match="rechallenge"):
        study(kind="clinical_trial", rechallenge={"cells": 1e5})


def test_override_of_a_missing_list_entry_says_how_many_there_are():
    with pytest.raises(ConfigError, match="list of 1 entries"):
        trial_from_dict(BASE, ["cohorts.3.n=5"])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cohorts": [{"name": "x", "preset": "mouse_4t"}]}, "cohorts.x.preset"),
        (
            {"cohorts": [{"name": "x", "preset": "mouse_4t1", "parameters": {"tumor_grwth": 1}}]},
            "cohorts.x.parameters",
        ),
        ({"arms": [{"name": "a", "regimen": "nivolumab 3 mg/kg q2w"}]}, "arms.a.regimen"),
        ({"setting": "metastatic"}, "setting"),
    ],
)
def test_bad_studies_fail_before_anything_is_written(tmp_path, change, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        run_study(study(**change), tmp_path / "out", progress=False, report=False)
    assert not (tmp_path / "out").exists()


def test_the_flagship_scenario_is_valid_and_tells_its_story():
    s = load_trial(flagship_path())
    assert [c.preset for c in s.cohorts] == ["mouse_4t1", "mouse_b16_gmcsf", "mouse_b16f10"]
    assert len(s.arms) == 4 and s.rechallenge is not None
    assert "IPI-549" in s.title and "myeloid" in s.description


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 1000),
    seed=st.integers(0, 2**40),
    follow_up=st.floats(1.0, 2000.0),
    design=st.sampled_from(["matched", "randomized"]),
    criteria=st.sampled_from(["recist1.1", "irecist"]),
)
def test_studies_round_trip_through_yaml(tmp_path_factory, n, seed, follow_up, design, criteria):
    s = study(
        seed=seed,
        follow_up_days=follow_up,
        save_every_days=min(1.0, follow_up),
        design=design,
        response={"criteria": criteria},
        cohorts=[{"name": "c", "preset": "human_nsclc", "n": n}],
    )
    path = tmp_path_factory.mktemp("y") / "study.yaml"
    path.write_text(trial_to_yaml(s))
    assert load_trial(path) == s

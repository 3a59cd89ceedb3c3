"""Target files: every shipped target loads and its study is a valid study; bad files are refused
with the field named."""

from __future__ import annotations

import copy

import pytest

from tmesim.config.trial import TrialScenario
from tmesim.errors import ConfigError
from tmesim.validation.targets import (
    METRICS_BY_KIND,
    load_target,
    load_targets,
    target_files,
    target_from_dict,
)

SPEC_STUDIES = (
    "de_henau_2016",
    "gao_2016",
    "franklin_2014",
    "mestrallet",
    "checkmate067_orr",
    "checkmate067_median_pfs",
    "schadendorf_2015",
    "le_2015",
    "atkins_1999",
    "cd19_cart",
    "antibody_half_life",
)


def _base() -> dict:
    return {
        "id": "demo",
        "title": "demo",
        "citation": "a paper, Fig. 1",
        "kind": "mouse",
        "study": {
            "title": "demo study",
            "cohorts": [{"name": "4T1", "preset": "mouse_4t1"}],
            "arms": [{"name": "control"}, {"name": "treated", "regimen": "rmp1-14 200 ug biw x6"}],
        },
        "published": {"value": 50, "units": "percent", "n": 10, "events": 5},
        "metric": {"type": "tumor_free_fraction", "arm": "treated"},
        "acceptance": {"rule": "consistent"},
        "simulate": {"n": 20, "n_fast": 4},
    }


@pytest.mark.parametrize("path", target_files(), ids=lambda p: p.stem)
def test_every_shipped_target_loads_with_a_valid_study(path):
    target = load_target(path)
    assert target.id == path.stem
    assert target.metric.type in METRICS_BY_KIND[target.kind]
    if target.kind == "pk":
        assert target.pk is not None and target.study is None
    else:
        scenario = target.scenario_at(target.simulate.n_fast)
        assert isinstance(scenario, TrialScenario)
        assert all(
            c.n == target.simulate.n_fast or scenario.design == "randomized"
            for c in scenario.cohorts
        )


def test_every_result_of_the_spec_has_a_target():
    ids = [p.stem for p in target_files()]
    for prefix in SPEC_STUDIES:
        assert any(i.startswith(prefix) for i in ids), prefix


def test_fast_subset_is_small_and_a_subset():
    everything = {t.id for t in load_targets()}
    fast = load_targets(fast=True)
    assert fast and {t.id for t in fast} < everything
    assert all(t.simulate.n_fast <= t.simulate.n for t in fast)


def test_randomized_study_gets_n_per_arm():
    target = load_targets(["checkmate067_orr_nivolumab"])[0]
    scenario = target.scenario_at(7)
    assert scenario.design == "randomized"
    assert scenario.cohorts[0].n == 7 * len(scenario.arms)


def test_a_valid_dict_loads():
    target = target_from_dict(_base())
    assert target.scenario_at(3).cohorts[0].n == 3


def _error(data: dict) -> str:
    with pytest.raises(ConfigError) as info:
        target_from_dict(data)
    return str(info.value)


def test_unknown_key_is_named_with_a_suggestion():
    data = _base()
    data["published"]["valeu"] = data["published"].pop("value")
    message = _error(data)
    assert "valeu" in message and "value" in message


def test_metric_not_valid_for_the_kind_is_named():
    data = _base()
    data["metric"] = {"type": "orr", "arm": "treated"}
    message = _error(data)
    assert "metric.type" in message and "tumor_free_fraction" in message


def test_missing_arm_is_named_with_the_choices():
    data = _base()
    data["metric"]["arm"] = "tretaed"
    message = _error(data)
    assert "metric.arm" in message and "treated" in message


def test_group_size_inside_the_study_is_refused():
    data = _base()
    data["study"]["cohorts"][0]["n"] = 10
    assert "study.cohorts[0].n" in _error(data)


def test_invalid_study_is_reported_under_study():
    data = _base()
    data["study"]["arms"][1]["regimen"] = "nosuchdrug 1 mg once"
    assert _error(data).startswith("target: study.")


def test_rule_needs_its_settings():
    data = copy.deepcopy(_base())
    data["acceptance"] = {"rule": "consistent"}
    data["published"] = {"value": 50, "units": "percent"}
    assert "published.ci" in _error(data)  # neither k of n nor an interval
    data["acceptance"] = {"rule": "direction"}
    data["published"] = {"units": "percent"}
    assert "acceptance.sign" in _error(data)


def test_contrast_needs_another_group():
    data = _base()
    data["published"] = {"value": 0, "units": "percent"}
    data["metric"] = {
        "type": "fraction_difference",
        "of": "tumor_free_fraction",
        "arm": "treated",
        "reference": {"arm": "treated"},
    }
    data["acceptance"] = {"rule": "tolerance", "absolute": 10}
    assert "metric.reference" in _error(data)


def test_reference_counts_belong_to_a_difference_with_both_counts():
    data = _base()
    data["published"]["reference_n"] = 10
    data["published"]["reference_events"] = 2
    assert "published.reference_events" in _error(data)  # tumor_free_fraction is no difference
    data["metric"] = {
        "type": "fraction_difference",
        "of": "tumor_free_fraction",
        "arm": "treated",
        "reference": {"arm": "control"},
    }
    target_from_dict(data)
    data["published"]["reference_events"] = 11
    assert "events cannot exceed n" in _error(data)


def test_every_contrast_of_a_consistent_rule_publishes_both_sides():
    """A difference judged by `consistent` carries both groups' k of n or an interval; every
    contrast of the shipped targets that a paper published has a target of its own."""
    contrasts = {
        t.id: t for t in load_targets() if t.metric.type in ("fraction_difference", "hazard_ratio")
    }
    for name in (
        "de_henau_2016_4t1_ipi549_gain",
        "de_henau_2016_b16gmcsf_ipi549_gain",
        "le_2015_orr_dmmr_vs_pmmr",
        "le_2015_pfs_hazard_ratio_dmmr_vs_pmmr",
        "checkmate067_pfs_hazard_ratio_nivolumab_ipilimumab_vs_ipilimumab",
        "checkmate067_pfs_hazard_ratio_nivolumab_vs_ipilimumab",
    ):
        target = contrasts[name]
        assert target.acceptance.rule == "consistent"
        p = target.published
        assert p.ci is not None or p.reference_n is not None, name


def test_unknown_only_id_suggests_the_nearest():
    with pytest.raises(ConfigError, match="le_2015_dmmr_orr"):
        load_targets(["le_2015_dmmr_or"])


def test_checkmate067_primary_analysis_targets_read_one_study_at_its_cutoff():
    """Every target from Larkin 2015's primary analysis reads its endpoint at that analysis's
    data cutoff, in one shared virtual study; the 5-year targets (Larkin 2019) have no cutoff.
    The adverse-event targets read the same study with toxicity on (treatment then stops for it)."""
    from tmesim.trials.toxicity import ANY_GRADE_TARGETS, CALIBRATION_TARGETS

    safety = set(CALIBRATION_TARGETS.values()) | set(ANY_GRADE_TARGETS.values())
    cited = [t for t in load_targets() if "373:23" in t.citation]
    primary = [t for t in cited if t.id not in safety]
    assert len(primary) >= 14
    studies = {repr(t.study) for t in primary}
    assert len(studies) == 1
    for t in cited:
        if t.id in safety:
            arms = [{k: v for k, v in a.items() if k != "treat_until"} for a in t.study["arms"]]
            plain = {k: v for k, v in t.study.items() if k not in ("toxicity", "title")}
            reference = {k: v for k, v in primary[0].study.items() if k != "title"}
            assert {**plain, "arms": arms} == reference, t.id
    scenario = primary[0].scenario_at(primary[0].simulate.n)
    assert scenario.data_cutoff is not None
    assert scenario.data_cutoff.minimum_follow_up_days < scenario.data_cutoff.cutoff_day
    assert scenario.follow_up_days >= scenario.data_cutoff.cutoff_day
    later = [t for t in load_targets() if "381:1535" in t.citation]
    assert later and all(t.scenario_at(t.simulate.n).data_cutoff is None for t in later)

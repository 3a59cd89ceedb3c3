"""Immune-related adverse events: calibration, per-patient onsets, treatment stops, report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest
from studyhelp import clinical_trial, mouse_study

from tmesim.config.trial import Toxicity
from tmesim.config.yamlio import read_yaml
from tmesim.errors import ConfigError
from tmesim.model import build_model
from tmesim.solvers import DoseSchedule
from tmesim.trials.cell_toxicity import CART_TARGETS
from tmesim.trials.runner import run_study
from tmesim.trials.toxicity import (
    ANY_GRADE_TARGETS,
    CALIBRATION_TARGETS,
    REFERENCE_EXPOSURE_DAYS,
    ToxicityModel,
    calibrated_hazards,
    event_probability,
    larkin_2015_any_grade,
    larkin_2015_grade34,
    onset_days,
    thresholds,
    toxicity_columns,
)

MODEL = build_model()
PD1 = MODEL.species_index("anti_pd1_central")
CTLA4 = MODEL.species_index("anti_ctla4_central")


def _regimen_doses(arm: str) -> tuple[list[float], list[int]]:
    """CheckMate 067's arms as dose times and states, over the reference exposure."""
    ipi = [0.0, 21.0, 42.0, 63.0]
    nivo = [14.0 * k for k in range(15)]
    if arm == "anti_ctla4":
        return ipi, [CTLA4] * 4
    if arm == "anti_pd1":
        return nivo, [PD1] * 15
    maintenance = [84.0 + 14.0 * k for k in range(9)]  # nivolumab from day 84 to day 196
    return ipi + ipi + maintenance, [CTLA4] * 4 + [PD1] * 4 + [PD1] * 9


@pytest.mark.parametrize("log_sd", [0.0, 0.5, 1.0])
def test_the_calibrated_hazards_give_the_source_rates_over_the_reference_exposure(log_sd):
    h = calibrated_hazards(log_sd)
    for arm, rate in larkin_2015_grade34().items():
        exposure = REFERENCE_EXPOSURE_DAYS[arm]
        cumulative = sum(h[k] * days for k, days in exposure.items())
        assert event_probability(cumulative, log_sd) == pytest.approx(rate, abs=1e-9)


@pytest.mark.parametrize("arm", list(larkin_2015_grade34()))
def test_discontinuation_in_a_large_virtual_arm_matches_the_configured_rate(arm):
    n = 20_000
    tox = ToxicityModel.from_config(Toxicity(enabled=True))
    times, states = _regimen_doses(arm)
    schedule = DoseSchedule.from_lists([(times, states, [1.0] * len(times))] * n)
    limits = thresholds(7, np.arange(n), np.zeros(n, dtype=np.int64), tox.log_sd)
    onset = onset_days(tox, MODEL, schedule, limits)
    events = int(np.isfinite(onset).sum())
    ci = binomtest(events, n).proportion_ci(0.999)
    assert ci.low <= larkin_2015_grade34()[arm] <= ci.high
    assert np.nanmax(onset) <= max(times) + tox.window_days  # only while exposed


@pytest.mark.parametrize("log_sd", [1.0, 1.5])
def test_the_any_grade_hazards_give_the_source_rates_over_the_reference_exposure(log_sd):
    # Below a log-sd of about 0.6 the two monotherapy hazards alone already exceed the
    # combination's any-grade rate (its pair hazard is then 0, `calibrated_hazards`).
    h = calibrated_hazards(log_sd, "any")
    for arm, rate in larkin_2015_any_grade().items():
        exposure = REFERENCE_EXPOSURE_DAYS[arm]
        cumulative = sum(h[k] * days for k, days in exposure.items())
        assert event_probability(cumulative, log_sd) == pytest.approx(rate, abs=1e-9)
        assert rate > larkin_2015_grade34()[arm]  # the targets read what they should


@pytest.mark.parametrize("arm", list(larkin_2015_any_grade()))
def test_any_grade_events_in_a_large_virtual_arm_match_the_source_and_precede_grade_34(arm):
    n = 20_000
    tox = ToxicityModel.from_config(Toxicity(enabled=True))
    times, states = _regimen_doses(arm)
    schedule = DoseSchedule.from_lists([(times, states, [1.0] * len(times))] * n)
    limits = thresholds(7, np.arange(n), np.zeros(n, dtype=np.int64), tox.log_sd)
    severe = onset_days(tox, MODEL, schedule, limits)
    mild = onset_days(tox.any_grade(), MODEL, schedule, limits)
    cols = toxicity_columns(severe, np.zeros(n, bool), np.full(n, np.nan), np.ones(n, bool), mild)
    events = int(cols["irae_any_grade"].sum())
    ci = binomtest(events, n).proportion_ci(0.999)
    assert ci.low <= larkin_2015_any_grade()[arm] <= ci.high
    graded = cols["irae_grade34"]
    assert cols["irae_any_grade"][graded].all()  # a grade 3–4 event is an event of any grade
    assert (cols["irae_any_grade_day"][graded] <= cols["irae_grade34_day"][graded]).all()
    assert np.nanmedian(cols["irae_any_grade_day"]) < np.nanmedian(cols["irae_grade34_day"])


def test_a_configured_hazard_replaces_the_calibrated_one():
    n = 20_000
    tox = ToxicityModel.from_config(
        Toxicity(hazard_per_year={"anti_pd1": 0.73}, susceptibility_log_sd=0.0)
    )
    schedule = DoseSchedule.from_lists([([0.0], [PD1], [1.0])] * n)
    onset = onset_days(tox, MODEL, schedule, thresholds(2, np.arange(n), np.zeros(n, int), 0.0))
    expected = 1 - np.exp(-0.73 / 365.25 * 42.0)
    events = int(np.isfinite(onset).sum())
    assert binomtest(events, n, expected).pvalue > 0.001


def test_a_bad_hazard_class_or_a_mouse_study_is_refused():
    with pytest.raises(ConfigError, match="toxicity.hazard_per_year"):
        clinical_trial(toxicity={"enabled": True, "hazard_per_year": {"anti_pd2": 1.0}})
    with pytest.raises(ConfigError, match="toxicity"):
        mouse_study(kind="mouse_study", toxicity={"enabled": True})


def test_the_validation_targets_leave_toxicity_off_except_its_calibration_targets():
    targets = Path(__file__).resolve().parents[2] / "src" / "tmesim" / "validation" / "targets"

    def keys(data: object) -> set[str]:
        if isinstance(data, dict):
            return {str(k) for k in data} | set().union(*(keys(v) for v in data.values()))
        if isinstance(data, list):
            return set().union(*(keys(v) for v in data))
        return set()

    paths = list(targets.rglob("*.y*ml"))
    assert paths
    own = (
        set(CALIBRATION_TARGETS.values())
        | set(ANY_GRADE_TARGETS.values())
        | set(CART_TARGETS.values())
    )
    assert own <= {p.stem for p in paths}
    for path in paths:
        found = keys(read_yaml(path))
        if path.stem in own:  # the study that reads back the rates the hazards were solved for
            assert read_yaml(path)["study"]["toxicity"]["enabled"] is True
        else:
            assert not found & {"toxicity", "treat_until"}, path.name


def test_a_grade_34_event_stops_the_treatment_and_shows_in_the_report(tmp_path):
    combo = "nivolumab 1 mg/kg q3w x4 + ipilimumab 3 mg/kg q3w x4 + nivolumab 3 mg/kg q2w x8 from day 84"
    s = clinical_trial(
        follow_up_days=182,
        toxicity={"hazard_per_year": {"anti_ctla4+anti_pd1": 12.0}},
        arms=[
            {"name": "off", "regimen": combo},
            {"name": "combination", "regimen": combo, "treat_until": "progression_or_toxicity"},
        ],
    )
    run_study(s, tmp_path, progress=False, report=True, n_threads=1)
    p = pd.read_parquet(tmp_path / "patients.parquet")
    off = p[p["arm"] == "off"]
    assert "irae_grade34" not in off.columns or off["irae_grade34"].isna().all()
    on = p[(p["arm"] == "combination") & (p["status"] == "success")]
    stopped = on[on["irae_discontinued"].astype(bool)]
    assert len(stopped), "no event with a high hazard; the test cannot check the stop"
    assert (stopped["treatment_stop_reason"] == "toxicity").all()
    assert (stopped["treatment_stop_day"] == stopped["irae_grade34_day"]).all()
    assert (stopped["last_dose_day"] < stopped["irae_grade34_day"]).all()
    assert (on.loc[on["irae_grade34"].astype(bool), "irae_grade34_day"] <= 182).all()
    assert on["irae_any_grade"].astype(bool).sum() >= on["irae_grade34"].astype(bool).sum()
    assert (
        "Treatment-related adverse events (any grade and grade 3–4)"
        in (tmp_path / "report.html").read_text()
    )


def test_an_adjuvant_trial_records_toxicity_without_progression(tmp_path):
    s = clinical_trial(
        setting="adjuvant",
        follow_up_days=126,
        toxicity={"enabled": True, "hazard_per_year": {"anti_pd1": 20.0}},
        arms=[{"name": "nivolumab", "regimen": "nivolumab 480 mg q4w x4"}],
    )
    run_study(s, tmp_path, progress=False, report=False, n_threads=1)
    p = pd.read_parquet(tmp_path / "patients.parquet")
    ok = p[p["status"] == "success"]
    assert len(ok) and ok["irae_grade34"].astype(bool).any()
    assert set(ok["treatment_stop_reason"]) <= {"", "toxicity"}


@pytest.mark.parametrize(
    "extra",
    [
        {"toxicity": {"enabled": True}},
        {"subgroups": [{"biomarker": "sex"}]},
    ],
)
def test_clinical_only_keys_are_refused_in_a_mouse_study(extra):
    from tmesim.trials.study import Study

    with pytest.raises(ConfigError, match="mouse study"):
        Study(mouse_study(**extra), n_threads=1)

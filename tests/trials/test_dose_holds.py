"""Dose holds after a grade 3–4 irAE: hold and discontinuation shares, held doses not given."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest
from studyhelp import clinical_trial

from tmesim.config.trial import DoseHold, Toxicity
from tmesim.errors import ConfigError
from tmesim.model import build_model
from tmesim.solvers import DoseSchedule
from tmesim.trials.dose_holds import LABEL_HOLDS, held_doses, hold_draws, hold_plan
from tmesim.trials.runner import run_study
from tmesim.trials.toxicity import ToxicityModel, onset_days, thresholds

MODEL = build_model()
PD1 = MODEL.species_index("anti_pd1_central")
CTLA4 = MODEL.species_index("anti_ctla4_central")
N = 20_000
RULE = {"resume_share": 1.0, "resolution_median_days": 9.0}


def _arm(times: list[float], states: list[int], holds: object, seed: int = 11):
    """Onsets, hold decisions and resolution days of a large virtual arm given in full."""
    tox = ToxicityModel.from_config(Toxicity(enabled=True, holds=holds))
    schedule = DoseSchedule.from_lists([(times, states, [1.0] * len(times))] * N)
    ids, screens = np.arange(N), np.zeros(N, dtype=np.int64)
    onset = onset_days(tox, MODEL, schedule, thresholds(seed, ids, screens, tox.log_sd))
    u, r = hold_draws(seed, ids, screens)
    held, resolved = hold_plan(tox.holds, tox.window_days, MODEL, schedule, onset, u, r)
    return schedule, onset, held, resolved


def _inside(share: float, k: int, n: int) -> bool:
    ci = binomtest(k, n).proportion_ci(0.999)
    return ci.low <= share <= ci.high


@pytest.mark.parametrize("resume_share", [0.25, 0.7])
def test_hold_and_discontinuation_shares_match_the_configured_rule(resume_share):
    median = 30.0
    rule = {"anti_pd1": {"resume_share": resume_share, "resolution_median_days": median}}
    nivo = [14.0 * k for k in range(26)]
    _, onset, held, resolved = _arm(nivo, [PD1] * len(nivo), rule)
    events = np.isfinite(onset)
    assert events.sum() > 1000, "too few events for the test to check the shares"
    assert _inside(resume_share, int(held.sum()), int(events.sum()))
    assert _inside(1 - resume_share, int((events & ~held).sum()), int(events.sum()))
    assert not held[~events].any()
    duration = (resolved - onset)[held]
    assert (duration > 0).all()
    assert _inside(0.5, int((duration < median).sum()), len(duration))  # the configured median


def test_the_label_rules_never_resume_after_an_anti_ctla4_event():
    ipi = [0.0, 21.0, 42.0, 63.0]
    combo_t, combo_s = ipi + ipi + [84.0 + 14.0 * k for k in range(9)], [CTLA4] * 4 + [PD1] * 13
    _, onset, held, _ = _arm(ipi, [CTLA4] * 4, "label")
    assert np.isfinite(onset).sum() > 1000 and not held.any()
    _, onset, held, _ = _arm(combo_t, combo_s, "label")
    with_ipi = np.isfinite(onset) & (onset < 63.0 + 42.0)  # exposed to ipilimumab at onset
    assert with_ipi.sum() > 1000 and not held[with_ipi].any()
    late = np.isfinite(onset) & ~with_ipi  # nivolumab maintenance alone: the anti-PD-1 rule
    assert late.sum() > 50
    assert _inside(LABEL_HOLDS["anti_pd1"].resume_share, int(held[late].sum()), int(late.sum()))


def test_a_held_dose_is_not_given_and_dosing_resumes_after_resolution():
    nivo = [14.0 * k for k in range(26)]
    rule = {"anti_pd1": {"resume_share": 1.0, "resolution_median_days": 60.0}}
    schedule, onset, held, resolved = _arm(nivo, [PD1] * len(nivo), rule)
    given = held_doses(schedule, np.where(held, onset, np.nan), resolved)
    assert held.sum() > 1000
    counts = np.diff(given.ptr)
    assert (counts[~held] == len(nivo)).all()
    resumed = 0
    for i in np.flatnonzero(held)[:500]:
        t = given.t[given.ptr[i] : given.ptr[i + 1]]
        assert not ((t >= onset[i]) & (t < resolved[i])).any()
        skipped = [d for d in nivo if onset[i] <= d < resolved[i]]
        assert len(t) == len(nivo) - len(skipped)
        resumed += bool((t >= resolved[i]).any())
    assert resumed > 0, "no patient resumed; the test cannot check resumption"


def test_a_hold_rule_for_a_pair_or_an_unknown_class_is_refused():
    with pytest.raises(ConfigError, match="toxicity.holds"):
        clinical_trial(toxicity={"holds": {"anti_ctla4+anti_pd1": RULE}})
    with pytest.raises(ConfigError, match="anti_pd2"):
        clinical_trial(toxicity={"holds": {"anti_pd2": RULE}})
    with pytest.raises(ValueError, match="resume_share"):
        DoseHold(resume_share=1.5, resolution_median_days=9.0)


def test_holds_off_by_default_keep_every_event_a_discontinuation():
    assert Toxicity().holds == "none"
    assert ToxicityModel.from_config(Toxicity()).holds == {}


def test_a_held_patient_in_a_trial_is_not_stopped_and_skips_its_doses(tmp_path):
    s = clinical_trial(
        follow_up_days=168,
        toxicity={
            "enabled": True,
            "hazard_per_year": {"anti_pd1": 15.0},
            "holds": {"anti_pd1": {"resume_share": 1.0, "resolution_median_days": 28.0}},
        },
        arms=[{"name": "nivolumab", "regimen": "nivolumab 3 mg/kg q2w x12"}],
    )
    run_study(s, tmp_path, progress=False, report=False, n_threads=1)
    p = pd.read_parquet(tmp_path / "patients.parquet")
    ok = p[p["status"] == "success"]
    held = ok[ok["irae_held"].astype(bool)]
    assert len(held), "no held event with a high hazard; the test cannot check holds"
    assert not held["irae_discontinued"].astype(bool).any()
    assert (held["treatment_stop_reason"] != "toxicity").all()
    days = [14.0 * k for k in range(12)]
    skipped = 0
    for r in held.itertuples():
        stop = r.treatment_stop_day if math.isfinite(r.treatment_stop_day) else math.inf
        planned = [d for d in days if d < stop]
        given = [d for d in planned if not r.irae_grade34_day <= d < r.irae_resolved_day]
        assert r.doses_received == len(given)
        skipped += len(planned) - len(given)
    assert skipped > 0, "no dose fell in a hold; the test cannot check that it is not given"

"""Immune-related adverse events: a grade 3–4 event as a time to event per patient.

While a patient is exposed to a drug class (from each dose to `exposure_days_after_dose` after
it), the class adds its hazard λ_c; while two classes are given together, their pair adds an
interaction hazard (the combination of nivolumab and ipilimumab is more toxic than the two
alone). Each patient carries a susceptibility Z, log-normal with mean 1 (`susceptibility_log_sd`),
that multiplies every hazard, and an exponential threshold E from its own stream
(`Stream.TOXICITY`): the event comes when Z × the cumulative hazard reaches E. A grade 3–4 event
stops the arm's treatment (no dose on or after its day; `trials.protocol`), so the exposure lost
shapes the tumor's course; an event after treatment has stopped for progression (within the
exposure window of the last dose) is recorded but stops nothing.

Calibration (`HAZARD_CALIBRATION`): the hazards are solved so that a patient given each
CheckMate 067 regimen in full over its reference exposure has the grade 3–4 treatment-related
adverse event rate of Larkin 2015 (NEJM 373:23, Table 3) for that arm, with the susceptibility
spread of the configuration. The rates are read from the calibration targets that declare them
(`CALIBRATION_TARGETS`, in `tmesim.validation.targets`); the reference exposures are assumptions
recorded with the calibration. A virtual arm whose patients stop early (progression, death) or
stay longer has other rates: the targets' virtual CheckMate 067 reads them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from tmesim.cohorts.population import Stream, patient_rng
from tmesim.config.trial import ArmSpec, DoseHold, Toxicity, TrialScenario
from tmesim.errors import ConfigError
from tmesim.model.builder import Model
from tmesim.solvers import DoseSchedule
from tmesim.therapies.drugs import INPUT_STATES, ROUTE_INPUT_STATES, TARGET_CLASSES
from tmesim.trials.cell_toxicity import CART_EVENTS

CALIBRATION_TARGETS: dict[str, str] = {
    "anti_pd1": "checkmate067_grade34_trae_nivolumab",
    "anti_ctla4": "checkmate067_grade34_trae_ipilimumab",
    "anti_ctla4+anti_pd1": "checkmate067_grade34_trae_nivolumab_ipilimumab",
}
"""CheckMate 067 arm (by its drug classes) → the validation target that declares its published
grade 3–4 treatment-related adverse event rate (Larkin 2015 NEJM 373:23, Table 3); the hazards
are calibrated to these targets."""


ANY_GRADE_TARGETS: dict[str, str] = {
    "anti_pd1": "checkmate067_any_grade_trae_nivolumab",
    "anti_ctla4": "checkmate067_any_grade_trae_ipilimumab",
    "anti_ctla4+anti_pd1": "checkmate067_any_grade_trae_nivolumab_ipilimumab",
}
"""As `CALIBRATION_TARGETS`, for treatment-related adverse events of any grade (Larkin 2015,
Table 3); the any-grade hazards are calibrated to these targets."""

GRADES = ("grade34", "any")
"""The two event grades modelled: grade 3–4, and any grade (1–5)."""


@cache
def larkin_2015_grade34() -> dict[str, float]:
    """Grade 3–4 treatment-related adverse events per patient (fraction) of each CheckMate 067
    arm, as its calibration target publishes it (`CALIBRATION_TARGETS`)."""
    return _published_rates("grade34")


@cache
def larkin_2015_any_grade() -> dict[str, float]:
    """Treatment-related adverse events of any grade per patient (fraction) of each CheckMate 067
    arm, as its calibration target publishes it (`ANY_GRADE_TARGETS`)."""
    return _published_rates("any")


def _published_rates(grade: str) -> dict[str, float]:
    from tmesim.validation.targets import published_fraction

    targets = CALIBRATION_TARGETS if grade == "grade34" else ANY_GRADE_TARGETS
    return {arm: published_fraction(target_id) for arm, target_id in targets.items()}


REFERENCE_EXPOSURE_DAYS: dict[str, dict[str, float]] = {
    "anti_pd1": {"anti_pd1": 238.0},
    "anti_ctla4": {"anti_ctla4": 105.0},
    "anti_ctla4+anti_pd1": {"anti_pd1": 238.0, "anti_ctla4": 105.0, "anti_ctla4+anti_pd1": 105.0},
}
"""Days each CheckMate 067 arm (keyed as `CALIBRATION_TARGETS`) was exposed to each class and
pair when it met those rates (assumed, with the 42-day exposure window after each dose):
ipilimumab 4 doses q3w (days 0–63), exposed to day 105, also the time both drugs are given in
the combination arm; nivolumab [r] about 15 doses q2w (the median number of nivolumab doses
recalled for the nivolumab arm, to confirm; last dose day 196), exposed to day 238, in the
combination arm likewise (induction, then maintenance from day 84)."""

PAIR_SEPARATOR = "+"


def hazard_key(key: str) -> str:
    """A class or a class pair ('anti_ctla4+anti_pd1', classes sorted) as the hazards name it.

    Example:
        >>> hazard_key("anti_pd1 + anti_ctla4")
        'anti_ctla4+anti_pd1'
    """
    parts = sorted(p.strip() for p in key.split(PAIR_SEPARATOR))
    if (
        len(parts) > 2
        or any(p not in TARGET_CLASSES for p in parts)
        or len(set(parts)) < len(parts)
    ):
        raise ConfigError(
            "toxicity.hazard_per_year",
            key,
            "name a drug class or a pair of two, e.g. anti_pd1 or anti_ctla4+anti_pd1",
            choices=list(TARGET_CLASSES),
        )
    return PAIR_SEPARATOR.join(parts)


def event_probability(cumulative_hazard: float, log_sd: float) -> float:
    """P(event) = 1 − E[exp(−Z·H)] for a log-normal Z with mean 1 (Gauss–Hermite, 40 nodes).

    Example:
        >>> round(event_probability(0.5, 0.0), 4), round(event_probability(0.5, 1.0), 4)
        (0.3935, 0.3208)
    """
    x, w = np.polynomial.hermite.hermgauss(40)
    z = np.exp(-(log_sd**2) / 2 + log_sd * math.sqrt(2.0) * x)
    return float(1.0 - np.sum(w * np.exp(-z * cumulative_hazard)) / math.sqrt(math.pi))


def _cumulative_for(probability: float, log_sd: float) -> float:
    return brentq(lambda h: event_probability(h, log_sd) - probability, 0.0, 1e3, xtol=1e-12)


@cache
def calibrated_hazards(log_sd: float, grade: str = "grade34") -> dict[str, float]:
    """Hazards (1/day of exposure) that reproduce `larkin_2015_grade34()` (`grade` 'grade34')
    or `larkin_2015_any_grade()` ('any') over
    `REFERENCE_EXPOSURE_DAYS` for susceptibility log-sd `log_sd`: anti-PD-1 and anti-CTLA-4 from
    the monotherapy arms, their pair from the combination arm; anti-PD-L1 assumed equal to
    anti-PD-1 (a class effect, [r] grade 3–4 rates of PD-L1 antibodies are similar or lower).
    The pair hazard is never negative: where the monotherapy hazards alone give the combination
    more than its rate (any grade with a log-sd below about 0.6), it is 0 and the combination's
    rate comes out higher than its target.

    Example:
        >>> h = calibrated_hazards(1.0)
        >>> p = event_probability(h["anti_ctla4"] * 105.0, 1.0)
        >>> abs(p - larkin_2015_grade34()["anti_ctla4"]) < 1e-9
        True
    """
    exposure = REFERENCE_EXPOSURE_DAYS
    rates = _published_rates(grade)
    lam_pd1 = _cumulative_for(rates["anti_pd1"], log_sd) / exposure["anti_pd1"]["anti_pd1"]
    lam_ctla4 = _cumulative_for(rates["anti_ctla4"], log_sd) / exposure["anti_ctla4"]["anti_ctla4"]
    combo = exposure["anti_ctla4+anti_pd1"]
    both = _cumulative_for(rates["anti_ctla4+anti_pd1"], log_sd)
    alone = lam_pd1 * combo["anti_pd1"] + lam_ctla4 * combo["anti_ctla4"]
    pair = max(both - alone, 0.0) / combo["anti_ctla4+anti_pd1"]
    return {
        "anti_pd1": lam_pd1,
        "anti_pdl1": lam_pd1,
        "anti_ctla4": lam_ctla4,
        "anti_ctla4+anti_pd1": pair,
    }


HAZARD_CALIBRATION = (
    "calibrated to Larkin 2015 NEJM 373:23 (CheckMate 067) grade 3–4 and any-grade "
    "treatment-related adverse event rates per arm (targets checkmate067_grade34_trae_* and "
    "checkmate067_any_grade_trae_*) over the "
    "reference exposures of REFERENCE_EXPOSURE_DAYS (assumed), with the susceptibility log-sd "
    "of the configuration (`calibrated_hazards`); other classes 0 unless configured"
)
"""How the default hazards were obtained (recorded in study.json when toxicity is on)."""


@dataclass(frozen=True)
class ToxicityModel:
    """Hazards (1/day of exposure, by class or class pair), the settings of one arm, and its
    dose-hold rules by class (`trials.dose_holds`; empty: every event discontinues)."""

    hazards: dict[str, float]
    log_sd: float
    window_days: float
    holds: dict[str, DoseHold] = field(default_factory=dict)
    any_grade_hazards: dict[str, float] = field(default_factory=dict)

    def any_grade(self) -> ToxicityModel:
        """The same model with the any-grade hazards (its events: any grade, 1–5)."""
        return ToxicityModel(self.any_grade_hazards, self.log_sd, self.window_days, self.holds)

    @classmethod
    def from_config(cls, config: Toxicity) -> ToxicityModel:
        from tmesim.trials.dose_holds import hold_rules

        hazards = dict(calibrated_hazards(config.susceptibility_log_sd))
        for key, per_year in config.hazard_per_year.items():
            hazards[hazard_key(key)] = per_year / 365.25
        any_grade = dict(calibrated_hazards(config.susceptibility_log_sd, "any"))
        for key, per_year in config.any_grade_hazard_per_year.items():
            any_grade[hazard_key(key)] = per_year / 365.25
        return cls(
            hazards,
            config.susceptibility_log_sd,
            config.exposure_days_after_dose,
            hold_rules(config),
            any_grade,
        )


def arm_toxicity(scenario: TrialScenario, arm: ArmSpec) -> ToxicityModel | None:
    """The arm's irAE model, or None when toxicity is off for it."""
    if not (scenario.toxicity.enabled or arm.stops_at_toxicity):
        return None
    return ToxicityModel.from_config(scenario.toxicity)


def state_classes(model: Model) -> dict[int, str]:
    """State index → the drug class whose doses enter it."""
    out = {model.species_index(s.state_id): tc for tc, s in INPUT_STATES.items()}
    for (tc, _), s in ROUTE_INPUT_STATES.items():
        out[model.species_index(s.state_id)] = tc
    return out


def thresholds(seed: int, ids: np.ndarray, screenings: np.ndarray, log_sd: float) -> np.ndarray:
    """Each patient's E / Z: its exponential threshold over its susceptibility."""
    out = np.empty(len(ids))
    for k, (i, r) in enumerate(zip(ids, screenings, strict=True)):
        rng = patient_rng(seed, int(i), Stream.TOXICITY, 0, int(r))
        e, x = rng.exponential(), rng.standard_normal()
        out[k] = e / math.exp(-(log_sd**2) / 2 + log_sd * x)
    return out


def _exposure_intervals(times: np.ndarray, window: float) -> list[tuple[float, float]]:
    """Union of [t, t + window) over the dose times."""
    out: list[tuple[float, float]] = []
    for t in np.sort(times):
        if out and t <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], t + window))
        else:
            out.append((float(t), float(t + window)))
    return out


def onset_days(
    tox: ToxicityModel, model: Model, schedule: DoseSchedule, limits: np.ndarray
) -> np.ndarray:
    """Day of each patient's grade 3–4 event under `schedule` (NaN: none), the patient's
    threshold `limits` (E / Z, `thresholds`) reached by its cumulative hazard.

    Example:
        >>> from tmesim.model import build_model
        >>> m = build_model()
        >>> s = DoseSchedule.from_lists([([0.0], [m.species_index("anti_ctla4_central")], [1.0])])
        >>> tox = ToxicityModel({"anti_ctla4": 0.01}, 0.0, 42.0)
        >>> onset_days(tox, m, s, np.array([0.2])).round(6).tolist()  # 0.2 / 0.01 per day
        [20.0]
    """
    classes = state_classes(model)
    n = len(schedule.ptr) - 1
    out = np.full(n, np.nan)
    for i in range(n):
        a, b = schedule.ptr[i], schedule.ptr[i + 1]
        by_class: dict[str, list[tuple[float, float]]] = {}
        for tc in {classes.get(int(x), "") for x in schedule.state[a:b]} - {""}:
            rows = np.array([classes.get(int(x), "") == tc for x in schedule.state[a:b]])
            by_class[tc] = _exposure_intervals(schedule.t[a:b][rows], tox.window_days)
        out[i] = _first_crossing(tox.hazards, by_class, float(limits[i]))
    return out


def _first_crossing(
    hazards: dict[str, float], intervals: dict[str, list[tuple[float, float]]], limit: float
) -> float:
    """First day the piecewise-constant cumulative hazard reaches `limit` (NaN if never)."""
    edges = sorted({x for ivs in intervals.values() for iv in ivs for x in iv})
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        mid = 0.5 * (lo + hi)
        on = [tc for tc, ivs in intervals.items() if any(a <= mid < b for a, b in ivs)]
        rate = sum(hazards.get(tc, 0.0) for tc in on)
        for j, x in enumerate(on):
            for y in on[j + 1 :]:
                rate += hazards.get(hazard_key(f"{x}+{y}"), 0.0)
        if rate > 0 and total + rate * (hi - lo) >= limit:
            return lo + (limit - total) / rate
        total += rate * (hi - lo)
    return math.nan


def toxicity_columns(
    onset: np.ndarray,
    discontinued: np.ndarray,
    end: np.ndarray,
    solved: np.ndarray,
    any_onset: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Per-patient irAE columns: whether a grade 3–4 event happened within follow-up and before
    death (`end`), its day, and whether it stopped the treatment; with `any_onset`, likewise the
    first treatment-related event of any grade (a grade 3–4 event is one: the earlier counts)."""
    limit = np.nan_to_num(end, nan=np.inf)
    seen = solved & np.isfinite(onset) & (onset <= limit)
    out = {
        "irae_grade34": np.where(solved, seen, False),
        "irae_grade34_day": np.where(seen, onset, np.nan),
        "irae_discontinued": np.where(solved, seen & discontinued, False),
    }
    if any_onset is not None:
        first = np.fmin(any_onset, onset)
        any_seen = solved & np.isfinite(first) & (first <= limit)
        out["irae_any_grade"] = any_seen
        out["irae_any_grade_day"] = np.where(any_seen, first, np.nan)
    return out


def toxicity_table(patients: pd.DataFrame) -> pd.DataFrame:
    """Per cohort and arm: patients, grade 3–4 irAEs, discontinuations and dose holds for them
    (counts and shares; Wilson 95% intervals for the events), and the median day of onset; the
    same for events of any grade when the patients have them, and the CAR-T events of
    `trials.cell_toxicity` (NaN otherwise).

    Example:
        >>> p = pd.DataFrame({"cohort": "c", "arm": "a", "irae_grade34": [True, False, True, False],
        ...                   "irae_grade34_day": [20.0, np.nan, 40.0, np.nan],
        ...                   "irae_discontinued": [True, False, False, False]})
        >>> toxicity_table(p)[["n", "grade34", "discontinued", "median_onset_day"]].values.tolist()
        [[4.0, 2.0, 1.0, 30.0]]
    """
    from tmesim.trials.statistics import proportion_ci

    rows = []
    if "irae_grade34" not in patients:
        return pd.DataFrame()
    for (cohort, arm), part in patients.groupby(["cohort", "arm"], sort=False):
        n = len(part)
        events = int(part["irae_grade34"].astype(bool).sum())
        stopped = int(part["irae_discontinued"].astype(bool).sum())
        held = int(part["irae_held"].astype(bool).sum()) if "irae_held" in part else 0
        graded = "irae_any_grade" in part
        any_grade = int(part["irae_any_grade"].astype(bool).sum()) if graded else 0
        any_lo, any_hi = proportion_ci(any_grade, n, method="wilson") if graded else (np.nan,) * 2
        lo, hi = proportion_ci(events, n, method="wilson")
        rows.append(
            (
                cohort,
                arm,
                n,
                events,
                events / n if n else np.nan,
                lo,
                hi,
                stopped,
                stopped / n if n else np.nan,
                held,
                held / n if n else np.nan,
                float(part["irae_grade34_day"].median()) if events else np.nan,
                any_grade if graded else np.nan,
                any_grade / n if n and graded else np.nan,
                any_lo,
                any_hi,
                float(part["irae_any_grade_day"].median()) if any_grade else np.nan,
                *[_count(part, f"{e}_grade3") for e in CART_EVENTS],
            )
        )
    return pd.DataFrame(
        rows,
        columns=[
            "cohort",
            "arm",
            "n",
            "grade34",
            "grade34_rate",
            "grade34_ci_low",
            "grade34_ci_high",
            "discontinued",
            "discontinued_rate",
            "held",
            "held_rate",
            "median_onset_day",
            "any_grade",
            "any_grade_rate",
            "any_grade_ci_low",
            "any_grade_ci_high",
            "any_grade_median_onset_day",
            *[f"cart_{e}_grade3" for e in CART_EVENTS],
        ],
    )


def _count(part: pd.DataFrame, column: str) -> float:
    """Patients with the event of `column` (NaN when the column is absent)."""
    return float(part[column].astype(bool).sum()) if column in part else np.nan


def patient_onsets(
    tox: ToxicityModel | None,
    model: Model,
    seed: int,
    table: pd.DataFrame,
    schedule: DoseSchedule,
) -> np.ndarray:
    """Grade 3–4 event day of each patient of `table` (patient_id, screen_failures) under
    `schedule`; all NaN when the arm's toxicity model is off (`tox` None)."""
    n = len(table)
    if tox is None:
        return np.full(n, np.nan)
    ids = table["patient_id"].to_numpy(dtype=np.int64)
    screenings = (
        table["screen_failures"].to_numpy(dtype=np.int64)
        if "screen_failures" in table
        else np.zeros(n, dtype=np.int64)
    )
    return onset_days(tox, model, schedule, thresholds(seed, ids, screenings, tox.log_sd))

"""Dose holds after a grade 3–4 immune-related adverse event (`trials.toxicity`).

A grade 3–4 event either discontinues the treatment or holds it until the event resolves, then
dosing resumes. Which of the two happens is drawn per patient from the hold rule of the drug
classes it is exposed to at onset (`DoseHold.resume_share`; with several classes, the most
restrictive: the lowest resume share and the longest resolution); the time to resolution is
exponential with the rule's median. Doses due while held are skipped, not delayed; after
resumption the patient's schedule goes on as planned. One grade 3–4 event per patient is
modelled: a recurrence after resumption (which the labels answer with discontinuation) is not.
The draws come from the patient's own toxicity stream, after its threshold's, so turning holds
on does not change who has an event or when.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tmesim.cohorts.population import Stream, patient_rng
from tmesim.config.trial import DoseHold, Toxicity
from tmesim.model.builder import Model
from tmesim.solvers import DoseSchedule

if TYPE_CHECKING:
    from tmesim.trials.toxicity import ToxicityModel

WEBER_2012_RESOLUTION_DAYS = 6.86 * 7.0
"""Median time to resolution of grade 2–4 immune-related adverse events on ipilimumab 3 mg/kg,
6.86 weeks (Weber 2012 J Clin Oncol 30:2691, MDX010-20, time to resolution table), days.
Assumed the same for PD-1/PD-L1 antibodies (no class-specific value taken yet)."""

LABEL_HOLDS: dict[str, DoseHold] = {
    "anti_ctla4": DoseHold(resume_share=0.0, resolution_median_days=WEBER_2012_RESOLUTION_DAYS),
    "anti_pd1": DoseHold(resume_share=0.5, resolution_median_days=WEBER_2012_RESOLUTION_DAYS),
    "anti_pdl1": DoseHold(resume_share=0.5, resolution_median_days=WEBER_2012_RESOLUTION_DAYS),
}
"""The labels' management guidance as hold rules. Ipilimumab (YERVOY label 2011, section 2.2):
permanently discontinue for any severe (grade 3–4) immune-mediated adverse reaction, so no
resumption. Nivolumab, pembrolizumab and the PD-L1 antibodies (OPDIVO, KEYTRUDA labels, section
2: management of immune-mediated adverse reactions): withhold for most grade 3 events and resume
when they recover to grade 0–1; permanently discontinue for grade 4, recurrent grade 3, and
grade 3 pneumonitis or myocarditis. The share of grade 3–4 events of the first kind is not
reported per arm; assumed 0.5. Other classes: discontinue."""


def hold_rules(config: Toxicity) -> dict[str, DoseHold]:
    """The configuration's hold rules by drug class (empty: every event discontinues).

    Example:
        >>> sorted(hold_rules(Toxicity(holds="label"))), hold_rules(Toxicity())
        (['anti_ctla4', 'anti_pd1', 'anti_pdl1'], {})
    """
    if config.holds == "none":
        return {}
    if config.holds == "label":
        return dict(LABEL_HOLDS)
    return dict(config.holds)


def hold_draws(seed: int, ids: np.ndarray, screenings: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each patient's uniform draw (resume if below its resume share) and unit exponential
    (time to resolution over its mean), after the two draws of its toxicity threshold."""
    u = np.empty(len(ids))
    r = np.empty(len(ids))
    for k, (i, s) in enumerate(zip(ids, screenings, strict=True)):
        rng = patient_rng(seed, int(i), Stream.TOXICITY, 0, int(s))
        rng.exponential(), rng.standard_normal()  # the threshold's draws (`thresholds`)
        u[k], r[k] = rng.random(), rng.exponential()
    return u, r


def hold_plan(
    holds: dict[str, DoseHold],
    window_days: float,
    model: Model,
    schedule: DoseSchedule,
    onset: np.ndarray,
    u: np.ndarray,
    r: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Whether each patient's grade 3–4 event (`onset`, NaN: none) holds and resumes its dosing,
    and the day it resolves (NaN unless held), from the rules of the classes it is exposed to at
    onset (a dose within `window_days` before it).

    Example:
        >>> from tmesim.model import build_model
        >>> m = build_model()
        >>> s = DoseSchedule.from_lists([([0.0], [m.species_index("anti_pd1_central")], [1.0])] * 2)
        >>> rule = {"anti_pd1": DoseHold(resume_share=0.5, resolution_median_days=math.log(2))}
        >>> held, day = hold_plan(rule, 42.0, m, s, np.array([10.0, 10.0]),
        ...                       np.array([0.2, 0.8]), np.array([3.0, 3.0]))
        >>> held.tolist(), day.tolist()
        ([True, False], [13.0, nan])
    """
    from tmesim.trials.toxicity import state_classes

    classes = state_classes(model)
    n = len(schedule.ptr) - 1
    held = np.zeros(n, dtype=bool)
    resolved = np.full(n, np.nan)
    for i in range(n):
        t0 = float(onset[i])
        if not math.isfinite(t0):
            continue
        a, b = schedule.ptr[i], schedule.ptr[i + 1]
        t = schedule.t[a:b]
        near = (t <= t0) & (t > t0 - window_days)
        exposed = {classes.get(int(x), "") for x in schedule.state[a:b][near]} - {""}
        if not exposed:
            continue
        rules = [holds.get(c) for c in exposed]
        if any(rule is None for rule in rules):
            continue  # a class without a hold rule discontinues
        share = min(rule.resume_share for rule in rules if rule is not None)
        median = max(rule.resolution_median_days for rule in rules if rule is not None)
        if u[i] < share:
            held[i] = True
            resolved[i] = t0 + median / math.log(2.0) * float(r[i])
    return held, resolved


def held_doses(schedule: DoseSchedule, start: np.ndarray, end: np.ndarray) -> DoseSchedule:
    """`schedule` without each patient's doses in [start, end) (NaN: none held).

    Example:
        >>> s = DoseSchedule.from_lists([([0., 14., 28., 42.], [1] * 4, [5.] * 4)] * 2)
        >>> h = held_doses(s, np.array([10., np.nan]), np.array([30., np.nan]))
        >>> h.ptr.tolist(), h.t.tolist()
        ([0, 2, 6], [0.0, 42.0, 0.0, 14.0, 28.0, 42.0])
    """
    n = len(schedule.ptr) - 1
    row = np.repeat(np.arange(n), np.diff(schedule.ptr))
    lo = np.asarray(start, dtype=float)[row]
    hi = np.asarray(end, dtype=float)[row]
    keep = ~((schedule.t >= lo) & (schedule.t < hi))
    ptr = np.concatenate([[0], np.cumsum(np.bincount(row[keep], minlength=n))]).astype(np.int64)
    return DoseSchedule(ptr, schedule.t[keep], schedule.state[keep], schedule.amount[keep])


def patient_holds(
    tox: ToxicityModel | None,
    model: Model,
    seed: int,
    table: pd.DataFrame,
    schedule: DoseSchedule,
    onset: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """`hold_plan` for the patients of `table` (patient_id, screen_failures): whether each
    one's event is held and resumed, and its resolution day; none when the arm's toxicity model
    is off or has no hold rules."""
    n = len(table)
    if tox is None or not tox.holds:
        return np.zeros(n, dtype=bool), np.full(n, np.nan)
    ids = table["patient_id"].to_numpy(dtype=np.int64)
    screenings = (
        table["screen_failures"].to_numpy(dtype=np.int64)
        if "screen_failures" in table
        else np.zeros(n, dtype=np.int64)
    )
    u, r = hold_draws(seed, ids, screenings)
    return hold_plan(tox.holds, tox.window_days, model, schedule, onset, u, r)

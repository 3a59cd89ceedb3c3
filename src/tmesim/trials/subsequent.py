"""Subsequent therapy: the next line of treatment after progression (`ArmSpec.subsequent_therapy`).

Each patient draws once, from its own stream, which of the arm's subsequent regimens it would
receive if it progressed (shares of the progressing patients; the rest receive none). A patient who
progresses, and is alive and still followed when the regimen is due, stops the arm's regimen at the
progression scan and starts the new one `start_delay_days` later; the model then simulates both
lines in one integration from day 0, so the course before the switch is the one already read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tmesim.cohorts.population import Stream, patient_rng
from tmesim.config.trial import SubsequentTherapy
from tmesim.solvers import DoseSchedule


@dataclass(frozen=True)
class SubsequentPlan:
    """Who receives which subsequent regimen, and when."""

    choice: np.ndarray
    """(n,) index of the regimen in the arm's list; -1 for none"""
    start: np.ndarray
    """(n,) day of its first dose (NaN for none)"""

    @property
    def treated(self) -> np.ndarray:
        return self.choice >= 0


def draw_regimens(
    seed: int, ids: np.ndarray, screenings: np.ndarray, shares: list[float]
) -> np.ndarray:
    """Each patient's regimen if it progresses: index k with probability `shares[k]`, -1 with the
    rest; from the patient's own stream (the candidate `screenings` of its enrollment slot).

    Example:
        >>> draw_regimens(1, np.arange(6), np.zeros(6, int), [0.0]).tolist()
        [-1, -1, -1, -1, -1, -1]
        >>> bool((draw_regimens(1, np.arange(6), np.zeros(6, int), [1.0]) == 0).all())
        True
    """
    u = np.array(
        [
            patient_rng(seed, int(i), Stream.SUBSEQUENT, 0, int(r)).random()
            for i, r in zip(ids, screenings, strict=True)
        ]
    )
    edges = np.cumsum(shares)
    k = np.searchsorted(edges, u, side="right")
    return np.where(k < len(shares), k, -1).astype(np.int64)


def plan_subsequent(
    therapies: list[SubsequentTherapy],
    drawn: np.ndarray,
    progression: np.ndarray,
    death: np.ndarray,
    horizon: np.ndarray,
) -> SubsequentPlan:
    """Patients who receive their drawn regimen: progression documented, and the start (the
    progression day plus the regimen's delay) before death and within the patient's follow-up
    at the analysis (`horizon`).

    Example:
        >>> t = [SubsequentTherapy(name="b", regimen="nivolumab 3 mg/kg q2w x4", share=1,
        ...                        start_delay_days=10)]
        >>> p = plan_subsequent(t, np.array([0, 0, 0, -1]), np.array([84., np.nan, 84., 84.]),
        ...                     np.array([np.nan, np.nan, 90., np.nan]), np.full(4, 300.))
        >>> p.choice.tolist(), p.start.tolist()
        ([0, -1, -1, -1], [94.0, nan, nan, nan])
    """
    delay = np.array([t.start_delay_days for t in therapies] + [np.nan])
    start = np.asarray(progression, dtype=float) + delay[drawn]
    alive = start < np.nan_to_num(np.asarray(death, dtype=float), nan=np.inf)
    ok = (drawn >= 0) & np.isfinite(start) & alive & (start <= horizon)
    return SubsequentPlan(np.where(ok, drawn, -1), np.where(ok, start, np.nan))


def stopped_doses(schedule: DoseSchedule, stop: np.ndarray) -> DoseSchedule:
    """`schedule` without the doses on or after each patient's `stop` day (NaN: none dropped):
    the one way a treatment is cut short (progression, toxicity, a switch of regimen).

    Example:
        >>> s = DoseSchedule.from_lists([([0., 21., 42.], [1, 1, 1], [5., 5., 5.])] * 2)
        >>> c = stopped_doses(s, np.array([21., np.nan]))
        >>> c.ptr.tolist(), c.t.tolist()
        ([0, 1, 4], [0.0, 0.0, 21.0, 42.0])
    """
    n = len(schedule.ptr) - 1
    row = np.repeat(np.arange(n), np.diff(schedule.ptr))
    keep = ~(schedule.t >= np.asarray(stop, dtype=float)[row])
    ptr = np.concatenate([[0], np.cumsum(np.bincount(row[keep], minlength=n))]).astype(np.int64)
    return DoseSchedule(ptr, schedule.t[keep], schedule.state[keep], schedule.amount[keep])


def dose_counts(schedule: DoseSchedule) -> np.ndarray:
    """Doses of each patient of `schedule`."""
    return np.diff(schedule.ptr)


def switched_doses(
    first_line: DoseSchedule,
    templates: list[DoseSchedule],
    plan: SubsequentPlan,
    stop: np.ndarray,
    until_day: float,
) -> DoseSchedule:
    """Dose schedule with the switch: a treated patient keeps its first-line doses before `stop`
    (its progression day) and receives regimen k's doses (`templates[k]`: its own row, or row 0
    of a one-row template; day 0 = its start) from `plan.start` on, up to `until_day`; other
    patients keep their schedule.

    Example:
        >>> first = DoseSchedule.from_lists([([0., 21., 42.], [1, 1, 1], [5., 5., 5.])] * 2)
        >>> second = DoseSchedule.from_lists([([0., 14.], [2, 2], [3., 3.])])
        >>> plan = SubsequentPlan(np.array([0, -1]), np.array([30., np.nan]))
        >>> s = switched_doses(first, [second], plan, np.array([25., np.nan]), 40.)
        >>> s.t.tolist(), s.state.tolist()
        ([0.0, 21.0, 30.0, 0.0, 21.0, 42.0], [1, 1, 2, 1, 1, 1])
    """
    first_line = stopped_doses(first_line, np.where(plan.treated, stop, np.nan))
    rows = []
    for i in range(len(first_line.ptr) - 1):
        a, b = first_line.ptr[i], first_line.ptr[i + 1]
        t, state, amount = first_line.t[a:b], first_line.state[a:b], first_line.amount[a:b]
        k = int(plan.choice[i])
        if k >= 0:
            tpl = templates[k]
            own = i if len(tpl.ptr) - 1 > 1 else 0
            c, d = tpl.ptr[own], tpl.ptr[own + 1]
            t2 = tpl.t[c:d] + plan.start[i]
            due = t2 <= until_day
            t = np.concatenate([t, t2[due]])
            state = np.concatenate([state, tpl.state[c:d][due]])
            amount = np.concatenate([amount, tpl.amount[c:d][due]])
            order = np.argsort(t, kind="stable")
            t, state, amount = t[order], state[order], amount[order]
        rows.append((t.tolist(), state.tolist(), amount.tolist()))
    return DoseSchedule.from_lists(rows)


def subsequent_summary(patients: pd.DataFrame) -> list[dict]:
    """Per cohort and arm: patients with documented progression and how many of them received
    each subsequent regimen (study.json).

    Example:
        >>> p = pd.DataFrame({"cohort": "c", "arm": "a", "progression_day": [84., np.nan, 126.],
        ...                   "subsequent_therapy": ["anti-PD-1", "", ""]})
        >>> subsequent_summary(p)[0]["received"]
        {'anti-PD-1': 1}
    """
    if "subsequent_therapy" not in patients:
        return []
    out = []
    for (cohort, arm), rows in patients.groupby(["cohort", "arm"], sort=False):
        given = rows["subsequent_therapy"].fillna("").astype(str)
        out.append(
            {
                "cohort": str(cohort),
                "arm": str(arm),
                "progressed": int(rows["progression_day"].notna().sum()),
                "received": {str(k): int(v) for k, v in given[given != ""].value_counts().items()},
            }
        )
    return out

"""Protocol rules that end an arm's treatment: progression, treatment beyond progression, and
(with `trials.toxicity`) unacceptable toxicity, under the cap of the regimen and
`max_treatment_days`.

The stop day of each patient is read from a first solve of the arm's full schedule: doses before
the stop are the same either way, so the scans up to it, and so the progression read from them,
do not change when the later doses are dropped. The patients whose schedule loses doses
(`trials.subsequent.stopped_doses`, the same cut a switch of regimen makes) are solved again and
every endpoint is read from that second solve.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tmesim.config.trial import ArmSpec, BeyondProgression
from tmesim.solvers import DoseSchedule
from tmesim.trials.recist import assess_visits

STOP_REASONS: dict[str, str] = {
    "progression": "documented progression (RECIST 1.1, or iRECIST iCPD under irecist)",
    "confirmed_progression": "progression confirmed beyond a first progression (iRECIST iCPD)",
    "burden_threshold": "target sum above the beyond-progression threshold over its nadir",
    "time_beyond_progression": "the longest treatment allowed after a first progression",
    "toxicity": "a grade 3–4 immune-related adverse event",
}
"""Codes of `treatment_stop_reason` and what each means ('' = the regimen ran to its end)."""


def progression_stop(
    arm: ArmSpec,
    ids: np.ndarray,
    progression_day: np.ndarray,
    visits: pd.DataFrame,
) -> tuple[np.ndarray, np.ndarray]:
    """(stop day, reason code) per patient `ids` from progression; NaN and '' where the arm does
    not stop at progression or the patient did not progress.

    Without `beyond_progression` the stop is `progression_day` (as the response criteria read
    it). With it, treatment goes on after the first progression (RECIST PD, iRECIST iUPD) up to
    the first of: the confirming scan, the burden threshold, the time limit.

    Example:
        >>> arm = ArmSpec(name="a", treat_until="progression")
        >>> day, why = progression_stop(arm, np.array([1, 2]), np.array([84.0, np.nan]),
        ...                             pd.DataFrame())
        >>> day.tolist(), why.tolist()
        ([84.0, nan], ['progression', ''])
    """
    n = len(ids)
    stop = np.full(n, np.nan)
    reason = np.full(n, "", dtype=object)
    if not arm.stops_at_progression:
        return stop, reason
    progression = np.asarray(progression_day, dtype=float)
    if arm.beyond_progression is None:
        stop = progression.copy()
        reason[np.isfinite(stop)] = "progression"
        return stop, reason
    return beyond_progression_stop(arm.beyond_progression, ids, visits)


def treatment_stop(
    arm: ArmSpec,
    ids: np.ndarray,
    progression_day: np.ndarray,
    visits: pd.DataFrame,
    toxicity_day: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(stop day, reason code) per patient: the first of the progression rules
    (`progression_stop`) and a grade 3–4 immune-related adverse event (`toxicity_day`, NaN for
    none; `trials.toxicity`).

    Example:
        >>> arm = ArmSpec(name="a", treat_until="progression_or_toxicity")
        >>> day, why = treatment_stop(arm, np.array([1, 2]), np.array([84.0, 84.0]),
        ...                           pd.DataFrame(), np.array([30.0, np.nan]))
        >>> day.tolist(), why.tolist()
        ([30.0, 84.0], ['toxicity', 'progression'])
    """
    stop, reason = progression_stop(arm, ids, progression_day, visits)
    onset = np.asarray(toxicity_day, dtype=float)
    earlier = onset < np.nan_to_num(stop, nan=np.inf)
    stop = np.where(earlier, onset, stop)
    reason[earlier] = "toxicity"
    return stop, reason


def beyond_progression_stop(
    rules: BeyondProgression, ids: np.ndarray, visits: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """(stop day, reason code) of treatment beyond progression, read from each patient's scans
    (`visits`: patient_id, day, sum_diameters_mm, new_lesions, new_lesion_sum_mm; baseline
    included). The first progression and its confirmation are iRECIST's iUPD and iCPD (Seymour
    2017), whatever criteria the trial reports.

    Example:
        >>> v = pd.DataFrame({"patient_id": 7, "day": [0., 42., 84., 126.],
        ...                   "sum_diameters_mm": [50., 62., 64., 80.], "new_lesions": 0,
        ...                   "new_lesion_sum_mm": 0.})
        >>> beyond_progression_stop(BeyondProgression(), np.array([7]), v)
        (array([126.]), array(['confirmed_progression'], dtype=object))
        >>> beyond_progression_stop(BeyondProgression(max_sum_increase_percent=25),
        ...                         np.array([7]), v)[0].tolist()
        [84.0]
    """
    n = len(ids)
    stop = np.full(n, np.nan)
    reason = np.full(n, "", dtype=object)
    if visits.empty:
        return stop, reason
    table = visits[["patient_id", "day", "sum_diameters_mm", "new_lesions", "new_lesion_sum_mm"]]
    _, read = assess_visits(table.assign(cohort="", arm=""), criteria="irecist", confirm=False)
    read = read.set_index("patient_id").reindex(ids)
    first = np.fmin(
        read["unconfirmed_progression_day"].to_numpy(dtype=float),
        read["progression_day"].to_numpy(dtype=float),
    )
    candidates: list[tuple[str, np.ndarray]] = []
    if rules.until_confirmed:
        candidates.append(("confirmed_progression", read["progression_day"].to_numpy(dtype=float)))
    if rules.max_sum_increase_percent is not None:
        factor = 1.0 + rules.max_sum_increase_percent / 100.0
        crossed = np.full(n, np.nan)
        position = {int(i): k for k, i in enumerate(ids)}
        for pid, rows in table.sort_values("day").groupby("patient_id", sort=False):
            sums = rows["sum_diameters_mm"].to_numpy(dtype=float)
            nadir = np.fmin.accumulate(sums)
            over = np.flatnonzero(sums >= factor * nadir - 1e-9 * nadir)
            over = over[sums[over] > 0]
            if over.size:
                crossed[position[int(pid)]] = rows["day"].to_numpy(dtype=float)[over[0]]
        candidates.append(("burden_threshold", np.where(crossed >= first, crossed, np.nan)))
    if rules.max_days is not None:
        candidates.append(("time_beyond_progression", first + rules.max_days))
    for code, day in candidates:
        earlier = np.isfinite(first) & (day < np.nan_to_num(stop, nan=np.inf))
        stop = np.where(earlier, day, stop)
        reason[earlier] = code
    return stop, reason


def treatment_columns(
    schedule: DoseSchedule, stop: np.ndarray, reason: np.ndarray, solved: np.ndarray
) -> dict[str, np.ndarray]:
    """Per-patient columns of the treatment received: doses given, day of the last dose, and the
    day and reason (`STOP_REASONS`) the protocol stopped it ('' and NaN: the regimen's end).

    Example:
        >>> s = DoseSchedule.from_lists([([0., 21.], [1, 1], [5., 5.]), ([], [], [])])
        >>> c = treatment_columns(s, np.array([30., np.nan]), np.array(["toxicity", ""]),
        ...                       np.ones(2, bool))
        >>> c["doses_received"].tolist(), c["last_dose_day"].tolist()
        ([2, 0], [21.0, nan])
    """
    counts = np.diff(schedule.ptr)
    last = np.full(len(counts), np.nan)
    given = counts > 0
    last[given] = np.maximum.reduceat(schedule.t, schedule.ptr[:-1][given]) if given.any() else []
    stopped = solved & np.isfinite(stop)
    return {
        "doses_received": np.where(solved, counts, 0).astype(np.int64),
        "last_dose_day": np.where(solved, last, np.nan),
        "treatment_stop_day": np.where(stopped, stop, np.nan),
        "treatment_stop_reason": np.where(stopped, reason, "").astype(object),
    }

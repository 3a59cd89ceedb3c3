"""RECIST 1.1 and iRECIST response assessment on simulated sums of target-lesion diameters.

RECIST 1.1 (Eisenhauer et al. 2009, Eur J Cancer 45:228) classifies each follow-up visit from the
sum of the longest diameters of the target lesions and the presence of new lesions:

- CR: every target lesion has disappeared and there is no new lesion; a nodal target lesion
  (a lymph node, measured by its short axis) counts as gone when its short axis is under 10 mm,
  since a normal node keeps its size (so the sum of a CR need not be 0);
- PR: the sum is at least 30% below the baseline sum;
- PD: the sum is at least 20% above the nadir (the smallest sum so far, baseline included) and at
  least 5 mm above it, or a new lesion has appeared;
- SD: neither PR nor PD; NE: the sum was not measured (NaN) and there is no new lesion.

Lymph nodes (RECIST 1.1 §3.1.1 and §4.3.1; Schwartz 2009, Eur J Cancer 45:261): a node is a
target lesion when its short axis is at least 15 mm (`NODE_TARGET_MM`), it enters the sum by its
short axis, and it counts as normal, which a CR allows, under 10 mm (`NORMAL_NODE_MM`). Whether
every target lesion is gone is therefore passed per visit (``resolved``, see `targets_resolved`);
without it a CR is a sum of 0. The simulator has no non-target lesions. Thresholds are compared
with a relative tolerance of 1e-9, so that round-off does not move a visit that sits exactly on a
boundary (a sum exactly 30% below baseline is a PR).

iRECIST (Seymour et al. 2017, Lancet Oncol 18:e143) keeps assessing after a first RECIST
progression: it is unconfirmed (iUPD) until a later assessment shows further growth (iCPD), and
a later assessment without progression resets it.

Example:
    >>> a = assess_recist([0, 42, 84], [50.0, 30.0, 28.0], [0, 0, 0])
    >>> a.responses, a.best_response, a.best_percent_change, a.response_day
    ((<Response.PR: 'PR'>, <Response.PR: 'PR'>), <Response.PR: 'PR'>, -44.0, 42.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import numpy as np
import pandas as pd

from tmesim.errors import ConfigError

__all__ = [
    "CRITERIA",
    "IResponse",
    "IrecistAssessment",
    "RecistAssessment",
    "Response",
    "assess_irecist",
    "assess_recist",
    "assess_visits",
    "targets_resolved",
    "visit_response",
]

CRITERIA: tuple[str, ...] = ("recist1.1", "irecist")
PR_FRACTION = 0.30
PD_FRACTION = 0.20
PD_MIN_INCREASE_MM = 5.0
NODE_TARGET_MM = 15.0
"""Short axis (mm) from which a lymph node is a measurable (target) lesion (RECIST 1.1 §3.1.1)."""
NORMAL_NODE_MM = 10.0
"""A node whose short axis is below this (mm) is normal: gone for a CR (RECIST 1.1 §4.3.1)."""
_TOL = 1e-9

# Internal visit codes, best first. RECIST PD and iRECIST iCPD share one code.
_CR, _PR, _SD, _UPD, _PD, _NE = range(6)
NAN = float("nan")


class Response(StrEnum):
    """RECIST 1.1 response category of one visit, or best overall response.

    Example:
        >>> Response("PR") is Response.PR, str(Response.PD)
        (True, 'PD')
    """

    CR = "CR"
    PR = "PR"
    SD = "SD"
    PD = "PD"
    NE = "NE"


class IResponse(StrEnum):
    """iRECIST response category: iUPD is unconfirmed progression, iCPD confirmed progression.

    Example:
        >>> IResponse("iUPD").value
        'iUPD'
    """

    iCR = "iCR"
    iPR = "iPR"
    iSD = "iSD"
    iUPD = "iUPD"
    iCPD = "iCPD"
    NE = "NE"


_RECIST_OF_CODE = {
    _CR: Response.CR,
    _PR: Response.PR,
    _SD: Response.SD,
    _PD: Response.PD,
    _NE: Response.NE,
}
_IRECIST_OF_CODE = {
    _CR: IResponse.iCR,
    _PR: IResponse.iPR,
    _SD: IResponse.iSD,
    _UPD: IResponse.iUPD,
    _PD: IResponse.iCPD,
    _NE: IResponse.NE,
}


@dataclass(frozen=True)
class RecistAssessment:
    """RECIST 1.1 assessment of one patient.

    ``responses`` has one entry per follow-up visit up to and including the first PD (progression
    ends the assessment, later visits are not assessed). ``best_percent_change`` is the smallest
    percent change of the sum from baseline over those assessed visits (NaN if none was measured);
    it is what a waterfall plot shows. Days are on the time axis of the input.

    Example:
        >>> assess_recist([0, 28], [40.0, 60.0], [0, 0]).progression_day
        28.0
    """

    responses: tuple[Response, ...]
    best_response: Response
    best_percent_change: float
    response_day: float
    progression_day: float


@dataclass(frozen=True)
class IrecistAssessment:
    """iRECIST assessment of one patient.

    ``responses`` has one entry per follow-up visit up to and including the first iCPD.
    ``best_percent_change`` is the smallest percent change of the target sum from baseline over
    those visits, so shrinkage after an unconfirmed progression counts.

    Example:
        >>> a = assess_irecist([0, 28, 56], [40.0, 60.0, 70.0], [0, 0, 0], [0.0, 0.0, 0.0])
        >>> a.responses, a.unconfirmed_progression_day, a.confirmed_progression_day
        ((<IResponse.iUPD: 'iUPD'>, <IResponse.iCPD: 'iCPD'>), 28.0, 56.0)
    """

    responses: tuple[IResponse, ...]
    best_response: IResponse
    best_percent_change: float
    response_day: float
    confirmed_progression_day: float
    unconfirmed_progression_day: float


def _target_progressed(sum_mm: float, nadir_mm: float) -> bool:
    increase = sum_mm - nadir_mm
    slack = 1.0 - _TOL
    return increase >= PD_MIN_INCREASE_MM * slack and increase >= PD_FRACTION * nadir_mm * slack


def targets_resolved(diameters_mm: object, nodal: object) -> np.ndarray:
    """Whether every target lesion is gone under RECIST 1.1, per visit: each non-nodal lesion
    has disappeared (0 mm) and each nodal lesion's short axis is under `NORMAL_NODE_MM`.

    ``diameters_mm`` is (n_lesions, ...) measurements (longest diameter, or short axis for a
    node), ``nodal`` says which lesions are nodes (broadcast against ``diameters_mm``); NaN is
    not gone.

    Example:
        >>> targets_resolved([[0.0, 0.0], [20.0, 8.0]], [[False], [True]]).tolist()
        [False, True]
        >>> targets_resolved([[0.0], [12.0]], [[False], [True]]).tolist()
        [False]
    """
    d = np.asarray(diameters_mm, dtype=float)
    node = np.broadcast_to(np.asarray(nodal, dtype=bool), d.shape)
    with np.errstate(invalid="ignore"):
        gone = np.where(node, d < NORMAL_NODE_MM, d <= 0.0)
    return np.all(gone, axis=0)


def _visit_code(
    sum_mm: float,
    baseline_mm: float,
    nadir_mm: float,
    new_lesions: int,
    resolved: bool | None = None,
) -> int:
    if new_lesions > 0:
        return _PD
    if sum_mm != sum_mm:
        return _NE
    if _target_progressed(sum_mm, nadir_mm):
        return _PD
    if (sum_mm <= 0.0) if resolved is None else resolved:
        return _CR
    if (sum_mm - baseline_mm) / baseline_mm <= -PR_FRACTION + _TOL:
        return _PR
    return _SD


def visit_response(
    sum_mm: float,
    baseline_mm: float,
    nadir_mm: float,
    new_lesions: int,
    *,
    resolved: bool | None = None,
) -> Response:
    """RECIST 1.1 response of one follow-up visit from its target sum and new-lesion count.

    ``nadir_mm`` is the smallest sum measured before this visit, baseline included. A new lesion
    is PD even when the sum was not measured. ``resolved`` says whether every target lesion is
    gone (`targets_resolved`: nodes under 10 mm count as gone); None means a sum of 0.

    Example:
        >>> visit_response(70.0, 100.0, 100.0, 0), visit_response(62.0, 100.0, 50.0, 0)
        (<Response.PR: 'PR'>, <Response.PD: 'PD'>)
        >>> visit_response(8.0, 50.0, 30.0, 0, resolved=True)
        <Response.CR: 'CR'>
    """
    sum_mm = float(sum_mm)
    baseline_mm = _check_baseline(float(baseline_mm))
    nadir_mm = float(nadir_mm)
    if not math.isfinite(nadir_mm) or nadir_mm < 0:
        raise ConfigError("nadir_mm", nadir_mm, "pass the smallest sum so far (finite, >= 0)")
    if sum_mm < 0:
        raise ConfigError("sum_mm", sum_mm, "a sum of diameters is >= 0 (NaN if not measured)")
    try:
        count_ok = float(new_lesions).is_integer() and float(new_lesions) >= 0
    except (TypeError, ValueError):
        count_ok = False
    if isinstance(new_lesions, bool) or not count_ok:
        raise ConfigError("new_lesions", new_lesions, "pass the number of new lesions (int >= 0)")
    if resolved is not None:
        resolved = bool(resolved)
    return _RECIST_OF_CODE[_visit_code(sum_mm, baseline_mm, nadir_mm, int(new_lesions), resolved)]


def _check_baseline(baseline_mm: float, where: str = "") -> float:
    if not (math.isfinite(baseline_mm) and baseline_mm > 0):
        raise ConfigError(
            "baseline sum_mm" + where,
            baseline_mm,
            "RECIST needs measurable disease at baseline: a finite sum > 0; "
            "drop patients without one before assessment",
        )
    return baseline_mm


def _recist_codes(
    sums: Sequence[float], new: Sequence[int], baseline: float, resolved: Sequence[bool | None]
) -> list[int]:
    codes: list[int] = []
    nadir = baseline
    for s, k, r in zip(sums, new, resolved, strict=True):
        code = _visit_code(s, baseline, nadir, k, r)
        codes.append(code)
        if code == _PD:
            break
        if s < nadir:
            nadir = s
    return codes


def _irecist_codes(
    sums: Sequence[float],
    new: Sequence[int],
    new_sums: Sequence[float],
    baseline: float,
    resolved: Sequence[bool | None],
) -> list[int]:
    codes: list[int] = []
    nadir = baseline
    unconfirmed = False
    target_in_pd = new_in_pd = False
    ref_sum = ref_new_sum = NAN
    ref_new = 0
    for s, k, ns, r in zip(sums, new, new_sums, resolved, strict=True):
        if unconfirmed:
            if target_in_pd:
                grew = s - ref_sum >= PD_MIN_INCREASE_MM * (1.0 - _TOL)
            else:
                grew = s == s and _target_progressed(s, nadir)
            if new_in_pd:
                grew = grew or k > ref_new or ns - ref_new_sum >= PD_MIN_INCREASE_MM * (1.0 - _TOL)
            else:
                grew = grew or k > 0
            code = _PD if grew else _visit_code(s, baseline, nadir, k, r)
            if code == _PD and not grew:
                code = _UPD
            elif code in (_CR, _PR, _SD):
                unconfirmed = False
        else:
            code = _visit_code(s, baseline, nadir, k, r)
            if code == _PD:
                code = _UPD
                unconfirmed = True
                target_in_pd = s == s and _target_progressed(s, nadir)
                new_in_pd = k > 0
                ref_sum = ref_new_sum = NAN
        if code == _UPD:
            if s == s:
                ref_sum = s
            if ns == ns:
                ref_new_sum = ns
            ref_new = k
        codes.append(code)
        if code == _PD:
            break
        if s < nadir:
            nadir = s
    return codes


def _best_overall(
    codes: Sequence[int],
    days: Sequence[float],
    confirm: bool,
    confirmation_days: float,
    min_sd_days: float,
) -> tuple[int, int | None]:
    """Best overall response code and the index of the first visit of the counted response."""
    best: int | None = None
    first: int | None = None
    n = len(codes)
    for i in range(n):
        ci = codes[i]
        if ci > _PR:
            continue
        level: int | None = ci
        if confirm:
            level = None
            for j in range(i + 1, n):
                cj = codes[j]
                if cj == _UPD or cj == _PD:
                    break
                if cj <= _PR and days[j] - days[i] >= confirmation_days - _TOL:
                    level = _CR if (ci == _CR and cj == _CR) else _PR
                    if level == ci:
                        break
        if level is not None:
            if first is None:
                first = i
            if best is None or level < best:
                best = level
    if best is not None:
        return best, first
    for i in range(n):
        if codes[i] <= _SD and days[i] >= min_sd_days - _TOL:
            return _SD, None
    if _PD in codes:
        return _PD, None
    if _UPD in codes:
        return _UPD, None
    return _NE, None


def _percent_changes(sums: Sequence[float], baseline: float) -> list[float]:
    return [100.0 * (s - baseline) / baseline for s in sums]


def _min_measured(values: Sequence[float]) -> float:
    measured = [v for v in values if v == v]
    return min(measured) if measured else NAN


def _assess_lists(
    days: Sequence[float],
    sums: Sequence[float],
    new: Sequence[int],
    new_sums: Sequence[float] | None,
    confirm: bool,
    confirmation_days: float,
    min_sd_days: float,
    resolved: Sequence[bool | None] | None = None,
) -> tuple[list[int], int, float, float, float, float]:
    """codes, best code, best % change, response day, (confirmed) progression day, iUPD day.

    iRECIST when the new-lesion sums are given, RECIST 1.1 when they are None. ``resolved``
    (one per visit, baseline included) says whether every target lesion is gone; None: a sum of 0.
    """
    baseline = sums[0]
    follow_sums = sums[1:]
    gone = list(resolved[1:]) if resolved is not None else [None] * len(follow_sums)
    if new_sums is not None:
        codes = _irecist_codes(follow_sums, new[1:], new_sums[1:], baseline, gone)
    else:
        codes = _recist_codes(follow_sums, new[1:], baseline, gone)
    day0 = days[0]
    rel = [d - day0 for d in days[1 : 1 + len(codes)]]
    best, first = _best_overall(codes, rel, confirm, confirmation_days, min_sd_days)
    change = _min_measured(_percent_changes(follow_sums[: len(codes)], baseline))
    response_day = days[1 + first] if first is not None else NAN
    progression_day = unconfirmed_day = NAN
    for i, c in enumerate(codes):
        if c == _UPD and unconfirmed_day != unconfirmed_day:
            unconfirmed_day = days[1 + i]
        if c == _PD:
            progression_day = days[1 + i]
            if unconfirmed_day != unconfirmed_day:
                unconfirmed_day = progression_day
    return codes, best, change, float(response_day), float(progression_day), float(unconfirmed_day)


def _check_options(confirmation_days: float, min_sd_days: float) -> None:
    for name, value in (("confirmation_days", confirmation_days), ("min_sd_days", min_sd_days)):
        if not (math.isfinite(value) and value >= 0):
            raise ConfigError(name, value, "pass a finite number of days >= 0")


def _check_arrays(
    days: object, sums_mm: object, new_lesions: object, new_lesion_sums_mm: object | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    d = np.asarray(days, dtype=float)
    s = np.asarray(sums_mm, dtype=float)
    k_raw = np.asarray(new_lesions)
    if d.ndim != 1 or d.size == 0:
        raise ConfigError("days", days, "pass a 1-D sequence: the baseline day, then visit days")
    if not np.all(np.isfinite(d)) or np.any(np.diff(d) <= 0):
        raise ConfigError("days", days, "visit days must be finite and strictly increasing")
    for name, arr in (("sums_mm", s), ("new_lesions", k_raw)):
        if arr.shape != d.shape:
            raise ConfigError(name, arr.tolist(), f"pass one value per visit ({d.size})")
    if np.any(s < 0):
        raise ConfigError("sums_mm", sums_mm, "sums of diameters are >= 0 (NaN if not measured)")
    k = _check_counts(k_raw, "new_lesions")
    ns = None
    if new_lesion_sums_mm is not None:
        ns = np.asarray(new_lesion_sums_mm, dtype=float)
        if ns.shape != d.shape:
            raise ConfigError(
                "new_lesion_sums_mm", ns.tolist(), f"pass one value per visit ({d.size})"
            )
        if np.any(ns < 0):
            raise ConfigError(
                "new_lesion_sums_mm", new_lesion_sums_mm, "new-lesion sums are >= 0 (or NaN)"
            )
    _check_baseline(float(s[0]))
    return d, s, k, ns


def _assess_arrays(
    days: object,
    sums_mm: object,
    new_lesions: object,
    new_lesion_sums_mm: object | None,
    confirm: bool,
    confirmation_days: float,
    min_sd_days: float,
    resolved: object | None = None,
) -> tuple[list[int], int, float, float, float, float]:
    """`_assess_lists` of one patient's arrays, after checking them and the options."""
    _check_options(confirmation_days, min_sd_days)
    d, s, k, ns = _check_arrays(days, sums_mm, new_lesions, new_lesion_sums_mm)
    gone = None
    if resolved is not None:
        r = np.asarray(resolved)
        if r.shape != d.shape or r.dtype != bool:
            raise ConfigError(
                "resolved", r.tolist(), f"pass one bool per visit ({d.size}): every target gone"
            )
        gone = r.tolist()
    return _assess_lists(
        d.tolist(),
        s.tolist(),
        k.tolist(),
        None if ns is None else ns.tolist(),
        confirm,
        confirmation_days,
        min_sd_days,
        gone,
    )


def _check_counts(raw: np.ndarray, field: str) -> np.ndarray:
    if raw.dtype == bool:
        raise ConfigError(field, raw.tolist(), "pass counts of new lesions (int >= 0), not flags")
    values = np.asarray(raw, dtype=float)
    if not np.all(np.isfinite(values)) or np.any(values < 0) or np.any(values != np.round(values)):
        bad = values[~(np.isfinite(values) & (values >= 0) & (values == np.round(values)))]
        raise ConfigError(field, bad[0].item(), "pass counts of new lesions: integers >= 0")
    return values.astype(np.int64)


def assess_recist(
    days: Sequence[float] | np.ndarray,
    sums_mm: Sequence[float] | np.ndarray,
    new_lesions: Sequence[int] | np.ndarray,
    *,
    confirm: bool = True,
    confirmation_days: float = 28.0,
    min_sd_days: float = 42.0,
    resolved: Sequence[bool] | np.ndarray | None = None,
) -> RecistAssessment:
    """RECIST 1.1 visit responses and best overall response (BOR) of one patient.

    The first element is the baseline, the others are follow-up visits. With ``confirm``, a CR or
    PR counts only if a visit at least ``confirmation_days`` later, before any PD, shows the same
    or a better response (a CR followed by a PR confirms a PR, as in table 3 of RECIST 1.1); an
    unconfirmed response counts as SD. SD counts only at a visit at least ``min_sd_days`` after
    baseline; otherwise the BOR is PD if the patient progressed and NE if not. Without
    ``confirm`` the BOR is the best single visit (the SD duration still applies). ``resolved``
    (one bool per visit, see `targets_resolved`) says whether every target lesion is gone, so that
    a patient whose nodes are back to normal size is a CR; without it a CR is a sum of 0.

    Example:
        >>> assess_recist([0, 42, 84], [50.0, 30.0, 56.0], [0, 0, 0]).best_response
        <Response.SD: 'SD'>
        >>> assess_recist([0, 42], [50.0, 30.0], [0, 0], confirm=False).best_response
        <Response.PR: 'PR'>
    """
    codes, best, change, response_day, progression_day, _ = _assess_arrays(
        days, sums_mm, new_lesions, None, confirm, confirmation_days, min_sd_days, resolved
    )
    return RecistAssessment(
        responses=tuple(_RECIST_OF_CODE[c] for c in codes),
        best_response=_RECIST_OF_CODE[best],
        best_percent_change=change,
        response_day=response_day,
        progression_day=progression_day,
    )


def assess_irecist(
    days: Sequence[float] | np.ndarray,
    sums_mm: Sequence[float] | np.ndarray,
    new_lesions: Sequence[int] | np.ndarray,
    new_lesion_sums_mm: Sequence[float] | np.ndarray,
    *,
    confirm: bool = True,
    confirmation_days: float = 28.0,
    min_sd_days: float = 42.0,
    resolved: Sequence[bool] | np.ndarray | None = None,
) -> IrecistAssessment:
    """iRECIST visit responses and best overall response of one patient.

    A first RECIST 1.1 progression is iUPD. The next measured assessment confirms it (iCPD) when
    the category that progressed grows further: the target sum by >= 5 mm over the previous iUPD
    visit, the new-lesion sum by >= 5 mm, or the number of new lesions; progression in a category
    that had not progressed (target PD over the nadir, or a first new lesion) also confirms it. An
    assessment that still meets RECIST PD without further growth stays iUPD (the next one is
    compared with it); one that no longer meets PD is iSD/iPR/iCR against baseline and nadir and
    resets the bar, so a later progression is again iUPD. Assessment stops at iCPD.

    Best overall response: a confirmed iCR/iPR (confirmed as in `assess_recist`, with no iUPD in
    between), else iSD meeting the minimum duration, else iCPD if progression was confirmed, else
    iUPD, else NE. ``new_lesions`` counts the new lesions present at each visit; ``resolved`` is
    as in `assess_recist`.

    Example:
        >>> a = assess_irecist([0, 42, 84, 126], [50.0, 65.0, 40.0, 38.0], [0, 0, 0, 0],
        ...                    [0.0, 0.0, 0.0, 0.0])
        >>> [str(r) for r in a.responses], a.best_response
        (['iUPD', 'iSD', 'iSD'], <IResponse.iSD: 'iSD'>)
    """
    if new_lesion_sums_mm is None:
        raise ConfigError(
            "new_lesion_sums_mm",
            None,
            "pass the sum of new-lesion diameters per visit (0.0 if none)",
        )
    codes, best, change, response_day, progression_day, unconfirmed_day = _assess_arrays(
        days,
        sums_mm,
        new_lesions,
        new_lesion_sums_mm,
        confirm,
        confirmation_days,
        min_sd_days,
        resolved,
    )
    return IrecistAssessment(
        responses=tuple(_IRECIST_OF_CODE[c] for c in codes),
        best_response=_IRECIST_OF_CODE[best],
        best_percent_change=change,
        response_day=response_day,
        confirmed_progression_day=progression_day,
        unconfirmed_progression_day=unconfirmed_day,
    )


VISIT_KEYS: tuple[str, ...] = ("cohort", "arm", "patient_id")


def _numbers(table: pd.DataFrame, column: str) -> np.ndarray:
    try:
        return table[column].to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise ConfigError(column, str(table[column].dtype), "the column must be numeric") from None


def assess_visits(
    visits: pd.DataFrame,
    *,
    criteria: Literal["recist1.1", "irecist"] = "recist1.1",
    confirm: bool = True,
    confirmation_days: float = 28.0,
    min_sd_days: float = 42.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Assess every patient of a visit table; returns (visits with responses, patient table).

    ``visits`` has columns cohort, arm, patient_id, day, sum_diameters_mm, new_lesions and (for
    iRECIST) new_lesion_sum_mm; each (cohort, arm, patient_id) is one patient whose earliest visit
    is the baseline. The first table is ``visits`` in its own row order with ``percent_change``
    (from baseline) and ``response`` added; ``response`` is "" at baseline and at visits after
    progression. The patient table has one row per patient, in order of first appearance, with
    best_response, best_percent_change, response_day and progression_day (for iRECIST the
    confirmed one, plus unconfirmed_progression_day). An optional bool column
    ``targets_resolved`` says whether every target lesion is gone at a visit (`targets_resolved`:
    nodes back under 10 mm count as gone); without it a CR is a sum of 0.

    Example:
        >>> v = pd.DataFrame({"cohort": "c", "arm": "a", "patient_id": [1, 1, 1],
        ...                   "day": [0.0, 42.0, 84.0], "sum_diameters_mm": [50.0, 30.0, 20.0],
        ...                   "new_lesions": 0, "new_lesion_sum_mm": 0.0})
        >>> rows, patients = assess_visits(v)
        >>> rows["response"].tolist(), patients["best_response"].tolist()
        (['', 'PR', 'PR'], ['PR'])
    """
    if criteria not in CRITERIA:
        raise ConfigError("criteria", criteria, "use one of the listed criteria", choices=CRITERIA)
    _check_options(confirmation_days, min_sd_days)
    irecist = criteria == "irecist"
    needed = [*VISIT_KEYS, "day", "sum_diameters_mm", "new_lesions"]
    if irecist:
        needed.append("new_lesion_sum_mm")
    for column in needed:
        if column not in visits.columns:
            raise ConfigError(
                "column",
                column,
                f"the visit table needs a {column!r} column",
                choices=[str(c) for c in visits.columns],
            )
    n_rows = len(visits)
    gid = visits.groupby(list(VISIT_KEYS), sort=False, dropna=False).ngroup().to_numpy()
    day = _numbers(visits, "day")
    if not np.all(np.isfinite(day)):
        raise ConfigError("day", day[~np.isfinite(day)][0].item(), "visit days must be finite")
    total = _numbers(visits, "sum_diameters_mm")
    if np.any(total < 0):
        raise ConfigError(
            "sum_diameters_mm", total[total < 0][0].item(), "sums of diameters are >= 0 (or NaN)"
        )
    if pd.api.types.is_bool_dtype(visits["new_lesions"]):
        raise ConfigError("new_lesions", "bool", "pass counts of new lesions (int >= 0), not flags")
    new = _check_counts(_numbers(visits, "new_lesions"), "new_lesions")
    new_sum = _numbers(visits, "new_lesion_sum_mm") if irecist else None
    resolved = None
    if "targets_resolved" in visits.columns:
        if not pd.api.types.is_bool_dtype(visits["targets_resolved"]):
            raise ConfigError(
                "targets_resolved",
                str(visits["targets_resolved"].dtype),
                "pass bools: whether every target lesion is gone (nodes under 10 mm)",
            )
        resolved = visits["targets_resolved"].to_numpy(dtype=bool)
    if new_sum is not None and np.any(new_sum < 0):
        raise ConfigError(
            "new_lesion_sum_mm", new_sum[new_sum < 0][0].item(), "new-lesion sums are >= 0 (or NaN)"
        )

    order = np.lexsort((day, gid))
    g_sorted = gid[order]
    d_sorted = day[order]
    if n_rows:
        starts = np.flatnonzero(np.r_[True, g_sorted[1:] != g_sorted[:-1]])
    else:
        starts = np.array([], dtype=np.int64)
    ends = np.r_[starts[1:], n_rows][: len(starts)].astype(np.int64)
    same = g_sorted[1:] == g_sorted[:-1]
    if np.any(same & (d_sorted[1:] == d_sorted[:-1])):
        at = order[1:][same & (d_sorted[1:] == d_sorted[:-1])][0]
        key = tuple(visits.iloc[at][list(VISIT_KEYS)].tolist())
        raise ConfigError(
            "day", day[at].item(), f"patient {key} has two visits on that day; keep one"
        )
    s_sorted = total[order]
    base = s_sorted[starts]
    bad = ~(np.isfinite(base) & (base > 0))
    if np.any(bad):
        at = order[starts[bad][0]]
        key = tuple(visits.iloc[at][list(VISIT_KEYS)].tolist())
        _check_baseline(float(base[bad][0]), f" of patient {key}")

    percent = np.empty(n_rows)
    percent[order] = (
        100.0 * (s_sorted - np.repeat(base, ends - starts)) / np.repeat(base, ends - starts)
    )
    labels = _IRECIST_OF_CODE if irecist else _RECIST_OF_CODE
    code_text = {c: str(r) for c, r in labels.items()}
    response_sorted = np.full(n_rows, "", dtype=object)

    d_list = d_sorted.tolist()
    s_list = s_sorted.tolist()
    k_list = new[order].tolist()
    ns_list = new_sum[order].tolist() if new_sum is not None else None
    r_list = resolved[order].tolist() if resolved is not None else None
    n_patients = len(starts)
    best = np.empty(n_patients, dtype=object)
    change = np.empty(n_patients)
    response_day = np.empty(n_patients)
    progression_day = np.empty(n_patients)
    unconfirmed_day = np.empty(n_patients)
    for p, (a, b) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        codes, best_code, change[p], response_day[p], progression_day[p], unconfirmed_day[p] = (
            _assess_lists(
                d_list[a:b],
                s_list[a:b],
                k_list[a:b],
                ns_list[a:b] if ns_list is not None else None,
                confirm,
                confirmation_days,
                min_sd_days,
                r_list[a:b] if r_list is not None else None,
            )
        )
        best[p] = code_text[best_code]
        response_sorted[a + 1 : a + 1 + len(codes)] = [code_text[c] for c in codes]

    response = np.empty(n_rows, dtype=object)
    response[order] = response_sorted
    out_visits = visits.copy()
    out_visits["percent_change"] = percent
    out_visits["response"] = response
    first_rows = order[starts] if n_patients else np.array([], dtype=np.int64)
    patients = visits.iloc[first_rows][list(VISIT_KEYS)].reset_index(drop=True)
    patients["best_response"] = best
    patients["best_percent_change"] = change
    patients["response_day"] = response_day
    patients["progression_day"] = progression_day
    if irecist:
        patients["unconfirmed_progression_day"] = unconfirmed_day
    return out_visits, patients

"""Endpoint tables of a virtual trial: rates, survival summaries, curves and arm comparisons.

Every function takes a per-patient table with columns ``cohort``, ``arm``, ``patient_id`` and
endpoint columns, and returns a tidy DataFrame that reports and plots are drawn from. A
time-to-event endpoint ``name`` is the pair of columns ``{name}_day`` (days) and ``{name}_event``
(True: event, False: censored); the names used are ``endpoint`` (time to the humane endpoint of
a mouse), ``pfs``, ``os``, ``rfs`` and ``dor``. Rows whose time is NaN are left out of that
endpoint. Groups are listed in order of appearance: cohorts as they first appear, then arms as
they first appear, never alphabetically.

Example:
    >>> patients = pd.DataFrame({
    ...     "cohort": "c", "arm": ["control"] * 3 + ["treated"] * 3, "patient_id": range(6),
    ...     "os_day": [10.0, 20.0, 30.0, 15.0, 40.0, 60.0], "os_event": [1, 1, 1, 1, 0, 1]})
    >>> survival_summary(patients, "os")[["arm", "n", "events", "median"]]
           arm  n  events  median
    0  control  3       3    20.0
    1  treated  3       2    60.0
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from tmesim.errors import ConfigError
from tmesim.trials.statistics import (
    at_risk,
    cox_hazard_ratio,
    kaplan_meier,
    logrank,
    proportion_ci,
)

__all__ = [
    "RESPONSE_ENDPOINTS",
    "TIME_TO_EVENT",
    "at_risk_table",
    "duration_of_response_table",
    "hazard_ratio_table",
    "km_curves",
    "logrank_table",
    "proportion_table",
    "response_table",
    "survival_summary",
]

TIME_TO_EVENT: tuple[str, ...] = ("endpoint", "pfs", "os", "rfs", "dor")
NAN = float("nan")

# Best overall responses (RECIST 1.1 and iRECIST) counted by each response endpoint.
RESPONSE_ENDPOINTS: dict[str, frozenset[str]] = {
    "ORR": frozenset({"CR", "PR", "iCR", "iPR"}),
    "CR": frozenset({"CR", "iCR"}),
    "DCR": frozenset({"CR", "PR", "SD", "iCR", "iPR", "iSD"}),
}
_KNOWN_RESPONSES = frozenset({"CR", "PR", "SD", "PD", "NE", "iCR", "iPR", "iSD", "iUPD", "iCPD"})

By = str | Sequence[str]


def _columns(by: By) -> list[str]:
    return [by] if isinstance(by, str) else list(by)


def _require(patients: pd.DataFrame, columns: Sequence[str]) -> None:
    for column in columns:
        if column not in patients.columns:
            raise ConfigError(
                "column",
                column,
                f"the patient table has no {column!r} column; add it or name an existing one",
                choices=[str(c) for c in patients.columns],
            )


def _groups(patients: pd.DataFrame, by: Sequence[str]) -> list[tuple[tuple, np.ndarray]]:
    """(key values, row positions) per group, nested in order of first appearance."""
    n = len(patients)
    if not by:
        return [((), np.arange(n))] if n else []
    codes = {}
    uniques = {}
    for column in by:
        codes[column], uniques[column] = pd.factorize(patients[column], use_na_sentinel=False)
    frame = pd.DataFrame(codes)
    indices = frame.groupby(list(by), sort=True).indices
    out = []
    for key, rows in indices.items():
        key = key if isinstance(key, tuple) else (key,)
        values = tuple(uniques[c][k] for c, k in zip(by, key, strict=True))
        out.append((values, np.asarray(rows)))
    return out


def _flags(values: pd.Series, column: str) -> np.ndarray:
    """A column of True/False (or 1/0) as bool, after NA rows were removed."""
    try:
        x = np.asarray(values.to_numpy(dtype=float, na_value=np.nan), dtype=float)
    except (TypeError, ValueError):
        x = np.array([np.nan])
    if not np.all((x == 0) | (x == 1)):
        raise ConfigError(column, values.tolist()[:5], "the column must hold True/False (or 1/0)")
    return x.astype(bool)


Survival = tuple[np.ndarray, np.ndarray]


def _survival_data(patients: pd.DataFrame, name: str, rows: np.ndarray) -> Survival:
    """Durations and event flags of an endpoint at ``rows``, NaN times left out."""
    day = patients[f"{name}_day"].to_numpy(dtype=float, na_value=np.nan)[rows]
    keep = ~np.isnan(day)
    event = patients[f"{name}_event"].iloc[rows[keep]]
    if event.isna().any():
        raise ConfigError(
            f"{name}_event",
            "NA",
            f"every row with a {name}_day needs {name}_event True (event) or False (censored)",
        )
    return day[keep], _flags(event, f"{name}_event")


def proportion_table(
    patients: pd.DataFrame,
    column: str,
    by: By = ("cohort", "arm"),
    *,
    method: Literal["wilson", "clopper-pearson"] = "wilson",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Rate of a True/False column per group with its confidence interval; NA rows not counted.

    Example:
        >>> p = pd.DataFrame({"cohort": "c", "arm": ["a", "a", "b", "b"],
        ...                   "cured": [True, False, True, None]})
        >>> proportion_table(p, "cured")[["arm", "n", "events", "rate"]]
          arm  n  events  rate
        0   a  2       1   0.5
        1   b  1       1   1.0
    """
    keys = _columns(by)
    _require(patients, [*keys, column])
    records = []
    series = patients[column]
    for values, rows in _groups(patients, keys):
        sub = series.iloc[rows]
        flags = _flags(sub[sub.notna()], column)
        n, k = int(flags.size), int(flags.sum())
        low, high = proportion_ci(k, n, method=method, confidence=confidence)
        records.append((*values, n, k, k / n if n else NAN, low, high))
    return pd.DataFrame(records, columns=[*keys, "n", "events", "rate", "ci_low", "ci_high"])


def response_table(
    patients: pd.DataFrame,
    by: By = ("cohort", "arm"),
    *,
    method: Literal["wilson", "clopper-pearson"] = "clopper-pearson",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """ORR (CR+PR), CR rate and DCR (CR+PR+SD) per group from the ``best_response`` column.

    Every patient with a best response (NE included) is in the denominator; iRECIST categories
    count like their RECIST ones.

    Example:
        >>> p = pd.DataFrame({"cohort": "c", "arm": "a",
        ...                   "best_response": ["CR", "PR", "SD", "PD", "NE"]})
        >>> response_table(p)[["endpoint", "n", "events", "rate"]]
          endpoint  n  events  rate
        0      ORR  5       2   0.4
        1       CR  5       1   0.2
        2      DCR  5       3   0.6
    """
    keys = _columns(by)
    _require(patients, [*keys, "best_response"])
    best = patients["best_response"]
    present = best[best.notna()].astype(str)
    unknown = sorted(set(present) - _KNOWN_RESPONSES)
    if unknown:
        raise ConfigError(
            "best_response",
            unknown[0],
            "use RECIST 1.1 or iRECIST categories",
            choices=sorted(_KNOWN_RESPONSES),
        )
    records = []
    for values, rows in _groups(patients, keys):
        sub = best.iloc[rows]
        sub = sub[sub.notna()].astype(str)
        n = len(sub)
        for endpoint, counted in RESPONSE_ENDPOINTS.items():
            k = int(sub.isin(counted).sum())
            low, high = proportion_ci(k, n, method=method, confidence=confidence)
            records.append((*values, endpoint, n, k, k / n if n else NAN, low, high))
    return pd.DataFrame(
        records, columns=[*keys, "endpoint", "n", "events", "rate", "ci_low", "ci_high"]
    )


def _landmark_column(t: float) -> str:
    return f"S(t={t:g})"


def survival_summary(
    patients: pd.DataFrame,
    name: str,
    by: By = ("cohort", "arm"),
    *,
    confidence: float = 0.95,
    landmarks: Sequence[float] = (),
) -> pd.DataFrame:
    """Per group: patients, events, Kaplan–Meier median with its interval, survival at landmarks.

    The median is inf when the curve does not reach 0.5, NaN for a group without data. A
    landmark ``t`` adds a column ``"S(t=..)"``, e.g. ``"S(t=365)"``.

    Example:
        >>> p = pd.DataFrame({"cohort": "c", "arm": "a", "pfs_day": [30.0, 60.0, 90.0, np.nan],
        ...                   "pfs_event": [True, True, False, None]})
        >>> summary = survival_summary(p, "pfs", landmarks=[45])
        >>> summary[["n", "events", "median", "S(t=45)"]].round(3)
           n  events  median  S(t=45)
        0  3       2    60.0    0.667
    """
    keys = _columns(by)
    _require(patients, [*keys, f"{name}_day", f"{name}_event"])
    landmarks = [float(t) for t in landmarks]
    records = []
    for values, rows in _groups(patients, keys):
        t, e = _survival_data(patients, name, rows)
        if t.size == 0:
            records.append((*values, 0, 0, NAN, NAN, NAN, *([NAN] * len(landmarks))))
            continue
        km = kaplan_meier(t, e, confidence=confidence)
        at = [float(km.survival_at(x)) for x in landmarks]
        records.append((*values, t.size, int(e.sum()), km.median, *km.median_ci, *at))
    columns = [*keys, "n", "events", "median", "median_ci_low", "median_ci_high"]
    return pd.DataFrame(records, columns=columns + [_landmark_column(x) for x in landmarks])


def km_curves(
    patients: pd.DataFrame,
    name: str,
    by: By = ("cohort", "arm"),
    *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Kaplan–Meier step values per group, each curve starting at time 0 with survival 1.

    Each row is the survival from its time until the next row's time (draw with
    ``drawstyle="steps-post"``). Groups without data have no rows.

    Example:
        >>> p = pd.DataFrame({"cohort": "c", "arm": "a", "os_day": [5.0, 9.0],
        ...                   "os_event": [True, False]})
        >>> km_curves(p, "os")[["time", "survival"]].to_numpy().tolist()
        [[0.0, 1.0], [5.0, 0.5], [9.0, 0.5]]
    """
    keys = _columns(by)
    _require(patients, [*keys, f"{name}_day", f"{name}_event"])
    columns = ["time", "survival", "ci_low", "ci_high"]
    parts = []
    for values, rows in _groups(patients, keys):
        t, e = _survival_data(patients, name, rows)
        if t.size == 0:
            continue
        table = kaplan_meier(t, e, confidence=confidence).table[columns].copy()
        first = table.iloc[0]
        if first["time"] > 0 or first["survival"] < 1:
            start = pd.DataFrame([[0.0, 1.0, 1.0, 1.0]], columns=columns)
            table = pd.concat([start, table], ignore_index=True)
        for column, value in zip(keys, values, strict=True):
            table.insert(keys.index(column), column, [value] * len(table))
        parts.append(table)
    if not parts:
        return pd.DataFrame(columns=[*keys, *columns])
    return pd.concat(parts, ignore_index=True)


def at_risk_table(
    patients: pd.DataFrame,
    name: str,
    times: Sequence[float],
    by: By = ("cohort", "arm"),
) -> pd.DataFrame:
    """Numbers at risk (time >= t) per group (rows) at each of ``times`` (columns).

    Example:
        >>> p = pd.DataFrame({"cohort": "c", "arm": ["a", "a", "b"], "os_day": [5.0, 9.0, 2.0]})
        >>> at_risk_table(p, "os", [0, 6]).to_dict("index")
        {('c', 'a'): {0: 2, 6: 1}, ('c', 'b'): {0: 1, 6: 0}}
    """
    keys = _columns(by)
    _require(patients, [*keys, f"{name}_day"])
    day = patients[f"{name}_day"].to_numpy(dtype=float, na_value=np.nan)
    labels: list[tuple] = []
    counts = []
    for values, rows in _groups(patients, keys):
        t = day[rows]
        labels.append(values)
        counts.append(at_risk(t[~np.isnan(t)], times))
    if len(keys) > 1:
        index = pd.MultiIndex.from_tuples(labels, names=keys)
    elif keys:
        index = pd.Index([v[0] for v in labels], name=keys[0])
    else:
        index = pd.Index(["all"][: len(labels)])
    matrix = np.array(counts, dtype=np.int64).reshape(len(labels), len(times))
    return pd.DataFrame(matrix, index=index, columns=list(times))


def _comparisons(
    patients: pd.DataFrame,
    name: str,
    group: str,
    reference: Hashable | None,
    strata: Sequence[str],
) -> list[tuple[tuple, Hashable, Hashable, Survival, Survival]]:
    """(stratum values, arm, reference, arm data, reference data) for each arm vs the reference.

    The data are the (durations, event flags) of `_survival_data`.
    """
    _require(patients, [*strata, group, f"{name}_day", f"{name}_event"])
    arms_all = list(pd.unique(patients[group]))
    if reference is not None and reference not in arms_all:
        raise ConfigError(
            "reference",
            reference,
            f"name a value of the {group!r} column",
            choices=[str(a) for a in arms_all],
        )
    out = []
    for values, rows in _groups(patients, strata):
        arms = {}
        for arm_values, arm_rows in _groups(patients.iloc[rows], [group]):
            arms[arm_values[0]] = rows[arm_rows]
        ordered = [a for a in arms_all if a in arms]
        ref = ordered[0] if reference is None else reference
        if ref not in arms:
            raise ConfigError(
                "reference",
                ref,
                f"stratum {values} has no {group} {ref!r}; name one present in every stratum",
                choices=[str(a) for a in ordered],
            )
        for arm in ordered:
            if arm != ref:
                data = [_survival_data(patients, name, arms[a]) for a in (arm, ref)]
                out.append((values, arm, ref, *data))
    return out


def logrank_table(
    patients: pd.DataFrame,
    name: str,
    *,
    group: str = "arm",
    reference: Hashable | None = None,
    strata: Sequence[str] = ("cohort",),
) -> pd.DataFrame:
    """Log-rank test of each arm against the reference arm within each stratum.

    The reference defaults to the first arm (in order of appearance) of each stratum.

    Example:
        >>> p = pd.DataFrame({"cohort": "c", "arm": ["ctl"] * 4 + ["tx"] * 4,
        ...                   "os_day": [1.0, 2, 3, 4, 5, 6, 7, 8], "os_event": [1] * 7 + [0]})
        >>> logrank_table(p, "os").round(4)
          cohort arm reference  statistic  p_value
        0      c  tx       ctl     7.3444   0.0067
    """
    strata = _columns(strata)
    records = [
        (*values, arm, ref, *logrank(tr, er, ta, ea))
        for values, arm, ref, (ta, ea), (tr, er) in _comparisons(
            patients, name, group, reference, strata
        )
    ]
    return pd.DataFrame(records, columns=[*strata, group, "reference", "statistic", "p_value"])


def hazard_ratio_table(
    patients: pd.DataFrame,
    name: str,
    *,
    group: str = "arm",
    reference: Hashable | None = None,
    strata: Sequence[str] = ("cohort",),
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Cox hazard ratio of each arm against the reference arm within each stratum.

    A hazard ratio below 1 means fewer events on the arm than on the reference. NaN when the
    model has no finite estimate (see `cox_hazard_ratio`).

    Example:
        >>> p = pd.DataFrame({"cohort": "c", "arm": ["ctl"] * 4 + ["tx"] * 4,
        ...                   "os_day": [1.0, 5, 3, 7, 2, 6, 8, 4], "os_event": [1] * 7 + [0]})
        >>> hazard_ratio_table(p, "os")[["arm", "reference", "hazard_ratio"]].round(2)
          arm reference  hazard_ratio
        0  tx       ctl          0.42
    """
    strata = _columns(strata)
    records = []
    for values, arm, ref, (ta, ea), (tr, er) in _comparisons(
        patients, name, group, reference, strata
    ):
        treated = np.r_[np.ones(ta.size, dtype=bool), np.zeros(tr.size, dtype=bool)]
        hr = cox_hazard_ratio(np.r_[ta, tr], np.r_[ea, er], treated, confidence=confidence)
        records.append((*values, arm, ref, *hr))
    columns = [*strata, group, "reference", "hazard_ratio", "ci_low", "ci_high", "p_value"]
    return pd.DataFrame(records, columns=columns)


def duration_of_response_table(
    patients: pd.DataFrame,
    by: By = ("cohort", "arm"),
    *,
    confidence: float = 0.95,
    landmarks: Sequence[float] = (),
) -> pd.DataFrame:
    """Survival summary of the duration of response over responders (rows with a ``dor_day``).

    Example:
        >>> p = pd.DataFrame({"cohort": "c", "arm": "a", "dor_day": [np.nan, 100.0, 200.0],
        ...                   "dor_event": [None, True, False]})
        >>> duration_of_response_table(p)[["n", "events", "median"]]
           n  events  median
        0  2       1   100.0
    """
    return survival_summary(patients, "dor", by, confidence=confidence, landmarks=landmarks)


def lesion_table(patients: pd.DataFrame, by: By = ("cohort", "arm")) -> pd.DataFrame:
    """Per group, what each patient's lesions did: patients with several target lesions and the
    share of them with a mixed response; patients with new lesions; and, after resection, the
    relapses by site and the deaths from the disease after a relapse. Columns a trial did not
    record are left out.

    Example:
        >>> p = pd.DataFrame({"cohort": "c", "arm": "a", "n_lesions": [1, 2, 3],
        ...                   "mixed_response": [None, True, False]})
        >>> row = lesion_table(p).iloc[0]
        >>> int(row["multi_lesion"]), int(row["mixed_responses"]), float(row["mixed_share"])
        (2, 1, 0.5)
    """
    keys = _columns(by)
    _require(patients, keys)
    records = []
    for values, rows in _groups(patients, keys):
        sub = patients.iloc[rows]
        row: dict[str, Any] = dict(zip(keys, values, strict=True))
        row["n"] = len(sub)
        if "mixed_response" in sub and "n_lesions" in sub:
            flags = sub["mixed_response"].astype("boolean")
            multi = int((sub["n_lesions"] > 1).sum())
            mixed = int(flags.fillna(False).sum())
            row.update(
                multi_lesion=multi,
                mixed_responses=mixed,
                mixed_share=mixed / multi if multi else NAN,
            )
        if "new_lesions" in sub:
            row["with_new_lesions"] = int((sub["new_lesions"] > 0).sum())
        if "relapse_site" in sub:
            site = sub["relapse_site"].astype(str)
            row["local_relapses"] = int((site == "local").sum())
            row["distant_relapses"] = int((site == "distant").sum())
            died = sub["death_after_relapse"].astype("boolean").fillna(False)
            row["deaths_after_relapse"] = int(died.sum())
        records.append(row)
    return pd.DataFrame(records)

"""Subgroup analyses by baseline biomarker: each arm against the reference arm within each level
of a biomarker (`config.trial.Subgroup`), as hazard ratios with confidence intervals from a Cox
model (lifelines, `trials.statistics.cox_hazard_ratio`) — the rows of a forest plot.

Subgroups of a virtual trial are as small as the trial's arms allow: a level with no event in
one arm has no finite hazard ratio (NaN), and p values are not adjusted for the many
comparisons a forest plot shows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tmesim.config.trial import Subgroup
from tmesim.trials.analysis import RESPONSE_ENDPOINTS, hazard_ratio_table
from tmesim.trials.biomarkers import ELIGIBLE_BIOMARKERS
from tmesim.trials.statistics import proportion_ci

NUMERIC_BIOMARKERS: tuple[str, ...] = (
    *ELIGIBLE_BIOMARKERS,
    "body_weight_kg",
    "n_lesions",
    "baseline_sum_diameters_mm",
)
CATEGORICAL_BIOMARKERS: tuple[str, ...] = ("mmr_status", "sex")

ALL = "all patients"
_KEYS = ("cohort", "subgroup", "level", "arm", "reference", "n", "n_reference")
COLUMNS = (*_KEYS, "hazard_ratio", "ci_low", "ci_high", "p_value")
"""Columns of `subgroup_table`."""
RESPONSE_COLUMNS = (*_KEYS, "orr", "orr_reference", "orr_difference", "ci_low", "ci_high")
"""Columns of `response_difference_table`."""


def levels(values: pd.Series, spec: Subgroup) -> pd.Series:
    """Each patient's level of the subgroup: '< c1', 'c1–c2', ..., '≥ cn' (numeric), the value
    itself (categorical); '' where unknown.

    Example:
        >>> levels(pd.Series([0.0, 0.2, 0.9, np.nan]),
        ...        Subgroup(biomarker="pdl1_tumor_proportion", cuts=[0.01, 0.5])).tolist()
        ['< 0.01', '0.01–0.5', '≥ 0.5', '']
    """
    if not spec.cuts:
        return values.fillna("").astype(str)
    cuts = spec.cuts
    names = [f"< {cuts[0]:g}"]
    names += [f"{a:g}–{b:g}" for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    names.append(f"≥ {cuts[-1]:g}")
    x = values.to_numpy(dtype=float)
    k = np.searchsorted(np.asarray(cuts, dtype=float), x, side="right")
    out = np.array(names, dtype=object)[np.minimum(k, len(names) - 1)]
    out[~np.isfinite(x)] = ""
    return pd.Series(out, index=values.index)


def rate_difference_ci(
    k1: int, n1: int, k2: int, n2: int, confidence: float = 0.95
) -> tuple[float, float, float]:
    """Difference of two proportions k1/n1 − k2/n2 with Newcombe's hybrid score interval
    (method 10 of Newcombe 1998 Stat Med 17:873, from the two Wilson intervals; his worked
    example 56/70 vs 48/80 gives 0.0524 to 0.3339).

    Example:
        >>> [round(x, 4) for x in rate_difference_ci(56, 70, 48, 80)]
        [0.2, 0.0524, 0.3339]
    """
    if n1 == 0 or n2 == 0:
        return np.nan, np.nan, np.nan
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = proportion_ci(k1, n1, method="wilson", confidence=confidence)
    l2, u2 = proportion_ci(k2, n2, method="wilson", confidence=confidence)
    d = p1 - p2
    return d, d - float(np.hypot(p1 - l1, u2 - p2)), d + float(np.hypot(u1 - p1, p2 - l2))


def response_difference_table(
    patients: pd.DataFrame,
    subgroups: Sequence[Subgroup],
    reference: str | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Objective response rate of each arm minus the reference arm's (Newcombe interval), for
    all patients and within each level of each subgroup, per cohort.

    Example:
        >>> p = pd.DataFrame({"cohort": "c", "arm": ["a"] * 4 + ["b"] * 4,
        ...     "best_response": ["PD", "SD", "PR", "PD", "CR", "PR", "PR", "SD"],
        ...     "sex": ["male", "female"] * 4})
        >>> t = response_difference_table(p, [Subgroup(biomarker="sex")])
        >>> t[["level", "orr", "orr_reference", "orr_difference"]].values.tolist()
        [['', 0.75, 0.25, 0.5], ['female', 0.5, 0.0, 0.5], ['male', 1.0, 0.5, 0.5]]
    """
    columns = list(RESPONSE_COLUMNS)
    if "best_response" not in patients:
        return pd.DataFrame(columns=columns)
    data = patients[patients["best_response"].notna()]
    arms = list(pd.unique(data["arm"]))
    if len(arms) < 2:
        return pd.DataFrame(columns=columns)
    ref = reference if reference in arms else arms[0]
    responders = data["best_response"].isin(RESPONSE_ENDPOINTS["ORR"])
    rows = []
    for frame in _levels(data, subgroups):
        for (cohort, subgroup, level), part in frame.groupby(
            ["cohort", "subgroup", "level"], sort=True
        ):
            if subgroup != ALL and level == "":
                continue
            hit = responders.loc[part.index]
            counts = {
                a: (int(hit[part["arm"] == a].sum()), int((part["arm"] == a).sum())) for a in arms
            }
            k2, n2 = counts[ref]
            if n2 == 0:
                continue
            for arm in arms:
                k1, n1 = counts[arm]
                if arm == ref or n1 == 0:
                    continue
                d, lo, hi = rate_difference_ci(k1, n1, k2, n2, confidence)
                rows.append(
                    (cohort, subgroup, level, arm, ref, n1, n2, k1 / n1, k2 / n2, d, lo, hi)
                )
    return pd.DataFrame(rows, columns=columns)


def _levels(data: pd.DataFrame, subgroups: Sequence[Subgroup]) -> list[pd.DataFrame]:
    """`data` labelled for all patients, then once per subgroup with each patient's level."""
    frames = [data.assign(subgroup=ALL, level="")]
    for spec in subgroups:
        if spec.biomarker in data.columns:
            frames.append(
                data.assign(subgroup=spec.biomarker, level=levels(data[spec.biomarker], spec))
            )
    return frames


def subgroup_table(
    patients: pd.DataFrame,
    subgroups: Sequence[Subgroup],
    endpoint: str,
    reference: str | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Hazard ratio of each arm vs `reference` (default: the first arm) on `endpoint` (pfs, os,
    rfs), for all patients and within each level of each subgroup, per cohort (`COLUMNS`).

    Example:
        >>> p = pd.DataFrame({"cohort": "c", "arm": ["a"] * 6 + ["b"] * 6,
        ...     "pfs_day": [1., 2, 3, 4, 5, 6, 2, 4, 6, 8, 10, 12], "pfs_event": True,
        ...     "sex": ["male", "female"] * 6})
        >>> t = subgroup_table(p, [Subgroup(biomarker="sex")], "pfs")
        >>> t[["subgroup", "level", "n", "n_reference"]].values.tolist()
        [['all patients', '', 6, 6], ['sex', 'female', 3, 3], ['sex', 'male', 3, 3]]
    """
    need = [f"{endpoint}_day", f"{endpoint}_event"]
    data = patients.dropna(subset=need)
    arms = list(pd.unique(data["arm"]))
    if len(arms) < 2:
        return pd.DataFrame(columns=list(COLUMNS))
    ref = reference if reference in arms else arms[0]
    rows = []
    for frame in _levels(data, subgroups):
        for (cohort, subgroup, level), part in frame.groupby(
            ["cohort", "subgroup", "level"], sort=True
        ):
            if subgroup != ALL and level == "":
                continue
            counts = part["arm"].value_counts()
            if ref not in counts:
                continue
            present = part[part["arm"].isin([a for a in arms if a in counts])]
            if present["arm"].nunique() < 2:
                continue
            hr = hazard_ratio_table(
                present, endpoint, reference=ref, strata=("cohort",), confidence=confidence
            )
            for _, r in hr.iterrows():
                rows.append(
                    (
                        cohort,
                        subgroup,
                        level,
                        r["arm"],
                        ref,
                        int(counts[r["arm"]]),
                        int(counts[ref]),
                        r["hazard_ratio"],
                        r["ci_low"],
                        r["ci_high"],
                        r["p_value"],
                    )
                )
    return pd.DataFrame(rows, columns=list(COLUMNS))

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
from tmesim.trials.analysis import hazard_ratio_table
from tmesim.trials.biomarkers import ELIGIBLE_BIOMARKERS

NUMERIC_BIOMARKERS: tuple[str, ...] = (
    *ELIGIBLE_BIOMARKERS,
    "body_weight_kg",
    "n_lesions",
    "baseline_sum_diameters_mm",
)
CATEGORICAL_BIOMARKERS: tuple[str, ...] = ("mmr_status", "sex")

ALL = "all patients"
COLUMNS = (
    "cohort",
    "subgroup",
    "level",
    "arm",
    "reference",
    "n",
    "n_reference",
    "hazard_ratio",
    "ci_low",
    "ci_high",
    "p_value",
)


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
    frames = [data.assign(subgroup=ALL, level="")]
    for spec in subgroups:
        if spec.biomarker not in data.columns:
            continue
        frames.append(
            data.assign(subgroup=spec.biomarker, level=levels(data[spec.biomarker], spec))
        )
    rows = []
    for frame in frames:
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

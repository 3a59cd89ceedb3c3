"""The efficacy–toxicity trade-off of a sweep: which designs no other design beats on both.

A point × arm is on the Pareto front when no other point × arm of the same cohort has at least its
objective response rate with at most its grade 3–4 immune-related adverse event rate, one of the
two strictly better. The rates are those of the sweep's endpoint table (`sweeps.endpoints`), so
the front exists only where the study models toxicity (`toxicity.enabled` or an arm's
`toxicity`, `trials.toxicity`).

Example:
    >>> pareto_front(np.array([0.6, 0.5, 0.4]), np.array([0.5, 0.2, 0.3])).tolist()
    [True, True, False]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["EFFICACY", "TOXICITY", "efficacy_toxicity", "pareto_front"]

EFFICACY = "ORR"
TOXICITY = "grade 3–4 irAE"
"""Endpoint names of the table (`sweeps.endpoints`) the trade-off reads."""


def pareto_front(efficacy: np.ndarray, toxicity: np.ndarray) -> np.ndarray:
    """Whether each design is on the front: no other design has efficacy ≥ and toxicity ≤ its
    own with one strictly better. NaN in either is never on the front (and beats nothing).

    Example:
        >>> pareto_front(np.array([0.5, 0.5, np.nan]), np.array([0.2, 0.2, 0.0])).tolist()
        [True, True, False]
    """
    e = np.asarray(efficacy, dtype=float)
    t = np.asarray(toxicity, dtype=float)
    if e.shape != t.shape or e.ndim != 1:
        raise ValueError("efficacy and toxicity must be 1-D arrays of the same length")
    ok = np.isfinite(e) & np.isfinite(t)
    front = ok.copy()
    for i in np.flatnonzero(ok):
        others = ok & (e >= e[i]) & (t <= t[i]) & ((e > e[i]) | (t < t[i]))
        front[i] = not others.any()
    return front


def efficacy_toxicity(table: pd.DataFrame) -> pd.DataFrame:
    """One row per point × cohort × arm with its ORR and grade 3–4 irAE rate (with intervals)
    and whether it is on its cohort's Pareto front; empty when the table has no toxicity.

    ``table`` is a sweep endpoint table (columns point, cohort, arm, endpoint, estimate, ci_low,
    ci_high).

    Example:
        >>> t = pd.DataFrame({"point": [0, 0, 1, 1], "cohort": "c", "arm": "a",
        ...     "endpoint": ["ORR", TOXICITY] * 2, "estimate": [0.5, 0.2, 0.6, 0.6],
        ...     "ci_low": 0.0, "ci_high": 1.0})
        >>> efficacy_toxicity(t)[["point", "orr", "irae", "pareto"]].to_dict("list")
        {'point': [0, 1], 'orr': [0.5, 0.6], 'irae': [0.2, 0.6], 'pareto': [True, True]}
    """
    keys = ["point", "cohort", "arm"]
    columns = [*keys, "orr", "orr_low", "orr_high", "irae", "irae_low", "irae_high", "pareto"]
    if "endpoint" not in table or not (table["endpoint"] == TOXICITY).any():
        return pd.DataFrame(columns=columns)
    parts = []
    for endpoint, name in ((EFFICACY, "orr"), (TOXICITY, "irae")):
        sub = table.loc[table["endpoint"] == endpoint, [*keys, "estimate", "ci_low", "ci_high"]]
        parts.append(
            sub.rename(
                columns={"estimate": name, "ci_low": f"{name}_low", "ci_high": f"{name}_high"}
            )
        )
    both = parts[0].merge(parts[1], on=keys, how="inner").reset_index(drop=True)
    both["pareto"] = False
    for _, rows in both.groupby("cohort", sort=False).groups.items():
        idx = np.asarray(list(rows))
        both.loc[idx, "pareto"] = pareto_front(
            both.loc[idx, "orr"].to_numpy(float), both.loc[idx, "irae"].to_numpy(float)
        )
    return both[columns]

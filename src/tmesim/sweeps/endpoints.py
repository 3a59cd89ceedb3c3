"""The endpoints of one sweep point, as tidy rows (arm × endpoint) with 95% intervals.

They are the numbers the trial analysis computes (`tmesim.trials.analysis`): response rates with
Clopper–Pearson intervals (ORR, CR, DCR), tumor-free rates with Wilson intervals (mouse studies),
Kaplan–Meier medians with their intervals (lifelines) and, at the sweep's landmark days, the
Kaplan–Meier survival with its pointwise interval; where the study models toxicity, the share
with a grade 3–4 immune-related adverse event (Wilson interval). Only successfully simulated
patients count, as in the trial's own key results.

Example:
    >>> p = pd.DataFrame({"cohort": "c", "arm": "a", "patient_id": range(4), "status": "success",
    ...                   "best_response": ["CR", "PR", "SD", "PD"]})
    >>> point_endpoints(p, "clinical_trial")[["endpoint", "n", "estimate"]]
      endpoint  n  estimate
    0      ORR  4      0.50
    1       CR  4      0.25
    2      DCR  4      0.75
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tmesim.sweeps.pareto import TOXICITY
from tmesim.trials.analysis import (
    RESPONSE_ENDPOINTS,
    proportion_table,
    response_table,
    survival_summary,
)
from tmesim.trials.statistics import kaplan_meier

__all__ = ["COLUMNS", "SURVIVAL", "binary_outcome", "point_endpoints"]

BY = ["cohort", "arm"]
COLUMNS = ["cohort", "arm", "endpoint", "unit", "n", "events", "estimate", "ci_low", "ci_high"]
SURVIVAL = {"pfs": "PFS", "os": "OS", "rfs": "RFS", "endpoint": "survival to endpoint"}
"""Time-to-event columns read (name → how the endpoint is called in the table)."""


def _rates(table: pd.DataFrame, endpoint: str | None = None) -> pd.DataFrame:
    out = table.rename(columns={"rate": "estimate"}).copy()
    if endpoint is not None:
        out["endpoint"] = endpoint
    out["unit"] = "fraction"
    return out[COLUMNS]


def _landmark(patients: pd.DataFrame, name: str, label: str, day: float) -> pd.DataFrame:
    """Kaplan–Meier survival at `day` per cohort and arm, with its pointwise 95% interval."""
    rows = []
    for (cohort, arm), g in patients.groupby(BY, sort=False):
        t = g[f"{name}_day"].to_numpy(dtype=float, na_value=np.nan)
        keep = ~np.isnan(t)
        if not keep.any():
            continue
        e = g[f"{name}_event"].to_numpy(dtype=float, na_value=np.nan)[keep].astype(bool)
        km = kaplan_meier(t[keep], e)
        table = km.table
        i = int(np.searchsorted(table["time"].to_numpy(), day, side="right")) - 1
        at = table.iloc[i] if i >= 0 else None
        estimate = float(km.survival_at(day))
        low = float(at["ci_low"]) if at is not None else 1.0
        high = float(at["ci_high"]) if at is not None else 1.0
        events = int(((t[keep] <= day) & e).sum())
        rows.append((cohort, arm, f"{label} at day {day:g}", "fraction", int(keep.sum()),
                     events, estimate, low, high))  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)


def point_endpoints(
    patients: pd.DataFrame, kind: str, landmarks: Sequence[float] = ()
) -> pd.DataFrame:
    """Tidy endpoints of one point's patient table: one row per cohort × arm × endpoint.

    ``kind`` is the study's (``mouse_study`` or ``clinical_trial``). Columns: cohort, arm,
    endpoint, unit (``fraction`` or ``days``), n, events, estimate, ci_low, ci_high. A median not
    reached is ``inf``.
    """
    ok = patients[patients["status"] == "success"] if "status" in patients else patients
    parts = []
    if kind == "mouse_study" and "tumor_free" in ok and ok["tumor_free"].notna().any():
        free = ok.dropna(subset=["tumor_free"])
        parts.append(_rates(proportion_table(free, "tumor_free", by=BY), "tumor_free"))
    if "best_response" in ok and ok["best_response"].notna().any():
        parts.append(_rates(response_table(ok, by=BY)))
    if "irae_grade34_day" in ok:
        # The study models toxicity (`trials.toxicity`): a grade 3–4 irAE seen in follow-up.
        irae = ok[[*BY]].copy()
        irae["irae"] = ok["irae_grade34_day"].notna().to_numpy()
        parts.append(_rates(proportion_table(irae, "irae", by=BY), TOXICITY))
    for name, label in SURVIVAL.items():
        if f"{name}_day" not in ok or not ok[f"{name}_day"].notna().any():
            continue
        s = survival_summary(ok, name, by=BY)
        s = s.rename(
            columns={"median": "estimate", "median_ci_low": "ci_low", "median_ci_high": "ci_high"}
        )
        s["endpoint"] = f"median {label}"
        s["unit"] = "days"
        parts.append(s[COLUMNS])
        for day in landmarks:
            parts.append(_landmark(ok, name, label, float(day)))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    out["n"] = out["n"].astype("int64")
    out["events"] = out["events"].astype("int64")
    return out


def binary_outcome(patients: pd.DataFrame, endpoint: str) -> pd.DataFrame | None:
    """Per-patient yes/no outcome of a response endpoint (``ORR``, ``CR``, ``DCR`` or
    ``tumor_free``): columns cohort, arm, patient_id, outcome (bool); patients without the
    outcome (failed, not evaluable by the study) are left out. None if the study lacks it.

    Example:
        >>> p = pd.DataFrame({"cohort": "c", "arm": "a", "patient_id": [0, 1], "status":
        ...                   "success", "best_response": ["PR", "SD"]})
        >>> binary_outcome(p, "ORR")["outcome"].tolist()
        [True, False]
    """
    ok = patients[patients["status"] == "success"] if "status" in patients else patients
    if endpoint == "tumor_free":
        if "tumor_free" not in ok:
            return None
        ok = ok.dropna(subset=["tumor_free"])
        outcome = ok["tumor_free"].astype(bool)
    else:
        if "best_response" not in ok:
            return None
        ok = ok.dropna(subset=["best_response"])
        outcome = ok["best_response"].astype(str).isin(RESPONSE_ENDPOINTS[endpoint])
    if ok.empty:
        return None
    out = ok[["cohort", "arm", "patient_id"]].copy()
    out["outcome"] = outcome.to_numpy(dtype=bool)
    return out.reset_index(drop=True)

"""The headline numbers of a finished run, for the console (the report shows them in full).

Example:
    >>> print(key_results_text(Path("tmesim-out")))     # doctest: +SKIP
    4T1 (myeloid-rich)  control   tumor-free 0/40  0% (0–9%)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from tmesim.trials.analysis import proportion_table, response_table, survival_summary

DAYS_PER_MONTH = 30.4375


def _months(days: float) -> str:
    return "NR" if not np.isfinite(days) else f"{days / DAYS_PER_MONTH:.1f}"


def _percent(rate: float, low: float, high: float) -> str:
    return f"{100 * rate:.0f}% ({100 * low:.0f}–{100 * high:.0f}%)"


def key_results(run_dir: Path) -> pd.DataFrame:
    """One row per cohort and arm with the study's headline endpoints (rates with 95% CIs)."""
    run_dir = Path(run_dir)
    kind = json.loads((run_dir / "study.json").read_text())["kind"]
    patients = pd.read_parquet(run_dir / "patients.parquet")
    by = ["cohort", "arm"]
    if kind == "mouse_study":
        free = proportion_table(patients.dropna(subset=["tumor_free"]), "tumor_free", by=by)
        out = free[by].copy()
        out["tumor-free"] = [
            f"{k}/{n}  {_percent(r, lo, hi)}"
            for k, n, r, lo, hi in free[["events", "n", "rate", "ci_low", "ci_high"]].itertuples(
                index=False
            )
        ]
        if (
            "rechallenge_tumor_free" in patients
            and patients["rechallenge_tumor_free"].notna().any()
        ):
            rc = proportion_table(patients, "rechallenge_tumor_free", by=by)
            rc = rc.set_index(by).reindex(pd.MultiIndex.from_frame(out[by]))
            out["rechallenge rejected"] = [
                f"{int(k)}/{int(n)}" if n > 0 else "–"
                for k, n in zip(rc["events"].fillna(0), rc["n"].fillna(0), strict=True)
            ]
        return out
    ok = patients[patients["status"] == "success"]
    out = ok[by].drop_duplicates().reset_index(drop=True)
    if "best_response" in ok:  # not in the adjuvant setting: no measurable disease to respond
        table = response_table(ok, by=by)
        orr = table[table["endpoint"] == "ORR"].reset_index(drop=True)
        out["ORR"] = [
            f"{k}/{n}  {_percent(r, lo, hi)}"
            for k, n, r, lo, hi in orr[["events", "n", "rate", "ci_low", "ci_high"]].itertuples(
                index=False
            )
        ]
    for name in ("pfs", "os", "rfs"):
        if f"{name}_day" in ok and ok[f"{name}_day"].notna().any():
            s = survival_summary(ok, name, by=by).reset_index(drop=True)
            out[f"median {name.upper()} (months)"] = [
                f"{_months(m)} ({_months(lo)}–{_months(hi)})"
                for m, lo, hi in s[["median", "median_ci_low", "median_ci_high"]].itertuples(
                    index=False
                )
            ]
    return out


def key_results_text(run_dir: Path) -> str:
    """`key_results` as an aligned text table."""
    return key_results(run_dir).to_string(index=False)

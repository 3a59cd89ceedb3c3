"""The headline numbers of a finished run, for the console (the report shows them in full).

Example:
    >>> print(key_results_text(Path("tmesim-out")))     # doctest: +SKIP
    4T1 (myeloid-rich)  control   tumor-free 0/40  0% (0–9%)
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tmesim.trials.analysis import proportion_table, response_table, survival_summary
from tmesim.trials.formatting import (
    DASH,
    DAYS_PER_MONTH,
    format_count,
    format_rate_ci,
    format_time,
)


def _count_and_rate(table: pd.DataFrame) -> list[str]:
    """``'7/12  58% (32–81%)'`` per row of a proportion or response table."""
    columns = ["events", "n", "rate", "ci_low", "ci_high"]
    return [
        f"{format_count(k, n)}  {format_rate_ci(r, lo, hi)}"
        for k, n, r, lo, hi in table[columns].itertuples(index=False)
    ]


def _median_months(median: float, low: float, high: float) -> str:
    """``'5.3 (3.2–7.0)'``; every bound not reached shows as NR, ``'NR (NR–NR)'`` included."""
    text = [format_time(x, DAYS_PER_MONTH) for x in (median, low, high)]
    return f"{text[0]} ({text[1]}{DASH}{text[2]})"


def key_results(run_dir: Path) -> pd.DataFrame:
    """One row per cohort and arm with the study's headline endpoints (rates with 95% CIs)."""
    run_dir = Path(run_dir)
    kind = json.loads((run_dir / "study.json").read_text())["kind"]
    patients = pd.read_parquet(run_dir / "patients.parquet")
    by = ["cohort", "arm"]
    if kind == "mouse_study":
        free = proportion_table(patients.dropna(subset=["tumor_free"]), "tumor_free", by=by)
        out = free[by].copy()
        out["tumor-free"] = _count_and_rate(free)
        if (
            "rechallenge_tumor_free" in patients
            and patients["rechallenge_tumor_free"].notna().any()
        ):
            rc = proportion_table(patients, "rechallenge_tumor_free", by=by)
            rc = rc.set_index(by).reindex(pd.MultiIndex.from_frame(out[by]))
            out["rechallenge rejected"] = [
                format_count(k, n) if n > 0 else DASH
                for k, n in zip(rc["events"].fillna(0), rc["n"].fillna(0), strict=True)
            ]
        return out
    ok = patients[patients["status"] == "success"]
    out = ok[by].drop_duplicates().reset_index(drop=True)
    if "best_response" in ok:  # not in the adjuvant setting: no measurable disease to respond
        table = response_table(ok, by=by)
        orr = table[table["endpoint"] == "ORR"].reset_index(drop=True)
        out["ORR"] = _count_and_rate(orr)
    for name in ("pfs", "os", "rfs"):
        if f"{name}_day" in ok and ok[f"{name}_day"].notna().any():
            s = survival_summary(ok, name, by=by).reset_index(drop=True)
            out[f"median {name.upper()} (months)"] = [
                _median_months(m, lo, hi)
                for m, lo, hi in s[["median", "median_ci_low", "median_ci_high"]].itertuples(
                    index=False
                )
            ]
    return out


def key_results_text(run_dir: Path) -> str:
    """`key_results` as an aligned text table."""
    return key_results(run_dir).to_string(index=False)

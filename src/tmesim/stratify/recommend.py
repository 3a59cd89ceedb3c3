"""Rank the candidate regimens of each patient and say which mechanism drives the choice.

Regimens are ranked by predicted probability of response (then by fewer agents). The
recommendation is the regimen with the fewest agents whose probability lies within `margin` of the
best (default 0.05, about the Monte Carlo uncertainty of a 24-member ensemble near the extremes):
an extra drug has to earn its place. The driver names the patient's resistance phenotype and what
the recommendation adds: for an anti-PD-1 combination, the add-on whose two-drug combination gains
most over anti-PD-1 alone ("myeloid-suppressed: PI3Kγ inhibition adds most (+0.35 over anti-PD-1
alone)").

Example:
    >>> p = pd.DataFrame({"sample": "s", "regimen": ["anti-PD-1", "anti-PD-1 + IPI-549"],
    ...                   "probability": [0.2, 0.7], "mean_best_percent_change": [0.0, -40.0]})
    >>> calls = pd.DataFrame({"phenotype": ["myeloid-suppressed"]}, index=["s"])
    >>> recommend(p, calls).loc["s", "driver"]
    'myeloid-suppressed: PI3Kγ inhibition adds most (+0.50 over anti-PD-1 alone)'
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from tmesim.stratify.panel import PANEL, candidate

DEFAULT_MARGIN = 0.05
ADD_ON_NAMES = {
    "ipi549": "PI3Kγ inhibition",
    "anti_trem2": "TREM2⁺ macrophage blockade",
    "anti_lag3": "LAG-3 blockade",
    "anti_ctla4": "CTLA-4 blockade",
}


def slug(name: str) -> str:
    """Column-safe form of a regimen name.

    Example:
        >>> slug("anti-PD-1 + IPI-549")
        'anti_pd_1_ipi_549'
    """
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _n_agents(name: str) -> int:
    return len(candidate(name).agents)


def _driver(phenotype: str, best: str, probs: pd.Series, margin: float) -> str:
    agents = candidate(best).agents
    if agents == ("anti_pd1",):
        return f"{phenotype}: anti-PD-1 alone is within {margin:.2f} of the best regimen"
    base = probs.get("anti-PD-1")
    if "anti_pd1" in agents and base is not None:
        gains = {}
        for c in PANEL:
            extra = [a for a in c.agents if a != "anti_pd1"]
            if len(c.agents) == 2 and "anti_pd1" in c.agents and c.name in probs.index:
                if extra[0] in agents:
                    gains[extra[0]] = float(probs[c.name]) - float(base)
        if gains:
            top = max(gains, key=lambda a: gains[a])
            return (
                f"{phenotype}: {ADD_ON_NAMES.get(top, top)} adds most "
                f"({gains[top]:+.2f} over anti-PD-1 alone)"
            )
    return f"{phenotype}: {candidate(best).mechanism}"


def recommend(
    probabilities: pd.DataFrame, calls: pd.DataFrame, *, margin: float = DEFAULT_MARGIN
) -> pd.DataFrame:
    """One row per sample: recommended regimen, its probability, the ranking and the driver."""
    rows = {}
    for sample, g in probabilities.groupby("sample", sort=False):
        g = g.assign(agents=[_n_agents(r) for r in g["regimen"]])
        g = g.sort_values(["probability", "agents"], ascending=[False, True], kind="stable")
        probs = g.set_index("regimen")["probability"]
        phenotype = str(calls.loc[sample, "phenotype"]) if sample in calls.index else ""
        top = float(g["probability"].iloc[0])
        if top <= 0.0:
            best = str(g.sort_values("mean_best_percent_change")["regimen"].iloc[0])
            driver = (
                f"{phenotype}: no regimen made a virtual patient respond; deepest shrinkage "
                f"with {best}"
            )
        else:
            close = g[g["probability"] >= top - margin - 1e-12]
            best = str(
                close.sort_values(["agents", "probability"], ascending=[True, False])[
                    "regimen"
                ].iloc[0]
            )
            driver = _driver(phenotype, best, probs, margin)
        rows[sample] = {
            "recommended": best,
            "recommended_probability": float(probs[best]),
            "ranking": "; ".join(f"{r} ({p:.2f})" for r, p in probs.items()),
            "driver": driver,
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("sample")


def wide_probabilities(probabilities: pd.DataFrame) -> pd.DataFrame:
    """Per sample: p_<regimen>, p_<regimen>_low and _high columns (NaN where not applicable)."""
    out = pd.DataFrame(index=pd.Index(pd.unique(probabilities["sample"]), name="sample"))
    for c in PANEL:
        g = probabilities[probabilities["regimen"] == c.name].set_index("sample")
        for suffix, column in (("", "probability"), ("_low", "ci_low"), ("_high", "ci_high")):
            out[f"p_{slug(c.name)}{suffix}"] = g[column].reindex(out.index).astype(float)
    return out.replace({None: np.nan})

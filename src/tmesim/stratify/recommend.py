"""Rank the candidate regimens of each patient and say which mechanism drives the choice.

A regimen is *sufficient* for one subject (a virtual patient, or a synthetic tumor's true
parameters) when it makes that subject respond; the subject's best regimen is the sufficient one
with the fewest agents (deepest shrinkage among those, then panel order), or, when none is
sufficient, the one with the deepest shrinkage (:func:`least_sufficient`). Every virtual patient
of a patient's ensemble has been treated with every candidate, so each has its own best regimen.
The recommendation is the regimen that is best for the largest share of the patient's virtual
patients (ties: higher probability of response, then fewer agents): an extra drug earns its place
only in the virtual patients that need it. Regimens are ranked by that share.

The driver names the patient's resistance phenotype and what the recommendation adds: for an
anti-PD-1 combination, the add-on whose two-drug combination gains most over anti-PD-1 alone
("myeloid-suppressed: PI3Kγ inhibition adds most (+0.35 over anti-PD-1 alone)").

Example:
    >>> m = pd.DataFrame({"sample": "s", "member": [0, 0, 1, 1, 2, 2],
    ...                   "regimen": ["anti-PD-1", "anti-PD-1 + IPI-549"] * 3,
    ...                   "responder": [False, True, False, True, True, True],
    ...                   "best_percent_change": [10.0, -60.0, 0.0, -45.0, -100.0, -100.0]})
    >>> best_shares(m)["share"].round(2).tolist()
    [0.33, 0.67]
    >>> p = pd.DataFrame({"sample": "s", "regimen": ["anti-PD-1", "anti-PD-1 + IPI-549"],
    ...                   "probability": [1 / 3, 1.0], "mean_best_percent_change": [-30.0, -68.0]})
    >>> calls = pd.DataFrame({"phenotype": ["myeloid-suppressed"]}, index=["s"])
    >>> recommend(p, m, calls).loc["s", "driver"]
    'myeloid-suppressed: PI3Kγ inhibition adds most (+0.67 over anti-PD-1 alone)'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from tmesim.stratify.panel import PANEL, candidate, n_agents

ADD_ON_NAMES = {
    "ipi549": "PI3Kγ inhibition",
    "anti_trem2": "TREM2⁺ macrophage blockade",
    "anti_lag3": "LAG-3 blockade",
    "anti_ctla4": "CTLA-4 blockade",
}
_PANEL_ORDER = {c.name: k for k, c in enumerate(PANEL)}


def slug(name: str) -> str:
    """Column-safe form of a regimen name.

    Example:
        >>> slug("anti-PD-1 + IPI-549")
        'anti_pd_1_ipi_549'
    """
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def least_sufficient(outcomes: pd.DataFrame, by: Sequence[str] = ("sample",)) -> pd.Series:
    """Per subject (the `by` columns): the fewest-agent regimen that makes it respond (deepest
    shrinkage among those, then panel order), else the regimen with the deepest shrinkage.

    `outcomes` has one row per subject and regimen with `regimen`, `responder` and
    `best_percent_change`; rows without a best change (not evaluable) are left out.

    Example:
        >>> o = pd.DataFrame({"sample": "a", "regimen": ["anti-PD-1", "anti-PD-1 + IPI-549"],
        ...                   "responder": [True, True], "best_percent_change": [-40.0, -100.0]})
        >>> least_sufficient(o).to_dict()
        {'a': 'anti-PD-1'}
    """
    by = list(by)
    o = outcomes[outcomes["best_percent_change"].notna()]
    agents = o["regimen"].map(n_agents)
    responder = o["responder"].astype(bool)
    keyed = o[[*by, "regimen"]].assign(
        _miss=~responder,
        _agents=np.where(responder, agents, 0),
        _change=o["best_percent_change"].astype(float),
        _panel=o["regimen"].map(_PANEL_ORDER),
    )
    first = keyed.sort_values([*by, "_miss", "_agents", "_change", "_panel"], kind="stable")
    first = first.drop_duplicates(by, keep="first")
    return first.set_index(by if len(by) > 1 else by[0])["regimen"].rename("best")


def best_shares(members: pd.DataFrame) -> pd.DataFrame:
    """Per patient and regimen: the share of the patient's virtual patients whose best regimen
    (:func:`least_sufficient`) it is; regimens that are best for none have share 0."""
    best = least_sufficient(members, by=("sample", "member")).reset_index()
    counts = best.groupby(["sample", "best"]).size()
    totals = best.groupby("sample").size()
    pairs = members[["sample", "regimen"]].drop_duplicates()
    n = np.array(
        [counts.get((s, r), 0) for s, r in zip(pairs["sample"], pairs["regimen"], strict=True)]
    )
    share = n / totals.reindex(pairs["sample"]).to_numpy(dtype=float)
    return pairs.assign(share=np.nan_to_num(share)).reset_index(drop=True)


def _driver(phenotype: str, best: str, probs: pd.Series, share: float) -> str:
    agents = candidate(best).agents
    if agents == ("anti_pd1",):
        return f"{phenotype}: anti-PD-1 alone is enough in {share:.0%} of virtual patients"
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
    probabilities: pd.DataFrame, members: pd.DataFrame, calls: pd.DataFrame
) -> pd.DataFrame:
    """One row per sample: recommended regimen, its probability of response, the share of
    virtual patients for which it is the best regimen, the ranking and the driver."""
    shares = best_shares(members).set_index(["sample", "regimen"])["share"]
    rows = {}
    for sample, g in probabilities.groupby("sample", sort=False):
        g = g.assign(
            agents=[n_agents(r) for r in g["regimen"]],
            share=[float(shares.get((sample, r), 0.0)) for r in g["regimen"]],
            panel=[_PANEL_ORDER[r] for r in g["regimen"]],
        )
        g = g.sort_values(
            ["share", "probability", "agents", "panel"],
            ascending=[False, False, True, True],
            kind="stable",
        )
        probs = g.set_index("regimen")["probability"]
        best = str(g["regimen"].iloc[0])
        share = float(g["share"].iloc[0])
        phenotype = str(calls.loc[sample, "phenotype"]) if sample in calls.index else ""
        if float(g["probability"].max()) <= 0.0:
            driver = (
                f"{phenotype}: no regimen made a virtual patient respond; deepest shrinkage "
                f"most often with {best}"
            )
        else:
            driver = _driver(phenotype, best, probs, share)
        rows[sample] = {
            "recommended": best,
            "recommended_probability": float(probs[best]),
            "recommended_best_share": share,
            "ranking": "; ".join(
                f"{r} (best in {s:.0%}, p {p:.2f})"
                for r, s, p in zip(g["regimen"], g["share"], g["probability"], strict=True)
            ),
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

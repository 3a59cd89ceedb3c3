"""The recommendation rule: each virtual patient's best regimen, and the regimen best for most."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from tmesim.stratify.panel import PANEL
from tmesim.stratify.recommend import best_shares, least_sufficient, recommend

REGIMENS = [c.name for c in PANEL if c.antigen is None]


def _by_definition(g: pd.DataFrame) -> str:
    """The best regimen of one subject, written out case by case."""
    agents = {c.name: len(c.agents) for c in PANEL}
    order = {c.name: k for k, c in enumerate(PANEL)}
    rows = list(g.itertuples(index=False))
    responders = [r for r in rows if r.responder]
    if responders:
        fewest = min(agents[r.regimen] for r in responders)
        pool = [r for r in responders if agents[r.regimen] == fewest]
    else:
        pool = rows
    return min(pool, key=lambda r: (r.best_percent_change, order[r.regimen])).regimen


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.sampled_from([-100.0, -60.0, -30.0, 0.0, 25.0])),
        min_size=len(REGIMENS),
        max_size=len(REGIMENS),
    )
)
def test_least_sufficient_matches_its_definition(draws):
    g = pd.DataFrame(
        {
            "sample": "s",
            "regimen": REGIMENS,
            "responder": [d[0] for d in draws],
            "best_percent_change": [d[1] for d in draws],
        }
    )
    assert least_sufficient(g)["s"] == _by_definition(g)


def _members(outcomes: dict[str, list[bool]]) -> pd.DataFrame:
    rows = []
    for regimen, responds in outcomes.items():
        for member, r in enumerate(responds):
            rows.append(
                {
                    "sample": "p",
                    "member": member,
                    "regimen": regimen,
                    "responder": r,
                    "best_percent_change": -100.0 if r else 10.0,
                }
            )
    return pd.DataFrame(rows)


def _probabilities(members: pd.DataFrame) -> pd.DataFrame:
    p = members.groupby(["sample", "regimen"], sort=False)["responder"].mean()
    return p.rename("probability").reset_index()


def test_a_combination_that_raises_response_is_not_recommended_when_most_need_no_add_on():
    """Anti-PD-1 alone works in 6 of 10 virtual patients and the combination in all: the
    combination has the higher probability, but anti-PD-1 alone is the best regimen of most."""
    m = _members({"anti-PD-1": [True] * 6 + [False] * 4, "anti-PD-1 + IPI-549": [True] * 10})
    p = _probabilities(m)
    rec = recommend(p, m, pd.DataFrame({"phenotype": ["inflamed"]}, index=["p"])).loc["p"]
    assert rec["recommended"] == "anti-PD-1"
    assert rec["recommended_best_share"] == 0.6
    shares = best_shares(m).set_index("regimen")["share"]
    assert np.isclose(shares.sum(), 1.0)


def test_the_add_on_is_recommended_when_most_virtual_patients_need_it():
    m = _members(
        {"anti-PD-1": [True] * 3 + [False] * 7, "anti-PD-1 + IPI-549": [True] * 9 + [False]}
    )
    calls = pd.DataFrame({"phenotype": ["myeloid-suppressed"]}, index=["p"])
    rec = recommend(_probabilities(m), m, calls).loc["p"]
    assert rec["recommended"] == "anti-PD-1 + IPI-549"
    assert (
        rec["driver"]
        == "myeloid-suppressed: PI3Kγ inhibition adds most (+0.60 over anti-PD-1 alone)"
    )

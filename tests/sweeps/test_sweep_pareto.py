"""The efficacy–toxicity trade-off of a sweep: the irAE endpoint, the Pareto front, the report."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from tmesim.sweeps.design import Level, Point
from tmesim.sweeps.endpoints import point_endpoints
from tmesim.sweeps.pareto import TOXICITY, efficacy_toxicity, pareto_front
from tmesim.sweeps.report import _tradeoff_section

rates = st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=12).map(
    lambda pairs: (np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs]))
)


def _dominates(e, t, i, j) -> bool:
    return e[i] >= e[j] and t[i] <= t[j] and (e[i] > e[j] or t[i] < t[j])


@settings(max_examples=200, deadline=None)
@given(rates)
def test_the_front_is_exactly_the_undominated_designs(pair) -> None:
    e, t = pair
    front = pareto_front(e, t)
    assert front.any()
    for j in range(len(e)):
        beaten = any(_dominates(e, t, i, j) for i in range(len(e)))
        assert front[j] == (not beaten)


def test_a_design_missing_a_rate_is_never_on_the_front() -> None:
    front = pareto_front(np.array([0.9, 0.5]), np.array([np.nan, 0.4]))
    assert front.tolist() == [False, True]


def _patients(arm: str, irae: list[float | None], best: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cohort": "melanoma",
            "arm": arm,
            "patient_id": range(len(best)),
            "status": "success",
            "best_response": best,
            "irae_grade34_day": irae,
        }
    )


def test_the_endpoints_count_grade_3_4_events_only_where_toxicity_is_modeled() -> None:
    p = _patients("combo", [30.0, None, 90.0, None], ["PR", "PD", "CR", "SD"])
    rows = point_endpoints(p, "clinical_trial")
    irae = rows[rows["endpoint"] == TOXICITY].iloc[0]
    assert (irae["n"], irae["events"], irae["estimate"]) == (4, 2, 0.5)
    assert irae["ci_low"] < 0.5 < irae["ci_high"]
    without = point_endpoints(p.drop(columns="irae_grade34_day"), "clinical_trial")
    assert TOXICITY not in set(without["endpoint"])


def _table() -> pd.DataFrame:
    parts = []
    # point 0: less response, less toxicity; point 1: more of both; point 2: dominated by 1
    for point, (irae, best) in enumerate(
        [
            ([None, None, 5.0, None], ["PR", "PD", "PD", "SD"]),
            ([5.0, 9.0, None, None], ["PR", "CR", "PR", "PD"]),
            ([5.0, 9.0, 7.0, None], ["PR", "PD", "PD", "PD"]),
        ]
    ):
        rows = point_endpoints(_patients("combo", irae, best), "clinical_trial")
        rows.insert(0, "point", point)
        parts.append(rows)
    return pd.concat(parts, ignore_index=True)


def test_the_trade_off_marks_the_front_per_cohort() -> None:
    both = efficacy_toxicity(_table())
    assert both["pareto"].tolist() == [True, True, False]
    assert efficacy_toxicity(_table().query("endpoint != @TOXICITY")).empty


def test_the_report_draws_the_trade_off_only_with_toxicity() -> None:
    points = [Point(index=i, levels={"dose": Level(label=str(i), value=i)}) for i in range(3)]
    sections = _tradeoff_section(points, _table(), {"combo": "#1f77b4"})
    assert [s["id"] for s in sections] == ["tradeoff"]
    kinds = [b["type"] for b in sections[0]["blocks"]]
    assert kinds.count("figure") == 1
    table = next(b for b in sections[0]["blocks"] if b["type"] != "figure")
    assert len(table["rows"]) == 2
    assert _tradeoff_section(points, _table().query("endpoint != @TOXICITY"), {}) == []

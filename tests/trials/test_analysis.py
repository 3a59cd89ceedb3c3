"""Endpoint tables checked number by number against lifelines and the statistics module."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test
from lifelines.utils import median_survival_times

from tmesim.errors import ConfigError
from tmesim.trials.analysis import (
    at_risk_table,
    duration_of_response_table,
    hazard_ratio_table,
    km_curves,
    logrank_table,
    proportion_table,
    response_table,
    survival_summary,
)
from tmesim.trials.statistics import proportion_ci

COHORTS = ["zeta", "alpha"]
ARMS = ["vehicle", "combo", "anti_pd1"]
HAZARD = {"vehicle": 1 / 30, "combo": 1 / 80, "anti_pd1": 1 / 45}
KEYS = ["cohort", "arm"]


def nullable(values: np.ndarray, valid: np.ndarray) -> pd.arrays.BooleanArray:
    out = pd.array(values.astype(bool), dtype="boolean")
    out[~valid] = pd.NA
    return out


@pytest.fixture(scope="module")
def patients() -> pd.DataFrame:
    rng = np.random.default_rng(2024)
    rows = []
    for cohort in COHORTS:
        for arm in ARMS:
            n = int(rng.integers(25, 45))
            rows.append(pd.DataFrame({"cohort": cohort, "arm": arm, "hazard": [HAZARD[arm]] * n}))
    table = pd.concat(rows, ignore_index=True)
    # Shuffle, but keep the first row of each cohort and arm where the lists above put it.
    firsts = table.drop_duplicates(KEYS).index
    rest = table.drop(index=firsts).sample(frac=1.0, random_state=5)
    table = pd.concat([table.loc[firsts], rest], ignore_index=True)
    n = len(table)
    table.insert(2, "patient_id", np.arange(n))
    solved = rng.random(n) > 0.08
    death = rng.exponential(1.0 / table["hazard"].to_numpy())
    censor = rng.uniform(20.0, 200.0, n)
    os_day = np.round(np.minimum(death, censor), 1)
    table["os_day"] = np.where(solved, os_day, np.nan)
    table["os_event"] = nullable(death <= censor, solved)
    progression = rng.exponential(0.4 / table["hazard"].to_numpy())
    pfs_day = np.round(np.minimum(np.minimum(progression, death), censor), 1)
    table["pfs_day"] = np.where(solved, pfs_day, np.nan)
    table["pfs_event"] = nullable(np.minimum(progression, death) <= censor, solved)
    best = rng.choice(["CR", "PR", "SD", "PD", "NE"], n, p=[0.1, 0.25, 0.3, 0.3, 0.05])
    table["best_response"] = np.where(solved, best, None)
    responder = solved & np.isin(best, ["CR", "PR"])
    dor = np.round(rng.exponential(60.0, n), 1)
    table["dor_day"] = np.where(responder, dor, np.nan)
    table["dor_event"] = nullable(rng.random(n) < 0.6, responder)
    table["cured"] = nullable(rng.random(n) < 0.3, solved)
    return table.drop(columns="hazard")


def expected_groups(table: pd.DataFrame, by=KEYS) -> list[tuple]:
    """Nested order of first appearance: cohorts, then arms within them."""
    present = set(map(tuple, table[by].drop_duplicates().to_numpy().tolist()))
    orders = [pd.unique(table[c]).tolist() for c in by]
    out = [()]
    for values in orders:
        out = [(*prefix, v) for prefix in out for v in values]
    return [g for g in out if g in present]


def subset(table: pd.DataFrame, group: tuple, by=KEYS) -> pd.DataFrame:
    mask = np.ones(len(table), dtype=bool)
    for column, value in zip(by, group, strict=True):
        mask &= (table[column] == value).to_numpy()
    return table[mask]


def valid(table: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    rows = table[table[f"{name}_day"].notna()]
    return rows[f"{name}_day"].to_numpy(float), rows[f"{name}_event"].to_numpy(bool)


def test_groups_follow_nested_order_of_appearance():
    table = pd.DataFrame(
        {
            "cohort": ["zeta", "alpha", "zeta", "alpha"],
            "arm": ["vehicle", "combo", "combo", "vehicle"],
            "cured": [True, False, True, True],
        }
    )
    out = proportion_table(table, "cured")
    assert list(zip(out["cohort"], out["arm"], strict=True)) == [
        ("zeta", "vehicle"),
        ("zeta", "combo"),
        ("alpha", "vehicle"),
        ("alpha", "combo"),
    ]


def test_fixture_order_is_not_alphabetical(patients):
    groups = expected_groups(patients)
    assert groups[0] == ("zeta", "vehicle")
    assert groups != sorted(groups)
    assert len(groups) == 6


@pytest.mark.parametrize("method", ["wilson", "clopper-pearson"])
def test_proportion_table(patients, method):
    out = proportion_table(patients, "cured", method=method, confidence=0.9)
    assert list(out.columns) == [*KEYS, "n", "events", "rate", "ci_low", "ci_high"]
    assert list(map(tuple, out[KEYS].to_numpy().tolist())) == expected_groups(patients)
    for row in out.itertuples():
        values = subset(patients, (row.cohort, row.arm))["cured"].dropna().astype(bool)
        assert row.n == len(values) < len(subset(patients, (row.cohort, row.arm)))
        assert row.events == values.sum()
        assert row.rate == pytest.approx(values.mean())
        low, high = proportion_ci(row.events, row.n, method=method, confidence=0.9)
        assert (row.ci_low, row.ci_high) == pytest.approx((low, high))


def test_proportion_table_by_one_column_and_overall(patients):
    by_arm = proportion_table(patients, "cured", by="arm")
    assert by_arm["arm"].tolist() == ARMS
    assert by_arm["n"].sum() == patients["cured"].notna().sum()
    overall = proportion_table(patients, "cured", by=())
    assert list(overall.columns) == ["n", "events", "rate", "ci_low", "ci_high"]
    assert overall["events"].item() == patients["cured"].sum()


def test_response_table(patients):
    out = response_table(patients)
    assert out["endpoint"].tolist() == ["ORR", "CR", "DCR"] * 6
    counted = {"ORR": {"CR", "PR"}, "CR": {"CR"}, "DCR": {"CR", "PR", "SD"}}
    for row in out.itertuples():
        best = subset(patients, (row.cohort, row.arm))["best_response"].dropna()
        k = int(best.isin(counted[row.endpoint]).sum())
        assert (row.n, row.events) == (len(best), k)
        assert row.rate == pytest.approx(k / len(best))
        low, high = proportion_ci(k, len(best), method="clopper-pearson")
        assert (row.ci_low, row.ci_high) == pytest.approx((low, high))


def test_response_table_counts_irecist_categories():
    table = pd.DataFrame(
        {"cohort": "c", "arm": "a", "best_response": ["iCR", "iPR", "iSD", "iUPD", "iCPD"]}
    )
    out = response_table(table).set_index("endpoint")
    assert out.loc[["ORR", "CR", "DCR"], "events"].tolist() == [2, 1, 3]
    with pytest.raises(ConfigError, match="best_response"):
        response_table(table.assign(best_response="partial"))


@pytest.mark.parametrize("name", ["os", "pfs"])
def test_survival_summary_matches_lifelines(patients, name):
    landmarks = [30, 90.5]
    out = survival_summary(patients, name, confidence=0.9, landmarks=landmarks)
    assert list(out.columns) == [
        *KEYS,
        "n",
        "events",
        "median",
        "median_ci_low",
        "median_ci_high",
        "S(t=30)",
        "S(t=90.5)",
    ]
    assert list(map(tuple, out[KEYS].to_numpy().tolist())) == expected_groups(patients)
    for row in out.to_dict("records"):
        group = subset(patients, (row["cohort"], row["arm"]))
        t, e = valid(group, name)
        assert row["n"] == t.size < len(group)
        assert row["events"] == e.sum()
        km = KaplanMeierFitter(alpha=0.1).fit(t, e)
        assert row["median"] == median_survival_times(km.survival_function_)
        band = median_survival_times(km.confidence_interval_)
        assert row["median_ci_low"] == band.iloc[0, 0]
        assert row["median_ci_high"] == band.iloc[0, 1]
        for x in landmarks:
            assert row[f"S(t={x:g})"] == pytest.approx(km.predict(x, interpolate=False))


def test_survival_summary_group_without_data():
    table = pd.DataFrame(
        {
            "cohort": "c",
            "arm": ["a", "a", "b"],
            "os_day": [10.0, 20.0, np.nan],
            "os_event": [True, True, None],
        }
    )
    out = survival_summary(table, "os", landmarks=[15])
    assert out["arm"].tolist() == ["a", "b"]
    assert out.loc[1, "n"] == 0 and math.isnan(out.loc[1, "median"])
    assert out.loc[0, "median"] == 10.0
    assert out.loc[0, "S(t=15)"] == 0.5
    assert km_curves(table, "os")["arm"].unique().tolist() == ["a"]


def test_km_curves_match_lifelines(patients):
    out = km_curves(patients, "os", confidence=0.95)
    assert list(out.columns) == [*KEYS, "time", "survival", "ci_low", "ci_high"]
    groups = list(dict.fromkeys(map(tuple, out[KEYS].to_numpy().tolist())))
    assert groups == expected_groups(patients)
    for group in groups:
        curve = subset(out, group)
        assert curve[["time", "survival"]].iloc[0].tolist() == [0.0, 1.0]
        assert np.all(np.diff(curve["survival"]) <= 0)
        km = KaplanMeierFitter().fit(*valid(subset(patients, group), "os"))
        np.testing.assert_allclose(curve["time"], km.survival_function_.index)
        np.testing.assert_allclose(curve["survival"], km.survival_function_.iloc[:, 0])
        np.testing.assert_allclose(curve["ci_low"], km.confidence_interval_.iloc[:, 0])
        np.testing.assert_allclose(curve["ci_high"], km.confidence_interval_.iloc[:, 1])


def test_km_curves_start_at_one_with_deaths_at_time_zero():
    table = pd.DataFrame({"cohort": "c", "arm": "a", "os_day": [0.0, 3.0], "os_event": [1, 1]})
    out = km_curves(table, "os")
    assert out[["time", "survival"]].to_numpy().tolist() == [[0.0, 1.0], [0.0, 0.5], [3.0, 0.0]]


def test_at_risk_table(patients):
    times = [0, 25, 50, 100, 150]
    out = at_risk_table(patients, "os", times)
    assert list(out.columns) == times
    assert out.index.names == KEYS
    assert list(out.index) == expected_groups(patients)
    for group, row in out.iterrows():
        t, _ = valid(subset(patients, group), "os")
        assert row.tolist() == [(t >= x).sum() for x in times]
    by_arm = at_risk_table(patients, "os", [0], by="arm")
    assert by_arm.index.name == "arm" and list(by_arm.index) == ARMS
    assert by_arm[0].sum() == patients["os_day"].notna().sum()


def test_logrank_table_matches_lifelines(patients):
    out = logrank_table(patients, "os")
    assert list(out.columns) == ["cohort", "arm", "reference", "statistic", "p_value"]
    assert list(zip(out["cohort"], out["arm"], strict=True)) == [
        (c, a) for c in COHORTS for a in ARMS[1:]
    ]
    assert set(out["reference"]) == {"vehicle"}
    for row in out.itertuples():
        ta, ea = valid(subset(patients, (row.cohort, row.arm)), "os")
        tr, er = valid(subset(patients, (row.cohort, row.reference)), "os")
        ref = logrank_test(tr, ta, event_observed_A=er, event_observed_B=ea)
        assert row.statistic == pytest.approx(ref.test_statistic, rel=1e-12)
        assert row.p_value == pytest.approx(ref.p_value, rel=1e-12)


def test_logrank_table_reference_and_strata(patients):
    out = logrank_table(patients, "pfs", reference="combo", strata=())
    assert out["arm"].tolist() == ["vehicle", "anti_pd1"]
    assert list(out.columns) == ["arm", "reference", "statistic", "p_value"]
    ta, ea = valid(patients[patients["arm"] == "anti_pd1"], "pfs")
    tr, er = valid(patients[patients["arm"] == "combo"], "pfs")
    ref = logrank_test(tr, ta, event_observed_A=er, event_observed_B=ea)
    assert out["p_value"].iloc[1] == pytest.approx(ref.p_value, rel=1e-12)
    by_cohort = logrank_table(patients, "os", group="cohort", strata=("arm",))
    assert by_cohort["arm"].tolist() == ARMS
    assert set(by_cohort["cohort"]) == {"alpha"} and set(by_cohort["reference"]) == {"zeta"}


def test_hazard_ratio_table_matches_lifelines(patients):
    out = hazard_ratio_table(patients, "os")
    assert list(out.columns) == [
        "cohort",
        "arm",
        "reference",
        "hazard_ratio",
        "ci_low",
        "ci_high",
        "p_value",
    ]
    assert list(zip(out["cohort"], out["arm"], strict=True)) == [
        (c, a) for c in COHORTS for a in ARMS[1:]
    ]
    for row in out.itertuples():
        ta, ea = valid(subset(patients, (row.cohort, row.arm)), "os")
        tr, er = valid(subset(patients, (row.cohort, row.reference)), "os")
        frame = pd.DataFrame(
            {
                "time": np.r_[ta, tr],
                "event": np.r_[ea, er].astype(int),
                "treated": np.r_[np.ones(ta.size), np.zeros(tr.size)],
            }
        )
        ref = CoxPHFitter().fit(frame, "time", "event").summary.loc["treated"]
        assert row.hazard_ratio == pytest.approx(ref["exp(coef)"], rel=1e-8)
        assert row.ci_low == pytest.approx(ref["exp(coef) lower 95%"], rel=1e-8)
        assert row.ci_high == pytest.approx(ref["exp(coef) upper 95%"], rel=1e-8)
        assert row.p_value == pytest.approx(ref["p"], rel=1e-6)
    # Combination therapy lowers the hazard in this synthetic trial.
    combo = out[out["arm"] == "combo"]["hazard_ratio"]
    assert np.all(combo < 1.0)


def test_duration_of_response_table(patients):
    out = duration_of_response_table(patients, landmarks=[60])
    assert list(map(tuple, out[KEYS].to_numpy().tolist())) == expected_groups(patients)
    for row in out.to_dict("records"):
        group = subset(patients, (row["cohort"], row["arm"]))
        responders = group["best_response"].isin(["CR", "PR"])
        assert row["n"] == responders.sum()
        t, e = valid(group, "dor")
        km = KaplanMeierFitter().fit(t, e)
        assert row["median"] == median_survival_times(km.survival_function_)
        assert row["S(t=60)"] == pytest.approx(km.predict(60.0, interpolate=False))


@pytest.mark.parametrize(
    ("call", "column"),
    [
        (lambda p: proportion_table(p.drop(columns="cured"), "cured"), "cured"),
        (lambda p: response_table(p.drop(columns="best_response")), "best_response"),
        (lambda p: survival_summary(p.drop(columns="os_event"), "os"), "os_event"),
        (lambda p: survival_summary(p, "rfs"), "rfs_day"),
        (lambda p: km_curves(p.drop(columns="pfs_day"), "pfs"), "pfs_day"),
        (lambda p: at_risk_table(p.drop(columns="arm"), "os", [0]), "arm"),
        (lambda p: logrank_table(p.drop(columns="cohort"), "os"), "cohort"),
        (lambda p: hazard_ratio_table(p, "os", group="treatment"), "treatment"),
        (lambda p: duration_of_response_table(p.drop(columns="dor_event")), "dor_event"),
    ],
    ids=["proportion", "response", "summary", "rfs", "km", "at_risk", "logrank", "hr", "dor"],
)
def test_missing_column_is_named(patients, call, column):
    with pytest.raises(ConfigError, match=column) as err:
        call(patients)
    assert err.value.value == column


def test_other_errors(patients):
    with pytest.raises(ConfigError, match="os_event"):
        survival_summary(patients.assign(os_event=pd.NA), "os")
    with pytest.raises(ConfigError, match="cured"):
        proportion_table(patients.assign(cured="yes"), "cured")
    with pytest.raises(ConfigError, match="did you mean 'combo'"):
        logrank_table(patients, "os", reference="combi")
    partial = patients[~((patients["cohort"] == "alpha") & (patients["arm"] == "combo"))]
    with pytest.raises(ConfigError, match="alpha"):
        hazard_ratio_table(partial, "os", reference="combo")
    # Without an explicit reference each stratum uses its first arm.
    assert len(logrank_table(partial, "os")) == 3

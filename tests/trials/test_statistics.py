"""Binomial intervals and survival statistics against scipy, lifelines and hand computations."""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.exceptions import ConvergenceError
from lifelines.statistics import logrank_test
from lifelines.utils import median_survival_times
from scipy import stats

from tmesim.errors import ConfigError
from tmesim.trials.statistics import (
    at_risk,
    cox_hazard_ratio,
    kaplan_meier,
    logrank,
    proportion_ci,
)


@st.composite
def counts(draw):
    n = draw(st.integers(1, 400))
    k = draw(st.integers(0, n))
    confidence = draw(st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.99, 0.999]))
    return k, n, confidence


@settings(max_examples=200, deadline=None)
@given(counts())
def test_wilson_matches_scipy(case):
    k, n, confidence = case
    expected = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    low, high = proportion_ci(k, n, method="wilson", confidence=confidence)
    assert low == pytest.approx(expected.low, abs=1e-12)
    assert high == pytest.approx(expected.high, abs=1e-12)
    assert 0.0 <= low <= k / n <= high <= 1.0


@settings(max_examples=200, deadline=None)
@given(counts())
def test_clopper_pearson_matches_scipy(case):
    k, n, confidence = case
    expected = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="exact")
    low, high = proportion_ci(k, n, method="clopper-pearson", confidence=confidence)
    assert low == pytest.approx(expected.low, abs=1e-9)
    assert high == pytest.approx(expected.high, abs=1e-9)


def test_proportion_ci_edges_and_errors():
    assert all(math.isnan(x) for x in proportion_ci(0, 0))
    assert proportion_ci(0, 5, method="clopper-pearson")[0] == 0.0
    assert proportion_ci(5, 5, method="clopper-pearson")[1] == 1.0
    assert proportion_ci(np.int64(3), np.int64(10)) == proportion_ci(3, 10)
    bad = [
        ({"successes": 6, "n": 5}, "successes"),
        ({"successes": -1, "n": 5}, "successes"),
        ({"successes": 1.5, "n": 5}, "successes"),
        ({"successes": 1, "n": -2}, "n"),
        ({"successes": 1, "n": 5, "confidence": 1.0}, "confidence"),
        ({"successes": 1, "n": 5, "method": "wald"}, "method"),
    ]
    for kwargs, field in bad:
        with pytest.raises(ConfigError) as err:
            proportion_ci(**kwargs)
        assert err.value.field == field
    with pytest.raises(ConfigError, match="did you mean 'clopper-pearson'"):
        proportion_ci(1, 5, method="clopper_pearson")


# A small data set and its product-limit estimate worked out by hand.
TIMES = [2, 3, 3, 5, 6, 7, 9, 10, 12, 15]
EVENTS = [1, 1, 0, 1, 0, 1, 1, 0, 1, 0]
# time: (at risk, events, censored)
HAND_TABLE = {
    0: (10, 0, 0),
    2: (10, 1, 0),
    3: (9, 1, 1),
    5: (7, 1, 0),
    6: (6, 0, 1),
    7: (5, 1, 0),
    9: (4, 1, 0),
    10: (3, 0, 1),
    12: (2, 1, 0),
    15: (1, 0, 1),
}


def hand_kaplan_meier(confidence: float) -> dict[int, tuple[float, float, float]]:
    """S(t) = prod (1 - d/n); exponential Greenwood band on log(-log S)."""
    z = stats.norm.isf((1 - confidence) / 2)
    out = {}
    s = Fraction(1)
    greenwood = 0.0
    for t, (n, d, _) in HAND_TABLE.items():
        s *= Fraction(n - d, n)
        if d:
            greenwood += d / (n * (n - d))
        if s == 1:
            out[t] = (1.0, 1.0, 1.0)
            continue
        if s == 0:
            out[t] = (0.0, 0.0, 0.0)
            continue
        log_s = math.log(float(s))
        half = z * math.sqrt(greenwood / log_s**2)
        c = math.log(-log_s)
        out[t] = (float(s), math.exp(-math.exp(c + half)), math.exp(-math.exp(c - half)))
    return out


@pytest.mark.parametrize("confidence", [0.9, 0.95])
def test_kaplan_meier_by_hand(confidence):
    km = kaplan_meier(TIMES, np.array(EVENTS, dtype=bool), confidence=confidence)
    table = km.table
    assert table["time"].tolist() == list(HAND_TABLE)
    counts_by_hand = list(HAND_TABLE.values())
    assert table[["at_risk", "events", "censored"]].to_numpy().tolist() == [
        list(c) for c in counts_by_hand
    ]
    hand = hand_kaplan_meier(confidence)
    np.testing.assert_allclose(table["survival"], [v[0] for v in hand.values()], rtol=1e-12)
    np.testing.assert_allclose(table["ci_low"], [v[1] for v in hand.values()], rtol=1e-9)
    np.testing.assert_allclose(table["ci_high"], [v[2] for v in hand.values()], rtol=1e-9)
    # S(7) = 0.549 > 0.5 and S(9) = 0.411: the median is 9.
    assert km.median == 9.0
    assert km.survival_at(8.9) == pytest.approx(float(Fraction(9, 10) * Fraction(8, 9) * 24 / 35))
    assert km.survival_at(-1.0) == 1.0
    np.testing.assert_allclose(km.survival_at([0.0, 2.0, 100.0]), [1.0, 0.9, hand[15][0]])


def test_kaplan_meier_median_not_reached():
    km = kaplan_meier([5.0, 10.0, 20.0, 30.0], [True, False, False, False])
    assert km.median == math.inf
    assert km.median_ci[1] == math.inf


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kaplan_meier_matches_lifelines(seed):
    rng = np.random.default_rng(seed)
    n = 150
    t = np.round(rng.exponential(30.0, n), 1)
    c = rng.uniform(0, 80, n)
    durations = np.minimum(t, c)
    events = t <= c
    km = kaplan_meier(durations, events, confidence=0.9)
    ref = KaplanMeierFitter(alpha=0.1).fit(durations, events)
    np.testing.assert_allclose(km.table["time"], ref.survival_function_.index)
    np.testing.assert_allclose(km.table["survival"], ref.survival_function_.iloc[:, 0])
    np.testing.assert_allclose(km.table["ci_low"], ref.confidence_interval_.iloc[:, 0])
    np.testing.assert_allclose(km.table["ci_high"], ref.confidence_interval_.iloc[:, 1])
    np.testing.assert_array_equal(
        km.table["at_risk"], ref.event_table["at_risk"].reindex(ref.survival_function_.index)
    )
    assert km.median == median_survival_times(ref.survival_function_)
    band = median_survival_times(ref.confidence_interval_)
    assert km.median_ci == (band.iloc[0, 0], band.iloc[0, 1])
    query = np.linspace(0, 100, 37)
    np.testing.assert_allclose(km.survival_at(query), ref.predict(query, interpolate=False))


def test_kaplan_meier_errors():
    for durations, events, field in [
        ([], [], "durations"),
        ([1.0, np.nan], [1, 0], "durations"),
        ([1.0, -2.0], [1, 0], "durations"),
        ([1.0, 2.0], [1], "events"),
        ([1.0, 2.0], [1, 2], "events"),
    ]:
        with pytest.raises(ConfigError) as err:
            kaplan_meier(durations, events)
        assert err.value.field == field


def test_at_risk():
    rng = np.random.default_rng(4)
    durations = np.round(rng.exponential(10.0, 200))
    times = np.arange(0, 40, 2.5)
    brute = [(durations >= t).sum() for t in times]
    np.testing.assert_array_equal(at_risk(durations, times), brute)
    assert at_risk([], [0.0]).tolist() == [0]
    with pytest.raises(ConfigError):
        at_risk([1.0, np.nan], [0.0])


def hand_logrank(ta, ea, tb, eb) -> float:
    """Chi-square of the log-rank test: (O_a - E_a)^2 / V over the distinct event times."""
    ta, tb = np.asarray(ta, float), np.asarray(tb, float)
    ea, eb = np.asarray(ea, bool), np.asarray(eb, bool)
    observed = expected = variance = 0.0
    for t in np.unique(np.r_[ta[ea], tb[eb]]):
        na, nb = (ta >= t).sum(), (tb >= t).sum()
        da, db = ((ta == t) & ea).sum(), ((tb == t) & eb).sum()
        n, d = na + nb, da + db
        observed += da
        expected += d * na / n
        if n > 1:
            variance += d * (na / n) * (nb / n) * (n - d) / (n - 1)
    return (observed - expected) ** 2 / variance


def test_logrank_two_groups_by_hand():
    ta, ea = [6, 6, 6, 7, 10, 13, 16, 22, 23], [1, 1, 1, 1, 0, 1, 1, 1, 0]
    tb, eb = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8], [1, 1, 1, 1, 1, 1, 1, 1, 0, 1]
    statistic, p = logrank(ta, ea, tb, eb)
    expected = hand_logrank(ta, ea, tb, eb)
    assert statistic == pytest.approx(expected, rel=1e-10)
    assert p == pytest.approx(stats.chi2.sf(expected, df=1), rel=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_logrank_matches_lifelines(seed):
    rng = np.random.default_rng(seed)
    ta = np.round(rng.exponential(10.0, 80), 1)
    tb = np.round(rng.exponential(14.0, 90), 1)
    ea = rng.random(80) < 0.8
    eb = rng.random(90) < 0.7
    statistic, p = logrank(ta, ea, tb, eb)
    ref = logrank_test(ta, tb, event_observed_A=ea, event_observed_B=eb)
    assert statistic == pytest.approx(ref.test_statistic, rel=1e-12)
    assert p == pytest.approx(ref.p_value, rel=1e-12)
    assert statistic == pytest.approx(hand_logrank(ta, ea, tb, eb), rel=1e-9)


def test_logrank_undefined_is_nan():
    assert all(math.isnan(x) for x in logrank([1.0, 2.0], [0, 0], [3.0], [0]))
    assert all(math.isnan(x) for x in logrank([], [], [3.0], [1]))


def test_cox_hazard_ratio_recovers_exponential_mle():
    rng = np.random.default_rng(7)
    n = 4000
    treated = rng.random(n) < 0.5
    rate = np.where(treated, 0.5 * 0.05, 0.05)
    t = rng.exponential(1.0 / rate)
    c = rng.uniform(10.0, 60.0, n)
    durations = np.minimum(t, c)
    events = t <= c
    # Exponential MLE of each rate: events / total time at risk.
    mle = {g: events[treated == g].sum() / durations[treated == g].sum() for g in (True, False)}
    ratio = mle[True] / mle[False]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hr, low, high, p = cox_hazard_ratio(durations, events, treated)
    assert hr == pytest.approx(ratio, rel=0.10)
    assert hr == pytest.approx(0.5, rel=0.10)
    assert low < hr < high
    assert p < 1e-10
    frame = {"time": durations, "event": events.astype(int), "treated": treated.astype(float)}
    ref = CoxPHFitter().fit(pd.DataFrame(frame), "time", "event").summary
    assert hr == pytest.approx(ref.loc["treated", "exp(coef)"], rel=1e-9)
    assert low == pytest.approx(ref.loc["treated", "exp(coef) lower 95%"], rel=1e-9)
    assert p == pytest.approx(ref.loc["treated", "p"], rel=1e-6, abs=1e-300)


@pytest.mark.parametrize(
    ("durations", "events", "treated"),
    [
        ([1.0, 2, 3, 4], [0, 0, 0, 0], [1, 0, 1, 0]),
        ([1.0, 2, 3, 4], [1, 1, 1, 0], [1, 1, 1, 1]),
        ([1.0, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]),
        ([1.0, 2, 3, 4, 5, 6], [1, 0, 1, 0, 0, 0], [1, 0, 1, 0, 0, 1]),
        ([1.0, 5, 3, 7, 2, 6], [0, 1, 0, 1, 0, 1], [1, 0, 1, 0, 1, 0]),
    ],
    ids=["no_events", "one_group", "separated", "events_in_one_group", "no_events_treated"],
)
def test_cox_degenerate_returns_nan_without_warnings(durations, events, treated):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = cox_hazard_ratio(durations, events, np.array(treated, dtype=bool))
    assert all(math.isnan(x) for x in result)


def test_cox_convergence_error_returns_nan(monkeypatch):
    def fail(self, *args, **kwargs):
        raise ConvergenceError("singular")

    monkeypatch.setattr(CoxPHFitter, "fit", fail)
    result = cox_hazard_ratio([1.0, 5, 3, 7, 2, 6], [1] * 6, [True, False] * 3)
    assert all(math.isnan(x) for x in result)


def test_cox_errors():
    with pytest.raises(ConfigError) as err:
        cox_hazard_ratio([1.0, 2.0], [1, 1], [True])
    assert err.value.field == "treated"
    with pytest.raises(ConfigError) as err:
        cox_hazard_ratio([1.0, 2.0], [1, 1], [0, 2])
    assert err.value.field == "treated"

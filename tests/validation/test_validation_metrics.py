"""Metrics against hand-computed tables, lifelines, scipy and analytic solutions."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.utils import median_survival_times
from scipy import stats

from tmesim.validation.metrics import (
    bootstrap_ci,
    difference_in_differences_value,
    fraction_difference_value,
    fraction_value,
    hazard_ratio_value,
    median_survival_value,
    observable_at,
    observable_median_value,
    observable_ratio_value,
    survival_at_value,
    terminal_half_life,
)

G = ("c", "a")
R = ("c", "b")


def test_tumor_free_fraction_leaves_out_failed_mice():
    p = pd.DataFrame(
        {
            "cohort": "c",
            "arm": "a",
            "tumor_free": pd.array([True, False, None, True, True], dtype="boolean"),
        }
    )
    v = fraction_value(p, "tumor_free_fraction", G)
    assert (v.successes, v.n, v.value) == (3, 4, 0.75)


def test_orr_and_cr_rate_count_recist_categories():
    p = pd.DataFrame(
        {"cohort": "c", "arm": "a", "best_response": ["CR", "PR", "iPR", "SD", "PD", "NE", None]}
    )
    orr = fraction_value(p, "orr", G)
    cr = fraction_value(p, "cr_rate", G)
    assert (orr.successes, orr.n) == (3, 6)
    assert (cr.successes, cr.n) == (1, 6)


def test_mortality_counts_endpoints_up_to_the_day():
    p = pd.DataFrame(
        {
            "cohort": "c",
            "arm": "a",
            "endpoint_day": [5.0, 12.0, 40.0, 40.0, np.nan],
            "endpoint_event": pd.array([True, True, False, True, None], dtype="boolean"),
        }
    )
    v = fraction_value(p, "mortality_fraction", G, day=20.0)
    assert (v.successes, v.n) == (2, 4)


@given(k=st.integers(0, 40), extra=st.integers(0, 40))
def test_wilson_bounds_solve_the_score_equation(k, extra):
    n = k + extra
    if n == 0:
        return
    flags = pd.array([True] * k + [False] * extra, dtype="boolean")
    v = fraction_value(
        pd.DataFrame({"cohort": "c", "arm": "a", "tumor_free": flags}), "tumor_free_fraction", G
    )
    z = stats.norm.isf(0.025)
    phat = k / n
    for bound in (v.ci_low, v.ci_high):
        if bound in (0.0, 1.0):
            continue  # the bound at k = 0 or k = n is exactly 0 or 1
        # Wilson's interval: the p for which |phat - p| = z sqrt(p (1 - p) / n).
        assert abs(phat - bound) == pytest.approx(z * math.sqrt(bound * (1 - bound) / n), abs=1e-9)
    assert v.ci_low <= phat <= v.ci_high


def _survival_table(seed: int, n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.round(rng.exponential(200, 2 * n), 1)
    e = rng.random(2 * n) < 0.8
    return pd.DataFrame(
        {
            "cohort": "c",
            "arm": ["a"] * n + ["b"] * n,
            "pfs_day": t,
            "pfs_event": pd.array(e, dtype="boolean"),
        }
    )


def test_median_and_survival_at_match_lifelines():
    p = _survival_table(1)
    rows = p[p["arm"] == "a"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        km = KaplanMeierFitter().fit(rows["pfs_day"], rows["pfs_event"].astype(bool))
    v = median_survival_value(p, "pfs", G)
    assert v.value == pytest.approx(km.median_survival_time_)
    band = median_survival_times(km.confidence_interval_)
    assert (v.ci_low, v.ci_high) == pytest.approx(tuple(band.iloc[0]))
    s = survival_at_value(p, "pfs", G, 100.0)
    assert s.value == pytest.approx(float(km.predict(100.0)))
    assert s.ci_low <= s.value <= s.ci_high


def test_hazard_ratio_matches_lifelines_cox():
    p = _survival_table(2)
    frame = pd.DataFrame(
        {
            "time": p["pfs_day"],
            "event": p["pfs_event"].astype(int),
            "treated": (p["arm"] == "a").astype(float),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cox = CoxPHFitter().fit(frame, "time", "event")
    v = hazard_ratio_value(p, "pfs", G, R)
    assert v.value == pytest.approx(float(cox.summary.loc["treated", "exp(coef)"]), rel=1e-6)


def test_fraction_difference_by_hand_and_bootstrap_is_reproducible():
    p = pd.DataFrame(
        {
            "cohort": "c",
            "arm": ["a"] * 10 + ["b"] * 10,
            "tumor_free": pd.array(
                [True] * 8 + [False] * 2 + [True] * 3 + [False] * 7, dtype="boolean"
            ),
        }
    )
    v = fraction_difference_value(p, "tumor_free_fraction", G, R)
    assert v.value == pytest.approx(0.5)
    again = fraction_difference_value(p, "tumor_free_fraction", G, R)
    assert (v.ci_low, v.ci_high) == (again.ci_low, again.ci_high)
    assert v.ci_low < 0.5 < v.ci_high


def test_difference_in_differences_by_hand():
    # Gain 8/10 - 2/10 in cohort c, gain 4/10 - 3/10 in cohort d: 0.6 - 0.1 = 0.5.
    flags = {("c", "a"): 8, ("c", "b"): 2, ("d", "a"): 4, ("d", "b"): 3}
    rows = [
        {"cohort": c, "arm": a, "tumor_free": i < k}
        for (c, a), k in flags.items()
        for i in range(10)
    ]
    p = pd.DataFrame(rows).astype({"tumor_free": "boolean"})
    groups = (("c", "a"), ("c", "b"), ("d", "a"), ("d", "b"))
    v = difference_in_differences_value(p, "tumor_free_fraction", groups)
    assert v.value == pytest.approx(0.5) and v.n == 40
    assert v.ci_low < 0.5 < v.ci_high
    same = difference_in_differences_value(p, "tumor_free_fraction", groups[:2] * 2)
    assert same.value == 0.0


def test_bootstrap_interval_covers_a_known_difference_of_means():
    rng = np.random.default_rng(5)
    a, b = rng.normal(1.0, 1.0, 400), rng.normal(0.0, 1.0, 400)
    low, high = bootstrap_ci((a, b), lambda x, y: float(x.mean() - y.mean()))
    half = stats.norm.isf(0.025) * math.sqrt(2 / 400)  # normal theory, sd 1 per group
    assert high - low == pytest.approx(2 * half, rel=0.2)
    assert low < a.mean() - b.mean() < high


def test_observable_ratio_carries_the_last_value_forward():
    burden = pd.DataFrame(
        {
            "cohort": "c",
            "arm": ["a", "a", "a", "b", "b"],
            "patient_id": [0, 0, 1, 0, 0],
            "phase": "primary",
            "day": [0.0, 10.0, 0.0, 0.0, 10.0],
            "tam_density": [1.0, 2.0, 4.0, 3.0, 6.0],
        }
    )
    assert sorted(observable_at(burden, "tam_density", G, 10.0)) == [2.0, 4.0]
    v = observable_ratio_value(burden, "tam_density", G, R, 10.0)
    assert v.value == pytest.approx(3.0 / 6.0)


@given(st.lists(st.floats(0.01, 100.0), min_size=3, max_size=40))
def test_observable_median_is_the_median_at_the_day_with_a_covering_interval(values):
    n = len(values)
    burden = pd.DataFrame(
        {
            "cohort": "c",
            "arm": "a",
            "patient_id": np.repeat(np.arange(n), 2),
            "phase": "primary",
            "day": np.tile([0.0, 7.0], n),
            "t_cell_macrophage_ratio": np.ravel([[v, 1e6] for v in values]),
        }
    )
    v = observable_median_value(burden, "t_cell_macrophage_ratio", G, 0.0, resamples=200)
    assert v.value == pytest.approx(float(np.median(values)))
    assert min(values) <= v.ci_low <= v.value <= v.ci_high <= max(values)
    assert v.n == n


def test_half_life_of_a_biexponential_is_the_slow_phase():
    # Two-compartment disposition: a fast distribution phase (t½ 1.5 d) and a slow elimination
    # phase (t½ 21 d); past ~60 d the fast term is < 1e-10 of the slow one.
    t = np.arange(0.0, 250.0, 1.0)
    c = 80 * np.exp(-math.log(2) * t / 1.5) + 40 * np.exp(-math.log(2) * t / 21.0)
    half, low, high = terminal_half_life(t, c, 60.0)
    assert half == pytest.approx(21.0, rel=1e-8)
    assert low <= half <= high


def test_half_life_interval_widens_with_noise():
    rng = np.random.default_rng(0)
    t = np.arange(0.0, 200.0, 2.0)
    c = 10 * np.exp(-math.log(2) * t / 25.0) * np.exp(rng.normal(0, 0.05, t.size))
    half, low, high = terminal_half_life(t, c, 50.0)
    assert low < 25.0 < high
    assert half == pytest.approx(25.0, rel=0.05)

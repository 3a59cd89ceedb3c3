"""RECIST 1.1 and iRECIST assessment, case by case from the published criteria."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tmesim.errors import ConfigError
from tmesim.trials.recist import (
    IResponse,
    Response,
    assess_irecist,
    assess_recist,
    assess_visits,
    targets_resolved,
    visit_response,
)

NAN = float("nan")
R = Response
I = IResponse  # noqa: E741


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b)


# (id, sum, baseline, nadir, new lesions, expected)
VISIT_CASES = [
    ("pr_at_exactly_minus_30pct", 70.0, 100.0, 100.0, 0, R.PR),
    ("minus_29.9pct_is_sd", 70.1, 100.0, 100.0, 0, R.SD),
    ("pr_at_minus_30pct_with_roundoff", 23.31, 33.3, 33.3, 0, R.PR),
    ("pd_at_plus_20pct_and_5mm_over_nadir", 30.0, 40.0, 25.0, 0, R.PD),
    ("plus_20pct_but_4mm_is_not_pd", 24.0, 20.0, 20.0, 0, R.SD),
    ("plus_19pct_and_5.7mm_is_not_pd", 35.7, 30.0, 30.0, 0, R.SD),
    ("pd_over_nadir_even_when_40pct_below_baseline", 60.0, 100.0, 50.0, 0, R.PD),
    ("below_baseline_but_not_20pct_over_nadir_is_pr", 59.0, 100.0, 50.0, 0, R.PR),
    ("cr_needs_sum_zero", 0.0, 50.0, 10.0, 0, R.CR),
    ("small_residual_sum_is_pr_not_cr", 0.5, 50.0, 50.0, 0, R.PR),
    ("sum_zero_with_new_lesion_is_pd", 0.0, 50.0, 0.0, 1, R.PD),
    ("new_lesion_is_pd_while_shrinking", 20.0, 50.0, 30.0, 1, R.PD),
    ("reappearance_after_cr_of_5mm_is_pd", 5.0, 50.0, 0.0, 0, R.PD),
    ("reappearance_after_cr_under_5mm_is_not_pd", 4.0, 50.0, 0.0, 0, R.PR),
    ("missing_sum_is_ne", NAN, 50.0, 50.0, 0, R.NE),
    ("missing_sum_with_new_lesion_is_pd", NAN, 50.0, 50.0, 2, R.PD),
]


@pytest.mark.parametrize(
    ("sum_mm", "baseline", "nadir", "new", "expected"),
    [case[1:] for case in VISIT_CASES],
    ids=[case[0] for case in VISIT_CASES],
)
def test_visit_response(sum_mm, baseline, nadir, new, expected):
    assert visit_response(sum_mm, baseline, nadir, new) is expected


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((-1.0, 50.0, 50.0, 0), "sum_mm"),
        ((10.0, 0.0, 0.0, 0), "baseline sum_mm"),
        ((10.0, NAN, 50.0, 0), "baseline sum_mm"),
        ((10.0, 50.0, NAN, 0), "nadir_mm"),
        ((10.0, 50.0, 50.0, -1), "new_lesions"),
        ((10.0, 50.0, 50.0, 1.5), "new_lesions"),
    ],
    ids=["negative_sum", "zero_baseline", "nan_baseline", "nan_nadir", "negative_new", "frac_new"],
)
def test_visit_response_rejects_bad_input(args, field):
    with pytest.raises(ConfigError) as err:
        visit_response(*args)
    assert err.value.field == field


# (id, days, sums, new lesions, options, best, response day, progression day, n responses)
BOR_CASES = [
    ("pr_confirmed_28_days_later", [0, 42, 70], [50, 35, 34], [0, 0, 0], {}, R.PR, 42, NAN, 2),
    ("pr_confirmed_27_days_later_is_sd", [0, 42, 69], [50, 35, 34], [0] * 3, {}, R.SD, NAN, NAN, 2),
    ("pr_then_pd_is_sd_when_min_sd_met", [0, 42, 84], [50, 35, 50], [0] * 3, {}, R.SD, NAN, 84, 2),
    (
        "pr_then_pd_is_pd_when_min_sd_not_met",
        [0, 28, 56],
        [50, 35, 50],
        [0] * 3,
        {},
        R.PD,
        NAN,
        56,
        2,
    ),
    (
        "pr_unconfirmed_at_last_visit_is_sd",
        [0, 42, 84],
        [50, 45, 30],
        [0] * 3,
        {},
        R.SD,
        NAN,
        NAN,
        2,
    ),
    ("pr_unconfirmed_before_min_sd_is_ne", [0, 28], [50, 30], [0, 0], {}, R.NE, NAN, NAN, 1),
    ("pr_then_pd_without_confirmation", [0, 42, 70], [50, 30, 45], [0] * 3, {}, R.SD, NAN, 70, 2),
    ("pr_ne_pr_is_confirmed", [0, 42, 70, 98], [50, 30, NAN, 30], [0] * 4, {}, R.PR, 42, NAN, 3),
    ("cr_confirmed", [0, 42, 84], [50, 0, 0], [0, 0, 0], {}, R.CR, 42, NAN, 2),
    ("cr_then_pr_is_pr", [0, 42, 84], [50, 0, 3], [0, 0, 0], {}, R.PR, 42, NAN, 2),
    ("pr_then_cr_unconfirmed_is_pr", [0, 42, 70], [50, 30, 0], [0] * 3, {}, R.PR, 42, NAN, 2),
    ("pr_then_confirmed_cr_is_cr", [0, 42, 70, 98], [50, 30, 0, 0], [0] * 4, {}, R.CR, 42, NAN, 3),
    ("sd_before_min_duration_is_ne", [0, 28], [50, 48], [0, 0], {}, R.NE, NAN, NAN, 1),
    ("sd_at_min_duration", [0, 42], [50, 48], [0, 0], {}, R.SD, NAN, NAN, 1),
    ("sd_min_duration_option", [0, 42], [50, 48], [0, 0], {"min_sd_days": 56}, R.NE, NAN, NAN, 1),
    ("sd_then_early_pd", [0, 28, 56], [50, 48, 70], [0] * 3, {}, R.PD, NAN, 56, 2),
    ("pd_at_first_visit", [0, 28], [50, 70], [0, 0], {}, R.PD, NAN, 28, 1),
    ("new_lesion_is_pd", [0, 42, 84], [50, 40, 30], [0, 0, 1], {}, R.SD, NAN, 84, 2),
    ("nadir_below_baseline", [0, 42, 84], [50, 30, 36], [0] * 3, {}, R.SD, NAN, 84, 2),
    ("assessment_stops_at_pd", [0, 42, 84, 126], [50, 70, 30, 30], [0] * 4, {}, R.PD, NAN, 42, 1),
    ("missing_visits_are_ne", [0, 42, 84], [50, NAN, NAN], [0] * 3, {}, R.NE, NAN, NAN, 2),
    ("baseline_only", [0], [50], [0], {}, R.NE, NAN, NAN, 0),
    ("days_relative_to_baseline", [7, 49, 77], [50, 30, 30], [0] * 3, {}, R.PR, 49, NAN, 2),
    ("no_confirmation_best_visit", [0, 42], [50, 30], [0, 0], {"confirm": False}, R.PR, 42, NAN, 1),
    ("no_confirmation_cr", [0, 28, 56], [50, 0, 60], [0] * 3, {"confirm": False}, R.CR, 28, 56, 2),
    (
        "shorter_confirmation_window",
        [0, 42, 56],
        [50, 30, 30],
        [0] * 3,
        {"confirmation_days": 14},
        R.PR,
        42,
        NAN,
        2,
    ),
]


@pytest.mark.parametrize(
    ("days", "sums", "new", "options", "best", "response_day", "progression_day", "n"),
    [case[1:] for case in BOR_CASES],
    ids=[case[0] for case in BOR_CASES],
)
def test_best_overall_response(days, sums, new, options, best, response_day, progression_day, n):
    a = assess_recist(days, sums, new, **options)
    assert a.best_response is best
    assert same(a.response_day, response_day)
    assert same(a.progression_day, progression_day)
    assert len(a.responses) == n


def test_assessed_visits_and_best_percent_change():
    a = assess_recist([0, 42, 84, 126], [50.0, 40.0, 30.0, 40.0], [0, 0, 0, 0])
    assert a.responses == (R.SD, R.PR, R.PD)
    assert a.best_percent_change == pytest.approx(-40.0)
    # Visits after progression are not assessed and do not count towards the best change.
    b = assess_recist([0, 42, 84], [50.0, 70.0, 10.0], [0, 0, 0])
    assert b.responses == (R.PD,)
    assert b.best_percent_change == pytest.approx(40.0)
    assert math.isnan(assess_recist([0, 42], [50.0, NAN], [0, 0]).best_percent_change)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"days": [0, 0], "sums_mm": [50, 40], "new_lesions": [0, 0]}, "days"),
        ({"days": [0, 42], "sums_mm": [50], "new_lesions": [0, 0]}, "sums_mm"),
        ({"days": [0, 42], "sums_mm": [50, -1], "new_lesions": [0, 0]}, "sums_mm"),
        ({"days": [0, 42], "sums_mm": [0, 10], "new_lesions": [0, 0]}, "baseline sum_mm"),
        ({"days": [0, 42], "sums_mm": [50, 10], "new_lesions": [False, True]}, "new_lesions"),
        ({"days": [], "sums_mm": [], "new_lesions": []}, "days"),
        (
            {"days": [0, 42], "sums_mm": [50, 10], "new_lesions": [0, 0], "min_sd_days": -1},
            "min_sd_days",
        ),
    ],
    ids=["repeated_day", "length", "negative", "no_baseline", "bool_new", "empty", "min_sd"],
)
def test_assess_recist_rejects_bad_input(kwargs, field):
    with pytest.raises(ConfigError) as err:
        assess_recist(**kwargs)
    assert err.value.field == field


# (id, days, sums, new lesions, new-lesion sums, responses, best, confirmed PD day, iUPD day)
IRECIST_CASES = [
    (
        "iupd_then_further_5mm_is_icpd",
        [0, 42, 84],
        [50, 65, 70],
        [0, 0, 0],
        [0, 0, 0],
        [I.iUPD, I.iCPD],
        I.iCPD,
        84,
        42,
    ),
    (
        "iupd_then_4mm_stays_iupd",
        [0, 42, 84],
        [50, 65, 69],
        [0, 0, 0],
        [0, 0, 0],
        [I.iUPD, I.iUPD],
        I.iUPD,
        NAN,
        42,
    ),
    (
        "iupd_iupd_then_5mm_over_last_is_icpd",
        [0, 42, 84, 126],
        [50, 65, 62, 67],
        [0] * 4,
        [0] * 4,
        [I.iUPD, I.iUPD, I.iCPD],
        I.iCPD,
        126,
        42,
    ),
    (
        "iupd_then_shrink_is_isd_and_resets",
        [0, 42, 84, 126],
        [50, 65, 48, 60],
        [0] * 4,
        [0] * 4,
        [I.iUPD, I.iSD, I.iUPD],
        I.iSD,
        NAN,
        42,
    ),
    (
        "iupd_then_confirmed_ipr",
        [0, 42, 84, 126],
        [50, 65, 30, 28],
        [0] * 4,
        [0] * 4,
        [I.iUPD, I.iPR, I.iPR],
        I.iPR,
        NAN,
        42,
    ),
    (
        "new_lesion_iupd_then_more_new_lesions_is_icpd",
        [0, 42, 84],
        [50, 45, 44],
        [0, 1, 2],
        [0, 10, 20],
        [I.iUPD, I.iCPD],
        I.iCPD,
        84,
        42,
    ),
    (
        "new_lesion_iupd_then_new_sum_plus_5mm_is_icpd",
        [0, 42, 84],
        [50, 45, 44],
        [0, 1, 1],
        [0, 10, 15],
        [I.iUPD, I.iCPD],
        I.iCPD,
        84,
        42,
    ),
    (
        "new_lesion_iupd_unchanged_stays_iupd",
        [0, 42, 84],
        [50, 45, 44],
        [0, 1, 1],
        [0, 10, 12],
        [I.iUPD, I.iUPD],
        I.iUPD,
        NAN,
        42,
    ),
    (
        "new_lesion_iupd_then_target_pd_is_icpd",
        [0, 42, 84],
        [50, 45, 56],
        [0, 1, 1],
        [0, 10, 10],
        [I.iUPD, I.iCPD],
        I.iCPD,
        84,
        42,
    ),
    (
        "target_iupd_then_first_new_lesion_is_icpd",
        [0, 42, 84],
        [50, 65, 60],
        [0, 0, 1],
        [0, 0, 10],
        [I.iUPD, I.iCPD],
        I.iCPD,
        84,
        42,
    ),
    (
        "new_lesion_resolves_resets",
        [0, 42, 84],
        [50, 45, 40],
        [0, 1, 0],
        [0, 10, 0],
        [I.iUPD, I.iSD],
        I.iSD,
        NAN,
        42,
    ),
    (
        "iupd_then_missing_is_ne",
        [0, 42, 84, 126],
        [50, 65, NAN, 71],
        [0] * 4,
        [0] * 4,
        [I.iUPD, I.NE, I.iCPD],
        I.iCPD,
        126,
        42,
    ),
    (
        "confirmed_ipr_before_progression",
        [0, 42, 70, 112],
        [50, 30, 30, 40],
        [0] * 4,
        [0] * 4,
        [I.iPR, I.iPR, I.iUPD],
        I.iPR,
        NAN,
        112,
    ),
]


@pytest.mark.parametrize(
    ("days", "sums", "new", "new_sums", "responses", "best", "confirmed", "unconfirmed"),
    [case[1:] for case in IRECIST_CASES],
    ids=[case[0] for case in IRECIST_CASES],
)
def test_irecist(days, sums, new, new_sums, responses, best, confirmed, unconfirmed):
    a = assess_irecist(days, sums, new, new_sums)
    assert list(a.responses) == responses
    assert a.best_response is best
    assert same(a.confirmed_progression_day, confirmed)
    assert same(a.unconfirmed_progression_day, unconfirmed)


def test_irecist_counts_shrinkage_after_iupd():
    a = assess_irecist([0, 42, 84, 126], [50, 65, 30, 28], [0] * 4, [0] * 4)
    assert a.response_day == 84
    assert a.best_percent_change == pytest.approx(-44.0)
    r = assess_recist([0, 42, 84, 126], [50, 65, 30, 28], [0] * 4)
    assert r.best_response is R.PD
    assert r.best_percent_change == pytest.approx(30.0)


def test_irecist_first_progression_matches_recist():
    days, sums, new = [0, 42, 84, 126], [50, 40, 30, 45], [0, 0, 0, 0]
    r = assess_recist(days, sums, new)
    i = assess_irecist(days, sums, new, [0] * 4)
    assert i.unconfirmed_progression_day == r.progression_day == 126
    assert [str(x) for x in i.responses] == ["i" + str(x) for x in r.responses[:-1]] + ["iUPD"]


visit_sums = st.one_of(
    st.floats(0.0, 150.0, allow_nan=False),
    st.just(0.0),
    st.just(NAN),
)


@st.composite
def patients(draw):
    n = draw(st.integers(1, 10))
    gaps = draw(st.lists(st.sampled_from([14.0, 21.0, 28.0, 42.0]), min_size=n, max_size=n))
    days = np.r_[0.0, np.cumsum(gaps)]
    baseline = draw(st.floats(10.0, 150.0))
    sums = [baseline, *draw(st.lists(visit_sums, min_size=n, max_size=n))]
    new = [0, *draw(st.lists(st.sampled_from([0, 0, 0, 1, 2]), min_size=n, max_size=n))]
    new = list(np.maximum.accumulate(new))
    new_sums = [10.0 * k for k in new]
    confirm = draw(st.booleans())
    return days, np.array(sums), new, new_sums, confirm


@settings(max_examples=300, deadline=None)
@given(patients())
def test_properties(patient):
    days, sums, new, new_sums, confirm = patient
    changes = 100.0 * (sums[1:] - sums[0]) / sums[0]
    for a in (
        assess_recist(days, sums, new, confirm=confirm),
        assess_irecist(days, sums, new, new_sums, confirm=confirm),
    ):
        assessed = changes[: len(a.responses)]
        measured = assessed[~np.isnan(assessed)]
        if measured.size:
            assert a.best_percent_change == pytest.approx(measured.min())
            assert np.all(a.best_percent_change <= measured + 1e-9)
        else:
            assert math.isnan(a.best_percent_change)
        if str(a.best_response) in ("CR", "iCR"):
            assert np.any(sums[1:] == 0.0)
        if str(a.best_response) in ("CR", "PR", "iCR", "iPR"):
            assert np.isfinite(a.response_day)
        else:
            assert math.isnan(a.response_day)
    r = assess_recist(days, sums, new, confirm=confirm)
    assert all(x is not R.PD for x in r.responses[:-1])
    assert np.isnan(r.progression_day) == (R.PD not in r.responses)


def _visit_table(n_patients: int, n_visits: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pid = np.repeat(np.arange(n_patients), n_visits)
    day = np.tile(np.arange(n_visits) * 28.0, n_patients)
    rate = np.repeat(rng.normal(0.0, 0.01, n_patients), n_visits)
    sums = 50.0 * np.exp(rate * day) * rng.lognormal(0.0, 0.05, pid.size)
    sums[rng.random(pid.size) < 0.03] = np.nan
    sums[day == 0] = 50.0
    new = (rng.random(pid.size) < 0.02).astype(np.int64)
    cohort = np.where(pid % 3 == 0, "zeta", "alpha")
    arm = np.where(pid % 2 == 0, "vehicle", "anti_pd1")
    table = pd.DataFrame(
        {
            "cohort": cohort,
            "arm": arm,
            "patient_id": pid,
            "day": day,
            "sum_diameters_mm": sums,
            "new_lesions": new,
            "new_lesion_sum_mm": 8.0 * new,
        }
    )
    return table.sample(frac=1.0, random_state=seed).reset_index(drop=True)


@pytest.mark.parametrize("criteria", ["recist1.1", "irecist"])
def test_assess_visits_matches_per_patient(criteria):
    table = _visit_table(60, 8, seed=3)
    rows, patients_table = assess_visits(table, criteria=criteria)
    assert rows.index.equals(table.index)
    pd.testing.assert_frame_equal(rows[table.columns], table)
    keys = ["cohort", "arm", "patient_id"]
    expected_order = table[keys].drop_duplicates().reset_index(drop=True)
    pd.testing.assert_frame_equal(patients_table[keys], expected_order)
    for _, patient in patients_table.iterrows():
        mask = (table[keys] == patient[keys]).all(axis=1).to_numpy()
        sub = rows[mask].sort_values("day")
        args = (sub["day"], sub["sum_diameters_mm"], sub["new_lesions"])
        if criteria == "irecist":
            a = assess_irecist(*args, sub["new_lesion_sum_mm"])
            assert same(patient["progression_day"], a.confirmed_progression_day)
            assert same(patient["unconfirmed_progression_day"], a.unconfirmed_progression_day)
        else:
            a = assess_recist(*args)
            assert same(patient["progression_day"], a.progression_day)
        assert patient["best_response"] == str(a.best_response)
        assert same(patient["best_percent_change"], a.best_percent_change)
        assert same(patient["response_day"], a.response_day)
        n = len(a.responses)
        assert sub["response"].tolist() == ["", *map(str, a.responses), *[""] * (len(sub) - 1 - n)]
        base = sub["sum_diameters_mm"].iloc[0]
        expected = 100.0 * (sub["sum_diameters_mm"] - base) / base
        np.testing.assert_allclose(sub["percent_change"], expected)


def test_assess_visits_options_are_passed():
    table = pd.DataFrame(
        {
            "cohort": "c",
            "arm": "a",
            "patient_id": 1,
            "day": [0.0, 42.0, 56.0],
            "sum_diameters_mm": [50.0, 30.0, 30.0],
            "new_lesions": 0,
        }
    )
    assert assess_visits(table)[1]["best_response"].item() == "SD"
    assert assess_visits(table, confirmation_days=14)[1]["best_response"].item() == "PR"
    assert assess_visits(table, confirm=False, min_sd_days=60)[1]["best_response"].item() == "PR"
    assert "unconfirmed_progression_day" not in assess_visits(table)[1].columns


def test_assess_visits_errors():
    table = _visit_table(4, 3, seed=0)
    with pytest.raises(ConfigError, match="sum_diameters_mm") as err:
        assess_visits(table.drop(columns="sum_diameters_mm"))
    assert err.value.value == "sum_diameters_mm"
    with pytest.raises(ConfigError, match="new_lesion_sum_mm"):
        assess_visits(table.drop(columns="new_lesion_sum_mm"), criteria="irecist")
    assess_visits(table.drop(columns="new_lesion_sum_mm"))
    with pytest.raises(ConfigError, match="criteria"):
        assess_visits(table, criteria="recist")
    with pytest.raises(ConfigError, match="two visits"):
        assess_visits(pd.concat([table, table.iloc[:1]]))
    zero = table.copy()
    zero.loc[zero["day"] == 0, "sum_diameters_mm"] = 0.0
    with pytest.raises(ConfigError, match="baseline"):
        assess_visits(zero)
    negative = table.assign(new_lesions=-1)
    with pytest.raises(ConfigError, match="new_lesions"):
        assess_visits(negative)


def test_assess_visits_empty():
    empty = _visit_table(2, 2, seed=0).iloc[:0]
    rows, patients_table = assess_visits(empty)
    assert len(rows) == 0 and len(patients_table) == 0
    assert "best_response" in patients_table.columns


def test_assess_visits_is_fast():
    table = _visit_table(10_000, 15, seed=1)
    start = time.perf_counter()
    _, patients_table = assess_visits(table, criteria="irecist")
    elapsed = time.perf_counter() - start
    assert len(patients_table) == 10_000
    assert elapsed < 5.0


# RECIST 1.1 nodal rule on hand-made measurements (Eisenhauer 2009 §4.3.1): a nodal target is
# measured by its short axis and counts as gone under 10 mm; non-nodal targets must disappear.
NODE_CASES = [
    ("node_20_to_8_others_gone_is_cr", [[30.0, 0.0], [20.0, 8.0]], [False, True], "CR"),
    ("node_20_to_12_others_gone_is_pr", [[30.0, 0.0], [20.0, 12.0]], [False, True], "PR"),
    ("node_at_exactly_10_is_not_normal", [[30.0, 0.0], [20.0, 10.0]], [False, True], "PR"),
    ("non_nodal_lesion_at_5mm_is_not_gone", [[30.0, 5.0], [20.0, 8.0]], [False, True], "PR"),
    ("an_8mm_lesion_that_is_not_a_node_is_pr", [[30.0, 0.0], [20.0, 8.0]], [False, False], "PR"),
]


@pytest.mark.parametrize(
    "measurements, nodal, expected", [c[1:] for c in NODE_CASES], ids=[c[0] for c in NODE_CASES]
)
def test_nodal_targets_back_to_normal_size_allow_a_complete_response(measurements, nodal, expected):
    d = np.array(measurements)  # (lesions, [baseline, visit])
    resolved = targets_resolved(d, np.array(nodal)[:, None])
    sums = d.sum(axis=0)
    assert visit_response(sums[1], sums[0], sums[0], 0, resolved=bool(resolved[1])) == expected
    # The same pair of visits, repeated for confirmation, through the patient-level readers.
    days, s, r = [0.0, 84.0, 126.0], [sums[0], sums[1], sums[1]], [False, *[resolved[1]] * 2]
    assert assess_recist(days, s, [0, 0, 0], resolved=r).best_response == expected
    visits = pd.DataFrame(
        {
            "cohort": "c",
            "arm": "a",
            "patient_id": 1,
            "day": days,
            "sum_diameters_mm": s,
            "new_lesions": 0,
            "targets_resolved": np.array(r, dtype=bool),
        }
    )
    _, patients = assess_visits(visits)
    assert patients["best_response"].tolist() == [expected]


def test_without_the_resolved_flag_a_complete_response_needs_a_sum_of_zero():
    assert visit_response(8.0, 50.0, 50.0, 0) == R.PR
    assert visit_response(0.0, 50.0, 50.0, 0) == R.CR
    # A normal-sized node does not hide progression: growth over the nadir is still PD.
    assert visit_response(40.0, 50.0, 8.0, 0, resolved=False) == R.PD


def test_resolved_flags_are_checked():
    with pytest.raises(ConfigError, match="resolved"):
        assess_recist([0, 42], [50.0, 8.0], [0, 0], resolved=[0, 1])
    bad = pd.DataFrame(
        {
            "cohort": "c",
            "arm": "a",
            "patient_id": 1,
            "day": [0.0, 42.0],
            "sum_diameters_mm": [50.0, 8.0],
            "new_lesions": 0,
            "targets_resolved": [0.0, 1.0],
        }
    )
    with pytest.raises(ConfigError, match="targets_resolved"):
        assess_visits(bad)

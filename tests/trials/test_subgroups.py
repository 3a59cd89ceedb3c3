"""Subgroup analyses by baseline biomarker (Subgroup), their hazard ratios and forest plot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from studyhelp import clinical_trial

from tmesim.config.trial import Subgroup
from tmesim.errors import ConfigError
from tmesim.trials.runner import run_study
from tmesim.trials.subgroups import levels, rate_difference_ci, subgroup_table


@given(
    st.lists(st.floats(0, 1), min_size=1, max_size=4, unique=True),
    st.lists(st.floats(-1, 2), min_size=1, max_size=30),
)
@settings(max_examples=60, deadline=None)
def test_each_value_falls_in_the_level_that_holds_it(cuts, values):
    cuts = sorted(cuts)
    spec = Subgroup(biomarker="pdl1_tumor_proportion", cuts=cuts)
    got = levels(pd.Series(values), spec).tolist()
    for v, level in zip(values, got, strict=True):
        k = int(np.searchsorted(cuts, v, side="right"))
        if k == 0:
            assert level == f"< {cuts[0]:g}"
        elif k == len(cuts):
            assert level == f"≥ {cuts[-1]:g}"
        else:
            assert level == f"{cuts[k - 1]:g}–{cuts[k]:g}"


def test_the_hazard_ratio_of_each_level_recovers_the_simulated_effect():
    rng = np.random.default_rng(4)
    n = 1500
    marker = rng.uniform(0, 1, size=2 * n)
    treated = np.r_[np.zeros(n, bool), np.ones(n, bool)]
    effect = np.where(treated & (marker >= 0.5), 0.5, 1.0)  # benefit only when marker-high
    t = rng.exponential(100.0 / effect)
    p = pd.DataFrame(
        {
            "cohort": "c",
            "arm": np.where(treated, "drug", "control"),
            "pdl1_tumor_proportion": marker,
            "pfs_day": np.minimum(t, 300.0),
            "pfs_event": t < 300.0,
        }
    )
    spec = Subgroup(biomarker="pdl1_tumor_proportion", cuts=[0.5])
    table = subgroup_table(p, [spec], "pfs").set_index("level")
    high, low = table.loc["≥ 0.5"], table.loc["< 0.5"]
    assert high["ci_low"] < 0.5 < high["ci_high"]
    assert low["ci_low"] < 1.0 < low["ci_high"]
    assert table.loc[""]["subgroup"] == "all patients"
    assert int(high["n"] + low["n"]) == n


@pytest.mark.parametrize(
    ("subgroup", "field"),
    [
        ({"biomarker": "tmb"}, "subgroups.biomarker"),
        ({"biomarker": "pdl1_cps", "cuts": [10, 1]}, "subgroups.pdl1_cps.cuts"),
        ({"biomarker": "pdl1_cps"}, "subgroups.pdl1_cps.cuts"),
        ({"biomarker": "sex", "cuts": [1]}, "subgroups.sex.cuts"),
    ],
)
def test_a_bad_subgroup_names_the_field(subgroup, field):
    with pytest.raises(ConfigError, match=field):
        clinical_trial(subgroups=[subgroup])


def test_the_report_shows_a_forest_plot_by_subgroup(tmp_path):
    s = clinical_trial(
        follow_up_days=126,
        subgroups=[{"biomarker": "pdl1_tumor_proportion", "cuts": [0.05]}, {"biomarker": "sex"}],
        cohorts=[
            {
                "name": "melanoma",
                "preset": "human_melanoma",
                "n": 10,
                "start_volume_mm3": 4000,
                "start_volume_log_sd": 0.5,
                "body_size": "adult_melanoma",
            }
        ],
    )
    run_study(s, tmp_path, progress=False, report=True, n_threads=1)
    html = (tmp_path / "report.html").read_text()
    assert "Subgroups by baseline biomarker" in html
    assert "objective response by subgroup" in html
    assert "pdl1_tumor_proportion ≥ 0.05" in html or "pdl1_tumor_proportion &lt; 0.05" in html


@given(st.integers(1, 200), st.integers(1, 200), st.data())
@settings(max_examples=80, deadline=None)
def test_the_response_difference_interval_holds_its_estimate(n1, n2, data):
    k1 = data.draw(st.integers(0, n1))
    k2 = data.draw(st.integers(0, n2))
    d, lo, hi = rate_difference_ci(k1, n1, k2, n2)
    assert d == pytest.approx(k1 / n1 - k2 / n2)
    assert -1 - 1e-12 <= lo <= d <= hi <= 1 + 1e-12

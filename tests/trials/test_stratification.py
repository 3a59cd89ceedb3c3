"""Stratified randomization: permuted blocks within strata of baseline biomarkers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from studyhelp import clinical_trial

from tmesim.config.trial import Stratification
from tmesim.errors import ConfigError
from tmesim.trials.runner import run_study
from tmesim.trials.stratification import strata, stratified_allocation

PDL1 = {"biomarker": "pdl1_tumor_proportion", "cuts": [0.05]}


@given(
    st.lists(st.floats(0, 1), min_size=1, max_size=300),
    st.sampled_from([(1, 1), (2, 1), (1, 1, 1)]),
    st.integers(0, 2**31),
)
@settings(max_examples=60, deadline=None)
def test_arms_differ_by_at_most_half_a_block_within_every_stratum(tps, ratios, seed):
    table = pd.DataFrame({"pdl1_tumor_proportion": tps, "sex": "female"})
    table.loc[table.index % 3 == 0, "sex"] = "male"
    strat = Stratification(factors=[PDL1, {"biomarker": "sex"}])
    arms = stratified_allocation(table, strat, list(ratios), seed, 0, 0)
    size = 2 * sum(ratios)
    for _, rows in pd.Series(arms).groupby(strata(table, strat)):
        counts = np.bincount(rows.to_numpy(), minlength=len(ratios))
        complete = len(rows) // size
        # Complete blocks are exactly in ratio; the last, incomplete block adds at most its size.
        expected = np.array(ratios) * 2 * complete
        assert (counts >= expected).all()
        assert (counts - expected).sum() == len(rows) - complete * size


def test_simple_randomization_would_not_balance_these_strata():
    """The balance is due to the blocks: a coin per patient leaves strata unbalanced."""
    rng = np.random.default_rng(3)
    table = pd.DataFrame({"pdl1_tumor_proportion": rng.uniform(0, 0.1, 400)})
    strat = Stratification(factors=[PDL1])
    labels = strata(table, strat)
    blocked = pd.Series(stratified_allocation(table, strat, [1, 1], 9, 0, 0))
    coin = pd.Series(rng.integers(0, 2, len(table)))
    imbalance = {
        name: max(abs(2 * a.groupby(labels).mean() - 1) * a.groupby(labels).size())
        for name, a in (("blocked", blocked), ("coin", coin))
    }
    assert imbalance["blocked"] <= 1
    assert imbalance["coin"] > 1


def test_the_allocation_is_seeded_and_differs_between_seeds():
    table = pd.DataFrame({"pdl1_tumor_proportion": np.linspace(0, 0.1, 40)})
    strat = Stratification(factors=[PDL1])
    a = stratified_allocation(table, strat, [1, 1], 1, 0, 0)
    assert (a == stratified_allocation(table, strat, [1, 1], 1, 0, 0)).all()
    assert (a != stratified_allocation(table, strat, [1, 1], 2, 0, 0)).any()


def test_bad_stratification_is_refused_with_the_field_named():
    with pytest.raises(ConfigError, match="stratification"):
        clinical_trial(stratification={"factors": [PDL1]})  # matched design
    with pytest.raises(ConfigError, match="block_size"):
        clinical_trial(design="randomized", stratification={"factors": [PDL1], "block_size": 3})
    with pytest.raises(ConfigError, match="stratification.factors"):
        clinical_trial(design="randomized", stratification={"factors": [{"biomarker": "nope"}]})
    with pytest.raises(ConfigError, match="body_size"):
        clinical_trial(design="randomized", stratification={"factors": [{"biomarker": "sex"}]})


def test_a_stratified_trial_balances_its_arms_within_each_stratum(tmp_path):
    scenario = clinical_trial(
        design="randomized",
        follow_up_days=42,
        chunk_size=12,
        cohorts=[
            {
                "name": "melanoma",
                "preset": "human_melanoma",
                "n": 24,
                "start_volume_mm3": 4000,
                "start_volume_log_sd": 0.5,
            }
        ],
        stratification={"factors": [PDL1, {"biomarker": "n_lesions", "cuts": [2]}]},
    )
    run_study(scenario, tmp_path, progress=False, report=False)
    p = pd.read_parquet(tmp_path / "patients.parquet")
    assert sorted(p["patient_id"]) == list(range(24))  # each patient in exactly one arm
    n_chunks = 2
    for _, rows in p.groupby("stratum"):
        counts = rows["arm"].value_counts().reindex(["ipilimumab", "nivolumab"], fill_value=0)
        assert abs(counts.iloc[0] - counts.iloc[1]) <= n_chunks * 2  # half a block per chunk
    levels = p["stratum"].str.split(" | ", regex=False).str[0]
    assert set(levels) <= {"< 0.05", "≥ 0.05", ""}
    known = p["pdl1_tumor_proportion"].notna()
    assert ((p.loc[known, "pdl1_tumor_proportion"] >= 0.05) == (levels[known] == "≥ 0.05")).all()

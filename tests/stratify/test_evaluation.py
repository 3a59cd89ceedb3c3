"""ROC-AUC against a brute-force count of ordered pairs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tmesim.stratify.evaluation import roc_auc


def brute_force_auc(scores, labels) -> float:
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    wins = sum(1.0 if p > q else 0.5 if p == q else 0.0 for p in pos for q in neg)
    return wins / (len(pos) * len(neg))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 6).map(float), st.booleans()), min_size=2, max_size=40
    ).filter(lambda xs: 0 < sum(y for _, y in xs) < len(xs))
)
def test_auc_equals_the_pairwise_count_with_ties(pairs):
    scores, labels = zip(*pairs, strict=True)
    assert roc_auc(scores, labels) == pytest.approx(brute_force_auc(scores, labels))


def test_auc_extremes_and_undefined_cases():
    assert roc_auc([3, 2, 1], [True, True, False]) == 1.0
    assert roc_auc([1, 2, 3], [True, True, False]) == 0.0
    assert np.isnan(roc_auc([1, 2], [True, True]))
    assert roc_auc([np.nan, 1.0, 2.0], [False, False, True]) == 1.0


def test_evaluation_of_recommendations_against_the_known_truth():
    """Per tumor, the truth decides: the known best, exact matches, and the match criterion."""
    import pandas as pd

    from tmesim.stratify.synthetic import evaluate_recommendations, evaluation_summary

    outcomes = pd.DataFrame(
        {
            "sample": ["a"] * 3 + ["b"] * 3 + ["c"] * 3,
            "regimen": ["anti-PD-1", "anti-PD-1 + anti-CTLA-4", "anti-PD-1 + IPI-549"] * 3,
            "responder": [True, True, True, False, True, True, False, False, False],
            "best_percent_change": [-100.0, -100.0, -100.0, 20, -60, -100, 30, 25, 5],
        }
    )
    predictions = outcomes[["sample", "regimen"]].assign(
        probability=[0.6, 0.9, 1.0, 0.1, 0.5, 0.9, 0.0, 0.1, 0.2],
        ci_high=[0.8, 1.0, 1.0, 0.3, 0.7, 1.0, 0.1, 0.3, 0.4],
    )
    recommended = pd.Series(
        {"a": "anti-PD-1 + IPI-549", "b": "anti-PD-1 + IPI-549", "c": "anti-PD-1 + anti-CTLA-4"}
    )
    ev = evaluate_recommendations(recommended, predictions, outcomes)
    assert ev["known_best"].to_dict() == {
        "a": "anti-PD-1",
        "b": "anti-PD-1 + IPI-549",
        "c": "anti-PD-1 + IPI-549",
    }
    # a: anti-PD-1 alone makes the true tumor respond, the combination was one agent too many
    assert ev["right"].to_dict() == {"a": False, "b": True, "c": False}
    assert ev.loc["a", "recommended_responds"] and not ev.loc["a", "exact"]
    # c: no regimen responds; 25% is 20 points above the deepest change (5%)
    assert ev.loc["c", "true_change_recommended"] - ev.loc["c", "true_change_deepest"] == 20
    assert not ev.loc["a", "best_within_ci"] and ev.loc["b", "best_within_ci"]
    summary = evaluation_summary(ev)
    assert (summary["exact"], summary["right"], summary["any_response"]) == (1, 1, 2)


@pytest.mark.slow
def test_recommendations_on_a_synthetic_cohort_make_more_true_tumors_respond():
    """The whole pipeline on 24 synthetic tumors (at 8 one tumor decides the comparison of the
    rules): evaluated against their true outcomes, the
    recommended regimens make more of the true tumors respond than anti-PD-1 for everyone, are
    right as often as anti-PD-1 (or anti-PD-1 + IPI-549) for everyone, and the counts of the
    evaluation are consistent with one another."""
    import pandas as pd

    from tmesim.stratify.pipeline import StratifySettings, stratify
    from tmesim.stratify.profiles import Profiles, alteration_kind, signature_coverage
    from tmesim.stratify.synthetic import (
        evaluate_recommendations,
        evaluation_summary,
        make_synthetic_cohort,
        truth_outcomes,
    )

    cohort = make_synthetic_cohort(24, seed=5)
    m = cohort.mutations.set_axis(["sample", "gene", "alteration"], axis=1)
    m["kind"] = [alteration_kind(a) for a in m["alteration"]]
    profiles = Profiles(cohort.expression, signature_coverage(cohort.expression), m)
    result = stratify(
        profiles, StratifySettings(ensemble={"members": 8, "seed": 1, "cache": False})
    )
    outcomes = truth_outcomes(cohort)
    ours = evaluation_summary(
        evaluate_recommendations(result.table["recommended"], result.predictions, outcomes)
    )
    pd1 = evaluation_summary(
        evaluate_recommendations(
            pd.Series("anti-PD-1", index=result.table.index), result.predictions, outcomes
        )
    )
    assert ours["tumors"] == len(result.table) >= 18
    assert ours["recommended_responds"] > pd1["recommended_responds"]
    # right by the match criterion at least as often as either one-size-fits-all rule
    pd1_ipi = evaluation_summary(
        evaluate_recommendations(
            pd.Series("anti-PD-1 + IPI-549", index=result.table.index),
            result.predictions,
            outcomes,
        )
    )
    assert ours["right"] >= max(pd1["right"], pd1_ipi["right"])
    assert ours["exact"] <= ours["exact_or_tied"] <= ours["tumors"]
    assert ours["recommended_responds"] <= ours["any_response"] == pd1["any_response"]

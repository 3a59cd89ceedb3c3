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

"""Scores do not depend on the scale of the input; they rank samples the way the genes do."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from tmesim.stratify.genesets import SIGNATURES
from tmesim.stratify.profiles import read_expression
from tmesim.stratify.scores import normal_scores, signature_scores
from tmesim.stratify.synthetic import rescale

GENES = sorted({g for s in SIGNATURES.values() for g in s.genes})

TRANSFORMS = {
    "log2(x+1)": lambda x: np.log2(x + 1.0),
    "sqrt": np.sqrt,
    "affine": lambda x: 3.0 * x + 7.0,
    "rank": lambda x: x.rank(axis=1),
    "power": lambda x: x**2.5,
}


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(8, 40),
    transform=st.sampled_from(sorted(TRANSFORMS)),
)
def test_any_increasing_transform_leaves_the_scores_unchanged(seed, n, transform):
    rng = np.random.default_rng(seed)
    m = pd.DataFrame(rng.lognormal(1.0, 1.5, size=(len(GENES), n)), index=GENES)
    # a different increasing transform per gene (e.g. a gene-specific normalization) too
    per_gene = m.mul(rng.uniform(0.1, 10.0, size=len(GENES)), axis=0)
    a = signature_scores(m)
    b = signature_scores(TRANSFORMS[transform](per_gene))
    pd.testing.assert_frame_equal(a, b, atol=1e-9, rtol=0)


def test_example_cohort_in_tpm_log_and_ranks_scores_alike(example_files):
    tpm = read_expression(example_files["expression"])
    scores = {s: signature_scores(rescale(tpm, s)) for s in ("tpm", "log2", "rank", "counts")}
    for s in ("log2", "rank", "counts"):
        pd.testing.assert_frame_equal(scores["tpm"], scores[s], atol=1e-9, rtol=0)


def test_normal_scores_are_symmetric_and_share_ties():
    m = pd.DataFrame([[5.0, 1.0, 3.0, 3.0]], index=["GZMA"])
    z = normal_scores(m).iloc[0].to_numpy()
    assert abs(z.sum()) < 1e-12
    assert z[2] == z[3] and z[0] > z[2] > z[1]


def test_a_sample_highest_in_every_gene_of_a_signature_scores_highest():
    rng = np.random.default_rng(3)
    m = pd.DataFrame(rng.lognormal(size=(len(GENES), 15)), index=GENES)
    for name, s in SIGNATURES.items():
        raised = m.copy()
        for g, w in s.genes.items():
            raised.loc[g, 4] = raised.loc[g].max() * 2 if w > 0 else raised.loc[g].min() / 2
        scores = signature_scores(raised)[name]
        assert scores.idxmax() == 4, name


def test_scoring_against_a_reference_is_scoring_the_pooled_cohort():
    rng = np.random.default_rng(5)
    m = pd.DataFrame(rng.lognormal(size=(len(GENES), 20)), index=GENES)
    cohort, reference = m.iloc[:, :4], m.iloc[:, 4:]
    pooled = signature_scores(m).iloc[:4]
    pd.testing.assert_frame_equal(signature_scores(cohort, reference=reference), pooled)

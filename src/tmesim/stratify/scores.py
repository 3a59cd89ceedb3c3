"""Scale-free signature scores: every gene is ranked within the cohort, then combined.

Each gene's values across samples are replaced by their normal scores, Φ⁻¹((rank − ½) / n) with
tied values sharing their mean rank. Any strictly increasing transform of the input (TPM,
log2(TPM + 1), within-cohort ranks, a different normalization factor per gene) leaves the ranks and
therefore every score unchanged. A signature's raw score is the weighted sum (Ayers GEP) or mean of
its measured genes' normal scores; it is then standardized across the cohort (mean 0, sd 1), so a
score of +1 means "one standard deviation above this cohort". With a reference cohort the ranks and
the standardization are taken over cohort and reference together, so a patient is scored against
the reference rather than against its own cohort.

Example:
    >>> m = pd.DataFrame({"a": [1.0, 10.0], "b": [2.0, 1.0], "c": [3.0, 5.0]}, index=["GZMA", "PRF1"])
    >>> normal_scores(m).round(3).loc["GZMA"].tolist()
    [-0.967, 0.0, 0.967]
    >>> normal_scores(np.log(m)).equals(normal_scores(m))
    True
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from tmesim.stratify.genesets import MYELOID_SIGNATURES, SIGNATURES, GeneSet


def normal_scores(expression: pd.DataFrame) -> pd.DataFrame:
    """Per-gene within-cohort normal scores of a genes × samples matrix (ties share a rank)."""
    values = expression.to_numpy(dtype=float)
    n = values.shape[1]
    ranks = stats.rankdata(values, axis=1, method="average")
    z = stats.norm.ppf((ranks - 0.5) / n)
    return pd.DataFrame(z, index=expression.index, columns=expression.columns)


def _standardize(x: pd.Series) -> pd.Series:
    sd = float(x.std(ddof=0))
    centered = x - float(x.mean())
    return centered / sd if sd > 1e-12 else centered * 0.0


def signature_scores(
    expression: pd.DataFrame,
    *,
    reference: pd.DataFrame | None = None,
    signatures: Mapping[str, GeneSet] = SIGNATURES,
) -> pd.DataFrame:
    """Standardized scores, one row per sample of `expression` and one column per signature, plus
    ``myeloid`` (the standardized mean of the myeloid signatures).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> genes = sorted({g for s in SIGNATURES.values() for g in s.genes})
        >>> m = pd.DataFrame(rng.lognormal(size=(len(genes), 12)), index=genes)
        >>> s = signature_scores(m)
        >>> s.shape, bool(abs(s["cytolytic"].mean()) < 1e-9)
        ((12, 10), True)
    """
    pooled = expression if reference is None else pd.concat([expression, reference], axis=1)
    z = normal_scores(pooled)
    out = pd.DataFrame(index=pooled.columns)
    for name, s in signatures.items():
        genes = [g for g in s.genes if g in z.index]
        if not genes:
            out[name] = np.nan
            continue
        w = (
            np.array([s.genes[g] for g in genes])
            if s.combine == "weighted"
            else np.ones(len(genes))
        )
        raw = (z.loc[genes].T.to_numpy() @ w) / np.abs(w).sum()
        out[name] = _standardize(pd.Series(raw, index=pooled.columns))
    myeloid = [m for m in MYELOID_SIGNATURES if m in out]
    if myeloid:
        out["myeloid"] = _standardize(out[myeloid].mean(axis=1))
    out.index.name = "sample"
    return out.loc[list(expression.columns)]

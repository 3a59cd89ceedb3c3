"""ROC-AUC of predictions against response labels.

The AUC is the Mann–Whitney probability that a random responder scores higher than a random
non-responder, ties counting one half: U / (n₁ n₀), with U from the average ranks of the
responders (`scipy.stats.rankdata`).

Example:
    >>> roc_auc([0.9, 0.8, 0.3, 0.1], [True, False, True, False])
    0.75
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from tmesim.errors import ConfigError
from tmesim.stratify.genesets import SIGNATURES
from tmesim.stratify.panel import match_received
from tmesim.stratify.recommend import slug


def roc_auc(scores: ArrayLike, labels: ArrayLike) -> float:
    """Area under the ROC curve of `scores` for boolean `labels` (NaN scores are dropped);
    NaN when one class is empty."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=bool)
    if s.shape != y.shape:
        raise ConfigError("labels", f"{y.shape}", f"give one label per score ({s.shape})")
    keep = np.isfinite(s)
    s, y = s[keep], y[keep]
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = stats.rankdata(s)
    u = ranks[y].sum() - n1 * (n1 + 1) / 2.0
    return float(u / (n1 * n0))


def received_probability(
    wide: pd.DataFrame, labels: pd.DataFrame, default_regimen: str = "anti-PD-1"
) -> pd.Series:
    """The predicted probability of the regimen each labelled patient received (the default
    regimen where the labels do not say)."""
    out = {}
    for sample, row in labels.iterrows():
        if sample not in wide.index:
            continue
        c = match_received(row["regimen"]) or match_received(default_regimen)
        out[sample] = float(wide.loc[sample, f"p_{slug(c.name)}"])
    return pd.Series(out, name="predicted_probability", dtype=float)


def auc_table(
    wide: pd.DataFrame,
    scores: pd.DataFrame,
    calls: pd.DataFrame,
    labels: pd.DataFrame,
    *,
    default_regimen: str = "anti-PD-1",
) -> pd.DataFrame:
    """AUC of the predicted response probability (regimen received) beside each single signature
    and TMB, on the labelled samples; one row per predictor with n and responders."""
    common = [s for s in labels.index if s in wide.index]
    y = labels.loc[common, "responder"].to_numpy(dtype=bool)
    predictors: Mapping[str, pd.Series] = {
        "tmesim predicted response (regimen received)": received_probability(
            wide, labels.loc[common], default_regimen
        ),
        **{SIGNATURES[n].title if n in SIGNATURES else n: scores[n] for n in scores.columns},
        "TMB": calls["tmb"],
    }
    rows = []
    for name, values in predictors.items():
        x = values.reindex(common).to_numpy(dtype=float)
        rows.append(
            {
                "predictor": name,
                "auc": roc_auc(x, y),
                "n": int(np.isfinite(x).sum()),
                "responders": int(y[np.isfinite(x)].sum()),
            }
        )
    return pd.DataFrame(rows)

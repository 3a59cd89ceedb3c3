"""The self-contained HTML report of a stratification: phenotype heatmap, per-patient ranked
regimens, forest plot of predicted response by phenotype, AUC against labels, the mapping table.

Figures are matplotlib Figures without pyplot, embedded as base64 PNG (`report.figures`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy import stats

from tmesim.io.atomic import atomic_write_text
from tmesim.report.figures import arm_colors, figure_to_base64
from tmesim.report.html import render_template
from tmesim.stratify.calls import PHENOTYPES
from tmesim.stratify.evaluation import received_probability, roc_auc
from tmesim.stratify.genesets import SIGNATURES
from tmesim.stratify.mapping import mapping_table

if TYPE_CHECKING:
    from tmesim.stratify.pipeline import StratifyResult, StratifySettings
    from tmesim.stratify.profiles import Profiles

MAX_HEATMAP_LABELS = 60
MAX_PATIENT_ROWS = 200


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _order(calls: pd.DataFrame) -> list[str]:
    rank = {p: k for k, p in enumerate(PHENOTYPES)}
    return sorted(calls.index, key=lambda s: (rank.get(calls.loc[s, "phenotype"], 99), str(s)))


def heatmap_figure(scores: pd.DataFrame, calls: pd.DataFrame) -> Figure:
    """Samples (grouped by resistance phenotype) × signature scores, in cohort sd."""
    order = _order(calls)
    data = scores.loc[order]
    names = [SIGNATURES[c].title if c in SIGNATURES else "Myeloid (composite)" for c in data]
    fig = _figure(min(2.0 + 0.55 * len(names), 12.0), min(2.0 + 0.16 * len(order), 16.0))
    ax = fig.add_subplot()
    im = ax.imshow(data.to_numpy(), aspect="auto", cmap="RdBu_r", vmin=-2.5, vmax=2.5)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=8)
    if len(order) <= MAX_HEATMAP_LABELS:
        labels = [f"{s} · {calls.loc[s, 'phenotype']}" for s in order]
        ax.set_yticks(range(len(order)), labels, fontsize=7)
    else:
        ax.set_yticks([])
        ax.set_ylabel("patients, grouped by resistance phenotype")
    fig.colorbar(im, ax=ax, label="score (cohort sd)", shrink=0.6)
    return fig


def forest_figure(
    predictions: pd.DataFrame, calls: pd.DataFrame, regimens: Sequence[str]
) -> Figure:
    """Mean predicted probability of response per phenotype and regimen, with 95% intervals of
    the mean over the patients of the phenotype (t-interval; a single patient shows its own
    ensemble interval)."""
    data = predictions.merge(calls[["phenotype"]], left_on="sample", right_index=True)
    groups = [p for p in PHENOTYPES if p in set(data["phenotype"])]
    colors = arm_colors(list(regimens))
    fig = _figure(9.0, 1.0 + 0.32 * len(groups) * len(regimens))
    ax = fig.add_subplot()
    y = 0.0
    ticks, tick_labels = [], []
    for g in groups:
        sub = data[data["phenotype"] == g]
        top = y
        for r in regimens:
            rows = sub[sub["regimen"] == r]
            if rows.empty:
                y += 1
                continue
            mean = float(rows["probability"].mean())
            if len(rows) > 1:
                half = float(stats.t.ppf(0.975, len(rows) - 1) * rows["probability"].sem())
                low, high = max(mean - half, 0.0), min(mean + half, 1.0)
            else:
                low, high = float(rows["ci_low"].iloc[0]), float(rows["ci_high"].iloc[0])
            ax.plot([low, high], [y, y], color=colors[r], lw=2)
            ax.plot([mean], [y], "o", color=colors[r], label=r if g == groups[0] else None)
            y += 1
        ticks.append((top + y - 1) / 2)
        tick_labels.append(f"{g} (n={sub['sample'].nunique()})")
        ax.axhline(y, color="#dddddd", lw=0.8)
        y += 0.6
    ax.set_yticks(ticks, tick_labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("predicted probability of response (RECIST CR/PR)")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return fig


def roc_figure(result: StratifyResult, profiles: Profiles, settings: StratifySettings) -> Figure:
    """ROC curves of the predicted probability and of the T-cell-inflamed GEP."""
    labels = profiles.labels
    assert labels is not None
    common = [s for s in labels.index if s in result.table.index]
    y = labels.loc[common, "responder"].to_numpy(dtype=bool)
    wide = result.table
    curves = {
        "predicted response": received_probability(
            wide, labels.loc[common], settings.received_default
        ).reindex(common),
        "T-cell-inflamed GEP": result.scores["tcell_inflamed_gep"].reindex(common),
    }
    fig = _figure(4.2, 4.0)
    ax = fig.add_subplot()
    for name, values in curves.items():
        x = values.to_numpy(dtype=float)
        thresholds = np.unique(x[np.isfinite(x)])[::-1]
        tpr = [0.0] + [float(((x >= t) & y).sum() / max(y.sum(), 1)) for t in thresholds]
        fpr = [0.0] + [float(((x >= t) & ~y).sum() / max((~y).sum(), 1)) for t in thresholds]
        ax.step(fpr, tpr, where="post", label=f"{name} (AUC {roc_auc(x, y):.2f})")
    ax.plot([0, 1], [0, 1], color="#bbbbbb", lw=0.8, ls="--")
    ax.set_xlabel("false-positive rate")
    ax.set_ylabel("true-positive rate")
    ax.legend(fontsize=7, loc="lower right")
    return fig


def _table(caption: str, frame: pd.DataFrame, note: str = "") -> dict[str, Any]:
    def cell(v: Any) -> str:
        if isinstance(v, float | np.floating):
            return "" if np.isnan(v) else f"{v:.3g}"
        return str(v)

    return {
        "caption": caption,
        "columns": [str(c) for c in frame.columns],
        "rows": [[cell(v) for v in row] for row in frame.itertuples(index=False)],
        "note": note,
    }


def _patient_rows(result: StratifyResult) -> pd.DataFrame:
    t = result.table
    p = result.predictions.set_index(["sample", "regimen"])
    rows = []
    for s in _order(result.calls)[:MAX_PATIENT_ROWS]:
        best = t.loc[s, "recommended"]
        r = p.loc[(s, best)]
        rows.append(
            {
                "sample": s,
                "phenotype": t.loc[s, "phenotype"],
                "recommended": best,
                "P(response)": f"{r['probability']:.2f} ({r['ci_low']:.2f}–{r['ci_high']:.2f})",
                "driver": t.loc[s, "driver"],
                "ranking": t.loc[s, "ranking"],
            }
        )
    return pd.DataFrame(rows)


def build_context(
    result: StratifyResult, profiles: Profiles, settings: StratifySettings
) -> dict[str, Any]:
    regimens = list(pd.unique(result.predictions["regimen"]))
    e = settings.ensemble
    story = [
        f"{len(result.table)} tumor profiles were scored against {len(SIGNATURES)} gene "
        "signatures (ranked within the cohort, so the input scale does not matter), called for "
        "IFN-γ pathway and antigen-presentation loss, and mapped onto each patient's virtual-"
        "patient prior (table below).",
        f"Each patient's ensemble of {e.members} virtual patients was grown to treatment start "
        f"and treated with {len(regimens)} candidate regimens; response is the best overall "
        f"response by RECIST 1.1 (confirmed CR or PR) over {e.follow_up_days:g} days with "
        f"scans every {e.visits.every_days:g} days. {result.n_virtual_patients} virtual "
        f"patients in {result.seconds:.0f} s.",
        "Each virtual patient's best regimen is the one with the fewest agents that makes it "
        "respond; the recommendation is the regimen that is best for the largest share of the "
        "patient's virtual patients, so an extra drug is recommended only where most virtual "
        "patients need it. The driver names the phenotype and what the recommended combination "
        "adds over anti-PD-1 alone.",
    ]
    counts = (
        result.table.groupby(["phenotype", "recommended"]).size().rename("patients").reset_index()
    )
    sections = [
        {
            "id": "phenotypes",
            "title": "Phenotypes",
            "figure": figure_to_base64(heatmap_figure(result.scores, result.calls)),
            "caption": "Signature scores of every patient (cohort standard deviations), grouped "
            "by resistance phenotype.",
            "tables": [_table("Patients per phenotype and recommendation", counts)],
        },
        {
            "id": "forest",
            "title": "Predicted response by phenotype",
            "figure": figure_to_base64(forest_figure(result.predictions, result.calls, regimens)),
            "caption": "Mean predicted probability of response per phenotype and regimen, with "
            "the 95% interval of the mean over the phenotype's patients.",
            "tables": [],
        },
        {
            "id": "patients",
            "title": "Ranked regimens per patient",
            "figure": None,
            "caption": "",
            "tables": [
                _table(
                    "Recommendation per patient (probability with its 95% ensemble interval)",
                    _patient_rows(result),
                )
            ],
        },
    ]
    if result.auc is not None:
        sections.append(
            {
                "id": "labels",
                "title": "Against response labels",
                "figure": figure_to_base64(roc_figure(result, profiles, settings)),
                "caption": "ROC curves on the labelled patients.",
                "tables": [
                    _table(
                        "ROC-AUC of the predicted probability (regimen received) and of each "
                        "single signature",
                        result.auc,
                    )
                ],
            }
        )
    sections.append(
        {
            "id": "mapping",
            "title": "From profile to model",
            "figure": None,
            "caption": "",
            "tables": [
                _table("The mapping: each feature moves one model parameter", mapping_table()),
                _table(
                    "Signature genes found in the expression matrix",
                    profiles.coverage.reset_index()[["signature", "found", "total", "missing"]],
                ),
            ],
        }
    )
    return {
        "title": "tmesim stratification",
        "subtitle": f"{len(result.table)} patients · {len(regimens)} regimens · "
        f"{e.members} virtual patients each · seed {e.seed}",
        "paragraphs": story,
        "sections": sections,
    }


def render_stratify_report(
    result: StratifyResult, profiles: Profiles, settings: StratifySettings, path: Path
) -> Path:
    """Write the report to `path` atomically and return it."""
    html = render_template(
        "tmesim.stratify", "stratify.html.j2", **build_context(result, profiles, settings)
    )
    return atomic_write_text(Path(path), html)

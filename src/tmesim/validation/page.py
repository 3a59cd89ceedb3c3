"""The validation page: one self-contained HTML file with a summary table, one small figure per
target (published value and interval next to the simulated one), each target's role, and the
parameters that moved far from their literature values.

Figures are base64 PNGs through :func:`tmesim.report.figures.figure_to_base64`, as in the study
report, so the page can be mailed or archived as one file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from tmesim.report.figures import figure_to_base64
from tmesim.report.html import render_template
from tmesim.validation.acceptance import Verdict
from tmesim.validation.metrics import MetricValue
from tmesim.validation.record import FAR_FACTOR, CalibrationRecord, FittedParameter
from tmesim.validation.targets import Target

PUBLISHED_COLOR = "#4d4d4d"
PASS_COLOR = "#1a7f37"
FAIL_COLOR = "#c0392b"
DPI = 100


def target_figure(target: Target, value: MetricValue | None, verdict: Verdict) -> Figure:
    """Published (value, CI or range) and simulated (value, 95% CI) on one horizontal axis."""
    fig = Figure(figsize=(4.2, 1.6), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    p = target.published
    labels = ["published", "simulated"]
    if p.value is not None:
        ax.plot([p.value], [1], "o", color=PUBLISHED_COLOR)
    else:
        ax.axvline(target.acceptance.no_effect, color=PUBLISHED_COLOR, ls=":", lw=1)
    for bounds in (p.ci, p.range):
        if bounds is not None:
            ax.plot(bounds, [1, 1], "-", color=PUBLISHED_COLOR, lw=2)
    if p.range is not None and target.acceptance.margin:
        m = target.acceptance.margin
        ax.plot([p.range[0] - m, p.range[1] + m], [1, 1], "-", color=PUBLISHED_COLOR, lw=0.8)
    color = PASS_COLOR if verdict.passed else FAIL_COLOR
    if value is not None and math.isfinite(value.value):
        s = target.scale
        ax.plot([value.value * s], [0], "s", color=color)
        low, high = value.ci_low * s, value.ci_high * s
        if math.isfinite(low) and math.isfinite(high):
            ax.plot([low, high], [0, 0], "-", color=color, lw=2)
    else:
        ax.text(0.5, 0.25, "not simulated", transform=ax.transAxes, ha="center", color=color)
    ax.set_yticks([1, 0], labels)
    ax.set_ylim(-0.6, 1.6)
    ax.set_xlabel(target.published.units)
    ax.grid(axis="x", color="#eeeeee")
    return fig


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "" if np.isnan(value) else f"{value:.4g}"
    if isinstance(value, bool | np.bool_):
        return "pass" if value else "FAIL"
    return str(value)


def _moved_far(record: CalibrationRecord) -> list[list[str]]:
    rows = []
    for p in record.parameters:
        if p.moved_far:
            lit = "" if p.literature_value is None else f"{p.literature_value:g}"
            rows.append([p.preset, p.id, f"{p.value:g} {p.units}", lit, p.reason or p.source])
    return rows


def _ledger_row(p: FittedParameter) -> list[str]:
    """preset, parameter, value, literature value with the fold change, how it was set, and the
    targets (or the outcome in words) it was set to reach."""
    where = f"{p.preset} ({p.drug})" if p.drug else p.preset
    fold = p.fold_from_literature
    literature = "" if p.literature_value is None else f"{p.literature_value:g}"
    if fold is not None:
        literature += f" (×{fold:.2g})"
    how = "by hand" if p.method == "hand" else "tmesim calibrate"
    aim = ", ".join(p.targets) or p.outcome
    if p.targets and p.outcome:
        aim += f" ({p.outcome})"
    return [where, p.id, f"{p.value:g} {p.units}", literature, how, aim]


def render_page(
    table: pd.DataFrame,
    rows: Sequence[tuple[Target, MetricValue | None, Verdict, float, int]],
    record: CalibrationRecord,
    *,
    fast: bool = False,
    overrides: Mapping[str, Mapping[str, float]] | None = None,
) -> str:
    """The validation page as HTML text; `overrides` (a what-if run's replaced preset values)
    are named at the top."""
    summary_columns = [
        "id",
        "units",
        "published",
        "published_ci",
        "simulated",
        "simulated_ci_low",
        "simulated_ci_high",
        "rule",
        "passed",
        "role",
        "n_simulated",
    ]
    cards = []
    for (target, value, verdict, _, _), (_, row) in zip(rows, table.iterrows(), strict=True):
        cards.append(
            {
                "id": target.id,
                "title": target.title,
                "citation": target.citation,
                "setting": target.setting,
                "notes": target.published.notes,
                "role": row["role"],
                "passed": bool(row["passed"]),
                "reason": row["reason"],
                "published": f"{row['published']} {row['units']} ({row['published_ci']})",
                "simulated": (
                    f"{_cell(row['simulated'])} {row['units']} (95% CI "
                    f"{_cell(row['simulated_ci_low'])}–{_cell(row['simulated_ci_high'])}; "
                    f"{row['simulated_detail']}; n = {row['n_simulated']} per group)"
                ),
                "figure": figure_to_base64(target_figure(target, value, verdict), dpi=DPI),
            }
        )
    n_pass = int(table["passed"].sum())
    parameters = [_ledger_row(p) for p in record.parameters]
    return render_template(
        "tmesim.validation",
        "validation.html.j2",
        title="tmesim validation against published results",
        subtitle=(
            f"{n_pass} of {len(table)} targets pass"
            + (" (fast subset at small group sizes)" if fast else "")
        ),
        columns=summary_columns,
        rows=[[_cell(v) for v in r] for r in table[summary_columns].itertuples(index=False)],
        passed=[bool(v) for v in table["passed"]],
        cards=cards,
        record=record,
        calibration_targets=record.calibration_targets,
        parameters=parameters,
        moved_far=_moved_far(record),
        far_factor=f"{FAR_FACTOR:g}",
        overrides=[
            f"{preset}: {pid} = {value:g}"
            for preset, values in sorted((overrides or {}).items())
            for pid, value in values.items()
        ],
    )

"""The validation page: one self-contained HTML file with a summary table (target ids, what
`tmesim validate --only` takes), one small figure per target (the published value and its
interval — a k of n drawn as the Wilson interval the rule uses — above the simulated value and its 95% CI, with
the region the target's rule accepts), each target's role and source, and the parameters that
moved far from their literature values.

Figures are base64 PNGs through :func:`tmesim.report.figures.figure_to_base64`, as in the study
report, so the page can be mailed or archived as one file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from tmesim.report.figures import figure_to_base64
from tmesim.report.html import render_template
from tmesim.validation.acceptance import Verdict, published_estimate
from tmesim.validation.metrics import MetricValue
from tmesim.validation.record import FAR_FACTOR, CalibrationRecord, FittedParameter
from tmesim.validation.targets import Target, counts_published

PUBLISHED_COLOR = "#4d4d4d"
PASS_COLOR = "#1a7f37"
FAIL_COLOR = "#c0392b"
ACCEPTED_COLOR = "#d9efdf"
DPI = 100


@dataclass(frozen=True)
class Interval:
    """A published interval in the target's units, and what it is (shown on the page)."""

    low: float
    high: float
    label: str
    from_counts: bool = False
    """Computed here from the published k of n (not printed in the paper)."""


def published_bounds(target: Target) -> Interval | None:
    """The published uncertainty as an interval in published units, the one the target's rule
    uses (:func:`tmesim.validation.acceptance.published_estimate`): Wilson's 95% interval of k of
    n, Newcombe's of a difference of two k of n, the published CI rescaled to 95%; else the
    published range; None when the paper gives none.

    Example:
        >>> from tmesim.validation.targets import load_targets
        >>> t = load_targets(["le_2015_dmmr_orr"])[0]
        >>> i = published_bounds(t)
        >>> round(i.low), round(i.high), i.label
        (17, 69, 'Wilson 95% CI of 4/10')
    """
    p = target.published
    if counts_published(target):
        assert p.events is not None and p.n is not None
        _, (low, high) = published_estimate(target)
        if target.metric.type == "fraction_difference":
            label = f"Newcombe 95% CI of {p.events}/{p.n} − {p.reference_events}/{p.reference_n}"
        else:
            label = f"Wilson 95% CI of {p.events}/{p.n}"
        return Interval(low, high, label, True)
    if p.ci is not None:
        _, (low, high) = published_estimate(target)
        level = (
            "published 95% CI"
            if p.ci_level == 0.95
            else (f"published {p.ci_level:.1%} CI, rescaled to 95%")
        )
        return Interval(low, high, level)
    if p.range is not None:
        return Interval(p.range[0], p.range[1], "published range")
    return None


def accepted_region(target: Target) -> tuple[float, float] | None:
    """The simulated values the target's rule accepts, in published units (a bound may be
    infinite), when the rule accepts a fixed region; None when it depends on more than the
    simulated value (the two-sided `consistent` rule also reads the simulated interval)."""
    a, p = target.acceptance, target.published
    if a.rule == "range" and p.range is not None:
        return (p.range[0] - a.margin, p.range[1] + a.margin)
    if a.rule == "tolerance" and p.value is not None:
        allowed = max(a.absolute or 0.0, (a.relative or 0.0) * abs(p.value))
        return (p.value - allowed, p.value + allowed)
    if a.rule == "direction" and a.sign is not None:
        far = math.inf if a.max_size is None else a.max_size
        if a.sign == "positive":
            return (a.no_effect + a.min_size, a.no_effect + far)
        return (a.no_effect - far, a.no_effect - a.min_size)
    return None


def _limits(values: Sequence[float]) -> tuple[float, float]:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return (0.0, 1.0)
    low, high = min(finite), max(finite)
    pad = 0.08 * (high - low) if high > low else max(abs(high) * 0.1, 1.0)
    return (low - pad, high + pad)


def target_figure(target: Target, value: MetricValue | None, verdict: Verdict) -> Figure:
    """Published value and interval (or, for a direction-only result, the expected region)
    above the simulated value and its 95% CI, on one axis; the region the rule accepts is shaded
    behind the simulated value."""
    fig = Figure(figsize=(4.6, 1.7), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    p, s = target.published, target.scale
    interval = published_bounds(target)
    region = accepted_region(target)
    simulated = (
        (value.value * s, value.ci_low * s, value.ci_high * s)
        if value is not None and math.isfinite(value.value)
        else None
    )
    marks = [p.value if p.value is not None else math.nan]
    marks += [interval.low, interval.high] if interval else []
    marks += list(region) if region else []
    marks += list(simulated) if simulated else []
    if p.value is None:
        marks.append(target.acceptance.no_effect)
    low, high = _limits(marks)
    if region is not None:
        r0, r1 = max(region[0], low), min(region[1], high)
        if p.value is None:  # direction only: the region is what was published
            ax.fill_between(
                [r0, r1], 0.7, 1.3, facecolor="none", edgecolor="#9a9a9a", hatch="///", lw=0
            )
        ax.fill_between([r0, r1], -0.35, 0.35, color=ACCEPTED_COLOR, lw=0)
    if p.value is None:
        ax.axvline(target.acceptance.no_effect, color=PUBLISHED_COLOR, ls=":", lw=1)
    else:
        ax.plot([p.value], [1], "o", color=PUBLISHED_COLOR)
    if interval is not None:
        ax.plot([interval.low, interval.high], [1, 1], "-", color=PUBLISHED_COLOR, lw=2)
        ax.plot([interval.low, interval.high], [1, 1], "|", color=PUBLISHED_COLOR, ms=8)
    elif p.value is not None:  # the note goes on the side away from the point
        left = p.value > (low + high) / 2
        ax.text(
            0.02 if left else 0.98,
            1.0,
            "no interval published",
            ha="left" if left else "right",
            va="center",
            transform=ax.get_yaxis_transform(),
            color="#9a9a9a",
            fontsize=8,
        )
    color = PASS_COLOR if verdict.passed else FAIL_COLOR
    if simulated is not None:
        ax.plot([simulated[0]], [0], "s", color=color)
        if math.isfinite(simulated[1]) and math.isfinite(simulated[2]):
            ax.plot(simulated[1:], [0, 0], "-", color=color, lw=2)
    else:
        ax.text(0.5, 0.0, "not simulated", transform=ax.get_yaxis_transform(), ha="center",
                va="center", color=color)  # fmt: skip
    ax.set_xlim(low, high)
    ax.set_yticks([1, 0], ["published", "simulated"])
    ax.set_ylim(-0.6, 1.6)
    ax.set_xlabel(p.units)
    ax.grid(axis="x", color="#eeeeee")
    return fig


def _range_text(region: tuple[float, float] | None, units: str) -> str:
    if region is None:
        return ""
    low, high = region
    if math.isinf(low) and math.isinf(high):
        return "any value"
    if math.isinf(low):
        return f"≤ {high:.3g} {units}"
    if math.isinf(high):
        return f"≥ {low:.3g} {units}"
    return f"{low:.3g}–{high:.3g} {units}"


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


def _interval_text(interval: Interval | None) -> str:
    return "" if interval is None else f"{interval.label}: {interval.low:.3g}–{interval.high:.3g}"


def _published_card_text(target: Target, row: pd.Series) -> str:
    text = f"{row['published']} {row['units']}"
    if row["published_ci"]:
        text += f" ({row['published_ci']})"
    interval = published_bounds(target)
    if interval is not None and interval.from_counts:
        text += f"; {_interval_text(interval)}"
    return text


def _summary_row(target: Target, row: pd.Series) -> dict[str, Any]:
    interval = published_bounds(target)
    published = str(row["published"])
    detail = str(row["published_ci"] or "").replace("n = ", "n\u00a0=\u00a0")
    if interval is not None and interval.from_counts:
        detail = f"{detail}; 95% CI {interval.low:.3g}–{interval.high:.3g}".lstrip("; ")
    low, high = _cell(row["simulated_ci_low"]), _cell(row["simulated_ci_high"])
    return {
        "id": target.id,
        "title": target.title,
        "published": published,
        "published_detail": detail,
        "simulated": _cell(row["simulated"]),
        "simulated_detail": f"{low}–{high}" if low and high else "",
        "units": str(row["units"]),
        "rule": str(row["rule"]),
        "passed": bool(row["passed"]),
        "role": str(row["role"]),
        "n": _cell(row["n_simulated"]),
    }


def render_page(
    table: pd.DataFrame,
    rows: Sequence[tuple[Target, MetricValue | None, Verdict, float, int]],
    record: CalibrationRecord,
    *,
    fast: bool = False,
    overrides: Mapping[str, Mapping[str, float]] | None = None,
    carrying: Mapping[str, str] | None = None,
) -> str:
    """The validation page as HTML text; `overrides` (a what-if run's replaced preset values)
    are named at the top; `carrying` (target id -> the parameters that carry its metric, with
    their provenance, from `tmesim sensitivity` runs) is shown on each target's card."""
    cards, summary = [], []
    for (target, value, verdict, _, _), (_, row) in zip(rows, table.iterrows(), strict=True):
        summary.append(_summary_row(target, row))
        units = row["units"]
        cards.append(
            {
                "id": target.id,
                "title": target.title,
                "citation": target.citation,
                "citation_notes": target.citation_notes,
                "carried_by": (carrying or {}).get(target.id, ""),
                "setting": target.setting,
                "notes": target.published.notes,
                "role": row["role"],
                "passed": bool(row["passed"]),
                "reason": row["reason"],
                "rule": row["rule"],
                "published": _published_card_text(target, row),
                "accepted": _range_text(accepted_region(target), units),
                "simulated": (
                    f"{_cell(row['simulated'])} {units} (95% CI "
                    f"{_cell(row['simulated_ci_low'])}–{_cell(row['simulated_ci_high'])}; "
                    f"{row['simulated_detail']}; n = {row['n_simulated']} per group)"
                    if value is not None
                    else "not simulated (see the result)"
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
        summary=summary,
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

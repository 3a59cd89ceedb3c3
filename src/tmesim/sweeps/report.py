"""The sweep report: one self-contained HTML page drawn from a sweep folder's tables.

It uses the study report's template (`tmesim.report`): a key-results table (the headline endpoint of
every arm at every point), then sections — the design; heatmaps of each endpoint over two axes
(one panel per cohort and arm; numbers in the cells, 95% intervals below them); the synergy maps
(Bliss and highest-single-agent excess with their bootstrap intervals, an asterisk where the
interval excludes 0); every point compared with its intervals (sequencing and other
categorical axes read best there); where the study models toxicity, objective response against
grade 3–4 irAEs with the Pareto front; and the full table.

Example:
    >>> render_sweep_report(Path("runs/sweep"))     # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from tmesim.config.sweep import SweepConfig
from tmesim.io.atomic import atomic_write_text
from tmesim.report.figures import _new_figure, arm_colors
from tmesim.report.html import _figure, _table, _text, render_html
from tmesim.sweeps.design import Point, design_points
from tmesim.sweeps.pareto import TOXICITY, efficacy_toxicity
from tmesim.trials.formatting import DAYS_PER_MONTH, format_median_ci, format_rate_ci

REPORT_FILE = "sweep.html"
MAX_PANELS = 8
"""Most cohort × arm panels in one heatmap figure."""
MAX_FACETS = 4
"""Most heatmap figures per endpoint when the sweep has more than two axes."""
MAX_COMPARED_POINTS = 40
MAX_TABLE_ROWS = 400
HEADLINE = ("ORR", "tumor_free")


def _estimate_text(row: pd.Series) -> str:
    if row["unit"] == "days":
        return format_median_ci(row["estimate"], row["ci_low"], row["ci_high"], DAYS_PER_MONTH)
    return format_rate_ci(row["estimate"], row["ci_low"], row["ci_high"])


def _endpoint_title(endpoint: str, unit: str) -> str:
    name = "tumor-free" if endpoint == "tumor_free" else endpoint
    return f"{name} (months)" if unit == "days" else name


def _plot_scale(unit: str) -> float:
    return DAYS_PER_MONTH if unit == "days" else 0.01  # months, or percent


def _cell_text(value: float, low: float, high: float, unit: str) -> str:
    scale = _plot_scale(unit)

    def f(x: float) -> str:
        return "NR" if math.isinf(x) else ("–" if math.isnan(x) else f"{x / scale:.0f}")

    return f"{f(value)}\n({f(low)}–{f(high)})"


def _levels(points: Sequence[Point], axis: str) -> list[str]:
    """The labels of an axis in design order (numeric axes sorted by value)."""
    seen: dict[str, Any] = {}
    for p in points:
        seen.setdefault(p.labels[axis], p.levels[axis].value)
    labels = list(seen)
    if all(isinstance(v, int | float) for v in seen.values()):
        labels.sort(key=lambda lab: seen[lab])
    return labels


def _heatmap(
    frame: pd.DataFrame,
    panels: Sequence[tuple[str, str]],
    x: str,
    y: str,
    xs: Sequence[str],
    ys: Sequence[str],
    unit: str,
    *,
    diverging: bool = False,
) -> Figure:
    """One heatmap per panel (cohort, arm or cohort, measure): `frame` has columns x, y (labels),
    panel keys `_panel`, estimate, ci_low, ci_high, and optionally `_text` (the cell's text)."""
    n = len(panels)
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    fig = _new_figure(min(4.2 * ncols + 1.0, 17.0), 3.2 * nrows + 0.5)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    scale = 1.0 if diverging else _plot_scale(unit)
    finite = frame["estimate"].replace([np.inf, -np.inf], np.nan) / scale
    if diverging:
        top = float(np.nanmax(np.abs(finite))) if finite.notna().any() else 1.0
        vmin, vmax, cmap = -max(top, 1e-9), max(top, 1e-9), "RdBu_r"
    else:
        vmin = float(np.nanmin(finite)) if finite.notna().any() else 0.0
        vmax = float(np.nanmax(finite)) if finite.notna().any() else 1.0
        vmin, vmax, cmap = (
            (0.0, 100.0, "viridis") if unit == "fraction" else (vmin, vmax, "viridis")
        )
    image = None
    for ax, panel in zip(axes, panels, strict=False):
        sub = frame[frame["_panel"] == panel]
        grid = np.full((len(ys), len(xs)), np.nan)
        for _, row in sub.iterrows():
            i, j = ys.index(str(row[y])), xs.index(str(row[x]))
            value = row["estimate"]
            grid[i, j] = value / scale if math.isfinite(value) else np.nan
            text = (
                str(row["_text"]).replace(" (", "\n(")
                if "_text" in row
                else _cell_text(value, row["ci_low"], row["ci_high"], unit)
            )
            ax.text(j, i, text, ha="center", va="center", fontsize=7, color="black",
                    bbox={"facecolor": "white", "alpha": 0.6, "lw": 0, "pad": 1})  # fmt: skip
        image = ax.imshow(grid, origin="lower", aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax)
        ax.set_xticks(range(len(xs)), xs, fontsize=8, rotation=20 if len(xs) > 4 else 0)
        ax.set_yticks(range(len(ys)), ys, fontsize=8)
        ax.set_xlabel(x, fontsize=9)
        ax.set_ylabel(y, fontsize=9)
        ax.set_title(" / ".join(panel), fontsize=9)
    for ax in axes[n:]:
        ax.set_visible(False)
    if image is not None:
        label = "synergy (excess)" if diverging else ("%" if unit == "fraction" else "months")
        fig.colorbar(image, ax=list(axes[:n]), shrink=0.8, label=label)
    return fig


def _scatter(
    frame: pd.DataFrame, panels: Sequence[tuple[str, str]], x: str, y: str, unit: str
) -> Figure:
    """Sampled designs: every point at its two axis values, coloured by the estimate."""
    n = len(panels)
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    fig = _new_figure(min(4.2 * ncols + 1.0, 17.0), 3.2 * nrows + 0.5)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    scale = _plot_scale(unit)
    values = frame["estimate"].replace([np.inf, -np.inf], np.nan) / scale
    vmin, vmax = (0.0, 100.0) if unit == "fraction" else (values.min(), values.max())
    image = None
    for ax, panel in zip(axes, panels, strict=False):
        sub = frame[frame["_panel"] == panel]
        v = sub["estimate"].replace([np.inf, -np.inf], np.nan) / scale
        image = ax.scatter(sub[x], sub[y], c=v, cmap="viridis", vmin=vmin, vmax=vmax, s=40)
        ax.set_xlabel(x, fontsize=9)
        ax.set_ylabel(y, fontsize=9)
        ax.set_title(" / ".join(panel), fontsize=9)
    for ax in axes[n:]:
        ax.set_visible(False)
    if image is not None:
        fig.colorbar(
            image, ax=list(axes[:n]), shrink=0.8, label="%" if unit == "fraction" else "months"
        )
    return fig


def _forest(
    frame: pd.DataFrame,
    labels: Sequence[str],
    arms: Sequence[str],
    unit: str,
    colors: dict,
    title: str,
) -> Figure:
    """Each point (rows) with the estimate and 95% interval of every arm."""
    fig = _new_figure(7.5, 0.32 * len(labels) * max(1, min(len(arms), 3)) + 1.2)
    ax = fig.subplots()
    scale = _plot_scale(unit)
    k = len(arms)
    for a, arm in enumerate(arms):
        sub = frame[frame["arm"] == arm].set_index("_label").reindex(labels)
        offset = (a - (k - 1) / 2) * (0.7 / max(k, 1))
        yy = np.arange(len(labels)) + offset
        est = sub["estimate"].to_numpy(float) / scale
        finite = np.isfinite(est)
        est, yy = est[finite], yy[finite]
        lo = sub["ci_low"].to_numpy(float)[finite] / scale
        hi = sub["ci_high"].to_numpy(float)[finite] / scale
        lo, hi = np.where(np.isfinite(lo), lo, est), np.where(np.isfinite(hi), hi, est)
        ax.errorbar(
            est,
            yy,
            xerr=[(est - lo).clip(0), (hi - est).clip(0)],
            fmt="o",
            ms=4,
            color=colors.get(arm),
            label=arm,
            capsize=2,
        )
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("%" if unit == "fraction" else "months (median, NR not drawn)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return fig


def _synergy_forest(frame: pd.DataFrame, labels: Sequence[str], title: str) -> Figure:
    """Bliss and HSA excess (and Loewe index) at every point with their intervals."""
    measures = list(dict.fromkeys(frame["measure"]))
    fig = _new_figure(4.0 * len(measures) + 1.5, 0.35 * len(labels) + 1.3)
    axes = np.atleast_1d(fig.subplots(1, len(measures), sharey=True, squeeze=False)).ravel()
    for ax, measure in zip(axes, measures, strict=True):
        sub = frame[frame["measure"] == measure].set_index("_label").reindex(labels)
        y = np.arange(len(labels))
        est = sub["estimate"].to_numpy(float)
        ok = np.isfinite(est)
        low = sub["ci_low"].to_numpy(float)
        high = sub["ci_high"].to_numpy(float)
        low, high = np.where(np.isfinite(low), low, est), np.where(np.isfinite(high), high, est)
        err = [(est - low)[ok].clip(0), (high - est)[ok].clip(0)]
        est, y = est[ok], y[ok]
        ax.errorbar(est, y, xerr=err, fmt="o", ms=4, color="#1f77b4", capsize=2)
        ax.axvline(1.0 if measure == LOEWE else 0.0, color="#888", lw=1, ls="--")
        ax.set_title(f"{title}: {measure}", fontsize=9)
        ax.set_xlabel("index (below 1: synergy)" if measure == LOEWE else "excess (fraction)")
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(labels)), labels, fontsize=8)
    axes[0].invert_yaxis()
    return fig


def _point_label(point: Point) -> str:
    return ", ".join(f"{k}: {v}" for k, v in point.labels.items())


def _labelled(table: pd.DataFrame, points: Sequence[Point]) -> pd.DataFrame:
    """The table with every axis as its label (text) and a `_label` column naming the point."""
    by_index = {p.index: p for p in points}
    out = table.copy()
    for name in points[0].labels:
        out[name] = [by_index[i].labels[name] for i in out["point"]]
    out["_label"] = [_point_label(by_index[i]) for i in out["point"]]
    return out


def _endpoints(table: pd.DataFrame) -> list[tuple[str, str]]:
    """(endpoint, unit) pairs worth a heatmap, in a reader's order."""
    order = ["tumor_free", "ORR", "CR", "DCR"]
    found = list(dict.fromkeys(zip(table["endpoint"], table["unit"], strict=True)))
    first = [e for name in order for e in found if e[0] == name]
    medians = [e for e in found if e[0].startswith("median")]
    landmarks = [e for e in found if " at day " in e[0]]
    return first + medians + landmarks


def _regimen_text(regimen: Any) -> str:
    """A regimen as its string form (typed dose steps included), or as written if unreadable."""
    from tmesim.errors import TmesimError
    from tmesim.therapies.regimen import regimen_from_config

    try:
        return str(regimen_from_config(regimen))
    except (TmesimError, TypeError, ValueError):
        return str(regimen)


def _design_section(
    config: SweepConfig, points: Sequence[Point], info: dict, toxicity: bool
) -> dict[str, Any]:
    rows = []
    for axis in config.axes:
        if axis.levels is not None:
            what = "; ".join(
                f"{name}: " + ", ".join(f"{k}={v}" for k, v in entries.items())
                for name, entries in axis.levels.items()
            )
            rows.append((axis.name, "(levels)", what))
        elif axis.range is not None:
            rows.append((axis.name, ", ".join(axis.paths), f"{axis.range} ({axis.scale})"))
        else:
            labels = axis.labels or [str(v) for v in axis.values or []]
            rows.append((axis.name, ", ".join(axis.paths), ", ".join(labels)))
    template = info.get("template", {})
    arms = [(a.get("name"), _regimen_text(a.get("regimen", "untreated")))
            for a in template.get("arms", [])]  # fmt: skip
    n = [c.get("n", 10) for c in template.get("cohorts", [])]
    design = config.design
    how = (
        "every combination of the axes' values (full factorial)"
        if design.kind == "grid"
        else f"{design.n} points of a {design.kind.replace('_', ' ')} design (seed {design.seed})"
    )
    blocks = [
        _text(
            f"{len(points)} points: {how}. Every point is the study “{template.get('title', '')}” "
            f"with the axes' entries set, run with the study's seed ({template.get('seed', 0)}), "
            f"so every point treats the same virtual patients ({', '.join(map(str, n))} per arm "
            "and cohort): differences between points come from the design alone."
        ),
        _table("Axes", ("Axis", "Study entries", "Values"), rows),
        _table(
            "Arms of the study template (before the axes set their entries)",
            ("Arm", "Regimen"),
            arms,
        ),  # fmt: skip
    ]
    if not toxicity:
        blocks.append(_text(
            "The study does not model toxicity (`toxicity.enabled`), so the report shows no "
            "efficacy–toxicity trade-off (Pareto front)."
        ))  # fmt: skip
    return {"id": "design", "title": "Design", "blocks": blocks}


def _heatmap_sections(
    config: SweepConfig, points: Sequence[Point], table: pd.DataFrame
) -> list[dict[str, Any]]:
    axes = config.heatmap_axes
    blocks: list[dict[str, Any]] = []
    panels_all = list(dict.fromkeys(zip(table["cohort"], table["arm"], strict=True)))
    panels = panels_all[:MAX_PANELS]
    more = "" if len(panels_all) <= MAX_PANELS else f" (first {MAX_PANELS} of {len(panels_all)})"
    if axes is None:
        return []
    x, y = axes
    others = [a.name for a in config.axes if a.name not in axes]
    for endpoint, unit in _endpoints(table):
        sub = table[(table["endpoint"] == endpoint) & (table["unit"] == unit)].copy()
        sub["_panel"] = list(zip(sub["cohort"], sub["arm"], strict=True))
        title = _endpoint_title(endpoint, unit)
        if config.design.kind != "grid":
            raw = sub.copy()
            for name in (x, y):
                raw[name] = [p.values[name] for p in (points[i] for i in raw["point"])]
            if all(pd.api.types.is_numeric_dtype(raw[n]) for n in (x, y)):
                fig = _scatter(raw, panels, x, y, unit)
                blocks.append(_figure(fig, title, f"{title} at each sampled point{more}."))
            continue
        facets = list(itertools.product(*(_levels(points, o) for o in others)))
        for facet in facets[:MAX_FACETS]:
            part = sub
            for name, label in zip(others, facet, strict=True):
                part = part[part[name] == label]
            where = ", ".join(f"{n} {v}" for n, v in zip(others, facet, strict=True))
            fig = _heatmap(part, panels, x, y, _levels(points, x), _levels(points, y), unit)
            caption = (
                f"{title} over {x} × {y}{', at ' + where if where else ''}{more}: estimate in each "
                "cell, 95% interval below it"
                + (" (NR: median not reached)." if unit == "days" else ".")
            )
            blocks.append(_figure(fig, title, caption))
    if not blocks:
        return []
    return [{"id": "heatmaps", "title": "Heatmaps", "blocks": blocks}]


LOEWE = "Loewe index"


def _excess_text(row: pd.Series) -> str:
    """``+0.12 (+0.03, +0.25) *`` for an excess, ``0.62 (0.41, 0.95) *`` for a Loewe index."""
    if row["measure"] == LOEWE:
        if not math.isfinite(row["estimate"]):
            return "undefined"
        star = row["ci_high"] < 1 or row["ci_low"] > 1
        return f"{row['estimate']:.2f} ({row['ci_low']:.2f}, {row['ci_high']:.2f})" + (
            " *" if star else ""
        )
    star = row["ci_low"] > 0 or row["ci_high"] < 0
    return f"{row['estimate']:+.2f} ({row['ci_low']:+.2f}, {row['ci_high']:+.2f})" + (
        " *" if star else ""
    )


def _synergy_section(
    config: SweepConfig, points: Sequence[Point], synergy: pd.DataFrame
) -> list[dict[str, Any]]:
    s = config.synergy
    if s is None or synergy.empty:
        return []
    level = f"{s.confidence:.0%}"
    loewe = (
        f"Loewe index = a/D_A(E_AB) + b/D_B(E_AB), with D_X(E) the dose of X alone giving E read "
        f"off its dose-response over the swept doses ({s.dose_a}, {s.dose_b}): below 1 "
        "synergy, 1 additive, above 1 antagonism; undefined where an agent alone does not reach "
        "the combination's effect within the swept doses; * marks an interval that excludes 1."
        if s.dose_a is not None
        else "Loewe additivity needs each agent's dose axis (synergy.dose_a and dose_b) and is "
        "not computed."
    )
    blocks: list[dict[str, Any]] = [
        _text(
            f"Arms combined: A = {s.a}, B = {s.b}, A + B = {s.combination}. Bliss excess = "
            "E_AB − (E_A + E_B − E_A·E_B): what the combination adds beyond two agents acting "
            "independently on the same patients; HSA excess = E_AB − max(E_A, E_B): what it adds "
            f"beyond the better agent alone. Positive: synergy. Intervals: {level} paired "
            f"bootstrap over patients ({s.bootstrap} resamples); * marks an interval that "
            f"excludes 0. {loewe}"
        )
    ]
    axes = config.heatmap_axes
    labelled = synergy.copy()
    labelled["_text"] = [_excess_text(r) for _, r in labelled.iterrows()]
    is_loewe = labelled["measure"] == LOEWE
    # Loewe is drawn as −log2(index), so that red means synergy in every panel.
    labelled.loc[is_loewe, "estimate"] = -np.log2(labelled.loc[is_loewe, "estimate"])
    for endpoint in dict.fromkeys(labelled["endpoint"]):
        sub = labelled[labelled["endpoint"] == endpoint].copy()
        name = _endpoint_title(endpoint, "fraction")
        if axes is not None and config.design.kind == "grid" and len(config.axes) == 2:
            x, y = axes
            sub["_panel"] = list(zip(sub["cohort"], sub["measure"], strict=True))
            panels = list(dict.fromkeys(sub["_panel"]))[:MAX_PANELS]
            fig = _heatmap(
                sub, panels, x, y, _levels(points, x), _levels(points, y), "fraction",
                diverging=True,
            )  # fmt: skip
            blocks.append(_figure(fig, f"synergy {name}",
                                  f"Synergy map of {name}: the excess (fraction of patients) or "
                                  f"the Loewe index in each cell with its {level} interval; red: "
                                  "synergy (colour of the Loewe panel: −log2 of the index)."))  # fmt: skip
        else:
            labels = [_point_label(p) for p in points][:MAX_COMPARED_POINTS]
            for cohort in dict.fromkeys(sub["cohort"]):
                part = synergy[(synergy["endpoint"] == endpoint) & (synergy["cohort"] == cohort)]
                part = part[part["_label"].isin(labels)]
                fig = _synergy_forest(part, labels, name)
                blocks.append(_figure(fig, f"synergy {name}",
                                      f"Synergy of {name}, {cohort}, at every point with its "
                                      f"{level} interval; the dashed line marks no synergy (0, "
                                      "or 1 for the Loewe index)."))  # fmt: skip
        measures = list(dict.fromkeys(sub["measure"]))
        rows = []
        for (point, cohort), g in sub.groupby(["point", "cohort"], sort=False):
            first = g.iloc[0]
            texts = {r["measure"]: r["_text"] for _, r in g.iterrows()}
            rows.append((
                _point_label(points[int(point)]), cohort,
                f"{first['e_a']:.0%}", f"{first['e_b']:.0%}", f"{first['e_ab']:.0%}",
                *(texts.get(m, "–") for m in measures),
            ))  # fmt: skip
        blocks.append(_table(
            f"Synergy of {name} at every point",
            ("Point", "Cohort", "E_A", "E_B", "E_AB", *(f"{m} ({level})" for m in measures)),
            rows[:MAX_TABLE_ROWS],
        ))  # fmt: skip
    return [{"id": "synergy", "title": "Synergy", "blocks": blocks}]


def _compare_section(
    points: Sequence[Point], table: pd.DataFrame, colors: dict
) -> list[dict[str, Any]]:
    if len(points) > MAX_COMPARED_POINTS:
        return []
    labels = [_point_label(p) for p in points]
    blocks = []
    arms = list(dict.fromkeys(table["arm"]))
    for endpoint, unit in _endpoints(table):
        if " at day " in endpoint:
            continue
        sub = table[(table["endpoint"] == endpoint) & (table["unit"] == unit)]
        for cohort in dict.fromkeys(sub["cohort"]):
            part = sub[sub["cohort"] == cohort]
            title = _endpoint_title(endpoint, unit)
            fig = _forest(part, labels, arms, unit, colors, f"{title}, {cohort}")
            blocks.append(_figure(fig, title, f"{title}, {cohort}: every point (rows), each arm "
                                  "with its 95% interval."))  # fmt: skip
    return [{"id": "points", "title": "Points compared", "blocks": blocks}] if blocks else []


def _tradeoff_section(
    points: Sequence[Point], table: pd.DataFrame, colors: dict
) -> list[dict[str, Any]]:
    """ORR against the grade 3–4 irAE rate of every point × arm, the Pareto front joined."""
    both = efficacy_toxicity(table)
    if both.empty:
        return []
    labels = [_point_label(p) for p in points]
    blocks = []
    for cohort, part in both.groupby("cohort", sort=False):
        fig = _new_figure(6.4, 4.4)
        ax = fig.subplots()
        for arm, rows in part.groupby("arm", sort=False):
            x, y = 100 * rows["irae"].to_numpy(float), 100 * rows["orr"].to_numpy(float)
            xerr = np.abs(100 * rows[["irae_low", "irae_high"]].to_numpy(float).T - x)
            yerr = np.abs(100 * rows[["orr_low", "orr_high"]].to_numpy(float).T - y)
            ax.errorbar(x, y, xerr=xerr, yerr=yerr, fmt="o", ms=5, lw=0.8, alpha=0.8,
                        color=colors.get(arm), label=str(arm))  # fmt: skip
        front = part[part["pareto"]].sort_values("irae")
        ax.plot(100 * front["irae"], 100 * front["orr"], "k--", lw=1.0, label="Pareto front")
        ax.set_xlabel("grade 3–4 irAE (%)")
        ax.set_ylabel("objective response (%)")
        ax.legend(fontsize=8, loc="lower right", frameon=False)
        caption = (
            f"{cohort}: objective response against grade 3–4 immune-related adverse events at "
            "every point and arm (95% intervals); the dashed line joins the designs no other "
            "beats on both."
        )
        blocks.append(_figure(fig, "Efficacy and toxicity", caption))
        rows = [
            (labels[int(r.point)], r.arm, format_rate_ci(r.orr, r.orr_low, r.orr_high),
             format_rate_ci(r.irae, r.irae_low, r.irae_high))
            for r in front.itertuples()
        ]  # fmt: skip
        blocks.append(
            _table(f"Pareto front, {cohort}", ("Point", "Arm", "ORR", "Grade 3–4 irAE"), rows)
        )
    return [{"id": "tradeoff", "title": "Efficacy and toxicity", "blocks": blocks}]


def _full_table(points: Sequence[Point], table: pd.DataFrame) -> dict[str, Any]:
    axes = list(points[0].labels)
    rows = [
        (*(r[a] for a in axes), r["cohort"], r["arm"], _endpoint_title(r["endpoint"], r["unit"]),
         f"{int(r['n'])}", _estimate_text(r))
        for _, r in table.head(MAX_TABLE_ROWS).iterrows()
    ]  # fmt: skip
    note = (
        f"First {MAX_TABLE_ROWS} of {len(table)} rows; sweep.csv holds them all."
        if len(table) > MAX_TABLE_ROWS
        else "The same rows as sweep.csv and sweep.parquet."
    )
    block = _table("Every endpoint at every point", (*axes, "Cohort", "Arm", "Endpoint", "n",
                   "Estimate (95% CI)"), rows, note)  # fmt: skip
    return {"id": "table", "title": "All endpoints", "blocks": [block]}


def _key_results(points: Sequence[Point], table: pd.DataFrame) -> dict[str, Any]:
    headline = next((e for e in HEADLINE if e in set(table["endpoint"])), None)
    arms = list(dict.fromkeys(zip(table["cohort"], table["arm"], strict=True)))
    axes = list(points[0].labels)
    rows = []
    if headline is not None:
        sub = table[table["endpoint"] == headline]
        index = {(r["point"], r["cohort"], r["arm"]): r for _, r in sub.iterrows()}
        for p in points[:MAX_TABLE_ROWS]:
            cells = [
                _estimate_text(index[(p.index, c, a)]) if (p.index, c, a) in index else "–"
                for c, a in arms
            ]
            rows.append((*p.labels.values(), *cells))
    title = _endpoint_title(headline or "", "fraction")
    arm_names = [a if len({c for c, _ in arms}) == 1 else f"{c} / {a}" for c, a in arms]
    return _table(f"{title} (95% CI) at every point", (*axes, *arm_names), rows)


def render_sweep_report(out_dir: Path, out: Path | None = None) -> Path:
    """Write the HTML report of a sweep folder (``sweep.json`` and its tables); returns its path."""
    out_dir = Path(out_dir)
    info = json.loads((out_dir / "sweep.json").read_text())
    config = SweepConfig.model_validate(info["config"])
    points = design_points(config)
    table = _labelled(pd.read_parquet(out_dir / "sweep.parquet"), points)
    synergy_path = out_dir / "synergy.parquet"
    synergy = (
        _labelled(pd.read_parquet(synergy_path), points)
        if synergy_path.exists()
        else pd.DataFrame()
    )
    template = info.get("template", {})
    arms = [a.get("name") for a in template.get("arms", [])]
    treated = [
        {
            "name": a.get("name"),
            "doses": [] if a.get("regimen", "untreated") == "untreated" else [1],
        }
        for a in template.get("arms", [])
    ]
    colors = arm_colors(arms, control=next((a["name"] for a in treated if not a["doses"]), None))
    modeled = bool((table["endpoint"] == TOXICITY).any())
    sections = [_design_section(config, points, info, modeled)]
    sections += _heatmap_sections(config, points, table)
    sections += _synergy_section(config, points, synergy)
    sections += _compare_section(points, table, colors)
    sections += _tradeoff_section(points, table, colors)
    sections.append(_full_table(points, table))
    manifest_path = out_dir / "manifest.json"
    manifest = manifest_path.read_text() if manifest_path.exists() else None
    paragraphs = [
        " ".join(block.split()) for block in config.description.split("\n\n") if block.strip()
    ]
    kind = "Mouse study" if info.get("kind") == "mouse_study" else "Clinical trial"
    context = {
        "title": config.title,
        "paragraphs": paragraphs,
        "subtitle": (
            f"Sweep of a {kind.lower()} · {len(points)} points over "
            f"{' × '.join(a.name for a in config.axes)} · {config.design.kind} design · the same "
            "virtual patients at every point"
        ),
        "key_results": _key_results(points, table),
        "key_warning": "",
        "statistics_note": (
            "Proportions with 95% intervals (response rates: Clopper–Pearson; tumor-free: "
            "Wilson); medians from Kaplan–Meier estimates with 95% intervals (months; NR: not "
            "reached); landmark survival with Kaplan–Meier pointwise intervals."
        ),
        "sections": sections,
        "manifest": manifest,
        "run_dir": out_dir.name,
    }
    return atomic_write_text(Path(out) if out else out_dir / REPORT_FILE, render_html(context))

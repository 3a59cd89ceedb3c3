"""Figures of a virtual study, each drawn from tidy tables and returned as a matplotlib Figure.

Figures are built with :class:`matplotlib.figure.Figure` and the Agg canvas, never through
``pyplot``: nothing opens a window, nothing changes the global backend, and a figure is freed as
soon as it is dropped. :func:`figure_to_base64` turns one into an inline PNG.

Every function takes the cohort and arm order to use (the study's order), so panels and colours
agree between figures.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from tmesim.trials.formatting import DAYS_PER_MONTH

DAYS_PER_WEEK = 7.0
VOLUME_FLOOR_MM3 = 0.1
WATERFALL_CAP_PERCENT = 100.0
SPIDER_CAP_PERCENT = 200.0

CONTROL_COLOR = "#4d4d4d"
ARM_PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
)
RESPONSE_COLORS = {
    "CR": "#1a7f37",
    "PR": "#74c476",
    "SD": "#f2b134",
    "PD": "#c0392b",
    "NE": "#9e9e9e",
}
# iRECIST categories are drawn like their RECIST counterparts.
RESPONSE_CLASS = {"iCR": "CR", "iPR": "PR", "iSD": "SD", "iUPD": "PD", "iCPD": "PD"}
DRUG_MARKERS = ("v", "o", "s", "D", "^", "P", "X", "*", "h", "<", ">")
DRUG_PALETTE = (*ARM_PALETTE, "#7f7f7f")


def arm_colors(arms: Sequence[str], control: str | None = None) -> dict[str, str]:
    """One colour per arm: dark grey for the control arm, a distinct hue for each other arm.

    Example:
        >>> arm_colors(["vehicle", "anti-PD-1"], control="vehicle")
        {'vehicle': '#4d4d4d', 'anti-PD-1': '#1f77b4'}
    """
    colors: dict[str, str] = {}
    others = iter(ARM_PALETTE * (1 + len(arms) // len(ARM_PALETTE)))
    for arm in arms:
        colors[arm] = CONTROL_COLOR if arm == control else next(others)
    return colors


def even_subsample(n: int, k: int) -> np.ndarray:
    """Indices of at most ``k`` of ``n`` items spread evenly (first and last included).

    Example:
        >>> even_subsample(10, 4).tolist()
        [0, 3, 6, 9]
        >>> even_subsample(3, 5).tolist()
        [0, 1, 2]
    """
    if n <= k:
        return np.arange(n)
    if k <= 1:
        return np.zeros(min(k, n), dtype=int)
    return np.unique(np.round(np.linspace(0, n - 1, k)).astype(int))


def figure_to_base64(fig: Figure, dpi: int = 110) -> str:
    """Encode a figure as base64 PNG text, ready for ``<img src="data:image/png;base64,...">``."""
    buffer = io.BytesIO()
    FigureCanvasAgg(fig)
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _panel_size(ncols: int, nrows: int, w: float = 3.4, h: float = 2.7) -> tuple[float, float]:
    return min(w * ncols + 0.8, 17.0), h * nrows + 0.6


def _trajectories(
    frame: pd.DataFrame, x: str, y: str, id_columns: Sequence[str]
) -> list[np.ndarray]:
    """One (m, 2) array of points per patient, sorted by ``x`` (input for a LineCollection)."""
    if frame.empty:
        return []
    ordered = frame.sort_values([*id_columns, x], kind="stable")
    keys = ordered[list(id_columns)].astype(str).agg("\x1f".join, axis=1).to_numpy()
    points = ordered[[x, y]].to_numpy(dtype=float)
    breaks = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    return [p for p in np.split(points, breaks) if len(p) > 0]


def regimen_figure(
    doses: pd.DataFrame,
    arms: Sequence[str],
    *,
    follow_up_days: float,
    rechallenge_day: float | None = None,
) -> Figure:
    """Dosing schedule of every arm: a row per arm, a marker per dose, a marker style per drug.

    ``doses`` has columns arm, drug, day (one row per administered dose).
    """
    drugs = list(dict.fromkeys(doses["drug"])) if not doses.empty else []
    style = {
        drug: (DRUG_MARKERS[i % len(DRUG_MARKERS)], DRUG_PALETTE[i % len(DRUG_PALETTE)])
        for i, drug in enumerate(drugs)
    }
    fig = _new_figure(10.0, 0.55 * len(arms) + 1.4)
    ax = fig.add_subplot()
    last = max(float(doses["day"].max()) if not doses.empty else 0.0, rechallenge_day or 0.0)
    x_max = last * 1.05 + 1.0 if last > 0 else max(float(follow_up_days), 1.0)
    for row, arm in enumerate(arms):
        y = len(arms) - 1 - row
        ax.axhline(y, color="#dddddd", linewidth=0.8, zorder=0)
        given = doses[doses["arm"] == arm]
        if given.empty:
            ax.text(0.01 * x_max, y + 0.12, "no treatment", fontsize=8, color="#777777")
        in_row = [d for d in drugs if (given["drug"] == d).any()]
        offsets = np.linspace(0.16, -0.16, len(in_row)) if len(in_row) > 1 else [0.0] * len(in_row)
        for drug, offset in zip(in_row, offsets, strict=True):
            days = given.loc[given["drug"] == drug, "day"].to_numpy(dtype=float)
            if days.size:
                marker, color = style[drug]
                ax.scatter(
                    days,
                    np.full(days.size, y + offset),
                    marker=marker,
                    color=color,
                    s=36,
                    edgecolors="black",
                    linewidths=0.4,
                    zorder=3,
                )
    if rechallenge_day is not None:
        ax.axvline(rechallenge_day, color="black", linestyle=":", linewidth=1)
        ax.text(rechallenge_day, len(arms) - 0.45, " rechallenge", fontsize=8, va="bottom")
    ax.set_yticks(range(len(arms)), list(reversed(arms)))
    ax.set_ylim(-0.6, len(arms) - 0.4)
    ax.set_xlim(-0.02 * x_max, x_max * 1.02)
    ax.set_xlabel("Day")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    if drugs:
        handles = [
            Line2D(
                [],
                [],
                marker=style[d][0],
                color=style[d][1],
                markeredgecolor="black",
                markeredgewidth=0.4,
                linestyle="none",
                label=d,
            )
            for d in drugs
        ]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return fig


def growth_figure(
    burden: pd.DataFrame,
    cohorts: Sequence[str],
    arms: Sequence[str],
    *,
    colors: Mapping[str, str],
    endpoint_volume_mm3: float | None = None,
) -> Figure:
    """Tumor volume per mouse (thin lines) and the arm median (thick), rows cohorts, cols arms.

    ``burden`` has columns cohort, arm, patient_id, day, tumor_volume_mm3. Volumes below
    ``VOLUME_FLOOR_MM3`` are drawn at the floor of the log axis.
    """
    nrows, ncols = max(len(cohorts), 1), max(len(arms), 1)
    fig = _new_figure(*_panel_size(ncols, nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True)
    data = burden.assign(
        tumor_volume_mm3=burden["tumor_volume_mm3"].clip(lower=VOLUME_FLOOR_MM3)
    ).dropna(subset=["day", "tumor_volume_mm3"])
    groups = dict(tuple(data.groupby(["cohort", "arm"], sort=False)))
    for r, cohort in enumerate(cohorts):
        for c, arm in enumerate(arms):
            ax = axes[r, c]
            panel = groups.get((cohort, arm))
            color = colors.get(arm, CONTROL_COLOR)
            if panel is not None and not panel.empty:
                lines = _trajectories(panel, "day", "tumor_volume_mm3", ["patient_id"])
                width = 0.6 if len(lines) <= 50 else 0.35
                alpha = 0.55 if len(lines) <= 50 else 0.25
                ax.add_collection(
                    LineCollection(lines, colors=color, linewidths=width, alpha=alpha)
                )
                n_mice = panel["patient_id"].nunique()
                by_day = panel.groupby("day")["tumor_volume_mm3"]
                median = by_day.median()[by_day.size() * 2 >= n_mice]
                ax.plot(median.index, median.to_numpy(), color="black", linewidth=1.8)
                ax.text(
                    0.97,
                    0.04,
                    f"n = {n_mice}",
                    transform=ax.transAxes,
                    fontsize=8,
                    ha="right",
                    va="bottom",
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0},
                )
            else:
                ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", color="#777")
            if endpoint_volume_mm3:
                ax.axhline(endpoint_volume_mm3, color="black", linestyle="--", linewidth=0.9)
            ax.set_yscale("log")
            if r == 0:
                ax.set_title(arm, fontsize=10, color=color)
            if c == 0:
                ax.set_ylabel(f"{cohort}\nvolume (mm³)" if len(cohorts) > 1 else "volume (mm³)")
            if r == nrows - 1:
                ax.set_xlabel("Day")
    if not data.empty:
        axes[0, 0].set_xlim(float(data["day"].min()), float(data["day"].max()))
        top = float(data["tumor_volume_mm3"].max())
        if endpoint_volume_mm3:
            top = max(top, float(endpoint_volume_mm3))
        axes[0, 0].set_ylim(VOLUME_FLOOR_MM3 * 0.8, top * 1.6)
    return fig


MECHANISM_LABELS = {
    "cd8_tumor_density": ("CD8 T cells in the tumor (cells/mm³)", True),
    "cd8_exhausted_fraction": ("exhausted fraction of tumor CD8", False),
    "mdsc_density": ("MDSC (cells/mm³)", True),
    "tam_m1_fraction": ("M1-like fraction of TAMs", False),
    "myeloid_suppression": ("myeloid suppression of T cells (0–1)", False),
}
"""Mechanism observables the runner saves with the tumor burden, with axis labels (log axis?)."""


def mechanism_figure(
    medians: pd.DataFrame,
    cohorts: Sequence[str],
    arms: Sequence[str],
    *,
    colors: Mapping[str, str],
) -> Figure:
    """Median of each mechanism observable over time: rows observables, columns cohorts, one line
    per arm. ``medians`` has columns cohort, arm, day and one column per observable."""
    shown = [k for k in MECHANISM_LABELS if k in medians.columns]
    nrows, ncols = max(len(shown), 1), max(len(cohorts), 1)
    fig = _new_figure(*_panel_size(ncols, nrows, w=3.6, h=2.2))
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
    for c, cohort in enumerate(cohorts):
        for r, column in enumerate(shown):
            ax = axes[r, c]
            label, log = MECHANISM_LABELS[column]
            for arm in arms:
                line = medians[(medians["cohort"] == cohort) & (medians["arm"] == arm)]
                if line.empty:
                    continue
                values = line[column].to_numpy(dtype=float)
                if log:
                    values = np.clip(values, 1e-2, None)
                ax.plot(line["day"], values, color=colors.get(arm, CONTROL_COLOR), label=arm)
            if log:
                ax.set_yscale("log")
            if r == 0:
                ax.set_title(cohort, fontsize=10)
            if c == 0:
                ax.set_ylabel(label, fontsize=8)
            if r == nrows - 1:
                ax.set_xlabel("Day")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if handles:
        fig.legend(
            handles,
            labels,
            loc="outside upper center",
            ncol=min(len(labels), 4),
            fontsize=8,
            frameon=False,
        )
    return fig


def rechallenge_figure(
    burden: pd.DataFrame,
    cohorts: Sequence[str],
    arms: Sequence[str],
    *,
    colors: Mapping[str, str],
    day_offset: float = 0.0,
    endpoint_volume_mm3: float | None = None,
    naive: pd.DataFrame | None = None,
) -> Figure:
    """Tumor volume of rechallenged mice after the second implant, a panel per cohort.

    ``burden`` holds the rechallenge rows (cohort, arm, patient_id, day, tumor_volume_mm3);
    lines are coloured by the arm the mouse was treated in; day 0 is the rechallenge when
    ``day_offset`` is the rechallenge day. ``naive`` (days from their implant) holds naive mice
    given the same cells, drawn in light grey.
    """
    ncols = max(len(cohorts), 1)
    fig = _new_figure(*_panel_size(ncols, 1, w=4.2, h=3.0))
    axes = fig.subplots(1, ncols, squeeze=False, sharex=True, sharey=True)[0]
    data = burden.assign(
        day=burden["day"] - day_offset,
        tumor_volume_mm3=burden["tumor_volume_mm3"].clip(lower=VOLUME_FLOOR_MM3),
    ).dropna(subset=["day", "tumor_volume_mm3"])
    present = []
    naive_color = "#b0b0b0"
    for ax, cohort in zip(axes, cohorts, strict=False):
        if naive is not None and not naive.empty:
            panel = naive[naive["cohort"] == cohort].assign(
                tumor_volume_mm3=lambda d: d["tumor_volume_mm3"].clip(lower=VOLUME_FLOOR_MM3)
            )
            if not panel.empty:
                lines = _trajectories(panel, "day", "tumor_volume_mm3", ["patient_id"])
                ax.add_collection(
                    LineCollection(lines, colors=naive_color, linewidths=0.6, linestyles="dashed")
                )
                present.append("naive")
        for arm in arms:
            panel = data[(data["cohort"] == cohort) & (data["arm"] == arm)]
            if panel.empty:
                continue
            present.append(arm)
            lines = _trajectories(panel, "day", "tumor_volume_mm3", ["patient_id"])
            ax.add_collection(
                LineCollection(lines, colors=colors.get(arm, CONTROL_COLOR), linewidths=0.8)
            )
        if endpoint_volume_mm3:
            ax.axhline(endpoint_volume_mm3, color="black", linestyle="--", linewidth=0.9)
        ax.set_yscale("log")
        ax.set_title(cohort, fontsize=10)
        ax.set_xlabel("Days after rechallenge" if day_offset or naive is not None else "Day")
    axes[0].set_ylabel("volume (mm³)")
    if not data.empty:
        axes[0].set_xlim(float(data["day"].min()), float(data["day"].max()))
        top = float(data["tumor_volume_mm3"].max())
        if naive is not None and not naive.empty:
            top = max(top, float(naive["tumor_volume_mm3"].max()))
        if endpoint_volume_mm3:
            top = max(top, float(endpoint_volume_mm3))
        axes[0].set_ylim(VOLUME_FLOOR_MM3 * 0.8, top * 1.6)
    handles = [Line2D([], [], color=colors.get(a, CONTROL_COLOR), label=a) for a in arms]
    handles = [h for h in handles if h.get_label() in present]
    if "naive" in present:
        handles.append(
            Line2D([], [], color=naive_color, linestyle="dashed", label="naive mice (same cells)")
        )
    if handles:
        fig.legend(handles=handles, loc="outside right upper", frameon=False, title="treated in")
    return fig


def km_figure(
    curves: pd.DataFrame,
    at_risk: pd.DataFrame,
    cohorts: Sequence[str],
    arms: Sequence[str],
    *,
    colors: Mapping[str, str],
    time_scale: float = 1.0,
    time_label: str = "Day",
    ylabel: str = "Survival",
    x_max: float | None = None,
) -> Figure:
    """Kaplan–Meier curves with confidence bands, a panel per cohort, a number-at-risk table below.

    ``curves`` is the output of ``km_curves`` (cohort, arm, time, survival, ci_low, ci_high);
    ``at_risk`` the output of ``at_risk_table`` (index (cohort, arm), one column per time).
    Times are in days and divided by ``time_scale`` for the axis (``DAYS_PER_MONTH`` for months).
    """
    ncols = min(max(len(cohorts), 1), 3)
    nrows = -(-max(len(cohorts), 1) // ncols)
    risk_height = 0.22 * len(arms) + 0.35
    width, _ = _panel_size(ncols, 1, w=4.6)
    fig = _new_figure(width, nrows * (3.0 + risk_height) + 0.4)
    grid = fig.add_gridspec(2 * nrows, ncols, height_ratios=[3.0, risk_height] * nrows)
    risk_times = np.array([float(t) for t in at_risk.columns], dtype=float)
    risk_rows = {_as_key(k): row.to_numpy() for k, row in at_risk.iterrows()}
    top = x_max / time_scale if x_max else None
    if top is None:
        top = float(curves["time"].max()) / time_scale if not curves.empty else 1.0
    for i, cohort in enumerate(cohorts):
        r, c = divmod(i, ncols)
        ax = fig.add_subplot(grid[2 * r, c])
        ax_risk = fig.add_subplot(grid[2 * r + 1, c], sharex=ax)
        for arm in arms:
            curve = curves[(curves["cohort"] == cohort) & (curves["arm"] == arm)]
            if curve.empty:
                continue
            curve = curve.sort_values("time", kind="stable")
            t = curve["time"].to_numpy(dtype=float) / time_scale
            s = curve["survival"].to_numpy(dtype=float)
            lo = curve["ci_low"].to_numpy(dtype=float)
            hi = curve["ci_high"].to_numpy(dtype=float)
            if t[0] > 0:  # the curve starts at 1 at time 0
                t, s = np.r_[0.0, t], np.r_[1.0, s]
                lo, hi = np.r_[1.0, lo], np.r_[1.0, hi]
            if t[-1] < top:  # carry the last value to the end of follow-up
                t, s, lo, hi = np.r_[t, top], np.r_[s, s[-1]], np.r_[lo, lo[-1]], np.r_[hi, hi[-1]]
            color = colors.get(arm, CONTROL_COLOR)
            ax.step(t, s, where="post", color=color, linewidth=1.6, label=arm)
            ax.fill_between(t, lo, hi, step="post", color=color, alpha=0.15, linewidth=0)
        ax.set_ylim(-0.02, 1.04)
        ax.set_xlim(0, top)
        ax.set_title(cohort, fontsize=10)
        ax.set_xlabel(time_label)
        if c == 0:
            ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        if i == 0:
            ax.legend(fontsize=8, frameon=False, loc="lower left")
        _draw_at_risk(ax_risk, cohort, arms, risk_rows, risk_times / time_scale, colors, c == 0)
    return fig


def _as_key(key: object) -> tuple:
    return tuple(key) if isinstance(key, tuple) else (key,)


def _draw_at_risk(
    ax,
    cohort: str,
    arms: Sequence[str],
    rows: Mapping[tuple, np.ndarray],
    times: np.ndarray,
    colors: Mapping[str, str],
    label_rows: bool,
) -> None:
    n = len(arms)
    x_lo, x_hi = ax.get_xlim()
    for j, arm in enumerate(arms):
        counts = rows.get((cohort, arm))
        if counts is None:
            counts = rows.get((arm,))
        if counts is None:
            continue
        y = n - 1 - j
        for t, count in zip(times, counts, strict=False):
            if x_lo - 1e-9 <= t <= x_hi + 1e-9 and pd.notna(count):
                ax.text(
                    t,
                    y,
                    f"{int(count)}",
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color=colors.get(arm, CONTROL_COLOR),
                )
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_yticks(range(n), list(reversed(arms)) if label_rows else [""] * n, fontsize=7.5)
    if label_rows:
        for tick, arm in zip(ax.get_yticklabels(), reversed(arms), strict=False):
            tick.set_color(colors.get(arm, CONTROL_COLOR))
    ax.tick_params(axis="both", length=0, labelbottom=False)
    ax.tick_params(axis="y", pad=14)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title("Number at risk", fontsize=8, loc="left", pad=2)


def _panel_title(title: str, total: int, shown: int) -> str:
    return f"{title} (n = {total})" if shown == total else f"{title} (n = {total}, {shown} shown)"


def _response_legend(fig: Figure, present: Sequence[str]) -> None:
    handles = [Patch(color=RESPONSE_COLORS[r], label=r) for r in RESPONSE_COLORS if r in present]
    if handles:
        fig.legend(handles=handles, loc="outside right upper", frameon=False, title="best response")


def _response_of(values: pd.Series) -> pd.Series:
    """Best responses as RECIST classes (iRECIST mapped, missing or unknown as NE)."""
    classes = values.astype("string").fillna("NE").replace(RESPONSE_CLASS)
    return classes.where(classes.isin(list(RESPONSE_COLORS)), "NE").astype(str)


def waterfall_figure(
    patients: pd.DataFrame,
    cohorts: Sequence[str],
    arms: Sequence[str],
    *,
    max_bars: int = 300,
) -> Figure:
    """Best % change of the target-lesion sum per patient, sorted, coloured by best response.

    ``patients`` has columns cohort, arm, best_percent_change, best_response. Panels with more
    than ``max_bars`` patients show an even subsample of the sorted bars; bars are cut at
    +100 %. Guide lines at +20 % (progression) and −30 % (partial response).
    """
    nrows, ncols = max(len(cohorts), 1), max(len(arms), 1)
    fig = _new_figure(*_panel_size(ncols, nrows, w=4.2, h=2.8))
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True)
    data = patients.dropna(subset=["best_percent_change"])
    present: set[str] = set()
    for r, cohort in enumerate(cohorts):
        for c, arm in enumerate(arms):
            ax = axes[r, c]
            panel = data[(data["cohort"] == cohort) & (data["arm"] == arm)]
            panel = panel.sort_values("best_percent_change", ascending=False, kind="stable")
            total = len(panel)
            panel = panel.iloc[even_subsample(total, max_bars)]
            values = panel["best_percent_change"].to_numpy(dtype=float)
            responses = _response_of(panel["best_response"])
            present.update(responses)
            ax.bar(
                np.arange(values.size),
                np.minimum(values, WATERFALL_CAP_PERCENT),
                width=0.9 if values.size < 80 else 1.0,
                color=[RESPONSE_COLORS[x] for x in responses],
                linewidth=0,
            )
            for level in (20.0, -30.0):
                ax.axhline(level, color="black", linestyle="--", linewidth=0.7)
            ax.axhline(0.0, color="black", linewidth=0.6)
            ax.set_xlim(-1, max(values.size, 1))
            ax.set_xticks([])
            ax.set_ylim(-105, WATERFALL_CAP_PERCENT + 5)
            title = arm if len(cohorts) == 1 else f"{cohort} · {arm}"
            ax.set_title(_panel_title(title, total, len(panel)), fontsize=9)
            if c == 0:
                ax.set_ylabel("best change from baseline (%)")
    _response_legend(fig, sorted(present))
    return fig


def response_spectrum_figure(
    patients: pd.DataFrame,
    cohorts: Sequence[str],
    arms: Sequence[str],
    *,
    published: Mapping[tuple[str, str], Mapping[str, float]] | None = None,
) -> Figure:
    """Shares of each best response (CR, PR, SD, PD, NE) per cohort and arm, one stacked bar per
    group, with the published shares in a bar under it where they are known.

    ``patients`` has columns cohort, arm, best_response; ``published`` maps (cohort, arm) to
    {category: fraction} for the categories a publication reports (the rest of its bar is left
    grey, "not compared").
    """
    data = patients.assign(_class=_response_of(patients["best_response"]))
    published = published or {}
    rows: list[tuple[str, dict[str, float], bool]] = []
    for cohort in cohorts:
        for arm in arms:
            group = data[(data["cohort"] == cohort) & (data["arm"] == arm)]
            if group.empty:
                continue
            name = arm if len(cohorts) == 1 else f"{cohort} · {arm}"
            counts = group["_class"].value_counts()
            shares = {r: float(counts.get(r, 0)) / len(group) for r in RESPONSE_COLORS}
            rows.append((f"{name}\nsimulated (n = {len(group)})", shares, False))
            if (cohort, arm) in published:
                rows.append((f"{name}\npublished", dict(published[(cohort, arm)]), True))
    fig = _new_figure(7.2, 0.8 + 0.55 * max(len(rows), 1))
    ax = fig.subplots()
    for y, (_, shares, is_published) in enumerate(rows):
        left = 0.0
        for category, color in RESPONSE_COLORS.items():
            share = shares.get(category, 0.0)
            if share <= 0:
                continue
            ax.barh(y, 100 * share, left=100 * left, color=color, height=0.7, linewidth=0)
            if share >= 0.05:
                ax.text(
                    100 * (left + share / 2),
                    y,
                    f"{100 * share:.0f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                )
            left += share
        if is_published and left < 1.0:
            ax.barh(y, 100 * (1 - left), left=100 * left, color="#e0e0e0", height=0.7, linewidth=0)
    ax.set_yticks(range(len(rows)), [label for label, _, _ in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("patients (%)")
    handles = [Patch(color=c, label=r) for r, c in RESPONSE_COLORS.items()]
    if any(p for _, _, p in rows):
        handles.append(Patch(color="#e0e0e0", label="not compared"))
    fig.legend(handles=handles, loc="outside right upper", frameon=False, title="best response")
    return fig


def spider_figure(
    visits: pd.DataFrame,
    patients: pd.DataFrame,
    cohorts: Sequence[str],
    arms: Sequence[str],
    *,
    max_lines: int = 200,
) -> Figure:
    """% change of the target-lesion sum against weeks on study, a line per patient.

    ``visits`` has cohort, arm, patient_id, day, percent_change; lines are coloured by each
    patient's best response (from ``patients``). Panels with more than ``max_lines`` patients
    show an even subsample; the axis is cut at +200 %.
    """
    nrows, ncols = max(len(cohorts), 1), max(len(arms), 1)
    fig = _new_figure(*_panel_size(ncols, nrows, w=4.2, h=2.8))
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True)
    keys = ["cohort", "arm", "patient_id"]
    best = patients[keys].assign(best_response=_response_of(patients["best_response"]))
    data = visits.dropna(subset=["day", "percent_change"]).merge(best, on=keys, how="left")
    data["best_response"] = data["best_response"].fillna("NE")
    data["week"] = data["day"] / DAYS_PER_WEEK
    present: set[str] = set()
    for r, cohort in enumerate(cohorts):
        for c, arm in enumerate(arms):
            ax = axes[r, c]
            panel = data[(data["cohort"] == cohort) & (data["arm"] == arm)]
            ids = panel["patient_id"].drop_duplicates().sort_values().to_numpy()
            total = len(ids)
            ids = ids[even_subsample(total, max_lines)]
            panel = panel[panel["patient_id"].isin(ids)]
            for response, group in panel.groupby("best_response", sort=False):
                lines = _trajectories(group, "week", "percent_change", ["patient_id"])
                ax.add_collection(
                    LineCollection(
                        lines, colors=RESPONSE_COLORS[str(response)], linewidths=0.7, alpha=0.7
                    )
                )
                present.add(str(response))
            for level in (20.0, -30.0):
                ax.axhline(level, color="black", linestyle="--", linewidth=0.7)
            title = arm if len(cohorts) == 1 else f"{cohort} · {arm}"
            ax.set_title(_panel_title(title, total, len(ids)), fontsize=9)
            if c == 0:
                ax.set_ylabel("change from baseline (%)")
            if r == nrows - 1:
                ax.set_xlabel("Weeks")
    if not data.empty:
        axes[0, 0].set_xlim(0, float(data["week"].max()) * 1.02)
        top = min(float(data["percent_change"].max()), SPIDER_CAP_PERCENT)
        axes[0, 0].set_ylim(-105, max(top, 30.0) + 10)
    _response_legend(fig, sorted(present))
    return fig


def swimmer_figure(
    patients: pd.DataFrame,
    cohorts: Sequence[str],
    arms: Sequence[str],
    *,
    max_patients: int = 40,
) -> Figure:
    """A bar per patient to the end of progression-free follow-up (min of PFS and OS), in months.

    ``patients`` has cohort, arm, patient_id, best_response, pfs_day, os_day, pfs_event,
    response_day, progression_day. Markers show the first response and progression; an arrow
    marks patients still progression-free and alive. Panels with more than ``max_patients``
    show an even subsample of the patients sorted by bar length.
    """
    nrows, ncols = max(len(cohorts), 1), max(len(arms), 1)
    fig = _new_figure(*_panel_size(ncols, nrows, w=4.2, h=0.13 * max_patients + 1.2))
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
    data = patients.copy()
    data["_end"] = data[["pfs_day", "os_day"]].min(axis=1, skipna=True) / DAYS_PER_MONTH
    data = data.dropna(subset=["_end"])
    present: set[str] = set()
    for r, cohort in enumerate(cohorts):
        for c, arm in enumerate(arms):
            ax = axes[r, c]
            panel = data[(data["cohort"] == cohort) & (data["arm"] == arm)]
            panel = panel.sort_values("_end", ascending=True, kind="stable")
            total = len(panel)
            panel = panel.iloc[even_subsample(total, max_patients)]
            y = np.arange(len(panel))
            responses = _response_of(panel["best_response"])
            present.update(responses)
            end = panel["_end"].to_numpy(dtype=float)
            ax.barh(y, end, height=0.72, color=[RESPONSE_COLORS[x] for x in responses])
            resp = panel["response_day"].to_numpy(dtype=float) / DAYS_PER_MONTH
            prog = panel["progression_day"].to_numpy(dtype=float) / DAYS_PER_MONTH
            ongoing = _event_free(panel, "pfs_event") & _event_free(panel, "os_event")
            ax.scatter(resp, y, marker="^", s=18, color="black", zorder=3, linewidths=0)
            ax.scatter(prog, y, marker="x", s=18, color="#7a0000", zorder=3, linewidths=1.0)
            ax.scatter(end[ongoing], y[ongoing], marker=">", s=16, color="#333", zorder=3)
            ax.set_yticks([])
            ax.set_ylim(-0.8, max(len(panel), 1) - 0.2)
            title = arm if len(cohorts) == 1 else f"{cohort} · {arm}"
            ax.set_title(_panel_title(title, total, len(panel)), fontsize=9)
            if r == nrows - 1:
                ax.set_xlabel("Months")
            if c == 0:
                ax.set_ylabel("patients")
    axes[0, 0].set_xlim(0, None)
    handles = [Patch(color=RESPONSE_COLORS[x], label=x) for x in RESPONSE_COLORS if x in present]
    handles += [
        Line2D([], [], marker="^", color="black", linestyle="none", label="response"),
        Line2D([], [], marker="x", color="#7a0000", linestyle="none", label="progression"),
        Line2D([], [], marker=">", color="#333", linestyle="none", label="ongoing"),
    ]
    fig.legend(handles=handles, loc="outside right upper", frameon=False)
    return fig


def _event_free(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.zeros(len(frame), dtype=bool)
    events = pd.to_numeric(frame[column], errors="coerce").fillna(1).to_numpy(dtype=float)
    return events == 0

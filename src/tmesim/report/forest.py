"""Forest plots of subgroup hazard ratios, and the report section that shows them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from tmesim.config.trial import Subgroup
from tmesim.report import figures
from tmesim.trials.formatting import format_p
from tmesim.trials.subgroups import ALL, response_difference_table, subgroup_table

ENDPOINT_NAMES = {"pfs": "progression-free survival", "os": "overall survival", "rfs": "RFS"}


def forest_figure(table: pd.DataFrame, colors: Mapping[str, str], title: str) -> Figure:
    """Hazard ratio (log scale) with its CI per subgroup level and arm; one row per estimate,
    labelled with the level and the patients in the arm and the reference.

    Example:
        >>> t = pd.DataFrame({"cohort": "c", "subgroup": ["all patients", "sex"],
        ...     "level": ["", "male"], "arm": "b", "reference": "a", "n": [6, 3],
        ...     "n_reference": [6, 3], "hazard_ratio": [0.5, 0.4], "ci_low": [0.2, 0.1],
        ...     "ci_high": [1.2, 1.5], "p_value": [0.1, 0.2]})
        >>> len(forest_figure(t, {"b": "#1f77b4"}, "PFS").axes)
        1
    """
    rows = table.reset_index(drop=True)
    fig = figures._new_figure(7.0, 0.9 + 0.32 * max(len(rows), 1))
    ax = fig.add_subplot(1, 1, 1)
    y = np.arange(len(rows))[::-1]
    for yi, (_, r) in zip(y, rows.iterrows(), strict=True):
        color = colors.get(str(r["arm"]), "#1f77b4")
        hr, lo, hi = r["hazard_ratio"], r["ci_low"], r["ci_high"]
        if np.isfinite(hr) and hr > 0:
            if np.isfinite(lo) and np.isfinite(hi) and lo > 0:
                ax.plot([lo, hi], [yi, yi], color=color, lw=1.5)
            ax.plot([hr], [yi], "s", color=color, ms=5)
    labels = [
        f"{'All patients' if r.subgroup == ALL else f'{r.subgroup} {r.level}'} · {r.arm} "
        f"(n {r.n} vs {r.n_reference})"
        for r in rows.itertuples()
    ]
    ax.set_yticks(y, labels, fontsize=7)
    ax.axvline(1.0, color="#4d4d4d", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_xlabel("hazard ratio vs reference (95% CI; < 1 favours the arm)")
    ax.set_title(title, fontsize=9)
    return fig


def subgroup_blocks(
    patients: pd.DataFrame,
    subgroups: list[dict[str, Any]],
    reference: str | None,
    colors: Mapping[str, str],
    figure: Any,
    table: Any,
) -> list[dict[str, Any]]:
    """Report blocks (a forest plot and a table per endpoint and cohort) of the study's subgroup
    analyses; `figure` and `table` are the report's block builders."""
    if not subgroups:
        return []
    specs = [Subgroup.model_validate(s) for s in subgroups]
    blocks: list[dict[str, Any]] = []
    for endpoint in ("pfs", "os", "rfs"):
        if f"{endpoint}_day" not in patients:
            continue
        result = subgroup_table(patients, specs, endpoint, reference)
        for cohort, part in result.groupby("cohort", sort=False):
            name = ENDPOINT_NAMES[endpoint]
            blocks.append(
                figure(
                    forest_figure(part, colors, f"{cohort}: {name} by subgroup"),
                    f"Forest plot of {name} hazard ratios by subgroup",
                    f"Hazard ratios of {name} (Cox, 95% CI) of each arm vs {part['reference'].iloc[0]}"
                    " in all patients and within each biomarker level; p values unadjusted.",
                )
            )
            rows = [
                [
                    "All patients" if r.subgroup == ALL else f"{r.subgroup} {r.level}",
                    r.arm,
                    f"{r.n} / {r.n_reference}",
                    _hr_text(r.hazard_ratio, r.ci_low, r.ci_high),
                    format_p(r.p_value),
                ]
                for r in part.itertuples()
            ]
            blocks.append(
                table(
                    f"{cohort}: {name} by subgroup",
                    ["Subgroup", "Arm", "N (arm / reference)", "HR (95% CI)", "p"],
                    rows,
                    "Levels of numeric biomarkers in the biomarker's units "
                    "(`tmesim.trials.biomarkers`).",
                )
            )
    orr = response_difference_table(patients, specs, reference)
    for cohort, part in orr.groupby("cohort", sort=False):
        rows = [
            [
                "All patients" if r.subgroup == ALL else f"{r.subgroup} {r.level}",
                r.arm,
                f"{r.n} / {r.n_reference}",
                f"{100 * r.orr:.0f}% vs {100 * r.orr_reference:.0f}%",
                f"{100 * r.orr_difference:+.0f} ({100 * r.ci_low:+.0f} to {100 * r.ci_high:+.0f})",
            ]
            for r in part.itertuples()
        ]
        blocks.append(
            table(
                f"{cohort}: objective response by subgroup",
                ["Subgroup", "Arm", "N (arm / reference)", "ORR", "Difference, points (95% CI)"],
                rows,
                "ORR difference of each arm vs the reference, Newcombe's hybrid score interval.",
            )
        )
    return blocks


def _hr_text(hr: float, lo: float, hi: float) -> str:
    if not np.isfinite(hr):
        return "—"
    return f"{hr:.2f} ({lo:.2f}–{hi:.2f})"


def subgroup_sections(
    run: Any, reference: str | None, colors: Mapping[str, str], figure: Any, table: Any
) -> list[dict[str, Any]]:
    """The report's subgroup section of a clinical trial (none without subgroups)."""
    blocks = subgroup_blocks(
        run.succeeded, run.study.get("subgroups") or [], reference, colors, figure, table
    )
    if not blocks:
        return []
    return [{"id": "subgroups", "title": "Subgroups by baseline biomarker", "blocks": blocks}]

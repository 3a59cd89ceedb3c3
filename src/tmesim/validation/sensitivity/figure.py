"""The sensitivity figure: one panel per output, its parameters as horizontal bars.

Morris: mu_star bars with their 95% interval, sigma as a diamond (sigma well above mu_star: the
effect depends on the other parameters, or is non-linear). Sobol: S1 and ST bars with their 95%
intervals. Bars are coloured by provenance (sourced, calibrated, assumed).
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

COLORS = {"sourced": "#4477aa", "calibrated": "#ccbb44", "assumed": "#ee6677"}
TOP = 12
"""Parameters drawn per output (the highest ranked)."""


def draw_figure(table: pd.DataFrame, method: str, target: Path | BinaryIO) -> None:
    """Draw the figure of a sensitivity table (see the module docstring) as PNG into `target`,
    a path or a binary file."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    outputs = list(dict.fromkeys(table["output"]))
    heights = [min(TOP, table[table["output"] == o]["parameter"].nunique()) for o in outputs]
    fig, axes = plt.subplots(
        len(outputs),
        1,
        figsize=(8.0, sum(0.32 * h + 1.1 for h in heights)),
        gridspec_kw={"height_ratios": [h + 2 for h in heights]},
        squeeze=False,
    )
    for ax, output in zip(axes[:, 0], outputs, strict=True):
        rows = table[table["output"] == output]
        _panel(ax, rows, method)
        units = rows["units"].iloc[0]
        ax.set_title(f"{output} ({units})", fontsize=9, loc="left")
    handles = [Patch(color=c, label=p) for p, c in COLORS.items()]
    axes[0, 0].legend(handles=handles, fontsize=7, loc="lower right", frameon=False)
    fig.tight_layout()
    fig.savefig(target, format="png", dpi=120)
    plt.close(fig)


def _panel(ax, rows: pd.DataFrame, method: str) -> None:  # noqa: ANN001 (a matplotlib Axes)
    main = "mu_star" if method == "morris" else "ST"
    order = rows[rows["index"] == main].sort_values("rank").head(TOP)["parameter"].tolist()
    y = range(len(order))[::-1]

    def values(index: str) -> pd.DataFrame:
        return rows[rows["index"] == index].set_index("parameter").loc[order]

    colors = [COLORS[p] for p in values(main)["provenance"]]
    if method == "morris":
        m = values("mu_star")
        ax.barh(
            list(y),
            m["value"].to_numpy(),
            xerr=_errors(m),
            color=colors,
            ecolor="#333333",
            capsize=2,
        )
        ax.scatter(
            values("sigma")["value"].to_numpy(), list(y), marker="D", s=14, color="black", zorder=3
        )
        ax.set_xlabel("mu* (bars, 95% CI) and sigma (◆): output change over the range", fontsize=8)
    else:
        for index, shift, alpha in (("S1", 0.2, 0.5), ("ST", -0.2, 1.0)):
            v = values(index)
            ax.barh(
                [yi + shift for yi in y],
                v["value"].to_numpy(),
                height=0.4,
                xerr=_errors(v),
                color=colors,
                alpha=alpha,
                ecolor="#333333",
                capsize=2,
                label=index,
            )
        ax.set_xlabel("Sobol S1 (light) and ST (dark), 95% CI", fontsize=8)
    ax.set_yticks(list(y))
    ax.set_yticklabels(order, fontsize=7)
    ax.tick_params(axis="x", labelsize=7)


def _errors(rows: pd.DataFrame) -> np.ndarray:
    """Error bar lengths (2, n) from the 95% interval (none where it is missing)."""
    value = rows["value"].to_numpy(dtype=float)
    low = np.nan_to_num(value - rows["ci_low"].to_numpy(dtype=float)).clip(min=0)
    high = np.nan_to_num(rows["ci_high"].to_numpy(dtype=float) - value).clip(min=0)
    return np.vstack([low, high])

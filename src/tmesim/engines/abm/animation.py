"""Pictures of a spatial run: a PNG per snapshot and an animated GIF, read back from disk.

Each picture has two panels of the same section (the middle z-plane of a 3-D tissue): the cells
(tumor, necrotic core, CD8 effector and exhausted, CD4, Treg, NK, DC) on the left, and on the right
the macrophage state map (M1-like, M2-like, TREM2⁺, monocytes, MDSCs) over the CXCL9/10 field, with
the CD8 cells on top. Snapshots are drawn one at a time from their files, so memory does not grow
with the run's length.

Example:
    >>> KIND_COLORS["cd8"]
    '#d62728'
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from PIL import Image  # noqa: E402

from tmesim.engines.abm.snapshots import (  # noqa: E402
    fields_path,
    load_cells,
    load_fields,
    snapshot_indices,
)
from tmesim.io.atomic import atomic_path  # noqa: E402

KIND_COLORS = {
    "tumor": "#bdbdbd",
    "necrotic": "#404040",
    "cd8": "#d62728",
    "cd8_exhausted": "#ff9896",
    "cd4": "#ff7f0e",
    "treg": "#9467bd",
    "nk": "#e377c2",
    "dc": "#bcbd22",
    "monocyte": "#c49c94",
    "m1": "#2ca02c",
    "m2": "#1f77b4",
    "trem2": "#17becf",
    "mdsc": "#8c564b",
}
LEFT = ("tumor", "necrotic", "cd8", "cd8_exhausted", "cd4", "treg", "nk", "dc")
RIGHT = ("monocyte", "m1", "m2", "trem2", "mdsc", "cd8", "cd8_exhausted")
SNAPSHOT_DIR = "snapshots"
ANIMATION_FILE = "animation.gif"


def _section(cells: pd.DataFrame, shape: tuple[int, int, int], dx: float) -> pd.DataFrame:
    if shape[0] == 1:
        return cells
    z_mid = (shape[0] // 2 + 0.5) * dx
    return cells[np.isclose(cells["z_um"], z_mid)]


def render_snapshot(
    cells: pd.DataFrame,
    shape: tuple[int, int, int],
    dx: float,
    path: Path,
    *,
    title: str = "",
    cxcl9: np.ndarray | None = None,
) -> Path:
    """Draw one snapshot (see the module docstring) into `path` (PNG)."""
    nz, ny, nx = shape
    section = _section(cells, shape, dx)
    fig, axes = plt.subplots(1, 2, figsize=(10, 5.2), dpi=90)
    extent = (0, nx * dx, 0, ny * dx)
    marker = max(2.0, 1800.0 / max(nx, ny)) ** 1.0
    for ax, kinds, label in (
        (axes[0], LEFT, "cells"),
        (axes[1], RIGHT, "macrophage states, CD8 over CXCL9/10"),
    ):
        if ax is axes[1]:
            if cxcl9 is not None:
                ax.imshow(cxcl9, origin="lower", extent=extent, cmap="Greys", alpha=0.4)
            lesion = section[section["kind"].isin(["tumor", "necrotic"])]
            ax.scatter(lesion["x_um"], lesion["y_um"], s=marker * 0.5, c="#f2e6d9", linewidths=0)
        for kind in kinds:
            sel = section[section["kind"] == kind]
            if len(sel):
                size = marker * (0.6 if kind in ("tumor", "necrotic") else 1.0)
                ax.scatter(sel["x_um"], sel["y_um"], s=size, c=KIND_COLORS[kind], label=kind,
                           linewidths=0)  # fmt: skip
        ax.set_xlim(0, nx * dx)
        ax.set_ylim(0, ny * dx)
        ax.set_aspect("equal")
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("µm")
        ax.legend(loc="upper right", fontsize=6, markerscale=2, framealpha=0.7)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    with atomic_path(Path(path)) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return Path(path)


def render_run(run_dir: Path, shape: tuple[int, int, int], dx: float, *, fps: float = 2.0) -> Path:
    """PNG of every snapshot of a run (in `snapshots/`) and `animation.gif`; returns the GIF."""
    run_dir = Path(run_dir)
    frames = []
    for index in snapshot_indices(run_dir):
        cells = load_cells(run_dir, index)
        day = float(cells["day"].iloc[0]) if len(cells) else float("nan")
        cxcl9 = None
        if fields_path(run_dir, index).exists():
            ds = load_fields(run_dir, index)
            cxcl9 = ds["cxcl9"].values[shape[0] // 2]
        png = run_dir / SNAPSHOT_DIR / f"snapshot-{index:05d}.png"
        render_snapshot(cells, shape, dx, png, title=f"day {day:.1f}", cxcl9=cxcl9)
        frames.append(png)
    gif = run_dir / ANIMATION_FILE
    if frames:
        images = [Image.open(f).convert("P", palette=Image.ADAPTIVE) for f in frames]
        with atomic_path(gif) as tmp:
            images[0].save(
                tmp,
                format="GIF",
                save_all=True,
                append_images=images[1:],
                duration=int(1000 / fps),
                loop=0,
            )
        for im in images:
            im.close()
    return gif

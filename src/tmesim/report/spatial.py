"""The spatial study report: one self-contained HTML file drawn from the saved tables and pictures.

It shows, for every cohort and arm: a snapshot series of one tissue (the same seed in every arm),
so that a reader sees where T cells are and what state the macrophages are in; tumor cells over
time (each tissue and the mean); CD8 density in the core and at the invasive margin; the
M1-like fraction of TAMs and the antigen-low clone's share (immunoediting); and the immune class
(inflamed / excluded / desert) of every tissue at the end.

Example:
    >>> render_spatial_report(Path("runs/4t1-spatial"))     # doctest: +SKIP
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from tmesim.io.atomic import atomic_write_text  # noqa: E402

SERIES_FRAMES = 4


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _img(data: str, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _trajectories(readouts: pd.DataFrame) -> str:
    panels = (
        ("n_tumor", "tumor cells"),
        ("cd8_core_density", "CD8 in the core (cells/mm³)"),
        ("cd8_margin_density", "CD8 at the margin (cells/mm³)"),
        ("tam_m1_fraction", "M1-like fraction of TAMs"),
        ("clone_1_fraction", "antigen-low clone (clone 1) fraction"),
        ("mean_il10", "mean IL-10 (pM)"),
    )
    fig, axes = plt.subplots(2, 3, figsize=(13, 7))
    groups = list(readouts.groupby(["cohort", "arm"], sort=False))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, (column, label) in zip(axes.ravel(), panels, strict=True):
        for g, ((cohort, arm), frame) in enumerate(groups):
            color = colors[g % len(colors)]
            for _, tissue in frame.groupby("replicate"):
                ax.plot(tissue["day"], tissue[column], color=color, alpha=0.25, lw=0.8)
            mean = frame.groupby("day")[column].mean()
            ax.plot(mean.index, mean.values, color=color, lw=2, label=f"{cohort} / {arm}")
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("day")
    axes[0, 0].legend(fontsize=8)
    fig.tight_layout()
    return _img(_png(fig), "trajectories")


def _series(run_dir: Path, tissue: str) -> str:
    folder = run_dir / tissue / "snapshots"
    frames = sorted(folder.glob("snapshot-*.png"))
    if not frames:
        return "<p>(no pictures were saved for this tissue)</p>"
    step = max(1, (len(frames) - 1) // (SERIES_FRAMES - 1)) if len(frames) > 1 else 1
    chosen = frames[::step][: SERIES_FRAMES - 1] + [frames[-1]]
    chosen = list(dict.fromkeys(chosen))
    cells = "".join(
        f"<td>{_img(base64.b64encode(p.read_bytes()).decode(), p.stem)}</td>" for p in chosen
    )
    return f'<table class="series"><tr>{cells}</tr></table>'


def render_spatial_report(
    run_dir: Path, out: Path | None = None, *, title: str = "Spatial study", description: str = ""
) -> Path:
    """Write the report of a spatial study folder (see `tmesim.trials.spatial`); returns its path."""
    run_dir = Path(run_dir)
    patients = pd.read_parquet(run_dir / "patients.parquet")
    readouts = pd.read_parquet(run_dir / "spatial_readouts.parquet")
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{html.escape(description)}</p>" if description else "",
        "<p>Each tissue is a lattice of 20 µm voxels simulated by tmesim's spatial engine with the "
        "preset's parameters; blood supply and drug levels come from the QSP model of the same "
        "preset and regimen. Tissues with the same replicate number share their seed across arms."
        "</p>",
        "<h2>Snapshots</h2>",
        "<p>Left: tumor cells (grey), necrotic cells (dark), CD8 effector (red) and exhausted "
        "(pink) T cells, CD4 (orange), Tregs (purple), NK (magenta), DCs (olive). Right: the "
        "macrophage state map — M1-like (green), M2-like (blue), TREM2⁺ (cyan), monocytes, "
        "MDSCs (brown) — over the CXCL9/10 field, with CD8 cells on top. First to last "
        "snapshot, left to right.</p>",
    ]
    for (cohort, arm), g in patients.groupby(["cohort", "arm"], sort=False):
        first = g.sort_values("replicate").iloc[0]
        parts.append(f"<h3>{html.escape(str(cohort))} / {html.escape(str(arm))} "
                     f"(tissue {int(first['replicate'])})</h3>")  # fmt: skip
        parts.append(_series(run_dir, str(first["tissue"])))
    parts.append("<h2>Over time</h2>")
    parts.append(_trajectories(readouts))
    parts.append("<h2>At the end of follow-up</h2>")
    shown = patients[
        ["cohort", "arm", "replicate", "n_tumor_start", "n_tumor_final",
         "cd8_core_density_final", "cd8_margin_density_final", "immune_class_final",
         "tam_m1_fraction_final", "clone_1_fraction_final"]
    ]  # fmt: skip
    parts.append(shown.to_html(index=False, float_format=lambda x: f"{x:.3g}", border=0))
    classes = pd.crosstab([patients["cohort"], patients["arm"]], patients["immune_class_final"])
    parts.append("<h3>Immune class of the tissues</h3>")
    parts.append(classes.to_html(border=0))
    style = (
        "body{font-family:sans-serif;max-width:1400px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;font-size:13px}td,th{padding:3px 8px;text-align:right}"
        "table.series img{width:440px}h2{border-bottom:1px solid #ccc}"
    )
    page = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body>{''.join(parts)}</body></html>"
    )
    return atomic_write_text(Path(out) if out else run_dir / "report.html", page)

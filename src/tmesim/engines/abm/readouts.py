"""Spatial readouts of one snapshot: what a pathologist would measure on the tissue.

- CD8 density (effector + exhausted, cells/mm³) in the tumor **core** (tumor deeper than the margin
  width from its edge) and in the **invasive margin** (within the margin width on either side of the
  edge).
- The immune phenotype (Hegde, Karanikas & Evers 2016 Clin Cancer Res; Chen & Mellman 2017 Nature):
  **desert** when the margin holds fewer CD8 cells than `desert_density`, **excluded** when the core
  holds less than `excluded_ratio` × the margin density, else **inflamed**.
- Distances from each CD8 cell to the nearest tumor cell (a histogram in µm).
- Clone composition of the tumor (immunoediting), macrophage states, necrotic fraction, cell counts.

Example:
    >>> classify(core=50.0, margin=400.0, desert_density=100.0, excluded_ratio=0.5)
    'excluded'
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from tmesim.engines.abm.rules import CD8, CD8_EXHAUSTED, DEAD, KIND_NAMES, NECROTIC, TUMOR

DISTANCE_BINS_UM = (0.0, 20.0, 40.0, 60.0, 100.0, 200.0, 400.0, np.inf)
DESERT_DENSITY = 100.0
"""CD8 cells per mm³ of margin below which a tissue is a desert (assumed: ~1 CD8 cell per 10⁴ µm³
voxel-neighbourhood; tissue-specific cut-offs are study choices)."""
EXCLUDED_RATIO = 0.5
"""Core / margin CD8 density below which a tumor is excluded (assumed: the core holds less than
half the margin's density; the margin band includes the tumor rim, so a tissue where T cells cross
into tumor tissue only at the QSP basal entry fraction (0.2) sits near 0.35)."""


def classify(core: float, margin: float, desert_density: float, excluded_ratio: float) -> str:
    """Inflamed, excluded or desert from core and margin CD8 densities (cells/mm³)."""
    if margin < desert_density and core < desert_density:
        return "desert"
    if core < excluded_ratio * max(margin, 1e-12):
        return "excluded"
    return "inflamed"


def lesion_mask(kind: np.ndarray, voxel: np.ndarray, n: int, shape: tuple[int, int, int]):
    """Boolean grid of the lesion: voxels of live or necrotic tumor cells, holes filled."""
    mask = np.zeros(int(np.prod(shape)), dtype=bool)
    sel = (kind == TUMOR) | (kind == NECROTIC)
    mask[voxel[sel]] = True
    grid = mask.reshape(shape)
    squeezed = grid[0] if shape[0] == 1 else grid
    filled = ndimage.binary_fill_holes(ndimage.binary_closing(squeezed, iterations=1))
    filled |= squeezed
    return filled.reshape(shape)


def spatial_readouts(
    kind: np.ndarray,
    voxel: np.ndarray,
    clone: np.ndarray,
    shape: tuple[int, int, int],
    dx: float,
    margin_um: float,
    desert_density: float = DESERT_DENSITY,
    excluded_ratio: float = EXCLUDED_RATIO,
) -> dict[str, float | str]:
    """All readouts of one snapshot from the living cells' kind, voxel and clone."""
    alive = kind != DEAD
    kind, voxel, clone = kind[alive], voxel[alive], clone[alive]
    out: dict[str, float | str] = {}
    counts = np.bincount(kind, minlength=len(KIND_NAMES))
    for i, name in enumerate(KIND_NAMES):
        out[f"n_{name}"] = int(counts[i])
    voxel_mm3 = (dx * 1e-3) ** 3
    mask = lesion_mask(kind, voxel, kind.size, shape)
    squeeze = shape[0] == 1
    m2 = mask[0] if squeeze else mask
    inside = ndimage.distance_transform_edt(m2) * dx  # µm to the lesion edge, inside
    outside = ndimage.distance_transform_edt(~m2) * dx  # µm to the lesion, outside
    inside, outside = inside.ravel(), outside.ravel()
    core = m2.ravel() & (inside > margin_um)
    margin = (m2.ravel() & (inside <= margin_um)) | (~m2.ravel() & (outside <= margin_um))
    cd8 = (kind == CD8) | (kind == CD8_EXHAUSTED)
    cd8_vox = voxel[cd8]
    n_core = int(core[cd8_vox].sum())
    n_margin = int(margin[cd8_vox].sum())
    core_mm3 = core.sum() * voxel_mm3
    margin_mm3 = margin.sum() * voxel_mm3
    out["lesion_mm3"] = float(m2.sum() * voxel_mm3)
    out["core_mm3"] = float(core_mm3)
    out["cd8_core_density"] = n_core / core_mm3 if core_mm3 > 0 else float("nan")
    out["cd8_margin_density"] = n_margin / margin_mm3 if margin_mm3 > 0 else float("nan")
    out["cd8_in_lesion_fraction"] = float(m2.ravel()[cd8_vox].mean()) if cd8_vox.size else 0.0
    core_density = out["cd8_core_density"]
    out["immune_class"] = classify(
        0.0 if np.isnan(core_density) else core_density,
        out["cd8_margin_density"] if margin_mm3 > 0 else 0.0,
        desert_density,
        excluded_ratio,
    )
    # distance from each CD8 cell to the nearest tumor cell (not just the lesion outline)
    live_tumor = np.zeros(m2.size, dtype=bool)
    live_tumor[voxel[kind == TUMOR]] = True
    if live_tumor.any() and cd8_vox.size:
        dist = ndimage.distance_transform_edt(~live_tumor.reshape(m2.shape)).ravel() * dx
        d = dist[cd8_vox]
        hist, _ = np.histogram(d, bins=np.asarray(DISTANCE_BINS_UM))
        out["cd8_tumor_distance_median_um"] = float(np.median(d))
    else:
        hist = np.zeros(len(DISTANCE_BINS_UM) - 1, dtype=int)
        out["cd8_tumor_distance_median_um"] = float("nan")
    for lo, hi, h in zip(DISTANCE_BINS_UM[:-1], DISTANCE_BINS_UM[1:], hist, strict=True):
        label = f"{int(lo)}_{'inf' if np.isinf(hi) else int(hi)}"
        out[f"cd8_distance_{label}_um"] = int(h)
    tumor = kind == TUMOR
    n_tumor = int(tumor.sum())
    for c in range(4):
        out[f"clone_{c}_fraction"] = (
            float((clone[tumor] == c).sum() / n_tumor) if n_tumor else float("nan")
        )
    tams = counts[KIND_NAMES.index("m1")] + counts[KIND_NAMES.index("m2")]
    tams += counts[KIND_NAMES.index("trem2")]
    for state in ("m1", "m2", "trem2"):
        out[f"tam_{state}_fraction"] = (
            float(counts[KIND_NAMES.index(state)] / tams) if tams else float("nan")
        )
    lesion_cells = n_tumor + counts[NECROTIC]
    out["necrotic_fraction"] = float(counts[NECROTIC] / lesion_cells) if lesion_cells else 0.0
    return out

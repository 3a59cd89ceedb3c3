"""Baseline biomarkers of each enrolled patient, read from the model's own cells at treatment
start, as a pathologist reads them from a biopsy of one lesion (the first target lesion).

Each biomarker has units and a definition (`BIOMARKERS`). PD-L1 scores follow the clinical
assays' definitions applied to the model's cells: the tumor proportion score (TPS, 22C3 / 28-8:
PD-L1-positive tumor cells / viable tumor cells), the immune-cell score (IC, SP142: PD-L1-positive
immune cells as a share of the lesion) and the combined positive score (CPS, 22C3: PD-L1-positive
tumor and immune cells per 100 tumor cells, at most 100). The model gives each clone a mean PD-L1
density (constitutive plus IFN-γ-induced); a cell counts as positive when its density exceeds
the assay's detection threshold, cell-to-cell densities spreading log-normally around the mean
(`PDL1_DETECTION_MOLECULES_PER_UM2`, `PDL1_CELL_LOG_SD`: assumed, not calibrated to assay
data). Myeloid cells (monocytes, macrophages, MDSCs, dendritic cells) are PD-L1-positive in the
share given by the lesion's IFN-γ response (the model has no PD-L1 on immune cells; assumed: their
PD-L1 is IFN-γ-induced as on tumor cells, Chen 2016 Clin Cancer Res 22:1865).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from tmesim.model.builder import Model
from tmesim.model.states import N_CLONES


@dataclass(frozen=True)
class Biomarker:
    """One baseline biomarker: its units and what it is."""

    units: str
    description: str


PDL1_DETECTION_MOLECULES_PER_UM2 = 15.0
"""PD-L1 surface density above which a cell stains positive (molecule/µm²; assumed: above the
~3 molecule/µm² constitutive density of the presets' clones and below the ~25 molecule/µm² that
saturating IFN-γ adds, so that a lesion stains when IFN-γ has induced PD-L1 (adaptive
resistance, Taube 2012 Sci Transl Med 4:127ra37); with the log-sd below, about a quarter of
virtual advanced-melanoma patients read TPS < 1% and half < 5%; not calibrated to assay data)."""

PDL1_CELL_LOG_SD = 0.5
"""Cell-to-cell sd of the log PD-L1 density around a clone's mean (assumed: the staining of one
tumor's cells varies about 1.6-fold either way)."""

MYELOID_SPECIES = ("monocyte_tumor", "tam_m1", "tam_m2", "tam_trem2", "mdsc_tumor", "dc_tumor")
LYMPHOID_SPECIES = (
    "cd8_effector_tumor",
    "cd8_exhausted_tumor",
    "cd8_bystander_tumor",
    "cd4_helper_tumor",
    "treg_tumor",
    "nk_tumor",
)

MMR_STATUS_BY_PRESET: dict[str, str] = {
    "human_crc_dmmr": "dMMR",
    "human_crc_pmmr": "pMMR",
    "mouse_crc_mmr_deficient": "dMMR",
    "mouse_crc_mmr_proficient": "pMMR",
}
"""Mismatch-repair status of the presets that model one (the model has no per-patient MMR
state: a cohort is dMMR/MSI-high or pMMR/MSS as a whole); other presets read 'unknown'."""

BIOMARKERS: dict[str, Biomarker] = {
    "pdl1_tumor_molecules_per_um2": Biomarker("molecule/um^2", "mean PD-L1 density on tumor cells"),
    "pdl1_tumor_proportion": Biomarker(
        "1", "TPS: PD-L1-positive share of viable tumor cells (fraction, 0–1)"
    ),
    "pdl1_immune_proportion": Biomarker(
        "1", "IC: PD-L1-positive immune cells as a share of the lesion's cells (fraction, 0–1)"
    ),
    "pdl1_cps": Biomarker(
        "1", "CPS: PD-L1-positive tumor and immune cells per 100 tumor cells (0–100)"
    ),
    "antigen_breadth": Biomarker(
        "1", "TMB proxy: the tumor's neoantigen breadth (tumor_antigen_breadth)"
    ),
    "clonal_neoantigen_proxy": Biomarker(
        "1",
        "antigen breadth × the clone-share-weighted antigenicity × MHC-I of the tumor cells",
    ),
    "cd8_tumor_cells_per_mm3": Biomarker("cell/mm^3", "CD8 T cells per mm³ of the lesion"),
    "ifng_response": Biomarker("1", "IFN-γ response of the lesion's tumor cells (0–1)"),
    **{
        f"clone_{k}_fraction": Biomarker("1", f"share of tumor cells in clone {k} (0–1)")
        for k in range(N_CLONES)
    },
}
"""Numeric baseline biomarkers, each a column of the per-patient table (units, meaning); the
table also keeps `mmr_status`, `baseline_burden_mm3` and `n_lesions`."""

ELIGIBLE_BIOMARKERS: tuple[str, ...] = (*BIOMARKERS, "baseline_burden_mm3")
"""Biomarkers that eligibility ranges and subgroups may name."""


def _evaluator(model: Model) -> Any:
    key = model.structure_hash()
    if key not in _EVALUATORS:
        import sympy as sp

        ys = [model.symbols[s] for s in model.species_ids]
        ps = [model.symbols[p] for p in model.parameter_ids]
        names = ["tumor_pdl1", "tumor_cells", "cd8_tumor_density"] + [
            f"clone_{k}_fraction" for k in range(N_CLONES)
        ]
        exprs = [model.observable_exprs[model.observable_ids.index(n)] for n in names]
        _EVALUATORS[key] = (names, sp.lambdify([ys, ps], exprs, modules="numpy"))
    return _EVALUATORS[key]


_EVALUATORS: dict[str, Any] = {}


def positive_fraction(mean_density: np.ndarray) -> np.ndarray:
    """Share of cells above the PD-L1 detection threshold, given their mean density.

    Example:
        >>> positive_fraction(np.array([5.0, 15.0, 45.0])).round(3).tolist()
        [0.014, 0.5, 0.986]
    """
    d = np.maximum(np.asarray(mean_density, dtype=float), 1e-12)
    z = (np.log(d) - math.log(PDL1_DETECTION_MOLECULES_PER_UM2)) / PDL1_CELL_LOG_SD
    return norm.cdf(z)


def baseline_biomarkers(
    model: Model, P: np.ndarray, Y: np.ndarray, preset: str = ""
) -> pd.DataFrame:
    """The biomarkers (`BIOMARKERS`, plus `mmr_status`) of patients with parameters `P` and
    states `Y` at treatment start (one lesion each); NaN where the state is unknown."""
    names, f = _evaluator(model)
    P = np.atleast_2d(P)
    Y = np.atleast_2d(Y)
    values = f(Y.T, P.T)
    obs = {
        n: np.broadcast_to(np.asarray(v, dtype=float), len(Y))
        for n, v in zip(names, values, strict=True)
    }

    def par(pid: str) -> np.ndarray:
        return P[:, model.parameter_index(pid)]

    def state(sid: str) -> np.ndarray:
        return Y[:, model.species_index(sid)]

    tumor = obs["tumor_cells"]
    ifng = state("ifng")
    response = ifng / (ifng + par("ifng_tumor_ec50"))
    myeloid = sum(state(s) for s in MYELOID_SPECIES)
    lymphoid = sum(state(s) for s in LYMPHOID_SPECIES)
    tps = positive_fraction(obs["tumor_pdl1"])
    immune_positive = myeloid * response
    with np.errstate(invalid="ignore", divide="ignore"):
        ic = immune_positive / (tumor + myeloid + lymphoid)
        cps = np.minimum(100.0, 100.0 * (tps * tumor + immune_positive) / tumor)
    presented = sum(
        obs[f"clone_{k}_fraction"] * par(f"clone_{k}_antigenicity") * par(f"clone_{k}_mhc1")
        for k in range(N_CLONES)
    )
    out = {
        "pdl1_tumor_molecules_per_um2": obs["tumor_pdl1"],
        "pdl1_tumor_proportion": tps,
        "pdl1_immune_proportion": ic,
        "pdl1_cps": cps,
        "antigen_breadth": par("tumor_antigen_breadth"),
        "clonal_neoantigen_proxy": par("tumor_antigen_breadth") * presented,
        "cd8_tumor_cells_per_mm3": obs["cd8_tumor_density"],
        "ifng_response": response,
        **{f"clone_{k}_fraction": obs[f"clone_{k}_fraction"] for k in range(N_CLONES)},
    }
    frame = pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in out.items()})
    unknown = ~np.isfinite(Y).all(axis=1)
    frame.loc[unknown, list(BIOMARKERS)] = np.nan
    frame["mmr_status"] = MMR_STATUS_BY_PRESET.get(preset, "unknown")
    return frame

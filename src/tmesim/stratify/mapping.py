"""From a tumor's scores and calls to its personalized virtual-patient prior: one readable table.

Each row of :data:`MAPPING` moves one model parameter of the patient's preset (chosen by cancer type
and MMR status) from one feature of the profile, with the reasoning. Three kinds of effect:

- ``scale``: a standardized score x (cohort sd, clipped to ±3) multiplies the parameter's median by
  exp(coefficient · x). The patient's prior keeps its shape, centred on the new median, with its
  log-sd shrunk by :data:`RESIDUAL_SD_FRACTION`: the profile explains part, not all, of the
  between-patient variation.
- ``set``: a call (genotype) sets the parameter to a value and removes its variability.
- ``tmb``: the tumor mutational burden scales antigen breadth as (TMB / the indication's median
  TMB) ** exponent; the exponent is read from the presets themselves (dMMR vs pMMR colorectal
  breadth against their mutation counts in Le 2015), so the mapping stays consistent with them.

Example:
    >>> from tmesim.parameters.presets import get_preset
    >>> ps, changes = personalize(get_preset("human_melanoma"), {"ifng_pathway_loss": True})
    >>> ps["clone_0_ifng_sensing"].value, ps["clone_3_ifng_sensing"].value
    (0.0, 0.0)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

import pandas as pd

from tmesim.parameters.parameter_set import FIXED, ParameterSet, Prior
from tmesim.parameters.presets import get_preset

RESIDUAL_SD_FRACTION = 0.7
"""Fraction of a moved parameter's prior log-sd left once the profile is known (assumed: a profile
explains about half of the between-patient variance, 1 − 0.7² ≈ 0.5)."""
Z_CLIP = 3.0

LE_2015_MUTATIONS = {"dmmr": 1782.0, "pmmr": 73.0}
"""Mean somatic mutations per tumor, dMMR vs pMMR colorectal cancer (Le et al. 2015, NEJM 372:2509)."""

MEDIAN_TMB: Mapping[str, tuple[float, str]] = {
    "human_melanoma": (13.5, "Chalmers et al. 2017, Genome Med 9:34, median TMB of melanoma [r]"),
    "human_nsclc": (7.2, "Chalmers et al. 2017, Genome Med 9:34, NSCLC [r]"),
    "human_urothelial": (5.4, "Chalmers et al. 2017, Genome Med 9:34, bladder [r]"),
    "human_crc_pmmr": (3.6, "Chalmers et al. 2017, Genome Med 9:34, MSS colorectal [r]"),
    "human_crc_dmmr": (40.0, "assumed: MSI-H colorectal ~40 mut/Mb (Chalmers 2017 [r])"),
    "human_tnbc": (2.6, "Chalmers et al. 2017, Genome Med 9:34, breast [r]"),
    "human_prostate": (2.8, "Chalmers et al. 2017, Genome Med 9:34, prostate [r]"),
    "human_b_all": (0.4, "assumed: ALL among the lowest TMBs (Alexandrov 2013) [r]"),
}
"""Median TMB (mut/Mb) of the population each preset's median patient stands for."""

MSI_ASSUMED_TMB = 40.0
"""mut/Mb assumed for an MSI-H / dMMR tumor whose TMB was not given (see MEDIAN_TMB)."""


@dataclass(frozen=True)
class MappingRow:
    """One feature moving one parameter, and why."""

    feature: str
    parameter: str
    effect: Literal["scale", "set", "tmb"]
    coefficient: float
    reasoning: str
    source: str
    upper: float | None = None


def _clones(feature: str, stem: str, value: float, reasoning: str, source: str) -> tuple:
    return tuple(
        MappingRow(feature, f"clone_{k}_{stem}", "set", value, reasoning, source) for k in range(4)
    )


_SCALE = "assumed: 1 sd of the score moves the median by {c} log-units, less than the typical prior log-sd (0.5–0.8), so the profile explains about half of the spread"

MAPPING: tuple[MappingRow, ...] = (
    MappingRow(
        "tam_m2",
        "tam_capacity_density",
        "scale",
        0.6,
        "TAM / M2 genes (CD163, CD68, CD84, MS4A4A) measure macrophage abundance; the TAM ceiling "
        "sets how many TAMs the lesion holds at treatment start",
        _SCALE.format(c=0.6),
    ),
    MappingRow(
        "monocytic_mdsc",
        "tumor_myeloid_factor",
        "scale",
        0.5,
        "monocyte / M-MDSC genes measure the myeloid output that tumor GM-CSF/G-CSF drives "
        "(myeloid recruitment)",
        _SCALE.format(c=0.5),
    ),
    MappingRow(
        "monocytic_mdsc",
        "ccl2_secretion_tumor_cell",
        "scale",
        0.3,
        "inflammatory monocytes are recruited by tumor CCL2 (Franklin 2014: TAMs derive from "
        "CCR2⁺ monocytes)",
        _SCALE.format(c=0.3),
    ),
    MappingRow(
        "granulocytic_mdsc",
        "mdsc_recruitment_rate",
        "scale",
        0.5,
        "neutrophil / PMN-MDSC genes measure granulocytic MDSC recruitment",
        _SCALE.format(c=0.5),
    ),
    MappingRow(
        "trem2_macrophage",
        "tam_trem2_conversion_rate",
        "scale",
        0.5,
        "TREM2⁺ macrophage genes measure how far TAMs have taken the TREM2⁺ suppressive program "
        "(Molgora 2020), the target of anti-TREM2",
        _SCALE.format(c=0.5),
    ),
    MappingRow(
        "myeloid",
        "myeloid_suppression_half",
        "scale",
        -0.3,
        "PI3Kγ-dependent suppression: tumors rich in suppressive myeloid transcripts suppress T "
        "cells at a lower myeloid density; this program runs through PI3Kγ (mechanism "
        "myeloid_pi3kg), which IPI-549 blocks (De Henau 2016; Kaneda 2016)",
        _SCALE.format(c=0.3),
    ),
    MappingRow(
        "tcell_inflamed_gep",
        "cd8_naive_precursors",
        "scale",
        0.5,
        "a T-cell-inflamed tumor has pre-existing tumor-specific T cells (Ayers 2017); the "
        "precursor pool sets the effector infiltrate the model grows to treatment start",
        _SCALE.format(c=0.5),
    ),
    MappingRow(
        "cytolytic",
        "cd8_kill_rate",
        "scale",
        0.15,
        "cytolytic activity (GZMA, PRF1) is the killing capacity per infiltrating T cell (Rooney "
        "2015)",
        _SCALE.format(c=0.15),
    ),
    MappingRow(
        "exhaustion_excess",
        "cd8_exhaustion_rate",
        "scale",
        0.3,
        "inhibitory-receptor and TOX genes beyond what cytolytic activity explains mean a larger "
        "exhausted fraction (exhaustion score − cytolytic score)",
        _SCALE.format(c=0.3),
    ),
    MappingRow(
        "exhaustion",
        "lag3_engagement_max",
        "scale",
        0.2,
        "LAG3 is part of the exhaustion program; more of it means more LAG-3 signalling for "
        "relatlimab to block",
        _SCALE.format(c=0.2),
        upper=0.9,
    ),
    MappingRow(
        "mhc1_presentation",
        "clone_0_mhc1",
        "scale",
        0.3,
        "HLA class I, B2M and TAP expression sets the MHC-I the parental clone presents",
        _SCALE.format(c=0.3),
        upper=2.0,
    ),
    MappingRow(
        "tmb",
        "tumor_antigen_breadth",
        "tmb",
        float("nan"),
        "more mutations, more neoantigens: breadth scales as (TMB / the indication's median) to "
        "the exponent of the presets' dMMR vs pMMR breadth against their mutation counts",
        "calibrated: exponent from the human_crc_dmmr / human_crc_pmmr breadths and Le 2015's "
        "1,782 vs 73 mutations; median TMB per indication in MEDIAN_TMB",
    ),
    *_clones(
        "ifng_pathway_loss",
        "ifng_sensing",
        0.0,
        "IFNGR1/2, JAK1/2 or IRF1 loss (or SOCS1/PIAS4 gain) is truncal: every clone stops sensing "
        "IFN-γ, so IFN-γ no longer arrests or kills tumor cells or induces MHC-I and PD-L1",
        "Gao et al. 2016, Cell 167:397; Shin et al. 2017, Cancer Discov 7:188",
    ),
    *(
        MappingRow(
            "antigen_presentation_loss",
            f"clone_{k}_mhc1",
            "set",
            0.05,
            "biallelic B2M (or HLA-I) loss leaves almost no surface MHC-I: CD8 T cells cannot "
            "see the tumor; NK missing-self killing can",
            "assumed 5% of normal MHC-I, as the human_crc_dmmr B2M-loss variant (Sade-Feldman "
            "2017)",
        )
        for k in range(4)
    ),
    MappingRow(
        "msi_high",
        "clone_2_emergence_rate",
        "set",
        1e-5,
        "MMR deficiency raises clone diversity: B2M-loss variants arise often",
        "as the human_crc_dmmr preset (B2M mutations frequent in MSI tumors [r])",
    ),
    MappingRow(
        "msi_high",
        "clone_3_ifng_sensing",
        "set",
        0.0,
        "MMR deficiency: JAK1-frameshift (IFN-γ-insensitive) variants arise",
        "as the human_crc_dmmr preset (Shin 2017)",
    ),
    MappingRow(
        "msi_high",
        "clone_3_emergence_rate",
        "set",
        1e-6,
        "MMR deficiency: JAK1-loss variants per division",
        "as the human_crc_dmmr preset",
    ),
)


@functools.cache
def tmb_exponent() -> float:
    """Exponent of antigen breadth in TMB, from the dMMR and pMMR colorectal presets.

    Example:
        >>> 0.3 < tmb_exponent() < 1.5
        True
    """
    ratio = (
        get_preset("human_crc_dmmr")["tumor_antigen_breadth"].value
        / get_preset("human_crc_pmmr")["tumor_antigen_breadth"].value
    )
    return math.log(ratio) / math.log(LE_2015_MUTATIONS["dmmr"] / LE_2015_MUTATIONS["pmmr"])


def mapping_table() -> pd.DataFrame:
    """The mapping as a table: feature, parameter, effect, coefficient, reasoning, source."""
    rows = []
    for r in MAPPING:
        coef = tmb_exponent() if r.effect == "tmb" else r.coefficient
        rows.append(
            {
                "feature": r.feature,
                "parameter": r.parameter,
                "effect": r.effect,
                "coefficient": round(coef, 4),
                "reasoning": r.reasoning,
                "source": r.source,
            }
        )
    return pd.DataFrame(rows)


def _shrunk(prior: Prior) -> Prior:
    if prior.kind == "lognormal" and prior.cv > 0:
        sigma = math.sqrt(math.log1p(prior.cv**2)) * RESIDUAL_SD_FRACTION
        return replace(prior, cv=math.sqrt(math.expm1(sigma**2)))
    if prior.kind == "logitnormal":
        return replace(prior, cv=prior.cv * RESIDUAL_SD_FRACTION)
    return prior


def _factor(row: MappingRow, value: float | bool, preset: str) -> float | None:
    if row.effect == "tmb":
        tmb = float(value)
        if not (math.isfinite(tmb) and tmb > 0):
            return None
        median, _ = MEDIAN_TMB.get(preset, (10.0, ""))
        return min(max((tmb / median) ** tmb_exponent(), 0.05), 20.0)
    z = float(value)
    if not math.isfinite(z):
        return None
    return math.exp(row.coefficient * min(max(z, -Z_CLIP), Z_CLIP))


def personalize(
    base: ParameterSet, features: Mapping[str, float | bool | None]
) -> tuple[ParameterSet, pd.DataFrame]:
    """The patient's prior: `base` moved by every row of :data:`MAPPING` whose feature is known.

    Returns the parameter set and a table of the changes (feature, parameter, old, new).
    """
    params = dict(base.parameters)
    fixed: set[str] = set()
    changes = []
    for row in MAPPING:
        value = features.get(row.feature)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        old = params[row.parameter]
        if row.effect == "set":
            if not bool(value):
                continue
            new = replace(old, value=row.coefficient, prior=FIXED, source=f"profile: {row.feature}")
            fixed.add(row.parameter)
        else:
            factor = _factor(row, value, base.name)
            if factor is None:
                continue
            new_value = old.value * factor
            if row.upper is not None:
                new_value = min(new_value, row.upper)
            new = replace(
                old,
                value=new_value,
                prior=_shrunk(old.prior),
                source=f"profile: {row.feature} = {float(value):.3g} ({old.source})",
            )
        params[row.parameter] = new
        changes.append(
            {
                "feature": row.feature,
                "feature_value": float(value),
                "parameter": row.parameter,
                "preset_value": base[row.parameter].value,
                "value": new.value,
            }
        )
    correlations = {pair: r for pair, r in base.correlations.items() if not (set(pair) & fixed)}
    out = replace(
        base,
        parameters=params,
        correlations=correlations,
        name=f"{base.name} (personalized)",
    )
    return out, pd.DataFrame(
        changes, columns=["feature", "feature_value", "parameter", "preset_value", "value"]
    )


def patient_features(scores: pd.Series, calls: pd.Series) -> dict[str, float | bool | None]:
    """The features the mapping reads, for one patient (its score row and call row)."""
    features: dict[str, float | bool | None] = {k: float(v) for k, v in scores.items()}
    features["exhaustion_excess"] = float(calls["exhaustion_excess"])
    features["ifng_pathway_loss"] = bool(calls["ifng_pathway_loss"])
    features["antigen_presentation_loss"] = bool(calls["antigen_presentation_loss"])
    msi = calls["msi_high"]
    features["msi_high"] = bool(msi) if msi is not None and not pd.isna(msi) else False
    tmb = float(calls["tmb"])
    if not math.isfinite(tmb) and features["msi_high"]:
        tmb = MSI_ASSUMED_TMB
    features["tmb"] = tmb
    return features

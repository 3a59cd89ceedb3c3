"""Genotype and phenotype calls for each tumor, and its resistance phenotype.

Genotype calls read the mutation / copy-number table: IFN-γ pathway loss is a loss-of-function
mutation or deep deletion of IFNGR1, IFNGR2, JAK1, JAK2 or IRF1, or an amplification of SOCS1 or
PIAS4 (Gao 2016; Shin 2017); antigen-presentation loss is a loss-of-function mutation or deep
deletion of B2M or an HLA class I gene. Missense changes of unknown effect and one-copy losses do
not count. Without a mutation table the genotype calls are False and `genotyped` is False.

Phenotype calls read the standardized signature scores (cohort z-scores, `scores.py`) against
fixed cut-offs (assumed: ±0.5 sd splits a cohort into roughly its upper third, middle and lower
third; MHC-I "low" at −1 sd, the lowest ~16%). The resistance phenotype is the first that applies
of: IFN-γ pathway loss, MHC-I loss, myeloid-suppressed, T-cell exhausted, inflamed, immune desert,
intermediate — defects that no T-cell therapy can bypass first, then the suppressive
microenvironment, then the state of the T cells.

Example:
    >>> s = pd.DataFrame({"myeloid": [1.2, -0.3], "tcell_inflamed_gep": [0.1, 0.9],
    ...     "exhaustion": [0.0, 1.5], "cytolytic": [0.0, 0.2], "mhc1_presentation": [0.0, 0.0]},
    ...     index=["s1", "s2"])
    >>> phenotype_calls(s)["phenotype"].tolist()
    ['myeloid-suppressed', 'T-cell exhausted']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tmesim.stratify.genesets import GENOTYPE_RULES, GenotypeRule
from tmesim.stratify.profiles import preset_for

HIGH_Z = 0.5
"""Score (cohort sd) above which a phenotype is called high (assumed; see module docstring)."""
LOW_Z = -0.5
MHC1_LOW_Z = -1.0
TMB_HIGH = 10.0
"""mut/Mb: the FDA tumor-agnostic pembrolizumab cut-off (2020; KEYNOTE-158)."""

PHENOTYPES: tuple[str, ...] = (
    "IFN-γ pathway loss",
    "MHC-I loss",
    "myeloid-suppressed",
    "T-cell exhausted",
    "inflamed",
    "immune desert",
    "intermediate",
)


def _rule_hits(rule: GenotypeRule, mutations: pd.DataFrame) -> pd.Series:
    loss = mutations["gene"].isin(rule.loss_genes) & mutations["kind"].isin(rule.loss_kinds)
    gain = mutations["gene"].isin(rule.gain_genes) & (mutations["kind"] == "amplification")
    hits = mutations[loss | gain]
    return hits.groupby("sample")[["gene", "alteration"]].apply(
        lambda g: "; ".join(f"{a} {b}" for a, b in zip(g["gene"], g["alteration"], strict=True))
    )


def genotype_calls(samples: list[str], mutations: pd.DataFrame | None) -> pd.DataFrame:
    """One row per sample: `genotyped` and, per rule, a boolean call and the alterations seen.

    Example:
        >>> mut = pd.DataFrame({"sample": ["a"], "gene": ["JAK2"], "alteration": ["HOMDEL"],
        ...                     "kind": ["deletion"]})
        >>> genotype_calls(["a", "b"], mut)["ifng_pathway_loss"].tolist()
        [True, False]
    """
    out = pd.DataFrame(index=pd.Index(samples, name="sample"))
    out["genotyped"] = mutations is not None
    for rule in GENOTYPE_RULES:
        if mutations is None:
            out[rule.name] = False
            out[f"{rule.name}_alterations"] = ""
            continue
        hits = _rule_hits(rule, mutations)
        out[f"{rule.name}_alterations"] = [str(hits.get(s, "")) for s in samples]
        out[rule.name] = out[f"{rule.name}_alterations"] != ""
    return out


def phenotype_calls(
    scores: pd.DataFrame,
    genotypes: pd.DataFrame | None = None,
    clinical: pd.DataFrame | None = None,
    *,
    default_cancer_type: str = "melanoma",
) -> pd.DataFrame:
    """Calls, tumor mutational burden, MMR status, preset and resistance phenotype per sample."""
    samples = list(scores.index)
    genotypes = genotypes if genotypes is not None else genotype_calls(samples, None)
    out = genotypes.reindex(samples).copy()
    out["exhaustion_excess"] = scores["exhaustion"] - scores["cytolytic"]
    out["myeloid_high"] = scores["myeloid"] > HIGH_Z
    out["inflamed"] = scores["tcell_inflamed_gep"] > HIGH_Z
    out["immune_desert"] = scores["tcell_inflamed_gep"] < LOW_Z
    out["exhausted"] = (scores["exhaustion"] > HIGH_Z) & (out["exhaustion_excess"] > 0)
    out["mhc1_low"] = scores["mhc1_presentation"] < MHC1_LOW_Z
    clin = clinical.reindex(samples) if clinical is not None else None
    cancer = []
    tmb = []
    msi = []
    for s in samples:
        row = clin.loc[s] if clin is not None else None
        ct = row["cancer_type"] if row is not None and isinstance(row["cancer_type"], str) else ""
        cancer.append(ct or default_cancer_type)
        tmb.append(float(row["tmb"]) if row is not None and pd.notna(row["tmb"]) else np.nan)
        high = row["msi_high"] if row is not None else None
        msi.append(bool(high) if high is not None and not pd.isna(high) else None)
    out["cancer_type"] = cancer
    out["tmb"] = tmb
    out["tmb_high"] = out["tmb"] >= TMB_HIGH
    out["msi_high"] = pd.array(msi, dtype="boolean")
    out["preset"] = [
        preset_for(ct, bool(m) if m is not None else False, field=f"clinical[{s}].cancer_type")
        for s, ct, m in zip(samples, cancer, msi, strict=True)
    ]
    out["phenotype"] = [_phenotype(out.loc[s]) for s in samples]
    return out


def _phenotype(row: pd.Series) -> str:
    if bool(row.get("ifng_pathway_loss", False)):
        return "IFN-γ pathway loss"
    if bool(row.get("antigen_presentation_loss", False)) or bool(row["mhc1_low"]):
        return "MHC-I loss"
    if bool(row["myeloid_high"]):
        return "myeloid-suppressed"
    if bool(row["exhausted"]):
        return "T-cell exhausted"
    if bool(row["inflamed"]):
        return "inflamed"
    if bool(row["immune_desert"]):
        return "immune desert"
    return "intermediate"

"""Gene signatures and genotype gene lists used to stratify tumors, each with its citation.

A :class:`GeneSet` is a list of gene symbols (HGNC) with weights and the way its score is combined
(`weighted` sum, or `mean` of the genes). Scores are computed on within-cohort normal scores of each
gene (see :mod:`tmesim.stratify.scores`), so a published score that is a mean of log expression
(the IFN-γ 6-gene score) or a geometric mean (cytolytic activity) becomes the mean of the genes'
normal scores: the same ordering of samples, on a scale that does not depend on the input units.

Example:
    >>> SIGNATURES["tcell_inflamed_gep"].genes["STAT1"]
    0.250229
    >>> len(SIGNATURES["tcell_inflamed_gep"].genes), len(SIGNATURES["ifng_6gene"].genes)
    (18, 6)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal


@dataclass(frozen=True)
class GeneSet:
    """A named gene signature: genes with weights, how to combine them, and where it comes from."""

    name: str
    title: str
    genes: Mapping[str, float]
    citation: str
    combine: Literal["mean", "weighted"] = "mean"
    description: str = ""
    min_fraction: float = 0.5
    """Fewest genes (as a fraction of the list) that must be measured for the score to be made."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "genes", MappingProxyType(dict(self.genes)))


def _equal(*genes: str) -> dict[str, float]:
    return dict.fromkeys(genes, 1.0)


AYERS_2017 = (
    "Ayers et al. 2017, J Clin Invest 127:2930 (T-cell-inflamed GEP, 18 genes; weights as used "
    "clinically in Cristescu et al. 2018, Science 362:eaar3593, supplementary table)"
)

_SETS = (
    GeneSet(
        "tcell_inflamed_gep",
        "T-cell-inflamed GEP",
        {
            "CCL5": 0.008346,
            "CD27": 0.072293,
            "CD274": 0.042853,
            "CD276": -0.0239,
            "CD8A": 0.031021,
            "CMKLR1": 0.151253,
            "CXCL9": 0.074135,
            "CXCR6": 0.004313,
            "HLA-DQA1": 0.020091,
            "HLA-DRB1": 0.058806,
            "HLA-E": 0.07175,
            "IDO1": 0.060679,
            "LAG3": 0.123895,
            "NKG7": 0.075524,
            "PDCD1LG2": 0.003734,
            "PSMB10": 0.032999,
            "STAT1": 0.250229,
            "TIGIT": 0.084767,
        },
        AYERS_2017,
        combine="weighted",
        description="Pre-existing, IFN-γ-driven T-cell immunity; predicts response to anti-PD-1.",
    ),
    GeneSet(
        "ifng_6gene",
        "IFN-γ 6-gene",
        _equal("IDO1", "CXCL10", "CXCL9", "HLA-DRA", "STAT1", "IFNG"),
        "Ayers et al. 2017, J Clin Invest 127:2930 (preliminary 6-gene IFN-γ signature; score = "
        "mean of the genes)",
        description="IFN-γ produced in the tumor and the response of the tissue to it.",
    ),
    GeneSet(
        "cytolytic",
        "Cytolytic activity",
        _equal("GZMA", "PRF1"),
        "Rooney et al. 2015, Cell 160:48 (CYT = geometric mean of GZMA and PRF1)",
        min_fraction=1.0,
        description="Killing by CD8 T cells and NK cells.",
    ),
    GeneSet(
        "mhc1_presentation",
        "MHC-I antigen presentation",
        _equal("HLA-A", "HLA-B", "HLA-C", "B2M", "TAP1", "TAP2", "TAPBP"),
        "Şenbabaoğlu et al. 2016, Genome Biol 17:231 (antigen-processing machinery score) [r]",
        description="MHC class I heavy chains, β2-microglobulin and peptide loading (TAP, tapasin).",
    ),
    GeneSet(
        "exhaustion",
        "T-cell exhaustion",
        _equal("PDCD1", "HAVCR2", "LAG3", "TIGIT", "ENTPD1", "TOX", "CXCL13"),
        "Li et al. 2019, Cell 176:775 (dysfunctional CD8 T-cell program in melanoma) [r]",
        description="Inhibitory receptors and the TOX program of chronically stimulated CD8 T cells.",
    ),
    GeneSet(
        "tam_m2",
        "TAM / M2-like macrophages",
        _equal("CD163", "CD68", "CD84", "MS4A4A"),
        "Danaher et al. 2017, J Immunother Cancer 5:18 (macrophage marker genes)",
        description="Tumor-associated macrophages of the suppressive (M2-like) kind.",
    ),
    GeneSet(
        "trem2_macrophage",
        "TREM2⁺ macrophages",
        _equal("TREM2", "APOE", "C1QB", "C1QC", "VSIG4"),
        "Combes et al. 2022, Cell 185:184 (TREM2⁺/C1Q⁺ macrophage program); Molgora et al. "
        "2020, Cell 182:886",
        description="Lipid-associated TREM2⁺ suppressive macrophages.",
    ),
    GeneSet(
        "monocytic_mdsc",
        "Monocytic MDSC / classical monocytes",
        _equal("S100A8", "S100A9", "VCAN", "FCN1", "LYZ"),
        "Classical-monocyte / M-MDSC-like genes (LITERATURE.md §5; e.g. Zilionis et al. 2019, "
        "Immunity 50:1317)",
        description="Inflammatory monocytes recruited into the tumor (TAM precursors).",
    ),
    GeneSet(
        "granulocytic_mdsc",
        "Granulocytic MDSC / neutrophils",
        _equal("CXCR2", "FCGR3B", "CSF3R", "S100A8", "S100A9", "ARG1", "OLR1"),
        "Neutrophil / PMN-MDSC genes (LITERATURE.md §5 [r]; OLR1 as PMN-MDSC marker: Condamine "
        "et al. 2016, Sci Immunol 1:aaf8943)",
        description="Neutrophils and polymorphonuclear MDSCs (arginase-producing suppressors).",
    ),
)

SIGNATURES: Mapping[str, GeneSet] = MappingProxyType({s.name: s for s in _SETS})
"""Every signature the stratifier scores, by name."""

MYELOID_SIGNATURES: tuple[str, ...] = (
    "tam_m2",
    "trem2_macrophage",
    "monocytic_mdsc",
    "granulocytic_mdsc",
)
"""The signatures averaged into the myeloid composite score."""


@dataclass(frozen=True)
class GenotypeRule:
    """A genotype call: which genes, and which alteration kinds count."""

    name: str
    title: str
    loss_genes: tuple[str, ...]
    gain_genes: tuple[str, ...] = ()
    citation: str = ""
    loss_kinds: tuple[str, ...] = field(default=("loss_of_function", "deletion"))


IFNG_PATHWAY_LOSS = GenotypeRule(
    "ifng_pathway_loss",
    "IFN-γ pathway loss",
    loss_genes=("IFNGR1", "IFNGR2", "JAK1", "JAK2", "IRF1"),
    gain_genes=("SOCS1", "PIAS4"),
    citation="Gao et al. 2016, Cell 167:397 (copy-number loss of IFNGR1, IFNGR2, IRF1, JAK2 and "
    "amplification of SOCS1, PIAS4 in ipilimumab non-responders); Shin et al. 2017, Cancer "
    "Discov 7:188 (JAK1/JAK2 loss-of-function)",
)

ANTIGEN_PRESENTATION_LOSS = GenotypeRule(
    "antigen_presentation_loss",
    "Antigen-presentation (B2M / HLA-I) loss",
    loss_genes=("B2M", "HLA-A", "HLA-B", "HLA-C"),
    citation="Sade-Feldman et al. 2017, Nat Commun 8:1136 (B2M loss in checkpoint resistance); "
    "Zaretsky et al. 2016, N Engl J Med 375:819 (B2M and JAK1/2 loss at relapse)",
)

GENOTYPE_RULES: tuple[GenotypeRule, ...] = (IFNG_PATHWAY_LOSS, ANTIGEN_PRESENTATION_LOSS)


def signature_genes() -> set[str]:
    """Every gene that some signature uses.

    Example:
        >>> "GZMA" in signature_genes()
        True
    """
    return {g for s in SIGNATURES.values() for g in s.genes}

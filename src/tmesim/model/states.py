"""Every state of the tumor–immune model, declared in one table.

Compartments: ``tumor`` (the lesion and its immune infiltrate), ``blood`` (central circulation, also
standing for the lymphoid recirculating pool), ``periphery`` (peripheral tissue distribution of
drugs), ``lymph_node`` (the tumor-draining lymph node), ``gut`` and ``skin`` (drug depots).
Units: cells are counts; tumor cytokines are interstitial concentrations in pM; antibody amounts in
nmol and tissue antibody concentrations in nM; small molecules in µmol; IL-2 and IFN-α in pmol.
"""

from __future__ import annotations

from types import SimpleNamespace

from tmesim.model.builder import ModelBuilder

N_CLONES = 4
"""Tumor clone slots. Each clone has its own antigenicity, MHC-I, PD-L1, IFN-γ sensing and CD19;
presets decide what each slot is (parental, antigen-low, MHC-I-low, antigen-negative...)."""

ANTIBODY_CLASSES = ("anti_pd1", "anti_pdl1", "anti_ctla4", "anti_lag3", "anti_trem2")
ANTIBODY_TARGETS = {
    "anti_pd1": "PD-1",
    "anti_pdl1": "PD-L1",
    "anti_ctla4": "CTLA-4",
    "anti_lag3": "LAG-3",
    "anti_trem2": "TREM2",
}
# (site, units, compartment, what is counted) of every antibody class, in state order
ANTIBODY_SITES: tuple[tuple[str, str, str, str], ...] = (
    ("central", "nmol", "blood", "central amount"),
    ("peripheral", "nmol", "periphery", "peripheral amount"),
    ("tumor", "nM", "tumor", "tumor interstitial concentration"),
    ("lymph_node", "nM", "lymph_node", "lymph-node concentration"),
)
SMALL_MOLECULES = {"ipi549": "PI3Kγ inhibitor (eganelisib)", "notch_inhibitor": "Notch inhibitor"}

# (id, units, compartment, description)
CELL_STATES: tuple[tuple[str, str, str, str], ...] = (
    (
        "tumor_antigen",
        "cell",
        "tumor",
        "antigen released by dying tumor cells, in dead-cell equivalents weighted by antigenicity",
    ),
    (
        "tumor_nonviable",
        "cell",
        "tumor",
        "non-viable mass of the lesion (necrotic debris and fibrotic scar left by dead tumor "
        "cells), in volume equivalents of tumor cells",
    ),
    (
        "tumor_scar",
        "cell",
        "tumor",
        "persistent scar of the lesion (fibrosis never resorbed), in volume equivalents of tumor "
        "cells",
    ),
    ("dc_tumor", "cell", "tumor", "dendritic cells in the tumor, taking up antigen"),
    (
        "dc_lymph_node",
        "cell",
        "lymph_node",
        "antigen-loaded mature dendritic cells in the draining lymph node",
    ),
    (
        "cd8_primed_lymph_node",
        "cell",
        "lymph_node",
        "tumor-specific CD8 T cells primed and expanding in the lymph node",
    ),
    ("cd8_effector_blood", "cell", "blood", "effector CD8 T cells in circulation"),
    ("cd8_effector_tumor", "cell", "tumor", "effector CD8 T cells in the tumor"),
    (
        "cd8_exhausted_tumor",
        "cell",
        "tumor",
        "exhausted (PD-1-high, LAG-3-high) CD8 T cells in the tumor",
    ),
    ("cd8_memory", "cell", "blood", "tumor-specific memory CD8 T cells (recirculating)"),
    (
        "cd8_bystander_tumor",
        "cell",
        "tumor",
        "CD8 T cells in the tumor that do not recognize it (memory cells of other specificities)",
    ),
    ("cd4_helper_blood", "cell", "blood", "tumor-specific helper CD4 T cells in circulation"),
    ("cd4_helper_tumor", "cell", "tumor", "helper (Th1-like) CD4 T cells in the tumor"),
    ("treg_blood", "cell", "blood", "regulatory T cells of the lymphoid/blood pool (CTLA-4-high)"),
    ("treg_tumor", "cell", "tumor", "regulatory T cells in the tumor"),
    ("nk_blood", "cell", "blood", "NK cells in circulation"),
    ("nk_tumor", "cell", "tumor", "NK cells in the tumor"),
    ("monocyte_blood", "cell", "blood", "inflammatory (CCR2+) monocytes in circulation"),
    ("monocyte_tumor", "cell", "tumor", "monocytes recruited into the tumor, not yet macrophages"),
    ("tam_m1", "cell", "tumor", "M1-like (immunostimulatory) tumor-associated macrophages"),
    ("tam_m2", "cell", "tumor", "M2-like (suppressive) tumor-associated macrophages"),
    ("tam_trem2", "cell", "tumor", "TREM2+ suppressive tumor-associated macrophages"),
    ("mdsc_tumor", "cell", "tumor", "neutrophils / granulocytic MDSCs in the tumor"),
)

CYTOKINE_STATES: tuple[tuple[str, str], ...] = (
    ("ifng", "interferon-γ"),
    ("il2", "interleukin-2"),
    ("il12", "interleukin-12"),
    ("il10", "interleukin-10"),
    ("tgfb", "TGF-β"),
    ("cxcl9", "CXCL9/10 (T-cell-attracting chemokines)"),
    ("ccl2", "CCL2 (monocyte-attracting chemokine)"),
)


def declare_states(b: ModelBuilder) -> SimpleNamespace:
    """Declare all species on the builder; return a namespace of their symbols."""
    s = SimpleNamespace()
    s.clones = [
        b.species(
            f"tumor_clone_{k}",
            "cell",
            "tumor",
            f"tumor cells of clone {k} (traits set by the clone_{k}_* parameters)",
            extinguishable=True,
        )
        for k in range(N_CLONES)
    ]
    for sid, units, comp, desc in CELL_STATES:
        setattr(s, sid, b.species(sid, units, comp, desc))
    for sid, name in CYTOKINE_STATES:
        setattr(
            s,
            sid,
            b.species(sid, "pM", "tumor", f"{name}, interstitial concentration in the tumor"),
        )

    s.ab = {}
    for ab in ANTIBODY_CLASSES:
        target = ANTIBODY_TARGETS[ab]
        s.ab[ab] = SimpleNamespace(
            **{
                site: b.species(f"{ab}_{site}", units, comp, f"anti-{target} antibody, {what}")
                for site, units, comp, what in ANTIBODY_SITES
            }
        )
    s.sm = {}
    for sm, desc in SMALL_MOLECULES.items():
        s.sm[sm] = SimpleNamespace(
            gut=b.species(f"{sm}_gut", "umol", "gut", f"{desc}, amount in the gut (oral depot)"),
            central=b.species(f"{sm}_central", "umol", "blood", f"{desc}, amount in the body"),
        )
    s.il2_central = b.species(
        "il2_central", "pmol", "blood", "aldesleukin (recombinant IL-2), amount in plasma"
    )
    s.ifna_depot = b.species("ifna_depot", "pmol", "skin", "interferon alfa-2b, subcutaneous depot")
    s.ifna_central = b.species(
        "ifna_central", "pmol", "blood", "interferon alfa-2b, amount in plasma"
    )
    s.vaccine_depot = b.species(
        "vaccine_depot",
        "ug",
        "skin",
        "therapeutic vaccine antigen with adjuvant at the injection site",
    )
    s.cart_effector = b.species(
        "cart_blood", "cell", "blood", "CAR-T cells, effector phase", extinguishable=True
    )
    s.cart_memory = b.species(
        "cart_memory",
        "cell",
        "blood",
        "CAR-T cells, persisting memory-like phase",
        extinguishable=True,
    )
    s.cart_exhausted = b.species(
        "cart_exhausted", "cell", "blood", "CAR-T cells, exhausted", extinguishable=True
    )
    return s

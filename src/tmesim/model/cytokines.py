"""Cytokines and chemokines in the tumor: who secretes them, how fast they are cleared (M7).

Each cytokine is an interstitial concentration (pM) in the tumor. Secretion rates are per cell, in
molecules per cell per day, converted to a concentration rate through the tumor's interstitial volume
(pM = molecules / (N_A · V) · 1e12). This is how the cell types talk to each other: effector T cells
and NK cells make IFN-γ, which reaches tumor cells (PD-L1, MHC-I, arrest), macrophages (M1) and
chemokine producers (CXCL9/10, which recruits more T cells); helpers make IL-2, consumed by Tregs;
suppressive myeloid cells make IL-10 and TGF-β unless PI3Kγ is blocked, when they make IL-12.
"""

from __future__ import annotations

from types import SimpleNamespace

import sympy as sp

from tmesim.model.builder import ModelBuilder
from tmesim.model.forms import clone_sum, sat

AVOGADRO = 6.02214076e23


def add_cytokines(
    b: ModelBuilder,
    s: SimpleNamespace,
    t: SimpleNamespace,
    e: SimpleNamespace,
    m: SimpleNamespace,
    tc: SimpleNamespace,
    nk: SimpleNamespace,
) -> None:
    """Secretion, consumption and clearance of IFN-γ, IL-2, IL-12, IL-10, TGF-β, CXCL9/10, CCL2."""
    P = b.parameter
    frac = P("tumor_interstitial_fraction", "1", "interstitial fraction of tumor volume")
    # pM produced per molecule secreted into the interstitial volume (1e-6 L per mm³).
    per_molecule = sp.Float(1e12 / AVOGADRO) / (t.volume_mm3 * sp.Float(1e-6) * frac)

    def secretion(name: str, source: str) -> sp.Symbol:
        return P(
            f"{name}_secretion_{source}",
            "molecule/cell/day",
            f"{name.upper()} secretion per {source.replace('_', ' ')}",
        )

    def clearance(name: str, what: str) -> sp.Symbol:
        return P(
            f"{name}_clearance_rate", "1/day", f"clearance of {what} from the tumor interstitium"
        )

    engaged = tc.stimulation * (
        1
        + P("il12_ifng_boost", "1", "fold increase of T/NK IFN-γ secretion by saturating IL-12")
        * sat(s.il12, P("il12_ifng_half", "pM", "IL-12 for half-maximal boost of IFN-γ secretion"))
    )

    # IFN-γ: engaged effector CD8 T cells, Th1 helpers, NK cells.
    ifng_prod = (
        secretion("ifng", "cd8") * s.cd8_effector_tumor * engaged
        + secretion("ifng", "cd4") * s.cd4_helper_tumor
        + secretion("ifng", "nk") * s.nk_tumor * nk.nk_activation * engaged
    )
    b.add_rate(s.ifng, per_molecule * ifng_prod - clearance("ifng", "IFN-γ") * s.ifng)

    # IL-2: helpers and engaged effectors; Tregs and effectors consume it; exchange with plasma
    # (aldesleukin reaches the tumor this way).
    il2_prod = (
        secretion("il2", "cd4") * s.cd4_helper_tumor
        + secretion("il2", "cd8") * s.cd8_effector_tumor * tc.stimulation
    )
    consumption = P(
        "il2_consumption_treg",
        "1/day/cell",
        "IL-2 uptake rate constant per intratumoral Treg (CD25 sink)",
    )
    # Activated effectors also carry CD25 and consume the IL-2 they respond to, which bounds the
    # autocrine loop (secrete -> proliferate -> secrete).
    consumption_t = P(
        "il2_consumption_effector",
        "1/day/cell",
        "IL-2 uptake rate constant per intratumoral effector CD8 or NK cell",
    )
    exchange = P("il2_plasma_exchange_rate", "1/day", "plasma–tumor exchange rate of IL-2")
    b.add_rate(
        s.il2,
        per_molecule * il2_prod
        - clearance("il2", "IL-2") * s.il2
        - consumption * s.treg_tumor * s.il2
        - consumption_t * (s.cd8_effector_tumor + s.nk_tumor) * s.il2
        + exchange * (e.il2_plasma - s.il2),
    )

    # IL-12: DCs, M1 TAMs, and myeloid cells whose PI3Kγ program is blocked (Kaneda 2016).
    il12_prod = (
        secretion("il12", "dc") * s.dc_tumor
        + secretion("il12", "m1") * s.tam_m1
        + secretion("il12", "switched_myeloid") * m.pi3k_block * m.switchable_cells
    )
    b.add_rate(s.il12, per_molecule * il12_prod - clearance("il12", "IL-12") * s.il12)

    # IL-10 and TGF-β: suppressive program of myeloid cells, Tregs; TGF-β also from tumor cells.
    program = m.suppressive_program
    il10_prod = (
        program
        * (
            secretion("il10", "m2") * s.tam_m2
            + secretion("il10", "trem2") * s.tam_trem2
            + secretion("il10", "mdsc") * s.mdsc_tumor
        )
        + secretion("il10", "treg") * s.treg_tumor
    )
    b.add_rate(s.il10, per_molecule * il10_prod - clearance("il10", "IL-10") * s.il10)
    tgfb_prod = (
        secretion("tgfb", "tumor_cell") * t.total
        + program
        * (
            secretion("tgfb", "m2") * s.tam_m2
            + secretion("tgfb", "trem2") * s.tam_trem2
            + secretion("tgfb", "mdsc") * s.mdsc_tumor
        )
        + secretion("tgfb", "treg") * s.treg_tumor
    )
    b.add_rate(s.tgfb, per_molecule * tgfb_prod - clearance("tgfb", "TGF-β") * s.tgfb)

    # CXCL9/10: IFN-γ-induced in sensing tumor cells, M1 TAMs and DCs.
    h_ifng = t.h_ifng
    sensing_cells = clone_sum(t.sensing, s.clones)
    cxcl_prod = h_ifng * (
        secretion("cxcl9", "tumor_cell") * sensing_cells
        + secretion("cxcl9", "m1") * s.tam_m1
        + secretion("cxcl9", "dc") * s.dc_tumor
    )
    b.add_rate(s.cxcl9, per_molecule * cxcl_prod - clearance("cxcl9", "CXCL9/10") * s.cxcl9)

    # CCL2: tumor cells (high in myeloid-rich tumors) and M2-like TAMs.
    ccl2_prod = secretion("ccl2", "tumor_cell") * t.total + secretion("ccl2", "m2") * s.tam_m2
    b.add_rate(s.ccl2, per_molecule * ccl2_prod - clearance("ccl2", "CCL2") * s.ccl2)

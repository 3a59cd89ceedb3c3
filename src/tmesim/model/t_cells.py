"""T cells: priming, trafficking, killing, checkpoints, exhaustion and memory (M1, M4, M6, M7).

Priming in the draining lymph node needs antigen-loaded dendritic cells and CD28–B7 co-stimulation;
CTLA-4 on Tregs and activated T cells captures B7 (CTLA-4–CD80 Kd 0.42 µM vs CD28–CD80 4 µM, QSP-IO),
so anti-CTLA-4 occupancy in the node restores co-stimulation. Effector CD8 T cells traffic to the tumor
along CXCL9/10, kill in proportion to antigen × MHC-I (QSP-IO form k·C·T/(K·C + T)) braked by
PD-1 engagement (PD-L1 and PD-L2 compete for PD-1; Hill n = 2 on the bound-complex density, QSP-IO),
Tregs, TGF-β and myeloid suppression. Chronic antigen with PD-1 and LAG-3 signalling drives
exhaustion; blockade lets exhausted cells recover. Contracting effectors leave memory cells that are
recalled quickly by antigen (rechallenge).
"""

from __future__ import annotations

from types import SimpleNamespace

import sympy as sp

from tmesim.model.builder import ModelBuilder
from tmesim.model.forms import SUPPLY, clone_sum, kill_saturation, sat


def pd1_engagement(
    pd1_density: sp.Expr, pdl1: sp.Expr, pdl2: sp.Expr, k1: sp.Expr, k2: sp.Expr, half: sp.Expr
) -> sp.Expr:
    """Hill (n = 2) response to the density of PD-1 bound by PD-L1 or PD-L2 in the synapse."""
    bound_fraction = (pdl1 / k1 + pdl2 / k2) / (1 + pdl1 / k1 + pdl2 / k2)
    bound = pd1_density * bound_fraction
    return bound**2 / (bound**2 + half**2)


def add_t_cells(
    b: ModelBuilder,
    s: SimpleNamespace,
    sw: SimpleNamespace,
    t: SimpleNamespace,
    e: SimpleNamespace,
    m: SimpleNamespace,
) -> SimpleNamespace:
    """T-cell processes; returns per-clone CD8 kill fluxes and T-cell cytokine drivers."""
    P = b.parameter
    out = SimpleNamespace()

    # --- Priming in the lymph node -------------------------------------------------------------
    dc_half = P("dc_priming_half", "cell", "antigen-loaded lymph-node DCs for half-maximal priming")
    h_dc = sat(s.dc_lymph_node, dc_half)
    out.h_dc = h_dc
    occ_ctla4_ln = e.occupancy_lymph_node["anti_ctla4"]
    treg_ref = P(
        "treg_blood_reference",
        "cell",
        "lymphoid Treg pool at homeostasis (scales CTLA-4 B7 capture)",
    )
    capture_treg = P(
        "ctla4_treg_b7_capture",
        "1",
        "B7 captured by Treg CTLA-4 at the homeostatic Treg pool, relative to free B7",
    )
    capture_tconv = P(
        "ctla4_tconv_b7_capture",
        "1",
        "B7 captured by CTLA-4 on activated conventional T cells, relative to free B7",
    )
    ctla4_free = 1 - occ_ctla4_ln
    b7_free = 1 / (
        1 + sw.ctla4 * ctla4_free * (capture_treg * s.treg_blood / treg_ref + capture_tconv)
    )
    costim_half = P(
        "cd28_costimulation_half", "1", "free-B7 fraction for half-maximal CD28 co-stimulation"
    )
    costim = sat(b7_free, costim_half) * (1 + costim_half)  # 1 when all B7 is free
    out.costimulation = costim

    help_max = P("cd4_help_max", "1", "maximal fold increase of CD8 priming by CD4 help")
    help_half = P("cd4_help_half", "cell", "helper CD4 T cells in blood for half-maximal help")
    cd4_help = 1 + sw.cd4_help * help_max * sat(s.cd4_helper_blood, help_half)

    precursors = P("cd8_naive_precursors", "cell", "tumor-specific naive CD8 T-cell precursors")
    breadth = P(
        "tumor_antigen_breadth",
        "1",
        "neoantigen breadth relative to a typical tumor (tumor mutational burden, MMR status)",
    )
    prime = P("cd8_priming_rate", "1/day", "maximal rate at which a naive precursor is primed")
    # Clonal expansion as a number of divisions: CD28 co-stimulation sets how many divisions a primed
    # cell completes (the CTLA-4 brake acts here), plasma IL-2 adds more.
    max_div = P(
        "cd8_max_divisions",
        "1",
        "divisions completed by a primed CD8 T cell at full co-stimulation",
    )
    il2_div = P("il2_extra_divisions", "1", "extra divisions at saturating plasma IL-2")
    ln_exit = P(
        "cd8_lymph_node_exit_rate",
        "1/day",
        "exit rate of primed, expanding CD8 T cells from the lymph node to blood",
    )
    il2_half_sys = P(
        "il2_systemic_half", "pM", "plasma IL-2 for half-maximal systemic T/NK-cell expansion"
    )
    h_il2_sys = sat(e.il2_plasma, il2_half_sys)
    fold = 2 ** (max_div * costim + il2_div * h_il2_sys)
    b.add_rate(
        s.cd8_primed_lymph_node,
        prime * precursors * breadth * h_dc * cd4_help * fold - ln_exit * s.cd8_primed_lymph_node,
    )
    b.transfer(s.cd8_primed_lymph_node, s.cd8_effector_blood, ln_exit * s.cd8_primed_lymph_node)

    # Memory: memory cells respond to less antigen than naive cells (lower activation threshold) and
    # need no CD28 co-stimulation; effectors become memory cells as presentation wanes. Gating both
    # by the same memory-sensed DC signal keeps the effector -> memory -> effector loop below one.
    recall = P(
        "cd8_memory_recall_rate",
        "1/day",
        "maximal rate at which memory CD8 T cells are recalled by antigen-loaded DCs",
    )
    sensitivity = P(
        "cd8_memory_antigen_sensitivity",
        "1",
        "how many times less antigen-loaded DC a memory cell needs than a naive cell",
    )
    h_dc_memory = sat(s.dc_lymph_node * sensitivity, dc_half)
    mem_div = P("cd8_memory_divisions", "1", "divisions of a recalled memory CD8 T cell")
    b.transfer(
        s.cd8_memory,
        s.cd8_primed_lymph_node,
        sw.memory * recall * h_dc_memory * s.cd8_memory,
        scale=2**mem_div,
    )
    mem_form = P(
        "cd8_memory_formation_rate",
        "1/day",
        "rate at which circulating effectors become memory cells once antigen presentation wanes",
    )
    mem_death = P("cd8_memory_death_rate", "1/day", "memory CD8 T-cell loss rate")
    b.transfer(
        s.cd8_effector_blood,
        s.cd8_memory,
        sw.memory * mem_form * (1 - h_dc_memory) * s.cd8_effector_blood,
    )
    b.add_rate(s.cd8_memory, -mem_death * s.cd8_memory)

    antigen_stimulation = t.recognized_total / (
        t.recognized_total + s.cd8_effector_tumor + s.cd8_exhausted_tumor + 1
    )
    # Effectors in a tumor whose antigen is gone contract; a fraction survive as memory cells.
    mem_form_tissue = P(
        "cd8_tumor_memory_formation_rate",
        "1/day",
        "rate at which tumor effectors become memory cells once their antigen is gone",
    )
    b.transfer(
        s.cd8_effector_tumor,
        s.cd8_memory,
        sw.memory * mem_form_tissue * (1 - antigen_stimulation) * s.cd8_effector_tumor,
    )

    # --- Trafficking -------------------------------------------------------------------------------
    entry = P(
        "t_cell_tumor_entry_rate",
        "1/day",
        "maximal rate of T-cell entry into the tumor per circulating cell",
    )
    cxcl_half = P("cxcl9_recruitment_half", "pM", "CXCL9/10 for half-maximal T-cell recruitment")
    basal = P(
        "t_cell_entry_basal_fraction",
        "1",
        "T-cell entry without CXCL9/10, as a fraction of the maximum",
    )
    chemo = basal + (1 - basal) * sw.chemokine_recruitment * sat(s.cxcl9, cxcl_half)
    myeloid_exclusion = P(
        "myeloid_entry_inhibition_max",
        "1",
        "maximal inhibition of T-cell entry by suppressive myeloid cells",
    )
    out.entry_shape = m.entry_scale * chemo * (1 - myeloid_exclusion * m.suppression)
    t_entry = entry * out.entry_shape
    blood_death = P(
        "cd8_effector_blood_death_rate", "1/day", "death rate of circulating effector CD8 T cells"
    )
    b.add_rate(s.cd8_effector_blood, -blood_death * s.cd8_effector_blood)
    b.transfer(s.cd8_effector_blood, s.cd8_effector_tumor, t_entry * s.cd8_effector_blood)
    b.observable(
        "supply_cd8",
        "cell/mm^3/day",
        "effector CD8 T cells" + SUPPLY,
        entry * m.supply_per_mm3 * s.cd8_effector_blood,
    )
    b.observable(
        "supply_cd4",
        "cell/mm^3/day",
        "helper CD4 T cells" + SUPPLY,
        entry * m.supply_per_mm3 * s.cd4_helper_blood,
    )
    # Effector-memory cells patrol tissues: where they meet their antigen they act at once, which is
    # why a cured mouse rejects a new inoculum before the lymph node has primed anything.
    b.transfer(
        s.cd8_memory, s.cd8_effector_tumor, sw.memory * t_entry * antigen_stimulation * s.cd8_memory
    )

    # --- Checkpoint engagement ---------------------------------------------------------------------
    occ_pd1 = e.occupancy_tumor["anti_pd1"]
    occ_pdl1 = e.occupancy_tumor["anti_pdl1"]
    occ_lag3 = e.occupancy_tumor["anti_lag3"]
    pd1_eff = P(
        "pd1_density_effector", "molecule/um^2", "PD-1 surface density on effector CD8 T cells"
    )
    pd1_exh = P(
        "pd1_density_exhausted", "molecule/um^2", "PD-1 surface density on exhausted CD8 T cells"
    )
    k_l1 = P(
        "pd1_pdl1_kd_2d", "molecule/um^2", "2-D dissociation constant of PD-1–PD-L1 in the synapse"
    )
    k_l2 = P(
        "pd1_pdl2_kd_2d", "molecule/um^2", "2-D dissociation constant of PD-1–PD-L2 in the synapse"
    )
    pd1_half = P(
        "pd1_engagement_half", "molecule/um^2", "bound PD-1 density for half-maximal inhibition"
    )
    pdl2 = P("tumor_pdl2", "molecule/um^2", "PD-L2 surface density on tumor cells")
    # Anti-PD-1 blocks PD-L1 and PD-L2 (it occupies the receptor); anti-PD-L1 leaves PD-L2 free.
    pdl2_free = pdl2
    h_pd1 = []
    h_pd1_exh = []
    for pdl1 in t.pdl1:
        pdl1_free = pdl1 * (1 - occ_pdl1)
        h_pd1.append(
            sw.pd1
            * pd1_engagement(pd1_eff * (1 - occ_pd1), pdl1_free, pdl2_free, k_l1, k_l2, pd1_half)
        )
        h_pd1_exh.append(
            sw.pd1
            * pd1_engagement(pd1_exh * (1 - occ_pd1), pdl1_free, pdl2_free, k_l1, k_l2, pd1_half)
        )
    lag3_max = P(
        "lag3_engagement_max",
        "1",
        "LAG-3 inhibitory signalling (MHC-II/FGL1 engaged) without blockade",
    )
    h_lag3 = sw.lag3 * lag3_max * (1 - occ_lag3)

    # --- Killing -----------------------------------------------------------------------------------
    k_kill = P(
        "cd8_kill_rate",
        "1/day",
        "maximal killing rate per tumor cell at saturating effectors (QSP-IO k_kill)",
    )
    k_tc = P(
        "cd8_kill_saturation", "1", "effector : tumor ratio at half-maximal killing (QSP-IO K_TC)"
    )
    k_treg = P(
        "treg_suppression_ratio",
        "1",
        "Tregs per effector cell for half-maximal suppression of killing, inverted (QSP-IO K_TReg)",
    )
    tgfb_half = P("tgfb_t_cell_half", "pM", "TGF-β for half-maximal suppression of CD8 killing")
    tgfb_max = P("tgfb_t_cell_inhibition_max", "1", "maximal inhibition of CD8 killing by TGF-β")
    supp_max = P(
        "myeloid_kill_inhibition_max",
        "1",
        "maximal inhibition of CD8 killing by suppressive myeloid cells",
    )
    il12_half = P("il12_t_cell_half", "pM", "IL-12 for half-maximal boost of CD8 cytotoxicity")
    il12_boost = P("il12_kill_boost", "1", "fold increase of CD8 killing by saturating IL-12")
    exh_kill = P(
        "exhausted_kill_fraction", "1", "cytotoxicity of an exhausted cell relative to an effector"
    )
    effectors = s.cd8_effector_tumor + exh_kill * s.cd8_exhausted_tumor
    treg_factor = effectors / (
        effectors + sw.treg_suppression * k_treg * s.treg_tumor + sp.Float(1e-9)
    )
    modifiers = (
        treg_factor
        * (1 - tgfb_max * sat(s.tgfb, tgfb_half))
        * (1 - supp_max * m.suppression)
        * (1 + il12_boost * sat(s.il12, il12_half))
    )
    saturation = kill_saturation(effectors, k_tc, t.total)
    out.kills = [
        k_kill * rec * (1 - hp) * modifiers * saturation * clone
        for rec, hp, clone in zip(t.recognition, h_pd1, s.clones, strict=True)
    ]
    out.h_pd1_mean = clone_sum(h_pd1, s.clones) / (t.total + 1)

    # --- Tumor effector dynamics: proliferation, exhaustion, recovery, death ------------------------
    stim = antigen_stimulation
    out.stimulation = stim
    prolif = P(
        "cd8_tumor_proliferation_rate",
        "1/day",
        "maximal antigen- and IL-2-driven proliferation of effectors in the tumor",
    )
    il2_half = P("il2_t_cell_half", "pM", "IL-2 for half-maximal T-cell proliferation in the tumor")
    # CD28 in the lesion: B7 on tumor myeloid cells co-stimulates dividing effectors; CTLA-4 on
    # Tregs and activated T cells there captures it as in the node (Qureshi 2011), and engaged PD-1
    # dephosphorylates CD28 (Hui 2017 Science 355:1428); the proliferative burst after PD-1
    # blockade needs CD28 (Kamphorst 2017 Science 355:1423). Both blockers release one signal, so
    # in the lesion their effects overlap instead of multiplying.
    cd28_dependence = P(
        "tumor_cd28_dependence",
        "1",
        "share of effector proliferation in the tumor that needs CD28 co-stimulation",
    )
    pd1_cd28 = P(
        "pd1_cd28_inhibition",
        "1",
        "share of the CD28 signal removed by fully engaged PD-1",
    )
    b7_free_tumor = 1 / (
        1 + sw.ctla4 * (1 - e.occupancy_tumor["anti_ctla4"]) * (capture_treg + capture_tconv)
    )
    cd28_tumor = b7_free_tumor * (1 - pd1_cd28 * out.h_pd1_mean)
    costim_tumor = sat(cd28_tumor, costim_half) * (1 + costim_half)
    cd28_factor = 1 - cd28_dependence + cd28_dependence * costim_tumor
    prolif_inhib = P(
        "myeloid_proliferation_inhibition_max",
        "1",
        "maximal inhibition of T-cell proliferation by suppressive myeloid cells (arginine depletion)",
    )
    t_capacity = P(
        "t_cell_capacity_density", "cell/mm^3", "T-cell density at which local proliferation stops"
    )
    room = 1 - (s.cd8_effector_tumor + s.cd8_exhausted_tumor) / (t_capacity * t.volume_mm3)
    b.add_rate(
        s.cd8_effector_tumor,
        prolif
        * stim
        * sat(s.il2, il2_half)
        * (1 - prolif_inhib * m.suppression)
        * cd28_factor
        * room
        * s.cd8_effector_tumor,
    )
    d_eff = P(
        "cd8_effector_tumor_death_rate", "1/day", "death rate of effector CD8 T cells in the tumor"
    )
    d_exh = P("cd8_exhausted_death_rate", "1/day", "death rate of exhausted CD8 T cells")
    b.add_rate(s.cd8_effector_tumor, -d_eff * s.cd8_effector_tumor)
    b.add_rate(s.cd8_exhausted_tumor, -d_exh * s.cd8_exhausted_tumor)

    # Bystanders: circulating memory CD8 T cells of other specificities (viral, self) follow the
    # same CXCL9/10-guided entry into the tumor but find no antigen there, so they neither kill nor
    # expand; they are most of the CD8 T cells a biopsy counts (Simoni 2018; Scheper 2019).
    bystander_pool = P(
        "bystander_cd8_blood",
        "cell",
        "circulating memory CD8 T cells of other specificities that home to inflamed tissue",
    )
    b.add_rate(s.cd8_bystander_tumor, t_entry * bystander_pool - d_eff * s.cd8_bystander_tumor)

    k_exh = P(
        "cd8_exhaustion_rate",
        "1/day",
        "maximal exhaustion rate under chronic antigen (QSP-IO k_exh)",
    )
    exh_basal = P(
        "exhaustion_basal_signal",
        "1",
        "exhaustion signal from chronic antigen alone (TOX program), relative to full PD-1 engagement",
    )
    exh_signal = exh_basal + out.h_pd1_mean + h_lag3
    b.transfer(
        s.cd8_effector_tumor,
        s.cd8_exhausted_tumor,
        sw.exhaustion * k_exh * stim * exh_signal * s.cd8_effector_tumor,
    )
    recover = P(
        "cd8_reinvigoration_rate",
        "1/day",
        "maximal recovery rate of exhausted cells when PD-1 and LAG-3 are not engaged",
    )
    h_pd1_exh_mean = clone_sum(h_pd1_exh, s.clones) / (t.total + 1)
    b.transfer(
        s.cd8_exhausted_tumor,
        s.cd8_effector_tumor,
        sw.exhaustion * recover * (1 - h_pd1_exh_mean) * (1 - h_lag3) * s.cd8_exhausted_tumor,
    )

    # --- CD4 helpers and Tregs ----------------------------------------------------------------------
    cd4_prec = P("cd4_naive_precursors", "cell", "tumor-specific naive CD4 T-cell precursors")
    cd4_prime = P(
        "cd4_priming_rate",
        "1/day",
        "maximal priming rate of a naive CD4 precursor, including its clonal expansion",
    )
    cd4_death = P("cd4_helper_death_rate", "1/day", "death rate of helper CD4 T cells")
    b.add_rate(
        s.cd4_helper_blood,
        cd4_prime * cd4_prec * breadth * h_dc * costim - cd4_death * s.cd4_helper_blood,
    )
    b.transfer(s.cd4_helper_blood, s.cd4_helper_tumor, t_entry * s.cd4_helper_blood)
    b.add_rate(s.cd4_helper_tumor, -cd4_death * s.cd4_helper_tumor)

    treg_source = P("treg_production_rate", "cell/day", "thymic and peripheral Treg production")
    treg_death = P("treg_death_rate", "1/day", "Treg death rate")
    treg_il2 = P(
        "treg_il2_proliferation_rate",
        "1/day",
        "maximal IL-2-driven Treg proliferation (Tregs carry CD25)",
    )
    treg_max = P("treg_blood_max", "cell", "ceiling of the lymphoid Treg pool under IL-2")
    b.add_rate(
        s.treg_blood,
        treg_source
        + treg_il2 * h_il2_sys * (1 - s.treg_blood / treg_max) * s.treg_blood
        - treg_death * s.treg_blood,
    )
    treg_entry = P(
        "treg_tumor_entry_rate",
        "1/day",
        "maximal Treg entry rate into the tumor per circulating Treg",
    )
    b.transfer(s.treg_blood, s.treg_tumor, treg_entry * m.entry_scale * s.treg_blood)
    b.observable(
        "supply_treg",
        "cell/mm^3/day",
        "Tregs" + SUPPLY,
        treg_entry * m.supply_per_mm3 * s.treg_blood,
    )
    treg_local = P(
        "treg_tumor_proliferation_rate",
        "1/day",
        "maximal antigen- and IL-2-driven Treg proliferation in the tumor",
    )
    adcc = P(
        "anti_ctla4_treg_depletion_rate",
        "1/day",
        "Fc-mediated depletion of intratumoral Tregs at full anti-CTLA-4 occupancy (strong in mice, weak in patients)",
    )
    # Like effectors, Tregs divide in the tumor only on their antigen (tumor-associated self-antigens
    # presented in the lesion), and per Treg that stimulation falls as Tregs outnumber the tumor
    # cells carrying it: the same ratio-dependent form as effector stimulation. Without it, a
    # lesion cleared to a few thousand cells would keep feeding Tregs on effector IL-2.
    treg_stimulation = t.total / (t.total + s.treg_tumor + 1)
    b.add_rate(
        s.treg_tumor,
        treg_local * treg_stimulation * sat(s.il2, il2_half) * room * s.treg_tumor
        - treg_death * s.treg_tumor
        - adcc * e.occupancy_tumor["anti_ctla4"] * s.treg_tumor,
    )
    out.h_il2_systemic = h_il2_sys
    return out

"""Innate killers and antigen presentation: NK cells and dendritic cells (M7, M8).

NK cells kill tumor cells that lost MHC-I ("missing self": inhibitory receptors sense MHC-I, so
killing falls as MHC-I rises); IL-2, IL-12 and IFN-α activate them. Dendritic cells in the tumor take
up antigen released by dying tumor cells and carry it to the draining lymph node, where they prime T
cells; IL-10 holds their maturation back, IFN-α and a vaccine's adjuvant push it. A therapeutic
vaccine loads lymph-node DCs with tumor antigen directly.
"""

from __future__ import annotations

from types import SimpleNamespace

from tmesim.model.builder import ModelBuilder
from tmesim.model.forms import SUPPLY, kill_saturation, sat


def add_innate(
    b: ModelBuilder,
    s: SimpleNamespace,
    sw: SimpleNamespace,
    t: SimpleNamespace,
    e: SimpleNamespace,
    m: SimpleNamespace,
    tc: SimpleNamespace,
) -> SimpleNamespace:
    """NK and DC processes; returns per-clone NK kill fluxes and NK activation."""
    P = b.parameter
    out = SimpleNamespace()

    # --- NK cells --------------------------------------------------------------------------------
    nk_source = P("nk_production_rate", "cell/day", "NK-cell output into blood")
    nk_death = P("nk_death_rate", "1/day", "NK-cell death rate")
    nk_il2 = P(
        "nk_il2_proliferation_rate", "1/day", "maximal IL-2-driven NK proliferation in blood"
    )
    nk_max = P("nk_blood_max", "cell", "ceiling of the NK pool under IL-2")
    b.add_rate(
        s.nk_blood,
        nk_source
        + nk_il2 * tc.h_il2_systemic * (1 - s.nk_blood / nk_max) * s.nk_blood
        - nk_death * s.nk_blood,
    )
    nk_entry = P(
        "nk_tumor_entry_rate", "1/day", "maximal NK entry into the tumor per circulating NK cell"
    )
    # NK cells follow the same vascular and CXCL9/10 cues as T cells (CXCR3).
    b.transfer(s.nk_blood, s.nk_tumor, nk_entry * tc.entry_shape * s.nk_blood)
    b.observable(
        "supply_nk", "cell/mm^3/day", "NK cells" + SUPPLY, nk_entry * m.supply_per_mm3 * s.nk_blood
    )
    b.add_rate(s.nk_tumor, -nk_death * s.nk_tumor)

    il12_half = P("il12_nk_half", "pM", "IL-12 for half-maximal NK activation")
    il2_half = P("il2_nk_half", "pM", "IL-2 for half-maximal NK activation in the tumor")
    activation_gain = P(
        "nk_activation_gain", "1", "fold increase of NK killing when fully activated by cytokines"
    )
    cytokine_drive = (sat(s.il12, il12_half) + sat(s.il2, il2_half) + e.ifna_activity) / 3
    activation = (1 + activation_gain * cytokine_drive) / (1 + activation_gain)
    out.nk_activation = activation
    nk_kill = P(
        "nk_kill_rate",
        "1/day",
        "maximal NK killing rate per tumor cell at saturating NK cells and full activation",
    )
    nk_sat = P("nk_kill_saturation", "1", "NK : tumor ratio at half-maximal killing")
    inhib_half = P(
        "nk_mhc1_inhibition_half",
        "1",
        "relative MHC-I at which NK inhibitory signalling is half-maximal",
    )
    tgfb_half = P("tgfb_t_cell_half_nk", "pM", "TGF-β for half-maximal suppression of NK killing")
    saturation = kill_saturation(s.nk_tumor, nk_sat, t.total)
    out.kills = []
    for mhc, clone in zip(t.mhc1, s.clones, strict=True):
        missing_self = 1 - mhc**2 / (mhc**2 + inhib_half**2)
        out.kills.append(
            sw.nk_missing_self
            * nk_kill
            * activation
            * missing_self
            * (1 - sat(s.tgfb, tgfb_half))
            * saturation
            * clone
        )

    # --- Dendritic cells ---------------------------------------------------------------------------
    dc_recruit = P("dc_recruitment_rate", "cell/day/mm^3", "DC precursor entry per mm³ of tumor")
    b.observable("supply_dc", "cell/mm^3/day", "DC precursors" + SUPPLY, dc_recruit)
    dc_death = P("dc_tumor_death_rate", "1/day", "DC death rate in the tumor")
    dc_migrate = P(
        "dc_migration_rate",
        "1/day",
        "maximal rate at which antigen-loaded DCs mature and migrate to the lymph node",
    )
    ag_half = P(
        "dc_antigen_half",
        "cell",
        "released antigen (dead-cell equivalents) for half-maximal DC loading",
    )
    il10_half = P("il10_dc_half", "pM", "IL-10 for half-maximal inhibition of DC maturation")
    il10_max = P("il10_dc_inhibition_max", "1", "maximal inhibition of DC maturation by IL-10")
    ifna_gain = P(
        "ifna_dc_maturation_gain", "1", "fold increase of DC maturation by saturating IFN-α"
    )
    maturation = (1 - il10_max * sat(s.il10, il10_half)) * (1 + ifna_gain * e.ifna_activity)
    migration = sw.dc_priming * dc_migrate * sat(s.tumor_antigen, ag_half) * maturation * s.dc_tumor
    b.add_rate(s.dc_tumor, dc_recruit * t.volume_mm3 - dc_death * s.dc_tumor)
    b.transfer(s.dc_tumor, s.dc_lymph_node, migration)
    ln_death = P("dc_lymph_node_death_rate", "1/day", "death rate of mature DCs in the lymph node")
    b.add_rate(s.dc_lymph_node, -ln_death * s.dc_lymph_node)

    vax_rate = P(
        "vaccine_dc_loading_rate",
        "cell/day",
        "maximal rate of lymph-node DC loading by the vaccine",
    )
    vax_half = P(
        "vaccine_dc_half", "ug", "vaccine antigen at the injection site for half-maximal DC loading"
    )
    b.add_rate(s.dc_lymph_node, vax_rate * sat(s.vaccine_depot, vax_half))
    return out

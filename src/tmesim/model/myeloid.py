"""Tumor-associated myeloid cells (M2, M3, M4).

Inflammatory monocytes are recruited from blood by CCL2, differentiate into tumor-associated
macrophages (TAMs) through a Notch/RBPJ-dependent step and proliferate locally (Franklin 2014).
TAMs polarize between M1-like and M2-like states (IFN-γ/IL-12 vs IL-10/TGF-β; rates and half-maximal
concentrations from QSP-IO, Sové 2020) and M2-like TAMs become TREM2+ suppressive macrophages as they
take up dead-cell material (Molgora 2020; Mestrallet). Neutrophils / granulocytic MDSCs are recruited
by tumor-derived factors. Suppression of T cells (arginase, NO, IL-10, TGF-β) is a PI3Kγ-dependent
program of these cells: PI3Kγ inhibition (IPI-549) switches them towards activation (IL-12,
repolarization to M1) without acting on tumor cells (De Henau 2016; Kaneda 2016).
"""

from __future__ import annotations

from types import SimpleNamespace

from tmesim.model.builder import ModelBuilder
from tmesim.model.forms import SUPPLY, sat


def add_myeloid(
    b: ModelBuilder,
    s: SimpleNamespace,
    sw: SimpleNamespace,
    t: SimpleNamespace,
    e: SimpleNamespace,
) -> SimpleNamespace:
    """Myeloid dynamics; returns suppression and activation signals for T cells and cytokines."""
    P = b.parameter
    m = SimpleNamespace()
    site = t.tumor_mass_mm3 / (
        t.tumor_mass_mm3
        + P(
            "immune_entry_volume_half",
            "mm^3",
            "tumor volume at which immune-cell entry is half of its maximum (vascularised surface)",
        )
    )
    m.entry_scale = site
    # Arrivals per mm³ of vascularised tumor per circulating cell and unit entry rate (the
    # `supply_*` observables, what the spatial engine's vessels deliver).
    m.supply_per_mm3 = site / t.tumor_mass_mm3

    # Blood monocytes: bone-marrow output, expanded by tumor-derived myeloid growth factors (GM-CSF, G-CSF).
    production = P(
        "monocyte_production_rate", "cell/day", "monocyte output into blood without a tumor"
    )
    mono_death = P("monocyte_blood_death_rate", "1/day", "monocyte loss from blood")
    myeloid_factor = P(
        "tumor_myeloid_factor",
        "1",
        "tumor secretion of myeloid growth factors (GM-CSF/G-CSF): fold expansion of myeloid output at large tumor burden",
    )
    factor_half = P(
        "tumor_myeloid_factor_half", "cell", "tumor burden at half-maximal myeloid expansion"
    )
    expansion = 1 + myeloid_factor * sat(t.total, factor_half)
    ccl2_half = P(
        "ccl2_recruitment_half", "pM", "CCL2 for half-maximal monocyte and MDSC recruitment"
    )
    h_ccl2 = sat(s.ccl2, ccl2_half)
    recruit = P(
        "monocyte_recruitment_rate",
        "1/day",
        "maximal rate of monocyte entry into the tumor per blood monocyte",
    )
    b.add_rate(s.monocyte_blood, production * expansion - mono_death * s.monocyte_blood)
    b.transfer(s.monocyte_blood, s.monocyte_tumor, recruit * site * h_ccl2 * s.monocyte_blood)
    b.observable(
        "supply_monocyte",
        "cell/mm^3/day",
        "monocytes" + SUPPLY,
        recruit * m.supply_per_mm3 * s.monocyte_blood,
    )

    # Notch/RBPJ-dependent differentiation into TAMs.
    rbpj = P("myeloid_rbpj", "1", "myeloid RBPJ (Notch signalling): 1 intact, 0 knocked out")
    notch_emax = P(
        "notch_inhibitor_emax",
        "1",
        "maximal inhibition of myeloid Notch signalling by the inhibitor",
    )
    notch_activity = rbpj * (1 - notch_emax * e.inhibition["notch_inhibitor"])
    notch = 1 - sw.notch_tam * (1 - notch_activity)
    diff = P(
        "monocyte_differentiation_rate",
        "1/day",
        "rate at which tumor monocytes become TAMs when Notch is active",
    )
    mono_t_death = P("monocyte_tumor_death_rate", "1/day", "death or exit of tumor monocytes")
    b.add_rate(s.monocyte_tumor, -mono_t_death * s.monocyte_tumor)

    # PI3Kγ: the suppressive program; inhibition switches it off and turns on activation.
    pi3k_emax = P(
        "ipi549_emax", "1", "maximal fraction of myeloid PI3Kγ signalling blocked by IPI-549"
    )
    # PI3Kγ blockade switches the suppressive program; without that program there is nothing to
    # switch, and IPI-549 acts on no other cell (De Henau 2016: it does not target tumor cells).
    pi3k_block = sw.myeloid_suppression * sw.myeloid_pi3kg * pi3k_emax * e.inhibition["ipi549"]
    m.pi3k_block = pi3k_block
    suppressive_program = sw.myeloid_suppression * (1 - pi3k_block)

    ifng_half = P("macrophage_ifng_half", "pM", "IFN-γ for half-maximal M1 polarization")
    il12_half = P("macrophage_il12_half", "pM", "IL-12 for half-maximal M1 polarization")
    il10_half = P("macrophage_il10_half", "pM", "IL-10 for half-maximal M2 polarization")
    tgfb_half = P("macrophage_tgfb_half", "pM", "TGF-β for half-maximal M2 polarization")
    to_m1 = (sat(s.ifng, ifng_half) + sat(s.il12, il12_half)) / 2
    to_m2 = (sat(s.il10, il10_half) + sat(s.tgfb, tgfb_half)) / 2
    m2_bias = P(
        "tam_m2_bias", "1", "tumor education towards M2 of newly differentiated TAMs (CSF-1, IL-4)"
    )
    new_tams = diff * notch * s.monocyte_tumor
    fraction_m1 = (to_m1 + pi3k_block) / (to_m1 + pi3k_block + to_m2 + m2_bias)
    b.add_rate(s.monocyte_tumor, -new_tams)
    b.add_rate(s.tam_m1, new_tams * fraction_m1)
    b.add_rate(s.tam_m2, new_tams * (1 - fraction_m1))

    # Local proliferation, density-limited (Franklin 2014: TAMs divide in the tumor).
    prolif = P("tam_proliferation_rate", "1/day", "maximal local proliferation rate of TAMs")
    capacity = P(
        "tam_capacity_density", "cell/mm^3", "TAM density at which local proliferation stops"
    )
    tams = s.tam_m1 + s.tam_m2 + s.tam_trem2
    room = 1 - tams / (capacity * t.volume_mm3)
    tam_death = P("tam_death_rate", "1/day", "TAM death rate")
    for pop in (s.tam_m1, s.tam_m2, s.tam_trem2):
        b.add_rate(pop, prolif * notch * room * pop - tam_death * pop)

    k12 = P("tam_m1_to_m2_rate", "1/day", "maximal M1 → M2 polarization rate")
    k21 = P("tam_m2_to_m1_rate", "1/day", "maximal M2 → M1 polarization rate")
    k_pi3k = P(
        "ipi549_repolarization_rate",
        "1/day",
        "M2/TREM2 → M1 reprogramming rate at full PI3Kγ blockade",
    )
    b.transfer(s.tam_m1, s.tam_m2, k12 * to_m2 * s.tam_m1)
    b.transfer(s.tam_m2, s.tam_m1, (k21 * to_m1 + k_pi3k * pi3k_block) * s.tam_m2)
    b.transfer(s.tam_trem2, s.tam_m1, k_pi3k * pi3k_block * s.tam_trem2)

    # TREM2+ program: M2-like TAMs that take up dead-cell material.
    k2t = P("tam_trem2_conversion_rate", "1/day", "maximal M2 → TREM2+ conversion rate")
    # Conversion follows the local concentration of dead-cell material (per mm³), so that it is the
    # same in a 100 mm³ mouse tumor and a 4 cm³ human lesion of equal cell turnover.
    debris_half = P(
        "trem2_debris_half_density",
        "cell/mm^3",
        "released tumor antigen per mm³ (dead-cell equivalents) for half-maximal TREM2+ conversion",
    )
    debris_density = s.tumor_antigen / t.volume_mm3
    b.transfer(
        s.tam_m2,
        s.tam_trem2,
        sw.trem2_macrophages * k2t * sat(debris_density, debris_half) * s.tam_m2,
    )
    occ_trem2 = e.occupancy_tumor["anti_trem2"]
    depl = P(
        "anti_trem2_depletion_rate",
        "1/day",
        "extra death of TREM2+ macrophages at full anti-TREM2 occupancy",
    )
    reprog = P(
        "anti_trem2_reprogramming_rate",
        "1/day",
        "TREM2+ → M1 reprogramming at full anti-TREM2 occupancy",
    )
    b.add_rate(s.tam_trem2, -depl * occ_trem2 * s.tam_trem2)
    b.transfer(s.tam_trem2, s.tam_m1, reprog * occ_trem2 * s.tam_trem2)

    # Neutrophils / granulocytic MDSCs.
    mdsc_recruit = P(
        "mdsc_recruitment_rate",
        "cell/day/mm^3",
        "maximal MDSC recruitment per mm³ of tumor (scaled by tumor myeloid factors)",
    )
    mdsc_death = P("mdsc_death_rate", "1/day", "MDSC death rate in the tumor")
    b.observable(
        "supply_mdsc",
        "cell/mm^3/day",
        "MDSCs" + SUPPLY,
        mdsc_recruit * myeloid_factor * sat(t.total, factor_half),
    )
    b.add_rate(
        s.mdsc_tumor,
        mdsc_recruit * (myeloid_factor * sat(t.total, factor_half)) * h_ccl2 * t.volume_mm3
        - mdsc_death * s.mdsc_tumor,
    )

    # Suppressive activity per mm³ of tumor, weighted by each population's arginase/NO/IL-10 output.
    w_m2 = P(
        "suppression_weight_m2", "1", "suppressive output of an M2-like TAM relative to an MDSC"
    )
    w_trem2 = P(
        "suppression_weight_trem2", "1", "suppressive output of a TREM2+ TAM relative to an MDSC"
    )
    w_mono = P(
        "suppression_weight_monocyte",
        "1",
        "suppressive output of a tumor monocyte relative to an MDSC",
    )
    supp_half = P(
        "myeloid_suppression_half",
        "cell/mm^3",
        "suppressive myeloid density (MDSC equivalents) for half-maximal T-cell suppression",
    )
    suppressors = s.mdsc_tumor + w_m2 * s.tam_m2 + w_trem2 * s.tam_trem2 + w_mono * s.monocyte_tumor
    density = suppressive_program * suppressors / t.volume_mm3
    m.suppression = sat(density, supp_half)
    m.suppressive_program = suppressive_program
    # Cells whose program is switched by PI3Kγ blockade (sources of IL-12 under IPI-549).
    m.switchable_cells = s.tam_m2 + s.tam_trem2 + s.mdsc_tumor + s.monocyte_tumor
    m.tams = tams
    return m

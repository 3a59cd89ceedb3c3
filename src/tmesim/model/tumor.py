"""Tumor clones: growth, traits, IFN-γ sensing, immunoediting and death (M5, M6).

Each clone k has an antigenicity, a baseline MHC-I level, a constitutive PD-L1, a CD19 (CAR target)
level and an IFN-γ sensing genotype. IFN-γ acting on a sensing clone arrests its growth, kills it,
and induces MHC-I and PD-L1 (Gao 2016; Hickey 2024); a clone with a lost pathway (IFNGR1/2, JAK1/2,
IRF1 loss) has none of these effects. Variant clones arise from the parental clone 0 at a rate per
division, so that immune pressure can select antigen-low and MHC-I-low cells (immunoediting).
"""

from __future__ import annotations

from types import SimpleNamespace

import sympy as sp

from tmesim.model.builder import ModelBuilder
from tmesim.model.forms import clone_sum, sat
from tmesim.model.states import N_CLONES


def declare_tumor(b: ModelBuilder, s: SimpleNamespace, sw: SimpleNamespace) -> SimpleNamespace:
    """Clone traits and growth; returns the expressions immune processes need."""
    t = SimpleNamespace()
    P = b.parameter
    t.total = sp.Add(*s.clones)
    density = P("tumor_cell_density", "cell/mm^3", "cells (tumor and infiltrate) per mm³ of lesion")
    residual = P(
        "tumor_site_volume",
        "mm^3",
        "volume of the tumor site that remains when the tumor is gone (immune cells and cytokines live there)",
    )
    # The lesion holds tumor cells and its infiltrate: immune cells take room too (this is what
    # calipers and CT measure, and why an inflamed lesion can swell before it shrinks).
    t.infiltrate = sp.Add(
        s.cd8_effector_tumor,
        s.cd8_exhausted_tumor,
        s.cd8_bystander_tumor,
        s.cd4_helper_tumor,
        s.treg_tumor,
        s.nk_tumor,
        s.monocyte_tumor,
        s.tam_m1,
        s.tam_m2,
        s.tam_trem2,
        s.mdsc_tumor,
        s.dc_tumor,
    )
    t.lesion_cells = t.total + t.infiltrate
    t.volume_mm3 = t.lesion_cells / density + residual
    # Vascularised tumor mass (without infiltrate): what sets immune-cell entry.
    t.tumor_mass_mm3 = t.total / density + residual

    r = P("tumor_growth_rate", "1/day", "tumor cell proliferation rate (exponential phase)")
    capacity = P("tumor_carrying_capacity", "cell", "tumor carrying capacity")
    gompertz = P(
        "tumor_growth_gompertz", "1", "growth law: 0 logistic, 1 Gompertz (rate r·ln(K/N))"
    )
    death = P("tumor_death_rate", "1/day", "spontaneous tumor cell death rate (releases antigen)")
    t.death_rate = death
    logistic_term = 1 - t.total / capacity
    gompertz_term = sp.log((capacity + 1) / (t.total + 1))
    growth_law = (1 - gompertz) * logistic_term + gompertz * gompertz_term
    b.observable(
        "tumor_growth_law",
        "1",
        "crowding term of tumor proliferation: logistic 1 − N/K, or Gompertz ln(K/N)",
        growth_law,
    )

    ec50 = P("ifng_tumor_ec50", "pM", "IFN-γ for half-maximal response of tumor cells")
    arrest = P("ifng_growth_arrest_max", "1", "maximal fraction of proliferation arrested by IFN-γ")
    # IFN-γ-induced apoptosis hits cycling cells, so it is expressed relative to proliferation.
    ifng_kill = P(
        "ifng_tumor_kill_fraction",
        "1",
        "maximal IFN-γ-induced death rate as a fraction of the proliferation rate",
    )
    mhc_fold = P("ifng_mhc1_fold", "1", "fold induction of MHC-I by saturating IFN-γ")
    pdl1_induced = P("ifng_pdl1_induced", "molecule/um^2", "PD-L1 added by saturating IFN-γ")
    h_ifng = sat(s.ifng, ec50)

    t.antigenicity, t.mhc1, t.pdl1, t.cd19, t.sensing, t.growth = [], [], [], [], [], []
    t.emergence = [sp.Integer(0) for _ in s.clones]
    t.ifng_deaths = []
    for k, clone in enumerate(s.clones):
        antigen = P(
            f"clone_{k}_antigenicity",
            "1",
            f"clone {k}: antigen presented per MHC-I, relative to the parental clone",
        )
        mhc = P(f"clone_{k}_mhc1", "1", f"clone {k}: baseline MHC-I, relative to normal cells")
        pdl1 = P(
            f"clone_{k}_pdl1", "molecule/um^2", f"clone {k}: constitutive PD-L1 surface density"
        )
        cd19 = P(f"clone_{k}_cd19", "1", f"clone {k}: CAR target antigen (CD19) expression, 0 or 1")
        sensing = P(
            f"clone_{k}_ifng_sensing", "1", f"clone {k}: IFN-γ pathway intact (1) or lost (0)"
        )
        fitness = P(
            f"clone_{k}_fitness", "1", f"clone {k}: proliferation relative to the parental clone"
        )
        response = sensing * h_ifng
        t.mhc1.append(mhc * (1 + sw.ifng_mhc1 * (mhc_fold - 1) * response))
        t.pdl1.append(pdl1 + sw.ifng_pdl1 * pdl1_induced * response)
        t.antigenicity.append(antigen)
        t.cd19.append(cd19)
        t.sensing.append(sensing)
        proliferation = r * fitness * clone * growth_law * (1 - sw.ifng_direct * arrest * response)
        t.growth.append(proliferation)
        t.ifng_deaths.append(sw.ifng_direct * ifng_kill * r * fitness * response * clone)

    # Variants arise from divisions of the parental clone (immunoediting substrate): such a
    # division is a birth of the variant's population that its own cells did not make (an inflow).
    for k in range(1, N_CLONES):
        # The share of the founding cells that already belong to the variant (a subclone present
        # before the modeled history starts) sets the patient's initial state, not a rate.
        P(
            f"clone_{k}_founder_fraction",
            "1",
            f"clone {k}: share of the founding tumor cells that already carry this variant",
        )
        mu = P(
            f"clone_{k}_emergence_rate",
            "1",
            f"clone {k}: probability that a parental division yields this variant",
        )
        flux = mu * t.growth[0]
        t.emergence[k] = flux
        t.growth[0] = t.growth[0] - flux

    t.recognition = [a * m for a, m in zip(t.antigenicity, t.mhc1, strict=True)]
    t.recognized_total = clone_sum(t.recognition, s.clones)
    t.h_ifng = h_ifng
    return t


def apply_tumor_balance(
    b: ModelBuilder, s: SimpleNamespace, t: SimpleNamespace, kills: list[list[sp.Expr]]
) -> None:
    """Growth minus every death flux for each clone; dead cells release antigen and leave
    non-viable mass (necrosis, then scar) that stays in the lesion until it is cleared.

    `kills[k]` lists the immune kill fluxes (cells/day) of clone k.
    """
    antigen_release = sp.Integer(0)
    all_deaths = sp.Integer(0)
    for k, clone in enumerate(s.clones):
        deaths = t.death_rate * clone + t.ifng_deaths[k] + sp.Add(*kills[k])
        b.birth(clone, t.growth[k])
        b.death(clone, deaths)
        if t.emergence[k] != 0:
            b.inflow(clone, t.emergence[k])
        antigen_release += t.antigenicity[k] * deaths
        all_deaths += deaths
    decay = b.parameter("tumor_antigen_decay_rate", "1/day", "clearance of released tumor antigen")
    b.add_rate(s.tumor_antigen, antigen_release - decay * s.tumor_antigen)
    # Residual mass: the regression bed (necrosis, fibrosis, pigment-laden macrophages) that
    # radiology and calipers still measure after the tumor cells are gone (Tetzlaff 2018).
    residue = b.parameter(
        "nonviable_residue_fraction",
        "1",
        "fraction of a dead tumor cell's volume left in the lesion as necrotic debris or scar",
    )
    clearance = b.parameter(
        "nonviable_clearance_rate",
        "1/day",
        "resorption rate of the lesion's non-viable mass (necrosis and scar)",
    )
    # A share of the residue turns into scar that is never resorbed (radiofrequency-ablation zones
    # keep ~16% of their volume at two years, Zimmermann 2018): the lesion then never vanishes.
    scar = b.parameter(
        "nonviable_scar_fraction",
        "1",
        "share of the non-viable residue that becomes persistent scar (never resorbed)",
    )
    b.add_rate(s.tumor_nonviable, residue * (1 - scar) * all_deaths - clearance * s.tumor_nonviable)
    b.add_rate(s.tumor_scar, residue * scar * all_deaths)

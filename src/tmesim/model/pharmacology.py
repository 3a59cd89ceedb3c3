"""Drug pharmacokinetics and target engagement (M1, M2, M3, M8).

Antibodies: linear two-compartment PK (central/peripheral amounts) with tumor and lymph-node
interstitial concentrations that relax towards a partition of the plasma concentration; receptor
occupancy at the site from quasi-equilibrium binding, occ = C / (C + Kd). Oral small molecules:
first-order absorption from a gut depot, one-compartment elimination, inhibition C / (C + IC50).
Cytokine drugs: aldesleukin one-compartment IV; interferon alfa-2b with a subcutaneous depot.
Vaccine: a decaying antigen/adjuvant depot. CAR-T cells are in `cell_therapy`.
"""

from __future__ import annotations

from types import SimpleNamespace

from tmesim.model.builder import ModelBuilder
from tmesim.model.forms import sat
from tmesim.model.states import ANTIBODY_CLASSES, ANTIBODY_TARGETS, SMALL_MOLECULES


def add_pharmacology(b: ModelBuilder, s: SimpleNamespace) -> SimpleNamespace:
    """Add PK fluxes; return the target-engagement expressions other processes use."""
    e = SimpleNamespace(occupancy_tumor={}, occupancy_lymph_node={})
    for ab in ANTIBODY_CLASSES:
        st = s.ab[ab]
        target = ANTIBODY_TARGETS[ab]
        cl = b.parameter(f"{ab}_clearance", "L/day", f"anti-{target} linear clearance")
        vc = b.parameter(f"{ab}_central_volume", "L", f"anti-{target} central volume")
        vp = b.parameter(f"{ab}_peripheral_volume", "L", f"anti-{target} peripheral volume")
        q = b.parameter(
            f"{ab}_intercompartmental_clearance", "L/day", f"anti-{target} distribution clearance"
        )
        kd = b.parameter(
            f"{ab}_kd", "nM", f"anti-{target} binding affinity (dissociation constant)"
        )
        rho_t = b.parameter(
            f"{ab}_tumor_partition",
            "1",
            f"anti-{target} tumor interstitial / plasma ratio at equilibrium",
        )
        k_t = b.parameter(
            f"{ab}_tumor_exchange_rate", "1/day", f"anti-{target} plasma–tumor exchange rate"
        )
        rho_ln = b.parameter(
            f"{ab}_ln_partition", "1", f"anti-{target} lymph-node / plasma ratio at equilibrium"
        )
        k_ln = b.parameter(
            f"{ab}_ln_exchange_rate", "1/day", f"anti-{target} plasma–lymph-node exchange rate"
        )

        plasma = st.central / vc  # nmol/L = nM
        b.add_rate(st.central, -cl * plasma)
        b.transfer(st.central, st.peripheral, q * plasma - q * st.peripheral / vp)
        # Tissue concentrations hold negligible mass next to plasma; they relax to a partition of it.
        b.add_rate(st.tumor, k_t * (rho_t * plasma - st.tumor))
        b.add_rate(st.lymph_node, k_ln * (rho_ln * plasma - st.lymph_node))
        e.occupancy_tumor[ab] = sat(st.tumor, kd)
        e.occupancy_lymph_node[ab] = sat(st.lymph_node, kd)
        b.observable(f"{ab}_plasma", "nM", f"anti-{target} plasma concentration", plasma)
        b.observable(
            f"occupancy_{ab}",
            "1",
            f"fraction of {target} in the tumor bound by anti-{target}",
            e.occupancy_tumor[ab],
        )

    e.inhibition = {}
    for sm, desc in SMALL_MOLECULES.items():
        st = s.sm[sm]
        ka = b.parameter(f"{sm}_absorption_rate", "1/day", f"{desc} oral absorption rate")
        f = b.parameter(f"{sm}_bioavailability", "1", f"{desc} oral bioavailability")
        cl = b.parameter(f"{sm}_clearance", "L/day", f"{desc} clearance")
        v = b.parameter(f"{sm}_volume", "L", f"{desc} volume of distribution")
        ic50 = b.parameter(f"{sm}_ic50", "nM", f"{desc} cellular potency on its target")
        absorbed = ka * st.gut
        b.add_rate(st.gut, -absorbed)
        b.add_rate(st.central, f * absorbed - cl / v * st.central)
        conc_nm = 1000 * st.central / v  # umol/L -> nM
        e.inhibition[sm] = sat(conc_nm, ic50)
        b.observable(f"{sm}_plasma", "nM", f"{desc} plasma concentration", conc_nm)
        b.observable(
            f"inhibition_{sm}", "1", f"fractional inhibition of the {desc} target", e.inhibition[sm]
        )

    kel = b.parameter("il2_elimination_rate", "1/day", "aldesleukin elimination rate")
    v_il2 = b.parameter("il2_central_volume", "L", "aldesleukin central volume")
    b.add_rate(s.il2_central, -kel * s.il2_central)
    e.il2_plasma = s.il2_central / v_il2  # pmol/L = pM
    b.observable("il2_plasma", "pM", "aldesleukin plasma concentration", e.il2_plasma)

    ka = b.parameter(
        "ifna_absorption_rate", "1/day", "interferon alfa-2b absorption from the s.c. depot"
    )
    kel = b.parameter("ifna_elimination_rate", "1/day", "interferon alfa-2b elimination rate")
    v = b.parameter("ifna_volume", "L", "interferon alfa-2b volume of distribution")
    b.transfer(s.ifna_depot, s.ifna_central, ka * s.ifna_depot)
    b.add_rate(s.ifna_central, -kel * s.ifna_central)
    ec50 = b.parameter(
        "ifna_ec50", "pM", "interferon-α concentration for half-maximal immune activation"
    )
    ifna_pm = s.ifna_central / v
    e.ifna_activity = sat(ifna_pm, ec50)
    b.observable(
        "ifna_activity",
        "1",
        "immune activation by interferon-α (0 none, 1 maximal)",
        e.ifna_activity,
    )

    decay = b.parameter(
        "vaccine_depot_decay_rate", "1/day", "loss rate of vaccine antigen at the injection site"
    )
    b.add_rate(s.vaccine_depot, -decay * s.vaccine_depot)

    return e

"""CD19-type CAR-T cells: expansion, persistence, exhaustion, antigen-dependent killing (M8).

Kinetics follow the cellular-kinetic structure of Stein et al. 2019 (tisagenlecleucel): antigen-driven
expansion to a peak, then a fast contraction of effectors and a slowly declining persisting fraction.
The product's fitness scales its antigen-driven proliferation (expansion and re-expansion from the
persisting pool): products rich in memory-like T cells expand, exhausted or effector-skewed products
expand poorly and fail to clear the leukemia (Fraietta 2018 Nat Med 24:563; Finney 2019 J Clin
Invest 129:2123), the main cause of primary non-response besides antigen-negative disease.
How long CAR-T cells persist is a property of the patient: besides the slow decline of the
persisting pool (Stein 2019), CAR-T cells can be lost to host immune rejection of the transgene
(Turtle 2016 J Clin Invest 126:2123; Lamers 2011 Blood 117:72) or lose function; once the pool is
small it dies out as a birth–death process (`tmesim.solvers.SolverSettings.stochastic_threshold`),
and CD19-positive leukemia that survived can return (the CD19-positive relapse after B-cell
recovery, Maude 2014 N Engl J Med 371:1507; Pulsipher 2022 Blood Cancer Discov 3:66).
CAR-T cells recognise their antigen directly, without MHC-I, and are not braked by PD-L1 here; a clone
without the antigen (CD19-negative) is not killed, so it can relapse.
"""

from __future__ import annotations

from types import SimpleNamespace

import sympy as sp

from tmesim.model.builder import ModelBuilder
from tmesim.model.forms import clone_sum, kill_saturation, sat


def add_cart(
    b: ModelBuilder, s: SimpleNamespace, sw: SimpleNamespace, t: SimpleNamespace
) -> list[sp.Expr]:
    """CAR-T kinetics; returns the per-clone kill fluxes."""
    P = b.parameter
    target = clone_sum(t.cd19, s.clones)
    stim_half = P("cart_stimulation_half", "cell", "CD19+ cells for half-maximal CAR-T stimulation")
    stim = sat(target, stim_half)
    expand = P("cart_expansion_rate", "1/day", "maximal antigen-driven CAR-T expansion rate")
    fitness = P(
        "cart_product_fitness",
        "1",
        "proliferative fitness of the infused CAR-T product, relative to a typical product",
    )
    contract = P("cart_contraction_rate", "1/day", "death rate of CAR-T effectors (contraction)")
    to_memory = P(
        "cart_memory_rate", "1/day", "rate at which CAR-T effectors become persisting cells"
    )
    mem_death = P("cart_memory_death_rate", "1/day", "loss rate of persisting CAR-T cells")
    reactivate = P(
        "cart_memory_reactivation_rate",
        "1/day",
        "maximal re-expansion of persisting CAR-T cells on antigen",
    )
    exhaust = P(
        "cart_exhaustion_rate", "1/day", "maximal exhaustion rate of CAR-T effectors under antigen"
    )
    exh_death = P("cart_exhausted_death_rate", "1/day", "death rate of exhausted CAR-T cells")
    capacity = P(
        "cart_max", "cell", "ceiling of the CAR-T pool (lymphoid niche after lymphodepletion)"
    )
    loss = P(
        "cart_persistence_loss_rate",
        "1/day",
        "loss rate of CAR-T cells of every phase beyond their own kinetics (host immune "
        "rejection of the CAR transgene, loss of function); sets how long CAR-T persist",
    )
    eff, mem, exh = s.cart_effector, s.cart_memory, s.cart_exhausted
    b.birth(eff, fitness * expand * stim * (1 - (eff + mem) / capacity) * eff)
    b.death(eff, (contract + loss) * eff)
    b.transfer(eff, mem, to_memory * eff)
    b.transfer(mem, eff, fitness * reactivate * stim * mem)
    b.death(mem, (mem_death + loss) * mem)
    b.transfer(eff, exh, sw.exhaustion * exhaust * stim * eff)
    b.death(exh, (exh_death + loss) * exh)

    kill = P("cart_kill_rate", "1/day", "maximal CAR-T killing rate per target cell")
    saturation_ratio = P(
        "cart_kill_saturation", "1", "CAR-T : target ratio at half-maximal killing"
    )
    saturation = kill_saturation(eff, saturation_ratio, t.total)
    return [kill * cd19 * saturation * c for cd19, c in zip(t.cd19, s.clones, strict=True)]

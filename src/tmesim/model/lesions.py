"""One patient, several lesions: the declared model turned into an L-lesion model.

Every species of compartment ``tumor`` (tumor clones, infiltrate, tumor cytokines, tumor antibody
concentrations) is copied once per lesion; blood, lymph-node, periphery and depot species stay once
per patient, so every lesion exchanges cells with the same blood and lymph node and sees the same
plasma drug levels. Lesion 0 keeps the declared ids (the 1-lesion model *is* the declared model);
lesion l ≥ 1 carries the suffix ``__lesion_<l>``.

The rates are transformed term by term (the additive terms of each rate):

- a tumor species' rate is copied per lesion, with that lesion's symbols;
- a term of a shared species' rate that holds no tumor symbol stays once;
- a term that moves cells between a lesion and a shared pool (the same flux, up to a constant
  factor, appears in a tumor species' rate: T-cell, NK-cell and monocyte entry, dendritic-cell
  migration to the lymph node, memory formation in the tumor) becomes one term per lesion;
- any other term that reads tumor symbols (a systemic drive such as tumor-driven myelopoiesis or
  CAR-T stimulation by the CD19 burden) is evaluated once on the patient's whole disease: each
  tumor quantity is replaced by its sum over lesions and each lesion-local parameter by its mean
  over lesions, so a saturation acts on the total burden rather than once per lesion.

Lesion-local parameters (the microenvironment draws that differ between a patient's lesions,
`LESION_LOCAL_PARAMETERS`) are copied per lesion; all others are the patient's. The Jacobian is
block-arrowhead (each lesion's block couples only to the shared pools), which the solver's sparse
LU with a minimum-degree ordering factors without fill between lesions.
"""

from __future__ import annotations

import functools
import random

import numpy as np
import sympy as sp

from tmesim.errors import ConfigError
from tmesim.model.builder import Model, Observable, ParameterDecl, Species

TUMOR_COMPARTMENT = "tumor"

LESION_MICROENVIRONMENT = ("tumor_myeloid_factor", "ccl2_secretion_tumor_cell")
"""A lesion's own myeloid program, drawn per lesion before it grows
(`tmesim.cohorts.baseline.vary_lesion_microenvironment`)."""

LESION_RESIDUE = (
    "nonviable_residue_fraction",
    "nonviable_clearance_rate",
    "nonviable_scar_fraction",
)
"""A lesion's own regression bed (what dead tumor cells leave and how fast it is resorbed), drawn
per lesion at treatment start (`tmesim.cohorts.baseline.vary_lesion_residue`)."""

LESION_LOCAL_PARAMETERS = LESION_MICROENVIRONMENT + LESION_RESIDUE
"""Parameters that differ between a patient's lesions; every other parameter is the patient's."""

LESION_OBSERVABLES = (
    "tumor_volume",
    "tumor_diameter",
    "lesion_cell_volume",
    "nonviable_volume",
    "tumor_cells",
)
"""Observables read per lesion; lesion l ≥ 1 has them as `<id>__lesion_<l>`, and the model has
their sums over lesions as `total_<id>` (all but the diameter)."""

MAX_LESIONS = 5
"""At most five target lesions per patient (RECIST 1.1)."""


def lesion_suffix(lesion: int) -> str:
    """Suffix of lesion `lesion`'s ids: '' for lesion 0, '__lesion_<l>' otherwise.

    Example:
        >>> lesion_suffix(0), lesion_suffix(2)
        ('', '__lesion_2')
    """
    return "" if lesion == 0 else f"__lesion_{lesion}"


def lesion_id(id: str, lesion: int) -> str:
    """The id of species, parameter or observable `id` in lesion `lesion`."""
    return id + lesion_suffix(lesion)


def lesion_model(model: Model, n_lesions: int) -> Model:
    """The `n_lesions`-lesion model of `model` (built once per model and count); with one lesion
    it is `model` itself.

    Example:
        >>> from tmesim.model import build_model
        >>> m = build_model()
        >>> lesion_model(m, 1) is m
        True
        >>> m2 = lesion_model(m, 2)
        >>> "tumor_clone_0__lesion_1" in m2.species_ids, "cd8_memory__lesion_1" in m2.species_ids
        (True, False)
    """
    if not 1 <= int(n_lesions) <= MAX_LESIONS:
        raise ConfigError(
            "n_lesions", n_lesions, f"give 1 to {MAX_LESIONS} lesions (RECIST 1.1's limit)"
        )
    if n_lesions == 1:
        return model
    return _lesion_model(model, int(n_lesions))


@functools.cache
def _lesion_model(model: Model, n: int) -> Model:
    tumor = [s for s in model.species if s.compartment == TUMOR_COMPARTMENT]
    tumor_syms = {model.symbols[s.id] for s in tumor}
    local = [p for p in model.parameters if p.id in LESION_LOCAL_PARAMETERS]
    states = {model.symbols[s] for s in model.species_ids}

    symbols = dict(model.symbols)
    maps: list[dict[sp.Symbol, sp.Symbol]] = [{}]
    species = list(model.species)
    parameters = list(model.parameters)
    for lesion in range(1, n):
        mapping = {}
        for s in tumor:
            new = lesion_id(s.id, lesion)
            sym = sp.Symbol(new, real=True, nonnegative=True)
            symbols[new] = mapping[model.symbols[s.id]] = sym
            species.append(
                Species(
                    new,
                    s.units,
                    s.compartment,
                    f"{s.description} (lesion {lesion})",
                    s.extinguishable,
                )
            )
        for p in local:
            new = lesion_id(p.id, lesion)
            sym = sp.Symbol(new, real=True, nonnegative=True)
            symbols[new] = mapping[model.symbols[p.id]] = sym
            parameters.append(ParameterDecl(new, p.units, f"{p.description} (lesion {lesion})"))
        maps.append(mapping)

    def per_lesion(expr: sp.Expr, lesion: int) -> sp.Expr:
        return expr.xreplace(maps[lesion]) if lesion else expr

    whole = {sym: sp.Add(*(per_lesion(sym, k) for k in range(n))) for sym in tumor_syms}
    whole.update(
        {
            model.symbols[p.id]: sp.Add(*(per_lesion(model.symbols[p.id], k) for k in range(n))) / n
            for p in local
        }
    )
    fluxes = _lesion_terms(model, tumor_syms, states)

    def shared(expr: sp.Expr) -> sp.Expr:
        # A shared pool's rate (or its births, deaths or inflows): per-lesion fluxes once per
        # lesion, systemic drives on the whole disease, the rest once.
        terms = []
        for term in sp.Add.make_args(expr):
            if not term.free_symbols & tumor_syms:
                terms.append(term)
            elif term in fluxes or -term in fluxes:
                terms.extend(per_lesion(term, k) for k in range(n))
            else:
                terms.append(term.xreplace(whole))
        return sp.Add(*terms)

    rates = []
    for s, rate in zip(model.species, model.rates, strict=True):
        rates.append(rate if s.compartment == TUMOR_COMPARTMENT else shared(rate))
    for lesion in range(1, n):
        rates.extend(
            per_lesion(rate, lesion)
            for s, rate in zip(model.species, model.rates, strict=True)
            if s.compartment == TUMOR_COMPARTMENT
        )

    compartment = {s.id: s.compartment for s in model.species}
    demography = []
    for sid, *fluxes_of in model.demography:
        if compartment[sid] == TUMOR_COMPARTMENT:
            demography.append((sid, *fluxes_of))
        else:
            demography.append((sid, *(shared(e) for e in fluxes_of)))
    for lesion in range(1, n):
        demography.extend(
            (lesion_id(sid, lesion), *(per_lesion(e, lesion) for e in fluxes_of))
            for sid, *fluxes_of in model.demography
            if compartment[sid] == TUMOR_COMPARTMENT
        )

    observables = list(model.observables)
    obs_exprs = list(model.observable_exprs)
    declared = {
        o.id: (o, e) for o, e in zip(model.observables, model.observable_exprs, strict=True)
    }
    for oid in LESION_OBSERVABLES:
        o, expr = declared[oid]
        for lesion in range(1, n):
            observables.append(
                Observable(lesion_id(oid, lesion), o.units, f"{o.description} (lesion {lesion})")
            )
            obs_exprs.append(per_lesion(expr, lesion))
        if oid != "tumor_diameter":
            observables.append(
                Observable(f"total_{oid}", o.units, f"{o.description}, summed over lesions")
            )
            obs_exprs.append(sp.Add(*(per_lesion(expr, k) for k in range(n))))
    return Model(
        name=f"{model.name}_{n}_lesions",
        species=tuple(species),
        parameters=tuple(parameters),
        mechanisms=model.mechanisms,
        observables=tuple(observables),
        symbols=symbols,
        rates=tuple(rates),
        observable_exprs=tuple(obs_exprs),
        demography=tuple(demography),
    )


def _lesion_terms(model: Model, tumor_syms: set[sp.Symbol], states: set[sp.Symbol]) -> set[sp.Expr]:
    """Terms of shared species' rates that are fluxes between a lesion and a shared pool: the
    same term, up to a factor free of states, appears in a tumor species' rate."""
    candidates: dict[frozenset, list[sp.Expr]] = {}
    for s, rate in zip(model.species, model.rates, strict=True):
        if s.compartment == TUMOR_COMPARTMENT:
            for term in sp.Add.make_args(rate):
                candidates.setdefault(frozenset(term.free_symbols & states), []).append(term)
    out = set()
    for s, rate in zip(model.species, model.rates, strict=True):
        if s.compartment == TUMOR_COMPARTMENT:
            continue
        for term in sp.Add.make_args(rate):
            if not term.free_symbols & tumor_syms:
                continue
            same = candidates.get(frozenset(term.free_symbols & states), [])
            if any(_state_free_ratio(term, other, states) for other in same):
                out.add(term)
    return out


def _state_free_ratio(a: sp.Expr, b: sp.Expr, states: set[sp.Symbol]) -> bool:
    """True when a / b does not depend on the states (checked at random points)."""
    syms = sorted(a.free_symbols | b.free_symbols, key=str)
    rng = random.Random(0)
    params = {s: rng.uniform(0.5, 2.0) for s in syms if s not in states}
    ratios = []
    for _ in range(3):
        point = {**params, **{s: rng.uniform(0.5, 2.0) for s in syms if s in states}}
        den = complex(b.xreplace(point).evalf())
        if den == 0:
            return False
        ratios.append(complex(a.xreplace(point).evalf()) / den)
    return all(abs(r - ratios[0]) <= 1e-9 * abs(ratios[0]) for r in ratios[1:])


def joint_parameters(model: Model, n_lesions: int, P: list[np.ndarray]) -> np.ndarray:
    """Parameter rows of the `n_lesions`-lesion model from each lesion's rows `P[l]` (n, n_params
    of `model`): the patient's parameters from lesion 0, lesion-local ones from each lesion."""
    joint = lesion_model(model, n_lesions)
    cols = [P[0]]
    for lesion in range(1, n_lesions):
        cols.append(P[lesion][:, [model.parameter_index(p) for p in _local_ids(model)]])
    out = np.hstack(cols)
    assert out.shape[1] == len(joint.parameters)
    return out


def joint_state(model: Model, n_lesions: int, Y: list[np.ndarray]) -> np.ndarray:
    """States of the `n_lesions`-lesion model from each lesion's states `Y[l]` (n, n_states of
    `model`): the shared pools (blood, lymph node, drugs) of lesion 0, each lesion its own site."""
    joint = lesion_model(model, n_lesions)
    tumor = [i for i, s in enumerate(model.species) if s.compartment == TUMOR_COMPARTMENT]
    out = np.hstack([Y[0], *(Y[lesion][:, tumor] for lesion in range(1, n_lesions))])
    assert out.shape[1] == len(joint.species)
    return out


def lesion_states(model: Model, n_lesions: int, Y: np.ndarray, lesion: int) -> np.ndarray:
    """The states of lesion `lesion` in `model`'s layout from joint states `Y` (shared pools as
    they are in the joint state)."""
    joint = lesion_model(model, n_lesions)
    out = np.array(Y[..., : len(model.species)], copy=True)
    if lesion:
        for i, s in enumerate(model.species):
            if s.compartment == TUMOR_COMPARTMENT:
                out[..., i] = Y[..., joint.species_index(lesion_id(s.id, lesion))]
    return out


def _local_ids(model: Model) -> list[str]:
    return [p.id for p in model.parameters if p.id in LESION_LOCAL_PARAMETERS]

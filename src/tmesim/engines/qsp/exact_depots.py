"""Drug states the cohort solver can follow in closed form between doses.

A depot whose whole rate is -k·y (an oral gut depot, a subcutaneous depot) and a compartment fed
only by such a depot (rate -k·y + a·y_depot, e.g. an oral drug's plasma amount) have exact
solutions between doses: exp(-k t) and the Bateman function. Which states qualify, and their
rate constants per virtual patient, are read from the model's symbolic equations; the solver
then uses the closed form instead of resolving the exponentials with steps
(`tmesim.simulation.simulate(..., exact_depots=True)`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tmesim.model.builder import Model
from tmesim.solvers import ExactStates

DEPOT_COMPARTMENTS = ("gut", "skin")
"""Compartments of the model's drug depots (oral gut depot, s.c. and vaccine depots)."""


def exact_states(model: Model, P: np.ndarray) -> ExactStates:
    """The drug states the solver follows in closed form, with their rates for each row of `P`:
    every depot (a state of :data:`DEPOT_COMPARTMENTS` whose whole rate is -k·y) and every
    compartment fed only by one (rate -k·y + a·y_depot, e.g. an oral drug's plasma amount), read
    from the model's symbolic equations.

    Example:
        >>> from tmesim.model import build_model
        >>> m = build_model()
        >>> e = exact_states(m, np.ones((1, len(m.parameters))))
        >>> sorted(m.species_ids[i] for i in e.idx)[:2]
        ['ifna_central', 'ifna_depot']
    """
    key = model.structure_hash()
    if key not in _EXACT:
        _EXACT[key] = _find_exact(model)
    idx, src, k_fn, a_fn = _EXACT[key]
    P = np.atleast_2d(np.asarray(P, dtype=float))
    k = np.column_stack([np.broadcast_to(f(*P.T), len(P)) for f in k_fn]) if idx.size else None
    a = np.column_stack([np.broadcast_to(f(*P.T), len(P)) for f in a_fn]) if idx.size else None
    empty = np.zeros((len(P), 0))
    return ExactStates(idx, src, k if k is not None else empty, a if a is not None else empty)


_EXACT: dict[str, tuple[np.ndarray, np.ndarray, list[Any], list[Any]]] = {}


def _find_exact(model: Model) -> tuple[np.ndarray, np.ndarray, list[Any], list[Any]]:
    import sympy as sp

    states = {model.symbols[i] for i in model.species_ids}
    params = [model.symbols[p] for p in model.parameter_ids]

    def linear(rate: Any, ys: list[Any]) -> list[Any] | None:
        """Coefficients of `rate` in `ys` if it is linear in them with parameter coefficients."""
        if rate == 0 or not (rate.free_symbols & states) <= set(ys):
            return None
        coef = [sp.diff(rate, y) for y in ys]
        if any(c.free_symbols & states for c in coef):
            return None
        if sp.expand(rate - sum(c * y for c, y in zip(coef, ys, strict=True))) != 0:
            return None
        return coef

    depots: list[tuple[int, Any]] = []
    for i, sp_ in enumerate(model.species):
        y = model.symbols[sp_.id]
        coef = linear(model.rates[i], [y]) if sp_.compartment in DEPOT_COMPARTMENTS else None
        if coef is not None:
            depots.append((i, -coef[0]))
    idx, src, ks = [d for d, _ in depots], [-1] * len(depots), [k for _, k in depots]
    gains = [sp.Integer(0)] * len(depots)
    for i, rate in enumerate(model.rates):
        if i in idx:
            continue
        y = model.symbols[model.species_ids[i]]
        for j, (d, _) in enumerate(depots):
            coef = linear(rate, [y, model.symbols[model.species_ids[d]]])
            if coef is not None and coef[1] != 0:
                idx.append(i)
                src.append(j)
                ks.append(-coef[0])
                gains.append(coef[1])
                break
    k_fn = [sp.lambdify(params, k, "numpy") for k in ks]
    a_fn = [sp.lambdify(params, a, "numpy") for a in gains]
    return np.array(idx, dtype=np.int64), np.array(src, dtype=np.int64), k_fn, a_fn

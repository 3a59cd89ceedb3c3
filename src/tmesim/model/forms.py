"""Rate-law forms shared by the mechanism modules."""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp


def sat(x: sp.Expr, half: sp.Expr) -> sp.Expr:
    """Saturating response x / (x + half)."""
    return x / (x + half)


def kill_saturation(killers: sp.Expr, ratio: sp.Expr, targets: sp.Expr) -> sp.Expr:
    """Effector saturation of killing, QSP-IO form E / (K·T + E + 1): half-maximal when there are
    `ratio` killers per target cell."""
    return killers / (ratio * targets + killers + 1)


def clone_sum(traits: Sequence[sp.Expr], clones: Sequence[sp.Expr]) -> sp.Expr:
    """Sum over tumor clones of a per-cell trait times the clone's size."""
    return sp.Add(*(trait * clone for trait, clone in zip(traits, clones, strict=True)))


SUPPLY = (
    " reaching each mm³ of tumor per day from blood, before the lesion's own chemokine and "
    "myeloid factors (the inflow the spatial engine's vessels deliver)"
)
"""Description tail of the `supply_*` observables."""

"""From the symbolic model to source code: right-hand side, exact Jacobian, observables.

The symbolic Jacobian is differentiated by sympy once and common subexpressions are shared (CSE),
so the compiled Rosenbrock solver gets exact derivatives at the cost of a few hundred flops. The
same expressions printed for plain Python give the independent reference used with scipy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from tmesim.engines.qsp.tolerances import absolute_tolerances
from tmesim.model.builder import Model

GENERATOR_VERSION = "6"


class _ArrayPrinter(PythonCodePrinter):
    """Prints model symbols as `y[i]` / `p[j]` and functions from the `math` module."""

    def __init__(self, names: dict[sp.Symbol, str]) -> None:
        super().__init__({"fully_qualified_modules": True, "standard": "python3"})
        self._names = names

    def _print_Symbol(self, expr: sp.Symbol) -> str:  # noqa: N802 (sympy's naming)
        return self._names.get(expr, expr.name)

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:  # noqa: N802
        base, exp = expr.as_base_exp()
        if exp.is_Integer and 1 < int(exp) <= 4:
            # Repeated products are faster and exact, and avoid pow() of negative rounding errors.
            b = self.parenthesize(base, 1000)
            return "(" + "*".join([b] * int(exp)) + ")"
        if exp == -1:
            return f"(1.0/{self.parenthesize(base, 1000)})"
        if exp.is_Integer and -4 <= int(exp) < -1:
            b = self.parenthesize(base, 1000)
            return "(1.0/(" + "*".join([b] * -int(exp)) + "))"
        return super()._print_Pow(expr, rational=rational)


def _names(model: Model) -> dict[sp.Symbol, str]:
    names = {model.symbols[s]: f"y[{i}]" for i, s in enumerate(model.species_ids)}
    names.update({model.symbols[p]: f"p[{j}]" for j, p in enumerate(model.parameter_ids)})
    return names


def _function(
    name: str,
    args: str,
    targets: Sequence[str],
    exprs: Sequence[sp.Expr],
    printer: _ArrayPrinter,
    decorator: str,
) -> str:
    replacements, reduced = sp.cse(
        list(exprs), symbols=sp.numbered_symbols("x"), optimizations=None
    )
    body = [f"    {sym} = {printer.doprint(expr)}" for sym, expr in replacements]
    body += [
        f"    {target} = {printer.doprint(expr)}"
        for target, expr in zip(targets, reduced, strict=True)
    ]
    header = [decorator] if decorator else []
    return "\n".join([*header, f"def {name}({args}):", *(body or ["    pass"])])


def jacobian_entries(model: Model) -> list[tuple[int, int, sp.Expr]]:
    """The structurally non-zero entries (i, j, d rate_i / d y_j) of the Jacobian."""
    ys = [model.symbols[s] for s in model.species_ids]
    entries = []
    for i, rate in enumerate(model.rates):
        present = rate.free_symbols
        for j, y in enumerate(ys):
            if y in present:
                d = sp.diff(rate, y)
                if d != 0:
                    entries.append((i, j, d))
    return entries


def generate_source(model: Model, *, compiled: bool = True) -> str:
    """Source text defining `rhs`, `jac`, `observe`, `demography`, the size constants and
    `STATE_ATOL`, the solver's absolute tolerance per state (from its units).

    `demography` writes the births, deaths and inflows (cells/day) of each extinguishable
    species at its index of `birth`, `death` and `inflow` (the solver's small-population law).

    `jac` writes only the structurally non-zero entries (the same ones at every call), so the
    caller zeroes `J` once when it allocates it.

    With `compiled=True` the functions carry `@njit(cache=True)` for the numba kernel; otherwise
    they are plain Python (the scipy reference).
    """
    printer = _ArrayPrinter(_names(model))
    deco = "@njit(cache=True)" if compiled else ""
    n = len(model.species)
    rhs = _function(
        "rhs", "t, y, p, dydt", [f"dydt[{i}]" for i in range(n)], model.rates, printer, deco
    )
    entries = jacobian_entries(model)
    jac = _function(
        "jac",
        "t, y, p, J",
        [f"J[{i}, {j}]" for i, j, _ in entries],
        [d for _, _, d in entries],
        printer,
        deco,
    )
    obs = _function(
        "observe",
        "t, y, p, out",
        [f"out[{k}]" for k in range(len(model.observables))],
        model.observable_exprs,
        printer,
        deco,
    )
    names = {sid: i for i, sid in enumerate(model.species_ids)}
    targets, fluxes = [], []
    for sid, births, deaths, inflows in model.demography:
        i = names[sid]
        targets += [f"birth[{i}]", f"death[{i}]", f"inflow[{i}]"]
        fluxes += [births, deaths, inflows]
    demography = _function(
        "demography", "t, y, p, birth, death, inflow", targets, fluxes, printer, deco
    )
    header = [
        f"# Generated from model {model.name!r} (structure {model.structure_hash()}).",
        f"N_STATES = {n}",
        f"N_PARAMS = {len(model.parameters)}",
        f"N_OBS = {len(model.observables)}",
        f"JAC_NONZEROS = {len(entries)}",
        "STATE_ATOL = np.array([{}])".format(
            ", ".join("np.nan" if a != a else repr(float(a)) for a in absolute_tolerances(model))
        ),
    ]
    return "\n".join(header) + "\n\n\n" + "\n\n\n".join([rhs, jac, obs, demography]) + "\n"


def source_key(model: Model) -> str:
    """A key for caching generated source: model structure plus generator version."""
    return hashlib.sha256(f"{model.structure_hash()}-{GENERATOR_VERSION}".encode()).hexdigest()[:16]

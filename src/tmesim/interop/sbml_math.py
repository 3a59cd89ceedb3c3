"""sympy expressions to and from SBML Level 3 infix formulas (libSBML's L3 parser syntax)."""

from __future__ import annotations

import math

import sympy as sp

from tmesim.errors import ConfigError

_RELATIONS = {
    sp.StrictGreaterThan: "gt",
    sp.GreaterThan: "geq",
    sp.StrictLessThan: "lt",
    sp.LessThan: "leq",
    sp.Eq: "eq",
    sp.Ne: "neq",
}
_LOGIC = {sp.And: "and", sp.Or: "or", sp.Xor: "xor"}
_FUNCTIONS = {
    sp.exp: "exp",
    sp.log: "ln",
    sp.Abs: "abs",
    sp.Max: "max",
    sp.Min: "min",
    sp.floor: "floor",
    sp.ceiling: "ceil",
    sp.sin: "sin",
    sp.cos: "cos",
    sp.tan: "tan",
    sp.tanh: "tanh",
    sp.sinh: "sinh",
    sp.cosh: "cosh",
    sp.atan: "arctan",
}


def _number(x: sp.Expr) -> str:
    if x.is_Integer:
        text = str(int(x))
    elif x.is_Rational:
        text = f"{int(x.p)}/{int(x.q)}"
    else:
        value = float(x)
        if not math.isfinite(value):
            return "INF" if value > 0 else ("-INF" if value < 0 else "NaN")
        text = repr(value)
    return f"({text})" if text.startswith("-") or "/" in text else text


def to_formula(expr: sp.Expr | sp.logic.boolalg.Boolean) -> str:
    """An SBML L3 infix formula (libsbml.parseL3Formula syntax) for a sympy expression.

    Example:
        >>> x, k = sp.symbols("x k")
        >>> to_formula(k * x**2 / (1 + x))
        '(k * (x)^(2) * ((1 + x))^((-1)))'
    """
    if expr is sp.true:
        return "true"
    if expr is sp.false:
        return "false"
    if isinstance(expr, sp.Symbol):
        return expr.name
    if expr.is_Number:
        return _number(expr)
    if expr is sp.pi:
        return "pi"
    if expr is sp.E:
        return "exponentiale"
    args = expr.args
    if isinstance(expr, sp.Add):
        return "(" + " + ".join(to_formula(a) for a in args) + ")"
    if isinstance(expr, sp.Mul):
        return "(" + " * ".join(to_formula(a) for a in args) + ")"
    if isinstance(expr, sp.Pow):
        return f"({to_formula(args[0])})^({to_formula(args[1])})"
    if isinstance(expr, sp.Piecewise):
        parts: list[str] = []
        for value, cond in args:
            if cond is sp.true:
                parts.append(to_formula(value))
                break
            parts += [to_formula(value), to_formula(cond)]
        return "piecewise(" + ", ".join(parts) + ")"
    for kinds in (_RELATIONS, _LOGIC, _FUNCTIONS):
        for cls, fname in kinds.items():
            if isinstance(expr, cls):
                return f"{fname}(" + ", ".join(to_formula(a) for a in args) + ")"
    if isinstance(expr, sp.Not):
        return f"not({to_formula(args[0])})"
    if isinstance(expr, sp.Heaviside):
        x = to_formula(args[0])
        return f"piecewise(1, gt({x}, 0), 0)"
    raise ConfigError(
        "model expression",
        type(expr).__name__,
        "this function has no SBML form here; add it to tmesim.interop.sbml_math",
    )

"""Units at the boundary: quantities given by users are converted once to the model's units.

Built on pint, with the counting units the model uses (cells, molecules) added to its registry.
"""

from __future__ import annotations

import functools

import pint

from tmesim.errors import ConfigError


@functools.cache
def registry() -> pint.UnitRegistry:
    """The unit registry, with `cell` and `molecule` as counting dimensions."""
    ureg = pint.UnitRegistry()
    ureg.define("cell = [cell_count] = cells")
    ureg.define("molecule_count = [molecule_count] = molecules")
    return ureg


def _unit(text: str, field: str) -> pint.Unit:
    ureg = registry()
    cleaned = text.replace("molecule/", "molecule_count/").replace("molecule ", "molecule_count ")
    if cleaned == "molecule":
        cleaned = "molecule_count"
    try:
        return ureg.parse_units(cleaned)
    except (
        pint.errors.UndefinedUnitError,
        pint.errors.DefinitionSyntaxError,
        ValueError,
        AttributeError,
    ) as exc:
        raise ConfigError(
            field, text, f"write units pint understands, e.g. '1/day', 'nM', 'cell/mm^3' ({exc})"
        ) from None


def convert(value: float, units: str, to: str, *, field: str = "value") -> float:
    """Convert `value` from `units` to `to`; a ConfigError names the field if they do not match.

    Example:
        >>> convert(0.5, "1/hour", "1/day")
        12.0
    """
    if units == to:
        return float(value)
    ureg = registry()
    try:
        q = ureg.Quantity(float(value), _unit(units, field)).to(_unit(to, field))
    except pint.errors.DimensionalityError:
        raise ConfigError(
            field, f"{value} {units}", f"give it in units compatible with '{to}'"
        ) from None
    return float(q.magnitude)


def parse_quantity(text: float | int | str, to: str, *, field: str) -> float:
    """Read `0.3`, `"0.3"` or `"0.3 1/day"` and return the magnitude in units `to`.

    Example:
        >>> parse_quantity("12 h", "day", field="half_life")
        0.5
    """
    if isinstance(text, bool):
        raise ConfigError(field, text, "give a number, optionally followed by units")
    if isinstance(text, int | float):
        return float(text)
    parts = str(text).strip().split(maxsplit=1)
    try:
        number = float(parts[0])
    except (ValueError, IndexError):
        raise ConfigError(
            field, text, f"give a number, optionally followed by units (e.g. '1.5 {to}')"
        ) from None
    if len(parts) == 1:
        return number
    return convert(number, parts[1], to, field=field)

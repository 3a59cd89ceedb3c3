"""Physical limits of user inputs: the ranges a value must lie in to mean something.

The config models declare their own field bounds; this module holds the limits that several
models share (days, doses per unit, parameter values) so that each is written once. The ceilings
are sanity limits, far beyond any protocol or measurement, not biology: they stop a typo (an
exponent too many) from turning into hours of work or a result computed from nonsense.

Example:
    >>> dose_range("mg/kg")
    (1e-06, 1000.0)
    >>> is_fraction_parameter("ipi549_emax", "1", "maximal fraction of myeloid PI3Kγ blocked")
    True
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from tmesim.errors import ConfigError

MAX_DAYS = 100 * 365.0
"""Longest span of days any schedule, follow-up or start day may cover: a century."""
MIN_SAVE_INTERVAL_DAYS = 1 / 1440
"""Shortest interval between saved time points: one minute."""
MAX_DOSES_PER_STEP = 10_000
"""Most administrations in one regimen step (q8h for more than nine years)."""
MAX_VALUES_PER_CHUNK = 20_000_000
"""Most saved (patient, time point) pairs held in memory at once: chunk size × save points.
Each pair holds every observable as a float64 (a few hundred bytes), so this bounds a chunk's
trajectories to a few GB; larger cohorts are streamed to disk chunk by chunk."""


def check_save_grid(
    span_days: float,
    span_field: str,
    save_every_days: float,
    chunk_size: int,
    largest_group: int,
    max_points: int,
) -> None:
    """Refuse a save grid that does not fit: an interval longer than the simulated span
    (`span_field`), more than `max_points` saved points per patient, or a chunk holding more than
    `MAX_VALUES_PER_CHUNK` saved (patient, time point) pairs.

    Example:
        >>> check_save_grid(60.0, "duration_days", 1.0, 100, 20, 1_000_000)
        >>> check_save_grid(60.0, "duration_days", 90.0, 100, 20, 1_000_000)
        Traceback (most recent call last):
        ...
        tmesim.errors.ConfigError: save_every_days: 90.0 is not valid; it must not exceed ...
    """
    if save_every_days > span_days:
        raise ConfigError(
            "save_every_days",
            save_every_days,
            f"it must not exceed {span_field} ({span_days:g}); lower it or lengthen the "
            "simulated span.",
        )
    n_points = span_days / save_every_days
    if n_points > max_points:
        # Trajectories are stored per patient and time point; this many would not fit.
        raise ConfigError(
            "save_every_days",
            save_every_days,
            f"it would save {n_points:.3g} time points per patient (at most "
            f"{max_points:,}); use a larger interval.",
        )
    held = min(chunk_size, largest_group) * (n_points + 1)
    if held > MAX_VALUES_PER_CHUNK:
        raise ConfigError(
            "chunk_size",
            chunk_size,
            f"a chunk would hold {held:.3g} saved patient-time points in memory (at most "
            f"{MAX_VALUES_PER_CHUNK:,}); lower chunk_size or raise save_every_days.",
        )


MAX_PARAMETER_VALUE = 1e15
"""Largest value a preset parameter may be given (cell counts reach ~1e12)."""

LETHAL_BURDEN_MM3: dict[str, float] = {"human": 3e5, "mouse": 1e4}
"""Tumor burden no patient is alive with at treatment start (mm³). Human: ~300 cm³ (~3e11 cells),
the trials' `survival.lethal_burden_mm3` default (spread disease kills through the organs it
invades; below the ~1 kg quoted for a single mass, Friberg & Mattsson 1997 J Surg Oncol 65:284).
Mouse: 10 cm³, half the body mass of a 20 g mouse (assumed: humane endpoints stop studies at
1.5–2 cm³, about 10% of body mass, Workman 2010 Br J Cancer 102:1555; no mouse lives with five
times that)."""
LETHAL_START_FOLD = 10.0
"""A preset's own typical size at treatment start is survivable by construction; a baseline above
this many times it is implausible too (for presets whose disease is larger than a solid tumor,
such as B-ALL with ~1e12 leukemic cells)."""


def lethal_burden_mm3(species: str, start_volume_mm3: float | None) -> float:
    """Burden above which a baseline is implausible (:data:`LETHAL_BURDEN_MM3`, at least
    :data:`LETHAL_START_FOLD` × the preset's start volume).

    Example:
        >>> lethal_burden_mm3("human", 4000.0), lethal_burden_mm3("human", 1e6)
        (300000.0, 10000000.0)
    """
    base = LETHAL_BURDEN_MM3.get(species, LETHAL_BURDEN_MM3["human"])
    return max(base, LETHAL_START_FOLD * (start_volume_mm3 or 0.0))


_DOSE_RANGES: dict[str, tuple[float, float]] = {
    # unit: (smallest, largest) amount per administration; a nanogram to a gram per kg.
    "mg": (1e-6, 1e5),
    "mg/kg": (1e-6, 1e3),
    "mg/m2": (1e-5, 4e4),
    "ug": (1e-3, 1e8),
    "ug/kg": (1e-3, 1e6),
    "ug/m2": (1e-2, 4e7),
    "IU": (1.0, 1e11),
    "IU/kg": (1e-3, 1e9),
    "IU/m2": (1e-2, 4e10),
    "MIU": (1e-6, 1e5),
    "MIU/m2": (1e-5, 4e4),
    "cells": (1.0, 1e13),
    "cells/kg": (1e-3, 1e11),
}

# Dimensionless parameters that are fractions, probabilities, 0/1 switches or maximal
# inhibitions: their model meaning (the description) puts them in [0, 1].
_FRACTION_MEANING = re.compile(
    r"^maximal (inhibition|fraction)|probability|bioavailability|\(1\) or lost|0 or 1|"
    r"1 intact, 0|^growth law: 0|relative to an effector|^fraction of|interstitial fraction|"
    r"as a fraction of the maximum|free-B7 fraction|^switch \(1 on"
)


def dose_range(unit: str) -> tuple[float, float]:
    """The smallest and largest amount of one administration in ``unit``."""
    return _DOSE_RANGES.get(unit, (1e-9, 1e15))


def check_dose(amount: float, unit: str, where: str = "amount") -> None:
    """Raise ConfigError unless ``amount`` (in ``unit``) lies in :func:`dose_range`.

    Example:
        >>> check_dose(3, "mg/kg")
        >>> check_dose(1e30, "mg/kg")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tmesim.errors.ConfigError: amount: 1e+30 is not valid; a dose in mg/kg lies in ...
    """
    low, high = dose_range(unit)
    if not (math.isfinite(amount) and low <= amount <= high):
        raise ConfigError(
            where,
            amount,
            f"a dose in {unit} lies in [{low:g}, {high:g}]; check the amount and its unit",
        )


def is_fraction_parameter(pid: str, units: str, description: str) -> bool:
    """True for a dimensionless parameter whose meaning confines it to [0, 1]."""
    return units == "1" and (
        pid.startswith("mechanism_") or bool(_FRACTION_MEANING.search(description))
    )


def check_parameter_values(
    values: Iterable[tuple[str, float]], declared: dict[str, tuple[str, str]], where: str
) -> None:
    """Raise ConfigError for a parameter value outside its physical range: negative, beyond
    :data:`MAX_PARAMETER_VALUE`, or a fraction outside [0, 1].

    Args:
        values: (parameter id, value in the model's units) pairs to check.
        declared: parameter id → (units, description), as the model declares them.
        where: the config section the values came from (e.g. ``"parameters"``).

    Example:
        >>> check_parameter_values([("ipi549_emax", 5.0)],
        ...     {"ipi549_emax": ("1", "maximal fraction blocked")}, "parameters")
        Traceback (most recent call last):
        ...
        tmesim.errors.ConfigError: parameters.ipi549_emax: 5.0 is not valid; it is a fraction, ...
    """
    for pid, value in values:
        units, description = declared.get(pid, ("", ""))
        field = f"{where}.{pid}"
        if not math.isfinite(value) or value < 0 or value > MAX_PARAMETER_VALUE:
            raise ConfigError(
                field,
                value,
                f"give a finite value between 0 and {MAX_PARAMETER_VALUE:g} (in {units or '1'})",
            )
        if is_fraction_parameter(pid, units, description) and value > 1:
            raise ConfigError(field, value, f"it is a fraction, between 0 and 1 ({description})")

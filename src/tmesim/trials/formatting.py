"""Endpoint statistics as text: rates and medians with their intervals, ratios, p values, counts.

One set of formatters for the console summary and the HTML report, kept free of plotting so that
the console does not load matplotlib. Undefined values print as ``'—'``, medians not reached as
``'NR'``.

Example:
    >>> format_rate_ci(0.42, 0.31, 0.55), format_count(7, 12)
    ('42% (31–55%)', '7/12')
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

DAYS_PER_MONTH = 30.4375
DASH = "–"
MISSING = "—"
NOT_REACHED = "NR"


def _finite(x: Any) -> bool:
    """True for a finite number (False for None, NA, NaN, inf and non-numbers)."""
    try:
        return x is not None and not pd.isna(x) and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def format_percent(rate: float) -> str:
    """``0.4216`` → ``'42%'`` (``'—'`` when undefined).

    Example:
        >>> format_percent(0.4216)
        '42%'
    """
    return f"{100 * float(rate):.0f}%" if _finite(rate) else MISSING


def format_rate_ci(rate: float, low: float, high: float) -> str:
    """A rate with its interval: ``'42% (31–55%)'``.

    Example:
        >>> format_rate_ci(0.42, 0.31, 0.55)
        '42% (31–55%)'
    """
    if not _finite(rate):
        return MISSING
    if not (_finite(low) and _finite(high)):
        return format_percent(rate)
    return f"{format_percent(rate)} ({100 * float(low):.0f}{DASH}{format_percent(high)})"


def format_time(x: float, scale: float = 1.0) -> str:
    """A time divided by ``scale`` with one decimal; ``NR`` where not reached (inf or NaN).

    Example:
        >>> format_time(60.875, DAYS_PER_MONTH), format_time(float("inf"))
        ('2.0', 'NR')
    """
    return f"{float(x) / scale:.1f}" if _finite(x) else NOT_REACHED


def format_median_ci(median: float, low: float, high: float, scale: float = 1.0) -> str:
    """A median time with its interval, divided by ``scale``; ``NR`` where not reached.

    Example:
        >>> format_median_ci(30.0, 21.0, float("nan"))
        '30.0 (21.0–NR)'
    """
    if not _finite(median) and not _finite(low):
        return NOT_REACHED
    text = [format_time(x, scale) for x in (median, low, high)]
    return f"{text[0]} ({text[1]}{DASH}{text[2]})"


def format_ratio_ci(value: float, low: float, high: float) -> str:
    """A hazard ratio with its interval: ``'0.62 (0.45–0.85)'``.

    Example:
        >>> format_ratio_ci(0.621, 0.449, 0.853)
        '0.62 (0.45–0.85)'
    """
    if not _finite(value):
        return MISSING
    bounds = [f"{float(x):.2f}" if _finite(x) else "?" for x in (low, high)]
    return f"{float(value):.2f} ({bounds[0]}{DASH}{bounds[1]})"


def format_p(p: float) -> str:
    """A p value: ``'<0.001'``, ``'0.004'``, ``'0.21'``.

    Example:
        >>> [format_p(x) for x in (0.0002, 0.0041, 0.213)]
        ['<0.001', '0.004', '0.21']
    """
    if not _finite(p):
        return MISSING
    p = float(p)
    if p < 0.001:
        return "<0.001"
    return f"{p:.3f}" if p < 0.01 else f"{p:.2f}"


def format_count(events: Any, n: Any) -> str:
    """``'7/12'``.

    Example:
        >>> format_count(7, 12)
        '7/12'
    """
    if not (_finite(events) and _finite(n)):
        return MISSING
    return f"{int(events)}/{int(n)}"

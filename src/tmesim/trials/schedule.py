"""Scheduled scan days of a clinical trial from its `visits` config, in one phase or several.

A phased schedule (e.g. every 6 weeks for the first year, then every 12 weeks, as in the
follow-up of many checkpoint-inhibitor trials) scans at `first_day`, then at the interval of the
phase the last scan lies in while the next scan stays within that phase; the next phase goes on
from the last scan of the one before.
"""

from __future__ import annotations

import numpy as np

from tmesim.config.trial import Visits


def scheduled_days(visits: Visits, follow_up_days: float) -> np.ndarray:
    """Scheduled scan days after baseline up to the end of follow-up.

    Example:
        >>> scheduled_days(Visits(every_days=42, first_day=84), 200).tolist()
        [84.0, 126.0, 168.0]
        >>> v = Visits(phases=[{"every_days": 42, "until_day": 130}, {"every_days": 84}])
        >>> scheduled_days(v, 400).tolist()
        [42.0, 84.0, 126.0, 210.0, 294.0, 378.0]
    """
    first = visits.first_day or visits.intervals[0]
    if visits.phases is None:
        return np.arange(first, follow_up_days + 1e-9, visits.every_days, dtype=float)
    phases = visits.phases
    ends = [np.inf if p.until_day is None else p.until_day for p in phases]
    out: list[float] = []
    day, k = float(first), 0
    while day <= follow_up_days + 1e-9:
        out.append(day)
        while k < len(phases) - 1 and day > ends[k]:
            k += 1
        step = day + phases[k].every_days
        while k < len(phases) - 1 and step > ends[k] + 1e-9:
            k += 1
            step = day + phases[k].every_days
        day = step
    return np.array(out, dtype=float)

"""CAR-T toxicity: grade ≥3 cytokine release syndrome (CRS) and neurologic events, driven by
each patient's CAR-T expansion.

Severe CRS and neurologic events after CD19 CAR-T cells go with high CAR-T expansion [r] (Neelapu
2017 NEJM 377:2531 reported higher peak CAR-T levels in patients with grade ≥3 neurologic
events). The model's driver is the patient's own peak of CAR-T cells: a patient has an event when
Φ(ρ·z + √(1−ρ²)·ε) > 1 − p, with z its standardized log peak among the arm's infused patients,
ε a standard normal draw from its own toxicity stream (sub-stream `SUBSTREAM`), ρ
`EXPANSION_CORRELATION` and p the event's rate (`cart_rates`): the arm's rate is p whatever ρ
(exactly when the log peaks are normal, about p otherwise), and it rises with expansion. Onset: the infusion day (the first day with CAR-T cells) plus an
exponential delay with the published median. Events are recorded and reported; with one infusion
they stop no further dose. The rates are ZUMA-1's (axicabtagene ciloleucel, read from the targets
of `CART_TARGETS`); `toxicity.cart_grade3_rates` replaces them (e.g. for tisagenlecleucel).
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
from scipy.stats import norm

from tmesim.cohorts.population import Stream, patient_rng

CART_EVENTS: tuple[str, ...] = ("crs", "neurologic")
"""The CAR-T events modelled (each grade ≥3)."""

CART_TARGETS: dict[str, str] = {
    "crs": "zuma1_grade3_crs",
    "neurologic": "zuma1_grade3_neurologic_events",
}
"""Event → the validation target that declares its grade ≥3 rate after axicabtagene ciloleucel
(Neelapu 2017 NEJM 377:2531, ZUMA-1); the default rates are read from them."""

ONSET_MEDIAN_DAYS: dict[str, float] = {"crs": 2.0, "neurologic": 5.0}
"""Median days from infusion to onset of CRS and of neurologic events in ZUMA-1 (Neelapu 2017
NEJM 377:2531, results: adverse events; any grade), used for the grade ≥3 events."""

EXPANSION_CORRELATION = 0.5
"""ρ: correlation of a patient's event score with its standardized log peak CAR-T expansion.
Assumed (direction from Neelapu 2017's association of CAR-T levels with neurologic events; the
strength is not published as a correlation)."""

SUBSTREAM = 1
"""The attempt index of the toxicity stream used for CAR-T events (checkpoint thresholds and
dose holds use 0), so turning one on does not move the other's draws."""


@cache
def zuma1_rates() -> dict[str, float]:
    """Grade ≥3 CRS and neurologic event rates (fractions) as their targets publish them."""
    from tmesim.validation.targets import published_fraction

    return {event: published_fraction(target_id) for event, target_id in CART_TARGETS.items()}


def cart_rates(configured: dict[str, float]) -> dict[str, float]:
    """The rates in use: ZUMA-1's, replaced by the configured ones."""
    return {**zuma1_rates(), **configured}


def cart_events(
    seed: int,
    ids: np.ndarray,
    screenings: np.ndarray,
    days: np.ndarray,
    cart: np.ndarray,
    rates: dict[str, float],
    correlation: float = EXPANSION_CORRELATION,
) -> dict[str, np.ndarray]:
    """Per-patient columns `<event>_grade3` (bool) and `<event>_grade3_day` for every CAR-T
    event, from the saved CAR-T cells `cart` (patients × `days`); empty if nobody was infused.

    Example:
        >>> cart = np.array([[0, 1e6, 1e5], [0, 1e9, 1e8], [0, 0, 0]], dtype=float)
        >>> c = cart_events(1, np.arange(3), np.zeros(3, int), np.arange(3.0), cart,
        ...                 {"crs": 1.0, "neurologic": 0.0})
        >>> c["crs_grade3"].tolist(), c["neurologic_grade3"].tolist()
        ([True, True, False], [False, False, False])
    """
    cart = np.nan_to_num(np.asarray(cart, dtype=float))
    peak = cart.max(axis=1)
    infused = peak > 0
    if not infused.any():
        return {}
    log_peak = np.log(np.where(infused, peak, 1.0))
    sd = float(log_peak[infused].std())
    z = np.where(infused, (log_peak - log_peak[infused].mean()) / (sd if sd > 0 else 1.0), 0.0)
    start = np.asarray(days, dtype=float)[np.argmax(cart > 0, axis=1)]
    draws = np.empty((len(ids), 2 * len(CART_EVENTS)))
    for k, (i, s) in enumerate(zip(ids, screenings, strict=True)):
        rng = patient_rng(seed, int(i), Stream.TOXICITY, SUBSTREAM, int(s))
        draws[k] = [rng.standard_normal() if j % 2 == 0 else rng.exponential() for j in range(4)]
    out: dict[str, np.ndarray] = {}
    for j, event in enumerate(CART_EVENTS):
        score = correlation * z + math.sqrt(1.0 - correlation**2) * draws[:, 2 * j]
        had = infused & (norm.cdf(score) > 1.0 - rates[event])
        delay = ONSET_MEDIAN_DAYS[event] / math.log(2.0) * draws[:, 2 * j + 1]
        out[f"{event}_grade3"] = had
        out[f"{event}_grade3_day"] = np.where(had, start + delay, np.nan)
    return out

"""Synergy of two agents from per-patient yes/no outcomes: Bliss independence and highest single
agent (HSA), with bootstrap intervals.

With E the fraction of patients who respond (or are cured), two agents acting independently give
the combination E_A + E_B − E_A·E_B: a patient escapes the combination only if it escapes both
agents (Bliss 1939, Ann Appl Biol 26:585). The Bliss excess is E_AB minus that; the HSA excess is
E_AB minus the better single agent (Berenbaum 1989, Pharmacol Rev 41:93). Positive means more than
expected. Loewe additivity needs dose-response curves of each agent on its own and is not computed.

In a sweep the three arms treat the same virtual patients, so the intervals come from a paired
bootstrap: patients are resampled with all three of their outcomes, which keeps the correlation
between arms and gives narrower, honest intervals. With different patients per arm (a randomized
study) each arm is resampled on its own.

Example:
    >>> bliss_excess(0.2, 0.3, 0.44), hsa_excess(0.2, 0.3, 0.44)
    (0.0, 0.14)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "SynergyEstimate",
    "bliss_excess",
    "bliss_expected",
    "hsa_excess",
    "synergy_estimate",
]


def bliss_expected(e_a: float, e_b: float) -> float:
    """The combination's response fraction if the agents act independently: E_A + E_B − E_A·E_B.

    Example:
        >>> bliss_expected(0.5, 0.5)
        0.75
    """
    return float(e_a + e_b - e_a * e_b)


def bliss_excess(e_a: float, e_b: float, e_ab: float) -> float:
    """E_AB minus the Bliss expectation (rounded to 12 decimals): > 0 synergy, < 0 antagonism.

    Example:
        >>> bliss_excess(0.5, 0.5, 0.9)
        0.15
    """
    return round(float(e_ab) - bliss_expected(e_a, e_b), 12)


def hsa_excess(e_a: float, e_b: float, e_ab: float) -> float:
    """E_AB minus the better single agent (rounded to 12 decimals).

    Example:
        >>> hsa_excess(0.2, 0.6, 0.5)
        -0.1
    """
    return round(float(e_ab) - max(float(e_a), float(e_b)), 12)


@dataclass(frozen=True)
class SynergyEstimate:
    """Response fractions of A, B and A + B, the Bliss and HSA excesses and their intervals."""

    e_a: float
    e_b: float
    e_ab: float
    bliss: float
    bliss_ci: tuple[float, float]
    hsa: float
    hsa_ci: tuple[float, float]
    n: tuple[int, int, int]
    paired: bool


def _as_flags(x: ArrayLike, name: str) -> np.ndarray:
    a = np.asarray(x)
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"{name}: give a non-empty 1-D array of yes/no outcomes")
    return a.astype(bool)


def synergy_estimate(
    a: ArrayLike,
    b: ArrayLike,
    ab: ArrayLike,
    *,
    paired: bool = True,
    bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> SynergyEstimate:
    """Bliss and HSA excesses of per-patient outcomes, with percentile bootstrap intervals.

    ``a``, ``b`` and ``ab`` hold one yes/no outcome per patient under A alone, B alone and A + B.
    With ``paired`` (the same patients, in the same order, in all three) patients are resampled
    with their three outcomes; otherwise each arm is resampled on its own.

    Example:
        >>> rng = np.random.default_rng(1)
        >>> ua, ub = rng.random(4000), rng.random(4000)
        >>> a, b = ua < 0.3, ub < 0.4              # independent kill probabilities
        >>> s = synergy_estimate(a, b, a | b, bootstrap=200)
        >>> s.bliss_ci[0] < 0 < s.bliss_ci[1], abs(s.bliss) < 0.02
        (True, True)
    """
    xa, xb, xab = _as_flags(a, "a"), _as_flags(b, "b"), _as_flags(ab, "ab")
    if paired and not (xa.size == xb.size == xab.size):
        raise ValueError("paired outcomes need the same patients in a, b and ab")
    rng = np.random.default_rng(seed)
    if paired:
        idx = rng.integers(0, xa.size, size=(bootstrap, xa.size))
        ra, rb, rab = xa[idx].mean(1), xb[idx].mean(1), xab[idx].mean(1)
    else:
        ra, rb, rab = (
            x[rng.integers(0, x.size, size=(bootstrap, x.size))].mean(1) for x in (xa, xb, xab)
        )
    alpha = (1.0 - confidence) / 2.0
    q = [alpha, 1.0 - alpha]
    boot_bliss = rab - (ra + rb - ra * rb)
    boot_hsa = rab - np.maximum(ra, rb)
    e_a, e_b, e_ab = float(xa.mean()), float(xb.mean()), float(xab.mean())
    low_b, high_b = np.quantile(boot_bliss, q)
    low_h, high_h = np.quantile(boot_hsa, q)
    return SynergyEstimate(
        e_a=e_a,
        e_b=e_b,
        e_ab=e_ab,
        bliss=bliss_excess(e_a, e_b, e_ab),
        bliss_ci=(float(low_b), float(high_b)),
        hsa=hsa_excess(e_a, e_b, e_ab),
        hsa_ci=(float(low_h), float(high_h)),
        n=(int(xa.size), int(xb.size), int(xab.size)),
        paired=paired,
    )

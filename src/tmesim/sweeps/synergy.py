"""Synergy of two agents from per-patient yes/no outcomes: Bliss independence and highest single
agent (HSA), and Loewe's combination index where the single agents' doses allow, with bootstrap
intervals.

With E the fraction of patients who respond (or are cured), two agents acting independently give
the combination E_A + E_B − E_A·E_B: a patient escapes the combination only if it escapes both
agents (Bliss 1939, Ann Appl Biol 26:585). The Bliss excess is E_AB minus that; the HSA excess is
E_AB minus the better single agent (Berenbaum 1989, Pharmacol Rev 41:93). Positive means more than
expected. Loewe additivity compares the doses: a/D_A(E_AB) + b/D_B(E_AB), with D_X(E) the dose of X
alone giving E, read off X's dose-response over the sweep's doses; it is defined only where both
single agents reach the combination's effect within the tested doses.

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
    "dose_for_effect",
    "hsa_excess",
    "loewe_estimate",
    "loewe_index",
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


def dose_for_effect(doses: ArrayLike, effects: ArrayLike, effect: float) -> float:
    """The dose of one agent alone that gives ``effect``, read off its dose-response curve.

    The tested doses are sorted and their effects made non-decreasing (running maximum); the dose
    is interpolated linearly in log dose. NaN where the curve does not identify it: an effect at
    or below that of the lowest tested dose, or above the highest effect reached.

    Example:
        >>> dose_for_effect([1, 10, 100], [0.1, 0.3, 0.5], 0.3)
        10.0
        >>> round(dose_for_effect([1, 10, 100], [0.1, 0.3, 0.5], 0.4), 2)
        31.62
        >>> dose_for_effect([1, 10], [0.1, 0.3], 0.6)
        nan
    """
    d = np.asarray(doses, dtype=float)
    order = np.argsort(d)
    logd = np.log(d[order])
    e = np.maximum.accumulate(np.asarray(effects, dtype=float)[order])
    if not (e[0] < effect <= e[-1]):
        return float("nan")
    i = int(np.searchsorted(e, effect, side="left"))
    if e[i] == effect:
        return float(d[order][i])
    frac = (effect - e[i - 1]) / (e[i] - e[i - 1])
    return float(np.exp(logd[i - 1] + frac * (logd[i] - logd[i - 1])))


def loewe_index(
    a: float,
    b: float,
    doses_a: ArrayLike,
    effects_a: ArrayLike,
    doses_b: ArrayLike,
    effects_b: ArrayLike,
    e_ab: float,
) -> float:
    """Loewe combination index a / D_A(E_AB) + b / D_B(E_AB) of doses ``a`` and ``b`` given
    together (Loewe 1953; Chou & Talalay 1984, Adv Enzyme Regul 22:27): D_X(E) is the dose of X
    alone with effect E (`dose_for_effect`). Below 1: synergy; 1: additive; above 1: antagonism.
    NaN where a single agent's tested doses do not reach E_AB (then only Bliss and HSA apply).

    Example (B is A at half the potency, a sham combination, so the index is 1):
        >>> loewe_index(2, 4, [1, 2, 4, 8], [.1, .2, .4, .6], [2, 4, 8, 16], [.1, .2, .4, .6], 0.4)
        1.0
    """
    d_a = dose_for_effect(doses_a, effects_a, e_ab)
    d_b = dose_for_effect(doses_b, effects_b, e_ab)
    return round(float(a) / d_a + float(b) / d_b, 12)


def loewe_estimate(
    a: float,
    b: float,
    doses_a: ArrayLike,
    outcomes_a: ArrayLike,
    doses_b: ArrayLike,
    outcomes_b: ArrayLike,
    outcomes_ab: ArrayLike,
    *,
    bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, tuple[float, float]]:
    """Loewe index with a paired percentile bootstrap interval from per-patient outcomes.

    ``outcomes_a`` has one row per dose of ``doses_a`` (A alone), one column per patient;
    likewise ``outcomes_b``; ``outcomes_ab`` holds the same patients under the combination.
    Patients are resampled with all their outcomes. The interval is NaN when the index is
    undefined in more than half of the resamples.

    Example:
        >>> oa = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0]], bool)   # 25, 50, 75%
        >>> idx, ci = loewe_estimate(1, 1, [1, 2, 4], oa, [1, 2, 4], oa, oa[1], bootstrap=100)
        >>> idx
        1.0
    """
    xa = np.asarray(outcomes_a, dtype=float)
    xb = np.asarray(outcomes_b, dtype=float)
    xab = np.asarray(outcomes_ab, dtype=float)
    n = xab.size
    if xa.shape[1] != n or xb.shape[1] != n:
        raise ValueError("paired outcomes need the same patients for A, B and A + B")
    index = loewe_index(a, b, doses_a, xa.mean(1), doses_b, xb.mean(1), float(xab.mean()))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(bootstrap, n))
    ma, mb, mab = xa[:, idx].mean(-1), xb[:, idx].mean(-1), xab[idx].mean(-1)
    boot = np.array(
        [loewe_index(a, b, doses_a, ma[:, r], doses_b, mb[:, r], mab[r]) for r in range(bootstrap)]
    )
    if np.isnan(boot).mean() > 0.5:
        return index, (float("nan"), float("nan"))
    alpha = (1.0 - confidence) / 2.0
    low, high = np.nanquantile(boot, [alpha, 1.0 - alpha])
    return index, (float(low), float(high))

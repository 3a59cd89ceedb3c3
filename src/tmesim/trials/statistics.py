"""Confidence intervals for rates and survival statistics (Kaplan–Meier, log-rank, Cox).

Binomial intervals are computed here (Wilson score, Clopper–Pearson); survival estimates come from
lifelines, wrapped so that inputs are validated and degenerate data give NaN instead of an error.

Example:
    >>> lo, hi = proportion_ci(12, 40)
    >>> round(lo, 3), round(hi, 3)
    (0.181, 0.454)
    >>> km = kaplan_meier([5.0, 8.0, 12.0, 20.0], [True, True, False, True])
    >>> km.median, km.survival_at(10.0)
    (8.0, 0.5)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.exceptions import ConvergenceError
from lifelines.statistics import logrank_test
from lifelines.utils import median_survival_times
from scipy import stats

from tmesim.errors import ConfigError

__all__ = [
    "CI_METHODS",
    "KaplanMeier",
    "at_risk",
    "cox_hazard_ratio",
    "kaplan_meier",
    "logrank",
    "proportion_ci",
]

CI_METHODS: tuple[str, ...] = ("wilson", "clopper-pearson")
NAN = float("nan")

ArrayLike = Sequence[float] | np.ndarray | pd.Series


def _check_confidence(confidence: float) -> float:
    if not (isinstance(confidence, int | float) and 0.0 < float(confidence) < 1.0):
        raise ConfigError("confidence", confidence, "pass a level between 0 and 1, e.g. 0.95")
    return float(confidence)


def _check_count(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer | float | np.floating):
        raise ConfigError(field, value, "pass a whole number >= 0")
    if not (math.isfinite(float(value)) and float(value) == int(value) and value >= 0):
        raise ConfigError(field, value, "pass a whole number >= 0")
    return int(value)


def proportion_ci(
    successes: int,
    n: int,
    *,
    method: Literal["wilson", "clopper-pearson"] = "wilson",
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Two-sided confidence interval of a binomial proportion ``successes / n``.

    ``wilson`` is the Wilson score interval; ``clopper-pearson`` the exact interval from beta
    quantiles. With ``n == 0`` the interval is (nan, nan).

    Example:
        >>> [round(x, 4) for x in proportion_ci(0, 10, method="clopper-pearson")]
        [0.0, 0.3085]
    """
    if method not in CI_METHODS:
        raise ConfigError("method", method, "use one of the listed methods", choices=CI_METHODS)
    confidence = _check_confidence(confidence)
    n = _check_count(n, "n")
    k = _check_count(successes, "successes")
    if k > n:
        raise ConfigError("successes", k, f"successes cannot exceed n ({n})")
    if n == 0:
        return NAN, NAN
    alpha = 1.0 - confidence
    if method == "wilson":
        z = float(stats.norm.isf(alpha / 2.0))
        p = k / n
        z2n = z * z / n
        center = (p + z2n / 2.0) / (1.0 + z2n)
        half = z / (1.0 + z2n) * math.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n))
        # At k == 0 and k == n the bounds are exactly 0 and 1; avoid round-off there.
        low = 0.0 if k == 0 else max(0.0, center - half)
        high = 1.0 if k == n else min(1.0, center + half)
        return low, high
    low = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2.0, k, n - k + 1))
    high = 1.0 if k == n else float(stats.beta.isf(alpha / 2.0, k + 1, n - k))
    return low, high


def _survival_arrays(
    durations: ArrayLike, events: ArrayLike, field: str = "durations"
) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(durations, dtype=float)
    raw = np.asarray(events)
    if t.ndim != 1:
        raise ConfigError(field, durations, "pass a 1-D sequence of times")
    if raw.shape != t.shape:
        raise ConfigError("events", raw.tolist(), f"pass one event flag per duration ({t.size})")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ConfigError(field, durations, "times must be finite and >= 0; drop missing rows")
    e = np.asarray(raw, dtype=float) if raw.dtype != bool else raw.astype(float)
    if not np.all((e == 0) | (e == 1)):
        raise ConfigError("events", raw.tolist(), "pass True (event) or False (censored)")
    return t, e.astype(bool)


@dataclass(frozen=True, eq=False)
class KaplanMeier:
    """A Kaplan–Meier estimate: the step table, the median and its confidence interval.

    ``table`` has one row per distinct time (time 0 first) with the survival just after it, its
    pointwise confidence band (Greenwood, exponential transform) and the counts at risk, with
    events and censored at that time. ``median`` is the first time the survival is at or below
    0.5 (inf when not reached); ``median_ci`` inverts the confidence band the same way.

    Example:
        >>> km = kaplan_meier([1.0, 2.0, 3.0], [True, False, True])
        >>> km.table["at_risk"].tolist(), km.table["survival"].round(3).tolist()
        ([3, 3, 2, 1], [1.0, 0.667, 0.667, 0.0])
    """

    table: pd.DataFrame
    median: float
    median_ci: tuple[float, float]
    confidence: float

    def survival_at(self, t: float | ArrayLike) -> float | np.ndarray:
        """Survival at time(s) ``t``: the estimate at the last table time <= t (1 before 0).

        Example:
            >>> kaplan_meier([2.0, 4.0], [True, True]).survival_at([0.0, 2.0, 3.0, 9.0])
            array([1. , 0.5, 0.5, 0. ])
        """
        times = self.table["time"].to_numpy()
        surv = np.r_[1.0, self.table["survival"].to_numpy()]
        query = np.asarray(t, dtype=float)
        values = surv[np.searchsorted(times, query, side="right")]
        if query.ndim == 0:
            return float(values)
        return values


def kaplan_meier(
    durations: ArrayLike, events: ArrayLike, *, confidence: float = 0.95
) -> KaplanMeier:
    """Kaplan–Meier product-limit estimate of the survival function (through lifelines).

    ``events`` is True for an observed event and False for a censored time.

    Example:
        >>> km = kaplan_meier([2.0, 3.0, 5.0, 9.0, 11.0], [True, True, True, False, True])
        >>> round(km.survival_at(4.0), 3), km.median, km.median_ci
        (0.6, 5.0, (2.0, 11.0))
    """
    confidence = _check_confidence(confidence)
    t, e = _survival_arrays(durations, events)
    if t.size == 0:
        raise ConfigError("durations", [], "pass at least one duration")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter = KaplanMeierFitter(alpha=1.0 - confidence).fit(t, event_observed=e)
        band = fitter.confidence_interval_
        median = float(median_survival_times(fitter.survival_function_))
        median_band = median_survival_times(band)
    counts = fitter.event_table.reindex(fitter.survival_function_.index)
    table = pd.DataFrame(
        {
            "time": fitter.survival_function_.index.to_numpy(dtype=float),
            "survival": fitter.survival_function_.iloc[:, 0].to_numpy(dtype=float),
            "ci_low": band.iloc[:, 0].to_numpy(dtype=float),
            "ci_high": band.iloc[:, 1].to_numpy(dtype=float),
            "at_risk": counts["at_risk"].fillna(0).to_numpy(dtype=np.int64),
            "events": counts["observed"].fillna(0).to_numpy(dtype=np.int64),
            "censored": counts["censored"].fillna(0).to_numpy(dtype=np.int64),
        }
    )
    median_ci = (float(median_band.iloc[0, 0]), float(median_band.iloc[0, 1]))
    return KaplanMeier(table=table, median=median, median_ci=median_ci, confidence=confidence)


def at_risk(durations: ArrayLike, times: ArrayLike) -> np.ndarray:
    """Number at risk at each of ``times``: how many durations are >= t.

    Example:
        >>> at_risk([1.0, 2.0, 2.0, 5.0], [0.0, 2.0, 3.0, 6.0])
        array([4, 3, 1, 0])
    """
    t = np.sort(np.asarray(durations, dtype=float))
    if t.ndim != 1 or np.any(np.isnan(t)):
        raise ConfigError("durations", durations, "pass a 1-D sequence of times without NaN")
    query = np.asarray(times, dtype=float)
    if np.any(np.isnan(query)):
        raise ConfigError("times", times, "pass times without NaN")
    return (t.size - np.searchsorted(t, query, side="left")).astype(np.int64)


def logrank(
    durations_a: ArrayLike,
    events_a: ArrayLike,
    durations_b: ArrayLike,
    events_b: ArrayLike,
) -> tuple[float, float]:
    """Log-rank test of two groups: (chi-square statistic with 1 df, p-value).

    NaN when a group is empty or no event was observed (the test is undefined).

    Example:
        >>> stat, p = logrank([1.0, 2.0, 3.0, 4.0], [1, 1, 1, 1], [5.0, 6.0, 7.0, 8.0],
        ...                   [1, 1, 1, 0])
        >>> round(stat, 2), round(p, 4)
        (7.34, 0.0067)
    """
    ta, ea = _survival_arrays(durations_a, events_a, "durations_a")
    tb, eb = _survival_arrays(durations_b, events_b, "durations_b")
    if ta.size == 0 or tb.size == 0 or not (ea.any() or eb.any()):
        return NAN, NAN
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = logrank_test(ta, tb, event_observed_A=ea, event_observed_B=eb)
    return float(result.test_statistic), float(result.p_value)


def _monotone_likelihood(t: np.ndarray, e: np.ndarray, x: np.ndarray) -> bool:
    """True when the Cox partial likelihood of a binary covariate has no finite maximum.

    It increases without bound as the log hazard ratio goes to -inf when every event is in the
    reference group or happens when no reference patient is at risk (and symmetrically for
    +inf).
    """
    if not e.any():
        return True
    event_times = t[e]
    treated_event = x[e]
    treated_at_risk = at_risk(t[x], event_times)
    reference_at_risk = at_risk(t[~x], event_times)
    toward_zero = np.all(~treated_event | (reference_at_risk == 0))
    toward_inf = np.all(treated_event | (treated_at_risk == 0))
    return bool(toward_zero or toward_inf)


def cox_hazard_ratio(
    durations: ArrayLike,
    events: ArrayLike,
    treated: ArrayLike,
    *,
    confidence: float = 0.95,
) -> tuple[float, float, float, float]:
    """Hazard ratio of treated vs untreated from a one-covariate Cox model: (hr, low, high, p).

    All NaN when the model has no finite estimate: a group is empty, the partial likelihood is
    monotone (a group has no event, or the groups are separated: every event happens in one
    group or at a time when no patient of that group is at risk), or the fit fails.

    Example:
        >>> t = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
        >>> hr, lo, hi, p = cox_hazard_ratio(t, [1] * 8, [1, 0, 1, 1, 0, 1, 0, 0])
        >>> round(hr, 1), lo < hr < hi
        (3.1, True)
    """
    confidence = _check_confidence(confidence)
    t, e = _survival_arrays(durations, events)
    raw = np.asarray(treated)
    if raw.shape != t.shape:
        raise ConfigError("treated", raw.tolist(), f"pass one flag per duration ({t.size})")
    x = np.asarray(raw, dtype=float)
    if not np.all((x == 0) | (x == 1)):
        raise ConfigError("treated", raw.tolist(), "pass True (treated) or False (reference)")
    x = x.astype(bool)
    nans = (NAN, NAN, NAN, NAN)
    if not (x.any() and (~x).any()) or _monotone_likelihood(t, e, x):
        return nans
    frame = pd.DataFrame({"time": t, "event": e.astype(int), "treated": x.astype(float)})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitter = CoxPHFitter(alpha=1.0 - confidence).fit(frame, "time", "event")
    except (ConvergenceError, np.linalg.LinAlgError, ValueError, ZeroDivisionError):
        return nans
    row = fitter.summary.loc["treated"]
    low = next(c for c in fitter.summary.columns if str(c).startswith("exp(coef) lower"))
    high = next(c for c in fitter.summary.columns if str(c).startswith("exp(coef) upper"))
    values = (float(row["exp(coef)"]), float(row[low]), float(row[high]), float(row["p"]))
    if not all(math.isfinite(v) for v in values):
        return nans
    return values

"""Metrics of validation targets, computed from a finished study's tables.

Each metric returns a :class:`MetricValue` in its canonical unit (a fraction, days, or a ratio)
with a 95% interval: Wilson for fractions, Kaplan–Meier for medians and survival at a time, Cox
for hazard ratios, and a bootstrap over virtual subjects (fixed seed) for ratios and differences
between groups. Rows of subjects whose simulation failed are left out (their endpoints are NA).

Example:
    >>> p = pd.DataFrame({"cohort": "c", "arm": "a", "tumor_free": [True, False, True, True]})
    >>> v = fraction_value(p, "tumor_free_fraction", ("c", "a"))
    >>> v.value, v.successes, v.n
    (0.75, 3, 4)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd
from scipy import stats

from tmesim.errors import ConfigError
from tmesim.trials.analysis import RESPONSE_ENDPOINTS
from tmesim.trials.cell_therapy import CD19_NEGATIVE
from tmesim.trials.statistics import cox_hazard_ratio, kaplan_meier, proportion_ci

if TYPE_CHECKING:
    from tmesim.validation.targets import PkSpec, Target

NAN = float("nan")
BOOTSTRAP_SEED = 20161
"""Root seed of every bootstrap, so that a CI is the same at each run."""

PARTIAL_RESPONSES = frozenset({"PR", "iPR"})
"""Best responses a partial-response rate counts (RECIST 1.1 PR, iRECIST iPR)."""

Group = tuple[str, str]
"""(cohort, arm)"""


class StudyTables(Protocol):
    """What a metric reads: a finished study's tables (`TrialResult` has them)."""

    @property
    def patients(self) -> pd.DataFrame: ...

    @property
    def burden(self) -> pd.DataFrame: ...


@dataclass(frozen=True)
class MetricValue:
    """A simulated value with its 95% interval; for fractions also k of n."""

    value: float
    ci_low: float
    ci_high: float
    n: int
    successes: int | None = None
    detail: str = ""


TOXICITY_COLUMNS: dict[str, str] = {
    "irae_grade34_rate": "irae_grade34",
    "irae_any_grade_rate": "irae_any_grade",
    "cart_crs_grade3_rate": "crs_grade3",
    "cart_neurologic_grade3_rate": "neurologic_grade3",
}
"""Toxicity metric → the per-patient column it counts (`trials.toxicity`, `trials.cell_toxicity`)."""


def _rows(patients: pd.DataFrame, group: Group) -> pd.DataFrame:
    cohort, arm = group
    rows = patients[(patients["cohort"] == cohort) & (patients["arm"] == arm)]
    if rows.empty:
        raise ConfigError(
            "metric", f"{cohort} / {arm}", "the study has no subjects in this cohort and arm"
        )
    return rows


def _flags(patients: pd.DataFrame, metric: str, day: float | None) -> pd.Series:
    """Per subject: the True/False outcome a fraction metric counts (NA: not evaluable)."""
    if metric == "tumor_free_fraction":
        return patients["tumor_free"].astype("boolean")
    if metric == "rechallenge_rejection_fraction":
        return patients["rechallenge_tumor_free"].astype("boolean")
    if metric == "mortality_fraction":
        if day is None:
            raise ConfigError("metric.day", None, "mortality_fraction needs the day")
        event = patients["endpoint_event"].astype("boolean")
        dead = event & (patients["endpoint_day"].to_numpy(dtype=float, na_value=np.nan) <= day)
        return dead.astype("boolean").mask(event.isna())
    if metric == "cd19_negative_relapse_fraction":
        # Among CAR-T complete responders who relapsed: the relapse was CD19-negative.
        kind = patients["relapse_kind"] if "relapse_kind" in patients else pd.Series(dtype=object)
        kind = kind.reindex(patients.index)
        return (kind == CD19_NEGATIVE).astype("boolean").mask(kind.isna())
    if metric in TOXICITY_COLUMNS:
        # Patients with the adverse event during follow-up, among those whose course was
        # simulated (the safety population: every treated patient).
        column = TOXICITY_COLUMNS[metric]
        if column not in patients:
            raise ConfigError(
                "metric.type", metric, "the study models no toxicity; set toxicity.enabled: true"
            )
        solved = patients["status"] == "success"
        return patients[column].astype("boolean").mask(~solved)
    if metric in ("orr", "cr_rate", "pr_rate", "dcr"):
        counted = (
            PARTIAL_RESPONSES
            if metric == "pr_rate"
            else RESPONSE_ENDPOINTS[{"orr": "ORR", "cr_rate": "CR", "dcr": "DCR"}[metric]]
        )
        best = patients["best_response"]
        return best.isin(counted).astype("boolean").mask(best.isna())
    raise ConfigError("metric.type", metric, "not a fraction metric")


def fraction_value(
    patients: pd.DataFrame, metric: str, group: Group, *, day: float | None = None
) -> MetricValue:
    """A fraction of one group with its Wilson 95% interval.

    Example:
        >>> p = pd.DataFrame({"cohort": "c", "arm": "a", "best_response": ["CR", "PR", "PD", None]})
        >>> v = fraction_value(p, "orr", ("c", "a"))
        >>> round(v.value, 3), v.n
        (0.667, 3)
    """
    flags = _flags(_rows(patients, group), metric, day).dropna().astype(bool)
    n, k = int(flags.size), int(flags.sum())
    if n == 0:
        return MetricValue(NAN, NAN, NAN, 0, 0, "no evaluable subject")
    low, high = proportion_ci(k, n, method="wilson")
    return MetricValue(k / n, low, high, n, k, f"{k}/{n}")


def _survival(patients: pd.DataFrame, endpoint: str, group: Group) -> tuple[np.ndarray, np.ndarray]:
    rows = _rows(patients, group)
    t = rows[f"{endpoint}_day"].to_numpy(dtype=float, na_value=np.nan)
    e = rows[f"{endpoint}_event"].astype("boolean")
    keep = ~np.isnan(t) & e.notna().to_numpy()
    return t[keep], e.to_numpy(dtype=bool, na_value=False)[keep]


def median_survival_value(patients: pd.DataFrame, endpoint: str, group: Group) -> MetricValue:
    """Kaplan–Meier median (days) with its 95% interval; inf when not reached."""
    t, e = _survival(patients, endpoint, group)
    if t.size == 0:
        return MetricValue(NAN, NAN, NAN, 0, detail="no evaluable subject")
    km = kaplan_meier(t, e)
    return MetricValue(km.median, *km.median_ci, int(t.size), detail=f"{int(e.sum())} events")


def survival_at_value(
    patients: pd.DataFrame, endpoint: str, group: Group, day: float
) -> MetricValue:
    """Kaplan–Meier survival at `day` with its pointwise 95% interval (Greenwood, exp. transform)."""
    t, e = _survival(patients, endpoint, group)
    if t.size == 0:
        return MetricValue(NAN, NAN, NAN, 0, detail="no evaluable subject")
    km = kaplan_meier(t, e)
    table = km.table
    i = int(np.searchsorted(table["time"].to_numpy(), day, side="right")) - 1
    if i < 0:
        return MetricValue(1.0, 1.0, 1.0, int(t.size))
    row = table.iloc[i]
    at = int((t >= day).sum())
    return MetricValue(
        float(row["survival"]),
        float(row["ci_low"]),
        float(row["ci_high"]),
        int(t.size),
        detail=f"{at} at risk",
    )


def hazard_ratio_value(
    patients: pd.DataFrame, endpoint: str, group: Group, reference: Group
) -> MetricValue:
    """Cox hazard ratio of `group` against `reference` with its 95% interval."""
    ta, ea = _survival(patients, endpoint, group)
    tr, er = _survival(patients, endpoint, reference)
    treated = np.r_[np.ones(ta.size, dtype=bool), np.zeros(tr.size, dtype=bool)]
    hr, low, high, p = cox_hazard_ratio(np.r_[ta, tr], np.r_[ea, er], treated)
    return MetricValue(hr, low, high, int(ta.size + tr.size), detail=f"Cox p = {p:.2g}")


def bootstrap_ci(
    groups: Sequence[np.ndarray],
    statistic: Callable[..., float],
    *,
    resamples: int = 1000,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float, float]:
    """Percentile 95% interval of `statistic(*groups)`, resampling each group with replacement.

    Example:
        >>> a, b = np.ones(20), np.zeros(20)
        >>> bootstrap_ci((a, b), lambda x, y: x.mean() - y.mean())
        (1.0, 1.0)
    """
    rng = np.random.default_rng(seed)
    values = np.empty(resamples)
    for i in range(resamples):
        values[i] = statistic(*(g[rng.integers(0, g.size, g.size)] for g in groups))
    values = values[np.isfinite(values)]
    if values.size == 0:
        return NAN, NAN
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def fraction_difference_value(
    patients: pd.DataFrame,
    metric: str,
    group: Group,
    reference: Group,
    *,
    day: float | None = None,
    resamples: int = 1000,
) -> MetricValue:
    """Fraction in `group` minus fraction in `reference`, with a bootstrap 95% interval."""
    a = _flags(_rows(patients, group), metric, day).dropna().to_numpy(dtype=float)
    b = _flags(_rows(patients, reference), metric, day).dropna().to_numpy(dtype=float)
    if a.size == 0 or b.size == 0:
        return MetricValue(NAN, NAN, NAN, int(a.size + b.size), detail="no evaluable subject")
    diff = lambda x, y: float(x.mean() - y.mean())  # noqa: E731
    low, high = bootstrap_ci((a, b), diff, resamples=resamples)
    detail = f"{int(a.sum())}/{a.size} vs {int(b.sum())}/{b.size}"
    return MetricValue(diff(a, b), low, high, int(a.size + b.size), detail=detail)


def difference_in_differences_value(
    patients: pd.DataFrame,
    metric: str,
    groups: tuple[Group, Group, Group, Group],
    *,
    day: float | None = None,
    resamples: int = 1000,
) -> MetricValue:
    """(fraction in A − in A₀) − (fraction in B − in B₀) for `groups` = (A, A₀, B, B₀), with a
    bootstrap 95% interval: how much larger an effect is in one setting than in another (e.g.
    IPI-549's gain in a myeloid-rich tumor minus its gain in a myeloid-poor one)."""
    flags = [_flags(_rows(patients, g), metric, day).dropna().to_numpy(dtype=float) for g in groups]
    if any(f.size == 0 for f in flags):
        return MetricValue(NAN, NAN, NAN, sum(f.size for f in flags), detail="no evaluable subject")

    def did(a: np.ndarray, a0: np.ndarray, b: np.ndarray, b0: np.ndarray) -> float:
        return float(a.mean() - a0.mean() - (b.mean() - b0.mean()))

    low, high = bootstrap_ci(flags, did, resamples=resamples)
    detail = " − ".join(f"{int(f.sum())}/{f.size}" for f in flags[:2])
    detail = f"({detail}) − ({' − '.join(f'{int(f.sum())}/{f.size}' for f in flags[2:])})"
    return MetricValue(did(*flags), low, high, sum(f.size for f in flags), detail=detail)


def observable_at(burden: pd.DataFrame, observable: str, group: Group, day: float) -> np.ndarray:
    """Per subject of the primary tumor: `observable` at the last saved day ≤ `day`.

    A mouse taken off study at the humane endpoint keeps its last value (carried forward), so
    that fast-growing tumors are not dropped from a growth comparison.
    """
    if observable not in burden.columns:
        raise ConfigError(
            "metric.observable",
            observable,
            "name a column of burden.parquet",
            choices=[c for c in burden.columns if c not in ("cohort", "arm", "patient_id")],
        )
    cohort, arm = group
    rows = burden[
        (burden["cohort"] == cohort)
        & (burden["arm"] == arm)
        & (burden["phase"] == "primary")
        & (burden["day"] <= day + 1e-9)
    ]
    if rows.empty:
        return np.array([])
    last = rows.sort_values("day").groupby("patient_id", sort=True).tail(1)
    values = last[observable].to_numpy(dtype=float)
    return values[np.isfinite(values)]


def observable_ratio_value(
    burden: pd.DataFrame,
    observable: str,
    group: Group,
    reference: Group,
    day: float,
    *,
    resamples: int = 1000,
) -> MetricValue:
    """Mean of `observable` at `day` in `group` over its mean in `reference` (bootstrap CI)."""
    a = observable_at(burden, observable, group, day)
    b = observable_at(burden, observable, reference, day)
    if a.size == 0 or b.size == 0:
        return MetricValue(NAN, NAN, NAN, int(a.size + b.size), detail="no subject at that day")

    def ratio(x: np.ndarray, y: np.ndarray) -> float:
        den = y.mean()
        return float(x.mean() / den) if den > 0 else NAN

    low, high = bootstrap_ci((a, b), ratio, resamples=resamples)
    detail = f"means {a.mean():.4g} vs {b.mean():.4g}"
    return MetricValue(ratio(a, b), low, high, int(a.size + b.size), detail=detail)


def observable_median_value(
    burden: pd.DataFrame, observable: str, group: Group, day: float, *, resamples: int = 1000
) -> MetricValue:
    """Median over subjects of `observable` at `day` in `group` (bootstrap CI): a tissue
    composition such as the T-cell to macrophage ratio of untreated tumors at treatment start."""
    a = observable_at(burden, observable, group, day)
    if a.size == 0:
        return MetricValue(NAN, NAN, NAN, 0, detail="no subject at that day")
    median = lambda x: float(np.median(x))  # noqa: E731
    low, high = bootstrap_ci((a,), median, resamples=resamples)
    detail = f"quartiles {np.quantile(a, 0.25):.3g}–{np.quantile(a, 0.75):.3g}"
    return MetricValue(median(a), low, high, int(a.size), detail=detail)


def terminal_half_life(
    t: np.ndarray, concentration: np.ndarray, fit_from_day: float
) -> tuple[float, float, float]:
    """Terminal half-life (days) from a log-linear least-squares fit of the concentrations at
    t ≥ `fit_from_day`, with the 95% interval from the slope's standard error.

    Example:
        >>> t = np.arange(0.0, 200.0)
        >>> round(terminal_half_life(t, 5 * np.exp(-np.log(2) * t / 20), 50)[0], 6)
        20.0
    """
    t = np.asarray(t, dtype=float)
    c = np.asarray(concentration, dtype=float)
    keep = (t >= fit_from_day) & np.isfinite(c) & (c > 0)
    if keep.sum() < 3:
        return NAN, NAN, NAN
    x, y = t[keep], np.log(c[keep])
    slope, intercept = np.polyfit(x, y, 1)
    if slope >= 0:
        return float("inf"), NAN, NAN
    residual = y - (slope * x + intercept)
    dof = x.size - 2
    se = float(np.sqrt(residual @ residual / dof / ((x - x.mean()) @ (x - x.mean()))))
    q = float(stats.t.ppf(0.975, dof))
    steep, shallow = slope - q * se, min(slope + q * se, -1e-300)
    half = float(np.log(2) / -slope)
    return half, float(np.log(2) / -steep), float(np.log(2) / -shallow)


def half_life_value(
    pk: PkSpec,
    drug_observable: str,
    *,
    parameters: Mapping[str, float] | None = None,
    n_threads: int | None = None,
) -> MetricValue:
    """Simulate one dose of the drug through the model and fit its terminal half-life (days)."""
    from tmesim.simulation import Simulation

    sim = Simulation(pk.preset, regimen=pk.regimen, parameters_override=dict(parameters or {}))
    result = sim.solve(pk.days, save_every=pk.save_every_days, n_threads=n_threads)
    if result.status[0] != 0:
        raise ConfigError(
            "pk", pk.regimen, f"the simulation failed: {result.patients['message'][0]}"
        )
    half, low, high = terminal_half_life(
        result.t, result.observable(drug_observable)[0], pk.fit_from_day
    )
    return MetricValue(half, low, high, 1, detail=f"fit from day {pk.fit_from_day:g}")


def _group(target: Target, cohorts: list[str], arms: list[str], ref: bool = False) -> Group:
    m = target.metric
    read = (m.cohort or cohorts[0], m.arm or arms[0])
    if not ref:
        return read
    assert m.reference is not None
    return (m.reference.cohort or read[0], m.reference.arm or read[1])


def compute_metric(target: Target, tables: StudyTables) -> MetricValue:
    """The target's metric from a finished study's tables (canonical units)."""
    from tmesim.validation.targets import FRACTION_METRICS

    m = target.metric
    scenario = target.scenario
    cohorts = [c.name for c in scenario.cohorts]
    arms = [a.name for a in scenario.arms]
    patients = tables.patients
    group = _group(target, cohorts, arms)
    if m.type in FRACTION_METRICS:
        return fraction_value(patients, m.type, group, day=m.day)
    if m.type == "median_survival":
        assert m.endpoint is not None
        return median_survival_value(patients, m.endpoint, group)
    if m.type == "survival_at":
        assert m.endpoint is not None and m.day is not None
        return survival_at_value(patients, m.endpoint, group, m.day)
    if m.type == "observable_median":
        assert m.observable is not None and m.day is not None
        return observable_median_value(tables.burden, m.observable, group, m.day)
    reference = _group(target, cohorts, arms, ref=True)
    if m.type == "hazard_ratio":
        assert m.endpoint is not None
        return hazard_ratio_value(patients, m.endpoint, group, reference)
    if m.type == "fraction_difference":
        assert m.of is not None
        return fraction_difference_value(patients, m.of, group, reference, day=m.day)
    if m.type == "difference_in_differences":
        assert m.of is not None and m.versus is not None and m.versus_reference is not None
        versus = (m.versus.cohort or group[0], m.versus.arm or group[1])
        versus_reference = (
            m.versus_reference.cohort or versus[0],
            m.versus_reference.arm or versus[1],
        )
        return difference_in_differences_value(
            patients, m.of, (group, reference, versus, versus_reference), day=m.day
        )
    if m.type == "observable_ratio":
        assert m.observable is not None and m.day is not None
        return observable_ratio_value(tables.burden, m.observable, group, reference, m.day)
    raise ConfigError("metric.type", m.type, "this metric needs no study (kind pk)")

"""`tmesim validate`: simulate every target, judge it, write validation.csv and validation.html.

Targets that describe the same study (the three arms of CheckMate 067, say) share one run. A
target whose simulation or metric fails is recorded as failed with the reason; the suite goes on.

A what-if run (`parameters`, `tmesim validate --set PRESET:PARAMETER=VALUE`) simulates the same
targets with some preset values replaced, to see which published results a parameter moves; its
table and page name the replaced values, so it is never mistaken for the shipped validation.

Example:
    >>> report = run_validation(only=["antibody_half_life_nivolumab"], out="tmesim-validation")  # doctest: +SKIP
    >>> report.passed                                                                        # doctest: +SKIP
    True
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from tmesim.errors import ConfigError, TmesimError
from tmesim.executor import check_backend
from tmesim.io.atomic import atomic_write, atomic_write_text
from tmesim.validation.acceptance import Verdict, describe_rule, judge
from tmesim.validation.metrics import MetricValue, compute_metric, half_life_value
from tmesim.validation.record import CalibrationRecord, load_record
from tmesim.validation.targets import Target, load_targets, study_key

if TYPE_CHECKING:
    from tmesim.config.trial import TrialScenario
    from tmesim.trials.trial import TrialResult

DEFAULT_OUT = "tmesim-validation"
CSV_FILE = "validation.csv"
HTML_FILE = "validation.html"
COLUMNS = (
    "id",
    "title",
    "kind",
    "metric",
    "units",
    "published",
    "published_ci",
    "simulated",
    "simulated_ci_low",
    "simulated_ci_high",
    "simulated_detail",
    "rule",
    "passed",
    "reason",
    "role",
    "n_simulated",
    "seconds",
    "citation",
    "overrides",
)
Overrides = Mapping[str, Mapping[str, float]]
"""Preset name -> parameter id -> value that replaces the preset's own."""


def parse_overrides(settings: Sequence[str], presets: Iterable[str]) -> dict[str, dict[str, float]]:
    """`PRESET:PARAMETER=VALUE` settings as {preset: {parameter: value in the preset's units}},
    each checked against its preset; the value may carry units (`0.3 1/day`), read as every
    parameter override is (:func:`tmesim.parameters.units.parse_quantity`). `*` as PRESET sets
    the parameter in every preset of `presets`.

    Example:
        >>> parse_overrides(["human_melanoma:tumor_antigen_breadth=0.7"], ["human_melanoma"])
        {'human_melanoma': {'tumor_antigen_breadth': 0.7}}
    """
    from tmesim.parameters.presets import get_preset
    from tmesim.parameters.units import parse_quantity

    fix = (
        "write PRESET:PARAMETER=VALUE, e.g. human_melanoma:tumor_antigen_breadth=0.7 "
        "(* for PRESET: every preset)"
    )
    out: dict[str, dict[str, float]] = {}
    for text in settings:
        scope, sep, rest = text.partition(":")
        pid, eq, raw = (part.strip() for part in rest.partition("="))
        if not (sep and eq and scope.strip() and pid):
            raise ConfigError("--set", text, fix)
        names = sorted(set(presets)) if scope.strip() == "*" else [scope.strip()]
        for name in names:
            try:
                params = get_preset(name)
                units = params[pid].units
            except ConfigError as exc:  # unknown preset or id: name the nearest
                raise ConfigError(f"--set {text}", exc.value, exc.fix, exc.choices) from None
            try:
                value = parse_quantity(raw, units, field=f"--set {text}")
            except ConfigError:
                raise ConfigError(
                    "--set",
                    text,
                    f"the value must be a number, optionally in units ({units}); {fix}",
                ) from None
            try:
                params.updated({pid: value})  # a negative or non-finite value
            except ConfigError as exc:
                raise ConfigError(f"--set {text}", exc.value, exc.fix) from None
            out.setdefault(name, {})[pid] = value
    return out


def _overrides_text(target: Target, parameters: Overrides) -> str:
    return "; ".join(
        f"{preset}:{pid}={value:g}"
        for preset in target.presets()
        for pid, value in parameters.get(preset, {}).items()
    )


@dataclass(frozen=True)
class ValidationReport:
    """One row per target (columns `COLUMNS`), and where the files went."""

    table: pd.DataFrame
    csv: Path
    html: Path

    @property
    def passed(self) -> bool:
        return bool(len(self.table)) and bool(self.table["passed"].all())


def published_interval(target: Target) -> str:
    """The published uncertainty as text: an interval 'low–high' (its level if not 95%), 'k/n'
    ('k/n vs k₀/n₀' for a difference), or 'range low–high'."""
    p = target.published
    parts = []
    if p.ci is not None:
        level = "" if p.ci_level == 0.95 else f" ({p.ci_level:.1%} CI)"
        parts.append(f"{p.ci[0]:g}–{p.ci[1]:g}{level}")
    if p.range is not None:
        parts.append(f"range {p.range[0]:g}–{p.range[1]:g}")
    if p.events is not None and p.n is not None:
        versus = ""
        if p.reference_events is not None and p.reference_n is not None:
            versus = f" vs {p.reference_events}/{p.reference_n}"
        parts.append(f"{p.events}/{p.n}{versus}")
    elif p.n is not None:
        parts.append(f"n = {p.n}")
    return "; ".join(parts)


def _published_text(target: Target) -> str:
    p, a = target.published, target.acceptance
    if p.value is not None:
        return f"{p.value:g}"
    want = ">" if a.sign == "positive" else "<"
    return f"{want} {a.no_effect:g}"


def simulate_target(
    target: Target,
    n: int,
    parameters: Overrides,
    runs: dict[str, TrialResult | str],
    folder: Path,
    *,
    threads: int | None = None,
    progress: bool = False,
) -> MetricValue:
    """The target's metric, simulated with `n` subjects per group and the preset values
    `parameters` replaced. Studies are run once into `folder` and kept in `runs` (by study key),
    so targets that describe the same study share it; a study that fails is kept as its reason
    and fails every target that reads it. Used by `tmesim validate` and `tmesim calibrate`."""
    from tmesim.trials.trial import Trial

    if target.kind == "pk":
        assert target.pk is not None and target.metric.drug_observable is not None
        return half_life_value(
            target.pk,
            target.metric.drug_observable,
            parameters=parameters.get(target.pk.preset, {}),
            n_threads=threads,
        )
    scenario = target.scenario_at(n, parameters)
    key = study_key(scenario)
    if key not in runs:
        try:
            runs[key] = Trial(scenario).run(
                folder / key, n_threads=threads, report=False, progress=progress
            )
        except ConfigError:
            raise
        except Exception as exc:  # a failed study fails its targets, not the suite
            runs[key] = _failure(exc)
    run = runs[key]
    if isinstance(run, str):
        raise RuntimeError(f"study failed: {run}")
    return compute_metric(target, run)


def run_target_study(
    scenario: TrialScenario, folder: Path, n_threads: int | None
) -> TrialResult | str | None:
    """One study of the suite run into `folder`: its result, the reason it failed, or None for
    a study the configuration refuses (its targets then report the error). A pure function of
    its arguments, the task a Dask worker runs."""
    from tmesim.trials.trial import Trial

    try:
        return Trial(scenario).run(folder, n_threads=n_threads, report=False, progress=False)
    except ConfigError:
        return None
    except Exception as exc:  # a failed study fails its targets, not the suite
        return _failure(exc)


def _run_studies(
    targets: Sequence[Target],
    fast: bool,
    parameters: Overrides,
    folder: Path,
    threads: int | None,
    scheduler: str | None,
    workers: int | None,
) -> dict[str, TrialResult | str]:
    """Every distinct study of `targets`, each a task on the Dask cluster, by study key."""
    from tmesim.executor import run_tasks, task_threads

    scenarios: dict[str, TrialScenario] = {}
    for target in targets:
        if target.kind == "pk":
            continue
        n = target.simulate.n_fast if fast else target.simulate.n
        try:
            scenario = target.scenario_at(n, parameters)
        except Exception:  # reported by the target itself when it is simulated
            continue
        scenarios.setdefault(study_key(scenario), scenario)
    keys = list(scenarios)
    per_task = task_threads(threads, scheduler, workers)
    tasks = [(scenarios[k], folder / k, per_task) for k in keys]
    runs: dict[str, TrialResult | str] = {}
    for i, run in run_tasks(run_target_study, tasks, scheduler=scheduler, workers=workers):
        if run is not None:
            runs[keys[i]] = run
    return runs


def _simulate(
    targets: Sequence[Target],
    out: Path,
    fast: bool,
    threads: int | None,
    progress: bool,
    parameters: Overrides,
    scheduler: str | None = None,
    workers: int | None = None,
) -> list[tuple[Target, MetricValue | None, Verdict, float, int]]:
    from tmesim.executor import distributed

    runs: dict[str, TrialResult | str] = {}
    if distributed(scheduler, workers):
        runs = _run_studies(targets, fast, parameters, out / "studies", threads, scheduler, workers)
    rows = []
    for target in targets:
        start = time.perf_counter()
        n = 1 if target.kind == "pk" else target.simulate.n_fast if fast else target.simulate.n
        try:
            value = simulate_target(
                target, n, parameters, runs, out / "studies", threads=threads, progress=progress
            )
            verdict = judge(target, value)
        except Exception as exc:
            value, verdict = None, Verdict(False, _failure(exc))
        rows.append((target, value, verdict, time.perf_counter() - start, n))
    return rows


def _failure(exc: BaseException) -> str:
    if isinstance(exc, TmesimError | RuntimeError):
        return str(exc)
    last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" ({Path(last.filename).name}:{last.lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _round(x: float) -> float:
    return float(f"{x:.4g}") if math.isfinite(x) else x


def validation_table(
    rows: Sequence[tuple[Target, MetricValue | None, Verdict, float, int]],
    record: CalibrationRecord,
    parameters: Overrides | None = None,
) -> pd.DataFrame:
    """The validation table (one row per target) from simulated values and verdicts."""
    records = []
    for target, value, verdict, seconds, n in rows:
        scale = target.scale
        nan = float("nan")
        records.append(
            {
                "id": target.id,
                "title": target.title,
                "kind": target.kind,
                "metric": target.metric.type,
                "units": target.published.units,
                "published": _published_text(target),
                "published_ci": published_interval(target),
                "simulated": _round(value.value * scale) if value else nan,
                "simulated_ci_low": _round(value.ci_low * scale) if value else nan,
                "simulated_ci_high": _round(value.ci_high * scale) if value else nan,
                "simulated_detail": value.detail if value else "",
                "rule": describe_rule(target),
                "passed": bool(verdict.passed),
                "reason": verdict.reason,
                "role": record.role(target.id),
                "n_simulated": n,
                "seconds": round(seconds, 1),
                "citation": target.citation,
                "overrides": _overrides_text(target, parameters or {}),
            }
        )
    return pd.DataFrame(records, columns=list(COLUMNS))


def run_validation(
    only: Sequence[str] | None = None,
    out: str | Path = DEFAULT_OUT,
    *,
    fast: bool = False,
    threads: int | None = None,
    progress: bool = False,
    targets: Sequence[Target] | None = None,
    record: CalibrationRecord | None = None,
    parameters: Overrides | None = None,
    sensitivity: Sequence[str | Path] = (),
    scheduler: str | None = None,
    workers: int | None = None,
) -> ValidationReport:
    """Simulate the targets (all, `only` these ids, or the fast subset at its small n), judge
    each, and write ``validation.csv`` and ``validation.html`` into `out` (atomically). The
    studies run here, or each a task on a Dask cluster (`scheduler` address, or `workers` local
    processes; :mod:`tmesim.executor`), with the same table.
    `parameters` replaces preset values for a what-if run (see `parse_overrides`); `sensitivity`
    names finished `tmesim sensitivity` runs whose carrying parameters the page shows per target."""
    from tmesim.validation.page import render_page
    from tmesim.validation.sensitivity.run import read_carrying

    out = Path(out)
    chosen = list(targets) if targets is not None else load_targets(only, fast=fast)
    record = record if record is not None else load_record()
    parameters = parameters or {}
    check_backend(scheduler, workers)
    rows = _simulate(chosen, out, fast, threads, progress, parameters, scheduler, workers)
    table = validation_table(rows, record, parameters)
    carrying = read_carrying(sensitivity) if sensitivity else {}
    page = render_page(table, rows, record, fast=fast, overrides=parameters, carrying=carrying)
    csv = atomic_write(out / CSV_FILE, lambda p: table.to_csv(p, index=False))
    html = atomic_write_text(out / HTML_FILE, page)
    return ValidationReport(table, csv, html)

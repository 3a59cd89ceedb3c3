"""`tmesim sensitivity`: plan a global sensitivity run, run it, write its table, figure and summary.

A plan says what is varied (factors, see :mod:`.design`), what is read (validation targets'
metrics, or one model observable, see :mod:`.evaluate`), by which method, and what it costs (the
number of evaluations), before anything runs. The run writes into `out`, each file atomically:

- ``sensitivity.csv``: one row per output, parameter and index (Morris mu_star, mu, sigma; Sobol
  S1, ST) with its 95% interval, the parameter's provenance (sourced, calibrated, assumed) and range;
- ``carried_by.csv``: per output, the top parameter, the share of the main index (Morris mu_star,
  Sobol ST) carried by assumed values, and the flag: carried mostly by assumed values when the
  top parameter is assumed or assumed values carry more than half;
- ``samples.csv`` (the design points as fold multipliers, of the odds for a fraction, and every
  output), ``sensitivity.png``, ``summary.md`` and ``manifest.json`` (seed, versions,
  configuration).

Example:
    >>> plan = plan_sensitivity(observable="tumor_volume", preset="mouse_4t1",
    ...                         parameters=["cd8_kill_rate", "tumor_growth_rate"], size=2)
    >>> plan.evaluations
    6
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tmesim.errors import ConfigError
from tmesim.io.atomic import atomic_write, atomic_write_text
from tmesim.validation.provenance import PROVENANCES
from tmesim.validation.sensitivity.design import (
    Factor,
    Method,
    analyze,
    check_design,
    choose_factors,
    evaluations,
    sample,
)
from tmesim.validation.sensitivity.evaluate import (
    check_observable,
    evaluate_observable,
    evaluate_targets,
    fixed_in_study,
    observable_factors,
    presets_read,
    trimmed_targets,
)
from tmesim.validation.targets import Target, study_key

DEFAULT_OUT = "tmesim-sensitivity"
DEFAULT_FOLD = 2.0
DEFAULT_N_PER_SAMPLE = 10
CSV_FILE = "sensitivity.csv"
FLAGS_FILE = "carried_by.csv"
SAMPLES_FILE = "samples.csv"
FIGURE_FILE = "sensitivity.png"
SUMMARY_FILE = "summary.md"
ASSUMED_SHARE = 0.5
"""An output is flagged when assumed values carry more than this share of its main index."""
MAIN_INDEX: dict[str, str] = {"morris": "mu_star", "sobol": "ST"}
COLUMNS = (
    "output",
    "output_kind",
    "units",
    "parameter",
    "provenance",
    "range",
    "method",
    "index",
    "value",
    "ci_low",
    "ci_high",
    "rank",
)


@dataclass(frozen=True)
class Plan:
    """A checked sensitivity run: what is varied, what is read, how, and at what cost."""

    method: Method
    size: int
    """Morris trajectories or Sobol base samples."""
    seed: int
    fold: float
    factors: list[Factor]
    notes: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    """Cut to the groups their metrics read."""
    n_per_sample: int = DEFAULT_N_PER_SAMPLE
    observable: str | None = None
    preset: str | None = None
    regimen: str | None = None
    days: float | None = None

    @property
    def evaluations(self) -> int:
        """Design points; each is one study run per distinct target study, or one patient."""
        return evaluations(self.method, self.size, len(self.factors))

    @property
    def outputs(self) -> list[str]:
        return [t.id for t in self.targets] if self.targets else [str(self.observable)]

    def cost_text(self) -> str:
        """What the run will cost, printed before it starts."""
        k = len(self.factors)
        design = (
            f"{self.size} Morris trajectories × ({k} + 1)"
            if self.method == "morris"
            else f"{self.size} Sobol base samples × ({k} + 2)"
        )
        if self.targets:
            studies = len({study_key(t.scenario) for t in self.targets if t.study is not None})
            pk = sum(t.study is None for t in self.targets)
            runs = f"{studies} study run(s) at n = {self.n_per_sample} per group" + (
                f" and {pk} PK simulation(s)" if pk else ""
            )
            return f"{self.evaluations} evaluations ({design}); each: {runs}"
        return f"{self.evaluations} evaluations ({design}): virtual patients of one cohort solve"

    def config(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "size": self.size,
            "seed": self.seed,
            "fold": self.fold,
            "parameters": [f.id for f in self.factors],
            "targets": [t.id for t in self.targets],
            "n_per_sample": self.n_per_sample if self.targets else None,
            "observable": self.observable,
            "preset": self.preset,
            "regimen": self.regimen,
            "days": self.days,
        }


def plan_sensitivity(
    *,
    targets: Sequence[str] | None = None,
    observable: str | None = None,
    preset: str | None = None,
    regimen: str | None = None,
    days: float = 60.0,
    method: str = "morris",
    size: int | None = None,
    n_per_sample: int = DEFAULT_N_PER_SAMPLE,
    parameters: Sequence[str] | None = None,
    fold: float = DEFAULT_FOLD,
    seed: int = 0,
) -> Plan:
    """Check the inputs and plan a run over validation `targets` or one `observable` of `preset`.

    `size` is the number of Morris trajectories (default 4 for targets, 20 for an observable) or
    Sobol base samples (a power of 2; default 8 for targets, 256 for an observable).
    """
    from tmesim.validation.targets import load_targets

    if bool(targets) == (observable is not None):
        raise ConfigError(
            "--target / --observable",
            None,
            "give one or more --target ID, or one --observable NAME with --preset PRESET",
        )
    if not (math.isfinite(fold) and fold > 1.0):
        raise ConfigError("--fold", fold, "give a fold above 1 (2: half to twice the value)")
    if n_per_sample < 1:
        raise ConfigError("--n-per-sample", n_per_sample, "give at least 1 subject per group")
    if size is None:
        size = {("morris", True): 4, ("sobol", True): 8, ("morris", False): 20}.get(
            (method, bool(targets)), 256
        )
    checked = check_design(method, size)
    if targets:
        try:
            loaded = trimmed_targets(load_targets(list(targets)))
        except ConfigError as exc:  # an unknown id: the nearest one, under this option's name
            if exc.field != "--only":
                raise
            raise ConfigError("--target", exc.value, exc.fix, exc.choices) from None
        presets = [name for t in loaded for name in t.presets()]
        factors, notes = choose_factors(presets, parameters, exclude=fixed_in_study(loaded))
        return Plan(checked, size, seed, fold, factors, notes, loaded, n_per_sample)
    if preset is None:
        raise ConfigError("--preset", None, "an observable is read from a preset: give --preset")
    assert observable is not None
    check_observable(observable)
    if not (math.isfinite(days) and days > 0):
        raise ConfigError("--days", days, "give a positive number of days")
    factors, notes = choose_factors([preset], parameters)
    factors = observable_factors(preset, regimen, factors)
    return Plan(
        checked,
        size,
        seed,
        fold,
        factors,
        notes,
        observable=observable,
        preset=preset,
        regimen=regimen,
        days=days,
    )


@dataclass(frozen=True)
class SensitivityResult:
    """The tidy table, the per-output flags, the design with its outputs, and the files."""

    table: pd.DataFrame
    carried_by: pd.DataFrame
    samples: pd.DataFrame
    out: Path
    seconds: float


def evaluate(
    plan: Plan, *, threads: int | None = None, progress: bool = False
) -> tuple[np.ndarray, np.ndarray, dict[str, str]]:
    """Design points U (runs, k), outputs Y (runs, outputs) and, per output that failed at
    some point, the first reason."""
    U = sample(plan.method, plan.factors, plan.size, plan.seed)
    failures: dict[str, str] = {}
    if plan.targets:
        Y = evaluate_targets(
            plan.targets,
            plan.factors,
            U,
            plan.fold,
            plan.n_per_sample,
            threads=threads,
            progress=progress,
            failures=failures,
        )
    else:
        assert plan.preset is not None and plan.observable is not None and plan.days
        Y = evaluate_observable(
            plan.preset,
            plan.observable,
            plan.regimen,
            plan.days,
            plan.factors,
            U,
            plan.fold,
            seed=plan.seed,
            threads=threads,
        )[:, None]
        if not np.isfinite(Y).all():
            failures[str(plan.observable)] = "integration failed (solver status not 0)"
    return U, Y, failures


def _units(plan: Plan) -> list[str]:
    if plan.targets:
        return [t.published.units for t in plan.targets]
    from tmesim.model import build_model

    model = build_model()
    return [model.observables[model.observable_ids.index(str(plan.observable))].units]


def sensitivity_table(plan: Plan, U: np.ndarray, Y: np.ndarray) -> tuple[pd.DataFrame, list[int]]:
    """The tidy table (columns `COLUMNS`) and, per output, the groups left out (failed runs)."""
    frames, dropped = [], []
    by_id = {f.id: f for f in plan.factors}
    for j, (output, units) in enumerate(zip(plan.outputs, _units(plan), strict=True)):
        indices, lost = analyze(plan.method, plan.factors, U, Y[:, j], plan.seed)
        dropped.append(lost)
        main = indices[indices["index"] == MAIN_INDEX[plan.method]]
        ranks = main["value"].rank(ascending=False, method="first", na_option="bottom")
        rank_of = dict(zip(main["parameter"], ranks.astype(int), strict=True))
        indices.insert(0, "output", output)
        indices.insert(1, "output_kind", "target" if plan.targets else "observable")
        indices.insert(2, "units", units)
        presets = presets_read(plan.targets[j]) if plan.targets else [str(plan.preset)]
        indices.insert(
            4, "provenance", [by_id[p].provenance_in(presets) for p in indices["parameter"]]
        )
        indices.insert(
            5, "range", [by_id[p].range_text(plan.fold, presets) for p in indices["parameter"]]
        )
        indices.insert(6, "method", plan.method)
        indices["rank"] = [rank_of[p] for p in indices["parameter"]]
        frames.append(indices)
    table = pd.concat(frames, ignore_index=True)
    return table.sort_values(["output", "rank", "index"], kind="stable")[list(COLUMNS)], dropped


def carried_by(table: pd.DataFrame, method: str) -> pd.DataFrame:
    """Per output: the top parameter and its provenance, the share of the main index carried by
    assumed, calibrated and sourced values, and whether assumed values carry it mostly."""
    main = table[table["index"] == MAIN_INDEX[method]]
    rows = []
    for output, group in main.groupby("output", sort=False):
        values = group["value"].clip(lower=0.0).fillna(0.0)
        total = float(values.sum())
        top = group.sort_values("rank").iloc[0]
        shares = {
            prov: float(values[group["provenance"] == prov].sum()) / total if total > 0 else 0.0
            for prov in PROVENANCES
        }
        top_assumed = total > 0 and top["provenance"] == "assumed"
        flagged = bool(top_assumed or shares["assumed"] > ASSUMED_SHARE)
        reasons = []
        if top_assumed:
            reasons.append(f"top parameter {top['parameter']} is assumed")
        if shares["assumed"] > ASSUMED_SHARE:
            reasons.append(f"assumed values carry {shares['assumed']:.0%} of total {top['index']}")
        if total == 0:
            reasons.append("the output did not vary over the ranges")
        rows.append(
            {
                "output": output,
                "index": MAIN_INDEX[method],
                "top_parameter": top["parameter"],
                "top_provenance": top["provenance"],
                "top_value": float(top["value"]),
                "share_assumed": round(shares["assumed"], 4),
                "share_calibrated": round(shares["calibrated"], 4),
                "share_sourced": round(shares["sourced"], 4),
                "carried_by_assumed": flagged,
                "reason": "; ".join(reasons),
            }
        )
    return pd.DataFrame(rows)


def read_carrying(folders: Sequence[str | Path], top: int = 3) -> dict[str, str]:
    """What carries each target, read from finished `tmesim sensitivity` runs: per output, its
    `top` parameters by the main index with their provenance, and the flag when assumed values
    carry it mostly (one line of text each; a later folder's output replaces an earlier one's).

    Raises:
        ConfigError: a folder without the run's tables.
    """
    out: dict[str, str] = {}
    for folder in folders:
        folder = Path(folder)
        if not (folder / CSV_FILE).exists() or not (folder / FLAGS_FILE).exists():
            raise ConfigError(
                "--sensitivity",
                str(folder),
                f"name the folder of a finished `tmesim sensitivity` run (it holds {CSV_FILE} "
                f"and {FLAGS_FILE})",
            )
        table = pd.read_csv(folder / CSV_FILE)
        flags = pd.read_csv(folder / FLAGS_FILE).set_index("output")
        for output, group in table.groupby("output", sort=False):
            index = str(flags.loc[output, "index"]) if output in flags.index else "mu_star"
            main = group[group["index"] == index].sort_values("rank").head(top)
            parts = [
                f"{r.parameter} ({r.provenance}, {index} {r.value:.3g})" for r in main.itertuples()
            ]
            text = "; ".join(parts)
            if output in flags.index and bool(flags.loc[output, "carried_by_assumed"]):
                text += f" — carried mostly by assumed values ({flags.loc[output, 'reason']})"
            out[str(output)] = f"{text} [{folder.name}]"
    return out


def samples_table(plan: Plan, U: np.ndarray, Y: np.ndarray) -> pd.DataFrame:
    """The design points (fold multipliers of each parameter) and every output."""
    data: dict[str, Any] = {"point": np.arange(U.shape[0])}
    for j, f in enumerate(plan.factors):
        data[f"{f.id}_fold"] = np.power(plan.fold, U[:, j])
    for j, output in enumerate(plan.outputs):
        data[output] = Y[:, j]
    return pd.DataFrame(data)


def summary_text(
    plan: Plan,
    table: pd.DataFrame,
    flags: pd.DataFrame,
    dropped: list[int],
    failures: dict[str, str] | None = None,
    top: int = 5,
) -> str:
    """A short markdown summary: the run, then per output its top parameters and its flag."""
    index = MAIN_INDEX[plan.method]
    lines = [
        "# Global sensitivity",
        "",
        f"Method {plan.method}, {plan.cost_text()}; seed {plan.seed}; each parameter over "
        f"{plan.fold:g}-fold either side of its preset value (odds for fractions).",
        "",
    ]
    lines += [f"- {note}" for note in plan.notes]
    for (output, group), lost in zip(table.groupby("output", sort=False), dropped, strict=True):
        flag = flags[flags["output"] == output].iloc[0]
        marker = " — **carried mostly by assumed values**" if flag["carried_by_assumed"] else ""
        lines += ["", f"## {output}{marker}", ""]
        if flag["reason"]:
            lines.append(f"{flag['reason']}.")
        if lost:
            why = (failures or {}).get(str(output), "")
            lines.append(f"{lost} design group(s) left out: a run failed ({why}).")
        lines += [
            "",
            f"| rank | parameter | provenance | {index} | 95% CI |",
            "|---|---|---|---|---|",
        ]
        main = group[group["index"] == index].sort_values("rank").head(top)
        for r in main.itertuples():
            lines.append(
                f"| {r.rank} | {r.parameter} | {r.provenance} | {r.value:.3g} | "
                f"{r.ci_low:.3g}–{r.ci_high:.3g} |"
            )
    return "\n".join(lines) + "\n"


def run_sensitivity(
    plan: Plan,
    out: str | Path = DEFAULT_OUT,
    *,
    threads: int | None = None,
    progress: bool = False,
) -> SensitivityResult:
    """Run the plan and write its files into `out` (each atomically, once every run is done and
    every file's content is ready)."""
    from tmesim.validation.sensitivity.figure import draw_figure

    start = time.perf_counter()
    U, Y, failures = evaluate(plan, threads=threads, progress=progress)
    table, dropped = sensitivity_table(plan, U, Y)
    flags = carried_by(table, plan.method)
    samples = samples_table(plan, U, Y)
    summary = summary_text(plan, table, flags, dropped, failures)
    figure = io.BytesIO()  # drawn before any file is written: an error leaves the folder as it was
    draw_figure(table, plan.method, figure)
    seconds = time.perf_counter() - start
    out = Path(out)
    atomic_write(out / CSV_FILE, lambda p: table.to_csv(p, index=False))
    atomic_write(out / FLAGS_FILE, lambda p: flags.to_csv(p, index=False))
    atomic_write(out / SAMPLES_FILE, lambda p: samples.to_csv(p, index=False))
    atomic_write(out / FIGURE_FILE, lambda p: p.write_bytes(figure.getvalue()))
    atomic_write_text(out / SUMMARY_FILE, summary)
    _write_manifest(plan, out, seconds, dropped, failures)
    return SensitivityResult(table, flags, samples, out, seconds)


def _write_manifest(
    plan: Plan, out: Path, seconds: float, dropped: list[int], failures: dict[str, str]
) -> None:
    from importlib import metadata

    from tmesim.io.manifest import hash_json, write_manifest
    from tmesim.model import build_model
    from tmesim.parameters.presets import get_preset

    presets = sorted({p for f in plan.factors for p in f.nominal})
    write_manifest(
        out,
        command="sensitivity",
        config=plan.config(),
        seed=plan.seed,
        model_hash=build_model().structure_hash(),
        parameter_hash=hash_json({p: get_preset(p).content_hash() for p in presets}),
        extra={
            "salib": metadata.version("SALib"),
            "evaluations": plan.evaluations,
            "groups_left_out": dict(zip(plan.outputs, dropped, strict=True)),
            "first_failure": failures,
            "seconds": round(seconds, 3),
        },
    )

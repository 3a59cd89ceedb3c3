"""Run a sweep: one virtual study per point, then the tidy table, the synergy table and the report.

Every point is the study template with its axes' entries set (`tmesim.config.overrides`
`set_entries`, the rules of ``--set``), validated like a study file and run by the trial runner
(`tmesim.trials.runner.run_study`) into ``points/pNNNN/``. The template's seed is kept, so every
point treats the same virtual patients (common random numbers), and the baselines grown to
treatment start are shared through the baseline cache. A finished point leaves ``point.json``;
``resume=True`` keeps the finished points and, inside an unfinished one, its finished chunks.

Outputs: ``sweep.parquet`` and ``sweep.csv`` (point × cohort × arm × endpoint with 95%
intervals), ``synergy.parquet`` and ``synergy.csv`` (with a ``synergy`` section), ``sweep.json``
(the config and the points), ``manifest.json`` and ``sweep.html``.

Example:
    >>> summary = run_sweep(config, template, Path("runs/sweep"))     # doctest: +SKIP
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from tmesim.config.overrides import set_entries
from tmesim.config.sweep import SweepConfig
from tmesim.config.trial import TrialScenario, trial_from_dict
from tmesim.errors import ConfigError
from tmesim.executor import check_backend, run_tasks, task_threads
from tmesim.io.atomic import atomic_write, atomic_write_text
from tmesim.io.manifest import hash_json, write_manifest
from tmesim.sweeps.design import Point, design_points
from tmesim.sweeps.endpoints import binary_outcome, point_endpoints
from tmesim.sweeps.synergy import loewe_estimate, synergy_estimate

__all__ = ["SweepSummary", "loewe_table", "point_scenarios", "run_sweep", "synergy_table"]

POINTS_DIR = "points"
POINT_FILE = "point.json"
ENDPOINTS_FILE = "endpoints.parquet"
POINT_SYNERGY_FILE = "synergy.parquet"
SWEEP_FILE = "sweep.json"
SYNERGY_COLUMNS = [
    "cohort", "endpoint", "measure", "estimate", "ci_low", "ci_high",
    "e_a", "e_b", "e_ab", "n_patients", "paired",
]  # fmt: skip


@dataclass(frozen=True)
class SweepSummary:
    """What a `run_sweep` call did."""

    out_dir: Path
    points: int
    points_run: int
    points_resumed: int
    rows: int
    seconds: float
    report: Path | None

    def summary(self) -> str:
        kept = f" ({self.points_resumed} finished points kept)" if self.points_resumed else ""
        report = f"; report {self.report}" if self.report else ""
        return (
            f"{self.points} points{kept}, {self.rows} endpoint rows in {self.seconds:.1f} s; "
            f"results in {self.out_dir}{report}"
        )


def _where(point: Point) -> str:
    return ", ".join(f"{k}={v}" for k, v in point.labels.items())


def point_scenarios(
    config: SweepConfig, template: Mapping[str, Any]
) -> list[tuple[Point, TrialScenario]]:
    """Every point of the design with its validated study, checked before anything runs.

    Raises:
        ConfigError: the template is not a valid study, a point's entries make an invalid study
            (the message names the axis values of the point), or the synergy arms are missing.
    """
    try:
        trial_from_dict(template, source="study")
    except ConfigError as exc:
        raise ConfigError("study", "template", f"the study template is not valid: {exc}") from None
    out = []
    for point in design_points(config):
        try:
            data = set_entries(template, point.entries, label="axes")
            scenario = trial_from_dict(data, source=f"study at point {point.name}")
            _check_regimens(scenario)
        except ConfigError as exc:
            raise ConfigError(
                "axes",
                _where(point),
                f"point {point.name} is not a valid study: {exc} — change that axis's "
                "values or paths (paths as `tmesim trial --set` writes them)",
            ) from None
        if scenario.engine != "qsp":
            raise ConfigError(
                "study.engine", scenario.engine, "sweeps run virtual patients; use engine: qsp"
            )
        out.append((point, scenario))
    if config.synergy is not None:
        arms = [a.name for a in out[0][1].arms]
        for role in ("a", "b", "combination"):
            name = getattr(config.synergy, role)
            if name not in arms:
                raise ConfigError(f"synergy.{role}", name, "name an arm of the study", choices=arms)
    return out


def _check_regimens(scenario: TrialScenario) -> None:
    """Parse every regimen of the study, so that a dose an axis sets is checked before any run."""
    from tmesim.therapies.regimen import regimen_from_config

    for arm in scenario.arms:
        for where, regimen in [(f"arms.{arm.name}.regimen", arm.regimen)] + [
            (f"arms.{arm.name}.subsequent_therapy.{t.name}.regimen", t.regimen)
            for t in arm.subsequent_therapy
        ]:
            try:
                regimen_from_config(regimen)
            except ConfigError as exc:
                raise ConfigError(where, "regimen", str(exc)) from None


def _prepare(points_dir: Path, sweep_hash: str, resume: bool) -> None:
    """Start the points folder afresh, or (``resume``) check that it holds this sweep's points."""
    marker = points_dir / "run.json"
    if resume and marker.exists():
        try:
            previous = json.loads(marker.read_text()).get("sweep_hash")
        except (OSError, ValueError, AttributeError):
            previous = None
        if previous != sweep_hash:
            raise ConfigError(
                "--resume",
                str(points_dir.parent),
                "this folder holds another sweep (other axes, values or study); resume with the "
                "same sweep file and --set values, or drop --resume to start afresh",
            )
        return
    if points_dir.exists():
        shutil.rmtree(points_dir)  # a fresh run: the folder was claimed for this sweep
    points_dir.mkdir(parents=True)
    atomic_write_text(marker, json.dumps({"sweep_hash": sweep_hash}))


def _finished(point_dir: Path, config_hash: str) -> bool:
    try:
        marker = json.loads((point_dir / POINT_FILE).read_text())
    except (OSError, ValueError):
        return False
    return (
        isinstance(marker, dict)
        and marker.get("config_hash") == config_hash
        and (point_dir / ENDPOINTS_FILE).exists()
    )


def _run_point(
    point: Point,
    scenario: TrialScenario,
    point_dir: Path,
    config: SweepConfig,
    n_threads: int | None,
) -> None:
    """Run one point into `point_dir` and write its endpoints, synergy and marker. The point's
    chunks are resumed if present (a fresh sweep starts with no point folder), so a point
    interrupted by a killed client or a lost worker continues where it stopped."""
    from tmesim.trials.runner import run_study

    run_study(scenario, point_dir, resume=True, progress=False, n_threads=n_threads, report=False)
    patients = pd.read_parquet(point_dir / "patients.parquet")
    kind = json.loads((point_dir / "study.json").read_text())["kind"]
    table = point_endpoints(patients, kind, config.landmarks_days)
    atomic_write(point_dir / ENDPOINTS_FILE, lambda p: table.to_parquet(p, index=False))
    synergy = synergy_table(patients, config, scenario.design)
    atomic_write(point_dir / POINT_SYNERGY_FILE, lambda p: synergy.to_parquet(p, index=False))
    marker = {"point": point.index, "labels": point.labels, "config_hash": _hash(scenario)}
    atomic_write_text(point_dir / POINT_FILE, json.dumps(marker, indent=2, default=str))


def _hash(scenario: TrialScenario) -> str:
    return hash_json(scenario.model_dump(mode="json", exclude={"output"}))


def synergy_table(patients: pd.DataFrame, config: SweepConfig, design: str) -> pd.DataFrame:
    """Bliss and HSA excess per cohort and endpoint of one point's patient table.

    Patients are paired across the three arms in a matched study (each outcome triple is one
    patient); in a randomized one each arm is resampled on its own.
    """
    rows: list[tuple] = []
    s = config.synergy
    if s is None:
        return pd.DataFrame(columns=SYNERGY_COLUMNS)
    for endpoint in s.endpoints:
        outcomes = binary_outcome(patients, endpoint)
        if outcomes is None:
            continue
        for cohort, g in outcomes.groupby("cohort", sort=False):
            by_arm = {
                arm: g[g["arm"] == arm].set_index("patient_id")["outcome"]
                for arm in (s.a, s.b, s.combination)
            }
            if any(x.empty for x in by_arm.values()):
                continue
            paired = design == "matched"
            if paired:
                both = pd.concat(by_arm, axis=1, join="inner")
                if both.empty:
                    continue
                arrays = [both[arm].to_numpy(bool) for arm in (s.a, s.b, s.combination)]
            else:
                arrays = [by_arm[arm].to_numpy(bool) for arm in (s.a, s.b, s.combination)]
            est = synergy_estimate(
                *arrays,
                paired=paired,
                bootstrap=s.bootstrap,
                confidence=s.confidence,
                seed=s.seed,
            )
            common = (est.e_a, est.e_b, est.e_ab, min(est.n), paired)
            rows.append((cohort, endpoint, "Bliss excess", est.bliss, *est.bliss_ci, *common))
            rows.append((cohort, endpoint, "HSA excess", est.hsa, *est.hsa_ci, *common))
    return pd.DataFrame(rows, columns=SYNERGY_COLUMNS)


def _arm(outcomes: pd.DataFrame, cohort: str, arm: str) -> pd.Series:
    """One cohort and arm's outcomes, indexed by patient id."""
    rows = outcomes[(outcomes["cohort"] == cohort) & (outcomes["arm"] == arm)]
    return rows.set_index("patient_id")["outcome"]


def loewe_table(
    config: SweepConfig, points: list[Point], points_dir: Path, design: str
) -> dict[int, pd.DataFrame]:
    """Loewe combination index per point (rows as in `synergy_table`), where the synergy names
    the two dose axes and the study is matched (the single agents' dose-responses and the
    combination are read on the same patients, so the bootstrap resamples patients across all
    points at once). Empty otherwise."""
    s = config.synergy
    if s is None or s.dose_a is None or s.dose_b is None or design != "matched":
        return {}
    rows: dict[int, list[tuple]] = {p.index: [] for p in points}
    patients = {p.index: pd.read_parquet(points_dir / p.name / "patients.parquet") for p in points}
    for endpoint in s.endpoints:
        outcomes = {i: binary_outcome(t, endpoint) for i, t in patients.items()}
        if any(o is None for o in outcomes.values()):
            continue
        for cohort in dict.fromkeys(outcomes[points[0].index]["cohort"]):
            curve_a = {p.values[s.dose_a]: _arm(outcomes[p.index], cohort, s.a) for p in points}
            curve_b = {p.values[s.dose_b]: _arm(outcomes[p.index], cohort, s.b) for p in points}
            for p in points:
                combo = _arm(outcomes[p.index], cohort, s.combination)
                frame = pd.concat(
                    [*curve_a.values(), *curve_b.values(), combo], axis=1, join="inner"
                )
                if frame.empty:
                    continue
                x = frame.to_numpy(dtype=bool).T
                ka = len(curve_a)
                a, b = p.values[s.dose_a], p.values[s.dose_b]
                index, (low, high) = loewe_estimate(
                    a, b, list(curve_a), x[:ka], list(curve_b), x[ka:-1], x[-1],
                    bootstrap=s.bootstrap, confidence=s.confidence, seed=s.seed,
                )  # fmt: skip
                e_a = float(x[list(curve_a).index(a)].mean())
                e_b = float(x[ka + list(curve_b).index(b)].mean())
                rows[p.index].append((cohort, endpoint, "Loewe index", index, low, high,
                                      e_a, e_b, float(x[-1].mean()), x.shape[1], True))  # fmt: skip
    return {i: pd.DataFrame(r, columns=SYNERGY_COLUMNS) for i, r in rows.items() if r}


def _numeric_axes(points: list[Point]) -> set[str]:
    names = points[0].levels.keys() if points else []
    return {
        name for name in names if all(isinstance(p.levels[name].value, int | float) for p in points)
    }


def _with_point(table: pd.DataFrame, point: Point, numeric: set[str]) -> pd.DataFrame:
    front = {"point": point.index}
    for name, level in point.levels.items():
        front[name] = level.value if name in numeric else level.label
    head = pd.DataFrame([front] * len(table))
    return pd.concat([head, table.reset_index(drop=True)], axis=1)


def _write_table(out_dir: Path, name: str, table: pd.DataFrame) -> None:
    atomic_write(out_dir / f"{name}.parquet", lambda p: table.to_parquet(p, index=False))
    atomic_write_text(out_dir / f"{name}.csv", table.to_csv(index=False))


def run_sweep(
    config: SweepConfig,
    template: Mapping[str, Any],
    out_dir: Path,
    *,
    resume: bool = False,
    progress: bool = True,
    n_threads: int | None = None,
    report: bool = True,
    scheduler: str | None = None,
    workers: int | None = None,
) -> SweepSummary:
    """Run every point of `config` (studies made from `template`) into `out_dir`: here, or on
    a Dask cluster (`scheduler` address, or `workers` local processes; see `tmesim.executor`)."""
    from rich.progress import Progress

    out_dir = Path(out_dir)
    check_backend(scheduler, workers)
    planned = point_scenarios(config, template)
    points_dir = out_dir / POINTS_DIR
    _prepare(points_dir, hash_json([_hash(s) for _, s in planned]), resume)
    start = time.perf_counter()
    n_threads = task_threads(n_threads, scheduler, workers)
    todo = [
        (point, scenario, points_dir / point.name, config, n_threads)
        for point, scenario in planned
        if not (resume and _finished(points_dir / point.name, _hash(scenario)))
    ]
    kept, run = len(planned) - len(todo), len(todo)
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("points", total=len(planned), completed=kept)
        for _ in run_tasks(_run_point, todo, scheduler=scheduler, workers=workers):
            bar.advance(task)
    seconds = time.perf_counter() - start
    points = [p for p, _ in planned]
    numeric = _numeric_axes(points)
    tables, synergies = [], []
    loewe = loewe_table(config, points, points_dir, planned[0][1].design)
    for point in points:
        point_dir = points_dir / point.name
        tables.append(_with_point(pd.read_parquet(point_dir / ENDPOINTS_FILE), point, numeric))
        synergy = pd.read_parquet(point_dir / POINT_SYNERGY_FILE)
        if point.index in loewe:
            synergy = pd.concat([synergy, loewe[point.index]], ignore_index=True)
        synergies.append(_with_point(synergy, point, numeric))
    table = pd.concat(tables, ignore_index=True)
    _write_table(out_dir, "sweep", table)
    if config.synergy is not None:
        _write_table(out_dir, "synergy", pd.concat(synergies, ignore_index=True))
    description = {
        "config": config.model_dump(mode="json"),
        "template": dict(template),
        "kind": json.loads((points_dir / points[0].name / "study.json").read_text())["kind"],
        "points": [
            {"point": p.index, "name": p.name, "labels": p.labels, "entries": p.entries}
            for p in points
        ],
        "seconds": round(seconds, 3),
    }
    atomic_write_text(out_dir / SWEEP_FILE, json.dumps(description, indent=2, default=str))
    first = json.loads((points_dir / points[0].name / "manifest.json").read_text())

    def manifest() -> None:
        write_manifest(
            out_dir,
            command="sweep",
            config=description["config"],
            seed=planned[0][1].seed,
            model_hash=first["model_hash"],
            parameter_hash=hash_json([_hash(s) for _, s in planned]),
            extra={"seconds": round(seconds, 3), "points": len(points), "points_kept": kept},
        )

    manifest()
    path = None
    if report:
        from tmesim.sweeps.report import render_sweep_report

        path = render_sweep_report(out_dir)
        manifest()
    return SweepSummary(out_dir, len(points), run, kept, len(table), seconds, path)

"""Spatial replicate studies: cohorts × arms × several tissues (seeds), run with the spatial engine.

A study YAML with `engine: abm` runs, for every cohort and arm, `n` tissues of that cohort's preset
under that arm's regimen, each from its own seed stream of the study seed. Replicate r of a cohort
uses the same seed in every arm (a matched design: the arms differ only by treatment, so a
difference between arms is not a difference of tissues). Each tissue writes its snapshots in
`tissues/`; the study writes

- `patients.parquet` — one row per tissue (cohort, arm, replicate, seed, start and end readouts),
- `spatial_readouts.parquet` — every snapshot's readouts of every tissue,
- `report.html` — the spatial report (`tmesim.report.spatial`), and `manifest.json`.

Example:
    >>> from tmesim.config.trial import trial_from_dict
    >>> s = trial_from_dict({"title": "t", "engine": "abm", "follow_up_days": 2,
    ...     "cohorts": [{"name": "4T1", "preset": "mouse_4t1", "n": 2}],
    ...     "arms": [{"name": "control"}, {"name": "IPI-549", "regimen": "ipi-549 15 mg/kg qd"}],
    ...     "abm": {"grid": [30, 30], "initial_tumor_cells": 100}})
    >>> run_spatial_study(s, Path("out"))          # doctest: +SKIP
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tmesim.config.trial import TrialScenario
from tmesim.config.validation import validate_config
from tmesim.engines.abm.config import AbmSettings
from tmesim.executor import distributed, run_tasks, task_threads
from tmesim.io.atomic import atomic_path
from tmesim.io.manifest import hash_json, write_manifest

PATIENTS_FILE = "patients.parquet"
SPATIAL_READOUTS_FILE = "spatial_readouts.parquet"
TISSUES_DIR = "tissues"
_FINAL = (
    "n_tumor",
    "n_necrotic",
    "cd8_core_density",
    "cd8_margin_density",
    "immune_class",
    "cd8_tumor_distance_median_um",
    "clone_1_fraction",
    "tam_m1_fraction",
    "tam_m2_fraction",
    "tam_trem2_fraction",
    "mean_il10",
    "mean_il12",
)


@dataclass(frozen=True)
class SpatialStudySummary:
    """What a spatial study run did."""

    out_dir: Path
    tissues: int
    seconds: float
    report: Path | None
    patients: pd.DataFrame

    def summary(self) -> str:
        lines = [
            f"{self.tissues} tissues in {self.seconds:.1f} s; results in {self.out_dir}"
            + (f"; report {self.report}" if self.report else "")
        ]
        grouped = self.patients.groupby(["cohort", "arm"], sort=False)
        for (cohort, arm), g in grouped:
            classes = ", ".join(
                f"{k} {v}" for k, v in g["immune_class_final"].value_counts().items()
            )
            lines.append(
                f"  {cohort} / {arm}: tumor cells {g['n_tumor_start'].mean():.0f} -> "
                f"{g['n_tumor_final'].mean():.0f}, CD8 core {g['cd8_core_density_final'].mean():.0f}"
                f" cells/mm³, M1 fraction {g['tam_m1_fraction_final'].mean():.2f}; {classes}"
            )
        return "\n".join(lines)


def tissue_readouts(
    scenario: TrialScenario,
    settings: AbmSettings,
    ci: int,
    ai: int,
    r: int,
    out_dir: Path,
    progress: bool,
    n_threads: int | None,
) -> tuple[pd.DataFrame, int]:
    """Replicate `r` of cohort `ci` under arm `ai`: its tissue written to its folder under
    `out_dir`; its readouts (with the cohort, arm, replicate and folder) and seed. A pure
    function of its arguments (the tissue's seed is the study seed's replicate stream), the task
    a Dask worker runs."""
    from tmesim.engines.abm.simulation import replicate_seed, run_abm

    cohort, arm = scenario.cohorts[ci], scenario.arms[ai]
    seed = replicate_seed(scenario.seed, ci * 1_000_000 + r)
    folder = Path(TISSUES_DIR) / f"cohort{ci}-arm{ai}-tissue{r:03d}"
    result = run_abm(
        cohort.preset,
        settings=settings,
        regimen=arm.regimen,
        mechanisms=cohort.mechanisms,
        parameters=cohort.parameters,
        duration_days=scenario.follow_up_days,
        seed=seed,
        out_dir=out_dir / folder,
        progress=progress,
        n_threads=n_threads,
    )
    table = result.readouts.assign(
        cohort=cohort.name, arm=arm.name, replicate=r, tissue=str(folder)
    )
    return table, seed


def _tissue_row(table: pd.DataFrame, seed: int) -> dict:
    """A tissue's row of the patient table: its first and last readouts."""
    first, last = table.iloc[0], table.iloc[-1]
    row = {
        "patient_id": int(first["replicate"]),
        "cohort": first["cohort"],
        "arm": first["arm"],
        "replicate": int(first["replicate"]),
        "seed": seed,
        "status": "success",
        "tissue": first["tissue"],
        "n_tumor_start": int(first["n_tumor"]),
    }
    row.update({f"{k}_final": last[k] for k in _FINAL})
    return row


def _write_parquet(path: Path, frame: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)


def run_spatial_study(
    scenario: TrialScenario,
    out_dir: Path,
    *,
    progress: bool = True,
    n_threads: int | None = None,
    report: bool = True,
    scheduler: str | None = None,
    workers: int | None = None,
) -> SpatialStudySummary:
    """Run every cohort × arm × replicate tissue of `scenario` into `out_dir`: here, or each
    tissue a task on a Dask cluster (`scheduler` address or `workers` local processes; the
    workers write the tissues' folders, so `out_dir` must be on a file system they share)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = validate_config(AbmSettings, scenario.abm, label="abm", prefix=("abm",))
    start = time.perf_counter()
    threads = task_threads(n_threads, scheduler, workers)
    shown = progress and not distributed(scheduler, workers)
    tasks = [
        (scenario, settings, ci, ai, r, out_dir, shown, threads)
        for ci, cohort in enumerate(scenario.cohorts)
        for ai in range(len(scenario.arms))
        for r in range(cohort.n)
    ]
    done = dict(run_tasks(tissue_readouts, tasks, scheduler=scheduler, workers=workers))
    ordered = [done[i] for i in range(len(tasks))]  # in task order, however they finished
    tables = [table for table, _ in ordered]
    rows = [_tissue_row(table, seed) for table, seed in ordered]
    patients = pd.DataFrame(rows)
    readouts = pd.concat(tables, ignore_index=True)
    _write_parquet(out_dir / PATIENTS_FILE, patients)
    _write_parquet(out_dir / SPATIAL_READOUTS_FILE, readouts)
    report_path = None
    if report:
        from tmesim.report.spatial import render_spatial_report

        report_path = render_spatial_report(out_dir, title=scenario.title,
                                            description=scenario.description)  # fmt: skip
    seconds = time.perf_counter() - start
    from tmesim.model import build_model

    write_manifest(
        out_dir,
        command="trial (engine abm)",
        config=scenario.model_dump(mode="json"),
        seed=scenario.seed,
        model_hash=build_model().structure_hash(),
        parameter_hash=hash_json({"abm": settings.model_dump(mode="json")}),
        extra={"engine": "abm", "tissues": len(patients), "seconds": round(seconds, 3)},
    )
    return SpatialStudySummary(out_dir, len(patients), seconds, report_path, patients)

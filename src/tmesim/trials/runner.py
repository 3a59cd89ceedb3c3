"""Run a virtual mouse study or clinical trial: cohorts × arms, chunk by chunk, resumable.

The work is cut into units (cohort, arm, chunk of patients). Each cohort chunk is grown to treatment
start once (`cohorts.baseline`, cached on disk) and then treated in every arm, so the arms of a study
share the same virtual patients. Each finished unit writes its rows (patients, burden, visits) as
Parquet parts and then a marker; `resume=True` skips the units whose marker exists, so an interrupted
run loses at most the units in flight and ends with the same tables as an uninterrupted one.

The chunks are independent tasks (:func:`chunk_tables`, a pure function of the scenario and the
chunk's patients, every patient drawing from its own streams): they run here, or on a Dask cluster
(`scheduler`, `workers`; :mod:`tmesim.executor`), where workers rebuild the study once and load
the compiled kernel from the shared cache. The parts stream into ``parts/`` (one Parquet dataset
per table) as the chunks arrive, whatever the order; the tables are the same value for value.

Example:
    >>> from tmesim.config.trial import trial_from_dict
    >>> s = trial_from_dict({"title": "t", "cohorts": [{"name": "4T1", "preset": "mouse_4t1",
    ...     "n": 4}], "arms": [{"name": "control"}], "follow_up_days": 20})
    >>> summary = run_study(s, Path("out"))        # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from tmesim.cohorts.baseline import Baseline, grow_lesions, grow_to_start
from tmesim.config.trial import TrialScenario
from tmesim.engines.qsp.compiled import compiled_kernel
from tmesim.executor import check_backend, distributed, per_process, run_tasks, task_threads
from tmesim.io.atomic import atomic_write, atomic_write_text
from tmesim.io.manifest import hash_json, write_manifest
from tmesim.trials.biomarkers import BIOMARKERS
from tmesim.trials.clinical import clinical_unit, lesion_counts
from tmesim.trials.eligibility import enroll, screening_summary
from tmesim.trials.mouse import mouse_unit
from tmesim.trials.store import (
    TABLES,
    config_payload,
    finished_units,
    prepare,
    read_parts,
    write_unit,
)
from tmesim.trials.stratification import strata
from tmesim.trials.study import Study, Unit
from tmesim.trials.subsequent import subsequent_summary
from tmesim.trials.toxicity import HAZARD_CALIBRATION


@dataclass(frozen=True)
class StudySummary:
    """What a `run_study` call did."""

    out_dir: Path
    rows: int
    failed: int
    units_run: int
    units_resumed: int
    seconds: float
    report: Path | None

    def summary(self) -> str:
        resumed = f" ({self.units_resumed} finished units kept)" if self.units_resumed else ""
        report = f"; report {self.report}" if self.report else ""
        return (
            f"{self.rows} patient-arm rows in {self.seconds:.1f} s{resumed}; {self.failed} failed; "
            f"results in {self.out_dir}{report}"
        )


def run_study(
    scenario: TrialScenario,
    out_dir: Path,
    *,
    resume: bool = False,
    progress: bool = True,
    n_threads: int | None = None,
    report: bool = True,
    scheduler: str | None = None,
    workers: int | None = None,
) -> StudySummary:
    """Run `scenario` into `out_dir`: per-patient table, burden and visit tables, study.json,
    manifest and (with `report`) the HTML report. The chunks of patients run here, or on a Dask
    cluster: at `scheduler` (an address) or on `workers` local processes."""
    from rich.progress import Progress

    check_backend(scheduler, workers)
    if scenario.engine == "abm":
        from tmesim.trials.spatial import run_spatial_study

        return run_spatial_study(  # type: ignore[return-value]
            scenario,
            out_dir,
            progress=progress,
            n_threads=n_threads,
            report=report,
            scheduler=scheduler,
            workers=workers,
        )
    out_dir = Path(out_dir)
    study = Study(scenario, n_threads)
    compiled_kernel(study.model)
    parts = out_dir / "parts"
    config_hash = hash_json(config_payload(scenario))
    prepare(out_dir, parts, config_hash, resume)
    units = study.units()
    done = finished_units(parts, config_hash) if resume else set()
    threads = task_threads(n_threads, scheduler, workers)
    if not distributed(scheduler, workers):  # the chunks run here: reuse this study
        per_process(_study_key(config_hash, threads), lambda: study, fresh=True)
    chunks: dict[tuple[int, int], list[Unit]] = {}
    for unit in units:
        if unit.name not in done:
            chunks.setdefault((unit.cohort, unit.chunk), []).append(unit)
    tasks = ((scenario, config_hash, threads, todo) for todo in chunks.values())
    start = time.perf_counter()
    run = 0
    total = sum(len(u.patients) for u in units)
    kept = sum(len(u.patients) for u in units if u.name in done)
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("simulating", total=total, completed=kept)
        for _, finished in run_tasks(chunk_tables, tasks, scheduler=scheduler, workers=workers):
            for unit, tables in finished:
                write_unit(parts, unit, tables, config_hash)
                run += 1
                bar.advance(task, len(unit.patients))
    seconds = time.perf_counter() - start
    return _finalize(study, out_dir, parts, units, run, len(done), seconds, report, config_hash)


def _study_key(config_hash: str, n_threads: int | None) -> str:
    return f"study-{config_hash}-{n_threads}"


def chunk_tables(
    scenario: TrialScenario, config_hash: str, n_threads: int | None, units: list[Unit]
) -> list[tuple[Unit, dict[str, pd.DataFrame]]]:
    """The tables (patients, burden, visits) of `units`, arms of one chunk of one cohort: the
    chunk's patients grown to treatment start (or read from the baseline cache) and treated in
    each arm. A pure function of its arguments, the task a Dask worker runs; the study derived
    from `scenario` is built once per process (`config_hash` names it)."""
    study = per_process(_study_key(config_hash, n_threads), lambda: Study(scenario, n_threads))
    lesions = _baselines(study, units[0].cohort, _chunk_ids(study, units[0]))
    return [(unit, _run_unit(study, unit, lesions)) for unit in units]


def _chunk_ids(study: Study, unit: Unit) -> np.ndarray:
    s = study.scenario
    n = s.cohorts[unit.cohort].n
    first = unit.chunk * s.chunk_size
    return np.arange(first, min(first + s.chunk_size, n), dtype=np.int64)


def _baselines(study: Study, ci: int, ids: np.ndarray) -> list[Baseline]:
    """The chunk's patients at treatment start: one Baseline per lesion (1 unless metastatic);
    in a clinical trial, the candidates enrolled after screening (`trials.eligibility`)."""
    if study.kind != "clinical_trial":
        return _candidates(study, ci, ids, 0)[0]
    rules = study.eligibility[ci]
    lesions, _ = enroll(
        study.scenario,
        study.model,
        ids,
        rules,
        lambda i, k: _candidates(study, ci, i, k),
        cohort=study.scenario.cohorts[ci],
    )
    return lesions


def _candidates(
    study: Study, ci: int, ids: np.ndarray, screening: int
) -> tuple[list[Baseline], np.ndarray]:
    """Candidate `screening` of slots `ids` grown to treatment start: (a Baseline per lesion,
    target lesions per patient)."""
    s = study.scenario
    spec = s.cohorts[ci]
    params = study.cohort_parameters[ci]
    first = grow_to_start(
        params,
        study.model,
        ids,
        s.seed,
        variability=spec.variability,
        settings=study.baseline_settings[ci],
        n_threads=study.n_threads,
        screening=screening,
    )
    out = [first]
    counts = np.ones(len(ids), dtype=np.int64)
    if s.setting == "metastatic":
        counts = lesion_counts(s.seed, ids, s.lesions.mean_target_lesions, screening)
        for j in range(1, int(counts.max(initial=1))):
            out.append(
                grow_lesions(
                    first,
                    params,
                    study.model,
                    j,
                    s.seed,
                    heterogeneity_cv=s.lesions.heterogeneity_cv,
                    present=counts > j,
                    settings=study.baseline_settings[ci],
                    n_threads=study.n_threads,
                    screening=screening,
                )
            )
    return out, counts


def _select(b: Baseline, ids: np.ndarray) -> Baseline:
    pos = np.searchsorted(b.patient_id, ids)
    return Baseline(b.patient_id[pos], b.P[pos], b.Y[pos], b.table.iloc[pos].reset_index(drop=True))


def _factor_table(lesions: list[Baseline]) -> pd.DataFrame:
    """The chunk's baseline table with what stratification may name before treatment: the
    biomarkers, the body and the number of lesions present."""
    table = lesions[0].table.copy()
    table["n_lesions"] = sum(np.isfinite(b.Y).all(axis=1).astype(np.int64) for b in lesions)
    return table


def _run_unit(study: Study, unit: Unit, lesions: list[Baseline]) -> dict[str, pd.DataFrame]:
    s = study.scenario
    if s.stratification is not None:
        unit = replace(unit, patients=study.arm_patients(unit, _factor_table(lesions)))
    if len(unit.patients) == 0:  # a randomized arm can receive no patient of a chunk
        return {name: pd.DataFrame() for name in TABLES}
    lesions = [_select(b, unit.patients) for b in lesions]
    first = lesions[0]
    sim = study.arm_sims[unit.cohort][unit.arm]
    arm = s.arms[unit.arm]
    cohort = s.cohorts[unit.cohort]
    base = first.table.copy()
    if s.stratification is not None:
        base["stratum"] = strata(_factor_table(lesions), s.stratification).to_numpy()
    base.insert(0, "cohort", cohort.name)
    base.insert(1, "arm", arm.name)
    if study.kind == "mouse_study":
        patients, burden, visits = mouse_unit(study, unit, sim, first)
    else:
        patients, burden, visits = clinical_unit(study, unit, sim, lesions)
    table = pd.concat([base.reset_index(drop=True), patients.reset_index(drop=True)], axis=1)
    for df in (burden, visits):
        df.insert(0, "cohort", cohort.name)
        df.insert(1, "arm", arm.name)
    ordered = _order_columns(table, set(study.model.parameter_ids))
    return {"patients": ordered, "burden": burden, "visits": visits}


def _order_columns(table: pd.DataFrame, parameter_ids: set[str]) -> pd.DataFrame:
    """Identity, status and endpoints first; sampled parameters after."""
    first = ["cohort", "arm", "patient_id", "status", "status_code", "message"]
    rest = [c for c in table.columns if c not in first]
    endpoints = [c for c in rest if c not in parameter_ids]
    params = [c for c in rest if c in parameter_ids]
    return table[first + endpoints + params]


def _finalize(
    study: Study,
    out_dir: Path,
    parts: Path,
    units: list[Unit],
    run: int,
    resumed: int,
    seconds: float,
    report: bool,
    config_hash: str | None = None,
) -> StudySummary:
    s = study.scenario
    tables = {name: read_parts(parts, name, units, config_hash) for name in TABLES}
    for name, df in tables.items():
        atomic_write(out_dir / f"{name}.parquet", lambda p, df=df: df.to_parquet(p, index=False))
    study_json = study_description(study, seconds)
    if study.kind == "clinical_trial":
        study_json["screening"] = screening_summary(tables["patients"])
        if any(a.subsequent_therapy for a in s.arms):
            study_json["subsequent_therapy"] = subsequent_summary(tables["patients"])
    atomic_write_text(out_dir / "study.json", json.dumps(study_json, indent=2))
    patients = tables["patients"]
    failed = int((patients["status"] != "success").sum()) if len(patients) else 0

    def manifest() -> None:
        write_manifest(
            out_dir,
            command="trial",
            config=s.model_dump(mode="json"),
            seed=s.seed,
            model_hash=study.model.structure_hash(),
            parameter_hash=hash_json([p.content_hash() for p in study.cohort_parameters]),
            extra={
                "seconds": round(seconds, 3),
                "units": len(units),
                "units_resumed": resumed,
                "rows": len(patients),
                "failed": failed,
            },
        )

    manifest()
    path = None
    if report:
        from tmesim.report import render_report

        path = render_report(out_dir)  # shows the manifest of the tables...
        manifest()  # ...and the final manifest records the report's checksum too
    return StudySummary(out_dir, len(patients), failed, run, resumed, seconds, path)


def study_description(study: Study, seconds: float) -> dict:
    """The study as the report reads it (study.json)."""
    from tmesim.therapies.dosing import dose_events

    s = study.scenario
    arms = []
    for ai, arm in enumerate(s.arms):
        sim = study.arm_sims[0][ai]
        stop = s.follow_up_days if arm.max_treatment_days is None else arm.max_treatment_days
        events = dose_events(sim.regimen_, sim.subject, until_day=min(stop, s.follow_up_days))
        arms.append(
            {
                "name": arm.name,
                "regimen": str(sim.regimen_),
                "doses": [
                    {"drug": e.drug, "day": e.time_day, "amount": e.amount, "unit": e.unit}
                    for e in events
                ],
            }
        )
    return {
        "title": s.title,
        "description": s.description,
        "kind": study.kind,
        "setting": s.setting,
        "seed": s.seed,
        "design": s.design,
        "follow_up_days": s.follow_up_days,
        "endpoint_volume_mm3": s.endpoint_volume_mm3 if study.kind == "mouse_study" else None,
        "criteria": s.response.criteria if study.kind == "clinical_trial" else None,
        "visit_every_days": s.visits.every_days if study.kind == "clinical_trial" else None,
        "visit_schedule": s.visits.describe() if study.kind == "clinical_trial" else None,
        "subgroups": [g.model_dump(mode="json") for g in s.subgroups],
        "stratification": (s.stratification.model_dump(mode="json") if s.stratification else None),
        "biomarker_units": (
            {k: b.units for k, b in BIOMARKERS.items()} if study.kind == "clinical_trial" else None
        ),
        "toxicity": (
            {**s.toxicity.model_dump(mode="json"), "calibration": HAZARD_CALIBRATION}
            if s.toxicity.enabled or any(a.stops_at_toxicity for a in s.arms)
            else None
        ),
        "cohorts": [
            {
                "name": c.name,
                "preset": c.preset,
                "species": p.species,
                "description": c.description or p.description,
                "n": c.n,
            }
            for c, p in zip(s.cohorts, study.cohort_parameters, strict=True)
        ],
        "arms": arms,
        "rechallenge": (
            {
                "day": s.follow_up_days + s.rechallenge.washout_days,
                "cells": s.rechallenge.cells,
                "follow_up_days": s.rechallenge.follow_up_days,
            }
            if s.rechallenge
            else None
        ),
        "seconds": round(seconds, 3),
    }

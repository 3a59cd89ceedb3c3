"""Chunks of patients, validation studies and resumed runs on a local Dask cluster of 2 worker
processes: the tables equal the serial run's value for value, whatever the chunking, and a lost
worker or an interrupted run loses nothing."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pandas as pd
import pytest
import xarray as xr

from tmesim.config.scenario import scenario_from_dict
from tmesim.config.trial import trial_from_dict
from tmesim.errors import ConfigError
from tmesim.executor import per_process, run_tasks
from tmesim.io.results import load_trajectories, patients_part_path
from tmesim.trials.runner import run_study

pytest.importorskip("distributed")

STUDY = {
    "title": "tiny 4T1 study",
    "seed": 3,
    "follow_up_days": 12,
    "chunk_size": 3,
    "cohorts": [
        {"name": "4T1", "preset": "mouse_4t1", "n": 5, "start_volume_mm3": 60},
        {"name": "B16", "preset": "mouse_b16f10", "n": 4, "start_volume_mm3": 60},
    ],
    "arms": [{"name": "control"}, {"name": "CPB", "regimen": "rmp1-14 200 ug biw x2"}],
}
COHORT = {
    "preset": "mouse_4t1",
    "regimen": "rmp1-14 200 ug biw x2",
    "n_patients": 10,
    "duration_days": 8,
    "save_every_days": 2,
    "seed": 4,
    "variability": True,
    "chunk_size": 3,
}


def tables(out: Path, names=("patients", "burden", "visits")) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(out / f"{name}.parquet") for name in names}


def assert_same_tables(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)


def by_patient(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(["cohort", "arm", "patient_id"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def serial_trial(tmp_path_factory) -> dict[str, pd.DataFrame]:
    out = tmp_path_factory.mktemp("serial")
    run_study(trial_from_dict(STUDY), out, progress=False, report=False, n_threads=1)
    return tables(out)


def test_trial_chunks_on_two_workers_give_the_serial_tables(tmp_path, serial_trial) -> None:
    summary = run_study(
        trial_from_dict(STUDY), tmp_path / "dask", progress=False, report=False, workers=2
    )
    assert summary.units_run == 8  # 2 + 2 chunks of 3, each in 2 arms
    assert_same_tables(serial_trial, tables(tmp_path / "dask"))


def test_trial_patients_do_not_depend_on_the_chunking(tmp_path, serial_trial) -> None:
    study = trial_from_dict({**STUDY, "chunk_size": 2})
    run_study(study, tmp_path / "two", progress=False, report=False, n_threads=1)
    pd.testing.assert_frame_equal(
        by_patient(serial_trial["patients"]), by_patient(tables(tmp_path / "two")["patients"])
    )


def _dies_once(flags: str, scenario, config_hash, n_threads, units):
    """The trial's chunk task, except that the worker running chunk 1 of cohort 0 dies (the
    process exits mid-task) the first time."""
    from tmesim.trials.runner import chunk_tables

    flag = Path(flags) / "died"
    if (units[0].cohort, units[0].chunk) == (0, 1) and not flag.exists():
        flag.touch()
        os._exit(1)
    return chunk_tables(scenario, config_hash, n_threads, units)


def test_a_worker_killed_mid_trial_loses_nothing(tmp_path, monkeypatch, serial_trial) -> None:
    from tmesim.trials import runner

    (tmp_path / "flags").mkdir()
    monkeypatch.setattr(
        runner, "chunk_tables", functools.partial(_dies_once, str(tmp_path / "flags"))
    )
    run_study(trial_from_dict(STUDY), tmp_path / "dask", progress=False, report=False, workers=2)
    assert (tmp_path / "flags" / "died").exists()  # a worker did die with its task
    assert_same_tables(serial_trial, tables(tmp_path / "dask"))


def _stops_after(n_chunks: int, real, scenario, config_hash, n_threads, units):
    """The trial's chunk task, stopping the run (as a killed client would) after `n_chunks`."""
    if units[0].cohort * 2 + units[0].chunk >= n_chunks:
        raise KeyboardInterrupt
    return real(scenario, config_hash, n_threads, units)


def test_a_resumed_trial_on_dask_recomputes_only_missing_chunks(
    tmp_path, monkeypatch, serial_trial
) -> None:
    from tmesim.trials import runner

    out = tmp_path / "run"
    study = trial_from_dict(STUDY)
    with monkeypatch.context() as m:
        m.setattr(runner, "chunk_tables", functools.partial(_stops_after, 3, runner.chunk_tables))
        with pytest.raises(KeyboardInterrupt):
            run_study(study, out, progress=False, report=False, n_threads=1)
    parts = sorted((out / "parts" / "patients").glob("*.parquet"))
    assert len(parts) == 6 and not (out / "patients.parquet").exists()
    stamps = {p.name: p.stat().st_mtime_ns for p in parts}
    summary = run_study(study, out, resume=True, progress=False, report=False, workers=2)
    assert (summary.units_resumed, summary.units_run) == (6, 2)
    assert {p.name: p.stat().st_mtime_ns for p in parts} == stamps  # kept, not rewritten
    assert_same_tables(serial_trial, tables(out))


def test_a_validation_study_on_two_workers_gives_the_serial_table(tmp_path) -> None:
    from tmesim.validation.runner import run_validation

    only = ["franklin_2014_rbpj_lowers_tams", "antibody_half_life_nivolumab"]
    serial = run_validation(only=only, fast=True, out=tmp_path / "serial", threads=1)
    dask = run_validation(only=only, fast=True, out=tmp_path / "dask", workers=2)
    columns = [c for c in serial.table.columns if c != "seconds"]  # wall-clock time differs
    pd.testing.assert_frame_equal(serial.table[columns], dask.table[columns], check_exact=True)
    assert_same_tables(
        tables(next((tmp_path / "serial" / "studies").iterdir())),
        tables(next((tmp_path / "dask" / "studies").iterdir())),
    )


def test_a_cohort_is_the_same_on_two_workers_and_in_other_chunks(tmp_path) -> None:
    from tmesim.simulation import run_scenario

    run_scenario(scenario_from_dict(COHORT), tmp_path / "serial", progress=False, n_threads=1)
    run_scenario(scenario_from_dict(COHORT), tmp_path / "dask", progress=False, workers=2)
    other = scenario_from_dict({**COHORT, "chunk_size": 4})
    run_scenario(other, tmp_path / "chunks", progress=False, n_threads=1)
    reference = pd.read_parquet(tmp_path / "serial" / "patients.parquet")
    assert len(reference) == 10
    for run in ("dask", "chunks"):
        pd.testing.assert_frame_equal(
            reference, pd.read_parquet(tmp_path / run / "patients.parquet"), check_exact=True
        )
        # equal values and units; only the configuration hash attribute names the chunk size
        xr.testing.assert_equal(
            load_trajectories(tmp_path / "serial"), load_trajectories(tmp_path / run)
        )


def _cohort_stops_at(index: int, real, scenario, config_hash, n_threads, chunk, first):
    if chunk >= index:
        raise KeyboardInterrupt
    return real(scenario, config_hash, n_threads, chunk, first)


def test_a_resumed_cohort_on_dask_recomputes_only_missing_chunks(tmp_path, monkeypatch) -> None:
    import json

    from tmesim import simulation

    scenario = scenario_from_dict(COHORT)
    simulation.run_scenario(scenario, tmp_path / "reference", progress=False, n_threads=1)
    out = tmp_path / "run"
    with monkeypatch.context() as m:
        m.setattr(
            simulation,
            "cohort_chunk",
            functools.partial(_cohort_stops_at, 2, simulation.cohort_chunk),
        )
        with pytest.raises(KeyboardInterrupt):
            simulation.run_scenario(scenario, out, progress=False, n_threads=1)
    kept = [patients_part_path(out, i) for i in (0, 1)]
    stamps = [p.stat().st_mtime_ns for p in kept]
    patients_part_path(out, 1).write_bytes(b"damaged")  # a damaged part is recomputed too
    simulation.run_scenario(scenario, out, progress=False, resume=True, workers=2)
    assert json.loads((out / "manifest.json").read_text())["extra"]["chunks_resumed"] == 1
    assert kept[0].stat().st_mtime_ns == stamps[0]
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "reference" / "patients.parquet"),
        pd.read_parquet(out / "patients.parquet"),
        check_exact=True,
    )


def test_tasks_are_read_lazily_and_yield_as_they_finish() -> None:
    seen = []

    def tasks():
        for i in range(5):
            seen.append(i)
            yield (i, 2)

    results = dict(run_tasks(pow, tasks(), workers=2))
    assert results == {i: i**2 for i in range(5)} and seen == list(range(5))
    assert per_process("test-key", lambda: object()) is per_process("test-key", list)


def test_the_cluster_options_exclude_each_other_on_every_command(tmp_path) -> None:
    from tmesim.simulation import run_scenario

    with pytest.raises(ConfigError, match="not both"):
        run_study(trial_from_dict(STUDY), tmp_path, scheduler="tcp://127.0.0.1:1", workers=2)
    with pytest.raises(ConfigError, match="not both"):
        run_scenario(scenario_from_dict(COHORT), tmp_path, scheduler="tcp://x:1", workers=1)


@pytest.mark.slow  # each worker compiles the spatial kernels (about a minute on 2 cores)
def test_spatial_replicates_on_two_workers_give_the_serial_tables(tmp_path) -> None:
    from tmesim.config.trial import load_trial

    example = Path(__file__).parents[1] / "examples" / "abm_4t1_ipi549_study.yaml"
    small = ["follow_up_days=1", "abm.grid=[30,30]", "abm.initial_tumor_cells=150"]
    study = load_trial(example, small)
    run_study(study, tmp_path / "serial", progress=False, report=False, n_threads=1)
    run_study(study, tmp_path / "dask", progress=False, report=False, workers=2)
    names = ("patients", "spatial_readouts")
    assert_same_tables(tables(tmp_path / "serial", names), tables(tmp_path / "dask", names))
    assert len(tables(tmp_path / "dask", ["patients"])["patients"]) == 4  # 2 tissues × 2 arms


@pytest.mark.parametrize("command", ["simulate", "trial", "validate"])
def test_every_command_takes_the_cluster_options(tmp_path, command) -> None:
    from typer.testing import CliRunner

    from tmesim.cli import app

    args = {
        "simulate": [
            "simulate",
            str(Path(__file__).parents[1] / "examples" / "mouse_4t1_checkpoint.yaml"),
        ],
        "trial": ["trial"],
        "validate": ["validate", "--only", "antibody_half_life_nivolumab"],
    }[command]
    out = ["--out", str(tmp_path / "run")]
    both = CliRunner().invoke(app, [*args, *out, "--workers", "2", "--scheduler", "tcp://x:1"])
    assert both.exit_code == 2 and "not both" in both.output, both.output
    zero = CliRunner().invoke(app, [*args, *out, "--workers", "0"])
    assert zero.exit_code == 2

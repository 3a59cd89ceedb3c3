"""Sweep points on a local Dask cluster of worker processes: the same tables as a serial run."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from tmesim.config.sweep import sweep_from_dict
from tmesim.errors import ConfigError
from tmesim.executor import run_tasks
from tmesim.sweeps.run import run_sweep

PD1 = {"drug": "rmp1-14", "amount": 200, "unit": "ug", "every_days": 3.5, "count": 2}
IPI549 = {"drug": "ipi-549", "amount": 15, "unit": "mg/kg", "every_days": 1, "count": 8}
STUDY = {
    "title": "tiny 4T1 study",
    "seed": 8,
    "follow_up_days": 10,
    "chunk_size": 3,
    "cohorts": [{"name": "4T1", "preset": "mouse_4t1", "n": 5}],
    "arms": [
        {"name": "anti-PD-1", "regimen": [PD1]},
        {"name": "IPI-549", "regimen": [IPI549]},
        {"name": "both", "regimen": [PD1, IPI549]},
    ],
}
SWEEP = {
    "title": "t",
    "study": STUDY,
    "axes": [
        {"name": "pd1", "path": ["arms.0.regimen.0.amount", "arms.2.regimen.0.amount"],
         "values": [100, 200]},
        {"name": "ipi", "path": ["arms.1.regimen.0.amount", "arms.2.regimen.1.amount"],
         "values": [1, 15]},
    ],
    "synergy": {"a": "anti-PD-1", "b": "IPI-549", "combination": "both", "bootstrap": 100},
}  # fmt: skip


def test_the_default_path_does_not_import_dask() -> None:
    code = (
        "import sys\n"
        "import tmesim.cli, tmesim.sweeps.run\n"
        "from tmesim.executor import run_tasks\n"
        "assert list(run_tasks(pow, [(2, 3)])) == [(0, 8)]\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_scheduler_and_workers_exclude_each_other() -> None:
    with pytest.raises(ConfigError, match="not both"):
        list(run_tasks(pow, [(2, 3)], scheduler="tcp://127.0.0.1:1", workers=2))


def test_two_worker_processes_give_the_serial_tables(tmp_path) -> None:
    pytest.importorskip("distributed")
    config = sweep_from_dict(SWEEP)
    serial = run_sweep(config, STUDY, tmp_path / "serial", progress=False, report=False,
                       n_threads=1)  # fmt: skip
    dask = run_sweep(config, STUDY, tmp_path / "dask", progress=False, report=False, workers=2)
    assert serial.points == dask.points == 4
    for name in ("sweep.parquet", "synergy.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "serial" / name), pd.read_parquet(tmp_path / "dask" / name)
        )
    for point in ("p0000", "p0003"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "serial" / "points" / point / "patients.parquet"),
            pd.read_parquet(tmp_path / "dask" / "points" / point / "patients.parquet"),
        )


def _dies_once(flags: str, point, scenario, point_dir, config, n_threads) -> None:
    """The sweep's point task, except that the worker running point 1 dies the first time."""
    import os
    from pathlib import Path

    from tmesim.sweeps import run

    flag = Path(flags) / point.name
    if point.index == 1 and not flag.exists():
        flag.touch()
        os._exit(1)  # the worker process is lost with its task
    run._run_point(point, scenario, point_dir, config, n_threads)


@pytest.mark.slow
def test_a_lost_worker_loses_nothing(tmp_path, monkeypatch) -> None:
    pytest.importorskip("distributed")
    import functools

    from tmesim.sweeps import run

    config = sweep_from_dict(SWEEP)
    serial = tmp_path / "serial"
    run_sweep(config, STUDY, serial, progress=False, report=False, n_threads=1)
    (tmp_path / "flags").mkdir()
    monkeypatch.setattr(run, "_run_point", functools.partial(_dies_once, str(tmp_path / "flags")))
    run_sweep(config, STUDY, tmp_path / "dask", progress=False, report=False, workers=2)
    assert (tmp_path / "flags" / "p0001").exists()  # the worker did die
    pd.testing.assert_frame_equal(
        pd.read_parquet(serial / "sweep.parquet"),
        pd.read_parquet(tmp_path / "dask" / "sweep.parquet"),
    )


def test_without_dask_the_cluster_options_say_what_to_install(monkeypatch) -> None:
    import importlib.util

    from tmesim.executor import check_backend

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "distributed" else real(name)
    )
    with pytest.raises(ConfigError, match=r"--workers.*pip install 'tmesim\[distributed\]'"):
        check_backend(None, 2)
    with pytest.raises(ConfigError, match="--scheduler"):
        check_backend("tcp://127.0.0.1:8786", None)
    check_backend(None, None)  # the serial path needs nothing

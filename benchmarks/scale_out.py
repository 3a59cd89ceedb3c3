"""Scale-out of a sweep: points per second serially and on a local Dask cluster of 1 and 2 workers.

Runs the same small sweep (anti-PD-1 dose × IPI-549 dose in 4T1 mice, every point a matched study
of four arms) three times: in this process, then with ``--workers 1`` and ``--workers 2`` (worker
processes with one thread each). Each time includes starting the cluster and the workers' loading
of the compiled kernel from the cache, as a user sees it. Checks that the three tables are equal
and prints points per second, the speed-up over one worker and, last,
``scaling_efficiency_2_workers: X`` (throughput with 2 workers / (2 × throughput with 1)). Needs the
optional extra ``tmesim[distributed]``.

    python benchmarks/scale_out.py [--points 8] [--n 20] [--days 30]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from tmesim.config.sweep import sweep_from_dict
from tmesim.sweeps.run import run_sweep

PD1 = {"drug": "rmp1-14", "amount": 200, "unit": "ug", "every_days": 3.5, "count": 6}
IPI549 = {"drug": "ipi-549", "amount": 15, "unit": "mg/kg", "every_days": 1, "count": 21}


def sweep(points: int, n: int, days: float) -> dict:
    """A sweep of `points` IPI-549 doses × 2 anti-PD-1 doses over a study of `n` mice per arm."""
    study = {
        "title": "4T1 scale-out",
        "seed": 1,
        "follow_up_days": days,
        "cohorts": [{"name": "4T1", "preset": "mouse_4t1", "n": n}],
        "arms": [
            {"name": "control"},
            {"name": "anti-PD-1", "regimen": [PD1]},
            {"name": "IPI-549", "regimen": [IPI549]},
            {"name": "both", "regimen": [PD1, IPI549]},
        ],
    }
    doses = [round(0.01 * 3**k, 4) for k in range(max(1, points // 2))]
    return {
        "title": "scale-out",
        "study": study,
        "axes": [
            {"name": "pd1", "path": ["arms.1.regimen.0.amount", "arms.3.regimen.0.amount"],
             "values": [100, 200]},
            {"name": "ipi", "path": ["arms.2.regimen.0.amount", "arms.3.regimen.1.amount"],
             "values": doses},
        ],
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=8, help="points of the sweep (even)")
    ap.add_argument("--n", type=int, default=20, help="mice per arm and point")
    ap.add_argument("--days", type=float, default=30.0, help="follow-up days")
    args = ap.parse_args()
    data = sweep(args.points, args.n, args.days)
    config = sweep_from_dict(data)
    rates: dict[str, float] = {}
    tables = {}
    with tempfile.TemporaryDirectory() as tmp:
        # Warm the kernel and baseline caches once, so that every mode starts equal.
        run_sweep(config, data["study"], Path(tmp) / "warm", progress=False, report=False)
        for label, workers in (("serial", None), ("1 worker", 1), ("2 workers", 2)):
            out = Path(tmp) / label.replace(" ", "-")
            threads = 1 if workers is None else None
            start = time.perf_counter()
            summary = run_sweep(config, data["study"], out, progress=False, report=False,
                                n_threads=threads, workers=workers)  # fmt: skip
            seconds = time.perf_counter() - start
            rates[label] = summary.points / seconds
            tables[label] = pd.read_parquet(out / "sweep.parquet")
            print(f"{label:10s} {summary.points} points in {seconds:6.1f} s: "
                  f"{rates[label]:.3f} points/s")  # fmt: skip
    for label in ("1 worker", "2 workers"):
        pd.testing.assert_frame_equal(tables["serial"], tables[label])
    print("tables equal across serial, 1 and 2 workers: yes")
    speedup = rates["2 workers"] / rates["1 worker"]
    print(f"speed-up of 2 workers over 1: {speedup:.2f}")
    print(f"scaling_efficiency_1_worker_vs_serial: {rates['1 worker'] / rates['serial']:.2f}")
    print(f"scaling_efficiency_2_workers: {speedup / 2:.2f}")


if __name__ == "__main__":
    main()

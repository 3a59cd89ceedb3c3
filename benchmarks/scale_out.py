"""Scale-out: virtual patients per second serially and on local Dask clusters of 1 and 2 worker
processes, and the peak memory of a cohort streamed to disk.

1. Throughput. The same cohort (4T1 mice under anti-PD-1: growth to treatment start, then
   ``--days`` of follow-up, in chunks of ``--chunk`` patients) is run by ``run_scenario`` in this
   process with one solver thread, then on ``--workers 1`` and ``--workers 2`` (one thread per
   worker process). Each time includes starting the cluster and the workers' loading of the
   compiled kernel from the cache, as a user sees it. Checks that the three patient tables are
   equal, and prints patients per second (the best of ``--repeat`` interleaved rounds) and the
   scaling efficiency per worker.
2. Memory. Cohorts of ``--memory-sizes`` patients (default 10^4, 10^5 and 10^6) with a one-day
   horizon after growth to treatment start (the horizon sets the work per patient, not the
   memory: a chunk's trajectories are written as it finishes), each streamed to disk in a fresh
   process; prints that process's peak resident memory (``ru_maxrss``), its time and the size on
   disk. Peak memory that stays flat from 10^4 to 10^6 shows that the cohort is never held in
   memory, so a 10^7 cohort needs the same memory (and ten times the disk and time of 10^6).

The last line is ``scaling_efficiency_2_workers: X``: throughput with 2 workers / (2 × throughput
with 1). Needs the optional extra ``tmesim[distributed]``.

    python benchmarks/scale_out.py [--n 4000] [--chunk 250] [--days 30] [--repeat 2]
                                   [--memory-sizes 10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from tmesim.config.scenario import scenario_from_dict
from tmesim.simulation import run_scenario


def cohort(n: int, chunk: int, days: float) -> dict:
    """A 4T1 cohort under anti-PD-1, saved daily."""
    return {
        "preset": "mouse_4t1",
        "regimen": "rmp1-14 200 ug biw x6",
        "n_patients": n,
        "duration_days": days,
        "save_every_days": 1,
        "seed": 1,
        "variability": True,
        "chunk_size": chunk,
    }


def throughput(n: int, chunk: int, days: float, repeat: int) -> float:
    """Prints patients/s serial, on 1 and on 2 workers (the best of `repeat` interleaved rounds,
    so that a burst of load on a shared machine falls on one round, not on one mode); returns
    the 2-worker efficiency."""
    scenario = scenario_from_dict(cohort(n, chunk, days))
    modes = (("serial", None), ("1 worker", 1), ("2 workers", 2))
    best: dict[str, float] = {}
    tables = {}
    with tempfile.TemporaryDirectory() as tmp:
        # Warm the kernel cache once, so that every mode starts equal.
        run_scenario(scenario_from_dict(cohort(2, 2, 1)), Path(tmp) / "warm", progress=False)
        for round_ in range(repeat):
            for label, workers in modes:
                out = Path(tmp) / f"{label.replace(' ', '-')}-{round_}"
                threads = 1 if workers is None else None
                start = time.perf_counter()
                run_scenario(scenario, out, progress=False, n_threads=threads, workers=workers)
                seconds = time.perf_counter() - start
                best[label] = min(best.get(label, np.inf), seconds)
                tables[label] = pd.read_parquet(out / "patients.parquet")
                print(f"round {round_ + 1} {label:10s} {n} patients ({days:g} days, chunks of "
                      f"{chunk}) in {seconds:6.1f} s: {n / seconds:7.1f} patients/s")  # fmt: skip
    for label, _ in modes[1:]:
        pd.testing.assert_frame_equal(tables["serial"], tables[label], check_exact=True)
    print("patient tables equal across serial, 1 and 2 workers: yes")
    rates = {label: n / seconds for label, seconds in best.items()}
    print("best of the rounds: " + ", ".join(f"{k} {v:.1f} patients/s" for k, v in rates.items()))
    print(f"scaling_efficiency_1_worker_vs_serial: {rates['1 worker'] / rates['serial']:.2f}")
    print(
        f"scaling_efficiency_2_workers_vs_serial: {rates['2 workers'] / (2 * rates['serial']):.2f}"
    )
    print(f"speed-up of 2 workers over 1: {rates['2 workers'] / rates['1 worker']:.2f}")
    return rates["2 workers"] / (2 * rates["1 worker"])


def streamed(n: int, out: Path) -> dict:
    """Run a one-day cohort of `n` patients into `out` in this process; what it cost."""
    scenario = scenario_from_dict(cohort(n, 1000, 1))
    start = time.perf_counter()
    summary = run_scenario(scenario, out, progress=False)
    seconds = time.perf_counter() - start
    rows = pq.ParquetFile(out / "patients.parquet").metadata.num_rows  # read nothing else
    disk = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return {
        "n": n,
        "rows": rows,
        "failed": summary.n_failed,
        "seconds": seconds,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "disk_mib": disk / 2**20,
    }


def memory(sizes: list[int]) -> None:
    """Peak memory of cohorts streamed to disk, each in a fresh process."""
    print("streamed cohorts (one-day horizon after growth to treatment start, chunks of 1000, "
          "default solver threads), each in a fresh process:")  # fmt: skip
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [sys.executable, __file__, "--streamed", str(n), str(Path(tmp) / "run")]
            done = subprocess.run(cmd, check=True, capture_output=True, text=True)
            r = json.loads(done.stdout.strip().splitlines()[-1])
        assert r["rows"] == n
        print(f"  {n:>9,d} patients: peak resident memory {r['peak_rss_mib']:7.1f} MiB, "
              f"{r['seconds']:7.1f} s ({n / r['seconds']:.0f} patients/s), "
              f"{r['disk_mib']:8.1f} MiB on disk, {r['failed']} failed")  # fmt: skip


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--streamed":
        print(json.dumps(streamed(int(sys.argv[2]), Path(sys.argv[3]))))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4000, help="patients of the throughput cohort")
    ap.add_argument("--chunk", type=int, default=250, help="patients per chunk (one task)")
    ap.add_argument("--days", type=float, default=30.0, help="follow-up days")
    ap.add_argument("--repeat", type=int, default=2, help="interleaved rounds of the three modes")
    ap.add_argument("--memory-sizes", default="10000,100000,1000000",
                    help="cohort sizes of the memory measurement, comma-separated ('' skips it)")  # fmt: skip
    args = ap.parse_args()
    sizes = [int(s) for s in args.memory_sizes.split(",") if s.strip()]
    efficiency = throughput(args.n, args.chunk, args.days, args.repeat)
    if sizes:
        memory(sizes)
    print(f"scaling_efficiency_2_workers: {efficiency:.2f}")


if __name__ == "__main__":
    main()

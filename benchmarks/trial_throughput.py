"""Virtual mouse study throughput: the whole `tmesim trial` pipeline vs a scipy loop doing the same.

Runs a De Henau-style study (4T1, four arms, `--n` mice per arm, 60 days, no rechallenge) through
`run_study` — growing every mouse to ~75 mm³, treating it in every arm, reading endpoints, writing the
tables, without the HTML report — and measures mouse-arms per second. The reference, measured in the
same run, is a Python loop over `scipy.integrate.solve_ivp` (LSODA, the faster scipy method in
`cohort_throughput.py`) doing the same work for `--n-scipy` mice: the untreated growth to the day
tmesim found for that mouse, then each arm's 60 days with its doses, with the same tolerances as
tmesim's default solver settings (per-state absolute tolerances). Prints `speedup_vs_scipy_loop`.

    python benchmarks/trial_throughput.py [--n 200] [--n-scipy 2] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from tmesim.cohorts.baseline import grow_to_start
from tmesim.config.trial import trial_from_dict
from tmesim.engines.qsp.reference import python_functions, solve_reference
from tmesim.engines.qsp.tolerances import settings_atol
from tmesim.simulation import Simulation
from tmesim.solvers import SolverSettings
from tmesim.trials.runner import run_study

CPB = "rmp1-14 200 ug biw x6 + 9h10 100 ug q3d x3"
IPI = "ipi-549 15 mg/kg qd x21"
ARMS = {"control": "untreated", "CPB": CPB, "IPI-549": IPI, "CPB + IPI-549": f"{CPB} + {IPI}"}


def study(n: int, seed: int):
    return trial_from_dict(
        {
            "title": "throughput",
            "seed": seed,
            "follow_up_days": 60,
            "chunk_size": min(n, 500),
            "cohorts": [{"name": "4T1", "preset": "mouse_4t1", "n": n}],
            "arms": [{"name": k, "regimen": v} for k, v in ARMS.items()],
        }
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="mice per arm for tmesim")
    ap.add_argument("--n-scipy", type=int, default=2, help="mice (each in every arm) for scipy")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=None, help="default: from the clock")
    args = ap.parse_args()
    # A new seed each run by default, so the growth phase is computed, not read from the cache.
    args.seed = int(time.time()) if args.seed is None else args.seed

    python_functions(Simulation("mouse_4t1").model)
    with tempfile.TemporaryDirectory() as tmp:
        run_study(study(2, args.seed + 1), Path(tmp) / "warm", progress=False, report=False)
        start = time.perf_counter()
        summary = run_study(
            study(args.n, args.seed),
            Path(tmp) / "run",
            progress=False,
            report=False,
            n_threads=args.threads,
        )
        ours_seconds = time.perf_counter() - start
        patients = pd.read_parquet(Path(tmp) / "run" / "patients.parquet")
    ours_rate = summary.rows / ours_seconds

    # scipy: the same mice, grown to the start day tmesim found, then every arm.
    base_sim = Simulation("mouse_4t1")
    model = base_sim.model
    params = base_sim.parameters
    baseline = grow_to_start(params, model, np.arange(args.n_scipy), args.seed)
    # The tolerances tmesim's trials use (its default solver settings).
    rtol = SolverSettings().rtol
    atol = settings_atol(model, SolverSettings().atol)
    t_save = np.arange(0.0, 61.0, 1.0)
    start = time.perf_counter()
    for i in range(args.n_scipy):
        day = float(baseline.table["pretreatment_days"].iloc[i])
        y0 = base_sim.parameters.initial_state(model)
        grown, _ = solve_reference(
            model, baseline.P[i], y0, np.array([0.0, day]), method="LSODA", rtol=rtol, atol=atol
        )
        for regimen in ARMS.values():
            sim = Simulation(params, regimen=regimen, model=model)
            p = baseline.P[i].copy()
            for q in sim.parameters:
                if q.value != params[q.id].value:
                    p[model.parameter_index(q.id)] = q.value
            schedule = sim.dose_schedule(1, until_day=60.0)
            doses = list(zip(schedule.t, schedule.state, schedule.amount, strict=True))
            solve_reference(
                model, p, grown[-1], t_save, doses, method="LSODA", rtol=rtol, atol=atol
            )
    scipy_rate = args.n_scipy * len(ARMS) / (time.perf_counter() - start)

    free = patients.groupby("arm", sort=False)["tumor_free"].mean().round(2).to_dict()
    print(f"study: 4T1, {len(ARMS)} arms x {args.n} mice, 60 days, growth to ~75 mm³ included")
    print(
        f"tmesim run_study ({args.threads} threads): {summary.rows} mouse-arms in "
        f"{ours_seconds:.2f} s = {ours_rate:.1f} mouse-arms/s; failed {summary.failed}; "
        f"tumor-free by arm {free}"
    )
    print(
        f"scipy solve_ivp LSODA loop (1 process): {args.n_scipy * len(ARMS)} mouse-arms = "
        f"{scipy_rate:.2f} mouse-arms/s"
    )
    print(f"speedup_vs_scipy_loop: {ours_rate / scipy_rate:.1f}")


if __name__ == "__main__":
    main()

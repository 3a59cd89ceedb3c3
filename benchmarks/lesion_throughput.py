"""Cost of one immune system for several lesions: patients per second with 1, 3 and 5 lesions.

Grows `--n` human melanoma patients and four more lesions each to treatment start, then solves
the same patients for a year of nivolumab with 1, 3 and 5 lesions under one immune system
(`tmesim.model.lesions.lesion_model`), and prints patients per second, states, structural
non-zeros of the Jacobian and the cost as a ratio to 1 lesion. The kernels are compiled (or read
from the cache) before the clock starts.

    python benchmarks/lesion_throughput.py [--n 40] [--threads 2] [--lesions 1 3 5]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from tmesim.cohorts.baseline import grow_lesions, grow_to_start
from tmesim.engines.qsp.codegen import jacobian_entries
from tmesim.engines.qsp.compiled import compiled_kernel
from tmesim.model import build_model
from tmesim.model.lesions import joint_parameters, joint_state, lesion_model
from tmesim.simulation import Simulation, simulate

COUNTS = (1, 3, 5)
REGIMEN = "nivolumab 3 mg/kg q2w x26"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=40, help="patients")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--lesions", type=int, nargs="+", default=list(COUNTS), help="counts to time")
    args = ap.parse_args()
    counts = sorted(set(args.lesions) | {1})
    model = build_model()
    sim = Simulation("human_melanoma", regimen=REGIMEN, model=model)
    ids = np.arange(args.n)
    first = grow_to_start(sim.parameters, model, ids, args.seed, n_threads=args.threads)
    lesions = [first] + [
        grow_lesions(
            first,
            sim.parameters,
            model,
            j,
            args.seed,
            heterogeneity_cv=0.3,
            present=np.ones(args.n, dtype=bool),
            n_threads=args.threads,
        )
        for j in range(1, max(counts))
    ]
    ok = np.logical_and.reduce([b.plausible for b in lesions])
    P = [b.P[ok] for b in lesions]
    Y = [b.Y[ok] for b in lesions]
    n = int(ok.sum())
    t_save = np.arange(0.0, 365.0 + 1e-9, 7.0)
    doses = sim.dose_schedule(n, until_day=365.0)
    rates = {}
    print(f"{n} patients, 365 days of {REGIMEN}, {args.threads} threads")
    for count in counts:
        joint = lesion_model(model, count)
        compiled_kernel(joint)
        p, y = joint_parameters(model, count, P[:count]), joint_state(model, count, Y[:count])
        simulate(joint, p[:2], y[:2], t_save, sim.dose_schedule(2, until_day=365.0))
        start = time.perf_counter()
        sol = simulate(joint, p, y, t_save, doses, n_threads=args.threads)
        seconds = time.perf_counter() - start
        rates[count] = n / seconds
        print(
            f"lesions {count}: {len(joint.species)} states, "
            f"{len(jacobian_entries(joint))} Jacobian non-zeros, {rates[count]:.1f} patients/s, "
            f"cost x{rates[1] / rates[count]:.2f} of 1 lesion "
            f"(x{rates[1] / rates[count] / count:.2f} per lesion), "
            f"{sol.n_steps.mean():.0f} steps per patient, {int((sol.status != 0).sum())} failed"
        )


if __name__ == "__main__":
    main()

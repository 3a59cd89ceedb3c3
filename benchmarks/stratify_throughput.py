"""Stratification throughput: the whole `tmesim stratify` pipeline on a synthetic cohort vs a scipy
loop doing the same simulation work.

Makes a synthetic melanoma cohort of `--n` tumor profiles (`tmesim.stratify.synthetic`), then times
`stratify` on it — scores, calls, personalized priors, `--members` virtual patients per tumor grown
to treatment start, every candidate regimen for 24 weeks read by RECIST, recommendation, tables and
report — and prints patients per second and the total. The reference, measured in the same run, is
a Python loop over `scipy.integrate.solve_ivp` (LSODA, rtol as the ensembles) doing the same work
for `--n-scipy` virtual patients of one tumor: the untreated growth to the day tmesim found, then
every regimen's 24 weeks with its doses; it is extrapolated to the cohort's virtual patients.
Prints `speedup_vs_scipy_loop` (virtual-patient regimens per second, tmesim over scipy) and
tmesim's wall time by phase (profiles, growth, each regimen, tables, outputs and report).

    python benchmarks/stratify_throughput.py [--n 100] [--members 24] [--n-scipy 1] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from tmesim.engines.qsp.reference import python_functions, solve_reference
from tmesim.engines.qsp.tolerances import settings_atol
from tmesim.model import build_model
from tmesim.simulation import Simulation
from tmesim.stratify.ensembles import _arm_parameters, grow_ensembles
from tmesim.stratify.mapping import patient_features, personalize
from tmesim.stratify.panel import PANEL, applicable
from tmesim.stratify.pipeline import StratifySettings, stratify
from tmesim.stratify.profiles import Profiles, read_clinical, read_mutations, signature_coverage
from tmesim.stratify.synthetic import write_example


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="tumor profiles")
    ap.add_argument("--members", type=int, default=24, help="virtual patients per profile")
    ap.add_argument("--n-scipy", type=int, default=1, help="virtual patients for the scipy loop")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=None, help="default: from the clock")
    args = ap.parse_args()
    # A new seed each run by default, so virtual patients are grown, not read from the cache.
    seed = int(time.time()) % 100_000 if args.seed is None else args.seed
    model = build_model()
    python_functions(model)
    with tempfile.TemporaryDirectory() as tmp:
        files = write_example(Path(tmp), args.n, seed, received=("anti-PD-1",))
        from tmesim.stratify.profiles import read_expression

        expr = read_expression(files["expression"])
        profiles = Profiles(
            expr,
            signature_coverage(expr),
            read_mutations(files["mutations"]),
            read_clinical(files["clinical"]),
        )
        settings = StratifySettings(ensemble={"members": args.members, "seed": seed})
        start = time.perf_counter()
        result = stratify(profiles, settings, out_dir=Path(tmp) / "run", n_threads=args.threads)
        ours = time.perf_counter() - start
    n_regimens = result.predictions["regimen"].nunique()
    vp_regimens = len(result.members)
    ours_rate = vp_regimens / ours

    # scipy: virtual patients of the first tumor, grown to the start day tmesim found, then every
    # regimen its ensemble received.
    sample = profiles.samples[0]
    calls = result.calls.loc[sample]
    base = Simulation(str(calls["preset"]), model=model).parameters
    params, _ = personalize(base, patient_features(result.scores.loc[sample], calls))
    ens = grow_ensembles([(sample, str(calls["preset"]), params)], model, settings.ensemble)[0]
    e = settings.ensemble
    solver = e.solver_settings()
    days = e.scan_days()
    start = time.perf_counter()
    done = 0
    for i in np.flatnonzero(ens.baseline.plausible)[: args.n_scipy]:
        day = float(ens.baseline.table["pretreatment_days"].iloc[i])
        y0 = params.initial_state(model)
        grown, _ = solve_reference(
            model,
            ens.baseline.P[i],
            y0,
            np.array([0.0, day]),
            method="LSODA",
            rtol=solver.rtol,
            atol=settings_atol(model, solver.atol),
        )
        for c in PANEL:
            if not applicable(c, ens.antigens):
                continue
            idx, values = _arm_parameters(model, ens.preset, c.regimen)
            p = ens.baseline.P[i].copy()
            p[idx] = values
            sched = Simulation(base, regimen=c.regimen, model=model).dose_schedule(
                1, until_day=e.follow_up_days
            )
            doses = list(zip(sched.t, sched.state, sched.amount, strict=True))
            solve_reference(
                model,
                p,
                grown[-1],
                days,
                doses,
                method="LSODA",
                rtol=solver.rtol,
                atol=settings_atol(model, solver.atol),
            )
            done += 1
    scipy_rate = done / (time.perf_counter() - start)

    print(
        f"cohort: {args.n} synthetic melanoma profiles x {args.members} virtual patients, "
        f"{n_regimens} regimens, {e.follow_up_days:g} days, growth to treatment start included"
    )
    print(
        f"tmesim stratify ({args.threads} threads): {len(result.table)} patients in {ours:.1f} s "
        f"= {len(result.table) / ours:.2f} patients/s; {vp_regimens} virtual-patient regimens "
        f"= {ours_rate:.1f}/s"
    )
    print(
        f"scipy solve_ivp LSODA loop (1 process): {done} virtual-patient regimens = "
        f"{scipy_rate:.3f}/s; the cohort would take {vp_regimens / scipy_rate / 3600:.1f} h"
    )
    print(f"speedup_vs_scipy_loop: {ours_rate / scipy_rate:.1f}")
    print("tmesim time by phase: " + ", ".join(f"{k} {v:.1f} s" for k, v in result.phases.items()))


if __name__ == "__main__":
    main()

"""tmesim's cohort solver vs a libroadrunner loop on the same exported SBML model.

One-year virtual patients on the human melanoma preset under nivolumab + ipilimumab, each with
parameters drawn from the preset's priors. The model is exported to SBML (`tmesim export sbml`) and
libroadrunner (CVODE) simulates it patient by patient, its parameters set from the same draws; tmesim
solves the same patients with its compiled cohort solver (the rule for populations under one cell
switched off, so that both integrate the same ODE). Both are measured against a tight reference
(scipy Radau, rtol 1e-10) on a few patients; libroadrunner's tolerance is tightened until its error
is within a factor 2 of tmesim's, and timed at that tolerance. Last line: `speedup_vs_roadrunner: X`.

    python benchmarks/vs_roadrunner.py [--n 2000] [--n-rr 40] [--n-ref 4] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import roadrunner

from tmesim.cohorts.population import sample_population
from tmesim.engines.qsp.compiled import compiled_kernel
from tmesim.engines.qsp.reference import solve_reference
from tmesim.interop.sbml_export import export_sbml, observable_id
from tmesim.simulation import Simulation, simulate
from tmesim.solvers import SolverSettings

PRESET = "human_melanoma"
REGIMEN = (
    "nivolumab 1 mg/kg q3w x4 + ipilimumab 3 mg/kg q3w x4 + nivolumab 480 mg q4w x10 from day 84"
)
DAYS = 365.0
MATCH = 2.0
"""Matched accuracy: libroadrunner's loosest tolerance (of 1e-6 ... 1e-10) whose error is within
this factor of tmesim's (the tolerances step by 10x, so errors rarely land closer)."""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="virtual patients for tmesim")
    ap.add_argument("--n-rr", type=int, default=40, help="virtual patients for libroadrunner")
    ap.add_argument("--n-ref", type=int, default=4, help="patients checked against the reference")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--rtol", type=float, default=1e-6)
    ap.add_argument("--atol", type=float, default=1e-8)
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args()

    settings = SolverSettings(
        rtol=args.rtol, atol=args.atol, extinction_threshold=0.0, stochastic_threshold=0.0
    )
    sim = Simulation(PRESET, regimen=REGIMEN, solver=settings)
    model = sim.model
    offset = sim.parameters.pretreatment_days
    t_save = np.arange(0.0, DAYS + 1.0, 7.0)
    k = model.observable_ids.index("tumor_cells")
    P, _ = sample_population(sim.parameters, model, np.arange(args.n), args.seed)
    Y0 = np.tile(sim.parameters.initial_state(model), (args.n, 1))
    schedule = sim.dose_schedule(1, until_day=DAYS)

    def ours(n: int) -> tuple[np.ndarray, float]:
        start = time.perf_counter()
        sol = simulate(
            model,
            P[:n],
            Y0[:n],
            t_save,
            sim.dose_schedule(n, until_day=DAYS),
            t0=-offset,
            settings=settings,
            n_threads=args.threads,
        )
        return sol.observables[:, :, k], time.perf_counter() - start

    compiled_kernel(model)
    ours(2)
    burden, ours_seconds = ours(args.n)
    ours_rate = args.n / ours_seconds

    text = export_sbml(PRESET, REGIMEN, days=DAYS)
    rr = roadrunner.RoadRunner(text)
    rr.integrator.maximum_num_steps = 1_000_000
    varied = [j for j in range(P.shape[1]) if not np.all(P[:, j] == P[0, j])]
    ids = [model.parameter_ids[j] for j in varied]
    times = list(np.concatenate([[0.0], offset + t_save])) if offset > 0 else list(t_save)
    tumor = observable_id(model, "tumor_cells")

    def theirs(n: int, rtol: float, atol: float) -> tuple[np.ndarray, float]:
        rr.integrator.relative_tolerance = rtol
        rr.integrator.absolute_tolerance = atol
        out = np.empty((n, t_save.size))
        start = time.perf_counter()
        for i in range(n):
            rr.resetAll()
            for pid, j in zip(ids, varied, strict=True):
                rr.setValue(pid, float(P[i, j]))
            res = np.asarray(rr.simulate(times=times, selections=[tumor]))
            out[i] = res[-t_save.size :, 0]
        return out, time.perf_counter() - start

    doses = list(zip(schedule.t, schedule.state, schedule.amount, strict=True))
    truth = np.array(
        [
            solve_reference(model, P[i], Y0[i], t_save, doses, t0=-offset, rtol=1e-10, atol=1e-10)[
                1
            ][:, k]
            for i in range(args.n_ref)
        ]
    )
    live = np.cumprod(truth >= 1e3, axis=1).astype(bool)

    def error(x: np.ndarray) -> float:
        # Compared until a tumor first falls under 1,000 cells (as benchmarks/cohort_throughput.py).
        return float(np.max(np.abs(x[: args.n_ref][live] - truth[live]) / truth[live]))

    ours_error = error(burden)
    chosen = None
    for rtol in (1e-6, 1e-7, 1e-8, 1e-9, 1e-10):
        atol = rtol * 1e-2
        check, _ = theirs(args.n_ref, rtol, atol)
        rr_error = error(check)
        print(f"libroadrunner rtol {rtol:g}, atol {atol:g}: max relative error {rr_error:.2e}")
        chosen = (rtol, atol, rr_error)
        if rr_error <= MATCH * ours_error:
            break
    rtol, atol, rr_error = chosen
    _, rr_seconds = theirs(args.n_rr, rtol, atol)
    rr_rate = args.n_rr / rr_seconds

    print(
        f"model: {len(model.species)} states, {len(model.parameters)} parameters; preset {PRESET}"
    )
    print(f"regimen: {REGIMEN}; one year after {offset:.0f} days of untreated growth")
    print(
        f"tmesim (numba Rodas4, rtol {args.rtol:g}, {args.threads} threads): {args.n} patients in "
        f"{ours_seconds:.2f} s = {ours_rate:.1f} patients/s; max relative error {ours_error:.2e}"
    )
    print(
        f"libroadrunner {roadrunner.__version__} (CVODE, rtol {rtol:g}, atol {atol:g}, 1 process): "
        f"{args.n_rr} patients in {rr_seconds:.2f} s = {rr_rate:.1f} patients/s; max relative "
        f"error {rr_error:.2e}"
    )
    print(f"speedup_vs_roadrunner: {ours_rate / rr_rate:.1f}")


if __name__ == "__main__":
    main()

"""Cohort throughput: tmesim's compiled cohort solver vs a Python loop over scipy's solve_ivp.

Simulates one-year virtual patients on the default human preset (advanced melanoma) under a standard
combination (nivolumab 1 mg/kg + ipilimumab 3 mg/kg q3w x4, then nivolumab 480 mg q4w), each patient
with parameters drawn from the preset's priors. The reference is a Python loop over
`scipy.integrate.solve_ivp` (LSODA and Radau, with the exact Jacobian) on the same equations, the same
tolerances and the same dose restarts, measured in the same run. Prints patients per second for each,
the accuracy of both against a tight Radau reference, and last `speedup_vs_scipy_loop: X` (against the
faster scipy method). Both use the solver's absolute tolerances: per state from its units by default
(`tmesim.engines.qsp.tolerances`), or `--atol` for every state. A closing note gives the steps per
patient, the time per step, the projected wall time of a million one-year patients on 2 cores, and
the floating-point work of one step counted from the generated code, with the time it would take at
one flop per cycle.

    python benchmarks/cohort_throughput.py [--n 4000] [--n-scipy 4] [--threads 2]
"""

from __future__ import annotations

import argparse
import ast
import os
import time

import numpy as np

from tmesim.cohorts.population import sample_population
from tmesim.engines.qsp.compiled import compiled_kernel, model_source
from tmesim.engines.qsp.reference import python_functions, solve_reference
from tmesim.engines.qsp.tolerances import settings_atol
from tmesim.simulation import Simulation, simulate
from tmesim.solvers import SolverSettings

REGIMEN = (
    "nivolumab 1 mg/kg q3w x4 + ipilimumab 3 mg/kg q3w x4 + nivolumab 480 mg q4w x10 from day 84"
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4000, help="virtual patients for tmesim")
    ap.add_argument("--n-scipy", type=int, default=4, help="virtual patients for each scipy loop")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--rtol", type=float, default=1e-6)
    ap.add_argument(
        "--atol", type=float, default=None, help="one value for every state (default: per state)"
    )
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args()

    settings = SolverSettings(rtol=args.rtol, atol=args.atol)
    sim = Simulation("human_melanoma", regimen=REGIMEN, solver=settings)
    model = sim.model
    t0 = -sim.parameters.pretreatment_days
    t_save = np.arange(0.0, 366.0, 7.0)
    k = model.observable_ids.index("tumor_cells")
    atol = settings_atol(model, args.atol)

    def cohort(first: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        P, _ = sample_population(sim.parameters, model, np.arange(first, first + n), args.seed)
        return P, np.tile(sim.parameters.initial_state(model), (n, 1))

    def ours(P: np.ndarray, Y0: np.ndarray, solver: SolverSettings = settings):
        doses = sim.dose_schedule(P.shape[0])
        return simulate(model, P, Y0, t_save, doses, t0=t0, settings=solver, n_threads=args.threads)

    compiled_kernel(model)
    python_functions(model)
    ours(*cohort(0, 2))

    P, Y0 = cohort(0, args.n)
    start = time.perf_counter()
    sol = ours(P, Y0)
    ours_seconds = time.perf_counter() - start
    ours_rate = args.n / ours_seconds
    failed = int((sol.status != 0).sum())

    schedule = sim.dose_schedule(1)
    doses = list(zip(schedule.t, schedule.state, schedule.amount, strict=True))
    n_ref = args.n_scipy
    rates: dict[str, float] = {}
    burdens: dict[str, np.ndarray] = {}
    for method in ("LSODA", "Radau"):
        start = time.perf_counter()
        out = []
        for i in range(n_ref):
            _, obs = solve_reference(
                model,
                P[i],
                Y0[i],
                t_save,
                doses,
                t0=t0,
                method=method,
                rtol=args.rtol,
                atol=atol,
            )
            out.append(obs[:, k])
        rates[method] = n_ref / (time.perf_counter() - start)
        burdens[method] = np.array(out)
    truth = np.array(
        [
            solve_reference(
                model, P[i], Y0[i], t_save, doses, t0=t0, method="Radau", rtol=1e-10, atol=1e-10
            )[1][:, k]
            for i in range(n_ref)
        ]
    )

    def error(x: np.ndarray) -> float:
        # Compared until a tumor first falls under 1,000 cells: below that, tmesim's rule for
        # populations under one cell (decided at random at checkpoints, which the scipy reference
        # does not do) decides the rest.
        live = np.cumprod(truth >= 1e3, axis=1).astype(bool)
        return float(np.max(np.abs(x[live] - truth[live]) / truth[live]))

    print(
        f"model: {len(model.species)} states, {len(model.parameters)} parameters; "
        "preset human_melanoma"
    )
    print(
        f"regimen: {REGIMEN}; one year after {-t0:.0f} days of untreated growth; "
        f"rtol {args.rtol}, atol {'per state' if args.atol is None else args.atol}"
    )
    print(
        f"tmesim (numba Rodas4, {args.threads} threads): {args.n} patients in {ours_seconds:.2f} s "
        f"= {ours_rate:.1f} patients/s; failed {failed}; mean steps {sol.n_steps.mean():.0f}"
    )
    for method, rate in rates.items():
        print(
            f"scipy solve_ivp {method} loop (1 process): {n_ref} patients = {rate:.2f} patients/s"
        )
    print("max relative error of tumor burden vs Radau rtol 1e-10 (same patients, >= 1e3 cells):")
    # The same equations as the reference: tmesim without its rule for populations under one cell
    # (a modelling rule the scipy reference does not apply; with it, a tumor or variant under one
    # cell becomes one cell or none at random at each checkpoint, which is meant to differ).
    same = ours(P[:n_ref], Y0[:n_ref], settings.model_copy(update={"extinction_threshold": 0.0}))
    print(
        f"  tmesim {error(same.observables[:, :, k]):.2e} (extinction off; "
        f"{error(sol.observables[:n_ref, :, k]):.2e} with it); "
        f"LSODA {error(burdens['LSODA']):.2e}; Radau {error(burdens['Radau']):.2e}"
    )
    steps = float((sol.n_steps + sol.n_rejected).mean())
    per_step = ours_seconds * args.threads / (args.n * steps)
    work = step_flops(model, P[0], sol.y_final[0])
    print(
        f"steps per patient {sol.n_steps.mean():.0f} accepted + {sol.n_rejected.mean():.0f} "
        f"rejected; {per_step * 1e6:.1f} us per step per core; one million one-year patients "
        f"on 2 cores: {1e6 * steps * per_step / 2.0 / 60.0:.1f} min (projected)"
    )
    print(
        f"work per step (generated code): {work['total']:.0f} flops (rhs {work['rhs']:.0f} x 6, "
        f"jac {work['jac']:.0f}, LU {work['lu']:.0f}, 6 solves {work['solves']:.0f}, vector "
        f"{work['vector']:.0f}); at 1 flop/cycle and 3 GHz {work['total'] / 3e3:.2f} us "
        f"= {work['total'] / 3e3 / (per_step * 1e6):.0%} of the time per step"
    )
    print(f"speedup_vs_scipy_loop: {ours_rate / max(rates.values()):.1f}")


def _function_flops(source: str, name: str) -> int:
    """Arithmetic operations in generated function `name` (a call of math.* counts as one)."""
    tree = ast.parse(source)
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    ops = 0
    for node in ast.walk(fn):
        if isinstance(node, ast.BinOp):
            ops += 1
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            ops += 1
        elif isinstance(node, ast.Call):
            ops += 1
    return ops


def step_flops(model, p: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Flops of one Rodas4 step at state `y` (one after treatment, so that the drugs' couplings
    are in the Jacobian): 6 right-hand sides (5 stages and the new point), one Jacobian, the
    numeric LU of W on its pattern, 6 solves and the stages' vector operations."""
    source = model_source(model)
    kernel = compiled_kernel(model)
    n = len(model.species)
    J = np.zeros((n, n))
    kernel.jac(0.0, y, p, J)
    lu = kernel._new_lu(n)
    kernel._lu_factor(J, 40.0, np.empty((n, n)), lu)
    ptr = lu[1]
    lower = [ptr[q + 1] - ptr[q] for q in range(n)]
    upper = [ptr[n + 2 + q] - ptr[n + 1 + q] for q in range(n)]
    lu_flops = sum(2 * a * b + a for a, b in zip(lower, upper, strict=True)) + n
    solve_flops = 2 * (sum(lower) + sum(upper)) + n
    rhs = _function_flops(source, "rhs")
    jac = _function_flops(source, "jac")
    # Stage s combines s earlier stages into two vectors (2 flops each per state), plus the
    # stage's own update (3 per state); then the solution update and the error norm (5 per state).
    vector = sum(4 * s * n + 3 * n for s in range(6)) + 6 * n
    total = 6 * rhs + jac + lu_flops + 6 * solve_flops + vector
    return {
        "rhs": rhs,
        "jac": jac,
        "lu": lu_flops,
        "solves": 6 * solve_flops,
        "vector": vector,
        "total": total,
    }


if __name__ == "__main__":
    main()

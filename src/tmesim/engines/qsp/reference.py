"""An independent reference: the same model equations integrated by scipy's `solve_ivp`.

The right-hand side and Jacobian are the generated expressions printed as plain Python (no numba);
integration, step control and dose restarts are scipy's. Golden tests compare the compiled cohort
solver with this reference, and the cohort benchmark times a Python loop over it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

import numpy as np
from scipy.integrate import solve_ivp

from tmesim.engines.qsp.codegen import generate_source
from tmesim.model.builder import Model


@functools.cache
def python_functions(model: Model) -> tuple[Callable, Callable, Callable]:
    """Plain-Python `rhs(t, y, p, dydt)`, `jac(t, y, p, J)`, `observe(t, y, p, out)` for `model`."""
    namespace: dict[str, object] = {"math": math, "np": np}
    exec(
        compile(generate_source(model, compiled=False), f"<{model.name} reference>", "exec"),
        namespace,
    )
    return namespace["rhs"], namespace["jac"], namespace["observe"]  # type: ignore[return-value]


def solve_reference(
    model: Model,
    p: np.ndarray,
    y0: np.ndarray,
    t_save: np.ndarray,
    doses: Sequence[tuple[float, int, float]] = (),
    *,
    t0: float | None = None,
    method: str = "Radau",
    rtol: float = 1e-8,
    atol: float | np.ndarray = 1e-8,
) -> tuple[np.ndarray, np.ndarray]:
    """Integrate one virtual patient with scipy, restarting at each dose.

    Returns (states at `t_save` [n_save, n_states], observables at `t_save` [n_save, n_obs]). Saved
    values are right-continuous: a save time equal to a dose time records the state after the dose.
    The compiled solver's rule for small populations (below one cell, decided at random at fixed
    checkpoints: `SolverSettings.extinction_threshold`) is not applied here: compare with the
    compiled solver at `extinction_threshold=0`, where both integrate the same ODE.
    """
    rhs, jac, observe = python_functions(model)
    n = len(model.species)
    t_save = np.asarray(t_save, dtype=float)
    t0 = float(t_save[0]) if t0 is None else float(t0)
    by_time: dict[float, list[tuple[int, float]]] = {}
    for t, idx, amount in doses:
        if t0 <= t <= t_save[-1]:
            by_time.setdefault(float(t), []).append((int(idx), float(amount)))
    breakpoints = sorted(set(by_time) | {t0, float(t_save[-1])})

    def f(t: float, y: np.ndarray) -> np.ndarray:
        out = np.empty(n)
        rhs(t, y, p, out)
        return out

    def jf(t: float, y: np.ndarray) -> np.ndarray:
        out = np.zeros((n, n))
        jac(t, y, p, out)
        return out

    states = np.full((len(t_save), n), np.nan)
    y = np.array(y0, dtype=float)
    for k, start in enumerate(breakpoints):
        for idx, amount in by_time.get(start, []):
            y[idx] += amount
        mask = t_save == start
        states[mask] = y
        if k + 1 == len(breakpoints):
            break
        end = breakpoints[k + 1]
        inside = (t_save > start) & (t_save < end)
        kwargs = {"jac": jf} if method in ("Radau", "BDF", "LSODA") else {}
        sol = solve_ivp(
            f,
            (start, end),
            y,
            method=method,
            t_eval=np.append(t_save[inside], end),
            rtol=rtol,
            atol=atol,
            **kwargs,
        )
        if not sol.success:
            raise RuntimeError(f"scipy {method} failed: {sol.message}")
        states[inside] = sol.y[:, :-1].T
        y = sol.y[:, -1].copy()
        states[t_save == end] = y
    obs = np.empty((len(t_save), len(model.observables)))
    for i in range(len(t_save)):
        observe(t_save[i], states[i], p, obs[i])
    return states, obs

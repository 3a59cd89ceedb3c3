"""Python entry point of the cohort solver: validate inputs, call the compiled kernel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from tmesim.errors import ConfigError
from tmesim.solvers.kernel import compile_done, compile_notice
from tmesim.solvers.settings import SolverSettings
from tmesim.solvers.status import describe


@dataclass(frozen=True)
class DoseSchedule:
    """Bolus doses of every patient in CSR form: patient i's doses are rows ptr[i]:ptr[i+1].

    A dose adds `amount` to state `state` at time `t`; doses at the same time act together.

    Example:
        >>> s = DoseSchedule.from_lists([([0.0, 7.0], [2, 2], [1.0, 1.0]), ([], [], [])])
        >>> s.ptr.tolist(), s.t.tolist()
        ([0, 2, 2], [0.0, 7.0])
    """

    ptr: NDArray[np.int64]
    t: NDArray[np.float64]
    state: NDArray[np.int64]
    amount: NDArray[np.float64]

    @classmethod
    def empty(cls, n_patients: int) -> DoseSchedule:
        """No doses for any of `n_patients` patients."""
        return cls(
            np.zeros(n_patients + 1, dtype=np.int64),
            np.zeros(0),
            np.zeros(0, dtype=np.int64),
            np.zeros(0),
        )

    @classmethod
    def from_lists(cls, doses: Sequence[tuple[ArrayLike, ArrayLike, ArrayLike]]) -> DoseSchedule:
        """One `(times, state_indices, amounts)` tuple per patient; times need not be sorted."""
        ptr = [0]
        ts: list[NDArray[np.float64]] = []
        states: list[NDArray[np.int64]] = []
        amounts: list[NDArray[np.float64]] = []
        for i, entry in enumerate(doses):
            try:
                times, idx, amt = entry
            except (TypeError, ValueError):
                raise ConfigError(
                    f"doses[{i}]",
                    entry,
                    "give a (times, state_indices, amounts) tuple for every patient",
                ) from None
            t_i = np.asarray(times, dtype=np.float64).reshape(-1)
            s_i = np.asarray(idx).reshape(-1)
            a_i = np.asarray(amt, dtype=np.float64).reshape(-1)
            if not (t_i.size == s_i.size == a_i.size):
                raise ConfigError(
                    f"doses[{i}]",
                    (t_i.size, s_i.size, a_i.size),
                    "times, state_indices and amounts must have the same length",
                )
            if s_i.size and not np.issubdtype(s_i.dtype, np.integer):
                raise ConfigError(
                    f"doses[{i}].state_indices", s_i, "use integer positions in the state vector"
                )
            order = np.argsort(t_i, kind="stable")
            ts.append(t_i[order])
            states.append(s_i.astype(np.int64)[order])
            amounts.append(a_i[order])
            ptr.append(ptr[-1] + t_i.size)
        return cls(
            np.asarray(ptr, dtype=np.int64),
            np.concatenate(ts) if ts else np.zeros(0),
            np.concatenate(states) if states else np.zeros(0, dtype=np.int64),
            np.concatenate(amounts) if amounts else np.zeros(0),
        )

    def validate(self, n_patients: int, n_states: int, t0: float) -> DoseSchedule:
        """Return a contiguous, typed copy; raise ConfigError naming the first problem."""
        ptr = np.ascontiguousarray(self.ptr, dtype=np.int64)
        t = np.ascontiguousarray(self.t, dtype=np.float64)
        state = np.ascontiguousarray(self.state, dtype=np.int64)
        amount = np.ascontiguousarray(self.amount, dtype=np.float64)
        if ptr.ndim != 1 or ptr.shape[0] != n_patients + 1:
            raise ConfigError(
                "doses.ptr",
                f"length {ptr.shape[0]}",
                f"it needs n_patients + 1 = {n_patients + 1} entries (one schedule per patient)",
            )
        if ptr[0] != 0 or np.any(np.diff(ptr) < 0) or ptr[-1] != t.shape[0]:
            raise ConfigError(
                "doses.ptr",
                ptr,
                "it must start at 0, never decrease and end at the number of doses",
            )
        if not (t.shape == state.shape == amount.shape) or t.ndim != 1:
            raise ConfigError(
                "doses",
                (t.shape, state.shape, amount.shape),
                "t, state and amount must be 1-D arrays of the same length",
            )
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(amount))):
            raise ConfigError("doses", "inf/NaN", "give finite dose times and amounts")
        bad = np.flatnonzero((state < 0) | (state >= n_states))
        if bad.size:
            raise ConfigError(
                "doses.state",
                int(state[bad[0]]),
                f"state indices must lie in 0..{n_states - 1} (the model's state vector)",
            )
        if t.size and np.min(t) < t0:
            raise ConfigError(
                "doses.t",
                float(np.min(t)),
                f"doses must not come before t0 = {t0}; drop them or start earlier",
            )
        for i in range(n_patients):
            seg = t[ptr[i] : ptr[i + 1]]
            if np.any(np.diff(seg) < 0):
                raise ConfigError(
                    f"doses of patient {i}",
                    seg,
                    "sort each patient's doses by time (DoseSchedule.from_lists does it)",
                )
        return DoseSchedule(ptr, t, state, amount)


@dataclass(frozen=True)
class CohortSolution:
    """Observables at the save times for every patient, and how each integration went."""

    t_save: NDArray[np.float64]
    """(n_save,) when all patients share save times, else (n_patients, n_save)."""
    observables: NDArray[np.float64]
    """(n_patients, n_save, n_obs); NaN from the first save time a failed patient missed."""
    y_final: NDArray[np.float64]
    """(n_patients, n_states): the state at the last save time (NaN if the patient failed)."""
    status: NDArray[np.int64]
    n_steps: NDArray[np.int64]
    n_rejected: NDArray[np.int64]

    def messages(self) -> list[str]:
        """One readable line per patient: its status and what to do about it."""
        return [f"patient {i}: {describe(int(s))}" for i, s in enumerate(self.status)]


def _matrix(name: str, value: ArrayLike, n_cols: int, what: str) -> NDArray[np.float64]:
    arr = np.ascontiguousarray(value, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != n_cols:
        raise ConfigError(
            name,
            f"shape {arr.shape}",
            f"it needs shape (n_patients, {n_cols}) ({what}); use a 2-D array, e.g. "
            "x.reshape(1, -1) for one patient",
        )
    bad = np.flatnonzero(~np.all(np.isfinite(arr), axis=1))
    if bad.size:
        raise ConfigError(
            name, f"inf/NaN for patient {int(bad[0])}", f"give finite {what} for every patient"
        )
    return arr


def _save_times(t_save: ArrayLike, n_pat: int, t0: float) -> NDArray[np.float64]:
    """Save times as a contiguous (n_pat, n_save) array: one shared row is repeated per patient."""
    ts = np.asarray(t_save, dtype=np.float64)
    if ts.ndim <= 1:
        ts = np.tile(ts.reshape(1, -1), (n_pat, 1))
    if ts.ndim != 2 or ts.shape[0] != n_pat or ts.shape[1] == 0:
        raise ConfigError(
            "t_save",
            f"shape {ts.shape}",
            f"give one row of save times shared by all patients, or one row per patient ({n_pat})",
        )
    if not np.all(np.isfinite(ts)):
        raise ConfigError("t_save", t_save, "give finite save times")
    if np.any(np.diff(ts, axis=1) < 0) or np.any(ts[:, 0] < t0):
        raise ConfigError("t_save", t_save, f"save times must be sorted and not before t0 = {t0}")
    return np.ascontiguousarray(ts)


@dataclass(frozen=True)
class ExactStates:
    """Linear states the solver follows in closed form between doses (see
    `tmesim.solvers.integrators`): state idx[j] has right-hand side -k[:, j]·y, plus
    a[:, j]·y[idx[src[j]]] when src[j] >= 0 (a compartment fed by an earlier depot, src[src[j]]
    = -1). `k` and `a` have one row per patient.

    Example:
        >>> e = ExactStates(np.array([3]), np.array([-1]), np.full((2, 1), 24.0), np.zeros((2, 1)))
        >>> e.idx.tolist(), e.k.shape
        ([3], (2, 1))
    """

    idx: NDArray[np.int64]
    src: NDArray[np.int64]
    k: NDArray[np.float64]
    a: NDArray[np.float64]

    def validate(
        self, kernel: ModuleType, y0: NDArray[np.float64], p: NDArray[np.float64], t0: float
    ) -> ExactStates:
        """Typed copy; checks the shapes, the chain and, at the first patient, the right-hand
        side itself (at y0 and with each state raised by one)."""
        idx = np.ascontiguousarray(self.idx, dtype=np.int64).reshape(-1)
        src = np.ascontiguousarray(self.src, dtype=np.int64).reshape(-1)
        m, n_pat = idx.size, y0.shape[0]
        k = np.ascontiguousarray(self.k, dtype=np.float64).reshape(n_pat, m)
        a = np.ascontiguousarray(self.a, dtype=np.float64).reshape(n_pat, m)
        if src.size != m or len(set(idx.tolist())) != m:
            raise ConfigError("exact.idx", idx, "list each state once, with one src entry each")
        if np.any((idx < 0) | (idx >= y0.shape[1])):
            raise ConfigError("exact.idx", idx, "indices must lie in the state vector")
        for j, s in enumerate(src):
            if s >= j or (s >= 0 and src[s] >= 0):
                raise ConfigError(
                    "exact.src", src, "a source must be a depot (src -1) listed before the state"
                )
        if not (np.all(np.isfinite(k)) and np.all(k >= 0) and np.all(np.isfinite(a))):
            raise ConfigError("exact.k", "negative or inf/NaN", "give finite rates k >= 0")
        if m == 0 or n_pat == 0:
            return ExactStates(idx, src, k, a)
        if not hasattr(kernel, "solve_cohort_exact"):
            raise ConfigError("kernel", kernel, "rebuild it: this kernel has no exact states")
        y = y0[0].copy()
        base = np.empty_like(y)
        kernel.rhs(t0, y, p[0], base)
        feed = np.where(src >= 0, y[idx[np.maximum(src, 0)]], 0.0)
        checks = [(base[idx], -k[0] * y[idx] + a[0] * feed)]
        for j in range(m):
            y_j, f_j = y.copy(), np.empty_like(y)
            y_j[idx[j]] += 1.0
            kernel.rhs(t0, y_j, p[0], f_j)
            expect = np.where(src == j, a[0], 0.0)
            expect[j] -= k[0, j]
            checks.append((f_j[idx] - base[idx], expect))
        for got, expect in checks:
            if not np.allclose(got, expect, rtol=1e-9, atol=1e-12 * (1.0 + np.abs(expect).max())):
                raise ConfigError(
                    "exact",
                    idx,
                    "each state's right-hand side must be -k·y (+ a·y of its depot); leave "
                    "other states to the integrator",
                )
        return ExactStates(idx, src, k, a)


def state_atol(kernel: ModuleType, settings: SolverSettings) -> NDArray[np.float64]:
    """The absolute tolerance of each state: `settings.atol` for all if given, else the
    kernel's own per-state values (`STATE_ATOL`, from the units of the model's species).

    Example:
        >>> state_atol(kernel, SolverSettings(atol=1e-6))  # doctest: +SKIP
        array([1.e-06, 1.e-06, ...])
    """
    n = int(kernel.N_STATES)
    if settings.atol is not None:
        return np.full(n, float(settings.atol))
    atol = np.ascontiguousarray(kernel.STATE_ATOL, dtype=np.float64).reshape(-1)
    if atol.shape[0] == n and np.isnan(atol).any():
        raise ConfigError(
            "solver.atol",
            None,
            f"{int(np.isnan(atol).sum())} states of this model declare no units, so they have no "
            "per-state tolerance; give one absolute tolerance for every state, e.g. "
            "SolverSettings(atol=1e-9) or --set solver.atol=1e-9",
        )
    if atol.shape[0] != n or not np.all((atol > 0.0) & np.isfinite(atol)):
        raise ConfigError(
            "STATE_ATOL",
            kernel,
            f"the kernel must declare {n} positive absolute tolerances; regenerate it, or give "
            "SolverSettings(atol=...)",
        )
    return atol


def solve(
    kernel: ModuleType,
    Y0: ArrayLike,
    P: ArrayLike,
    t0: float,
    t_save: ArrayLike,
    doses: DoseSchedule | Sequence[tuple[ArrayLike, ArrayLike, ArrayLike]] | None = None,
    extinct_idx: ArrayLike = (),
    settings: SolverSettings | None = None,
    n_threads: int | None = None,
    exact: ExactStates | None = None,
    keys: ArrayLike | None = None,
) -> CohortSolution:
    """Integrate a cohort with a kernel from `build_kernel`; one row of Y0 and P per patient.

    `t_save` is one sorted row of save times for all patients, or one row per patient
    (shape (n_patients, n_save)). `doses` is a DoseSchedule, a list of
    (times, state_indices, amounts) per patient, or None.
    `extinct_idx` lists the small populations decided at the checkpoints of model time
    (every `settings.extinction_interval`): below `settings.extinction_threshold` they become
    one individual or 0 at random, and below `settings.stochastic_threshold` they follow the
    birth–death law the model declares (`tmesim.solvers.integrators.integrate`), with patient
    i's draws seeded by `keys[i]` (64-bit integers,
    `tmesim.cohorts.population.checkpoint_keys`; by default the row number, so give keys that
    name the patient whenever results must not depend on the chunking).
    `n_threads` sets numba's thread count for this call (all cores by default). Failures of
    single patients do not raise: see `CohortSolution.status` and `.messages()`.
    `exact` names linear states (a drug's depot and the compartment it feeds) the solver follows
    in closed form between doses instead of by steps (`ExactStates`).
    """
    settings = settings or SolverSettings()
    for attr in ("solve_cohort", "N_STATES", "N_PARAMS", "N_OBS"):
        if not hasattr(kernel, attr):
            raise ConfigError(
                "kernel", kernel, "pass the module returned by tmesim.solvers.build_kernel"
            )
    n_states, n_params = int(kernel.N_STATES), int(kernel.N_PARAMS)
    y0 = _matrix("Y0", Y0, n_states, "initial states")
    p = _matrix("P", P, n_params, "parameters")
    if p.shape[0] != y0.shape[0]:
        raise ConfigError(
            "P", f"{p.shape[0]} rows", f"give one parameter row per patient ({y0.shape[0]})"
        )
    t0 = float(t0)
    if not np.isfinite(t0):
        raise ConfigError("t0", t0, "give a finite start time")
    n_pat = y0.shape[0]
    shared = np.ndim(t_save) <= 1
    ts = _save_times(t_save, n_pat, t0)
    if doses is None:
        schedule = DoseSchedule.empty(n_pat)
    elif isinstance(doses, DoseSchedule):
        schedule = doses
    else:
        if len(doses) != n_pat:
            raise ConfigError(
                "doses",
                f"{len(doses)} schedules",
                f"give one (times, state_indices, amounts) tuple per patient ({n_pat})",
            )
        schedule = DoseSchedule.from_lists(doses)
    schedule = schedule.validate(n_pat, n_states, t0)
    ext = np.ascontiguousarray(extinct_idx, dtype=np.int64).reshape(-1)
    if np.any((ext < 0) | (ext >= n_states)):
        raise ConfigError(
            "extinct_idx", ext, f"indices must lie in 0..{n_states - 1} (the model's state vector)"
        )

    if keys is None:
        key_arr = np.arange(y0.shape[0], dtype=np.uint64)
    else:
        key_arr = np.ascontiguousarray(keys, dtype=np.uint64).reshape(-1)
        if key_arr.shape[0] != y0.shape[0]:
            raise ConfigError(
                "keys", f"{key_arr.shape[0]} keys", f"give one key per patient ({y0.shape[0]})"
            )
    lin = exact.validate(kernel, y0, p, t0) if exact is not None else None

    previous = numba.get_num_threads()
    if n_threads is not None:
        if not 1 <= int(n_threads) <= numba.config.NUMBA_NUM_THREADS:
            raise ConfigError(
                "n_threads",
                n_threads,
                f"use 1..{numba.config.NUMBA_NUM_THREADS} (numba's thread pool size; set "
                "NUMBA_NUM_THREADS before starting Python for more)",
            )
        numba.set_num_threads(int(n_threads))
    try:
        args = (
            y0,
            p,
            t0,
            ts,
            schedule.ptr,
            schedule.t,
            schedule.state,
            schedule.amount,
            ext,
            float(settings.extinction_threshold),
            float(settings.extinction_interval),
            float(settings.stochastic_threshold),
            key_arr,
            int(settings.method_code()),
            float(settings.rtol),
            state_atol(kernel, settings),
            float(settings.h0),
            float(settings.hmax),
            int(settings.max_steps),
            bool(settings.clip_negative),
        )
        if lin is not None and lin.idx.size:
            started = compile_notice(kernel, "solve_cohort_exact")
            out = kernel.solve_cohort_exact(*args, lin.idx, lin.src, lin.k, lin.a)
        else:
            started = compile_notice(kernel, "solve_cohort")
            out = kernel.solve_cohort(*args)
        compile_done(started)
        obs, y_final, status, n_steps, n_rejected = out
    finally:
        numba.set_num_threads(previous)
    return CohortSolution(ts[0] if shared else ts, obs, y_final, status, n_steps, n_rejected)

"""ODE integrators compiled together with a model: Rodas4 (stiff) and Dormand–Prince 5(4).

This file is source text for `tmesim.solvers.kernel.build_kernel`, which pastes it after a
model's `rhs`, `jac`, `dfdt`, `observe` and `N_STATES`/`N_PARAMS`/`N_OBS`, so that numba compiles
the model and the integrator as one unit. The import of `_model_stub` below only keeps this
module valid on its own; the builder removes it.

Entry points (both compiled with `@njit(cache=True)`):

* `integrate` — one patient: adaptive steps, doses as exact stops, save times as stops or from
  the continuous extension, small populations decided at fixed checkpoints of model time
  (the exact law of their linear birth–death process over the interval, or unbiased stochastic
  rounding without declared births and deaths, with counter-based random numbers); returns
  (status, accepted steps, rejected steps).
* `solve_cohort` — many patients in parallel (`prange`), each independent with its own work
  arrays, so results do not depend on the number of threads.
* `solve_cohort_exact` — the same with closed-form linear states: a depot whose whole
  right-hand side is -k·y, and a compartment fed only by such a depot, -k·y + a·y_depot (e.g. an
  oral drug's gut depot and its plasma compartment), with k and a per patient. Between doses
  these follow exp(-k dt) and the Bateman function, so the integrator uses the closed form at
  every stage and save instead of resolving the exponentials with steps: the rest of the system
  sees them as an exact input (their time derivatives enter the Rosenbrock stages through
  df/dt), and they leave the error estimate. Without this, a daily oral dose absorbed at
  k = 24/day held the error control to steps of about 1/40 day for the whole day after it.

Rodas4 solves its linear systems with a sparse LU (`_lu_factor`) that keeps the elimination
order and pivots of the previous step while they remain valid, so a step costs a pass over the
Jacobian's structural non-zeros plus the arithmetic on the non-zeros of the factors. The model's
`jac` writes the same positions at every call (its structural non-zeros, found once per patient),
so J is never cleared between steps.

Status codes are the values of `tmesim.solvers.status.SolverStatus`.
"""

import math

import numpy as np
from numba import njit, prange

# <model-stub> build_kernel removes this block; the model's own definitions stand in its place.
from tmesim.solvers._model_stub import (
    N_OBS,
    N_PARAMS,
    N_STATES,
    demography,
    dfdt,
    jac,
    observe,
    rhs,
)

# </model-stub>

SUCCESS = 0
TOO_MANY_STEPS = 1
STEP_UNDERFLOW = 2
NON_FINITE = 3
SINGULAR = 4
INVALID_INPUT = 5

RODAS4 = 0
DOPRI5 = 1
# Flags added to a method code. FIXED_STEP: steps of exactly h0 with no error control
# (convergence studies). STOP_AT_SAVES: end a step at every save time instead of using dense
# output; needed for accurate saves of stiff components with Rodas4 (its continuous extension is
# only about linear interpolation on components in quasi-steady state).
FIXED_STEP = 16
STOP_AT_SAVES = 32
_METHOD_MASK = 15

# Every compiled function uses error_model="numpy": a division by zero gives inf/nan, which the
# step control turns into a status code, instead of an exception inside the parallel loop.

_SAFETY = 0.9
# A recorded pivot is reused while |pivot| >= this times the largest entry below it.
_PIVOT_THRESHOLD = 0.1
_FAC_MIN = 0.2
# Consecutive failures tolerated before giving up with a status code.
_MAX_SINGULAR = 5
_MAX_NON_FINITE = 10

# Rodas4 in the transformed form of Hairer & Wanner: with W = I/(h*gamma) - J,
#   W u_i = f(t + c_i h, y + sum_j a_ij u_j) + sum_j (c_ij / h) u_j + h d_i df/dt,
# embedded solution y + sum_j a_5j u_j + u_5 and solution (one stage later) + u_6; stiffly
# accurate and L-stable, order 4(3). Coefficients: E. Hairer, G. Wanner, "Solving Ordinary
# Differential Equations II", 2nd ed., Springer 1996, Sect. VI.4 (method RODAS, as in their
# Fortran code rodas.f, METH=1). `tests/solvers/test_tableaus.py` checks the order conditions.
_R_GAMMA = 0.25
_R_C2 = 0.386
_R_C3 = 0.21
_R_C4 = 0.63
_R_D1 = 0.25
_R_D2 = -0.1043
_R_D3 = 0.1035
_R_D4 = -0.03620000000000023
_R_A21 = 1.544
_R_A31 = 0.9466785280815826
_R_A32 = 0.2557011698983284
_R_A41 = 3.314825187068521
_R_A42 = 2.896124015972201
_R_A43 = 0.9986419139977817
_R_A51 = 1.221224509226641
_R_A52 = 6.019134481288629
_R_A53 = 12.53708332932087
_R_A54 = -0.687886036105895
_R_C21 = -5.6688
_R_C31 = -2.430093356833875
_R_C32 = -0.2063599157091915
_R_C41 = -0.1073529058151375
_R_C42 = -9.594562251023355
_R_C43 = -20.47028614809616
_R_C51 = 7.496443313967647
_R_C52 = -10.24680431464352
_R_C53 = -33.99990352819905
_R_C54 = 11.7089089320616
_R_C61 = 8.083246795921522
_R_C62 = -7.981132988064893
_R_C63 = -31.52159432874371
_R_C64 = 16.31930543123136
_R_C65 = -6.058818238834054
# Continuous extension of order 3 from the same source (RODAS dense output): with s = theta,
# y(s) = (1-s) y0 + s (y1 + (1-s) (sum_j h2j u_j + s sum_j h3j u_j)). It combines stages only,
# never f at a computed point (f(y1) would amplify the error of y1 by the stiffness); still, on
# stiff components in quasi-steady state it is only about as accurate as linear interpolation,
# hence STOP_AT_SAVES by default for Rodas4.
_R_H21 = 10.12623508344586
_R_H22 = -7.487995877610167
_R_H23 = -34.80091861555747
_R_H24 = -7.992771707568823
_R_H25 = 1.025137723295662
_R_H31 = -0.6762803392801253
_R_H32 = 6.087714651680015
_R_H33 = 16.43084320892478
_R_H34 = 24.76722511418386
_R_H35 = -6.594389125716872

# Dormand–Prince 5(4): J. R. Dormand, P. J. Prince, "A family of embedded Runge-Kutta formulae",
# J. Comput. Appl. Math. 6 (1980) 19-26; error weights E = b - b_hat and the dense-output weights
# D (Shampine's continuous extension of order 4, L. F. Shampine, Math. Comp. 46 (1986) 135-150)
# as given in Hairer, Norsett & Wanner, "Solving ODEs I", 2nd ed., Sect. II.5-II.6 (code DOPRI5).
_D_C2 = 1.0 / 5.0
_D_C3 = 3.0 / 10.0
_D_C4 = 4.0 / 5.0
_D_C5 = 8.0 / 9.0
_D_A21 = 1.0 / 5.0
_D_A31 = 3.0 / 40.0
_D_A32 = 9.0 / 40.0
_D_A41 = 44.0 / 45.0
_D_A42 = -56.0 / 15.0
_D_A43 = 32.0 / 9.0
_D_A51 = 19372.0 / 6561.0
_D_A52 = -25360.0 / 2187.0
_D_A53 = 64448.0 / 6561.0
_D_A54 = -212.0 / 729.0
_D_A61 = 9017.0 / 3168.0
_D_A62 = -355.0 / 33.0
_D_A63 = 46732.0 / 5247.0
_D_A64 = 49.0 / 176.0
_D_A65 = -5103.0 / 18656.0
_D_B1 = 35.0 / 384.0
_D_B3 = 500.0 / 1113.0
_D_B4 = 125.0 / 192.0
_D_B5 = -2187.0 / 6784.0
_D_B6 = 11.0 / 84.0
_D_E1 = 71.0 / 57600.0
_D_E3 = -71.0 / 16695.0
_D_E4 = 71.0 / 1920.0
_D_E5 = -17253.0 / 339200.0
_D_E6 = 22.0 / 525.0
_D_E7 = -1.0 / 40.0
_D_D1 = -12715105075.0 / 11282082432.0
_D_D3 = 87487479700.0 / 32700410799.0
_D_D4 = -10690763975.0 / 1880347072.0
_D_D5 = 701980252875.0 / 199316789632.0
_D_D6 = -1453857185.0 / 822651844.0
_D_D7 = 69997945.0 / 29380423.0

# The same coefficients as tables, for the stage loops (rows: stages; Rodas4's last row starts
# the sixth stage from the embedded solution).
_R_A_TABLE = np.array(
    [
        [0.0, 0.0, 0.0, 0.0, 0.0],
        [_R_A21, 0.0, 0.0, 0.0, 0.0],
        [_R_A31, _R_A32, 0.0, 0.0, 0.0],
        [_R_A41, _R_A42, _R_A43, 0.0, 0.0],
        [_R_A51, _R_A52, _R_A53, _R_A54, 0.0],
        [_R_A51, _R_A52, _R_A53, _R_A54, 1.0],
    ]
)
_R_C_TABLE = np.array(
    [
        [0.0, 0.0, 0.0, 0.0, 0.0],
        [_R_C21, 0.0, 0.0, 0.0, 0.0],
        [_R_C31, _R_C32, 0.0, 0.0, 0.0],
        [_R_C41, _R_C42, _R_C43, 0.0, 0.0],
        [_R_C51, _R_C52, _R_C53, _R_C54, 0.0],
        [_R_C61, _R_C62, _R_C63, _R_C64, _R_C65],
    ]
)
_R_C_ROW = np.array([0.0, _R_C2, _R_C3, _R_C4, 1.0, 1.0])
_R_D_ROW = np.array([_R_D1, _R_D2, _R_D3, _R_D4, 0.0, 0.0])
_D_A_TABLE = np.array(
    [
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        [_D_A21, 0.0, 0.0, 0.0, 0.0, 0.0],
        [_D_A31, _D_A32, 0.0, 0.0, 0.0, 0.0],
        [_D_A41, _D_A42, _D_A43, 0.0, 0.0, 0.0],
        [_D_A51, _D_A52, _D_A53, _D_A54, 0.0, 0.0],
        [_D_A61, _D_A62, _D_A63, _D_A64, _D_A65, 0.0],
        [_D_B1, 0.0, _D_B3, _D_B4, _D_B5, _D_B6],
    ]
)
_D_C_ROW = np.array([0.0, _D_C2, _D_C3, _D_C4, _D_C5, 1.0])
_D_E_ROW = np.array([_D_E1, 0.0, _D_E3, _D_E4, _D_E5, _D_E6, _D_E7])


@njit(cache=True, error_model="numpy")
def _new_lu(n):
    """Work arrays of the sparse LU of one patient (see `_lu_factor`)."""
    piv = np.empty(n, dtype=np.int64)
    ptr = np.empty(2 * n + 2, dtype=np.int64)
    idx = np.empty(max(n * n - n, 1), dtype=np.int64)
    lval = np.empty(max(n * n - n, 1))
    pattern = np.zeros((n, n), dtype=np.bool_)
    for i in range(n):
        pattern[i, i] = True
    work = np.empty((n, n), dtype=np.bool_)
    # state[0] = 1 while the recorded elimination is valid, state[1] = 1 while `order` is;
    # state[2], state[3], state[4]: the counts of the position lists below.
    state = np.zeros(5, dtype=np.int64)
    state[2] = -1
    order = np.arange(n)
    rows = np.empty(n, dtype=np.int64)
    x = np.empty(n)
    done = np.empty(n, dtype=np.bool_)
    nbr = np.empty(n, dtype=np.int64)
    row_scale = np.empty(n)
    # Positions as (row, column) pairs: jpos[0:2, :state[2]], J's structural non-zeros (state[2]
    # -1: unknown, any position may be non-zero); jpos[2:4, :state[4]], those still outside the
    # pattern; epos[:, :state[3]], the entries of E the factors read.
    jpos = np.empty((4, n * n), dtype=np.int64)
    epos = np.empty((2, n * n), dtype=np.int64)
    return (
        piv,
        ptr,
        idx,
        lval,
        pattern,
        work,
        state,
        order,
        rows,
        x,
        done,
        nbr,
        row_scale,
        jpos,
        epos,
    )


@njit(cache=True, error_model="numpy")
def _lu_set_structure(written, lu):
    """Record J's structural non-zeros (`written`: the positions the Jacobian writes), so that
    forming E and checking the pattern walk those positions only, not all n² entries."""
    jpos, state = lu[13], lu[6]
    n = written.shape[0]
    c = 0
    for i in range(n):
        for j in range(n):
            if written[i, j]:
                jpos[0, c] = i
                jpos[1, c] = j
                c += 1
    state[2] = c
    _outside_pattern(lu)


@njit(cache=True, error_model="numpy")
def _outside_pattern(lu):
    """List the structural positions of J not (yet) in the pattern (rows 2-3 of jpos): the only
    ones where a new non-zero can appear."""
    pattern, state, jpos = lu[4], lu[6], lu[13]
    c = 0
    for q in range(state[2]):
        i = jpos[0, q]
        j = jpos[1, q]
        if not pattern[i, j]:
            jpos[2, c] = i
            jpos[3, c] = j
            c += 1
    state[4] = c


@njit(cache=True, error_model="numpy")
def _form_matrix(J, fac, E, lu):
    """E = fac I - J and its row scales; False if J has a non-zero outside the known pattern.

    New non-zero positions are added to the pattern, which invalidates order and record.
    While the record is valid and J's structure is known, only the structural non-zeros of J and
    the entries of E the factors read are visited (the other entries of E are never read).
    """
    pattern, state, row_scale, jpos, epos = lu[4], lu[6], lu[12], lu[13], lu[14]
    n = J.shape[0]
    if state[0] == 1 and state[2] >= 0:
        for q in range(state[4]):
            if J[jpos[2, q], jpos[3, q]] != 0.0:
                state[0] = 0
                break
        if state[0] == 1:
            for i in range(n):
                row_scale[i] = 0.0
            for q in range(state[2]):
                i = jpos[0, q]
                j = jpos[1, q]
                v = abs(J[i, j])
                if i != j and v > row_scale[i]:
                    row_scale[i] = v
            for q in range(state[3]):
                i = epos[0, q]
                j = epos[1, q]
                E[i, j] = -J[i, j]
            for i in range(n):
                E[i, i] += fac
                big = max(row_scale[i], abs(E[i, i]))
                row_scale[i] = 1.0 / big if big > 0.0 else 0.0
            return True
    inside = True
    for i in range(n):
        big = 0.0
        for j in range(n):
            v = J[i, j]
            E[i, j] = -v
            if v != 0.0 and not pattern[i, j]:
                inside = False
            if i != j:
                big = max(big, abs(v))
        E[i, i] += fac
        big = max(big, abs(E[i, i]))
        row_scale[i] = 1.0 / big if big > 0.0 else 0.0
    if not inside:
        for i in range(n):
            for j in range(n):
                if J[i, j] != 0.0:
                    pattern[i, j] = True
        state[0] = 0
        state[1] = 0
    return inside


@njit(cache=True, error_model="numpy")
def _minimum_degree(lu):
    """Elimination order by minimum degree on the pattern of J + J^T, to limit fill-in.

    Model Jacobians have hub states (tumor cells, cytokines) coupled to most others; taking
    them last keeps the factors sparse.
    """
    pattern, adj, state, order, done, nbr = lu[4], lu[5], lu[6], lu[7], lu[10], lu[11]
    n = pattern.shape[0]
    for i in range(n):
        done[i] = False
        for j in range(n):
            adj[i, j] = (pattern[i, j] or pattern[j, i]) and i != j
    for step in range(n):
        best = -1
        best_degree = n + 1
        for v in range(n):
            if not done[v]:
                degree = 0
                for u in range(n):
                    if adj[v, u] and not done[u]:
                        degree += 1
                if degree < best_degree:
                    best_degree = degree
                    best = v
        order[step] = best
        done[best] = True
        m = 0
        for u in range(n):
            if adj[best, u] and not done[u]:
                nbr[m] = u
                m += 1
        # Eliminating a node joins its remaining neighbours (the fill it will cause).
        for a in range(m):
            for b in range(m):
                if a != b:
                    adj[nbr[a], nbr[b]] = True
    state[1] = 1


@njit(cache=True, error_model="numpy")
def _lu_analyse(E, lu):
    """Gaussian elimination with threshold partial pivoting in place, recording its structure.

    Columns are eliminated in `order`; at step k the pivot row piv[k] is chosen among the rows
    not yet used, comparing entries of rows scaled to a largest entry of 1 (so a row of large
    cell numbers does not win over a drug's own row), and the diagonal one whenever acceptable:
    that keeps the fill-reducing order, and exact zeros (a drug never given) exactly zero.
    Nothing is moved: the record holds matrix indices. It covers the pattern (every position
    where J was ever non-zero, and the diagonal) and its fill-in, so it stays valid while J keeps
    to that pattern: for step k, the rows updated and their multipliers idx/lval[ptr[k]:ptr[k+1]];
    for pivot row k of U, its other columns idx[ptr[n+1+k]:ptr[n+2+k]] (values stay in E).
    False if the matrix is singular.
    """
    piv, ptr, idx, lval, pattern, work, state, order, rows = lu[:9]
    row_scale = lu[12]
    n = E.shape[0]
    state[0] = 0
    for i in range(n):
        rows[i] = order[i]
        for j in range(n):
            work[i, j] = pattern[i, j]
        work[i, i] = True
    lc = 0
    uc = (n * (n - 1)) // 2
    for k in range(n):
        pc = order[k]
        diag = abs(E[rows[k], pc]) * row_scale[rows[k]] if work[rows[k], pc] else 0.0
        best = k
        amax = diag
        for a in range(k + 1, n):
            i = rows[a]
            if work[i, pc]:
                v = abs(E[i, pc]) * row_scale[i]
                if v > amax:
                    amax = v
                    best = a
        if amax == 0.0 or not math.isfinite(amax):
            return False
        if diag >= _PIVOT_THRESHOLD * amax:
            best = k
        pr = rows[best]
        rows[best] = rows[k]
        rows[k] = pr
        piv[k] = pr
        u_start = uc
        ptr[n + 1 + k] = uc
        for b in range(k + 1, n):
            j = order[b]
            if work[pr, j]:
                idx[uc] = j
                uc += 1
        ptr[k] = lc
        inv = 1.0 / E[pr, pc]
        for a in range(k + 1, n):
            i = rows[a]
            if work[i, pc]:
                m = E[i, pc] * inv
                idx[lc] = i
                lval[lc] = m
                lc += 1
                for q in range(u_start, uc):
                    j = idx[q]
                    E[i, j] -= m * E[pr, j]
                    work[i, j] = True
    ptr[n] = lc
    ptr[2 * n + 1] = uc
    epos = lu[14]
    c = 0
    for i in range(n):
        for j in range(n):
            if work[i, j]:
                epos[0, c] = i
                epos[1, c] = j
                c += 1
    state[3] = c
    if state[2] >= 0:
        _outside_pattern(lu)
    state[0] = 1
    return True


@njit(cache=True, error_model="numpy")
def _lu_refactor(E, lu):
    """Repeat the recorded elimination on new values; False if a pivot is now too small.

    A recorded pivot is kept while it is at least _PIVOT_THRESHOLD times the largest entry
    below it (threshold partial pivoting, on rows scaled to a largest entry of 1), which bounds
    element growth like partial pivoting.
    """
    piv, ptr, idx, lval = lu[:4]
    order, row_scale = lu[7], lu[12]
    n = E.shape[0]
    for k in range(n):
        pr = piv[k]
        pc = order[k]
        d = E[pr, pc]
        amax = 0.0
        for q in range(ptr[k], ptr[k + 1]):
            v = abs(E[idx[q], pc]) * row_scale[idx[q]]
            if v > amax:
                amax = v
        scaled = abs(d) * row_scale[pr]
        if not (scaled >= _PIVOT_THRESHOLD * amax and d != 0.0 and math.isfinite(d)):
            return False
        inv = 1.0 / d
        u_start = ptr[n + 1 + k]
        u_end = ptr[n + 2 + k]
        for q in range(ptr[k], ptr[k + 1]):
            i = idx[q]
            m = E[i, pc] * inv
            lval[q] = m
            if m != 0.0:
                for r in range(u_start, u_end):
                    j = idx[r]
                    E[i, j] -= m * E[pr, j]
    return True


@njit(cache=True, error_model="numpy")
def _lu_factor(J, fac, E, lu):
    """Factor W = fac I - J into `E` and `lu`; False if W is singular.

    Sparse, and the usual case costs one pass over J's structural non-zeros (once recorded by
    `_lu_set_structure`) plus the arithmetic on the non-zeros of the factors: the elimination order and the pivots are searched again only when J gains a
    non-zero position or a recorded pivot becomes too small.
    """
    state = lu[6]
    inside = _form_matrix(J, fac, E, lu)
    if inside and state[0] == 1:
        if _lu_refactor(E, lu):
            return True
        # A new elimination may fill entries the sparse form leaves stale: form E in full.
        state[0] = 0
        _form_matrix(J, fac, E, lu)
    if state[1] == 0:
        _minimum_degree(lu)
    return _lu_analyse(E, lu)


@njit(cache=True, error_model="numpy")
def _lu_solve(a, lu, b):
    """Solve W x = b in place with the factors from `_lu_factor`."""
    piv, ptr, idx, lval = lu[:4]
    order, x = lu[7], lu[9]
    n = a.shape[0]
    for k in range(n):
        bk = b[piv[k]]
        if bk != 0.0:
            for q in range(ptr[k], ptr[k + 1]):
                b[idx[q]] -= lval[q] * bk
    for k in range(n - 1, -1, -1):
        pr = piv[k]
        s = b[pr]
        for q in range(ptr[n + 1 + k], ptr[n + 2 + k]):
            s -= a[pr, idx[q]] * x[idx[q]]
        x[order[k]] = s / a[pr, order[k]]
    for i in range(n):
        b[i] = x[i]


@njit(cache=True, error_model="numpy")
def _all_finite(x):
    for i in range(x.shape[0]):
        if not math.isfinite(x[i]):
            return False
    return True


@njit(cache=True, error_model="numpy")
def _error_norm(err, y, ynew, rtol, atol):
    """RMS of err_i / (atol_i + rtol * max(|y_i|, |ynew_i|)); `atol` holds one value per state."""
    n = err.shape[0]
    s = 0.0
    for i in range(n):
        sk = atol[i] + rtol * max(abs(y[i]), abs(ynew[i]))
        r = err[i] / sk
        s += r * r
    return math.sqrt(s / n)


@njit(cache=True, error_model="numpy")
def _clip(y, clip_negative):
    """Zero states that came out negative (if asked); True if anything changed."""
    changed = False
    if clip_negative:
        for i in range(y.shape[0]):
            if y[i] < 0.0:
                y[i] = 0.0
                changed = True
    return changed


_U64 = np.uint64


@njit(cache=True, inline="always", error_model="numpy")
def _mix(z):
    # splitmix64 finalizer (Steele, Lea & Flood 2014): a bijective avalanche on 64 bits.
    z = (z ^ (z >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> _U64(27))) * _U64(0x94D049BB133111EB)
    return z ^ (z >> _U64(31))


@njit(cache=True, error_model="numpy")
def checkpoint_uniform(key, checkpoint, state):
    """A uniform number in [0, 1) that depends only on (patient key, checkpoint index, state).

    Counter-based, so a patient's draws do not depend on its steps, on other patients, on the
    thread count or on the chunking. `checkpoint` may be negative (times before day 0).
    """
    golden = _U64(0x9E3779B97F4A7C15)
    h = _mix(_U64(key) + golden)
    h = _mix(h ^ (_U64(checkpoint + 4611686018427387904) + golden))
    h = _mix(h ^ (_U64(state) * golden))
    return float(h >> _U64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, error_model="numpy")
def _needs_checkpoint(y, extinct_idx, threshold):
    """True if a population lies in (0, 2 threshold): the stochastic rule may act on it soon."""
    for k in range(extinct_idx.shape[0]):
        v = y[extinct_idx[k]]
        if v > 0.0 and v < 2.0 * threshold:
            return True
    return False


@njit(cache=True, error_model="numpy")
def _round_small(y, extinct_idx, threshold, key, checkpoint):
    """Unbiased stochastic rounding of small populations at one checkpoint: a population x in
    (0, threshold) becomes `threshold` with probability x / threshold and 0 otherwise (the mean
    is kept). True if anything changed."""
    changed = False
    for k in range(extinct_idx.shape[0]):
        i = extinct_idx[k]
        x = y[i]
        if x > 0.0 and x < threshold:
            u = checkpoint_uniform(key, checkpoint, i)
            y[i] = threshold if u * threshold < x else 0.0
            changed = True
    return changed


@njit(cache=True, error_model="numpy")
def _stream_uniform(key, checkpoint, state, draw):
    """The `draw`-th uniform in [0, 1) of (patient key, checkpoint, state): counter-based like
    `checkpoint_uniform`, from which it differs for every draw."""
    golden = _U64(0x9E3779B97F4A7C15)
    h = _mix(_U64(key) + golden)
    h = _mix(h ^ (_U64(checkpoint + 4611686018427387904) + golden))
    h = _mix(h ^ (_U64(state) * golden))
    h = _mix(h ^ ((_U64(draw) + _U64(1)) * _U64(0xD1B54A32D192ED03)))
    return float(h >> _U64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, error_model="numpy")
def descendants(m, b, tau, u_extinct, u_size):
    """Descendants after `tau` of one individual of a linear birth–death process with per-capita
    birth rate b and death rate d = b - ln(m)/tau (mean m = e^((b-d) tau)), from two uniforms.

    The law is exact (Kendall 1948, Ann Math Stat 19:1): none with probability
    α = d(m - 1)/(b m - d), else a geometric number k >= 1, P(k) = (1 - β) β^(k - 1) with
    β = b(m - 1)/(b m - d); for b = d, α = β = b tau/(1 + b tau). Needs b >= max(0, ln(m)/tau).
    """
    if not m > 0.0:
        return 0.0
    r_tau = math.log(m)
    if abs(r_tau) < 1e-9:
        alpha = b * tau / (1.0 + b * tau)
        beta = alpha
    else:
        d = b - r_tau / tau
        if d < 0.0:
            d = 0.0
        den = b * m - d
        alpha = d * (m - 1.0) / den
        beta = b * (m - 1.0) / den
    if u_extinct < alpha:
        return 0.0
    if not beta > 0.0:
        return 1.0
    return 1.0 + math.floor(math.log(1.0 - u_size) / math.log(beta))


@njit(cache=True, error_model="numpy")
def _round_count(x, u):
    """x rounded to floor(x) or floor(x) + 1 with the mean kept (x >= 0)."""
    lo = math.floor(x)
    return lo + 1.0 if u < x - lo else lo


@njit(cache=True, error_model="numpy")
def _per_capita(t, y, p, extinct_idx, threshold, ye, birth, death, inflow):
    """Births, deaths (per individual and day) and inflows (individuals/day) of every
    extinguishable population at state y; each population counts as at least one individual."""
    for i in range(y.shape[0]):
        ye[i] = y[i]
    for k in range(extinct_idx.shape[0]):
        i = extinct_idx[k]
        if ye[i] < threshold:
            ye[i] = threshold
    demography(t, ye, p, birth, death, inflow)
    for k in range(extinct_idx.shape[0]):
        i = extinct_idx[k]
        birth[i] = birth[i] / ye[i]
        death[i] = death[i] / ye[i]
        inflow[i] = inflow[i] / threshold


@njit(cache=True, error_model="numpy")
def _branch_small(
    y, t, y_start, t_start, p, extinct_idx, threshold, small, key, checkpoint, work, rates
):
    """Advance the small populations over the interval (t_start, t] with the law of their
    linear birth–death process; True if anything changed.

    A population that held n0 < `small` individuals (of size `threshold`) at t_start leaves, of
    each of them, a number drawn by `descendants`, and gains the descendants of Poisson arrivals
    (its inflow, at uniform times). The rates are per-capita births b and deaths d and the inflow
    I, averaged over the interval's two ends; the mean is then scaled to the ODE's value at t
    (which follows the rates' changes within the interval), so the law keeps the ODE's mean and
    takes its extinction and spread from b. A population larger than `small` at t_start is
    rounded to whole individuals (mean kept) if it ends below `small`.
    """
    ye = work[0]
    b0, d0, i0 = rates[0], rates[1], rates[2]
    b1, d1, i1 = rates[3], rates[4], rates[5]
    _per_capita(t_start, y_start, p, extinct_idx, threshold, ye, b0, d0, i0)
    _per_capita(t, y, p, extinct_idx, threshold, ye, b1, d1, i1)
    tau = t - t_start
    changed = False
    for k in range(extinct_idx.shape[0]):
        i = extinct_idx[k]
        x = y[i] / threshold
        start = y_start[i] / threshold
        if not start < small / threshold:
            if x < small / threshold and x > 0.0:
                y[i] = _round_count(x, _stream_uniform(key, checkpoint, i, 0)) * threshold
                changed = True
            continue
        n0 = _round_count(max(start, 0.0), _stream_uniform(key, checkpoint, i, 0))
        b = 0.5 * (b0[i] + b1[i])
        d = 0.5 * (d0[i] + d1[i])
        inflow = max(0.5 * (i0[i] + i1[i]), 0.0)
        if b < 0.0:
            d -= b
            b = 0.0
        if d < 0.0:
            b -= d
            d = 0.0
        r_tau = (b - d) * tau
        grow = math.exp(r_tau)
        arrivals_grow = tau if abs(r_tau) < 1e-9 else tau * math.expm1(r_tau) / r_tau
        mean = n0 * grow + inflow * arrivals_grow
        if not (mean > 0.0 and tau > 0.0):
            if x > 0.0:
                y[i] = _round_count(x, _stream_uniform(key, checkpoint, i, 1)) * threshold
                changed = True
            continue
        scale = max(x, 0.0) / mean
        m = scale * grow
        if m > 0.0:
            b = max(b, math.log(m) / tau)
        total = 0.0
        for j in range(int(n0)):
            u1 = _stream_uniform(key, checkpoint, i, 2 + 2 * j)
            u2 = _stream_uniform(key, checkpoint, i, 3 + 2 * j)
            total += descendants(m, b, tau, u1, u2)
        lam = scale * inflow * tau
        if lam > 50.0:
            # Many arrivals: their sum is no small population; keep its mean.
            u = _stream_uniform(key, checkpoint, i, 1)
            total += _round_count(scale * inflow * arrivals_grow, u)
        elif lam > 0.0:
            r = (math.log(m) / tau) if m > 0.0 else 0.0
            u = _stream_uniform(key, checkpoint, i, 1)
            term = math.exp(-lam)
            cdf = term
            count = 0
            while u > cdf and count < 1000:
                count += 1
                term *= lam / count
                cdf += term
            for q in range(count):
                base = 1 << 30
                s = _stream_uniform(key, checkpoint, i, base + 3 * q) * tau
                rest = tau - s
                u1 = _stream_uniform(key, checkpoint, i, base + 3 * q + 1)
                u2 = _stream_uniform(key, checkpoint, i, base + 3 * q + 2)
                total += descendants(math.exp(r * rest), b, rest, u1, u2)
        y[i] = total * threshold
        changed = True
    return changed


@njit(cache=True, error_model="numpy")
def _set_exact(ynew, y, lin_idx, lin_src, lin_k, lin_a, dt):
    """Closed-form linear states at time dt after the step start y: a depot y·exp(-k dt); a
    compartment fed by a depot (rate k_s, start g) adds a·g·(exp(-k_s dt) - exp(-k dt))/(k - k_s)."""
    for j in range(lin_idx.shape[0]):
        i = lin_idx[j]
        k = lin_k[j]
        v = y[i] * math.exp(-k * dt)
        src = lin_src[j]
        if src >= 0:
            ks = lin_k[src]
            delta = k - ks
            decay = math.exp(-ks * dt)
            if abs(delta * dt) < 1e-10:
                phi = dt * decay
            else:
                phi = decay * (-math.expm1(-delta * dt)) / delta
            v += lin_a[j] * y[lin_idx[src]] * phi
        ynew[i] = v


@njit(cache=True, error_model="numpy")
def _exact_jacobian(y, lin_idx, lin_src, lin_k, lin_a, J, fx):
    """Take the closed-form states out of the linear system: each becomes a known input whose
    time derivative, J[:, i] · y_i', joins df/dt; their rows and columns of J are zeroed."""
    n = y.shape[0]
    for j in range(lin_idx.shape[0]):
        i = lin_idx[j]
        rate = -lin_k[j] * y[i]
        if lin_src[j] >= 0:
            rate += lin_a[j] * y[lin_idx[lin_src[j]]]
        for r in range(n):
            if r != i:
                fx[r] += J[r, i] * rate
    for j in range(lin_idx.shape[0]):
        i = lin_idx[j]
        for r in range(n):
            J[r, i] = 0.0
            J[i, r] = 0.0


@njit(cache=True, error_model="numpy")
def _rodas4_step(t, h, y, f0, fx, J, E, lu, p, K, ynew, tmp, lin_idx, lin_src, lin_k, lin_a):
    """One Rodas4 step from (t, y): stages u_i in K, the solution in `ynew`; the error estimate
    is K[5]. False if W is singular. Closed-form linear states take their exact values at every stage.

    The stages run in a loop over the tableau so that the model's rhs appears once in the
    compiled code, which shortens the compilation of large models.
    """
    n = y.shape[0]
    if not _lu_factor(J, 1.0 / (h * _R_GAMMA), E, lu):
        return False
    hinv = 1.0 / h
    # Loops over i innermost: contiguous, and the sums keep the order of the tableau.
    for s in range(6):
        u = K[s]
        if s == 0:
            for i in range(n):
                u[i] = f0[i] + h * _R_D_ROW[0] * fx[i]
        else:
            for i in range(n):
                ynew[i] = y[i]
                u[i] = 0.0
            for j in range(s):
                a = _R_A_TABLE[s, j]
                c = _R_C_TABLE[s, j]
                for i in range(n):
                    ynew[i] += a * K[j, i]
                    u[i] += c * K[j, i]
            _set_exact(ynew, y, lin_idx, lin_src, lin_k, lin_a, _R_C_ROW[s] * h)
            rhs(t + _R_C_ROW[s] * h, ynew, p, tmp)
            d = h * _R_D_ROW[s]
            for i in range(n):
                u[i] = tmp[i] + d * fx[i] + hinv * u[i]
        _lu_solve(E, lu, u)
    # ynew holds the last stage point, the embedded solution; the solution is one stage on.
    for i in range(n):
        ynew[i] += K[5, i]
    _set_exact(ynew, y, lin_idx, lin_src, lin_k, lin_a, h)
    for j in range(lin_idx.shape[0]):
        K[5, lin_idx[j]] = 0.0
    return True


@njit(cache=True, error_model="numpy")
def _dopri5_step(t, h, y, f0, p, K, ynew, fnew, ytmp, err, lin_idx, lin_src, lin_k, lin_a):
    """One Dormand–Prince step from (t, y) with f0 = f(t, y); f(t+h, ynew) goes to `fnew`.
    Closed-form linear states take their exact values at every stage.

    Stage i+1 (i = 1..5) is kept in K[i]; as in Rodas4, a loop keeps a single rhs call site.
    """
    n = y.shape[0]
    for s in range(1, 7):
        out = ynew if s == 6 else ytmp
        a0 = _D_A_TABLE[s, 0]
        for i in range(n):
            out[i] = a0 * f0[i]
        for j in range(1, s):
            a = _D_A_TABLE[s, j]
            for i in range(n):
                out[i] += a * K[j, i]
        for i in range(n):
            out[i] = y[i] + h * out[i]
        _set_exact(out, y, lin_idx, lin_src, lin_k, lin_a, (_D_C_ROW[s] if s < 6 else 1.0) * h)
        if s < 6:
            rhs(t + _D_C_ROW[s] * h, ytmp, p, K[s])
    rhs(t + h, ynew, p, fnew)
    for i in range(n):
        err[i] = _D_E_ROW[0] * f0[i]
    for j in range(1, 6):
        e = _D_E_ROW[j]
        for i in range(n):
            err[i] += e * K[j, i]
    for i in range(n):
        err[i] = h * (err[i] + _D_E_ROW[6] * fnew[i])
    for j in range(lin_idx.shape[0]):
        err[lin_idx[j]] = 0.0


@njit(cache=True, error_model="numpy")
def _dense_rodas4(K, da, db):
    """Coefficients of the Rodas4 continuous extension for the step just taken."""
    for i in range(da.shape[0]):
        da[i] = (
            _R_H21 * K[0, i]
            + _R_H22 * K[1, i]
            + _R_H23 * K[2, i]
            + _R_H24 * K[3, i]
            + _R_H25 * K[4, i]
        )
        db[i] = (
            _R_H31 * K[0, i]
            + _R_H32 * K[1, i]
            + _R_H33 * K[2, i]
            + _R_H34 * K[3, i]
            + _R_H35 * K[4, i]
        )


@njit(cache=True, error_model="numpy")
def _dense_dopri5(h, y, ynew, f0, fnew, K, da, db, dc):
    """Coefficients of DOPRI5's continuous extension (cubic Hermite plus a quartic term)."""
    for i in range(da.shape[0]):
        d = ynew[i] - y[i]
        a = h * f0[i] - d
        da[i] = a
        db[i] = d - h * fnew[i] - a
        dc[i] = h * (
            _D_D1 * f0[i]
            + _D_D3 * K[2, i]
            + _D_D4 * K[3, i]
            + _D_D5 * K[4, i]
            + _D_D6 * K[5, i]
            + _D_D7 * fnew[i]
        )


@njit(cache=True, error_model="numpy")
def _interpolate(theta, y0, y1, da, db, dc, out):
    """y0 + s (y1 - y0 + (1-s) (da + s (db + (1-s) dc))): the shared form of both extensions."""
    for i in range(out.shape[0]):
        d = y1[i] - y0[i]
        out[i] = y0[i] + theta * (
            d + (1.0 - theta) * (da[i] + theta * (db[i] + (1.0 - theta) * dc[i]))
        )


@njit(cache=True, error_model="numpy")
def _initial_step(t, y, f0, p, order, rtol, atol, h_limit, ytmp, ftmp):
    """Starting step after Hairer, Norsett & Wanner, Solving ODEs I, Sect. II.4."""
    n = y.shape[0]
    dnf = 0.0
    dny = 0.0
    for i in range(n):
        sk = atol[i] + rtol * abs(y[i])
        dnf += (f0[i] / sk) ** 2
        dny += (y[i] / sk) ** 2
    dnf /= n
    dny /= n
    if dnf <= 1e-10 or dny <= 1e-10:
        h = 1e-6
    else:
        h = 0.01 * math.sqrt(dny / dnf)
    h = min(h, h_limit)
    for i in range(n):
        ytmp[i] = y[i] + h * f0[i]
    rhs(t + h, ytmp, p, ftmp)
    der2 = 0.0
    for i in range(n):
        sk = atol[i] + rtol * abs(y[i])
        der2 += ((ftmp[i] - f0[i]) / sk) ** 2
    der2 = math.sqrt(der2 / n) / h
    der12 = max(der2, math.sqrt(dnf))
    if not math.isfinite(der12):
        return min(1e-3 * h, h_limit)
    if der12 <= 1e-15:
        h1 = max(1e-6, 1e-3 * h)
    else:
        h1 = (0.01 / der12) ** (1.0 / order)
    return min(100.0 * h, h1, h_limit)


@njit(cache=True, error_model="numpy")
def _check_inputs(
    y0,
    p,
    t0,
    t_save,
    dose_t,
    dose_state,
    dose_amount,
    extinct_idx,
    method,
    rtol,
    atol,
    h0,
    hmax,
    max_steps,
    obs_out,
    y_final,
    lin_idx,
    lin_src,
    lin_k,
    lin_a,
):
    """INVALID_INPUT if any argument breaks the contract of `integrate`, else SUCCESS."""
    n = y0.shape[0]
    n_save = t_save.shape[0]
    if n != N_STATES or p.shape[0] != N_PARAMS or y_final.shape[0] != n:
        return INVALID_INPUT
    if obs_out.shape[0] != n_save or obs_out.shape[1] != N_OBS or n_save == 0:
        return INVALID_INPUT
    base = method & _METHOD_MASK
    if base != RODAS4 and base != DOPRI5:
        return INVALID_INPUT
    if method & ~(_METHOD_MASK | FIXED_STEP | STOP_AT_SAVES) != 0:
        return INVALID_INPUT
    if (method & FIXED_STEP) != 0 and not h0 > 0.0:
        return INVALID_INPUT
    if not (rtol > 0.0 and hmax > 0.0 and h0 >= 0.0 and max_steps > 0):
        return INVALID_INPUT
    if not (math.isfinite(t0) and math.isfinite(rtol)) or atol.shape[0] != n:
        return INVALID_INPUT
    for i in range(n):
        if not (atol[i] > 0.0 and math.isfinite(atol[i])):
            return INVALID_INPUT
    if not _all_finite(y0):
        return INVALID_INPUT
    prev = t0
    for k in range(n_save):
        if not (t_save[k] >= prev) or not math.isfinite(t_save[k]):
            return INVALID_INPUT
        prev = t_save[k]
    nd = dose_t.shape[0]
    if dose_state.shape[0] != nd or dose_amount.shape[0] != nd:
        return INVALID_INPUT
    prev = t0
    for k in range(nd):
        if not (dose_t[k] >= prev) or not math.isfinite(dose_t[k]):
            return INVALID_INPUT
        if not math.isfinite(dose_amount[k]):
            return INVALID_INPUT
        if dose_state[k] < 0 or dose_state[k] >= n:
            return INVALID_INPUT
        prev = dose_t[k]
    for k in range(extinct_idx.shape[0]):
        if extinct_idx[k] < 0 or extinct_idx[k] >= n:
            return INVALID_INPUT
    m = lin_idx.shape[0]
    if lin_src.shape[0] != m or lin_k.shape[0] != m or lin_a.shape[0] != m:
        return INVALID_INPUT
    for k in range(m):
        if lin_idx[k] < 0 or lin_idx[k] >= n:
            return INVALID_INPUT
        if not (lin_k[k] >= 0.0 and math.isfinite(lin_k[k]) and math.isfinite(lin_a[k])):
            return INVALID_INPUT
        # A source is a depot listed before the state it feeds.
        src = lin_src[k]
        if src >= k or (src >= 0 and lin_src[src] >= 0):
            return INVALID_INPUT
    return SUCCESS


@njit(cache=True, error_model="numpy")
def _fail(obs_out, first, y_final):
    for k in range(first, obs_out.shape[0]):
        for j in range(obs_out.shape[1]):
            obs_out[k, j] = np.nan
    for i in range(y_final.shape[0]):
        y_final[i] = np.nan


@njit(cache=True, error_model="numpy")
def integrate(
    y0,
    p,
    t0,
    t_save,
    dose_t,
    dose_state,
    dose_amount,
    extinct_idx,
    extinct_threshold,
    extinct_every,
    extinct_small,
    key,
    method,
    rtol,
    atol,
    h0,
    hmax,
    max_steps,
    clip_negative,
    obs_out,
    y_final,
    lin_idx,
    lin_src,
    lin_k,
    lin_a,
):
    """Integrate one patient from t0 and fill `obs_out` at `t_save`; return (status, steps, rejected).

    Steps stop exactly at doses (values saved at a dose time are after the dose); save times are
    served by dense output, or are stops too with STOP_AT_SAVES. `method` is RODAS4 or DOPRI5,
    plus the flags FIXED_STEP (steps of exactly `h0`, no error control) and STOP_AT_SAVES.
    `max_steps` bounds accepted plus rejected steps. `atol` holds the absolute tolerance of each
    state. On failure the unfilled rows of `obs_out` and `y_final` are NaN.

    Small populations (`extinct_idx`) are decided at checkpoints c·`extinct_every` in
    (t0, t_end], not at steps. If the model declares their births and deaths (`demography`) and
    `extinct_small` > θ (`extinct_threshold`, one individual), a population that held fewer than
    `extinct_small` at the previous checkpoint (or at t0) is replaced by a draw of its linear
    birth–death process with immigration over the interval (`_branch_small`), whose mean is the
    ODE's value. Otherwise a population x below θ becomes θ with probability x/θ and 0 otherwise,
    with the uniform `checkpoint_uniform(key, c, state)`. Values saved at a checkpoint are after
    it. Between checkpoints nothing is floored (negative values are clipped if `clip_negative`).
    A checkpoint is a stop only when the rule may act: a step across it is retaken to end there
    if a population at either end, or at the checkpoint by the continuous extension, lies in
    (0, 2·max(θ, `extinct_small`)); otherwise the rule would change nothing and the step stands
    (the state at the checkpoint is kept from the continuous extension as the next interval's
    start). `extinct_every` 0 or θ 0 turns the rule off.

    States `lin_idx` take their closed form (see the module docstring): state j has right-hand
    side -lin_k[j]·y plus, if lin_src[j] >= 0, lin_a[j] times the depot lin_idx[lin_src[j]]
    listed before it; empty arrays for none.
    """
    status = _check_inputs(
        y0,
        p,
        t0,
        t_save,
        dose_t,
        dose_state,
        dose_amount,
        extinct_idx,
        method,
        rtol,
        atol,
        h0,
        hmax,
        max_steps,
        obs_out,
        y_final,
        lin_idx,
        lin_src,
        lin_k,
        lin_a,
    )
    if status != SUCCESS:
        _fail(obs_out, 0, y_final)
        return status, 0, 0

    n = y0.shape[0]
    n_save = t_save.shape[0]
    n_dose = dose_t.shape[0]
    fixed = (method & FIXED_STEP) != 0
    stop_at_saves = (method & STOP_AT_SAVES) != 0
    stiff = (method & _METHOD_MASK) == RODAS4
    # Exponent of the error estimate in h (embedded order + 1) and the growth limit per step.
    err_order = 4.0 if stiff else 5.0
    fac_max = 6.0 if stiff else 10.0

    # Every work array is allocated once here; the step loop allocates nothing.
    y = np.empty(n)
    ynew = np.empty(n)
    f0 = np.empty(n)
    fnew = np.empty(n)
    tmp = np.empty(n)
    errv = np.empty(n)
    yi = np.empty(n)
    fx = np.zeros(n)
    da = np.zeros(n)
    db = np.zeros(n)
    dc = np.zeros(n)
    K = np.empty((6, n))
    m = n if stiff else 1
    # Zeroed once: generated Jacobians write only their structural non-zeros.
    J = np.zeros((m, m))
    E = np.empty((m, m))
    lu = _new_lu(m)
    jac_structure = False
    # The small-population rule: the state at the last checkpoint and per-capita rates.
    y_ck = np.empty(n)
    y_pass = np.empty(n)
    t_pass = t0
    passed = False
    ck_work = np.empty((1, n))
    ck_rates = np.zeros((6, n))

    for i in range(n):
        y[i] = y0[i]
    t = t0
    t_end = t_save[n_save - 1]
    idose = 0
    while idose < n_dose and dose_t[idose] <= t:
        y[dose_state[idose]] += dose_amount[idose]
        idose += 1
    _clip(y, clip_negative)
    rhs(t, y, p, f0)
    if not _all_finite(f0):
        _fail(obs_out, 0, y_final)
        return NON_FINITE, 0, 0
    # Checkpoints of the small-population rule: index ic, time ic * extinct_every, the first one
    # after t0 (a start on a checkpoint does not repeat it: the run that ended there applied it).
    checks = extinct_every > 0.0 and extinct_threshold > 0.0 and extinct_idx.shape[0] > 0
    ic = 0
    t_check = math.inf
    if checks:
        ic = int(math.floor(t0 / extinct_every + 1e-9)) + 1
        t_check = ic * extinct_every
        if t_check > t_end:
            t_check = math.inf
    branching = False
    if checks and extinct_small > extinct_threshold:
        ck_rates[0, extinct_idx[0]] = math.nan
        demography(t, y, p, ck_rates[0], ck_rates[1], ck_rates[2])
        branching = not math.isnan(ck_rates[0, extinct_idx[0]])
    arm_at = extinct_small if branching else extinct_threshold
    for i in range(n):
        y_ck[i] = y[i]
    t_ck = t
    armed = checks and _needs_checkpoint(y, extinct_idx, arm_at)
    isave = 0
    while isave < n_save and t_save[isave] <= t:
        observe(t, y, p, obs_out[isave])
        isave += 1

    if fixed or h0 > 0.0:
        h = min(h0, hmax)
    elif t_end > t:
        h = _initial_step(t, y, f0, p, err_order, rtol, atol, min(hmax, t_end - t), ynew, tmp)
    else:
        h = hmax

    n_steps = 0
    n_rejected = 0
    n_singular = 0
    n_non_finite = 0
    last_rejected = False
    jac_current = False
    while isave < n_save:
        t_stop = t_end
        if idose < n_dose and dose_t[idose] <= t_end:
            t_stop = dose_t[idose]
        if stop_at_saves and t_save[isave] < t_stop:
            t_stop = t_save[isave]
        if armed and t_check < t_stop:
            t_stop = t_check
        if n_steps + n_rejected >= max_steps:
            status = TOO_MANY_STEPS
            break
        # Steps below rounding of the time scale are meaningless: arrive instead (a stop that
        # close), or report underflow (a proposed step that small).
        h_min = 16.0 * 2.220446049250313e-16 * max(abs(t), abs(t_stop), t_end - t0)
        remaining = t_stop - t
        if remaining <= h_min:
            t = t_stop
            rhs(t, y, p, f0)
            jac_current = False
        else:
            if h < h_min:
                status = STEP_UNDERFLOW
                break
            # Stretch a step by up to 1% rather than leave a sliver before the stop.
            reach = remaining <= 1.01 * h
            hstep = remaining if reach else h

            if stiff:
                if not jac_current:
                    if not jac_structure:
                        # The positions jac writes (the same at every call), found once: those
                        # it sets over a NaN background or to non-zero over a zero one. Later
                        # calls rewrite exactly these, so J is never cleared again.
                        for i in range(n):
                            for j in range(n):
                                J[i, j] = math.nan
                                E[i, j] = 0.0
                        jac(t, y, p, J)
                        jac(t, y, p, E)
                        written = np.empty((n, n), dtype=np.bool_)
                        for i in range(n):
                            for j in range(n):
                                written[i, j] = not math.isnan(J[i, j]) or E[i, j] != 0.0
                                J[i, j] = E[i, j]
                        _lu_set_structure(written, lu)
                        jac_structure = True
                    else:
                        jac(t, y, p, J)
                    dfdt(t, y, p, fx)
                    _exact_jacobian(y, lin_idx, lin_src, lin_k, lin_a, J, fx)
                    # inf/NaN in J or fx surfaces in the factorization or the error norm.
                    jac_current = True
                if not _rodas4_step(
                    t, hstep, y, f0, fx, J, E, lu, p, K, ynew, tmp, lin_idx, lin_src, lin_k, lin_a
                ):
                    n_rejected += 1
                    n_singular += 1
                    if n_singular >= _MAX_SINGULAR:
                        status = SINGULAR
                        break
                    h = 0.5 * hstep
                    last_rejected = True
                    continue
                n_singular = 0
                err = _error_norm(K[5], y, ynew, rtol, atol)
            else:
                _dopri5_step(
                    t, hstep, y, f0, p, K, ynew, fnew, tmp, errv, lin_idx, lin_src, lin_k, lin_a
                )
                err = _error_norm(errv, y, ynew, rtol, atol)

            finite = math.isfinite(err) and _all_finite(ynew)
            if finite and fixed:
                err = 0.0
            if finite and err > 1.0:
                n_rejected += 1
                h = hstep * max(_FAC_MIN, _SAFETY * err ** (-1.0 / err_order))
                last_rejected = True
                continue

            t_new = t_stop if reach else t + hstep
            passed = False
            if finite and not armed and t_check < t_new:
                # A checkpoint inside the step: retake the step to end there if the rule may act.
                need = _needs_checkpoint(y, extinct_idx, arm_at)
                need = need or _needs_checkpoint(ynew, extinct_idx, arm_at)
                if not need:
                    if stiff:
                        _dense_rodas4(K, da, db)
                    else:
                        _dense_dopri5(hstep, y, ynew, f0, fnew, K, da, db, dc)
                    tc = t_check
                    jc = ic
                    while not need and tc < t_new:
                        _interpolate((tc - t) / hstep, y, ynew, da, db, dc, yi)
                        need = _needs_checkpoint(yi, extinct_idx, arm_at)
                        jc += 1
                        tc = jc * extinct_every
                if need:
                    armed = True
                    n_rejected += 1
                    h = hstep
                    continue
                if branching:
                    # The last checkpoint passed starts the next interval (once the step stands).
                    passed = True
                    t_pass = (jc - 1) * extinct_every
                    _set_exact(yi, y, lin_idx, lin_src, lin_k, lin_a, t_pass - t)
                    for i in range(n):
                        y_pass[i] = max(yi[i], 0.0)
                # The rule changes nothing at the checkpoints inside the step: pass them.
                while t_check < t_new:
                    ic += 1
                    t_check = ic * extinct_every
                if t_check > t_end:
                    t_check = math.inf
            if finite:
                changed = _clip(ynew, clip_negative)
                if stiff or changed:
                    rhs(t_new, ynew, p, fnew)
                finite = _all_finite(fnew)
            if not finite:
                # Often an overlong step into a region where the model is undefined: retry
                # shorter, and report only if that keeps happening.
                n_rejected += 1
                n_non_finite += 1
                if n_non_finite >= _MAX_NON_FINITE:
                    status = NON_FINITE
                    break
                h = 0.25 * hstep
                last_rejected = True
                continue

            n_steps += 1
            n_non_finite = 0
            if passed:
                t_ck = t_pass
                for i in range(n):
                    y_ck[i] = y_pass[i]
            if isave < n_save and t_save[isave] < t_new:
                if stiff:
                    _dense_rodas4(K, da, db)
                else:
                    _dense_dopri5(hstep, y, ynew, f0, fnew, K, da, db, dc)
            while isave < n_save and t_save[isave] < t_new:
                theta = (t_save[isave] - t) / hstep
                _interpolate(theta, y, ynew, da, db, dc, yi)
                _set_exact(yi, y, lin_idx, lin_src, lin_k, lin_a, theta * hstep)
                if clip_negative:
                    for i in range(n):
                        if yi[i] < 0.0:
                            yi[i] = 0.0
                observe(t_save[isave], yi, p, obs_out[isave])
                isave += 1
            for i in range(n):
                y[i] = ynew[i]
                f0[i] = fnew[i]
            t = t_new
            jac_current = False

            if fixed:
                h = min(h0, hmax)
            else:
                if err == 0.0:
                    fac = fac_max
                else:
                    fac = min(fac_max, max(_FAC_MIN, _SAFETY * err ** (-1.0 / err_order)))
                if last_rejected:
                    fac = min(fac, 1.0)
                h_next = hstep * fac
                if reach:
                    # A step shortened to land on a stop says little about the right size.
                    h_next = max(h_next, h)
                h = min(h_next, hmax)
            last_rejected = False

        if t == t_stop and idose < n_dose and dose_t[idose] <= t:
            while idose < n_dose and dose_t[idose] <= t:
                y[dose_state[idose]] += dose_amount[idose]
                # A dose into a small population joins it as individuals of the interval.
                y_ck[dose_state[idose]] += dose_amount[idose]
                idose += 1
            _clip(y, clip_negative)
            rhs(t, y, p, f0)
            jac_current = False
            if not _all_finite(f0):
                status = NON_FINITE
                break
        if t >= t_check:
            # On a checkpoint (at a stop, armed or not): the small-population rule. Stay armed
            # while a population was small here: one rounded to 0 is often fed again.
            armed = _needs_checkpoint(y, extinct_idx, arm_at)
            if branching:
                changed = _branch_small(
                    y,
                    t,
                    y_ck,
                    t_ck,
                    p,
                    extinct_idx,
                    extinct_threshold,
                    extinct_small,
                    key,
                    ic,
                    ck_work,
                    ck_rates,
                )
            else:
                changed = _round_small(y, extinct_idx, extinct_threshold, key, ic)
            if changed:
                rhs(t, y, p, f0)
                jac_current = False
            for i in range(n):
                y_ck[i] = y[i]
            t_ck = t
            ic += 1
            t_check = ic * extinct_every
            if t_check > t_end:
                t_check = math.inf
        while isave < n_save and t_save[isave] <= t:
            observe(t, y, p, obs_out[isave])
            isave += 1

    if status != SUCCESS:
        _fail(obs_out, isave, y_final)
        return status, n_steps, n_rejected
    for i in range(n):
        y_final[i] = y[i]
    return SUCCESS, n_steps, n_rejected


@njit(cache=True, parallel=True, error_model="numpy")
def solve_cohort_exact(
    Y0,
    P,
    t0,
    t_save,
    dose_ptr,
    dose_t,
    dose_state,
    dose_amount,
    extinct_idx,
    extinct_threshold,
    extinct_every,
    extinct_small,
    keys,
    method,
    rtol,
    atol,
    h0,
    hmax,
    max_steps,
    clip_negative,
    lin_idx,
    lin_src,
    lin_k,
    lin_a,
):
    """Integrate every patient (rows of Y0, P) in parallel; doses in CSR form by `dose_ptr`.

    `t_save` is (n_pat, n_save): each patient has its own save times. States `lin_idx` take
    their closed form, with `lin_k` and `lin_a` of shape (n_pat, len(lin_idx)) (see `integrate`).
    `keys[i]` (uint64) seeds patient i's small-population rule (see `integrate`).
    Returns (obs[n_pat, n_save, N_OBS], y_final[n_pat, N_STATES], status, n_steps, n_rejected).
    """
    n_pat = Y0.shape[0]
    n_save = t_save.shape[1]
    n_dose = dose_t.shape[0]
    obs = np.empty((n_pat, n_save, N_OBS))
    y_final = np.empty((n_pat, Y0.shape[1]))
    status = np.empty(n_pat, dtype=np.int64)
    n_steps = np.zeros(n_pat, dtype=np.int64)
    n_rejected = np.zeros(n_pat, dtype=np.int64)
    shapes_ok = P.shape[0] == n_pat and dose_ptr.shape[0] == n_pat + 1 and t_save.shape[0] == n_pat
    shapes_ok = shapes_ok and keys.shape[0] == n_pat
    if shapes_ok:
        shapes_ok = dose_state.shape[0] == n_dose and dose_amount.shape[0] == n_dose
    if not shapes_ok:
        obs[:] = np.nan
        y_final[:] = np.nan
        status[:] = INVALID_INPUT
        return obs, y_final, status, n_steps, n_rejected
    for i in prange(n_pat):
        a = dose_ptr[i]
        b = dose_ptr[i + 1]
        if a < 0 or b < a or b > n_dose:
            _fail(obs[i], 0, y_final[i])
            status[i] = INVALID_INPUT
            continue
        s, ns, nr = integrate(
            Y0[i],
            P[i],
            t0,
            t_save[i],
            dose_t[a:b],
            dose_state[a:b],
            dose_amount[a:b],
            extinct_idx,
            extinct_threshold,
            extinct_every,
            extinct_small,
            keys[i],
            method,
            rtol,
            atol,
            h0,
            hmax,
            max_steps,
            clip_negative,
            obs[i],
            y_final[i],
            lin_idx,
            lin_src,
            lin_k[i],
            lin_a[i],
        )
        status[i] = s
        n_steps[i] = ns
        n_rejected[i] = nr
    return obs, y_final, status, n_steps, n_rejected


@njit(cache=True, error_model="numpy")
def solve_cohort(
    Y0,
    P,
    t0,
    t_save,
    dose_ptr,
    dose_t,
    dose_state,
    dose_amount,
    extinct_idx,
    extinct_threshold,
    extinct_every,
    extinct_small,
    keys,
    method,
    rtol,
    atol,
    h0,
    hmax,
    max_steps,
    clip_negative,
):
    """`solve_cohort_exact` without closed-form states (every state integrated by the method).

    Returns (obs[n_pat, n_save, N_OBS], y_final[n_pat, N_STATES], status, n_steps, n_rejected).
    """
    none = np.zeros(0, dtype=np.int64)
    rates = np.zeros((Y0.shape[0], 0))
    return solve_cohort_exact(
        Y0,
        P,
        t0,
        t_save,
        dose_ptr,
        dose_t,
        dose_state,
        dose_amount,
        extinct_idx,
        extinct_threshold,
        extinct_every,
        extinct_small,
        keys,
        method,
        rtol,
        atol,
        h0,
        hmax,
        max_steps,
        clip_negative,
        none,
        none,
        rates,
        rates,
    )

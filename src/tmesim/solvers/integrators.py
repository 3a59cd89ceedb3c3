"""ODE integrators compiled together with a model: Rodas4 (stiff) and Dormand–Prince 5(4).

This file is source text for `tmesim.solvers.kernel.build_kernel`, which pastes it after a
model's `rhs`, `jac`, `dfdt`, `observe` and `N_STATES`/`N_PARAMS`/`N_OBS`, so that numba compiles
the model and the integrator as one unit (the model's functions inline into the stages). The
import of `_model_stub` below only keeps this module valid on its own; the builder removes it.

Entry points (both compiled with `@njit(cache=True)`):

* `integrate` — one patient: adaptive steps, doses as exact stops, dense output at save times,
  extinction of populations below a threshold; returns (status, accepted, rejected).
* `solve_cohort` — many patients in parallel (`prange`), each independent, so results do not
  depend on the number of threads.

Status codes are the values of `tmesim.solvers.status.SolverStatus`.
"""

import math

import numpy as np
from numba import njit, prange

# <model-stub> build_kernel removes this block; the model's own definitions stand in its place.
from tmesim.solvers._model_stub import N_OBS, N_PARAMS, N_STATES, dfdt, jac, observe, rhs

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
# never f at a computed point, so it stays accurate on stiff components (f(y1) would amplify the
# error of y1 by the stiffness).
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


@njit(cache=True, error_model="numpy")
def _lu_factor(a, piv):
    """LU with partial pivoting in place (row swaps recorded in `piv`); False if singular."""
    n = a.shape[0]
    for k in range(n):
        p = k
        amax = abs(a[k, k])
        for i in range(k + 1, n):
            v = abs(a[i, k])
            if v > amax:
                amax = v
                p = i
        piv[k] = p
        if amax == 0.0 or not math.isfinite(amax):
            return False
        if p != k:
            for j in range(n):
                tmp = a[k, j]
                a[k, j] = a[p, j]
                a[p, j] = tmp
        inv = 1.0 / a[k, k]
        for i in range(k + 1, n):
            lik = a[i, k] * inv
            a[i, k] = lik
            # Model Jacobians are sparse: skipping zero multipliers saves most of the work.
            if lik != 0.0:
                for j in range(k + 1, n):
                    a[i, j] -= lik * a[k, j]
    return True


@njit(cache=True, error_model="numpy")
def _lu_solve(a, piv, b):
    """Solve in place with the factors from `_lu_factor`."""
    n = a.shape[0]
    for k in range(n):
        p = piv[k]
        if p != k:
            tmp = b[k]
            b[k] = b[p]
            b[p] = tmp
    for i in range(n):
        s = b[i]
        for j in range(i):
            s -= a[i, j] * b[j]
        b[i] = s
    for i in range(n - 1, -1, -1):
        s = b[i]
        for j in range(i + 1, n):
            s -= a[i, j] * b[j]
        b[i] = s / a[i, i]


@njit(cache=True, error_model="numpy")
def _all_finite(x):
    for i in range(x.shape[0]):
        if not math.isfinite(x[i]):
            return False
    return True


@njit(cache=True, error_model="numpy")
def _all_finite_2d(x):
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            if not math.isfinite(x[i, j]):
                return False
    return True


@njit(cache=True, error_model="numpy")
def _error_norm(err, y, ynew, rtol, atol):
    """RMS of err_i / (atol + rtol * max(|y_i|, |ynew_i|))."""
    n = err.shape[0]
    s = 0.0
    for i in range(n):
        sk = atol + rtol * max(abs(y[i]), abs(ynew[i]))
        r = err[i] / sk
        s += r * r
    return math.sqrt(s / n)


@njit(cache=True, error_model="numpy")
def _apply_floor(y, extinct_idx, threshold, clip_negative):
    """Zero negative states (if asked) and extinct populations; True if anything changed."""
    changed = False
    if clip_negative:
        for i in range(y.shape[0]):
            if y[i] < 0.0:
                y[i] = 0.0
                changed = True
    for k in range(extinct_idx.shape[0]):
        i = extinct_idx[k]
        if y[i] != 0.0 and y[i] < threshold:
            y[i] = 0.0
            changed = True
    return changed


@njit(cache=True, error_model="numpy")
def _rodas4_step(t, h, y, f0, fx, J, E, piv, p, K, ynew, tmp):
    """One Rodas4 step from (t, y); the error estimate is left in K[5]; False if W is singular."""
    n = y.shape[0]
    fac = 1.0 / (h * _R_GAMMA)
    for i in range(n):
        for j in range(n):
            E[i, j] = -J[i, j]
        E[i, i] += fac
    if not _lu_factor(E, piv):
        return False
    hinv = 1.0 / h
    k1 = K[0]
    k2 = K[1]
    k3 = K[2]
    k4 = K[3]
    k5 = K[4]
    k6 = K[5]

    for i in range(n):
        k1[i] = f0[i] + h * _R_D1 * fx[i]
    _lu_solve(E, piv, k1)

    for i in range(n):
        ynew[i] = y[i] + _R_A21 * k1[i]
    rhs(t + _R_C2 * h, ynew, p, tmp)
    for i in range(n):
        k2[i] = tmp[i] + h * _R_D2 * fx[i] + hinv * (_R_C21 * k1[i])
    _lu_solve(E, piv, k2)

    for i in range(n):
        ynew[i] = y[i] + _R_A31 * k1[i] + _R_A32 * k2[i]
    rhs(t + _R_C3 * h, ynew, p, tmp)
    for i in range(n):
        k3[i] = tmp[i] + h * _R_D3 * fx[i] + hinv * (_R_C31 * k1[i] + _R_C32 * k2[i])
    _lu_solve(E, piv, k3)

    for i in range(n):
        ynew[i] = y[i] + _R_A41 * k1[i] + _R_A42 * k2[i] + _R_A43 * k3[i]
    rhs(t + _R_C4 * h, ynew, p, tmp)
    for i in range(n):
        k4[i] = (
            tmp[i]
            + h * _R_D4 * fx[i]
            + hinv * (_R_C41 * k1[i] + _R_C42 * k2[i] + _R_C43 * k3[i])
        )
    _lu_solve(E, piv, k4)

    for i in range(n):
        ynew[i] = y[i] + _R_A51 * k1[i] + _R_A52 * k2[i] + _R_A53 * k3[i] + _R_A54 * k4[i]
    rhs(t + h, ynew, p, tmp)
    for i in range(n):
        k5[i] = tmp[i] + hinv * (
            _R_C51 * k1[i] + _R_C52 * k2[i] + _R_C53 * k3[i] + _R_C54 * k4[i]
        )
    _lu_solve(E, piv, k5)

    # Embedded (order 3) solution; the last stage evaluates f there, which is what makes the
    # pair stiffly accurate.
    for i in range(n):
        ynew[i] += k5[i]
    rhs(t + h, ynew, p, tmp)
    for i in range(n):
        k6[i] = tmp[i] + hinv * (
            _R_C61 * k1[i] + _R_C62 * k2[i] + _R_C63 * k3[i] + _R_C64 * k4[i] + _R_C65 * k5[i]
        )
    _lu_solve(E, piv, k6)
    for i in range(n):
        ynew[i] += k6[i]
    return True


@njit(cache=True, error_model="numpy")
def _dopri5_step(t, h, y, f0, p, K, ynew, fnew, ytmp, err):
    """One Dormand–Prince step from (t, y) with f0 = f(t, y); f(t+h, ynew) goes to `fnew`."""
    n = y.shape[0]
    k2 = K[1]
    k3 = K[2]
    k4 = K[3]
    k5 = K[4]
    k6 = K[5]
    for i in range(n):
        ytmp[i] = y[i] + h * (_D_A21 * f0[i])
    rhs(t + _D_C2 * h, ytmp, p, k2)
    for i in range(n):
        ytmp[i] = y[i] + h * (_D_A31 * f0[i] + _D_A32 * k2[i])
    rhs(t + _D_C3 * h, ytmp, p, k3)
    for i in range(n):
        ytmp[i] = y[i] + h * (_D_A41 * f0[i] + _D_A42 * k2[i] + _D_A43 * k3[i])
    rhs(t + _D_C4 * h, ytmp, p, k4)
    for i in range(n):
        ytmp[i] = y[i] + h * (_D_A51 * f0[i] + _D_A52 * k2[i] + _D_A53 * k3[i] + _D_A54 * k4[i])
    rhs(t + _D_C5 * h, ytmp, p, k5)
    for i in range(n):
        ytmp[i] = y[i] + h * (
            _D_A61 * f0[i] + _D_A62 * k2[i] + _D_A63 * k3[i] + _D_A64 * k4[i] + _D_A65 * k5[i]
        )
    rhs(t + h, ytmp, p, k6)
    for i in range(n):
        ynew[i] = y[i] + h * (
            _D_B1 * f0[i] + _D_B3 * k3[i] + _D_B4 * k4[i] + _D_B5 * k5[i] + _D_B6 * k6[i]
        )
    rhs(t + h, ynew, p, fnew)
    for i in range(n):
        err[i] = h * (
            _D_E1 * f0[i]
            + _D_E3 * k3[i]
            + _D_E4 * k4[i]
            + _D_E5 * k5[i]
            + _D_E6 * k6[i]
            + _D_E7 * fnew[i]
        )


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
        out[i] = y0[i] + theta * (d + (1.0 - theta) * (da[i] + theta * (db[i] + (1.0 - theta) * dc[i])))


@njit(cache=True, error_model="numpy")
def _initial_step(t, y, f0, p, order, rtol, atol, h_limit, ytmp, ftmp):
    """Starting step after Hairer, Norsett & Wanner, Solving ODEs I, Sect. II.4."""
    n = y.shape[0]
    dnf = 0.0
    dny = 0.0
    for i in range(n):
        sk = atol + rtol * abs(y[i])
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
        sk = atol + rtol * abs(y[i])
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
    if not (rtol > 0.0 and atol > 0.0 and hmax > 0.0 and h0 >= 0.0 and max_steps > 0):
        return INVALID_INPUT
    if not (math.isfinite(t0) and math.isfinite(rtol) and math.isfinite(atol)):
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
    method,
    rtol,
    atol,
    h0,
    hmax,
    max_steps,
    clip_negative,
    obs_out,
    y_final,
):
    """Integrate one patient from t0 and fill `obs_out` at `t_save`; return (status, steps, rejected).

    Steps stop exactly at doses (values saved at a dose time are after the dose); save times are
    served by dense output, or are stops too with STOP_AT_SAVES. `method` is RODAS4 or DOPRI5,
    plus the flags FIXED_STEP (steps of exactly `h0`, no error control) and STOP_AT_SAVES.
    `max_steps` bounds accepted plus rejected steps. On failure the unfilled rows of `obs_out`
    and `y_final` are NaN.
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
    J = np.empty((m, m))
    E = np.empty((m, m))
    piv = np.empty(m, dtype=np.int64)

    for i in range(n):
        y[i] = y0[i]
    t = t0
    t_end = t_save[n_save - 1]
    idose = 0
    while idose < n_dose and dose_t[idose] <= t:
        y[dose_state[idose]] += dose_amount[idose]
        idose += 1
    _apply_floor(y, extinct_idx, extinct_threshold, clip_negative)
    rhs(t, y, p, f0)
    if not _all_finite(f0):
        _fail(obs_out, 0, y_final)
        return NON_FINITE, 0, 0
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
        if n_steps + n_rejected >= max_steps:
            status = TOO_MANY_STEPS
            break
        h_min = 16.0 * 2.220446049250313e-16 * max(abs(t), abs(t_stop))
        remaining = t_stop - t
        if remaining <= h_min:
            # A stop closer than rounding: arrive there without a step.
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
                    for i in range(n):
                        for j in range(n):
                            J[i, j] = 0.0
                    jac(t, y, p, J)
                    dfdt(t, y, p, fx)
                    if not (_all_finite_2d(J) and _all_finite(fx)):
                        status = NON_FINITE
                        break
                    jac_current = True
                if not _rodas4_step(t, hstep, y, f0, fx, J, E, piv, p, K, ynew, tmp):
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
                _dopri5_step(t, hstep, y, f0, p, K, ynew, fnew, tmp, errv)
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
            if finite:
                changed = _apply_floor(ynew, extinct_idx, extinct_threshold, clip_negative)
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
            if isave < n_save and t_save[isave] < t_new:
                if stiff:
                    _dense_rodas4(K, da, db)
                else:
                    _dense_dopri5(hstep, y, ynew, f0, fnew, K, da, db, dc)
            while isave < n_save and t_save[isave] < t_new:
                theta = (t_save[isave] - t) / hstep
                _interpolate(theta, y, ynew, da, db, dc, yi)
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
                idose += 1
            _apply_floor(y, extinct_idx, extinct_threshold, clip_negative)
            rhs(t, y, p, f0)
            jac_current = False
            if not _all_finite(f0):
                status = NON_FINITE
                break
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
    method,
    rtol,
    atol,
    h0,
    hmax,
    max_steps,
    clip_negative,
):
    """Integrate every patient (rows of Y0, P) in parallel; doses in CSR form by `dose_ptr`.

    Returns (obs[n_pat, n_save, N_OBS], y_final[n_pat, N_STATES], status, n_steps, n_rejected).
    """
    n_pat = Y0.shape[0]
    n_save = t_save.shape[0]
    n_dose = dose_t.shape[0]
    obs = np.empty((n_pat, n_save, N_OBS))
    y_final = np.empty((n_pat, Y0.shape[1]))
    status = np.empty(n_pat, dtype=np.int64)
    n_steps = np.zeros(n_pat, dtype=np.int64)
    n_rejected = np.zeros(n_pat, dtype=np.int64)
    shapes_ok = P.shape[0] == n_pat and dose_ptr.shape[0] == n_pat + 1
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
            t_save,
            dose_t[a:b],
            dose_state[a:b],
            dose_amount[a:b],
            extinct_idx,
            extinct_threshold,
            method,
            rtol,
            atol,
            h0,
            hmax,
            max_steps,
            clip_negative,
            obs[i],
            y_final[i],
        )
        status[i] = s
        n_steps[i] = ns
        n_rejected[i] = nr
    return obs, y_final, status, n_steps, n_rejected

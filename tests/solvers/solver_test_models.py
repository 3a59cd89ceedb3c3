"""The test model compiled with the integrators (see conftest.py), and helpers to use it.

Three independent systems share one kernel, so that the test suite compiles only once (about
20 s without numba's cache); each system rests at 0 when its states start there, so a test
runs the one it needs and leaves the others at rest.

* States 0-1, parameters 0-5 = [a00, a01, a10, a11, forcing, quad]:
      y0' = a00 y0 + a01 y1 + forcing (cos t - a00 sin t) + quad y0^2
      y1' = a10 y0 + a11 y1
  With forcing = quad = 0 it is linear with a closed-form solution (decay, rotation with decay,
  elimination of a drug). forcing = 1 with a01 = a10 = 0 gives Prothero-Robinson
  y0' = L (y0 - sin t) + cos t, L = a00, whose solution from y0(0) = 0 is sin t (this needs
  dfdt). quad = 1 with a00 = 0 gives the blow-up y0' = y0^2.
* States 2-3, parameter 6 = mu: Van der Pol y'' = mu (1 - y^2) y' - y (stiff for large mu).
* States 4-6, parameters 7-9 = [k1, k2, k3]: Robertson's chemical kinetics.
"""

from __future__ import annotations

from collections.abc import Sequence

N_STATES = 7
N_PARAMS = 10

SOURCE = """
N_STATES = 7
N_PARAMS = 10
N_OBS = 7


@njit(cache=True)
def rhs(t, y, p, dydt):
    forcing = p[4] * (math.cos(t) - p[0] * math.sin(t))
    dydt[0] = p[0] * y[0] + p[1] * y[1] + forcing + p[5] * y[0] * y[0]
    dydt[1] = p[2] * y[0] + p[3] * y[1]
    dydt[2] = y[3]
    dydt[3] = p[6] * (1.0 - y[2] * y[2]) * y[3] - y[2]
    dydt[4] = -p[7] * y[4] + p[9] * y[5] * y[6]
    dydt[5] = p[7] * y[4] - p[9] * y[5] * y[6] - p[8] * y[5] * y[5]
    dydt[6] = p[8] * y[5] * y[5]


@njit(cache=True)
def jac(t, y, p, J):
    J[0, 0] = p[0] + 2.0 * p[5] * y[0]
    J[0, 1] = p[1]
    J[1, 0] = p[2]
    J[1, 1] = p[3]
    J[2, 3] = 1.0
    J[3, 2] = -2.0 * p[6] * y[2] * y[3] - 1.0
    J[3, 3] = p[6] * (1.0 - y[2] * y[2])
    J[4, 4] = -p[7]
    J[4, 5] = p[9] * y[6]
    J[4, 6] = p[9] * y[5]
    J[5, 4] = p[7]
    J[5, 5] = -p[9] * y[6] - 2.0 * p[8] * y[5]
    J[5, 6] = -p[9] * y[5]
    J[6, 5] = 2.0 * p[8] * y[5]


@njit(cache=True)
def dfdt(t, y, p, out):
    out[0] = p[4] * (-math.sin(t) - p[0] * math.cos(t))
    for i in range(1, 7):
        out[i] = 0.0


@njit(cache=True)
def observe(t, y, p, out):
    for i in range(7):
        out[i] = y[i]
"""

LINEAR = slice(0, 2)
VAN_DER_POL = slice(2, 4)
ROBERTSON = slice(4, 7)


def linear(y: Sequence[float], p: Sequence[float]) -> tuple[list[float], list[float]]:
    """Initial state and parameters of one patient of the first system (others at rest)."""
    assert len(y) == 2 and len(p) == 6
    return [*y, 0.0, 0.0, 0.0, 0.0, 0.0], [*p, 0.0, 0.0, 0.0, 0.0]


def van_der_pol(y: Sequence[float], mu: float) -> tuple[list[float], list[float]]:
    """Initial state and parameters of a Van der Pol patient (others at rest)."""
    return [0.0, 0.0, *y, 0.0, 0.0, 0.0], [0.0] * 6 + [mu, 0.0, 0.0, 0.0]


def robertson(y: Sequence[float], k: Sequence[float]) -> tuple[list[float], list[float]]:
    """Initial state and parameters of a Robertson patient (others at rest)."""
    return [0.0, 0.0, 0.0, 0.0, *y], [0.0] * 7 + list(k)


def cohort(
    patients: Sequence[tuple[list[float], list[float]]],
) -> tuple[list[list[float]], list[list[float]]]:
    """Stack (y, p) pairs into the Y0 and P arguments of `solve`."""
    return [y for y, _ in patients], [p for _, p in patients]

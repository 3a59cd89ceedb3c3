"""Stand-ins for a model's compiled functions, so that `integrators.py` is valid on its own.

`build_kernel` removes the import of this module from the integrator source and puts the real
model (the functions `rhs`, `jac`, `dfdt`, `observe` and the sizes) in its place. Nothing calls
these stand-ins in a simulation.
"""

import math

from numba import njit

N_STATES = 1
N_PARAMS = 1
N_OBS = 1


@njit(cache=True)
def rhs(t, y, p, dydt):
    """Stand-in right-hand side: dy/dt = 0."""
    for i in range(dydt.shape[0]):
        dydt[i] = 0.0


@njit(cache=True)
def jac(t, y, p, J):
    """Stand-in Jacobian: all zeros."""
    for i in range(J.shape[0]):
        for j in range(J.shape[1]):
            J[i, j] = 0.0


@njit(cache=True)
def dfdt(t, y, p, out):
    """Stand-in time derivative of the right-hand side: all zeros."""
    for i in range(out.shape[0]):
        out[i] = 0.0


@njit(cache=True)
def observe(t, y, p, out):
    """Stand-in observables: the first state."""
    out[0] = y[0]


@njit(cache=True)
def demography(t, y, p, birth, death, inflow):
    """Stand-in births, deaths and inflows: none declared (NaN)."""
    for i in range(birth.shape[0]):
        birth[i] = math.nan
        death[i] = math.nan
        inflow[i] = math.nan

"""Source text of the small test models compiled with the integrators (see conftest.py).

Each defines rhs, jac, observe (and dfdt when time-dependent) in the form the kernel builder
expects from the code generator.
"""

# dy0/dt = a00 y0 + a01 y1 + forcing * (cos t - a00 sin t) + quad * y0^2
# dy1/dt = a10 y0 + a11 y1
# p = [a00, a01, a10, a11, forcing, quad]. With forcing = quad = 0 it is a linear system with a
# closed-form solution (decay, rotation with decay, elimination of a drug); forcing = 1,
# a01 = a10 = 0 gives Prothero-Robinson y0' = L (y0 - sin t) + cos t with L = a00, whose
# solution from y0(0) = 0 is sin t; quad = 1 with a00 = 0 gives the blow-up y0' = y0^2.
LINEAR_SOURCE = """
N_STATES = 2
N_PARAMS = 6
N_OBS = 2


@njit(cache=True)
def rhs(t, y, p, dydt):
    forcing = p[4] * (math.cos(t) - p[0] * math.sin(t))
    dydt[0] = p[0] * y[0] + p[1] * y[1] + forcing + p[5] * y[0] * y[0]
    dydt[1] = p[2] * y[0] + p[3] * y[1]


@njit(cache=True)
def jac(t, y, p, J):
    J[0, 0] = p[0] + 2.0 * p[5] * y[0]
    J[0, 1] = p[1]
    J[1, 0] = p[2]
    J[1, 1] = p[3]


@njit(cache=True)
def dfdt(t, y, p, out):
    out[0] = p[4] * (-math.sin(t) - p[0] * math.cos(t))
    out[1] = 0.0


@njit(cache=True)
def observe(t, y, p, out):
    out[0] = y[0]
    out[1] = y[1]
"""

# Van der Pol oscillator, p = [mu]; stiff for large mu.
VDP_SOURCE = """
N_STATES = 2
N_PARAMS = 1
N_OBS = 2


@njit(cache=True)
def rhs(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = p[0] * ((1.0 - y[0] * y[0]) * y[1] - y[0])


@njit(cache=True)
def jac(t, y, p, J):
    J[0, 0] = 0.0
    J[0, 1] = 1.0
    J[1, 0] = p[0] * (-2.0 * y[0] * y[1] - 1.0)
    J[1, 1] = p[0] * (1.0 - y[0] * y[0])


@njit(cache=True)
def observe(t, y, p, out):
    out[0] = y[0]
    out[1] = y[1]
"""

# Robertson's chemical kinetics, p = [k1, k2, k3] = [0.04, 3e7, 1e4].
ROBERTSON_SOURCE = """
N_STATES = 3
N_PARAMS = 3
N_OBS = 3


@njit(cache=True)
def rhs(t, y, p, dydt):
    dydt[0] = -p[0] * y[0] + p[2] * y[1] * y[2]
    dydt[1] = p[0] * y[0] - p[2] * y[1] * y[2] - p[1] * y[1] * y[1]
    dydt[2] = p[1] * y[1] * y[1]


@njit(cache=True)
def jac(t, y, p, J):
    J[0, 0] = -p[0]
    J[0, 1] = p[2] * y[2]
    J[0, 2] = p[2] * y[1]
    J[1, 0] = p[0]
    J[1, 1] = -p[2] * y[2] - 2.0 * p[1] * y[1]
    J[1, 2] = -p[2] * y[1]
    J[2, 0] = 0.0
    J[2, 1] = 2.0 * p[1] * y[1]
    J[2, 2] = 0.0


@njit(cache=True)
def observe(t, y, p, out):
    out[0] = y[0]
    out[1] = y[1]
    out[2] = y[2]
"""

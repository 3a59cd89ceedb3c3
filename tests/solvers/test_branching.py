"""Small populations follow the exact law of their linear birth–death process at checkpoints.

A one-state model x' = (b - d) x + I declares its births b·x, deaths d·x and inflow I
(`demography`), so the solver replaces a population below `stochastic_threshold` at each
checkpoint by a draw of the branching process. For constant rates the probability that n cells
have no descendant at t is α(t)^n with α(t) = d (e^(rt) - 1)/(b e^(rt) - d), r = b - d
(Kendall 1948, Ann Math Stat 19:1), tending to (d/b)^n; the mean stays n e^(rt).
"""

from __future__ import annotations

from types import ModuleType

import numba
import numpy as np
import pytest

from tmesim.solvers import SolverSettings, build_kernel, solve
from tmesim.solvers.integrators import descendants

SOURCE = """
N_STATES = 1
N_PARAMS = 3
N_OBS = 1


@njit(cache=True)
def rhs(t, y, p, dydt):
    dydt[0] = (p[0] - p[1]) * y[0] + p[2]


@njit(cache=True)
def jac(t, y, p, J):
    J[0, 0] = p[0] - p[1]


@njit(cache=True)
def observe(t, y, p, out):
    out[0] = y[0]


@njit(cache=True)
def demography(t, y, p, birth, death, inflow):
    birth[0] = p[0] * y[0]
    death[0] = p[1] * y[0]
    inflow[0] = p[2]
"""


@pytest.fixture(scope="module")
def bd_kernel() -> ModuleType:
    return build_kernel(SOURCE, "birth_death_tests")


def alpha(b: float, d: float, t: float) -> float:
    """Extinction probability by t of one cell of a linear birth–death process."""
    if b == d:
        return b * t / (1 + b * t)
    m = np.exp((b - d) * t)
    return d * (m - 1) / (b * m - d)


def run(kernel: ModuleType, n: int, x0: float, rates: tuple, t_save, **settings):
    Y0 = np.full((n, 1), x0)
    P = np.tile(np.array(rates, dtype=float), (n, 1))
    sol = solve(
        kernel,
        Y0,
        P,
        0.0,
        np.asarray(t_save, dtype=float),
        None,
        [0],
        SolverSettings(**settings),
        keys=np.arange(n, dtype=np.uint64) * 104729 + 17,
    )
    assert np.all(sol.status == 0)
    return sol.observables[:, :, 0]


def within(share: float, p: float, n: int, z: float = 4.0) -> bool:
    return abs(share - p) <= z * np.sqrt(max(p * (1 - p), 1.0 / n) / n)


@pytest.mark.parametrize("b, d, n0", [(1.0, 0.6, 3), (0.5, 0.4, 5), (0.3, 0.3, 2)])
def test_extinction_follows_the_birth_death_law(
    bd_kernel: ModuleType, b: float, d: float, n0: int
) -> None:
    n = 3000
    t_save = [0.0, 1.0, 4.0, 40.0]
    x = run(bd_kernel, n, float(n0), (b, d, 0.0), t_save)
    for k, t in enumerate(t_save[1:], start=1):
        p = alpha(b, d, t) ** n0
        share = np.mean(x[:, k] == 0.0)
        assert within(share, p, n), (t, share, p)
    if b > d:
        # Ultimate extinction, (d/b)^n, is almost reached by day 40.
        assert within(np.mean(x[:, -1] == 0.0), (d / b) ** n0, n)
    # The mean is the ODE's, n e^(rt), while every population is small (day 1).
    mean, sd = x[:, 1].mean(), x[:, 1].std()
    assert abs(mean - n0 * np.exp(b - d)) < 4 * sd / np.sqrt(n)
    # Populations below the threshold are whole cells; the extinct stay extinct.
    small = x < 100.0
    assert np.all(x[small] == np.round(x[small]))
    assert not np.any((x[:, 2] == 0.0) & (x[:, 3] > 0.0))


def test_the_law_does_not_depend_on_the_tolerance_or_the_interval(bd_kernel: ModuleType) -> None:
    n, rates, t_save = 3000, (0.8, 0.5, 0.0), [0.0, 6.0]
    shares = {}
    for rtol, interval in ((1e-6, 0.5), (1e-10, 0.5), (1e-6, 0.25)):
        x = run(bd_kernel, n, 4.0, rates, t_save, rtol=rtol, atol=1e-12,
                extinction_interval=interval)  # fmt: skip
        shares[(rtol, interval)] = np.mean(x[:, -1] == 0.0)
    p = alpha(0.8, 0.5, 6.0) ** 4
    for key, share in shares.items():
        assert within(share, p, n), (key, share, p)


def test_without_the_branching_law_growing_cells_never_die(bd_kernel: ModuleType) -> None:
    # The rounding rule alone keeps 3 cells with net growth alive: the defect this law fixes.
    x = run(bd_kernel, 500, 3.0, (1.0, 0.6, 0.0), [0.0, 20.0], stochastic_threshold=0.0)
    assert np.all(x[:, -1] > 3.0)


def test_immigrants_arrive_at_their_rate_and_may_die_out(bd_kernel: ModuleType) -> None:
    # An empty population fed at I cells/day, each arrival a lineage with b, d: the number of
    # surviving lineages at t is Poisson with mean I ∫ (1 - α(s)) ds over the arrival ages s.
    n, (b, d, inflow), t = 4000, (0.6, 0.5, 0.1), 3.0
    x = run(bd_kernel, n, 0.0, (b, d, inflow), [0.0, t])
    ages = np.linspace(0.0, t, 2001)
    survive = np.trapezoid([1 - alpha(b, d, s) for s in ages], ages)
    p_empty = np.exp(-inflow * survive)
    assert within(np.mean(x[:, -1] == 0.0), p_empty, n)
    mean_ode = inflow * np.expm1((b - d) * t) / (b - d)
    assert abs(x[:, -1].mean() - mean_ode) < 4 * x[:, -1].std() / np.sqrt(n)


def test_descendants_of_one_cell_have_the_published_law() -> None:
    rng = np.random.default_rng(3)
    b, d, tau = 2.0, 1.0, 0.7
    m = np.exp((b - d) * tau)
    draws = np.array([descendants(m, b, tau, u, v) for u, v in rng.random((40000, 2))])
    a = alpha(b, d, tau)
    assert within(np.mean(draws == 0), a, len(draws))
    assert abs(draws.mean() - m) < 4 * draws.std() / np.sqrt(len(draws))
    # Variance of a linear birth–death process from one cell: (b + d)/(b - d) m (m - 1).
    var = (b + d) / (b - d) * m * (m - 1)
    assert abs(draws.var() / var - 1) < 0.05


def test_draws_do_not_depend_on_the_thread_count(bd_kernel: ModuleType) -> None:
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has a single thread here (NUMBA_NUM_THREADS=1)")
    n = 200
    Y0 = np.full((n, 1), 3.0)
    P = np.tile([0.9, 0.6, 0.05], (n, 1))
    keys = np.arange(n, dtype=np.uint64) + 99
    runs = [
        solve(bd_kernel, Y0, P, 0.0, np.array([0.0, 5.0, 20.0]), None, [0], keys=keys, n_threads=k)
        for k in (1, 2)
    ]
    assert np.array_equal(runs[0].observables, runs[1].observables)
    assert 0 < np.mean(runs[0].observables[:, -1, 0] == 0) < 1

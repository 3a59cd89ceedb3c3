"""The sparse LU used by Rodas4 for W = fac I - J, checked against numpy's dense solver."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest
from numpy.typing import NDArray


def random_jacobian(rng: np.random.Generator, n: int, density: float) -> NDArray[np.float64]:
    J = np.where(rng.random((n, n)) < density, rng.normal(size=(n, n)), 0.0)
    # A few dense rows and columns, like the hub states of an immune model.
    for hub in rng.choice(n, size=max(1, n // 10), replace=False):
        J[hub, :] = rng.normal(size=n)
        J[:, hub] = rng.normal(size=n)
    return J


def check_solves(kernel: ModuleType, J: NDArray, fac: float, E: NDArray, lu: tuple) -> None:
    assert kernel._lu_factor(J, fac, E, lu)
    W = fac * np.eye(J.shape[0]) - J
    rng = np.random.default_rng(0)
    for _ in range(3):
        b = rng.normal(size=J.shape[0])
        x = b.copy()
        kernel._lu_solve(E, lu, x)
        np.testing.assert_allclose(x, np.linalg.solve(W, b), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("n", [1, 2, 7, 40])
def test_solutions_match_numpy_as_values_and_pattern_change(kernel: ModuleType, n: int) -> None:
    rng = np.random.default_rng(n)
    lu = kernel._new_lu(n)
    E = np.empty((n, n))
    J = random_jacobian(rng, n, 0.1)
    for fac in (100.0, 1.0, 0.01):  # from diagonally dominant to pivoting needed
        check_solves(kernel, J, fac, E, lu)
    # Same pattern, new values: the recorded elimination is reused.
    check_solves(kernel, np.where(J != 0.0, rng.normal(size=(n, n)), 0.0), 0.5, E, lu)
    # New non-zero positions: order and record are rebuilt.
    check_solves(kernel, random_jacobian(rng, n, 0.3), 0.5, E, lu)


def test_pivots_are_searched_again_when_a_recorded_one_becomes_small(
    kernel: ModuleType,
) -> None:
    n, fac = 6, 1.0
    rng = np.random.default_rng(3)
    J = np.diag(rng.uniform(-2.0, -1.0, n)) + np.diag(rng.uniform(0.5, 1.0, n - 1), -1)
    J[0, n - 1] = 0.7
    lu = kernel._new_lu(n)
    E = np.empty((n, n))
    check_solves(kernel, J, fac, E, lu)  # diagonal pivots are fine here
    # Now W's diagonal is zero: every diagonal pivot fails, row exchanges are required.
    J_bad = J.copy()
    J_bad[np.arange(n), np.arange(n)] = fac
    check_solves(kernel, J_bad, fac, E, lu)
    assert np.any(lu[0] != lu[7])  # some pivot rows differ from the diagonal ones


def test_a_singular_matrix_is_reported(kernel: ModuleType) -> None:
    n, fac = 4, 2.0
    J = np.diag(np.full(n, -1.0))
    J[1, 1] = fac  # row 1 of W = fac I - J is then zero
    lu = kernel._new_lu(n)
    assert not kernel._lu_factor(J, fac, np.empty((n, n)), lu)


def test_a_state_that_is_zero_stays_exactly_zero(kernel: ModuleType) -> None:
    # A drug never given (state 0, zero) drives a cell population (state 4) with a large
    # coefficient. The drug has few couplings, so its column is eliminated first, while the
    # cell row is still available: taking that row as pivot would leak round-off of the cell
    # numbers into the drug. Rows are compared after scaling, so the drug's own row is kept
    # and its stage value stays 0.0.
    n = 5
    rng = np.random.default_rng(5)
    J = np.diag(-rng.uniform(0.5, 2.0, n))
    J[4, 1:4] = rng.normal(size=3)
    J[1:4, 4] = rng.normal(size=3)
    J[4, 0] = 1e8
    lu = kernel._new_lu(n)
    E = np.empty((n, n))
    for fac in (0.5, 10.0):
        assert kernel._lu_factor(J, fac, E, lu)
        assert lu[7][0] == 0  # the drug's column goes first
        b = rng.normal(size=n) * 1e7
        b[0] = 0.0
        kernel._lu_solve(E, lu, b)
        assert b[0] == 0.0


@pytest.mark.parametrize("n", [3, 40])
def test_known_structure_forms_only_its_entries_and_sees_new_positions(
    kernel: ModuleType, n: int
) -> None:
    # With J's structure recorded, W is formed from the structural entries and the entries the
    # factors read; solves must match the dense ones as values change, as exact zeros become
    # non-zero (a drug given later) and as pivots change.
    rng = np.random.default_rng(10 + n)
    structure = random_jacobian(rng, n, 0.2) != 0.0
    np.fill_diagonal(structure, True)
    lu = kernel._new_lu(n)
    kernel._lu_set_structure(structure, lu)
    E = np.full((n, n), np.nan)  # entries the factors must never read stay NaN
    zeroed = structure & (rng.random((n, n)) < 0.5)
    J = np.where(structure & ~zeroed, rng.normal(size=(n, n)), 0.0)
    check_solves(kernel, J, 50.0, E, lu)
    check_solves(kernel, np.where(J != 0.0, rng.normal(size=(n, n)), 0.0), 30.0, E, lu)
    J = np.where(structure, rng.normal(size=(n, n)), 0.0)  # the zeroed positions come alive
    check_solves(kernel, J, 20.0, E, lu)
    for fac in (1.0, 0.01):
        check_solves(kernel, np.where(structure, rng.normal(size=(n, n)), 0.0), fac, E, lu)

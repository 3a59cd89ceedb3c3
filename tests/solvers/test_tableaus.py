"""The method coefficients satisfy their order conditions (catches a mistyped digit)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from tmesim.solvers import integrators as ig


def rodas4_a() -> NDArray[np.float64]:
    """The transformed stage coefficients a_ij from the scalar constants."""
    a = np.zeros((6, 6))
    for i in range(1, 5):
        for j in range(i):
            a[i, j] = getattr(ig, f"_R_A{i + 1}{j + 1}")
    # The last stage starts from the embedded solution y + sum a_5j u_j + u_5.
    a[5, :4] = a[4, :4]
    a[5, 4] = 1.0
    return a


def rodas4_original_form() -> dict[str, NDArray[np.float64]]:
    """Undo Hairer & Wanner's transformation: alpha_ij, gamma_ij and weights b, b_hat."""
    g = ig._R_GAMMA
    a = rodas4_a()
    c = np.zeros((6, 6))
    for i in range(1, 6):
        for j in range(i):
            c[i, j] = getattr(ig, f"_R_C{i + 1}{j + 1}")
    # u = Gamma k with Gamma^-1 = diag(1/gamma) - C, so alpha = A Gamma and b = m Gamma.
    gamma_full = np.linalg.inv(np.eye(6) / g - c)
    m = np.concatenate([a[4, :4], [1.0, 1.0]])
    m_hat = np.concatenate([a[4, :4], [1.0, 0.0]])
    dense = np.array(
        [
            [getattr(ig, f"_R_H2{j}") for j in range(1, 6)] + [0.0],
            [getattr(ig, f"_R_H3{j}") for j in range(1, 6)] + [0.0],
        ]
    )
    return {
        "gamma": np.full(1, g),
        "Gamma": gamma_full,
        "alpha": a @ gamma_full,
        "b": m @ gamma_full,
        "b_hat": m_hat @ gamma_full,
        "dense": dense @ gamma_full,
    }


def rosenbrock_conditions(b: NDArray, alpha: NDArray, gamma_lower: NDArray, g: float) -> NDArray:
    """Residuals of the order conditions up to order 4 (Hairer & Wanner II, Table IV.7.1)."""
    beta = alpha + gamma_lower
    ai = alpha.sum(axis=1)
    bp = beta.sum(axis=1)
    return np.array(
        [
            b.sum() - 1.0,
            b @ bp - (0.5 - g),
            b @ ai**2 - 1.0 / 3.0,
            b @ beta @ bp - (1.0 / 6.0 - g + g * g),
            b @ ai**3 - 0.25,
            (b * ai) @ alpha @ bp - (1.0 / 8.0 - g / 3.0),
            b @ beta @ ai**2 - (1.0 / 12.0 - g / 3.0),
            b @ beta @ beta @ bp - (1.0 / 24.0 - g / 2.0 + 1.5 * g * g - g**3),
        ]
    )


def test_rodas4_is_order_4_with_embedded_order_3() -> None:
    t = rodas4_original_form()
    g = float(t["gamma"][0])
    gamma_lower = np.tril(t["Gamma"], -1)
    res = rosenbrock_conditions(t["b"], t["alpha"], gamma_lower, g)
    assert np.max(np.abs(res)) < 1e-13, res
    res_hat = rosenbrock_conditions(t["b_hat"], t["alpha"], gamma_lower, g)[:4]
    assert np.max(np.abs(res_hat)) < 1e-13, res_hat
    # The embedded pair must differ at order 4, otherwise the error estimate is blind.
    assert np.max(np.abs(rosenbrock_conditions(t["b_hat"], t["alpha"], gamma_lower, g))) > 1e-3
    # Stage times and the df/dt weights are the row sums of alpha and Gamma.
    np.testing.assert_allclose(t["alpha"].sum(axis=1), [0, ig._R_C2, ig._R_C3, ig._R_C4, 1, 1],
                               atol=1e-14)  # fmt: skip
    np.testing.assert_allclose(t["Gamma"].sum(axis=1),
                               [ig._R_D1, ig._R_D2, ig._R_D3, ig._R_D4, 0, 0], atol=1e-14)  # fmt: skip


def test_stage_tables_hold_the_same_coefficients() -> None:
    # The integrator loops over these tables; the order conditions above check the scalars.
    np.testing.assert_array_equal(ig._R_A_TABLE, rodas4_a()[:, :5])
    for i in range(1, 6):
        for j in range(i):
            assert ig._R_C_TABLE[i, j] == getattr(ig, f"_R_C{i + 1}{j + 1}")
    np.testing.assert_array_equal(ig._R_C_ROW, [0, ig._R_C2, ig._R_C3, ig._R_C4, 1, 1])
    np.testing.assert_array_equal(ig._R_D_ROW, [ig._R_D1, ig._R_D2, ig._R_D3, ig._R_D4, 0, 0])
    a_d, _, e_d, _ = dopri5_tableau()
    np.testing.assert_array_equal(ig._D_A_TABLE, a_d[:, :6])
    np.testing.assert_array_equal(ig._D_E_ROW, e_d)
    np.testing.assert_array_equal(ig._D_C_ROW, [0, ig._D_C2, ig._D_C3, ig._D_C4, ig._D_C5, 1])


def test_rodas4_dense_output_is_order_3() -> None:
    # y(s) = y0 + s (y1 - y0) + s (1 - s) (h2 + s h3).u is of order 3 for every s iff the h2 and
    # h3 rows meet these moments (derived from the order conditions with b(s)).
    t = rodas4_original_form()
    g = float(t["gamma"][0])
    beta = t["alpha"] + np.tril(t["Gamma"], -1)
    ai, bp = t["alpha"].sum(axis=1), beta.sum(axis=1)
    for row, target in zip(
        t["dense"], ([0, -0.5, -1 / 3, g - 1 / 6], [0, 0, -1 / 3, -1 / 6]), strict=True
    ):
        moments = [row.sum(), row @ bp, row @ ai**2, row @ beta @ bp]
        np.testing.assert_allclose(moments, target, atol=1e-12)


def dopri5_tableau() -> tuple[NDArray, NDArray, NDArray, NDArray]:
    a = np.zeros((7, 7))
    for i in range(2, 7):
        for j in range(1, i):
            name = f"_D_A{i}{j}"
            if hasattr(ig, name):
                a[i - 1, j - 1] = getattr(ig, name)
    b = np.array([ig._D_B1, 0.0, ig._D_B3, ig._D_B4, ig._D_B5, ig._D_B6, 0.0])
    a[6] = b
    e = np.array([ig._D_E1, 0.0, ig._D_E3, ig._D_E4, ig._D_E5, ig._D_E6, ig._D_E7])
    d = np.array([ig._D_D1, 0.0, ig._D_D3, ig._D_D4, ig._D_D5, ig._D_D6, ig._D_D7])
    return a, b, e, d


def rk_conditions(b: NDArray, a: NDArray, theta: float = 1.0) -> NDArray:
    """Runge-Kutta order conditions up to order 4, for a step of length theta."""
    c = a.sum(axis=1)
    return np.array(
        [
            b.sum() - theta,
            b @ c - theta**2 / 2,
            b @ c**2 - theta**3 / 3,
            b @ a @ c - theta**3 / 6,
            b @ c**3 - theta**4 / 4,
            (b * c) @ a @ c - theta**4 / 8,
            b @ a @ c**2 - theta**4 / 12,
            b @ a @ a @ c - theta**4 / 24,
        ]
    )


def test_dopri5_orders() -> None:
    a, b, e, _ = dopri5_tableau()
    c = a.sum(axis=1)
    np.testing.assert_allclose(c, [0, ig._D_C2, ig._D_C3, ig._D_C4, ig._D_C5, 1, 1], atol=1e-15)
    assert np.max(np.abs(rk_conditions(b, a))) < 1e-14
    assert np.max(np.abs(rk_conditions(b - e, a))) < 1e-14
    # Fifth-order conditions hold for b but not for the embedded weights.
    fifth = lambda w: [w @ c**4 - 1 / 5, w @ a @ a @ a @ c - 1 / 120]  # noqa: E731
    assert np.max(np.abs(fifth(b))) < 1e-14
    assert np.max(np.abs(fifth(b - e))) > 1e-5


@pytest.mark.parametrize("theta", [0.1, 0.37, 0.5, 0.83, 1.0])
def test_dopri5_dense_output_is_order_4(theta: float) -> None:
    a, b, _, d = dopri5_tableau()
    # The weights of the shared interpolation form with f0 = k1 and f1 = k7.
    k1, k7 = np.eye(7)[0], np.eye(7)[6]
    da = k1 - b
    db = b - k7 - da
    weights = theta * (b + (1 - theta) * (da + theta * (db + (1 - theta) * d)))
    assert np.max(np.abs(rk_conditions(weights, a, theta))) < 1e-14

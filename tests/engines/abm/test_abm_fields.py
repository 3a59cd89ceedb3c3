"""The diffusion–reaction solver against analytic solutions: order of accuracy, conservation,
positivity, and the decay–diffusion steady state."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tmesim.engines.abm.fields import FieldSet


@pytest.fixture(autouse=True)
def one_thread():
    # These grids are tiny: a parallel launch costs more than the work (results do not change).
    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(previous)


def _cosine_error(n: int, dt: float, t_end: float, theta: float, axis: int = 2) -> float:
    """Max error of a Neumann cosine mode, whose exact solution decays as exp(−D·k²·t)."""
    length, diffusion = 1.0, 1.0
    shape = [1, 1, 1]
    shape[axis] = n
    f = FieldSet(
        ("u",), tuple(shape), dx=length / n, diffusion=[diffusion], decay=[0.0],
        boundary=[None], theta=theta,
    )  # fmt: skip
    x = (np.arange(n) + 0.5) * length / n
    k = np.pi / length
    f.values[0] = np.cos(k * x).reshape(shape)
    for _ in range(int(round(t_end / dt))):
        f.step(dt)
    exact = np.exp(-diffusion * k**2 * t_end) * np.cos(k * x)
    return float(np.max(np.abs(f.values[0].ravel() - exact)))


def _order(errors: list[float]) -> float:
    return float(np.mean(np.log2(np.array(errors[:-1]) / np.array(errors[1:]))))


def test_implicit_euler_is_first_order_in_time():
    errors = [_cosine_error(400, dt, 0.1, theta=1.0) for dt in (0.02, 0.01, 0.005)]
    assert 0.9 < _order(errors) < 1.1


def test_crank_nicolson_is_second_order_in_time():
    errors = [_cosine_error(400, dt, 0.1, theta=0.5) for dt in (0.02, 0.01, 0.005)]
    assert 1.8 < _order(errors) < 2.2


def test_second_order_in_space_along_every_axis():
    for axis in (0, 1, 2):
        errors = [_cosine_error(n, 1e-4, 0.01, theta=0.5, axis=axis) for n in (10, 20, 40)]
        assert 1.9 < _order(errors) < 2.1, axis


def test_quasi_steady_field_reaches_the_analytic_steady_state():
    """D·u'' = λ·u on (0, L) with u = g at both faces: u = g·cosh(κ(x − L/2)) / cosh(κL/2);
    the ADI iteration converges to it at second order in space, in 2-D and 3-D domains alike."""
    length, diffusion, decay, g = 1.0, 1.0, 25.0, 3.0
    kappa = np.sqrt(decay / diffusion)
    for shape_of in (lambda n: (1, 3, n), lambda n: (3, 3, n)):
        errors = []
        for n in (20, 40, 80):
            f = FieldSet(
                ("u",), shape_of(n), dx=length / n, diffusion=[diffusion], decay=[decay],
                boundary=[None], quasi_steady=[True],
            )  # fmt: skip
            f.boundary_value[0] = g
            f.dirichlet[0] = False
            x = (np.arange(n) + 0.5) * length / n
            exact = g * np.cosh(kappa * (x - length / 2)) / np.cosh(kappa * length / 2)
            # fixed value only at the x faces: impose it as a source next to them
            f.values[0] = 0.0
            n_vox = int(np.prod(shape_of(n)))
            src = np.zeros(shape_of(n))
            src[..., 0] = src[..., -1] = 2.0 * g * diffusion / (length / n) ** 2
            rate = np.zeros(shape_of(n))
            rate[..., 0] = rate[..., -1] = 2.0 * diffusion / (length / n) ** 2
            f.relax(0, src.reshape(n_vox), rate.reshape(n_vox), cycles=40)
            errors.append(float(np.max(np.abs(f.values[0] - exact))))
        assert errors[-1] < 3e-3
        assert _order(errors) > 1.8


def test_time_stepping_converges_to_the_same_steady_state():
    """The operator-split implicit step has a first-order steady-state error in dt that vanishes
    as dt shrinks (why oxygen, with its fast uptake, is solved as quasi-steady instead)."""
    n, diffusion, decay, g = 40, 1.0, 25.0, 3.0
    kappa = np.sqrt(decay / diffusion)
    x = (np.arange(n) + 0.5) / n
    exact = g * np.cosh(kappa * (x - 0.5)) / np.cosh(kappa * 0.5)
    errors = []
    for dt in (0.004, 0.002, 0.001):
        f = FieldSet(("u",), (1, 1, n), dx=1.0 / n, diffusion=[diffusion], decay=[decay],
                     boundary=[g])  # fmt: skip
        for _ in range(int(round(0.6 / dt))):
            f.step(dt)
        errors.append(float(np.max(np.abs(f.values[0].ravel() - exact))))
    assert 0.8 < _order(errors) < 1.2


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    dt=st.floats(1e-4, 10.0),
    diffusion=st.floats(0.0, 1e4),
    three_d=st.booleans(),
)
def test_mass_is_conserved_without_decay_and_fields_stay_non_negative(seed, dt, diffusion, three_d):
    rng = np.random.default_rng(seed)
    shape = (5, 6, 7) if three_d else (1, 6, 7)
    f = FieldSet(("a",), shape, dx=1.0, diffusion=[diffusion], decay=[0.0], boundary=[None])
    f.values[0] = rng.random(shape) * (rng.random(shape) < 0.3)
    source = rng.random((1, int(np.prod(shape))))
    before = f.values.sum()
    f.step(dt, source=source)
    assert np.isclose(f.values.sum(), before + dt * source.sum(), rtol=1e-10, atol=1e-10)
    assert f.values.min() >= 0.0


def test_uptake_and_decay_remove_what_they_should():
    """With no diffusion, one implicit reaction step is u → (u + dt·S) / (1 + dt·(λ + k))."""
    f = FieldSet(("a",), (1, 1, 3), dx=1.0, diffusion=[0.0], decay=[2.0], boundary=[None])
    f.values[0] = 1.0
    f.step(0.5, source=np.array([[0.0, 4.0, 0.0]]), uptake=np.array([[0.0, 0.0, 6.0]]))
    assert np.allclose(f.values[0].ravel(), [1 / 2, 3 / 2, 1 / 5])

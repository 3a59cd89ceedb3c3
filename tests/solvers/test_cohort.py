"""Doses, small populations, failure handling and determinism of the cohort solver."""

from __future__ import annotations

from types import ModuleType

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from solver_test_models import N_STATES, cohort, linear

from tmesim.errors import ConfigError
from tmesim.solvers import DoseSchedule, SolverSettings, SolverStatus, solve

TIGHT = {"rtol": 1e-10, "atol": 1e-12}


def elimination(k: float) -> list[float]:
    """y0' = -k y0 (one compartment); y1' = -y1 is idle."""
    return [-k, 0.0, 0.0, -1.0, 0.0, 0.0]


@pytest.mark.parametrize("method", ["rodas4", "dopri5"])
def test_doses_match_superposition(kernel: ModuleType, method: str) -> None:
    k, y_start = 0.7, 2.0
    dose_t = np.array([0.0, 1.0, 3.5, 3.5, 6.0, 9.0])
    amount = np.array([1.0, 5.0, 2.0, 0.5, 3.0, 100.0])
    # Save times include dose times (1.0, 3.5, 6.0) and points between; 9.0 is after the end.
    t_save = np.array([0.0, 0.5, 1.0, 2.0, 3.5, 3.6, 5.0, 6.0, 7.25, 8.0])

    def exact(t: float) -> float:
        # Right-continuous: a dose at time t counts in the value at t.
        given = dose_t <= t
        return y_start * np.exp(-k * t) + np.sum(amount[given] * np.exp(-k * (t - dose_t[given])))

    # Patients 0 and 1 get the same doses listed in a different order.
    order = np.array([5, 2, 0, 4, 1, 3])
    doses = [
        (dose_t, np.zeros(6, dtype=np.int64), amount),
        (dose_t[order], np.zeros(6, dtype=np.int64), amount[order]),
    ]
    Y0, P = cohort([linear([y_start, 0.0], elimination(k))] * 2)
    sol = solve(kernel, Y0, P, 0.0, t_save, doses, settings=SolverSettings(method=method, **TIGHT))
    assert np.all(sol.status == 0), sol.messages()
    expected = np.array([exact(t) for t in t_save])
    for i in range(2):
        np.testing.assert_allclose(sol.observables[i, :, 0], expected, rtol=1e-8, atol=1e-10)
    # The dose at 9.0 comes after the last save time and is ignored.
    np.testing.assert_allclose(sol.y_final[:, 0], exact(8.0), rtol=1e-8)


def test_a_dying_population_goes_extinct_as_its_mean_says(kernel: ModuleType) -> None:
    # 100 cells decaying at rate 1 cross one cell at t = ln(100) = 4.6. Below a cell, the rule
    # keeps the mean: at a checkpoint t the population is 1 with probability 100 e^-t, else 0.
    n = 400
    t_save = np.array([0.0, 2.0, 6.0, 7.0])
    args = (*cohort([linear([100.0, 50.0], elimination(1.0))] * n), 0.0, t_save)
    gone = solve(kernel, *args, extinct_idx=[0], keys=np.arange(n) + 1000)
    kept = solve(kernel, *args, extinct_idx=[])
    assert np.all(gone.status == 0) and np.all(kept.status == 0)
    np.testing.assert_allclose(gone.observables[:, 1, 0], 100 * np.exp(-2.0), rtol=1e-5)
    for k, t in ((2, 6.0), (3, 7.0)):
        values = gone.observables[:, k, 0]
        assert set(np.unique(values)) <= {0.0, 1.0}
        p = 100 * np.exp(-t)
        assert abs(values.mean() - p) < 4 * np.sqrt(p * (1 - p) / n), (t, values.mean())
    # Once extinct, extinct: the living at day 7 lived at day 6.
    assert np.all(gone.observables[:, 2, 0] >= gone.observables[:, 3, 0])
    # Only the listed state is decided; without the rule the tail stays positive.
    assert np.all(gone.observables[:, :, 1] > 0.0)
    assert np.all(kept.observables[:, :, 0] > 0.0)


def inflow(rate: float) -> tuple[list[float], list[float]]:
    """A source y0 = 1 that stays put feeding y1 at `rate` per day: an emerging clone."""
    return linear([1.0, 0.0], [0.0, 0.0, rate, 0.0, 0.0, 0.0])


@pytest.mark.parametrize("interval", [0.5, 1.0])
def test_a_clone_fed_below_one_cell_per_step_emerges_at_its_rate(
    kernel: ModuleType, interval: float
) -> None:
    # Inflow r = 0.2 cells/day: at each checkpoint an empty clone holds r·interval < 1 cell and
    # appears with that probability, so P(present at t) = 1 - (1 - r·interval)^(t/interval),
    # about 1 - e^(-r t) (a Poisson arrival at rate r), whatever the step size.
    n, r = 400, 0.2
    t_save = np.array([0.0, 0.25, 5.0, 10.0])
    Y0, P = cohort([inflow(r)] * n)
    runs = [
        solve(kernel, Y0, P, 0.0, t_save, None, [1], SolverSettings(
            rtol=rtol, atol=1e-12, extinction_interval=interval
        ), keys=np.arange(n))
        for rtol in (1e-6, 1e-10)
    ]  # fmt: skip
    coarse, tight = (sol.observables[:, :, 1] for sol in runs)
    assert np.all(runs[0].status == 0) and np.all(runs[1].status == 0)
    # Nothing is zeroed between checkpoints: the clone holds r·t before the first one.
    np.testing.assert_allclose(tight[:, 1], r * 0.25, rtol=1e-8)
    # The same patients, the same fates at both tolerances.
    assert np.array_equal(coarse[:, 2:] > 0, tight[:, 2:] > 0)
    for k, t in ((2, 5.0), (3, 10.0)):
        p = 1 - (1 - r * interval) ** (t / interval)
        share = np.mean(tight[:, k] > 0)
        assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / n), (t, share, p)
    # A clone that appeared grows from one cell: it holds at least one cell.
    assert np.all((tight[:, 2:] == 0) | (tight[:, 2:] >= 1.0))


def test_fates_depend_on_the_patient_key_not_on_the_chunk(kernel: ModuleType) -> None:
    n = 60
    Y0, P = cohort([inflow(0.3)] * n)
    keys = np.arange(n, dtype=np.uint64) * 7919 + 13
    t_save = np.array([0.0, 3.0, 6.0])
    whole = solve(kernel, Y0, P, 0.0, t_save, None, [1], keys=keys)
    part = solve(kernel, Y0[20:40], P[20:40], 0.0, t_save, None, [1], keys=keys[20:40])
    assert np.array_equal(whole.observables[20:40], part.observables)
    other = solve(kernel, Y0, P, 0.0, t_save, None, [1], keys=keys + 1)
    assert not np.array_equal(whole.observables, other.observables)
    # A run split at day 3 meets the same checkpoints with the same draws.
    first = solve(kernel, Y0, P, 0.0, t_save[:2], None, [1], keys=keys)
    second = solve(kernel, first.y_final, P, 3.0, t_save[1:], None, [1], keys=keys)
    np.testing.assert_allclose(second.observables[:, -1], whole.observables[:, -1], rtol=1e-5)
    assert np.array_equal(second.observables[:, -1, 1] > 0, whole.observables[:, -1, 1] > 0)


def test_a_blow_up_fails_alone(kernel: ModuleType) -> None:
    # Patient 1: y' = y^2 from 1, which is 1 / (1 - t) and infinite at t = 1.
    t_save = np.array([0.0, 0.5, 0.9, 1.5, 2.0])
    p = [elimination(0.5), [0.0, 0.0, 0.0, 0.0, 0.0, 1.0], elimination(2.0)]
    sol = solve(kernel, *cohort([linear([1.0, 1.0], p_i) for p_i in p]), 0.0, t_save)
    assert sol.status[1] in (
        SolverStatus.TOO_MANY_STEPS,
        SolverStatus.STEP_UNDERFLOW,
        SolverStatus.NON_FINITE,
    )
    np.testing.assert_allclose(sol.observables[1, :3, 0], 1.0 / (1.0 - t_save[:3]), rtol=1e-4)
    assert np.all(np.isnan(sol.observables[1, 3:]))
    assert np.all(np.isnan(sol.y_final[1]))
    assert "patient 1" in sol.messages()[1] and "check the parameters" in sol.messages()[1]
    # The other patients are unaffected.
    assert list(sol.status[[0, 2]]) == [0, 0]
    for i, k in ((0, 0.5), (2, 2.0)):
        np.testing.assert_allclose(sol.observables[i, :, 0], np.exp(-k * t_save), rtol=1e-5)


def test_invalid_input_in_the_kernel_gives_status_5(kernel: ModuleType) -> None:
    # Bypass the Python checks: the compiled code must refuse unsorted save times by itself.
    empty_f, empty_i = np.zeros(0), np.zeros(0, dtype=np.int64)
    Y0, P = cohort([linear([1.0, 0.0], elimination(1.0))])
    atol = np.full(kernel.N_STATES, 1e-8)
    obs, y_final, status, n_steps, _ = kernel.solve_cohort(
        np.array(Y0), np.array(P), 0.0, np.array([[0.0, 2.0, 1.0]]),
        np.zeros(2, dtype=np.int64), empty_f, empty_i, empty_f, empty_i,
        1.0, 0.5, 100.0, np.zeros(1, dtype=np.uint64), 0, 1e-6, atol, 0.0, 30.0, 1000, True,
    )  # fmt: skip
    assert status[0] == SolverStatus.INVALID_INPUT
    assert np.all(np.isnan(obs)) and np.all(np.isnan(y_final)) and n_steps[0] == 0


def random_cohort(n: int, seed: int) -> tuple:
    rng = np.random.default_rng(seed)
    y0 = rng.uniform(0.0, 10.0, n)
    p = np.column_stack([-rng.uniform(0.05, 3.0, n), -rng.uniform(0.0, 2.0, n),
                         rng.uniform(0.0, 1.0, n), -rng.uniform(0.05, 3.0, n),
                         np.zeros(n), np.zeros(n)])  # fmt: skip
    Y0, P = cohort([linear([y0[i], 0.0], list(p[i])) for i in range(n)])
    doses = [
        (np.sort(rng.uniform(0.0, 12.0, 4)), rng.integers(0, 2, 4), rng.uniform(0.0, 5.0, 4))
        for _ in range(n)
    ]
    return Y0, P, doses


@pytest.mark.parametrize("method", ["rodas4", "dopri5"])
def test_results_do_not_depend_on_the_thread_count(kernel: ModuleType, method: str) -> None:
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has a single thread here (NUMBA_NUM_THREADS=1)")
    Y0, P, doses = random_cohort(64, seed=7)
    t_save = np.linspace(0.0, 12.0, 25)
    args = (kernel, Y0, P, 0.0, t_save, doses, [0])
    one = solve(*args, settings=SolverSettings(method=method), n_threads=1)
    two = solve(*args, settings=SolverSettings(method=method), n_threads=2)
    assert np.all(one.status == 0)
    for field in ("observables", "y_final", "status", "n_steps", "n_rejected"):
        assert np.array_equal(getattr(one, field), getattr(two, field)), field


def test_thread_count_is_restored(kernel: ModuleType) -> None:
    before = numba.get_num_threads()
    solve(kernel, *cohort([linear([1.0, 0.0], elimination(1.0))]), 0.0, [1.0], n_threads=1)
    assert numba.get_num_threads() == before


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rates=st.lists(st.floats(1e-3, 50.0), min_size=3, max_size=3),
    y_start=st.floats(0.0, 1e6),
    dose_times=st.lists(st.floats(0.0, 20.0), max_size=5),
    dose_amount=st.floats(0.0, 1e6),
    method=st.sampled_from(["rodas4", "dopri5"]),
)
def test_positive_decay_stays_finite_and_non_negative(
    kernel: ModuleType,
    rates: list[float],
    y_start: float,
    dose_times: list[float],
    dose_amount: float,
    method: str,
) -> None:
    # Elimination from y0 at rate k0, transfer of a fraction into y1, elimination from y1.
    k0, k_transfer, k1 = rates
    p = [-k0, 0.0, min(k_transfer, k0), -k1, 0.0, 0.0]
    n = len(dose_times)
    doses = [(dose_times, np.arange(n) % 2, np.full(n, dose_amount))]
    args = (kernel, *cohort([linear([y_start, 0.0], p)]), 0.0, np.linspace(0.0, 20.0, 21), doses)
    raw = solve(*args, settings=SolverSettings(method=method, clip_negative=False))
    clipped = solve(*args, settings=SolverSettings(method=method))
    assert raw.status[0] == clipped.status[0] == 0, raw.messages()
    assert np.all(np.isfinite(raw.observables)) and np.all(np.isfinite(clipped.observables))
    # Without clipping only an undershoot at the tolerance level is allowed; with it, none.
    scale = max(y_start, dose_amount, 1.0)
    assert np.all(raw.observables >= -1e-5 * scale)
    assert np.all(clipped.observables >= 0.0)


def test_dose_lists_are_sorted_into_csr() -> None:
    s = DoseSchedule.from_lists(
        [([5.0, 1.0], [1, 0], [10.0, 20.0]), ([], [], []), ([2.0], [1], [3])]
    )
    assert s.ptr.tolist() == [0, 2, 2, 3]
    assert s.t.tolist() == [1.0, 5.0, 2.0]
    assert s.state.tolist() == [0, 1, 1]
    assert s.amount.tolist() == [20.0, 10.0, 3.0]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"Y0": [1.0] * N_STATES}, "Y0"),
        ({"Y0": [[np.nan] + [0.0] * (N_STATES - 1)]}, "Y0"),
        ({"P": [[1.0, 2.0]]}, "P"),
        ({"t_save": [2.0, 1.0]}, "t_save"),
        ({"t_save": [-1.0, 1.0]}, "t_save"),
        ({"doses": [([1.0], [N_STATES], [1.0])]}, "doses.state"),
        ({"doses": [([-1.0], [0], [1.0])]}, "doses.t"),
        ({"doses": [([1.0, 2.0], [0], [1.0, 1.0])]}, "doses[0]"),
        (
            {
                "doses": DoseSchedule(
                    np.array([0, 2]), np.array([2.0, 1.0]), np.array([0, 0]), np.array([1.0, 1.0])
                )
            },
            "doses of patient 0",
        ),  # fmt: skip
        ({"doses": DoseSchedule.empty(3)}, "doses.ptr"),
        ({"doses": [([], [], [])] * 2}, "doses"),
        ({"extinct_idx": [N_STATES]}, "extinct_idx"),
        ({"keys": [1, 2]}, "keys"),
        ({"n_threads": 10_000}, "n_threads"),
    ],
)
def test_bad_inputs_name_the_field(kernel: ModuleType, kwargs: dict, field: str) -> None:
    Y0, P = cohort([linear([1.0, 0.0], elimination(1.0))])
    args = {"Y0": Y0, "P": P, "t0": 0.0, "t_save": [0.0, 1.0]} | kwargs
    with pytest.raises(ConfigError) as info:
        solve(kernel, **args)
    assert info.value.field == field


def test_settings_reject_unknown_fields_and_fixed_step_without_h0() -> None:
    with pytest.raises(ValueError, match="rtool"):
        SolverSettings(rtool=1e-6)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="h0 > 0"):
        SolverSettings(fixed_step=True)
    with pytest.raises(ValueError, match="method"):
        SolverSettings(method="euler")  # type: ignore[arg-type]


def test_method_codes() -> None:
    from tmesim.solvers import integrators

    assert SolverSettings().method_code() == integrators.RODAS4 | integrators.STOP_AT_SAVES
    assert SolverSettings(method="dopri5").method_code() == integrators.DOPRI5
    fixed = SolverSettings(method="dopri5", fixed_step=True, h0=0.1, dense_output=False)
    assert fixed.method_code() == (
        integrators.DOPRI5 | integrators.FIXED_STEP | integrators.STOP_AT_SAVES
    )


def test_per_patient_save_times_match_shared_ones(kernel: ModuleType) -> None:
    Y0, P = cohort([linear([1.0, 0.0], elimination(k)) for k in (0.5, 2.0)])
    own = np.array([[0.0, 0.3, 1.0], [0.0, 0.7, 2.5]])
    sol = solve(kernel, Y0, P, 0.0, own)
    assert sol.t_save.shape == (2, 3)
    for i, k in enumerate((0.5, 2.0)):
        single = solve(kernel, np.array(Y0)[[i]], np.array(P)[[i]], 0.0, own[i])
        np.testing.assert_array_equal(sol.observables[i], single.observables[0])
        np.testing.assert_allclose(sol.observables[i, :, 0], np.exp(-k * own[i]), rtol=1e-5)

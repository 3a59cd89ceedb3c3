"""Points of a sweep: grid sizes and order, sampled designs in bounds and reproducible."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tmesim.config.sweep import sweep_from_dict
from tmesim.sweeps.design import axis_levels, design_points, unit_samples


def _sweep(axes: list[dict], design: dict | None = None):
    data = {"title": "t", "study": "s.yaml", "axes": axes}
    if design is not None:
        data["design"] = design
    return sweep_from_dict(data)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=4))
def test_a_grid_has_every_combination_once(sizes: list[int]) -> None:
    axes = [
        {"name": f"a{i}", "path": f"x.{i}", "values": list(range(k))} for i, k in enumerate(sizes)
    ]
    points = design_points(_sweep(axes))
    assert len(points) == math.prod(sizes)
    combos = {tuple(p.values.values()) for p in points}
    assert len(combos) == len(points)
    assert [p.index for p in points] == list(range(len(points)))


def test_the_first_axis_varies_slowest_and_entries_follow_the_paths() -> None:
    s = _sweep(
        [
            {"name": "dose", "path": ["arms.1.regimen.0.amount", "arms.3.regimen.0.amount"],
             "values": [1, 3]},
            {"name": "order", "levels": {"together": {"arms.2.regimen": "a + b"},
                                         "A then B": {"arms.2.regimen": "a + b from day 42"}}},
        ]
    )  # fmt: skip
    points = design_points(s)
    assert [p.labels for p in points] == [
        {"dose": "1", "order": "together"},
        {"dose": "1", "order": "A then B"},
        {"dose": "3", "order": "together"},
        {"dose": "3", "order": "A then B"},
    ]
    assert points[3].entries == {
        "arms.1.regimen.0.amount": 3,
        "arms.3.regimen.0.amount": 3,
        "arms.2.regimen": "a + b from day 42",
    }


def test_labels_name_the_values() -> None:
    axis = _sweep([{"name": "r", "path": "arms.0.regimen", "values": ["x", "y"],
                    "labels": ["short", "long"]}]).axes[0]  # fmt: skip
    assert [(lv.label, lv.value) for lv in axis_levels(axis)] == [
        ("short", "short"),
        ("long", "long"),
    ]


@settings(max_examples=25, deadline=None)
@given(
    kind=st.sampled_from(["latin_hypercube", "sobol"]),
    m=st.integers(min_value=1, max_value=5),
    seed=st.integers(min_value=0, max_value=2**31),
    low=st.floats(min_value=1e-3, max_value=10),
    span=st.floats(min_value=1e-2, max_value=1e3),
)
def test_sampled_points_stay_in_bounds_and_repeat_with_the_seed(kind, m, seed, low, span):
    high = low + span
    axes = [
        {"name": "lin", "path": "x", "range": [low, high]},
        {"name": "log", "path": "y", "range": [low, high], "scale": "log"},
        {"name": "int", "path": "z", "range": [1, 10], "integer": True},
        {"name": "pick", "path": "w", "values": ["a", "b", "c"]},
    ]
    s = _sweep(axes, {"kind": kind, "n": 2**m, "seed": seed})
    points = design_points(s)
    assert len(points) == 2**m
    tol = 1e-5 * high
    for p in points:
        v = p.values
        assert low - tol <= v["lin"] <= high + tol
        assert low - tol <= v["log"] <= high + tol
        assert isinstance(v["int"], int) and 1 <= v["int"] <= 10
        assert v["pick"] in ("a", "b", "c")
    again = design_points(s)
    assert [p.values for p in again] == [p.values for p in points]


def test_another_design_seed_gives_other_points() -> None:
    axes = [{"name": "k", "path": "x", "range": [0.0, 1.0]}]
    a = design_points(_sweep(axes, {"kind": "latin_hypercube", "n": 8, "seed": 1}))
    b = design_points(_sweep(axes, {"kind": "latin_hypercube", "n": 8, "seed": 2}))
    assert [p.values for p in a] != [p.values for p in b]


def test_a_latin_hypercube_fills_every_stratum() -> None:
    u = unit_samples("latin_hypercube", 10, 3, seed=7)
    for j in range(3):
        assert sorted(np.floor(u[:, j] * 10).astype(int).tolist()) == list(range(10))


def test_a_sobol_design_is_balanced() -> None:
    u = unit_samples("sobol", 16, 2, seed=3)
    assert u.shape == (16, 2)
    for j in range(2):
        assert np.bincount(np.floor(u[:, j] * 4).astype(int), minlength=4).tolist() == [4] * 4

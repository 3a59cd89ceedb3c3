"""The points of a sweep: which value every axis takes at each point, and the entries it sets.

A grid crosses every value of every axis (the first axis varies slowest). A Latin hypercube or a
scrambled Sobol sequence (scipy.stats.qmc) draws ``n`` points in the unit cube from the design's
seed; each coordinate is mapped to its axis: a range linearly (or in its logarithm), listed values
and levels by index (coordinate u picks value ``floor(u · k)`` of k). The same config gives the
same points on every machine.

Example:
    >>> from tmesim.config.sweep import sweep_from_dict
    >>> s = sweep_from_dict({"title": "t", "study": "s.yaml", "axes": [
    ...     {"name": "a", "path": "x", "values": [1, 2]}, {"name": "b", "path": "y",
    ...      "values": ["u", "v", "w"]}]})
    >>> [p.labels for p in design_points(s)][:2]
    [{'a': '1', 'b': 'u'}, {'a': '1', 'b': 'v'}]
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.stats import qmc

from tmesim.config.sweep import Axis, SweepConfig

__all__ = ["Level", "Point", "axis_levels", "design_points", "unit_samples"]


@dataclass(frozen=True)
class Level:
    """One value of an axis: its label, the value shown on plots, and the entries it sets."""

    label: str
    value: Any
    entries: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Point:
    """One point of a sweep: its number, the level of every axis, and the study entries set."""

    index: int
    levels: dict[str, Level]

    @property
    def labels(self) -> dict[str, str]:
        """Axis name → label of its level at this point."""
        return {name: level.label for name, level in self.levels.items()}

    @property
    def values(self) -> dict[str, Any]:
        """Axis name → value of its level (a number for numeric axes, else the label)."""
        return {name: level.value for name, level in self.levels.items()}

    @property
    def entries(self) -> dict[str, Any]:
        """Dotted study path → value, for every axis (later axes win on a shared path)."""
        out: dict[str, Any] = {}
        for level in self.levels.values():
            out.update(level.entries)
        return out

    @property
    def name(self) -> str:
        """The point's folder name, e.g. ``p0003``."""
        return f"p{self.index:04d}"


def _label(value: Any) -> str:
    """How a value is named when the axis gives no labels (floats without trailing zeros)."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _plot_value(value: Any, label: str) -> Any:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else label


def axis_levels(axis: Axis) -> list[Level]:
    """The listed values (or named levels) of a discrete axis, in the order written.

    Example:
        >>> a = Axis(name="dose", path=["arms.1.x", "arms.2.x"], values=[1, 3], labels=["lo", "hi"])
        >>> [(lv.label, lv.entries) for lv in axis_levels(a)]
        [('lo', {'arms.1.x': 1, 'arms.2.x': 1}), ('hi', {'arms.1.x': 3, 'arms.2.x': 3})]
    """
    if axis.levels is not None:
        return [Level(name, name, dict(entries)) for name, entries in axis.levels.items()]
    if axis.values is None:
        return []
    labels = axis.labels or [_label(v) for v in axis.values]
    return [
        Level(label, _plot_value(v, label), {p: v for p in axis.paths})
        for v, label in zip(axis.values, labels, strict=True)
    ]


def unit_samples(kind: str, n: int, dims: int, seed: int) -> np.ndarray:
    """``n`` points in the unit cube [0, 1)^dims from a Latin hypercube or a scrambled Sobol
    sequence (``kind`` ``latin_hypercube`` or ``sobol``; Sobol needs n a power of 2).

    Example:
        >>> u = unit_samples("latin_hypercube", 4, 1, seed=0)
        >>> sorted((u[:, 0] * 4).astype(int).tolist())    # one point in each quarter
        [0, 1, 2, 3]
    """
    if kind == "latin_hypercube":
        return qmc.LatinHypercube(d=dims, seed=np.random.default_rng(seed)).random(n)
    if kind == "sobol":
        sampler = qmc.Sobol(d=dims, scramble=True, seed=np.random.default_rng(seed))
        return sampler.random_base2(int(math.log2(n)))
    raise ValueError(f"unknown sampled design {kind!r}")


def _sampled_level(axis: Axis, u: float) -> Level:
    if axis.range is None:
        levels = axis_levels(axis)
        return levels[min(int(u * len(levels)), len(levels) - 1)]
    low, high = axis.range
    if axis.scale == "log":
        x = math.exp(math.log(low) + u * (math.log(high) - math.log(low)))
    else:
        x = low + u * (high - low)
    value: float | int = int(round(x)) if axis.integer else float(f"{x:.6g}")
    return Level(_label(value), value, {p: value for p in axis.paths})


def design_points(config: SweepConfig) -> list[Point]:
    """Every point of the sweep's design, numbered from 0.

    Example:
        >>> from tmesim.config.sweep import sweep_from_dict
        >>> s = sweep_from_dict({"title": "t", "study": "s.yaml",
        ...     "design": {"kind": "latin_hypercube", "n": 5, "seed": 1},
        ...     "axes": [{"name": "k", "path": "x", "range": [1, 100], "scale": "log"}]})
        >>> all(1 <= p.values["k"] <= 100 for p in design_points(s))
        True
    """
    axes = config.axes
    if config.design.kind == "grid":
        combos = itertools.product(*(axis_levels(a) for a in axes))
        return [
            Point(i, {a.name: lv for a, lv in zip(axes, combo, strict=True)})
            for i, combo in enumerate(combos)
        ]
    n = int(config.design.n or 0)
    u = unit_samples(config.design.kind, n, len(axes), config.design.seed)
    return [
        Point(i, {a.name: _sampled_level(a, float(u[i, j])) for j, a in enumerate(axes)})
        for i in range(n)
    ]

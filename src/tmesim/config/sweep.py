"""The sweep file: what ``tmesim sweep`` reads — a study template plus the axes it varies.

A sweep runs one virtual study (the ``study`` template, the same YAML ``tmesim trial`` reads) at
every point of a design over its axes. An axis names one or more entries of the study by the dotted
path ``--set`` uses (``arms.1.regimen.0.amount``, ``cohorts.0.parameters.tumor_growth_rate``) and
lists their values, or gives a range to sample; an axis of named ``levels`` sets several entries at
once (e.g. the order of two agents, written as regimens). Every point keeps the template's seed, so
every point treats the same virtual patients (common random numbers): the differences between
points are due to the design alone.

Example:
    >>> s = sweep_from_dict({"title": "demo", "study": "study.yaml",
    ...     "axes": [{"name": "dose", "path": "arms.1.regimen.0.amount", "values": [1, 3]}]})
    >>> s.design.kind, s.axes[0].paths
    ('grid', ['arms.1.regimen.0.amount'])
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tmesim.config.overrides import apply_overrides
from tmesim.config.scenario import MAX_SEED, MAX_TEXT
from tmesim.config.validation import validate_config
from tmesim.config.yamlio import read_yaml
from tmesim.errors import ConfigError

Name = Annotated[str, Field(min_length=1, max_length=80)]
DottedPath = Annotated[str, Field(min_length=1, max_length=300)]
MAX_POINTS = 10_000
"""Most points one sweep runs (each point is a whole virtual study)."""
MAX_LEVELS = 1_000
"""Most values (or levels) of one axis."""
RESPONSE_ENDPOINTS = ("ORR", "CR", "DCR", "tumor_free")
"""Per-patient yes/no outcomes a synergy analysis can combine (see `tmesim.sweeps.endpoints`)."""
_COMMON = ("seed",)
"""Study entries an axis may not vary: they would give each point other virtual patients."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Axis(_Strict):
    """One dimension of the design: the study entries it sets and the values they take.

    Give ``path`` with ``values`` (a list; optional ``labels``) or with ``range`` (sampled
    designs), or give ``levels`` alone (named levels, each setting several entries).

    Example:
        >>> Axis(name="order", levels={"concurrent": {"arms.0.regimen": "a + b"},
        ...      "A then B": {"arms.0.regimen": "a + b from day 42"}}).size
        2
    """

    name: Name = Field(description="Label of the axis in tables and figures, e.g. 'IPI-549 dose'.")
    path: DottedPath | Annotated[list[DottedPath], Field(min_length=1, max_length=50)] | None = (
        Field(
            None,
            description="Dotted path of the study entry the axis sets, as `tmesim trial --set` "
            "writes it (list entries by index, e.g. arms.1.regimen.0.amount), or a list of paths "
            "that all take the same value (e.g. the dose of a drug in its single-agent and its "
            "combination arm).",
        )
    )
    values: Annotated[list[Any], Field(min_length=1, max_length=MAX_LEVELS)] | None = Field(
        None, description="Values the entry takes (numbers, strings such as regimens, booleans)."
    )
    labels: Annotated[list[Name], Field(min_length=1, max_length=MAX_LEVELS)] | None = Field(
        None,
        description="Names of the values in tables and figures, one per value (default: the "
        "values as written).",
    )
    range: tuple[float, float] | None = Field(
        None,
        description="[low, high] of a number sampled by a latin_hypercube or sobol design.",
    )
    scale: Literal["linear", "log"] = Field(
        "linear",
        description="How a range is sampled: uniformly (linear) or uniformly in its logarithm "
        "(log, for doses and rates spanning orders of magnitude; needs low > 0).",
    )
    integer: bool = Field(False, description="Round sampled values of a range to whole numbers.")
    levels: (
        Annotated[
            dict[Name, Annotated[dict[DottedPath, Any], Field(min_length=1)]],
            Field(min_length=1, max_length=MAX_LEVELS),
        ]
        | None
    ) = Field(
        None,
        description="Named levels, each a mapping of dotted paths to values set together, e.g. "
        "the order of two agents: {concurrent: {arms.2.regimen: '...'}, 'A then B': {...}}.",
    )

    @property
    def paths(self) -> list[str]:
        """The dotted paths a `path` axis sets (empty for a `levels` axis)."""
        if self.path is None:
            return []
        return [self.path] if isinstance(self.path, str) else list(self.path)

    @property
    def discrete(self) -> bool:
        """True for an axis of listed values or levels; False for a sampled range."""
        return self.range is None

    @property
    def size(self) -> int:
        """Number of values or levels (0 for a range)."""
        if self.levels is not None:
            return len(self.levels)
        return len(self.values) if self.values is not None else 0

    @model_validator(mode="after")
    def _one_kind(self) -> Axis:
        where = f"axes.{self.name}"
        given = [k for k in ("values", "range", "levels") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ConfigError(
                where,
                ", ".join(given) or "none",
                "give exactly one of values (a list), range ([low, high], sampled designs) or "
                "levels (named sets of entries)",
            )
        if self.levels is not None:
            if self.path is not None:
                raise ConfigError(
                    f"{where}.path",
                    self.path,
                    "a levels axis names its paths inside each level; remove path",
                )
        elif self.path is None:
            raise ConfigError(
                f"{where}.path",
                None,
                "name the study entry the axis sets, e.g. path: arms.1.regimen.0.amount "
                "(the dotted key of `tmesim trial --set`)",
            )
        for path in self.paths + [p for lv in (self.levels or {}).values() for p in lv]:
            if path.split(".")[0].strip() in _COMMON:
                raise ConfigError(
                    f"{where}.path",
                    path,
                    "every point keeps the study's seed so that all points treat the same "
                    "virtual patients; vary another entry (to repeat a sweep with other "
                    "patients, change the study's seed)",
                )
        if self.labels is not None:
            if self.values is None or len(self.labels) != len(self.values):
                raise ConfigError(
                    f"{where}.labels",
                    self.labels,
                    f"give one label per value ({self.size} values), or remove labels",
                )
            if len(set(self.labels)) != len(self.labels):
                raise ConfigError(f"{where}.labels", self.labels, "give every value its own label")
        if self.range is not None:
            low, high = self.range
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise ConfigError(
                    f"{where}.range", list(self.range), "give [low, high] with finite low < high"
                )
            if self.scale == "log" and low <= 0:
                raise ConfigError(
                    f"{where}.range",
                    list(self.range),
                    "a log-scaled range needs low > 0; raise low or use scale: linear",
                )
        elif self.scale == "log" or self.integer:
            raise ConfigError(
                f"{where}.scale", self.scale, "scale and integer apply to a range; remove them"
            )
        return self


def _positive_numbers(axis: Axis) -> bool:
    """True if every value the axis takes is a positive number (as a dose is)."""
    if axis.range is not None:
        return axis.range[0] > 0
    values = axis.values or []
    return bool(values) and all(
        isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in values
    )


class Design(_Strict):
    """Which points of the axes are run.

    Example:
        >>> Design(kind="sobol", n=8, seed=1).kind
        'sobol'
    """

    kind: Literal["grid", "latin_hypercube", "sobol"] = Field(
        "grid",
        description="grid: every combination of the axes' values (full factorial); "
        "latin_hypercube or sobol: n points sampled over the axes (scipy.stats.qmc), ranges "
        "continuously and listed values by index.",
    )
    n: int | None = Field(
        None,
        ge=1,
        le=MAX_POINTS,
        description="Points of a latin_hypercube or sobol design (sobol: a power of 2).",
    )
    seed: int = Field(
        0,
        ge=0,
        le=MAX_SEED,
        description="Seed of the sampled design (the patients' seed is the study's own).",
    )

    @model_validator(mode="after")
    def _n_fits(self) -> Design:
        if self.kind == "grid" and self.n is not None:
            raise ConfigError(
                "design.n", self.n, "a grid runs every combination of the values; remove n"
            )
        if self.kind != "grid" and self.n is None:
            raise ConfigError(
                "design.n", None, f"say how many points the {self.kind} design samples, e.g. n: 16"
            )
        if self.kind == "sobol" and self.n is not None and self.n & (self.n - 1):
            below = 1 << (self.n.bit_length() - 1)
            raise ConfigError(
                "design.n",
                self.n,
                f"a sobol design keeps its balance with a power of 2 points; use {below} or "
                f"{2 * below}",
            )
        return self


class Synergy(_Strict):
    """Which arms of each point are the two single agents and their combination.

    At every point the study's arms give the response of agent A alone, B alone and A + B on the
    same virtual patients; the Bliss and highest-single-agent excesses of the combination are
    computed per point with paired bootstrap intervals (`tmesim.sweeps.synergy`).

    Example:
        >>> Synergy(a="anti-PD-1", b="IPI-549", combination="both").endpoints
        ['ORR', 'CR', 'tumor_free']
    """

    a: Name = Field(description="Name of the arm of agent A alone.")
    b: Name = Field(description="Name of the arm of agent B alone.")
    combination: Name = Field(description="Name of the arm of A and B together.")
    endpoints: Annotated[list[Literal["ORR", "CR", "DCR", "tumor_free"]], Field(min_length=1)] = (
        Field(
            ["ORR", "CR", "tumor_free"],
            description="Yes/no endpoints to combine: ORR, CR, DCR (clinical trials) and tumor_free "
            "(mouse studies); those a study does not record are skipped.",
        )
    )
    bootstrap: int = Field(
        1000,
        ge=100,
        le=100_000,
        description="Bootstrap resamples of the patients for the intervals.",
    )
    confidence: float = Field(
        0.95, gt=0.5, lt=1, description="Level of the bootstrap intervals (0.95: 95%)."
    )
    seed: int = Field(0, ge=0, le=MAX_SEED, description="Seed of the bootstrap resamples.")
    dose_a: Name | None = Field(
        None,
        description="The axis that sets agent A's dose (positive numbers), with dose_b: the "
        "Loewe combination index is then computed wherever both agents alone reach the "
        "combination's effect within the swept doses (default: no Loewe).",
    )
    dose_b: Name | None = Field(None, description="The axis that sets agent B's dose.")

    @model_validator(mode="after")
    def _three_arms(self) -> Synergy:
        names = [self.a, self.b, self.combination]
        if len(set(names)) != 3:
            raise ConfigError(
                "synergy", names, "name three different arms: A alone, B alone, A + B"
            )
        return self


class SweepConfig(_Strict):
    """A sweep: a study template, its axes, the design and the analyses of the points.

    Example:
        >>> SweepConfig(title="t", study={"title": "s"}, axes=[{"name": "n",
        ...     "path": "cohorts.0.n", "values": [5, 10]}]).design.kind
        'grid'
    """

    model_config = ConfigDict(extra="forbid", title="tmesim sweep")

    title: str = Field(
        min_length=1, max_length=300, description="Title of the sweep (report header)."
    )
    description: str = Field(
        "", max_length=MAX_TEXT, description="The question the sweep asks (report introduction)."
    )
    study: Annotated[str, Field(min_length=1, max_length=4096)] | dict[str, Any] = Field(
        description="The study template: a path to a `tmesim trial` YAML file (relative to the "
        "sweep file) or the study written inline; every point is this study with the axes' "
        "entries set."
    )
    axes: Annotated[list[Axis], Field(min_length=1, max_length=20)] = Field(
        description="The axes of the design (see the axis keys)."
    )
    design: Design = Field(default_factory=Design)
    landmarks_days: Annotated[
        list[Annotated[float, Field(gt=0, allow_inf_nan=False)]], Field(max_length=20)
    ] = Field(
        default_factory=list,
        description="Days at which PFS, OS (and survival to the humane endpoint) are read as "
        "Kaplan-Meier estimates with 95% intervals, e.g. [365, 730].",
    )
    synergy: Synergy | None = Field(
        None, description="Arms of the two agents and their combination (default: no synergy)."
    )
    heatmap: tuple[Name, Name] | None = Field(
        None,
        description="The two axes of the report's heatmaps, [x, y] (default: the first two).",
    )
    output: str | None = Field(
        None,
        min_length=1,
        max_length=4096,
        description="Output folder (default ./tmesim-out; the command's --out wins).",
    )

    @model_validator(mode="after")
    def _consistent(self) -> SweepConfig:
        names = [a.name for a in self.axes]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ConfigError("axes.name", dupes[0], "give every axis its own name")
        if self.design.kind == "grid":
            sampled = [a.name for a in self.axes if not a.discrete]
            if sampled:
                raise ConfigError(
                    f"axes.{sampled[0]}.range",
                    "set",
                    "a grid needs listed values; give values: [...] or sample the range with "
                    "design: {kind: latin_hypercube, n: ...}",
                )
            size = math.prod(a.size for a in self.axes)
            if size > MAX_POINTS:
                raise ConfigError(
                    "axes",
                    size,
                    f"the grid has {size} points, more than {MAX_POINTS}; use fewer values or a "
                    "latin_hypercube design",
                )
        if self.synergy is not None:
            self._dose_axes(self.synergy, {a.name: a for a in self.axes})
        if self.heatmap is not None:
            for name in self.heatmap:
                if name not in names:
                    raise ConfigError("heatmap", name, "name two axes of the sweep", choices=names)
            if self.heatmap[0] == self.heatmap[1]:
                raise ConfigError("heatmap", list(self.heatmap), "name two different axes")
        return self

    @staticmethod
    def _dose_axes(synergy: Synergy, axes: dict[str, Axis]) -> None:
        given = [k for k in ("dose_a", "dose_b") if getattr(synergy, k) is not None]
        if len(given) == 1:
            raise ConfigError(
                f"synergy.{given[0]}",
                getattr(synergy, given[0]),
                "Loewe needs both dose axes; give dose_a and dose_b, or neither",
            )
        for key in given:
            name = getattr(synergy, key)
            axis = axes.get(name)
            if axis is None:
                raise ConfigError(f"synergy.{key}", name, "name an axis", choices=list(axes))
            if not _positive_numbers(axis):
                raise ConfigError(
                    f"synergy.{key}",
                    name,
                    "a dose axis takes positive numbers (values or a range); name the axis that "
                    "sets the agent's dose",
                )
        if given and synergy.dose_a == synergy.dose_b:
            raise ConfigError("synergy.dose_b", synergy.dose_b, "name the other agent's axis")

    @property
    def heatmap_axes(self) -> tuple[str, str] | None:
        """The [x, y] axes of the heatmaps: `heatmap`, else the first two (None with one axis)."""
        if self.heatmap is not None:
            return self.heatmap
        return (self.axes[0].name, self.axes[1].name) if len(self.axes) > 1 else None


def sweep_from_dict(
    data: Mapping[str, Any], overrides: Sequence[str] = (), *, source: str | None = None
) -> SweepConfig:
    """Validate parsed data (plus ``key=value`` overrides) as a :class:`SweepConfig`."""
    if not isinstance(data, Mapping):
        raise ConfigError(
            source or "sweep", data, "a sweep is a mapping with title, study and axes"
        )
    return validate_config(SweepConfig, data, overrides=overrides, source=source, label="sweep")


def study_data(config: SweepConfig, base: Path | None) -> dict[str, Any]:
    """The study template as parsed data: read from its file (relative to `base`) or inline."""
    if isinstance(config.study, dict):
        return dict(config.study)
    path = Path(config.study)
    if not path.is_absolute() and base is not None:
        path = Path(base) / path
    if not path.is_file():
        raise ConfigError(
            "study",
            config.study,
            "no such study file; give the path of a `tmesim trial` YAML file, relative to the "
            "sweep file, or write the study inline",
        )
    data = read_yaml(path)
    if not isinstance(data, Mapping):
        raise ConfigError("study", str(path), "the study file must hold a mapping")
    return dict(data)


def load_sweep(path: Path, overrides: Sequence[str] = ()) -> tuple[SweepConfig, dict[str, Any]]:
    """Read a sweep YAML file (with ``--set`` overrides): the config and its study template.

    An override ``study.KEY=VALUE`` reaches into the study template whether it is written inline
    or read from its file (``--set study.cohorts.0.n=20``).
    """
    path = Path(path)
    data = read_yaml(path)
    data = {} if data is None else data
    into_study = [o for o in overrides if o.strip().startswith("study.")]
    if isinstance(data, Mapping) and isinstance(data.get("study"), str) and into_study:
        rest = [o for o in overrides if o not in into_study]
        config = sweep_from_dict(data, rest, source=str(path))
        template = apply_overrides(
            study_data(config, path.parent), [o.strip().removeprefix("study.") for o in into_study]
        )
        return config, template
    config = sweep_from_dict(data, overrides, source=str(path))
    return config, study_data(config, path.parent)

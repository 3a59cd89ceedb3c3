"""`tmesim calibrate`: fit named preset parameters to a chosen subset of validation targets.

Method. Each evaluation simulates the chosen targets' studies at a small group size with the
trial parameters set; the studies' own seeds give every evaluation the same virtual subjects
(common random numbers), so the objective is a deterministic, if step-like, function of the
parameters. The loss is the sum over targets of a squared standardized distance, in published
units:

- a published value: ((simulated − published) / s)², s the published standard error — the width
  of the published 95% interval the acceptance rule uses (Wilson from k of n, Newcombe for a
  difference, the published CI rescaled to 95%) / 3.92 — else the stated tolerance / 1.96 (a
  tolerance is a 95% band, as the intervals of the other rules);
- a published range: the distance outside the range over its margin / 1.96, squared;
- a direction: the shortfall from the minimum effect over that minimum, squared;
- a target that cannot be simulated: a fixed penalty of 100.

The optimizer is scipy's ``differential_evolution`` (default; seeded, ``polish=False``, because
the objective is noisy and step-like, where gradient polishing is meaningless) or Nelder–Mead
from the config's `start` values (default: the middle of the bounds); parameters are searched in log or linear scale within their bounds.
The same config and seed give the same files.

Example:
    >>> cfg = config_from_dict({"targets": ["de_henau_2016_b16gmcsf_checkpoint_cr"], "parameters": [
    ...     {"preset": "mouse_b16_gmcsf", "id": "tumor_myeloid_factor", "bounds": [2, 50]}]})
    >>> cfg.method, cfg.seed
    ('differential_evolution', 0)
"""

from __future__ import annotations

import hashlib
import json
import math
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from tmesim.config.validation import validate_config
from tmesim.config.yamlio import dump_yaml, read_yaml
from tmesim.errors import ConfigError
from tmesim.io.atomic import atomic_write_text
from tmesim.validation.acceptance import published_estimate
from tmesim.validation.metrics import MetricValue
from tmesim.validation.record import CalibrationRecord, FittedParameter, record_to_yaml
from tmesim.validation.targets import Target, load_targets, target_files

PARAMETERS_FILE = "calibrated_parameters.yaml"
RECORD_FILE = "calibration_record.yaml"
FAILURE_PENALTY = 100.0
Z95 = 1.96
"""A tolerance or a range's margin is read as a 95% band: Z95 standard errors, like the CIs the
other rules pass within, so no kind of rule weighs more than another in the loss."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FittedSpec(_Strict):
    """One parameter to fit."""

    preset: str = Field(min_length=1, description="Preset whose value is fitted.")
    id: str = Field(min_length=1, description="Parameter id (`tmesim parameters PRESET`).")
    bounds: tuple[float, float] = Field(description="Search interval, in the parameter's units.")
    scale: Literal["log", "linear"] = Field("log", description="Search scale.")
    literature_value: float | None = Field(
        None, description="A published value, if any, to flag a large move on the page."
    )
    start: float | None = Field(
        None,
        description="Starting value of the search (default: the middle of the bounds, in the "
        "search scale). Set here, not read from the preset, so that a preset shipping the "
        "calibrated value gives the same calibration when it is run again.",
    )


class CalibrationConfig(_Strict):
    """What to fit, to which targets, and how."""

    targets: list[str] = Field(min_length=1, description="Target ids used for calibration.")
    parameters: list[FittedSpec] = Field(min_length=1)
    method: Literal["differential_evolution", "nelder_mead"] = Field(
        "differential_evolution", description="Search method (scipy.optimize)."
    )
    seed: int = Field(
        0, ge=0, le=2**32 - 1, description="Seed of the search and of the simulated subjects."
    )
    n_per_evaluation: int = Field(20, ge=1, le=10_000, description="Subjects per group.")
    iterations: int = Field(10, ge=1, le=1000, description="Generations / simplex iterations.")
    population: int = Field(5, ge=2, le=100, description="differential_evolution popsize.")


def config_from_dict(data: Mapping[str, Any], *, source: str | None = None) -> CalibrationConfig:
    """Validate a calibration config and check its targets, presets, parameters and bounds."""
    from tmesim.parameters.presets import get_preset

    cfg = validate_config(CalibrationConfig, data, source=source, label="calibration config")
    known = [p.stem for p in target_files()]
    for i, name in enumerate(cfg.targets):
        if name not in known:
            raise ConfigError(f"targets[{i}]", name, "name a target id", choices=known)
    for i, p in enumerate(cfg.parameters):
        params = get_preset(p.preset)
        if p.id not in params:
            raise ConfigError(
                f"parameters[{i}].id",
                p.id,
                f"name a parameter of preset {p.preset}",
                choices=[q.id for q in params],
            )
        low, high = p.bounds
        if not (low < high) or (p.scale == "log" and low <= 0):
            raise ConfigError(
                f"parameters[{i}].bounds",
                list(p.bounds),
                "give [low, high] with low < high (and low > 0 on a log scale)",
            )
    return cfg


def load_config(path: Path) -> CalibrationConfig:
    """Read a calibration config YAML file."""
    data = read_yaml(Path(path))
    if not isinstance(data, Mapping):
        raise ConfigError(str(path), data, "a calibration config is a mapping (targets, ...)")
    return config_from_dict(data, source=str(path))


def config_hash(cfg: CalibrationConfig) -> str:
    """A short hash of the validated config."""
    text = json.dumps(cfg.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def standardized_distance(target: Target, simulated: MetricValue) -> float:
    """The target's distance from its published value in standard-error units (see module)."""
    p, a = target.published, target.acceptance
    value = simulated.value * target.scale
    if not math.isfinite(value):
        return math.sqrt(FAILURE_PENALTY)
    if a.rule == "direction":
        effect = value - a.no_effect
        signed = effect if a.sign == "positive" else -effect
        shortfall = max(0.0, a.min_size - signed)
        return shortfall / max(a.min_size, 1e-9) if shortfall > 0 else 0.0
    if a.rule == "range":
        assert p.range is not None
        low, high = p.range
        outside = max(low - value, value - high, 0.0)
        return outside / max(a.margin / Z95, 1e-9) if outside > 0 else 0.0
    assert p.value is not None
    if a.rule == "consistent":
        published, (low, high) = published_estimate(target)
        return (value - published) / max((high - low) / (2 * Z95), 1e-12)
    se = max(a.absolute or 0.0, (a.relative or 0.0) * abs(p.value)) / Z95
    return (value - p.value) / max(se, 1e-12)


@dataclass(frozen=True)
class Evaluation:
    loss: float
    distances: dict[str, float]


class Objective:
    """The calibration loss as a function of the search vector (log or linear per parameter)."""

    def __init__(
        self, cfg: CalibrationConfig, targets: Sequence[Target], n_threads: int | None
    ) -> None:
        self.cfg = cfg
        self.targets = list(targets)
        self.n_threads = n_threads
        self.history: list[tuple[list[float], float]] = []

    def values(self, x: np.ndarray) -> list[float]:
        """Parameter values (model units) of a search vector."""
        return [
            float(10.0**xi) if p.scale == "log" else float(xi)
            for xi, p in zip(x, self.cfg.parameters, strict=True)
        ]

    def overrides(self, values: Sequence[float]) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for v, p in zip(values, self.cfg.parameters, strict=True):
            out.setdefault(p.preset, {})[p.id] = v
        return out

    def evaluate(self, values: Sequence[float]) -> Evaluation:
        from tmesim.validation.runner import simulate_target

        overrides = self.overrides(values)
        distances: dict[str, float] = {}
        with tempfile.TemporaryDirectory(prefix="tmesim-calibrate-") as tmp:
            runs: dict[str, Any] = {}
            for target in self.targets:
                try:
                    value = simulate_target(
                        target,
                        self.cfg.n_per_evaluation,
                        overrides,
                        runs,
                        Path(tmp),
                        threads=self.n_threads,
                    )
                    distances[target.id] = standardized_distance(target, value)
                except ConfigError:
                    raise
                except Exception:  # a failed simulation is a bad point, not a crash
                    distances[target.id] = math.sqrt(FAILURE_PENALTY)
        loss = float(sum(d * d for d in distances.values()))
        return Evaluation(loss, distances)

    def __call__(self, x: np.ndarray) -> float:
        values = self.values(np.asarray(x, dtype=float))
        loss = self.evaluate(values).loss
        self.history.append((values, loss))
        return loss


@dataclass(frozen=True)
class CalibrationResult:
    parameters: list[FittedParameter]
    record: CalibrationRecord
    parameters_file: Path
    record_file: Path


def _search_space(cfg: CalibrationConfig) -> tuple[list[tuple[float, float]], np.ndarray]:
    """Bounds and starting point in the search scale; both come from the config alone."""
    bounds, start = [], []
    for p in cfg.parameters:
        low, high = p.bounds
        if p.scale == "log":
            bounds.append((math.log10(low), math.log10(high)))
        else:
            bounds.append((low, high))
        lo, hi = bounds[-1]
        if p.start is None:
            start.append((lo + hi) / 2)
        else:
            first = min(max(p.start, low), high)
            start.append(math.log10(first) if p.scale == "log" else first)
    return bounds, np.array(start)


def calibrate(
    cfg: CalibrationConfig,
    out: str | Path,
    *,
    config_name: str = "config",
    n_threads: int | None = None,
) -> CalibrationResult:
    """Fit the config's parameters to its targets and write calibrated_parameters.yaml and
    calibration_record.yaml into `out` (atomically)."""
    from scipy import optimize

    from tmesim.parameters.presets import get_preset

    targets = load_targets(cfg.targets)
    objective = Objective(cfg, targets, n_threads)
    bounds, start = _search_space(cfg)
    if cfg.method == "differential_evolution":
        result = optimize.differential_evolution(
            objective,
            bounds,
            seed=cfg.seed,
            maxiter=cfg.iterations,
            popsize=cfg.population,
            polish=False,
            init="latinhypercube",
            updating="immediate",
            x0=start,
        )
    else:
        result = optimize.minimize(
            objective,
            start,
            method="Nelder-Mead",
            bounds=bounds,
            options={"maxiter": cfg.iterations, "xatol": 1e-3, "fatol": 1e-3},
        )
    best = objective.values(np.asarray(result.x, dtype=float))
    loss = float(result.fun)
    digest = config_hash(cfg)
    ids = ", ".join(cfg.targets)
    source = (
        f"calibrated to targets [{ids}] by tmesim calibrate ({config_name}, hash {digest}, "
        f"seed {cfg.seed})"
    )
    fitted = []
    for value, p in zip(best, cfg.parameters, strict=True):
        current = get_preset(p.preset)[p.id]
        fitted.append(
            FittedParameter(
                id=p.id,
                preset=p.preset,
                value=float(f"{value:.6g}"),
                units=current.units,
                previous_value=current.value,
                literature_value=p.literature_value,
                source=source,
            )
        )
    all_ids = [q.stem for q in target_files()]
    record = CalibrationRecord(
        method=f"{cfg.method} (scipy), {cfg.iterations} iterations, n = "
        f"{cfg.n_per_evaluation} per group per evaluation, common random numbers",
        config=config_name,
        config_hash=digest,
        seed=cfg.seed,
        loss=float(f"{loss:.6g}"),
        calibration_targets=list(cfg.targets),
        validation_targets=[i for i in all_ids if i not in cfg.targets],
        parameters=fitted,
    )
    out = Path(out)
    parameters_file = atomic_write_text(
        out / PARAMETERS_FILE,
        dump_yaml({"parameters": [f.model_dump(mode="json") for f in fitted]}),
    )
    record_file = atomic_write_text(out / RECORD_FILE, record_to_yaml(record))
    return CalibrationResult(fitted, record, parameters_file, record_file)

"""Parameters with units, sources and priors, and named parameter sets (presets).

A `ParameterSet` holds one value per model parameter, each with its units, its source ("paper,
table", or "calibrated to target X", or "assumed: reason") and a prior for virtual populations, plus
the initial state. It is immutable: `updated(...)` returns a new set, with the override recorded as
the source of the changed values.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from tmesim.errors import ConfigError
from tmesim.model.builder import Model
from tmesim.model.states import N_CLONES
from tmesim.parameters.units import convert, parse_quantity


@dataclass(frozen=True)
class Prior:
    """Inter-individual variability of a parameter.

    `lognormal`: median at the nominal value, coefficient of variation `cv`; `logitnormal` for
    fractions in (0, 1) with the same spread on the logit scale. Samples are clipped to
    [`lower`, `upper`] when given.
    """

    kind: Literal["fixed", "lognormal", "logitnormal"] = "fixed"
    cv: float = 0.0
    lower: float | None = None
    upper: float | None = None

    def sample(self, nominal: float, z: np.ndarray) -> np.ndarray:
        """Transform standard normal draws `z` into parameter values."""
        if self.kind == "fixed" or self.cv == 0.0 or nominal == 0.0:
            out = np.full_like(z, nominal, dtype=float)
        elif self.kind == "lognormal":
            sigma = math.sqrt(math.log1p(self.cv**2))
            out = nominal * np.exp(sigma * z)
        else:
            nominal = min(max(nominal, 1e-9), 1 - 1e-9)
            logit = math.log(nominal / (1 - nominal)) + self.cv * z
            out = 1.0 / (1.0 + np.exp(-logit))
        if self.lower is not None or self.upper is not None:
            out = np.clip(out, self.lower, self.upper)
        return out

    @classmethod
    def log_sd(cls, sd: float) -> Prior:
        """A log-normal prior whose log has standard deviation `sd` (how spreads over orders of
        magnitude, and population-kinetic random effects, are published).

        Example:
            >>> round(Prior.log_sd(1.1).cv, 2)
            1.53
        """
        return cls("lognormal", math.sqrt(math.expm1(sd**2)))


FIXED = Prior()


@dataclass(frozen=True)
class TreatmentStart:
    """How a virtual patient reaches treatment start: its tumor grows untreated from the preset's
    initial inoculum until the lesion reaches `volume_mm3` (each patient its own target, log-normal
    with sd `volume_log_sd` around it). A patient whose tumor does not get there within `max_days`
    is implausible and is replaced by the cohort's plausibility filter.

    Example:
        >>> TreatmentStart(75.0, 0.2, 60.0).volume_mm3
        75.0
    """

    volume_mm3: float | None = None
    volume_log_sd: float = 0.0
    max_days: float = 3650.0

    def __post_init__(self) -> None:
        if self.volume_mm3 is not None and not (
            math.isfinite(self.volume_mm3) and self.volume_mm3 > 0
        ):
            raise ConfigError("start.volume_mm3", self.volume_mm3, "give a positive volume in mm³")
        if not (math.isfinite(self.volume_log_sd) and self.volume_log_sd >= 0):
            raise ConfigError("start.volume_log_sd", self.volume_log_sd, "give a sd ≥ 0")
        if not (math.isfinite(self.max_days) and self.max_days > 0):
            raise ConfigError("start.max_days", self.max_days, "give a positive number of days")


@dataclass(frozen=True)
class Parameter:
    """One parameter value: stable id, value, units, source, prior, description."""

    id: str
    value: float
    units: str
    source: str
    prior: Prior = FIXED
    description: str = ""


@dataclass(frozen=True)
class ParameterSet:
    """A named, citable set of parameter values and initial conditions.

    Example:
        >>> from tmesim.parameters import get_preset
        >>> ps = get_preset("mouse_4t1")
        >>> ps["tumor_growth_rate"].units
        '1/day'
        >>> faster = ps.updated({"tumor_growth_rate": "0.02 1/hour"})
        >>> round(faster["tumor_growth_rate"].value, 3)
        0.48
    """

    name: str
    species: Literal["mouse", "human"]
    description: str
    parameters: Mapping[str, Parameter]
    initial: Mapping[str, float] = field(default_factory=dict)
    initial_sources: Mapping[str, str] = field(default_factory=dict)
    pretreatment_days: float = 0.0
    """Days the untreated model runs from `initial` before day 0 of a regimen (growth to the size at
    treatment start; 0 for a mouse study that starts at tumor inoculation)."""
    start: TreatmentStart = field(default_factory=TreatmentStart)
    """Size-based treatment start used by cohorts and trials (`tmesim.cohorts.baseline`)."""
    correlations: Mapping[tuple[str, str], float] = field(default_factory=dict)
    """Correlations between the standard-normal draws behind two varied parameters (Gaussian
    copula): biology that ties parameters together across patients."""

    def __getitem__(self, id: str) -> Parameter:
        try:
            return self.parameters[id]
        except KeyError:
            raise ConfigError(
                "parameters",
                id,
                "use a parameter id of the model (`tmesim parameters PRESET` lists them)",
                choices=list(self.parameters),
            ) from None

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self.parameters.values())

    def __len__(self) -> int:
        return len(self.parameters)

    def __contains__(self, id: object) -> bool:
        return id in self.parameters

    def value(self, id: str) -> float:
        return self[id].value

    def updated(
        self,
        overrides: Mapping[str, float | str] | None = None,
        *,
        source: str = "user override",
        name: str | None = None,
    ) -> ParameterSet:
        """A copy with some values replaced; strings may carry units ("0.3 1/day")."""
        params = dict(self.parameters)
        for pid, raw in (overrides or {}).items():
            old = self[pid]
            value = parse_quantity(raw, old.units, field=f"parameters.{pid}")
            if not math.isfinite(value) or value < 0:
                raise ConfigError(f"parameters.{pid}", raw, "give a finite, non-negative value")
            params[pid] = replace(old, value=value, source=source)
        return replace(self, parameters=params, name=name or self.name)

    def with_parameters(
        self, extra: Mapping[str, Parameter], *, name: str | None = None
    ) -> ParameterSet:
        """A copy where whole Parameter records (value, units, source) replace or add entries."""
        params = dict(self.parameters)
        for pid, p in extra.items():
            units = params[pid].units if pid in params else p.units
            value = convert(p.value, p.units, units, field=f"parameters.{pid}")
            prior = params[pid].prior if pid in params else p.prior
            params[pid] = replace(p, value=value, units=units, prior=prior)
        return replace(self, parameters=params, name=name or self.name)

    def check(self, model: Model) -> None:
        """Every model parameter is present with the model's units; no unknown ids."""
        missing = [p.id for p in model.parameters if p.id not in self.parameters]
        if missing:
            raise ConfigError(
                f"preset {self.name}",
                ", ".join(missing[:8]) + (" ..." if len(missing) > 8 else ""),
                f"{len(missing)} model parameters have no value; add them to the preset",
            )
        declared = {p.id: p for p in model.parameters}
        for p in self:
            if p.id not in declared:
                raise ConfigError(
                    f"preset {self.name}",
                    p.id,
                    "this parameter is not in the model; remove it",
                    choices=declared,
                )
            if p.units != declared[p.id].units:
                raise ConfigError(
                    f"preset {self.name}: {p.id}",
                    p.units,
                    f"the model declares '{declared[p.id].units}'",
                )
        unknown = [s for s in self.initial if s not in model.species_ids]
        if unknown:
            raise ConfigError(
                "initial", unknown[0], "use a species id of the model", choices=model.species_ids
            )

    def described(self, model: Model) -> ParameterSet:
        """A copy whose parameters carry the model's descriptions."""
        desc = {p.id: p.description for p in model.parameters}
        params = {
            pid: replace(p, description=desc.get(pid, p.description))
            for pid, p in self.parameters.items()
        }
        return replace(self, parameters=params)

    def vector(self, model: Model) -> np.ndarray:
        """Parameter values in the model's order."""
        self.check(model)
        return np.array(
            [self.parameters[pid].value for pid in model.parameter_ids], dtype=np.float64
        )

    def initial_state(self, model: Model) -> np.ndarray:
        """Initial state in the model's order (species not listed start at 0)."""
        return np.array([self.initial.get(sid, 0.0) for sid in model.species_ids], dtype=np.float64)

    def founding_states(self, model: Model, P: np.ndarray) -> np.ndarray:
        """Initial states of the patients whose parameters are the rows of `P`: the preset's
        initial state, with each patient's `clone_k_founder_fraction` of the parental clone's
        founding cells moved to variant k (pre-existing subclones).

        Example:
            >>> from tmesim.model import build_model
            >>> from tmesim.parameters import get_preset
            >>> m = build_model(); ps = get_preset("mouse_4t1")
            >>> P = np.tile(ps.vector(m), (2, 1))
            >>> P[1, m.parameter_index("clone_2_founder_fraction")] = 0.25
            >>> y = ps.founding_states(m, P); i = m.species_index("tumor_clone_2")
            >>> [float(v) for v in y[:, i] / y[:, m.species_index("tumor_clone_0")]]
            [0.0, 0.3333333333333333]
        """
        y = np.tile(self.initial_state(model), (P.shape[0], 1))
        parent = model.species_index("tumor_clone_0")
        shares = [
            (
                model.species_index(f"tumor_clone_{k}"),
                P[:, model.parameter_index(f"clone_{k}_founder_fraction")],
            )
            for k in range(1, N_CLONES)
        ]
        total = sum((f for _, f in shares), np.zeros(P.shape[0]))
        scale = np.where(total > 1.0, 1.0 / np.maximum(total, 1e-300), 1.0)
        founders = y[:, parent].copy()
        for i, f in shares:
            y[:, i] += founders * f * scale
        y[:, parent] = founders * (1.0 - total * scale)
        return y

    def content_hash(self) -> str:
        """Hash of all values, units, priors, correlations, initial conditions and start rule."""
        payload = {
            "parameters": {
                k: [p.value, p.units, p.prior.kind, p.prior.cv, p.prior.lower, p.prior.upper]
                for k, p in sorted(self.parameters.items())
            },
            "initial": dict(sorted(self.initial.items())),
            "correlations": sorted([a, b, r] for (a, b), r in self.correlations.items()),
            "start": [self.start.volume_mm3, self.start.volume_log_sd, self.start.max_days],
            "pretreatment_days": self.pretreatment_days,
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]

    def varied(self) -> list[Parameter]:
        """Parameters with inter-individual variability (non-fixed prior)."""
        return [p for p in self if p.prior.kind != "fixed" and p.prior.cv > 0]

    def correlation_matrix(self, ids: list[str]) -> np.ndarray:
        """Correlation matrix of the normal draws behind parameters `ids` (identity if none).

        Raises ConfigError when a correlation names a parameter that is not varied, lies outside
        (-1, 1), or the matrix is not positive definite.

        Example:
            >>> from tmesim.parameters import get_preset
            >>> ps = get_preset("mouse_4t1")
            >>> ids = [p.id for p in ps.varied()][:2]
            >>> ps.correlation_matrix(ids).shape
            (2, 2)
        """
        index = {pid: k for k, pid in enumerate(ids)}
        R = np.eye(len(ids))
        for (a, b), r in self.correlations.items():
            for pid in (a, b):
                if pid not in index:
                    raise ConfigError(
                        f"correlations[{a}, {b}]",
                        pid,
                        "correlate only parameters that have a prior (varied across patients)",
                        choices=ids,
                    )
            if not (-1.0 < r < 1.0) or a == b:
                raise ConfigError(
                    f"correlations[{a}, {b}]", r, "give two different parameters and |r| < 1"
                )
            R[index[a], index[b]] = R[index[b], index[a]] = r
        if len(ids) and np.linalg.eigvalsh(R)[0] <= 1e-10:
            raise ConfigError(
                f"preset {self.name}: correlations",
                dict(self.correlations),
                "the correlation matrix is not positive definite; weaken some correlations",
            )
        return R

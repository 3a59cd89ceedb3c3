"""What a study run derives once from its scenario, and the steps every unit shares.

`Study` holds the model, solver settings, each cohort's parameter set and each arm's simulation;
`Unit` is one piece of work (a cohort, an arm, a chunk of patients). The helpers solve a unit's
patients from their states at treatment start and lay out the long tables the report reads.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from tmesim.cohorts.baseline import BaselineSettings, PlausibilityFilter
from tmesim.cohorts.population import Phase, Stream, checkpoint_keys, patient_rng
from tmesim.config.trial import ArmSpec, CohortSpec, Eligibility, TrialScenario
from tmesim.config.validation import validate_config
from tmesim.errors import ConfigError
from tmesim.model.builder import Model
from tmesim.model.tumor_immune import build_model
from tmesim.parameters.parameter_set import ParameterSet, TreatmentStart
from tmesim.simulation import Simulation, simulate
from tmesim.solvers import DoseSchedule, SolverSettings, SolverStatus, describe
from tmesim.trials.body import dose_schedule
from tmesim.trials.stratification import stratified_allocation

MECHANISM_OBSERVABLES = (
    "cd8_tumor_density",
    "cd8_exhausted_fraction",
    "mdsc_density",
    "tam_m1_fraction",
    "myeloid_suppression",
    "tam_density",
    "cd8_total_density",
    "t_cell_macrophage_ratio",
    "lesion_cell_volume",
)
"""Observables saved with the tumor burden, to show how the treatments act (and the volume of the
living cells, beside the measured volume that includes necrosis and scar)."""


@dataclass(frozen=True)
class Unit:
    """One piece of work: the patients of one chunk of a cohort, treated in one arm."""

    cohort: int
    arm: int
    chunk: int
    patients: np.ndarray

    @property
    def name(self) -> str:
        return f"c{self.cohort:02d}-a{self.arm:02d}-k{self.chunk:05d}"


class Study:
    """Everything derived once from a scenario: model, parameter sets, solver settings."""

    def __init__(self, scenario: TrialScenario, n_threads: int | None) -> None:
        self.scenario = scenario
        self.model: Model = build_model()
        self.n_threads = n_threads
        self.solver = validate_config(
            SolverSettings, scenario.solver, label="solver", prefix=("solver",)
        )
        self.cohort_parameters = [self._cohort_parameters(c) for c in scenario.cohorts]
        species = {p.species for p in self.cohort_parameters}
        self.kind = scenario.kind or ("mouse_study" if species == {"mouse"} else "clinical_trial")
        for spec, params in zip(scenario.cohorts, self.cohort_parameters, strict=True):
            volume = params.start.volume_mm3
            if self.kind == "mouse_study" and volume >= scenario.endpoint_volume_mm3:
                raise ConfigError(
                    f"cohorts.{spec.name}.start_volume_mm3",
                    volume,
                    f"the tumor at treatment start must be below the humane endpoint "
                    f"(endpoint_volume_mm3 {scenario.endpoint_volume_mm3:g}); lower it or raise "
                    "the endpoint",
                )
        if self.kind == "clinical_trial" and scenario.rechallenge is not None:
            raise ConfigError(
                "rechallenge",
                "set",
                "rechallenge is for mouse studies (a human trial cannot "
                "re-inoculate its patients); remove it",
            )
        if self.kind == "mouse_study" and scenario.setting != "established":
            raise ConfigError(
                "setting", scenario.setting, "mouse studies use the 'established' setting"
            )
        if self.kind == "mouse_study":
            clinical = {
                "toxicity": scenario.toxicity.enabled
                or any(a.stops_at_toxicity for a in scenario.arms),
                "subgroups": bool(scenario.subgroups),
                "cohorts.body_size": any(c.body_size is not None for c in scenario.cohorts),
            }
            for key, used in clinical.items():
                if used:
                    raise ConfigError(
                        key, "set", f"{key} is for clinical trials; remove it from this mouse study"
                    )
        self.eligibility = [self._eligibility(c) for c in scenario.cohorts]
        self.arm_sims = [
            [self._arm_simulation(p, arm, ci) for arm in scenario.arms]
            for ci, p in enumerate(self.cohort_parameters)
        ]
        self.subsequent_sims = [
            [
                [
                    self._regimen_simulation(
                        p, t.regimen, f"arms.{arm.name}.subsequent_therapy.{t.name}.regimen", ci
                    )
                    for t in arm.subsequent_therapy
                ]
                for arm in scenario.arms
            ]
            for ci, p in enumerate(self.cohort_parameters)
        ]
        """per cohort and arm, the simulation of each subsequent therapy's regimen"""
        self.baseline_settings = [
            BaselineSettings(
                filters=tuple(
                    PlausibilityFilter(obs, lo, hi) for obs, (lo, hi) in c.plausibility.items()
                ),
                solver=self.solver,
            )
            for c in scenario.cohorts
        ]
        self.t_save = save_grid(scenario.follow_up_days, scenario.save_every_days)

    def _cohort_parameters(self, spec: CohortSpec) -> ParameterSet:
        try:
            sim = Simulation(
                spec.preset,
                mechanisms=spec.mechanisms,
                parameters_override=spec.parameters,
                model=self.model,
            )
        except ConfigError as exc:
            raise ConfigError(
                f"cohorts.{spec.name}.{exc.field}", exc.value, exc.fix, choices=exc.choices
            ) from None
        params = sim.parameters
        start = params.start
        volume = spec.start_volume_mm3 or start.volume_mm3
        if volume is None:
            raise ConfigError(
                f"cohorts.{spec.name}.start_volume_mm3",
                None,
                f"preset {spec.preset} has no size at treatment start; give start_volume_mm3",
            )
        sd = start.volume_log_sd if spec.start_volume_log_sd is None else spec.start_volume_log_sd
        return replace(params, start=TreatmentStart(volume, sd, start.max_days))

    def _eligibility(self, spec: CohortSpec) -> Eligibility:
        """The cohort's eligibility rules (clinical trials; default ones unless it sets them)."""
        if self.kind == "mouse_study" and spec.eligibility is not None:
            raise ConfigError(
                f"cohorts.{spec.name}.eligibility",
                "set",
                "eligibility (RECIST measurable disease, burden limits) is for clinical trials; "
                "remove it from this mouse study",
            )
        return spec.eligibility or Eligibility()

    def _arm_simulation(self, params: ParameterSet, arm: ArmSpec, ci: int) -> Simulation:
        return self._regimen_simulation(params, arm.regimen, f"arms.{arm.name}.regimen", ci)

    def _regimen_simulation(
        self, params: ParameterSet, regimen: str | list[dict[str, Any]], field: str, ci: int
    ) -> Simulation:
        try:
            # The cohort's overrides are applied again over the regimen's drug PK, so that an
            # override of a drug parameter (e.g. an antibody's Kd) holds in every arm.
            return Simulation(
                params,
                regimen=regimen,
                parameters_override=self.scenario.cohorts[ci].parameters,
                solver=self.solver,
                model=self.model,
            )
        except ConfigError as exc:
            raise ConfigError(
                f"{field} (cohort {self.scenario.cohorts[ci].name})", regimen, str(exc)
            ) from None

    def units(self) -> list[Unit]:
        s = self.scenario
        out = []
        for ci, cohort in enumerate(s.cohorts):
            ids = np.arange(cohort.n, dtype=np.int64)
            # Stratified: every arm's unit holds the whole chunk, allocated once the chunk's
            # baselines are known (`arm_patients`).
            simple = s.design == "randomized" and s.stratification is None
            arm_of = self.allocation(ids) if simple else None
            for k, first in enumerate(range(0, cohort.n, s.chunk_size)):
                chunk = ids[first : first + s.chunk_size]
                for ai in range(len(s.arms)):
                    mine = chunk if arm_of is None else chunk[arm_of[chunk] == ai]
                    out.append(Unit(ci, ai, k, mine))
        return out

    def allocation(self, ids: np.ndarray) -> np.ndarray:
        """Randomized design: each patient's arm, from its own allocation stream."""
        weights = np.array([a.ratio for a in self.scenario.arms], dtype=float)
        cum = np.cumsum(weights / weights.sum())
        u = np.array(
            [patient_rng(self.scenario.seed, int(i), Stream.ALLOCATION).random() for i in ids]
        )
        return np.minimum(np.searchsorted(cum, u, side="right"), len(weights) - 1)

    def arm_patients(self, unit: Unit, table: pd.DataFrame) -> np.ndarray:
        """The patients of `unit` treated in its arm: all of them, unless the randomization is
        stratified, then those the chunk's permuted blocks give the arm (`table`: the chunk's
        baseline rows in patient order, with the stratification factors)."""
        s = self.scenario
        if s.stratification is None:
            return unit.patients
        arms = stratified_allocation(
            table, s.stratification, [a.ratio for a in s.arms], s.seed, unit.cohort, unit.chunk
        )
        ids = table["patient_id"].to_numpy()
        return ids[arms == unit.arm]


def arm_inputs(
    study: Study,
    unit: Unit,
    sim: Simulation,
    P: np.ndarray,
    until: float,
    table: pd.DataFrame | None = None,
) -> tuple[np.ndarray, DoseSchedule]:
    """Parameter rows with the arm's drug PK, and its dose schedule (per patient when `table`
    holds each patient's drawn body, `trials.body`)."""
    arm = study.scenario.arms[unit.arm]
    P = with_regimen_pk(study, unit, sim, P)
    stop = until if arm.max_treatment_days is None else min(until, arm.max_treatment_days)
    return P, dose_schedule(sim, table, P.shape[0], stop)


def with_regimen_pk(
    study: Study, unit: Unit, sim: Simulation, P: np.ndarray, rows: np.ndarray | None = None
) -> np.ndarray:
    """A copy of parameter rows `P` with the drug PK of `sim`'s regimen (where it differs from
    the cohort's), in `rows` only if given."""
    cohort_params = study.cohort_parameters[unit.cohort]
    P = P.copy()
    where = slice(None) if rows is None else rows
    for p in sim.parameters:
        if p.id in cohort_params and cohort_params[p.id].value != p.value:
            P[where, study.model.parameter_index(p.id)] = p.value
    return P


def status_columns(status: np.ndarray, reason: np.ndarray) -> pd.DataFrame:
    names = [
        "implausible" if r else SolverStatus(int(c)).name.lower()
        for c, r in zip(status, reason, strict=True)
    ]
    messages = [
        r if r else ("" if c == 0 else describe(int(c)))
        for c, r in zip(status, reason, strict=True)
    ]
    return pd.DataFrame(
        {"status": names, "status_code": status.astype(np.int64), "message": messages}
    )


def solve_rows(
    study: Study,
    P: np.ndarray,
    Y: np.ndarray,
    t_save: np.ndarray,
    doses: DoseSchedule | None,
    ok: np.ndarray,
    keys: np.ndarray,
    t0: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observables (n, n_save, n_obs), final states and statuses; implausible rows stay NaN.
    `keys` seed each row's small-population rule (`checkpoint_keys`)."""
    n = P.shape[0]
    n_obs = len(study.model.observables)
    obs = np.full((n, len(t_save), n_obs), np.nan)
    y_final = np.full((n, Y.shape[1]), np.nan)
    status = np.full(n, SolverStatus.INVALID_INPUT, dtype=np.int64)
    idx = np.flatnonzero(ok)
    if idx.size:
        sol = simulate(
            study.model,
            P[idx],
            Y[idx],
            t_save,
            subset_doses(doses, idx),
            t0=t0,
            settings=study.solver,
            n_threads=study.n_threads,
            keys=keys[idx],
        )
        obs[idx], y_final[idx], status[idx] = sol.observables, sol.y_final, sol.status
    return obs, y_final, status


def phase_keys(study: Study, ids: np.ndarray, phase: Phase, lesion: int = 0) -> np.ndarray:
    """Keys of the small-population rule of patients `ids` (one lesion, one phase)."""
    return checkpoint_keys(study.scenario.seed, ids, phase, lesion=lesion)


def subset_doses(doses: DoseSchedule | None, idx: np.ndarray) -> DoseSchedule | None:
    """The schedule of patients `idx` only: their dose rows, gathered in order."""
    if doses is None:
        return None
    start, stop = doses.ptr[idx], doses.ptr[idx + 1]
    ptr = np.concatenate([[0], np.cumsum(stop - start)]).astype(np.int64)
    take = np.repeat(start - ptr[:-1], stop - start) + np.arange(ptr[-1])
    return DoseSchedule(ptr, doses.t[take], doses.state[take], doses.amount[take])


def observable(study: Study, obs: np.ndarray, name: str) -> np.ndarray:
    return obs[..., study.model.observable_ids.index(name)]


def long_burden(
    study: Study,
    ids: np.ndarray,
    days: np.ndarray,
    volume: np.ndarray,
    obs: np.ndarray | None,
    phase: str,
    until: np.ndarray | None = None,
) -> pd.DataFrame:
    """Long table of the tumor burden (and mechanism observables) per patient and saved day."""
    n, m = volume.shape
    keep = np.isfinite(volume)
    if until is not None:
        keep &= days[None, :] <= np.nan_to_num(until, nan=np.inf)[:, None]
    rows, cols = np.nonzero(keep)
    data = {
        "patient_id": ids[rows],
        "phase": phase,
        "day": days[cols],
        "tumor_volume_mm3": volume[rows, cols],
    }
    if obs is not None:
        for name in MECHANISM_OBSERVABLES:
            data[name] = observable(study, obs, name)[rows, cols]
    return pd.DataFrame(data)


def nullable(values: np.ndarray, valid: np.ndarray) -> pd.arrays.BooleanArray:
    out = pd.array(values.astype(bool), dtype="boolean")
    out[~valid] = pd.NA
    return out


def density(study: Study, P: np.ndarray) -> np.ndarray:
    return P[:, study.model.parameter_index("tumor_cell_density")]


def save_grid(days: float, every: float) -> np.ndarray:
    n = int(np.floor(days / every + 1e-9))
    grid = np.arange(n + 1) * every
    return grid if grid[-1] >= days - 1e-9 else np.append(grid, days)

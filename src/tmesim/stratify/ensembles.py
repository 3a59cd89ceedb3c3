"""Personalized virtual-patient ensembles, treated with every candidate regimen, read by RECIST.

Each patient's ensemble is drawn from its personalized prior (`mapping.personalize`) with its own
seed, derived from the root seed and the sample name, so a patient's virtual patients do not depend
on the other samples, their order or the thread count. Every member is grown untreated to its own
size at treatment start (`cohorts.baseline.grow_to_start`, cached on disk like trial baselines).
For each regimen, all patients' members are stacked into one cohort solve.

Response is the trials' definition: the lesion's measured diameter at scheduled scans
(`trials.endpoints.measured_diameters_mm`), read by RECIST 1.1 with confirmation
(`trials.recist.assess_visits`, the settings of `config.trial.ResponseCriteria` and `Visits`);
a responder has a best overall response of CR or PR. One target lesion per virtual patient, and
death is not simulated here: best response is read over the follow-up.

Treatment is integrated with the model's drug depots, and the compartments they alone feed, in
closed form (`tmesim.engines.qsp.exact_depots`: an oral drug's gut depot and plasma amount, the
s.c. interferon and vaccine depots): between doses they follow exp(-k t) and the Bateman
function, so the solver does not spend steps resolving absorption after every daily dose.
Everything else is integrated by the solver as before.

Example:
    >>> EnsembleSettings(members=8).scan_days().tolist()
    [0.0, 42.0, 84.0, 126.0, 168.0]
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from tmesim.cohorts.baseline import Baseline, grow_to_start
from tmesim.cohorts.population import Phase, checkpoint_keys
from tmesim.config.trial import ResponseCriteria, Visits
from tmesim.errors import ConfigError
from tmesim.model.builder import Model
from tmesim.parameters.parameter_set import ParameterSet
from tmesim.parameters.presets import get_preset
from tmesim.simulation import Simulation, simulate
from tmesim.solvers import DoseSchedule, SolverSettings, SolverStatus
from tmesim.stratify.panel import Candidate, applicable
from tmesim.trials.clinical import scheduled_visit_days
from tmesim.trials.endpoints import measured_diameters_mm
from tmesim.trials.recist import assess_visits
from tmesim.trials.statistics import proportion_ci

RESPONDER = ("CR", "PR")


class EnsembleSettings(BaseModel):
    """How many virtual patients per tumor, how long they are followed, how response is read."""

    model_config = ConfigDict(extra="forbid")

    members: int = Field(24, ge=2, le=10_000, description="Virtual patients per tumor profile.")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="Root seed of every ensemble.")
    follow_up_days: float = Field(
        168.0,
        gt=0,
        le=3650,
        description="Days of treatment and scans after treatment start: best overall response "
        "by week 24 (every dose is a stop of the integrator, so daily dosing makes longer "
        "follow-ups costlier).",
    )
    visits: Visits = Field(
        default_factory=lambda: Visits(every_days=42.0),
        description="Scans every 6 weeks (CheckMate 067 scanned at week 12, then every 6 weeks).",
    )
    response: ResponseCriteria = Field(default_factory=ResponseCriteria)
    solver: dict[str, Any] = Field(
        default_factory=lambda: {"rtol": 1e-5},
        description="Solver settings (tmesim.solvers.SolverSettings); rtol 1e-5 by default, far "
        "below the spread of the ensemble.",
    )
    cache: bool = Field(True, description="Reuse virtual patients grown before (on disk).")

    def scan_days(self) -> np.ndarray:
        """Baseline (day 0) and the scheduled scans within the follow-up."""
        return np.concatenate([[0.0], scheduled_visit_days(self.visits, self.follow_up_days)])

    def solver_settings(self) -> SolverSettings:
        try:
            return SolverSettings(**self.solver)
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                "solver", self.solver, f"give valid solver settings ({exc})"
            ) from None


def patient_seed(seed: int, sample: str) -> int:
    """The seed of one patient's ensemble: from the root seed and the sample name only.

    Example:
        >>> patient_seed(1, "TCGA-01") == patient_seed(1, "TCGA-01") != patient_seed(2, "TCGA-01")
        True
    """
    digest = int.from_bytes(hashlib.sha256(str(sample).encode()).digest()[:8], "little")
    state = np.random.SeedSequence([int(seed), digest]).generate_state(2, dtype=np.uint32)
    return int(state[0]) << 32 | int(state[1])


@dataclass(frozen=True)
class PatientEnsemble:
    """One tumor's virtual patients at treatment start, drawn from its personalized prior."""

    sample: str
    preset: str
    parameters: ParameterSet
    baseline: Baseline

    @property
    def antigens(self) -> tuple[str, ...]:
        return ("cd19",) if self.parameters["clone_0_cd19"].value > 0 else ()


def grow_ensembles(
    priors: Sequence[tuple[str, str, ParameterSet]],
    model: Model,
    settings: EnsembleSettings,
    *,
    n_threads: int | None = None,
    progress: Any = None,
) -> list[PatientEnsemble]:
    """Grow each patient's ensemble to treatment start: `priors` is (sample, preset, prior)."""
    from tmesim.cohorts.baseline import BaselineSettings

    grow = BaselineSettings(solver=settings.solver_settings())
    out = []
    members = np.arange(settings.members, dtype=np.int64)
    for sample, preset, params in priors:
        baseline = grow_to_start(
            params,
            model,
            members,
            patient_seed(settings.seed, sample),
            settings=grow,
            n_threads=n_threads,
            cache=settings.cache,
        )
        out.append(PatientEnsemble(sample, preset, params, baseline))
        if progress is not None:
            progress()
    return out


def _arm_parameters(model: Model, preset: str, regimen: str) -> tuple[np.ndarray, np.ndarray]:
    """(indices, values) of the parameters a regimen sets (its drugs' PK)."""
    base = get_preset(preset)
    sim = Simulation(base, regimen=regimen, model=model)
    idx, values = [], []
    for p in sim.parameters:
        if p.id in base and base[p.id].value != p.value:
            idx.append(model.parameter_index(p.id))
            values.append(p.value)
    return np.array(idx, dtype=np.int64), np.array(values)


def simulate_candidate(
    ensembles: Sequence[PatientEnsemble],
    candidate: Candidate,
    model: Model,
    settings: EnsembleSettings,
    *,
    n_threads: int | None = None,
) -> pd.DataFrame:
    """Every member of every applicable patient under one regimen: one row per member with
    status, best_response, best_percent_change and responder."""
    rows_P, rows_Y, keys, rows_keys = [], [], [], []
    for e in ensembles:
        if not applicable(candidate, e.antigens):
            continue
        ok = e.baseline.plausible
        if not ok.any():
            continue
        idx, values = _arm_parameters(model, e.preset, candidate.regimen)
        P = e.baseline.P[ok].copy()
        P[:, idx] = values
        rows_P.append(P)
        rows_Y.append(e.baseline.Y[ok])
        keys.extend((e.sample, int(m)) for m in e.baseline.patient_id[ok])
        seed = patient_seed(settings.seed, e.sample)
        rows_keys.append(checkpoint_keys(seed, e.baseline.patient_id[ok], Phase.TREATMENT))
    columns = ["sample", "regimen", "member", "status", "best_response", "best_percent_change"]
    if not keys:
        return pd.DataFrame(columns=[*columns, "responder"])
    P = np.concatenate(rows_P)
    Y = np.concatenate(rows_Y)
    n = P.shape[0]
    days = settings.scan_days()
    schedule = Simulation(
        get_preset(ensembles[0].preset), regimen=candidate.regimen, model=model
    ).dose_schedule(1, until_day=settings.follow_up_days)
    doses = DoseSchedule(
        np.arange(n + 1, dtype=np.int64) * len(schedule.t),
        np.tile(schedule.t, n),
        np.tile(schedule.state, n),
        np.tile(schedule.amount, n),
    )
    sol = simulate(
        model,
        P,
        Y,
        days,
        doses,
        settings=settings.solver_settings(),
        n_threads=n_threads,
        exact_depots=True,
        keys=np.concatenate(rows_keys),
    )
    volume = sol.observables[:, :, model.observable_ids.index("tumor_volume")]
    diameters = measured_diameters_mm(volume, settings.response.detection_limit_mm)
    solved = (sol.status == 0) & (diameters[:, 0] > 0)
    samples = np.array([k[0] for k in keys], dtype=object)
    members = np.array([k[1] for k in keys], dtype=np.int64)
    rows = np.flatnonzero(solved)
    visits = pd.DataFrame(
        {
            "cohort": np.repeat(samples[rows], len(days)),
            "arm": candidate.name,
            "patient_id": np.repeat(members[rows], len(days)),
            "day": np.tile(days, len(rows)),
            "sum_diameters_mm": diameters[rows].reshape(-1),
            "new_lesions": 0,
            "new_lesion_sum_mm": 0.0,
        }
    )
    r = settings.response
    _, assessed = assess_visits(
        visits,
        criteria=r.criteria,
        confirm=r.confirm,
        confirmation_days=r.confirmation_days,
        min_sd_days=r.min_sd_days,
    )
    out = pd.DataFrame(
        {
            "sample": samples,
            "regimen": candidate.name,
            "member": members,
            "status": [SolverStatus(int(s)).name.lower() for s in sol.status],
            "best_response": "NE",
            "best_percent_change": np.nan,
        }
    )
    out.loc[rows, "best_response"] = assessed["best_response"].to_numpy()
    out.loc[rows, "best_percent_change"] = assessed["best_percent_change"].to_numpy()
    out["responder"] = out["best_response"].isin(RESPONDER)
    return out


def response_probabilities(members: pd.DataFrame) -> pd.DataFrame:
    """Per patient and regimen: members evaluated, responders, probability of response with its
    95% Wilson interval (Monte Carlo uncertainty of the ensemble), and the mean best % change.

    Example:
        >>> m = pd.DataFrame({"sample": "s", "regimen": "r", "best_response": ["PR", "PD", "SD", "CR"],
        ...                   "responder": [True, False, False, True],
        ...                   "best_percent_change": [-40.0, 30.0, 0.0, -100.0]})
        >>> row = response_probabilities(m).iloc[0]
        >>> int(row["n"]), int(row["responders"]), float(row["probability"])
        (4, 2, 0.5)
    """
    evaluated = members[members["best_response"] != "NE"]
    rows = []
    for (sample, regimen), g in evaluated.groupby(["sample", "regimen"], sort=False):
        n, k = len(g), int(g["responder"].sum())
        low, high = proportion_ci(k, n)
        rows.append(
            {
                "sample": sample,
                "regimen": regimen,
                "n": n,
                "responders": k,
                "probability": k / n,
                "ci_low": low,
                "ci_high": high,
                "mean_best_percent_change": float(g["best_percent_change"].mean()),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "sample",
            "regimen",
            "n",
            "responders",
            "probability",
            "ci_low",
            "ci_high",
            "mean_best_percent_change",
        ],
    )

"""Simulation: model + parameters + regimen + solver, run for one or many virtual patients.

`simulate(...)` is the pure function underneath (arrays in, arrays out) that a distributed engine
can map over chunks of patients; `Simulation` is the orchestrator most users touch; `run_scenario`
runs a YAML scenario and streams results to disk in chunks.

Example:
    >>> from tmesim import Simulation
    >>> sim = Simulation("mouse_4t1", regimen="anti-pd-1 200 ug biw x6 from day 7")
    >>> result = sim.solve(days=30)                      # doctest: +SKIP
    >>> result.observable("tumor_volume")[0, -1]         # doctest: +SKIP
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from tmesim.cohorts.population import Phase, checkpoint_keys, sample_population
from tmesim.config.limits import check_parameter_values, lethal_burden_mm3
from tmesim.engines.qsp.compiled import compiled_kernel
from tmesim.engines.qsp.exact_depots import exact_states
from tmesim.errors import ConfigError
from tmesim.model.builder import Model
from tmesim.model.tumor_immune import build_model
from tmesim.parameters.parameter_set import Parameter, ParameterSet
from tmesim.parameters.presets import get_preset
from tmesim.solvers import (
    CohortSolution,
    DoseSchedule,
    SolverSettings,
    SolverStatus,
    describe,
    solve,
)
from tmesim.therapies.dosing import Subject, dose_events, pk_parameters
from tmesim.therapies.regimen import Regimen, regimen_from_config

if TYPE_CHECKING:
    from tmesim.config.scenario import SimulationScenario

IMPLAUSIBLE_STATUS_CODE = -1
"""Status code of a patient whose baseline is implausible in every draw (tumor burden at treatment
start beyond the lethal burden): listed with a reason, never a success."""
MAX_ATTEMPTS = 10
"""Draws per virtual patient before one without a tumor on day 0 is kept as it is (as cohorts'
`BaselineSettings.max_attempts`)."""


def simulate(
    model: Model,
    P: np.ndarray,
    Y0: np.ndarray,
    t_save: np.ndarray,
    doses: DoseSchedule,
    *,
    t0: float = 0.0,
    settings: SolverSettings | None = None,
    n_threads: int | None = None,
    exact_depots: bool = False,
    keys: np.ndarray | None = None,
) -> CohortSolution:
    """Integrate virtual patients (rows of `P`, `Y0`) with the compiled kernel of `model`; with
    `exact_depots`, the drug depots and the compartments they alone feed follow their closed
    form between doses (:func:`tmesim.engines.qsp.exact_depots.exact_states`). `keys` seed each
    patient's small-population rule (:func:`tmesim.cohorts.population.checkpoint_keys`)."""
    return solve(
        compiled_kernel(model),
        Y0,
        P,
        t0,
        t_save,
        doses,
        extinct_idx=np.array(model.extinguishable_indices, dtype=np.int64),
        settings=settings,
        n_threads=n_threads,
        exact=exact_states(model, P) if exact_depots else None,
        keys=keys,
    )


@dataclass(frozen=True)
class SimulationResult:
    """Observables of every patient at the save times, their statuses and sampled parameters."""

    model: Model
    t: np.ndarray
    observables: np.ndarray
    """(n_patients, n_save, n_obs)"""
    status: np.ndarray
    patients: pd.DataFrame
    """One row per patient: id, status, message, sampled parameters, summary observables."""
    y_final: np.ndarray

    def observable(self, id: str) -> np.ndarray:
        """(n_patients, n_save) trajectory of one observable."""
        try:
            k = self.model.observable_ids.index(id)
        except ValueError:
            raise ConfigError(
                "observable",
                id,
                "use an observable id of the model",
                choices=self.model.observable_ids,
            ) from None
        return self.observables[:, :, k]

    def to_xarray(self) -> xr.Dataset:
        """Trajectories as a labelled dataset: one variable per observable, dims (patient, time)."""
        data = {
            o.id: (
                ("patient", "time"),
                self.observables[:, :, k],
                {"units": o.units, "description": o.description},
            )
            for k, o in enumerate(self.model.observables)
        }
        coords = {
            "patient": self.patients["patient_id"].to_numpy(),
            "time": ("time", self.t, {"units": "day"}),
        }
        return xr.Dataset(data, coords=coords)


@dataclass
class Simulation:
    """A preset (or parameter set), a regimen, mechanism switches and solver settings.

    Example:
        >>> sim = Simulation("mouse_4t1", regimen="rmp1-14 200 ug biw x6 from day 7",
        ...                  mechanisms={"nk_missing_self": False})
        >>> sim.parameters["mechanism_nk_missing_self"].value
        0.0
    """

    preset: str | ParameterSet
    regimen: str | Regimen | list | None = None
    mechanisms: Mapping[str, bool] = field(default_factory=dict)
    parameters_override: Mapping[str, float | str] = field(default_factory=dict)
    solver: SolverSettings = field(default_factory=SolverSettings)
    model: Model = field(default_factory=build_model)

    def __post_init__(self) -> None:
        base = get_preset(self.preset) if isinstance(self.preset, str) else self.preset
        self.regimen_ = regimen_from_config(
            self.regimen if self.regimen is not None else "untreated"
        )
        self.subject = Subject(species=base.species)
        switches = {}
        for name, on in self.mechanisms.items():
            mech = self.model.mechanism(name)
            if not isinstance(on, bool):
                raise ConfigError(f"mechanisms.{name}", on, "use true or false")
            switches[mech.parameter_id] = 1.0 if on else 0.0
        pk = pk_parameters(self.regimen_, self.subject) if not self.regimen_.is_untreated else {}
        with_pk = base.with_parameters(
            {pid: Parameter(pid, pv.value, pv.units, pv.source) for pid, pv in pk.items()}
        )
        params = with_pk.updated(switches, source="mechanism switch").updated(
            dict(self.parameters_override)
        )
        params.check(self.model)
        check_parameter_values(
            ((pid, params[pid].value) for pid in self.parameters_override),
            {d.id: (d.units, d.description) for d in self.model.parameters},
            "parameters",
        )
        self.parameters: ParameterSet = params.described(self.model)

    def dose_schedule(self, patients: int, *, until_day: float | None = None) -> DoseSchedule:
        """The regimen's doses in model units, the same for every patient."""
        events = dose_events(self.regimen_, self.subject, until_day=until_day)
        times = [e.time_day for e in events]
        idx = [self.model.species_index(e.state_id) for e in events]
        amounts = [e.amount for e in events]
        return DoseSchedule.from_lists([(times, idx, amounts)] * patients)

    def solve(
        self,
        days: float,
        *,
        save_every: float = 1.0,
        n_patients: int = 1,
        seed: int = 0,
        variability: bool = False,
        first_patient: int = 0,
        n_threads: int | None = None,
    ) -> SimulationResult:
        """Simulate `n_patients` virtual patients for `days` days after day 0 of the regimen.

        The model first runs untreated for the preset's `pretreatment_days` (from its initial state
        to the size at treatment start). With `variability`, patient i draws its parameters from the
        priors with its own stream of the root `seed`; a patient whose tumor is gone before
        treatment starts (fewer than one tumor cell on day 0: its immune system rejected it
        untreated) is not one the regimen can treat, and is replaced by a fresh draw from its own
        streams (attempt 1, 2, ..., up to `MAX_ATTEMPTS` draws, as cohorts replace implausible
        patients), so no other patient changes. So is one whose burden on day 0 is beyond lethal
        (:func:`tmesim.config.limits.lethal_burden_mm3`); one beyond it in every draw gets the
        status "implausible" (code -1), never a success. The table records `attempts` and
        `tumor_at_start`; `tumor_eradicated` counts only tumors present on day 0.
        """
        if not (days > 0 and math.isfinite(days)):
            raise ConfigError("duration_days", days, "give a positive, finite number of days")
        if not save_every > 0:
            raise ConfigError("save_every_days", save_every, "give a positive save interval")
        ids = np.arange(first_patient, first_patient + n_patients)
        P, table = sample_population(
            self.parameters, self.model, ids, seed, variability=variability
        )
        Y0 = self.parameters.founding_states(self.model, P)
        n_save = int(math.floor(days / save_every + 1e-9)) + 1
        t_save = np.arange(n_save) * save_every
        doses = self.dose_schedule(n_patients, until_day=days)
        k_cells = self.model.observable_ids.index("tumor_cells")
        k_vol = self.model.observable_ids.index("tumor_volume")
        lethal = lethal_burden_mm3(self.parameters.species, self.parameters.start.volume_mm3)
        attempts = np.zeros(n_patients, dtype=np.int64)
        obs = np.full((n_patients, n_save, len(self.model.observables)), np.nan)
        y_final = np.full_like(Y0, np.nan)
        status = np.zeros(n_patients, dtype=np.int64)
        todo = np.arange(n_patients)
        while todo.size:
            sol = simulate(
                self.model,
                P[todo],
                Y0[todo],
                t_save,
                doses if todo.size == n_patients else self.dose_schedule(todo.size, until_day=days),
                t0=-self.parameters.pretreatment_days,
                settings=self.solver,
                n_threads=n_threads,
                keys=checkpoint_keys(seed, ids[todo], Phase.TREATMENT, attempts=attempts[todo]),
            )
            obs[todo], y_final[todo], status[todo] = sol.observables, sol.y_final, sol.status
            day0 = sol.observables[:, 0]
            gone = (sol.status == 0) & ((day0[:, k_cells] < 1.0) | (day0[:, k_vol] > lethal))
            retry = todo[gone & (attempts[todo] + 1 < MAX_ATTEMPTS)]
            if retry.size == 0 or not variability:
                break
            attempts[retry] += 1
            P[retry], redrawn = sample_population(
                self.parameters, self.model, ids[retry], seed, attempts=attempts[retry]
            )
            table.loc[retry, redrawn.columns] = redrawn.to_numpy()
            todo = retry
        patients = _patient_table(self.model, table, obs, status, attempts)
        beyond = (status == 0) & (obs[:, 0, k_vol] > lethal)
        if beyond.any():
            # Not a patient the regimen can treat: never counted as a success.
            patients.loc[beyond, "status"] = "implausible"
            patients.loc[beyond, "status_code"] = IMPLAUSIBLE_STATUS_CODE
            patients.loc[beyond, "message"] = (
                f"tumor burden at treatment start above the lethal burden ({lethal:g} mm^3) in "
                "every draw; not a patient the regimen can treat"
            )
            patients.loc[beyond, "tumor_eradicated"] = False
            status = np.where(beyond, IMPLAUSIBLE_STATUS_CODE, status)
        return SimulationResult(self.model, t_save, obs, status, patients, y_final)


def new_tumor_site(
    model: Model, state: np.ndarray, initial: np.ndarray, cells: float, clone: int = 0
) -> np.ndarray:
    """State of a rechallenge at a new site: systemic compartments (blood, lymph node, memory,
    drugs) carried over, the tumor site fresh (infiltrate and cytokines at their initial values),
    inoculated with `cells` cells of `clone`.

    Example:
        >>> from tmesim.parameters import get_preset
        >>> m = build_model(); y0 = get_preset("mouse_4t1").initial_state(m)
        >>> y = new_tumor_site(m, y0, y0, 1e5)
        >>> float(y[m.species_index("tumor_clone_0")])
        100000.0
    """
    out = np.array(state, dtype=float, copy=True)
    for i, sp in enumerate(model.species):
        if sp.compartment == "tumor" and not sp.id.startswith("anti_"):
            out[..., i] = 0.0 if sp.id.startswith("tumor_clone_") else initial[..., i]
    out[..., model.species_index(f"tumor_clone_{clone}")] = cells
    return out


def _patient_table(
    model: Model, sampled: pd.DataFrame, obs: np.ndarray, status: np.ndarray, attempts: np.ndarray
) -> pd.DataFrame:
    table = sampled.copy()
    table.insert(1, "status", [SolverStatus(int(s)).name.lower() for s in status])
    table.insert(2, "status_code", status.astype(np.int64))
    table.insert(3, "message", ["" if s == 0 else describe(int(s)) for s in status])
    table.insert(4, "attempts", attempts + 1)
    k_vol = model.observable_ids.index("tumor_volume")
    k_cells = model.observable_ids.index("tumor_cells")
    at_start = obs[:, 0, k_cells] >= 1.0
    table["tumor_at_start"] = at_start
    table["tumor_volume_day0"] = obs[:, 0, k_vol]
    table["tumor_volume_final"] = obs[:, -1, k_vol]
    table["tumor_volume_nadir"] = np.fmin.reduce(obs[:, :, k_vol], axis=1)  # skips a failed tail
    table["tumor_cells_final"] = obs[:, -1, k_cells]
    table["tumor_eradicated"] = at_start & (obs[:, -1, k_cells] < 1.0)
    return table


@dataclass(frozen=True)
class RunSummary:
    """What a `run_scenario` call did, for the command line."""

    out_dir: Path
    n_patients: int
    n_failed: int
    seconds: float
    eradicated: int
    no_tumor_at_start: int = 0
    implausible: int = 0
    """Patients whose burden at treatment start was beyond lethal in every draw (not failed)."""

    def summary(self) -> str:
        rate = self.n_patients / self.seconds if self.seconds > 0 else float("inf")
        absent = (
            f"; no tumor at treatment start in {self.no_tumor_at_start} (not counted)"
            if self.no_tumor_at_start
            else ""
        )
        beyond = (
            f"; {self.implausible} implausible (burden beyond lethal at treatment start, not "
            "counted)"
            if self.implausible
            else ""
        )
        return (
            f"{self.n_patients} virtual patients in {self.seconds:.1f} s ({rate:.0f}/s); "
            f"{self.n_failed} failed; tumor eradicated in {self.eradicated}{absent}{beyond}; "
            f"results in {self.out_dir}"
        )


def run_scenario(
    scenario: SimulationScenario,
    out_dir: Path,
    *,
    progress: bool = True,
    n_threads: int | None = None,
    resume: bool = False,
    scheduler: str | None = None,
    workers: int | None = None,
) -> RunSummary:
    """Run a `SimulationScenario`, writing the per-patient table, trajectories and manifest.

    The chunks of `chunk_size` patients are independent tasks (:func:`cohort_chunk`): they run
    here, or on a Dask cluster (`scheduler` address, or `workers` local processes;
    :mod:`tmesim.executor`). Each chunk is written (``patients/part-*.parquet``, a Parquet
    dataset, and ``trajectories/chunk-*.nc``) as soon as it arrives, and the final table is
    merged part by part, so memory holds a few chunks whatever the cohort's size. With `resume`,
    the chunks already written under the same configuration are kept and only the missing ones
    run (after a killed run or a lost worker)."""
    from rich.progress import Progress

    from tmesim.executor import check_backend, distributed, per_process, run_tasks, task_threads
    from tmesim.io.manifest import hash_json, write_manifest
    from tmesim.io.results import ResultWriter

    check_backend(scheduler, workers)
    out_dir = Path(out_dir)
    sim = _scenario_simulation(scenario)
    compiled_kernel(sim.model)  # compile (or load from cache) before the clock starts
    config = scenario.model_dump(mode="json")
    config.pop("output", None)  # where the run is written does not change it
    config_hash = hash_json(config)
    writer = ResultWriter(out_dir, config_hash=config_hash, fresh=not resume)
    threads = task_threads(n_threads, scheduler, workers)
    if not distributed(scheduler, workers):  # the chunks run here: reuse this simulation
        per_process(f"cohort-{config_hash}", lambda: sim, fresh=True)
    chunks = range(0, scenario.n_patients, scenario.chunk_size)
    kept = writer.resumable_chunks() if resume else set()
    todo = (
        (scenario, config_hash, threads, index, first)
        for index, first in enumerate(chunks)
        if index not in kept
    )
    start = time.perf_counter()
    with Progress(disable=not progress, transient=True) as bar:
        done = sum(min(scenario.chunk_size, scenario.n_patients - chunks[i]) for i in kept)
        task = bar.add_task("simulating", total=scenario.n_patients, completed=done)
        for _, (index, patients, trajectories) in run_tasks(
            cohort_chunk, todo, scheduler=scheduler, workers=workers
        ):
            writer.write_chunk(index, patients, trajectories)
            bar.advance(task, len(patients))
    final = writer.finalize(expected_chunks=range(len(chunks)))
    seconds = time.perf_counter() - start
    n_failed, implausible, eradicated, absent = _outcome_counts(final)
    write_manifest(
        out_dir,
        command="simulate",
        config=scenario.model_dump(mode="json"),
        seed=scenario.seed,
        model_hash=sim.model.structure_hash(),
        parameter_hash=sim.parameters.content_hash(),
        extra={
            "regimen": str(sim.regimen_),
            "seconds": round(seconds, 3),
            "chunks": len(chunks),
            "chunks_resumed": len(kept),
        },
    )
    return RunSummary(
        out_dir, scenario.n_patients, n_failed, seconds, eradicated, absent, implausible
    )


def _scenario_simulation(scenario: SimulationScenario) -> Simulation:
    from tmesim.config.validation import validate_config

    return Simulation(
        scenario.preset,
        regimen=scenario.regimen,
        mechanisms=scenario.mechanisms,
        parameters_override=scenario.parameters,
        solver=validate_config(SolverSettings, scenario.solver, label="solver", prefix=("solver",)),
    )


def cohort_chunk(
    scenario: SimulationScenario, config_hash: str, n_threads: int | None, index: int, first: int
) -> tuple[int, pd.DataFrame, xr.Dataset]:
    """Chunk `index` of a scenario's cohort (patients `first` to `first + chunk_size - 1`):
    ``(index, patient table, trajectories)``. A pure function of its arguments (every patient
    draws from its own streams of the seed), the task a Dask worker runs; the simulation derived
    from `scenario` is built once per process (`config_hash` names it)."""
    from tmesim.executor import per_process

    sim = per_process(f"cohort-{config_hash}", lambda: _scenario_simulation(scenario))
    result = sim.solve(
        scenario.duration_days,
        save_every=scenario.save_every_days,
        n_patients=min(scenario.chunk_size, scenario.n_patients - first),
        seed=scenario.seed,
        variability=scenario.variability,
        first_patient=first,
        n_threads=n_threads,
    )
    return index, result.patients, result.to_xarray()


def _outcome_counts(table: Path) -> tuple[int, int, int, int]:
    """Failed, implausible, eradicated and tumor-free-at-start patients of a merged table, read
    batch by batch (three columns) so that a cohort of millions is never held in memory."""
    import pyarrow.parquet as pq

    failed = implausible = eradicated = absent = 0
    columns = ["status_code", "tumor_eradicated", "tumor_at_start"]
    for batch in pq.ParquetFile(table).iter_batches(columns=columns, batch_size=65536):
        code = batch.column(0).to_numpy(zero_copy_only=False)
        erad = batch.column(1).to_numpy(zero_copy_only=False).astype(bool)
        at_start = batch.column(2).to_numpy(zero_copy_only=False).astype(bool)
        failed += int((code > 0).sum())
        implausible += int((code == IMPLAUSIBLE_STATUS_CODE).sum())
        eradicated += int(erad.sum())
        absent += int(((code == 0) & ~at_start).sum())
    return failed, implausible, eradicated, absent

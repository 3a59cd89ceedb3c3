"""Run a virtual mouse study or clinical trial: cohorts × arms, chunk by chunk, resumable.

The work is cut into units (cohort, arm, chunk of patients). Each cohort chunk is grown to treatment
start once (`cohorts.baseline`, cached on disk) and then treated in every arm, so the arms of a study
share the same virtual patients. Each finished unit writes its rows (patients, burden, visits) as
Parquet parts and then a marker; `resume=True` skips the units whose marker exists, so an interrupted
run loses at most the units in flight and ends with the same tables as an uninterrupted one.

Example:
    >>> from tmesim.config.trial import trial_from_dict
    >>> s = trial_from_dict({"title": "t", "cohorts": [{"name": "4T1", "preset": "mouse_4t1",
    ...     "n": 4}], "arms": [{"name": "control"}], "follow_up_days": 20})
    >>> summary = run_study(s, Path("out"))        # doctest: +SKIP
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from tmesim.cohorts.baseline import (
    Baseline,
    BaselineSettings,
    PlausibilityFilter,
    grow_lesions,
    grow_to_start,
)
from tmesim.cohorts.population import Stream, patient_rng
from tmesim.config.trial import ArmSpec, CohortSpec, TrialScenario
from tmesim.config.validation import validate_config
from tmesim.engines.qsp.compiled import compiled_kernel
from tmesim.errors import ConfigError
from tmesim.io.atomic import atomic_write, atomic_write_text
from tmesim.io.manifest import hash_json, write_manifest
from tmesim.model.builder import Model
from tmesim.model.tumor_immune import build_model
from tmesim.parameters.parameter_set import ParameterSet, TreatmentStart
from tmesim.simulation import Simulation, new_tumor_site, simulate
from tmesim.solvers import SolverSettings, SolverStatus, describe
from tmesim.trials.endpoints import (
    NEW_LESION_DIAMETER_MM,
    death_days,
    first_crossing_day,
    measured_diameters_mm,
    new_lesion_days,
    time_to_event,
    tumor_free_at_end,
)
from tmesim.trials.recist import assess_visits

TABLES = ("patients", "burden", "visits")
MECHANISM_OBSERVABLES = (
    "cd8_tumor_density",
    "cd8_exhausted_fraction",
    "mdsc_density",
    "tam_m1_fraction",
    "myeloid_suppression",
)
OUTPUT_FILES = (
    "patients.parquet",
    "burden.parquet",
    "visits.parquet",
    "study.json",
    "manifest.json",
    "report.html",
)
MAX_NEW_LESIONS = 4


@dataclass(frozen=True)
class StudySummary:
    """What a `run_study` call did."""

    out_dir: Path
    rows: int
    failed: int
    units_run: int
    units_resumed: int
    seconds: float
    report: Path | None

    def summary(self) -> str:
        resumed = f" ({self.units_resumed} finished units kept)" if self.units_resumed else ""
        report = f"; report {self.report}" if self.report else ""
        return (
            f"{self.rows} patient-arm rows in {self.seconds:.1f} s{resumed}; {self.failed} failed; "
            f"results in {self.out_dir}{report}"
        )


@dataclass(frozen=True)
class _Unit:
    cohort: int
    arm: int
    chunk: int
    patients: np.ndarray

    @property
    def name(self) -> str:
        return f"c{self.cohort:02d}-a{self.arm:02d}-k{self.chunk:05d}"


class _Study:
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
        if scenario.kind is None:
            kind = "mouse_study" if species == {"mouse"} else "clinical_trial"
            self.kind = kind
        else:
            self.kind = scenario.kind
        if self.kind == "mouse_study" and scenario.setting != "established":
            raise ConfigError(
                "setting", scenario.setting, "mouse studies use the 'established' setting"
            )
        self.arm_sims = [
            [self._arm_simulation(p, arm, ci) for arm in scenario.arms]
            for ci, p in enumerate(self.cohort_parameters)
        ]
        self.baseline_settings = [
            BaselineSettings(
                filters=tuple(
                    PlausibilityFilter(obs, lo, hi) for obs, (lo, hi) in c.plausibility.items()
                ),
                solver=self.solver,
            )
            for c in scenario.cohorts
        ]
        self.t_save = _save_grid(scenario.follow_up_days, scenario.save_every_days)

    def _cohort_parameters(self, spec: CohortSpec) -> ParameterSet:
        try:
            sim = Simulation(
                spec.preset,
                mechanisms=spec.mechanisms,
                parameters_override=spec.parameters,
                model=self.model,
            )
        except ConfigError as exc:
            raise ConfigError(f"cohorts.{spec.name}.{exc.field}", exc.value, exc.fix) from None
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

    def _arm_simulation(self, params: ParameterSet, arm: ArmSpec, ci: int) -> Simulation:
        try:
            return Simulation(params, regimen=arm.regimen, solver=self.solver, model=self.model)
        except ConfigError as exc:
            raise ConfigError(
                f"arms.{arm.name}.regimen (cohort {self.scenario.cohorts[ci].name})",
                arm.regimen,
                str(exc),
            ) from None

    def units(self) -> list[_Unit]:
        s = self.scenario
        out = []
        for ci, cohort in enumerate(s.cohorts):
            ids = np.arange(cohort.n, dtype=np.int64)
            arm_of = self.allocation(ids) if s.design == "randomized" else None
            for k, first in enumerate(range(0, cohort.n, s.chunk_size)):
                chunk = ids[first : first + s.chunk_size]
                for ai in range(len(s.arms)):
                    mine = chunk if arm_of is None else chunk[arm_of[chunk] == ai]
                    out.append(_Unit(ci, ai, k, mine))
        return out

    def allocation(self, ids: np.ndarray) -> np.ndarray:
        """Randomized design: each patient's arm, from its own allocation stream."""
        weights = np.array([a.ratio for a in self.scenario.arms], dtype=float)
        cum = np.cumsum(weights / weights.sum())
        u = np.array(
            [patient_rng(self.scenario.seed, int(i), Stream.ALLOCATION).random() for i in ids]
        )
        return np.minimum(np.searchsorted(cum, u, side="right"), len(weights) - 1)


def run_study(
    scenario: TrialScenario,
    out_dir: Path,
    *,
    resume: bool = False,
    progress: bool = True,
    n_threads: int | None = None,
    report: bool = True,
) -> StudySummary:
    """Run `scenario` into `out_dir`: per-patient table, burden and visit tables, study.json,
    manifest and (with `report`) the HTML report."""
    from rich.progress import Progress

    out_dir = Path(out_dir)
    study = _Study(scenario, n_threads)
    compiled_kernel(study.model)
    parts = out_dir / "parts"
    config_hash = hash_json(_config_for_hash(scenario))
    _prepare(out_dir, parts, config_hash, resume)
    units = study.units()
    done = {p.stem for p in (parts / "done").glob("*.json")} if resume else set()
    start = time.perf_counter()
    baselines: dict[tuple[int, int], list[Baseline]] = {}
    run = 0
    total = sum(len(u.patients) for u in units)
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("simulating", total=total)
        for unit in units:
            if unit.name in done:
                bar.advance(task, len(unit.patients))
                continue
            key = (unit.cohort, unit.chunk)
            if key not in baselines:
                baselines.clear()
                chunk_ids = _chunk_ids(study, unit)
                baselines[key] = _baselines(study, unit.cohort, chunk_ids)
            tables = _run_unit(study, unit, baselines[key])
            _write_unit(parts, unit, tables)
            run += 1
            bar.advance(task, len(unit.patients))
    seconds = time.perf_counter() - start
    return _finalize(study, out_dir, parts, units, run, len(done), seconds, report)


def _config_for_hash(scenario: TrialScenario) -> dict:
    data = scenario.model_dump(mode="json")
    data.pop("output", None)
    return data


def _prepare(out_dir: Path, parts: Path, config_hash: str, resume: bool) -> None:
    marker = parts / "run.json"
    if resume and marker.exists():
        previous = json.loads(marker.read_text())
        if previous.get("config_hash") != config_hash:
            raise ConfigError(
                "--resume",
                str(out_dir),
                "this folder holds a run of a different study (or other settings); resume with "
                "the same scenario and --set values, or drop --resume to start afresh",
            )
        return
    if parts.exists():
        shutil.rmtree(parts)
    for name in OUTPUT_FILES:
        (out_dir / name).unlink(missing_ok=True)
    (parts / "done").mkdir(parents=True, exist_ok=True)
    atomic_write_text(marker, json.dumps({"config_hash": config_hash}))


def _chunk_ids(study: _Study, unit: _Unit) -> np.ndarray:
    s = study.scenario
    n = s.cohorts[unit.cohort].n
    first = unit.chunk * s.chunk_size
    return np.arange(first, min(first + s.chunk_size, n), dtype=np.int64)


def _baselines(study: _Study, ci: int, ids: np.ndarray) -> list[Baseline]:
    """The chunk's patients at treatment start: one Baseline per lesion (1 unless metastatic)."""
    s = study.scenario
    spec = s.cohorts[ci]
    params = study.cohort_parameters[ci]
    first = grow_to_start(
        params,
        study.model,
        ids,
        s.seed,
        variability=spec.variability,
        settings=study.baseline_settings[ci],
        n_threads=study.n_threads,
    )
    out = [first]
    if s.setting == "metastatic":
        counts = lesion_counts(s.seed, ids, s.lesions.mean_target_lesions)
        for j in range(1, int(counts.max(initial=1))):
            out.append(
                grow_lesions(
                    first,
                    params,
                    study.model,
                    j,
                    s.seed,
                    heterogeneity_cv=s.lesions.heterogeneity_cv,
                    present=counts > j,
                    settings=study.baseline_settings[ci],
                    n_threads=study.n_threads,
                )
            )
    return out


def lesion_counts(seed: int, ids: np.ndarray, mean: float) -> np.ndarray:
    """Target lesions per patient: 1 + Poisson(mean − 1), at most 5 (RECIST 1.1's limit)."""
    return np.array(
        [min(5, 1 + patient_rng(seed, int(i), Stream.LESIONS).poisson(mean - 1.0)) for i in ids],
        dtype=np.int64,
    )


def _select(b: Baseline, ids: np.ndarray) -> Baseline:
    pos = np.searchsorted(b.patient_id, ids)
    return Baseline(b.patient_id[pos], b.P[pos], b.Y[pos], b.table.iloc[pos].reset_index(drop=True))


def _run_unit(study: _Study, unit: _Unit, lesions: list[Baseline]) -> dict[str, pd.DataFrame]:
    s = study.scenario
    if len(unit.patients) == 0:  # a randomized arm can receive no patient of a chunk
        return {name: pd.DataFrame() for name in TABLES}
    lesions = [_select(b, unit.patients) for b in lesions]
    first = lesions[0]
    sim = study.arm_sims[unit.cohort][unit.arm]
    arm = s.arms[unit.arm]
    cohort = s.cohorts[unit.cohort]
    base = first.table.copy()
    base.insert(0, "cohort", cohort.name)
    base.insert(1, "arm", arm.name)
    if study.kind == "mouse_study":
        patients, burden, visits = _mouse_unit(study, unit, sim, first)
    else:
        patients, burden, visits = _clinical_unit(study, unit, sim, lesions)
    table = pd.concat([base.reset_index(drop=True), patients.reset_index(drop=True)], axis=1)
    for df in (burden, visits):
        df.insert(0, "cohort", cohort.name)
        df.insert(1, "arm", arm.name)
    return {"patients": _order_columns(table), "burden": burden, "visits": visits}


def _order_columns(table: pd.DataFrame) -> pd.DataFrame:
    """Identity, status and endpoints first; sampled parameters after."""
    first = ["cohort", "arm", "patient_id", "status", "status_code", "message"]
    endpoint_cols = [c for c in table.columns if c not in first and not _is_parameter(c)]
    params = [c for c in table.columns if _is_parameter(c) and c not in first]
    return table[first + endpoint_cols + params]


def _is_parameter(column: str) -> bool:
    return column in _parameter_ids()


def _parameter_ids() -> set[str]:
    return set(build_model().parameter_ids)


def _arm_inputs(
    study: _Study, unit: _Unit, sim: Simulation, P: np.ndarray, until: float
) -> tuple[np.ndarray, object]:
    """Parameter rows with the arm's drug PK, and its dose schedule."""
    arm = study.scenario.arms[unit.arm]
    cohort_params = study.cohort_parameters[unit.cohort]
    P = P.copy()
    for p in sim.parameters:
        if p.id in cohort_params and cohort_params[p.id].value != p.value:
            P[:, study.model.parameter_index(p.id)] = p.value
    stop = until if arm.max_treatment_days is None else min(until, arm.max_treatment_days)
    return P, sim.dose_schedule(P.shape[0], until_day=stop)


def _status_columns(status: np.ndarray, reason: np.ndarray) -> pd.DataFrame:
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


def _solve_plausible(
    study: _Study,
    P: np.ndarray,
    Y: np.ndarray,
    t_save: np.ndarray,
    doses,
    ok: np.ndarray,
    t0: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observables (n, n_save, n_obs), final states and statuses; implausible rows stay NaN."""
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
            _subset_doses(doses, idx),
            t0=t0,
            settings=study.solver,
            n_threads=study.n_threads,
        )
        obs[idx], y_final[idx], status[idx] = sol.observables, sol.y_final, sol.status
    return obs, y_final, status


def _subset_doses(doses, idx: np.ndarray):
    from tmesim.solvers import DoseSchedule

    if doses is None:
        return None
    rows = [
        (
            doses.t[doses.ptr[i] : doses.ptr[i + 1]],
            doses.state[doses.ptr[i] : doses.ptr[i + 1]],
            doses.amount[doses.ptr[i] : doses.ptr[i + 1]],
        )
        for i in idx
    ]
    return DoseSchedule.from_lists(rows)


def _observable(study: _Study, obs: np.ndarray, name: str) -> np.ndarray:
    return obs[..., study.model.observable_ids.index(name)]


def _long_burden(
    study: _Study,
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
            data[name] = _observable(study, obs, name)[rows, cols]
    return pd.DataFrame(data)


def _mouse_unit(
    study: _Study, unit: _Unit, sim: Simulation, b: Baseline
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    s = study.scenario
    days = study.t_save
    ok = b.plausible
    P, doses = _arm_inputs(study, unit, sim, b.P, s.follow_up_days)
    obs, y_final, status = _solve_plausible(study, P, np.nan_to_num(b.Y), days, doses, ok)
    volume = _observable(study, obs, "tumor_volume")
    cells = _observable(study, obs, "tumor_cells")
    solved = ok & (status == 0)
    reached = first_crossing_day(days, volume, s.endpoint_volume_mm3)
    endpoint_day, endpoint_event = time_to_event(reached, s.follow_up_days)
    # A mouse that reached the humane endpoint was euthanized: it cannot be tumor-free later.
    cured = solved & tumor_free_at_end(days, cells, _density(study, P), s.palpable_mm3)
    cured &= np.isnan(reached)
    tumor_free = pd.array(cured, dtype="boolean")
    tumor_free[~solved] = pd.NA
    out = _status_columns(status, b.table["implausible_reason"].to_numpy())
    out["tumor_free"] = tumor_free
    out["final_volume_mm3"] = volume[:, -1]
    out["final_tumor_cells"] = cells[:, -1]
    out["endpoint_day"] = np.where(solved, endpoint_day, np.nan)
    out["endpoint_event"] = pd.array(np.where(solved, endpoint_event, False), dtype="boolean")
    out.loc[~solved, "endpoint_event"] = pd.NA
    burden = [_long_burden(study, b.patient_id, days, volume, obs, "primary", reached)]
    rechallenged = pd.array([pd.NA] * len(b.patient_id), dtype="boolean")
    if s.rechallenge is not None:
        rows = np.flatnonzero(cured)
        if rows.size:
            free, rc_days, rc_volume = _rechallenge(study, unit.cohort, P[rows], y_final[rows])
            rechallenged[rows] = free
            burden.append(
                _long_burden(study, b.patient_id[rows], rc_days, rc_volume, None, "rechallenge")
            )
        if unit.arm == 0:
            naive = np.flatnonzero(ok)
            if naive.size:
                free, rc_days, rc_volume = _rechallenge(study, unit.cohort, P[naive], None)
                out["naive_challenge_tumor_free"] = pd.array([pd.NA] * len(ok), dtype="boolean")
                out.loc[naive, "naive_challenge_tumor_free"] = free
                burden.append(
                    _long_burden(study, b.patient_id[naive], rc_days, rc_volume, None, "naive")
                )
    out["rechallenge_tumor_free"] = rechallenged
    return out, pd.concat(burden, ignore_index=True), pd.DataFrame()


def _density(study: _Study, P: np.ndarray) -> np.ndarray:
    return P[:, study.model.parameter_index("tumor_cell_density")]


def _rechallenge(
    study: _Study, cohort: int, P: np.ndarray, y: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inoculate a new site of mice in states `y` after the wash-out (`y` None: naive mice of
    the same parameters, no wash-out); (tumor-free at the end, days, tumor volumes)."""
    rc = study.scenario.rechallenge
    assert rc is not None
    initial = study.cohort_parameters[cohort].initial_state(study.model)
    ok = np.ones(P.shape[0], dtype=bool)
    if y is None:
        y = np.tile(initial, (P.shape[0], 1))
    elif rc.washout_days > 0:
        _, y, status = _solve_plausible(study, P, y, np.array([rc.washout_days]), None, ok)
        ok = status == 0
    y = new_tumor_site(study.model, np.nan_to_num(y), initial, rc.cells)
    days = _save_grid(rc.follow_up_days, study.scenario.save_every_days)
    obs, _, status = _solve_plausible(study, P, y, days, None, ok)
    cells = _observable(study, obs, "tumor_cells")
    palpable = study.scenario.palpable_mm3
    free = (status == 0) & tumor_free_at_end(days, cells, _density(study, P), palpable)
    return free, days, _observable(study, obs, "tumor_volume")


def _clinical_unit(
    study: _Study, unit: _Unit, sim: Simulation, lesions: list[Baseline]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    s = study.scenario
    days = study.t_save
    first = lesions[0]
    n = len(first.patient_id)
    ok = first.plausible
    counts = (
        lesion_counts(s.seed, first.patient_id, s.lesions.mean_target_lesions)
        if s.setting == "metastatic"
        else np.ones(n, dtype=np.int64)
    )
    volumes = np.zeros((n, len(days)))
    obs_first = None
    status = np.full(n, SolverStatus.INVALID_INPUT, dtype=np.int64)
    for j, b in enumerate(lesions):
        present = ok & (counts > j) & b.plausible
        Y = np.nan_to_num(b.Y)
        if s.setting == "adjuvant":
            Y = _resect(study, unit, first.patient_id, Y)
        P, doses = _arm_inputs(study, unit, sim, b.P, s.follow_up_days)
        obs, _, st = _solve_plausible(study, P, Y, days, doses, present)
        if j == 0:
            obs_first, status = obs, st
        else:
            failed = present & (st != 0)
            status[failed] = st[failed]
        vol = _observable(study, obs, "tumor_volume")
        volumes += np.where(present[:, None], np.nan_to_num(vol), 0.0)
        if j == 0:
            target_d = measured_diameters_mm(vol, s.response.detection_limit_mm)
        else:
            target_d = target_d + np.where(
                present[:, None],
                measured_diameters_mm(np.nan_to_num(vol), s.response.detection_limit_mm),
                0.0,
            )
    solved = ok & (status == 0)
    volumes[~solved] = np.nan
    # RECIST needs measurable disease at baseline: a patient without it is not evaluable (NE).
    measurable = solved & (np.nan_to_num(target_d[:, 0]) > 0)
    out = _status_columns(status, first.table["implausible_reason"].to_numpy())
    out["n_lesions"] = np.where(ok, counts, 0)
    out["baseline_sum_diameters_mm"] = np.where(solved, target_d[:, 0], np.nan)
    factor = 1.0 if s.setting == "adjuvant" else s.survival.non_target_factor
    background = _background_death(s, first.patient_id)
    death = death_days(days, volumes * factor, s.survival.lethal_burden_mm3, background)
    death[~solved] = np.nan
    os_day, os_event = time_to_event(death, s.follow_up_days)
    out["os_day"] = np.where(solved, os_day, np.nan)
    out["os_event"] = _nullable(os_event, solved)
    burden = _long_burden(study, first.patient_id, days, volumes, obs_first, "primary", death)
    if s.setting == "adjuvant":
        relapse = first_crossing_day(days, volumes, s.adjuvant.detectable_mm3)
        rfs_day, rfs_event = time_to_event(np.fmin(relapse, death), s.follow_up_days)
        out["rfs_day"] = np.where(solved, rfs_day, np.nan)
        out["rfs_event"] = _nullable(rfs_event, solved)
        return out, burden, pd.DataFrame()
    visits = _visit_table(study, first.patient_id, days, target_d, volumes, death, measurable)
    visit_rows, assessed = assess_visits(
        visits.assign(cohort="", arm=""),
        criteria=s.response.criteria,
        confirm=s.response.confirm,
        confirmation_days=s.response.confirmation_days,
        min_sd_days=s.response.min_sd_days,
    )
    assessed = assessed.set_index("patient_id").reindex(first.patient_id)
    for col in ("best_response", "best_percent_change", "response_day", "progression_day"):
        out[col] = assessed[col].to_numpy()
    out.loc[solved & ~measurable, "best_response"] = "NE"
    last_visit = visits.groupby("patient_id")["day"].max().reindex(first.patient_id).to_numpy()
    progression = assessed["progression_day"].to_numpy(dtype=float)
    pfs_end = np.fmin(progression, death)
    pfs_day, pfs_event = time_to_event(pfs_end, np.nan_to_num(last_visit, nan=0.0))
    out["pfs_day"] = np.where(solved, pfs_day, np.nan)
    out["pfs_event"] = _nullable(pfs_event, solved)
    response = assessed["response_day"].to_numpy(dtype=float)
    responder = solved & np.isfinite(response)
    dor_day, dor_event = time_to_event(pfs_end - response, np.nan_to_num(last_visit) - response)
    out["dor_day"] = np.where(responder, dor_day, np.nan)
    out["dor_event"] = _nullable(dor_event, responder)
    visit_rows = visit_rows.drop(columns=["cohort", "arm"])
    return out, burden, visit_rows


def _nullable(values: np.ndarray, valid: np.ndarray) -> pd.arrays.BooleanArray:
    out = pd.array(values.astype(bool), dtype="boolean")
    out[~valid] = pd.NA
    return out


def _background_death(s: TrialScenario, ids: np.ndarray) -> np.ndarray:
    rate = s.survival.background_mortality_per_year / 365.25
    if rate <= 0:
        return np.full(len(ids), np.inf)
    return np.array(
        [patient_rng(s.seed, int(i), Stream.SURVIVAL).exponential(1.0 / rate) for i in ids]
    )


def _resect(study: _Study, unit: _Unit, ids: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Adjuvant setting: the lesion is removed; a residual fraction of its tumor cells remains
    at a fresh site (each patient its own fraction, log-normal)."""
    s = study.scenario
    model = study.model
    initial = study.cohort_parameters[unit.cohort].initial_state(model)
    fraction = np.array(
        [
            s.adjuvant.residual_fraction
            * np.exp(
                s.adjuvant.residual_log_sd
                * patient_rng(s.seed, int(i), Stream.RESECTION).standard_normal()
            )
            for i in ids
        ]
    )
    out = new_tumor_site(model, Y, initial, 0.0)
    for sid in model.species_ids:
        if sid.startswith("tumor_clone_"):
            k = model.species_index(sid)
            out[:, k] = Y[:, k] * np.minimum(fraction, 1.0)
    return out


def _visit_table(
    study: _Study,
    ids: np.ndarray,
    days: np.ndarray,
    target_d: np.ndarray,
    volumes: np.ndarray,
    death: np.ndarray,
    solved: np.ndarray,
) -> pd.DataFrame:
    """Baseline and scheduled scans (before death and within follow-up) of solved patients."""
    s = study.scenario
    every = s.visits.every_days
    first_day = s.visits.first_day or every
    scans = np.arange(first_day, s.follow_up_days + 1e-9, every)
    scan_days = np.concatenate([[0.0], scans])
    cols = np.clip(np.searchsorted(days, scan_days - 1e-9), 0, len(days) - 1)
    new_days = np.full((len(ids), MAX_NEW_LESIONS), np.nan)
    if s.setting == "metastatic" and s.lesions.new_lesion_rate_per_year > 0:
        thresholds = np.stack(
            [
                np.cumsum(
                    patient_rng(s.seed, int(i), Stream.NEW_LESIONS).exponential(
                        size=MAX_NEW_LESIONS
                    )
                )
                for i in ids
            ]
        )
        ratio = volumes / volumes[:, :1]
        new_days = new_lesion_days(
            days, ratio, s.lesions.new_lesion_rate_per_year / 365.25, thresholds
        )
    rows = []
    for i in np.flatnonzero(solved):
        for scan, col in zip(scan_days, cols, strict=True):
            if scan >= np.nan_to_num(death[i], nan=np.inf):
                break
            appeared = new_days[i][new_days[i] <= scan]
            sum_new = 0.0
            for t_new in appeared:
                at = min(int(np.searchsorted(days, t_new)), len(days) - 1)
                grow = volumes[i, col] / max(volumes[i, at], 1e-12)
                sum_new += NEW_LESION_DIAMETER_MM * float(np.cbrt(grow))
            rows.append((ids[i], scan, target_d[i, col], len(appeared), sum_new))
    return pd.DataFrame(
        rows,
        columns=["patient_id", "day", "sum_diameters_mm", "new_lesions", "new_lesion_sum_mm"],
    ).astype({"patient_id": np.int64, "new_lesions": np.int64})


def _save_grid(days: float, every: float) -> np.ndarray:
    n = int(np.floor(days / every + 1e-9))
    grid = np.arange(n + 1) * every
    return grid if grid[-1] >= days - 1e-9 else np.append(grid, days)


def _write_unit(parts: Path, unit: _Unit, tables: dict[str, pd.DataFrame]) -> None:
    for name in TABLES:
        path = parts / name / f"{unit.name}.parquet"
        atomic_write(path, lambda p, df=tables[name]: df.to_parquet(p, index=False))
    atomic_write_text(
        parts / "done" / f"{unit.name}.json",
        json.dumps({name: len(tables[name]) for name in TABLES}),
    )


def _read_parts(parts: Path, name: str, units: list[_Unit]) -> pd.DataFrame:
    frames = []
    for unit in units:
        path = parts / name / f"{unit.name}.parquet"
        if not path.exists():
            raise ConfigError(
                "run folder", str(path), "a unit of the run is missing; run again with --resume"
            )
        df = pd.read_parquet(path)
        if len(df):
            frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _finalize(
    study: _Study,
    out_dir: Path,
    parts: Path,
    units: list[_Unit],
    run: int,
    resumed: int,
    seconds: float,
    report: bool,
) -> StudySummary:
    s = study.scenario
    tables = {name: _read_parts(parts, name, units) for name in TABLES}
    for name, df in tables.items():
        atomic_write(out_dir / f"{name}.parquet", lambda p, df=df: df.to_parquet(p, index=False))
    study_json = study_description(study, seconds)
    atomic_write_text(out_dir / "study.json", json.dumps(study_json, indent=2))
    patients = tables["patients"]
    failed = int((patients["status"] != "success").sum()) if len(patients) else 0

    def manifest() -> None:
        write_manifest(
            out_dir,
            command="trial",
            config=s.model_dump(mode="json"),
            seed=s.seed,
            model_hash=study.model.structure_hash(),
            parameter_hash=hash_json([p.content_hash() for p in study.cohort_parameters]),
            extra={
                "seconds": round(seconds, 3),
                "units": len(units),
                "units_resumed": resumed,
                "rows": len(patients),
                "failed": failed,
            },
        )

    manifest()
    path = None
    if report:
        from tmesim.report import render_report

        path = render_report(out_dir)  # shows the manifest of the tables...
        manifest()  # ...and the final manifest records the report's checksum too
    return StudySummary(out_dir, len(patients), failed, run, resumed, seconds, path)


def study_description(study: _Study, seconds: float) -> dict:
    """The study as the report reads it (study.json)."""
    from tmesim.therapies.dosing import dose_events

    s = study.scenario
    arms = []
    for ai, arm in enumerate(s.arms):
        sim = study.arm_sims[0][ai]
        stop = s.follow_up_days if arm.max_treatment_days is None else arm.max_treatment_days
        events = dose_events(sim.regimen_, sim.subject, until_day=min(stop, s.follow_up_days))
        arms.append(
            {
                "name": arm.name,
                "regimen": str(sim.regimen_),
                "doses": [
                    {"drug": e.drug, "day": e.time_day, "amount": e.amount, "unit": e.unit}
                    for e in events
                ],
            }
        )
    return {
        "title": s.title,
        "description": s.description,
        "kind": study.kind,
        "setting": s.setting,
        "seed": s.seed,
        "design": s.design,
        "follow_up_days": s.follow_up_days,
        "endpoint_volume_mm3": s.endpoint_volume_mm3 if study.kind == "mouse_study" else None,
        "criteria": s.response.criteria if study.kind == "clinical_trial" else None,
        "visit_every_days": s.visits.every_days if study.kind == "clinical_trial" else None,
        "cohorts": [
            {
                "name": c.name,
                "preset": c.preset,
                "species": p.species,
                "description": c.description or p.description,
                "n": c.n,
            }
            for c, p in zip(s.cohorts, study.cohort_parameters, strict=True)
        ],
        "arms": arms,
        "rechallenge": (
            {
                "day": s.follow_up_days + s.rechallenge.washout_days,
                "cells": s.rechallenge.cells,
                "follow_up_days": s.rechallenge.follow_up_days,
            }
            if s.rechallenge
            else None
        ),
        "seconds": round(seconds, 3),
    }


def iter_units(scenario: TrialScenario) -> Iterator[str]:
    """Names of the units a scenario is cut into (for progress displays and tests)."""
    return (u.name for u in _Study(scenario, None).units())

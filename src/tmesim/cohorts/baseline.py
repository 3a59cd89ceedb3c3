"""Virtual patients at treatment start: each tumor grown untreated from the preset's inoculum.

Every patient draws its parameters and its own target size (the preset's `start.volume_mm3`, log-
normal with sd `start.volume_log_sd`), then grows untreated until the lesion reaches that size, so
that its immune microenvironment at treatment start comes out of the model rather than being set.
The search runs in windows (patients that have arrived stop early); the crossing day is found by
log-linear interpolation of the lesion volume and the state is then integrated to exactly that day.

Plausibility filters reject a patient whose tumor never reaches the size within `start.max_days`,
whose integration fails, or whose pre-treatment observables fall outside user ranges; a rejected
patient is replaced by a fresh draw from its own streams (attempt 1, 2, ...), so no other patient
changes. A clinical trial's screening (`trials.eligibility`) grows a screen failure's replacement
the same way, from the streams of candidate `screening` of the same enrollment slot. Results are cached on disk, keyed by everything they depend on, so that the arms of a trial,
a re-run and a resumed run share the same patients without growing them again.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tmesim.cohorts.population import (
    Phase,
    Stream,
    checkpoint_keys,
    patient_rng,
    sample_population,
)
from tmesim.engines.qsp.compiled import compiled_kernel
from tmesim.errors import ConfigError
from tmesim.io.atomic import atomic_write
from tmesim.model.builder import Model
from tmesim.model.lesions import LESION_MICROENVIRONMENT, LESION_RESIDUE
from tmesim.parameters.parameter_set import ParameterSet
from tmesim.solvers import SolverSettings, solve
from tmesim.solvers.kernel import cache_root

FORMAT_VERSION = "2"  # 2: small populations decided at checkpoints (solver.extinction_*)
WINDOWS = 8


@dataclass(frozen=True)
class PlausibilityFilter:
    """Accept a patient only if `observable` at treatment start lies in [low, high].

    Example:
        >>> PlausibilityFilter("cd8_tumor_density", 1.0, 1e5).accepts(np.array([0.5, 10.0]))
        array([False,  True])
    """

    observable: str
    low: float = -math.inf
    high: float = math.inf

    def accepts(self, values: np.ndarray) -> np.ndarray:
        return (values >= self.low) & (values <= self.high)


@dataclass(frozen=True)
class Baseline:
    """Virtual patients at treatment start: parameters, states and what the growth phase did."""

    patient_id: np.ndarray
    P: np.ndarray
    """(n, n_params) parameter rows, the draw that was accepted"""
    Y: np.ndarray
    """(n, n_states) state at treatment start (NaN for a patient no draw made plausible)"""
    table: pd.DataFrame
    """patient_id, plausible, attempts, pretreatment_days, baseline_volume_mm3, reason, sampled
    parameters"""

    @property
    def plausible(self) -> np.ndarray:
        return self.table["plausible"].to_numpy(dtype=bool)


@dataclass(frozen=True)
class BaselineSettings:
    """How patients are grown to treatment start and which are plausible."""

    filters: tuple[PlausibilityFilter, ...] = ()
    max_attempts: int = 10
    solver: SolverSettings = field(default_factory=SolverSettings)

    def key(self) -> dict:
        return {
            "filters": [[f.observable, f.low, f.high] for f in self.filters],
            "max_attempts": self.max_attempts,
            "solver": self.solver.model_dump(mode="json"),
        }


def start_volumes(parameters: ParameterSet, z: np.ndarray) -> np.ndarray:
    """Lesion volumes at treatment start (mm³) from standard-normal draws `z`: the preset's
    `start.volume_mm3`, log-normal with sd `start.volume_log_sd`."""
    start = parameters.start
    if start.volume_mm3 is None:
        raise ConfigError(
            f"preset {parameters.name}: start.volume_mm3",
            None,
            "give the lesion volume at treatment start "
            "(e.g. start_volume_mm3: 75 for a mouse study)",
        )
    return start.volume_mm3 * np.exp(start.volume_log_sd * z)


def start_targets(
    parameters: ParameterSet,
    patients: np.ndarray,
    attempts: np.ndarray,
    seed: int,
    *,
    variability: bool = True,
    screening: int = 0,
) -> np.ndarray:
    """Each patient's lesion volume at treatment start (mm³), from its own stream."""
    z = np.array(
        [
            patient_rng(seed, int(i), Stream.START_SIZE, int(a), screening).standard_normal()
            for i, a in zip(patients, attempts, strict=True)
        ]
    )
    return start_volumes(parameters, z * float(variability))


def grow_to_start(
    parameters: ParameterSet,
    model: Model,
    patients: np.ndarray,
    seed: int,
    *,
    variability: bool = True,
    settings: BaselineSettings | None = None,
    n_threads: int | None = None,
    cache: bool = True,
    screening: int = 0,
) -> Baseline:
    """Grow virtual patients `patients` untreated to their size at treatment start.

    `screening` > 0 grows the candidates drawn after that many screen failures of each
    enrollment slot instead of the first ones (see `cohorts.population.patient_rng`).

    Example:
        >>> from tmesim.model import build_model
        >>> from tmesim.parameters import get_preset
        >>> b = grow_to_start(get_preset("mouse_4t1"), build_model(), np.arange(2), seed=1)  # doctest: +SKIP
        >>> b.table["baseline_volume_mm3"].round(-1).tolist()                                # doctest: +SKIP
        [80.0, 70.0]
    """
    settings = settings or BaselineSettings()
    patients = np.asarray(patients, dtype=np.int64)
    for f in settings.filters:
        if f.observable not in model.observable_ids:
            raise ConfigError(
                "plausibility",
                f.observable,
                "filter on an observable of the model",
                choices=model.observable_ids,
            )
    path = (
        _cache_path(parameters, model, patients, seed, variability, settings, screening)
        if cache
        else None
    )
    if path is not None and path.exists():
        return _load(path)
    result = _grow(parameters, model, patients, seed, variability, settings, n_threads, screening)
    if path is not None:
        _save(path, result)
    return result


def _grow(
    parameters: ParameterSet,
    model: Model,
    patients: np.ndarray,
    seed: int,
    variability: bool,
    settings: BaselineSettings,
    n_threads: int | None,
    screening: int = 0,
) -> Baseline:
    n = len(patients)
    attempts = np.zeros(n, dtype=np.int64)
    screenings = np.full(n, screening, dtype=np.int64)
    P, sampled = sample_population(
        parameters, model, patients, seed, variability=variability, screenings=screenings
    )
    Y = np.full((n, len(model.species)), np.nan)
    days = np.full(n, np.nan)
    volume = np.full(n, np.nan)
    reason = np.array(["" for _ in range(n)], dtype=object)
    todo = np.arange(n)
    while todo.size:
        targets = start_targets(
            parameters,
            patients[todo],
            attempts[todo],
            seed,
            variability=variability,
            screening=screening,
        )
        keys = checkpoint_keys(seed, patients[todo], Phase.GROWTH, attempts=attempts[todo])
        y, d, v, why = _grow_once(parameters, model, P[todo], targets, keys, settings, n_threads)
        ok = why == ""
        Y[todo[ok]], days[todo[ok]], volume[todo[ok]] = y[ok], d[ok], v[ok]
        reason[todo] = why
        retry = todo[~ok & (attempts[todo] + 1 < settings.max_attempts)]
        if retry.size == 0 or not variability:
            break
        attempts[retry] += 1
        P[retry], redrawn = sample_population(
            parameters,
            model,
            patients[retry],
            seed,
            variability=True,
            attempts=attempts[retry],
            screenings=screenings[retry],
        )
        sampled.loc[retry, redrawn.columns] = redrawn.to_numpy()
        todo = retry
    good = np.isfinite(days)
    table = sampled.copy()
    table.insert(1, "plausible", good)
    table.insert(2, "attempts", attempts + 1)
    table.insert(3, "pretreatment_days", days)
    table.insert(4, "baseline_volume_mm3", volume)
    table.insert(5, "implausible_reason", [str(r) for r in reason])
    return Baseline(patients, P, Y, table)


def _grow_once(
    parameters: ParameterSet,
    model: Model,
    P: np.ndarray,
    targets: np.ndarray,
    keys: np.ndarray,
    settings: BaselineSettings,
    n_threads: int | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(state at start, day of start, lesion volume then, '' or why the patient is implausible).

    Small populations are decided at the checkpoints of days since inoculation, with the draws
    of `keys`; the windows of the search and the final run to the crossing day meet the same
    checkpoints with the same draws."""
    kernel = compiled_kernel(model)
    n = P.shape[0]
    k_vol = model.observable_ids.index("tumor_volume")
    extinct = np.array(model.extinguishable_indices, dtype=np.int64)
    y_start = parameters.founding_states(model, P)
    max_days = parameters.start.max_days
    width = max_days / WINDOWS
    n_grid = 64
    crossing = np.full(n, np.nan)
    why = np.array(["" for _ in range(n)], dtype=object)
    t0 = 0.0
    y = y_start.copy()
    active = np.arange(n)
    for _ in range(WINDOWS):
        grid = t0 + np.linspace(0.0, width, n_grid + 1)
        sol = solve(
            kernel,
            y[active],
            P[active],
            t0,
            grid,
            None,
            extinct,
            settings.solver,
            n_threads,
            keys=keys[active],
        )
        vol = sol.observables[:, :, k_vol]
        failed = sol.status != 0
        why[active[failed]] = "the integration of the untreated growth failed"
        for j, i in enumerate(active):
            if failed[j]:
                continue
            above = np.flatnonzero(vol[j] >= targets[i])
            if above.size:
                m = above[0]
                if m == 0:
                    crossing[i] = grid[0]
                else:
                    v0, v1 = math.log(vol[j, m - 1]), math.log(vol[j, m])
                    frac = (math.log(targets[i]) - v0) / (v1 - v0) if v1 > v0 else 1.0
                    crossing[i] = grid[m - 1] + frac * (grid[m] - grid[m - 1])
        y[active] = sol.y_final
        active = active[~failed & np.isnan(crossing[active])]
        t0 += width
        if active.size == 0:
            break
    why[active] = f"the tumor did not reach its start volume within {max_days:g} days"
    ok = np.isfinite(crossing)
    y_out = np.full_like(y_start, np.nan)
    v_out = np.full(n, np.nan)
    if ok.any():
        idx = np.flatnonzero(ok)
        t_own = crossing[idx].reshape(-1, 1)
        sol = solve(
            kernel,
            y_start[idx],
            P[idx],
            0.0,
            t_own,
            None,
            extinct,
            settings.solver,
            n_threads,
            keys=keys[idx],
        )
        y_out[idx] = sol.y_final
        bad = idx[sol.status != 0]
        why[bad] = "the integration of the untreated growth failed"
        obs = sol.observables[:, 0, :]
        v_out[idx] = obs[:, k_vol]
        for f in settings.filters:
            k = model.observable_ids.index(f.observable)
            rejected = idx[~f.accepts(obs[:, k]) & (sol.status == 0)]
            why[rejected] = f"{f.observable} at treatment start outside [{f.low:g}, {f.high:g}]"
    done = why == ""
    crossing[~done] = np.nan
    y_out[~done] = np.nan
    return y_out, crossing, v_out, why


def _cache_path(
    parameters: ParameterSet,
    model: Model,
    patients: np.ndarray,
    seed: int,
    variability: bool,
    settings: BaselineSettings,
    screening: int = 0,
) -> Path:
    from tmesim._version import __version__

    payload = {
        "format": FORMAT_VERSION,
        "tmesim": __version__,
        "model": model.structure_hash(),
        "parameters": parameters.content_hash(),
        "seed": int(seed),
        "variability": bool(variability),
        "settings": settings.key(),
    }
    if screening:
        payload["screening"] = int(screening)
    key = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]
    ids = hashlib.sha256(patients.tobytes()).hexdigest()[:12]
    return cache_root() / "baselines" / key / f"{patients[0]}-{patients[-1]}-{ids}.npz"


def _save(path: Path, b: Baseline) -> None:
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:  # a file object: np.savez would add ".npz" to a path
            np.savez(
                f,
                patient_id=b.patient_id,
                P=b.P,
                Y=b.Y,
                columns=np.array(list(b.table.columns), dtype=object).astype(str),
                reason=b.table["implausible_reason"].to_numpy(dtype=str),
                numeric=b.table.drop(columns=["implausible_reason"]).to_numpy(dtype=float),
            )

    atomic_write(path, write)


def _load(path: Path) -> Baseline:
    with np.load(path) as f:
        columns = [str(c) for c in f["columns"]]
        numeric_cols = [c for c in columns if c != "implausible_reason"]
        table = pd.DataFrame(f["numeric"], columns=numeric_cols)
        table["implausible_reason"] = f["reason"].astype(str)
        table = table[columns]
        table["patient_id"] = table["patient_id"].astype(np.int64)
        table["plausible"] = table["plausible"].astype(bool)
        table["attempts"] = table["attempts"].astype(np.int64)
        return Baseline(f["patient_id"], f["P"], f["Y"], table)


def vary_lesion_microenvironment(
    P: np.ndarray, model: Model, z: np.ndarray, heterogeneity_cv: float
) -> np.ndarray:
    """Parameter rows `P` of a patient's other lesion: its own microenvironment
    (`LESION_MICROENVIRONMENT`), each log-normal around the patient's with CV `heterogeneity_cv`,
    from the standard normal draws `z` (n, len(LESION_MICROENVIRONMENT)).

    Example:
        >>> from tmesim.model import build_model
        >>> m = build_model()
        >>> P = np.ones((1, len(m.parameters)))
        >>> Q = vary_lesion_microenvironment(P, m, np.zeros((1, 2)), 0.5)
        >>> bool(np.all(Q == P)), Q is P
        (True, False)
    """
    out = P.copy()
    sigma = math.sqrt(math.log1p(heterogeneity_cv**2))
    for k, pid in enumerate(LESION_MICROENVIRONMENT):
        out[:, model.parameter_index(pid)] *= np.exp(sigma * z[:, k])
    return out


def vary_lesion_residue(
    P: np.ndarray,
    model: Model,
    z: np.ndarray,
    u: np.ndarray,
    *,
    residue_cv: float,
    clearance_cv: float,
    scar_probability: float,
    scar_fraction: float,
) -> np.ndarray:
    """Parameter rows `P` of one lesion slot with that lesion's own regression bed
    (`LESION_RESIDUE`): the residue fraction and its clearance rate log-normal around the
    patient's (CVs `residue_cv`, `clearance_cv`; the fraction at most 1) from the standard normal
    draws `z` (n, 2), and a persistent scar holding `scar_fraction` of the residue where the
    uniform draw `u` (n,) is below `scar_probability` (else no scar).

    Example:
        >>> from tmesim.model import build_model
        >>> m = build_model()
        >>> P = np.full((2, len(m.parameters)), 0.5)
        >>> Q = vary_lesion_residue(P, m, np.zeros((2, 2)), np.array([0.1, 0.9]), residue_cv=0.5,
        ...                         clearance_cv=0.5, scar_probability=0.3, scar_fraction=0.16)
        >>> Q[:, m.parameter_index("nonviable_scar_fraction")].tolist()
        [0.16, 0.0]
    """
    out = P.copy()
    residue, clearance, scar = (model.parameter_index(pid) for pid in LESION_RESIDUE)
    for col, cv, draw in ((residue, residue_cv, z[:, 0]), (clearance, clearance_cv, z[:, 1])):
        out[:, col] *= np.exp(math.sqrt(math.log1p(cv**2)) * draw)
    out[:, residue] = np.minimum(out[:, residue], 1.0)
    out[:, scar] = np.where(np.asarray(u) < scar_probability, scar_fraction, 0.0)
    return out


def grow_lesions(
    first: Baseline,
    parameters: ParameterSet,
    model: Model,
    lesion: int,
    seed: int,
    *,
    heterogeneity_cv: float,
    present: np.ndarray,
    settings: BaselineSettings | None = None,
    n_threads: int | None = None,
    screening: int = 0,
) -> Baseline:
    """Lesion number `lesion` (≥ 1) of metastatic patients whose first lesion is `first`.

    A lesion shares its patient's parameters except the local myeloid program
    (`vary_lesion_microenvironment`) and has its own size at treatment
    start; both come from the patient's lesion stream, so lesions differ in their
    microenvironment and respond unevenly (mixed responses). A lesion that fails to grow is
    left out of its patient (its row is not plausible); the patient stays. `screening` is the
    screened candidate whose lesions these are (as for :func:`grow_to_start`).
    """
    settings = settings or BaselineSettings()
    ids = first.patient_id
    rows = np.asarray(present, dtype=bool) & first.plausible
    z = (
        np.stack(
            [
                patient_rng(seed, int(i), Stream.LESIONS, lesion, screening).standard_normal(
                    1 + len(LESION_MICROENVIRONMENT)
                )
                for i in ids
            ]
        )
        if len(ids)
        else np.zeros((0, 1 + len(LESION_MICROENVIRONMENT)))
    )
    P = vary_lesion_microenvironment(first.P, model, z[:, 1:], heterogeneity_cv)
    targets = start_volumes(parameters, z[:, 0])
    Y = np.full_like(first.Y, np.nan)
    days = np.full(len(ids), np.nan)
    volume = np.full(len(ids), np.nan)
    reason = np.array(["not present" for _ in ids], dtype=object)
    idx = np.flatnonzero(rows)
    if idx.size:
        keys = checkpoint_keys(seed, ids[idx], Phase.GROWTH, lesion=lesion)
        y, d, v, why = _grow_once(
            parameters, model, P[idx], targets[idx], keys, settings, n_threads
        )
        Y[idx], days[idx], volume[idx], reason[idx] = y, d, v, why
    good = np.isfinite(days)
    table = pd.DataFrame(
        {
            "patient_id": ids,
            "plausible": good,
            "attempts": np.ones(len(ids), dtype=np.int64),
            "pretreatment_days": days,
            "baseline_volume_mm3": volume,
            "implausible_reason": [
                str(r) if not g else "" for r, g in zip(reason, good, strict=True)
            ],
        }
    )
    return Baseline(ids, P, Y, table)

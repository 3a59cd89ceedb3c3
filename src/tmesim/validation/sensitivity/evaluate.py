"""The outputs a sensitivity run reads at each point of its design: target metrics or an observable.

A target's metric is simulated as `tmesim validate` simulates it
(:func:`tmesim.validation.runner.simulate_target`), at `n` subjects per group, with the study's own
seed at every point (common random numbers: the same virtual mice or patients, only the varied
values change). The study is first cut down to what the metric reads: the cohorts and arms of its
group (and its reference group), the rechallenge only when the metric counts it. A matched design
gives the same subjects in the groups kept; a randomized study cut to one arm puts all its
patients in that arm. Targets that read the same study share one run per point.

An observable is read from one cohort solve: every point of the design is one virtual patient
(one row of the parameter matrix) of the preset under the regimen, without inter-individual
variability, simulated as :meth:`tmesim.simulation.Simulation.solve` does (the preset's
pre-treatment growth, then `days` days of the regimen); the value is the observable at day `days`.
"""

from __future__ import annotations

import copy
import json
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from tmesim.errors import ConfigError
from tmesim.validation.sensitivity.design import Factor
from tmesim.validation.targets import CONTRASTS, Target, target_from_dict


def _groups_read(target: Target) -> tuple[set[str], set[str], bool]:
    """Cohorts and arms the metric reads, and whether it needs the rechallenge."""
    scenario = target.scenario_at(1)
    cohorts = [c.name for c in scenario.cohorts]
    arms = [a.name for a in scenario.arms]
    m = target.metric
    read = (m.cohort or cohorts[0], m.arm or arms[0])
    groups = [read]
    if m.type in CONTRASTS and m.reference is not None:
        groups.append((m.reference.cohort or read[0], m.reference.arm or read[1]))
    rechallenge = "rechallenge_rejection_fraction" in (m.type, m.of)
    return {c for c, _ in groups}, {a for _, a in groups}, rechallenge


def presets_read(target: Target) -> list[str]:
    """The presets of the cohorts the target's metric reads (its PK preset for a PK target)."""
    if target.study is None:
        return target.presets()
    cohorts, _, _ = _groups_read(target)
    return list(dict.fromkeys(c.preset for c in target.scenario_at(1).cohorts if c.name in cohorts))


def trimmed_targets(targets: Sequence[Target]) -> list[Target]:
    """The targets with their studies cut to the groups their metrics read (see the module);
    targets that describe the same study keep one shared, cut study. PK targets are unchanged."""
    by_study: dict[str, list[Target]] = {}
    for t in targets:
        if t.study is not None:
            by_study.setdefault(json.dumps(t.study, sort_keys=True), []).append(t)
    studies: dict[str, dict[str, Any]] = {}
    for key, members in by_study.items():
        cohorts: set[str] = set()
        arms: set[str] = set()
        rechallenge = False
        for t in members:
            c, a, r = _groups_read(t)
            cohorts |= c
            arms |= a
            rechallenge |= r
        study = copy.deepcopy(members[0].study)
        assert study is not None
        study["cohorts"] = [c for c in study["cohorts"] if c.get("name") in cohorts]
        study["arms"] = [a for a in study["arms"] if a.get("name") in arms]
        if not rechallenge:
            study.pop("rechallenge", None)
        studies[key] = study
    out = []
    for t in targets:
        if t.study is None:
            out.append(t)
            continue
        data = t.model_dump(mode="json")
        data["study"] = studies[json.dumps(t.study, sort_keys=True)]
        out.append(target_from_dict(data, where=f"target {t.id} (cut for sensitivity)"))
    return out


def fixed_in_study(targets: Sequence[Target]) -> dict[str, str]:
    """Parameter ids a target's study sets itself, each with the reason it cannot be varied: a
    cohort's own values (the experiment's manipulation, such as a knock-out) and the drug
    catalog's PK values of its regimens, which replace the preset's in every arm."""
    from tmesim.parameters.presets import get_preset
    from tmesim.therapies.dosing import Subject, pk_parameters
    from tmesim.therapies.regimen import regimen_from_config

    out: dict[str, str] = {}
    for t in targets:
        if t.study is None:
            continue
        scenario = t.scenario_at(1)
        for cohort in scenario.cohorts:
            for pid in cohort.parameters:
                out.setdefault(
                    pid, f"cohort {cohort.name!r} of target {t.id} sets it as the experiment"
                )
            subject = Subject(species=get_preset(cohort.preset).species)
            for arm in scenario.arms:
                regimen = regimen_from_config(arm.regimen)
                if regimen.is_untreated:
                    continue
                for pid in pk_parameters(regimen, subject):
                    out.setdefault(
                        pid, f"the drug catalog sets it for arm {arm.name!r} of target {t.id}"
                    )
    return out


def overrides_at(factors: Sequence[Factor], U: np.ndarray, fold: float) -> list[dict]:
    """Per design point, {preset: {parameter: value}} for every preset of the factors."""
    columns = [f.values(U[:, j], fold) for j, f in enumerate(factors)]
    rows = []
    for i in range(U.shape[0]):
        point: dict[str, dict[str, float]] = {}
        for f, values in zip(factors, columns, strict=True):
            for preset, v in values.items():
                point.setdefault(preset, {})[f.id] = float(v[i])
        rows.append(point)
    return rows


def evaluate_targets(
    targets: Sequence[Target],
    factors: Sequence[Factor],
    U: np.ndarray,
    fold: float,
    n: int,
    *,
    threads: int | None = None,
    progress: bool = False,
    failures: dict[str, str] | None = None,
) -> np.ndarray:
    """Metric values (points, targets), in each target's published units; NaN where the
    simulation failed (`failures` receives each target's first reason). `targets` are already
    cut (:func:`trimmed_targets`)."""
    from rich.progress import Progress

    from tmesim.validation.runner import simulate_target

    Y = np.full((U.shape[0], len(targets)), np.nan)
    points = overrides_at(factors, U, fold)
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("sensitivity", total=len(points))
        for i, overrides in enumerate(points):
            with tempfile.TemporaryDirectory(prefix="tmesim-sensitivity-") as tmp:
                runs: dict[str, Any] = {}
                for j, target in enumerate(targets):
                    try:
                        value = simulate_target(
                            target, n, overrides, runs, Path(tmp), threads=threads
                        )
                    except ConfigError:
                        raise
                    except Exception as exc:  # a missing point, left out of the analysis
                        reason = f"point {i}: {type(exc).__name__}: {exc}"
                    else:
                        Y[i, j] = value.value * target.scale
                        reason = f"point {i}: {value.detail or 'no value'}"
                    if failures is not None and not np.isfinite(Y[i, j]):
                        failures.setdefault(target.id, reason)
            bar.advance(task)
    return Y


def observable_factors(preset: str, regimen: str | None, factors: Sequence[Factor]) -> list[Factor]:
    """The factors with their nominal values as the simulation uses them (drug PK included)."""
    from tmesim.simulation import Simulation

    params = Simulation(preset, regimen=regimen).parameters
    return [replace(f, nominal={preset: params[f.id].value}) for f in factors]


def check_observable(observable: str) -> None:
    """A model observable id, else a ConfigError with the nearest one."""
    from tmesim.model import build_model

    ids = build_model().observable_ids
    if observable not in ids:
        raise ConfigError(
            "--observable", observable, "name an observable of the model", choices=ids
        )


def evaluate_observable(
    preset: str,
    observable: str,
    regimen: str | None,
    days: float,
    factors: Sequence[Factor],
    U: np.ndarray,
    fold: float,
    *,
    seed: int = 0,
    threads: int | None = None,
) -> np.ndarray:
    """The observable at day `days` for every design point, one virtual patient each, in one
    cohort solve; NaN where the integration failed. Every point meets the same small-population
    draws (from `seed`), so differences between points come from the parameters alone."""
    from tmesim.cohorts.population import Phase, checkpoint_keys
    from tmesim.simulation import Simulation, simulate

    check_observable(observable)
    if not days > 0:
        raise ConfigError("--days", days, "give a positive number of days")
    sim = Simulation(preset, regimen=regimen)
    model = sim.model
    n = U.shape[0]
    P = np.tile(sim.parameters.vector(model), (n, 1))
    for j, f in enumerate(factors):
        P[:, model.parameter_index(f.id)] = f.values(U[:, j], fold)[preset]
    Y0 = sim.parameters.founding_states(model, P)
    sol = simulate(
        model,
        P,
        Y0,
        np.array([0.0, float(days)]),
        sim.dose_schedule(n, until_day=days),
        t0=-sim.parameters.pretreatment_days,
        settings=sim.solver,
        n_threads=threads,
        # every design point is the same virtual patient: the same small-population draws
        keys=checkpoint_keys(seed, np.zeros(n, dtype=np.int64), Phase.TREATMENT),
    )
    values = sol.observables[:, -1, model.observable_ids.index(observable)].astype(float)
    values[sol.status != 0] = np.nan
    return values

"""A patient's lesions solved together: one immune system, one set of drug levels.

Patients are grouped by their number of lesions; each group is integrated with the lesion model of
that count (`tmesim.model.lesions.lesion_model`), its state assembled from the lesions grown to
treatment start (`joint_state`: the shared blood, lymph-node and drug pools are those the patient's
first lesion grew with, each lesion its own site).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tmesim.model.lesions import joint_parameters, joint_state, lesion_id, lesion_model
from tmesim.simulation import simulate
from tmesim.solvers import DoseSchedule, SolverStatus
from tmesim.trials.study import Study, subset_doses


@dataclass(frozen=True)
class LesionSolution:
    """What the joint integration of a unit's patients saved."""

    volume: list[np.ndarray]
    """per lesion slot, (n, n_save) measured volumes (mm³); NaN where the lesion is absent"""
    living: list[np.ndarray]
    """per lesion slot, (n, n_save) volumes of living cells (mm³); NaN where absent"""
    obs_first: np.ndarray
    """(n, n_save, n_obs of the declared model): observables of each patient's first lesion and
    of the shared pools"""
    status: np.ndarray
    """(n,) solver status of each patient (INVALID_INPUT where not solved)"""
    y_final: list[np.ndarray]
    """per lesion count L, (n, n_states of the L-lesion model); NaN for other patients"""


def solve_lesions(
    study: Study,
    P: list[np.ndarray],
    Y: list[np.ndarray],
    present: list[np.ndarray],
    t_save: np.ndarray,
    doses: DoseSchedule | None,
    keys: np.ndarray,
) -> LesionSolution:
    """Integrate each patient's present lesions (slot j present where `present[j]`) jointly from
    their states `Y[j]` and parameters `P[j]` (rows of the declared model); doses act on the
    shared drug states (the same indices in every lesion model)."""
    model = study.model
    n = P[0].shape[0]
    n_obs = len(model.observables)
    mask = np.stack([np.asarray(p, dtype=bool) for p in present], axis=1)
    count = mask.sum(axis=1)
    volume = [np.full((n, len(t_save)), np.nan) for _ in P]
    living = [np.full((n, len(t_save)), np.nan) for _ in P]
    obs_first = np.full((n, len(t_save), n_obs), np.nan)
    status = np.full(n, SolverStatus.INVALID_INPUT, dtype=np.int64)
    finals = []
    for n_lesions in range(1, len(P) + 1):
        idx = np.flatnonzero(mask[:, 0] & (count == n_lesions))
        final = np.full((n, len(lesion_model(model, n_lesions).species)), np.nan)
        finals.append(final)
        if idx.size == 0:
            continue
        slots = np.array([np.flatnonzero(mask[i]) for i in idx])
        rows_p = [
            np.stack([P[s][i] for s, i in zip(slots[:, k], idx, strict=True)])
            for k in range(n_lesions)
        ]
        rows_y = [
            np.stack([Y[s][i] for s, i in zip(slots[:, k], idx, strict=True)])
            for k in range(n_lesions)
        ]
        joint = lesion_model(model, n_lesions)
        sol = simulate(
            joint,
            joint_parameters(model, n_lesions, rows_p),
            joint_state(model, n_lesions, rows_y),
            t_save,
            subset_doses(doses, idx),
            settings=study.solver,
            n_threads=study.n_threads,
            keys=keys[idx],
        )
        status[idx] = sol.status
        final[idx] = sol.y_final
        obs_first[idx] = sol.observables[:, :, :n_obs]
        ids = joint.observable_ids
        for k in range(n_lesions):
            v = sol.observables[:, :, ids.index(lesion_id("tumor_volume", k))]
            c = sol.observables[:, :, ids.index(lesion_id("lesion_cell_volume", k))]
            for row, (s, i) in enumerate(zip(slots[:, k], idx, strict=True)):
                volume[s][i], living[s][i] = v[row], c[row]
    return LesionSolution(volume, living, obs_first, status, finals)

"""Virtual mouse studies: tumor-free mice, survival to the humane endpoint, rechallenge.

A mouse that reaches the endpoint volume is euthanized (its curve ends; it cannot be tumor-free
later). Mice tumor-free at the end of follow-up are rechallenged at a new site after the wash-out
(systemic immunity and drugs carried over, a fresh tumor bed), next to naive mice of the same
parameters given the same cells.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tmesim.cohorts.baseline import Baseline
from tmesim.cohorts.population import Phase
from tmesim.simulation import Simulation, new_tumor_site
from tmesim.trials.endpoints import first_crossing_day, time_to_event, tumor_free_at_end
from tmesim.trials.study import (
    Study,
    Unit,
    arm_inputs,
    density,
    long_burden,
    observable,
    phase_keys,
    save_grid,
    solve_rows,
    status_columns,
)


def mouse_unit(
    study: Study, unit: Unit, sim: Simulation, b: Baseline
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    s = study.scenario
    days = study.t_save
    ok = b.plausible
    P, doses = arm_inputs(study, unit, sim, b.P, s.follow_up_days)
    keys = phase_keys(study, b.patient_id, Phase.TREATMENT)
    obs, y_final, status = solve_rows(study, P, np.nan_to_num(b.Y), days, doses, ok, keys)
    volume = observable(study, obs, "tumor_volume")
    cells = observable(study, obs, "tumor_cells")
    solved = ok & (status == 0)
    reached = first_crossing_day(days, volume, s.endpoint_volume_mm3)
    endpoint_day, endpoint_event = time_to_event(reached, s.follow_up_days)
    # A mouse that reached the humane endpoint was euthanized: it cannot be tumor-free later.
    cured = solved & tumor_free_at_end(days, cells, density(study, P), s.palpable_mm3)
    cured &= np.isnan(reached)
    tumor_free = pd.array(cured, dtype="boolean")
    tumor_free[~solved] = pd.NA
    out = status_columns(status, b.table["implausible_reason"].to_numpy())
    out["tumor_free"] = tumor_free
    out["final_volume_mm3"] = volume[:, -1]
    out["final_tumor_cells"] = cells[:, -1]
    out["endpoint_day"] = np.where(solved, endpoint_day, np.nan)
    out["endpoint_event"] = pd.array(np.where(solved, endpoint_event, False), dtype="boolean")
    out.loc[~solved, "endpoint_event"] = pd.NA
    burden = [long_burden(study, b.patient_id, days, volume, obs, "primary", reached)]
    rechallenged = pd.array([pd.NA] * len(b.patient_id), dtype="boolean")
    if s.rechallenge is not None:
        rows = np.flatnonzero(cured)
        if rows.size:
            free, rc_days, rc_volume = _rechallenge(
                study, unit.cohort, b.patient_id[rows], P[rows], y_final[rows]
            )
            rechallenged[rows] = free
            burden.append(
                long_burden(study, b.patient_id[rows], rc_days, rc_volume, None, "rechallenge")
            )
        if unit.arm == 0:
            naive = np.flatnonzero(ok)
            if naive.size:
                free, rc_days, rc_volume = _rechallenge(
                    study, unit.cohort, b.patient_id[naive], P[naive], None
                )
                out["naive_challenge_tumor_free"] = pd.array([pd.NA] * len(ok), dtype="boolean")
                out.loc[naive, "naive_challenge_tumor_free"] = free
                burden.append(
                    long_burden(study, b.patient_id[naive], rc_days, rc_volume, None, "naive")
                )
    out["rechallenge_tumor_free"] = rechallenged
    return out, pd.concat(burden, ignore_index=True), pd.DataFrame()


def _rechallenge(
    study: Study, cohort: int, ids: np.ndarray, P: np.ndarray, y: np.ndarray | None
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
        keys = phase_keys(study, ids, Phase.WASHOUT)
        _, y, status = solve_rows(study, P, y, np.array([rc.washout_days]), None, ok, keys)
        ok = status == 0
    y = new_tumor_site(study.model, np.nan_to_num(y), initial, rc.cells)
    days = save_grid(rc.follow_up_days, study.scenario.save_every_days)
    keys = phase_keys(study, ids, Phase.CHALLENGE)
    obs, _, status = solve_rows(study, P, y, days, None, ok, keys)
    cells = observable(study, obs, "tumor_cells")
    palpable = study.scenario.palpable_mm3
    free = (status == 0) & tumor_free_at_end(days, cells, density(study, P), palpable)
    return free, days, observable(study, obs, "tumor_volume")

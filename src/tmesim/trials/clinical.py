"""Virtual clinical trials: lesions, scans, RECIST, progression, death, relapse.

See `tmesim.trials.endpoints` for the geometry of lesions, the link from tumor burden to death and
the new-lesion process; RECIST 1.1 and iRECIST are read by `tmesim.trials.recist`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tmesim.cohorts.baseline import Baseline
from tmesim.cohorts.population import Phase, Stream, patient_rng
from tmesim.config.trial import TrialScenario, Visits
from tmesim.simulation import Simulation, new_tumor_site
from tmesim.solvers import SolverStatus
from tmesim.trials.cell_therapy import cart_readouts
from tmesim.trials.endpoints import (
    NEW_LESION_DIAMETER_MM,
    death_days,
    first_crossing_day,
    measured_diameters_mm,
    new_lesion_days,
    time_to_event,
)
from tmesim.trials.recist import assess_visits
from tmesim.trials.study import (
    Study,
    Unit,
    arm_inputs,
    long_burden,
    nullable,
    observable,
    phase_keys,
    solve_rows,
    status_columns,
)

MAX_NEW_LESIONS = 4
"""New lesions followed per patient (enough for iRECIST's "more new lesions" rule)."""


def lesion_counts(
    seed: int, ids: np.ndarray, mean: float, screenings: np.ndarray | int = 0
) -> np.ndarray:
    """Target lesions per patient: 1 + Poisson(mean − 1), at most 5 (RECIST 1.1's limit);
    `screenings` picks the screened candidate of each enrollment slot (`trials.eligibility`)."""
    k = np.broadcast_to(np.asarray(screenings, dtype=np.int64), np.shape(ids))
    return np.array(
        [
            min(5, 1 + patient_rng(seed, int(i), Stream.LESIONS, 0, int(r)).poisson(mean - 1.0))
            for i, r in zip(ids, k, strict=True)
        ],
        dtype=np.int64,
    )


def clinical_unit(
    study: Study, unit: Unit, sim: Simulation, lesions: list[Baseline]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    s = study.scenario
    days = study.t_save
    first = lesions[0]
    n = len(first.patient_id)
    ok = first.plausible
    counts = (
        lesion_counts(
            s.seed,
            first.patient_id,
            s.lesions.mean_target_lesions,
            first.table["screen_failures"].to_numpy(dtype=np.int64),
        )
        if s.setting == "metastatic"
        else np.ones(n, dtype=np.int64)
    )
    volumes = np.zeros((n, len(days)))
    living = np.zeros((n, len(days)))  # without the necrosis and scar: what kills and seeds
    n_present = np.zeros(n, dtype=np.int64)
    obs_first = None
    status = np.full(n, SolverStatus.INVALID_INPUT, dtype=np.int64)
    lesion_volumes = []  # per target lesion: (n, n_save) volumes, 0 where the lesion is absent
    for j, b in enumerate(lesions):
        present = ok & (counts > j) & b.plausible
        n_present += present
        Y = np.nan_to_num(b.Y)
        if s.setting == "adjuvant":
            Y = _resect(study, unit, first.patient_id, Y)
        P, doses = arm_inputs(study, unit, sim, b.P, s.follow_up_days)
        keys = phase_keys(study, first.patient_id, Phase.TREATMENT, lesion=j)
        obs, _, st = solve_rows(study, P, Y, days, doses, present, keys)
        if j == 0:
            obs_first, status = obs, st
        else:
            failed = present & (st != 0)
            status[failed] = st[failed]
        vol = observable(study, obs, "tumor_volume")
        volumes += np.where(present[:, None], np.nan_to_num(vol), 0.0)
        cells = observable(study, obs, "lesion_cell_volume")
        living += np.where(present[:, None], np.nan_to_num(cells), 0.0)
        lesion_volumes.append(vol if j == 0 else np.where(present[:, None], np.nan_to_num(vol), 0))
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
    living[~solved] = np.nan
    # RECIST needs measurable disease at baseline: a patient without it is not evaluable (NE).
    measurable = solved & (np.nan_to_num(target_d[:, 0]) > 0)
    reasons = first.table["implausible_reason"].to_numpy()
    out = status_columns(status, reasons)
    ineligible = np.array([str(r).startswith("not eligible") for r in reasons], dtype=bool)
    out.loc[ineligible, "status"] = "ineligible"
    out["n_lesions"] = n_present  # a lesion that could not be grown is left out
    out["baseline_sum_diameters_mm"] = np.where(solved, target_d[:, 0], np.nan)
    factor = 1.0 if s.setting == "adjuvant" else s.survival.non_target_factor
    background = _background_death(s, first.patient_id)
    death = death_days(days, living * factor, s.survival.lethal_burden_mm3, background)
    death[~solved] = np.nan
    # What the database holds at the analysis: nothing after each patient's follow-up.
    horizon = analysis_follow_up_days(s, first.patient_id)
    death = np.where(death <= horizon, death, np.nan)
    lethal = first_crossing_day(days, volumes * factor, s.survival.lethal_burden_mm3)
    from_disease = np.isfinite(death) & (lethal <= death)
    out["death_cause"] = np.where(
        np.isfinite(death), np.where(from_disease, "tumor burden", "other causes"), ""
    )
    os_day, os_event = time_to_event(death, horizon)
    out["os_day"] = np.where(solved, os_day, np.nan)
    out["os_event"] = nullable(os_event, solved)
    burden = long_burden(
        study, first.patient_id, days, volumes, obs_first, "primary", np.fmin(death, horizon)
    )
    if s.setting == "adjuvant":
        relapse = first_crossing_day(days, volumes, s.adjuvant.detectable_mm3)
        relapse = np.where(relapse <= horizon, relapse, np.nan)
        rfs_day, rfs_event = time_to_event(np.fmin(relapse, death), horizon)
        out["rfs_day"] = np.where(solved, rfs_day, np.nan)
        out["rfs_event"] = nullable(rfs_event, solved)
        return out, burden, pd.DataFrame()
    visits = _visit_table(
        study,
        first.patient_id,
        days,
        target_d,
        lesion_volumes,
        volumes,
        living,
        death,
        measurable,
        horizon,
    )
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
    scanned = visits[visits["day"] > 0].groupby("patient_id").size()
    after_baseline = scanned.reindex(first.patient_id, fill_value=0).to_numpy()
    early = measurable & np.isfinite(death) & (after_baseline == 0)
    out["early_death"] = nullable(early, solved)
    out.loc[early, "best_response"] = early_death_response(
        s.response.early_death, s.response.criteria, from_disease[early]
    )
    last_visit = visits.groupby("patient_id")["day"].max().reindex(first.patient_id).to_numpy()
    progression = assessed["progression_day"].to_numpy(dtype=float)
    pfs_end = np.fmin(progression, death)
    pfs_day, pfs_event = time_to_event(pfs_end, np.nan_to_num(last_visit, nan=0.0))
    out["pfs_day"] = np.where(solved, pfs_day, np.nan)
    out["pfs_event"] = nullable(pfs_event, solved)
    response = assessed["response_day"].to_numpy(dtype=float)
    responder = solved & np.isfinite(response)
    dor_day, dor_event = time_to_event(pfs_end - response, np.nan_to_num(last_visit) - response)
    out["dor_day"] = np.where(responder, dor_day, np.nan)
    out["dor_event"] = nullable(dor_event, responder)
    cart = cart_readouts(
        days,
        observable(study, obs_first, "cart_cells"),
        observable(study, obs_first, "tumor_cells"),
        observable(study, obs_first, "cd19_positive_cells"),
        out["best_response"],
        progression,
    )
    for col, values in cart.items():
        out[col] = values
    visit_rows = visit_rows.drop(columns=["cohort", "arm"])
    return out, burden, visit_rows


def early_death_response(rule: str, criteria: str, from_disease: np.ndarray) -> np.ndarray:
    """Best response of patients who died before their first scan (no post-baseline assessment).

    RECIST 1.1 (Eisenhauer 2009, §4.4) grades response only from assessments: with none after
    baseline the best response is not evaluable (NE), and a global deterioration of health without
    documented progression is "symptomatic deterioration", a reason to stop therapy rather than an
    objective progression. Rule "NE" follows that; rule "PD" records a death from the disease
    (the lethal burden reached) as clinical progression, as some protocols do, PD under RECIST 1.1
    and iCPD under iRECIST; a death from other causes stays NE under both rules.

    Example:
        >>> early_death_response("PD", "recist1.1", np.array([True, False])).tolist()
        ['PD', 'NE']
    """
    progressed = "iCPD" if criteria == "irecist" else "PD"
    clinical = np.asarray(from_disease, dtype=bool) & (rule == "PD")
    return np.where(clinical, progressed, "NE").astype(object)


def analysis_follow_up_days(s: TrialScenario, ids: np.ndarray) -> np.ndarray:
    """Each patient's follow-up when the endpoints are read: `follow_up_days`, or with a data
    cutoff (`TrialScenario.data_cutoff`) the days from its enrollment, drawn uniformly over the
    accrual period from the patient's own enrollment stream, to the cutoff (at most
    `follow_up_days`).

    Example:
        >>> from tmesim.config.trial import trial_from_dict
        >>> s = trial_from_dict({"title": "t", "kind": "clinical_trial", "follow_up_days": 900,
        ...     "cohorts": [{"name": "c", "preset": "human_melanoma"}], "arms": [{"name": "a"}],
        ...     "data_cutoff": {"accrual_days": 270, "cutoff_day": 540}})
        >>> f = analysis_follow_up_days(s, np.arange(200))
        >>> bool(f.min() >= 270 and f.max() <= 540)
        True
    """
    if s.data_cutoff is None:
        return np.full(len(ids), float(s.follow_up_days))
    accrual = s.data_cutoff.accrual_days
    enrolled = np.array(
        [patient_rng(s.seed, int(i), Stream.ENROLLMENT).uniform(0.0, accrual) for i in ids]
    )
    return np.minimum(float(s.follow_up_days), s.data_cutoff.cutoff_day - enrolled)


def _background_death(s: TrialScenario, ids: np.ndarray) -> np.ndarray:
    rate = s.survival.background_mortality_per_year / 365.25
    if rate <= 0:
        return np.full(len(ids), np.inf)
    return np.array(
        [patient_rng(s.seed, int(i), Stream.SURVIVAL).exponential(1.0 / rate) for i in ids]
    )


def _resect(study: Study, unit: Unit, ids: np.ndarray, Y: np.ndarray) -> np.ndarray:
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


def scheduled_visit_days(visits: Visits, follow_up_days: float) -> np.ndarray:
    """Scheduled scan days after baseline: first_day (default every_days), then every every_days,
    up to the end of follow-up.

    Example:
        >>> scheduled_visit_days(Visits(every_days=42, first_day=84), 200).tolist()
        [84.0, 126.0, 168.0]
    """
    first_day = visits.first_day or visits.every_days
    return np.arange(first_day, follow_up_days + 1e-9, visits.every_days, dtype=float)


def visit_days(visits: Visits, follow_up_days: float, seed: int, patient_id: int) -> np.ndarray:
    """Actual scan days of one patient after baseline, in order.

    Each scan happens a whole number of days, uniform on −⌊w⌋ … ⌊w⌋ with w = ``window_days``, from
    its scheduled day (assumed uniform within the protocol window). The offsets come from the
    patient's own visit stream, so they do not depend on the chunk, thread or arm the patient is
    run in; the k-th offset is the same whatever the follow-up. A scan pushed past the end of
    follow-up has not happened and is dropped. With a window of 0 the days are the scheduled days.

    Example:
        >>> v = Visits(every_days=42, first_day=84, window_days=7)
        >>> d = visit_days(v, 400, seed=1, patient_id=3)
        >>> bool(np.all(np.abs(d - scheduled_visit_days(v, 400)) <= 7))
        True
    """
    scheduled = scheduled_visit_days(visits, follow_up_days)
    width = int(np.floor(visits.window_days))
    if width == 0 or scheduled.size == 0:
        return scheduled
    rng = patient_rng(seed, int(patient_id), Stream.VISITS)
    actual = scheduled + rng.integers(-width, width, endpoint=True, size=scheduled.size)
    return actual[actual <= follow_up_days + 1e-9]


def _visit_table(
    study: Study,
    ids: np.ndarray,
    days: np.ndarray,
    target_d: np.ndarray,
    lesion_volumes: list[np.ndarray],
    volumes: np.ndarray,
    living: np.ndarray,
    death: np.ndarray,
    measurable: np.ndarray,
    horizon: np.ndarray,
) -> pd.DataFrame:
    """Baseline and scans (before death and within each patient's follow-up at the analysis,
    `horizon`) of the solved patients with
    measurable disease at baseline. New lesions are seeded at a rate that follows the living
    burden (`living`: tumor cells and infiltrate, without necrosis and scar) and, once seen,
    grow and shrink with the measured burden (`volumes`).

    A scan on its scheduled day reads the first saved state at or after it. A scan moved within
    the visit window reads each lesion's volume linearly interpolated between saved days at its
    actual day (then measured as on any scan), and that day is the visit day (and so the
    progression day) of the RECIST assessment.
    """
    s = study.scenario
    windowed = s.visits.window_days >= 1
    scheduled = np.concatenate([[0.0], scheduled_visit_days(s.visits, s.follow_up_days)])
    scheduled_cols = np.clip(np.searchsorted(days, scheduled - 1e-9), 0, len(days) - 1)
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
        ratio = living / living[:, :1]
        new_days = new_lesion_days(
            days, ratio, s.lesions.new_lesion_rate_per_year / 365.25, thresholds
        )
    rows = []
    for i in np.flatnonzero(measurable):
        if windowed:
            scan_days = np.concatenate(
                [[0.0], visit_days(s.visits, s.follow_up_days, s.seed, int(ids[i]))]
            )
            limit = s.response.detection_limit_mm
            sums = sum(
                measured_diameters_mm(np.interp(scan_days, days, v[i]), limit)
                for v in lesion_volumes
            )
            scan_volumes = np.interp(scan_days, days, volumes[i])
        else:
            scan_days = scheduled
            sums = target_d[i, scheduled_cols]
            scan_volumes = volumes[i, scheduled_cols]
        for scan, sum_mm, volume in zip(scan_days, sums, scan_volumes, strict=True):
            if scan >= np.nan_to_num(death[i], nan=np.inf) or scan > horizon[i]:
                break
            appeared = new_days[i][new_days[i] <= scan]
            sum_new = 0.0
            for t_new in appeared:
                at = min(int(np.searchsorted(days, t_new)), len(days) - 1)
                grow = volume / max(volumes[i, at], 1e-12)
                sum_new += NEW_LESION_DIAMETER_MM * float(np.cbrt(grow))
            rows.append((ids[i], scan, sum_mm, len(appeared), sum_new))
    return pd.DataFrame(
        rows,
        columns=["patient_id", "day", "sum_diameters_mm", "new_lesions", "new_lesion_sum_mm"],
    ).astype({"patient_id": np.int64, "new_lesions": np.int64})

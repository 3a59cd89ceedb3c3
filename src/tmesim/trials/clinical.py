"""Virtual clinical trials: lesions, scans, RECIST, progression, death, relapse.

See `tmesim.trials.endpoints` for the geometry of lesions, the link from tumor burden to death and
the new-lesion process; RECIST 1.1 and iRECIST are read by `tmesim.trials.recist`. An arm's
subsequent therapy (`tmesim.trials.subsequent`) is decided from the first reading: the patients who
receive it are solved again with the switched dose schedule and all their endpoints read again.
Treatment stopped by the protocol (progression, `trials.protocol`; toxicity, `trials.toxicity`)
is cut the same way (`trials.subsequent.stopped_doses`) before the patients it changes are solved
again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tmesim.cohorts.baseline import Baseline, vary_lesion_microenvironment, vary_lesion_residue
from tmesim.cohorts.population import Phase, Stream, patient_rng
from tmesim.config.trial import SubsequentTherapy, TrialScenario, Visits
from tmesim.model.lesions import LESION_MICROENVIRONMENT
from tmesim.model.states import N_CLONES
from tmesim.simulation import Simulation, new_tumor_site
from tmesim.trials.body import dose_schedule
from tmesim.trials.cell_therapy import cart_readouts
from tmesim.trials.cell_toxicity import cart_events, cart_rates
from tmesim.trials.dose_holds import held_doses, patient_holds
from tmesim.trials.endpoints import (
    NEW_LESION_DIAMETER_MM,
    death_days,
    first_crossing_day,
    measured_diameters_mm,
    measured_node_mm,
    new_lesion_days,
    time_to_event,
)
from tmesim.trials.joint import LesionSolution, solve_lesions
from tmesim.trials.protocol import treatment_columns, treatment_stop
from tmesim.trials.recist import NODE_TARGET_MM, NORMAL_NODE_MM, assess_visits, targets_resolved
from tmesim.trials.schedule import scheduled_days
from tmesim.trials.study import (
    Study,
    Unit,
    arm_inputs,
    long_burden,
    nullable,
    observable,
    phase_keys,
    status_columns,
    with_regimen_pk,
)
from tmesim.trials.subsequent import (
    SubsequentPlan,
    dose_counts,
    draw_regimens,
    plan_subsequent,
    stopped_doses,
    switched_doses,
)
from tmesim.trials.toxicity import arm_toxicity, patient_onsets, toxicity_columns

CLONE_IDS = tuple(f"tumor_clone_{k}" for k in range(N_CLONES))

MAX_NEW_LESIONS = 4
"""New lesions followed per patient (enough for iRECIST's "more new lesions" rule)."""

NODAL_SHARE_CONCENTRATION = 2.0
"""Concentration a + b of the beta distribution of a patient's nodal share. Assumed: wide, from
patients with nodal disease only (unresectable stage III, M1a) to patients with none."""


def lesion_radiology(
    seed: int,
    ids: np.ndarray,
    n_slots: int,
    nodal_share: float,
    screenings: np.ndarray | int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each patient's radiology draws, from its own stream: (z (n_slots, n, 2) standard normals of
    each lesion's residue fraction and clearance rate, u_scar (n_slots, n) and u_node
    (n_slots, n) uniforms deciding whether a lesion scars and whether it is a node, share (n,)
    the patient's nodal share, beta with mean `nodal_share`).

    Example:
        >>> z, u_scar, u_node, share = lesion_radiology(1, np.arange(3), 2, 0.25)
        >>> z.shape, u_node.shape, bool(np.all((share >= 0) & (share <= 1)))
        ((2, 3, 2), (2, 3), True)
    """
    k = np.broadcast_to(np.asarray(screenings, dtype=np.int64), np.shape(ids))
    n = len(ids)
    z = np.zeros((n_slots, n, 2))
    u_scar = np.zeros((n_slots, n))
    u_node = np.zeros((n_slots, n))
    share = np.zeros(n)
    a = nodal_share * NODAL_SHARE_CONCENTRATION
    b = (1.0 - nodal_share) * NODAL_SHARE_CONCENTRATION
    for row, (i, r) in enumerate(zip(ids, k, strict=True)):
        rng = patient_rng(seed, int(i), Stream.RADIOLOGY, 0, int(r))
        share[row] = rng.beta(a, b) if 0.0 < nodal_share < 1.0 else nodal_share
        for j in range(n_slots):
            rng = patient_rng(seed, int(i), Stream.RADIOLOGY, 1 + j, int(r))
            z[j, row] = rng.standard_normal(2)
            u_scar[j, row], u_node[j, row] = rng.random(2)
    return z, u_scar, u_node, share


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
    P_arm = []
    for b in lesions:
        P_j, doses = arm_inputs(study, unit, sim, b.P, s.follow_up_days, first.table)
        P_arm.append(P_j)
    Y = [np.nan_to_num(b.Y) for b in lesions]
    present = [ok & (counts > j) & b.plausible for j, b in enumerate(lesions)]
    lesion_s = s.lesions
    z, u_scar, u_node, share = lesion_radiology(
        s.seed,
        first.patient_id,
        len(lesions),
        lesion_s.nodal_share,
        first.table["screen_failures"].to_numpy(dtype=np.int64),
    )
    if s.setting == "metastatic":
        # Each lesion its own regression bed from treatment start (`vary_lesion_residue`).
        P_arm = [
            vary_lesion_residue(
                P_j,
                study.model,
                z[j],
                u_scar[j],
                residue_cv=lesion_s.residue_cv,
                clearance_cv=lesion_s.clearance_cv,
                scar_probability=lesion_s.scar_probability,
                scar_fraction=lesion_s.scar_fraction,
            )
            for j, P_j in enumerate(P_arm)
        ]
    if s.setting == "adjuvant":
        Y, P_arm, present = _adjuvant_sites(study, unit, first.patient_id, Y[0], P_arm[0], ok)
    keys = phase_keys(study, first.patient_id, Phase.TREATMENT)
    arm = s.arms[unit.arm]
    tox = arm_toxicity(s, arm)
    onset = patient_onsets(tox, study.model, s.seed, first.table, doses)
    held, resolved = patient_holds(tox, study.model, s.seed, first.table, doses, onset)
    full = held_doses(doses, np.where(held, onset, np.nan), resolved)
    onset = np.where(held, np.nan, onset)  # a held event does not stop the treatment
    doses = stopped_doses(full, onset)  # a grade 3–4 irAE stops the treatment
    joint = solve_lesions(study, P_arm, Y, present, days, doses, keys)
    out, burden, visit_rows = _readouts(study, first, present, joint, u_node, share)
    progressed = out.get("progression_day", pd.Series(np.nan, index=out.index))  # adjuvant: none
    stop, why = treatment_stop(arm, first.patient_id, progressed, visit_rows, onset)
    cut = stopped_doses(full, stop)
    changed = dose_counts(cut) < dose_counts(doses)
    if changed.any():
        again = solve_lesions(study, P_arm, Y, [p & changed for p in present], days, cut, keys)
        joint = _merge(joint, again, changed)
        out, burden, visit_rows = _readouts(study, first, present, joint, u_node, share)
    doses = cut
    if arm.treat_until != "regimen_end" or tox is not None:
        solved = out["status"].to_numpy() == "success"
        for col, value in treatment_columns(doses, stop, why, solved).items():
            out[col] = value
    if tox is not None:
        after = patient_onsets(tox, study.model, s.seed, first.table, doses)
        any_grade = patient_onsets(tox.any_grade(), study.model, s.seed, first.table, doses)
        end = out["os_day"].to_numpy(dtype=float)
        stopped = why == "toxicity"
        for col, value in toxicity_columns(after, stopped, end, solved, any_grade).items():
            out[col] = value
        out["irae_held"] = out["irae_grade34"].to_numpy(dtype=bool) & held
        out["irae_resolved_day"] = np.where(out["irae_held"], resolved, np.nan)
    therapies = arm.subsequent_therapy
    if not any(a.subsequent_therapy for a in s.arms):
        return out, burden, visit_rows
    plan = _plan(study, first, out, therapies)
    if plan.treated.any():
        treated = plan.treated
        for k, sub in enumerate(study.subsequent_sims[unit.cohort][unit.arm]):
            rows = np.flatnonzero(plan.choice == k)
            P_arm = [with_regimen_pk(study, unit, sub, P_j, rows) for P_j in P_arm]
        templates = [
            dose_schedule(sim_k, first.table, n, t.max_treatment_days or s.follow_up_days)
            for sim_k, t in zip(
                study.subsequent_sims[unit.cohort][unit.arm], therapies, strict=True
            )
        ]
        progression = out["progression_day"].to_numpy(dtype=float)
        switched = switched_doses(doses, templates, plan, progression, s.follow_up_days)
        again = solve_lesions(study, P_arm, Y, [p & treated for p in present], days, switched, keys)
        joint = _merge(joint, again, treated)
        out, burden, visit_rows = _readouts(study, first, present, joint, u_node, share)
    names = np.array([t.name for t in therapies] + [""], dtype=object)
    out["subsequent_therapy"] = names[plan.choice]
    out["subsequent_start_day"] = plan.start
    return out, burden, visit_rows


def _plan(
    study: Study, first: Baseline, out: pd.DataFrame, therapies: list[SubsequentTherapy]
) -> SubsequentPlan:
    """Who of a unit's patients receives which subsequent regimen, from the first readout."""
    s = study.scenario
    ids = first.patient_id
    drawn = draw_regimens(
        s.seed,
        ids,
        first.table["screen_failures"].to_numpy(dtype=np.int64),
        [t.share for t in therapies],
    )
    died = out["os_event"].fillna(False).to_numpy(dtype=bool)
    death = np.where(died, out["os_day"].to_numpy(dtype=float), np.nan)
    return plan_subsequent(
        therapies,
        drawn,
        out["progression_day"].to_numpy(dtype=float),
        death,
        analysis_follow_up_days(s, ids),
    )


def _merge(joint: LesionSolution, again: LesionSolution, rows: np.ndarray) -> LesionSolution:
    """`joint` with the patients `rows` taken from `again`."""

    def take(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = a.copy()
        out[rows] = b[rows]
        return out

    return LesionSolution(
        [take(a, b) for a, b in zip(joint.volume, again.volume, strict=True)],
        [take(a, b) for a, b in zip(joint.living, again.living, strict=True)],
        take(joint.obs_first, again.obs_first),
        take(joint.status, again.status),
        [take(a, b) for a, b in zip(joint.y_final, again.y_final, strict=True)],
    )


def _readouts(
    study: Study,
    first: Baseline,
    present: list[np.ndarray],
    joint: LesionSolution,
    u_node: np.ndarray,
    share: np.ndarray,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The per-patient table, burden and visits of a unit's patients from their joint solution;
    `u_node` (n_slots, n) and `share` (n,) decide which lesions are nodes (`lesion_radiology`)."""
    s = study.scenario
    days = study.t_save
    ok = first.plausible
    n = len(ok)
    status, obs_first = joint.status, joint.obs_first
    n_present = np.sum(present, axis=0).astype(np.int64)
    # per lesion slot: (n, n_save) volumes, 0 where the lesion is absent (NaN where unsolved)
    lesion_volumes = [
        np.where(p[:, None], v, 0.0) for p, v in zip(present, joint.volume, strict=True)
    ]
    lesion_living = [
        np.where(p[:, None], v, 0.0) for p, v in zip(present, joint.living, strict=True)
    ]
    weights = [1.0] * len(present)
    if s.setting == "adjuvant":
        # A distant relapse is rarely one lesion: its burden counts with the non-target factor.
        weights = [1.0, s.survival.non_target_factor]
    volumes = sum(w * np.nan_to_num(v) for w, v in zip(weights, lesion_volumes, strict=True))
    living = sum(w * np.nan_to_num(v) for w, v in zip(weights, lesion_living, strict=True))
    limit = s.response.detection_limit_mm
    normal_node = s.lesions.normal_node_mm
    # A lesion is a nodal target if drawn nodal and its short axis is >= 15 mm at baseline.
    nodal = [np.zeros(n, dtype=bool) for _ in present]
    if s.setting == "metastatic":
        nodal = [
            p
            & (u_node[j] < share)
            & (measured_node_mm(np.nan_to_num(v[:, 0]), normal_node) >= NODE_TARGET_MM)
            for j, (p, v) in enumerate(zip(present, lesion_volumes, strict=True))
        ]
    lesion_d = [
        lesion_measurements(np.nan_to_num(v), node, limit, normal_node)
        for v, node in zip(lesion_volumes, nodal, strict=True)
    ]
    target_d = sum(lesion_d)
    resolved = targets_resolved(np.stack(lesion_d), np.stack(nodal)[:, :, None])
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
    out["n_nodal_lesions"] = np.sum(nodal, axis=0).astype(np.int64)
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
        for col, value in relapse_columns(
            days, lesion_volumes, s.adjuvant.detectable_mm3, death, from_disease
        ).items():
            out[col] = np.where(solved, value, np.nan) if value.dtype.kind == "f" else value
        relapse = out["relapse_day"].to_numpy(dtype=float)
        relapse = np.where(relapse <= horizon, relapse, np.nan)
        rfs_day, rfs_event = time_to_event(np.fmin(relapse, death), horizon)
        out["rfs_day"] = np.where(solved, rfs_day, np.nan)
        out["rfs_event"] = nullable(rfs_event, solved)
        out.loc[~solved, "relapse_site"] = ""
        return out, burden, pd.DataFrame()
    new_days = _new_lesion_days(study, first.patient_id, days, living)
    visits = _visit_table(
        study,
        first.patient_id,
        days,
        target_d,
        lesion_volumes,
        volumes,
        death,
        measurable,
        new_days,
        horizon,
        nodal,
        resolved,
    )
    for col, value in lesion_columns(
        days,
        lesion_d,
        present,
        scheduled_visit_days(s.visits, s.follow_up_days),
        death,
        nodal,
    ).items():
        out[col] = value
    out["mixed_response"] = nullable(out["mixed_response"].to_numpy(), solved & (n_present > 1))
    seen = np.where(new_days <= np.nan_to_num(death, nan=np.inf)[:, None], new_days, np.nan)
    out["new_lesions"] = np.where(solved, np.isfinite(seen).sum(axis=1), 0).astype(np.int64)
    out["new_lesion_days"] = [
        ";".join(f"{d:.0f}" for d in row[np.isfinite(row)]) if ok_i else ""
        for row, ok_i in zip(seen, solved, strict=True)
    ]
    out["first_new_lesion_day"] = np.where(solved, np.fmin.reduce(seen, axis=1), np.nan)
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
    if "cart_loss_day" in cart and (s.toxicity.enabled or any(a.stops_at_toxicity for a in s.arms)):
        events = cart_events(
            s.seed,
            first.patient_id,
            first.table["screen_failures"].to_numpy(dtype=np.int64),
            days,
            observable(study, obs_first, "cart_cells"),
            cart_rates(dict(s.toxicity.cart_grade3_rates)),
        )
        for col, values in events.items():
            out[col] = np.where(ok, values, np.nan if values.dtype.kind == "f" else False)
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


def _adjuvant_sites(
    study: Study, unit: Unit, ids: np.ndarray, Y: np.ndarray, P: np.ndarray, ok: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Adjuvant setting: (states, parameters, presence) of the two sites of each patient under one
    immune system. Site 0 is the resected lesion's bed with a residual fraction of its tumor cells
    (each patient its own fraction, log-normal); site 1 is occult distant disease, present in a
    share `adjuvant.distant_probability` of patients, with a fraction of the primary's tumor cells
    (log-normal) in the primary's clone mix, at a fresh site with its own microenvironment draw."""
    s = study.scenario
    a = s.adjuvant
    model = study.model
    initial = study.cohort_parameters[unit.cohort].initial_state(model)
    n_draws = 2 + len(LESION_MICROENVIRONMENT)
    draws = np.array(
        [patient_rng(s.seed, int(i), Stream.RESECTION).standard_normal(n_draws) for i in ids]
    ).reshape(len(ids), n_draws)
    u = np.array([patient_rng(s.seed, int(i), Stream.RESECTION, 1).random() for i in ids])
    local = np.minimum(a.residual_fraction * np.exp(a.residual_log_sd * draws[:, 0]), 1.0)
    distant = np.minimum(a.distant_fraction * np.exp(a.distant_log_sd * draws[:, 1]), 1.0)
    clones = [model.species_index(sid) for sid in model.species_ids if sid in CLONE_IDS]
    fresh = new_tumor_site(model, Y, initial, 0.0)
    site0, site1 = fresh.copy(), fresh.copy()
    site0[:, clones] = Y[:, clones] * local[:, None]
    site1[:, clones] = Y[:, clones] * distant[:, None]
    P1 = vary_lesion_microenvironment(P, model, draws[:, 2:], s.lesions.heterogeneity_cv)
    return [site0, site1], [P, P1], [ok, ok & (u < a.distant_probability)]


def relapse_columns(
    days: np.ndarray,
    site_volumes: list[np.ndarray],
    detectable_mm3: float,
    death: np.ndarray,
    from_disease: np.ndarray,
) -> dict[str, np.ndarray]:
    """Relapse after resection, read per site (0 local, 1 distant): the first day a site's
    volume reaches `detectable_mm3`, the site that relapsed first, and whether the patient then
    died of the disease.

    Example:
        >>> v = [np.array([[0., 1.], [0., 900.]]), np.array([[0., 900.], [0., 0.]])]
        >>> c = relapse_columns(np.array([0., 10.]), v, 500., np.full(2, np.nan), np.zeros(2, bool))
        >>> c["relapse_site"].tolist(), c["relapse_day"].round(1).tolist()
        (['distant', 'local'], [5.6, 5.6])
    """
    local = first_crossing_day(days, np.nan_to_num(site_volumes[0]), detectable_mm3)
    distant = (
        first_crossing_day(days, np.nan_to_num(site_volumes[1]), detectable_mm3)
        if len(site_volumes) > 1
        else np.full_like(local, np.nan)
    )
    alive = ~(np.nan_to_num(death, nan=np.inf) < np.fmin(local, distant))
    local = np.where(alive, local, np.nan)
    distant = np.where(alive, distant, np.nan)
    relapse = np.fmin(local, distant)
    site = np.where(
        np.isfinite(relapse),
        np.where(np.nan_to_num(distant, nan=np.inf) <= relapse, "distant", "local"),
        "",
    ).astype(object)
    died = np.isfinite(relapse) & np.asarray(from_disease, dtype=bool)
    return {
        "relapse_day": relapse,
        "relapse_site": site,
        "local_relapse_day": local,
        "distant_relapse_day": distant,
        "death_after_relapse": died,
    }


def lesion_measurements(
    volume_mm3: np.ndarray, nodal: np.ndarray, detection_limit_mm: float, normal_node_mm: float
) -> np.ndarray:
    """A lesion slot's measurements (n, n_days) from its volumes: the short axis of the rows
    that are nodes (`nodal`, (n,); `measured_node_mm`), the recorded longest diameter of the
    others (`measured_diameters_mm`).

    Example:
        >>> v = np.array([[4188.8, 0.0], [4188.8, 0.0]])
        >>> lesion_measurements(v, np.array([True, False]), 3.0, 6.0).round(1).tolist()
        [[20.2, 6.0], [20.0, 0.0]]
    """
    node = np.asarray(nodal, dtype=bool)[:, None]
    return np.where(
        node,
        measured_node_mm(volume_mm3, normal_node_mm),
        measured_diameters_mm(volume_mm3, detection_limit_mm),
    )


def lesion_columns(
    days: np.ndarray,
    lesion_d: list[np.ndarray],
    present: list[np.ndarray],
    scan_days: np.ndarray,
    death: np.ndarray,
    nodal: list[np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Per-lesion readouts at the scheduled scans before death: each target lesion's best change
    of its diameter from baseline and its best response (RECIST 1.1 thresholds applied to the
    lesion alone: CR gone, or a node (`nodal`) under 10 mm short axis, PR ≤ −30 %, PD ≥ +20 % at
    every scan, else SD), joined with ';' in
    lesion order; and a mixed response, one lesion ≥ 30 % smaller and another ≥ 20 % larger
    than at baseline at the same scan.

    Example:
        >>> d = [np.array([[10., 5.]]), np.array([[10., 13.]])]
        >>> c = lesion_columns(np.array([0., 42.]), d, [np.ones(1, bool)] * 2,
        ...                    np.array([42.]), np.full(1, np.nan))
        >>> c["lesion_best_responses"].tolist(), c["mixed_response"].tolist()
        (['PR;PD'], [True])
    """
    cols = np.clip(np.searchsorted(days, scan_days - 1e-9), 0, len(days) - 1)
    n = lesion_d[0].shape[0]
    alive = scan_days[None, :] < np.nan_to_num(death, nan=np.inf)[:, None]
    change = np.full((len(lesion_d), n, len(cols)), np.nan)
    for j, d in enumerate(lesion_d):
        base = d[:, :1]
        pct = 100.0 * (d[:, cols] - base) / np.where(base > 0, base, np.nan)
        change[j] = np.where(alive & present[j][:, None], pct, np.nan)
    with np.errstate(all="ignore"):
        best = np.fmin.reduce(change, axis=2, initial=np.nan)  # no scan yet: NaN
        shrunk = (change <= -30.0).any(axis=0)
        grown = (change >= 20.0).any(axis=0)
    mixed = (shrunk & grown).any(axis=1)
    complete = best <= -100.0
    if nodal is not None:
        for j, d in enumerate(lesion_d):
            with np.errstate(all="ignore"):
                smallest = np.fmin.reduce(
                    np.where(alive & present[j][:, None], d[:, cols], np.nan),
                    axis=1,
                    initial=np.nan,
                )
            complete[j] |= np.asarray(nodal[j], dtype=bool) & (smallest < NORMAL_NODE_MM)
    labels = np.where(
        complete, "CR", np.where(best <= -30.0, "PR", np.where(best >= 20.0, "PD", "SD"))
    )
    text = [
        ";".join(labels[j, i] for j in range(len(lesion_d)) if np.isfinite(best[j, i]))
        for i in range(n)
    ]
    return {
        "lesion_best_responses": np.array(text, dtype=object),
        "lesion_best_percent_changes": np.array(
            [
                ";".join(
                    f"{best[j, i]:.0f}" for j in range(len(lesion_d)) if np.isfinite(best[j, i])
                )
                for i in range(n)
            ],
            dtype=object,
        ),
        "mixed_response": mixed,
    }


def scheduled_visit_days(visits: Visits, follow_up_days: float) -> np.ndarray:
    """Scheduled scan days after baseline: first_day (default every_days), then every every_days,
    or in phases (`trials.schedule`), up to the end of follow-up.

    Example:
        >>> scheduled_visit_days(Visits(every_days=42, first_day=84), 200).tolist()
        [84.0, 126.0, 168.0]
    """
    return scheduled_days(visits, follow_up_days)


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


def _new_lesion_days(
    study: Study, ids: np.ndarray, days: np.ndarray, living: np.ndarray
) -> np.ndarray:
    """(n, MAX_NEW_LESIONS) days new lesions appear (NaN if not within follow-up): seeded at a
    rate that follows the living burden (tumor cells and infiltrate, without necrosis and scar)."""
    s = study.scenario
    new_days = np.full((len(ids), MAX_NEW_LESIONS), np.nan)
    if s.setting == "metastatic" and s.lesions.new_lesion_rate_per_year > 0 and len(ids):
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
        with np.errstate(all="ignore"):
            ratio = living / living[:, :1]
        new_days = new_lesion_days(
            days, ratio, s.lesions.new_lesion_rate_per_year / 365.25, thresholds
        )
    return new_days


def _visit_table(
    study: Study,
    ids: np.ndarray,
    days: np.ndarray,
    target_d: np.ndarray,
    lesion_volumes: list[np.ndarray],
    volumes: np.ndarray,
    death: np.ndarray,
    measurable: np.ndarray,
    new_days: np.ndarray,
    horizon: np.ndarray,
    nodal: list[np.ndarray],
    resolved: np.ndarray,
) -> pd.DataFrame:
    """Baseline and scans (before death and within each patient's follow-up at the analysis,
    `horizon`) of the solved patients with measurable disease at baseline. New lesions appear on
    `new_days` and, once seen, grow and shrink with the measured burden (`volumes`).

    A scan on its scheduled day reads the first saved state at or after it. A scan moved within
    the visit window reads each lesion's volume linearly interpolated between saved days at its
    actual day (then measured as on any scan), and that day is the visit day (and so the
    progression day) of the RECIST assessment. ``targets_resolved`` says whether every target
    lesion is gone (`nodal` lesions: back under 10 mm; `resolved` on the saved days).
    """
    s = study.scenario
    windowed = s.visits.window_days >= 1
    scheduled = np.concatenate([[0.0], scheduled_visit_days(s.visits, s.follow_up_days)])
    scheduled_cols = np.clip(np.searchsorted(days, scheduled - 1e-9), 0, len(days) - 1)
    rows = []
    for i in np.flatnonzero(measurable):
        if windowed:
            scan_days = np.concatenate(
                [[0.0], visit_days(s.visits, s.follow_up_days, s.seed, int(ids[i]))]
            )
            limit = s.response.detection_limit_mm
            measured = np.stack(
                [
                    lesion_measurements(
                        np.interp(scan_days, days, v[i])[None, :],
                        node[i : i + 1],
                        limit,
                        s.lesions.normal_node_mm,
                    )[0]
                    for v, node in zip(lesion_volumes, nodal, strict=True)
                ]
            )
            sums = measured.sum(axis=0)
            gone = targets_resolved(measured, np.array([node[i] for node in nodal])[:, None])
            scan_volumes = np.interp(scan_days, days, volumes[i])
        else:
            scan_days = scheduled
            sums = target_d[i, scheduled_cols]
            gone = resolved[i, scheduled_cols]
            scan_volumes = volumes[i, scheduled_cols]
        for scan, sum_mm, volume, done in zip(scan_days, sums, scan_volumes, gone, strict=True):
            if scan >= np.nan_to_num(death[i], nan=np.inf) or scan > horizon[i]:
                break
            appeared = new_days[i][new_days[i] <= scan]
            sum_new = 0.0
            for t_new in appeared:
                at = min(int(np.searchsorted(days, t_new)), len(days) - 1)
                grow = volume / max(volumes[i, at], 1e-12)
                sum_new += NEW_LESION_DIAMETER_MM * float(np.cbrt(grow))
            rows.append((ids[i], scan, sum_mm, len(appeared), sum_new, bool(done)))
    return pd.DataFrame(
        rows,
        columns=[
            "patient_id",
            "day",
            "sum_diameters_mm",
            "new_lesions",
            "new_lesion_sum_mm",
            "targets_resolved",
        ],
    ).astype({"patient_id": np.int64, "new_lesions": np.int64, "targets_resolved": bool})

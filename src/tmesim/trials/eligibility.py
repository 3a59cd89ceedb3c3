"""Enrollment as a protocol writes it: eligibility at baseline, screen failures, replacements.

A clinical trial draws a virtual patient for each enrollment slot and grows its lesions to
treatment start; the patient is then screened against the cohort's eligibility criteria
(`config.trial.Eligibility`), in this order, the first one failed being the reason recorded:

1. alive at start: the total tumor burden (target lesions × `survival.non_target_factor`, the
   same burden that kills in `trials.endpoints`) is below the lethal burden;
2. tumor at start: at least one tumor cell in the first lesion;
3. measurable disease (RECIST 1.1, Eisenhauer 2009 §3.1.1 and §4.1): at least one lesion whose
   longest diameter (a sphere of the lesion volume) is ≥ `min_lesion_diameter_mm`; not asked in
   the adjuvant setting, whose disease is resected;
4. total burden at most `max_burden_fraction` of the lethal burden;
5. optionally, an ECOG performance-status proxy read from the burden (`max_ecog`);
6. optionally, baseline biomarkers (`pdl1_tumor_min`, `biomarkers`; `trials.biomarkers`) within
   their ranges.

A screen failure is replaced by the next candidate of the same slot: candidate k draws its
parameters, start sizes and lesions from the slot's streams with screening index k
(`cohorts.population.patient_rng`), grown exactly as the first, so the enrolled patients do not
depend on chunking, threads or arms, and a slot's later streams (allocation, visits, survival) are
those of the slot. Each slot records how many candidates failed and why; after
`max_screenings` failures the slot is recorded as not enrolled.

Example:
    >>> from tmesim.config.trial import Eligibility
    >>> failure_reasons(Eligibility(), np.array([1e4, 2e5, 4e5]), np.array([30.0, 8.0, 40.0]),
    ...                 np.array([1e9, 1e9, 1e9]), lethal_burden_mm3=3e5).tolist()
    ['', 'not_measurable', 'lethal_burden']
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from tmesim.cohorts.baseline import Baseline
from tmesim.config.trial import CohortSpec, Eligibility, TrialScenario
from tmesim.model.builder import Model
from tmesim.trials.biomarkers import BIOMARKERS, baseline_biomarkers
from tmesim.trials.body import BODY_COLUMNS, draw_bodies
from tmesim.trials.endpoints import sphere_diameter_mm

REASONS: dict[str, str] = {
    "lethal_burden": "total burden at or above the lethal burden (not alive at start)",
    "no_tumor": "no tumor left at treatment start",
    "not_measurable": "no measurable lesion (RECIST 1.1)",
    "burden_above_limit": "total burden above the eligibility limit",
    "performance_status": "performance-status proxy above the limit",
    "biomarker_out_of_range": "a baseline biomarker outside the eligibility range (e.g. PD-L1)",
}
"""Screen-failure reasons: the code recorded per candidate and what it means."""

SCREEN_COLUMNS = ("eligible", "screen_failures", "screen_failure_reasons", "baseline_burden_mm3")
"""Columns the screening adds to a clinical trial's per-patient table."""


def ecog_proxy(burden_fraction: np.ndarray, cut_points: tuple[float, ...]) -> np.ndarray:
    """ECOG performance-status proxy (0–4) from the total burden as a fraction of the lethal
    burden (`config.trial.ECOG_BURDEN_FRACTIONS` gives the cut points and their reasoning).

    Example:
        >>> ecog_proxy(np.array([0.01, 0.1, 0.5, 0.9]), (0.05, 0.15, 0.3, 0.6)).tolist()
        [0, 1, 3, 4]
    """
    return np.searchsorted(np.asarray(cut_points), burden_fraction, side="right").astype(np.int64)


def failure_reasons(
    rules: Eligibility,
    total_burden_mm3: np.ndarray,
    longest_diameter_mm: np.ndarray,
    tumor_cells: np.ndarray,
    *,
    lethal_burden_mm3: float,
    measurable_required: bool = True,
) -> np.ndarray:
    """Per candidate: '' if eligible, else the code (`REASONS`) of the first criterion failed.

    `longest_diameter_mm` is the largest lesion diameter of each candidate, `tumor_cells` the
    tumor cells at start; NaN anywhere reads as failing the criterion that needs it.
    """
    burden = np.asarray(total_burden_mm3, dtype=float)
    fraction = burden / lethal_burden_mm3
    out = np.full(burden.shape, "", dtype=object)
    checks = [
        ("lethal_burden", ~(burden < lethal_burden_mm3)),
        ("no_tumor", ~(np.asarray(tumor_cells, dtype=float) >= 1.0)),
        (
            "not_measurable",
            ~(np.asarray(longest_diameter_mm, dtype=float) >= rules.min_lesion_diameter_mm)
            if measurable_required and rules.measurable_disease
            else np.zeros(burden.shape, dtype=bool),
        ),
        ("burden_above_limit", ~(fraction <= rules.max_burden_fraction)),
    ]
    if rules.max_ecog is not None:
        ecog = ecog_proxy(np.nan_to_num(fraction, nan=np.inf), rules.ecog_burden_fractions)
        checks.append(("performance_status", ecog > rules.max_ecog))
    for code, failed in reversed(checks):  # the first criterion failed is the one recorded
        out[failed] = code
    return out


def screen(
    scenario: TrialScenario,
    model: Model,
    lesions: list[Baseline],
    counts: np.ndarray,
    rules: Eligibility,
) -> tuple[np.ndarray, np.ndarray]:
    """(reason codes, total burden at baseline) of each candidate of `lesions` (one Baseline per
    lesion, `counts` target lesions each); candidates that could not be grown get ''."""
    first = lesions[0]
    ok = first.plausible
    burden = np.zeros(len(first.patient_id))
    longest = np.zeros(len(first.patient_id))
    for j, b in enumerate(lesions):
        present = ok & (counts > j) & b.plausible
        volume = np.where(present, b.table["baseline_volume_mm3"].to_numpy(dtype=float), 0.0)
        burden += np.nan_to_num(volume)
        longest = np.fmax(longest, np.where(present, sphere_diameter_mm(volume), 0.0))
    adjuvant = scenario.setting == "adjuvant"
    burden *= 1.0 if adjuvant else scenario.survival.non_target_factor
    clones = [model.species_index(s) for s in model.species_ids if s.startswith("tumor_clone_")]
    cells = np.nansum(first.Y[:, clones], axis=1)
    reasons = failure_reasons(
        rules,
        burden,
        longest,
        cells,
        lethal_burden_mm3=scenario.survival.lethal_burden_mm3,
        measurable_required=not adjuvant,
    )
    ranges = biomarker_ranges(rules)
    if ranges:
        markers = baseline_biomarkers(model, first.P, first.Y)
        markers["baseline_burden_mm3"] = burden
        outside = np.zeros(len(burden), dtype=bool)
        for name, (low, high) in ranges.items():
            value = markers[name].to_numpy(dtype=float)
            outside |= ~((value >= low) & (value <= high))
        reasons[(reasons == "") & outside] = "biomarker_out_of_range"
    reasons[~ok] = ""
    return reasons, np.where(ok, burden, np.nan)


def biomarker_ranges(rules: Eligibility) -> dict[str, tuple[float, float]]:
    """Every biomarker criterion of `rules` as name: (low, high).

    Example:
        >>> biomarker_ranges(Eligibility(pdl1_tumor_min=0.01))
        {'pdl1_tumor_proportion': (0.01, 1.0)}
    """
    out = {k: (float(lo), float(hi)) for k, (lo, hi) in rules.biomarkers.items()}
    if rules.pdl1_tumor_min is not None:
        low, high = out.get("pdl1_tumor_proportion", (0.0, 1.0))
        out["pdl1_tumor_proportion"] = (max(low, rules.pdl1_tumor_min), high)
    return out


def enroll(
    scenario: TrialScenario,
    model: Model,
    ids: np.ndarray,
    rules: Eligibility,
    grow: Callable[[np.ndarray, int], tuple[list[Baseline], np.ndarray]],
    *,
    cohort: CohortSpec | None = None,
) -> tuple[list[Baseline], np.ndarray]:
    """Screen the candidates of enrollment slots `ids` and replace screen failures.

    `grow(ids, k)` returns candidate k of each slot at treatment start: one Baseline per lesion
    and the number of target lesions of each. Returns the enrolled candidates (as `grow` does,
    with `SCREEN_COLUMNS` added to the first lesion's table and a slot left without an eligible
    candidate marked not plausible) and each slot's screening index (its failures). With the
    `cohort`, each enrolled patient's body (`trials.body`, if the cohort draws one) is added.
    """
    lesions, counts = grow(ids, 0)
    n = len(ids)
    failures = np.zeros(n, dtype=np.int64)
    history: list[list[str]] = [[] for _ in range(n)]
    reasons, burden = screen(scenario, model, lesions, counts, rules)
    todo = np.flatnonzero(reasons != "")
    for k in range(1, rules.max_screenings + 1):
        for i in todo:
            history[i].append(str(reasons[i]))
        failures[todo] += 1
        if todo.size == 0 or k == rules.max_screenings:
            break
        new, new_counts = grow(ids[todo], k)
        lesions = _replace(lesions, new, todo)
        counts[todo] = new_counts
        new_reasons, new_burden = screen(scenario, model, new, new_counts, rules)
        reasons[todo], burden[todo] = new_reasons, new_burden
        todo = todo[new_reasons != ""]
    first = lesions[0]
    table = first.table.copy()
    eligible = first.plausible & (reasons == "")
    table["eligible"] = eligible
    table["screen_failures"] = failures
    table["screen_failure_reasons"] = [";".join(h) for h in history]
    table["baseline_burden_mm3"] = burden
    markers = baseline_biomarkers(model, first.P, first.Y, cohort.preset if cohort else "")
    for column in markers.columns:
        table[column] = (
            np.where(first.plausible, markers[column].to_numpy(), np.nan)
            if (column in BIOMARKERS)
            else markers[column].to_numpy()
        )
    if cohort is not None and cohort.body_size is not None:
        bodies = draw_bodies(cohort.body_size, scenario.seed, ids, failures)
        for column in BODY_COLUMNS:
            table[column] = bodies[column].to_numpy()
    left = first.plausible & ~eligible
    if left.any():
        table.loc[left, "plausible"] = False
        table.loc[left, "implausible_reason"] = [
            f"not eligible: {REASONS[str(r)]} in all {rules.max_screenings} candidates screened"
            for r in reasons[left]
        ]
    lesions[0] = Baseline(first.patient_id, first.P, first.Y, table)
    return lesions, failures


def _replace(old: list[Baseline], new: list[Baseline], rows: np.ndarray) -> list[Baseline]:
    """`old` with rows `rows` taken from `new` (a Baseline per lesion for those rows only); a
    lesion that one side lacks is absent ("not present") there."""
    out = []
    for j in range(max(len(old), len(new))):
        o = old[j] if j < len(old) else _absent(old[0])
        r = new[j] if j < len(new) else _absent(new[0])
        P, Y, table = o.P.copy(), o.Y.copy(), o.table.copy()
        P[rows], Y[rows] = r.P, r.Y
        shared = [c for c in table.columns if c in r.table.columns]
        for c in shared:
            column = table[c].to_numpy(copy=True)
            column[rows] = r.table[c].to_numpy()
            table[c] = column
        out.append(Baseline(o.patient_id, P, Y, table))
    return out


def _absent(like: Baseline) -> Baseline:
    """A lesion that no candidate of `like`'s patients has."""
    n = len(like.patient_id)
    table = pd.DataFrame(
        {
            "patient_id": like.patient_id,
            "plausible": np.zeros(n, dtype=bool),
            "attempts": np.ones(n, dtype=np.int64),
            "pretreatment_days": np.full(n, np.nan),
            "baseline_volume_mm3": np.full(n, np.nan),
            "implausible_reason": ["not present" for _ in range(n)],
        }
    )
    return Baseline(like.patient_id, like.P.copy(), np.full_like(like.Y, np.nan), table)


def screening_summary(patients: pd.DataFrame) -> list[dict]:
    """Per cohort: slots, candidates screened (screen failures + enrolled), enrolled, screen
    failures and their reasons, from a clinical trial's per-patient table (each patient once,
    whatever the number of arms).

    Example:
        >>> p = pd.DataFrame({"cohort": "c", "patient_id": [0, 1], "eligible": [True, True],
        ...                   "screen_failures": [0, 2],
        ...                   "screen_failure_reasons": ["", "burden_above_limit;no_tumor"]})
        >>> s = screening_summary(p)[0]
        >>> s["screened"], s["enrolled"], s["screen_failures"], s["reasons"]["no_tumor"]
        (4, 2, 2, 1)
    """
    if "screen_failures" not in patients:
        return []
    out = []
    for cohort, rows in patients.drop_duplicates(["cohort", "patient_id"]).groupby(
        "cohort", sort=False
    ):
        counts = dict.fromkeys(REASONS, 0)
        for text in rows["screen_failure_reasons"].fillna("").astype(str):
            for code in filter(None, text.split(";")):
                counts[code] = counts.get(code, 0) + 1
        failures = int(rows["screen_failures"].sum())
        enrolled = int(rows["eligible"].astype(bool).sum())
        out.append(
            {
                "cohort": str(cohort),
                "slots": int(len(rows)),
                "screened": failures + enrolled,
                "enrolled": enrolled,
                "screen_failures": failures,
                "reasons": {k: v for k, v in counts.items() if v},
            }
        )
    return out

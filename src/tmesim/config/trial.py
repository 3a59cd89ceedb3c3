"""The study scenario: what ``tmesim trial`` reads — a virtual mouse study or clinical trial.

A study crosses *cohorts* (tumor models or patient populations: a preset plus overrides) with
*arms* (regimens). In the `matched` design every virtual patient of a cohort receives every arm
(the in-silico counterfactual: arms differ only by treatment); in the `randomized` design each
patient is allocated to one arm by its own allocation stream, in the arms' ratio. Unknown keys are
rejected with the nearest valid name; every value is checked here.

Example:
    >>> s = trial_from_dict({"title": "demo", "cohorts": [{"name": "4T1", "preset": "mouse_4t1"}],
    ...                      "arms": [{"name": "control", "regimen": "untreated"}]})
    >>> s.design, s.cohorts[0].n, s.follow_up_days
    ('matched', 10, 60.0)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tmesim.config.limits import MAX_DAYS, MIN_SAVE_INTERVAL_DAYS, check_save_grid
from tmesim.config.scenario import MAX_NAME, MAX_SEED, MAX_TEXT, ParameterValue, RegimenText
from tmesim.config.validation import validate_config
from tmesim.config.yamlio import dump_yaml, read_yaml
from tmesim.errors import ConfigError

Name = Annotated[str, Field(min_length=1, max_length=80)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Days = Annotated[float, Field(gt=0, le=MAX_DAYS, allow_inf_nan=False)]
Volume = Annotated[float, Field(ge=1e-6, le=1e7, allow_inf_nan=False)]
"""A tumor volume in mm³: from about one cell (1e-6 mm³) to 10 L."""
Finite = Annotated[float, Field(allow_inf_nan=False)]
MAX_SAVED_POINTS = 100_000
"""Most saved time points per patient in a study (follow_up_days / save_every_days)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


ECOG_BURDEN_FRACTIONS = (0.05, 0.15, 0.3, 0.6)
"""Performance-status proxy: the total tumor burden, as a fraction of the lethal burden, above which
a patient counts as ECOG 1, 2, 3 and 4 (below the first: ECOG 0). Assumed: a proxy, not a model of
performance status — symptoms grow with the disease that organs carry, so a patient near the lethal
burden is bedridden (ECOG 3–4) and one with a small fraction of it is fully active; the cut points
spread the burden range of enrolled patients over the scale and are not fitted to any data."""


class Eligibility(_Strict):
    """Who a clinical trial enrolls, checked at baseline as a protocol's eligibility criteria are.

    A drawn virtual patient who fails a criterion is a screen failure: it is counted with its
    reason and replaced by the next candidate of its enrollment slot (`trials.eligibility`).
    Mouse studies enroll every tumor-bearing mouse (no RECIST eligibility).

    Example:
        >>> Eligibility().max_burden_fraction, Eligibility(max_ecog=1).max_ecog
        (0.5, 1)
    """

    measurable_disease: bool = Field(
        True,
        description="Require at least one lesion with a longest diameter ≥ min_lesion_diameter_mm "
        "(RECIST 1.1 measurable disease, Eisenhauer 2009 §3.1.1). A lesion is read as a lymph node "
        "only when its short axis is ≥ 15 mm at baseline (lesions.nodal_share), so a node is "
        "always measurable and the longest-diameter rule decides. Not applied in the adjuvant setting, "
        "whose disease is resected.",
    )
    min_lesion_diameter_mm: float = Field(
        10.0,
        ge=10.0,
        le=100.0,
        allow_inf_nan=False,
        description="Longest diameter (mm) of a measurable lesion: RECIST 1.1's 10 mm by CT "
        "(slice thickness ≤ 5 mm); a protocol may ask for more, never less.",
    )
    max_burden_fraction: float = Field(
        0.5,
        gt=0.0,
        lt=1.0,
        allow_inf_nan=False,
        description="Total tumor burden at baseline (target lesions × survival.non_target_factor) "
        "at most this fraction of survival.lethal_burden_mm3. Assumed 0.5: protocols enroll "
        "patients expected to live at least about 12 weeks [r] (e.g. Le 2015 NEJM 372:2509, "
        "Larkin 2015 NEJM 373:23), and half the lethal burden leaves at least one volume doubling "
        "to live untreated — about 4 months at colorectal carcinoma's median doubling time (130 d, "
        "Bolin 1983), about 1 month at that of melanoma metastases (33 d, Carlson 2003), so a "
        "melanoma protocol's life expectancy would ask for a lower limit (about 0.2); set it per "
        "cohort.",
    )
    max_ecog: int | None = Field(
        None,
        ge=0,
        le=4,
        description="Optional performance-status criterion (e.g. 1 for ECOG 0–1): the ECOG proxy "
        "read from the baseline burden (ecog_burden_fractions) must not exceed it.",
    )
    ecog_burden_fractions: tuple[float, float, float, float] = Field(
        ECOG_BURDEN_FRACTIONS,
        description="Cut points (fractions of the lethal burden, increasing) of the ECOG 1, 2, 3 "
        "and 4 proxy; see ECOG_BURDEN_FRACTIONS for the reasoning.",
    )
    pdl1_tumor_min: float | None = Field(
        None,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="PD-L1-selected trials: the tumor proportion score (TPS, fraction of tumor "
        "cells PD-L1-positive, 0–1, read from the first lesion at baseline; "
        "`trials.biomarkers`) must be at least this, e.g. 0.01 for PD-L1 ≥ 1%.",
    )
    biomarkers: dict[str, tuple[Finite, Finite]] = Field(
        default_factory=dict,
        description="Other baseline biomarker criteria, name: [low, high] in the biomarker's "
        "units (names and units in `tmesim.trials.biomarkers.BIOMARKERS`, e.g. pdl1_cps: "
        "[1, 100]).",
    )
    max_screenings: int = Field(
        20,
        ge=1,
        le=1000,
        description="Candidates screened per enrollment slot; a slot with no eligible candidate "
        "among them is recorded as not enrolled (status 'ineligible') with the last reason.",
    )

    @model_validator(mode="after")
    def _cut_points(self) -> Eligibility:
        from tmesim.trials.biomarkers import ELIGIBLE_BIOMARKERS

        for name, (low, high) in self.biomarkers.items():
            if name not in ELIGIBLE_BIOMARKERS:
                raise ConfigError(
                    "eligibility.biomarkers",
                    name,
                    "name a baseline biomarker of the per-patient table",
                    choices=list(ELIGIBLE_BIOMARKERS),
                )
            if low > high:
                raise ConfigError(
                    f"eligibility.biomarkers.{name}",
                    [low, high],
                    "give the range as [low, high] with low ≤ high",
                )
        cuts = self.ecog_burden_fractions
        if not all(0 < c < 1 for c in cuts) or any(b <= a for a, b in pairwise(cuts)):
            raise ConfigError(
                "eligibility.ecog_burden_fractions",
                list(cuts),
                "give four increasing fractions of the lethal burden, each between 0 and 1, "
                "e.g. [0.05, 0.15, 0.3, 0.6]",
            )
        return self


class BodySize(_Strict):
    """Body weight and height of a cohort's patients, drawn per patient so that mg/kg and mg/m²
    doses vary between patients (`trials.body`). Sex is drawn first (`male_fraction`), then
    height (normal) and weight (log-normal), correlated within each sex.

    Example:
        >>> BodySize(population="adult_melanoma", male_fraction=0.6).male_fraction
        0.6
    """

    population: Literal["adult", "adult_melanoma"] | None = Field(
        None,
        description="Named population whose values fill the keys not given: adult (US adults, "
        "CDC anthropometric reference data 2015–2018) or adult_melanoma (the same, with the "
        "male share of advanced-melanoma trials).",
    )
    male_fraction: float | None = Field(
        None, ge=0, le=1, allow_inf_nan=False, description="Share of men (fraction, 0–1)."
    )
    height_cm_male: tuple[Finite, Finite] | None = Field(
        None, description="Men's height: [mean, sd] in cm (normal)."
    )
    height_cm_female: tuple[Finite, Finite] | None = Field(
        None, description="Women's height: [mean, sd] in cm (normal)."
    )
    weight_kg_male: tuple[Finite, Finite] | None = Field(
        None, description="Men's weight: [median in kg, sd of log weight] (log-normal)."
    )
    weight_kg_female: tuple[Finite, Finite] | None = Field(
        None, description="Women's weight: [median in kg, sd of log weight] (log-normal)."
    )
    height_weight_correlation: float | None = Field(
        None,
        ge=-1,
        le=1,
        allow_inf_nan=False,
        description="Correlation of height and log weight within a sex (dimensionless).",
    )
    source: str = Field(
        "", max_length=MAX_TEXT, description="Where values given here come from (shown per run)."
    )

    @model_validator(mode="after")
    def _complete(self) -> BodySize:
        from tmesim.trials.body import resolved_body_size

        resolved_body_size(self)  # raises with the missing or implausible key named
        return self


class CohortSpec(_Strict):
    """A tumor model or patient population: a preset, its overrides, and how many patients."""

    name: Name = Field(description="Label of the cohort in tables and figures, e.g. '4T1'.")
    preset: str = Field(
        min_length=1, max_length=MAX_NAME, description="Parameter preset (`tmesim presets`)."
    )
    n: int = Field(
        10,
        ge=1,
        le=1_000_000,
        description="Virtual patients: per arm (matched design) or in total (randomized).",
    )
    variability: bool = Field(True, description="Draw patients from the priors (false: nominal).")
    parameters: dict[str, ParameterValue] = Field(
        default_factory=dict, description="Overrides of preset parameters (units allowed)."
    )
    mechanisms: dict[str, bool] = Field(
        default_factory=dict, description="Mechanism switches (`tmesim mechanisms`)."
    )
    start_volume_mm3: Volume | None = Field(
        None, description="Lesion volume at treatment start (default: the preset's)."
    )
    start_volume_log_sd: float | None = Field(
        None, ge=0, le=3, description="Between-patient log-sd of that volume (default: preset's)."
    )
    plausibility: dict[str, tuple[Finite, Finite]] = Field(
        default_factory=dict,
        description="Accept a patient only if observable ∈ [low, high] at treatment start.",
    )
    description: str = Field(
        "", max_length=MAX_TEXT, description="What this cohort stands for (shown in the report)."
    )
    eligibility: Eligibility | None = Field(
        None,
        description="Clinical trials: eligibility at baseline (default: Eligibility(), RECIST "
        "measurable disease and a total burden at most half the lethal burden); mouse studies "
        "have none.",
    )
    body_size: BodySize | None = Field(
        None,
        description="Clinical trials: draw each patient's weight and height from this "
        "population (default: none, every patient the 75 kg, 170 cm reference adult).",
    )

    @field_validator("body_size", mode="before")
    @classmethod
    def _body_size_name(cls, value: Any) -> Any:
        return {"population": value} if isinstance(value, str) else value


class SubsequentTherapy(_Strict):
    """A regimen given after progression on the arm's own treatment (the next line of therapy).

    A share of the patients with documented progression (RECIST or iRECIST, read at the scans)
    receives it: the arm's regimen stops at the progression scan and this regimen starts
    `start_delay_days` after it, simulated by the model like the first line. Each patient's draw
    comes from its own stream, so who receives what does not depend on chunks or threads.

    Example:
        >>> SubsequentTherapy(name="anti-PD-1", regimen="nivolumab 3 mg/kg q2w x52", share=0.4,
        ...                   start_delay_days=28).max_treatment_days is None
        True
    """

    name: Name = Field(description="Label recorded per patient, e.g. 'anti-PD-1'.")
    regimen: RegimenText | Annotated[list[dict[str, Any]], Field(min_length=1)] = Field(
        description="Regimen string or typed dose steps; day 0 = the day it starts."
    )
    share: float = Field(
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="Share of the arm's patients with documented progression who receive it.",
    )
    start_delay_days: float = Field(
        ge=0,
        le=365,
        allow_inf_nan=False,
        description="Days from the progression scan to its first dose.",
    )
    max_treatment_days: Days | None = Field(
        None, description="Drop its doses after this many days from its start."
    )
    source: str = Field("", max_length=MAX_TEXT, description="Where the share and delay come from.")


TREAT_UNTIL: dict[str, str] = {
    "regimen_end": "every dose of the regimen (up to max_treatment_days)",
    "progression": "until documented progression (the scan that reads it), or the regimen's end",
    "toxicity": "until a grade 3–4 immune-related adverse event (the `toxicity` model), or the "
    "regimen's end",
    "progression_or_toxicity": "until progression or unacceptable toxicity, whichever comes first",
}
"""Values of `ArmSpec.treat_until` and what each means."""

_TREAT_UNTIL_ALIASES: dict[str, str] = {
    "end": "regimen_end",
    "regimen": "regimen_end",
    "fixed": "regimen_end",
    "disease progression": "progression",
    "unacceptable toxicity": "toxicity",
    "progression or toxicity": "progression_or_toxicity",
    "progression or unacceptable toxicity": "progression_or_toxicity",
    "disease progression or unacceptable toxicity": "progression_or_toxicity",
    "toxicity or progression": "progression_or_toxicity",
}


class BeyondProgression(_Strict):
    """Treatment beyond progression per protocol: after the first documented progression the
    arm's regimen goes on while the patient is clinically stable, and stops at the first of the
    limits set here (`trials.protocol`). Protocols of checkpoint inhibitors allow it because a
    first progression can be pseudo-progression (Seymour 2017 Lancet Oncol 18:e143, iRECIST;
    Long 2017 JAMA Oncol 3:1511 for nivolumab beyond progression in CheckMate 066/067).

    Example:
        >>> BeyondProgression(max_sum_increase_percent=50).until_confirmed
        True
    """

    until_confirmed: bool = Field(
        True,
        description="Stop at the scan that confirms the progression (iRECIST iCPD: further "
        "growth of the target sum by ≥ 5 mm, or of the new lesions, at the next assessment).",
    )
    max_sum_increase_percent: float | None = Field(
        None,
        gt=0,
        le=1000,
        allow_inf_nan=False,
        description="Burden threshold (%): stop at the first scan whose sum of target "
        "diameters is at least this much above its nadir (e.g. 50; none: no threshold).",
    )
    max_days: float | None = Field(
        None,
        gt=0,
        le=MAX_DAYS,
        allow_inf_nan=False,
        description="Stop at most this many days after the first progression (none: no limit).",
    )


class ArmSpec(_Strict):
    """One treatment arm."""

    name: Name = Field(description="Label of the arm, e.g. 'anti-PD-1 + IPI-549'.")
    regimen: RegimenText | Annotated[list[dict[str, Any]], Field(min_length=1)] = Field(
        "untreated", description="Regimen string or typed dose steps; day 0 = treatment start."
    )
    ratio: int = Field(1, ge=1, le=100, description="Allocation weight (randomized design).")
    max_treatment_days: Days | None = Field(
        None, description="Drop doses after this day (maximum treatment duration)."
    )
    treat_until: Literal["regimen_end", "progression", "toxicity", "progression_or_toxicity"] = (
        Field(
            "regimen_end",
            description="When the arm's treatment stops (clinical trials): regimen_end (every "
            "dose, up to max_treatment_days), progression (the scan that documents it), "
            "toxicity (a grade 3–4 immune-related adverse event; turns the `toxicity` model on "
            "for this arm) or progression_or_toxicity; the regimen's last dose and "
            "max_treatment_days stay the cap. Also written 'progression or unacceptable "
            "toxicity'.",
        )
    )
    beyond_progression: BeyondProgression | None = Field(
        None,
        description="With treat_until progression: treatment goes on after the first "
        "progression while the patient is clinically stable, up to these limits (default: "
        "none, treatment stops at the first progression).",
    )
    subsequent_therapy: list[SubsequentTherapy] = Field(
        default_factory=list,
        description="Clinical trials: regimens given after progression, each to its share of the "
        "patients who progress (default: none).",
    )

    @field_validator("treat_until", mode="before")
    @classmethod
    def _treat_until_words(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = " ".join(value.strip().lower().replace("_", " ").split())
        text = _TREAT_UNTIL_ALIASES.get(text, text.replace(" ", "_"))
        if text not in TREAT_UNTIL:
            raise ConfigError(
                "treat_until",
                value,
                "use one of regimen_end, progression, toxicity, progression_or_toxicity "
                "(or 'progression or unacceptable toxicity')",
                choices=list(TREAT_UNTIL),
            )
        return text

    @property
    def stops_at_progression(self) -> bool:
        """Whether documented progression ends the arm's treatment."""
        return self.treat_until in ("progression", "progression_or_toxicity")

    @property
    def stops_at_toxicity(self) -> bool:
        """Whether a grade 3–4 immune-related adverse event ends the arm's treatment."""
        return self.treat_until in ("toxicity", "progression_or_toxicity")

    @model_validator(mode="after")
    def _subsequent_shares(self) -> ArmSpec:
        if self.beyond_progression is not None and not self.stops_at_progression:
            raise ConfigError(
                f"arms.{self.name}.beyond_progression",
                "set",
                "treatment beyond progression needs treat_until: progression (or "
                "progression_or_toxicity); set it or remove beyond_progression",
            )
        names = [t.name for t in self.subsequent_therapy]
        for name in names:
            if names.count(name) > 1:
                raise ConfigError(
                    f"arms.{self.name}.subsequent_therapy.name",
                    name,
                    "give every subsequent therapy of an arm its own name",
                )
        total = sum(t.share for t in self.subsequent_therapy)
        if total > 1 + 1e-9:
            raise ConfigError(
                f"arms.{self.name}.subsequent_therapy.share",
                round(total, 6),
                "the shares are of the same progressing patients and add up to at most 1; "
                "lower them",
            )
        return self


class Rechallenge(_Strict):
    """Re-inoculate cured mice at a new site after a wash-out; naive mice get the same cells."""

    cells: float = Field(
        1e5,
        ge=1,
        le=1e10,
        allow_inf_nan=False,
        description="Tumor cells injected at the rechallenge.",
    )
    washout_days: float = Field(
        0.0, ge=0, le=365, description="Days between the end of follow-up and the rechallenge."
    )
    follow_up_days: Positive = Field(30.0, le=365, description="Days observed after it.")


class VisitPhase(_Strict):
    """One phase of a visit schedule: scans every `every_days` up to `until_day`.

    Example:
        >>> VisitPhase(every_days=42, until_day=365).until_day
        365.0
    """

    every_days: Days = Field(description="Days between scans in this phase (e.g. 42).")
    until_day: Days | None = Field(
        None,
        description="Last day (from treatment start) of this phase; the next phase goes on from "
        "its last scan (none: the last phase, to the end of follow-up).",
    )


_PHASE_TEXT = re.compile(r"^(?P<every>\S+)(?:\s+(?:until|to)\s+day\s+(?P<until>[0-9.]+))?$")


def _phases_from_text(text: str) -> list[dict[str, Any]]:
    """'q6w until day 365, then q12w' as visit phases (schedule tokens as in regimens)."""
    from tmesim.therapies.regimen import parse_schedule

    out: list[dict[str, Any]] = []
    for part in re.split(r",?\s*then\s+|;", text.strip().lower()):
        m = _PHASE_TEXT.match(part.strip())
        every = parse_schedule(m.group("every")) if m else None
        if m is None or every is None:
            raise ConfigError(
                "visits.phases",
                text,
                "write the phases as '<schedule> until day <d>, then <schedule>', e.g. "
                "'q6w until day 365, then q12w'",
            )
        until = m.group("until")
        out.append({"every_days": every, "until_day": None if until is None else float(until)})
    return out


class Visits(_Strict):
    """Imaging schedule of a clinical trial: scheduled scan days and the protocol's visit window.

    A schedule in phases (`phases`, e.g. every 6 weeks for the first year, then every 12 weeks)
    replaces `every_days`.

    Example:
        >>> Visits(every_days=42, first_day=84, window_days=7).window_days
        7.0
        >>> Visits(phases="q6w until day 365, then q12w").intervals
        (42.0, 84.0)
    """

    every_days: Days = Field(56.0, description="Days between scans (e.g. 42 or 56).")
    phases: list[VisitPhase] | None = Field(
        None,
        min_length=1,
        description="A schedule that changes: phases in order, each with its every_days and "
        "until_day (the last without), or as text 'q6w until day 365, then q12w'; the first "
        "scan is at first_day (default: the first phase's interval). Replaces every_days.",
    )
    first_day: Days | None = Field(None, description="Day of the first scan (default every).")
    window_days: float = Field(
        0.0,
        ge=0,
        le=MAX_DAYS,
        allow_inf_nan=False,
        description="Protocol visit window: each scan (confirmation scans included) happens a "
        "whole number of days within ± this many days of its scheduled day, drawn per patient "
        "(0: every scan on its scheduled day).",
    )

    @field_validator("phases", mode="before")
    @classmethod
    def _phases_text(cls, value: Any) -> Any:
        return _phases_from_text(value) if isinstance(value, str) else value

    @property
    def intervals(self) -> tuple[float, ...]:
        """Days between scans of each phase (one phase without `phases`)."""
        if self.phases is None:
            return (self.every_days,)
        return tuple(p.every_days for p in self.phases)

    def describe(self) -> str:
        """The schedule in words, e.g. 'every 42 days to day 365, then every 84 days'.

        Example:
            >>> Visits(every_days=56).describe()
            'every 56 days'
        """
        if self.phases is None:
            return f"every {self.every_days:g} days"
        return ", then ".join(
            f"every {p.every_days:g} days"
            + ("" if p.until_day is None else f" to day {p.until_day:g}")
            for p in self.phases
        )

    @model_validator(mode="after")
    def _window_fits(self) -> Visits:
        if self.phases is not None:
            if "every_days" in self.model_fields_set:
                raise ConfigError(
                    "visits.every_days",
                    self.every_days,
                    "phases replace every_days; give the interval in the phases and remove "
                    "every_days",
                )
            ends = [p.until_day for p in self.phases]
            if any(e is None for e in ends[:-1]) or ends[-1] is not None:
                raise ConfigError(
                    "visits.phases",
                    [p.model_dump() for p in self.phases],
                    "give every phase but the last an until_day, and the last none (it runs to "
                    "the end of follow-up)",
                )
            if any(b <= a for a, b in pairwise(e for e in ends if e is not None)):
                raise ConfigError(
                    "visits.phases.until_day",
                    ends,
                    "the phases' until_day must increase from one phase to the next",
                )
        interval = min(self.intervals)
        which = "every_days" if self.phases is None else "the phases' shortest, days"
        first = self.first_day or self.intervals[0]
        if self.window_days > 0 and 2 * self.window_days >= interval:
            raise ConfigError(
                "visits.window_days",
                self.window_days,
                f"it must be below half the scan interval ({which} {interval:g}) so that "
                "visits stay ordered and do not overlap; narrow the window or space the scans "
                "further apart.",
            )
        if self.window_days > 0 and self.window_days >= first:
            raise ConfigError(
                "visits.window_days",
                self.window_days,
                f"it must be below the day of the first scan (first_day {first:g}) so that the "
                "first scan stays after baseline; narrow the window or scan later.",
            )
        return self


class ResponseCriteria(_Strict):
    """How tumor response is read from simulated lesions."""

    criteria: Literal["recist1.1", "irecist"] = Field(
        "recist1.1",
        description="recist1.1 (Eisenhauer 2009) or irecist (Seymour 2017: a first progression "
        "is unconfirmed until a later scan shows further growth).",
    )
    confirm: bool = Field(True, description="CR/PR need a confirming scan ≥ confirmation_days.")
    confirmation_days: float = Field(
        28.0,
        ge=0,
        le=MAX_DAYS,
        allow_inf_nan=False,
        description="Days after a first CR/PR by which a confirming scan must show it again "
        "(RECIST 1.1: at least 4 weeks).",
    )
    min_sd_days: float = Field(
        42.0,
        ge=0,
        le=MAX_DAYS,
        allow_inf_nan=False,
        description="Minimum duration of stable disease.",
    )
    early_death: Literal["NE", "PD"] = Field(
        "NE",
        description="Best response of a patient who dies before the first scan: NE (default; "
        "RECIST 1.1, Eisenhauer 2009 §4.4: without a post-baseline assessment the best response "
        "is not evaluable, and symptomatic deterioration is a reason to stop therapy, not an "
        "objective progression) or PD (protocols that record a death from the disease as "
        "clinical progression; a death from other causes stays NE).",
    )
    detection_limit_mm: float = Field(
        3.0,
        ge=0,
        le=50,
        description="A lesion whose diameter is below this is no longer seen (disappeared, 0 mm; "
        "assumed ~3 mm for CT); a seen lesion under 5 mm is recorded as 5 mm (RECIST 1.1).",
    )


class Lesions(_Strict):
    """Metastatic disease: several target lesions per patient and new lesions over time."""

    mean_target_lesions: float = Field(
        2.5, ge=1, le=5, description="Mean number of target lesions (1 + Poisson, at most 5)."
    )
    heterogeneity_cv: float = Field(
        0.3, ge=0, le=2, description="Lesion-to-lesion CV of the local myeloid and CCL2 levels."
    )
    nodal_share: float = Field(
        0.25,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="Mean share of target lesions that are lymph nodes (measured by their short "
        "axis, normal under 10 mm; RECIST 1.1). Each patient draws its own share (beta, mean "
        "this) and each lesion is a node with that probability if its short axis is ≥ 15 mm at "
        "baseline. Assumed 0.25 [r]: in anti-PD-1-treated melanoma 57% of patients had "
        "measurable nodal or subcutaneous lesions (MGH cohort, J Clin Oncol 2019;37(15 suppl):"
        "9552) and lung lesions were 163 of 567 measurable lesions (Khoja 2016 Br J Cancer "
        "115:1186); with 2.5 target lesions a per-lesion share of 0.25 puts a nodal target in "
        "about half of the patients.",
    )
    normal_node_mm: float = Field(
        6.0,
        ge=0,
        lt=10,
        allow_inf_nan=False,
        description="Short axis (mm) of the normal node that stays when a nodal metastasis is "
        "gone (assumed: inside RECIST 1.1's normal range under 10 mm, Schwartz 2009 Eur J Cancer "
        "45:261); it is added to the node's simulated volume.",
    )
    residue_cv: float = Field(
        0.5,
        ge=0,
        le=3,
        allow_inf_nan=False,
        description="Lesion-to-lesion CV of the non-viable residue fraction (log-normal around "
        "the patient's, at most 1). Assumed: the regression bed varies from lesion to lesion, "
        "from near-complete necrosis to a fibrotic nodule (Tetzlaff 2018 Ann Oncol 29:1861).",
    )
    clearance_cv: float = Field(
        0.6,
        ge=0,
        le=3,
        allow_inf_nan=False,
        description="Lesion-to-lesion CV of the clearance rate of the non-viable mass "
        "(log-normal around the patient's). Assumed: complete responses of melanoma under "
        "checkpoint blockade keep accruing for years (in CheckMate 067 their share in each arm "
        "doubled or more between the primary and the five-year analyses, Larkin 2015 NEJM 373:23 "
        "Table 2, Larkin 2019 NEJM 381:1535; the CR shares are validation targets), so the residual mass of some lesions takes far longer to clear than "
        "that of others.",
    )
    scar_probability: float = Field(
        0.3,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="Probability that a lesion forms a persistent scar (scar_fraction of its "
        "residue never resorbed), so that it never disappears on imaging. Assumed 0.3 (not fitted to "
        "any trial): melanoma masses of necrosis and fibrosis without viable tumor "
        "persist for years in some patients after ipilimumab ± nivolumab (J Immunother "
        "2023;46:192), and pathological complete responses (43% after neoadjuvant ipilimumab + "
        "nivolumab, Menzies 2021 Nat Med 27:301) far outnumber radiological ones after the same "
        "weeks of treatment [r] (regression beds: Tetzlaff 2018 Ann Oncol 29:1861).",
    )
    scar_fraction: float = Field(
        0.16,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="Share of a scarring lesion's non-viable residue that is never resorbed: ~16% "
        "of radiofrequency-ablation zones' volume remains at two years (Zimmermann 2018 Indian J "
        "Radiol Imaging 28:320, the plateau of an exponential fit).",
    )
    new_lesion_rate_per_year: float = Field(
        0.5,
        ge=0,
        le=50,
        description="New detectable lesions per year at the baseline tumor burden; the rate "
        "scales with the burden.",
    )


class Survival(_Strict):
    """The link from tumor burden to death (documented in trials/endpoints.py)."""

    lethal_burden_mm3: Volume = Field(
        3e5,
        description="Total tumor burden at which a patient dies (assumed ~300 cm³, ~3e11 cells: "
        "below the ~1 kg quoted for a single mass (Friberg & Mattsson 1997 J Surg Oncol "
        "65:284) because spread disease kills through the organs it invades).",
    )
    non_target_factor: float = Field(
        3.0, ge=1, le=100, description="Total burden / target-lesion burden at baseline."
    )
    background_mortality_per_year: float = Field(
        0.02,
        ge=0,
        le=1,
        description="Yearly hazard of death from other causes (assumed, no source: about twice "
        "the all-cause mortality of life tables at 60-62 years, ~1%/year).",
    )


class Adjuvant(_Strict):
    """Residual disease after resection; relapse when it becomes detectable."""

    residual_fraction: float = Field(
        1e-3,
        gt=0,
        lt=1,
        description="Median fraction of tumor cells left after resection (assumed: microscopic "
        "residual and occult disease ~0.1% of the lesion).",
    )
    residual_log_sd: float = Field(
        1.5,
        ge=0,
        le=5,
        description="Between-patient sd of the log of the residual fraction (assumed: residual "
        "disease varies over orders of magnitude between patients).",
    )
    detectable_mm3: Volume = Field(
        500.0, description="Relapse: residual disease grows back to this volume (≈1 cm lesion)."
    )
    distant_probability: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of resected patients with occult distant disease (assumed: about half "
        "of first relapses after resection of stage III melanoma are systemic, 51% of 340 in "
        "Romano 2010 J Clin Oncol 28:3042).",
    )
    distant_fraction: float = Field(
        1e-3,
        gt=0,
        lt=1,
        description="Median size of the occult distant disease as a fraction of the resected "
        "lesion's tumor cells (assumed: micrometastases below imaging, of the order of the "
        "residual left at the resection bed).",
    )
    distant_log_sd: float = Field(
        1.5,
        ge=0,
        le=5,
        description="Between-patient sd of the log of that fraction (assumed, as for the "
        "residual at the resection bed).",
    )


class DataCutoff(_Strict):
    """The analysis a publication reports: patients enter over an accrual period and every
    endpoint is read at one data cutoff (database lock), so that each patient is followed from
    enrollment to the cutoff, not for the study's whole follow-up.

    Patient k enters on a day drawn uniformly over ``accrual_days`` (its own enrollment stream);
    its follow-up at the analysis is ``cutoff_day`` minus that day, at most ``follow_up_days``.
    Scans, progression, response and death after it are not yet in the database: best response
    is read from the scans before it, and PFS, DOR and OS are censored at it. Set both days from
    the publication: the first and last randomization dates and the date of the data cutoff.

    Example:
        >>> DataCutoff(accrual_days=271, cutoff_day=545).minimum_follow_up_days
        274.0
    """

    accrual_days: float = Field(
        ge=0,
        le=20 * 365,
        allow_inf_nan=False,
        description="Days from the first to the last enrollment (0: all enter on day 0).",
    )
    cutoff_day: Positive = Field(
        le=40 * 365,
        description="Day of the data cutoff, counted from the first enrollment.",
    )

    @property
    def minimum_follow_up_days(self) -> float:
        """Follow-up at the cutoff of the last patient enrolled."""
        return self.cutoff_day - self.accrual_days

    @model_validator(mode="after")
    def _after_accrual(self) -> DataCutoff:
        if self.cutoff_day <= self.accrual_days:
            raise ConfigError(
                "data_cutoff.cutoff_day",
                self.cutoff_day,
                f"the cutoff must come after the last enrollment (accrual_days "
                f"{self.accrual_days:g}); give the cutoff's day counted from the first enrollment",
            )
        return self


def _check_levels(field: str, biomarker: str, cuts: Sequence[float]) -> None:
    """The biomarker is one of the per-patient table's and its cut points fit its kind."""
    from tmesim.trials.subgroups import CATEGORICAL_BIOMARKERS, NUMERIC_BIOMARKERS

    if biomarker in CATEGORICAL_BIOMARKERS:
        if cuts:
            raise ConfigError(
                f"{field}.{biomarker}.cuts",
                list(cuts),
                "a categorical biomarker has no cut points; remove them",
            )
        return
    if biomarker not in NUMERIC_BIOMARKERS:
        raise ConfigError(
            f"{field}.biomarker",
            biomarker,
            "name a baseline biomarker of the per-patient table",
            choices=[*NUMERIC_BIOMARKERS, *CATEGORICAL_BIOMARKERS],
        )
    if not cuts or any(b <= a for a, b in pairwise(cuts)):
        raise ConfigError(
            f"{field}.{biomarker}.cuts",
            list(cuts),
            "give one or more increasing cut points in the biomarker's units, e.g. "
            "[0.01, 0.5] for PD-L1 TPS",
        )


class Subgroup(_Strict):
    """A subgroup analysis: patients split by a baseline biomarker, each arm compared with the
    reference arm within each level (hazard ratios in a forest plot, `trials.subgroups`).

    Example:
        >>> Subgroup(biomarker="pdl1_tumor_proportion", cuts=[0.01, 0.5]).cuts
        [0.01, 0.5]
    """

    biomarker: str = Field(
        min_length=1,
        max_length=MAX_NAME,
        description="A numeric baseline biomarker of the per-patient table (e.g. "
        "pdl1_tumor_proportion, in its units) or a categorical one (mmr_status, sex).",
    )
    cuts: list[Finite] = Field(
        default_factory=list,
        max_length=10,
        description="Increasing cut points in the biomarker's units: levels < c1, c1–c2, ..., "
        "≥ cn (numeric biomarkers; none for a categorical one).",
    )

    @model_validator(mode="after")
    def _known(self) -> Subgroup:
        _check_levels("subgroups", self.biomarker, self.cuts)
        return self


STRATIFICATION_EXCLUDED = ("baseline_sum_diameters_mm",)
"""Biomarkers read only after treatment starts (RECIST measurement), so not known when a patient
is randomized."""


class StratificationFactor(Subgroup):
    """One stratification factor: a baseline biomarker known at randomization, in levels.

    Example:
        >>> StratificationFactor(biomarker="pdl1_tumor_proportion", cuts=[0.01]).cuts
        [0.01]
    """

    @model_validator(mode="after")
    def _known(self) -> StratificationFactor:
        _check_levels("stratification.factors", self.biomarker, self.cuts)
        if self.biomarker in STRATIFICATION_EXCLUDED:
            raise ConfigError(
                "stratification.factors.biomarker",
                self.biomarker,
                "it is measured after randomization; stratify by baseline_burden_mm3 or "
                "n_lesions instead",
            )
        return self


class Stratification(_Strict):
    """Stratified randomization (randomized design): within each stratum (a combination of the
    factors' levels) patients are allocated in permuted blocks, so the arms stay balanced within
    every stratum (`trials.stratification`).

    Example:
        >>> Stratification(factors=[{"biomarker": "sex"}]).block_size is None
        True
    """

    factors: list[StratificationFactor] = Field(
        min_length=1,
        max_length=4,
        description="Baseline biomarkers the randomization is stratified by, each in levels "
        "(cut points for a numeric one), e.g. PD-L1 TPS < 1% vs ≥ 1%.",
    )
    block_size: int | None = Field(
        None,
        ge=2,
        le=100,
        description="Patients per permuted block, a multiple of the sum of the arms' ratios "
        "(default: twice that sum).",
    )


class DoseHold(_Strict):
    """What a grade 3–4 event of one drug class does to dosing (`trials.toxicity`): with
    probability `resume_share` the drug is held until the event resolves, then resumed; otherwise
    the treatment is discontinued.

    Example:
        >>> DoseHold(resume_share=0.5, resolution_median_days=48.0).resume_share
        0.5
    """

    resume_share: float = Field(
        ...,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="Share of grade 3–4 events after which dosing resumes once resolved "
        "(0: the label discontinues permanently; 1: always held and resumed).",
    )
    resolution_median_days: float = Field(
        ...,
        gt=0,
        le=3650,
        allow_inf_nan=False,
        description="Median days from onset to resolution (exponential); doses due meanwhile "
        "are skipped, not delayed.",
    )


class Toxicity(_Strict):
    """Immune-related adverse events (irAEs) as a time to event per patient (`trials.toxicity`):
    a hazard while the patient is exposed to each drug class of its regimen, times the patient's
    own susceptibility; a grade 3–4 event stops the arm's treatment. Off unless `enabled` here or
    an arm's `treat_until` names toxicity.

    Example:
        >>> Toxicity().enabled, Toxicity().susceptibility_log_sd
        (False, 1.0)
    """

    enabled: bool = Field(
        False,
        description="Model grade 3–4 irAEs in every arm (default off; an arm with treat_until "
        "toxicity or progression_or_toxicity turns them on for itself).",
    )
    hazard_per_year: dict[str, Annotated[float, Field(ge=0, le=1000)]] = Field(
        default_factory=dict,
        description="Grade 3–4 irAE hazard (1/year of exposure) by drug class (anti_pd1, "
        "anti_pdl1, anti_ctla4, ...) or class pair while both are given ('anti_ctla4+anti_pd1'), "
        "replacing the calibrated values (`trials.toxicity.HAZARD_CALIBRATION`).",
    )
    any_grade_hazard_per_year: dict[str, Annotated[float, Field(ge=0, le=1000)]] = Field(
        default_factory=dict,
        description="As hazard_per_year, for treatment-related adverse events of any grade "
        "(recorded and reported; they stop nothing).",
    )
    cart_grade3_rates: dict[
        Literal["crs", "neurologic"], Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
    ] = Field(
        default_factory=dict,
        description="Grade ≥3 cytokine release syndrome ('crs') and neurologic event rates "
        "(fractions of infused patients) after CAR-T cells, replacing ZUMA-1's "
        "(`trials.cell_toxicity`); the events follow each patient's CAR-T expansion.",
    )
    susceptibility_log_sd: float = Field(
        1.0,
        ge=0,
        le=3,
        allow_inf_nan=False,
        description="Between-patient sd of the log of each patient's susceptibility (a "
        "multiplier of every hazard, mean 1; assumed 1: irAE risk varies widely between "
        "patients). Changing it changes the rates the calibrated hazards give.",
    )
    holds: Literal["none", "label"] | dict[str, DoseHold] = Field(
        "none",
        description="Dose holds after a grade 3–4 event, by drug class: 'none' (every event "
        "discontinues treatment), 'label' (`trials.toxicity.LABEL_HOLDS`, from the labels' "
        "management guidance) or a mapping class → {resume_share, resolution_median_days}; "
        "a class not named discontinues. With several classes given, the most restrictive "
        "applies (lowest resume share, longest resolution).",
    )
    exposure_days_after_dose: float = Field(
        42.0,
        gt=0,
        le=365,
        allow_inf_nan=False,
        description="Days after each dose a patient counts as exposed to its drug class "
        "(assumed 42: the longest label interval, q6w, so a patient on treatment is exposed "
        "throughout, and irAEs mostly start within weeks of a dose).",
    )

    @model_validator(mode="after")
    def _classes(self) -> Toxicity:
        from tmesim.trials.toxicity import hazard_key

        for key in [*self.hazard_per_year, *self.any_grade_hazard_per_year]:
            hazard_key(key)  # raises with the valid class names
        if isinstance(self.holds, dict):
            for key in self.holds:
                if "+" in key:
                    raise ConfigError(
                        "toxicity.holds", key, "name one drug class per hold, e.g. anti_pd1"
                    )
                hazard_key(key)
        return self


class TrialScenario(_Strict):
    """A virtual mouse study or clinical trial.

    Example:
        >>> TrialScenario(title="t", cohorts=[{"name": "a", "preset": "mouse_4t1"}],
        ...               arms=[{"name": "ctl"}]).design
        'matched'
    """

    model_config = ConfigDict(extra="forbid", title="tmesim study")

    title: str = Field(
        min_length=1, max_length=300, description="Title of the study (report header)."
    )
    description: str = Field(
        "", max_length=MAX_TEXT, description="The question and story (report introduction)."
    )
    kind: Literal["mouse_study", "clinical_trial"] | None = Field(
        None, description="Default: mouse_study for mouse presets, clinical_trial for human."
    )
    setting: Literal["established", "metastatic", "adjuvant"] = Field(
        "established",
        description="established: one tumor treated from treatment start (mouse studies); "
        "metastatic: several target lesions per patient under one immune system (`lesions`); "
        "adjuvant: treatment after resection of the primary, relapse read as recurrence "
        "(`adjuvant`).",
    )
    design: Literal["matched", "randomized"] = Field(
        "matched",
        description="matched: every virtual patient of a cohort receives every arm (the "
        "in-silico counterfactual); randomized: each patient is allocated to one arm in the "
        "arms' ratio.",
    )
    seed: int = Field(
        0,
        ge=0,
        le=MAX_SEED,
        description="Root random seed: same seed, same study, whatever the thread or worker count.",
    )
    cohorts: list[CohortSpec] = Field(
        min_length=1, description="Tumor models or patient populations (see the cohort keys)."
    )
    arms: list[ArmSpec] = Field(min_length=1, description="Treatment arms (see the arm keys).")
    follow_up_days: Positive = Field(
        60.0, le=20 * 365, description="Days each patient is followed after treatment start."
    )
    save_every_days: float = Field(
        1.0,
        ge=MIN_SAVE_INTERVAL_DAYS,
        allow_inf_nan=False,
        description="Interval between saved trajectory points, in days.",
    )
    endpoint_volume_mm3: Volume = Field(
        1500.0, description="Mouse humane endpoint: survival ends when the tumor reaches it."
    )
    palpable_mm3: Positive = Field(
        5.0,
        le=1000,
        description="Mouse studies: a tumor whose tumor-cell volume is below this (and shrinking) "
        "is not palpable; tumor-free = gone or not palpable at the end of follow-up.",
    )
    rechallenge: Rechallenge | None = None
    visits: Visits = Field(default_factory=Visits)
    response: ResponseCriteria = Field(default_factory=ResponseCriteria)
    lesions: Lesions = Field(default_factory=Lesions)
    survival: Survival = Field(default_factory=Survival)
    adjuvant: Adjuvant = Field(default_factory=Adjuvant)
    toxicity: Toxicity = Field(
        default_factory=Toxicity,
        description="Clinical trials: grade 3–4 immune-related adverse events that stop "
        "treatment (default off; see the toxicity keys).",
    )
    subgroups: list[Subgroup] = Field(
        default_factory=list,
        max_length=20,
        description="Clinical trials: subgroup analyses by baseline biomarker (hazard ratios of "
        "each arm vs the reference per level, forest plot in the report; default: none).",
    )
    stratification: Stratification | None = Field(
        None,
        description="Randomized clinical trials: stratify the allocation by baseline biomarkers "
        "(permuted blocks within strata; default: simple randomization).",
    )
    data_cutoff: DataCutoff | None = Field(
        None,
        description="Read the endpoints at a data cutoff after staggered accrual (clinical "
        "trials; default: every patient followed for follow_up_days).",
    )
    solver: dict[str, Any] = Field(
        default_factory=dict,
        description="Solver settings (e.g. rtol, atol, max_steps), checked by the solver's "
        "settings (`tmesim schema solver`).",
    )
    engine: Literal["qsp", "abm"] = Field(
        "qsp",
        description="qsp: virtual patients (ODE); abm: a spatial replicate study, in which each "
        "cohort's `n` is the number of tissues (seeds) per arm, settings in `abm`.",
    )
    abm: dict[str, Any] = Field(
        default_factory=dict,
        description="Spatial engine settings (tmesim.engines.abm.AbmSettings) for engine: abm.",
    )
    chunk_size: int = Field(
        100, ge=1, le=100_000, description="Patients per chunk written to disk (resume unit)."
    )
    output: str | None = Field(
        None,
        min_length=1,
        max_length=4096,
        description="Output folder (default ./tmesim-out; the command's --out wins).",
    )

    @model_validator(mode="after")
    def _consistent(self) -> TrialScenario:
        for label, items in (("cohorts", self.cohorts), ("arms", self.arms)):
            names = [i.name for i in items]
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ConfigError(
                    f"{label}.name", dupes[0], f"give every entry of {label} its own name"
                )
        check_save_grid(
            self.follow_up_days,
            "follow_up_days",
            self.save_every_days,
            self.chunk_size,
            max(c.n for c in self.cohorts),
            MAX_SAVED_POINTS,
        )
        if self.palpable_mm3 >= self.endpoint_volume_mm3:
            raise ConfigError(
                "palpable_mm3",
                self.palpable_mm3,
                f"it must be below the humane endpoint (endpoint_volume_mm3 "
                f"{self.endpoint_volume_mm3:g}); lower it or raise the endpoint.",
            )
        for ci, cohort in enumerate(self.cohorts):
            for observable, (low, high) in cohort.plausibility.items():
                if low > high:
                    raise ConfigError(
                        f"cohorts[{ci}].plausibility.{observable}",
                        [low, high],
                        "give the range as [low, high] with low ≤ high.",
                    )
        if self.abm:
            from tmesim.engines.abm.config import AbmSettings

            validate_config(AbmSettings, self.abm, label="abm", prefix=("abm",))
        if self.rechallenge is not None and self.kind == "clinical_trial":
            raise ConfigError("rechallenge", "set", "rechallenge is for mouse studies; remove it")
        to_progression = [a.name for a in self.arms if a.stops_at_progression]
        if to_progression and (self.kind == "mouse_study" or self.setting != "metastatic"):
            raise ConfigError(
                f"arms.{to_progression[0]}.treat_until",
                "progression",
                "treatment until progression follows RECIST progression, read in clinical trials "
                "of the metastatic setting; use regimen_end or set setting: metastatic",
            )
        toxic = [a.name for a in self.arms if a.stops_at_toxicity] or (
            ["(all)"] if self.toxicity.enabled else []
        )
        if toxic and self.kind == "mouse_study":
            raise ConfigError(
                f"arms.{toxic[0]}.treat_until" if toxic[0] != "(all)" else "toxicity.enabled",
                "toxicity",
                "immune-related adverse events are modelled in clinical trials; remove it",
            )
        treated_after = [a.name for a in self.arms if a.subsequent_therapy]
        if treated_after and (self.kind == "mouse_study" or self.setting != "metastatic"):
            raise ConfigError(
                f"arms.{treated_after[0]}.subsequent_therapy",
                "set",
                "subsequent therapy follows RECIST progression, read in clinical trials of the "
                "metastatic setting; remove it or set setting: metastatic",
            )
        if self.stratification is not None:
            self._check_stratification(self.stratification)
        if self.data_cutoff is not None and self.kind == "mouse_study":
            raise ConfigError(
                "data_cutoff", "set", "a data cutoff is for clinical trials; remove it"
            )
        return self

    def _check_stratification(self, strat: Stratification) -> None:
        if self.design != "randomized" or self.kind == "mouse_study" or self.engine != "qsp":
            raise ConfigError(
                "stratification",
                "set",
                "stratified randomization is for randomized clinical trials of virtual patients; "
                "set design: randomized or remove it",
            )
        total = sum(a.ratio for a in self.arms)
        if strat.block_size is not None and strat.block_size % total:
            raise ConfigError(
                "stratification.block_size",
                strat.block_size,
                f"give a multiple of the sum of the arms' ratios ({total})",
            )
        bodily = [f.biomarker for f in strat.factors if f.biomarker in ("sex", "body_weight_kg")]
        unsized = [c.name for c in self.cohorts if c.body_size is None]
        if bodily and unsized:
            raise ConfigError(
                f"cohorts.{unsized[0]}.body_size",
                None,
                f"stratification by {bodily[0]} needs each patient's body; set body_size "
                "(e.g. adult_melanoma)",
            )


def trial_from_dict(
    data: Mapping[str, Any], overrides: Sequence[str] = (), *, source: str | None = None
) -> TrialScenario:
    """Validate parsed data (plus ``key=value`` overrides) as a :class:`TrialScenario`.

    A sweep or a single-population scenario is refused with the command that runs it.

    Example:
        >>> trial_from_dict({"preset": "mouse_4t1", "n_patients": 10})
        Traceback (most recent call last):
        ...
        tmesim.errors.ConfigError: study: ... run it with `tmesim simulate FILE`, ...
    """
    if not isinstance(data, Mapping):
        raise ConfigError(
            source or "study", data, "a study is a mapping with title, cohorts and arms"
        )
    if "axes" in data and "study" in data:
        raise ConfigError(
            source or "study",
            "a sweep (it has a study and axes)",
            "this is a sweep of a study: run it with `tmesim sweep FILE`",
        )
    if "preset" in data and "cohorts" not in data:
        raise ConfigError(
            source or "study",
            "a scenario (it has a preset and no cohorts)",
            "this is a single-population scenario: run it with `tmesim simulate FILE`, or give "
            "the study cohorts (cohorts: [{name: ..., preset: ...}]) and arms",
        )
    return validate_config(TrialScenario, data, overrides=overrides, source=source, label="study")


def load_trial(path: Path, overrides: Sequence[str] = ()) -> TrialScenario:
    """Read a study YAML file and apply ``--set key=value`` overrides (``cohorts.0.n=50``)."""
    data = read_yaml(Path(path))
    return trial_from_dict({} if data is None else data, overrides, source=str(path))


def trial_to_yaml(scenario: TrialScenario) -> str:
    """The study as YAML that :func:`load_trial` reads back to an equal study."""
    return dump_yaml(scenario.model_dump(mode="json"))

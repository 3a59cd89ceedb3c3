"""Validation targets: one YAML file per published result, read into a checked :class:`Target`.

A target file says which study was published (``citation``: the reference alone; caveats about
the source, such as a recalled detail or a secondary source, in ``citation_notes``), how to repeat
it (``study``: an inline study scenario in the format of ``tmesim trial``, or ``pk`` for a drug's
pharmacokinetics alone), what was measured (``metric``), the published value with its uncertainty
(``published``), how close the simulation must come (``acceptance``) and how many virtual
subjects to simulate (``simulate``). Adding a study means adding a file to ``targets/``.

Group sizes are set in one place: ``simulate.n`` (full suite) and ``simulate.n_fast`` (the fast
subset) are virtual subjects per cohort and arm; the study's cohorts leave ``n`` out.

Example:
    >>> targets = load_targets(only=["antibody_half_life_nivolumab"])
    >>> t = targets[0]
    >>> t.kind, t.metric.type, t.published.units
    ('pk', 'half_life', 'days')
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from tmesim.config.trial import TrialScenario, trial_from_dict
from tmesim.config.validation import validate_config
from tmesim.config.yamlio import read_yaml
from tmesim.errors import ConfigError
from tmesim.trials.formatting import DAYS_PER_MONTH

TARGETS_FOLDER = Path(__file__).parent / "targets"

Kind = Literal["mouse", "clinical", "pk"]
Units = Literal["percent", "fraction", "months", "weeks", "days", "ratio"]
FractionMetric = Literal[
    "tumor_free_fraction",
    "rechallenge_rejection_fraction",
    "mortality_fraction",
    "orr",
    "cr_rate",
    "pr_rate",
    "dcr",
    "cd19_negative_relapse_fraction",
    "irae_grade34_rate",
    "irae_any_grade_rate",
    "cart_crs_grade3_rate",
    "cart_neurologic_grade3_rate",
]
MetricType = Literal[
    FractionMetric,
    "median_survival",
    "survival_at",
    "hazard_ratio",
    "observable_ratio",
    "observable_median",
    "fraction_difference",
    "difference_in_differences",
    "half_life",
]
Rule = Literal["consistent", "tolerance", "direction", "range"]
Endpoint = Literal["endpoint", "pfs", "os"]

FRACTION_METRICS = frozenset(get_args(FractionMetric))
# Every study metric that is not a fraction of subjects (half-life needs no study).
_SURVIVAL_AND_CONTRASTS = frozenset(get_args(MetricType)) - FRACTION_METRICS - {"half_life"}
# Which metric types a kind of target may use (mouse studies read tumor-free mice and the humane
# endpoint; clinical trials read RECIST and PFS/OS; pk reads plasma concentrations only).
_MOUSE_FRACTIONS = frozenset(
    {"tumor_free_fraction", "rechallenge_rejection_fraction", "mortality_fraction"}
)
METRICS_BY_KIND: dict[str, frozenset[str]] = {
    "mouse": _MOUSE_FRACTIONS | _SURVIVAL_AND_CONTRASTS,
    "clinical": (FRACTION_METRICS - _MOUSE_FRACTIONS) | _SURVIVAL_AND_CONTRASTS,
    "pk": frozenset({"half_life"}),
}
CONTRASTS = frozenset(
    {"hazard_ratio", "observable_ratio", "fraction_difference", "difference_in_differences"}
)
# Units a metric's canonical value (fraction, days or ratio) can be reported in.
UNITS_BY_METRIC: dict[str, frozenset[str]] = {
    **{m: frozenset({"percent", "fraction"}) for m in FRACTION_METRICS},
    "fraction_difference": frozenset({"percent", "fraction"}),
    "difference_in_differences": frozenset({"percent", "fraction"}),
    "median_survival": frozenset({"months", "weeks", "days"}),
    "survival_at": frozenset({"percent", "fraction"}),
    "hazard_ratio": frozenset({"ratio"}),
    "observable_ratio": frozenset({"ratio"}),
    "observable_median": frozenset({"ratio"}),
    "half_life": frozenset({"days"}),
}
# Canonical unit -> published unit.
SCALE: dict[str, float] = {
    "percent": 100.0,
    "fraction": 1.0,
    "months": 1.0 / DAYS_PER_MONTH,
    "weeks": 1.0 / 7.0,
    "days": 1.0,
    "ratio": 1.0,
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Published(_Strict):
    """The published result, in its own units."""

    value: float | None = Field(
        None, description="Published value (omit only for direction-only results)."
    )
    units: Units = Field(description="percent, fraction, months, weeks, days or ratio.")
    ci: tuple[float, float] | None = Field(None, description="Published interval (see ci_level).")
    ci_level: float = Field(
        0.95, gt=0, lt=1, description="Confidence level of `ci` (e.g. 0.995 for a 99.5% CI)."
    )
    range: tuple[float, float] | None = Field(
        None, description="Published range across studies, e.g. CR 81–88%."
    )
    n: int | None = Field(None, ge=1, description="Subjects behind the value.")
    events: int | None = Field(None, ge=0, description="Responders / events among n.")
    reference_n: int | None = Field(
        None, ge=1, description="fraction_difference: subjects of the reference group."
    )
    reference_events: int | None = Field(
        None, ge=0, description="fraction_difference: responders / events of the reference group."
    )
    notes: str = Field("", description="Where the number is in the paper, caveats.")


class GroupRef(_Strict):
    """A cohort and an arm of the study (by name; default: the first of each)."""

    cohort: str | None = Field(None, description="Cohort name (default: the one read).")
    arm: str | None = Field(None, description="Arm name (default: the one read).")


class MetricSpec(_Strict):
    """What is read from the simulated study."""

    type: MetricType = Field(
        description="What is read, e.g. orr, cr_rate, median_survival, survival_at or hazard_ratio."
    )
    cohort: str | None = Field(None, description="Cohort read (default: the first).")
    arm: str | None = Field(None, description="Arm read (default: the first).")
    reference: GroupRef | None = Field(
        None, description="Contrasts: the reference cohort/arm (unset entries: as read)."
    )
    endpoint: Endpoint | None = Field(
        None, description="Time-to-event endpoint: endpoint (mouse), pfs or os."
    )
    day: float | None = Field(None, ge=0, description="Day of a landmark or a ratio (days).")
    observable: str | None = Field(
        None,
        description="observable_ratio / observable_median: tumor_volume_mm3 or a mechanism "
        "observable saved with the burden.",
    )
    of: FractionMetric | None = Field(
        None, description="fraction_difference: the fraction compared between groups."
    )
    versus: GroupRef | None = Field(
        None,
        description="difference_in_differences: the group of the second difference (unset "
        "entries: as read), e.g. the same arm in a myeloid-poor cohort.",
    )
    versus_reference: GroupRef | None = Field(
        None,
        description="difference_in_differences: the reference of the second difference (unset "
        "entries: as versus).",
    )
    drug_observable: str | None = Field(
        None, description="half_life: plasma concentration observable, e.g. anti_pd1_plasma."
    )


class Acceptance(_Strict):
    """How close the simulated value must come to the published one (published units)."""

    rule: Rule = Field(
        description="consistent (the simulated CI meets the published one), tolerance, "
        "direction or range."
    )
    absolute: float | None = Field(None, gt=0, description="tolerance: |sim − pub| ≤ absolute.")
    relative: float | None = Field(
        None, gt=0, description="tolerance: |sim − pub| ≤ relative·|pub|."
    )
    sign: Literal["positive", "negative"] | None = Field(
        None, description="direction: expected sign of (simulated − no_effect)."
    )
    min_size: float = Field(0.0, ge=0, description="direction: smallest |simulated − no_effect|.")
    max_size: float | None = Field(
        None, ge=0, description="direction: largest |simulated − no_effect| (a ceiling)."
    )
    no_effect: float = Field(
        0.0, description="direction: value of no effect (0 differences, 1 ratios)."
    )
    margin: float = Field(0.0, ge=0, description="range: allowed distance outside the range.")


class SimulateSpec(_Strict):
    """Virtual subjects per cohort and arm."""

    n: int = Field(ge=1, le=100_000, description="Full suite (tight simulated CI).")
    n_fast: int = Field(10, ge=1, le=10_000, description="Fast subset.")
    fast: bool = Field(False, description="Member of the fast subset (run by the test suite).")


class PkSpec(_Strict):
    """A drug's pharmacokinetics alone: one dose, plasma sampled, terminal slope fitted."""

    preset: str = Field(min_length=1, description="Preset giving body weight and species.")
    regimen: str = Field(min_length=1, description="e.g. 'nivolumab 3 mg/kg once'.")
    days: float = Field(gt=0, le=2000, description="Days simulated after the dose.")
    fit_from_day: float = Field(ge=0, description="Terminal phase starts here (days).")
    save_every_days: float = Field(1.0, gt=0, description="Plasma sampling interval (days).")


class Target(_Strict):
    """One published result, how to simulate it and how to judge the simulation."""

    id: str = Field(pattern=r"^[a-z0-9_]+$", description="Stable id, the file's name.")
    title: str = Field(min_length=1, description="What the target is, in one line.")
    citation: str = Field(min_length=1, description="Full reference and figure/table.")
    citation_notes: str = Field(
        "",
        description="Caveats about the source, kept out of the reference: a recalled detail "
        "still to be checked ([r]), a secondary source, where a quoted text is kept.",
    )
    kind: Kind = Field(description="What is simulated: a clinical trial, a mouse study, or PK.")
    setting: str = Field("", description="Tumor model or indication, line of therapy.")
    study: dict[str, Any] | None = Field(
        None, description="Inline study scenario (format of `tmesim trial`), without cohort n."
    )
    pk: PkSpec | None = None
    published: Published
    metric: MetricSpec
    acceptance: Acceptance
    simulate: SimulateSpec

    def presets(self) -> list[str]:
        """The presets this target simulates (its study's cohorts, or its PK preset)."""
        if self.pk is not None:
            return [self.pk.preset]
        cohorts = (self.study or {}).get("cohorts", [])
        return list(dict.fromkeys(str(c.get("preset")) for c in cohorts if isinstance(c, dict)))

    @cached_property
    def scenario(self) -> TrialScenario:
        """The study at the full group size."""
        return self.scenario_at(self.simulate.n)

    def scenario_at(
        self, n: int, parameters: Mapping[str, Mapping[str, float]] | None = None
    ) -> TrialScenario:
        """The study with `n` virtual subjects per cohort and arm; `parameters` maps a preset to
        parameter values that override it in every cohort of that preset (calibration)."""
        if self.study is None:
            raise ConfigError("study", None, f"target {self.id} is a pk target without a study")
        data = copy.deepcopy(self.study)
        arms = len(data.get("arms", [])) or 1
        per_cohort = n * arms if data.get("design") == "randomized" else n
        for cohort in data.get("cohorts", []):
            if isinstance(cohort, dict):
                cohort["n"] = per_cohort
                extra = (parameters or {}).get(str(cohort.get("preset")), {})
                if extra:
                    cohort["parameters"] = {**cohort.get("parameters", {}), **extra}
        return trial_from_dict(data, source=f"target {self.id}: study")

    @property
    def scale(self) -> float:
        """Factor from the metric's canonical unit (fraction, days, ratio) to published units."""
        return SCALE[self.published.units]


def study_key(scenario: TrialScenario) -> str:
    """A short hash of a study: targets with equal studies share one simulation."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def target_files() -> list[Path]:
    """The shipped target files, sorted by name."""
    return sorted(TARGETS_FOLDER.glob("*.yaml"))


def load_target(path: Path) -> Target:
    """Read and check one target file.

    Raises:
        ConfigError: naming the file and field (unknown key, metric not valid for the kind,
            arm or cohort not in the study, study not a valid scenario, missing settings).
    """
    path = Path(path)
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(str(path), data, "a target file is a mapping (id, title, study, ...)")
    return target_from_dict(data, where=path.name)


def target_from_dict(data: Mapping[str, Any], *, where: str = "target") -> Target:
    """Validate parsed data as a target (`where` names it in errors: the file name)."""
    target = validate_config(Target, data, source=where, label="target")
    _check(target, where)
    return target


def _fail(
    where: str, field: str, value: object, fix: str, choices: Sequence[str] | None = None
) -> ConfigError:
    listed = f": {', '.join(choices)}" if choices else ""
    return ConfigError(f"{where}: {field}", value, fix + listed, choices=choices)


def _check(t: Target, where: str) -> None:
    m, p = t.metric, t.published
    if Path(where).stem != t.id and where.endswith(".yaml"):
        raise _fail(where, "id", t.id, f"name the file {t.id}.yaml or set id: {Path(where).stem}")
    allowed = METRICS_BY_KIND[t.kind]
    if m.type not in allowed:
        raise _fail(
            where, "metric.type", m.type, f"a {t.kind} target reads one of", choices=sorted(allowed)
        )
    if p.units not in UNITS_BY_METRIC[m.type]:
        raise _fail(
            where,
            "published.units",
            p.units,
            f"a {m.type} is reported in one of",
            choices=sorted(UNITS_BY_METRIC[m.type]),
        )
    _check_metric_settings(t, where)
    _check_acceptance(t, where)
    if t.kind == "pk":
        if t.pk is None or t.study is not None:
            raise _fail(where, "pk", None, "a pk target has a pk block and no study")
        if m.drug_observable is None:
            raise _fail(where, "metric.drug_observable", None, "name the plasma observable")
        return
    if t.study is None or t.pk is not None:
        raise _fail(where, "study", None, f"a {t.kind} target has a study block and no pk")
    for i, cohort in enumerate(t.study.get("cohorts") or []):
        if isinstance(cohort, dict) and "n" in cohort:
            raise _fail(
                where,
                f"study.cohorts[{i}].n",
                cohort["n"],
                "remove it: group sizes are simulate.n and simulate.n_fast",
            )
    try:
        scenario = t.scenario_at(t.simulate.n_fast)
    except ConfigError as exc:
        raise _fail(where, f"study.{exc.field}", exc.value, exc.fix, exc.choices) from None
    _check_presets_and_regimens(scenario, where)
    cohorts = [c.name for c in scenario.cohorts]
    arms = [a.name for a in scenario.arms]
    labelled = (
        ("metric", m),
        ("metric.reference", m.reference),
        ("metric.versus", m.versus),
        ("metric.versus_reference", m.versus_reference),
    )
    for label, ref in labelled:
        if ref is None:
            continue
        if ref.cohort is not None and ref.cohort not in cohorts:
            raise _fail(where, f"{label}.cohort", ref.cohort, "name a cohort of the study", cohorts)
        if ref.arm is not None and ref.arm not in arms:
            raise _fail(where, f"{label}.arm", ref.arm, "name an arm of the study", arms)
    if m.type in CONTRASTS:
        read = (m.cohort or cohorts[0], m.arm or arms[0])
        ref = m.reference
        assert ref is not None
        if (ref.cohort or read[0], ref.arm or read[1]) == read:
            raise _fail(
                where, "metric.reference", ref.model_dump(), "compare with another cohort or arm"
            )
    needs_rechallenge = m.type == "rechallenge_rejection_fraction" or (
        m.of == "rechallenge_rejection_fraction"
    )
    if needs_rechallenge and scenario.rechallenge is None:
        raise _fail(where, "study.rechallenge", None, "add a rechallenge block to the study")


def _check_presets_and_regimens(scenario: TrialScenario, where: str) -> None:
    """What a study checks only when it runs: presets exist, regimens parse."""
    from tmesim.parameters.presets import get_preset
    from tmesim.therapies.regimen import regimen_from_config

    for i, cohort in enumerate(scenario.cohorts):
        try:
            get_preset(cohort.preset)
        except ConfigError as exc:
            raise _fail(where, f"study.cohorts[{i}].preset", cohort.preset, exc.fix) from None
    for i, arm in enumerate(scenario.arms):
        try:
            regimen_from_config(arm.regimen)
        except ConfigError as exc:
            raise _fail(where, f"study.arms[{i}].regimen", arm.regimen, str(exc)) from None


def _check_metric_settings(t: Target, where: str) -> None:
    m = t.metric
    required: dict[str, tuple[str, ...]] = {
        "mortality_fraction": ("day",),
        "median_survival": ("endpoint",),
        "survival_at": ("endpoint", "day"),
        "hazard_ratio": ("endpoint", "reference"),
        "observable_ratio": ("observable", "day", "reference"),
        "observable_median": ("observable", "day"),
        "fraction_difference": ("of", "reference"),
        "difference_in_differences": ("of", "reference", "versus", "versus_reference"),
        "half_life": ("drug_observable",),
    }
    for name in required.get(m.type, ()):
        if getattr(m, name) is None:
            raise _fail(where, f"metric.{name}", None, f"a {m.type} metric needs it")
    if m.endpoint is not None:
        expected = ("endpoint",) if t.kind == "mouse" else ("pfs", "os")
        if m.endpoint not in expected:
            raise _fail(
                where, "metric.endpoint", m.endpoint, f"a {t.kind} study has", choices=expected
            )
    if m.of is not None and m.of not in METRICS_BY_KIND[t.kind]:
        raise _fail(
            where,
            "metric.of",
            m.of,
            f"compare a fraction a {t.kind} study reads",
            choices=sorted(FRACTION_METRICS & METRICS_BY_KIND[t.kind]),
        )


def counts_published(t: Target) -> bool:
    """The target publishes its k of n (both groups' for a difference) for a metric that counts
    subjects, so its interval comes from the counts."""
    p, kind = t.published, t.metric.type
    if p.n is None or p.events is None:
        return False
    if kind == "fraction_difference":
        return p.reference_n is not None and p.reference_events is not None
    return kind in FRACTION_METRICS | {"survival_at"}


def _check_acceptance(t: Target, where: str) -> None:
    a, p = t.acceptance, t.published
    if a.rule != "direction" and p.value is None:
        raise _fail(where, "published.value", None, f"rule {a.rule} compares with a value")
    if a.rule == "tolerance" and a.absolute is None and a.relative is None:
        raise _fail(where, "acceptance.absolute", None, "give absolute or relative tolerance")
    if a.rule == "range" and p.range is None:
        raise _fail(where, "published.range", None, "rule range needs the published range")
    counts = p.n is not None and p.events is not None
    reference = (p.reference_n, p.reference_events)
    if any(x is not None for x in reference) and (
        t.metric.type != "fraction_difference" or None in reference or not counts
    ):
        raise _fail(
            where,
            "published.reference_events",
            p.reference_events,
            "reference_n and reference_events go together, with n and events, in a "
            "fraction_difference target (the two groups' k of n)",
        )
    pairs = ((p.events, p.n, "events"), (p.reference_events, p.reference_n, "reference_events"))
    for k, n, name in pairs:
        if k is not None and n is not None and k > n:
            raise _fail(where, f"published.{name}", k, f"events cannot exceed n ({n})")
    if a.rule == "consistent":
        if not counts_published(t) and p.ci is None:
            raise _fail(
                where,
                "published.ci",
                None,
                "rule consistent needs the published interval: ci (with ci_level if not 95%), "
                "or k of n (n, events; for a difference also reference_n, reference_events)",
            )
    if a.rule == "direction" and a.sign is None:
        raise _fail(where, "acceptance.sign", None, "say positive or negative")


def load_targets(only: Sequence[str] | None = None, *, fast: bool = False) -> list[Target]:
    """The shipped targets: the ids in `only`, else all of them or, with `fast`, the fast subset.

    Raises:
        ConfigError: an id in `only` is not a target (with the nearest id).
    """
    files = {p.stem: p for p in target_files()}
    if only:
        for name in only:
            if name not in files:
                raise ConfigError(
                    "--only",
                    name,
                    "name a target id (`tmesim validate --list` lists them)",
                    choices=sorted(files),
                )
        chosen = [files[name] for name in dict.fromkeys(only)]
    else:
        chosen = list(files.values())
    targets = [load_target(p) for p in chosen]
    if fast and not only:
        targets = [t for t in targets if t.simulate.fast]
    return targets


def list_targets(
    only: Sequence[str] | None = None, *, fast: bool = False
) -> list[tuple[str, str, str, str, str]]:
    """(id, kind, metric, role, title) of the shipped targets (chosen as by `load_targets`);
    role is calibration or validation, from the calibration records.

    Example:
        >>> list_targets(["antibody_half_life_nivolumab"])[0][:3]
        ('antibody_half_life_nivolumab', 'pk', 'half_life')
    """
    from tmesim.validation.record import load_record

    record = load_record()
    return [
        (t.id, t.kind, t.metric.type, record.role(t.id), t.title)
        for t in load_targets(only, fast=fast)
    ]


def published_fraction(target_id: str) -> float:
    """A shipped target's published value as a fraction (a percent divided by 100), for models
    whose rates are calibrated to that target and read it from its file.

    Example:
        >>> 0 < published_fraction("checkmate067_orr_ipilimumab") < 1
        True
    """
    published = load_target(TARGETS_FOLDER / f"{target_id}.yaml").published
    scale = 100.0 if published.units == "percent" else 1.0
    return float(published.value) / scale  # type: ignore[arg-type]

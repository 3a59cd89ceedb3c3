"""Load a trial run folder, build its tables and figures, and render one self-contained HTML page.

The statistics come from :mod:`tmesim.trials.analysis`; the figures in
:mod:`tmesim.report.figures` are drawn from those tables. The page has no external resources:
CSS is inline and figures are base64 PNGs, so it can be mailed or archived as one file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from tmesim.errors import ConfigError
from tmesim.io.atomic import atomic_write_text
from tmesim.report import figures
from tmesim.report.forest import subgroup_sections
from tmesim.report.toxicity import toxicity_sections
from tmesim.trials import analysis
from tmesim.trials.formatting import (
    DASH,
    DAYS_PER_MONTH,
    MISSING,
    format_count,
    format_median_ci,
    format_p,
    format_rate_ci,
    format_ratio_ci,
)

STUDY_FILE = "study.json"
MANIFEST_FILE = "manifest.json"
PATIENTS_FILE = "patients.parquet"
BURDEN_FILE = "burden.parquet"
VISITS_FILE = "visits.parquet"
REPORT_FILE = "report.html"
KINDS = ("mouse_study", "clinical_trial")
BY = ("cohort", "arm")
PRODUCE = "run `tmesim trial SCENARIO.yaml --out DIR` to produce it, then report on DIR"
DPI = 110
WATERFALL_MAX_BARS = 300
SPIDER_MAX_LINES = 200
SWIMMER_MAX_PATIENTS = 40
MAX_STATUS_ROWS = 50
CONTROL_WORDS = ("control", "vehicle", "placebo", "isotype", "untreated", "saline", "pbs")
ENDPOINT_NAMES = {
    "endpoint": "Survival to the humane endpoint",
    "pfs": "Progression-free survival",
    "os": "Overall survival",
    "rfs": "Recurrence-free survival",
    "dor": "Duration of response",
}
CRITERIA_NAMES = {"recist1.1": "RECIST 1.1", "irecist": "iRECIST"}
SETTING_NAMES = {
    "established": "established tumors",
    "metastatic": "metastatic disease",
    "adjuvant": "adjuvant (after resection, no measurable disease)",
}
COMPARISON_COLUMNS = (
    "Endpoint",
    "Cohort",
    "Arm",
    "Reference",
    "Hazard ratio (95% CI)",
    "Cox p",
    "Log-rank p",
)


@dataclass(frozen=True)
class RunData:
    """The files of one run folder, read into memory."""

    run_dir: Path
    study: dict[str, Any]
    manifest: Any
    patients: pd.DataFrame
    burden: pd.DataFrame | None
    visits: pd.DataFrame | None

    @property
    def cohorts(self) -> list[str]:
        """Cohort names in the study's order (then any others found in the results)."""
        listed = [str(c["name"]) for c in self.study.get("cohorts", [])]
        return _ordered(listed, self.patients["cohort"])

    @property
    def arms(self) -> list[str]:
        """Arm names in the study's order (then any others found in the results)."""
        listed = [str(a["name"]) for a in self.study.get("arms", [])]
        return _ordered(listed, self.patients["arm"])

    @property
    def succeeded(self) -> pd.DataFrame:
        """Patients whose simulation succeeded: the population every statistic is computed on."""
        return self.patients[self.patients["status"] == "success"]


def _ordered(listed: Sequence[str], found: pd.Series) -> list[str]:
    return list(dict.fromkeys([*listed, *found.dropna().astype(str).unique()]))


def _missing(run_dir: Path, name: str, what: str) -> ConfigError:
    return ConfigError(
        "run folder",
        str(run_dir),
        f"it has no {name} ({what}); {PRODUCE}.",
    )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(
            str(path),
            f"line {exc.lineno}",
            f"the file is not valid JSON (edited or damaged); {PRODUCE}.",
        ) from None


def _read_table(path: Path) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    for column in ("cohort", "arm", "status"):
        if column in frame:
            frame[column] = frame[column].astype(str)
    if "message" in frame:
        frame["message"] = frame["message"].astype("string").fillna("").astype(str)
    return frame


def load_run(run_dir: Path) -> RunData:
    """Read a run folder (study.json, patients.parquet, and the optional files).

    Raises:
        ConfigError: the folder does not exist, or study.json or patients.parquet is missing.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ConfigError("run folder", str(run_dir), f"the folder does not exist; {PRODUCE}.")
    if not (run_dir / STUDY_FILE).is_file():
        raise _missing(run_dir, STUDY_FILE, "the study description")
    if not (run_dir / PATIENTS_FILE).is_file():
        raise _missing(run_dir, PATIENTS_FILE, "the per-patient results")
    study = _read_json(run_dir / STUDY_FILE)
    if study.get("kind") not in KINDS:
        raise ConfigError(
            f"{STUDY_FILE}: kind",
            study.get("kind"),
            f"use one of {', '.join(KINDS)}.",
            choices=KINDS,
        )
    patients = _read_table(run_dir / PATIENTS_FILE)
    absent = [c for c in ("cohort", "arm", "patient_id", "status") if c not in patients]
    if absent:
        raise ConfigError(
            PATIENTS_FILE,
            ", ".join(absent),
            f"these columns are missing, so the file is not a trial's results; {PRODUCE}.",
        )
    manifest_path = run_dir / MANIFEST_FILE
    burden_path, visits_path = run_dir / BURDEN_FILE, run_dir / VISITS_FILE
    return RunData(
        run_dir=run_dir,
        study=study,
        manifest=_read_json(manifest_path) if manifest_path.is_file() else None,
        patients=patients,
        burden=_read_table(burden_path) if burden_path.is_file() else None,
        visits=_read_table(visits_path) if visits_path.is_file() else None,
    )


# ---------------------------------------------------------------------------------------------
# Formatting


def _format_cell(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        if not math.isfinite(value):
            return MISSING if math.isnan(value) else "∞"
        return f"{value:.0f}" if value == int(value) and abs(value) < 1e6 else f"{value:.3g}"
    if value is None or value is pd.NA:
        return MISSING
    return str(value)


def _rate_text(row: pd.Series) -> str:
    """The rate and interval of a row of a proportion or response table."""
    return format_rate_ci(row["rate"], row["ci_low"], row["ci_high"])


def _median_text(row: pd.Series, scale: float = 1.0) -> str:
    """The median and interval of a row of a survival summary, divided by ``scale``."""
    return format_median_ci(row["median"], row["median_ci_low"], row["median_ci_high"], scale)


# ---------------------------------------------------------------------------------------------
# Tables and blocks


def _table(
    caption: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    note: str = "",
) -> dict[str, Any]:
    return {
        "type": "table",
        "caption": caption,
        "columns": list(columns),
        "rows": [[_format_cell(v) for v in row] for row in rows],
        "note": note,
    }


def _figure(fig: Any, alt: str, caption: str) -> dict[str, Any]:
    return {
        "type": "figure",
        "src": figures.figure_to_base64(fig, dpi=DPI),
        "alt": alt,
        "caption": caption,
    }


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _index(frame: pd.DataFrame, keys: Sequence[str] = BY) -> dict[tuple, pd.Series]:
    """Rows of ``frame`` keyed by the string values of ``keys``."""
    out: dict[tuple, pd.Series] = {}
    for _, row in frame.iterrows():
        out[tuple(str(row[k]) for k in keys)] = row
    return out


def _groups(run: RunData) -> list[tuple[str, str]]:
    present = set(zip(run.patients["cohort"], run.patients["arm"], strict=True))
    return [(c, a) for c in run.cohorts for a in run.arms if (c, a) in present]


def control_arm(arms: Sequence[Mapping[str, Any]]) -> str | None:
    """The reference arm: the first named like a control, else the first without doses, else
    the first arm.

    Example:
        >>> control_arm([{"name": "anti-PD-1", "doses": [1]}, {"name": "vehicle", "doses": []}])
        'vehicle'
    """
    if not arms:
        return None
    for arm in arms:
        if any(word in str(arm["name"]).lower() for word in CONTROL_WORDS):
            return str(arm["name"])
    for arm in arms:
        if not arm.get("doses"):
            return str(arm["name"])
    return str(arms[0]["name"])


def _has(frame: pd.DataFrame, *columns: str) -> bool:
    return all(c in frame for c in columns) and bool(frame[columns[0]].notna().any())


def _nice_step(span: float, choices: Sequence[float], most: int = 8) -> float:
    for step in choices:
        if span / step <= most:
            return step
    return choices[-1] * math.ceil(span / (choices[-1] * most))


def _risk_times(end_days: float, *, months: bool) -> list[float]:
    """Times (days) for the number-at-risk rows: round days, or round months for trials."""
    if months:
        step = _nice_step(end_days / DAYS_PER_MONTH, (1, 2, 3, 6, 12, 24, 36))
        ticks = np.arange(0.0, end_days / DAYS_PER_MONTH + 1e-9, step)
        return [float(t * DAYS_PER_MONTH) for t in ticks]
    step = _nice_step(end_days, (5, 7, 10, 14, 20, 28, 30, 50, 60, 100, 200, 365))
    return [float(t) for t in np.arange(0.0, end_days + 1e-9, step)]


def _survival_blocks(
    run: RunData,
    name: str,
    colors: Mapping[str, str],
    *,
    months: bool,
) -> tuple[list[dict[str, Any]], dict[tuple, pd.Series]]:
    """KM figure (with at-risk table) and median table for one time-to-event endpoint."""
    ok = run.succeeded.dropna(subset=[f"{name}_day"])
    end = float(run.study.get("follow_up_days") or ok[f"{name}_day"].max())
    end = max(end, float(ok[f"{name}_day"].max()))
    times = _risk_times(end, months=months)
    curves = analysis.km_curves(ok, name, by=BY)
    at_risk = analysis.at_risk_table(ok, name, times, by=BY)
    summary = analysis.survival_summary(ok, name, by=BY)
    scale = DAYS_PER_MONTH if months else 1.0
    unit = "months" if months else "days"
    fig = figures.km_figure(
        curves,
        at_risk,
        run.cohorts,
        run.arms,
        colors=colors,
        time_scale=scale,
        time_label="Months" if months else "Day",
        ylabel="Survival" if name == "endpoint" else f"{name.upper()} probability",
        x_max=end,
    )
    label = ENDPOINT_NAMES[name]
    blocks = [
        _figure(
            fig,
            f"Kaplan–Meier curves: {label}",
            f"{label}: Kaplan–Meier estimate per arm with its 95% confidence band, one panel per "
            f"cohort; numbers at risk below each panel.",
        )
    ]
    rows_by_group = _index(summary)
    rows = []
    for group in _groups(run):
        row = rows_by_group.get(group)
        if row is None:
            continue
        rows.append(
            [
                *group,
                row["n"],
                row["events"],
                _median_text(row, scale),
            ]
        )
    blocks.append(
        _table(
            f"{label}: median time",
            ["Cohort", "Arm", "N", "Events", f"Median, {unit} (95% CI)"],
            rows,
            "NR: not reached within follow-up.",
        )
    )
    return blocks, rows_by_group


def _comparisons(
    run: RunData, name: str, reference: str | None, *, hazard_ratios: bool
) -> dict[tuple, dict[str, Any]]:
    """Log-rank (and Cox) comparison of each arm with the reference arm, keyed by (cohort, arm)."""
    if reference is None or len(run.arms) < 2:
        return {}
    ok = run.succeeded.dropna(subset=[f"{name}_day"])
    # Compare only within cohorts where the reference arm has data (its patients may all fail).
    ok = ok[ok["cohort"].isin(ok.loc[ok["arm"] == reference, "cohort"])]
    if ok["arm"].nunique() < 2:
        return {}
    out: dict[tuple, dict[str, Any]] = {}
    logrank = analysis.logrank_table(ok, name, group="arm", reference=reference, strata=("cohort",))
    for key, row in _index(logrank).items():
        out.setdefault(key, {"reference": row["reference"]})["logrank_p"] = row["p_value"]
    if hazard_ratios:
        hr = analysis.hazard_ratio_table(
            ok, name, group="arm", reference=reference, strata=("cohort",)
        )
        for key, row in _index(hr).items():
            entry = out.setdefault(key, {"reference": row["reference"]})
            entry["hr"] = format_ratio_ci(row["hazard_ratio"], row["ci_low"], row["ci_high"])
            entry["cox_p"] = row["p_value"]
    return out


# ---------------------------------------------------------------------------------------------
# Sections


def _stratified(stratification: Mapping[str, Any] | None) -> str:
    """The design's note on stratified randomization ('' without it)."""
    if not stratification:
        return ""
    names = ", ".join(f["biomarker"] for f in stratification["factors"])
    return f", stratified by {names} (permuted blocks within strata)"


def _design_section(run: RunData, colors: Mapping[str, str]) -> dict[str, Any]:
    study = run.study
    facts: list[tuple[str, Any]] = [
        ("Kind", "mouse study" if study["kind"] == "mouse_study" else "clinical trial"),
        ("Setting", SETTING_NAMES.get(study.get("setting"), study.get("setting"))),
        (
            "Design",
            "matched: every arm receives the same virtual subjects, so differences between "
            "arms are due to treatment alone"
            if study.get("design") == "matched"
            else "randomized: each arm samples its own virtual subjects from the cohort"
            + _stratified(study.get("stratification")),
        ),
        ("Seed", study.get("seed")),
        ("Follow-up", f"{_format_cell(float(study.get('follow_up_days') or 0))} days"),
    ]
    if study.get("endpoint_volume_mm3"):
        facts.append(("Humane endpoint", f"{_format_cell(study['endpoint_volume_mm3'])} mm³"))
    if study.get("criteria"):
        criteria = CRITERIA_NAMES.get(study["criteria"], study["criteria"])
        facts.append(("Response criteria", criteria))
    if study.get("visit_schedule"):
        facts.append(("Tumor assessments", study["visit_schedule"]))
    elif study.get("visit_every_days"):
        facts.append(("Tumor assessments", f"every {_format_cell(study['visit_every_days'])} days"))
    rechallenge = study.get("rechallenge")
    if rechallenge:
        facts.append(
            (
                "Rechallenge",
                "tumor-free mice re-implanted with "
                f"{float(rechallenge.get('cells', 0)):,.0f} cells on day "
                f"{_format_cell(float(rechallenge['day']))}, followed "
                f"{_format_cell(float(rechallenge.get('follow_up_days', 0)))} days",
            )
        )
    if study.get("seconds") is not None:
        facts.append(("Compute time", f"{float(study['seconds']):.1f} s"))
    blocks = [_table("Design", ["Item", "Value"], facts)]
    blocks.append(
        _table(
            "Cohorts",
            ["Cohort", "Preset", "Species", "n", "Description"],
            [
                [c["name"], c.get("preset"), c.get("species"), c.get("n"), c.get("description")]
                for c in study.get("cohorts", [])
            ],
        )
    )
    dose_rows = [
        {"arm": str(arm["name"]), **dose}
        for arm in study.get("arms", [])
        for dose in arm.get("doses") or []
    ]
    doses = pd.DataFrame(dose_rows, columns=["arm", "drug", "day", "amount", "unit"])
    arm_rows = []
    for arm in study.get("arms", []):
        given = doses[doses["arm"] == str(arm["name"])]
        span = (
            f"day {_format_cell(float(given['day'].min()))}{DASH}"
            f"{_format_cell(float(given['day'].max()))}"
            if not given.empty
            else MISSING
        )
        arm_rows.append([arm["name"], arm.get("regimen") or "no treatment", len(given), span])
    blocks.append(_table("Arms", ["Arm", "Regimen", "Doses", "Dosing period"], arm_rows))
    fig = figures.regimen_figure(
        doses,
        run.arms,
        follow_up_days=float(study.get("follow_up_days") or 0.0),
        rechallenge_day=float(rechallenge["day"]) if rechallenge else None,
    )
    blocks.append(
        _figure(
            fig,
            "Regimen diagram",
            "Dosing schedule: one row per arm, one marker per dose, a marker style and colour "
            "per drug (the axis spans the dosing period, not the whole follow-up).",
        )
    )
    return {"id": "design", "title": "Study design", "blocks": blocks}


def _success_keys(run: RunData, frame: pd.DataFrame) -> pd.DataFrame:
    keys = run.succeeded[["cohort", "arm", "patient_id"]]
    return frame.merge(keys, on=["cohort", "arm", "patient_id"], how="inner")


def mechanism_medians(burden: pd.DataFrame) -> pd.DataFrame:
    """Per cohort, arm and day: the median of each mechanism observable over the subjects still
    on study (primary phase), the table the mechanism figure is drawn from."""
    columns = [c for c in figures.MECHANISM_LABELS if c in burden.columns]
    primary = burden[burden["phase"] == "primary"]
    return primary.groupby(["cohort", "arm", "day"], sort=False)[columns].median().reset_index()


def _mechanism_sections(run: RunData, colors: Mapping[str, str]) -> list[dict[str, Any]]:
    """The mechanism section, or none when the burden table has no mechanism columns."""
    burden = run.burden
    if burden is None or burden.empty:
        return []
    if not any(c in burden.columns for c in figures.MECHANISM_LABELS):
        return []
    medians = mechanism_medians(_success_keys(run, burden))
    fig = figures.mechanism_figure(medians, run.cohorts, run.arms, colors=colors)
    block = _figure(
        fig,
        "Mechanism traces",
        "Median over the subjects still on study, one line per arm, columns cohorts: CD8 T "
        "cells in the tumor and their exhausted fraction, MDSC, the M1-like share of tumor-"
        "associated macrophages, and the resulting myeloid suppression of T cells (0 none, 1 "
        "complete). PI3Kγ inhibition switches the myeloid program off (suppression falls, M1 "
        "share rises); checkpoint blockade expands the CD8 infiltrate. For trials with several "
        "lesions the traces are those of the first target lesion.",
    )
    return [{"id": "mechanism", "title": "How the treatments act", "blocks": [block]}]


def _mouse_sections(
    run: RunData, colors: Mapping[str, str], reference: str | None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    ok = run.succeeded
    study = run.study
    endpoint_volume = study.get("endpoint_volume_mm3")
    sections: list[dict[str, Any]] = []
    key_rows: dict[tuple, dict[str, str]] = {g: {} for g in _groups(run)}

    growth: list[dict[str, Any]] = []
    if run.burden is not None and not run.burden.empty:
        primary = _success_keys(run, run.burden[run.burden["phase"] == "primary"])
        fig = figures.growth_figure(
            primary, run.cohorts, run.arms, colors=colors, endpoint_volume_mm3=endpoint_volume
        )
        endpoint_text = (
            f"; dashed line: humane endpoint at {_format_cell(float(endpoint_volume))} mm³"
            if endpoint_volume
            else ""
        )
        growth.append(
            _figure(
                fig,
                "Tumor growth curves",
                "Tumor volume of each mouse (thin lines) and the median of the mice still on "
                "study (black, drawn while at least half of the arm's mice remain), rows "
                f"cohorts, columns arms{endpoint_text}. A mouse's line ends when it reaches the "
                f"endpoint; volumes below {figures.VOLUME_FLOOR_MM3} mm³ are drawn at that floor.",
            )
        )
    else:
        growth.append(_text(f"No tumor volumes ({BURDEN_FILE} is missing)."))
    sections.append({"id": "growth", "title": "Tumor growth", "blocks": growth})
    sections += _mechanism_sections(run, colors)

    if _has(ok, "tumor_free"):
        tf = analysis.proportion_table(ok.dropna(subset=["tumor_free"]), "tumor_free", by=BY)
        rows = []
        for group, row in sorted(_index(tf).items(), key=_group_order(run)):
            count = format_count(row["events"], row["n"])
            rate = _rate_text(row)
            rows.append([*group, count, rate])
            if group in key_rows:
                key_rows[group].update({"N": _format_cell(row["n"]), "tf": count, "tfr": rate})
        sections.append(
            {
                "id": "tumor-free",
                "title": "Tumor-free mice",
                "blocks": [
                    _table(
                        "Tumor-free at the end of follow-up",
                        ["Cohort", "Arm", "Tumor-free", "Rate (95% Wilson CI)"],
                        rows,
                    )
                ],
            }
        )

    if _has(ok, "endpoint_day", "endpoint_event"):
        blocks, medians = _survival_blocks(run, "endpoint", colors, months=False)
        comparisons = _comparisons(run, "endpoint", reference, hazard_ratios=False)
        if comparisons:
            blocks.append(
                _table(
                    "Log-rank test against the reference arm",
                    ["Cohort", "Arm", "Reference", "p"],
                    [
                        [*g, c["reference"], format_p(c.get("logrank_p"))]
                        for g, c in sorted(comparisons.items(), key=_group_order(run))
                    ],
                    "Unadjusted for multiple comparisons.",
                )
            )
        for group in key_rows:
            row = medians.get(group)
            if row is not None:
                key_rows[group]["ms"] = _median_text(row)
                key_rows[group].setdefault("N", _format_cell(row["n"]))
            if group in comparisons:
                key_rows[group]["p"] = format_p(comparisons[group].get("logrank_p"))
            elif comparisons and group[1] == reference:
                key_rows[group]["p"] = "reference"
        sections.append({"id": "survival", "title": ENDPOINT_NAMES["endpoint"], "blocks": blocks})

    rechallenge = study.get("rechallenge")
    if rechallenge and "rechallenge_tumor_free" in ok:
        blocks = []
        challenged = ok.dropna(subset=["rechallenge_tumor_free"])
        if run.burden is not None:
            rc = _success_keys(run, run.burden[run.burden["phase"] == "rechallenge"])
            if not rc.empty:
                day = float(rechallenge["day"])
                offset = day if day > 0 and float(rc["day"].min()) >= day - 1e-6 else 0.0
                naive = _success_keys(run, run.burden[run.burden["phase"] == "naive"])
                fig = figures.rechallenge_figure(
                    rc,
                    run.cohorts,
                    run.arms,
                    colors=colors,
                    day_offset=offset,
                    endpoint_volume_mm3=endpoint_volume,
                    naive=naive,
                )
                blocks.append(
                    _figure(
                        fig,
                        "Rechallenge growth curves",
                        "Tumor volume after rechallenge of the mice that were tumor-free, one "
                        "panel per cohort, coloured by the arm the mouse was treated in; dashed "
                        "grey: naive mice of the same parameters given the same cells.",
                    )
                )
        if not challenged.empty:
            rr = analysis.proportion_table(challenged, "rechallenge_tumor_free", by=BY)
            rows = []
            for group, row in sorted(_index(rr).items(), key=_group_order(run)):
                count = format_count(row["events"], row["n"])
                rows.append([*group, count, _rate_text(row)])
                if group in key_rows:
                    key_rows[group]["rc"] = count
            blocks.append(
                _table(
                    "Rechallenge rejected (tumor-free after rechallenge)",
                    ["Cohort", "Arm", "Rejected", "Rate (95% Wilson CI)"],
                    rows,
                )
            )
        else:
            blocks.append(_text("No mouse was rechallenged (none was tumor-free)."))
        if "naive_challenge_tumor_free" in ok:
            naive_ok = ok.dropna(subset=["naive_challenge_tumor_free"])
            if not naive_ok.empty:
                nt = analysis.proportion_table(
                    naive_ok, "naive_challenge_tumor_free", by=("cohort",)
                )
                rows = [
                    [
                        row["cohort"],
                        format_count(row["events"], row["n"]),
                        _rate_text(row),
                    ]
                    for _, row in nt.iterrows()
                ]
                blocks.append(
                    _table(
                        "Naive mice given the same cells (tumor-free at the end)",
                        ["Cohort", "Tumor-free", "Rate (95% Wilson CI)"],
                        rows,
                    )
                )
        sections.append({"id": "rechallenge", "title": "Rechallenge", "blocks": blocks})

    columns = [
        ("N", "N"),
        ("tf", "Tumor-free"),
        ("tfr", "Tumor-free rate (95% CI)"),
        ("ms", "Median survival, days (95% CI)"),
        ("p", "Log-rank p"),
    ]
    if rechallenge:
        columns.append(("rc", "Rechallenge rejected"))
    key = _key_table(key_rows, columns)
    return sections, key


def _group_order(run: RunData) -> Callable[[tuple[tuple, Any]], int]:
    order = {g: i for i, g in enumerate(_groups(run))}
    return lambda item: order.get(item[0], len(order))


def _key_table(
    key_rows: Mapping[tuple, Mapping[str, str]], columns: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    used = [(k, label) for k, label in columns if any(k in r for r in key_rows.values())]
    return _table(
        "Key results",
        ["Cohort", "Arm", *[label for _, label in used]],
        [[*g, *[r.get(k, MISSING) for k, _ in used]] for g, r in key_rows.items()],
    )


def _trial_sections(
    run: RunData, colors: Mapping[str, str], reference: str | None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    ok = run.succeeded
    sections: list[dict[str, Any]] = []
    key_rows: dict[tuple, dict[str, str]] = {g: {} for g in _groups(run)}
    for group, n in ok.groupby(list(BY)).size().items():
        if group in key_rows:
            key_rows[group]["N"] = str(int(n))
    key_columns: list[tuple[str, str]] = [("N", "N")]

    has_response = _has(ok, "best_response") and _has(ok, "best_percent_change")
    if has_response:
        blocks = _response_blocks(run, key_rows)
        key_columns += [(e, f"{e} (95% CI)") for e in ("ORR", "CR", "DCR")]
        sections.append({"id": "response", "title": "Tumor response", "blocks": blocks})
    sections += _mechanism_sections(run, colors)

    endpoints = [e for e in ("rfs", "pfs", "os") if _has(ok, f"{e}_day", f"{e}_event")]
    survival_blocks: list[dict[str, Any]] = []
    comparison_rows = []
    for name in endpoints:
        blocks, medians = _survival_blocks(run, name, colors, months=True)
        survival_blocks += blocks
        comparisons = _comparisons(run, name, reference, hazard_ratios=True)
        short = name.upper()
        key_columns += [(f"m{name}", f"Median {short}, months (95% CI)")]
        for group, row in medians.items():
            if group in key_rows:
                key_rows[group][f"m{name}"] = _median_text(row, DAYS_PER_MONTH)
        for group, c in sorted(comparisons.items(), key=_group_order(run)):
            comparison_rows.append(
                [
                    short,
                    *group,
                    c["reference"],
                    c.get("hr", MISSING),
                    format_p(c.get("cox_p")),
                    format_p(c.get("logrank_p")),
                ]
            )
            if group in key_rows:
                key_rows[group][f"hr{name}"] = c.get("hr", MISSING)
        for group in key_rows:
            if group[1] == reference and comparisons:
                key_rows[group][f"hr{name}"] = "reference"
    key_columns += [(f"hr{e}", f"HR {e.upper()} vs control (95% CI)") for e in endpoints]
    if comparison_rows:
        survival_blocks.append(
            _table(
                "Comparison with the reference arm",
                [*COMPARISON_COLUMNS],
                comparison_rows,
                "Hazard ratios from Cox proportional-hazards models within each cohort; "
                "p values unadjusted for multiple comparisons.",
            )
        )
    if survival_blocks:
        sections.append({"id": "survival", "title": "Survival", "blocks": survival_blocks})

    if has_response and _has(ok, "dor_day", "dor_event"):
        dor = analysis.duration_of_response_table(ok, by=BY)
        sections.append(
            {
                "id": "dor",
                "title": "Duration of response",
                "blocks": [_generic_table("Duration of response (responders)", dor, run)],
            }
        )
    return sections, _key_table(key_rows, key_columns)


def _response_blocks(run: RunData, key_rows: dict[tuple, dict[str, str]]) -> list[dict[str, Any]]:
    ok = run.succeeded
    table = analysis.response_table(ok, by=BY)
    cells: dict[tuple, dict[str, str]] = {}
    for _, row in table.iterrows():
        group = (str(row["cohort"]), str(row["arm"]))
        rate = _rate_text(row)
        entry = cells.setdefault(group, {"N": _format_cell(row["n"])})
        entry[str(row["endpoint"])] = f"{int(row['events'])} · {rate}"
        if group in key_rows:
            key_rows[group][str(row["endpoint"])] = rate
    endpoints = [e for e in ("ORR", "CR", "DCR") if any(e in c for c in cells.values())]
    rows = [
        [*g, cells[g]["N"], *[cells[g].get(e, MISSING) for e in endpoints]]
        for g in _groups(run)
        if g in cells
    ]
    criteria = CRITERIA_NAMES.get(run.study.get("criteria") or "", "RECIST")
    blocks = [
        _table(
            f"Best overall response ({criteria})",
            ["Cohort", "Arm", "N", *[f"{e}: n · rate (95% CI)" for e in endpoints]],
            rows,
            "ORR: complete or partial response; DCR: complete, partial response or stable "
            "disease. Exact (Clopper–Pearson) intervals.",
        )
    ]
    best = ok["best_response"].astype("string").fillna("NE").astype(str)
    counts = pd.crosstab([ok["cohort"], ok["arm"]], best)
    known = [*figures.RESPONSE_COLORS, *figures.RESPONSE_CLASS]
    levels = [r for r in known if r in counts.columns]
    levels += sorted(c for c in counts.columns if c not in levels)
    blocks.append(
        _table(
            "Best response per patient",
            ["Cohort", "Arm", *levels],
            [
                [*g, *[int(counts.loc[g, r]) for r in levels]]
                for g in _groups(run)
                if g in counts.index
            ],
        )
    )
    per_panel = ok.groupby(list(BY)).size()
    biggest = int(per_panel.max()) if len(per_panel) else 0
    sampled = (
        f" Panels with more than {WATERFALL_MAX_BARS} patients show {WATERFALL_MAX_BARS} bars "
        "chosen evenly along the sorted order."
        if biggest > WATERFALL_MAX_BARS
        else ""
    )
    irecist = (
        " iRECIST categories are coloured like their RECIST counterparts (iUPD and iCPD as PD)."
        if best.isin(list(figures.RESPONSE_CLASS)).any()
        else ""
    )
    blocks.append(
        _figure(
            figures.waterfall_figure(ok, run.cohorts, run.arms, max_bars=WATERFALL_MAX_BARS),
            "Waterfall plot",
            "Best change of the sum of target-lesion diameters from baseline, one bar per "
            "patient, sorted, coloured by best response; dashed lines at +20% and −30%; bars "
            f"are cut at +{figures.WATERFALL_CAP_PERCENT:.0f}%.{sampled}{irecist}",
        )
    )
    blocks.append(_spectrum_block(run, ok))
    if run.visits is not None and not run.visits.empty:
        visits = _success_keys(run, run.visits)
        spider_sampled = (
            f" Panels with more than {SPIDER_MAX_LINES} patients show {SPIDER_MAX_LINES} of "
            "them, chosen evenly by patient id."
            if biggest > SPIDER_MAX_LINES
            else ""
        )
        blocks.append(
            _figure(
                figures.spider_figure(
                    visits, ok, run.cohorts, run.arms, max_lines=SPIDER_MAX_LINES
                ),
                "Spider plot",
                "Change of the sum of target-lesion diameters from baseline at each assessment, "
                "one line per patient, coloured by best response; the axis is cut at "
                f"+{figures.SPIDER_CAP_PERCENT:.0f}%.{spider_sampled}",
            )
        )
    if _has(ok, "pfs_day") and _has(ok, "os_day"):
        swim_sampled = (
            f" Panels show {SWIMMER_MAX_PATIENTS} patients chosen evenly along the sorted order "
            "of bar length."
            if biggest > SWIMMER_MAX_PATIENTS
            else ""
        )
        swimmer = ok.copy()
        for column in ("response_day", "progression_day", "pfs_event", "os_event"):
            if column not in swimmer:
                swimmer[column] = np.nan
        blocks.append(
            _figure(
                figures.swimmer_figure(
                    swimmer, run.cohorts, run.arms, max_patients=SWIMMER_MAX_PATIENTS
                ),
                "Swimmer plot",
                "One bar per patient to progression, death or end of follow-up (the earlier of "
                "PFS and OS), in months, coloured by best response; triangles mark the first "
                f"response, crosses progression, arrows patients still event-free.{swim_sampled}",
            )
        )
    return blocks


def _spectrum_block(run: RunData, ok: pd.DataFrame) -> dict[str, Any]:
    """Response spectrum per arm, next to the published shares of a matching validation target."""
    from tmesim.validation.published import published_response_shares

    found = published_response_shares(run.study)
    published = {g: {c: v for c, (v, _) in shares.items()} for g, shares in found.items()}
    sources = sorted({tid for shares in found.values() for _, tid in shares.values()})
    note = (
        f" Published shares from the validation targets {', '.join(sources)} (read at the "
        "publication's data cutoff, which may come earlier than the end of simulated follow-up)."
        if sources
        else " No validation target gives published shares for these arms."
    )
    return _figure(
        figures.response_spectrum_figure(ok, run.cohorts, run.arms, published=published),
        "Response spectrum",
        "Share of patients by best overall response (CR, PR, SD, PD, not evaluable) per arm, "
        f"in percent.{note}",
    )


def _generic_table(caption: str, frame: pd.DataFrame, run: RunData) -> dict[str, Any]:
    """Any analysis table, with a (median, low, high) triple shown as months with its CI."""
    frame = frame.copy()
    months = {"median", "median_ci_low", "median_ci_high"} <= set(frame.columns)
    if months:
        frame["Median, months (95% CI)"] = [
            format_median_ci(m, lo, hi, DAYS_PER_MONTH)
            for m, lo, hi in zip(
                frame["median"], frame["median_ci_low"], frame["median_ci_high"], strict=True
            )
        ]
        frame = frame.drop(columns=["median", "median_ci_low", "median_ci_high"])
    if set(BY) <= set(frame.columns):
        order = {g: i for i, g in enumerate(_groups(run))}
        pairs = zip(frame["cohort"].astype(str), frame["arm"].astype(str), strict=True)
        rank = [order.get(pair, len(order)) for pair in pairs]
        frame = frame.assign(_rank=rank).sort_values("_rank", kind="stable").drop(columns="_rank")
    columns = [c.replace("_", " ").capitalize() if c.islower() else c for c in frame.columns]
    return _table(caption, columns, frame.itertuples(index=False, name=None))


def _status_section(run: RunData) -> dict[str, Any]:
    patients = run.patients
    failed = patients[patients["status"] != "success"]
    simulated = patients.groupby(list(BY)).size()
    failures = failed.groupby(list(BY)).size()
    summary = [
        [*g, int(simulated[g]), int(failures.get(g, 0))] for g in _groups(run) if g in simulated
    ]
    blocks = [
        _table(
            "Simulated virtual subjects",
            ["Cohort", "Arm", "Simulated", "Failed"],
            summary,
            "Statistics use the subjects whose simulation succeeded; failed ones are listed "
            "below and left out.",
        )
    ]
    if failed.empty:
        blocks.append(_text(f"All {len(patients)} virtual subjects were simulated successfully."))
    else:
        detail = (
            failed.groupby(["cohort", "arm", "status", "message"], sort=False)
            .size()
            .reset_index(name="count")
            .sort_values("count", ascending=False, kind="stable")
        )
        shown = detail.head(MAX_STATUS_ROWS)
        note = (
            f"The {MAX_STATUS_ROWS} most frequent of {len(detail)} kinds of failure are shown."
            if len(detail) > MAX_STATUS_ROWS
            else ""
        )
        blocks.append(
            _table(
                "Failures",
                ["Cohort", "Arm", "Status", "Message", "Count"],
                [
                    [r.cohort, r.arm, r.status, _shorten(r.message), r.count]
                    for r in shown.itertuples(index=False)
                ],
                note,
            )
        )
    return {"id": "statuses", "title": "Statuses", "blocks": blocks}


def _enrollment_section(run: RunData) -> list[dict[str, Any]]:
    """Clinical trials: candidates screened, screen failures by reason, and early deaths."""
    from tmesim.trials.eligibility import REASONS, screening_summary

    summary = screening_summary(run.patients)
    if not summary:
        return []
    codes = [c for c in REASONS if any(c in s["reasons"] for s in summary)]
    blocks = [
        _table(
            "Screening",
            ["Cohort", "Slots", "Screened", "Enrolled", "Screen failures"]
            + [REASONS[c].capitalize() for c in codes],
            [
                [s["cohort"], s["slots"], s["screened"], s["enrolled"], s["screen_failures"]]
                + [s["reasons"].get(c, 0) for c in codes]
                for s in summary
            ],
            "Each virtual patient drawn is screened at baseline against the cohort's eligibility "
            "criteria (RECIST 1.1 measurable disease, alive with tumor, total burden within the "
            "limit, optional performance-status proxy); a screen failure is replaced by the next "
            "candidate of its enrollment slot. The first criterion failed is counted.",
        )
    ]
    ok = run.succeeded
    if _has(ok, "early_death", "best_response"):
        early = ok[ok["early_death"].astype("boolean").fillna(False).astype(bool)]
        counts = ok.groupby(list(BY)).size()
        dead = early.groupby(list(BY)).size()
        scored = early.groupby([*BY, "best_response"]).size()
        rows = []
        for g in _groups(run):
            if g not in counts:
                continue
            labels = {r: int(n) for (c, a, r), n in scored.items() if (c, a) == g}
            text = ", ".join(f"{r} {n}" for r, n in sorted(labels.items())) or "—"
            rows.append([*g, int(counts[g]), int(dead.get(g, 0)), text])
        blocks.append(
            _table(
                "Deaths before the first scan",
                ["Cohort", "Arm", "Enrolled", "Died before the first scan", "Best response"],
                rows,
                "A patient who dies before any post-baseline scan has no assessment to grade: "
                "RECIST 1.1 (Eisenhauer 2009, §4.4) makes the best response not evaluable (NE) "
                "and counts the patient in the ORR denominator; with response.early_death: PD, "
                "a death from the disease is recorded as clinical progression.",
            )
        )
    return [{"id": "enrollment", "title": "Enrollment", "blocks": blocks}]


def _lesion_section(run: RunData) -> list[dict[str, Any]]:
    """Clinical trials: mixed responses and new lesions (metastatic), relapse sites and deaths
    after relapse (adjuvant), per arm."""
    ok = run.succeeded
    if not len(ok) or not ({"mixed_response", "relapse_site"} & set(ok.columns)):
        return []
    table = analysis.lesion_table(ok, by=BY)
    if "local_relapses" in table.columns:
        header = ["Relapsed: local", "Relapsed: distant", "Died of the disease after relapse"]
        cols = ["local_relapses", "distant_relapses", "deaths_after_relapse"]
        note = (
            "Residual disease at the resection bed and occult distant disease live under one "
            "immune system; the first site to reach the detectable volume is the site of relapse."
        )
    else:
        header = ["Several target lesions", "Mixed response", "Mixed share", "New lesions"]
        cols = ["multi_lesion", "mixed_responses", "mixed_share", "with_new_lesions"]
        note = (
            "A patient's lesions share one blood, lymph node and drug exposure. Mixed response: "
            "at the same scan one target lesion is ≥ 30 % smaller and another ≥ 20 % larger "
            "than at baseline; the share is of patients with several target lesions."
        )
    rows = [
        [r["cohort"], r["arm"], int(r["n"]), *[_format_cell(r[c]) for c in cols]]
        for _, r in table.iterrows()
    ]
    block = _table("Lesions", ["Cohort", "Arm", "N", *header], rows, note)
    return [{"id": "lesions", "title": "Lesions", "blocks": [block]}]


def _shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Rendering


def build_context(run: RunData) -> dict[str, Any]:
    """Everything the template shows: header, key results, sections of tables and figures."""
    study = run.study
    reference = control_arm(study.get("arms", [])) or (run.arms[0] if run.arms else None)
    if reference not in run.arms:
        reference = run.arms[0] if run.arms else None
    colors = figures.arm_colors(run.arms, control=reference)
    sections = [_design_section(run, colors)]
    if study["kind"] == "mouse_study":
        results, key = _mouse_sections(run, colors, reference)
    else:
        results, key = _trial_sections(run, colors, reference)
        sections += _enrollment_section(run)
        sections += _lesion_section(run)
    sections += results
    if study["kind"] != "mouse_study":
        sections += subgroup_sections(run, reference, colors, _figure, _table)
        sections += toxicity_sections(run, _table)
    sections.append(_status_section(run))
    description = str(study.get("description") or "")
    paragraphs = [
        " ".join(line.strip() for line in block.splitlines()).strip()
        for block in description.replace("\r\n", "\n").split("\n\n")
    ]
    manifest = (
        json.dumps(run.manifest, indent=2, ensure_ascii=False, default=str)
        if run.manifest is not None
        else None
    )
    n_total = len(run.patients)
    return {
        "title": str(study.get("title") or "Virtual study"),
        "paragraphs": [p for p in paragraphs if p],
        "subtitle": (
            f"{'Mouse study' if study['kind'] == 'mouse_study' else 'Clinical trial'} · "
            f"{len(run.cohorts)} cohort(s) × {len(run.arms)} arm(s) · {n_total} virtual "
            f"subjects · reference arm: {reference}"
        ),
        "key_results": key,
        "key_warning": (
            ""
            if len(run.succeeded)
            else "No virtual subject was simulated successfully, so there are no results; "
            "see Statuses for the failures."
        ),
        "statistics_note": (
            "Proportions with 95% Wilson intervals (response rates: Clopper–Pearson); medians "
            "from Kaplan–Meier estimates with 95% intervals; comparisons against the reference "
            f"arm ({reference}) within each cohort."
        ),
        "sections": sections,
        "manifest": manifest,
        "run_dir": run.run_dir.name,
    }


def render_template(package: str, template: str, **context: Any) -> str:
    """Render `template` from `package`'s templates folder: autoescaped, and an undefined name in
    the template is an error rather than an empty string. Every HTML page of tmesim uses it."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template(template).render(**context)


def render_html(context: Mapping[str, Any]) -> str:
    """Render the report template with a context from :func:`build_context`."""
    return render_template("tmesim.report", "report.html.j2", **context)


def render_report(run_dir: Path, out: Path | None = None) -> Path:
    """Write a self-contained HTML report of a run folder and return its path.

    The page goes to ``out`` or ``run_dir/report.html``, written atomically.

    Raises:
        ConfigError: the folder is missing or has no results (study.json, patients.parquet).
    """
    run = load_run(Path(run_dir))
    html = render_html(build_context(run))
    target = Path(out) if out is not None else run.run_dir / REPORT_FILE
    return atomic_write_text(target, html)

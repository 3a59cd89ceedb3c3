"""The report's toxicity section: immune-related adverse events per arm (any grade, grade 3–4,
discontinuations, holds)."""

from __future__ import annotations

from typing import Any

from tmesim.trials.cell_toxicity import CART_EVENTS
from tmesim.trials.formatting import format_percent, format_rate_ci
from tmesim.trials.toxicity import toxicity_table


def toxicity_sections(run: Any, table: Any) -> list[dict[str, Any]]:
    """A table per study with the toxicity model on (none otherwise); `table` is the report's
    table block builder."""
    frame = toxicity_table(run.succeeded)
    if frame.empty:
        return []
    rows = [
        [
            r.cohort,
            r.arm,
            r.n,
            _any_grade(r),
            f"{r.grade34}: {format_rate_ci(r.grade34_rate, r.grade34_ci_low, r.grade34_ci_high)}",
            f"{r.discontinued} ({format_percent(r.discontinued_rate)})",
            f"{r.held} ({format_percent(r.held_rate)})",
            _day(r.any_grade_median_onset_day),
            _day(r.median_onset_day),
        ]
        for r in frame.itertuples()
    ]
    block = table(
        "Treatment-related adverse events (any grade and grade 3–4)",
        [
            "Cohort",
            "Arm",
            "N",
            "Any grade (%; 95% CI)",
            "Grade 3–4 (%; 95% CI)",
            "Treatment stopped for it",
            "Held, then resumed",
            "Median onset (any grade), day",
            "Median onset (grade 3–4), day",
        ],
        rows,
        "Time-to-event model of `tmesim.trials.toxicity` (hazards calibrated to Larkin 2015 "
        "NEJM 373:23 over reference exposures); an event after treatment stopped for "
        "progression is counted but stops nothing; events of any grade stop nothing, grade 3–4 "
        "events stop or hold the treatment (`trials.dose_holds`). Wilson intervals.",
    )
    blocks = [block]
    cart = [f"cart_{e}_grade3" for e in CART_EVENTS]
    if frame[cart].notna().any().any():
        blocks.append(
            table(
                "CAR-T events of grade 3 or higher",
                ["Cohort", "Arm", "N", "Cytokine release syndrome", "Neurologic events"],
                [
                    [r.cohort, r.arm, r.n, *[_share(getattr(r, c), r.n) for c in cart]]
                    for r in frame.itertuples()
                ],
                "Rates set per arm and spread over patients by their CAR-T expansion "
                "(`tmesim.trials.cell_toxicity`); onset from the infusion.",
            )
        )
    return [{"id": "toxicity", "title": "Toxicity", "blocks": blocks}]


def _share(k: float, n: int) -> str:
    return "—" if k != k else f"{int(k)} ({format_percent(k / n if n else float('nan'))})"


def _day(day: float) -> str:
    return "—" if day != day else f"{day:.0f}"


def _any_grade(r: Any) -> str:
    if r.any_grade != r.any_grade:  # not modelled
        return "—"
    rate = format_rate_ci(r.any_grade_rate, r.any_grade_ci_low, r.any_grade_ci_high)
    return f"{int(r.any_grade)}: {rate}"

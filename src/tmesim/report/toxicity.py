"""The report's toxicity section: grade 3–4 immune-related adverse events per arm."""

from __future__ import annotations

from typing import Any

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
            f"{r.grade34}: {format_rate_ci(r.grade34_rate, r.grade34_ci_low, r.grade34_ci_high)}",
            f"{r.discontinued} ({format_percent(r.discontinued_rate)})",
            f"{r.held} ({format_percent(r.held_rate)})",
            "—" if r.median_onset_day != r.median_onset_day else f"{r.median_onset_day:.0f}",
        ]
        for r in frame.itertuples()
    ]
    block = table(
        "Grade 3–4 immune-related adverse events",
        [
            "Cohort",
            "Arm",
            "N",
            "Grade 3–4 (%; 95% CI)",
            "Treatment stopped for it",
            "Held, then resumed",
            "Median onset, day",
        ],
        rows,
        "Time-to-event model of `tmesim.trials.toxicity` (hazards calibrated to Larkin 2015 "
        "NEJM 373:23 over reference exposures); an event after treatment stopped for "
        "progression is counted but stops nothing. Wilson intervals.",
    )
    return [{"id": "toxicity", "title": "Toxicity", "blocks": [block]}]

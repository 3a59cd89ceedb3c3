"""Small studies for tests: a mouse study and a clinical trial that run in seconds."""

from __future__ import annotations

from typing import Any

from tmesim.config.trial import TrialScenario, trial_from_dict

CPB = "rmp1-14 200 ug biw x4 + 9h10 100 ug q3d x3"


def mouse_study(arms: list[dict[str, Any]] | None = None, **extra: Any) -> TrialScenario:
    data: dict[str, Any] = {
        "title": "test mouse study",
        "seed": 11,
        "follow_up_days": 20,
        "chunk_size": 3,
        "cohorts": [
            {"name": "4T1", "preset": "mouse_4t1", "n": 6, "start_volume_mm3": 60},
            {"name": "B16", "preset": "mouse_b16f10", "n": 4, "start_volume_mm3": 60},
        ],
        "arms": arms or [{"name": "control"}, {"name": "CPB", "regimen": CPB}],
    }
    data.update(extra)
    return trial_from_dict(data)


def clinical_trial(**extra: Any) -> TrialScenario:
    data: dict[str, Any] = {
        "title": "test trial",
        "seed": 5,
        "setting": "metastatic",
        "follow_up_days": 252,
        "save_every_days": 7,
        "chunk_size": 4,
        "cohorts": [
            {
                "name": "melanoma",
                "preset": "human_melanoma",
                "n": 8,
                "start_volume_mm3": 4000,
                "start_volume_log_sd": 0.5,
            }
        ],
        "arms": [
            {"name": "ipilimumab", "regimen": "ipilimumab 3 mg/kg q3w x4"},
            {"name": "nivolumab", "regimen": "nivolumab 3 mg/kg q2w x12"},
        ],
        "visits": {"every_days": 42, "first_day": 42},
    }
    data.update(extra)
    return trial_from_dict(data)

"""Published response shares for a study's arms, read from the validation targets.

A run's arm is matched to a clinical target when the target's study has a cohort of the same
preset and the target's arm has the same regimen (compared in canonical form); the target's
published value then gives the share of its response category (CR from ``cr_rate``, PR from
``pr_rate``).

Example:
    >>> study = {"cohorts": [{"name": "c", "preset": "human_melanoma"}],
    ...          "arms": [{"name": "a", "regimen": "nivolumab 3 mg/kg q2w x52"}]}
    >>> shares = published_response_shares(study)
    >>> sorted(shares[("c", "a")])
    ['CR', 'PR']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tmesim.errors import ConfigError
from tmesim.therapies.regimen import regimen_from_config
from tmesim.validation.targets import Target, load_targets

CATEGORY_OF_METRIC = {"cr_rate": "CR", "pr_rate": "PR"}
"""Response-share metrics and the best-response category each one counts."""


def _canonical(regimen: Any) -> str | None:
    try:
        return str(regimen_from_config(regimen if regimen is not None else "untreated"))
    except ConfigError:
        return None


def _target_arm(t: Target) -> tuple[str | None, str | None]:
    """(preset, canonical regimen) of the cohort and arm a target reads."""
    study = t.study or {}
    cohorts = [c for c in study.get("cohorts", []) if isinstance(c, dict)]
    arms = [a for a in study.get("arms", []) if isinstance(a, dict)]
    cohort = next((c for c in cohorts if c.get("name") == t.metric.cohort), None)
    arm = next((a for a in arms if a.get("name") == t.metric.arm), None)
    cohort = cohort or (cohorts[0] if cohorts else {})
    arm = arm or (arms[0] if arms else {})
    return cohort.get("preset"), _canonical(arm.get("regimen"))


def published_response_shares(
    study: Mapping[str, Any], targets: list[Target] | None = None
) -> dict[tuple[str, str], dict[str, tuple[float, str]]]:
    """(cohort, arm) -> {category: (published fraction, target id)} for the arms of `study`
    (a study.json dictionary) that a clinical response-share target describes."""
    chosen = [
        t
        for t in (load_targets() if targets is None else targets)
        if t.kind == "clinical" and t.metric.type in CATEGORY_OF_METRIC and t.published.value
    ]
    found = {t.id: _target_arm(t) for t in chosen}
    out: dict[tuple[str, str], dict[str, tuple[float, str]]] = {}
    for cohort in study.get("cohorts", []):
        for arm in study.get("arms", []):
            key = (cohort.get("preset"), _canonical(arm.get("regimen")))
            for t in chosen:
                if found[t.id] == key and key[1] is not None:
                    share = float(t.published.value) / t.scale  # type: ignore[arg-type]
                    group = out.setdefault((str(cohort["name"]), str(arm["name"])), {})
                    group.setdefault(CATEGORY_OF_METRIC[t.metric.type], (share, t.id))
    return out

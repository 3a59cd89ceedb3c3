"""The response-spectrum figure: simulated shares per arm next to the published ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tmesim.report.figures import response_spectrum_figure
from tmesim.validation.published import published_response_shares
from tmesim.validation.targets import load_targets

CHECKMATE_ARMS = {
    "ipilimumab": "ipilimumab 3 mg/kg q3w x4",
    "nivolumab": "nivolumab 3 mg/kg q2w x52",
    "nivolumab + ipilimumab": "nivolumab 1 mg/kg q3w x4 + ipilimumab 3 mg/kg q3w x4 "
    "+ nivolumab 3 mg/kg q2w x48 from day 84",
}


def _study(arms: dict[str, str]) -> dict:
    return {
        "cohorts": [{"name": "melanoma", "preset": "human_melanoma"}],
        "arms": [{"name": name, "regimen": regimen} for name, regimen in arms.items()],
    }


def test_published_shares_come_from_the_targets_of_the_same_regimen():
    """Arms are matched by preset and regimen (not by name): the shares are the published
    values of the CheckMate 067 response targets, and an arm no target describes gets none."""
    targets = load_targets()
    by_id = {t.id: t for t in targets}
    renamed = {f"arm {i}": regimen for i, regimen in enumerate(CHECKMATE_ARMS.values())}
    renamed["other"] = "pembrolizumab 200 mg q3w x35"
    shares = published_response_shares(_study(renamed), targets)
    assert ("melanoma", "other") not in shares
    for i, arm in enumerate(CHECKMATE_ARMS):
        suffix = arm.replace(" + ", "_")
        group = shares[("melanoma", f"arm {i}")]
        for category, metric in (("CR", "cr"), ("PR", "pr")):
            target = by_id[f"checkmate067_{metric}_{suffix}"]
            value, source = group[category]
            assert source == target.id
            assert value == pytest.approx(target.published.value / 100)


def test_other_presets_get_no_published_shares():
    study = _study(CHECKMATE_ARMS)
    study["cohorts"][0]["preset"] = "human_nsclc"
    assert published_response_shares(study) == {}


def test_spectrum_bars_add_up_to_every_patient():
    """Each simulated bar spans 100% of its arm; a published bar draws its shares and leaves
    the rest grey."""
    rng = np.random.default_rng(3)
    best = rng.choice(["CR", "PR", "SD", "PD", None, "iUPD"], size=90)
    patients = pd.DataFrame(
        {"cohort": "c", "arm": np.repeat(["a", "b", "c"], 30), "best_response": best}
    )
    fig = response_spectrum_figure(
        patients, ["c"], ["a", "b", "c"], published={("c", "b"): {"CR": 0.1, "PR": 0.4}}
    )
    ax = fig.axes[0]
    widths: dict[float, float] = {}
    for bar in ax.patches:
        y = round(bar.get_y() + bar.get_height() / 2, 6)
        widths[y] = widths.get(y, 0.0) + bar.get_width()
    assert len(widths) == 4  # three simulated bars and one published
    assert all(w == pytest.approx(100.0) for w in widths.values())
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[2] == "b\npublished"

"""Extinction and emergence are events of the model: the same virtual patients reach the same
tumor-free and complete-response fractions at loose and tight solver tolerances."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from studyhelp import clinical_trial, mouse_study

from tmesim.trials.runner import run_study

CPB_IPI549 = "rmp1-14 200 ug biw x6 + 9h10 100 ug q3d x3 + ipi-549 15 mg/kg qd x21"


def agree_within_binomial_noise(a: np.ndarray, b: np.ndarray) -> None:
    """Two fractions of the same n patients: difference within 2.58 pooled standard errors."""
    n = len(a)
    pooled = (a.sum() + b.sum()) / (2 * n)
    se = np.sqrt(max(pooled * (1 - pooled), 1.0 / n) * 2 / n)
    assert abs(a.mean() - b.mean()) <= 2.58 * se, (a.mean(), b.mean())


def run_at(tmp_path: Path, scenario_of, rtol: float) -> pd.DataFrame:
    out = tmp_path / f"rtol-{rtol:g}"
    run_study(scenario_of(rtol), out, progress=False, report=False)
    return pd.read_parquet(out / "patients.parquet")


def test_mouse_tumor_free_fraction_does_not_depend_on_the_tolerance(tmp_path: Path) -> None:
    def scenario(rtol: float):
        return mouse_study(
            arms=[{"name": "CPB + IPI-549", "regimen": CPB_IPI549}],
            cohorts=[{"name": "4T1", "preset": "mouse_4t1", "n": 24, "start_volume_mm3": 75}],
            follow_up_days=40,
            chunk_size=24,
            solver={"rtol": rtol},
        )

    loose, tight = (run_at(tmp_path, scenario, rtol) for rtol in (1e-6, 1e-10))
    assert (loose["status"] == "success").all() and (tight["status"] == "success").all()
    for column in ("tumor_free",):
        a, b = (t[column].to_numpy(dtype=bool) for t in (loose, tight))
        agree_within_binomial_noise(a, b)
        assert np.mean(a == b) >= 0.9, column
    a, b = (t["final_tumor_cells"].to_numpy() < 1.0 for t in (loose, tight))
    agree_within_binomial_noise(a, b)
    assert np.mean(a == b) >= 0.9
    # The residual disease itself converges: final tumor cells agree mouse by mouse.
    both = (loose["final_tumor_cells"] > 1e3) & (tight["final_tumor_cells"] > 1e3)
    np.testing.assert_allclose(
        loose.loc[both, "final_tumor_cells"], tight.loc[both, "final_tumor_cells"], rtol=0.05
    )


@pytest.mark.slow
def test_human_complete_response_fraction_does_not_depend_on_the_tolerance(
    tmp_path: Path,
) -> None:
    def scenario(rtol: float):
        return clinical_trial(
            arms=[{"name": "nivolumab", "regimen": "nivolumab 3 mg/kg q2w x12"}],
            cohorts=[
                {
                    "name": "melanoma",
                    "preset": "human_melanoma",
                    "n": 24,
                    "start_volume_mm3": 4000,
                    "start_volume_log_sd": 0.5,
                }
            ],
            chunk_size=24,
            solver={"rtol": rtol},
        )

    loose, tight = (run_at(tmp_path, scenario, rtol) for rtol in (1e-6, 1e-10))
    assert (loose["status"] == "success").all() and (tight["status"] == "success").all()
    for response in (("CR",), ("CR", "PR")):
        a, b = (t["best_response"].isin(response).to_numpy() for t in (loose, tight))
        agree_within_binomial_noise(a, b)
        assert np.mean(a == b) >= 0.9, response

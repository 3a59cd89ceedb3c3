"""CAR-T toxicity: grade ≥3 CRS and neurologic events, their rates, expansion link and onset."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from tmesim.config.trial import Toxicity
from tmesim.trials.cell_toxicity import (
    CART_EVENTS,
    ONSET_MEDIAN_DAYS,
    cart_events,
    cart_rates,
    zuma1_rates,
)

N = 20_000


def _arm(rates: dict[str, float], seed: int = 3) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A large virtual arm: CAR-T infused on day 1, log-normal peaks on day 10."""
    rng = np.random.default_rng(seed)
    peak = np.exp(rng.normal(18.0, 1.5, N))
    days = np.arange(0.0, 30.0)
    cart = np.zeros((N, days.size))
    cart[:, 1] = 1e6
    cart[:, 10] = peak
    return peak, cart_events(seed, np.arange(N), np.zeros(N, int), days, cart, rates)


@pytest.mark.parametrize("rates", [None, {"crs": 0.46, "neurologic": 0.13}])
def test_event_rates_in_a_large_arm_match_the_configured_rates(rates):
    used = cart_rates(rates or {})
    _, out = _arm(used)
    for event in CART_EVENTS:
        k = int(out[f"{event}_grade3"].sum())
        ci = binomtest(k, N).proportion_ci(0.999)
        assert ci.low <= used[event] <= ci.high, event
    assert used == (zuma1_rates() if rates is None else rates)


def test_events_rise_with_car_t_expansion_and_start_after_infusion():
    peak, out = _arm(zuma1_rates())
    high = peak > np.median(peak)
    for event in CART_EVENTS:
        had = out[f"{event}_grade3"]
        assert had[high].mean() > 1.3 * had[~high].mean(), event
        day = out[f"{event}_grade3_day"]
        assert np.isnan(day[~had]).all() and (day[had] >= 1.0).all()
        late = int((day[had] - 1.0 > ONSET_MEDIAN_DAYS[event]).sum())
        assert binomtest(late, int(had.sum()), 0.5).pvalue > 0.001  # the source's median


def test_no_infusion_no_event_and_rates_are_checked():
    days = np.arange(5.0)
    assert cart_events(1, np.arange(3), np.zeros(3, int), days, np.zeros((3, 5)), {}) == {}
    with pytest.raises(ValueError, match="cart_grade3_rates"):
        Toxicity(cart_grade3_rates={"crs": 1.5})
    with pytest.raises(ValueError, match="cart_grade3_rates"):
        Toxicity(cart_grade3_rates={"cytokine_storm": 0.1})


def test_a_car_t_trial_with_toxicity_records_its_events(tmp_path):
    import pandas as pd

    from tmesim.config.trial import trial_from_dict
    from tmesim.trials.runner import run_study

    data = {
        "title": "car-t toxicity",
        "seed": 9,
        "setting": "established",
        "follow_up_days": 42,
        "save_every_days": 1,
        "chunk_size": 6,
        "cohorts": [{"name": "dlbcl", "preset": "human_dlbcl", "n": 6}],
        "arms": [{"name": "axi-cel", "regimen": "axicabtagene ciloleucel 2e6 cells/kg once"}],
        "toxicity": {"enabled": True, "cart_grade3_rates": {"crs": 1.0, "neurologic": 0.0}},
    }
    run_study(trial_from_dict(data), tmp_path, progress=False, report=True, n_threads=1)
    p = pd.read_parquet(tmp_path / "patients.parquet")
    ok = p[p["status"] == "success"]
    assert len(ok) and ok["crs_grade3"].astype(bool).all()
    assert not ok["neurologic_grade3"].astype(bool).any()
    assert (ok["crs_grade3_day"] >= 0).all()
    assert "CAR-T events of grade 3 or higher" in (tmp_path / "report.html").read_text()

"""Per-patient bodies (weight, height) and baseline biomarkers; eligibility by a biomarker."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from studyhelp import clinical_trial

from tmesim.config.trial import BodySize
from tmesim.errors import ConfigError
from tmesim.model import build_model
from tmesim.simulation import Simulation
from tmesim.trials.biomarkers import BIOMARKERS, baseline_biomarkers, positive_fraction
from tmesim.trials.body import draw_bodies, patient_doses, resolved_body_size
from tmesim.trials.runner import run_study


def test_bodies_are_drawn_per_patient_from_their_own_stream():
    spec = BodySize(population="adult_melanoma")
    a = draw_bodies(spec, 3, np.arange(10))
    b = draw_bodies(spec, 3, np.arange(5, 15))
    pd.testing.assert_frame_equal(a.iloc[5:].reset_index(drop=True), b.iloc[:5])
    again = draw_bodies(spec, 3, np.arange(10), screenings=np.r_[np.zeros(9, int), 1])
    assert not np.isclose(again["body_weight_kg"].iloc[9], a["body_weight_kg"].iloc[9])


def test_drawn_bodies_follow_the_configured_population():
    spec = BodySize(population="adult", male_fraction=0.7, height_weight_correlation=0.0)
    values = resolved_body_size(spec)
    n = 6000
    b = draw_bodies(spec, 1, np.arange(n))
    men = b["sex"] == "male"
    share = men.mean()
    assert abs(share - 0.7) < 4 * math.sqrt(0.7 * 0.3 / n)
    mean, sd = values["height_cm_male"]
    assert abs(b.loc[men, "height_cm"].mean() - mean) < 4 * sd / math.sqrt(men.sum())
    median, log_sd = values["weight_kg_female"]
    logs = np.log(b.loc[~men, "body_weight_kg"])
    assert abs(np.median(logs) - math.log(median)) < 5 * log_sd / math.sqrt((~men).sum())
    bsa = np.sqrt(b["height_cm"] * b["body_weight_kg"] / 3600)
    np.testing.assert_allclose(b["body_surface_m2"], bsa)


def test_a_body_size_needs_every_value_or_a_population():
    with pytest.raises(ConfigError, match="body_size.male_fraction"):
        clinical_trial(
            cohorts=[{"name": "c", "preset": "human_melanoma", "body_size": {"source": "x"}}]
        )
    with pytest.raises(ConfigError, match="body_size.height_cm_male"):
        clinical_trial(
            cohorts=[
                {
                    "name": "c",
                    "preset": "human_melanoma",
                    "body_size": {"population": "adult", "height_cm_male": [1.75, 0.07]},
                }
            ]
        )


def test_doses_per_kg_and_per_m2_follow_each_patient_and_flat_doses_do_not():
    weight = np.array([50.0, 100.0])
    height = np.array([160.0, 190.0])
    bsa = np.sqrt(weight * height / 3600)
    per_kg = patient_doses(
        Simulation("human_melanoma", "nivolumab 3 mg/kg once"), weight, height, None
    )
    flat = patient_doses(
        Simulation("human_melanoma", "nivolumab 240 mg once"), weight, height, None
    )
    per_m2 = patient_doses(
        Simulation("human_melanoma", "interferon alfa-2b 20 MIU/m2 iv once"), weight, height, None
    )
    assert per_kg.amount[1] / per_kg.amount[0] == pytest.approx(2.0)
    assert flat.amount[1] == flat.amount[0]
    assert per_m2.amount[1] / per_m2.amount[0] == pytest.approx(bsa[1] / bsa[0])
    # 20 MIU/m² for the first patient, by hand: IU -> mg (2.6e8 IU/mg) -> pmol (19,271 g/mol)
    assert per_m2.amount[0] == pytest.approx(20e6 * bsa[0] / 2.6e8 * 1e-3 / 19_271 * 1e12)


@given(st.lists(st.floats(0.01, 1000), min_size=2, max_size=20))
@settings(max_examples=50, deadline=None)
def test_the_positive_share_rises_with_the_mean_density(densities):
    d = np.sort(np.array(densities))
    f = positive_fraction(d)
    assert np.all((f >= 0) & (f <= 1)) and np.all(np.diff(f) >= -1e-12)


def test_more_pdl1_on_tumor_cells_reads_as_a_higher_tps_and_cps():
    model = build_model()
    sim = Simulation("human_melanoma")
    P = np.tile(sim.parameters.vector(model), (2, 1))
    Y = np.tile(sim.parameters.initial_state(model), (2, 1))
    for k in range(4):
        P[1, model.parameter_index(f"clone_{k}_pdl1")] *= 10
    m = baseline_biomarkers(model, P, Y, "human_crc_dmmr")
    assert set(BIOMARKERS) <= set(m.columns)
    assert m["pdl1_tumor_proportion"].iloc[1] > m["pdl1_tumor_proportion"].iloc[0]
    assert m["pdl1_cps"].iloc[1] > m["pdl1_cps"].iloc[0]
    assert (m["pdl1_cps"] <= 100).all() and m["pdl1_tumor_proportion"].between(0, 1).all()
    assert (m["mmr_status"] == "dMMR").all()


def test_eligibility_by_a_biomarker_names_its_field():
    with pytest.raises(ConfigError, match="eligibility.biomarkers"):
        clinical_trial(
            cohorts=[
                {
                    "name": "c",
                    "preset": "human_melanoma",
                    "eligibility": {"biomarkers": {"tmb": [1, 2]}},
                }
            ]
        )
    with pytest.raises(ConfigError, match="pdl1_tumor_min"):
        clinical_trial(
            cohorts=[
                {"name": "c", "preset": "human_melanoma", "eligibility": {"pdl1_tumor_min": 5}}
            ]
        )


def test_a_pdl1_selected_trial_enrolls_only_pdl1_positive_patients(tmp_path):
    cohort = {
        "name": "melanoma",
        "preset": "human_melanoma",
        "n": 12,
        "start_volume_mm3": 4000,
        "start_volume_log_sd": 0.5,
        "body_size": "adult_melanoma",
    }
    arms = [{"name": "nivolumab", "regimen": "nivolumab 3 mg/kg q2w x3"}]
    selected = {**cohort, "eligibility": {"pdl1_tumor_min": 0.05}}
    for name, c in (("all", cohort), ("selected", selected)):
        run_study(
            clinical_trial(follow_up_days=42, cohorts=[c], arms=arms),
            tmp_path / name,
            progress=False,
            report=False,
            n_threads=1,
        )
    everyone = pd.read_parquet(tmp_path / "all" / "patients.parquet")
    chosen = pd.read_parquet(tmp_path / "selected" / "patients.parquet")
    assert (everyone["pdl1_tumor_proportion"] < 0.05).any(), "no PD-L1-low patient to exclude"
    enrolled = chosen[chosen["eligible"].astype(bool)]
    assert (enrolled["pdl1_tumor_proportion"] >= 0.05).all()
    assert chosen["screen_failure_reasons"].str.contains("biomarker_out_of_range").any()
    # a slot whose first candidate was PD-L1-positive keeps that same patient
    kept = everyone[
        (everyone["pdl1_tumor_proportion"] >= 0.05) & (everyone["screen_failures"] == 0)
    ]
    same = chosen.set_index("patient_id").loc[kept["patient_id"]]
    np.testing.assert_allclose(same["body_weight_kg"], kept["body_weight_kg"])
    assert everyone["body_weight_kg"].nunique() == len(everyone)


@given(
    st.floats(0, 1),
    st.tuples(st.floats(140, 200), st.floats(0, 15)),
    st.tuples(st.floats(40, 150), st.floats(0, 0.5)),
    st.floats(-0.9, 0.9),
    st.integers(0, 2**31 - 1),
)
@settings(max_examples=40, deadline=None)
def test_any_valid_body_size_draws_adults_in_range(male, height, weight, rho, seed):
    spec = BodySize(
        male_fraction=male,
        height_cm_male=height,
        height_cm_female=height,
        weight_kg_male=weight,
        weight_kg_female=weight,
        height_weight_correlation=rho,
    )
    b = draw_bodies(spec, seed, np.arange(40))
    assert b["height_cm"].between(130, 210).all() and b["body_weight_kg"].between(35, 200).all()
    pd.testing.assert_frame_equal(b, draw_bodies(spec, seed, np.arange(40)))
    if height[1] == 0:
        assert (b["height_cm"] == height[0]).all()

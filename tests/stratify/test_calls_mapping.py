"""Genotype and phenotype calls, and the mapping from them to model parameters: directions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tmesim.cohorts.population import sample_population
from tmesim.model import build_model
from tmesim.parameters.presets import get_preset
from tmesim.stratify.calls import genotype_calls, phenotype_calls
from tmesim.stratify.mapping import MAPPING, MEDIAN_TMB, mapping_table, personalize
from tmesim.stratify.panel import PANEL, applicable, match_received
from tmesim.therapies.dosing import Subject, dose_events

HUMAN = [p for p in MEDIAN_TMB]


def mutations(rows):
    return pd.DataFrame(rows, columns=["sample", "gene", "alteration", "kind"])


@pytest.mark.parametrize(
    ("gene", "kind", "called"),
    [
        ("JAK1", "loss_of_function", True),
        ("JAK2", "deletion", True),
        ("IFNGR1", "deletion", True),
        ("IRF1", "loss_of_function", True),
        ("SOCS1", "amplification", True),
        ("PIAS4", "amplification", True),
        ("JAK1", "missense", False),
        ("IFNGR1", "shallow_deletion", False),
        ("SOCS1", "deletion", False),
        ("JAK2", "amplification", False),
    ],
)
def test_ifng_pathway_loss_rule(gene, kind, called):
    g = genotype_calls(["a"], mutations([("a", gene, kind, kind)]))
    assert bool(g.loc["a", "ifng_pathway_loss"]) is called


def test_antigen_presentation_loss_needs_a_damaging_b2m_or_hla_change():
    rows = [
        ("a", "B2M", "x", "loss_of_function"),
        ("b", "B2M", "x", "missense"),
        ("c", "HLA-A", "x", "deletion"),
    ]
    g = genotype_calls(["a", "b", "c"], mutations(rows))
    assert g["antigen_presentation_loss"].tolist() == [True, False, True]


def test_phenotype_priority_puts_tumor_intrinsic_defects_first():
    scores = pd.DataFrame(
        {
            "myeloid": [2.0, 2.0, -1.0],
            "tcell_inflamed_gep": [1.0, 1.0, -1.0],
            "exhaustion": [0.0, 0.0, 0.0],
            "cytolytic": [0.0, 0.0, 0.0],
            "mhc1_presentation": [0.0, 0.0, 0.0],
        },
        index=["a", "b", "c"],
    )
    g = genotype_calls(["a", "b", "c"], mutations([("a", "JAK2", "x", "deletion")]))
    calls = phenotype_calls(scores, g)
    assert calls["phenotype"].tolist() == [
        "IFN-γ pathway loss",
        "myeloid-suppressed",
        "immune desert",
    ]


def test_every_mapping_row_moves_a_model_parameter_with_its_reasoning(model):
    ids = set(model.parameter_ids)
    for row in MAPPING:
        assert row.parameter in ids
        assert len(row.reasoning) > 20 and row.source
    assert not mapping_table()["coefficient"].isna().any()


@pytest.mark.parametrize(
    ("feature", "parameter"),
    [
        ("tam_m2", "tam_capacity_density"),
        ("monocytic_mdsc", "tumor_myeloid_factor"),
        ("granulocytic_mdsc", "mdsc_recruitment_rate"),
        ("trem2_macrophage", "tam_trem2_conversion_rate"),
        ("tcell_inflamed_gep", "cd8_naive_precursors"),
        ("exhaustion_excess", "cd8_exhaustion_rate"),
    ],
)
def test_a_higher_score_moves_its_parameter_up(feature, parameter):
    base = get_preset("human_melanoma")
    low, _ = personalize(base, {feature: -1.0})
    high, _ = personalize(base, {feature: 1.0})
    assert low[parameter].value < base[parameter].value < high[parameter].value


def test_myeloid_score_lowers_the_density_needed_for_suppression():
    base = get_preset("human_melanoma")
    high, _ = personalize(base, {"myeloid": 2.0})
    assert high["myeloid_suppression_half"].value < base["myeloid_suppression_half"].value


def test_genotype_calls_switch_biology_off_in_every_clone():
    base = get_preset("human_nsclc")
    ps, changes = personalize(base, {"ifng_pathway_loss": True, "antigen_presentation_loss": True})
    assert all(ps[f"clone_{k}_ifng_sensing"].value == 0.0 for k in range(4))
    assert all(ps[f"clone_{k}_mhc1"].value <= 0.1 for k in range(4))
    assert ps["clone_0_ifng_sensing"].prior.kind == "fixed"
    assert set(changes["feature"]) == {"ifng_pathway_loss", "antigen_presentation_loss"}


def test_tmb_at_the_indication_median_leaves_breadth_and_more_raises_it():
    for preset in ("human_melanoma", "human_crc_pmmr"):
        base = get_preset(preset)
        at, _ = personalize(base, {"tmb": MEDIAN_TMB[preset][0]})
        more, _ = personalize(base, {"tmb": 4 * MEDIAN_TMB[preset][0]})
        b = base["tumor_antigen_breadth"].value
        assert at["tumor_antigen_breadth"].value == pytest.approx(b)
        assert more["tumor_antigen_breadth"].value > 2 * b


def test_the_profile_narrows_the_prior_it_moves():
    base = get_preset("human_melanoma")
    ps, _ = personalize(base, {"tcell_inflamed_gep": 0.0})
    assert ps["cd8_naive_precursors"].prior.cv < base["cd8_naive_precursors"].prior.cv


@pytest.mark.parametrize("preset", HUMAN)
def test_personalized_priors_of_every_indication_can_be_sampled(preset):
    model = build_model()
    features = {
        "myeloid": 1.5,
        "tam_m2": 1.0,
        "tcell_inflamed_gep": -1.0,
        "tmb": 30.0,
        "ifng_pathway_loss": True,
        "antigen_presentation_loss": True,
        "msi_high": True,
    }
    ps, _ = personalize(get_preset(preset), features)
    P, _ = sample_population(ps, model, np.arange(5), seed=1)
    assert np.all(np.isfinite(P)) and np.all(P >= 0)
    assert math.isclose(P[0, model.parameter_index("clone_0_ifng_sensing")], 0.0)


def test_every_candidate_doses_a_human_and_car_t_needs_cd19():
    human = Subject(species="human")
    for c in PANEL:
        assert dose_events(c.regimen, human)
    car_t = [c for c in PANEL if c.antigen]
    assert car_t and not applicable(car_t[0], ()) and applicable(car_t[0], ("cd19",))
    assert match_received("Opdivo + Yervoy").name == "anti-PD-1 + anti-CTLA-4"

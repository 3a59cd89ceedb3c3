"""The pipeline end to end: mechanism (IFN-γ loss → anti-CTLA-4 benefit falls), scale invariance of
the predictions, determinism across threads, the command line, and recovery of a known truth."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tmesim.cli import app
from tmesim.model import build_model
from tmesim.parameters.presets import get_preset
from tmesim.stratify.ensembles import EnsembleSettings, grow_ensembles, simulate_candidate
from tmesim.stratify.mapping import personalize
from tmesim.stratify.panel import candidate
from tmesim.stratify.pipeline import StratifySettings, stratify
from tmesim.stratify.profiles import Profiles, load_profiles, read_expression, signature_coverage
from tmesim.stratify.scores import signature_scores
from tmesim.stratify.synthetic import make_synthetic_cohort, rescale


def test_ifng_pathway_loss_call_turns_sensing_off_and_anti_ctla4_benefit_falls():
    """Gao 2016: tumors that lose IFN-γ signalling escape anti-CTLA-4. The same virtual patients
    (same seed), with and without the genotype call."""
    model = build_model()
    base = get_preset("human_melanoma")
    profile = {"tcell_inflamed_gep": 1.0}
    intact, _ = personalize(base, profile)
    lost, _ = personalize(base, {**profile, "ifng_pathway_loss": True})
    assert lost["clone_0_ifng_sensing"].value == 0.0 and intact["clone_0_ifng_sensing"].value == 1.0
    settings = EnsembleSettings(members=48, seed=11, cache=False)
    # the same sample name gives the same seed: the same virtual patients but for the genotype
    (same,) = grow_ensembles([("same", "human_melanoma", intact)], model, settings)
    (other,) = grow_ensembles([("same", "human_melanoma", lost)], model, settings)
    ensembles = [same, replace(other, sample="same-lost")]
    out = simulate_candidate(ensembles, candidate("anti-CTLA-4"), model, settings)
    by = out.groupby("sample")
    responders = by["responder"].sum()
    change = by["best_percent_change"].mean()
    assert responders["same-lost"] < responders["same"]
    assert change["same-lost"] > change["same"] + 10.0


def small_settings(**kw) -> StratifySettings:
    return StratifySettings(
        ensemble={"members": 2, "seed": 3, "cache": False},
        regimens=["anti-PD-1", "anti-CTLA-4"],
        **kw,
    )


def test_predictions_do_not_depend_on_the_expression_scale(example_files):
    tpm = read_expression(example_files["expression"])
    results = []
    for scale in ("tpm", "rank"):
        expr = rescale(tpm, scale)
        settings = small_settings().model_copy(update={"regimens": ["anti-CTLA-4"]})
        results.append(stratify(Profiles(expr, signature_coverage(expr)), settings))
    a, b = results
    pd.testing.assert_frame_equal(a.scores, b.scores, atol=1e-9, rtol=0)
    pd.testing.assert_frame_equal(a.predictions, b.predictions)
    assert (a.table["recommended"] == b.table["recommended"]).all()


def test_same_seed_same_result_on_one_or_two_threads(example_files):
    profiles = load_profiles(example_files["expression"], mutations=example_files["mutations"])
    one = stratify(profiles, small_settings(), n_threads=1)
    two = stratify(profiles, small_settings(), n_threads=2)
    pd.testing.assert_frame_equal(one.members, two.members)


def test_command_line_end_to_end(tmp_path, example_files):
    out = tmp_path / "run"
    args = [
        "stratify",
        "--out",
        str(out),
        "--members",
        "4",
        "--quiet",
        "--regimen",
        "anti-PD-1",
        "--regimen",
        "anti-PD-1 + anti-CTLA-4",
    ]
    for name in ("expression", "mutations", "clinical", "labels"):
        args += [f"--{name}", str(example_files[name])]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "stratification.csv", index_col="sample")
    assert len(table) == len(read_expression(example_files["expression"]).columns)
    assert table["recommended"].isin(["anti-PD-1", "anti-PD-1 + anti-CTLA-4"]).all()
    assert table["p_anti_pd_1"].between(0, 1).all()
    assert (table["p_anti_pd_1_low"] <= table["p_anti_pd_1"]).all()
    auc = pd.read_csv(out / "auc.csv")
    assert auc["predictor"].iloc[0].startswith("tmesim predicted response")
    html = (out / "report.html").read_text()
    assert "data:image/png;base64" in html and "Ranked regimens per patient" in html
    assert (out / "manifest.json").exists()


def test_command_line_reports_bad_input_and_writes_nothing(tmp_path, example_files):
    bad = tmp_path / "e.tsv"
    read_expression(example_files["expression"]).T.to_csv(bad, sep="\t")
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["stratify", "--expression", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert "transpose" in result.output
    assert not out.exists()


def test_synthetic_truth_is_recovered_by_the_calls():
    from tmesim.stratify.calls import genotype_calls
    from tmesim.stratify.profiles import alteration_kind

    cohort = make_synthetic_cohort(40, seed=21)
    scores = signature_scores(rescale(cohort.expression, "log2"))
    truth = cohort.truth
    assert ((scores["myeloid"] > 0.5) == truth["myeloid_high"]).mean() >= 0.8
    assert (
        scores.loc[truth["mhc_loss"], "mhc1_presentation"].max()
        < scores.loc[~truth["mhc_loss"], "mhc1_presentation"].median()
    )
    m = cohort.mutations.set_axis(["sample", "gene", "alteration"], axis=1)
    m["kind"] = [alteration_kind(a) for a in m["alteration"]]
    calls = genotype_calls(list(truth.index), m)  # passengers must not be called
    assert (calls["ifng_pathway_loss"] == truth["ifng_loss"]).all()
    assert (calls["antigen_presentation_loss"] == truth["mhc_loss"]).all()


@pytest.mark.slow
def test_recommendations_make_more_true_tumors_respond_than_anti_pd1_for_all():
    from tmesim.stratify.calls import genotype_calls
    from tmesim.stratify.profiles import alteration_kind
    from tmesim.stratify.synthetic import known_best, truth_outcomes

    cohort = make_synthetic_cohort(24, seed=5)
    m = cohort.mutations.set_axis(["sample", "gene", "alteration"], axis=1)
    m["kind"] = [alteration_kind(a) for a in m["alteration"]]
    calls = genotype_calls(list(cohort.truth.index), m)
    assert (calls["ifng_pathway_loss"] == cohort.truth["ifng_loss"]).all()
    assert (calls["antigen_presentation_loss"] == cohort.truth["mhc_loss"]).all()
    profiles = Profiles(cohort.expression, signature_coverage(cohort.expression), m)
    result = stratify(
        profiles, StratifySettings(ensemble={"members": 8, "seed": 1, "cache": False})
    )
    outcomes = truth_outcomes(cohort).set_index(["sample", "regimen"])["responder"]
    chosen = [outcomes[(s, r)] for s, r in result.table["recommended"].items()]
    pd1 = [outcomes[(s, "anti-PD-1")] for s in result.table.index]
    assert np.mean(chosen) > np.mean(pd1)
    assert known_best(truth_outcomes(cohort)).notna().all()

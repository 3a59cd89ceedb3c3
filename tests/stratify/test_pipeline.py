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
    responders = out.groupby("sample")["responder"].sum()
    assert responders["same-lost"] < responders["same"]
    # paired by virtual patient: losing IFN-γ sensing worsens the best change of more of them
    # than it improves, and on average
    change = out.pivot(index="member", columns="sample", values="best_percent_change").dropna()
    worse = change["same-lost"] - change["same"]
    assert len(change) >= 40
    assert (worse > 0.5).sum() > (worse < -0.5).sum()
    assert worse.mean() > 0.0


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
    assert a.table["recommended"].equals(b.table["recommended"])  # NaN: no evaluable member


def test_every_profile_gets_a_recommendation_or_the_reason_it_has_none(example_files):
    profiles = load_profiles(example_files["expression"], mutations=example_files["mutations"])
    table = stratify(profiles, small_settings()).table
    assert table["driver"].notna().all()
    missing = table["recommended"].isna()
    assert table.loc[missing, "driver"].str.startswith("no virtual patient").all()
    assert table.loc[~missing, "recommended"].isin(["anti-PD-1", "anti-CTLA-4"]).all()


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


def test_closed_form_drug_states_match_stepping_them():
    """Daily oral eganelisib: the gut depot and plasma amount in closed form give the trajectory
    the solver gets by stepping through them at a tight tolerance; a wrong state is refused."""
    from tmesim.engines.qsp.compiled import compiled_kernel
    from tmesim.engines.qsp.exact_depots import exact_states
    from tmesim.errors import ConfigError
    from tmesim.simulation import Simulation, simulate
    from tmesim.solvers import DoseSchedule, ExactStates, SolverSettings, solve
    from tmesim.stratify.ensembles import _arm_parameters

    model = build_model()
    base = get_preset("human_melanoma")
    settings = EnsembleSettings(members=4, seed=2, cache=False)
    (e,) = grow_ensembles([("x", "human_melanoma", base)], model, settings)
    c = candidate("anti-PD-1 + IPI-549")
    idx, values = _arm_parameters(model, "human_melanoma", c.regimen)
    P = e.baseline.P[e.baseline.plausible].copy()
    P[:, idx] = values
    Y = e.baseline.Y[e.baseline.plausible]
    n = len(P)
    sched = Simulation(base, regimen=c.regimen, model=model).dose_schedule(1, until_day=42)
    doses = DoseSchedule(
        np.arange(n + 1) * len(sched.t),
        np.tile(sched.t, n),
        np.tile(sched.state, n),
        np.tile(sched.amount, n),
    )
    days = np.array([0.0, 7.5, 21.0, 42.0])
    tight = SolverSettings(rtol=1e-9, atol=1e-12)
    stepped = simulate(model, P, Y, days, doses, settings=tight)
    exact = simulate(model, P, Y, days, doses, settings=tight, exact_depots=True)
    assert np.all(exact.status == 0) and np.all(stepped.status == 0)
    # Both at rtol 1e-9: their global errors after six weeks of daily doses differ by ~1e-6
    # relative (seen on a tumor shrinking to a few cells), far below any reading of the result.
    np.testing.assert_allclose(exact.observables, stepped.observables, rtol=1e-5, atol=1e-9)
    loose = simulate(
        model, P, Y, days, doses, settings=SolverSettings(rtol=1e-5), exact_depots=True
    )
    assert (
        loose.n_steps.mean()
        < 0.5
        * simulate(model, P, Y, days, doses, settings=SolverSettings(rtol=1e-5)).n_steps.mean()
    )
    lin = exact_states(model, P)
    assert model.species_index("ipi549_central") in lin.idx
    wrong = ExactStates(
        np.array([model.species_index("tumor_antigen")]), np.array([-1]), lin.k[:, :1], lin.a[:, :1]
    )
    with pytest.raises(ConfigError, match="right-hand side"):
        solve(compiled_kernel(model), Y, P, 0.0, days, doses, exact=wrong, settings=tight)

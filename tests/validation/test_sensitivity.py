"""`tmesim sensitivity`: indices against analytic cases, on the real model, determinism,
provenance of parameters, the flag of outputs carried by assumed values, and CLI errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tmesim.cli import app
from tmesim.errors import ConfigError
from tmesim.io.manifest import read_manifest
from tmesim.parameters.parameter_set import Parameter
from tmesim.parameters.presets import get_preset
from tmesim.validation.provenance import classify_parameter, weakest
from tmesim.validation.record import CalibrationRecord, FittedParameter, load_record
from tmesim.validation.sensitivity import plan_sensitivity, run_sensitivity
from tmesim.validation.sensitivity.design import Factor, analyze, choose_factors, sample
from tmesim.validation.sensitivity.evaluate import presets_read, trimmed_targets
from tmesim.validation.sensitivity.run import carried_by
from tmesim.validation.targets import load_targets

EMPTY = CalibrationRecord(method="none", config="none")


def _factors(names: str) -> list[Factor]:
    return [Factor(n, "1/day", {"p": 1.0}, {"p": "sourced"}) for n in names]


def _index(table: pd.DataFrame, parameter: str, index: str, column: str = "value") -> float:
    return float(
        table[(table["parameter"] == parameter) & (table["index"] == index)][column].iloc[0]
    )


# --- analytic cases ---------------------------------------------------------------------------


def test_morris_on_a_linear_function_gives_each_slope_over_the_range() -> None:
    """y = 3·u_a + 0·u_c + a quadratic in u_b: mu* of a is its change over [-1, 1] (6), with no
    spread (sigma 0); c, absent, gets 0; b, non-linear, gets sigma > 0."""
    factors = _factors("abc")
    U = sample("morris", factors, 10, seed=1)
    Y = 3.0 * U[:, 0] + 0.5 * U[:, 1] ** 2
    table, dropped = analyze("morris", factors, U, Y, seed=1)
    assert dropped == 0
    assert _index(table, "a", "mu_star") == pytest.approx(6.0)
    assert _index(table, "a", "sigma") == pytest.approx(0.0, abs=1e-12)
    assert _index(table, "c", "mu_star") == pytest.approx(0.0, abs=1e-12)
    assert _index(table, "b", "sigma") > 0.1


def test_sobol_indices_of_the_ishigami_function() -> None:
    """Ishigami (a = 7, b = 0.1) on [-π, π]³ has S1 = (0.314, 0.442, 0) and ST = (0.558, 0.442,
    0.244) (Saltelli et al. 2008, Global Sensitivity Analysis: The Primer, §4.7)."""
    factors = _factors("xyz")
    U = sample("sobol", factors, 1024, seed=2)
    x = np.pi * U
    Y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    table, _ = analyze("sobol", factors, U, Y, seed=2)
    expected = {("x", "S1"): 0.314, ("y", "S1"): 0.442, ("z", "S1"): 0.0}
    expected |= {("x", "ST"): 0.558, ("y", "ST"): 0.442, ("z", "ST"): 0.244}
    for (name, index), value in expected.items():
        assert _index(table, name, index) == pytest.approx(value, abs=0.05)
        low, high = _index(table, name, index, "ci_low"), _index(table, name, index, "ci_high")
        assert low < _index(table, name, index) < high


def test_a_failed_run_drops_its_trajectory_not_the_analysis() -> None:
    factors = _factors("ab")
    U = sample("morris", factors, 6, seed=0)
    Y = 2.0 * U[:, 0]
    Y[4] = np.nan  # inside the second trajectory (rows 3..5)
    table, dropped = analyze("morris", factors, U, Y, seed=0)
    assert dropped == 1
    assert _index(table, "a", "mu_star") == pytest.approx(4.0)


def test_fold_ranges_keep_fractions_inside_zero_one() -> None:
    f = Factor("ipi549_emax", "1", {"p": 0.8}, {"p": "sourced"})
    low, mid, high = f.values(np.array([-1.0, 0.0, 1.0]), fold=3.0)["p"]
    assert mid == pytest.approx(0.8)
    assert 0 < low < mid < high < 1
    g = Factor("cd8_kill_rate", "1/day", {"p": 2.0}, {"p": "sourced"})
    assert g.values(np.array([-1.0, 1.0]), fold=3.0)["p"].tolist() == pytest.approx([2 / 3, 6])


# --- the real model ---------------------------------------------------------------------------


def _observable_plan(**kwargs):
    return plan_sensitivity(
        observable="tumor_volume",
        preset="mouse_4t1",
        days=10,
        parameters=["tumor_growth_rate", "ipi549_emax"],
        **kwargs,
    )


def test_an_untreated_tumor_does_not_depend_on_a_drug_it_is_not_given(tmp_path) -> None:
    """Untreated 4T1: the volume at day 10 moves with the growth rate, not with IPI-549's
    maximal effect (no IPI-549 is given)."""
    plan = _observable_plan(size=4)
    result = run_sensitivity(plan, tmp_path, threads=1)
    t = result.table
    growth, drug = _index(t, "tumor_growth_rate", "mu_star"), _index(t, "ipi549_emax", "mu_star")
    volumes = result.samples["tumor_volume"]
    assert growth > 0.1 * volumes.mean()
    assert drug <= 1e-9 * growth
    assert result.carried_by["top_parameter"].iloc[0] == "tumor_growth_rate"
    for name in ("sensitivity.csv", "carried_by.csv", "samples.csv", "sensitivity.png"):
        assert (tmp_path / name).stat().st_size > 0
    assert read_manifest(tmp_path)["seed"] == plan.seed
    written = pd.read_csv(tmp_path / "sensitivity.csv")
    assert set(written["provenance"]) <= {"sourced", "calibrated", "assumed"}


def test_a_target_metric_moves_with_what_it_depends_on(tmp_path) -> None:
    """Through the validation runner: nivolumab's simulated half-life moves with its clearance,
    not with IPI-549's maximal effect."""
    plan = plan_sensitivity(
        targets=["antibody_half_life_nivolumab"],
        parameters=["anti_pd1_clearance", "ipi549_emax"],
        size=2,
    )
    result = run_sensitivity(plan, tmp_path, threads=1)
    t = result.table
    clearance = _index(t, "anti_pd1_clearance", "mu_star")
    assert clearance > 0.2 * result.samples["antibody_half_life_nivolumab"].mean()
    assert _index(t, "ipi549_emax", "mu_star") <= 1e-6 * clearance


def test_same_seed_same_indices_whatever_the_thread_count(tmp_path) -> None:
    plan = _observable_plan(size=3, seed=5)
    one = run_sensitivity(plan, tmp_path / "one", threads=1)
    two = run_sensitivity(plan, tmp_path / "two", threads=2)
    pd.testing.assert_frame_equal(one.table, two.table)
    pd.testing.assert_frame_equal(one.samples, two.samples)
    other = run_sensitivity(_observable_plan(size=3, seed=6), tmp_path / "other", threads=1)
    assert not np.array_equal(one.samples.to_numpy(), other.samples.to_numpy())


# --- parameters: which, and where their values come from ------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("assumed: dead-cell antigen cleared within about a day", "assumed"),
        ("calibrated: each CTL kills ~4 tumor cells/day", "calibrated"),
        ("Del Monte 2009 Cell Cycle (about 1e8 cells per cm³) [r]", "sourced"),
        ("Sové et al. 2020 form T/(T + K·Treg) (K_TReg 11); calibrated to 5", "calibrated"),
        ("Sharma et al. 2019 [r]; rate assumed small, not zero", "assumed"),
        ("calibrated: cell loss 63% ...; assumed: doubling as in other carcinomas", "calibrated"),
    ],
)
def test_provenance_from_the_source_text(source: str, expected: str) -> None:
    assert classify_parameter(Parameter("k", 1.0, "1/day", source), "p", EMPTY) == expected


def test_a_value_fitted_by_calibrate_is_calibrated_whatever_its_text() -> None:
    fitted = FittedParameter(id="k", preset="p", value=1.0, units="1/day", source="x")
    record = CalibrationRecord(method="m", config="c", parameters=[fitted])
    cited = Parameter("k", 1.0, "1/day", "Smith 2020 Table 1")
    assert classify_parameter(cited, "p", record) == "calibrated"
    assert classify_parameter(cited, "other_preset", record) == "sourced"
    shipped = load_record().parameters[0]
    assert classify_parameter(get_preset(shipped.preset)[shipped.id], shipped.preset) == (
        "calibrated"
    )
    assert weakest(["sourced", "calibrated"]) == "calibrated"


def test_default_parameters_are_those_with_a_prior_and_switches_are_refused() -> None:
    factors, _ = choose_factors(["mouse_4t1"])
    assert {f.id for f in factors} == {p.id for p in get_preset("mouse_4t1").varied()}
    globbed, notes = choose_factors(["mouse_4t1"], ["tumor_growth*"])
    assert [f.id for f in globbed] == ["tumor_growth_rate"]  # the growth law is a 0/1 switch
    assert any("tumor_growth_gompertz" in n for n in notes)
    with pytest.raises(ConfigError, match="switch"):
        choose_factors(["mouse_b16f10"], ["clone_0_ifng_sensing"])
    with pytest.raises(ConfigError, match="the experiment"):
        choose_factors(
            ["mouse_4t1"], ["cd8_kill_rate"], exclude={"cd8_kill_rate": "the experiment"}
        )


def test_values_a_target_study_sets_itself_are_not_varied() -> None:
    """The drug catalog's PK replaces the preset's in every treated arm, and a cohort's own
    values are its experiment: varying either would be a no-op or undo the experiment."""
    with pytest.raises(ConfigError, match="drug catalog"):
        plan_sensitivity(targets=["checkmate067_orr_nivolumab"], parameters=["anti_pd1_clearance"])
    plan = plan_sensitivity(targets=["gao_2016_ifngr1_knockdown_escapes_anti_ctla4"])
    assert "clone_0_ifng_sensing" not in {f.id for f in plan.factors}


def test_a_target_study_is_cut_to_the_groups_its_metric_reads() -> None:
    ids = ["de_henau_2016_4t1_checkpoint_ipi549_cr", "de_henau_2016_4t1_checkpoint_cr"]
    cut = trimmed_targets(load_targets(ids))
    for t in cut:
        assert [c.name for c in t.scenario.cohorts] == ["4T1"]
        assert [a.name for a in t.scenario.arms] == ["checkpoint", "checkpoint + IPI-549"]
        assert t.scenario.rechallenge is None
    b16 = ["de_henau_2016_b16gmcsf_checkpoint_ipi549_cr", "de_henau_2016_b16f10_no_ipi549_benefit"]
    gmcsf, f10 = trimmed_targets(load_targets(b16))
    assert {c.name for c in f10.scenario.cohorts} == {"B16-GMCSF", "B16-F10"}  # one shared run
    assert presets_read(gmcsf) == ["mouse_b16_gmcsf"]
    assert presets_read(f10) == ["mouse_b16f10"]
    (rechallenge,) = trimmed_targets(load_targets(["de_henau_2016_rechallenge_rejection"]))
    assert rechallenge.scenario.rechallenge is not None


# --- outputs carried by assumed values --------------------------------------------------------


def _main_rows(values: dict[str, tuple[str, float]]) -> pd.DataFrame:
    rows = [
        {"output": "t", "parameter": p, "provenance": prov, "index": "mu_star", "value": v}
        for p, (prov, v) in values.items()
    ]
    table = pd.DataFrame(rows)
    table["rank"] = table["value"].rank(ascending=False, method="first").astype(int)
    return table


@pytest.mark.parametrize(
    ("values", "flagged"),
    [
        ({"a": ("assumed", 5.0), "b": ("sourced", 4.0), "c": ("sourced", 4.0)}, True),
        ({"a": ("sourced", 5.0), "b": ("assumed", 4.0), "c": ("assumed", 4.0)}, True),
        ({"a": ("calibrated", 5.0), "b": ("assumed", 3.0), "c": ("sourced", 1.0)}, False),
    ],
)
def test_an_output_carried_by_assumed_values_is_flagged(values, flagged: bool) -> None:
    row = carried_by(_main_rows(values), "morris").iloc[0]
    assert bool(row["carried_by_assumed"]) is flagged
    total = sum(v for _, v in values.values())
    assumed = sum(v for p, v in values.values() if p == "assumed")
    assert row["share_assumed"] == pytest.approx(assumed / total, abs=1e-4)


# --- command line -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--target", "de_henau_2016_4t1_checkpoint_ipi549"],
            "de_henau_2016_4t1_checkpoint_ipi549_cr",
        ),
        (["--observable", "tumor_volum", "--preset", "mouse_4t1"], "'tumor_volume'"),
        (["--observable", "tumor_volume"], "--preset"),
        (["--observable", "tumor_volume", "--preset", "mouse_4t1", "--method", "sobl"], "'sobol'"),
        (
            ["--observable", "tumor_volume", "--preset", "mouse_4t1", "--parameter", "cd8_kil"],
            "'cd8_kill_rate'",
        ),
        (["--observable", "tumor_volume", "--preset", "mouse_4t1", "--samples", "8"], "--samples"),
        (["--observable", "tumor_volume", "--preset", "mouse_4t1", "--fold", "1"], "--fold"),
    ],
)
def test_bad_input_is_a_clear_error(args: list[str], message: str, tmp_path) -> None:
    result = CliRunner().invoke(app, ["sensitivity", *args, "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert message in result.output
    assert not any(tmp_path.iterdir())


def test_cli_prints_the_cost_and_writes_the_table(tmp_path) -> None:
    args = ["sensitivity", "--observable", "tumor_volume", "--preset", "mouse_4t1", "--days", "5"]
    args += ["--parameter", "tumor_growth_rate", "--trajectories", "2", "-q", "-j", "1"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "4 evaluations" in result.output
    table = pd.read_csv(tmp_path / "sensitivity.csv")
    assert set(table["index"]) == {"mu_star", "mu", "sigma"}
    assert math.isfinite(table["value"].iloc[0])

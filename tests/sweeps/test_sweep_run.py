"""A small sweep end to end: common random numbers, the tables, the report, resuming."""

from __future__ import annotations

import copy
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from tmesim.cli import app
from tmesim.config.overrides import set_entries
from tmesim.config.sweep import sweep_from_dict
from tmesim.config.yamlio import dump_yaml
from tmesim.sweeps.design import design_points
from tmesim.sweeps.endpoints import COLUMNS, point_endpoints
from tmesim.sweeps.run import run_sweep

PD1 = {"drug": "rmp1-14", "amount": 200, "unit": "ug", "every_days": 3.5, "count": 4}
IPI549 = {"drug": "ipi-549", "amount": 15, "unit": "mg/kg", "every_days": 1, "count": 14}
STUDY = {
    "title": "small 4T1 study",
    "seed": 5,
    "follow_up_days": 20,
    "chunk_size": 8,
    "cohorts": [{"name": "4T1", "preset": "mouse_4t1", "n": 8}],
    "arms": [
        {"name": "control"},
        {"name": "anti-PD-1", "regimen": [PD1]},
        {"name": "IPI-549", "regimen": [IPI549]},
        {"name": "both", "regimen": [PD1, IPI549]},
    ],
}
PD1_AXIS = {
    "name": "anti-PD-1 (ug)",
    "path": ["arms.1.regimen.0.amount", "arms.3.regimen.0.amount"],
    "values": [100, 200],
}
IPI_AXIS = {
    "name": "IPI-549 (mg/kg)",
    "path": ["arms.2.regimen.0.amount", "arms.3.regimen.1.amount"],
    "values": [5, 15],
}
SWEEP = {
    "title": "anti-PD-1 × IPI-549",
    "study": STUDY,
    "axes": [PD1_AXIS, IPI_AXIS],
    "landmarks_days": [10],
    "synergy": {
        "a": "anti-PD-1",
        "b": "IPI-549",
        "combination": "both",
        "bootstrap": 200,
        "dose_a": "anti-PD-1 (ug)",
        "dose_b": "IPI-549 (mg/kg)",
    },
}
ENDPOINT_COLUMNS = [c for c in COLUMNS]


def _invoke(*args) -> None:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def sweep_a(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep")
    (folder / "sweep.yaml").write_text(dump_yaml(SWEEP))
    _invoke("sweep", folder / "sweep.yaml", "--out", folder / "out", "--quiet", "-j", "1")
    return folder / "out"


def test_the_table_has_every_point_arm_and_endpoint_with_intervals(sweep_a) -> None:
    table = pd.read_parquet(sweep_a / "sweep.parquet")
    assert set(table["point"]) == {0, 1, 2, 3}
    expected = {"tumor_free", "median survival to endpoint", "survival to endpoint at day 10"}
    assert set(table["endpoint"]) == expected
    assert len(table) == 4 * 4 * len(expected)
    assert list(table.columns[:3]) == ["point", "anti-PD-1 (ug)", "IPI-549 (mg/kg)"]
    fractions = table[table["unit"] == "fraction"]
    assert ((fractions["ci_low"] <= fractions["estimate"] + 1e-12)
            & (fractions["estimate"] <= fractions["ci_high"] + 1e-12)).all()  # fmt: skip
    assert (table["n"] == 8).all()
    csv = pd.read_csv(sweep_a / "sweep.csv")
    assert len(csv) == len(table)


def test_the_report_and_the_synergy_table_are_written(sweep_a) -> None:
    page = (sweep_a / "sweep.html").read_text()
    assert "Heatmaps" in page and "Synergy" in page and "Bliss excess" in page
    assert page.count("data:image/png;base64,") >= 3
    synergy = pd.read_parquet(sweep_a / "synergy.parquet")
    assert set(synergy["measure"]) == {"Bliss excess", "HSA excess", "Loewe index"}
    assert len(synergy) == 4 * 3
    assert synergy["paired"].all()
    # Bliss and HSA from the same response fractions the table holds
    table = pd.read_parquet(sweep_a / "sweep.parquet")
    free = table[table["endpoint"] == "tumor_free"].set_index(["point", "arm"])["estimate"]
    bliss = synergy[synergy["measure"] == "Bliss excess"].set_index("point")
    for point, row in bliss.iterrows():
        e_a, e_b, e_ab = (free[(point, arm)] for arm in ("anti-PD-1", "IPI-549", "both"))
        assert row["estimate"] == pytest.approx(e_ab - (e_a + e_b - e_a * e_b))
    manifest = json.loads((sweep_a / "manifest.json").read_text())
    assert manifest["command"] == "sweep" and "sweep.html" in manifest["files"]


def test_the_arms_no_axis_touches_are_the_same_at_every_point(sweep_a) -> None:
    table = pd.read_parquet(sweep_a / "sweep.parquet")
    control = table[table["arm"] == "control"]
    first = control[control["point"] == 0][ENDPOINT_COLUMNS].reset_index(drop=True)
    for point in (1, 2, 3):
        other = control[control["point"] == point][ENDPOINT_COLUMNS].reset_index(drop=True)
        pd.testing.assert_frame_equal(first, other)
    # anti-PD-1 alone depends only on its own dose: equal along the IPI-549 axis
    alone = table[table["arm"] == "anti-PD-1"]
    for a, b in ((0, 1), (2, 3)):
        pd.testing.assert_frame_equal(
            alone[alone["point"] == a][ENDPOINT_COLUMNS].reset_index(drop=True),
            alone[alone["point"] == b][ENDPOINT_COLUMNS].reset_index(drop=True),
        )


def test_a_point_equals_the_plain_trial_of_its_study(sweep_a, tmp_path) -> None:
    point = design_points(sweep_from_dict(SWEEP))[0]
    study = set_entries(STUDY, point.entries)
    (tmp_path / "study.yaml").write_text(dump_yaml(study))
    _invoke("trial", tmp_path / "study.yaml", "--out", tmp_path / "trial", "--quiet",
            "--no-report", "-j", "1")  # fmt: skip
    trial = pd.read_parquet(tmp_path / "trial" / "patients.parquet")
    swept = pd.read_parquet(sweep_a / "points" / "p0000" / "patients.parquet")
    pd.testing.assert_frame_equal(trial, swept)
    table = pd.read_parquet(sweep_a / "sweep.parquet")
    rows = table[table["point"] == 0][ENDPOINT_COLUMNS].reset_index(drop=True)
    expected = point_endpoints(trial, "mouse_study", [10])[ENDPOINT_COLUMNS]
    pd.testing.assert_frame_equal(rows, expected)


def test_another_sweep_through_the_same_point_gives_the_same_values(sweep_a, tmp_path) -> None:
    other = copy.deepcopy(SWEEP)
    other["axes"] = [{**IPI_AXIS, "values": [10, 5]}]  # anti-PD-1 fixed below
    other["synergy"] = {k: v for k, v in SWEEP["synergy"].items() if not k.startswith("dose")}
    other["study"]["arms"][1]["regimen"][0]["amount"] = 100  # anti-PD-1 at 100 µg
    other["study"]["arms"][3]["regimen"][0]["amount"] = 100
    summary = run_sweep(sweep_from_dict(other), other["study"], tmp_path / "b", progress=False,
                        report=False)  # fmt: skip
    assert summary.points == 2
    b = pd.read_parquet(tmp_path / "b" / "sweep.parquet")
    a = pd.read_parquet(sweep_a / "sweep.parquet")
    mine = b[b["point"] == 1][ENDPOINT_COLUMNS].reset_index(drop=True)  # IPI-549 5, anti-PD-1 100
    theirs = a[a["point"] == 0][ENDPOINT_COLUMNS].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, theirs)


def test_resume_runs_only_the_unfinished_points(sweep_a, tmp_path) -> None:
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(sweep_a, folder)
    before = pd.read_parquet(folder / "sweep.parquet")
    (folder / "points" / "p0002" / "point.json").unlink()
    summary = run_sweep(sweep_from_dict(SWEEP), STUDY, folder, resume=True, progress=False,
                        report=False, n_threads=1)  # fmt: skip
    assert (summary.points_run, summary.points_resumed) == (1, 3)
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "sweep.parquet"), before)


def test_a_sampled_design_runs_its_points_and_maps_them(tmp_path) -> None:
    sampled = copy.deepcopy(SWEEP)
    sampled["study"]["cohorts"][0]["n"] = 3
    sampled["study"]["follow_up_days"] = 8
    sampled["landmarks_days"] = []
    sampled["design"] = {"kind": "latin_hypercube", "n": 3, "seed": 9}
    sampled["axes"] = [
        PD1_AXIS,
        {**{k: v for k, v in IPI_AXIS.items() if k != "values"}, "range": [0.1, 15.0],
         "scale": "log"},
    ]  # fmt: skip
    summary = run_sweep(sweep_from_dict(sampled), sampled["study"], tmp_path / "s",
                        progress=False, n_threads=1)  # fmt: skip
    assert summary.points == 3
    table = pd.read_parquet(tmp_path / "s" / "sweep.parquet")
    doses = table.groupby("point")["IPI-549 (mg/kg)"].first()
    assert ((doses >= 0.1) & (doses <= 15.0)).all() and doses.nunique() == 3
    page = (tmp_path / "s" / "sweep.html").read_text()
    assert "at each sampled point" in page


def test_resume_refuses_a_folder_of_another_sweep(sweep_a, tmp_path) -> None:
    import shutil

    from tmesim.errors import ConfigError

    folder = tmp_path / "copy"
    shutil.copytree(sweep_a, folder)
    other = copy.deepcopy(SWEEP)
    other["axes"] = [PD1_AXIS, {**IPI_AXIS, "values": [5, 10]}]
    with pytest.raises(ConfigError, match="another sweep"):
        run_sweep(sweep_from_dict(other), STUDY, folder, resume=True, progress=False)


def test_tmesim_report_renders_a_sweep_folder_again(sweep_a, tmp_path) -> None:
    _invoke("report", sweep_a, "--out", tmp_path / "again.html")
    page = (tmp_path / "again.html").read_text()
    assert "Synergy" in page and page.count("data:image/png;base64,") >= 3

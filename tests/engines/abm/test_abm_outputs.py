"""Outputs of a spatial run: streamed snapshots, readouts, pictures, MultiCellDS export, errors."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest
import scipy.io
from hypothesis import given, settings
from hypothesis import strategies as st

from tmesim.engines.abm import AbmSettings, run_abm
from tmesim.engines.abm.agents import AgentTable
from tmesim.engines.abm.export_multicellds import LABELS
from tmesim.engines.abm.readouts import classify, spatial_readouts
from tmesim.engines.abm.rules import CD8, DEAD, TUMOR
from tmesim.engines.abm.snapshots import load_cells, load_fields, load_readouts
from tmesim.errors import ConfigError


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("abm") / "run"
    s = AbmSettings(
        dimension=2, grid=[40, 40], initial_tumor_cells=300, coupling="fixed",
        fixed={"cd8": 3e4, "monocyte": 2e4}, initial_immune_density={"m2": 5e3},
        save_every_days=0.5, multicellds=True,
    )  # fmt: skip
    return out, run_abm("mouse_4t1", settings=s, duration_days=1.0, seed=4, out_dir=out)


def test_every_snapshot_is_on_disk_and_matches_the_readouts(run):
    out, result = run
    readouts = load_readouts(out)
    assert list(readouts["snapshot"]) == [0, 1, 2]
    assert np.allclose(readouts["day"], [7.0, 7.5, 8.0])
    for i, row in readouts.iterrows():
        cells = load_cells(out, i)
        assert (cells["kind"] == "tumor").sum() == row["n_tumor"]
        assert (cells["kind"] == "cd8").sum() == row["n_cd8"]
        assert cells["uid"].is_unique
        fields = load_fields(out, i)
        assert fields["oxygen"].attrs["units"] == "mmHg" and fields["ifng"].attrs["units"] == "pM"
        assert fields["cxcl9"].shape == (1, 40, 40)
        assert float(fields["oxygen"].min()) >= 0.0
    assert result.readouts["n_tumor"].iloc[-1] == readouts["n_tumor"].iloc[-1]


def test_pictures_and_animation_are_written(run):
    out, _ = run
    pngs = sorted((out / "snapshots").glob("*.png"))
    assert len(pngs) == 3 and all(p.read_bytes()[:4] == b"\x89PNG" for p in pngs)
    assert (out / "animation.gif").read_bytes()[:3] == b"GIF"


def test_multicellds_export_follows_the_physicell_layout(run):
    out, _ = run
    folder = out / "multicellds"
    root = ET.parse(folder / "output00000002.xml").getroot()
    assert root.tag == "MultiCellDS"
    assert float(root.find("metadata/current_time").text) == pytest.approx(8.0 * 1440)
    labels = root.findall(".//simplified_data/labels/label")
    assert [lab.text for lab in labels] == [name for name, _, _ in LABELS]
    cells_file = root.find(".//simplified_data/filename").text
    cells = scipy.io.loadmat(folder / cells_file)["cells"]
    assert cells.shape[0] == sum(size for _, size, _ in LABELS)
    assert cells.shape[1] == len(load_cells(out, 2))
    micro_file = root.find(".//microenvironment/domain/data/filename").text
    micro = scipy.io.loadmat(folder / micro_file)["multiscale_microenvironment"]
    variables = root.findall(".//microenvironment/domain/variables/variable")
    assert micro.shape == (4 + len(variables), 40 * 40)
    oxygen_row = 4 + [v.get("name") for v in variables].index("oxygen")
    assert np.allclose(micro[oxygen_row], load_fields(out, 2)["oxygen"].values.ravel(), rtol=1e-6)


def test_classification_rules():
    assert classify(core=0.0, margin=10.0, desert_density=100.0, excluded_ratio=0.5) == "desert"
    assert classify(core=30.0, margin=500.0, desert_density=100.0, excluded_ratio=0.5) == "excluded"
    assert (
        classify(core=400.0, margin=500.0, desert_density=100.0, excluded_ratio=0.5) == "inflamed"
    )


def test_core_and_margin_densities_of_a_drawn_tissue():
    """A 2-D disk of tumor (radius 15 voxels) with CD8 cells placed by hand in the core only."""
    shape, dx = (1, 40, 40), 20.0
    yy, xx = np.mgrid[0:40, 0:40]
    disk = np.flatnonzero(((xx - 19.5) ** 2 + (yy - 19.5) ** 2 <= 15**2).ravel())
    center = np.flatnonzero(((xx - 19.5) ** 2 + (yy - 19.5) ** 2 <= 2**2).ravel())
    kind = np.concatenate([np.full(disk.size, TUMOR), np.full(center.size, CD8)])
    voxel = np.concatenate([disk, center])
    out = spatial_readouts(kind, voxel, np.zeros_like(kind), shape, dx, margin_um=60.0)
    core_voxels = ((xx - 19.5) ** 2 + (yy - 19.5) ** 2 <= (15 - 3) ** 2).sum()
    assert out["cd8_margin_density"] == 0.0
    assert out["cd8_core_density"] == pytest.approx(
        center.size / (core_voxels * (dx * 1e-3) ** 3), rel=0.1
    )
    assert out["immune_class"] == "inflamed"
    assert out["cd8_distance_0_20_um"] == center.size  # every CD8 cell sits on a tumor cell


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.booleans()), min_size=1, max_size=60))
def test_compaction_keeps_the_living_in_order(rows):
    table = AgentTable(4)
    table.add([k for k, _ in rows], list(range(len(rows))))
    for i, (_, dies) in enumerate(rows):
        if dies:
            table.kind[i] = DEAD
    living = [(i, k) for i, (k, dies) in enumerate(rows) if not dies]
    table.compact()
    assert table.uid[: table.n].tolist() == [i for i, _ in living]
    assert table.kind[: table.n].tolist() == [k for _, k in living]


def test_bad_settings_name_the_field_and_the_fix():
    from tmesim.config.validation import validate_config

    def check(data):
        return validate_config(AbmSettings, data, label="abm", prefix=("abm",))

    with pytest.raises(ConfigError, match="abm.grid"):
        check({"dimension": 3, "grid": [10, 10]})
    with pytest.raises(ConfigError, match="did you mean 'dt_minutes'"):
        check({"dt_minute": 5})
    with pytest.raises(ConfigError, match="initial_tumor_cells"):
        check({"grid": [10, 10], "initial_tumor_cells": 1000})
    with pytest.raises(ConfigError, match="mdsk"):
        check({"initial_immune_density": {"mdsk": 10.0}})
    with pytest.raises(ConfigError, match="did you mean 'cd8_speed'"):
        run_abm("mouse_4t1", settings=AbmSettings(grid=[10, 10], initial_tumor_cells=5,
                                                  parameters={"cd8_sped": 3}), duration_days=0.1)  # fmt: skip


def test_cli_engine_option_routes_a_scenario_to_the_spatial_engine(tmp_path):
    from typer.testing import CliRunner

    from tmesim.cli import app

    scenario = tmp_path / "tissue.yaml"
    scenario.write_text(
        "preset: mouse_b16f10\nduration_days: 0.5\nsave_every_days: 0.5\nabm:\n  grid: [24, 24]\n"
        "  initial_tumor_cells: 80\n  images: false\n"
    )
    out = tmp_path / "run"
    args = ["simulate", "--engine", "abm", str(scenario), "--out", str(out), "--quiet"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "spatial tissue" in result.output
    assert (out / "tissue-000" / "fields" / "snapshot-00000.nc").exists()
    bad = CliRunner().invoke(app, ["simulate", "--engine", "pde", str(scenario), "--quiet"])
    assert bad.exit_code == 2 and "engine" in bad.output
    typo = CliRunner().invoke(
        app, ["simulate", str(scenario), "--set", "abm.grd=[3,3]", "--quiet", "--out", str(out)]
    )
    assert typo.exit_code == 2 and "did you mean 'grid'" in typo.output

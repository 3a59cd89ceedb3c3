"""`tmesim export` and `tmesim import`: SBML and NONMEM tables from the command line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tmesim.cli import app


def test_nonmem_round_trip_on_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "doses.csv"
    text = "nivolumab 240 mg q2w x3 + ipilimumab 1 mg/kg q6w x2 from day 1"
    res = CliRunner().invoke(app, ["export", "nonmem", text, "--out", str(out), "--hours"])
    assert res.exit_code == 0, res.output
    assert pd.read_csv(out)["TIME"].tolist() == [0.0, 24.0]
    res = CliRunner().invoke(app, ["import", "nonmem", str(out), "--hours"])
    assert res.exit_code == 0, res.output
    assert res.output.strip() == f"1: {text}"


def test_a_bad_table_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("ID,TIME,AMT,EVID\n1,0,10,1\n")
    res = CliRunner().invoke(app, ["import", "nonmem", str(path)])
    assert res.exit_code == 2
    assert "DRUG" in res.output


def test_sbml_export_and_import_on_the_command_line(tmp_path: Path) -> None:
    libsbml = pytest.importorskip("libsbml")
    out = tmp_path / "mc38.xml"
    res = CliRunner().invoke(
        app,
        [
            "export",
            "sbml",
            "mouse_mc38",
            "-r",
            "anti-pd-1 200 ug biw x2 from day 7",
            "-o",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    model = libsbml.readSBMLFromFile(str(out)).getModel()
    assert model.getNumEvents() == 2 and model.getNumSpecies() > 10
    res = CliRunner().invoke(app, ["export", "sbml", "no_such_preset", "-o", str(out)])
    assert res.exit_code == 2
    res = CliRunner().invoke(app, ["import", "sbml", str(tmp_path / "missing.xml")])
    assert res.exit_code == 2 and "existing SBML file" in res.output

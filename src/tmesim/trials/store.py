"""The run folder while a study runs: parts per unit, markers of finished units, resume.

Each finished unit writes its three tables as Parquet parts and then a marker; a resumed run keeps
every unit with a marker, provided the folder holds a run of the same study (same configuration
hash). The final tables are the parts concatenated in unit order.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from tmesim.config.trial import TrialScenario
from tmesim.errors import ConfigError
from tmesim.io.atomic import atomic_write, atomic_write_text
from tmesim.solvers import SolverSettings
from tmesim.trials.study import Unit

TABLES = ("patients", "burden", "visits")
OUTPUT_FILES = (
    *(f"{name}.parquet" for name in TABLES),
    "study.json",
    "manifest.json",
    "report.html",
)


def config_payload(scenario: TrialScenario) -> dict:
    data = scenario.model_dump(mode="json")
    data.pop("output", None)
    # Every solver setting, defaults included: the rule for small populations changes results, so
    # a run started under other defaults (e.g. `extinction_interval`) is not resumed.
    # (The study has validated them before the folder is prepared.)
    data["solver_resolved"] = SolverSettings(**scenario.solver).model_dump(mode="json")
    return data


def prepare(out_dir: Path, parts: Path, config_hash: str, resume: bool) -> None:
    marker = parts / "run.json"
    if resume and marker.exists():
        previous = json.loads(marker.read_text())
        if previous.get("config_hash") != config_hash:
            raise ConfigError(
                "--resume",
                str(out_dir),
                "this folder holds a run of a different study (or other settings); resume with "
                "the same scenario and --set values, or drop --resume to start afresh",
            )
        return
    if parts.exists():
        shutil.rmtree(parts)
    for name in OUTPUT_FILES:
        (out_dir / name).unlink(missing_ok=True)
    (parts / "done").mkdir(parents=True, exist_ok=True)
    atomic_write_text(marker, json.dumps({"config_hash": config_hash}))


def write_unit(parts: Path, unit: Unit, tables: dict[str, pd.DataFrame]) -> None:
    for name in TABLES:
        path = parts / name / f"{unit.name}.parquet"
        atomic_write(path, lambda p, df=tables[name]: df.to_parquet(p, index=False))
    atomic_write_text(
        parts / "done" / f"{unit.name}.json",
        json.dumps({name: len(tables[name]) for name in TABLES}),
    )


def read_parts(parts: Path, name: str, units: list[Unit]) -> pd.DataFrame:
    frames = []
    for unit in units:
        path = parts / name / f"{unit.name}.parquet"
        if not path.exists():
            raise ConfigError(
                "run folder", str(path), "a unit of the run is missing; run again with --resume"
            )
        df = pd.read_parquet(path)
        if len(df):
            frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def finished_units(parts: Path) -> set[str]:
    """Names of the units whose marker exists."""
    return {p.stem for p in (parts / "done").glob("*.json")}

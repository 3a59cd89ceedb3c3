"""The run folder while a study runs: parts per unit, markers of finished units, resume.

Each finished unit writes its three tables as Parquet parts and then a marker; a resumed run keeps
every unit with a marker, provided the folder holds a run of the same study (same configuration
hash). The final tables are the parts concatenated in unit order.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tmesim.config.trial import TrialScenario
from tmesim.errors import ConfigError, RunError
from tmesim.io.atomic import atomic_write, atomic_write_text
from tmesim.io.outdir import remove_run_files
from tmesim.io.results import HASH_KEY
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


def _run_files(parts: Path) -> list[str]:
    """The files a study run writes (relative to the run folder): its parts, markers, tables."""
    out_dir = parts.parent
    names = list(OUTPUT_FILES)
    for folder, pattern in [*((n, "*.parquet") for n in TABLES), ("done", "*.json")]:
        names += [p.relative_to(out_dir).as_posix() for p in (parts / folder).glob(pattern)]
    return [*names, (parts / "run.json").relative_to(out_dir).as_posix()]


def prepare(out_dir: Path, parts: Path, config_hash: str, resume: bool) -> None:
    """Start (or, with ``resume``, continue) a study run in ``out_dir``: a fresh start removes
    the previous run's own files (parts, markers, tables) and nothing else."""
    marker = parts / "run.json"
    if resume and marker.exists():
        try:
            previous = json.loads(marker.read_text())
        except (OSError, ValueError):
            previous = {}
        if not isinstance(previous, dict) or previous.get("config_hash") != config_hash:
            raise ConfigError(
                "--resume",
                str(out_dir),
                "this folder holds a run of a different study (or other settings); resume with "
                "the same scenario and --set values, or drop --resume to start afresh",
            )
        return
    remove_run_files(out_dir, _run_files(parts))
    (parts / "done").mkdir(parents=True, exist_ok=True)
    atomic_write_text(marker, json.dumps({"config_hash": config_hash}))


def _write_part(path: Path, df: pd.DataFrame, config_hash: str) -> None:
    table = pa.Table.from_pandas(df, preserve_index=False)
    metadata = {**(table.schema.metadata or {}), HASH_KEY.encode(): config_hash.encode()}
    pq.write_table(table.replace_schema_metadata(metadata), path)


def write_unit(
    parts: Path, unit: Unit, tables: dict[str, pd.DataFrame], config_hash: str = ""
) -> None:
    """Write a finished unit's tables as parts (carrying the configuration hash), then its
    marker."""
    for name in TABLES:
        path = parts / name / f"{unit.name}.parquet"
        atomic_write(path, lambda p, df=tables[name]: _write_part(p, df, config_hash))
    atomic_write_text(
        parts / "done" / f"{unit.name}.json",
        json.dumps({name: len(tables[name]) for name in TABLES}),
    )


def _part_ok(path: Path, config_hash: str) -> bool:
    """The part exists, reads as Parquet and was written under ``config_hash``."""
    try:
        metadata = pq.read_schema(path).metadata or {}
    except (OSError, ValueError, pa.ArrowException):
        return False
    return metadata.get(HASH_KEY.encode(), b"").decode() == config_hash


def read_parts(
    parts: Path, name: str, units: list[Unit], config_hash: str | None = None
) -> pd.DataFrame:
    """A table of the run: its units' parts in unit order (each checked against the run's
    configuration hash when given)."""
    frames = []
    for unit in units:
        path = parts / name / f"{unit.name}.parquet"
        if config_hash is not None and not _part_ok(path, config_hash):
            with contextlib.suppress(OSError):
                (parts / "done" / f"{unit.name}.json").unlink(missing_ok=True)
            raise RunError(
                str(path),
                "a part of the run is missing, damaged or from another configuration; run "
                "again with --resume to recompute it",
            )
        try:
            df = pd.read_parquet(path)
        except (OSError, ValueError, pa.ArrowException):
            raise RunError(
                str(path), "a part of the run cannot be read; run again with --resume"
            ) from None
        if len(df):
            frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def finished_units(parts: Path, config_hash: str | None = None) -> set[str]:
    """Names of the units whose marker exists (and, given the run's configuration hash, whose
    parts are all present, readable and of that configuration: a damaged or deleted part makes
    its unit run again)."""
    names = {p.stem for p in (parts / "done").glob("*.json")}
    if config_hash is None:
        return names
    return {
        n
        for n in names
        if all(_part_ok(parts / table / f"{n}.parquet", config_hash) for table in TABLES)
    }

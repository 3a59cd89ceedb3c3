"""Cohort results on disk: a per-patient Parquet table and NetCDF trajectories, written in chunks.

A run folder looks like this::

    run/
      patients/part-00000.parquet       one row per virtual patient of chunk 0
      trajectories/chunk-00000.nc       observables of chunk 0, dims (patient, time)
      ...
      patients.parquet                  all parts, sorted by patient_id (written by finalize)

Chunks are written as soon as they are computed, so 100,000 virtual patients never sit in memory
at once, and each file is written under a temporary name and then renamed, so an interrupted run
leaves only whole files. A chunk counts as completed when both its files exist; a resumed run
recomputes the others.

Example:
    >>> import tempfile
    >>> import numpy as np, pandas as pd, xarray as xr
    >>> run = Path(tempfile.mkdtemp())
    >>> patients = pd.DataFrame({"patient_id": [0, 1], "status": ["ok", "ok"],
    ...                          "status_code": [0, 0], "message": ["", ""]})
    >>> traj = xr.Dataset(
    ...     {"tumor_volume": (("patient", "time"), np.ones((2, 3)), {"units": "mm^3"})},
    ...     coords={"patient": [0, 1], "time": [0.0, 1.0, 2.0]})
    >>> writer = ResultWriter(run)
    >>> writer.write_chunk(0, patients, traj)
    >>> writer.completed_chunks()
    {0}
    >>> _ = writer.finalize()
    >>> load_patients(run)["patient_id"].tolist()
    [0, 1]
    >>> load_trajectories(run, patients=[1])["tumor_volume"].shape
    (1, 3)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import xarray as xr

from tmesim.errors import ConfigError, RunError
from tmesim.io.atomic import atomic_path, is_temporary

PATIENTS_DIR = "patients"
TRAJECTORIES_DIR = "trajectories"
PATIENTS_FILE = "patients.parquet"
PATIENT_ID = "patient_id"
PATIENT_DIM = "patient"
TIME_DIM = "time"

ROW_GROUP_BYTES = 64 * 2**20
"""The merged table is written in row groups of about this size (many chunks each): the writer
keeps every row group's metadata in memory until the file closes, so one row group per chunk
would grow with the cohort (about 0.1 MiB per chunk), while this bounds both."""
HASH_KEY = "tmesim_config_hash"
"""Metadata key (Parquet schema, NetCDF attribute) of the configuration hash a chunk was run with."""
_PART_NAME = re.compile(r"^part-(\d{5,})\.parquet$")
_CHUNK_NAME = re.compile(r"^chunk-(\d{5,})\.nc$")
# NetCDF3 (the format the scipy engine writes) has no 64-bit integers.
_MAX_NETCDF3_INT = 2**31 - 1


def patients_part_path(run_dir: Path, index: int) -> Path:
    """Path of chunk ``index``'s patient table: ``run_dir/patients/part-00042.parquet``.

    Example:
        >>> patients_part_path(Path("run"), 42).as_posix()
        'run/patients/part-00042.parquet'
    """
    return Path(run_dir) / PATIENTS_DIR / f"part-{index:05d}.parquet"


def trajectories_chunk_path(run_dir: Path, index: int) -> Path:
    """Path of chunk ``index``'s trajectories: ``run_dir/trajectories/chunk-00042.nc``.

    Example:
        >>> trajectories_chunk_path(Path("run"), 42).as_posix()
        'run/trajectories/chunk-00042.nc'
    """
    return Path(run_dir) / TRAJECTORIES_DIR / f"chunk-{index:05d}.nc"


def _indices(folder: Path, pattern: re.Pattern[str]) -> set[int]:
    if not folder.is_dir():
        return set()
    found = set()
    for entry in folder.iterdir():
        match = pattern.match(entry.name)
        if match and entry.is_file():
            found.add(int(match.group(1)))
    return found


def completed_chunks(run_dir: Path) -> set[int]:
    """Indices of the chunks whose patient table and trajectories are both on disk.

    Temporary files left by an interrupted write are not counted.

    Example:
        >>> import tempfile
        >>> completed_chunks(Path(tempfile.mkdtemp()))
        set()
    """
    run_dir = Path(run_dir)
    return _indices(run_dir / PATIENTS_DIR, _PART_NAME) & _indices(
        run_dir / TRAJECTORIES_DIR, _CHUNK_NAME
    )


def remove_partial_files(run_dir: Path) -> list[Path]:
    """Delete temporary files left by an interrupted write; return what was removed.

    Only call this when no other process is writing into ``run_dir``.

    Example:
        >>> import tempfile
        >>> remove_partial_files(Path(tempfile.mkdtemp()))
        []
    """
    run_dir = Path(run_dir)
    removed = []
    for folder in (run_dir, run_dir / PATIENTS_DIR, run_dir / TRAJECTORIES_DIR):
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            if entry.is_file() and is_temporary(entry):
                entry.unlink(missing_ok=True)
                removed.append(entry)
    return removed


class ResultWriter:
    """Write a cohort's results chunk by chunk, atomically, and merge the tables at the end.

    Contract for callers: chunks hold disjoint ranges of ``patient_id`` (chunk ``i`` holding ids
    ``i * chunk_size`` up to ``(i + 1) * chunk_size - 1`` satisfies it); every chunk's patient
    table has the same columns; every chunk's trajectories have the same time grid.

    Args:
        out_dir: the run folder (created if needed).
        clean_partial: remove temporary files left by an earlier, interrupted run. Leave it on
            unless another process writes into the same folder.
        config_hash: the run's configuration hash; every chunk carries it, and :meth:`finalize`
            refuses a chunk written under another configuration.
        fresh: start a new run: remove the chunk files and merged table of a previous run in
            ``out_dir`` (files of those names only).

    Example: see the module docstring.
    """

    def __init__(
        self,
        out_dir: Path,
        *,
        clean_partial: bool = True,
        config_hash: str | None = None,
        fresh: bool = False,
    ) -> None:
        self.out_dir = Path(out_dir)
        self.config_hash = config_hash
        (self.out_dir / PATIENTS_DIR).mkdir(parents=True, exist_ok=True)
        (self.out_dir / TRAJECTORIES_DIR).mkdir(parents=True, exist_ok=True)
        if clean_partial:
            remove_partial_files(self.out_dir)
        if fresh:
            for index in _indices(self.out_dir / PATIENTS_DIR, _PART_NAME):
                patients_part_path(self.out_dir, index).unlink(missing_ok=True)
            for index in _indices(self.out_dir / TRAJECTORIES_DIR, _CHUNK_NAME):
                trajectories_chunk_path(self.out_dir, index).unlink(missing_ok=True)
            (self.out_dir / PATIENTS_FILE).unlink(missing_ok=True)
        self._schema: pa.Schema | None = None

    def completed_chunks(self) -> set[int]:
        """Indices of the chunks fully written (both files present), e.g. to resume a run."""
        return completed_chunks(self.out_dir)

    def resumable_chunks(self) -> set[int]:
        """Completed chunks whose files read and were written under this writer's configuration
        hash: what a resumed run keeps. The files of every other chunk (damaged, or of another
        configuration) are removed, so that the run recomputes them."""
        valid = set()
        for index in self.completed_chunks():
            try:
                self._check_hash(index)
            except RunError:
                patients_part_path(self.out_dir, index).unlink(missing_ok=True)
                trajectories_chunk_path(self.out_dir, index).unlink(missing_ok=True)
                continue
            valid.add(index)
        return valid

    def write_chunk(self, index: int, patients: pd.DataFrame, trajectories: xr.Dataset) -> None:
        """Write chunk ``index``: its patient table (Parquet) and trajectories (NetCDF).

        Args:
            index: chunk number (>= 0); writing an index again replaces that chunk.
            patients: one row per patient with ``patient_id``, ``status``, ``status_code``,
                ``message``, sampled parameters and final observables. Column types are kept
                identical across chunks (later chunks are cast to the first chunk's types).
            trajectories: dims ``(patient, time)``; ``patient`` holds the same ids as
                ``patients.patient_id``; each variable has a ``units`` attribute.

        Raises:
            ValueError: the inputs break the contract above (a programming error).
        """
        if not isinstance(index, int | np.integer) or index < 0:
            raise ValueError(f"chunk index must be a non-negative integer, got {index!r}")
        index = int(index)
        table = self._patient_table(index, patients)
        dataset, encoding = _prepare_trajectories(index, trajectories, patients[PATIENT_ID])
        if self.config_hash is not None:
            metadata = dict(table.schema.metadata or {})
            metadata[HASH_KEY.encode()] = self.config_hash.encode()
            table = table.replace_schema_metadata(metadata)
            dataset.attrs[HASH_KEY] = self.config_hash

        # A merged table from an earlier finalize no longer describes the run once a chunk is
        # (re)written; remove it rather than let load_patients return stale rows.
        (self.out_dir / PATIENTS_FILE).unlink(missing_ok=True)
        # Trajectories first, patients second: the part file is what marks the chunk as done in
        # the eyes of a reader that only looks at patient tables.
        with atomic_path(trajectories_chunk_path(self.out_dir, index)) as tmp:
            dataset.to_netcdf(tmp, engine="scipy", encoding=encoding)
        with atomic_path(patients_part_path(self.out_dir, index)) as tmp:
            pq.write_table(table, tmp)

    def _reference_schema(self) -> pa.Schema | None:
        if self._schema is None:
            existing = sorted(self.completed_chunks())
            if existing:
                self._schema = pq.read_schema(patients_part_path(self.out_dir, existing[0]))
        return self._schema

    def _patient_table(self, index: int, patients: pd.DataFrame) -> pa.Table:
        if not isinstance(patients, pd.DataFrame):
            raise ValueError(f"chunk {index}: patients must be a pandas DataFrame")
        if PATIENT_ID not in patients.columns:
            raise ValueError(f"chunk {index}: the patient table has no {PATIENT_ID!r} column")
        if len(patients) == 0:
            raise ValueError(f"chunk {index}: the patient table is empty")
        ids = patients[PATIENT_ID]
        if not pd.api.types.is_integer_dtype(ids):
            raise ValueError(f"chunk {index}: {PATIENT_ID} must be integers, got {ids.dtype}")
        if not ids.is_unique:
            raise ValueError(f"chunk {index}: {PATIENT_ID} has duplicates")

        table = pa.Table.from_pandas(patients, preserve_index=False)
        schema = self._reference_schema()
        if schema is None:
            self._schema = table.schema
            return table
        if set(table.column_names) != set(schema.names):
            missing = sorted(set(schema.names) - set(table.column_names))
            extra = sorted(set(table.column_names) - set(schema.names))
            raise ValueError(
                f"chunk {index}: the patient table's columns differ from the first chunk's "
                f"(missing: {missing}, unexpected: {extra})"
            )
        table = table.select(schema.names)
        try:
            return table.cast(schema)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            changed = [
                f"{f.name}: {table.schema.field(f.name).type} vs {f.type}"
                for f in schema
                if table.schema.field(f.name).type != f.type
            ]
            raise ValueError(
                f"chunk {index}: column types differ from the first chunk's ({', '.join(changed)})"
            ) from exc

    def finalize(self, expected_chunks: Iterable[int] | None = None) -> Path:
        """Write ``out_dir/patients.parquet``: every part, sorted by ``patient_id``.

        Parts are read one at a time and written in row groups of about ``ROW_GROUP_BYTES``, so
        memory holds at most that much of the table whatever the cohort's size. Returns the
        path of the table.

        Args:
            expected_chunks: if given, every one of these chunks must be completed.

        Raises:
            ValueError: no chunk was written, an expected chunk is missing, or two chunks
                hold overlapping patient ids.
        """
        done = self.completed_chunks()
        if not done:
            raise ValueError(f"no completed chunk in {self.out_dir}; nothing to finalize")
        if expected_chunks is not None:
            missing = sorted(set(expected_chunks) - done)
            if missing:
                raise ValueError(
                    f"chunks not written yet: {missing[:20]}; write them (or resume the run) "
                    "before finalizing"
                )

        if self.config_hash is not None:
            for index in done:
                self._check_hash(index)
        parts = sorted(
            ((*_id_range(patients_part_path(self.out_dir, i)), i) for i in done),
        )
        for (_, prev_max, prev), (next_min, _, nxt) in zip(parts, parts[1:], strict=False):
            if next_min <= prev_max:
                raise ValueError(
                    f"chunks {prev} and {nxt} hold overlapping patient ids "
                    f"(up to {prev_max} and from {next_min}); give each chunk its own id range"
                )

        first = patients_part_path(self.out_dir, parts[0][2])
        schema = (self._schema or pq.read_schema(first)).remove_metadata()
        final = self.out_dir / PATIENTS_FILE
        with atomic_path(final) as tmp, pq.ParquetWriter(tmp, schema) as writer:
            group: list[pa.Table] = []

            def flush() -> None:
                if group:
                    merged = pa.concat_tables(group)
                    writer.write_table(merged, row_group_size=max(merged.num_rows, 1))
                    group.clear()

            for _, _, index in parts:
                table = pq.read_table(patients_part_path(self.out_dir, index))
                table = table.replace_schema_metadata(None)
                group.append(table.sort_by(PATIENT_ID).select(schema.names).cast(schema))
                if sum(t.nbytes for t in group) >= ROW_GROUP_BYTES:
                    flush()
            flush()
        return final

    def _check_hash(self, index: int) -> None:
        """Refuse a chunk whose files are damaged or were written under another configuration."""
        part = patients_part_path(self.out_dir, index)
        chunk = trajectories_chunk_path(self.out_dir, index)
        try:
            found = (pq.read_schema(part).metadata or {}).get(HASH_KEY.encode(), b"").decode()
            with xr.open_dataset(chunk, engine="scipy") as dataset:
                found_nc = str(dataset.attrs.get(HASH_KEY, ""))
        except (OSError, ValueError, TypeError, pa.ArrowException):
            raise RunError(
                str(part),
                "a chunk file of the run is damaged (truncated?); run again into a new "
                "folder, or delete the run's files and rerun",
            ) from None
        if found != self.config_hash or found_nc != self.config_hash:
            raise RunError(
                str(part),
                "this chunk was written by a run of another configuration and is not "
                "part of this run; run again into a new or empty folder",
            )


def _id_range(part: Path) -> tuple[int, int]:
    """Smallest and largest patient_id of a part, from Parquet statistics when available."""
    metadata = pq.read_metadata(part)
    # The column's index from the Arrow schema (flat, so the same as Parquet's): reading the
    # Parquet schema of every part (`metadata.schema`) retains memory, which would grow with
    # the number of chunks of a large cohort.
    column = pq.read_schema(part).get_field_index(PATIENT_ID)
    lows, highs = [], []
    for group in range(metadata.num_row_groups):
        stats = metadata.row_group(group).column(column).statistics
        if stats is None or not stats.has_min_max:
            ids = pq.read_table(part, columns=[PATIENT_ID])[PATIENT_ID].to_numpy()
            return int(ids.min()), int(ids.max())
        lows.append(int(stats.min))
        highs.append(int(stats.max))
    return min(lows), max(highs)


def _prepare_trajectories(
    index: int, trajectories: xr.Dataset, patient_ids: pd.Series
) -> tuple[xr.Dataset, dict[str, dict[str, object]]]:
    if not isinstance(trajectories, xr.Dataset):
        raise ValueError(f"chunk {index}: trajectories must be an xarray Dataset")
    for dim in (PATIENT_DIM, TIME_DIM):
        if dim not in trajectories.dims:
            raise ValueError(f"chunk {index}: trajectories have no {dim!r} dimension")
    if PATIENT_DIM not in trajectories.coords:
        raise ValueError(f"chunk {index}: trajectories have no {PATIENT_DIM!r} coordinate")
    ids = trajectories[PATIENT_DIM].to_numpy()
    if not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"chunk {index}: the patient coordinate must hold integer patient ids")
    if ids.size and (ids.min() < 0 or ids.max() > _MAX_NETCDF3_INT):
        raise ValueError(f"chunk {index}: patient ids must lie in 0..{_MAX_NETCDF3_INT}")
    if set(ids.tolist()) != set(patient_ids.tolist()) or ids.size != len(patient_ids):
        raise ValueError(
            f"chunk {index}: the trajectories' patient ids differ from the patient table's"
        )
    dataset = trajectories.copy()
    for name, variable in dataset.data_vars.items():
        if "units" not in variable.attrs:
            raise ValueError(
                f"chunk {index}: trajectory variable {name!r} has no 'units' attribute"
            )
        variable.attrs.setdefault("description", "")
    dataset[TIME_DIM].attrs.setdefault("units", "day")
    dataset[PATIENT_DIM].attrs.setdefault("description", "virtual patient id")
    return dataset, {PATIENT_DIM: {"dtype": "int32"}}


def _not_a_run(run_dir: Path) -> ConfigError:
    return ConfigError(
        "run folder",
        str(run_dir),
        "give the output folder of `tmesim simulate` (it holds patients.parquet or "
        "patients/part-*.parquet with trajectories/chunk-*.nc).",
    )


def load_patients(run_dir: Path) -> pd.DataFrame:
    """Read a run's per-patient table, sorted by ``patient_id``.

    Uses ``patients.parquet`` when the run was finalized, otherwise the completed chunks (so the
    finished part of an interrupted run can be inspected).

    Raises:
        ConfigError: ``run_dir`` holds no results.

    Example: see the module docstring.
    """
    run_dir = Path(run_dir)
    final = run_dir / PATIENTS_FILE
    if final.is_file():
        return pd.read_parquet(final)
    done = sorted(completed_chunks(run_dir))
    if not done:
        raise _not_a_run(run_dir)
    tables = [pq.read_table(patients_part_path(run_dir, i)) for i in done]
    table = pa.concat_tables(tables, promote_options="permissive").sort_by(PATIENT_ID)
    return table.to_pandas()


def load_trajectories(run_dir: Path, patients: Sequence[int] | None = None) -> xr.Dataset:
    """Read a run's trajectories, concatenated along ``patient`` in increasing patient id.

    Args:
        run_dir: the run folder.
        patients: ids to read (in any order); ``None`` reads every completed chunk, which for
            a large cohort may not fit in memory.

    Returns:
        A Dataset with dims ``(patient, time)`` per observable, coordinates ``patient`` (int64)
        and ``time`` (days), and variable attributes ``units`` and ``description``.

    Raises:
        ConfigError: ``run_dir`` holds no trajectories, or a requested id is not in the run.

    Example: see the module docstring.
    """
    run_dir = Path(run_dir)
    done = sorted(completed_chunks(run_dir))
    if not done:
        raise _not_a_run(run_dir)
    wanted = None if patients is None else np.unique(np.asarray(list(patients), dtype=np.int64))
    if wanted is not None and wanted.size == 0:
        raise ConfigError("patients", [], "give at least one patient id, or None for all.")

    pieces: list[xr.Dataset] = []
    lowest, highest = None, None
    for index in done:
        with xr.open_dataset(trajectories_chunk_path(run_dir, index), engine="scipy") as chunk:
            ids = chunk[PATIENT_DIM].to_numpy().astype(np.int64)
            lowest = ids.min() if lowest is None else min(lowest, ids.min())
            highest = ids.max() if highest is None else max(highest, ids.max())
            if wanted is not None:
                keep = np.isin(ids, wanted)
                if not keep.any():
                    continue
                chunk = chunk.isel({PATIENT_DIM: np.flatnonzero(keep)})
            pieces.append(chunk.load())

    if wanted is not None:
        found = np.concatenate([p[PATIENT_DIM].to_numpy() for p in pieces]) if pieces else []
        missing = np.setdiff1d(wanted, np.asarray(found, dtype=np.int64))
        if missing.size:
            raise ConfigError(
                "patients",
                missing[:10].tolist(),
                f"these ids are not in the run; its patient ids run from {lowest} to {highest}.",
            )
    combined = xr.concat(
        pieces,
        dim=PATIENT_DIM,
        data_vars="minimal",
        coords="minimal",
        compat="override",
        join="exact",
        combine_attrs="override",
    )
    combined = combined.sortby(PATIENT_DIM)
    patient_attrs = combined[PATIENT_DIM].attrs
    combined = combined.assign_coords(
        {PATIENT_DIM: combined[PATIENT_DIM].to_numpy().astype(np.int64)}
    )
    combined[PATIENT_DIM].attrs.update(patient_attrs)
    return combined

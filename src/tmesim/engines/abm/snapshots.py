"""Streaming snapshots of a spatial run to disk: cells as Parquet parts, fields as NetCDF.

A run folder::

    run/
      cells/snapshot-00003.parquet   every living cell at snapshot 3 (uid, kind, clone, voxel, µm)
      fields/snapshot-00003.nc       every field at snapshot 3, dims (z, y, x), with units
      readouts.parquet               one row per snapshot: spatial readouts and event counts
      systemic.parquet               the systemic input the tissue received (supply, drugs)
      snapshots/ , animation.gif     pictures (`animation`), MultiCellDS export (optional)
      manifest.json

Each snapshot is written as soon as it is taken (through `tmesim.io.atomic`, so a file is whole or
absent) and then dropped: a long run never holds its history in memory. Readout rows are small and
are kept until the end.

Example:
    >>> import tempfile, numpy as np, pandas as pd
    >>> w = SnapshotWriter(Path(tempfile.mkdtemp()))
    >>> w.write_cells(0, 0.0, pd.DataFrame({"uid": [1], "kind": ["tumor"]}))
    >>> load_cells(w.out_dir, 0)["uid"].tolist()
    [1]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import xarray as xr

from tmesim.io.atomic import atomic_path

CELLS_DIR = "cells"
FIELDS_DIR = "fields"
READOUTS_FILE = "readouts.parquet"
SYSTEMIC_FILE = "systemic.parquet"


def cells_path(run_dir: Path, index: int) -> Path:
    return Path(run_dir) / CELLS_DIR / f"snapshot-{index:05d}.parquet"


def fields_path(run_dir: Path, index: int) -> Path:
    return Path(run_dir) / FIELDS_DIR / f"snapshot-{index:05d}.nc"


class SnapshotWriter:
    """Writes snapshots of one run as they come."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)

    def write_cells(self, index: int, day: float, cells: pd.DataFrame) -> None:
        frame = cells.copy()
        frame.insert(0, "day", day)
        frame.insert(0, "snapshot", index)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        with atomic_path(cells_path(self.out_dir, index)) as tmp:
            pq.write_table(table, tmp)

    def write_fields(
        self,
        index: int,
        day: float,
        names: tuple[str, ...],
        units: tuple[str, ...],
        values: np.ndarray,
        dx: float,
    ) -> None:
        """`values` (F, nz, ny, nx); coordinates are voxel centres in µm."""
        _, nz, ny, nx = values.shape
        coords = {
            "z": ("z", (np.arange(nz) + 0.5) * dx, {"units": "um"}),
            "y": ("y", (np.arange(ny) + 0.5) * dx, {"units": "um"}),
            "x": ("x", (np.arange(nx) + 0.5) * dx, {"units": "um"}),
        }
        data = {
            name: (("z", "y", "x"), values[k].astype(np.float32), {"units": unit})
            for k, (name, unit) in enumerate(zip(names, units, strict=True))
        }
        ds = xr.Dataset(data, coords=coords, attrs={"day": float(day), "snapshot": int(index)})
        with atomic_path(fields_path(self.out_dir, index)) as tmp:
            ds.to_netcdf(tmp, engine="scipy")

    def write_table(self, name: str, frame: pd.DataFrame) -> Path:
        path = self.out_dir / name
        with atomic_path(path) as tmp:
            frame.to_parquet(tmp, index=False)
        return path


def snapshot_indices(run_dir: Path) -> list[int]:
    """Snapshots whose cells were written, in order."""
    folder = Path(run_dir) / CELLS_DIR
    if not folder.is_dir():
        return []
    return sorted(int(p.stem.split("-")[1]) for p in folder.glob("snapshot-*.parquet"))


def load_cells(run_dir: Path, index: int) -> pd.DataFrame:
    """The cells of one snapshot."""
    return pd.read_parquet(cells_path(run_dir, index))


def load_fields(run_dir: Path, index: int) -> xr.Dataset:
    """The fields of one snapshot (loaded into memory, file closed)."""
    with xr.open_dataset(fields_path(run_dir, index), engine="scipy") as ds:
        return ds.load()


def load_readouts(run_dir: Path) -> pd.DataFrame:
    """The readout table of a spatial run."""
    return pd.read_parquet(Path(run_dir) / READOUTS_FILE)

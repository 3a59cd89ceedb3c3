"""Export a spatial run in PhysiCell's MultiCellDS output layout, so that its viewers read ours.

For snapshot k the layout (as described in the PhysiCell data loader documentation, physicell.org and
PhysiCell-Tools/python-loader) is:

- `outputNNNNNNNN.xml` — the organiser: MultiCellDS metadata (current time in minutes), the
  microenvironment mesh (voxel-centre coordinates in µm), the substrates with units, the labels of
  the cell matrix's rows and the names of the two matrix files;
- `outputNNNNNNNN_cells.mat` — MATLAB level-4 matrix `cells`, one column per cell, rows as labelled
  (ID, position x/y/z in µm, total volume µm³, cell type code, cycle model, current phase,
  elapsed time in phase, clone);
- `outputNNNNNNNN_microenvironment0.mat` — matrix `multiscale_microenvironment`, one column per
  voxel (x fastest), rows x, y, z, voxel volume, then each substrate.

Written into `RUN/multicellds/` from the run's own snapshot files (`snapshots`), one snapshot at a
time. Cell type codes are tmesim's kind codes, named in the XML.

Example:
    >>> LABELS[0], LABELS[1]
    (('ID', 1, 'none'), ('position', 3, 'micron'))
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import scipy.io

from tmesim.engines.abm.rules import KIND_NAMES
from tmesim.engines.abm.snapshots import (
    fields_path,
    load_cells,
    load_fields,
    snapshot_indices,
)
from tmesim.io.atomic import atomic_path, atomic_write_text

EXPORT_DIR = "multicellds"
LABELS: tuple[tuple[str, int, str], ...] = (
    ("ID", 1, "none"),
    ("position", 3, "micron"),
    ("total_volume", 1, "cubic micron"),
    ("cell_type", 1, "none"),
    ("cycle_model", 1, "none"),
    ("current_phase", 1, "none"),
    ("elapsed_time_in_phase", 1, "min"),
    ("clone", 1, "none"),
)
LIVE_CELLS_MODEL = 5
LIVE_PHASE = 14
NECROTIC_PHASE = 101


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def _write_mat(path: Path, name: str, matrix: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            scipy.io.savemat(fh, {name: np.asarray(matrix, dtype=np.float64)}, format="4")


def export_snapshot(run_dir: Path, index: int, out: Path) -> Path:
    """Write snapshot `index` of a run in the MultiCellDS layout into folder `out`."""
    cells = load_cells(run_dir, index)
    fields = load_fields(run_dir, index) if fields_path(run_dir, index).exists() else None
    stem = f"output{index:08d}"
    day = float(cells["day"].iloc[0]) if len(cells) else 0.0
    if fields is not None:
        dx = float(fields["x"].values[1] - fields["x"].values[0]) if fields.sizes["x"] > 1 else 20.0
    else:
        dx = 20.0
    codes = np.array([KIND_NAMES.index(str(k)) for k in cells["kind"]], dtype=float)
    phase = np.where(cells["kind"].astype(str) == "necrotic", NECROTIC_PHASE, LIVE_PHASE)
    matrix = np.vstack(
        [
            cells["uid"].to_numpy(float),
            cells["x_um"].to_numpy(float),
            cells["y_um"].to_numpy(float),
            cells["z_um"].to_numpy(float),
            np.full(len(cells), dx**3),
            codes,
            np.full(len(cells), LIVE_CELLS_MODEL, dtype=float),
            phase.astype(float),
            np.zeros(len(cells)),
            cells["clone"].to_numpy(float),
        ]
    )
    _write_mat(out / f"{stem}_cells.mat", "cells", matrix)

    root = ET.Element("MultiCellDS", version="2", type="snapshot/simulation")
    meta = _sub(root, "metadata")
    software = _sub(meta, "software")
    _sub(software, "name", "tmesim")
    _sub(meta, "current_time", f"{day * 1440.0:.6f}", units="min")
    if fields is not None:
        names = [n for n in fields.data_vars]
        x, y, z = (fields[c].values for c in ("x", "y", "z"))
        micro = _sub(root, "microenvironment")
        domain = _sub(micro, "domain", name="microenvironment")
        mesh = _sub(
            domain, "mesh", type="Cartesian", uniform="true", regular="true", units="micron"
        )
        lo = [x[0] - dx / 2, y[0] - dx / 2, z[0] - dx / 2]
        hi = [x[-1] + dx / 2, y[-1] + dx / 2, z[-1] + dx / 2]
        box = " ".join(f"{v:.6f}" for v in lo + hi)
        _sub(mesh, "bounding_box", box, type="axis-aligned", units="micron")
        for axis, values in (("x", x), ("y", y), ("z", z)):
            text = " ".join(f"{v:.6f}" for v in values)
            _sub(mesh, f"{axis}_coordinates", text, delimiter=" ")
        variables = _sub(domain, "variables")
        for k, name in enumerate(names):
            _sub(variables, "variable", name=name, units=fields[name].attrs.get("units", ""), ID=k)
        data = _sub(domain, "data", type="matlab")
        _sub(data, "filename", f"{stem}_microenvironment0.mat")
        zz, yy, xx = np.meshgrid(z, y, x, indexing="ij")
        rows = [xx.ravel(), yy.ravel(), zz.ravel(), np.full(xx.size, dx**3)]
        rows += [fields[n].values.astype(float).ravel() for n in names]
        _write_mat(
            out / f"{stem}_microenvironment0.mat", "multiscale_microenvironment", np.vstack(rows)
        )
    info = _sub(root, "cellular_information")
    pops = _sub(info, "cell_populations")
    pop = _sub(pops, "cell_population", type="individual")
    custom = _sub(pop, "custom")
    simplified = _sub(custom, "simplified_data", type="matlab", source="tmesim", data_version="2")
    types = _sub(simplified, "cell_types")
    for code, name in enumerate(KIND_NAMES):
        _sub(types, "type", name, ID=code, type=code)
    labels = _sub(simplified, "labels")
    row = 0
    for name, size, units in LABELS:
        _sub(labels, "label", name, index=row, size=size, units=units)
        row += size
    _sub(simplified, "filename", f"{stem}_cells.mat")
    ET.indent(root)
    text = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")
    return atomic_write_text(out / f"{stem}.xml", text)


def export_multicellds(run_dir: Path) -> Path:
    """Export every snapshot of a run into `RUN/multicellds/`; returns that folder."""
    run_dir = Path(run_dir)
    out = run_dir / EXPORT_DIR
    out.mkdir(parents=True, exist_ok=True)
    for index in snapshot_indices(run_dir):
        export_snapshot(run_dir, index, out)
    return out

"""The lattice: voxel indexing, coordinates, and the initial lesion's geometry.

Voxels are numbered v = (z·ny + y)·nx + x over a (nz, ny, nx) grid; a 2-D tissue is a grid with
nz = 1 (a section one voxel thick). Arrays of fields and counts are laid out the same way, so a cell's
voxel index addresses every field directly.

Example:
    >>> g = Grid((1, 4, 5), 20.0)
    >>> g.index(3, 2, 0), g.coords(13)
    (13, (3, 2, 0))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Grid:
    """A box of (nz, ny, nx) cubic voxels of edge `dx` µm."""

    shape: tuple[int, int, int]
    dx: float

    @property
    def n(self) -> int:
        nz, ny, nx = self.shape
        return nz * ny * nx

    @property
    def dimension(self) -> int:
        return 2 if self.shape[0] == 1 else 3

    @property
    def voxel_mm3(self) -> float:
        """Volume of one voxel in mm³ (a 2-D section is one voxel thick)."""
        return (self.dx * 1e-3) ** 3

    @property
    def center(self) -> np.ndarray:
        """Centre of the domain in voxel units, (x, y, z)."""
        nz, ny, nx = self.shape
        return np.array([(nx - 1) / 2, (ny - 1) / 2, (nz - 1) / 2])

    def index(self, x: int, y: int, z: int) -> int:
        nz, ny, nx = self.shape
        return (z * ny + y) * nx + x

    def coords(self, v: int) -> tuple[int, int, int]:
        nz, ny, nx = self.shape
        return v % nx, (v // nx) % ny, v // (nx * ny)

    def voxel_xyz(self) -> np.ndarray:
        """(n, 3) integer coordinates (x, y, z) of every voxel."""
        nz, ny, nx = self.shape
        z, y, x = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
        return np.stack([x.ravel(), y.ravel(), z.ravel()], axis=1)

    def distance_from_center(self) -> np.ndarray:
        """(n,) distance of every voxel centre from the domain centre, in voxels."""
        return np.linalg.norm(self.voxel_xyz() - self.center, axis=1)

    def lesion_voxels(self, cells: int) -> np.ndarray:
        """The `cells` voxels closest to the centre (a disk or ball), nearest first; ties are
        broken by voxel index so the lesion is the same on every machine."""
        d = self.distance_from_center()
        order = np.lexsort((np.arange(self.n), np.round(d, 9)))
        return order[:cells].astype(np.int64)

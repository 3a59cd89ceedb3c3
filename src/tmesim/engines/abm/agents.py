"""The cell table: every cell of the tissue as one row of a structure of arrays.

Columns: `uid` (a cell's identity for its random streams, never reused), `kind` (a code of
`rules.KIND_NAMES`, -1 once dead), `voxel`, `clone` (tumor cells), and per-step scratch values of tumor
cells (`recognition`, `pd1_engagement`). New cells are appended; dead rows are dropped by `compact`,
which keeps the order of the living, so the step's fixed visiting order is preserved.

Example:
    >>> t = AgentTable(4)
    >>> t.add([0, 2], [5, 6], clone=[1, 0])
    >>> t.kind[:t.n].tolist(), t.uid[:t.n].tolist()
    ([0, 2], [0, 1])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tmesim.engines.abm.rules import DEAD, KIND_NAMES


class AgentTable:
    """Growable structure-of-arrays table of cells."""

    def __init__(self, capacity: int) -> None:
        capacity = max(int(capacity), 16)
        self.uid = np.zeros(capacity, dtype=np.int64)
        self.kind = np.full(capacity, DEAD, dtype=np.int64)
        self.voxel = np.zeros(capacity, dtype=np.int64)
        self.clone = np.zeros(capacity, dtype=np.int64)
        self.recognition = np.zeros(capacity)
        self.pd1_engagement = np.zeros(capacity)
        self.n = 0
        self.next_uid = 0

    @property
    def capacity(self) -> int:
        return self.kind.shape[0]

    def add(
        self, kinds: Sequence[int], voxels: Sequence[int], clone: Sequence[int] | None = None
    ) -> None:
        """Append cells of the given kinds at the given voxels."""
        m = len(kinds)
        self.reserve(m)
        s = slice(self.n, self.n + m)
        self.kind[s] = kinds
        self.voxel[s] = voxels
        self.clone[s] = 0 if clone is None else clone
        self.uid[s] = np.arange(self.next_uid, self.next_uid + m)
        self.next_uid += m
        self.n += m

    def reserve(self, extra: int) -> None:
        """Make room for `extra` more rows (capacity at least doubles when it grows)."""
        need = self.n + int(extra)
        if need <= self.capacity:
            return
        new = max(need, 2 * self.capacity)
        for name in ("uid", "kind", "voxel", "clone", "recognition", "pd1_engagement"):
            old = getattr(self, name)
            fill = DEAD if name == "kind" else 0
            grown = np.full(new, fill, dtype=old.dtype)
            grown[: old.shape[0]] = old
            setattr(self, name, grown)

    def compact(self) -> None:
        """Drop dead rows, keeping the order of the living."""
        alive = np.flatnonzero(self.kind[: self.n] != DEAD)
        m = alive.size
        for name in ("uid", "kind", "voxel", "clone", "recognition", "pd1_engagement"):
            arr = getattr(self, name)
            arr[:m] = arr[alive]
        self.kind[m : self.n] = DEAD
        self.n = m

    def counts(self) -> dict[str, int]:
        """Living cells of each kind."""
        k = self.kind[: self.n]
        found = np.bincount(k[k >= 0], minlength=len(KIND_NAMES))
        return {name: int(found[i]) for i, name in enumerate(KIND_NAMES)}

    def frame(self, shape: tuple[int, int, int], dx: float) -> pd.DataFrame:
        """Living cells as a table: uid, kind name, clone, voxel and position in µm."""
        alive = np.flatnonzero(self.kind[: self.n] != DEAD)
        nz, ny, nx = shape
        v = self.voxel[alive]
        return pd.DataFrame(
            {
                "uid": self.uid[alive],
                "kind": pd.Categorical.from_codes(self.kind[alive], categories=list(KIND_NAMES)),
                "clone": self.clone[alive].astype(np.int8),
                "voxel": v,
                "x_um": ((v % nx) + 0.5) * dx,
                "y_um": (((v // nx) % ny) + 0.5) * dx,
                "z_um": ((v // (nx * ny)) + 0.5) * dx,
            }
        )

"""Spatial throughput at the scale of PhysiCell's 3-D cancer–immune sample.

The sample's scale (Ozik et al. 2018; PhysiCell 1.14): a 75 × 75 × 75 grid of 20 µm voxels, about
18,000 tumor cells in a sphere and 7,500 immune cells. Here the tissue is a 4T1 lesion with the full
biology of the spatial engine (tumor growth, oxygen and a necrotic core, killing by CD8 and NK cells,
exhaustion, Tregs, monocytes, M1/M2/TREM2 macrophages, MDSCs, DCs, nine diffusing fields: oxygen,
IFN-γ, IL-2, IL-12, IL-10, TGF-β, CXCL9/10, CCL2, dead-cell material), systemic supply and drug levels
from the QSP model of the same mouse under anti-PD-1 + IPI-549. Snapshots and pictures are off: the
benchmark times the simulation.

Prints agent updates per second, voxel updates per second (voxels × fields per step), peak resident
memory, and last `simulated_days_per_wall_hour: X`. The PhysiCell reference (about 12 s of wall time
per simulated minute on one core of the reference machine, 3–5 h per simulated day) is quoted, not
measured here: PhysiCell is not a dependency of tmesim.

    python benchmarks/spatial_throughput.py [--days 1] [--threads 2] [--grid 75]
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numba

PHYSICELL_WALL_SECONDS_PER_SIMULATED_MINUTE = 12.0
IMMUNE = {"cd8": 3000, "nk": 600, "cd4": 400, "treg": 300, "monocyte": 500,
          "m1": 600, "m2": 1200, "trem2": 200, "mdsc": 600, "dc": 100}  # fmt: skip
REGIMEN = "rmp1-14 200 ug biw x6 from day 7 + ipi-549 15 mg/kg qd x21 from day 7"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=1.0, help="simulated days (at least 1)")
    ap.add_argument("--threads", type=int, default=min(os.cpu_count() or 1, 2))
    ap.add_argument("--grid", type=int, default=75, help="voxels per side")
    ap.add_argument("--tumor-cells", type=int, default=18_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    from tmesim.engines.abm import AbmSettings, Tissue

    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    domain_mm3 = (args.grid * 0.02) ** 3
    settings = AbmSettings(
        dimension=3,
        grid=[args.grid] * 3,
        dt_minutes=6.0,
        start_day=8.0,
        initial_tumor_cells=args.tumor_cells,
        initial_immune_density={k: n / domain_mm3 for k, n in IMMUNE.items()},
        vessels="margin",  # oxygen from the margin and the boundary: a necrotic core, as in PhysiCell
        images=False,
        save_cells=False,
        save_fields=False,
    )
    # compile (or load from the cache) on a small tissue before the clock starts
    warm = settings.model_copy(update={"grid": [12, 12, 12], "initial_tumor_cells": 100})
    Tissue("mouse_4t1", settings=warm, regimen=REGIMEN, seed=0).advance(0.05)

    t_setup = time.perf_counter()
    tissue = Tissue(
        "mouse_4t1",
        settings=settings,
        regimen=REGIMEN,
        seed=args.seed,
        duration_days=args.days,
        n_threads=args.threads,
    )
    setup = time.perf_counter() - t_setup
    start_counts = tissue.counts()
    immune0 = sum(v for k, v in start_counts.items() if k not in ("tumor", "necrotic"))
    print(f"grid: {args.grid}^3 voxels of {tissue.grid.dx:g} um ({tissue.grid.n:,} voxels), "
          f"{len(tissue.fields.names)} diffusing fields, dt {settings.dt_minutes:g} min, "
          f"threads {args.threads}")  # fmt: skip
    print(f"start: {start_counts['tumor']:,} tumor cells, {immune0:,} immune cells "
          f"(setup incl. QSP coupling {setup:.1f} s)")  # fmt: skip

    t0 = time.perf_counter()
    tissue.advance(args.days)
    wall = time.perf_counter() - t0

    end = tissue.readouts()
    immune = sum(end[f"n_{k}"] for k in IMMUNE) + end["n_cd8_exhausted"]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    days_per_hour = args.days / (wall / 3600.0)
    physicell_days_per_hour = 3600.0 / (PHYSICELL_WALL_SECONDS_PER_SIMULATED_MINUTE * 1440.0)
    print(f"end (day {end['day']:.2f}): {end['n_tumor']:,} tumor, {end['n_necrotic']:,} necrotic, "
          f"{immune:,} immune cells; class {end['immune_class']}")  # fmt: skip
    print(
        f"steps: {tissue.step_index:,} in {wall:.1f} s ({wall / tissue.step_index * 1e3:.1f} ms/step)"
    )
    print(f"agent_updates_per_second: {tissue.agent_updates / wall:,.0f}")
    print(f"voxel_updates_per_second: {tissue.voxel_updates / wall:,.0f}")
    print(f"peak_rss_mb: {peak_mb:,.0f}")
    print(f"wall_hours_for_21_days: {21.0 / days_per_hour:.2f}")
    print(f"ratio_vs_physicell_quoted: {days_per_hour / physicell_days_per_hour:.0f}")
    print(f"simulated_days_per_wall_hour: {days_per_hour:.2f}")


if __name__ == "__main__":
    main()

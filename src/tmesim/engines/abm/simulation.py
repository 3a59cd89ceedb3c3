"""The spatial engine's public entry point: a tissue built from a preset, stepped, read and saved.

`Tissue` holds one run's state (cells, fields, vessels, systemic input) and advances it with the
compiled step (`kernels`); `run_abm` runs one to the end, writing snapshots, readouts, pictures and
a manifest. The preset, regimen and mechanism switches are handled by `tmesim.Simulation` exactly as
for the QSP engine, so both engines read one parameter set.

Example:
    >>> from tmesim.engines.abm.config import AbmSettings
    >>> settings = AbmSettings(dimension=2, grid=[40, 40], initial_tumor_cells=200,
    ...                        coupling="fixed", images=False)
    >>> tissue = Tissue("mouse_4t1", settings=settings, seed=1)
    >>> tissue.advance(0.5)
    >>> tissue.counts()["tumor"] > 150
    True
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numba
import numpy as np
import pandas as pd

from tmesim.engines.abm import kernels
from tmesim.engines.abm.agents import AgentTable
from tmesim.engines.abm.config import IMMUNE_KINDS, AbmSettings
from tmesim.engines.abm.coupling import SystemicInput, fixed_systemic, qsp_systemic
from tmesim.engines.abm.fields import FieldSet
from tmesim.engines.abm.grid import Grid
from tmesim.engines.abm.parameters import spatial_parameters
from tmesim.engines.abm.readouts import spatial_readouts
from tmesim.engines.abm.rules import (
    CD4,
    CD8,
    CD8_EXHAUSTED,
    DC,
    FIELD_NAMES,
    FIELD_UNITS,
    INFLOW_CHANNELS,
    KIND_NAMES,
    M1,
    M2,
    MDSC,
    MONOCYTE,
    N_CHANNELS,
    N_KINDS,
    NK,
    O2,
    OXYGEN_UPTAKE_TUMOR,
    S_LESION_MM3,
    TREG,
    TREM2,
    TUMOR,
    pack_clone_traits,
    pack_parameters,
)
from tmesim.errors import ConfigError
from tmesim.parameters.parameter_set import ParameterSet

AVOGADRO = 6.02214076e23
PARALLEL_MIN_VOXELS = 100_000
OXYGEN_EVERY_STEPS = 5
MINUTES_PER_DAY = 1440.0
_SPEED_OF_KIND = {
    CD8: "cd8_speed",
    CD8_EXHAUSTED: "cd8_speed",
    CD4: "cd4_speed",
    TREG: "cd4_speed",
    NK: "nk_speed",
    MONOCYTE: "myeloid_speed",
    MDSC: "myeloid_speed",
    DC: "myeloid_speed",
    M1: "macrophage_speed",
    M2: "macrophage_speed",
    TREM2: "macrophage_speed",
}
_KIND_CODE = {name: KIND_NAMES.index(name) for name in IMMUNE_KINDS}
# local gate of each inflowing kind at a vessel: 1 T/NK chemokine and myeloid factors, 2 CCL2
_INFLOW_GATE = {CD8: 1, CD4: 1, NK: 1, TREG: 0, MONOCYTE: 2, MDSC: 2, DC: 0}


class Tissue:
    """One spatial run: a preset's biology in a lattice tissue, advanced in fixed steps.

    `preset` is a preset name or a ParameterSet; `regimen`, `mechanisms` and `parameters` are as
    for `tmesim.Simulation`. The systemic input is solved from the QSP model of the same
    configuration (`settings.coupling == "qsp"`) or held at `settings.fixed`.
    """

    def __init__(
        self,
        preset: str | ParameterSet,
        *,
        settings: AbmSettings | None = None,
        regimen: Any = None,
        mechanisms: Mapping[str, bool] | None = None,
        parameters: Mapping[str, float | str] | None = None,
        seed: int = 0,
        duration_days: float = 14.0,
        n_threads: int | None = None,
    ) -> None:
        from tmesim.simulation import Simulation

        self.settings = settings or AbmSettings()
        self.seed = int(seed)
        # Threads only pay off on large grids (a parallel launch costs more than a small sweep);
        # the result does not depend on the count.
        self.n_threads = n_threads or (
            1 if self.settings.voxels < PARALLEL_MIN_VOXELS else numba.config.NUMBA_NUM_THREADS
        )
        self.qsp = Simulation(
            preset,
            regimen=regimen,
            mechanisms=dict(mechanisms or {}),
            parameters_override=dict(parameters or {}),
        )
        self.parameters = self.qsp.parameters
        self.spatial = spatial_parameters(self.settings.parameters)
        s = self.settings
        self.grid = Grid(s.shape, self.spatial["voxel_size"].value)
        self.dt = s.dt_minutes / MINUTES_PER_DAY
        self.p = pack_parameters(self.parameters, self.spatial)
        if not s.oxygen:
            # without oxygen the tissue is uniformly at the vascular pO2: nothing takes it up
            self.p[OXYGEN_UPTAKE_TUMOR] = 0.0
        self.traits = pack_clone_traits(self.parameters)
        self.radii = np.array(
            [
                int(self.spatial["contact_radius"].value),
                int(self.spatial["sensing_radius"].value),
                int(self.spatial["division_push_radius"].value),
            ],
            dtype=np.int64,
        )
        if self.radii[:2].min() < 1:
            raise ConfigError(
                "abm.parameters.contact_radius", self.radii.min(), "use radii of at least 1 voxel"
            )
        voxel_litre = (self.grid.dx * 1e-5) ** 3  # µm -> dm
        self.per_molecule = (
            1e12 / AVOGADRO / (voxel_litre * self.parameters.value("tumor_interstitial_fraction"))
        )
        self.hops = np.zeros(N_KINDS)
        for kind, pid in _SPEED_OF_KIND.items():
            self.hops[kind] = self.spatial[pid].value * self.dt / self.grid.dx
        self.systemic: SystemicInput = (
            qsp_systemic(self.qsp, s.start_day, duration_days)
            if s.coupling == "qsp"
            else fixed_systemic(s.fixed)
        )
        self.fields = self._make_fields()
        self.cells = AgentTable(4 * s.initial_tumor_cells + 4096)
        self.rng = np.random.default_rng(np.random.SeedSequence([self.seed, 0x7155]))
        self._place_lesion()
        self.vessel_mask = self._place_vessels()
        self.vessels = np.flatnonzero(self.vessel_mask).astype(np.int64)
        self._place_immune()
        n = self.grid.n
        nz, ny, nx = self.grid.shape
        self.counts_grid = np.zeros((N_CHANNELS, n))
        self.table = np.zeros((N_CHANNELS, nz + 1, ny + 1, nx + 1))
        self.tumor_at = np.full(n, -1, dtype=np.int64)
        self.immune_count = np.zeros(n, dtype=np.int64)
        self.source = np.zeros((len(FIELD_NAMES), n))
        self.uptake = np.zeros((len(FIELD_NAMES), n))
        self.events = np.zeros(kernels.N_EVENTS, dtype=np.int64)
        self.step_index = 0
        self.agent_updates = 0
        self.voxel_updates = 0
        self._inflow_kinds = np.array([k for _, k in INFLOW_CHANNELS], dtype=np.int64)
        self._inflow_channels = np.array([c for c, _ in INFLOW_CHANNELS], dtype=np.int64)
        self._inflow_gates = np.array([_INFLOW_GATE[k] for k in self._inflow_kinds], np.int64)

    # --- construction -------------------------------------------------------------------------------

    def _make_fields(self) -> FieldSet:
        sp, ps = self.spatial, self.parameters
        diffusion = {
            "oxygen": sp["oxygen_diffusion"].value,
            "ifng": sp["ifng_diffusion"].value,
            "il2": sp["il2_diffusion"].value,
            "il12": sp["cytokine_diffusion"].value,
            "il10": sp["cytokine_diffusion"].value,
            "tgfb": sp["cytokine_diffusion"].value,
            "cxcl9": sp["chemokine_diffusion"].value,
            "ccl2": sp["chemokine_diffusion"].value,
            "debris": sp["debris_diffusion"].value,
        }
        decay = {name: ps.value(f"{name}_clearance_rate") for name in FIELD_NAMES[1:-1]}
        decay["oxygen"] = sp["oxygen_decay"].value
        decay["debris"] = ps.value("tumor_antigen_decay_rate")
        vessel_o2 = sp["oxygen_vessel"].value
        oxygen_boundary = vessel_o2 if self.settings.oxygen else None
        fields = FieldSet(
            FIELD_NAMES,
            self.grid.shape,
            dx=self.grid.dx,
            diffusion=[
                diffusion[f] if (f != "oxygen" or self.settings.oxygen) else 0.0
                for f in FIELD_NAMES
            ],
            decay=[
                decay[f] if (f != "oxygen" or self.settings.oxygen) else 0.0 for f in FIELD_NAMES
            ],
            boundary=[oxygen_boundary if f == "oxygen" else None for f in FIELD_NAMES],
            quasi_steady=[f == "oxygen" and self.settings.oxygen for f in FIELD_NAMES],
        )
        fields.values[O2] = vessel_o2
        return fields

    def _place_lesion(self) -> None:
        s = self.settings
        vox = self.grid.lesion_voxels(s.initial_tumor_cells)
        fractions = s.initial_clone_fractions or [1.0]
        clone = self.rng.choice(
            len(fractions), size=vox.size, p=np.asarray(fractions) / sum(fractions)
        )
        self.cells.add(np.full(vox.size, TUMOR), vox, clone)
        self.lesion_radius = float(self.grid.distance_from_center()[vox].max()) + 0.5

    def _place_vessels(self) -> np.ndarray:
        s = self.settings
        d = self.grid.distance_from_center()
        if s.vessels == "everywhere":
            return np.ones(self.grid.n, dtype=bool)
        density = self.spatial["vessel_density"].value
        if s.vessels == "margin":
            width = s.margin_width_um / self.grid.dx
            region = (d > self.lesion_radius) & (d <= self.lesion_radius + width)
        else:
            region = np.ones(self.grid.n, dtype=bool)
        mask = region & (self.rng.random(self.grid.n) < density)
        if not mask.any():
            mask[np.flatnonzero(region)[:1]] = True
        return mask

    def _place_immune(self) -> None:
        s = self.settings
        if not s.initial_immune_density:
            return
        occupied = np.zeros(self.grid.n, dtype=bool)
        occupied[self.cells.voxel[: self.cells.n]] = True
        if s.initial_immune_where == "tumor":
            region = np.flatnonzero(occupied)
        elif s.initial_immune_where == "stroma":
            region = np.flatnonzero(~occupied)
        else:
            region = np.arange(self.grid.n)
        volume = region.size * self.grid.voxel_mm3
        for name, density in s.initial_immune_density.items():
            m = int(round(density * volume))
            if m == 0:
                continue
            spots = self.rng.choice(region, size=min(m, region.size), replace=False)
            self.cells.add(np.full(spots.size, _KIND_CODE[name]), spots)

    # --- stepping -----------------------------------------------------------------------------------

    @property
    def day(self) -> float:
        """Current day on the QSP clock."""
        return self.settings.start_day + self.step_index * self.dt

    def step(self) -> None:
        """Advance one time step."""
        previous = numba.get_num_threads()
        numba.set_num_threads(min(self.n_threads, numba.config.NUMBA_NUM_THREADS))
        try:
            self._step()
        finally:
            numba.set_num_threads(previous)

    def _step(self) -> None:
        c, f, g = self.cells, self.fields, self.grid
        sysv = self.systemic.at(self.day)
        nz, ny, nx = g.shape
        shape = np.array(g.shape, dtype=np.int64)
        values = f.values.reshape(len(FIELD_NAMES), g.n)
        c.reserve(c.n + 1024)
        kernels.count_cells(
            c.n, c.kind, c.voxel, c.clone, self.traits, values, self.p, sysv,
            self.counts_grid, self.tumor_at, self.immune_count, c.recognition, c.pd1_engagement,
        )  # fmt: skip
        kernels.summed_area(self.counts_grid, nz, ny, nx, self.table)
        self.source[:] = 0.0
        self.uptake[:] = 0.0
        kernels.field_terms(
            self.source, self.uptake, self.vessel_mask, self.settings.oxygen, self.p, sysv
        )
        n_before = c.n
        c.n, c.next_uid = kernels.cell_events(
            c.n, c.uid, c.kind, c.voxel, c.clone, c.next_uid, self.traits, values, self.table,
            self.tumor_at, self.immune_count, c.recognition, c.pd1_engagement, self.p, sysv,
            self.source, self.uptake, self.hops, self.radii, shape, self.dt, g.voxel_mm3,
            self.per_molecule, self.seed, self.step_index, self.events,
        )  # fmt: skip
        n_tumor = int(self.counts_grid[0].sum())
        tumor_mm3 = n_tumor / self.parameters.value("tumor_cell_density")
        expected = sysv[self._inflow_channels] * tumor_mm3 / max(self.vessels.size, 1) * self.dt
        c.reserve(c.n + 1024)
        c.n, c.next_uid = kernels.vessel_inflow(
            c.n, c.uid, c.kind, c.voxel, c.clone, c.next_uid, self.vessels, self._inflow_kinds,
            expected, self._inflow_gates, values, self.table, self.tumor_at, self.immune_count,
            self.p, self.radii, shape, g.voxel_mm3, self.seed, self.step_index, self.events,
        )  # fmt: skip
        # Oxygen is quasi-steady and changes only as the tumor does: one ADI cycle every
        # OXYGEN_EVERY_STEPS steps (several at the start, from the uniform initial value).
        cycles = 4 if self.step_index == 0 else int(self.step_index % OXYGEN_EVERY_STEPS == 0)
        f.step(self.dt, self.source, self.uptake, relax_cycles=cycles)
        self.agent_updates += n_before
        self.voxel_updates += g.n * len(FIELD_NAMES)
        self.step_index += 1
        if self.step_index % 10 == 0:
            c.compact()

    def advance(self, days: float) -> None:
        """Advance by `days` (rounded to whole steps)."""
        for _ in range(int(round(days / self.dt))):
            self.step()

    # --- reading ------------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Living cells of each kind."""
        return self.cells.counts()

    def readouts(self) -> dict[str, Any]:
        """Spatial readouts of the current state, with the day and the event counters."""
        c = self.cells
        row: dict[str, Any] = {"day": self.day, "step": self.step_index}
        row.update(
            spatial_readouts(
                c.kind[: c.n],
                c.voxel[: c.n],
                c.clone[: c.n],
                self.grid.shape,
                self.grid.dx,
                self.settings.margin_width_um,
                self.settings.desert_density,
                self.settings.excluded_ratio,
            )
        )
        for k, name in enumerate(FIELD_NAMES):
            row[f"mean_{name}"] = float(self.fields.values[k].mean())
        for k, name in enumerate(kernels.EVENT_NAMES):
            row[f"events_{name}"] = int(self.events[k])
        row["qsp_lesion_mm3"] = float(self.systemic.at(self.day)[S_LESION_MM3])
        return row

    def cell_frame(self) -> pd.DataFrame:
        return self.cells.frame(self.grid.shape, self.grid.dx)


@dataclass(frozen=True)
class AbmResult:
    """What a spatial run produced."""

    out_dir: Path | None
    readouts: pd.DataFrame
    seconds: float
    agent_updates: int
    voxel_updates: int
    steps: int

    def summary(self) -> str:
        last = self.readouts.iloc[-1]
        where = f"; results in {self.out_dir}" if self.out_dir else ""
        return (
            f"spatial run: {self.steps} steps to day {last['day']:.2f} in {self.seconds:.1f} s; "
            f"{int(last['n_tumor'])} tumor cells, CD8 core {last['cd8_core_density']:.0f} / "
            f"margin {last['cd8_margin_density']:.0f} cells/mm³ ({last['immune_class']}){where}"
        )


def run_abm(
    preset: str | ParameterSet,
    *,
    settings: AbmSettings | None = None,
    regimen: Any = None,
    mechanisms: Mapping[str, bool] | None = None,
    parameters: Mapping[str, float | str] | None = None,
    duration_days: float = 14.0,
    seed: int = 0,
    out_dir: Path | None = None,
    progress: bool = False,
    n_threads: int | None = None,
) -> AbmResult:
    """Run a tissue for `duration_days`, taking a snapshot every `settings.save_every_days`.

    With `out_dir`, snapshots (cells, fields), the readout and systemic tables, pictures and a
    manifest are written there as the run goes; without it only the readouts are returned.

    Example:
        >>> from tmesim.engines.abm.config import AbmSettings
        >>> r = run_abm("mouse_b16f10", settings=AbmSettings(grid=[30, 30],
        ...             initial_tumor_cells=100, coupling="fixed"), duration_days=0.5)
        >>> list(r.readouts["day"])
        [7.0, 7.5]
    """
    from rich.progress import Progress

    from tmesim.engines.abm.snapshots import SYSTEMIC_FILE, SnapshotWriter

    settings = settings or AbmSettings()
    if not (math.isfinite(duration_days) and duration_days > 0):
        raise ConfigError("duration_days", duration_days, "give a positive number of days")
    tissue = Tissue(
        preset,
        settings=settings,
        regimen=regimen,
        mechanisms=mechanisms,
        parameters=parameters,
        seed=seed,
        duration_days=duration_days,
        n_threads=n_threads,
    )
    writer = SnapshotWriter(Path(out_dir)) if out_dir is not None else None
    save_steps = max(int(round(settings.save_every_days / tissue.dt)), 1)
    total_steps = int(round(duration_days / tissue.dt))
    rows = []
    start = time.perf_counter()

    def snapshot(index: int) -> None:
        rows.append({"snapshot": index, **tissue.readouts()})
        if writer is None:
            return
        if settings.save_cells:
            writer.write_cells(index, tissue.day, tissue.cell_frame())
        if settings.save_fields:
            writer.write_fields(
                index, tissue.day, FIELD_NAMES, FIELD_UNITS, tissue.fields.values, tissue.grid.dx
            )

    snapshot(0)
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("simulating tissue", total=total_steps)
        for k in range(1, total_steps + 1):
            tissue.step()
            if k % save_steps == 0 or k == total_steps:
                snapshot(len(rows))
            bar.advance(task)
    seconds = time.perf_counter() - start
    readouts = pd.DataFrame(rows)
    if writer is not None:
        writer.write_table("readouts.parquet", readouts)
        writer.write_table(SYSTEMIC_FILE, pd.DataFrame(tissue.systemic.table()))
        if settings.images and settings.save_cells:
            from tmesim.engines.abm.animation import render_run

            render_run(writer.out_dir, tissue.grid.shape, tissue.grid.dx)
        if settings.multicellds and settings.save_cells:
            from tmesim.engines.abm.export_multicellds import export_multicellds

            export_multicellds(writer.out_dir)
    return AbmResult(
        Path(out_dir) if out_dir is not None else None,
        readouts,
        seconds,
        tissue.agent_updates,
        tissue.voxel_updates,
        tissue.step_index,
    )


def replicate_seed(root: int, replicate: int) -> int:
    """The seed of replicate tissue `replicate` of a run with root seed `root` (its own stream).

    Example:
        >>> replicate_seed(1, 0) != replicate_seed(1, 1)
        True
    """
    state = np.random.SeedSequence([int(root), int(replicate)]).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))


@dataclass(frozen=True)
class SpatialRunSummary:
    """What `run_spatial_scenario` did, for the command line."""

    out_dir: Path
    tissues: int
    seconds: float
    last: pd.DataFrame

    def summary(self) -> str:
        classes = ", ".join(
            f"{k}: {v}" for k, v in self.last["immune_class"].value_counts().items()
        )
        tumor = self.last["n_tumor"].mean()
        return (
            f"{self.tissues} spatial tissue(s) in {self.seconds:.1f} s; mean tumor cells at the end "
            f"{tumor:.0f}; immune class {classes}; results in {self.out_dir}"
        )


def run_spatial_scenario(
    scenario: Any, out_dir: Path, *, progress: bool = True, n_threads: int | None = None
) -> SpatialRunSummary:
    """Run a `SimulationScenario` with `engine: abm`: `n_patients` replicate tissues (each its own
    seed stream of the root seed, nominal parameters), each in `tissue-NNN/`, with the combined
    readout table `readouts.parquet` and a manifest."""
    from tmesim.config.validation import validate_config
    from tmesim.engines.abm.snapshots import READOUTS_FILE, SnapshotWriter
    from tmesim.io.manifest import hash_json, write_manifest

    out_dir = Path(out_dir)
    settings = validate_config(AbmSettings, scenario.abm, label="abm", prefix=("abm",))
    start = time.perf_counter()
    tables = []
    for i in range(scenario.n_patients):
        result = run_abm(
            scenario.preset,
            settings=settings,
            regimen=scenario.regimen,
            mechanisms=scenario.mechanisms,
            parameters=scenario.parameters,
            duration_days=scenario.duration_days,
            seed=replicate_seed(scenario.seed, i),
            out_dir=out_dir / f"tissue-{i:03d}",
            progress=progress,
            n_threads=n_threads,
        )
        tables.append(result.readouts.assign(tissue=i))
    readouts = pd.concat(tables, ignore_index=True)
    SnapshotWriter(out_dir).write_table(READOUTS_FILE, readouts)
    seconds = time.perf_counter() - start
    from tmesim.model import build_model
    from tmesim.simulation import Simulation

    sim = Simulation(
        scenario.preset,
        regimen=scenario.regimen,
        mechanisms=scenario.mechanisms,
        parameters_override=scenario.parameters,
    )
    write_manifest(
        out_dir,
        command="simulate --engine abm",
        config=scenario.model_dump(mode="json"),
        seed=scenario.seed,
        model_hash=build_model().structure_hash(),
        parameter_hash=hash_json(
            {"qsp": sim.parameters.content_hash(), "spatial": settings.model_dump(mode="json")}
        ),
        extra={"engine": "abm", "tissues": scenario.n_patients, "seconds": round(seconds, 3)},
    )
    last = readouts.groupby("tissue").tail(1)
    return SpatialRunSummary(out_dir, scenario.n_patients, seconds, last)

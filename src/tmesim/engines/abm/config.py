"""Settings of the spatial engine: the tissue, the initial lesion, time steps, coupling, outputs.

What a scenario's `abm:` block holds. Unknown keys are refused with the nearest valid name, every
value is checked here, so the kernels can trust what they get.

Example:
    >>> s = AbmSettings(dimension=2, grid=[60, 60], initial_tumor_cells=400)
    >>> s.shape, s.voxels
    ((1, 60, 60), 3600)
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tmesim.errors import ConfigError

NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]

IMMUNE_KINDS = ("cd8", "cd4", "treg", "nk", "monocyte", "m1", "m2", "trem2", "mdsc", "dc")
INFLOW_KINDS = ("cd8", "cd4", "treg", "nk", "monocyte", "mdsc", "dc")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FixedSystemic(_Strict):
    """Systemic input held constant, instead of solving the QSP model: immune-cell supply per mm³
    of tumor per day (before local chemokine and myeloid factors) and drug target engagement."""

    cd8: NonNegative = Field(0.0, description="CD8 effector supply, cells/mm³/day.")
    cd4: NonNegative = Field(0.0, description="CD4 helper supply, cells/mm³/day.")
    treg: NonNegative = Field(0.0, description="Treg supply, cells/mm³/day.")
    nk: NonNegative = Field(0.0, description="NK supply, cells/mm³/day.")
    monocyte: NonNegative = Field(0.0, description="Monocyte supply, cells/mm³/day.")
    mdsc: NonNegative = Field(0.0, description="MDSC supply, cells/mm³/day.")
    dc: NonNegative = Field(0.0, description="Dendritic-cell supply, cells/mm³/day.")
    anti_pd1: Fraction = Field(0.0, description="PD-1 occupancy by antibody in the tissue.")
    anti_pdl1: Fraction = Field(0.0, description="PD-L1 occupancy by antibody.")
    anti_ctla4: Fraction = Field(0.0, description="CTLA-4 occupancy by antibody.")
    anti_lag3: Fraction = Field(0.0, description="LAG-3 occupancy by antibody.")
    anti_trem2: Fraction = Field(0.0, description="TREM2 occupancy by antibody.")
    ipi549: Fraction = Field(0.0, description="PI3Kγ inhibition by IPI-549 (C / (C + IC50)).")
    notch_inhibitor: Fraction = Field(0.0, description="Notch inhibition by the inhibitor.")
    il2_plasma_pM: NonNegative = Field(0.0, description="Plasma IL-2 (aldesleukin), pM.")
    ifna_activity: Fraction = Field(0.0, description="Interferon-α activity (0–1).")
    growth_law: NonNegative = Field(
        1.0,
        description="Factor of the QSP growth law (logistic/Gompertz) on proliferation; 1 means "
        "only space and oxygen limit growth.",
    )


class AbmSettings(_Strict):
    """The spatial domain and how to run it.

    Example:
        >>> AbmSettings(dimension=3, grid=[40, 40, 40]).dt_minutes
        6.0
    """

    model_config = ConfigDict(extra="forbid", title="tmesim spatial (agent-based) settings")

    dimension: Literal[2, 3] = Field(2, description="2 (a tissue section) or 3 (a tissue block).")
    grid: list[Annotated[int, Field(ge=3, le=512)]] = Field(
        default_factory=lambda: [100, 100],
        description="Voxels along x, y (and z in 3-D); one entry per dimension.",
    )
    dt_minutes: float = Field(
        6.0,
        gt=0,
        le=60,
        allow_inf_nan=False,
        description="Time step of cell events and of the implicit diffusion solver, in minutes.",
    )
    start_day: float = Field(
        7.0,
        ge=-3650,
        le=3650,
        allow_inf_nan=False,
        description="Day of the QSP timeline (0 = inoculation or treatment start) at which the "
        "tissue starts; regimen days refer to the same clock.",
    )
    initial_tumor_cells: int = Field(
        2000, ge=1, le=5_000_000, description="Tumor cells in the initial lesion (a disk/sphere)."
    )
    initial_clone_fractions: list[Fraction] | None = Field(
        None,
        description="Fraction of initial tumor cells in each clone (default: all clone 0); "
        "placed at random within the lesion.",
    )
    initial_immune_density: dict[str, NonNegative] = Field(
        default_factory=dict,
        description="Immune cells per mm³ of tissue placed at random at the start, by kind "
        f"({', '.join(IMMUNE_KINDS)}).",
    )
    initial_immune_where: Literal["everywhere", "tumor", "stroma"] = Field(
        "everywhere", description="Where the initial immune cells are placed."
    )
    vessels: Literal["margin", "tissue", "everywhere"] = Field(
        "tissue",
        description="margin: vessels only in a shell around the lesion (an excluded-prone "
        "tissue); tissue: throughout lesion and stroma; everywhere: every voxel is a vessel "
        "(a well-mixed test bed).",
    )
    margin_width_um: float = Field(
        100.0, gt=0, le=5000, description="Width of the invasive margin (readouts, vessels)."
    )
    desert_density: NonNegative = Field(
        100.0,
        description="CD8 cells per mm³ below which core and margin make an immune desert "
        "(assumed cut-off; readouts).",
    )
    excluded_ratio: Fraction = Field(
        0.5,
        description="Core / margin CD8 density below which the tumor is excluded (assumed).",
    )
    coupling: Literal["qsp", "fixed"] = Field(
        "qsp",
        description="qsp: immune supply and drug levels from the QSP model of the same preset "
        "and regimen; fixed: the constants in `fixed`.",
    )
    fixed: FixedSystemic = Field(default_factory=FixedSystemic)
    oxygen: bool = Field(True, description="Simulate oxygen (hypoxia and a necrotic core).")
    parameters: dict[str, float | str] = Field(
        default_factory=dict,
        description="Overrides of spatial parameters by id (e.g. cd8_speed: '6 um/min').",
    )
    save_every_days: float = Field(
        1.0, gt=0, allow_inf_nan=False, description="Interval between snapshots, in days."
    )
    save_cells: bool = Field(True, description="Write every cell per snapshot (Parquet).")
    save_fields: bool = Field(True, description="Write the fields per snapshot (NetCDF).")
    images: bool = Field(True, description="Write PNG snapshots and an animated GIF.")
    multicellds: bool = Field(False, description="Also export PhysiCell's MultiCellDS layout.")

    @property
    def shape(self) -> tuple[int, int, int]:
        """(nz, ny, nx); nz = 1 in 2-D."""
        g = self.grid
        return (1, g[1], g[0]) if self.dimension == 2 else (g[2], g[1], g[0])

    @property
    def voxels(self) -> int:
        nz, ny, nx = self.shape
        return nz * ny * nx

    @model_validator(mode="after")
    def _consistent(self) -> AbmSettings:
        if len(self.grid) != self.dimension:
            raise ConfigError(
                "abm.grid",
                self.grid,
                f"give {self.dimension} voxel counts for a {self.dimension}-D tissue",
            )
        if self.initial_tumor_cells > 0.6 * self.voxels:
            raise ConfigError(
                "abm.initial_tumor_cells",
                self.initial_tumor_cells,
                f"the lesion must fit in the tissue: use at most {int(0.6 * self.voxels)} cells "
                "or a larger grid",
            )
        for kind in self.initial_immune_density:
            if kind not in IMMUNE_KINDS:
                raise ConfigError(
                    "abm.initial_immune_density",
                    kind,
                    "use an immune cell kind",
                    choices=IMMUNE_KINDS,
                )
        if self.initial_clone_fractions is not None:
            total = sum(self.initial_clone_fractions)
            if not 0.999 <= total <= 1.001 or len(self.initial_clone_fractions) > 4:
                raise ConfigError(
                    "abm.initial_clone_fractions",
                    self.initial_clone_fractions,
                    "give at most 4 fractions (clones 0–3) that sum to 1",
                )
        return self

"""The spatial engine agrees with the QSP engine in the well-mixed limit.

When the contact and sensing boxes cover the whole tissue, every tumor cell "touches" every T cell,
so the per-cell hazards of the agent-based engine are the QSP model's rate laws evaluated on the
tissue's totals. The reference is the QSP engine itself (`tmesim.Simulation`: the same preset,
parameter overrides and mechanism switches), solved for a lesion that is the tissue: the same
initial tumor cells and effector CD8 T cells, a logistic growth law whose carrying capacity is the
number of voxels (in the tissue a division needs a free voxel), and no CD8 supply (the QSP model,
started without T-cell pools, primes and delivers less than 0.01 CD8 T cells within the four days
compared: checked below, so the tissue's zero supply is the QSP model's own). Other cells the QSP
lesion receives from blood (NK cells, Tregs, monocytes, bystander CD8 T cells) act on neither the
tumor nor the effector CD8 T cells with their mechanisms switched off, so the tissue leaves them
out. Both engines then compute the same things — tumor growth, spontaneous death, CD8 killing in
the QSP-IO form k·C·E/(K_TC·C + E + 1), CD8 death — and are compared on tumor cells and CD8 T
cells over four days, with T cells and without.

Tolerance: the agent-based run is a birth–death process of a few hundred cells; its mean over
seeds differs from the ODE by sampling noise, estimated from the replicates themselves (standard
error = sd / √seeds, at least one cell), and by a bias of order 1/C of a nonlinear stochastic
process. Each day's mean must lie within four standard errors of the QSP value: a real mismatch of
rate laws (a kill rate off by 30%, say, which moves day-4 tumor cells by ~25%) is several times
that.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tmesim import Simulation
from tmesim.engines.abm import AbmSettings, Tissue
from tmesim.engines.abm.parameters import spatial_parameters
from tmesim.parameters import get_preset
from tmesim.parameters.parameter_set import ParameterSet

SIDE = 32
SITES = SIDE * SIDE
TUMOR_CELLS = 200
DAYS = [1.0, 2.0, 3.0, 4.0]
SEEDS = range(6)
Z = 4.0  # standard errors allowed
OFF = (
    "ifng_direct", "ifng_pdl1", "ifng_mhc1", "pd1", "exhaustion", "memory", "treg_suppression",
    "myeloid_suppression", "nk_missing_self", "chemokine_recruitment", "lag3",
)  # fmt: skip
MECHANISMS = {m: False for m in OFF}
OVERRIDES = {
    "tumor_growth_rate": 0.5,
    "tgfb_secretion_tumor_cell": 0.0,
    "cd8_tumor_proliferation_rate": 0.0,
    # the tissue's crowding: a division needs one of SITES voxels free
    "tumor_carrying_capacity": float(SITES),
    "tumor_growth_gompertz": 0.0,
}


def _lesion(cd8: int) -> ParameterSet:
    """mouse_4t1 starting as the tissue does: TUMOR_CELLS tumor cells and `cd8` effector CD8 T
    cells in the tumor, nothing else (no immune pools to prime or supply from)."""
    return dataclasses.replace(
        get_preset("mouse_4t1"),
        initial={"tumor_clone_0": float(TUMOR_CELLS), "cd8_effector_tumor": float(cd8)},
    )


def _qsp(cd8: int) -> dict[str, np.ndarray]:
    sim = Simulation(_lesion(cd8), mechanisms=MECHANISMS, parameters_override=OVERRIDES)
    result = sim.solve(days=DAYS[-1], save_every=1.0)
    days = [int(d) for d in DAYS]
    out = {name: result.observable(name)[0][days] for name in ("tumor_cells", "cd8_effector_tumor")}
    # CD8 T cells delivered over the run: supply (per mm³ of tumor per day) × tumor site × days
    site = result.observable("tumor_volume")[0] + sim.parameters.value("tumor_site_volume")
    out["cd8_delivered"] = np.array([np.max(result.observable("supply_cd8")[0] * site) * DAYS[-1]])
    return out


def _abm(cd8: int) -> np.ndarray:
    """(seeds, days, [tumor, cd8]) counts of the well-mixed tissue."""
    voxel_mm3 = (spatial_parameters()["voxel_size"].value * 1e-3) ** 3
    settings = AbmSettings(
        dimension=2,
        grid=[SIDE, SIDE],
        start_day=0.0,
        initial_tumor_cells=TUMOR_CELLS,
        initial_immune_density={"cd8": cd8 / (SITES * voxel_mm3)} if cd8 else {},
        vessels="everywhere",
        coupling="fixed",  # all supplies zero, growth law 1: the tissue's own crowding acts
        oxygen=False,
        images=False,
        parameters={
            "contact_radius": SIDE,
            "sensing_radius": SIDE,
            "division_push_radius": 0,
            "immune_capacity_free": 50,
            "immune_capacity_tumor": 50,
            "chemotaxis_sensitivity": 0.0,
        },
    )
    out = np.zeros((len(SEEDS), len(DAYS), 2))
    for s, seed in enumerate(SEEDS):
        tissue = Tissue(
            _lesion(cd8), settings=settings, seed=seed, mechanisms=MECHANISMS, parameters=OVERRIDES
        )
        assert tissue.counts()["cd8"] == cd8 and tissue.counts()["tumor"] == TUMOR_CELLS
        elapsed = 0.0
        for d, day in enumerate(DAYS):
            tissue.advance(day - elapsed)
            elapsed = day
            counts = tissue.counts()
            out[s, d] = counts["tumor"], counts["cd8"]
    return out


@pytest.fixture(scope="module")
def runs() -> dict[int, tuple[dict[str, np.ndarray], np.ndarray]]:
    return {cd8: (_qsp(cd8), _abm(cd8)) for cd8 in (0, 40)}


def _within_noise(abm: np.ndarray, qsp: np.ndarray, what: str) -> None:
    mean = abm.mean(axis=0)
    se = np.maximum(abm.std(axis=0, ddof=1) / np.sqrt(abm.shape[0]), 1.0)
    z = (mean - qsp) / se
    assert np.all(np.abs(z) <= Z), f"{what}: ABM {mean} vs QSP {qsp} (z = {np.round(z, 2)})"


@pytest.mark.parametrize("cd8", [0, 40])
def test_tissue_mean_matches_the_qsp_engine_when_well_mixed(runs, cd8):
    qsp, abm = runs[cd8]
    assert qsp["cd8_delivered"][0] < 0.01  # the QSP lesion receives no CD8 T cells either
    _within_noise(abm[:, :, 0], qsp["tumor_cells"], f"tumor cells, {cd8} CD8")
    if cd8:
        _within_noise(abm[:, :, 1], qsp["cd8_effector_tumor"], "CD8 T cells")


def test_the_comparison_is_not_trivial(runs):
    """Crowding and killing both shape the reference: without T cells the tumor outgrows its
    start and slows as the tissue fills; with them it shrinks; both engines agree on the gap."""
    free, killed = runs[0][0]["tumor_cells"], runs[40][0]["tumor_cells"]
    r = OVERRIDES["tumor_growth_rate"]
    assert free[-1] > 2 * TUMOR_CELLS and free[-1] < 0.8 * TUMOR_CELLS * np.exp(r * DAYS[-1])
    assert killed[-1] < 0.5 * TUMOR_CELLS
    gap_abm = runs[0][1][:, -1, 0].mean() / runs[40][1][:, -1, 0].mean()
    assert gap_abm == pytest.approx(free[-1] / killed[-1], rel=0.25)

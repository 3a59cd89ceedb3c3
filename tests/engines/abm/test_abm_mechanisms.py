"""Mechanisms in space: exclusion and chemokine-guided infiltration, IPI-549 in myeloid-rich vs
myeloid-poor tissue, immunoediting by T-cell pressure, and mechanism switches."""

from __future__ import annotations

import numpy as np
import pytest

from tmesim.engines.abm import AbmSettings, Tissue
from tmesim.engines.abm.rules import SW_IFNG_PDL1
from tmesim.errors import ConfigError


def _margin_vessel_tissue(chemokine: bool, seed: int) -> Tissue:
    """A lesion whose vessels lie only in a shell around it; T cells can enter the tumor mass only
    at the QSP entry factor, basal + (1 − basal)·sat(CXCL9/10). Tumor cells make CXCL9/10 when
    IFN-γ reaches them (its half-maximal dose set low so that the T cells' IFN-γ suffices);
    killing is off so the geometry stays put."""
    settings = AbmSettings(
        dimension=2, grid=[50, 50], initial_tumor_cells=700, vessels="margin", coupling="fixed",
        fixed={"cd8": 3e4}, oxygen=False, images=False, margin_width_um=60,
    )  # fmt: skip
    return Tissue(
        "mouse_b16f10",
        settings=settings,
        seed=seed,
        mechanisms={"chemokine_recruitment": chemokine},
        parameters={
            "cd8_kill_rate": 0.0,
            "ifng_tumor_ec50": 1e-4,
            "cxcl9_secretion_tumor_cell": 2e4,
        },
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_excluded_tumor_stays_excluded_without_chemokine_and_a_gradient_brings_t_cells_in(seed):
    without = _margin_vessel_tissue(False, seed)
    with_gradient = _margin_vessel_tissue(True, seed)
    for day in (3.0, 6.0):
        without.advance(3.0)
        with_gradient.advance(3.0)
        a, b = without.readouts(), with_gradient.readouts()
        assert a["immune_class"] == "excluded", (
            day,
            a["cd8_core_density"],
            a["cd8_margin_density"],
        )
        assert b["immune_class"] == "inflamed", day
        ratio_a = a["cd8_core_density"] / a["cd8_margin_density"]
        ratio_b = b["cd8_core_density"] / b["cd8_margin_density"]
        assert ratio_b > 1.5 * ratio_a
        assert b["cd8_in_lesion_fraction"] > 2 * a["cd8_in_lesion_fraction"]
    # CXCL9/10 is made in the lesion: it is highest there (a shallow gradient, its decay length
    # ~1 mm being longer than the tissue; the entry factor does most of the work)
    cx = with_gradient.fields["cxcl9"][0]
    assert cx[25, 25] > cx[0, 0] > 0


def _ipi_tissue(
    preset: str, myeloid_rich: bool, inhibition: float, mechanisms: dict[str, bool] | None = None
) -> Tissue:
    fixed = {"cd8": 2e4, "ipi549": inhibition}
    density = {}
    if myeloid_rich:
        fixed.update(mdsc=3e4, monocyte=3e4)
        density = {"m2": 2e4, "mdsc": 1e4}
    settings = AbmSettings(
        dimension=2, grid=[50, 50], initial_tumor_cells=700, vessels="tissue", coupling="fixed",
        fixed=fixed, oxygen=False, images=False, initial_immune_density=density,
    )  # fmt: skip
    return Tissue(preset, settings=settings, seed=1, mechanisms=mechanisms)


def test_ipi549_raises_infiltration_through_myeloid_suppression_only():
    """In a myeloid-rich tissue IPI-549 (95% PI3Kγ inhibition) raises the CD8 density of the
    tumor core, and the same tissue with myeloid suppression switched off gains as much or more:
    IPI-549's gain, measured, is most of the ablation's (log ratio 0.5–1.2), so it runs through
    the suppressive program (it would exceed the ablation if it acted beside it, and fall far
    short if the inhibition did not reach the program). Without myeloid cells (B16-F10 tissue,
    no myeloid supply) IPI-549 changes nothing: it acts on no tumor or T cell."""
    out = {}
    for preset, rich, inhibition, mechanisms in (
        ("mouse_4t1", True, 0.0, None),
        ("mouse_4t1", True, 0.95, None),
        ("mouse_4t1", True, 0.0, {"myeloid_suppression": False}),
        ("mouse_b16f10", False, 0.0, None),
        ("mouse_b16f10", False, 0.95, None),
    ):
        tissue = _ipi_tissue(preset, rich, inhibition, mechanisms)
        tissue.advance(3.0)
        out[preset, inhibition, bool(mechanisms)] = tissue.readouts()
    control = out["mouse_4t1", 0.0, False]
    treated = out["mouse_4t1", 0.95, False]
    ablated = out["mouse_4t1", 0.0, True]
    rich_gain = treated["cd8_core_density"] / control["cd8_core_density"]
    ablation_gain = ablated["cd8_core_density"] / control["cd8_core_density"]
    poor_gain = (
        out["mouse_b16f10", 0.95, False]["cd8_core_density"]
        / out["mouse_b16f10", 0.0, False]["cd8_core_density"]
    )
    assert rich_gain > 1.5
    assert 0.5 < np.log(rich_gain) / np.log(ablation_gain) < 1.2
    assert abs(poor_gain - 1.0) < 0.1
    # how: macrophages repolarize and the suppressive cytokines fall (never a tumor-cell effect)
    assert treated["tam_m1_fraction"] > 2 * control["tam_m1_fraction"]
    assert treated["mean_il10"] < 0.5 * control["mean_il10"]
    assert treated["mean_il12"] > 2 * control["mean_il12"]


def _editing_tissue(cd8_supply: float, seed: int) -> Tissue:
    settings = AbmSettings(
        dimension=2, grid=[50, 50], initial_tumor_cells=700, vessels="tissue", coupling="fixed",
        fixed={"cd8": cd8_supply}, oxygen=False, images=False,
        initial_clone_fractions=[0.8, 0.2],
    )  # fmt: skip
    return Tissue(
        "mouse_4t1", settings=settings, seed=seed, mechanisms={"myeloid_suppression": False}
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_antigen_low_clone_takes_over_under_t_cell_pressure(seed):
    """4T1 clone 1 presents a tenth of the parental antigen; both grow alike."""
    pressure, control = _editing_tissue(5e4, seed), _editing_tissue(0.0, seed)
    pressure.advance(4.0)
    control.advance(4.0)
    edited = pressure.readouts()["clone_1_fraction"]
    unedited = control.readouts()["clone_1_fraction"]
    assert abs(unedited - 0.2) < 0.05
    assert edited > unedited + 0.08


def test_mechanism_switches_reach_the_spatial_rules():
    settings = AbmSettings(grid=[20, 20], initial_tumor_cells=50, coupling="fixed", images=False)
    on = Tissue("mouse_4t1", settings=settings)
    off = Tissue("mouse_4t1", settings=settings, mechanisms={"ifng_pdl1": False})
    assert on.p[SW_IFNG_PDL1] == 1.0 and off.p[SW_IFNG_PDL1] == 0.0
    with pytest.raises(ConfigError, match="ifng_pdl"):
        Tissue("mouse_4t1", settings=settings, mechanisms={"ifng_pdl": False})


def test_ifng_pdl1_induction_protects_tumor_cells_from_killing():
    """With IFN-γ-induced PD-L1 switched off, the same T cells kill more (PD-1 brake, M1/M5)."""
    kills = {}
    for on in (True, False):
        settings = AbmSettings(
            dimension=2, grid=[40, 40], initial_tumor_cells=500, vessels="tissue",
            coupling="fixed", fixed={"cd8": 5e4}, oxygen=False, images=False,
        )  # fmt: skip
        tissue = Tissue(
            "mouse_b16f10",
            settings=settings,
            seed=3,
            mechanisms={"ifng_pdl1": on},
            parameters={"ifng_tumor_ec50": 1e-3},
        )
        tissue.advance(3.0)
        kills[on] = tissue.readouts()["events_tumor_killed_cd8"]
    assert kills[False] > 1.3 * kills[True]

"""B16-F10: a myeloid-poor, fast-growing mouse melanoma with low MHC-I.

The myeloid-poor comparator of De Henau et al. 2016: IPI-549 adds nothing to checkpoint blockade
when suppressive myeloid cells are scarce. 5e4 cells are inoculated s.c. at day 0.
"""

from tmesim.parameters.library import assumed, calibrated
from tmesim.parameters.parameter_set import Parameter, ParameterSet, Prior
from tmesim.parameters.presets import PresetInfo
from tmesim.parameters.presets._assemble import TRANSPLANTED_MOUSE_START, assemble
from tmesim.parameters.presets._growth import mouse_gompertz_growth

PRESET = PresetInfo(
    name="mouse_b16f10",
    species="mouse",
    description="B16-F10 melanoma (C57BL/6): myeloid-poor, low MHC-I",
    sources="De Henau 2016 Nature (myeloid-poor comparator); LITERATURE.md §3 (B16-F10 doubles every 1.5–2.5 d)",
)


def build() -> ParameterSet:
    overrides = [
        *mouse_gompertz_growth(
            0.12,
            "~75 mm³ at day ~8 and ~1,500 mm³ at day ~18 after 5e4 cells s.c. (LITERATURE.md §3: B16-F10 doubles every ~1.5–2.5 days [r])",
        ),
        Parameter(
            "tam_capacity_density",
            117.465,
            "cell/mm^3",
            calibrated(
                "myeloid-poor: TAMs ~0.1% of cells at most, so that IPI-549 adds little to "
                "checkpoint blockade (De Henau 2016, MSK summary); by `tmesim calibrate` validation/calibrations/de_henau_2016_myeloid (seed 2016) to the De Henau 2016 targets"
            ),
        ),
        Parameter(
            "tumor_myeloid_factor",
            0.3,
            "1",
            calibrated("myeloid-poor tumor (De Henau 2016)"),
            Prior("lognormal", 0.4),
        ),
        Parameter(
            "ccl2_secretion_tumor_cell",
            500.0,
            "molecule/cell/day",
            calibrated("little CCL2"),
            Prior("lognormal", 0.4),
        ),
        Parameter(
            "clone_0_mhc1",
            0.4,
            "1",
            assumed("B16-F10 expresses little MHC-I until IFN-γ induces it"),
        ),
        Parameter(
            "tumor_antigen_breadth",
            0.8,
            "1",
            assumed("B16 is moderately immunogenic"),
            Prior("lognormal", 0.4),
        ),
    ]
    return assemble(
        PRESET, overrides, initial={"tumor_clone_0": 5e4}, start=TRANSPLANTED_MOUSE_START
    )

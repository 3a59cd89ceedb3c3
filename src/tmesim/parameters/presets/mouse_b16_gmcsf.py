"""B16-GMCSF: B16 melanoma engineered to secrete GM-CSF, a myeloid-rich, checkpoint-resistant model.

The second myeloid-rich model of De Henau et al. 2016 (Nature 539:443), next to 4T1: the tumor cells
are B16 cells (little MHC-I until IFN-γ induces it, moderately immunogenic) whose GM-CSF expands
monocytes and granulocytic myeloid cells systemically and fills the tumor with suppressive myeloid
cells. Checkpoint blockade alone does little; the PI3Kγ inhibitor IPI-549 switches the myeloid cells
and restores CD8-dependent control. Cells are inoculated s.c. at day 0 (`initial`); studies start
treatment at ~50–100 mm³.
"""

from tmesim.parameters.library import assumed, calibrated
from tmesim.parameters.parameter_set import Parameter, ParameterSet, Prior
from tmesim.parameters.presets import PresetInfo
from tmesim.parameters.presets._assemble import (
    MYELOID_RECRUITMENT,
    TRANSPLANTED_MOUSE_START,
    assemble,
)
from tmesim.parameters.presets._growth import mouse_gompertz_growth

PRESET = PresetInfo(
    name="mouse_b16_gmcsf",
    species="mouse",
    description="B16-GMCSF melanoma (C57BL/6): B16 secreting GM-CSF, myeloid-rich, checkpoint-resistant",
    sources="De Henau 2016 Nature (myeloid-rich B16-GMCSF); LITERATURE.md §3 (B16 growth, GM-CSF expands myeloid cells); values marked calibrated/assumed per parameter",
)


def build() -> ParameterSet:
    overrides = [
        *mouse_gompertz_growth(
            0.12,
            "as B16-F10: GM-CSF secretion does not change the tumor cells' own proliferation (LITERATURE.md §3)",
        ),
        Parameter(
            "tumor_myeloid_factor",
            52.1717,
            "1",
            calibrated(
                "GM-CSF drives a strong systemic myeloid expansion, enough that checkpoint blockade "
                "alone rarely cures (De Henau 2016: myeloid-rich B16-GMCSF resists checkpoint "
                "blockade); by `tmesim calibrate` validation/calibrations/de_henau_2016_myeloid (seed 2016) to the De Henau 2016 targets"
            ),
            Prior("lognormal", 0.4),
        ),
        Parameter(
            "ccl2_secretion_tumor_cell",
            4e3,
            "molecule/cell/day",
            assumed("GM-CSF-recruited myeloid cells and the tumor attract monocytes (CCL2)"),
            Prior("lognormal", 0.4),
        ),
        Parameter(
            "clone_0_mhc1",
            0.4,
            "1",
            assumed("B16 background: little MHC-I until IFN-γ induces it (as mouse_b16f10)"),
        ),
        Parameter(
            "tumor_antigen_breadth",
            0.8,
            "1",
            assumed("B16 is moderately immunogenic (as mouse_b16f10)"),
            Prior("lognormal", 0.4),
        ),
    ]
    return assemble(
        PRESET,
        overrides,
        initial={"tumor_clone_0": 1e5},
        start=TRANSPLANTED_MOUSE_START,
        correlations=MYELOID_RECRUITMENT,
    )

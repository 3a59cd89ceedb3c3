"""4T1: a myeloid-rich, poorly immunogenic, checkpoint-resistant mouse mammary carcinoma.

The setting of De Henau et al. 2016 (Nature 539:443): tumors rich in suppressive myeloid cells
(granulocytic MDSC, TAMs; 4T1 secretes G-CSF and drives neutrophilia) resist checkpoint blockade, and
the PI3Kγ inhibitor IPI-549 restores CD8-dependent regression. 1e5 cells are inoculated at day 0
into the mammary fat pad; mouse studies start treatment around day 7–10 (~50–100 mm³).
"""

from tmesim.parameters.library import assumed, calibrated
from tmesim.parameters.parameter_set import Parameter, ParameterSet, Prior
from tmesim.parameters.presets import PresetInfo
from tmesim.parameters.presets._assemble import TRANSPLANTED_MOUSE_START, assemble
from tmesim.parameters.presets._growth import mouse_gompertz_growth

PRESET = PresetInfo(
    name="mouse_4t1",
    species="mouse",
    description="4T1 mammary carcinoma (BALB/c): myeloid-rich, checkpoint-resistant",
    sources="De Henau 2016 Nature; LITERATURE.md §3 (growth, myeloid-rich); values marked calibrated/assumed per parameter",
)


def build() -> ParameterSet:
    overrides = [
        *mouse_gompertz_growth(
            0.1,
            "~75 mm³ at day ~9 and ~1,500 mm³ at day ~25 after 1e5 cells in the mammary fat pad (LITERATURE.md §3: 4T1 doubles every ~2–3 days early [r])",
        ),
        Parameter(
            "tumor_myeloid_factor",
            5.06661,
            "1",
            calibrated(
                "4T1 drives a strong G-CSF-dependent myeloid expansion (De Henau 2016: myeloid-rich); "
                "by `tmesim calibrate` validation/calibrations/de_henau_2016_myeloid (seed 2016) to the De Henau 2016 targets"
            ),
            Prior("lognormal", 0.4),
        ),
        Parameter(
            "ccl2_secretion_tumor_cell",
            1e4,
            "molecule/cell/day",
            calibrated("CCL2-rich, monocyte-attracting tumor"),
            Prior("lognormal", 0.4),
        ),
        Parameter(
            "tumor_antigen_breadth",
            0.6,
            "1",
            assumed("4T1 is poorly immunogenic"),
            Prior("lognormal", 0.4),
        ),
        Parameter(
            "clone_1_antigenicity",
            0.1,
            "1",
            assumed("antigen-low variant presents a tenth of the parental antigen"),
        ),
        Parameter(
            "clone_1_emergence_rate", 1e-5, "1", assumed("antigen-loss variants per division")
        ),
        Parameter("clone_2_mhc1", 0.1, "1", assumed("MHC-I-low variant (B2M/HLA loss)")),
        Parameter("clone_2_emergence_rate", 1e-5, "1", assumed("MHC-I-loss variants per division")),
    ]
    return assemble(
        PRESET, overrides, initial={"tumor_clone_0": 1e5}, start=TRANSPLANTED_MOUSE_START
    )

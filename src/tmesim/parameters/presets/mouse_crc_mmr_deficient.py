"""MMR-deficient colorectal carcinoma in mice: many neoantigens, exhausted T cells, TREM2+ TAMs.

The MMR-deficient colorectal model of Mestrallet et al. (Cell Rep Med; LITERATURE.md §4): loss of
mismatch repair (MSH2/MLH1) raises the mutation burden and the neoantigen breadth, so the tumor is
infiltrated by T cells that become exhausted (PD-1-, LAG-3-high) while TREM2+ suppressive
macrophages accumulate on the debris of killed cells. These are the two barriers that PD-1 + CTLA-4
+ LAG-3 + TREM2 blockade removes (up to 100% clearance). MHC-I-loss (B2M) and JAK1-loss variants are
the escape routes of MMR-deficient tumors. Cells are inoculated s.c. at day 0 (`initial`); studies
start treatment at ~50–100 mm³.
"""

from tmesim.parameters.library import assumed
from tmesim.parameters.parameter_set import Parameter, ParameterSet, Prior
from tmesim.parameters.presets import PresetInfo
from tmesim.parameters.presets._assemble import (
    MYELOID_RECRUITMENT,
    TRANSPLANTED_MOUSE_START,
    assemble,
)
from tmesim.parameters.presets._growth import mouse_gompertz_growth

PRESET = PresetInfo(
    name="mouse_crc_mmr_deficient",
    species="mouse",
    description="MMR-deficient colorectal carcinoma (mouse): high antigen breadth, exhausted T cells, TREM2+ TAMs",
    sources="Mestrallet et al. Cell Rep Med (LITERATURE.md §4, secondary); Le 2015 (MMR loss: ~24× more mutations); Molgora 2020 Cell (TREM2+ TAMs); values marked calibrated/assumed per parameter",
)


def build() -> ParameterSet:
    overrides = [
        *mouse_gompertz_growth(
            0.1,
            "~1,000 mm³ by day ~20 despite T-cell infiltration (LITERATURE.md §3: syngeneic colon lines double every ~2–3 days early [r])",
        ),
        Parameter(
            "tumor_antigen_breadth",
            3.0,
            "1",
            assumed(
                "MMR loss multiplies the mutation burden (Le 2015: 1,782 vs 73 mutations); breadth grows less than linearly with mutations"
            ),
            Prior("lognormal", 0.4),
        ),
        Parameter(
            "clone_0_pdl1",
            5.0,
            "molecule/um^2",
            assumed(
                "MMR-deficient tumors up-regulate PD-L1 and other checkpoints (Llosa 2015) [r]"
            ),
            Prior("lognormal", 0.4),
        ),
        Parameter(
            "lag3_engagement_max",
            0.5,
            "1",
            assumed(
                "LAG-3 is a main exhaustion receptor in this model (Mestrallet: LAG-3 blockade adds)"
            ),
        ),
        Parameter(
            "exhaustion_basal_signal",
            0.3,
            "1",
            assumed(
                "abundant chronic antigen drives TOX-dependent exhaustion (exhausted T cells are a barrier, Mestrallet)"
            ),
        ),
        Parameter(
            "tam_trem2_conversion_rate",
            0.2,
            "1/day",
            assumed(
                "TREM2+ TAMs accumulate on debris of T-cell-killed tumor cells (Mestrallet; Molgora 2020)"
            ),
            Prior("lognormal", 0.3),
        ),
        Parameter(
            "clone_2_mhc1",
            0.1,
            "1",
            assumed("MHC-I-low variant (B2M loss, frequent in MMR-deficient tumors)"),
        ),
        Parameter(
            "clone_2_emergence_rate",
            1e-5,
            "1",
            assumed("MMR loss raises the rate of inactivating B2M mutations (per division)"),
        ),
    ]
    return assemble(
        PRESET,
        overrides,
        initial={"tumor_clone_0": 5e5},
        start=TRANSPLANTED_MOUSE_START,
        correlations=MYELOID_RECRUITMENT,
    )

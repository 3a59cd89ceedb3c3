"""MMR-proficient colorectal carcinoma in mice: few neoantigens, TREM2+ TAMs, poorly infiltrated.

The MMR-proficient comparator of Mestrallet et al. (Cell Rep Med; LITERATURE.md §4): with mismatch
repair intact the mutation burden and neoantigen breadth are low, fewer T cells are primed, and
TREM2+ suppressive macrophages dominate the infiltrate; PD-1 blockade alone does little, while
PD-1 + CTLA-4 + LAG-3 + TREM2 blockade cleared >70% of tumors. Cells are inoculated s.c. at day 0
(`initial`); studies start treatment at ~50–100 mm³.
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
    name="mouse_crc_mmr_proficient",
    species="mouse",
    description="MMR-proficient colorectal carcinoma (mouse): low antigen breadth, TREM2+ TAMs",
    sources="Mestrallet et al. Cell Rep Med (LITERATURE.md §4, secondary); Le 2015 (MMR-proficient: 73 mutations); Molgora 2020 Cell (TREM2+ TAMs); values marked calibrated/assumed per parameter",
)


def build() -> ParameterSet:
    overrides = [
        *mouse_gompertz_growth(
            0.1,
            "~1,000 mm³ by day ~20–25 (LITERATURE.md §3: syngeneic colon lines double every ~2–3 days early [r])",
        ),
        Parameter(
            "tumor_antigen_breadth",
            0.6,
            "1",
            assumed("MMR-proficient: few neoantigens (Le 2015: 73 vs 1,782 mutations in patients)"),
            Prior("lognormal", 0.4),
        ),
        Parameter(
            "tumor_myeloid_factor",
            1.5,
            "1",
            assumed("macrophage-dominated infiltrate (Mestrallet: TREM2+ TAMs are a barrier)"),
            Prior("lognormal", 0.4),
        ),
        Parameter(
            "tam_trem2_conversion_rate",
            0.2,
            "1/day",
            assumed("TREM2+ suppressive TAMs dominate (Mestrallet; Molgora 2020)"),
            Prior("lognormal", 0.3),
        ),
    ]
    return assemble(
        PRESET,
        overrides,
        initial={"tumor_clone_0": 5e5},
        start=TRANSPLANTED_MOUSE_START,
        correlations=MYELOID_RECRUITMENT,
    )

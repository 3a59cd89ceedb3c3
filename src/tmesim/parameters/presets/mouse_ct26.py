"""CT26: a myeloid-poor, immunogenic, checkpoint-responsive mouse colon carcinoma.

CT26 (N-nitroso-N-methylurethane-induced colon carcinoma of BALB/c mice) carries many mutations and
expressed neoepitopes, has T-cell-infiltrated tumors with few suppressive myeloid cells, and responds
partly to anti-PD-1 and anti-CTLA-4 (the latter largely by depleting intratumoral Tregs in mice). It
is a myeloid-poor comparator in the sense of De Henau 2016 and the setting of Kosinsky et al. 2018
(radiation ± anti-PD-L1). Cells are inoculated s.c. at day 0 (`initial`); studies start treatment at
~50–100 mm³.
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
    name="mouse_ct26",
    species="mouse",
    description="CT26 colon carcinoma (BALB/c): immunogenic, myeloid-poor, checkpoint-responsive",
    sources="LITERATURE.md §3 (CT26 doubles every 2–3 d; myeloid-poor, responds to checkpoint blockade); Kosinsky 2018 J ImmunoTher Cancer; values marked calibrated/assumed per parameter",
)


def build() -> ParameterSet:
    overrides = [
        *mouse_gompertz_growth(
            0.1,
            "~1,000 mm³ by day ~20–25 after s.c. injection (LITERATURE.md §3: CT26 doubles every ~2–3 days early [r])",
        ),
        Parameter(
            "tumor_antigen_breadth",
            1.5,
            "1",
            assumed(
                "CT26 is carcinogen-induced and highly mutated, with many expressed neoepitopes (Castle 2014 BMC Genomics) [r]"
            ),
            Prior("lognormal", 0.4),
        ),
        Parameter(
            "tumor_myeloid_factor",
            0.4,
            "1",
            calibrated("myeloid-poor tumor (LITERATURE.md §3)"),
            Prior("lognormal", 0.4),
        ),
        Parameter(
            "ccl2_secretion_tumor_cell",
            1e3,
            "molecule/cell/day",
            assumed("little CCL2 in a myeloid-poor tumor"),
            Prior("lognormal", 0.4),
        ),
        Parameter(
            "treg_tumor_entry_rate",
            0.004,
            "1/day",
            assumed(
                "Treg-rich infiltrate: anti-CTLA-4 acts in CT26 largely by depleting intratumoral Tregs (Selby 2013) [r]"
            ),
            Prior("lognormal", 0.3),
        ),
    ]
    return assemble(
        PRESET,
        overrides,
        initial={"tumor_clone_0": 3e5},
        start=TRANSPLANTED_MOUSE_START,
        correlations=MYELOID_RECRUITMENT,
    )

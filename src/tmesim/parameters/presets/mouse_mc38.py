"""MC38: an immunogenic, highly mutated, PD-1-responsive mouse colon adenocarcinoma.

MC38 (carcinogen-induced colon adenocarcinoma of C57BL/6 mice) has a hypermutated, mismatch-repair-
deficient-like genome with many neoantigens, an inflamed, IFN-γ-rich infiltrate with IFN-γ-induced
PD-L1, and responds to anti-PD-1/PD-L1 (Kosinsky 2018 used it with CT26). Its TAMs include TREM2+
macrophages (Molgora 2020 Cell: TREM2 loss or blockade slows MC38). MHC-I-loss variants (B2M) are
the expected escape route of a tumor under strong T-cell pressure. Cells are inoculated s.c. at day
0 (`initial`); studies start treatment at ~50–100 mm³.
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
    name="mouse_mc38",
    species="mouse",
    description="MC38 colon adenocarcinoma (C57BL/6): hypermutated, inflamed, PD-1-responsive",
    sources="LITERATURE.md §3 (MC38 doubles every 2–3 d; MMR deficiency raises mutation burden); Kosinsky 2018; Molgora 2020 Cell (TREM2); values marked calibrated/assumed per parameter",
)


def build() -> ParameterSet:
    overrides = [
        *mouse_gompertz_growth(
            0.1,
            "~1,000 mm³ by day ~20–25 after s.c. injection (LITERATURE.md §3: MC38 doubles every ~2–3 days early [r])",
        ),
        Parameter(
            "tumor_antigen_breadth",
            2.0,
            "1",
            assumed(
                "hypermutated, MMR-deficient-like genome with many neoantigens (LITERATURE.md §3: MMR loss raises mutation burden)"
            ),
            Prior("lognormal", 0.4),
        ),
        Parameter(
            "clone_0_pdl1",
            4.0,
            "molecule/um^2",
            assumed(
                "MC38 expresses PD-L1, raised further by IFN-γ; responds to PD-1/PD-L1 blockade"
            ),
            Prior("lognormal", 0.4),
        ),
        Parameter(
            "tumor_myeloid_factor",
            1.0,
            "1",
            assumed("moderate myeloid infiltrate with TREM2+ TAMs (Molgora 2020)"),
            Prior("lognormal", 0.4),
        ),
        Parameter(
            "tam_trem2_conversion_rate",
            0.15,
            "1/day",
            assumed("TREM2+ TAMs are prominent in MC38 (Molgora 2020 Cell)"),
        ),
        Parameter("clone_2_mhc1", 0.1, "1", assumed("MHC-I-low variant (B2M loss)")),
        Parameter(
            "clone_2_emergence_rate",
            1e-5,
            "1",
            assumed("a hypermutated genome yields MHC-I-loss variants often (per division)"),
        ),
    ]
    return assemble(
        PRESET,
        overrides,
        initial={"tumor_clone_0": 5e5},
        start=TRANSPLANTED_MOUSE_START,
        correlations=MYELOID_RECRUITMENT,
    )

"""Triple-negative breast cancer in adults: fast-growing, intermediate mutational burden, variable
TILs and myeloid-rich stroma.

The setting of PD-(L)1 blockade in TNBC (KEYNOTE-355, IMpassion130) and of the QSP-IO TNBC model
(Wang et al.; Sové 2020). TNBC is the fastest-growing breast cancer subtype (mean volume doubling
103 days vs 241 for ER-positive tumors, Ryu 2014), has more tumor-infiltrating lymphocytes and
PD-L1 than other breast cancers but a modest mutational burden, and often a neutrophil/MDSC- and
macrophage-rich stroma. Each virtual patient's lesion grows untreated from ~1e6 cells to its size at
treatment start (~8 cm³, a 2.5 cm T2 tumor).
Growth is Gompertzian (`_growth.py`): fast while the lesion is small, slower at diagnosis.
A single-patient `Simulation` first runs the nominal patient's ~460 untreated days
(`pretreatment_days`); cohorts grow each patient to its own start size.
"""

from tmesim.parameters.library import assumed
from tmesim.parameters.parameter_set import Parameter, ParameterSet, Prior, TreatmentStart
from tmesim.parameters.presets import PresetInfo
from tmesim.parameters.presets._assemble import ADAPTIVE_RESISTANCE, MYELOID_RECRUITMENT, assemble
from tmesim.parameters.presets._growth import gompertz_growth

VDT = (
    "Ryu 2014 Eur Radiol (serial ultrasound: triple-negative mean volume doubling 103 ± 43 d; "
    "all subtypes median 141 d, 46–825 d)"
)

PRESET = PresetInfo(
    name="human_tnbc",
    species="human",
    description="triple-negative breast cancer (adult): fast growth, intermediate TMB, myeloid-rich stroma",
    sources=f"{VDT}; Sové 2020 / Wang 2021 (QSP-IO TNBC); LITERATURE.md §1–2; values marked assumed/calibrated per parameter",
)


def build() -> ParameterSet:
    overrides = [
        *gompertz_growth(0.003, 0.013, VDT),
        Parameter(
            "tumor_antigen_breadth",
            0.8,
            "1",
            assumed("intermediate mutational burden, the highest among breast cancers"),
            Prior("lognormal", 0.6),
        ),
        Parameter(
            "clone_0_pdl1",
            3.0,
            "molecule/um^2",
            assumed("PD-L1 positive in ~40% (CPS ≥ 1), mostly IFN-γ-induced"),
            Prior("lognormal", 0.8),
        ),
        Parameter(
            "tumor_myeloid_factor",
            2.0,
            "1",
            assumed("neutrophil/MDSC- and macrophage-rich stroma is common in TNBC"),
            Prior("lognormal", 0.8),
        ),
        Parameter(
            "ccl2_secretion_tumor_cell",
            5e3,
            "molecule/cell/day",
            assumed("CCL2-rich basal-like breast tumors recruit monocytes"),
            Prior("lognormal", 0.5),
        ),
    ]
    return assemble(
        PRESET,
        overrides,
        initial={"tumor_clone_0": 1e6},
        start=TreatmentStart(volume_mm3=8_000.0, volume_log_sd=0.6),
        pretreatment_days=460.0,
        correlations={**ADAPTIVE_RESISTANCE, **MYELOID_RECRUITMENT},
    )

"""Metastatic prostate cancer in adults: an immunologically cold, slow-growing, myeloid-rich tumor.

Prostate cancer has one of the lowest mutational burdens among solid tumors, little PD-L1 and
low HLA class I, few infiltrating T cells and a suppressive myeloid infiltrate (MDSCs and
macrophages); PD-1 and CTLA-4 blockade give few responses (nivolumab phase 1: no responses in
prostate cancer, Topalian 2012). It grows slowly: untreated tumors double in volume over years
(Schmid 1993: most organ-confined cancers doubled more slowly than every 4 years; metastatic ones
faster; in castration-resistant disease PSA doubles in months). Each virtual patient's lesion grows
untreated from ~1e6 cells to its size at treatment start (~3 cm³, a 1.8 cm lesion).
Growth is Gompertzian (`_growth.py`): fast while the lesion is small, slower at diagnosis.
A single-patient `Simulation` first runs the nominal patient's ~590 untreated days
(`pretreatment_days`); cohorts grow each patient to its own start size.
"""

from tmesim.parameters.library import assumed
from tmesim.parameters.parameter_set import Parameter, ParameterSet, Prior, TreatmentStart
from tmesim.parameters.presets import PresetInfo
from tmesim.parameters.presets._assemble import ADAPTIVE_RESISTANCE, MYELOID_RECRUITMENT, assemble
from tmesim.parameters.presets._growth import gompertz_growth

VDT = (
    "Schmid, McNeal & Stamey 1993 Eur Urol (PSA-based doubling: 20 of 28 organ-confined cancers "
    "doubled more slowly than every 4 years, faster at higher stage and grade); castration-resistant "
    "disease: PSA doubling ≤ 10 months defines high risk (SPARTAN, PROSPER entry criterion)"
)

PRESET = PresetInfo(
    name="human_prostate",
    species="human",
    description="metastatic prostate cancer (adult): cold, low TMB, myeloid-rich, slow growth",
    sources=f"{VDT}; Topalian 2012 (no responses to nivolumab in prostate cancer); LITERATURE.md §1–2; values marked assumed/calibrated per parameter",
)


def build() -> ParameterSet:
    overrides = [
        *gompertz_growth(0.0025, 0.015, VDT),
        Parameter(
            "tumor_antigen_breadth",
            0.1,
            "1",
            assumed(
                "one of the lowest mutational burdens among solid tumors (~1 mutation/Mb, vs ~10–20 in melanoma at breadth 1.5)"
            ),
            Prior("lognormal", 0.5),
        ),
        Parameter(
            "clone_0_mhc1",
            0.4,
            "1",
            assumed("HLA class I is often low on prostate cancer cells"),
            Prior("logitnormal", 0.5),
        ),
        Parameter(
            "clone_0_pdl1",
            1.5,
            "molecule/um^2",
            assumed("PD-L1 is rarely expressed by prostate cancer cells"),
            Prior("lognormal", 0.5),
        ),
        Parameter(
            "tumor_myeloid_factor",
            3.0,
            "1",
            assumed("MDSC- and macrophage-rich infiltrate (myeloid-rich, T-cell-poor)"),
            Prior("lognormal", 0.6),
        ),
        Parameter(
            "ccl2_secretion_tumor_cell",
            5e3,
            "molecule/cell/day",
            assumed("CCL2 is abundant in prostate cancer and its bone metastases"),
            Prior("lognormal", 0.5),
        ),
    ]
    return assemble(
        PRESET,
        overrides,
        initial={"tumor_clone_0": 1e6},
        start=TreatmentStart(volume_mm3=3_000.0, volume_log_sd=0.6),
        pretreatment_days=590.0,
        correlations={**ADAPTIVE_RESISTANCE, **MYELOID_RECRUITMENT},
    )

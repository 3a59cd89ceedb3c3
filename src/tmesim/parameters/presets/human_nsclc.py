"""Advanced non-small-cell lung cancer in adults: smoking-related mutational burden, PD-L1-driven
selection for PD-(L)1 blockade.

The setting of first-line pembrolizumab (KEYNOTE-024/-042) and of the nivolumab phase 1 trial
(Topalian 2012: ORR 18% in NSCLC). Tumors of smokers carry a high mutational burden, PD-L1 varies
widely between patients (and rises with the IFN-γ of an inflamed tumor, hence its correlation with
antigen breadth here), neutrophil/MDSC-rich infiltrates are common, and HLA class I loss is a
frequent escape route. Lesions double in volume every ~100–250 days (median 98–191 days in CT
series). Each virtual patient's lesion grows untreated from ~1e6 cells to its size at treatment
start (~10 cm³, a 2.7 cm lesion).
Growth is Gompertzian (`_growth.py`): fast while the lesion is small, slower at diagnosis.
A single-patient `Simulation` first runs the nominal patient's ~530 untreated days
(`pretreatment_days`); cohorts grow each patient to its own start size.
"""

from tmesim.parameters.library import assumed
from tmesim.parameters.parameter_set import Parameter, ParameterSet, Prior, TreatmentStart
from tmesim.parameters.presets import PresetInfo
from tmesim.parameters.presets._assemble import ADAPTIVE_RESISTANCE, MYELOID_RECRUITMENT, assemble
from tmesim.parameters.presets._growth import gompertz_growth

VDT = (
    "Henschke 2012 Radiology (median VDT 98 d, screen-detected); Mackintosh 2014 Respirology "
    "(median 191 d, resected NSCLC); Honda 2009 Lung Cancer (squamous 131 d, adenocarcinoma 258 d)"
)

PRESET = PresetInfo(
    name="human_nsclc",
    species="human",
    description="advanced NSCLC (adult): high TMB in smokers, variable PD-L1, first-line PD-(L)1 blockade",
    sources=f"{VDT}; Topalian 2012 (nivolumab ORR 18%); LITERATURE.md §1–2; values marked assumed/calibrated per parameter",
)


def build() -> ParameterSet:
    overrides = [
        *gompertz_growth(0.003, 0.0135, VDT),
        Parameter(
            "tumor_antigen_breadth",
            1.2,
            "1",
            assumed(
                "smoking-related mutational burden, somewhat below melanoma (Alexandrov 2013) [r]"
            ),
            Prior("lognormal", 0.7),
        ),
        Parameter(
            "clone_0_pdl1",
            4.0,
            "molecule/um^2",
            assumed(
                "PD-L1 tumor proportion score ranges from <1% to ≥50% (~30% of patients) between patients"
            ),
            Prior("lognormal", 0.9),
        ),
        Parameter(
            "tumor_myeloid_factor",
            1.0,
            "1",
            assumed("neutrophil/MDSC-rich infiltrates are common; high blood neutrophil counts"),
            Prior("lognormal", 0.8),
        ),
        Parameter("clone_2_mhc1", 0.2, "1", assumed("HLA class I loss-of-heterozygosity variant")),
        Parameter(
            "clone_2_emergence_rate",
            1e-6,
            "1",
            assumed("HLA LOH is frequent in NSCLC (McGranahan 2017 Cell, ~40%) [r]; per division"),
        ),
    ]
    return assemble(
        PRESET,
        overrides,
        initial={"tumor_clone_0": 1e6},
        start=TreatmentStart(volume_mm3=10_000.0, volume_log_sd=0.6),
        pretreatment_days=530.0,
        correlations={**ADAPTIVE_RESISTANCE, **MYELOID_RECRUITMENT},
    )

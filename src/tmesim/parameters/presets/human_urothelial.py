"""Advanced urothelial carcinoma in adults: high mutational burden, TGF-β-mediated T-cell exclusion.

The setting of second-line PD-(L)1 blockade (atezolizumab, IMvigor210; pembrolizumab, KEYNOTE-045).
Urothelial carcinoma has one of the higher mutational burdens (APOBEC signature); response to
anti-PD-L1 is associated with CD8 T-cell infiltration and tumor mutational burden, and resistance
with TGF-β signalling in fibroblasts that keeps T cells out of the tumor (Mariathasan 2018 Nature).
Each virtual patient's lesion grows untreated from ~1e6 cells to its size at treatment start
(~8 cm³, a 2.5 cm lesion).
Growth is Gompertzian (`_growth.py`): fast while the lesion is small, slower at diagnosis.
A single-patient `Simulation` first runs the nominal patient's ~470 untreated days
(`pretreatment_days`); cohorts grow each patient to its own start size.
"""

from tmesim.parameters.library import assumed
from tmesim.parameters.parameter_set import Parameter, ParameterSet, Prior, TreatmentStart
from tmesim.parameters.presets import PresetInfo
from tmesim.parameters.presets._assemble import ADAPTIVE_RESISTANCE, MYELOID_RECRUITMENT, assemble
from tmesim.parameters.presets._growth import gompertz_growth

VDT = (
    "assumed: volume doubling ~100–150 days as in other carcinomas (NSCLC and colorectal CT series); "
    "no volumetric growth series of urothelial carcinoma was found"
)

PRESET = PresetInfo(
    name="human_urothelial",
    species="human",
    description="advanced urothelial carcinoma (adult): high TMB, TGF-β-driven T-cell exclusion",
    sources="Mariathasan 2018 Nature (TGF-β, TMB and anti-PD-L1 response); LITERATURE.md §1–2; values marked assumed/calibrated per parameter",
)


def build() -> ParameterSet:
    overrides = [
        *gompertz_growth(0.003, 0.013, VDT),
        Parameter(
            "tumor_antigen_breadth",
            1.2,
            "1",
            assumed("high mutational burden (APOBEC), like NSCLC of smokers (Alexandrov 2013) [r]"),
            Prior("lognormal", 0.7),
        ),
        Parameter(
            "clone_0_pdl1",
            3.0,
            "molecule/um^2",
            assumed("PD-L1 mostly on immune cells, low and variable on tumor cells"),
            Prior("lognormal", 0.8),
        ),
        Parameter(
            "tgfb_secretion_tumor_cell",
            1000.0,
            "molecule/cell/day",
            assumed(
                "TGF-β-rich stroma in non-responders (Mariathasan 2018: TGF-β excludes T cells); tumor-site TGF-β from tumor and fibroblasts, braking CD8 killing and polarizing TAMs to M2"
            ),
            Prior("lognormal", 0.6),
        ),
        Parameter(
            "tumor_myeloid_factor",
            1.0,
            "1",
            assumed("myeloid infiltrate varies widely between patients"),
            Prior("lognormal", 0.8),
        ),
    ]
    return assemble(
        PRESET,
        overrides,
        initial={"tumor_clone_0": 1e6},
        start=TreatmentStart(volume_mm3=8_000.0, volume_log_sd=0.6),
        pretreatment_days=470.0,
        correlations={**ADAPTIVE_RESISTANCE, **MYELOID_RECRUITMENT},
    )

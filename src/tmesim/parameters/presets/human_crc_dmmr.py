"""Mismatch-repair-deficient (MSI-high) colorectal cancer in adults: very high mutational burden,
inflamed, checkpoint-rich.

The dMMR arm of Le et al. 2015 (NEJM; pembrolizumab: ORR 40% in dMMR vs 0% in pMMR colorectal
cancer; mean 1,782 vs 73 somatic mutations per tumor). dMMR tumors are densely infiltrated by CD8 T
cells and counter them by up-regulating PD-L1 and other checkpoints (Llosa 2015); B2M and JAK1
inactivation are common escape routes. 40–70% of dMMR patients still do not respond to PD-1
blockade alone (LITERATURE.md §4). Each virtual patient's lesion grows untreated from ~1e6 cells to
its size at treatment start (~15 cm³, a 3 cm lesion; dMMR primaries are often bulky).
Growth is Gompertzian (`_growth.py`): fast while the lesion is small, slower at diagnosis.
A single-patient `Simulation` first runs the nominal patient's ~630 untreated days
(`pretreatment_days`); cohorts grow each patient to its own start size.
"""

from tmesim.parameters.library import assumed
from tmesim.parameters.parameter_set import Parameter, ParameterSet, Prior, TreatmentStart
from tmesim.parameters.presets import PresetInfo
from tmesim.parameters.presets._assemble import ADAPTIVE_RESISTANCE, MYELOID_RECRUITMENT, assemble
from tmesim.parameters.presets._growth import COLORECTAL_VDT, gompertz_growth

PRESET = PresetInfo(
    name="human_crc_dmmr",
    species="human",
    description="dMMR / MSI-high colorectal cancer (adult): very high TMB, inflamed, PD-L1-high",
    sources=f"Le 2015 NEJM (1,782 vs 73 mutations; ORR 40% vs 0%); {COLORECTAL_VDT}; LITERATURE.md §3–4; values marked assumed/calibrated per parameter",
)


def build() -> ParameterSet:
    overrides = [
        *gompertz_growth(0.0045, 0.02, COLORECTAL_VDT),
        Parameter(
            "tumor_antigen_breadth",
            4.0,
            "1",
            assumed(
                "Le 2015: 1,782 somatic mutations per dMMR tumor (~24× pMMR); frameshift neoantigens; breadth grows less than linearly with mutations"
            ),
            Prior("lognormal", 0.5),
        ),
        Parameter(
            "clone_0_pdl1",
            5.0,
            "molecule/um^2",
            assumed(
                "dMMR tumors up-regulate PD-L1 and other checkpoints (Llosa 2015 Cancer Discov) [r]"
            ),
            Prior("lognormal", 0.7),
        ),
        Parameter(
            "lag3_engagement_max",
            0.5,
            "1",
            assumed("LAG-3 is up-regulated with PD-1 in the dMMR infiltrate (Llosa 2015) [r]"),
        ),
        Parameter(
            "clone_2_mhc1", 0.05, "1", assumed("MHC-I-negative variant (biallelic B2M loss)")
        ),
        Parameter(
            "clone_2_emergence_rate",
            1e-5,
            "1",
            assumed("B2M mutations are frequent in MSI colorectal cancer [r]; per division"),
        ),
        Parameter(
            "clone_3_ifng_sensing",
            0.0,
            "1",
            assumed(
                "IFN-γ-insensitive variant (JAK1 frameshift, recurrent in MSI tumors; Shin 2017 Cancer Discov)"
            ),
        ),
        Parameter("clone_3_emergence_rate", 1e-6, "1", assumed("JAK1 loss variants per division")),
    ]
    return assemble(
        PRESET,
        overrides,
        initial={"tumor_clone_0": 1e6},
        start=TreatmentStart(volume_mm3=15_000.0, volume_log_sd=0.6),
        pretreatment_days=630.0,
        correlations={**ADAPTIVE_RESISTANCE, **MYELOID_RECRUITMENT},
    )

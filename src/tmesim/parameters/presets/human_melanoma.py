"""Advanced cutaneous melanoma in adults: high mutational burden, variable myeloid infiltrate.

The setting of CheckMate 067 (Larkin 2015) and the pooled ipilimumab analysis (Schadendorf 2015). Each
virtual patient's lesion grows untreated from 1e7 cells for `pretreatment_days`, so that its immune
microenvironment at treatment start emerges from the model rather than being set (QSP-IO practice).
Cohorts grow each patient instead to its own lesion size at treatment start, ~4 cm³ (a 2 cm
metastasis) with a between-patient spread; the nominal lesion reaches it in ~160 days.
"""

from tmesim.parameters.library import assumed, calibrated
from tmesim.parameters.parameter_set import Parameter, ParameterSet, Prior, TreatmentStart
from tmesim.parameters.presets import PresetInfo
from tmesim.parameters.presets._assemble import assemble
from tmesim.parameters.presets._growth import gompertz_growth

PRESET = PresetInfo(
    name="human_melanoma",
    species="human",
    description="advanced melanoma (adult, 75 kg): high TMB, first-line immunotherapy",
    sources="LITERATURE.md §1–2 (QSP-IO structure, antibody PK); values marked assumed/calibrated per parameter",
)


def build() -> ParameterSet:
    overrides = [
        *gompertz_growth(
            0.005,
            0.022,
            "melanoma metastases: median volume doubling 33 d, range 8–212 d (Carlson 2003 Am J "
            "Dermatopathol); ~50 d at 4 cm³ here",
        ),
        Parameter(
            "tam_capacity_density",
            3619.04,
            "cell/mm^3",
            calibrated(
                "T cells outnumber macrophages about four to one in untreated metastases (Erdag "
                "2012 Cancer Res 72:1070); by `tmesim calibrate` "
                "validation/calibrations/melanoma_immune_composition (seed 1070) to the target "
                "erdag_2012_melanoma_t_cell_macrophage_ratio; wide variation between patients "
                "(myeloid-rich and myeloid-poor melanomas; CV 1.0 assumed)"
            ),
            Prior("lognormal", 1.0),
        ),
        Parameter(
            "tumor_antigen_breadth",
            1.5,
            "1",
            assumed(
                "melanoma has among the highest mutational burdens (UV signature); the breadth "
                "varies between patients as the mutational burden does, over about two orders of "
                "magnitude (Alexandrov 2013 Nature 500:415, Fig. 1), hence sd 1.1 of its log"
            ),
            Prior.log_sd(1.1),
        ),
        Parameter(
            "tumor_myeloid_factor",
            0.5,
            "1",
            assumed("melanoma is moderately myeloid-infiltrated; large variation between patients"),
            Prior("lognormal", 1.0),
        ),
        Parameter(
            "clone_0_pdl1",
            3.0,
            "molecule/um^2",
            assumed("low constitutive PD-L1; most is IFN-γ-induced"),
            Prior("lognormal", 0.6),
        ),
        Parameter(
            "clone_1_antigenicity",
            0.3,
            "1",
            assumed(
                "antigen-low variant: how much of the parental clone's recognition it keeps is the "
                "patient's own, from partial losses (loss of one HLA haplotype, which takes with "
                "it the neoantigens that haplotype presented, in ~40% of NSCLC, McGranahan 2017 "
                "Cell 171:1259 [r]; subclonal loss of neoantigens under immune pressure, Anagnostou "
                "2017 Cancer Discov 7:264 [r]) to near-complete ones; median 0.3 with logit sd 1.5 "
                "(10th–90th centile ~0.05–0.75); complete MHC-I loss is clone 2"
            ),
            Prior("logitnormal", 1.5),
        ),
        Parameter(
            "clone_1_emergence_rate", 1e-6, "1", assumed("antigen-loss variants per division")
        ),
        Parameter("clone_2_mhc1", 0.1, "1", assumed("MHC-I-low variant (B2M loss)")),
        Parameter("clone_2_emergence_rate", 1e-6, "1", assumed("MHC-I-loss variants per division")),
    ]
    return assemble(
        PRESET,
        overrides,
        initial={"tumor_clone_0": 1e7},
        start=TreatmentStart(volume_mm3=4_000.0, volume_log_sd=0.6),
        pretreatment_days=161.0,
    )

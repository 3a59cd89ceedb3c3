"""Relapsed/refractory diffuse large B-cell lymphoma in adults, the setting of CD19 CAR-T therapy
with axicabtagene ciloleucel (ZUMA-1: Neelapu 2017 N Engl J Med 377:2531; Locke 2019 Lancet Oncol
20:31).

Interpretation of the model's tumor for a lymphoma: the "tumor" is the patient's measurable
lymphoma (nodal and extranodal masses together, as the sum of the products of diameters of up to
six target lesions reads it, Lugano 2014: Cheson 2014 J Clin Oncol 32:3059), at the model's cell
density; ZUMA-1's median baseline tumor burden was ~3,700 mm² SPD (Locke 2020 Blood Adv 4:4898),
a few bulky nodes of ~100 cm³ together. Response is metabolic (PET): a residual mass without
uptake is a complete response, so dead lymphoma leaves no residue that keeps a lesion measurable.
Clone 0 is the CD19-positive lymphoma, clone 1 the CD19-negative escape slot (CD19 loss at
relapse after axicabtagene ciloleucel, Neelapu 2017), clone 2 a CD19-dim slot; clone 3 is
unused. DLBCL is an aggressive lymphoma: a high proliferative fraction (Ki-67 typically above
60%) balanced by high apoptosis, nodes that double in weeks. Its mutational burden is moderate
and its PD-L1 mostly low (outside primary mediastinal and EBV-positive cases).

The CAR-T kinetics are those of the library (Stein 2019, tisagenlecleucel's cellular kinetics),
checked against the Yescarta label: peak blood CAR-T levels 7–14 days after infusion and decline
to near baseline by 3 months. The decline is met (the nominal patient keeps about a thousandth
of its peak at day 90); the peak is not: it comes at day ~4, because the model's CAR-T cells reach the lymphoma
as they reach a leukemia and clear the nominal patient's ~1e10 cells within days, which ends the
antigen-driven expansion. The model has no barrier to CAR-T entry into nodal masses and no
suppression of CAR-T cells by the lymphoma's microenvironment, so it overstates response here
(the ZUMA-1 targets fail; see the validation page). The faster expansion and shorter persistence of a CD28 construct such as
axicabtagene ciloleucel compared with 4-1BB tisagenlecleucel (Cappell & Kochenderfer 2021 Nat Rev
Clin Oncol 18:715 [r]) are not separated: no population kinetic model of axicabtagene ciloleucel
was found to parameterise them. The product's fitness varies between patients as in B-ALL:
expansion relative to tumor burden, set by the product's T-cell fitness, decided durable
response in ZUMA-1 (Locke 2020 Blood Adv 4:4898).
"""

from tmesim.parameters.library import STEIN, assumed
from tmesim.parameters.parameter_set import Parameter, ParameterSet, Prior, TreatmentStart
from tmesim.parameters.presets import PresetInfo
from tmesim.parameters.presets._assemble import MYELOID_RECRUITMENT, assemble
from tmesim.parameters.presets.human_b_all import (
    CART_LOSS_CV,
    CART_LOSS_MAX,
    CART_LOSS_MEDIAN,
    PRODUCT_FITNESS_CV,
)

KINETICS = (
    "assumed: aggressive lymphoma, a proliferative fraction (Ki-67) typically above 60% and high "
    "spontaneous apoptosis; untreated nodes double in volume in weeks (Armitage 2007 Blood "
    "110:29, 'How I treat patients with diffuse large B-cell lymphoma' [r])"
)

PRESET = PresetInfo(
    name="human_dlbcl",
    species="human",
    description="relapsed/refractory DLBCL for CD19 CAR-T (axicabtagene ciloleucel): CD19-positive lymphoma with a CD19-negative escape clone",
    sources=f"{KINETICS}; Neelapu 2017 N Engl J Med 377:2531 and Locke 2019 Lancet Oncol 20:31 (ZUMA-1); Locke 2020 Blood Adv 4:4898 (tumor burden, product fitness); Yescarta label (CAR-T kinetics check); {STEIN}; values marked assumed per parameter",
)


def build() -> ParameterSet:
    overrides = [
        Parameter(
            "tumor_growth_rate",
            0.1,
            "1/day",
            f"{KINETICS}: birth rate ~10%/day",
            Prior("lognormal", 0.2),
        ),
        Parameter(
            "tumor_death_rate",
            0.07,
            "1/day",
            f"{KINETICS}: apoptosis ~7%/day: a net growth of ~3%/day (doubling ~3 weeks)",
        ),
        Parameter(
            "nonviable_residue_fraction",
            0.0,
            "1",
            assumed(
                "response is metabolic (PET, Lugano 2014): a residual mass without uptake is a "
                "complete response, so dead lymphoma leaves no measured residue"
            ),
        ),
        Parameter(
            "tumor_antigen_breadth",
            0.4,
            "1",
            assumed(
                "moderate mutational burden, several-fold below melanoma's (Alexandrov 2013 Nature "
                "500:415 [r]); refractory lymphoma has escaped the endogenous T-cell response"
            ),
            Prior("lognormal", 0.6),
        ),
        Parameter(
            "clone_0_pdl1",
            2.0,
            "molecule/um^2",
            assumed("PD-L1 is mostly low in DLBCL (not primary mediastinal or EBV-positive)"),
            Prior("lognormal", 0.6),
        ),
        Parameter(
            "tumor_myeloid_factor",
            0.8,
            "1",
            assumed("lymphoma-associated macrophages are abundant in many DLBCLs"),
            Prior("lognormal", 0.7),
        ),
        Parameter("clone_0_cd19", 1.0, "1", assumed("DLBCL cells express CD19 (the CAR target)")),
        Parameter(
            "clone_1_cd19",
            0.0,
            "1",
            assumed("CD19-negative escape clone (CD19 loss at relapse after CAR-T, Neelapu 2017)"),
        ),
        Parameter(
            "clone_1_emergence_rate",
            1e-8,
            "1",
            assumed(
                "CD19-negative variants per division, as in the B-ALL preset (no lymphoma rate "
                "measured)"
            ),
        ),
        # CD19-dim lymphoma (clone 2) and the loss of CAR-T persistence are carried over from the
        # B-ALL preset, chosen before any lymphoma result was simulated: no lymphoma-specific
        # measurement of either was found. CD19 is heterogeneous in large B-cell lymphoma, with
        # CD19-dim and CD19-negative cells before CAR-T and at progression after axicabtagene
        # ciloleucel (Spiegel 2021 Nat Med 27:1419 [r]); a CD28 product persists no longer than
        # a 4-1BB one (Cappell & Kochenderfer 2021 Nat Rev Clin Oncol 18:715 [r]).
        Parameter(
            "clone_2_cd19",
            0.05,
            "1",
            assumed(
                "CD19-dim lymphoma cells carry ~5% of the typical CD19 density, as in the B-ALL "
                "preset (Majzner 2020 Cancer Discov 10:702: CAR-T activity falls steeply at low "
                "antigen density)"
            ),
        ),
        Parameter(
            "clone_2_emergence_rate",
            1e-6,
            "1",
            assumed(
                "CD19-dim cells arise at 1e-6 per division with a spread of orders of magnitude "
                "between patients, as in the B-ALL preset"
            ),
            Prior.log_sd(2.0),
        ),
        Parameter(
            "cart_persistence_loss_rate",
            CART_LOSS_MEDIAN,
            "1/day",
            "as in the B-ALL preset (calibrated there to Maude 2014 N Engl J Med 371:1507: CTL019 "
            "persistence at 6 months 68%); a CD28 product such as axicabtagene ciloleucel persists "
            "no longer (Yescarta label: blood levels near baseline by 3 months)",
            Prior("lognormal", CART_LOSS_CV, upper=CART_LOSS_MAX),
        ),
        Parameter(
            "cart_product_fitness",
            1.0,
            "1",
            "the typical product is the reference (1 by definition); its between-patient spread "
            f"as in the B-ALL preset ({STEIN}, Table 1: ω² of fold-expansion 2.4); expansion "
            "relative to tumor burden decided durable response in ZUMA-1 (Locke 2020 Blood Adv "
            "4:4898)",
            Prior("lognormal", PRODUCT_FITNESS_CV),
        ),
    ]
    return assemble(
        PRESET,
        overrides,
        initial={"tumor_clone_0": 1e6},
        start=TreatmentStart(volume_mm3=1e5, volume_log_sd=0.8),
        pretreatment_days=356.0,
        correlations=MYELOID_RECRUITMENT,
    )

"""Relapsed/refractory B-cell acute lymphoblastic leukemia in adults and children, the setting of
CD19 CAR-T therapy.

CD19 CAR-T cells give complete remission in most patients (Davila 2014: 88%; ELIANA: 81%, 3-year
event-free survival 44%); relapse comes from CD19-positive disease when CAR-T cells do not persist,
or from CD19-negative escape clones (antigen loss by mutation or splicing, lineage switch).

Interpretation of the model's tumor for a leukemia: the "tumor" is the body's leukemic blast
population (marrow, blood, spleen and nodes together), and `tumor_volume` is a notional volume,
blast count / `tumor_cell_density` (1e5 cells/mm³): 1e11 blasts at diagnosis or relapse stand for
1e6 mm³. The carrying capacity is raised to 1e12 blasts, the lethal leukemic burden. Clone 0 is
the CD19-high leukemia; clone 1 is the CD19-negative escape slot and clone 2 the CD19-dim slot
(both arising from clone 0 divisions); clone 3 is unused. ALL has one of the lowest mutational
burdens, so the endogenous T-cell response is weak. Each virtual patient's leukemia grows untreated from ~1e6 blasts to ~1e11 (the
nominal patient in ~190 days, `pretreatment_days`; cohorts grow each patient to its own burden).
"""

import math

from tmesim.parameters.library import STEIN, assumed, calibrated
from tmesim.parameters.parameter_set import Parameter, ParameterSet, Prior, TreatmentStart
from tmesim.parameters.presets import PresetInfo
from tmesim.parameters.presets._assemble import MYELOID_RECRUITMENT, assemble

KINETICS = (
    "Br J Haematol 1997;98:999 (untreated childhood precursor-B ALL: cell birth ~10–11%/day, "
    "apoptosis ~4%/day, net expansion 6.9 ± 7.3%/day)"
)


PRODUCT_FITNESS_CV = 0.85
"""CV of the product's fitness across patients, fitted to Stein 2019's fold-expansion spread."""

CART_LOSS_MEDIAN = 0.03
"""Median loss rate of CAR-T cells (1/day), calibrated to Maude 2014's 6-month persistence."""
CART_LOSS_CV = math.sqrt(math.expm1(2.0**2))
"""Its between-patient spread: log-sd 2 (calibrated with the median)."""
CART_LOSS_MAX = 0.3
"""Assumed ceiling (1/day): a rejection faster than the contraction of effectors (0.16 /day,
Stein 2019) would be seen as primary non-expansion, which the product's fitness already carries."""

PRESET = PresetInfo(
    name="human_b_all",
    species="human",
    description="relapsed/refractory B-ALL for CD19 CAR-T: CD19-high leukemia with a CD19-negative escape clone",
    sources=f"{KINETICS}; {STEIN}; Davila 2014 and ELIANA (LITERATURE.md §4); values marked assumed/calibrated per parameter",
)


def build() -> ParameterSet:
    overrides = [
        Parameter(
            "tumor_growth_rate",
            0.105,
            "1/day",
            f"{KINETICS}: birth rate",
            Prior("lognormal", 0.15),
        ),
        Parameter("tumor_death_rate", 0.04, "1/day", f"{KINETICS}: apoptosis rate"),
        Parameter(
            "nonviable_residue_fraction",
            0.0,
            "1",
            assumed(
                "leukemic blasts die in blood and marrow and are cleared by phagocytes: no "
                "residual mass (response is read from blast counts, not from a lesion's size)"
            ),
        ),
        Parameter(
            "tumor_carrying_capacity",
            1e12,
            "cell",
            assumed("lethal leukemic burden ~1e12 blasts (~1 kg of cells)"),
        ),
        Parameter(
            "tumor_antigen_breadth",
            0.1,
            "1",
            assumed(
                "ALL has one of the lowest mutational burdens of human cancers (Alexandrov 2013) [r]"
            ),
            Prior("lognormal", 0.5),
        ),
        Parameter(
            "tumor_myeloid_factor",
            0.3,
            "1",
            assumed("leukemic marrow displaces normal myelopoiesis: little myeloid expansion"),
            Prior("lognormal", 0.5),
        ),
        Parameter("clone_0_cd19", 1.0, "1", assumed("B-ALL blasts express CD19 (the CAR target)")),
        Parameter(
            "bystander_cd8_blood",
            0.0,
            "cell",
            assumed(
                "a leukemia is no solid lesion: the T cells of the marrow and blood it shares are "
                "not part of the measured disease burden, so no bystander infiltrate is counted"
            ),
        ),
        # Patient-to-patient variation of CAR-T kinetics: Stein 2019 Table 1 random effects on the
        # log scale (variances ω² of log fold-expansion 2.4, of log contraction rate α 0.91, of log
        # memory fraction FB 0.80, of log slow decline β 0.86), as log-normal priors whose log has
        # that variance. The fold-expansion spread is carried by the product's fitness: antigen-driven
        # expansion stops once the leukemia is cleared, so the spread of the expansion rate does not
        # pass one for one into the spread of the peak. Its CV was fitted so that the virtual cohort
        # of cd19_cart_b_all_cr (400 patients grown to treatment start, seed 88) has sd(log
        # fold-expansion) ≈ 1.55 (= √2.4), given the α spread; CV 0.75 and 0.85 gave 1.50 and 1.56.
        # Check, not fitted: responders had a 1.74-fold higher geometric-mean Cmax than
        # non-responders in ELIANA/ENSIGN (Mueller 2018 Clin Cancer Res 24:6175, 62 vs 8 patients);
        # in that cohort the model's non-responders expand ~30-fold less, so expansion failure
        # carries more of the non-response here than in patients, where leukemia-intrinsic
        # resistance (impaired death-receptor signalling, Singh 2020 Cancer Discov 10:552) and
        # CD19-negative disease also play a part.
        Parameter(
            "cart_expansion_rate",
            1.05,
            "1/day",
            f"{STEIN} (Table 1): net expansion 0.89 /day to a ~3,900-fold peak at day ~9.3, plus the contraction rate (the typical product; its spread is cart_product_fitness)",
        ),
        Parameter(
            "cart_product_fitness",
            1.0,
            "1",
            f"the typical product is the reference (1 by definition); its between-patient CV "
            f"carries the spread of CAR-T fold-expansion, sd of log fold-expansion 1.55 ({STEIN}, "
            "Table 1: ω² 2.4; the CV reproduces it in simulation, see PRODUCT_FITNESS_CV); "
            "products differ in memory-like vs exhausted or effector-skewed T cells (Fraietta 2018 "
            "Nat Med 24:563; Finney 2019 J Clin Invest 129:2123)",
            Prior("lognormal", PRODUCT_FITNESS_CV),
        ),
        Parameter(
            "cart_contraction_rate",
            0.16,
            "1/day",
            f"{STEIN} (Table 1): fast decline α 0.16 /day, random effect ω² 0.91",
            Prior.log_sd(math.sqrt(0.91)),
        ),
        Parameter(
            "cart_memory_rate",
            0.002,
            "1/day",
            calibrated(
                f"persisting fraction ~0.8% after contraction ({STEIN}, Table 1: FB 0.0079, random effect ω² 0.80)"
            ),
            Prior.log_sd(math.sqrt(0.80)),
        ),
        Parameter(
            "cart_memory_death_rate",
            0.0032,
            "1/day",
            f"{STEIN} (Table 1): slow decline β 0.0032 /day, random effect ω² 0.86",
            Prior.log_sd(math.sqrt(0.86)),
        ),
        # How long CAR-T cells persist is drawn per patient: the functional persistence of
        # CTL019 (B-cell aplasia) was lost within 6 months in about a third of patients (Maude 2014
        # N Engl J Med 371:1507: probability of CTL019 persistence at 6 months 68%, 95% CI 50-92;
        # of relapse-free B-cell aplasia 73%), far faster than Stein 2019's slow decline of the
        # transgene (0.0032 /day, what qPCR still detects), because CAR-T cells can be rejected
        # by the host (Turtle 2016 J Clin Invest 126:2123) or stop working. The loss rate's
        # median and spread were set so that the cohort of cd19_cart_b_all_cr loses its last
        # CAR-T cell within 6 months in about a third of patients (calibration to Maude 2014's
        # persistence; the relapse split, cd19_cart_relapse_cd19_negative_share, is not fitted).
        Parameter(
            "cart_persistence_loss_rate",
            CART_LOSS_MEDIAN,
            "1/day",
            calibrated(
                "CAR-T persistence lost within 6 months in about a third of patients (Maude 2014 "
                "N Engl J Med 371:1507: CTL019 persistence at 6 months 68%); host rejection of "
                "the transgene (Turtle 2016 J Clin Invest 126:2123) or loss of function"
            ),
            Prior("lognormal", CART_LOSS_CV, upper=CART_LOSS_MAX),
        ),
        Parameter(
            "clone_1_cd19",
            0.0,
            "1",
            assumed("CD19-negative escape clone (CD19 mutation or splicing, lineage switch)"),
        ),
        # CD19-dim blasts (clone 2): CAR-T cells kill and are stimulated in proportion to the
        # antigen on their target, and CD19 CAR-T activity falls steeply below a threshold antigen
        # density (Majzner 2020 Cancer Discov 10:702), so blasts with little CD19 survive the
        # first wave longer and are held only while CAR-T cells persist; they are CD19-positive,
        # and their return after the CAR-T cells are gone is a CD19-positive relapse.
        Parameter(
            "clone_2_cd19",
            0.05,
            "1",
            assumed(
                "CD19-dim blasts carry ~5% of the typical CD19 density (Majzner 2020 Cancer "
                "Discov 10:702: CAR-T activity falls steeply at low antigen density)"
            ),
        ),
        Parameter(
            "clone_2_emergence_rate",
            1e-6,
            "1",
            assumed(
                "CD19-dim blasts arise at 1e-6 per division (tens of thousands to millions among "
                "1e11 blasts at infusion), a share that varies between patients over orders of "
                "magnitude"
            ),
            Prior.log_sd(2.0),
        ),
        Parameter(
            "clone_1_emergence_rate",
            1e-8,
            "1",
            calibrated(
                "a few thousand CD19-negative blasts among 1e11 at CAR-T infusion, so that CD19-negative relapse follows remission in a minority of patients within a year"
            ),
        ),
    ]
    return assemble(
        PRESET,
        overrides,
        initial={"tumor_clone_0": 1e6},
        start=TreatmentStart(volume_mm3=1e6, volume_log_sd=0.5),
        pretreatment_days=190.0,
        correlations=MYELOID_RECRUITMENT,
    )

"""Literature values of the model's parameters, each with units and a source.

`SHARED` holds values that do not depend on the species (binding constants, cytokine kinetics, per-cell
rates); `MOUSE` and `HUMAN` hold body-size-dependent pools and rates. Drug PK comes from the drug
catalog (`tmesim.therapies`). Presets (`tmesim.parameters.presets`) start from these and override
what their tumor model or indication changes.

Source conventions: a citation is the paper (and table or equation); `[r]` marks a value recalled
from the literature that is still to be checked against the original; "assumed: ..." states the
reasoning for a value no paper gives directly; "calibrated: ..." names the behaviour it was set to
reproduce. Which published targets were used for calibration is recorded by the validation suite:
every value whose source says calibrated (or tuned, fitted, chosen to match) has an entry in the
calibration ledger (`tmesim.validation.ledger`, records in ``validation/calibrations/``).
"""

from __future__ import annotations

from tmesim.parameters.parameter_set import Parameter, Prior

QSPIO = "Sové et al. 2020 CPT:PSP; Milberg et al. 2019 Sci Rep (QSP-IO)"
SPQSP = "Gong et al. 2017 J R Soc Interface; Ruiz-Martinez et al. 2022 PLoS Comput Biol (spQSP-IO)"
STEIN = "Stein et al. 2019 CPT:PSP (tisagenlecleucel cellular kinetics)"


def assumed(reason: str) -> str:
    return f"assumed: {reason}"


def calibrated(behaviour: str) -> str:
    """A calibrated value's source; the value needs an entry in the calibration ledger."""
    return f"calibrated: {behaviour}"


def _p(
    id: str,
    value: float,
    units: str,
    source: str,
    cv: float = 0.0,
    *,
    kind: str = "lognormal",
    upper: float | None = None,
) -> Parameter:
    prior = Prior(kind=kind, cv=cv, upper=upper) if cv > 0 else Prior()  # type: ignore[arg-type]
    return Parameter(id=id, value=value, units=units, source=source, prior=prior)


def _table(*entries: Parameter) -> dict[str, Parameter]:
    out: dict[str, Parameter] = {}
    for e in entries:
        if e.id in out:
            raise ValueError(f"parameter {e.id} listed twice")
        out[e.id] = e
    return out


SHARED: dict[str, Parameter] = _table(
    # --- tumor ---------------------------------------------------------------------------------------
    _p(
        "tumor_cell_density",
        1e5,
        "cell/mm^3",
        "Del Monte 2009 Cell Cycle (about 1e8 cells per cm³ of tumor tissue) [r]",
    ),
    _p(
        "tumor_site_volume",
        1.0,
        "mm^3",
        assumed("a 1 mm³ tissue site hosts infiltrate and cytokines when the tumor is tiny"),
    ),
    _p(
        "tumor_growth_gompertz",
        0.0,
        "1",
        assumed("logistic growth by default; set 1 for Gompertz (Benzekry 2014)"),
    ),
    _p(
        "tumor_antigen_decay_rate",
        1.0,
        "1/day",
        assumed("dead-cell antigen cleared within about a day"),
    ),
    _p(
        "nonviable_residue_fraction",
        0.2,
        "1",
        assumed(
            "a fifth of a dead tumor cell's volume stays as necrosis or is replaced by scar; "
            "responding melanomas leave a regression bed of necrosis, fibrosis and pigment-laden "
            "macrophages in place of the tumor (Tetzlaff 2018 Ann Oncol 29:1861), and so an "
            "untreated lesion near treatment start is ~15–20% non-viable here"
        ),
    ),
    _p(
        "nonviable_clearance_rate",
        0.0085,
        "1/day",
        "resorption of a necrotic mass in human tissue: mean volumes of radiofrequency-ablation "
        "zones of liver metastases on CT from day 1 to 24 months (Zimmermann 2018 Indian J "
        "Radiol Imaging 28:320: 55.2, 34.7, 26.3, 16.5, 12.7, 10.0, 8.9, 8.1, 7.5 mL) follow "
        "a·exp(−kt) + c by least squares with k = 0.0085/day (half-life 82 days) for the resorbed part; "
        "the ~16% that stays is the persistent scar (nonviable_scar_fraction). Melanoma without viable tumor "
        "cells after 6–8 weeks of neoadjuvant checkpoint blockade is still a mass of necrosis, "
        "fibrosis and inflammation at resection (Tetzlaff 2018 Ann Oncol 29:1861; pathological "
        "complete response in 45% with nivolumab + ipilimumab, Amaria 2018 Nat Med 24:1649), "
        "and masses of necrosis and fibrosis without melanoma persist for years in some "
        "patients after ipilimumab ± nivolumab (J Immunother 2023;46:192)",
    ),
    _p(
        "nonviable_scar_fraction",
        0.0,
        "1",
        assumed(
            "no persistent scar in the patient's nominal lesion; ablation zones keep ~16% of their "
            "volume as permanent scar at two years (Zimmermann 2018 Indian J Radiol Imaging "
            "28:320), and a clinical trial gives that share to the lesions that scar "
            "(trials: lesions.scar_probability, lesions.scar_fraction)"
        ),
    ),
    _p(
        "tumor_interstitial_fraction",
        0.3,
        "1",
        "Jain 1987 Cancer Res (tumor interstitial space 20–50%) [r]",
    ),
    _p("ifng_tumor_ec50", 3.0, "pM", f"{QSPIO}: IFN-γ half-maximal for PD-L1 induction ~3 pM"),
    _p(
        "ifng_growth_arrest_max",
        0.5,
        "1",
        assumed("IFN-γ halves proliferation at saturation (Hickey 2024 arrested state)"),
        0.2,
        kind="logitnormal",
    ),
    _p(
        "ifng_tumor_kill_fraction",
        0.3,
        "1",
        assumed(
            "IFN-γ-induced apoptosis of sensing cells up to 30% of their proliferation rate (Gao 2016: IFN-γ kills tumor cells directly)"
        ),
        0.3,
    ),
    _p(
        "ifng_mhc1_fold",
        4.0,
        "1",
        assumed("IFN-γ raises MHC-I several-fold on sensing tumor cells"),
        0.2,
    ),
    _p(
        "ifng_pdl1_induced",
        25.0,
        "molecule/um^2",
        f"{QSPIO}: up to 6-fold PD-L1 induction by IFN-γ",
    ),
    # --- myeloid -------------------------------------------------------------------------------------
    _p(
        "tumor_myeloid_factor",
        1.0,
        "1",
        assumed("moderate myeloid expansion; presets set myeloid-rich or -poor"),
        0.5,
    ),
    _p(
        "tumor_myeloid_factor_half",
        3e6,
        "cell",
        assumed("myeloid expansion half-maximal at a ~30 mm³ tumor"),
    ),
    _p(
        "ccl2_recruitment_half",
        230.0,
        "pM",
        f"{QSPIO}: CCL2 half-maximal for MDSC recruitment 0.23 nM",
    ),
    _p(
        "myeloid_rbpj",
        1.0,
        "1",
        "genotype switch: 1 wild type, 0 myeloid RBPJ knockout (Franklin 2014 LysM-Cre Rbpj)",
    ),
    _p(
        "notch_inhibitor_emax",
        0.9,
        "1",
        assumed("γ-secretase inhibition blocks most Notch signalling"),
    ),
    _p(
        "monocyte_differentiation_rate",
        0.5,
        "1/day",
        assumed("monocytes become TAMs within days of entry (Franklin 2014)"),
    ),
    _p(
        "monocyte_tumor_death_rate",
        0.3,
        "1/day",
        assumed("tumor monocytes that do not differentiate die within days"),
    ),
    _p("ipi549_emax", 0.95, "1", assumed("near-complete PI3Kγ blockade at saturating exposure")),
    _p("macrophage_ifng_half", 2.9, "pM", f"{QSPIO}: M2→M1 IFN-γ half-maximal 2.9 pM"),
    _p("macrophage_il12_half", 0.14, "pM", f"{QSPIO}: M2→M1 IL-12 half-maximal 0.14 pM"),
    _p("macrophage_il10_half", 8.0, "pM", f"{QSPIO}: M1→M2 IL-10 half-maximal 8 pM"),
    _p("macrophage_tgfb_half", 70.0, "pM", f"{QSPIO}: M1→M2 TGF-β half-maximal 0.07 nM"),
    _p(
        "tam_m2_bias",
        1.0,
        "1",
        assumed(
            "new TAMs lean M2-like in the tumor (CSF-1, IL-4); Franklin 2014 notes TAMs are not classically alternatively activated"
        ),
    ),
    _p(
        "tam_proliferation_rate",
        0.3,
        "1/day",
        assumed("TAMs divide locally (Franklin 2014: Ki67+ TAMs)"),
    ),
    _p("tam_capacity_density", 1e4, "cell/mm^3", assumed("TAMs up to ~10% of tumor cellularity")),
    _p("tam_death_rate", 0.02, "1/day", f"{QSPIO}: macrophage death 0.02 /day"),
    _p("tam_m1_to_m2_rate", 0.25, "1/day", f"{QSPIO}: M1→M2 0.25 /day"),
    _p("tam_m2_to_m1_rate", 0.045, "1/day", f"{QSPIO}: M2→M1 0.045 /day"),
    _p(
        "ipi549_repolarization_rate",
        0.3,
        "1/day",
        assumed("PI3Kγ blockade reprograms TAMs within days (Kaneda 2016)"),
    ),
    _p(
        "tam_trem2_conversion_rate",
        0.1,
        "1/day",
        assumed("TREM2+ program acquired over ~10 days in debris-rich tumors (Molgora 2020)"),
    ),
    _p(
        "trem2_debris_half_density",
        1.0e5 / 75.0,
        "cell/mm^3",
        assumed(
            "half-maximal at ~1e5 dead-cell equivalents in a 75 mm³ mouse tumor at treatment start "
            "(the model's earlier absolute half-maximum of 1e5, which the mouse presets' recorded "
            "values were found with, written as a density)"
        ),
    ),
    _p(
        "anti_trem2_depletion_rate",
        0.3,
        "1/day",
        assumed("anti-TREM2 depletes TREM2+ TAMs within days (Molgora 2020)"),
    ),
    _p(
        "anti_trem2_reprogramming_rate",
        0.2,
        "1/day",
        assumed("anti-TREM2 shifts TREM2+ TAMs to immunostimulatory states (Molgora 2020)"),
    ),
    _p("mdsc_death_rate", 0.2, "1/day", assumed("granulocytic MDSC live a few days in tissue")),
    _p("suppression_weight_m2", 1.0, "1", assumed("an M2-like TAM suppresses as much as an MDSC")),
    _p(
        "suppression_weight_trem2",
        1.5,
        "1",
        assumed("TREM2+ TAMs are the most suppressive macrophages (Molgora 2020)"),
    ),
    _p(
        "suppression_weight_monocyte",
        0.1,
        "1",
        assumed(
            "undifferentiated tumor monocytes are weakly suppressive; suppression comes with TAM differentiation (Franklin 2014)"
        ),
    ),
    _p(
        "myeloid_suppression_half",
        4000.0,
        "cell/mm^3",
        calibrated("suppression strong in 4T1-like myeloid-rich tumors, weak in B16-F10-like ones"),
        0.3,
    ),
    _p(
        "myeloid_entry_inhibition_max",
        0.5,
        "1",
        assumed("suppressive myeloid cells halve T-cell entry at most"),
    ),
    _p(
        "myeloid_kill_inhibition_max",
        0.9,
        "1",
        assumed("arginase/NO can nearly abolish CTL function (QSP-IO H_MDSC form)"),
    ),
    _p(
        "myeloid_proliferation_inhibition_max",
        0.8,
        "1",
        assumed("arginine depletion blocks T-cell proliferation"),
    ),
    # --- priming -------------------------------------------------------------------------------------
    _p(
        "ctla4_treg_b7_capture",
        1.0,
        "1",
        assumed(
            "Treg CTLA-4 captures about half of B7 at homeostasis (CTLA-4–CD80 Kd 0.42 µM vs CD28 4 µM, QSP-IO)"
        ),
    ),
    _p(
        "ctla4_tconv_b7_capture",
        0.3,
        "1",
        assumed("cell-intrinsic CTLA-4 on activated T cells captures less B7"),
    ),
    _p("cd28_costimulation_half", 0.3, "1", assumed("CD28 signalling half-maximal at 30% free B7")),
    _p(
        "tumor_cd28_dependence",
        0.0,
        "1",
        assumed("off unless a preset or an override sets it (no preset does yet)"),
    ),
    _p(
        "pd1_cd28_inhibition",
        0.0,
        "1",
        assumed(
            "off unless set; engaged PD-1 dephosphorylates CD28 in preference to the TCR (Hui "
            "2017 Science 355:1428 [r]); acts only with tumor_cd28_dependence"
        ),
    ),
    _p("cd4_help_max", 1.0, "1", assumed("CD4 help doubles CD8 priming at most")),
    _p(
        "tumor_antigen_breadth",
        1.0,
        "1",
        "reference tumor (presets scale it with mutational burden; Le 2015: 1782 vs 73 mutations dMMR vs pMMR)",
        0.5,
    ),
    _p(
        "cd8_priming_rate",
        0.1,
        "1/day",
        assumed("a tenth of cognate precursors recruited per day at full DC loading"),
    ),
    _p(
        "cd8_max_divisions",
        10.0,
        "1",
        assumed("primed CD8 T cells divide up to ~10 times (1000-fold expansion)"),
    ),
    _p("il2_extra_divisions", 2.0, "1", assumed("high-dose IL-2 adds about two divisions")),
    _p(
        "cd8_lymph_node_exit_rate",
        0.3,
        "1/day",
        assumed("primed cells leave the node over ~3 days of expansion"),
    ),
    _p(
        "cd8_memory_recall_rate",
        1.0,
        "1/day",
        assumed("memory cells respond within a day of antigen"),
    ),
    _p(
        "cd8_memory_divisions",
        4.0,
        "1",
        assumed("recalled memory cells divide ~4 times before leaving the node"),
    ),
    _p(
        "cd8_memory_antigen_sensitivity",
        10.0,
        "1",
        assumed("memory T cells respond to ~10-fold less antigen than naive cells"),
    ),
    _p(
        "cd8_memory_formation_rate",
        0.05,
        "1/day",
        assumed("~20% of contracting circulating effectors persist as memory"),
    ),
    _p("cd8_memory_death_rate", 0.003, "1/day", assumed("memory T cells persist for many months")),
    _p(
        "cd8_tumor_memory_formation_rate",
        0.01,
        "1/day",
        assumed(
            "with intratumoral effector death 0.1/day, ~10% of the effectors left when a tumor is "
            "cleared survive contraction as memory (5–10% of an effector response, Kaech & Cui "
            "2012 Nat Rev Immunol [r])"
        ),
    ),
    # --- trafficking and killing ---------------------------------------------------------------------
    _p("cxcl9_recruitment_half", 50.0, "pM", assumed("CXCR3 ligands act in the tens of pM")),
    _p("t_cell_entry_basal_fraction", 0.2, "1", assumed("20% of maximal entry without CXCL9/10")),
    _p(
        "cd8_effector_blood_death_rate",
        0.2,
        "1/day",
        assumed("circulating effectors contract over ~5 days"),
    ),
    _p(
        "pd1_density_effector",
        15.0,
        "molecule/um^2",
        assumed("PD-1 on activated CD8 T cells (a few thousand per cell)"),
    ),
    _p(
        "pd1_density_exhausted",
        45.0,
        "molecule/um^2",
        assumed("exhausted cells carry ~3× more PD-1"),
    ),
    _p(
        "pd1_pdl1_kd_2d",
        19.0,
        "molecule/um^2",
        f"from the 3-D Kd 8.2 µM ({QSPIO}) with a 3.8 nm confinement length [r]",
    ),
    _p(
        "pd1_pdl2_kd_2d",
        5.3,
        "molecule/um^2",
        f"from the 3-D Kd 2.3 µM ({QSPIO}) with a 3.8 nm confinement length [r]",
    ),
    _p(
        "pd1_engagement_half",
        6.0,
        "molecule/um^2",
        f"{QSPIO}: PD1_50 = 6 molecules/µm², Hill n = 2",
    ),
    _p("tumor_pdl2", 1.0, "molecule/um^2", assumed("low PD-L2 on tumor cells")),
    _p(
        "lag3_engagement_max",
        0.3,
        "1",
        assumed("LAG-3 adds about a third of maximal PD-1 signalling"),
    ),
    _p(
        "cd8_kill_rate",
        2.0,
        "1/day",
        calibrated(
            "each CTL kills ~4 tumor cells/day at low E:T (2–16/day for infected targets, Halle 2016)"
        ),
        0.3,
    ),
    _p(
        "cd8_kill_saturation",
        0.5,
        "1",
        calibrated("with cd8_kill_rate, ~4 kills per CTL per day at low E:T"),
        0.0,
    ),
    _p(
        "treg_suppression_ratio",
        5.0,
        "1",
        f"{QSPIO} form T/(T + K·Treg) (K_TReg 11); calibrated to 5",
    ),
    _p("tgfb_t_cell_half", 70.0, "pM", f"{QSPIO}: TGF-β half-maximal 0.07 nM"),
    _p("tgfb_t_cell_inhibition_max", 0.5, "1", assumed("TGF-β halves CTL function at most")),
    _p("il12_t_cell_half", 1.0, "pM", assumed("IL-12 acts on T cells at pM")),
    _p("il12_kill_boost", 1.0, "1", assumed("IL-12 doubles cytotoxicity at most")),
    _p("exhausted_kill_fraction", 0.2, "1", assumed("exhausted cells keep ~20% cytotoxicity")),
    _p(
        "cd8_tumor_proliferation_rate",
        1.0,
        "1/day",
        assumed("antigen- and IL-2-driven division about daily"),
    ),
    _p(
        "il2_t_cell_half",
        1.0,
        "pM",
        assumed(
            "below the high-affinity IL-2R Kd (~10 pM): synaptic IL-2 is higher than the bulk interstitial mean"
        ),
    ),
    _p(
        "t_cell_capacity_density",
        5e4,
        "cell/mm^3",
        assumed("T cells can reach half of tumor cellularity"),
    ),
    _p(
        "cd8_effector_tumor_death_rate",
        0.1,
        "1/day",
        assumed("intratumoral effectors live ~10 days (spQSP-IO T-cell lifespan ~10 d)"),
    ),
    _p("cd8_exhausted_death_rate", 0.05, "1/day", assumed("exhausted cells persist weeks")),
    _p("cd8_exhaustion_rate", 0.1, "1/day", f"{QSPIO}: k_exh 0.1 /day"),
    _p(
        "exhaustion_basal_signal", 0.2, "1", assumed("chronic antigen alone drives some exhaustion")
    ),
    _p(
        "cd8_reinvigoration_rate",
        0.1,
        "1/day",
        assumed("exhausted progenitors recover over ~10 days when PD-1/LAG-3 are blocked"),
    ),
    _p(
        "cd4_priming_rate", 10.0, "1/day", assumed("includes ~100-fold clonal expansion of helpers")
    ),
    _p("cd4_helper_death_rate", 0.1, "1/day", assumed("helper effector lifespan ~10 days")),
    _p("treg_il2_proliferation_rate", 0.5, "1/day", assumed("Tregs expand under IL-2 (CD25-high)")),
    _p("treg_tumor_proliferation_rate", 0.3, "1/day", assumed("intratumoral Tregs divide on IL-2")),
    _p("treg_death_rate", 0.1, "1/day", assumed("Treg lifespan ~10 days")),
    _p(
        "il2_systemic_half",
        300.0,
        "pM",
        assumed("systemic expansion needs high-dose IL-2 plasma levels"),
    ),
    # --- NK and DC -----------------------------------------------------------------------------------
    _p("nk_death_rate", 0.1, "1/day", assumed("NK lifespan ~10 days")),
    _p("nk_il2_proliferation_rate", 0.5, "1/day", assumed("IL-2 expands NK cells")),
    _p("il12_nk_half", 1.0, "pM", assumed("IL-12 acts on NK at pM")),
    _p("il2_nk_half", 20.0, "pM", assumed("intermediate-affinity IL-2R on NK")),
    _p("nk_activation_gain", 4.0, "1", assumed("cytokines raise NK killing several-fold")),
    _p(
        "nk_kill_rate",
        1.0,
        "1/day",
        assumed("NK kill about one MHC-I-low target per day at low E:T"),
        0.3,
    ),
    _p("nk_kill_saturation", 1.0, "1", assumed("NK : tumor ratio at half-maximal killing")),
    _p(
        "nk_mhc1_inhibition_half",
        0.3,
        "1",
        assumed("NK inhibitory receptors half-engaged at 30% of normal MHC-I"),
    ),
    _p("tgfb_t_cell_half_nk", 70.0, "pM", f"{QSPIO}: TGF-β half-maximal 0.07 nM"),
    _p("dc_recruitment_rate", 10.0, "cell/day/mm^3", assumed("DCs are ~0.1–1% of tumor cells")),
    _p("dc_tumor_death_rate", 0.1, "1/day", assumed("tumor DC lifespan ~10 days")),
    _p("dc_migration_rate", 0.5, "1/day", assumed("loaded DCs leave within 2 days")),
    _p(
        "dc_antigen_half",
        1e5,
        "cell",
        assumed("DC loading half-maximal at 1e5 dead-cell equivalents"),
    ),
    _p("il10_dc_half", 8.0, "pM", f"{QSPIO}: IL-10 half-maximal 8 pM"),
    _p("il10_dc_inhibition_max", 0.7, "1", assumed("IL-10 strongly restrains DC maturation")),
    _p("ifna_dc_maturation_gain", 2.0, "1", assumed("type-I IFN triples DC maturation")),
    _p("dc_lymph_node_death_rate", 0.3, "1/day", assumed("mature DCs live ~3 days in the node")),
    _p(
        "vaccine_dc_half",
        10.0,
        "ug",
        assumed("half-maximal DC loading at 10 µg antigen in the depot"),
    ),
    _p("ifna_ec50", 10.0, "pM", assumed("type-I IFN acts at pM")),
    # --- CAR-T ---------------------------------------------------------------------------------------
    _p(
        "cart_expansion_rate",
        1.05,
        "1/day",
        f"{STEIN} (Table 1): net expansion ln(3,900)/9.3 days = 0.89 /day (a ~3,900-fold peak "
        "at day ~9.3) plus the contraction rate α 0.16 /day; arithmetic on the published "
        "kinetics, no simulated outcome",
    ),
    _p(
        "cart_product_fitness",
        1.0,
        "1",
        assumed("a typical product is the reference (1); presets set its between-patient spread"),
    ),
    _p("cart_contraction_rate", 0.16, "1/day", f"{STEIN}: fast decline 0.16 /day"),
    _p(
        "cart_memory_rate",
        0.002,
        "1/day",
        calibrated(f"persisting fraction ~0.8% after contraction ({STEIN})"),
    ),
    _p("cart_memory_death_rate", 0.0032, "1/day", f"{STEIN}: slow decline 0.0032 /day"),
    _p(
        "cart_memory_reactivation_rate",
        0.3,
        "1/day",
        assumed("persisting CAR-T re-expand on antigen return"),
    ),
    _p(
        "cart_exhaustion_rate",
        0.02,
        "1/day",
        assumed("slow exhaustion under chronic antigen (León-Triana 2021)"),
    ),
    _p("cart_exhausted_death_rate", 0.1, "1/day", assumed("exhausted CAR-T die over ~10 days")),
    _p(
        "cart_persistence_loss_rate",
        0.0,
        "1/day",
        assumed(
            "no loss of CAR-T cells beyond their own kinetics, whose slow decline is Stein 2019's "
            "(a preset sets it where persistence data exist)"
        ),
    ),
    _p("cart_kill_rate", 3.0, "1/day", assumed("CAR-T kill several targets per day")),
    _p("cart_kill_saturation", 0.5, "1", assumed("CAR-T : target ratio at half-maximal killing")),
    # --- cytokines (molecules/cell/day and clearance) ------------------------------------------------
    _p("il12_ifng_boost", 2.0, "1", assumed("IL-12 triples IFN-γ secretion at most")),
    _p("il12_ifng_half", 1.0, "pM", assumed("IL-12 acts at pM")),
    _p(
        "ifng_secretion_cd8",
        1e4,
        "molecule/cell/day",
        calibrated("a few pM IFN-γ with ~1% engaged CD8 T cells"),
    ),
    _p(
        "ifng_secretion_cd4",
        5e3,
        "molecule/cell/day",
        assumed("Th1 helpers secrete half as much as engaged CTLs"),
    ),
    _p("ifng_secretion_nk", 5e3, "molecule/cell/day", assumed("activated NK secrete IFN-γ")),
    _p("ifng_clearance_rate", 5.6, "1/day", f"{SPQSP}: IFN-γ decay 6.5e-5 /s"),
    _p("il2_secretion_cd4", 5e4, "molecule/cell/day", assumed("helpers are the main IL-2 source")),
    _p(
        "il2_secretion_cd8",
        2e4,
        "molecule/cell/day",
        assumed("engaged CTLs make IL-2, less than helpers"),
    ),
    _p("il2_consumption_treg", 1e-4, "1/day/cell", assumed("CD25-high Tregs are an IL-2 sink")),
    _p(
        "il2_consumption_effector",
        1e-5,
        "1/day/cell",
        assumed("activated effectors consume IL-2, less per cell than Tregs"),
    ),
    _p(
        "il2_plasma_exchange_rate",
        1.0,
        "1/day",
        assumed("IL-2 (15 kDa) equilibrates with plasma within a day"),
    ),
    _p("il2_clearance_rate", 2.4, "1/day", f"{SPQSP}: IL-2 decay 2.78e-5 /s"),
    _p("il12_secretion_dc", 1e3, "molecule/cell/day", assumed("DCs make IL-12")),
    _p("il12_secretion_m1", 500.0, "molecule/cell/day", assumed("M1-like TAMs make IL-12")),
    _p(
        "il12_secretion_switched_myeloid",
        500.0,
        "molecule/cell/day",
        assumed("PI3Kγ-blocked myeloid cells make IL-12 like M1 (Kaneda 2016)"),
    ),
    _p("il12_clearance_rate", 5.0, "1/day", assumed("hours-scale clearance like other cytokines")),
    _p("il10_secretion_m2", 500.0, "molecule/cell/day", assumed("M2-like TAMs make IL-10")),
    _p("il10_secretion_trem2", 500.0, "molecule/cell/day", assumed("TREM2+ TAMs make IL-10")),
    _p("il10_secretion_mdsc", 300.0, "molecule/cell/day", assumed("MDSCs make IL-10")),
    _p("il10_secretion_treg", 1e3, "molecule/cell/day", assumed("Tregs make IL-10")),
    _p("il10_clearance_rate", 5.0, "1/day", assumed("hours-scale clearance")),
    _p(
        "tgfb_secretion_tumor_cell",
        300.0,
        "molecule/cell/day",
        calibrated("tens of pM TGF-β in tumors"),
    ),
    _p("tgfb_secretion_m2", 3e3, "molecule/cell/day", assumed("M2-like TAMs make TGF-β")),
    _p("tgfb_secretion_trem2", 3e3, "molecule/cell/day", assumed("TREM2+ TAMs make TGF-β")),
    _p("tgfb_secretion_mdsc", 2e3, "molecule/cell/day", assumed("MDSCs make TGF-β")),
    _p("tgfb_secretion_treg", 3e3, "molecule/cell/day", assumed("Tregs make TGF-β")),
    _p("tgfb_clearance_rate", 10.0, "1/day", assumed("active TGF-β is cleared in hours")),
    _p(
        "cxcl9_secretion_tumor_cell",
        1e3,
        "molecule/cell/day",
        calibrated("tens of pM CXCL9/10 in an IFN-γ-exposed tumor"),
    ),
    _p(
        "cxcl9_secretion_m1",
        2e4,
        "molecule/cell/day",
        assumed("M1-like TAMs are strong CXCL9/10 producers"),
    ),
    _p("cxcl9_secretion_dc", 2e4, "molecule/cell/day", assumed("DCs produce CXCL9/10")),
    _p("cxcl9_clearance_rate", 10.0, "1/day", assumed("chemokines cleared in hours")),
    _p(
        "ccl2_secretion_tumor_cell",
        3e3,
        "molecule/cell/day",
        calibrated("a few hundred pM CCL2 in a myeloid-attracting tumor"),
        0.5,
    ),
    _p("ccl2_secretion_m2", 5e3, "molecule/cell/day", assumed("M2-like TAMs amplify CCL2")),
    _p("ccl2_clearance_rate", 10.0, "1/day", assumed("chemokines cleared in hours")),
)

# --- body-size dependent values ------------------------------------------------------------------------
MOUSE: dict[str, Parameter] = _table(
    _p(
        "tumor_growth_rate",
        0.45,
        "1/day",
        "LITERATURE.md §3: syngeneic tumors double every ~1.5–2.5 days",
        0.15,
    ),
    _p("tumor_death_rate", 0.05, "1/day", assumed("a few % apoptosis per day in growing tumors")),
    _p(
        "tumor_carrying_capacity",
        4e8,
        "cell",
        assumed("~4,000 mm³ at 1e5 cells/mm³, above the humane endpoint"),
    ),
    _p(
        "immune_entry_volume_half",
        50.0,
        "mm^3",
        calibrated(
            "entry per circulating cell saturates for tumors of ~50 mm³, so that T cells infiltrate established mouse tumors within days of checkpoint blockade and memory cells reach a 1 mm³ rechallenge (flagship study: timing of 4T1/B16 responses, rejection of rechallenge)"
        ),
    ),
    _p(
        "monocyte_production_rate",
        1e6,
        "cell/day",
        assumed("~1e6 blood monocytes in a mouse, turnover ~1 day (Yona 2013)"),
    ),
    _p(
        "monocyte_blood_death_rate",
        1.0,
        "1/day",
        "Yona et al. 2013 Immunity (Ly6C-high monocyte half-life ~20 h) [r]",
    ),
    _p(
        "monocyte_recruitment_rate",
        0.1,
        "1/day",
        assumed("a tenth of blood monocytes per day reach a large CCL2-rich tumor"),
    ),
    _p(
        "mdsc_recruitment_rate",
        100.0,
        "cell/day/mm^3",
        calibrated("thousands of MDSC per mm³ in 4T1-like tumors"),
    ),
    _p(
        "dc_priming_half",
        3e3,
        "cell",
        assumed("a few thousand loaded DCs saturate the draining node"),
    ),
    _p(
        "treg_blood_reference",
        1e6,
        "cell",
        assumed("recirculating Tregs that reach the draining node in a mouse"),
    ),
    _p("treg_production_rate", 1e5, "cell/day", assumed("steady state 1e6 with a 10-day lifespan")),
    _p("treg_blood_max", 5e6, "cell", assumed("IL-2 can expand Tregs ~5-fold")),
    _p(
        "treg_tumor_entry_rate",
        0.002,
        "1/day",
        assumed("Tregs are ~10–30% of tumor CD4 cells in mice"),
    ),
    _p("cd4_help_half", 1e4, "cell", assumed("thousands of helpers give half-maximal help")),
    _p(
        "bystander_cd8_blood",
        1e5,
        "cell",
        assumed(
            "specific-pathogen-free laboratory mice carry few effector-memory CD8 T cells "
            "(Beura 2016 Nature 532:512): ~10% of ~1e6 circulating CD8 T cells"
        ),
    ),
    _p(
        "cd8_naive_precursors",
        1000.0,
        "cell",
        assumed(
            "tumor-specific naive CD8 precursors across epitopes in a mouse (~10–100 per epitope)"
        ),
        0.5,
    ),
    _p("cd4_naive_precursors", 500.0, "cell", assumed("tumor-specific naive CD4 precursors"), 0.5),
    _p(
        "t_cell_tumor_entry_rate",
        0.5,
        "1/day",
        assumed(
            "maximal fraction of circulating effectors entering a large inflamed tumor per day"
        ),
    ),
    _p("nk_production_rate", 1e5, "cell/day", assumed("~1e6 circulating NK cells in a mouse")),
    _p("nk_blood_max", 1e7, "cell", assumed("IL-2 can expand NK ~10-fold")),
    _p("nk_tumor_entry_rate", 0.2, "1/day", assumed("NK follow T-cell entry cues")),
    _p(
        "vaccine_dc_loading_rate",
        2e3,
        "cell/day",
        assumed("a vaccine loads thousands of node DCs per day"),
    ),
    _p(
        "anti_ctla4_treg_depletion_rate",
        1.0,
        "1/day",
        "Simpson et al. 2013 J Exp Med; Selby et al. 2013 Cancer Immunol Res (Fc-dependent intratumoral Treg depletion by anti-CTLA-4 in mice) [r]; rate assumed",
    ),
    _p("il2_central_volume", 0.002, "L", "mouse plasma volume ~2 mL [r]"),
    _p(
        "il2_elimination_rate",
        11.7,
        "1/day",
        assumed("recombinant IL-2 t½ ≈ 85 min as in humans (Proleukin label); faster in mice"),
    ),
    _p("ifna_absorption_rate", 4.0, "1/day", assumed("s.c. IFN-α absorbed over hours")),
    _p("ifna_elimination_rate", 8.0, "1/day", assumed("IFN-α t½ ~2 h")),
    _p("ifna_volume", 0.002, "L", "mouse plasma volume ~2 mL [r]"),
    _p(
        "cart_stimulation_half",
        1e6,
        "cell",
        assumed("CAR-T stimulation half-maximal at 1e6 target cells (mouse)"),
    ),
    _p("cart_max", 1e8, "cell", assumed("lymphoid niche of a mouse")),
)

HUMAN: dict[str, Parameter] = _table(
    _p(
        "tumor_growth_rate",
        0.08,
        "1/day",
        assumed(
            "human tumor cells cycle every ~9 days; with the death rate below, lesions double in ~1 month (high cell-loss factor, Steel 1977)"
        ),
        0.4,
    ),
    _p(
        "tumor_death_rate",
        0.055,
        "1/day",
        assumed("cell-loss factor ~0.7 in human carcinomas (Steel 1977) [r]"),
    ),
    _p("tumor_carrying_capacity", 1e11, "cell", assumed("~1 L of tumor tissue at 1e5 cells/mm³")),
    _p(
        "immune_entry_volume_half",
        2e4,
        "mm^3",
        assumed("entry per circulating cell saturates for lesions of ~20 cm³"),
    ),
    _p(
        "monocyte_production_rate",
        2.5e9,
        "cell/day",
        assumed("~2.5e9 blood monocytes (5 L × 500/µL), turnover ~1 day (Patel 2017)"),
    ),
    _p(
        "monocyte_blood_death_rate",
        1.0,
        "1/day",
        "Patel et al. 2017 J Exp Med (classical monocyte circulating lifespan ~1 day) [r]",
    ),
    _p(
        "monocyte_recruitment_rate",
        0.001,
        "1/day",
        assumed("a small fraction of blood monocytes reach one lesion"),
    ),
    _p(
        "mdsc_recruitment_rate",
        30.0,
        "cell/day/mm^3",
        calibrated("hundreds to thousands of MDSC per mm³ in myeloid-rich human tumors"),
    ),
    _p("dc_priming_half", 1e5, "cell", assumed("larger nodes need more loaded DCs")),
    _p(
        "treg_blood_reference",
        1e9,
        "cell",
        assumed("recirculating Tregs reaching tumor-draining nodes"),
    ),
    _p("treg_production_rate", 1e8, "cell/day", assumed("steady state 1e9 with a 10-day lifespan")),
    _p("treg_blood_max", 5e9, "cell", assumed("IL-2 can expand Tregs ~5-fold")),
    _p("treg_tumor_entry_rate", 1e-4, "1/day", assumed("Tregs are a minority of tumor T cells")),
    _p("cd4_help_half", 1e6, "cell", assumed("helpers for half-maximal help")),
    _p(
        "bystander_cd8_blood",
        1e9,
        "cell",
        assumed(
            "adult blood holds ~1–4e9 CD8 T cells (200–800 /µL in 5 L), about half of them "
            "effector-memory or TEMRA cells of other specificities"
        ),
    ),
    _p(
        "cd8_naive_precursors",
        3e4,
        "cell",
        assumed("tumor-specific naive CD8 precursors in a human (30× a mouse)"),
        0.7,
    ),
    _p("cd4_naive_precursors", 1.5e4, "cell", assumed("tumor-specific naive CD4 precursors"), 0.7),
    _p(
        "t_cell_tumor_entry_rate",
        0.3,
        "1/day",
        calibrated(
            "by hand: tumor-specific CD8 densities of tens to hundreds per mm³ in untreated "
            "melanoma at diagnosis (bystander CD8 T cells, which follow the same entry, bring "
            "all CD8 T cells of the nominal melanoma to ~2e4 per mm³)"
        ),
    ),
    _p("nk_production_rate", 2e8, "cell/day", assumed("~2e9 circulating NK cells")),
    _p("nk_blood_max", 2e10, "cell", assumed("IL-2 can expand NK ~10-fold")),
    _p("nk_tumor_entry_rate", 0.001, "1/day", assumed("NK cells are rare in human solid tumors")),
    _p(
        "vaccine_dc_loading_rate", 1e5, "cell/day", assumed("a vaccine loads many node DCs per day")
    ),
    _p(
        "anti_ctla4_treg_depletion_rate",
        0.0,
        "1/day",
        "Sharma et al. 2019 Clin Cancer Res 25:1233 (quantitative IHC of melanoma, prostate and "
        "bladder tumors after ipilimumab, paired melanoma biopsies after tremelimumab, mass "
        "cytometry of paired melanoma: CD4 and CD8 infiltration rises, FOXP3+ cell density does "
        "not change; the authors' position: anti-CTLA-4 does not deplete FOXP3+ Tregs in human "
        "tumors) [v]; so none here. Romano 2015 PNAS 112:6140 saw Fc-mediated Treg lysis by "
        "CD16+ monocytes ex vivo [r], not a depletion measured in tumors. Human anti-CTLA-4 acts "
        "through CD28 co-stimulation in the node (ctla4_treg_b7_capture, cd28_costimulation_half)",
    ),
    _p(
        "cd28_costimulation_half",
        0.6,
        "1",
        calibrated(
            "by hand to checkmate067_orr_ipilimumab, the free-B7 fraction for half-maximal CD28 "
            "co-stimulation of human priming, once anti-CTLA-4 acts only through B7 released from "
            "CTLA-4 (trans-endocytosis of CD80/CD86 by CTLA-4, Qureshi 2011 Science 332:600; Treg "
            "CTLA-4 keeps DC B7 low, Wing 2008 Science 322:271) [r]"
        ),
    ),
    _p(
        "cd8_max_divisions",
        11.44,
        "1",
        calibrated(
            "by hand with cd28_costimulation_half: set so that the untreated expansion of a primed "
            "human CD8 T cell, 2^(divisions × co-stimulation at homeostatic B7 capture, 0.672), "
            "stays 2^7.69 (~200-fold) as with the library's pair (10 divisions, half 0.3, "
            "co-stimulation 0.769); ~2800-fold at "
            "full co-stimulation, inside the 10^3–10^4-fold expansion of human primary CD8 responses "
            "(yellow-fever vaccine, Akondy 2017 Nature 552:362) [r]"
        ),
    ),
    _p(
        "cd8_memory_death_rate",
        1.7e-4,
        "1/day",
        "Hammarlund et al. 2003 Nat Med 9:1131 (virus-specific CD8 and CD4 T-cell memory after "
        "smallpox vaccination declines with a half-life of 8–15 years in humans) [v]: ln 2 / 11 "
        "years",
    ),
    _p(
        "cart_stimulation_half",
        1e9,
        "cell",
        assumed("CAR-T stimulation half-maximal at 1e9 target cells (human)"),
    ),
    _p("cart_max", 1e11, "cell", assumed("lymphoid niche after lymphodepletion")),
)


def clone_defaults(k: int) -> dict[str, Parameter]:
    """Traits of clone slot k: the parental clone (k = 0) and absent variants by default."""
    src = (
        assumed("parental clone is the reference")
        if k == 0
        else assumed("variant absent unless the preset seeds it")
    )
    return _table(
        _p(f"clone_{k}_antigenicity", 1.0, "1", src),
        _p(f"clone_{k}_mhc1", 1.0, "1", src),
        _p(f"clone_{k}_pdl1", 3.0, "molecule/um^2", assumed("low constitutive PD-L1"), 0.5),
        _p(f"clone_{k}_cd19", 0.0, "1", assumed("solid tumors carry no CD19")),
        _p(f"clone_{k}_ifng_sensing", 1.0, "1", assumed("IFN-γ pathway intact")),
        _p(f"clone_{k}_fitness", 1.0, "1", src),
        *([_p(f"clone_{k}_emergence_rate", 0.0, "1", src)] if k > 0 else []),
        *([_p(f"clone_{k}_founder_fraction", 0.0, "1", src)] if k > 0 else []),
    )


def mechanism_defaults(names: list[str]) -> dict[str, Parameter]:
    """Every mechanism switched on."""
    return _table(*(_p(f"mechanism_{n}", 1.0, "1", "mechanism switch (1 on)") for n in names))

"""The per-cell biology, written from the QSP model's rate laws and read from the same parameters.

Every rate here is the QSP model's rate law (`tmesim.model`) for one cell, with local quantities in
place of compartment totals: a field's value in the cell's voxel instead of the tumor concentration,
the cells in the contact box (the Moore neighbourhood) instead of the tumor's populations, and the
density of suppressive myeloid cells in the sensing box instead of their density in the lesion. A
rate h (per day) becomes the probability 1 − exp(−h·dt) of the event in a step. The parameter
values are the preset's (`ParameterSet`), packed into one vector in the order of `QSP_IDS`, followed
by the spatial parameters of `SPATIAL_IDS` (`tmesim.engines.abm.parameters`); mechanism switches are
the model's `mechanism_*` parameters, so `mechanisms={"ifng_pdl1": False}` acts here as in the ODE.

Example:
    >>> from tmesim.parameters import get_preset
    >>> from tmesim.engines.abm.parameters import spatial_parameters
    >>> p = pack_parameters(get_preset("mouse_4t1"), spatial_parameters())
    >>> bool(p[CD8_KILL_RATE] == get_preset("mouse_4t1").value("cd8_kill_rate"))
    True
"""

from __future__ import annotations

from collections.abc import Mapping

import numba
import numpy as np

from tmesim.model.states import N_CLONES
from tmesim.parameters.parameter_set import Parameter, ParameterSet

# --- cell kinds -------------------------------------------------------------------------------------
DEAD = -1
TUMOR = 0
NECROTIC = 1
CD8 = 2
CD8_EXHAUSTED = 3
CD4 = 4
TREG = 5
NK = 6
MONOCYTE = 7
M1 = 8
M2 = 9
TREM2 = 10
MDSC = 11
DC = 12
KIND_NAMES = (
    "tumor",
    "necrotic",
    "cd8",
    "cd8_exhausted",
    "cd4",
    "treg",
    "nk",
    "monocyte",
    "m1",
    "m2",
    "trem2",
    "mdsc",
    "dc",
)
"""Name of each kind code, in code order."""
N_KINDS = len(KIND_NAMES)

# --- diffusing fields ---------------------------------------------------------------------------------
FIELD_NAMES = ("oxygen", "ifng", "il2", "il12", "il10", "tgfb", "cxcl9", "ccl2", "debris")
FIELD_UNITS = ("mmHg", "pM", "pM", "pM", "pM", "pM", "pM", "pM", "cell/mm^3")
O2, IFNG, IL2, IL12, IL10, TGFB, CXCL9, CCL2, DEBRIS = range(len(FIELD_NAMES))

# --- count channels summed over boxes (summed-area tables) ----------------------------------------------
C_TUMOR, C_RECOG, C_HPD1_EFF, C_HPD1_EXH, C_EFF, C_EXH, C_TREG, C_NK, C_SUPP, C_TAM = range(10)
N_CHANNELS = 10

# --- systemic input (coupling) channels -----------------------------------------------------------------
SYSTEMIC_NAMES = (
    "supply_cd8",
    "supply_cd4",
    "supply_treg",
    "supply_nk",
    "supply_monocyte",
    "supply_mdsc",
    "supply_dc",
    "occupancy_anti_pd1",
    "occupancy_anti_pdl1",
    "occupancy_anti_ctla4",
    "occupancy_anti_lag3",
    "occupancy_anti_trem2",
    "inhibition_ipi549",
    "inhibition_notch_inhibitor",
    "il2_plasma",
    "ifna_activity",
    "tumor_growth_law",
    "lesion_cell_volume",
)
(
    S_CD8,
    S_CD4,
    S_TREG,
    S_NK,
    S_MONOCYTE,
    S_MDSC,
    S_DC,
    S_OCC_PD1,
    S_OCC_PDL1,
    S_OCC_CTLA4,
    S_OCC_LAG3,
    S_OCC_TREM2,
    S_IPI549,
    S_NOTCH_INHIBITOR,
    S_IL2_PLASMA,
    S_IFNA,
    S_GROWTH_LAW,
    S_LESION_MM3,
) = range(len(SYSTEMIC_NAMES))
N_SYSTEMIC = len(SYSTEMIC_NAMES)
INFLOW_CHANNELS = (
    (S_CD8, CD8),
    (S_CD4, CD4),
    (S_TREG, TREG),
    (S_NK, NK),
    (S_MONOCYTE, MONOCYTE),
    (S_MDSC, MDSC),
    (S_DC, DC),
)

# --- clone traits -------------------------------------------------------------------------------------
CLONE_TRAITS = ("antigenicity", "mhc1", "pdl1", "ifng_sensing", "fitness", "emergence_rate")
T_ANTIGEN, T_MHC1, T_PDL1, T_SENSING, T_FITNESS, T_EMERGENCE = range(len(CLONE_TRAITS))

# --- parameter vector ---------------------------------------------------------------------------------
QSP_IDS: tuple[str, ...] = (
    "tumor_growth_rate",
    "tumor_death_rate",
    "ifng_tumor_ec50",
    "ifng_growth_arrest_max",
    "ifng_tumor_kill_fraction",
    "ifng_mhc1_fold",
    "ifng_pdl1_induced",
    "pd1_density_effector",
    "pd1_density_exhausted",
    "pd1_pdl1_kd_2d",
    "pd1_pdl2_kd_2d",
    "pd1_engagement_half",
    "tumor_pdl2",
    "lag3_engagement_max",
    "cd8_kill_rate",
    "cd8_kill_saturation",
    "treg_suppression_ratio",
    "tgfb_t_cell_half",
    "tgfb_t_cell_inhibition_max",
    "myeloid_kill_inhibition_max",
    "il12_t_cell_half",
    "il12_kill_boost",
    "exhausted_kill_fraction",
    "cd8_tumor_proliferation_rate",
    "il2_t_cell_half",
    "myeloid_proliferation_inhibition_max",
    "t_cell_capacity_density",
    "cd8_effector_tumor_death_rate",
    "cd8_exhausted_death_rate",
    "cd8_exhaustion_rate",
    "exhaustion_basal_signal",
    "cd8_reinvigoration_rate",
    "cd8_tumor_memory_formation_rate",
    "cd4_helper_death_rate",
    "treg_death_rate",
    "treg_tumor_proliferation_rate",
    "anti_ctla4_treg_depletion_rate",
    "cxcl9_recruitment_half",
    "t_cell_entry_basal_fraction",
    "myeloid_entry_inhibition_max",
    "nk_death_rate",
    "il12_nk_half",
    "il2_nk_half",
    "nk_activation_gain",
    "nk_kill_rate",
    "nk_kill_saturation",
    "nk_mhc1_inhibition_half",
    "tgfb_t_cell_half_nk",
    "ccl2_recruitment_half",
    "myeloid_rbpj",
    "notch_inhibitor_emax",
    "monocyte_differentiation_rate",
    "monocyte_tumor_death_rate",
    "ipi549_emax",
    "macrophage_ifng_half",
    "macrophage_il12_half",
    "macrophage_il10_half",
    "macrophage_tgfb_half",
    "tam_m2_bias",
    "tam_proliferation_rate",
    "tam_capacity_density",
    "tam_death_rate",
    "tam_m1_to_m2_rate",
    "tam_m2_to_m1_rate",
    "ipi549_repolarization_rate",
    "tam_trem2_conversion_rate",
    "anti_trem2_depletion_rate",
    "anti_trem2_reprogramming_rate",
    "mdsc_death_rate",
    "suppression_weight_m2",
    "suppression_weight_trem2",
    "suppression_weight_monocyte",
    "myeloid_suppression_half",
    "dc_tumor_death_rate",
    "dc_migration_rate",
    "il10_dc_half",
    "il10_dc_inhibition_max",
    "ifna_dc_maturation_gain",
    "il12_ifng_boost",
    "il12_ifng_half",
    "ifng_secretion_cd8",
    "ifng_secretion_cd4",
    "ifng_secretion_nk",
    "il2_secretion_cd4",
    "il2_secretion_cd8",
    "il2_consumption_treg",
    "il2_consumption_effector",
    "il2_plasma_exchange_rate",
    "il12_secretion_dc",
    "il12_secretion_m1",
    "il12_secretion_switched_myeloid",
    "il10_secretion_m2",
    "il10_secretion_trem2",
    "il10_secretion_mdsc",
    "il10_secretion_treg",
    "tgfb_secretion_tumor_cell",
    "tgfb_secretion_m2",
    "tgfb_secretion_trem2",
    "tgfb_secretion_mdsc",
    "tgfb_secretion_treg",
    "cxcl9_secretion_tumor_cell",
    "cxcl9_secretion_m1",
    "cxcl9_secretion_dc",
    "ccl2_secretion_tumor_cell",
    "ccl2_secretion_m2",
    "tumor_interstitial_fraction",
    "tumor_cell_density",
    "mechanism_pd1",
    "mechanism_lag3",
    "mechanism_exhaustion",
    "mechanism_treg_suppression",
    "mechanism_myeloid_suppression",
    "mechanism_myeloid_pi3kg",
    "mechanism_notch_tam",
    "mechanism_trem2_macrophages",
    "mechanism_memory",
    "mechanism_ifng_direct",
    "mechanism_ifng_pdl1",
    "mechanism_ifng_mhc1",
    "mechanism_nk_missing_self",
    "mechanism_dc_priming",
    "mechanism_chemokine_recruitment",
)
"""QSP model parameters the spatial rules read, in vector order."""
SPATIAL_IDS: tuple[str, ...] = (
    "immune_capacity_free",
    "immune_capacity_tumor",
    "chemotaxis_sensitivity",
    "oxygen_uptake_tumor",
    "oxygen_vessel",
    "oxygen_vessel_supply",
    "oxygen_proliferation_saturation",
    "oxygen_proliferation_threshold",
    "oxygen_necrosis_threshold",
    "necrosis_rate",
    "necrotic_lysis_rate",
    "debris_half_density",
)
"""Spatial parameters the rules read, after the QSP ones."""

TUMOR_GROWTH_RATE = 0
TUMOR_DEATH_RATE = 1
IFNG_TUMOR_EC50 = 2
IFNG_GROWTH_ARREST_MAX = 3
IFNG_TUMOR_KILL_FRACTION = 4
IFNG_MHC1_FOLD = 5
IFNG_PDL1_INDUCED = 6
PD1_DENSITY_EFFECTOR = 7
PD1_DENSITY_EXHAUSTED = 8
PD1_PDL1_KD_2D = 9
PD1_PDL2_KD_2D = 10
PD1_ENGAGEMENT_HALF = 11
TUMOR_PDL2 = 12
LAG3_ENGAGEMENT_MAX = 13
CD8_KILL_RATE = 14
CD8_KILL_SATURATION = 15
TREG_SUPPRESSION_RATIO = 16
TGFB_T_CELL_HALF = 17
TGFB_T_CELL_INHIBITION_MAX = 18
MYELOID_KILL_INHIBITION_MAX = 19
IL12_T_CELL_HALF = 20
IL12_KILL_BOOST = 21
EXHAUSTED_KILL_FRACTION = 22
CD8_TUMOR_PROLIFERATION_RATE = 23
IL2_T_CELL_HALF = 24
MYELOID_PROLIFERATION_INHIBITION_MAX = 25
T_CELL_CAPACITY_DENSITY = 26
CD8_EFFECTOR_TUMOR_DEATH_RATE = 27
CD8_EXHAUSTED_DEATH_RATE = 28
CD8_EXHAUSTION_RATE = 29
EXHAUSTION_BASAL_SIGNAL = 30
CD8_REINVIGORATION_RATE = 31
CD8_TUMOR_MEMORY_FORMATION_RATE = 32
CD4_HELPER_DEATH_RATE = 33
TREG_DEATH_RATE = 34
TREG_TUMOR_PROLIFERATION_RATE = 35
ANTI_CTLA4_TREG_DEPLETION_RATE = 36
CXCL9_RECRUITMENT_HALF = 37
T_CELL_ENTRY_BASAL_FRACTION = 38
MYELOID_ENTRY_INHIBITION_MAX = 39
NK_DEATH_RATE = 40
IL12_NK_HALF = 41
IL2_NK_HALF = 42
NK_ACTIVATION_GAIN = 43
NK_KILL_RATE = 44
NK_KILL_SATURATION = 45
NK_MHC1_INHIBITION_HALF = 46
TGFB_T_CELL_HALF_NK = 47
CCL2_RECRUITMENT_HALF = 48
MYELOID_RBPJ = 49
NOTCH_INHIBITOR_EMAX = 50
MONOCYTE_DIFFERENTIATION_RATE = 51
MONOCYTE_TUMOR_DEATH_RATE = 52
IPI549_EMAX = 53
MACROPHAGE_IFNG_HALF = 54
MACROPHAGE_IL12_HALF = 55
MACROPHAGE_IL10_HALF = 56
MACROPHAGE_TGFB_HALF = 57
TAM_M2_BIAS = 58
TAM_PROLIFERATION_RATE = 59
TAM_CAPACITY_DENSITY = 60
TAM_DEATH_RATE = 61
TAM_M1_TO_M2_RATE = 62
TAM_M2_TO_M1_RATE = 63
IPI549_REPOLARIZATION_RATE = 64
TAM_TREM2_CONVERSION_RATE = 65
ANTI_TREM2_DEPLETION_RATE = 66
ANTI_TREM2_REPROGRAMMING_RATE = 67
MDSC_DEATH_RATE = 68
SUPPRESSION_WEIGHT_M2 = 69
SUPPRESSION_WEIGHT_TREM2 = 70
SUPPRESSION_WEIGHT_MONOCYTE = 71
MYELOID_SUPPRESSION_HALF = 72
DC_TUMOR_DEATH_RATE = 73
DC_MIGRATION_RATE = 74
IL10_DC_HALF = 75
IL10_DC_INHIBITION_MAX = 76
IFNA_DC_MATURATION_GAIN = 77
IL12_IFNG_BOOST = 78
IL12_IFNG_HALF = 79
IFNG_SECRETION_CD8 = 80
IFNG_SECRETION_CD4 = 81
IFNG_SECRETION_NK = 82
IL2_SECRETION_CD4 = 83
IL2_SECRETION_CD8 = 84
IL2_CONSUMPTION_TREG = 85
IL2_CONSUMPTION_EFFECTOR = 86
IL2_PLASMA_EXCHANGE_RATE = 87
IL12_SECRETION_DC = 88
IL12_SECRETION_M1 = 89
IL12_SECRETION_SWITCHED_MYELOID = 90
IL10_SECRETION_M2 = 91
IL10_SECRETION_TREM2 = 92
IL10_SECRETION_MDSC = 93
IL10_SECRETION_TREG = 94
TGFB_SECRETION_TUMOR_CELL = 95
TGFB_SECRETION_M2 = 96
TGFB_SECRETION_TREM2 = 97
TGFB_SECRETION_MDSC = 98
TGFB_SECRETION_TREG = 99
CXCL9_SECRETION_TUMOR_CELL = 100
CXCL9_SECRETION_M1 = 101
CXCL9_SECRETION_DC = 102
CCL2_SECRETION_TUMOR_CELL = 103
CCL2_SECRETION_M2 = 104
TUMOR_INTERSTITIAL_FRACTION = 105
TUMOR_CELL_DENSITY = 106
SW_PD1 = 107
SW_LAG3 = 108
SW_EXHAUSTION = 109
SW_TREG_SUPPRESSION = 110
SW_MYELOID_SUPPRESSION = 111
SW_MYELOID_PI3KG = 112
SW_NOTCH_TAM = 113
SW_TREM2_MACROPHAGES = 114
SW_MEMORY = 115
SW_IFNG_DIRECT = 116
SW_IFNG_PDL1 = 117
SW_IFNG_MHC1 = 118
SW_NK_MISSING_SELF = 119
SW_DC_PRIMING = 120
SW_CHEMOKINE_RECRUITMENT = 121
IMMUNE_CAPACITY_FREE = 122
IMMUNE_CAPACITY_TUMOR = 123
CHEMOTAXIS_SENSITIVITY = 124
OXYGEN_UPTAKE_TUMOR = 125
OXYGEN_VESSEL = 126
OXYGEN_VESSEL_SUPPLY = 127
OXYGEN_PROLIFERATION_SATURATION = 128
OXYGEN_PROLIFERATION_THRESHOLD = 129
OXYGEN_NECROSIS_THRESHOLD = 130
NECROSIS_RATE = 131
NECROTIC_LYSIS_RATE = 132
DEBRIS_HALF_DENSITY = 133
N_RULE_PARAMETERS = len(QSP_IDS) + len(SPATIAL_IDS)


def pack_parameters(params: ParameterSet, spatial: Mapping[str, Parameter]) -> np.ndarray:
    """The rule parameter vector: QSP values (model units) then spatial values."""
    values = [params.value(pid) for pid in QSP_IDS]
    values += [spatial[pid].value for pid in SPATIAL_IDS]
    return np.asarray(values, dtype=np.float64)


def pack_clone_traits(params: ParameterSet) -> np.ndarray:
    """(N_CLONES, len(CLONE_TRAITS)) traits of the tumor clones; clone 0 has no emergence rate."""
    out = np.zeros((N_CLONES, len(CLONE_TRAITS)))
    for k in range(N_CLONES):
        for j, trait in enumerate(CLONE_TRAITS):
            pid = f"clone_{k}_{trait}"
            out[k, j] = params.value(pid) if pid in params else 0.0
    return out


@numba.njit(cache=True, inline="always")
def sat(x, half):  # pragma: no cover - compiled
    """x / (x + half), as `tmesim.model.forms.sat`."""
    return x / (x + half) if x + half > 0.0 else 0.0


@numba.njit(cache=True, inline="always")
def kill_saturation(killers, ratio, targets):  # pragma: no cover - compiled
    """E / (K·T + E + 1), as `tmesim.model.forms.kill_saturation`."""
    return killers / (ratio * targets + killers + 1.0)


@numba.njit(cache=True, inline="always")
def pd1_engagement(pd1, pdl1, pdl2, k1, k2, half):  # pragma: no cover - compiled
    """Hill (n = 2) response to PD-1 bound by PD-L1 or PD-L2, as `tmesim.model.t_cells`."""
    x = pdl1 / k1 + pdl2 / k2
    bound = pd1 * x / (1.0 + x)
    return bound * bound / (bound * bound + half * half)


@numba.njit(cache=True, inline="always")
def event_probability(rate, dt):  # pragma: no cover - compiled
    """Probability that an event of hazard `rate` (per day) happens within `dt` days."""
    return 1.0 - np.exp(-rate * dt) if rate > 0.0 else 0.0

"""Mismatch-repair-proficient (microsatellite-stable) metastatic colorectal cancer in adults: low
mutational burden, T-cell-excluded, checkpoint-refractory.

The pMMR arm of Le et al. 2015 (NEJM; pembrolizumab ORR 0/18, 20-week PFS 11%, median PFS about 2 and OS
5 months; mean 73 somatic mutations per tumor). Most colorectal cancers are pMMR; few neoantigens,
TGF-β-rich stroma that excludes T cells (Tauriello 2018 Nature) and a macrophage-rich infiltrate
leave PD-1 blockade nothing to release. Each virtual patient's lesion (a liver metastasis) grows
untreated from ~1e6 cells to its size at treatment start (~10 cm³, a 2.7 cm lesion).
Growth is Gompertzian (`_growth.py`): fast while the lesion is small, slower at diagnosis.
A single-patient `Simulation` first runs the nominal patient's ~270 untreated days
(`pretreatment_days`); cohorts grow each patient to its own start size.
"""

from tmesim.parameters.library import assumed
from tmesim.parameters.parameter_set import Parameter, ParameterSet, Prior, TreatmentStart
from tmesim.parameters.presets import PresetInfo
from tmesim.parameters.presets._assemble import ADAPTIVE_RESISTANCE, MYELOID_RECRUITMENT, assemble
from tmesim.parameters.presets._growth import COLORECTAL_VDT, gompertz_growth

PRESET = PresetInfo(
    name="human_crc_pmmr",
    species="human",
    description="pMMR / MSS metastatic colorectal cancer (adult): low TMB, T-cell-excluded, checkpoint-refractory",
    sources=f"Le 2015 NEJM (73 mutations; ORR 0%); Tauriello 2018 Nature (TGF-β exclusion); {COLORECTAL_VDT}; LITERATURE.md §3–4; values marked assumed/calibrated per parameter",
)


def build() -> ParameterSet:
    overrides = [
        *gompertz_growth(
            0.00414501,
            0.015,
            COLORECTAL_VDT,
            rate_calibration=(
                "treatment-refractory metastatic disease grows faster than the untreated primaries "
                f"of {COLORECTAL_VDT}: fitted by `tmesim calibrate` "
                "validation/calibrations/refractory_crc_growth (seed 303) to the placebo arm of "
                "CORRECT (Grothey 2013: disease control at 8-weekly CT)"
            ),
        ),
        Parameter(
            "tumor_antigen_breadth",
            0.2,
            "1",
            assumed("Le 2015: 73 somatic mutations per pMMR tumor, ~24× fewer than dMMR"),
            Prior("lognormal", 0.5),
        ),
        Parameter(
            "tgfb_secretion_tumor_cell",
            1000.0,
            "molecule/cell/day",
            assumed(
                "TGF-β-rich stroma of microsatellite-stable tumors (Tauriello 2018); tumor-site TGF-β from tumor and fibroblasts, braking CD8 killing and polarizing TAMs to M2"
            ),
            Prior("lognormal", 0.6),
        ),
        Parameter(
            "tumor_myeloid_factor",
            1.5,
            "1",
            assumed("macrophage-rich infiltrate of colorectal liver metastases"),
            Prior("lognormal", 0.7),
        ),
    ]
    return assemble(
        PRESET,
        overrides,
        initial={"tumor_clone_0": 1e6},
        start=TreatmentStart(volume_mm3=10_000.0, volume_log_sd=0.6),
        pretreatment_days=269.0,
        correlations={**ADAPTIVE_RESISTANCE, **MYELOID_RECRUITMENT},
    )

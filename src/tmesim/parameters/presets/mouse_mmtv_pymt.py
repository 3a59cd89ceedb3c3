"""MMTV-PyMT: spontaneous mammary carcinoma whose suppressive TAMs come from CCR2+ monocytes.

Transgenic MMTV-PyMT females develop mammary tumors from hyperplastic foci of transformed epithelium:
palpable at ~5–7 weeks of age, multifocal by 12–14 weeks. Franklin et al. 2014 (Science 344:921)
showed that the dominant tumor-associated macrophages (Vcam1+, proliferating) are distinct from
normal mammary macrophages, derive from inflammatory CCR2+ monocytes, and need the Notch pathway
transcription factor RBPJ to differentiate; removing them (myeloid Rbpj deletion) restores CTL
responses and slows tumor growth. The tumor is poorly immunogenic (the PyMT oncoprotein is a
tolerated transgene product) and grows more slowly than transplanted lines.

Here one tumor grows from a small transformed focus (`initial`, day 0 ≈ 3 weeks of age, when
hyperplastic foci appear): it is palpable (a few mm) at ~7 weeks of age, reaches ~150 mm³ at
treatment start ~45 days after the focus (`pretreatment_days`, so that day 0 of a regimen is
enrollment, not the focus) and ~1,000 mm³ by ~11 weeks of age. The Notch/RBPJ dependence is the model's
monocyte-to-TAM differentiation and TAM proliferation step (`myeloid_rbpj` switches the genotype).
"""

from tmesim.parameters.library import assumed
from tmesim.parameters.parameter_set import Parameter, ParameterSet, Prior, TreatmentStart
from tmesim.parameters.presets import PresetInfo
from tmesim.parameters.presets._assemble import MYELOID_RECRUITMENT, assemble
from tmesim.parameters.presets._growth import mouse_gompertz_growth

PRESET = PresetInfo(
    name="mouse_mmtv_pymt",
    species="mouse",
    description="MMTV-PyMT spontaneous mammary carcinoma (FVB or C57BL/6): TAM-rich, Notch/RBPJ-dependent TAMs, slow growth",
    sources="Franklin 2014 Science (CCR2+ monocyte-derived, RBPJ-dependent TAMs); LITERATURE.md §3–4 (palpable at 5–7 weeks, multifocal by 12–14 weeks); values marked calibrated/assumed per parameter",
)


def build() -> ParameterSet:
    overrides = [
        *mouse_gompertz_growth(
            0.05,
            "a focus of ~1e4 cells at ~3 weeks of age palpable by ~7 weeks and ~1,000 mm³ by ~11 weeks (LITERATURE.md §3: palpable at 5–7 weeks, multifocal by 12–14 weeks)",
        ),
        Parameter(
            "tumor_antigen_breadth",
            0.3,
            "1",
            assumed("few neoantigens: the PyMT oncoprotein is a tolerated transgene product"),
            Prior("lognormal", 0.4),
        ),
        Parameter(
            "ccl2_secretion_tumor_cell",
            1e4,
            "molecule/cell/day",
            assumed(
                "TAMs derive from CCR2+ inflammatory monocytes (Franklin 2014): CCL2-rich tumor"
            ),
            Prior("lognormal", 0.4),
        ),
        Parameter(
            "tumor_myeloid_factor",
            2.0,
            "1",
            assumed(
                "moderate systemic myeloid expansion; the tumor's TAMs come mostly from recruitment"
            ),
            Prior("lognormal", 0.4),
        ),
        Parameter(
            "tam_proliferation_rate",
            0.5,
            "1/day",
            assumed("TAMs proliferate in PyMT tumors (Franklin 2014: Ki67+ Vcam1+ TAMs)"),
        ),
        Parameter(
            "tam_capacity_density",
            2e4,
            "cell/mm^3",
            assumed("TAMs are a large share of the cells of late PyMT tumors (Franklin 2014)"),
        ),
        Parameter(
            "treg_tumor_entry_rate",
            0.004,
            "1/day",
            assumed("Treg-rich tumors: Treg ablation slows PyMT tumors (Bos 2013 J Exp Med) [r]"),
        ),
    ]
    return assemble(
        PRESET,
        overrides,
        initial={"tumor_clone_0": 1e4},
        start=TreatmentStart(volume_mm3=150.0, volume_log_sd=0.3, max_days=120.0),
        pretreatment_days=45.0,
        correlations=MYELOID_RECRUITMENT,
    )

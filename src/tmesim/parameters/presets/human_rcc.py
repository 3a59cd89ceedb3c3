"""Advanced clear-cell renal cell carcinoma in adults: few mutations but many frameshift
neoantigens, a dense T-cell and myeloid infiltrate, responsive to PD-1 and CTLA-4 blockade.

The setting of CheckMate 214 (Motzer 2018 N Engl J Med 378:1277: nivolumab + ipilimumab vs
sunitinib, first line) and of the nivolumab phase 1 trial (Topalian 2012: ORR 27% in renal cancer).
Clear-cell RCC carries about one mutation per megabase (Alexandrov 2013 Nature 500:415) but the
highest share of frameshift insertions and deletions of all cancers, each a source of highly
immunogenic neoantigens (Turajlic 2017 Lancet Oncol 18:1009); it is among the most T-cell
infiltrated tumors, with abundant macrophages (Şenbabaoğlu 2016 Genome Biol 17:231), and
tumor-cell PD-L1 ≥ 1% in about a quarter of patients (CheckMate 214). Metastases grow slowly:
the median tumor growth rate constant under IFN-α, which barely slows them, was 0.0015 /day of
the sum of diameters (Stein 2012 Clin Cancer Res 18:2374), a volume doubling of ~150 days.
Each virtual patient's lesion grows untreated from ~1e6 cells to its size at treatment start
(~10 cm³, a 2.7 cm lesion). Growth is Gompertzian (`_growth.py`). A single-patient `Simulation`
first runs the nominal patient's ~616 untreated days (`pretreatment_days`); cohorts grow each
patient to its own start size.
"""

from tmesim.parameters.library import assumed
from tmesim.parameters.parameter_set import Parameter, ParameterSet, Prior, TreatmentStart
from tmesim.parameters.presets import PresetInfo
from tmesim.parameters.presets._assemble import ADAPTIVE_RESISTANCE, MYELOID_RECRUITMENT, assemble
from tmesim.parameters.presets._growth import gompertz_growth

VDT = (
    "Stein et al. 2012 Clin Cancer Res 18:2374 (metastatic RCC, sunitinib vs IFN-α trial: median "
    "growth rate constant g 0.0015 /day of the sum of diameters under IFN-α, 0.00082 under "
    "sunitinib; a diameter doubling of ~460 days is a volume doubling of ~150 days); Gofrit 2015 "
    "SpringerPlus 4:580 (clinically significant primaries: 2.1 cm/year, range 0.2–6.5)"
)

PRESET = PresetInfo(
    name="human_rcc",
    species="human",
    description="advanced clear-cell renal cell carcinoma (adult): low TMB but indel-rich, T-cell and myeloid-rich",
    sources=f"{VDT}; Turajlic 2017 Lancet Oncol 18:1009 (indel neoantigens); Şenbabaoğlu 2016 Genome Biol 17:231 (immune infiltrate); Topalian 2012 (nivolumab ORR 27% in renal cancer); values marked assumed per parameter",
)


def build() -> ParameterSet:
    overrides = [
        *gompertz_growth(0.0024, 0.0115, VDT),
        Parameter(
            "tumor_antigen_breadth",
            0.8,
            "1",
            assumed(
                "about 1 mutation/Mb (Alexandrov 2013 Nature 500:415), ten-fold below melanoma "
                "(breadth 1.5), but the highest share of frameshift indels, whose neoantigens are "
                "more numerous and immunogenic per mutation (Turajlic 2017 Lancet Oncol 18:1009): "
                "about half melanoma's breadth; spread as in the other carcinomas"
            ),
            Prior("lognormal", 0.7),
        ),
        Parameter(
            "clone_0_pdl1",
            3.0,
            "molecule/um^2",
            assumed(
                "tumor-cell PD-L1 ≥ 1% in about a quarter of patients (CheckMate 214, Motzer "
                "2018 N Engl J Med 378:1277), mostly IFN-γ-induced: constitutive density as "
                "melanoma's"
            ),
            Prior("lognormal", 0.7),
        ),
        Parameter(
            "tumor_myeloid_factor",
            1.5,
            "1",
            assumed(
                "clear-cell RCC is rich in macrophages and myeloid cells as well as T cells "
                "(Şenbabaoğlu 2016 Genome Biol 17:231), above melanoma (0.5) and NSCLC (1.0)"
            ),
            Prior("lognormal", 0.8),
        ),
    ]
    return assemble(
        PRESET,
        overrides,
        initial={"tumor_clone_0": 1e6},
        start=TreatmentStart(volume_mm3=10_000.0, volume_log_sd=0.6),
        pretreatment_days=616.0,
        correlations={**ADAPTIVE_RESISTANCE, **MYELOID_RECRUITMENT},
    )

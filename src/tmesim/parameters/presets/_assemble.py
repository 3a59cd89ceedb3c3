"""Assemble a complete preset: shared literature values, species values, clone traits, mechanism
switches, reference drug PK from the catalog, then the preset's own overrides."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tmesim.model.states import N_CLONES
from tmesim.model.tumor_immune import MECHANISM_TABLE
from tmesim.parameters.library import HUMAN, MOUSE, SHARED, clone_defaults, mechanism_defaults
from tmesim.parameters.parameter_set import Parameter, ParameterSet, TreatmentStart
from tmesim.parameters.presets import PresetInfo
from tmesim.therapies.drugs import CATALOG, PK_PARAMETERS

MYELOID_RECRUITMENT: dict[tuple[str, str], float] = {
    ("tumor_myeloid_factor", "ccl2_secretion_tumor_cell"): 0.5
}
"""Tumors that expand myeloid cells (GM-CSF, G-CSF) also attract them (CCL2): the two vary together
between patients (assumed: both are products of the same inflammatory tumor program)."""

ADAPTIVE_RESISTANCE: dict[tuple[str, str], float] = {("tumor_antigen_breadth", "clone_0_pdl1"): 0.4}
"""More neoantigens draw more T cells and IFN-γ, which raises PD-L1 (adaptive resistance; assumed
strength, in line with PD-L1 and TMB being associated but only loosely)."""

TRANSPLANTED_MOUSE_START = TreatmentStart(volume_mm3=75.0, volume_log_sd=0.2, max_days=60.0)
"""Transplanted mouse tumors are treated once established, at ~75 mm³; a mouse whose tumor is not
there within 60 days (the tumor did not take) is replaced."""


def reference_pk(species: str) -> dict[str, Parameter]:
    """PK of one reference drug per target class (the first catalog entry with PK for `species`).

    These values only matter once a drug of that class is given; a regimen then replaces them with
    the PK of the drug it names.
    """
    out: dict[str, Parameter] = {}
    for target_class in PK_PARAMETERS:
        for drug in CATALOG.values():
            if drug.target_class == target_class and species in drug.pk:
                for pid, pv in drug.pk[species].items():
                    out[pid] = Parameter(
                        pid, pv.value, pv.units, f"{drug.display_name}: {pv.source}"
                    )
                break
    return out


def homeostatic_pools(values: Mapping[str, Parameter]) -> dict[str, float]:
    """Tumor-free steady states of the blood pools (production / death)."""

    def ratio(production: str, death: str) -> float:
        return values[production].value / values[death].value

    return {
        "monocyte_blood": ratio("monocyte_production_rate", "monocyte_blood_death_rate"),
        "treg_blood": ratio("treg_production_rate", "treg_death_rate"),
        "nk_blood": ratio("nk_production_rate", "nk_death_rate"),
    }


def assemble(
    preset: PresetInfo,
    overrides: Iterable[Parameter],
    initial: Mapping[str, float],
    *,
    start: TreatmentStart | None = None,
    pretreatment_days: float = 0.0,
    correlations: Mapping[tuple[str, str], float] | None = None,
) -> ParameterSet:
    """Base values for the preset's species plus its overrides; pools start at homeostasis.

    `start` is the lesion size at treatment start that cohorts grow each patient to;
    `correlations` tie the normal draws of two varied parameters.
    """
    name, species = preset.name, preset.species
    params: dict[str, Parameter] = {}
    params.update(SHARED)
    params.update(MOUSE if species == "mouse" else HUMAN)
    for k in range(N_CLONES):
        params.update(clone_defaults(k))
    params.update(mechanism_defaults(list(MECHANISM_TABLE)))
    params.update(reference_pk(species))
    overridden: set[str] = set()
    for p in overrides:
        if p.id not in params:
            raise KeyError(
                f"preset {name}: override of unknown parameter {p.id}; "
                "use an id of the library (tmesim.parameters.library) or of the drug catalog"
            )
        if p.units != params[p.id].units:
            raise ValueError(f"preset {name}: {p.id} in {p.units}; give it in {params[p.id].units}")
        if p.id in overridden:
            raise ValueError(f"preset {name}: {p.id} is overridden twice; keep one value")
        overridden.add(p.id)
        params[p.id] = p
    pools = homeostatic_pools(params)
    sources = {sid: f"preset {name}" for sid in initial}
    sources.update({sid: "tumor-free steady state (production / death)" for sid in pools})
    return ParameterSet(
        name=name,
        species=species,  # type: ignore[arg-type]
        description=preset.description,
        parameters=params,
        initial={**pools, **initial},
        initial_sources=sources,
        pretreatment_days=pretreatment_days,
        start=start or TreatmentStart(),
        correlations=dict(correlations or {}),
    )

"""The drug catalog: what each drug is, what it targets, and its pharmacokinetics per species.

Each `Drug` maps to one *target class* (a drug slot of the QSP model, e.g. ``anti_pd1``) that
doses into one *input state* (e.g. ``anti_pd1_central``, in nmol). PK values are per subject (a
whole 20 g mouse or a whole 75–80 kg human) and each carries units and a source. Sources marked
``[r]`` are recalled or secondary and must be confirmed before a result leans on them;
``assumed: ...`` says why a value was chosen when no measurement was found.

Example:
    >>> get_drug("Keytruda").id
    'pembrolizumab'
    >>> get_drug("rmp1-14").target_class
    'anti_pd1'
    >>> get_drug("nivolumab").pk["human"]["anti_pd1_kd"].units
    'nM'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tmesim.errors import ConfigError
from tmesim.model.states import ANTIBODY_CLASSES as MODEL_ANTIBODY_CLASSES
from tmesim.model.states import SMALL_MOLECULES as MODEL_SMALL_MOLECULES

Species = Literal["human", "mouse"]
DrugSpecies = Literal["human", "mouse", "both"]
Modality = Literal["antibody", "small_molecule", "cytokine", "vaccine", "cell_therapy"]
Route = Literal["iv", "ip", "oral", "sc"]
TargetClass = Literal[
    "anti_pd1",
    "anti_pdl1",
    "anti_ctla4",
    "anti_lag3",
    "anti_trem2",
    "ipi549",
    "notch_inhibitor",
    "il2",
    "ifna",
    "vaccine",
    "cart",
]

SPECIES: tuple[str, ...] = get_args(Species)
ROUTES: tuple[str, ...] = get_args(Route)
TARGET_CLASSES: tuple[str, ...] = get_args(TargetClass)


@dataclass(frozen=True)
class InputState:
    """The model state a drug class doses into, and the unit that state is counted in."""

    state_id: str
    unit: str


# The model's drug slots are the single source of these class lists.
ANTIBODY_CLASSES: tuple[str, ...] = MODEL_ANTIBODY_CLASSES
SMALL_MOLECULE_CLASSES: tuple[str, ...] = tuple(MODEL_SMALL_MOLECULES)

INPUT_STATES: dict[str, InputState] = {
    **{tc: InputState(f"{tc}_central", "nmol") for tc in ANTIBODY_CLASSES},
    **{tc: InputState(f"{tc}_gut", "umol") for tc in SMALL_MOLECULE_CLASSES},
    "il2": InputState("il2_central", "pmol"),
    "ifna": InputState("ifna_depot", "pmol"),
    "vaccine": InputState("vaccine_depot", "ug"),
    # "cell", not "cells": the model declares CAR-T states in "cell" like every cell population.
    "cart": InputState("cart_blood", "cell"),
}
"""Target class → the state its doses enter and that state's unit."""

# Routes each input state stands for. Antibodies given i.p. to mice reach plasma within hours and
# are treated as a bolus into the central compartment; oral and i.p. small molecules both pass
# through the first-order absorption depot (the state is named "gut" for the usual oral route).
ROUTES_BY_TARGET_CLASS: dict[str, tuple[str, ...]] = {
    **{tc: ("iv", "ip") for tc in ANTIBODY_CLASSES},
    "ipi549": ("oral",),
    "notch_inhibitor": ("oral", "ip"),
    "il2": ("iv",),
    "ifna": ("sc", "iv"),
    "vaccine": ("sc", "iv"),
    "cart": ("iv",),
}

ROUTE_INPUT_STATES: dict[tuple[str, str], InputState] = {
    # Interferon alfa-2b's high-dose induction is an IV infusion (20 MIU/m² over 20 min,
    # Kirkwood 1996 J Clin Oncol 14:7): it enters plasma directly, not the s.c. depot. The
    # 20-30 min infusion is short beside the 1.7 h elimination half-life after IV infusion
    # (Radwanski 1987 J Clin Pharmacol 27:432), so it is dosed as a bolus.
    ("ifna", "iv"): InputState("ifna_central", "pmol"),
    # A cell-based vaccine (sipuleucel-T) is an IV infusion of antigen-loaded APCs: the antigen
    # they carry enters the same vaccine state, from which lymph-node DCs are loaded (priming).
    ("vaccine", "iv"): InputState("vaccine_depot", "ug"),
}
"""(target class, route) → the state a dose by that route enters, where it is not the class's
`INPUT_STATES` entry."""


def route_input_state(target_class: str, route: str | None) -> InputState:
    """The state a dose of a drug of `target_class` given by `route` enters (None: the usual).

    Example:
        >>> route_input_state("ifna", "iv").state_id, route_input_state("ifna", "sc").state_id
        ('ifna_central', 'ifna_depot')
    """
    return ROUTE_INPUT_STATES.get((target_class, route or ""), INPUT_STATES[target_class])


MODALITY_BY_TARGET_CLASS: dict[str, str] = {
    **{tc: "antibody" for tc in ANTIBODY_CLASSES},
    **{tc: "small_molecule" for tc in SMALL_MOLECULE_CLASSES},
    "il2": "cytokine",
    "ifna": "cytokine",
    "vaccine": "vaccine",
    "cart": "cell_therapy",
}


def _antibody_parameter_units(tc: str) -> dict[str, str]:
    return {
        f"{tc}_clearance": "L/day",
        f"{tc}_central_volume": "L",
        f"{tc}_peripheral_volume": "L",
        f"{tc}_intercompartmental_clearance": "L/day",
        f"{tc}_kd": "nM",
        f"{tc}_tumor_partition": "1",
        f"{tc}_tumor_exchange_rate": "1/day",
        f"{tc}_ln_partition": "1",
        f"{tc}_ln_exchange_rate": "1/day",
    }


def _small_molecule_parameter_units(tc: str) -> dict[str, str]:
    return {
        f"{tc}_absorption_rate": "1/day",
        f"{tc}_bioavailability": "1",
        f"{tc}_clearance": "L/day",
        f"{tc}_volume": "L",
        f"{tc}_ic50": "nM",
    }


PK_PARAMETERS: dict[str, dict[str, str]] = {
    **{tc: _antibody_parameter_units(tc) for tc in ANTIBODY_CLASSES},
    **{tc: _small_molecule_parameter_units(tc) for tc in SMALL_MOLECULE_CLASSES},
    "il2": {"il2_elimination_rate": "1/day", "il2_central_volume": "L"},
    "ifna": {"ifna_absorption_rate": "1/day", "ifna_elimination_rate": "1/day", "ifna_volume": "L"},
    "vaccine": {"vaccine_depot_decay_rate": "1/day"},
    "cart": {},  # CAR-T kinetics are model parameters, not drug PK
}
"""Target class → {model parameter id: units} that every drug of that class must supply per species."""


class ParameterValue(BaseModel):
    """A number with its units and where it came from.

    Example:
        >>> ParameterValue(value=0.36, units="L/day", source="Centanni 2019 Table 2").value
        0.36
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float = Field(allow_inf_nan=False)
    units: str = Field(min_length=1)
    source: str = Field(min_length=1)


class Drug(BaseModel):
    """One drug (or research reagent) of the catalog.

    `molecular_weight` is in g/mol; `pk` maps a species to {model parameter id: value}.

    Example:
        >>> d = get_drug("ipilimumab")
        >>> (d.target, d.target_class, d.route, d.molecular_weight)
        ('CTLA-4', 'anti_ctla4', 'iv', 148000.0)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="canonical lower-case name")
    display_name: str
    aliases: tuple[str, ...] = Field(
        default=(), description="lower-case brand names, codes, generic terms"
    )
    target: str = Field(description="molecular target as biologists write it, e.g. 'PD-1'")
    target_class: TargetClass
    modality: Modality
    species: DrugSpecies
    molecular_weight: float | None = Field(default=None, gt=0, description="g/mol")
    molecular_weight_source: str | None = None
    route: Route = Field(description="default route of administration")
    international_units_per_mg: float | None = Field(default=None, gt=0)
    international_units_source: str | None = None
    pk: dict[str, dict[str, ParameterValue]] = Field(default_factory=dict)
    source: str = Field(
        min_length=1,
        description="Where the product's description, dose and PK come from (label, popPK paper)",
    )
    antigen_ug_per_cell: float | None = Field(
        default=None,
        gt=0,
        description="A cell-based vaccine: antigen load of one infused cell, in µg of the vaccine "
        "antigen it stands for (so its doses can be given in cells)",
    )
    antigen_source: str | None = None
    max_cells_per_dose: float | None = Field(
        default=None,
        gt=0,
        description="A cell therapy's label maximum per infusion (cells), whatever the weight",
    )
    max_cells_source: str | None = None
    notes: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Drug:
        # Catalog entries are code, so these are programming errors, raised when the module loads.
        if self.id != self.id.lower() or any(a != a.lower() for a in self.aliases):
            raise ValueError(f"{self.id}: id and aliases must be lower-case")
        if MODALITY_BY_TARGET_CLASS[self.target_class] != self.modality:
            raise ValueError(
                f"{self.id}: modality {self.modality} does not fit {self.target_class}"
            )
        if self.route not in ROUTES_BY_TARGET_CLASS[self.target_class]:
            raise ValueError(
                f"{self.id}: route {self.route} is not modelled for {self.target_class}"
            )
        if self.molecular_weight is not None and not self.molecular_weight_source:
            raise ValueError(f"{self.id}: molecular_weight needs a source")
        if self.international_units_per_mg is not None and not self.international_units_source:
            raise ValueError(f"{self.id}: international_units_per_mg needs a source")
        if self.antigen_ug_per_cell is not None and (
            not self.antigen_source or self.target_class != "vaccine"
        ):
            raise ValueError(f"{self.id}: antigen_ug_per_cell is for vaccines and needs a source")
        if self.max_cells_per_dose is not None and not self.max_cells_source:
            raise ValueError(f"{self.id}: max_cells_per_dose needs a source")
        allowed = SPECIES if self.species == "both" else (self.species,)
        for sp_name, params in self.pk.items():
            if sp_name not in allowed:
                raise ValueError(f"{self.id}: pk for {sp_name} but the drug is for {self.species}")
            expected = PK_PARAMETERS[self.target_class]
            if set(params) != set(expected):
                raise ValueError(
                    f"{self.id}/{sp_name}: pk ids {sorted(params)} != {sorted(expected)}"
                )
            for pid, pv in params.items():
                if pv.units != expected[pid]:
                    raise ValueError(
                        f"{self.id}/{pid}: units {pv.units!r}, expected {expected[pid]!r}"
                    )
        return self

    @property
    def input_state(self) -> InputState:
        """The model state this drug's doses enter."""
        return INPUT_STATES[self.target_class]

    @property
    def names(self) -> tuple[str, ...]:
        """The id followed by every alias."""
        return (self.id, *self.aliases)


# --------------------------------------------------------------------------------------------
# Building blocks for the catalog entries
# --------------------------------------------------------------------------------------------

_CENTANNI = "Centanni et al. 2019 Clin Pharmacokinet 58:835, Table 2"
_AHAMADI = "Ahamadi et al. 2017 CPT Pharmacometrics Syst Pharmacol 6:49 (popPK; LITERATURE.md §2)"
_TISSUE = "assumed: typical IgG tissue distribution (Shah & Betts 2012 antibody biodistribution coefficients [r])"
_IGG_MW_ASSUMED = "assumed: typical IgG (~150 kDa); clone-specific mass not found"
_KD_ASSUMED = "assumed: high-affinity blocking antibody (~1 nM); clone-specific Kd not found"


def _pk(tc: str, **values: tuple[float, str]) -> dict[str, ParameterValue]:
    """(value, source) of each PK parameter `<tc>_<name>` of target class `tc`, in the units the
    model declares for it (`PK_PARAMETERS`)."""
    units = PK_PARAMETERS[tc]
    return {
        f"{tc}_{name}": ParameterValue(value=value, units=units[f"{tc}_{name}"], source=source)
        for name, (value, source) in values.items()
    }


def _antibody_pk(tc: str, **pk: tuple[float, str]) -> dict[str, ParameterValue]:
    """Two-compartment PK (clearance, volumes, distribution clearance) and Kd of an antibody, with
    the tissue distribution of a typical IgG."""
    return _pk(
        tc,
        **pk,
        # Tumor interstitium sees ~20% of plasma IgG, a lymph node ~30%; exchange within ~1 day.
        tumor_partition=(0.2, _TISSUE),
        tumor_exchange_rate=(1.0, _TISSUE),
        ln_partition=(0.3, _TISSUE),
        ln_exchange_rate=(1.0, _TISSUE),
    )


def _centanni_pk(
    tc: str, cl: float, vc: float, vp: float, q: float, kd: tuple[float, str]
) -> dict[str, ParameterValue]:
    return _antibody_pk(
        tc,
        clearance=(cl, _CENTANNI),
        central_volume=(vc, _CENTANNI),
        peripheral_volume=(vp, _CENTANNI),
        intercompartmental_clearance=(q, _CENTANNI),
        kd=kd,
    )


# A 20 g mouse. Kosinsky et al. 2018 (J Immunother Cancer; BIOMD0000000863) use one compartment of
# 3 mL eliminated at 0.15 /day; we split that volume into plasma-like and tissue halves joined by
# fast distribution so tissue kinetics exist, keeping CL = 0.15/day × 3 mL. The resulting terminal
# half-life (~4.8 d) stays within 5% of Kosinsky's ln2/0.15 = 4.6 d.
_KOSINSKY = "Kosinsky et al. 2018 J Immunother Cancer 6:17: elimination 0.15 /day × V 3 mL"


def _mouse_igg_pk(tc: str, kd: tuple[float, str] = (1.0, _KD_ASSUMED)) -> dict[str, ParameterValue]:
    return _antibody_pk(
        tc,
        clearance=(0.15 * 3e-3, _KOSINSKY),
        central_volume=(
            1.5e-3,
            "assumed: about the plasma volume of a 20 g mouse; Vc + Vp = Kosinsky 2018 V = 3 mL",
        ),
        peripheral_volume=(1.5e-3, "assumed: Vc + Vp = Kosinsky 2018 V = 3 mL"),
        intercompartmental_clearance=(
            3e-3,
            "assumed: distribution (~0.3 day) fast next to elimination, as for IgG in mice",
        ),
        kd=kd,
    )


def _half_life_to_rate(half_life_days: float) -> float:
    return math.log(2) / half_life_days


# --------------------------------------------------------------------------------------------
# The catalog
# --------------------------------------------------------------------------------------------


def _human_antibody(
    id: str,
    display: str,
    aliases: tuple[str, ...],
    target: str,
    tc: TargetClass,
    mass: tuple[float, str],
    *,
    cl: float,
    vc: float,
    vp: float,
    q: float,
    source: str,
    kd: tuple[float, str],
    notes: str,
) -> Drug:
    """A human IV antibody whose two-compartment popPK comes from one publication."""
    return Drug(
        id=id,
        display_name=display,
        aliases=aliases,
        target=target,
        target_class=tc,
        modality="antibody",
        species="human",
        molecular_weight=mass[0],
        molecular_weight_source=mass[1],
        route="iv",
        pk={
            "human": _antibody_pk(
                tc,
                clearance=(cl, source),
                central_volume=(vc, source),
                peripheral_volume=(vp, source),
                intercompartmental_clearance=(q, source),
                kd=kd,
            )
        },
        source=f"PK: {source}; dose and mass: {mass[1].split(':')[0]}",
        notes=notes,
    )


_HUMAN_ANTIBODIES = [
    Drug(
        id="pembrolizumab",
        display_name="pembrolizumab",
        aliases=("keytruda", "mk-3475", "lambrolizumab"),
        target="PD-1",
        target_class="anti_pd1",
        modality="antibody",
        species="human",
        molecular_weight=149_000.0,
        molecular_weight_source="Keytruda label: ~149 kDa [r]",
        source="Keytruda label (dose, mass); PK: Ahamadi et al. 2017 CPT Pharmacometrics Syst Pharmacol 6:49 (popPK)",
        route="iv",
        pk={
            "human": _antibody_pk(
                "anti_pd1",
                clearance=(0.22, _AHAMADI),
                central_volume=(3.48, _AHAMADI),
                peripheral_volume=(4.06, _AHAMADI),
                intercompartmental_clearance=(0.795, _AHAMADI),
                kd=(0.029, "[r] recalled ~29 pM for human PD-1 (SPR), to confirm"),
            )
        },
        notes="Baseline (first-dose) clearance; clearance falls ~23% at steady state (label).",
    ),
    Drug(
        id="nivolumab",
        display_name="nivolumab",
        aliases=("opdivo", "bms-936558", "mdx-1106", "ono-4538"),
        target="PD-1",
        target_class="anti_pd1",
        modality="antibody",
        species="human",
        molecular_weight=146_000.0,
        molecular_weight_source="Opdivo / Opdualag label: calculated 146 kDa",
        source="Opdivo label (dose, mass, steady-state clearance); PK: Centanni et al. 2019 Clin Pharmacokinet 58:835, Table 2",
        route="iv",
        pk={
            "human": _antibody_pk(
                "anti_pd1",
                # Centanni's CL0 = 0.23 L/day gives a terminal t½ of 20.5 d with these volumes,
                # 18% short of the published 25 d, which is a steady-state figure: nivolumab
                # clearance falls ~25% over treatment. The label's steady-state CL reproduces it.
                clearance=(
                    0.19,
                    "Opdivo label: steady-state CL 7.91 mL/h = 0.19 L/day (Centanni 2019 "
                    "baseline CL0 is 0.23 L/day; steady state chosen to match t½ 25 d)",
                ),
                central_volume=(3.63, _CENTANNI),
                peripheral_volume=(2.78, _CENTANNI),
                intercompartmental_clearance=(0.770, _CENTANNI),
                kd=(
                    3.06,
                    "[r] recalled ~3 nM for human PD-1 (Wang et al. 2014 Cancer Immunol Res), to confirm",
                ),
            )
        },
    ),
    Drug(
        id="atezolizumab",
        display_name="atezolizumab",
        aliases=("tecentriq", "mpdl3280a", "rg7446"),
        target="PD-L1",
        target_class="anti_pdl1",
        modality="antibody",
        species="human",
        molecular_weight=145_000.0,
        molecular_weight_source="Tecentriq label: ~145 kDa [r]",
        source="Tecentriq label (dose, mass); PK: Centanni et al. 2019 Clin Pharmacokinet 58:835, Table 2",
        route="iv",
        pk={
            "human": _centanni_pk(
                "anti_pdl1",
                0.20,
                3.28,
                3.63,
                0.546,
                kd=(0.4, "[r] recalled ~0.4 nM for human PD-L1, to confirm"),
            )
        },
    ),
    Drug(
        id="ipilimumab",
        display_name="ipilimumab",
        aliases=("yervoy", "mdx-010", "bms-734016"),
        target="CTLA-4",
        target_class="anti_ctla4",
        modality="antibody",
        species="human",
        molecular_weight=148_000.0,
        molecular_weight_source="Yervoy label: ~148 kDa [r]",
        source="Yervoy label (dose, mass); PK: Centanni et al. 2019 Clin Pharmacokinet 58:835, Table 2",
        route="iv",
        pk={
            "human": _centanni_pk(
                "anti_ctla4",
                0.36,
                4.15,
                3.11,
                0.9864,
                kd=(18.2, "QSP-IO anti-CTLA-4 Kd (Milberg et al. 2019 Sci Rep; LITERATURE.md §1)"),
            )
        },
    ),
    Drug(
        id="relatlimab",
        display_name="relatlimab",
        aliases=("bms-986016", "relatlimab-rmbw"),
        target="LAG-3",
        target_class="anti_lag3",
        modality="antibody",
        species="human",
        molecular_weight=148_000.0,
        molecular_weight_source="Opdualag label: calculated 148 kDa",
        source="Opdualag label (dose, mass, terminal half-life); other PK assumed as nivolumab's",
        route="iv",
        pk={
            "human": _antibody_pk(
                "anti_lag3",
                clearance=(
                    0.177,
                    "[r] chosen so the two-compartment terminal t½ equals the label's 26.2 d "
                    "(recalled, to confirm); linear part only: ~31% of relatlimab CL is "
                    "nonlinear at 160 mg q4w (Clin Cancer Res 2024 30:3050)",
                ),
                central_volume=(
                    3.63,
                    "assumed: nivolumab's (same IgG4 backbone and sponsor); relatlimab popPK not confirmed",
                ),
                peripheral_volume=(2.78, "assumed: nivolumab's (same IgG4 backbone and sponsor)"),
                intercompartmental_clearance=(
                    0.770,
                    "assumed: nivolumab's (same IgG4 backbone and sponsor)",
                ),
                kd=(0.25, "[r] recalled 0.1–0.5 nM for human LAG-3, to confirm"),
            )
        },
    ),
    Drug(
        id="py314",
        display_name="PY314 (anti-TREM2)",
        aliases=("anti-trem2 (py314)",),
        target="TREM2",
        target_class="anti_trem2",
        modality="antibody",
        species="human",
        molecular_weight=148_000.0,
        molecular_weight_source="assumed: typical IgG1 (~148 kDa)",
        source="investigational (no label); PK assumed: a typical IgG1",
        route="iv",
        pk={
            "human": _antibody_pk(
                "anti_trem2",
                clearance=(
                    0.22,
                    "assumed: typical IgG1 PK (between the catalog's checkpoint antibodies)",
                ),
                central_volume=(3.5, "assumed: typical IgG1 PK"),
                peripheral_volume=(3.2, "assumed: typical IgG1 PK"),
                intercompartmental_clearance=(0.7, "assumed: typical IgG1 PK"),
                kd=(1.0, _KD_ASSUMED),
            )
        },
        notes="Investigational; PK is that of a typical IgG1, not measured.",
    ),
    # Further approved PD-1 / PD-L1 / CTLA-4 antibodies: linear two-compartment popPK typical values
    # (time-varying clearance not modelled: the baseline value, as for pembrolizumab).
    _human_antibody(
        "cemiplimab",
        "cemiplimab",
        ("libtayo", "regn2810", "cemiplimab-rwlc"),
        "PD-1",
        "anti_pd1",
        (146_000.0, "Libtayo label: ~146 kDa [r]"),
        cl=0.254,
        vc=3.35,
        vp=2.52,
        q=0.652,
        source="Paccaly et al. 2022 CPT Pharmacometrics Syst Pharmacol 11:1458, Table 1 "
        "(popPK of cemiplimab, 1,062 patients; typical CL at the first dose)",
        kd=(0.6, "[r] recalled sub-nanomolar affinity for human PD-1, to confirm"),
        notes="350 mg IV q3w (label).",
    ),
    _human_antibody(
        "dostarlimab",
        "dostarlimab",
        ("jemperli", "tsr-042", "dostarlimab-gxly"),
        "PD-1",
        "anti_pd1",
        (144_000.0, "Jemperli label: ~144 kDa [r]"),
        cl=0.179,
        vc=2.98,
        vp=2.10,
        q=0.547,
        source="Melhem et al. 2022 Br J Clin Pharmacol 88:4142, Table 3 (popPK of dostarlimab, "
        "GARNET, 546 patients; reference patient 70 kg)",
        kd=(0.3, "[r] recalled sub-nanomolar affinity for human PD-1, to confirm"),
        notes="500 mg IV q3w x4, then 1000 mg q6w (label).",
    ),
    _human_antibody(
        "durvalumab",
        "durvalumab",
        ("imfinzi", "medi4736"),
        "PD-L1",
        "anti_pdl1",
        (146_300.0, "Imfinzi label: ~146 kDa [r]"),
        cl=0.232,
        vc=3.51,
        vp=3.45,
        q=0.476,
        source=f"{_CENTANNI} (durvalumab: Baverel et al. 2018 Clin Pharmacol Ther 103:631; "
        "linear part only, the nonlinear clearance matters below 3 mg/kg)",
        kd=(0.67, "[r] recalled ~0.67 nM for human PD-L1, to confirm"),
        notes="10 mg/kg q2w or 1500 mg q4w (label).",
    ),
    _human_antibody(
        "avelumab",
        "avelumab",
        ("bavencio", "msb0010718c"),
        "PD-L1",
        "anti_pdl1",
        (147_000.0, "Bavencio label: ~147 kDa [r]"),
        cl=0.0269 * 24,
        vc=3.196,
        vp=0.7278,
        q=0.03352 * 24,
        source="Masters et al. 2022 CPT Pharmacometrics Syst Pharmacol 11:458, Table 1 (80 kg; CL "
        "0.0269 L/h; Q printed 0.3352 L/h, 0.03352 L/h by its own CI and Wilkins 2019)",
        kd=(0.05, "[r] recalled tens of picomolar for human PD-L1, to confirm"),
        notes="800 mg IV q2w (label); terminal half-life ~6 days (Centanni 2019 Table 2).",
    ),
    _human_antibody(
        "tremelimumab",
        "tremelimumab",
        ("imjudo", "cp-675,206", "ticilimumab", "tremelimumab-actl"),
        "CTLA-4",
        "anti_ctla4",
        (149_000.0, "Imjudo label: ~149 kDa [r]"),
        cl=0.276,
        vc=3.64,
        vp=2.40,
        q=0.357,
        source="Hwang et al. 2023 Br J Clin Pharmacol 89:1601, Table 3 (popPK of tremelimumab, "
        "956 patients; baseline CL, reference 71 kg)",
        kd=(0.28, "[r] recalled sub-nanomolar affinity for human CTLA-4, to confirm"),
        notes="300 mg once with durvalumab (STRIDE), or 75 mg q4w x4 (label).",
    ),
]


def _mouse_antibody(
    id: str, display: str, aliases: tuple[str, ...], target: str, tc: TargetClass, notes: str
) -> Drug:
    return Drug(
        id=id,
        display_name=display,
        aliases=aliases,
        target=target,
        target_class=tc,
        modality="antibody",
        species="mouse",
        molecular_weight=150_000.0,
        molecular_weight_source=_IGG_MW_ASSUMED,
        route="ip",
        pk={"mouse": _mouse_igg_pk(tc)},
        source=f"PK: typical mouse IgG ({_KOSINSKY}); clone and dose: the mouse papers of "
        "LITERATURE.md §2",
        notes=notes,
    )


# Generic names ("anti-pd-1") resolve to the mouse clone because that is how mouse papers write
# them; a human subject given one gets an error naming the human drugs of the same class.
_MOUSE_ANTIBODIES = [
    _mouse_antibody(
        "anti-pd-1 (rmp1-14)",
        "anti-PD-1 (RMP1-14)",
        ("rmp1-14", "anti-pd-1", "anti-mouse pd-1"),
        "PD-1",
        "anti_pd1",
        "Rat IgG2a anti-mouse PD-1; typical dose 200 ug i.p. twice weekly (LITERATURE.md §2 [r]).",
    ),
    _mouse_antibody(
        "anti-pd-l1 (10f.9g2)",
        "anti-PD-L1 (10F.9G2)",
        ("10f.9g2", "anti-pd-l1", "anti-mouse pd-l1"),
        "PD-L1",
        "anti_pdl1",
        "Rat IgG2b anti-mouse PD-L1.",
    ),
    _mouse_antibody(
        "anti-ctla-4 (9h10)",
        "anti-CTLA-4 (9H10)",
        ("9h10", "anti-ctla-4", "anti-mouse ctla-4"),
        "CTLA-4",
        "anti_ctla4",
        "Syrian hamster IgG anti-mouse CTLA-4; 100–200 ug i.p. every 3–4 days ×3 (LITERATURE.md §2 [r]).",
    ),
    _mouse_antibody(
        "anti-ctla-4 (9d9)",
        "anti-CTLA-4 (9D9)",
        ("9d9",),
        "CTLA-4",
        "anti_ctla4",
        "Mouse IgG2b anti-mouse CTLA-4 (Treg-depleting).",
    ),
    _mouse_antibody(
        "anti-lag-3 (c9b7w)",
        "anti-LAG-3 (C9B7W)",
        ("c9b7w", "anti-lag-3", "anti-mouse lag-3"),
        "LAG-3",
        "anti_lag3",
        "Rat IgG1 anti-mouse LAG-3.",
    ),
    _mouse_antibody(
        "anti-trem2 (178)",
        "anti-TREM2 (178)",
        ("anti-trem2", "anti-mouse trem2"),
        "TREM2",
        "anti_trem2",
        "Anti-mouse TREM2 clone 178.",
    ),
]

_EGANELISIB_PK_ASSUMED = "assumed: human eganelisib PK not confirmed"
_IPI549_IC50 = (
    1.2,
    "[r] recalled cellular PI3Kγ IC50 ~1.2 nM (Evans et al. 2016 ACS Med Chem Lett), to confirm",
)

_SMALL_MOLECULES = [
    Drug(
        id="eganelisib",
        display_name="eganelisib (IPI-549)",
        aliases=("ipi-549", "ipi549"),
        target="PI3Kγ",
        target_class="ipi549",
        modality="small_molecule",
        species="both",
        molecular_weight=528.6,
        molecular_weight_source="[r] C30H24N8O2 (mass computed from the formula), formula to confirm",
        source="Evans et al. 2016 ACS Med Chem Lett (potency, bioavailability [r]); De Henau 2016 Nature 539:443 (mouse dosing); MARIO-1 (human dose)",
        route="oral",
        pk={
            "human": _pk(
                "ipi549",
                absorption_rate=(24.0, "assumed: oral t_max ~1–2 h, usual for kinase inhibitors"),
                bioavailability=(
                    0.8,
                    "assumed: good oral bioavailability in preclinical species (Evans 2016 [r])",
                ),
                # t½ 12 h, V 1 L/kg × 75 kg: CL = ln2 · 75 L / 0.5 day.
                clearance=(
                    round(math.log(2) * 75.0 / 0.5, 1),
                    f"{_EGANELISIB_PK_ASSUMED}; t½ ≈ 12 h (compatible with once-daily dosing, MARIO-1) with V below",
                ),
                volume=(75.0, f"{_EGANELISIB_PK_ASSUMED}; 1 L/kg × 75 kg"),
                ic50=_IPI549_IC50,
            ),
            "mouse": _pk(
                "ipi549",
                absorption_rate=(48.0, "assumed: oral t_max < 1 h in mice"),
                bioavailability=(
                    0.8,
                    "assumed: good oral bioavailability in mouse (Evans 2016 [r])",
                ),
                # t½ 3 h, V 1 L/kg × 0.02 kg: CL = ln2 · 0.02 L / 0.125 day.
                clearance=(
                    round(math.log(2) * 0.02 / 0.125, 4),
                    "assumed: t½ ≈ 3 h in mice with V below; mouse PK not confirmed",
                ),
                volume=(0.02, "assumed: 1 L/kg × 0.02 kg"),
                ic50=_IPI549_IC50,
            ),
        },
        notes="Mouse dosing ~15 mg/kg p.o. daily (De Henau 2016 [r]); human 30–60 mg daily (MARIO-1).",
    ),
    Drug(
        id="nirogacestat",
        display_name="nirogacestat (PF-03084014)",
        aliases=("ogsiveo", "pf-03084014"),
        target="γ-secretase (Notch)",
        target_class="notch_inhibitor",
        modality="small_molecule",
        species="human",
        molecular_weight=489.6,
        molecular_weight_source="[r] C27H41F2N5O free base (mass computed from the formula), formula to confirm",
        source="Ogsiveo label (dose, apparent clearance and volume [r])",
        route="oral",
        pk={
            "human": _pk(
                "notch_inhibitor",
                absorption_rate=(24.0, "assumed: t_max ~1.5 h (Ogsiveo label [r])"),
                bioavailability=(
                    1.0,
                    "assumed: the clearance and volume below are apparent oral values (CL/F, V/F), so F is folded in",
                ),
                clearance=(45.0 * 24.0, "[r] Ogsiveo label: apparent CL/F ~45 L/h, to confirm"),
                volume=(1130.0, "[r] Ogsiveo label: apparent V/F ~1,130 L, to confirm"),
                ic50=(6.2, "[r] recalled γ-secretase IC50 ~6 nM, to confirm"),
            )
        },
        notes="Label dose 150 mg twice daily (desmoid tumors); used here as the human Notch-pathway inhibitor.",
    ),
    Drug(
        id="dapt",
        display_name="DAPT (GSI-IX)",
        aliases=("gsi-ix", "ly-374973"),
        target="γ-secretase (Notch)",
        target_class="notch_inhibitor",
        modality="small_molecule",
        species="mouse",
        molecular_weight=432.5,
        molecular_weight_source="[r] C23H26F2N2O4 (mass computed from the formula), formula to confirm",
        source="Dovey et al. 2001 J Neurochem (potency [r]); mouse PK assumed",
        route="oral",
        pk={
            "mouse": _pk(
                "notch_inhibitor",
                absorption_rate=(24.0, "assumed: t_max ~1–2 h"),
                bioavailability=(
                    0.3,
                    "assumed: poorly soluble compound, modest oral bioavailability",
                ),
                clearance=(
                    round(math.log(2) * 0.02 / (2.0 / 24.0), 4),
                    "assumed: t½ ≈ 2 h in mice with V below; mouse PK not confirmed",
                ),
                volume=(0.02, "assumed: 1 L/kg × 0.02 kg"),
                ic50=(
                    115.0,
                    "[r] recalled Aβ(total) IC50 ~115 nM in human primary neurons (Dovey et al. 2001 J Neurochem), to confirm",
                ),
            )
        },
        notes="Given p.o. or i.p. in mouse studies; both routes enter the absorption depot.",
    ),
]

_ALDESLEUKIN_HALF_LIFE_DAYS = 85.0 / (24 * 60)
_SIPULEUCEL_UG_PER_CELL = 1e-6
_INFUSED_APC_HALF_LIFE_DAYS = 2.5
_IFNA_ELIM_HALF_LIFE_DAYS = 2.0 / 24
_IFNA_ABS_HALF_LIFE_DAYS = 2.5 / 24

_OTHERS = [
    Drug(
        id="aldesleukin",
        display_name="aldesleukin (IL-2)",
        aliases=("proleukin", "il-2", "interleukin-2", "rhil-2", "high-dose il-2"),
        target="IL-2 receptor",
        target_class="il2",
        modality="cytokine",
        species="human",
        molecular_weight=15_300.0,
        molecular_weight_source="Proleukin label: ~15,300 Da",
        source="Proleukin label (potency, mass, half-life); Atkins 1999 J Clin Oncol 17:2105 (high-dose regimen)",
        route="iv",
        international_units_per_mg=18e6 / 1.1,
        international_units_source="Proleukin label: 18 million IU = 1.1 mg",
        pk={
            "human": _pk(
                "il2",
                elimination_rate=(
                    _half_life_to_rate(_ALDESLEUKIN_HALF_LIFE_DAYS),
                    "Proleukin label: elimination t½ 85 min after a 5-min infusion (distribution t½ 13 min)",
                ),
                central_volume=(5.0, "[r] recalled 4.5–6 L, to confirm"),
            )
        },
        notes="High-dose regimen 600,000–720,000 IU/kg IV q8h up to 14 doses, 2 cycles (Atkins 1999).",
    ),
    Drug(
        id="interferon alfa-2b",
        display_name="interferon alfa-2b (IFN-α2b)",
        aliases=(
            "intron a",
            "ifn-alpha",
            "ifn-a",
            "ifna",
            "ifn-α",
            "ifn-α2b",
            "ifn-alpha-2b",
            "interferon alpha-2b",
            "interferon alpha",
            "interferon alfa",
        ),
        target="IFNAR",
        target_class="ifna",
        modality="cytokine",
        species="human",
        molecular_weight=19_271.0,
        molecular_weight_source="Intron A label: 19,271 Da",
        source="Intron A label (potency, mass, half-life [r]); Radwanski 1987 J Clin Pharmacol 27:432 (IV and s.c. PK); Kirkwood 1996 J Clin Oncol 14:7 (high-dose regimen)",
        route="sc",
        international_units_per_mg=2.6e8,
        international_units_source="Intron A label: ~2.6 × 10^8 IU/mg protein",
        pk={
            "human": _pk(
                "ifna",
                absorption_rate=(
                    _half_life_to_rate(_IFNA_ABS_HALF_LIFE_DAYS),
                    "assumed: absorption t½ 2.5 h, so the apparent s.c. t½ is 2–3 h and t_max ~3 h "
                    "(label: t_max 3–12 h [r])",
                ),
                elimination_rate=(
                    _half_life_to_rate(_IFNA_ELIM_HALF_LIFE_DAYS),
                    "[r] Intron A label: elimination t½ ~2 h after IV dosing, to confirm; "
                    "Radwanski 1987 J Clin Pharmacol 27:432 (12 volunteers, 5 MIU/m²): 1.7 h "
                    "after a 30-min IV infusion (distribution t½ 0.1 h), 2.9 h after s.c.; the "
                    "IV route doses this compartment directly",
                ),
                volume=(30.0, "[r] recalled Vd ~0.4 L/kg (× 75 kg), to confirm"),
            )
        },
        notes="Melanoma high-dose regimen (Kirkwood 1996 J Clin Oncol 14:7): 20 MIU/m² IV 5 "
        "days/week for 4 weeks, then 10 MIU/m² s.c. 3 times/week for 48 weeks; IV doses enter "
        "plasma, s.c. doses the depot.",
    ),
    Drug(
        id="cancer vaccine",
        display_name="therapeutic cancer vaccine (peptide + adjuvant)",
        aliases=("vaccine", "peptide vaccine", "therapeutic vaccine"),
        target="tumor antigen (T-cell priming)",
        target_class="vaccine",
        modality="vaccine",
        species="both",
        source="generic adjuvanted peptide vaccine; depot decay assumed (no single product)",
        route="sc",
        pk={
            sp_name: _pk(
                "vaccine",
                depot_decay_rate=(
                    0.35,
                    "assumed: antigen depot t½ ~2 days for an adjuvanted (emulsion) s.c. peptide; "
                    "aqueous peptides clear in hours",
                ),
            )
            for sp_name in SPECIES
        },
        notes="Doses are micrograms of antigen; no molecular weight is needed.",
    ),
    Drug(
        id="sipuleucel-t",
        display_name="sipuleucel-T (autologous APCs activated with PA2024)",
        aliases=("provenge", "sipuleucel", "apc8015"),
        target="prostatic acid phosphatase (T-cell priming by antigen-presenting cells)",
        target_class="vaccine",
        modality="vaccine",
        species="human",
        source="Provenge label (each infusion: at least 50 million autologous CD54+ cells activated "
        "ex vivo with PA2024, a PAP–GM-CSF fusion protein; 3 doses IV at about 2-week "
        "intervals); Kantoff et al. 2010 N Engl J Med 363:411 (IMPACT)",
        route="iv",
        antigen_ug_per_cell=_SIPULEUCEL_UG_PER_CELL,
        antigen_source="assumed: one infusion of 5 × 10^7 activated APCs loads lymph-node DCs as "
        "a saturating antigen dose does (50 µg-equivalent, 5 × the vaccine_dc_half of the "
        "library): the product is APCs already loaded and matured ex vivo",
        pk={
            "human": _pk(
                "vaccine",
                depot_decay_rate=(
                    _half_life_to_rate(_INFUSED_APC_HALF_LIFE_DAYS),
                    "assumed: infused activated APCs present their antigen for a few days (t½ "
                    "~2.5 days, the lifespan of mature DCs in lymph nodes, Kamath et al. 2000 J "
                    "Immunol 165:6762 [r])",
                ),
            )
        },
        notes="Metastatic castration-resistant prostate cancer: 3 infusions q2w (label). Acts "
        "only through the model's priming of tumor-specific T cells (DC loading in the lymph "
        "node), like the peptide vaccine; doses are written in cells, e.g. "
        "'sipuleucel-t 5e7 cells q2w x3'.",
    ),
    Drug(
        id="tisagenlecleucel",
        display_name="tisagenlecleucel (CD19 CAR-T)",
        aliases=("kymriah", "ctl019"),
        target="CD19",
        target_class="cart",
        modality="cell_therapy",
        species="human",
        source="Kymriah label (B-ALL dose); kinetics: Stein et al. 2019 CPT Pharmacometrics Syst Pharmacol (Table 1), in the B-ALL preset",
        route="iv",
        pk={"human": {}},
        notes="B-ALL dose 0.2–5.0 × 10^6 CAR+ T cells/kg (≤50 kg) [r]; kinetics live in the model.",
    ),
    Drug(
        id="axicabtagene ciloleucel",
        display_name="axicabtagene ciloleucel (CD19 CAR-T, CD28 costimulation)",
        aliases=("yescarta", "axi-cel", "kte-c19"),
        target="CD19",
        target_class="cart",
        modality="cell_therapy",
        species="human",
        source="Yescarta label (dose 2 × 10^6 CAR+ T cells/kg, at most 2 × 10^8; CD28 costimulatory domain); Neelapu et al. 2017 N Engl J Med 377:2531 (ZUMA-1); kinetics in the DLBCL preset",
        max_cells_per_dose=2e8,
        max_cells_source="Yescarta label: 2 × 10^6 CAR-positive viable T cells/kg, at most 2 × 10^8",
        route="iv",
        pk={"human": {}},
        notes="DLBCL dose 2 × 10^6 CAR+ T cells/kg, at most 2 × 10^8 (Yescarta label) [r]; "
        "kinetics live in the model (a CD28 construct expands faster and persists shorter than "
        "4-1BB tisagenlecleucel; not separated in the model).",
    ),
    Drug(
        id="cd19 car-t",
        display_name="CD19 CAR-T (generic)",
        aliases=("car-t", "cart", "anti-cd19 car-t", "cd19 car t cells"),
        target="CD19",
        target_class="cart",
        modality="cell_therapy",
        species="both",
        source="generic CD19 CAR-T; kinetics: Stein et al. 2019 (tisagenlecleucel), in the presets",
        route="iv",
        pk={"human": {}, "mouse": {}},
        notes="Any CD19-directed CAR-T product; kinetics live in the model.",
    ),
]

CATALOG: dict[str, Drug] = {
    d.id: d for d in (*_HUMAN_ANTIBODIES, *_MOUSE_ANTIBODIES, *_SMALL_MOLECULES, *_OTHERS)
}
"""Every drug, by canonical id. Treat it as read-only."""


def normalize_name(name: str) -> str:
    """The lookup key of a drug name: lower-case, letters and digits only.

    Example:
        >>> normalize_name("IPI-549"), normalize_name("anti-PD-1 (RMP1-14)")
        ('ipi549', 'antipd1rmp114')
    """
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _build_index(catalog: dict[str, Drug]) -> dict[str, str]:
    index: dict[str, str] = {}
    for drug in catalog.values():
        for name in drug.names:
            key = normalize_name(name)
            if index.get(key, drug.id) != drug.id:
                raise RuntimeError(f"drug name {name!r} is ambiguous: {index[key]} and {drug.id}")
            index[key] = drug.id
    return index


_INDEX: dict[str, str] = _build_index(CATALOG)


def get_drug(name: str) -> Drug:
    """Find a drug by id, brand name or alias (case, spaces, hyphens and brackets ignored).

    Raises `ConfigError` naming the closest known drug when nothing matches.

    Example:
        >>> get_drug("IPI 549").id
        'eganelisib'
        >>> get_drug("nivolumb")
        Traceback (most recent call last):
        ...
        tmesim.errors.ConfigError: drug: 'nivolumb' is not valid; did you mean 'nivolumab'? ...
    """
    drug_id = _INDEX.get(normalize_name(str(name)))
    if drug_id is None:
        raise ConfigError(
            "drug",
            name,
            "use a drug of the catalog (`tmesim drugs` lists them)",
            choices=sorted({n for d in CATALOG.values() for n in d.names}),
        )
    return CATALOG[drug_id]


def list_drugs(species: str | None = None, target_class: str | None = None) -> list[Drug]:
    """Drugs of the catalog, optionally only those usable in `species` or of `target_class`.

    Example:
        >>> [d.id for d in list_drugs(species="human", target_class="anti_pd1")]
        ['pembrolizumab', 'nivolumab', 'cemiplimab', 'dostarlimab']
    """
    if species is not None and species not in SPECIES:
        raise ConfigError("species", species, f"use one of {list(SPECIES)}", choices=SPECIES)
    if target_class is not None and target_class not in TARGET_CLASSES:
        raise ConfigError(
            "target_class",
            target_class,
            f"use one of {list(TARGET_CLASSES)}",
            choices=TARGET_CLASSES,
        )
    return [
        d
        for d in CATALOG.values()
        if (species is None or d.species in (species, "both"))
        and (target_class is None or d.target_class == target_class)
    ]

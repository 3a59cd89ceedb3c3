"""From a regimen and a subject to dose events in model units, and the PK parameters they need.

Every dose becomes a `DoseEvent`: an amount added to one input state of the model at a known
time (the solver restarts there). Amounts are converted once, here: per-kg doses are multiplied by
body weight, per-m² doses by body surface area (`Subject.surface_m2`), IU go to mg through the
drug's potency, mg go to nmol/µmol/pmol through its molecular
weight. Oral doses enter the gut depot whole; bioavailability is applied by the model.

Example:
    >>> events = dose_events(Regimen.parse("ipilimumab 3 mg/kg q3w x4"), Subject(species="human"))
    >>> [e.time_day for e in events], events[0].state_id, round(events[0].amount, 1), events[0].unit
    ([0.0, 21.0, 42.0, 63.0], 'anti_ctla4_central', 1520.3, 'nmol')
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tmesim.errors import ConfigError
from tmesim.therapies.drugs import (
    SPECIES,
    Drug,
    ParameterValue,
    Species,
    get_drug,
    list_drugs,
    route_input_state,
)
from tmesim.therapies.regimen import DoseStep, Regimen

__all__ = [
    "DEFAULT_BODY_WEIGHT_KG",
    "DEFAULT_HEIGHT_CM",
    "DoseEvent",
    "Subject",
    "amount_per_dose",
    "dose_events",
    "pk_parameters",
]

DEFAULT_BODY_WEIGHT_KG: dict[str, float] = {"human": 75.0, "mouse": 0.02}
# Wide enough for children (CAR-T in B-ALL) and large adults, narrow enough to catch grams for kg.
_PLAUSIBLE_WEIGHT_KG: dict[str, tuple[float, float]] = {
    "human": (2.0, 400.0),
    "mouse": (0.005, 0.1),
}

_PER_MOLE: dict[str, float] = {"nmol": 1e9, "umol": 1e6, "pmol": 1e12}

DEFAULT_HEIGHT_CM = 170.0
"""Height of the reference adult (cm; assumed: of the order of the mean of adult men and women), with
the 75 kg reference weight a body surface area of 1.88 m² by Mosteller's formula."""

MOUSE_SURFACE_M2_AT_20_G = 0.007
"""Body surface area of a 20 g mouse (m²; FDA 2005 guidance 'Estimating the maximum safe starting
dose in initial clinical trials for therapeutics in adult healthy volunteers', Table 1: 0.02 kg,
0.007 m², Km 3), scaled to other weights as weight^0.67 (the same guidance)."""


def mosteller_surface_m2(weight_kg: float, height_cm: float) -> float:
    """Body surface area (m²) by Mosteller's formula, sqrt(height cm × weight kg / 3600).

    Source: Mosteller RD, Simplified calculation of body-surface area, N Engl J Med
    1987;317:1098.

    Example:
        >>> round(mosteller_surface_m2(75.0, 170.0), 3)
        1.882
    """
    return math.sqrt(height_cm * weight_kg / 3600.0)


class Subject(BaseModel):
    """Who receives the regimen: a whole mouse or a whole human.

    Example:
        >>> Subject(species="mouse").body_weight_kg
        0.02
        >>> Subject(species="human", body_weight_kg=60).body_weight_kg
        60.0
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    species: Species
    body_weight_kg: float = Field(
        default=DEFAULT_BODY_WEIGHT_KG["human"],
        gt=0,
        allow_inf_nan=False,
        description="kg; defaults to 75 for a human and 0.02 for a mouse",
    )
    height_cm: float = Field(
        default=DEFAULT_HEIGHT_CM,
        ge=20,
        le=272,
        allow_inf_nan=False,
        description="cm (humans; for Mosteller's body surface area); default 170",
    )
    body_surface_m2: float | None = Field(
        default=None,
        gt=0,
        le=5,
        allow_inf_nan=False,
        description="m²; default: Mosteller's formula for a human, weight^0.67 scaling from "
        "0.007 m² at 20 g for a mouse (see `surface_m2`)",
    )

    @property
    def surface_m2(self) -> float:
        """Body surface area (m²) that per-m² doses are multiplied by.

        Example:
            >>> round(Subject(species="human").surface_m2, 3), Subject(species="mouse").surface_m2
            (1.882, 0.007)
        """
        if self.body_surface_m2 is not None:
            return self.body_surface_m2
        if self.species == "mouse":
            return MOUSE_SURFACE_M2_AT_20_G * (self.body_weight_kg / 0.02) ** 0.67
        return mosteller_surface_m2(self.body_weight_kg, self.height_cm)

    @model_validator(mode="before")
    @classmethod
    def _species_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict):
            species = data.get("species")
            if species not in SPECIES:
                raise ConfigError(
                    "species", species, f"use one of {', '.join(SPECIES)}", choices=SPECIES
                )
            if data.get("body_weight_kg") is None:
                data = {**data, "body_weight_kg": DEFAULT_BODY_WEIGHT_KG[species]}
        return data

    @model_validator(mode="after")
    def _plausible_weight(self) -> Subject:
        lo, hi = _PLAUSIBLE_WEIGHT_KG[self.species]
        if not lo <= self.body_weight_kg <= hi:
            raise ConfigError(
                "body_weight_kg",
                self.body_weight_kg,
                f"a {self.species} weighs {lo}–{hi} kg; give kilograms (a 20 g mouse is 0.02)",
            )
        return self


@dataclass(frozen=True)
class DoseEvent:
    """An amount added to model state `state_id` at `time_day`, in that state's `unit`."""

    time_day: float
    state_id: str
    amount: float
    unit: str
    drug: str = ""


def _check_species(drug: Drug, subject: Subject) -> None:
    if drug.species in (subject.species, "both"):
        return
    others = [d.id for d in list_drugs(species=subject.species, target_class=drug.target_class)]
    instead = (
        f"use {' or '.join(repr(o) for o in others)} instead"
        if others
        else f"the catalog has no {subject.species} drug of class {drug.target_class}"
    )
    raise ConfigError(
        "drug",
        drug.id,
        f"{drug.display_name} is for {drug.species} subjects, not {subject.species}; {instead}",
    )


def _drug_per_target_class(regimen: Regimen) -> dict[str, Drug]:
    """One drug per target class: two drugs of a class would share the model's state slot."""
    chosen: dict[str, Drug] = {}
    for drug_id in regimen.drugs:
        drug = get_drug(drug_id)
        other = chosen.setdefault(drug.target_class, drug)
        if other.id != drug.id:
            raise ConfigError(
                "regimen",
                str(regimen),
                f"{other.id} and {drug.id} both fill the model's {drug.target_class} slot "
                f"({drug.input_state.state_id}); keep one of them per regimen",
            )
    return chosen


def _as_regimen(regimen: Regimen | str) -> Regimen:
    return Regimen.parse(regimen) if isinstance(regimen, str) else regimen


def amount_per_dose(step: DoseStep, subject: Subject) -> float:
    """One dose of `step` for `subject`, in the unit of the drug's input state.

    Example:
        >>> step = DoseStep(drug="rmp1-14", amount=200, unit="ug")
        >>> round(amount_per_dose(step, Subject(species="mouse")), 4)  # nmol of a 150 kDa IgG
        1.3333
    """
    drug = get_drug(step.drug)
    _check_species(drug, subject)
    state = route_input_state(drug.target_class, step.route)
    amount = step.amount
    if step.unit.endswith("/kg"):
        amount *= subject.body_weight_kg
    elif step.unit.endswith("/m2"):
        amount *= subject.surface_m2
    base = step.unit.removesuffix("/kg").removesuffix("/m2")

    if base == "cells":
        if drug.max_cells_per_dose is not None:  # the label's cap on a per-kg cell dose
            amount = min(amount, drug.max_cells_per_dose)
        # A cell-based vaccine's cells carry antigen; CAR-T cells are counted as cells.
        return amount * drug.antigen_ug_per_cell if drug.antigen_ug_per_cell else amount
    if base in ("IU", "MIU"):
        iu = amount * (1e6 if base == "MIU" else 1.0)
        assert drug.international_units_per_mg is not None  # DoseStep checked the unit
        mg = iu / drug.international_units_per_mg
    else:
        mg = amount if base == "mg" else amount / 1000.0
    if state.unit == "ug":
        return mg * 1000.0
    assert drug.molecular_weight is not None  # DoseStep checked the unit
    moles = mg * 1e-3 / drug.molecular_weight
    return moles * _PER_MOLE[state.unit]


def dose_events(
    regimen: Regimen | str, subject: Subject, until_day: float | None = None
) -> list[DoseEvent]:
    """Every dose of the regimen as an event in model units, sorted by time (ties keep step order).

    Events after `until_day` are dropped (a dose exactly at `until_day` is kept).

    Example:
        >>> ev = dose_events("aldesleukin 600000 IU/kg q8h x14", Subject(species="human"))
        >>> len(ev), ev[0].state_id, ev[0].unit
        (14, 'il2_central', 'pmol')
    """
    regimen = _as_regimen(regimen)
    if until_day is not None and not until_day >= 0:
        raise ConfigError("until_day", until_day, "give a day ≥ 0, or None for every dose")
    _drug_per_target_class(regimen)
    events: list[DoseEvent] = []
    for step in regimen.steps:
        amount = amount_per_dose(step, subject)
        state = route_input_state(get_drug(step.drug).target_class, step.route)
        for t in step.times():
            if until_day is None or t <= until_day:
                events.append(DoseEvent(t, state.state_id, amount, state.unit, step.drug))
    events.sort(key=lambda e: e.time_day)
    return events


def pk_parameters(regimen: Regimen | str, subject: Subject) -> dict[str, ParameterValue]:
    """The catalog PK values of every target class the regimen uses, for the subject's species.

    Values are for the catalog's reference subject (75–80 kg human, 20 g mouse); no allometric
    scaling is applied here.

    Example:
        >>> p = pk_parameters("nivolumab 480 mg q4w x13", Subject(species="human"))
        >>> p["anti_pd1_central_volume"].value, p["anti_pd1_central_volume"].units
        (3.63, 'L')
    """
    regimen = _as_regimen(regimen)
    out: dict[str, ParameterValue] = {}
    for tc, drug in _drug_per_target_class(regimen).items():
        _check_species(drug, subject)
        pk = drug.pk.get(subject.species)
        if pk is None:
            raise ConfigError(
                "drug",
                drug.id,
                f"the catalog has no {subject.species} PK for {drug.display_name}; "
                f"add it in tmesim/therapies/drugs.py (target class {tc})",
            )
        out.update(pk)
    return out

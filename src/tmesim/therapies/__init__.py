"""Therapies: the drug catalog (targets, PK per species), regimens and dose events.

Example:
    >>> from tmesim.therapies import Regimen, Subject, dose_events
    >>> r = Regimen.parse("rmp1-14 200 ug biw x6 from day 7")
    >>> [round(e.time_day, 1) for e in dose_events(r, Subject(species="mouse"))]
    [7.0, 10.5, 14.0, 17.5, 21.0, 24.5]
"""

from tmesim.therapies.dosing import (
    DEFAULT_BODY_WEIGHT_KG,
    DoseEvent,
    Subject,
    amount_per_dose,
    dose_events,
    pk_parameters,
)
from tmesim.therapies.drugs import (
    ANTIBODY_CLASSES,
    CATALOG,
    INPUT_STATES,
    PK_PARAMETERS,
    ROUTES_BY_TARGET_CLASS,
    SMALL_MOLECULE_CLASSES,
    TARGET_CLASSES,
    Drug,
    InputState,
    ParameterValue,
    get_drug,
    list_drugs,
)
from tmesim.therapies.regimen import (
    SCHEDULES,
    UNITS,
    DoseStep,
    Regimen,
    format_schedule,
    parse_schedule,
    regimen_from_config,
    units_for,
)

__all__ = [
    "ANTIBODY_CLASSES",
    "CATALOG",
    "DEFAULT_BODY_WEIGHT_KG",
    "INPUT_STATES",
    "PK_PARAMETERS",
    "ROUTES_BY_TARGET_CLASS",
    "SCHEDULES",
    "SMALL_MOLECULE_CLASSES",
    "TARGET_CLASSES",
    "UNITS",
    "DoseEvent",
    "DoseStep",
    "Drug",
    "InputState",
    "ParameterValue",
    "Regimen",
    "Subject",
    "amount_per_dose",
    "dose_events",
    "format_schedule",
    "get_drug",
    "list_drugs",
    "parse_schedule",
    "pk_parameters",
    "regimen_from_config",
    "units_for",
]

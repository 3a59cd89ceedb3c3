"""Where a preset's value comes from: sourced from a paper, calibrated, or assumed.

Read from two places: the shipped calibration records (a value `tmesim calibrate` fitted is
calibrated, whatever its source text says) and the value's `source` text, written by the library's
conventions (`tmesim.parameters.library`): "assumed: ..." and "calibrated: ..." open the text of a
value no paper gives; a citation followed by the ledger's calibration vocabulary
(:func:`tmesim.validation.ledger.claims_calibration`: "calibrated to ...", "tuned", ...) is
calibrated; a
citation whose value is nevertheless "assumed" (a rate assumed small, a typical IgG distribution)
is assumed; any other citation, recalled ones marked "[r]" included, is sourced.

Example:
    >>> from tmesim.parameters import get_preset
    >>> classify_parameter(get_preset("mouse_4t1")["tumor_site_volume"], "mouse_4t1")
    'assumed'
"""

from __future__ import annotations

import re
from typing import Literal

from tmesim.parameters.parameter_set import Parameter
from tmesim.validation.ledger import claims_calibration, names_value
from tmesim.validation.record import CalibrationRecord, load_record

Provenance = Literal["sourced", "calibrated", "assumed"]
PROVENANCES: tuple[Provenance, ...] = ("sourced", "calibrated", "assumed")
"""From best to least supported: several presets' values of one parameter take the last."""

_ASSUMED = re.compile(r"\b(assum\w*|user override)\b", re.IGNORECASE)


def classify_parameter(
    parameter: Parameter, preset: str, record: CalibrationRecord | None = None
) -> Provenance:
    """Provenance of one preset value (see the module docstring for the rules).

    `record` defaults to the shipped calibration records (:func:`load_record`).

    Example:
        >>> p = Parameter("k", 0.1, "1/day", "Smith 2020 Table 2; calibrated to 0.1")
        >>> classify_parameter(p, "any_preset", CalibrationRecord(method="none", config="none"))
        'calibrated'
    """
    record = record if record is not None else load_record()
    if any(names_value(f, preset, parameter.id) for f in record.parameters):
        return "calibrated"
    text = parameter.source.strip().lower()
    if text.startswith("calibrated"):
        return "calibrated"
    if text.startswith("assumed"):
        return "assumed"
    if claims_calibration(text):
        return "calibrated"
    if _ASSUMED.search(text):
        return "assumed"
    return "sourced"


def weakest(provenances: list[Provenance]) -> Provenance:
    """The least supported of several provenances (one parameter read in several presets).

    Example:
        >>> weakest(["sourced", "assumed", "calibrated"])
        'assumed'
    """
    return max(provenances, key=PROVENANCES.index)

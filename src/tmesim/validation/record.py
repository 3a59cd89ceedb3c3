"""The calibration record: which targets set parameter values, and which only validate.

`tmesim calibrate` writes one. The package ships the calibrations behind its presets, one folder
each under ``calibrations/`` (the config that was run and the record it wrote); the package record is
their union. The validation page reads it to mark each target's role and to list the parameters
that moved far from their literature values.

Example:
    >>> record = load_record()
    >>> record.role("de_henau_2016_4t1_checkpoint_ipi549_cr")
    'calibration'
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tmesim.config.validation import validate_config
from tmesim.config.yamlio import dump_yaml, read_yaml
from tmesim.errors import ConfigError

CALIBRATIONS = Path(__file__).parent / "calibrations"
"""One folder per shipped calibration: ``config.yaml`` and the ``calibration_record.yaml`` it wrote."""
FAR_FACTOR = 3.0
"""A calibrated value more than this factor away from its literature value has "moved far"."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FittedParameter(_Strict):
    """One calibrated parameter of one preset."""

    id: str
    preset: str
    value: float
    units: str
    previous_value: float | None = Field(None, description="Value before this calibration.")
    literature_value: float | None = Field(None, description="Value a paper gives, if any.")
    source: str = Field(description="Provenance: 'calibrated to targets [...] by ...'.")
    reason: str = Field("", description="Why the value sits where it does.")

    @property
    def moved_far(self) -> bool:
        """More than FAR_FACTOR away from the literature value."""
        lit = self.literature_value
        if lit is None or lit <= 0 or self.value <= 0:
            return False
        return abs(math.log(self.value / lit)) > math.log(FAR_FACTOR)


class CalibrationRecord(_Strict):
    """What a calibration used, what it produced and what it left for validation."""

    method: str
    config: str = Field(description="Calibration config file (or how the values were set).")
    config_hash: str = ""
    seed: int | None = None
    loss: float | None = None
    calibration_targets: list[str] = Field(default_factory=list)
    validation_targets: list[str] = Field(default_factory=list)
    parameters: list[FittedParameter] = Field(default_factory=list)
    notes: str = ""

    def role(self, target_id: str) -> Literal["calibration", "validation"]:
        return "calibration" if target_id in self.calibration_targets else "validation"


def load_record(path: Path | None = None) -> CalibrationRecord:
    """Read a calibration record; without `path`, the union of the shipped calibrations."""
    if path is None:
        return merged_record(shipped_records())
    path = Path(path)
    if not path.exists():
        raise ConfigError(str(path), None, "run `tmesim calibrate CONFIG.yaml` to write one")
    data = read_yaml(path) or {}
    return validate_config(CalibrationRecord, data, source=str(path), label="calibration record")


def shipped_records() -> list[CalibrationRecord]:
    """The records of the calibrations behind the shipped presets, in folder order."""
    return [load_record(p) for p in sorted(CALIBRATIONS.glob("*/calibration_record.yaml"))]


def merged_record(records: list[CalibrationRecord]) -> CalibrationRecord:
    """One record for several calibrations: their targets, parameters and methods together."""
    calibration = sorted({t for r in records for t in r.calibration_targets})
    every = sorted({t for r in records for t in (*r.calibration_targets, *r.validation_targets)})
    return CalibrationRecord(
        method="; ".join(f"{r.config}: {r.method}" for r in records),
        config=", ".join(r.config for r in records),
        calibration_targets=calibration,
        validation_targets=[t for t in every if t not in calibration],
        parameters=[p for r in records for p in r.parameters],
        notes=" ".join(r.notes for r in records if r.notes),
    )


def record_to_yaml(record: CalibrationRecord) -> str:
    """The record as YAML that :func:`load_record` reads back."""
    return dump_yaml(record.model_dump(mode="json"))

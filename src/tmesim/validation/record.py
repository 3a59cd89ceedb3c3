"""The calibration record: which targets set parameter values, and which only validate.

`tmesim calibrate` writes one. The package ships the calibrations behind its presets, one folder
each under ``calibrations/``: a `tmesim calibrate` fit keeps the config that was run beside the
record it wrote; a value set by hand (method ``hand``) has a record written by hand, in a folder
named ``hand_<theme>``. The package record is their union (the calibration ledger): every value
whose source says it was calibrated has an entry there (`tmesim.validation.ledger` checks it). The
validation page reads it to mark each target's role and to list the parameters that moved far
from their literature values.

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
"""One folder per shipped calibration: its ``calibration_record.yaml``, and for a `tmesim calibrate`
fit the ``config.yaml`` that wrote it."""
HAND_PREFIX = "hand_"
"""Folders of hand calibrations (a record written by hand, no config) start with this."""
FAR_FACTOR = 3.0
"""A calibrated value more than this factor away from its literature value has "moved far"."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


Method = Literal["tmesim_calibrate", "hand"]
"""How a value was set: fitted by `tmesim calibrate`, or set by hand (a hand calibration)."""


class FittedParameter(_Strict):
    """One calibrated parameter of one preset (or of every preset matching a pattern).

    `preset` is a preset name, or a pattern (``*``, ``mouse_*``, ``human_*``) for a library value
    that every matching preset inherits; an entry naming the preset itself takes precedence.
    `drug` names a drug of the catalog when the value is that drug's PK (the presets then carry it
    only where the drug is their class's reference). `value` and `literature_value` are both in
    `units`.
    """

    id: str
    preset: str
    value: float
    units: str
    previous_value: float | None = Field(None, description="Value before this calibration.")
    literature_value: float | None = Field(None, description="Value a paper gives, if any.")
    source: str = Field(description="Provenance: 'calibrated to targets [...] by ...'.")
    reason: str = Field("", description="Why the value sits where it does.")
    method: Method = Field("tmesim_calibrate", description="How the value was set.")
    targets: list[str] = Field(
        default_factory=list,
        description="Targets the value was set to reach (a `tmesim calibrate` fit: the "
        "record's calibration targets).",
    )
    outcome: str = Field(
        "", description="What the value was set to reproduce, in words, where no target states it."
    )
    literature_source: str = Field("", description="Paper (and table) of the literature value.")
    drug: str | None = Field(None, description="Catalog drug whose PK value this is, if any.")

    @property
    def fold_from_literature(self) -> float | None:
        """value / literature value (None without a positive literature value).

        Example:
            >>> FittedParameter(id="k", preset="*", value=5.0, units="1", literature_value=11.0,
            ...                 source="s").fold_from_literature
            0.45454545454545453
        """
        lit = self.literature_value
        if lit is None or lit <= 0 or self.value <= 0:
            return None
        return self.value / lit

    @property
    def moved_far(self) -> bool:
        """More than FAR_FACTOR away from the literature value."""
        fold = self.fold_from_literature
        return fold is not None and abs(math.log(fold)) > math.log(FAR_FACTOR)


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
    """One record for several calibrations: their targets, parameters and methods together.

    Each parameter of a `tmesim calibrate` fit names the fit's targets, and every target any
    parameter was set to reach is a calibration target."""
    parameters = [
        p.model_copy(update={"targets": list(r.calibration_targets)})
        if p.method == "tmesim_calibrate" and not p.targets
        else p
        for r in records
        for p in r.parameters
    ]
    calibration = sorted(
        {t for r in records for t in r.calibration_targets}
        | {t for p in parameters for t in p.targets}
    )
    every = sorted({t for r in records for t in (*r.calibration_targets, *r.validation_targets)})
    return CalibrationRecord(
        method="; ".join(f"{r.config}: {r.method}" for r in records),
        config=", ".join(r.config for r in records),
        calibration_targets=calibration,
        validation_targets=[t for t in every if t not in calibration],
        parameters=parameters,
        notes=" ".join(r.notes for r in records if r.notes),
    )


def record_to_yaml(record: CalibrationRecord) -> str:
    """The record as YAML that :func:`load_record` reads back."""
    return dump_yaml(record.model_dump(mode="json"))

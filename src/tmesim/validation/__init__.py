"""Validation against published results (`tmesim validate`) and calibration (`tmesim calibrate`).

Targets are YAML files in ``targets/``, one per published result; see `targets`, `metrics`,
`acceptance`, `runner` and `calibrate`.

Example:
    >>> from tmesim.validation import load_targets
    >>> len(load_targets()) >= 20
    True
"""

from __future__ import annotations

from tmesim.validation.runner import ValidationReport, run_validation
from tmesim.validation.targets import Target, load_targets

__all__ = ["Target", "ValidationReport", "load_targets", "run_validation"]

"""Named, citable parameter sets: mouse tumor models and human indications.

Each preset module defines `PRESET: PresetInfo` and `build() -> ParameterSet`. `get_preset(name)` gives
a complete set (every model parameter, with units and source) ready for a `Simulation`.

Example:
    >>> from tmesim.parameters.presets import get_preset, list_presets
    >>> names = [p.name for p in list_presets()]
    >>> names[:2], "mouse_ct26" in names
    (['human_b_all', 'human_crc_dmmr'], True)
    >>> get_preset("mouse_4t1").species
    'mouse'
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass

from tmesim.errors import ConfigError
from tmesim.parameters.parameter_set import ParameterSet

_MODULES = (
    "human_b_all",
    "human_crc_dmmr",
    "human_crc_pmmr",
    "human_dlbcl",
    "human_melanoma",
    "human_nsclc",
    "human_prostate",
    "human_rcc",
    "human_tnbc",
    "human_urothelial",
    "mouse_4t1",
    "mouse_b16_gmcsf",
    "mouse_b16f10",
    "mouse_crc_mmr_deficient",
    "mouse_crc_mmr_proficient",
    "mouse_ct26",
    "mouse_mc38",
    "mouse_mmtv_pymt",
)


@dataclass(frozen=True)
class PresetInfo:
    """What a preset is: name, species, one-line description, and where its numbers come from."""

    name: str
    species: str
    description: str
    sources: str


def list_presets() -> list[PresetInfo]:
    """All presets, sorted by name."""
    return sorted(
        (importlib.import_module(f"tmesim.parameters.presets.{m}").PRESET for m in _MODULES),
        key=lambda p: p.name,
    )


@functools.cache
def get_preset(name: str) -> ParameterSet:
    """The complete parameter set of preset `name` (a clear error with the nearest name if unknown)."""
    if name not in _MODULES:
        raise ConfigError(
            "preset", name, "use one of the presets listed by `tmesim presets`", choices=_MODULES
        )
    module = importlib.import_module(f"tmesim.parameters.presets.{name}")
    return module.build()

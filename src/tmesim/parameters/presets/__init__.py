"""Named, citable parameter sets: mouse tumor models and human indications.

Each preset module defines `PRESET: PresetInfo` and `build() -> ParameterSet`. `get_preset(name)` gives
a complete set (every model parameter, with units and source) ready for a `Simulation`.

Example:
    >>> from tmesim.parameters.presets import get_preset, list_presets
    >>> [p.name for p in list_presets()][:2]
    ['human_melanoma', 'mouse_4t1']
    >>> get_preset("mouse_4t1").species
    'mouse'
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass

from tmesim.errors import ConfigError
from tmesim.parameters.parameter_set import ParameterSet

_MODULES = ("human_melanoma", "mouse_4t1", "mouse_b16f10")


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

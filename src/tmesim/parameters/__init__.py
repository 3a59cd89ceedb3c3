"""Parameter values with units, sources and priors; named presets."""

from tmesim.parameters.parameter_set import Parameter, ParameterSet, Prior
from tmesim.parameters.presets import PresetInfo, get_preset, list_presets

__all__ = ["Parameter", "ParameterSet", "PresetInfo", "Prior", "get_preset", "list_presets"]

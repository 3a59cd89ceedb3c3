"""Parameter values with units, sources and priors; named presets."""

from tmesim.parameters.parameter_set import Parameter, ParameterSet, Prior, TreatmentStart
from tmesim.parameters.presets import PresetInfo, get_preset, list_presets

__all__ = [
    "Parameter",
    "ParameterSet",
    "PresetInfo",
    "Prior",
    "TreatmentStart",
    "get_preset",
    "list_presets",
]

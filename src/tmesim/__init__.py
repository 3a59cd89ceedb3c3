"""tmesim: the tumor–immune system under immunotherapy, simulated.

Example:
    >>> from tmesim import Simulation
    >>> sim = Simulation("mouse_4t1", regimen="rmp1-14 200 ug biw x6 from day 7")
    >>> sim.parameters["tumor_growth_rate"].units
    '1/day'
"""

from __future__ import annotations

from tmesim._version import __version__ as __version__

__all__ = [
    "Simulation",
    "SimulationResult",
    "Trial",
    "build_model",
    "get_preset",
    "list_presets",
    "simulate",
]


def __getattr__(name: str):  # lazy: `import tmesim` stays light for the command line
    if name in ("Simulation", "SimulationResult", "simulate"):
        from tmesim import simulation

        return getattr(simulation, name)
    if name == "Trial":
        from tmesim.trials.trial import Trial

        return Trial
    if name == "build_model":
        from tmesim.model import build_model

        return build_model
    if name in ("get_preset", "list_presets"):
        from tmesim.parameters import presets

        return getattr(presets, name)
    raise AttributeError(f"module 'tmesim' has no attribute {name!r}")

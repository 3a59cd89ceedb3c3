"""The spatial agent-based engine: the tumor as a tissue, with the QSP model's biology and parameters.

`run_abm(...)` runs a tissue and writes snapshots, readouts and pictures; `Tissue` is the stepping
object underneath; `AbmSettings` holds the domain and run settings (a scenario's `abm:` block).
The compiled parts are imported on first use, so reading a scenario stays light.
"""

from __future__ import annotations

from typing import Any

from tmesim.engines.abm.config import AbmSettings, FixedSystemic

__all__ = ["AbmResult", "AbmSettings", "FixedSystemic", "Tissue", "run_abm", "run_spatial_scenario"]


def __getattr__(name: str) -> Any:
    if name in ("AbmResult", "Tissue", "run_abm", "run_spatial_scenario"):
        from tmesim.engines.abm import simulation

        return getattr(simulation, name)
    raise AttributeError(name)

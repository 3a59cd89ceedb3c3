"""Absolute tolerances of the solver per state, from the units of the model's species.

A tolerance far below what a readout can resolve only buys steps. Cells: populations under one
cell are decided by the small-population rule (`SolverSettings.extinction_threshold`), not by
the ODE, so 1e-3 cell is ample. Concentrations and amounts: 1 fM and 1 fmol (assumed), at least
four orders below the binding constants of the model's antibodies (K_D about 0.1-10 nM) and
cytokines (half-effect concentrations about 10-1000 pM; see the model's parameter sources).
"""

from __future__ import annotations

import numpy as np

from tmesim.errors import ConfigError
from tmesim.model.builder import Model

UNIT_ATOL: dict[str, float] = {
    "cell": 1e-3,
    "M": 1e-15,
    "mM": 1e-12,
    "uM": 1e-9,
    "nM": 1e-6,
    "pM": 1e-3,
    "mol": 1e-15,
    "mmol": 1e-12,
    "umol": 1e-9,
    "nmol": 1e-6,
    "pmol": 1e-3,
    "mg": 1e-9,
    "ug": 1e-6,
    "ng": 1e-3,
}
"""Absolute tolerance (in the unit itself) for each unit a species may have."""


def absolute_tolerances(model: Model) -> np.ndarray:
    """One absolute tolerance per state of `model`, from its species' units (`UNIT_ATOL`).

    A species that declares no units (e.g. one imported from an SBML file without unit
    definitions) gets NaN: such a model is solved with one `SolverSettings.atol` for every state.

    Example:
        >>> from tmesim.model import build_model
        >>> m = build_model()
        >>> float(absolute_tolerances(m)[m.species_ids.index("tumor_clone_0")])
        0.001
    """
    out = np.empty(len(model.species))
    for i, species in enumerate(model.species):
        if not species.units:
            out[i] = np.nan
            continue
        if species.units not in UNIT_ATOL:
            raise ConfigError(
                f"species {species.id!r} units",
                species.units,
                "add the unit and its absolute tolerance to "
                "tmesim.engines.qsp.tolerances.UNIT_ATOL",
                choices=sorted(UNIT_ATOL),
            )
        out[i] = UNIT_ATOL[species.units]
    return out


def settings_atol(model: Model, atol: float | None) -> np.ndarray:
    """The absolute tolerances a solver setting means for `model`: `atol` for every state, or
    None for each state's own (`absolute_tolerances`); what the compiled solver uses, for giving
    the same tolerances to a reference solver.

    Example:
        >>> from tmesim.model import build_model
        >>> float(settings_atol(build_model(), 1e-8).max())
        1e-08
    """
    if atol is None:
        return absolute_tolerances(model)
    return np.full(len(model.species), float(atol))

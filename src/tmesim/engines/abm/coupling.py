"""Systemic input of the tissue: immune-cell supply from blood and drug levels, over time.

The tissue is a piece of a lesion inside a body. What the body supplies — effector CD8 and helper
CD4 T cells primed in the lymph node, Tregs, NK cells, monocytes, MDSCs, dendritic-cell precursors —
and what the drugs do in the tissue (receptor occupancy of each antibody, PI3Kγ and Notch inhibition,
plasma IL-2, interferon-α) come from the QSP model of the same preset, mechanisms and regimen, solved
once for the whole run (`qsp_systemic`). So every therapy of the catalog works in the tissue, with
the same PK as in the ODE. Drug concentrations are taken as uniform in the tissue (antibodies and
small molecules reach it from the QSP tumor compartment); a diffusing drug field is not modelled.

Supply is expressed per mm³ of tumor per day, the QSP entry flux divided by the QSP tumor volume,
*without* the local factors (CXCL9/10, suppressive myeloid density, CCL2) that the tissue computes
itself at each vessel. The tissue therefore receives the same density of arrivals as the QSP lesion
where its local environment equals the lesion average. The coupling is one-way: antigen released in
the tissue does not feed back into priming (the QSP lesion primes the lymph node).

Example:
    >>> from tmesim.engines.abm.config import FixedSystemic
    >>> s = fixed_systemic(FixedSystemic(cd8=50.0, ipi549=0.9))
    >>> float(s.at(3.0)[S_CD8]), float(s.at(3.0)[S_IPI549])
    (50.0, 0.9)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tmesim.engines.abm.config import FixedSystemic
from tmesim.engines.abm.rules import (
    N_SYSTEMIC,
    S_CD4,
    S_CD8,
    S_DC,
    S_GROWTH_LAW,
    S_IFNA,
    S_IL2_PLASMA,
    S_IPI549,
    S_LESION_MM3,
    S_MDSC,
    S_MONOCYTE,
    S_NK,
    S_NOTCH_INHIBITOR,
    S_OCC_CTLA4,
    S_OCC_LAG3,
    S_OCC_PD1,
    S_OCC_PDL1,
    S_OCC_TREM2,
    S_TREG,
    SYSTEMIC_NAMES,
)

REFERENCE_LESION_MM3 = 75.0
"""Lesion volume that per-cell QSP uptake constants refer to when no QSP lesion is solved (the
mouse treatment-start size of the presets)."""


@dataclass(frozen=True)
class SystemicInput:
    """Systemic channels (`rules.SYSTEMIC_NAMES`) at given days; linear in between, held
    constant outside."""

    days: np.ndarray
    values: np.ndarray
    """(n_days, N_SYSTEMIC)"""

    def at(self, day: float) -> np.ndarray:
        """All channels at `day` (QSP clock)."""
        if self.days.size == 1:
            return self.values[0].copy()
        out = np.empty(N_SYSTEMIC)
        for c in range(N_SYSTEMIC):
            out[c] = np.interp(day, self.days, self.values[:, c])
        return out

    def table(self) -> dict[str, np.ndarray]:
        """Channel name -> values, with `day`."""
        return {"day": self.days, **{n: self.values[:, c] for c, n in enumerate(SYSTEMIC_NAMES)}}


def fixed_systemic(fixed: FixedSystemic) -> SystemicInput:
    """Constant input from the `abm.fixed` settings."""
    v = np.zeros(N_SYSTEMIC)
    v[S_CD8], v[S_CD4], v[S_TREG], v[S_NK] = fixed.cd8, fixed.cd4, fixed.treg, fixed.nk
    v[S_MONOCYTE], v[S_MDSC], v[S_DC] = fixed.monocyte, fixed.mdsc, fixed.dc
    v[S_OCC_PD1], v[S_OCC_PDL1], v[S_OCC_CTLA4] = fixed.anti_pd1, fixed.anti_pdl1, fixed.anti_ctla4
    v[S_OCC_LAG3], v[S_OCC_TREM2] = fixed.anti_lag3, fixed.anti_trem2
    v[S_IPI549], v[S_NOTCH_INHIBITOR] = fixed.ipi549, fixed.notch_inhibitor
    v[S_IL2_PLASMA], v[S_IFNA] = fixed.il2_plasma_pM, fixed.ifna_activity
    v[S_GROWTH_LAW] = fixed.growth_law
    v[S_LESION_MM3] = REFERENCE_LESION_MM3
    return SystemicInput(np.array([0.0]), v[None, :])


def qsp_systemic(simulation, start_day: float, days: float, every: float = 0.25) -> SystemicInput:
    """Solve the QSP model of `simulation` (a `tmesim.Simulation`, nominal parameters) once and
    read the systemic channels every `every` days over [start_day, start_day + days].

    Every channel is a model observable of the same name (`rules.SYSTEMIC_NAMES`: the `supply_*`
    inflows, drug occupancies and inhibitions, plasma IL-2, interferon-α activity, the growth law
    and the lesion volume), so the tissue reads the QSP model's own expressions.
    """
    key = (
        simulation.parameters.content_hash(),
        str(simulation.regimen_),
        simulation.model.structure_hash(),
        float(start_day),
        float(days),
        float(every),
    )
    if key not in _SOLVED:
        _SOLVED[key] = _solve_systemic(simulation, start_day, days, every)
    return _SOLVED[key]


_SOLVED: dict[tuple, SystemicInput] = {}
"""Systemic inputs already solved in this process (replicate tissues of one arm share theirs)."""


def _solve_systemic(simulation, start_day: float, days: float, every: float) -> SystemicInput:
    from tmesim.cohorts.population import sample_population
    from tmesim.simulation import simulate

    model = simulation.model
    params = simulation.parameters
    t0 = -params.pretreatment_days
    if start_day < t0:
        from tmesim.errors import ConfigError

        raise ConfigError(
            "abm.start_day",
            start_day,
            f"the QSP timeline of this preset starts on day {t0 + 0.0:g} (inoculation, pretreatment_days "
            "before treatment start); start the tissue on that day or later",
        )
    times = np.arange(max(start_day, t0), start_day + days + every + 1e-9, every)
    P, _ = sample_population(params, model, np.zeros(1, dtype=np.int64), 0, variability=False)
    sol = simulate(
        model,
        P,
        params.founding_states(model, P),
        times[None, :],
        simulation.dose_schedule(1, until_day=float(times[-1])),
        t0=t0,
        settings=simulation.solver,
    )
    columns = [model.observable_ids.index(name) for name in SYSTEMIC_NAMES]
    values = sol.observables[0][:, columns]
    return SystemicInput(times, np.nan_to_num(np.clip(values, 0.0, None)))

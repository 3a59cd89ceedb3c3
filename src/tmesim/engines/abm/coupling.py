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
    """Solve the QSP model of `simulation` (a `tmesim.Simulation`, nominal parameters) and read
    the systemic channels every `every` days over [start_day, start_day + days].

    Each time point is the final state of one integration from the preset's start, so the whole
    series is one parallel cohort solve of the compiled kernel.
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
    first = max(start_day, t0)
    times = np.arange(first, start_day + days + every + 1e-9, every)
    n = times.size
    P, _ = sample_population(params, model, np.zeros(n, dtype=np.int64), 0, variability=False)
    Y0 = np.tile(params.initial_state(model), (n, 1))
    sol = simulate(
        model,
        P,
        Y0,
        times[:, None],
        simulation.dose_schedule(n, until_day=float(times[-1])),
        t0=t0,
        settings=simulation.solver,
    )
    y = sol.y_final
    obs = sol.observables[:, 0, :]

    def state(sid: str) -> np.ndarray:
        return y[:, model.species_index(sid)]

    def value(pid: str) -> float:
        return params.value(pid)

    def sat(x: np.ndarray, half: float) -> np.ndarray:
        return x / (x + half)

    tumor = sum(state(f"tumor_clone_{k}") for k in range(4))
    density = value("tumor_cell_density")
    residual = value("tumor_site_volume")
    mass = tumor / density + residual
    lesion = obs[:, model.observable_ids.index("tumor_volume")] + residual
    entry_scale = mass / (mass + value("immune_entry_volume_half"))
    out = np.zeros((n, N_SYSTEMIC))
    t_entry = value("t_cell_tumor_entry_rate") * entry_scale / mass
    out[:, S_CD8] = t_entry * state("cd8_effector_blood")
    out[:, S_CD4] = t_entry * state("cd4_helper_blood")
    out[:, S_TREG] = value("treg_tumor_entry_rate") * entry_scale * state("treg_blood") / mass
    out[:, S_NK] = value("nk_tumor_entry_rate") * entry_scale * state("nk_blood") / mass
    out[:, S_MONOCYTE] = (
        value("monocyte_recruitment_rate") * entry_scale * state("monocyte_blood") / mass
    )
    out[:, S_MDSC] = (
        value("mdsc_recruitment_rate")
        * value("tumor_myeloid_factor")
        * sat(tumor, value("tumor_myeloid_factor_half"))
    )
    out[:, S_DC] = value("dc_recruitment_rate")
    for channel, ab in (
        (S_OCC_PD1, "anti_pd1"),
        (S_OCC_PDL1, "anti_pdl1"),
        (S_OCC_CTLA4, "anti_ctla4"),
        (S_OCC_LAG3, "anti_lag3"),
        (S_OCC_TREM2, "anti_trem2"),
    ):
        out[:, channel] = sat(state(f"{ab}_tumor"), value(f"{ab}_kd"))
    for channel, sm in ((S_IPI549, "ipi549"), (S_NOTCH_INHIBITOR, "notch_inhibitor")):
        conc_nm = 1000.0 * state(f"{sm}_central") / value(f"{sm}_volume")
        out[:, channel] = sat(conc_nm, value(f"{sm}_ic50"))
    out[:, S_IL2_PLASMA] = state("il2_central") / value("il2_central_volume")
    out[:, S_IFNA] = sat(state("ifna_central") / value("ifna_volume"), value("ifna_ec50"))
    capacity = value("tumor_carrying_capacity")
    g = value("tumor_growth_gompertz")
    out[:, S_GROWTH_LAW] = (1 - g) * (1 - tumor / capacity) + g * np.log(
        (capacity + 1) / (tumor + 1)
    )
    out[:, S_LESION_MM3] = lesion
    return SystemicInput(times, np.nan_to_num(np.clip(out, 0.0, None)))

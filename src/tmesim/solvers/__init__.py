"""Compiled cohort ODE solver: Rodas4 / DOPRI5 integrators compiled together with a model.

Typical use:
    >>> kernel = build_kernel(model_source, "mouse_4t1")  # doctest: +SKIP
    >>> sol = solve(kernel, Y0, P, 0.0, t_save, doses, extinct_idx, SolverSettings())  # doctest: +SKIP
    >>> sol.observables.shape  # (n_patients, n_save, n_obs)  # doctest: +SKIP
"""

from tmesim.solvers.cohort import CohortSolution, DoseSchedule, ExactStates, solve
from tmesim.solvers.kernel import build_kernel, cache_dir
from tmesim.solvers.settings import SolverSettings
from tmesim.solvers.status import SolverStatus, describe

__all__ = [
    "CohortSolution",
    "DoseSchedule",
    "ExactStates",
    "SolverSettings",
    "SolverStatus",
    "build_kernel",
    "cache_dir",
    "describe",
    "solve",
]

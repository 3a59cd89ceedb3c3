"""Global sensitivity of validation targets' metrics and model observables to preset parameters.

Morris screening and Sobol indices (SALib) over fold ranges around the preset values, each
parameter labelled sourced, calibrated or assumed; `tmesim sensitivity` on the command line.

Example:
    >>> plan = plan_sensitivity(targets=["de_henau_2016_4t1_checkpoint_ipi549_cr"])
    >>> plan.method, len(plan.factors) > 0
    ('morris', True)
"""

from tmesim.validation.sensitivity.run import (
    Plan,
    SensitivityResult,
    plan_sensitivity,
    run_sensitivity,
)

__all__ = ["Plan", "SensitivityResult", "plan_sensitivity", "run_sensitivity"]

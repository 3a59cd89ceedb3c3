"""Outcome codes of the compiled integrator, with a sentence each on what to do."""

from __future__ import annotations

from enum import IntEnum

from tmesim.solvers import integrators as codes


class SolverStatus(IntEnum):
    """Per-patient outcome of an integration (the integer the compiled kernel returns)."""

    # The compiled integrators return these integers; their constants are the one definition.
    SUCCESS = codes.SUCCESS
    TOO_MANY_STEPS = codes.TOO_MANY_STEPS
    STEP_UNDERFLOW = codes.STEP_UNDERFLOW
    NON_FINITE = codes.NON_FINITE
    SINGULAR = codes.SINGULAR
    INVALID_INPUT = codes.INVALID_INPUT


_DESCRIPTIONS = {
    SolverStatus.SUCCESS: "Success: every save time was reached.",
    SolverStatus.TOO_MANY_STEPS: (
        "Too many steps: the model is stiff or a population explodes; use method 'rodas4', "
        "raise max_steps, or check the parameters of this patient."
    ),
    SolverStatus.STEP_UNDERFLOW: (
        "Step size underflow: the solution changes faster than time can be resolved, usually a "
        "population growing without bound in finite time; check the parameters of this patient "
        "(growth rates, missing saturation) or shorten the simulated period."
    ),
    SolverStatus.NON_FINITE: (
        "Non-finite state or derivative (inf or NaN): the model is undefined at the reached state "
        "(e.g. a division by zero or the log of a negative amount); keep clip_negative on, check "
        "this patient's parameters and initial state, or guard the formula in the model."
    ),
    SolverStatus.SINGULAR: (
        "Singular iteration matrix, repeatedly: the Jacobian is inconsistent with the right-hand "
        "side or contains inf/NaN; check the model's jac (regenerate the kernel) or try method "
        "'dopri5'."
    ),
    SolverStatus.INVALID_INPUT: (
        "Invalid input: times not sorted or before t0, a dose or extinction index outside the "
        "state vector, a non-finite initial state, or a size that does not match the model; "
        "validate the inputs with tmesim.solvers.solve, which names the offending field."
    ),
}


def describe(code: int) -> str:
    """One sentence of what happened and one of what to do, for a status code.

    Example:
        >>> describe(0)
        'Success: every save time was reached.'
    """
    try:
        return _DESCRIPTIONS[SolverStatus(int(code))]
    except ValueError:
        return (
            f"Unknown solver status {int(code)}: the kernel and the tmesim version do not match; "
            "rebuild the kernel (delete the kernel cache folder)."
        )

"""Settings of the cohort ODE solver, validated at the boundary (pydantic)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tmesim.solvers import integrators as codes

# The compiled integrator's method codes; its constants are the one definition.
METHOD_CODES: dict[str, int] = {"rodas4": codes.RODAS4, "dopri5": codes.DOPRI5}


class SolverSettings(BaseModel):
    """How to integrate: method, tolerances, step limits, and the rule for small populations.

    Times are in the model's time unit (days for tmesim's models).

    Example:
        >>> SolverSettings(rtol=1e-8).method
        'rodas4'
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    method: Literal["rodas4", "dopri5"] = Field(
        "rodas4",
        description=(
            "'rodas4': stiff, L-stable Rosenbrock method of order 4 with the exact Jacobian (the "
            "choice for immune models with fast cytokine or drug kinetics). 'dopri5': explicit "
            "Dormand-Prince 5(4) for non-stiff models."
        ),
    )
    rtol: float = Field(1e-6, gt=0.0, lt=1.0, description="Relative tolerance per step.")
    atol: float | None = Field(
        None,
        gt=0.0,
        description=(
            "Absolute tolerance per step, in state units, one value for every state. None "
            "(default): each state's own, set by the code generator from its units "
            "(tmesim.engines.qsp.tolerances: 1e-3 cell, 1 fM, 1 fmol; a population under one "
            "cell is decided by the small-population rule, not resolved by the solver)."
        ),
    )
    h0: float = Field(
        0.0,
        ge=0.0,
        description="First step size; 0 picks it automatically. With fixed_step, the step size.",
    )
    hmax: float = Field(
        30.0,
        gt=0.0,
        description=(
            "Largest step size. Doses are exact stops and save times use dense output, so "
            "neither needs a limit; the default of 30 (days) only keeps at least one "
            "error-checked step per month through long quiet periods. Use math.inf for none."
        ),
    )
    max_steps: int = Field(
        100_000, gt=0, description="Most steps (accepted plus rejected) per patient."
    )
    clip_negative: bool = Field(
        True,
        description="Set states that come out slightly negative to 0 after every step.",
    )
    extinction_threshold: float = Field(
        1.0,
        ge=0.0,
        description=(
            "Size of one individual of an extinguishable population (1 cell). At every "
            "checkpoint a population x below it becomes one individual with probability "
            "x/threshold and 0 otherwise (unbiased stochastic rounding, seeded per patient); "
            "0 turns the rule off (populations then follow the ODE below one cell)."
        ),
    )
    extinction_interval: float = Field(
        0.5,
        gt=0.0,
        le=7.0,
        description=(
            "Days between the checkpoints of model time (multiples of it from the run's day 0) "
            "at which small populations are decided, whatever the steps or tolerances. The rule "
            "is exact for the death of a last cell (it survives to t with probability e^(-d t) "
            "for any interval) and for an inflow of under one cell per interval (arrivals at "
            "its rate); the interval matters only through the growth of a population while it "
            "is below one cell, an error of order g·interval for a net rate g. 0.5 day keeps "
            "that small for tumor and T-cell net growth rates (0.1-1/day; division times of "
            "about a day, see the presets' growth sources)."
        ),
    )
    stochastic_threshold: float = Field(
        100.0,
        ge=0.0,
        description=(
            "Populations (in cells) below which an extinguishable species whose model declares "
            "births and deaths follows its linear birth–death process with immigration between "
            "checkpoints: a population of n cells at a checkpoint is replaced at the next one "
            "by the exact law of n independent lineages (each extinct with probability α, else "
            "a geometric number of cells) plus the descendants of Poisson arrivals, with the "
            "ODE's mean (Kendall 1948 Ann Math Stat 19:1). So a few cells with net growth "
            "die out with probability about (d/b)^n, as a birth–death process does. Chosen "
            "(assumed) so that extinction of 100 cells, (d/b)^100, is negligible for any "
            "growing population; at or below extinction_threshold only the rounding applies."
        ),
    )
    dense_output: bool | None = Field(
        None,
        description=(
            "Serve save times from the continuous extension instead of ending a step at each. "
            "None (default) means on for 'dopri5' and off for 'rodas4': Rodas4's extension is "
            "of order 3 on slow components but close to linear interpolation on stiff ones "
            "(e.g. cytokines in quasi-steady state), so stopping is the accurate choice there; "
            "turn it on for speed when saves are much denser than the steps."
        ),
    )
    fixed_step: bool = Field(
        False,
        description=(
            "Take steps of exactly h0 with no error control (convergence studies, debugging). "
            "Steps still end exactly at doses and at the last save time."
        ),
    )

    @model_validator(mode="after")
    def _fixed_step_needs_h0(self) -> SolverSettings:
        if self.fixed_step and self.h0 <= 0.0:
            raise ValueError("fixed_step needs a step size: set h0 > 0 (e.g. h0=0.01)")
        return self

    def method_code(self) -> int:
        """The integer method code the compiled kernel expects."""
        code = METHOD_CODES[self.method]
        if self.fixed_step:
            code |= codes.FIXED_STEP
        dense = self.method == "dopri5" if self.dense_output is None else self.dense_output
        if not dense:
            code |= codes.STOP_AT_SAVES
        return code

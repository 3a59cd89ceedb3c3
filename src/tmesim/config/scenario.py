"""The simulation scenario: what ``tmesim simulate`` reads from a YAML file.

A scenario names a parameter preset, a regimen and the cohort to simulate; everything else has a
default. Unknown keys are rejected with a "did you mean" suggestion, and every value is checked
here, at the boundary, so that the model and solver can trust what they receive.

Example:
    >>> s = scenario_from_dict({"preset": "mouse_4t1", "n_patients": 20},
    ...                        overrides=["parameters.tumor_growth_rate=0.2"])
    >>> s.n_patients, s.parameters
    (20, {'tumor_growth_rate': 0.2})
    >>> scenario_from_yaml(scenario_to_yaml(s)) == s
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tmesim.config.limits import MAX_DAYS, MIN_SAVE_INTERVAL_DAYS, check_save_grid
from tmesim.config.validation import validate_config
from tmesim.config.yamlio import dump_yaml, parse_yaml, read_yaml
from tmesim.errors import ConfigError
from tmesim.io.atomic import atomic_write_text

MAX_PATIENTS = 10_000_000
MAX_SEED = 2**63 - 1
MAX_SAVED_POINTS = 1_000_000

MAX_TEXT = 10_000
"""Longest free text (regimen, description) a config may hold."""
MAX_NAME = 200
"""Longest name (preset, output folder part) a config may hold."""

RegimenText = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
DoseStep = dict[str, Any]
ParameterValue = Annotated[float, Field(allow_inf_nan=False)] | Annotated[str, Field(min_length=1)]


class SimulationScenario(BaseModel):
    """One simulation: a preset, a regimen and a cohort of virtual patients.

    Example:
        >>> SimulationScenario(preset="mouse_4t1",
        ...                    regimen="anti-PD-1 10 mg/kg q3d x3").duration_days
        365.0
    """

    model_config = ConfigDict(extra="forbid", title="tmesim simulation scenario")

    preset: str = Field(
        min_length=1,
        max_length=MAX_NAME,
        description=(
            "Name of the parameter preset (tumor model or indication), e.g. 'mouse_4t1' or "
            "'human_melanoma'; `tmesim presets` lists them."
        ),
    )
    regimen: RegimenText | Annotated[list[DoseStep], Field(min_length=1)] = Field(
        "untreated",
        description=(
            "Treatment: a regimen string such as 'nivolumab 1 mg/kg q3w x4 + ipilimumab 3 mg/kg "
            "q3w x4', or a list of typed dose steps; 'untreated' for no therapy."
        ),
    )
    n_patients: int = Field(
        1,
        ge=1,
        le=MAX_PATIENTS,
        description=f"Number of virtual patients to simulate (1 to {MAX_PATIENTS:,}).",
    )
    duration_days: float = Field(
        365.0,
        gt=0,
        le=MAX_DAYS,
        allow_inf_nan=False,
        description=f"Simulated time after treatment start, in days (> 0, at most {MAX_DAYS:g}).",
    )
    save_every_days: float = Field(
        1.0,
        ge=MIN_SAVE_INTERVAL_DAYS,
        allow_inf_nan=False,
        description=(
            "Interval between saved trajectory points, in days (> 0, at most duration_days)."
        ),
    )
    seed: int = Field(
        0,
        ge=0,
        le=MAX_SEED,
        description=(
            "Root random seed; each virtual patient gets its own stream spawned from it, so the "
            "same seed gives the same cohort whatever the thread count."
        ),
    )
    variability: bool = Field(
        True,
        description=(
            "Sample virtual patients from the parameter priors; false puts every patient at the "
            "preset's nominal values."
        ),
    )
    parameters: dict[str, ParameterValue] = Field(
        default_factory=dict,
        description=(
            "Overrides of preset parameters by parameter id: a number in the parameter's units, "
            "or a string with units, e.g. '0.3 1/day'."
        ),
    )
    mechanisms: dict[str, bool] = Field(
        default_factory=dict,
        description=(
            "Switch named mechanisms on (true) or off (false); `tmesim mechanisms` lists them."
        ),
    )
    solver: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "Solver settings (e.g. rtol, atol, max_steps), checked by the solver's settings."
        ),
    )
    engine: Literal["qsp", "abm"] = Field(
        "qsp",
        description=(
            "qsp: the ODE model for a cohort; abm: the spatial agent-based tissue (settings in "
            "`abm`, one tissue per patient seed)."
        ),
    )
    abm: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "Spatial engine settings (grid, dimension, dt_minutes, vessels, coupling, ...), "
            "checked by tmesim.engines.abm.AbmSettings."
        ),
    )
    chunk_size: int = Field(
        1000,
        ge=1,
        le=MAX_PATIENTS,
        description=(
            "Virtual patients per chunk written to disk; bounds memory use and the work lost "
            "if a run is interrupted."
        ),
    )
    output: str | None = Field(
        None,
        min_length=1,
        max_length=4096,
        description=(
            "Output folder (relative paths are taken from the working directory); `--out` on "
            "the command line takes precedence."
        ),
    )

    @field_validator("parameters", mode="before")
    @classmethod
    def _no_booleans_as_parameters(cls, value: Any) -> Any:
        # YAML reads "true"/"yes" as booleans and pydantic would turn them into 1.0 silently;
        # a boolean here is almost always a mechanism switch put in the wrong section.
        if isinstance(value, Mapping):
            for key, item in value.items():
                if isinstance(item, bool):
                    raise ConfigError(
                        f"parameters.{key}",
                        item,
                        "give a number (e.g. 0.2) or a number with units (e.g. '0.2 1/day'); "
                        f"to switch a mechanism on or off use mechanisms.{key}.",
                    )
        return value

    @model_validator(mode="after")
    def _abm_settings_valid(self) -> SimulationScenario:
        if self.abm:
            from tmesim.engines.abm.config import AbmSettings

            validate_config(AbmSettings, self.abm, label="abm", prefix=("abm",))
        return self

    @model_validator(mode="after")
    def _saves_within_duration(self) -> SimulationScenario:
        check_save_grid(
            self.duration_days,
            "duration_days",
            self.save_every_days,
            self.chunk_size,
            self.n_patients,
            MAX_SAVED_POINTS,
        )
        return self


def scenario_from_dict(
    data: Mapping[str, Any],
    overrides: Sequence[str] = (),
    *,
    source: str | None = None,
) -> SimulationScenario:
    """Validate parsed data (plus ``key=value`` overrides) as a :class:`SimulationScenario`.

    Raises:
        ConfigError: names the field path, the bad value and the fix; suggests the nearest
            valid key for a typo.

    Example:
        >>> scenario_from_dict({"preset": "mouse_4t1"}, ["n_patients=100"]).n_patients
        100
        >>> scenario_from_dict({"cohorts": [], "arms": []})
        Traceback (most recent call last):
        ...
        tmesim.errors.ConfigError: scenario: ... run it with `tmesim trial FILE`
    """
    if not isinstance(data, Mapping):
        raise ConfigError(
            source or "scenario",
            data,
            "a scenario is a mapping of keys, e.g. a file starting with 'preset: mouse_4t1'.",
        )
    if "preset" not in data and ("cohorts" in data or "arms" in data):
        raise ConfigError(
            source or "scenario",
            "a study (it has cohorts and arms)",
            "this is a study, not a single-population scenario: run it with `tmesim trial FILE`",
        )
    return validate_config(
        SimulationScenario, data, overrides=overrides, source=source, label="scenario"
    )


def scenario_from_yaml(
    text: str, overrides: Sequence[str] = (), *, source: str = "<scenario>"
) -> SimulationScenario:
    """Parse and validate a scenario written as YAML text.

    Example:
        >>> scenario_from_yaml("preset: human_melanoma\\nn_patients: 1e4").n_patients
        10000
    """
    data = parse_yaml(text, source=source)
    return scenario_from_dict({} if data is None else data, overrides, source=source)


def load_scenario(path: Path, overrides: Sequence[str] = ()) -> SimulationScenario:
    """Read a scenario YAML file, apply ``--set key=value`` overrides, and validate it.

    Overrides use dotted keys (``parameters.tumor_growth_rate=0.2``, ``solver.rtol=1e-8``,
    ``mechanisms.nk_missing_self=false``) and values are read as YAML scalars.

    Raises:
        ConfigError: missing file, malformed YAML (names the file and line), unknown key
            (suggests the nearest valid one), or a value outside its constraints.

    Example:
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "scenario.yaml"
        >>> _ = p.write_text("preset: mouse_4t1\\nn_patients: 50\\n")
        >>> load_scenario(p, ["seed=7"]).seed
        7
    """
    data = read_yaml(Path(path))
    return scenario_from_dict({} if data is None else data, overrides, source=str(path))


def scenario_to_yaml(scenario: SimulationScenario) -> str:
    """Write a scenario as YAML that :func:`load_scenario` reads back to an equal scenario.

    Every field is written, defaults included, so the file records the whole run.

    Example:
        >>> print(scenario_to_yaml(SimulationScenario(preset="mouse_4t1")).splitlines()[0])
        preset: mouse_4t1
    """
    return dump_yaml(scenario.model_dump(mode="json"))


def save_scenario(scenario: SimulationScenario, path: Path) -> Path:
    """Write ``scenario`` to ``path`` as YAML, atomically; return ``path``.

    Example:
        >>> import tempfile
        >>> p = save_scenario(SimulationScenario(preset="mouse_4t1"),
        ...                   Path(tempfile.mkdtemp()) / "scenario.yaml")
        >>> load_scenario(p).preset
        'mouse_4t1'
    """
    return atomic_write_text(Path(path), scenario_to_yaml(scenario))

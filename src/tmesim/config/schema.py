"""Every key of tmesim's configuration files, read from the pydantic models that check them.

The models in `tmesim.config` (and the solver, spatial engine, validation and stratification
settings) are the one place where a key's type, default, bounds and meaning are written; this
module lists them for people (`tmesim schema trial`) and as JSON Schema for editors and other
tools (`tmesim schema trial --json`). Free-form mappings that another model checks (a study's
``solver`` and ``abm`` entries) are listed with that model's keys.

Example:
    >>> rows = {k.path: k for k in config_keys("trial")}
    >>> rows["visits.every_days"].default
    '56.0'
    >>> rows["solver.rtol"].type
    'float'
"""

from __future__ import annotations

import importlib
import json
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from tmesim.errors import ConfigError

__all__ = ["CONFIG_KINDS", "ConfigKey", "config_keys", "config_model", "json_schema"]

CONFIG_KINDS: dict[str, tuple[str, str, str]] = {
    "trial": ("tmesim.config.trial", "TrialScenario", "the study file of `tmesim trial`"),
    "simulate": (
        "tmesim.config.scenario",
        "SimulationScenario",
        "the scenario file of `tmesim simulate`",
    ),
    "solver": ("tmesim.solvers.settings", "SolverSettings", "the `solver` entry of both"),
    "abm": ("tmesim.engines.abm.config", "AbmSettings", "the `abm` entry (spatial engine)"),
    "target": ("tmesim.validation.targets", "Target", "a validation target file"),
    "calibrate": (
        "tmesim.validation.calibrate",
        "CalibrationConfig",
        "the file of `tmesim calibrate`",
    ),
    "stratify": ("tmesim.stratify.pipeline", "StratifySettings", "the settings of `stratify`"),
    "sweep": ("tmesim.config.sweep", "SweepConfig", "the sweep file of `tmesim sweep`"),
    "dose_step": (
        "tmesim.therapies.regimen",
        "DoseStep",
        "a typed dose step (an item of a `regimen` list)",
    ),
}
"""Config kinds: module, model class and what the file is."""

_CHECKED_BY = {"solver": "solver", "abm": "abm", "study": "trial", "regimen": "dose_step"}
"""Free-form mappings (``dict[str, Any]``, or lists of them) whose keys another model checks."""


@dataclass(frozen=True)
class ConfigKey:
    """One key of a config file: dotted path (``[]`` marks a list item), type, bounds, default."""

    path: str
    type: str
    bounds: str
    default: str
    required: bool
    description: str


def config_model(kind: str) -> type[BaseModel]:
    """The pydantic model that checks a config kind (one of `CONFIG_KINDS`)."""
    if kind not in CONFIG_KINDS:
        raise ConfigError(
            "kind", kind, f"choose one of {', '.join(CONFIG_KINDS)} (e.g. tmesim schema trial)"
        )
    module, name, _ = CONFIG_KINDS[kind]
    model = getattr(importlib.import_module(module), name)
    assert issubclass(model, BaseModel)
    return model


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12, as pydantic writes it) of a config kind."""
    return config_model(kind).model_json_schema(mode="validation")


def json_schema_text(kind: str) -> str:
    """`json_schema` as indented JSON text."""
    return json.dumps(json_schema(kind), indent=2, ensure_ascii=False)


def config_keys(kind: str) -> list[ConfigKey]:
    """Every key of a config kind, nested models and checked mappings included, in file order."""
    return list(_walk(config_model(kind), ""))


def _walk(model: type[BaseModel], prefix: str) -> Iterator[ConfigKey]:
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        nested = list(_nested_models(info.annotation))
        yield ConfigKey(
            path=path,
            type=_type_name(info.annotation),
            bounds=_bounds(info),
            default=_default(info),
            required=info.is_required(),
            description=" ".join((info.description or _summary(nested)).split()),
        )
        checked = _CHECKED_BY.get(name)
        if checked and _is_free_mapping(info.annotation):
            yield from _walk(config_model(checked), f"{path}.")
            continue
        if checked and _is_free_mapping(info.annotation, in_list=True):
            yield from _walk(config_model(checked), f"{path}[].")
            continue
        for inner, suffix in nested:
            yield from _walk(inner, f"{path}{suffix}.")


def _summary(nested: list[tuple[type[BaseModel], str]]) -> str:
    # A nested section without a description of its own: the first paragraph of its model.
    doc = nested[0][0].__doc__ if len(nested) == 1 else None
    return doc.strip().split("\n\n")[0] if doc else ""


def _strip(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _is_free_mapping(annotation: Any, *, in_list: bool = False) -> bool:
    annotation = _strip(annotation)
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return any(_is_free_mapping(a, in_list=in_list) for a in get_args(annotation))
    if in_list:
        return origin is list and _is_free_mapping(get_args(annotation)[0])
    return origin is dict and get_args(annotation)[1:] == (Any,)


def _nested_models(annotation: Any) -> Iterator[tuple[type[BaseModel], str]]:
    annotation = _strip(annotation)
    origin = get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation, ""
    elif origin in (Union, types.UnionType):
        for arg in get_args(annotation):
            yield from _nested_models(arg)
    elif origin is list:
        for model, suffix in _nested_models(get_args(annotation)[0]):
            yield model, f"[]{suffix}"


def _type_name(annotation: Any) -> str:
    annotation = _strip(annotation)
    origin = get_origin(annotation)
    if annotation is type(None):
        return "null"
    if annotation is Any:
        return "any"
    if origin is Literal:
        return " | ".join(repr(a) for a in get_args(annotation))
    if origin in (Union, types.UnionType):
        return " | ".join(_type_name(a) for a in get_args(annotation))
    if origin in (list, tuple, dict):
        inner = ", ".join("..." if a is Ellipsis else _type_name(a) for a in get_args(annotation))
        return f"{origin.__name__}[{inner}]"
    return getattr(annotation, "__name__", str(annotation))


_SYMBOLS = {
    "ge": "≥",
    "gt": ">",
    "le": "≤",
    "lt": "<",
    "min_length": "length ≥",
    "max_length": "length ≤",
}


def _bounds(info: FieldInfo) -> str:
    found: list[str] = []

    def collect(metadata: list[Any] | tuple[Any, ...]) -> None:
        for item in metadata:
            for attr, symbol in _SYMBOLS.items():
                value = getattr(item, attr, None)
                if value is not None:
                    found.append(
                        f"{symbol} {value:g}" if isinstance(value, float) else f"{symbol} {value}"
                    )

    def visit(annotation: Any) -> None:
        # Bounds written on the type (Annotated aliases such as Days), also inside `X | None`.
        if get_origin(annotation) is Annotated:
            args = get_args(annotation)
            collect(args[1:])
            for extra in args[1:]:
                collect(getattr(extra, "metadata", ()) or ())
            visit(args[0])
        elif get_origin(annotation) in (Union, types.UnionType):
            for arg in get_args(annotation):
                visit(arg)

    collect(info.metadata)
    visit(info.annotation)
    lower_first = sorted(dict.fromkeys(found), key=lambda b: b[0] not in "≥>")
    return ", ".join(lower_first)


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return ""
    if info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
    elif info.default is PydanticUndefined:
        return ""
    else:
        value = info.default
    if isinstance(value, BaseModel):
        return "(nested defaults)"
    if value is None:
        return "none"
    return str(value)

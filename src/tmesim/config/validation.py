"""Validating user data against a config model, with errors a modeler can act on.

Pydantic reports errors as locations and messages meant for programmers (``('n_patients',)``,
``'Input should be greater than or equal to 1'``, union branches such as ``'float'`` in the
location). :func:`validate_config` turns them into one :class:`~tmesim.errors.ConfigError` that
names the field path, the bad value, the rule and the field's purpose, says whether the value came
from the file or from a ``--set`` override, and for an unknown key suggests the nearest valid name.

Example:
    >>> from pydantic import BaseModel, ConfigDict, Field
    >>> class Demo(BaseModel):
    ...     model_config = ConfigDict(extra="forbid")
    ...     n_patients: int = Field(1, ge=1, description="Number of virtual patients.")
    >>> validate_config(Demo, {"n_patient": 5}, label="demo")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tmesim.errors.ConfigError: demo key: 'n_patient' is not valid; did you mean 'n_patients'? ...
"""

from __future__ import annotations

import math
import re
import types
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from tmesim.config.overrides import apply_overrides, parse_override
from tmesim.errors import ConfigError

ModelT = TypeVar("ModelT", bound=BaseModel)

_MISSING = object()
MAX_LISTED_PROBLEMS = 4
"""Problems spelled out in one error message; the rest are counted."""
_NON_FINITE_WORDS = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "-infinity"}


def validate_config(
    model: type[ModelT],
    data: Mapping[str, Any],
    *,
    overrides: Sequence[str] = (),
    source: str | None = None,
    label: str = "config",
    prefix: Sequence[int | str] = (),
) -> ModelT:
    """Apply ``overrides`` to ``data`` and validate the result as ``model``.

    Args:
        model: a pydantic model class (with ``extra="forbid"`` so typos are caught).
        data: the parsed YAML mapping.
        overrides: ``key=value`` strings (see :func:`tmesim.config.overrides.apply_overrides`).
        source: where ``data`` came from (a file name), quoted in error messages.
        label: what the model is called for users ("scenario", "trial").
        prefix: where ``data`` sits inside a larger config, so that paths in messages are
            complete: validating ``scenario.solver`` with ``prefix=("solver",)`` reports
            ``solver.rtol`` rather than ``rtol``.

    Raises:
        ConfigError: the first problem found, followed by the others (if any) in the fix text.

    Example: see the module docstring.
    """
    merged = apply_overrides(data, overrides)
    for path, value, fix in _loose_values(model, merged, ()):
        if isinstance(value, bool) and len(path) >= 2 and path[-2] == "parameters":
            fix += f"; to switch a mechanism on or off use mechanisms.{path[-1]}"
        origin = _origin(path, overrides, source)
        raise ConfigError(format_path(tuple(prefix) + path) or label, value, f"{fix}{origin}.")
    try:
        return model.model_validate(merged)
    except ValidationError as exc:
        raise _to_config_error(
            exc, model, merged, overrides, source, label, tuple(prefix)
        ) from None


def _unwrap(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _admits_bool(annotation: Any) -> bool:
    annotation = _unwrap(annotation)
    if annotation is bool or annotation is Any:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_admits_bool(a) for a in get_args(annotation))
    return False


def _is_number_type(annotation: Any) -> bool:
    annotation = _unwrap(annotation)
    if annotation in (int, float):
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_is_number_type(a) for a in get_args(annotation))
    return False


def _loose_values(
    annotation: Any, value: Any, path: tuple[int | str, ...]
) -> Sequence[tuple[tuple[int | str, ...], Any, str]]:
    """Values pydantic would coerce into nonsense: a boolean where a number is expected (YAML
    reads yes/no/on/off as booleans and pydantic turns True into 1) and a NaN number (it passes
    every bound). Returns (path, value, fix) for the first one found, else nothing."""
    annotation = _unwrap(annotation)
    origin = get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if isinstance(value, Mapping):
            fields = annotation.model_fields
            for key, item in value.items():
                if isinstance(key, str) and key in fields:
                    found = _loose_values(fields[key].annotation, item, (*path, key))
                    if found:
                        return found
        return ()
    if origin in (Union, types.UnionType):
        if isinstance(value, bool):
            if not _admits_bool(annotation) and _is_number_type(annotation):
                return ((path, value, _BOOL_FIX),)
            return ()
        branches = [_unwrap(a) for a in get_args(annotation)]
        if isinstance(value, str) and str in branches:
            return ()  # e.g. a parameter written with its units: "0.3 1/day"
        for branch in get_args(annotation):
            found = _loose_values(branch, value, path)
            if found:
                return found
        return ()
    if origin is dict and isinstance(value, Mapping):
        item_type = get_args(annotation)[1] if len(get_args(annotation)) == 2 else Any
        for key, item in value.items():
            found = _loose_values(item_type, item, (*path, str(key)))
            if found:
                return found
        return ()
    if origin in (list, tuple, set, frozenset) and isinstance(value, list | tuple):
        args = [a for a in get_args(annotation) if a is not Ellipsis]
        for index, item in enumerate(value):
            item_type = (
                args[index]
                if origin is tuple and len(args) > 1 and index < len(args)
                else (args[0] if args else Any)
            )
            found = _loose_values(item_type, item, (*path, index))
            if found:
                return found
        return ()
    if annotation in (int, float):
        if isinstance(value, bool):
            return ((path, value, _BOOL_FIX),)
        if (isinstance(value, float) and math.isnan(value)) or (
            isinstance(value, str) and value.strip().lower() in _NON_FINITE_WORDS
        ):
            return ((path, value, "give a finite number (NaN and infinity are not values here)"),)
    return ()


_BOOL_FIX = "give a number, not true/false (YAML also reads yes, no, on and off as true/false)"


def _data_path(data: Any, loc: tuple[int | str, ...], keep_last: bool) -> tuple[int | str, ...]:
    """Keep the parts of a pydantic location that index the data.

    Pydantic adds union branches and validator names (``'float'``, ``'list[dict[str,any]]'``,
    ``'function-after[...]'``) to locations; they are not keys the user wrote.
    """
    path: list[int | str] = []
    node: Any = data
    for position, part in enumerate(loc):
        if isinstance(node, Mapping) and part in node:
            path.append(part)
            node = node[part]
        elif (
            isinstance(node, list) and isinstance(part, int) and not isinstance(part, bool)
        ) and -len(node) <= part < len(node):
            path.append(part)
            node = node[part]
        elif keep_last and position == len(loc) - 1:
            path.append(part)
    return tuple(path)


def format_path(path: Sequence[int | str]) -> str:
    """Format a location as users write it: ``regimen[0].dose``, ``parameters.kill_rate``.

    Example:
        >>> format_path(("regimen", 0, "dose"))
        'regimen[0].dose'
    """
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _rule(messages: list[str]) -> str:
    # "Input should be a valid string" / "Input should be a valid list" → one readable rule.
    prefix = "Input should be "
    if all(m.startswith(prefix) for m in messages):
        return "it should be " + " or ".join(dict.fromkeys(m[len(prefix) :] for m in messages))
    cleaned = [re.sub(r"^(Value error|Assertion failed), ", "", m) for m in messages]
    cleaned = [
        re.sub(
            r"^(Input|String|List|Dictionary|Value|Number|Float|Integer|Tuple|Set) should",
            "it should",
            m,
        )
        for m in cleaned
    ]
    cleaned = [m[0].lower() + m[1:] if m[:1].isupper() and m[1:2].islower() else m for m in cleaned]
    return "; ".join(dict.fromkeys(cleaned))


def _submodel(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as ``list[Step]`` or ``Step | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _submodel(arg)
        if found is not None:
            return found
    return None


def _model_at(model: type[BaseModel], path: Sequence[int | str]) -> type[BaseModel] | None:
    """The model that validates the mapping at ``path`` (list indices skipped), if any."""
    current: type[BaseModel] | None = model
    for part in path:
        if isinstance(part, int):
            continue
        if current is None or str(part) not in current.model_fields:
            return None
        current = _submodel(current.model_fields[str(part)].annotation)
    return current


def _field_description(model: type[BaseModel], name: int | str) -> str:
    field = model.model_fields.get(str(name))
    return (field.description or "") if field is not None else ""


def _origin(path: tuple[int | str, ...], overrides: Sequence[str], source: str | None) -> str:
    str_path = tuple(str(p) for p in path)
    for text in reversed(overrides):  # the last override of a key is the one that counts
        override_path = parse_override(text).path
        shorter = min(len(override_path), len(str_path))
        if shorter and override_path[:shorter] == str_path[:shorter]:
            return f" (set by --set {text})"
    return f" (in {source})" if source else ""


def _to_config_error(
    exc: ValidationError,
    model: type[BaseModel],
    data: Mapping[str, Any],
    overrides: Sequence[str],
    source: str | None,
    label: str,
    prefix: tuple[int | str, ...] = (),
) -> ConfigError:
    groups: dict[tuple[int | str, ...], list[dict[str, Any]]] = {}
    for error in exc.errors(include_url=False):
        raised = (error.get("ctx") or {}).get("error")
        if isinstance(raised, ConfigError):
            # A validator already wrote a message for users; pass it on unchanged.
            return raised
        keep_last = error["type"] in ("missing", "extra_forbidden")
        path = _data_path(data, tuple(error["loc"]), keep_last)
        groups.setdefault(path, []).append(error)

    # A value that fails every branch of a union yields one "wrong type" error per branch. When
    # it has the type of one branch and fails a constraint inside it, only that error matters.
    prefixes = {other[:i] for other in groups for i in range(1, len(other))}
    for path, errors in list(groups.items()):
        specific = [e for e in errors if not e["type"].endswith("_type")]
        deeper = path in prefixes
        if specific:
            groups[path] = specific
        elif deeper:
            del groups[path]

    problems: list[tuple[str, Any, str, list[str] | None]] = []
    n_problems = len(groups)
    for path, errors in list(groups.items())[:MAX_LISTED_PROBLEMS]:
        kind = errors[0]["type"]
        origin = _origin(path, overrides, source)
        if kind == "extra_forbidden" and len(path) == 1:
            fields = list(model.model_fields)
            problems.append(
                (
                    f"{label} key",
                    path[0],
                    f"it is not a {label} key; use one of: {', '.join(fields)}{origin}.",
                    fields,
                )
            )
        elif kind == "extra_forbidden":
            section = _model_at(model, path[:-1])
            fields = list(section.model_fields) if section is not None else None
            accepted = f"; use one of: {', '.join(fields)}" if fields else ""
            problems.append(
                (
                    f"{format_path(prefix + path[:-1])} key",
                    path[-1],
                    f"this key is not accepted here{accepted}{origin}.",
                    fields,
                )
            )
        elif kind == "missing":
            description = _field_description(model, path[0]) if len(path) == 1 else ""
            about = f" ({description})" if description else ""
            problems.append(
                (
                    format_path(prefix + path),
                    None,
                    f"it is required; add '{path[-1]}: ...' to the {label}{about}{origin}.",
                    None,
                )
            )
        else:
            value = errors[0].get("input", _MISSING)
            description = _field_description(model, path[0]) if path else ""
            about = f" — {path[0]}: {description.rstrip('.')}" if description else ""
            rule = _rule([e["msg"] for e in errors])
            problems.append(
                (
                    format_path(prefix + path) or label,
                    None if value is _MISSING else value,
                    f"{rule}{about}{origin}.",
                    None,
                )
            )

    field, value, fix, choices = problems[0]
    if len(problems) > 1:
        others = [str(ConfigError(*p[:3], choices=p[3])) for p in problems[1:]]
        fix += " Also: " + " | ".join(others)
    if n_problems > len(problems):
        fix += f" ({n_problems - len(problems)} more problems not shown)"
    return ConfigError(field, value, fix, choices=choices)

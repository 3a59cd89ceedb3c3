"""``--set key=value`` overrides applied to configuration data before validation.

Keys are dotted paths into nested mappings (``parameters.tumor_growth_rate``); values are read as
YAML scalars, so ``100`` is an int, ``1e-8`` a float, ``false`` a bool, ``null`` None and
``0.3 1/day`` a string. Every command that takes a YAML file uses the same rules.

Example:
    >>> apply_overrides({"n_patients": 10}, ["n_patients=100", "solver.rtol=1e-8"])
    {'n_patients': 100, 'solver': {'rtol': 1e-08}}
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tmesim.config.yamlio import parse_yaml
from tmesim.errors import ConfigError

_FORMAT_FIX = (
    "write overrides as --set key=value, with a dotted key for nested entries, "
    "e.g. --set n_patients=100 or --set parameters.tumor_growth_rate=0.2."
)


@dataclass(frozen=True)
class Override:
    """One parsed ``key=value`` override: the dotted key split into parts, and the value."""

    text: str
    path: tuple[str, ...]
    value: Any

    @property
    def key(self) -> str:
        """The dotted key as written, e.g. ``"solver.rtol"``."""
        return ".".join(self.path)


def parse_override(text: str) -> Override:
    """Parse one ``key=value`` override.

    Raises:
        ConfigError: no ``=``, an empty key or key part, or a value that is not a YAML scalar.

    Example:
        >>> parse_override("mechanisms.nk_missing_self=false").value
        False
        >>> parse_override("parameters.tumor_growth_rate=0.3 1/day").value
        '0.3 1/day'
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError("--set", text, _FORMAT_FIX)
    path = tuple(part.strip() for part in key.split("."))
    if any(not part for part in path):
        raise ConfigError("--set", text, f"the key {key!r} has an empty part; {_FORMAT_FIX}")
    raw = raw.strip()
    try:
        value = parse_yaml(raw, source=f"--set {text}") if raw else None
    except ConfigError:
        raise ConfigError(
            f"--set {key}",
            raw,
            "the value is not a valid YAML scalar; put it in quotes, e.g. --set 'key=\"a: b\"'.",
        ) from None
    if isinstance(value, Mapping) and not raw.startswith("{"):
        # "a: b" parses as a mapping, which is almost always a typo for one value; a mapping
        # on purpose is written in braces ("solver={rtol: 1e-8}").
        raise ConfigError(
            f"--set {key}",
            raw,
            "give a single value; for a nested entry put the whole path in the key "
            f"(e.g. --set {key}.name=value), or quote the value.",
        )
    return Override(text=text, path=path, value=value)


def apply_overrides(data: Mapping[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Return a copy of ``data`` with each ``key=value`` override applied in order.

    A numeric part indexes a list (``cohorts.0.n=50``). Missing intermediate sections are
    created; ``data`` itself is never modified. Whether a key is valid is left to the config
    model that validates the result (it suggests the nearest valid name).

    Raises:
        ConfigError: an override is malformed, or its path goes through a value that is not a
            section (e.g. ``n_patients.x=1``).

    Example:
        >>> apply_overrides({"parameters": {"a": 1.0}}, ["parameters.b=2"])
        {'parameters': {'a': 1.0, 'b': 2}}
    """
    result: dict[str, Any] = copy.deepcopy(dict(data))
    for text in overrides:
        _set(result, parse_override(text), "--set")
    return result


def set_entries(
    data: Mapping[str, Any], entries: Mapping[str, Any], *, label: str = "--set"
) -> dict[str, Any]:
    """Return a copy of ``data`` with each dotted key of ``entries`` set to its (typed) value.

    The same paths and rules as :func:`apply_overrides`, for values that are already parsed
    (e.g. the levels of a sweep axis); ``label`` names where the keys come from in errors.

    Example:
        >>> set_entries({"arms": [{"name": "a"}]}, {"arms.0.regimen": "untreated"})
        {'arms': [{'name': 'a', 'regimen': 'untreated'}]}
    """
    result: dict[str, Any] = copy.deepcopy(dict(data))
    for key, value in entries.items():
        path = tuple(part.strip() for part in str(key).split("."))
        if any(not part for part in path):
            raise ConfigError(label, key, f"the key {key!r} has an empty part; {_FORMAT_FIX}")
        _set(result, Override(text=f"{key}={value}", path=path, value=value), label)
    return result


def _set(result: dict[str, Any], override: Override, label: str) -> None:
    """Set one override's value in ``result`` (in place), creating missing sections."""
    node: Any = result
    for depth, part in enumerate(override.path):
        last = depth == len(override.path) - 1
        section = ".".join(override.path[:depth])
        if isinstance(node, list):
            if not (part.isdigit() and int(part) < len(node)):
                raise ConfigError(
                    f"{label} {override.key}",
                    part,
                    f"{section!r} is a list of {len(node)} entries; index it with 0 to "
                    f"{len(node) - 1} (e.g. --set {section}.0.name=value).",
                )
            key: Any = int(part)
        elif isinstance(node, dict):
            key = part
        else:
            raise ConfigError(
                f"{label} {override.key}",
                override.value,
                f"{section!r} holds a value ({node!r}), not a section of named entries; "
                f"set it directly with --set {section}=value.",
            )
        if last:
            node[key] = override.value
        else:
            child = node[key] if isinstance(node, list) else node.get(key)
            if child is None:
                child = node[key] = {}
            node = child

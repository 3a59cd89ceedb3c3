"""Errors that tell the user what to do.

Every error raised at a user boundary names the field, the bad value and the fix, in the
manner of diffrax's messages: one sentence of diagnosis, one of remedy.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class TmesimError(Exception):
    """Base class of every error tmesim raises on purpose."""


class ConfigError(TmesimError, ValueError):
    """A user input (scenario, override, regimen, parameter) is not valid.

    Example:
        >>> raise ConfigError("preset", "mouse_4t", "use one of the listed presets",
        ...                   choices=["mouse_4t1", "human_melanoma"])
        Traceback (most recent call last):
        ...
        tmesim.errors.ConfigError: preset: 'mouse_4t' is not valid; did you mean 'mouse_4t1'? ...
    """

    def __init__(
        self,
        field: str,
        value: object,
        fix: str,
        choices: Iterable[str] | None = None,
    ) -> None:
        self.field = field
        self.value = value
        self.fix = fix
        self.choices = list(choices) if choices is not None else None
        hint = did_you_mean(str(value), self.choices) if self.choices is not None else ""
        message = f"{field}: {value!r} is not valid;{hint} {fix}".replace(";  ", "; ")
        super().__init__(message)


def did_you_mean(name: str, choices: Iterable[str] | None) -> str:
    """Return ``" did you mean 'x'?"`` for the closest valid choice, or ``""`` if none is close.

    Example:
        >>> did_you_mean("nivolumb", ["nivolumab", "ipilimumab"])
        " did you mean 'nivolumab'?"
    """
    if not choices:
        return ""
    options = [str(c) for c in choices]
    lowered = {o.lower(): o for o in options}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    if close:
        return f" did you mean {lowered[close[0]]!r}?"
    return ""

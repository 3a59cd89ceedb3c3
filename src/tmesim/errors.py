"""Errors that tell the user what to do.

Every error raised at a user boundary names the field, the bad value and the fix, in the
manner of diffrax's messages: one sentence of diagnosis, one of remedy.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable

MAX_ECHO = 80
"""Characters of a bad value that an error message repeats (the rest is elided)."""
MAX_FIX = 2000
"""Characters of an error's fix text (the rest is elided)."""
MAX_CHOICES = 2000
"""Valid names compared with a mistyped one: enough for any config section, and bounded."""


class TmesimError(Exception):
    """Base class of every error tmesim raises on purpose (bad input: exit status 2)."""

    exit_code = 2


class RunError(TmesimError):
    """A run that was started could not finish: every patient failed, the disk is full, a file
    of the run is damaged. The message names the file or step and the fix; exit status 1.

    Example:
        >>> str(RunError("patients.parquet", "no patient finished; loosen the solver settings"))
        'patients.parquet: no patient finished; loosen the solver settings'
    """

    exit_code = 1

    def __init__(self, where: str, fix: str) -> None:
        self.where = where
        self.fix = fix
        super().__init__(one_line(f"{echo(where, 300, quote=False)}: {fix}"))


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters written as escapes, so that a
    message stays on one line whatever the user's input held.

    Example:
        >>> one_line("a\nb\x00c")
        'a\\nb\\x00c'
    """
    if text.isprintable():
        return text
    return "".join(
        c.encode("unicode_escape").decode("ascii")
        if unicodedata.category(c) in ("Cc", "Zl", "Zp")
        else c
        for c in text
    )


def echo(value: object, limit: int = MAX_ECHO, *, quote: bool = True) -> str:
    """A value as an error message repeats it: its repr (or str), cut to ``limit`` characters.

    A long text keeps its start and its end (a path keeps its file name).

    Example:
        >>> echo("x" * 200, 10)
        "'xxx…xxxx' (200 characters)"
        >>> echo("/a/very/long/folder/name/of/a/run/scenario.yaml", 30)
        "'/a/very/long/…/scenario.yaml' (47 characters)"
        >>> echo(10**5000)
        'an integer of about 5001 digits'
    """
    if isinstance(value, int) and not isinstance(value, bool) and abs(value).bit_length() > 256:
        # str() of an int over 4300 digits raises; the bit length tells the size well enough.
        digits = int(abs(value).bit_length() * 0.30103) + 1
        return f"an integer of about {digits} digits"
    try:
        text = repr(value) if quote else str(value)
    except (ValueError, RecursionError):
        return f"a {type(value).__name__} too large to show"
    if len(text) <= limit:
        return text
    size = f" ({len(value)} characters)" if isinstance(value, str) else ""
    head = (limit - 1) // 2
    tail = limit - 1 - head
    return f"{text[:head]}…{text[-tail:]}{size}"


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
        if len(fix) > MAX_FIX:  # a fix may quote the input (e.g. the whole regimen)
            fix = f"{fix[: MAX_FIX - 40]}… ({len(fix) - MAX_FIX + 40} characters cut)"
        message = f"{echo(field, 300, quote=False)}: {echo(value)} is not valid;{hint} {fix}"
        message = one_line(message.replace(";  ", "; "))
        super().__init__(message)


def did_you_mean(name: str, choices: Iterable[str] | None) -> str:
    """Return ``" did you mean 'x'?"`` for the closest valid choice, or ``""`` if none is close.

    Example:
        >>> did_you_mean("nivolumb", ["nivolumab", "ipilimumab"])
        " did you mean 'nivolumab'?"
    """
    if not choices:
        return ""
    if len(name) > 200:  # no valid name is that long; comparing would only cost time
        return ""
    options = [str(c) for c in choices][:MAX_CHOICES]
    lowered = {o.lower(): o for o in options}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    if close:
        return f" did you mean {lowered[close[0]]!r}?"
    return ""

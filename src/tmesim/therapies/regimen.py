"""Regimens: typed dose steps, with a short string form that parses into them and prints back.

A `DoseStep` is one drug given `count` times, `every_days` apart, from `start_day`. A `Regimen`
is a tuple of steps. The string form is sugar over the typed steps, kept deliberately small::

    <drug> <amount> <unit> [<route>] [<schedule>] [x<count>] [from day <d>]

steps joined by ``+`` (or ``;``). Units: mg, mg/kg, mg/m2, ug, ug/kg, ug/m2, IU, IU/kg, IU/m2, MIU,
MIU/m2, cells, cells/kg (``/m2`` doses are per m² of body surface area, also written ``/m²``).
Schedules: once, qd/daily, bid, q8h, q12h, q2d, q3d, q4d, tiw, biw (every 3.5 days), qw/weekly,
q2w, q3w, q4w, q6w and q<N>h, q<N>d, q<N>w. Routes (optional): iv, ip, oral/po, sc.
A repeated schedule needs a dose count (``q3w x4``); a step with no schedule is a single dose.
Weekday patterns give one dose a day on chosen days of each week, for a number of weeks:
``5 days/week x4 weeks`` (days 1–5), ``3 times/week x48 weeks`` (days 1, 3, 5), ``2 times/week``
(days 1, 4) or ``days 1,2,4/week``; day 1 is the step's start day.

Example:
    >>> r = Regimen.parse("nivolumab 1 mg/kg q3w x4 + ipilimumab 3 mg/kg q3w x4")
    >>> r.steps[1].times()
    [0.0, 21.0, 42.0, 63.0]
    >>> str(r)
    'nivolumab 1 mg/kg q3w x4 + ipilimumab 3 mg/kg q3w x4'
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tmesim.config.limits import MAX_DAYS, MAX_DOSES_PER_STEP, check_dose
from tmesim.errors import ConfigError
from tmesim.therapies.drugs import ROUTES, ROUTES_BY_TARGET_CLASS, Drug, get_drug

Unit = Literal[
    "mg",
    "mg/kg",
    "mg/m2",
    "ug",
    "ug/kg",
    "ug/m2",
    "IU",
    "IU/kg",
    "IU/m2",
    "MIU",
    "MIU/m2",
    "cells",
    "cells/kg",
]
UNITS: tuple[str, ...] = get_args(Unit)

MASS_UNITS: tuple[str, ...] = ("mg", "mg/kg", "mg/m2", "ug", "ug/kg", "ug/m2")
IU_UNITS: tuple[str, ...] = ("IU", "IU/kg", "IU/m2", "MIU", "MIU/m2")
CELL_UNITS: tuple[str, ...] = ("cells", "cells/kg")

_UNIT_ALIASES: dict[str, str] = {
    **{u.lower(): u for u in UNITS},
    "µg": "ug",
    "μg": "ug",
    "mcg": "ug",
    "µg/kg": "ug/kg",
    "μg/kg": "ug/kg",
    "mcg/kg": "ug/kg",
    "cell": "cells",
    "cell/kg": "cells/kg",
    **{
        f"{base}/{square}": f"{canonical}/m2"
        for base, canonical in (
            ("mg", "mg"),
            ("ug", "ug"),
            ("µg", "ug"),
            ("μg", "ug"),
            ("mcg", "ug"),
            ("iu", "IU"),
            ("miu", "MIU"),
        )
        for square in ("m2", "m²", "m^2")
    },
}

UNSUPPORTED_ROUTES: dict[str, str] = {
    **dict.fromkeys(("it", "i.t.", "intratumoral", "intratumoural"), "intratumoral"),
    **dict.fromkeys(("over", "infusion", "infused"), "infusion"),
}
"""Route words the model cannot honour (see `unsupported_route_error`)."""

UNSUPPORTED_ROUTE_FIXES: dict[str, str] = {
    "intratumoral": (
        "intratumoral dosing is not modelled: a drug's tumor state is a concentration in a "
        "volume that changes with the tumor, so a dose cannot enter it as a fixed amount without "
        "changing the model equations; give the drug by a modelled route (e.g. iv)"
    ),
    "infusion": (
        "infusion durations are not modelled: every dose is a bolus (the solver has no zero-order "
        "input); drop 'over ...' (an antibody's 30-90 min infusion is short beside its half-life "
        "of days)"
    ),
}
"""Why each unsupported route is refused, and what to write instead."""


def unsupported_route_error(token: str, text: str) -> ConfigError:
    """The error for a route word of `UNSUPPORTED_ROUTES` met in regimen `text`.

    Example:
        >>> str(unsupported_route_error("it", "x 1 mg it"))[:40]
        "route: 'it' is not valid; intratumoral d"
    """
    kind = UNSUPPORTED_ROUTES[token.strip().lower()]
    return ConfigError("route", token, f"{UNSUPPORTED_ROUTE_FIXES[kind]} (in '{text}')")


_ROUTE_ALIASES: dict[str, str] = {
    **{r: r for r in ROUTES},
    "i.v.": "iv",
    "i.p.": "ip",
    "po": "oral",
    "p.o.": "oral",
    "s.c.": "sc",
}

# Canonical schedule tokens, in the order the printer prefers them.
NAMED_SCHEDULES: dict[str, float] = {
    "q8h": 8 / 24,
    "q12h": 12 / 24,
    "qd": 1.0,
    "q2d": 2.0,
    "q3d": 3.0,
    "q4d": 4.0,
    "tiw": 7 / 3,
    "biw": 3.5,
    "qw": 7.0,
    "q2w": 14.0,
    "q3w": 21.0,
    "q4w": 28.0,
    "q6w": 42.0,
}
_SCHEDULE_ALIASES: dict[str, str] = {"daily": "qd", "bid": "q12h", "tid": "q8h", "weekly": "qw"}
SCHEDULES: tuple[str, ...] = (
    "once",
    *NAMED_SCHEDULES,
    *_SCHEDULE_ALIASES,
    "q<N>h",
    "q<N>d",
    "q<N>w",
)

CONTROL_WORDS: tuple[str, ...] = ("untreated", "control", "none", "vehicle", "placebo")

_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_NUMBER_RE = re.compile(rf"^{_NUMBER}$")
_GROUPED_NUMBER_RE = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")  # 600,000
_GLUED_RE = re.compile(rf"^({_NUMBER})([A-Za-zµμ/][A-Za-zµμ/0-9²^]*)$")  # 3mg/kg, 5MIU/m2
_GENERIC_SCHEDULE_RE = re.compile(r"^q([0-9.eE+-]+)([hdw])$")
# "+" separates steps, except inside a number such as 6e+5.
_STEP_SPLIT_RE = re.compile(r";|(?<![0-9][eE])\+")

_GRAMMAR = "write '<drug> <amount> <unit> [route] [schedule] [x<count>] [from day <d>]', e.g. 'ipilimumab 3 mg/kg q3w x4'"

TIMES_PER_WEEK: dict[int, tuple[int, ...]] = {1: (1,), 2: (1, 4), 3: (1, 3, 5)}
"""Days of the week of 'N times/week' (day 1 = the step's start day): spread over the week as
labels schedule them (e.g. Intron A's '3 times a week', Monday, Wednesday, Friday)."""
_WEEKDAY_LIST_RE = re.compile(r"^([1-7](?:,[1-7])*)/(?:week|wk|w)$")


def units_for(drug: Drug | str) -> tuple[str, ...]:
    """Dose units a drug can be given in (mass needs a molecular weight, IU a potency).

    Example:
        >>> units_for("aldesleukin")
        ('mg', 'mg/kg', 'mg/m2', 'ug', 'ug/kg', 'ug/m2', 'IU', 'IU/kg', 'IU/m2', 'MIU', 'MIU/m2')
        >>> units_for("kymriah")
        ('cells', 'cells/kg')
    """
    d = get_drug(drug) if isinstance(drug, str) else drug
    if d.input_state.unit == "cell":
        return CELL_UNITS
    units: list[str] = []
    if d.molecular_weight is not None or d.input_state.unit == "ug":
        units += MASS_UNITS
    if d.antigen_ug_per_cell is not None:
        units += CELL_UNITS
    if d.international_units_per_mg is not None and d.molecular_weight is not None:
        units += IU_UNITS
    return tuple(units)


def format_number(x: float) -> str:
    """Shortest text that parses back to exactly `x` (integers without a decimal point).

    Example:
        >>> format_number(600000.0), format_number(0.5), format_number(1e-07)
        ('600000', '0.5', '1e-07')
    """
    if float(x).is_integer() and abs(x) < 1e16:
        return str(int(x))
    return repr(float(x))


def parse_schedule(token: str) -> float | None:
    """Days between doses for a schedule token; None for ``once``.

    Example:
        >>> parse_schedule("q8h"), parse_schedule("biw"), parse_schedule("q3w"), parse_schedule("once")
        (0.3333333333333333, 3.5, 21.0, None)
    """
    low = token.strip().lower()
    if low == "once":
        return None
    low = _SCHEDULE_ALIASES.get(low, low)
    if low in NAMED_SCHEDULES:
        return NAMED_SCHEDULES[low]
    m = _GENERIC_SCHEDULE_RE.match(low)
    if m:
        try:
            n = float(m.group(1))
        except ValueError:
            n = math.nan
        if math.isfinite(n) and n > 0:
            return n / 24 if m.group(2) == "h" else n * 7 if m.group(2) == "w" else n
    raise ConfigError(
        "schedule",
        token,
        f"use one of {', '.join(SCHEDULES)} (N > 0)",
        choices=[*NAMED_SCHEDULES, *_SCHEDULE_ALIASES, "once"],
    )


def format_schedule(every_days: float | None) -> str:
    """The canonical schedule token for an interval in days (inverse of `parse_schedule`).

    Example:
        >>> format_schedule(21.0), format_schedule(1 / 3), format_schedule(0.25), format_schedule(1.5)
        ('q3w', 'q8h', 'q6h', 'q1.5d')
    """
    if every_days is None:
        return "once"
    for token, days in NAMED_SCHEDULES.items():
        if every_days == days:
            return token
    # Each branch is taken only if parsing its output gives back exactly the same float.
    hours = round(every_days * 24)
    if every_days < 1 and hours >= 1 and hours / 24 == every_days:
        return f"q{hours}h"
    if every_days.is_integer():
        weeks = int(every_days) // 7
        if weeks >= 1 and weeks * 7 == every_days:
            return f"q{weeks}w"
        return f"q{int(every_days)}d"
    return f"q{repr(float(every_days))}d"


def format_weekdays(days: tuple[int, ...]) -> list[str]:
    """Tokens of a weekday pattern (inverse of the parser's weekday forms).

    Example:
        >>> format_weekdays((1, 2, 3, 4, 5)), format_weekdays((1, 3, 5)), format_weekdays((2, 6))
        (['5', 'days/week'], ['3', 'times/week'], ['days', '2,6/week'])
    """
    if days == tuple(range(1, len(days) + 1)) and len(days) > 1:
        return [str(len(days)), "days/week"]
    for n, pattern in TIMES_PER_WEEK.items():
        if days == pattern:
            return [str(n), "times/week"]
    return ["days", ",".join(str(d) for d in days) + "/week"]


def _weekday_pattern(rest: list[str], i: int, text: str) -> tuple[tuple[int, ...], int] | None:
    """(days of the week, tokens used) if a weekday pattern starts at rest[i], else None."""
    tok = rest[i].lower()
    nxt = rest[i + 1].lower() if i + 1 < len(rest) else ""
    if tok == "days":
        m = _WEEKDAY_LIST_RE.match(nxt)
        if m is None:
            raise ConfigError(
                "days_of_week",
                " ".join(rest[i : i + 2]),
                f"write the days as 'days 1,3,5/week' (1–7, day 1 = the start day; in '{text}')",
            )
        days = tuple(int(d) for d in m.group(1).split(","))
        if list(days) != sorted(set(days)):
            raise ConfigError("days_of_week", nxt, "list each day once, in increasing order")
        return days, 2
    if tok.isdigit() and nxt in ("days/week", "day/week", "days/wk", "d/w"):
        n = int(tok)
        if not 1 <= n <= 7:
            raise ConfigError("days_of_week", tok, "a week has 1 to 7 dosing days")
        return tuple(range(1, n + 1)), 2
    if tok.isdigit() and nxt in ("times/week", "time/week", "x/week", "times/wk"):
        n = int(tok)
        if n not in TIMES_PER_WEEK:
            raise ConfigError(
                "days_of_week",
                f"{tok} {nxt}",
                f"'N times/week' takes N in {sorted(TIMES_PER_WEEK)}; for more, write "
                "'N days/week' or 'days 1,2,4,6/week'",
            )
        return TIMES_PER_WEEK[n], 2
    return None


def _normalize_unit(token: str) -> str | None:
    return _UNIT_ALIASES.get(token.strip().lower())


class DoseStep(BaseModel):
    """One drug given `count` times, `every_days` apart, starting on `start_day`.

    Example:
        >>> s = DoseStep(drug="Yervoy", amount=3, unit="mg/kg", every_days=21, count=4)
        >>> s.drug, s.times(), str(s)
        ('ipilimumab', [0.0, 21.0, 42.0, 63.0], 'ipilimumab 3 mg/kg q3w x4')
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    drug: str = Field(description="drug id or alias; stored as the canonical catalog id")
    amount: float = Field(
        gt=0, allow_inf_nan=False, description="dose per administration, in `unit`"
    )
    unit: Unit = Field(
        description="unit of `amount`, e.g. mg/kg, mg, mg/m2 (per m² of body surface area), "
        "MIU/m2, cells/kg"
    )
    every_days: float | None = Field(
        default=None,
        gt=0,
        le=MAX_DAYS,
        allow_inf_nan=False,
        description="days between doses; None = a single dose",
    )
    count: int = Field(default=1, ge=1, le=MAX_DOSES_PER_STEP, description="number of doses")
    start_day: float = Field(
        default=0.0, ge=0, le=MAX_DAYS, allow_inf_nan=False, description="day of the first dose"
    )
    route: str | None = Field(
        default=None, description="iv, ip, oral or sc; None = the drug's usual route"
    )
    days_of_week: tuple[int, ...] | None = Field(
        default=None,
        description="weekday pattern: one dose a day on these days (1–7, day 1 = start_day) of "
        "each week, for `count` weeks (every_days is then 7); None = every_days apart",
    )

    @field_validator("drug")
    @classmethod
    def _canonical_drug(cls, v: str) -> str:
        return get_drug(v).id

    @field_validator("unit", mode="before")
    @classmethod
    def _canonical_unit(cls, v: Any) -> Any:
        if isinstance(v, str):
            unit = _normalize_unit(v)
            if unit is None:
                raise ConfigError("unit", v, f"use one of {', '.join(UNITS)}", choices=UNITS)
            return unit
        return v

    @field_validator("route", mode="before")
    @classmethod
    def _canonical_route(cls, v: Any) -> Any:
        if isinstance(v, str):
            if v.strip().lower() in UNSUPPORTED_ROUTES:
                raise unsupported_route_error(v, v)
            route = _ROUTE_ALIASES.get(v.strip().lower())
            if route is None:
                raise ConfigError("route", v, f"use one of {', '.join(ROUTES)}", choices=ROUTES)
            return route
        return v

    @model_validator(mode="before")
    @classmethod
    def _weekly_cycle(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("days_of_week") is not None:
            days = data["days_of_week"]
            ok = (
                isinstance(days, (list, tuple))
                and days
                and all(
                    isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7 for d in days
                )
            )
            if not ok or list(days) != sorted(set(days)):
                raise ConfigError(
                    "days_of_week",
                    days,
                    "give the days of each week as increasing whole numbers 1–7 (day 1 = the "
                    "step's start day), e.g. [1, 2, 3, 4, 5] for 5 days a week",
                )
            if data.get("every_days") not in (None, 7, 7.0):
                raise ConfigError(
                    "every_days",
                    data["every_days"],
                    "a weekday pattern repeats every 7 days; remove every_days (count is the "
                    "number of weeks)",
                )
            data = {**data, "days_of_week": tuple(days), "every_days": 7.0}
        return data

    @model_validator(mode="after")
    def _fits_drug(self) -> DoseStep:
        drug = get_drug(self.drug)
        allowed = units_for(drug)
        if self.unit not in allowed:
            raise ConfigError(
                "unit",
                self.unit,
                f"{drug.id} is dosed in one of {', '.join(allowed)}",
                choices=allowed,
            )
        if self.route is not None and self.route not in ROUTES_BY_TARGET_CLASS[drug.target_class]:
            routes = ROUTES_BY_TARGET_CLASS[drug.target_class]
            raise ConfigError(
                "route",
                self.route,
                f"the model gives {drug.id} by {', '.join(routes)} only",
                choices=routes,
            )
        check_dose(self.amount, self.unit)
        if self.every_days is None and self.count != 1:
            raise ConfigError(
                "count",
                self.count,
                "a single dose has count 1; give every_days (a schedule) to repeat it",
            )
        if self.days_of_week is not None and self.count * len(self.days_of_week) > (
            MAX_DOSES_PER_STEP
        ):
            raise ConfigError(
                "count",
                self.count,
                f"at most {MAX_DOSES_PER_STEP} doses per step; give fewer weeks",
            )
        return self

    def times(self) -> list[float]:
        """Dose times in days: start_day + k·every_days for k = 0 … count − 1; with a weekday
        pattern, start_day + 7·w + (d − 1) for each week w and day d of `days_of_week`.

        Example:
            >>> DoseStep(drug="ifna", amount=10, unit="MIU", days_of_week=(1, 3, 5),
            ...          count=2).times()
            [0.0, 2.0, 4.0, 7.0, 9.0, 11.0]
        """
        if self.every_days is None:
            return [self.start_day]
        if self.days_of_week is not None:
            return [
                self.start_day + 7.0 * w + (d - 1)
                for w in range(self.count)
                for d in self.days_of_week
            ]
        return [self.start_day + k * self.every_days for k in range(self.count)]

    def weekly_offsets(self) -> tuple[float, ...]:
        """Days from the start of each cycle at which a dose falls: (0,) for an interval
        schedule, the weekday pattern's days − 1 otherwise."""
        if self.days_of_week is None:
            return (0.0,)
        return tuple(float(d - 1) for d in self.days_of_week)

    def __str__(self) -> str:
        parts = [self.drug, format_number(self.amount), self.unit]
        if self.route is not None:
            parts.append(self.route)
        if self.every_days is None:
            parts.append("once")
        elif self.days_of_week is not None:
            parts += [*format_weekdays(self.days_of_week), f"x{self.count}", "weeks"]
        else:
            parts += [format_schedule(self.every_days), f"x{self.count}"]
        if self.start_day != 0:
            parts += ["from", "day", format_number(self.start_day)]
        return " ".join(parts)


class Regimen(BaseModel):
    """The doses a subject receives: a tuple of `DoseStep`, possibly empty (control arm).

    Example:
        >>> r = Regimen.parse("aldesleukin 600000 IU/kg q8h x14")
        >>> len(r.steps[0].times()), str(Regimen.none())
        (14, 'untreated')
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    steps: tuple[DoseStep, ...] = ()
    name: str | None = None

    @classmethod
    def none(cls) -> Regimen:
        """The untreated (control) regimen."""
        return cls(steps=())

    @classmethod
    def parse(cls, text: str, name: str | None = None) -> Regimen:
        """Parse the string form; ``str(Regimen.parse(s)) == s`` for canonical strings.

        Example:
            >>> str(Regimen.parse("IPI-549 15 mg/kg daily x21 from day 7"))
            'eganelisib 15 mg/kg qd x21 from day 7'
        """
        if not isinstance(text, str):
            raise ConfigError("regimen", text, f"give a string; {_GRAMMAR}")
        if text.strip().lower() in CONTROL_WORDS:
            return cls(steps=(), name=name)
        pieces = _STEP_SPLIT_RE.split(text)
        if any(not p.strip() for p in pieces):
            raise ConfigError(
                "regimen",
                text,
                f"a step is empty; join steps with ' + ' and {_GRAMMAR}, or say 'untreated'",
            )
        return cls(steps=tuple(_parse_step(p.strip()) for p in pieces), name=name)

    @property
    def drugs(self) -> tuple[str, ...]:
        """Distinct drug ids, in order of first appearance."""
        return tuple(dict.fromkeys(s.drug for s in self.steps))

    @property
    def is_untreated(self) -> bool:
        """True for the control arm."""
        return not self.steps

    def __str__(self) -> str:
        return " + ".join(str(s) for s in self.steps) if self.steps else "untreated"


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    for tok in text.split():
        m = _GLUED_RE.match(tok)
        if m and _normalize_unit(m.group(2)) is not None:
            out += [m.group(1), m.group(2)]
        else:
            out.append(tok)
    return out


def _is_number(tok: str) -> bool:
    return bool(_NUMBER_RE.match(tok) or _GROUPED_NUMBER_RE.match(tok))


def _parse_step(text: str) -> DoseStep:
    toks = _tokens(text)
    if toks and _is_number(toks[0]):
        raise ConfigError("drug", text, f"start each step with the drug name; {_GRAMMAR}")
    amount_at: int | None = None
    first_number: int | None = None
    for i, tok in enumerate(toks):
        if i > 0 and _is_number(tok):
            if i + 1 < len(toks) and _normalize_unit(toks[i + 1]) is not None:
                amount_at = i
                break
            first_number = i if first_number is None else first_number
    if amount_at is None:
        if first_number is not None and first_number + 1 < len(toks):
            bad = toks[first_number + 1]
            raise ConfigError(
                "unit", bad, f"use one of {', '.join(UNITS)} (in '{text}')", choices=UNITS
            )
        if first_number is not None:
            raise ConfigError(
                "unit", text, f"add a unit after the amount, one of {', '.join(UNITS)}"
            )
        raise ConfigError("regimen", text, _GRAMMAR)

    drug = get_drug(" ".join(toks[:amount_at]))
    amount = float(toks[amount_at].replace(",", ""))
    if not (math.isfinite(amount) and amount > 0):
        raise ConfigError("amount", toks[amount_at], f"give a positive, finite dose (in '{text}')")
    unit = _normalize_unit(toks[amount_at + 1])

    route: str | None = None
    schedule: str | None = None
    count: int | None = None
    start_day = 0.0
    seen: set[str] = set()
    rest = toks[amount_at + 2 :]
    i = 0
    weekdays: tuple[int, ...] | None = None
    while i < len(rest):
        tok = rest[i]
        low = tok.lower()
        pattern = _weekday_pattern(rest, i, text)
        if pattern is not None:
            if "schedule" in seen:
                raise ConfigError("schedule", tok, f"give the schedule once per step (in '{text}')")
            seen.add("schedule")
            weekdays, used = pattern
            schedule = "qw"
            i += used
            continue
        if low in UNSUPPORTED_ROUTES:
            raise unsupported_route_error(tok, text)
        if low in _ROUTE_ALIASES:
            kind = "route"
            route = _ROUTE_ALIASES[low]
        elif low[:1] in ("x", "×"):
            kind = "count"
            try:
                count = int(low[1:])
            except ValueError:
                count = 0
            if i + 1 < len(rest) and rest[i + 1].lower() in ("weeks", "week", "wk", "wks"):
                if weekdays is None:
                    raise ConfigError(
                        "count",
                        f"{tok} {rest[i + 1]}",
                        f"'x<N> weeks' counts the weeks of a weekday pattern, e.g. '5 days/week "
                        f"x4 weeks'; for an interval schedule give doses, e.g. 'q3w x4' (in "
                        f"'{text}')",
                    )
                i += 1
            if count < 1:
                raise ConfigError(
                    "count",
                    tok,
                    f"write the number of doses as x<N> with N ≥ 1, e.g. x4 (in '{text}')",
                )
        elif low == "from":
            kind = "start_day"
            words = rest[i + 1 : i + 3]
            if len(words) < 2 or words[0].lower() != "day" or not _is_number(words[1]):
                raise ConfigError(
                    "start_day",
                    " ".join(rest[i:]),
                    f"write 'from day <d>', e.g. 'from day 7' (in '{text}')",
                )
            start_day = float(words[1].replace(",", ""))
            if not (math.isfinite(start_day) and start_day >= 0):
                raise ConfigError("start_day", words[1], "give a day ≥ 0")
            i += 2
        else:
            kind = "schedule"
            parse_schedule(tok)  # raises with the list of valid schedules
            schedule = tok
        if kind in seen:
            raise ConfigError(kind, tok, f"give the {kind} once per step (in '{text}')")
        seen.add(kind)
        i += 1

    every_days = parse_schedule(schedule) if schedule is not None else None
    if schedule is None and count is not None:
        raise ConfigError(
            "schedule", text, "give the interval between doses before the count, e.g. 'q3w x4'"
        )
    if every_days is not None and count is None:
        raise ConfigError(
            "count", text, f"give the number of doses after '{schedule}', e.g. '{schedule} x4'"
        )
    try:
        return DoseStep(
            drug=drug.id,
            amount=amount,
            unit=unit,  # type: ignore[arg-type]
            every_days=every_days,
            count=count if count is not None else 1,
            start_day=start_day,
            route=route,
            days_of_week=weekdays,
        )
    except ValidationError as exc:
        raise _config_error(exc, "regimen") from None


def _config_error(exc: ValidationError, where: str) -> ConfigError:
    """Turn pydantic's first error into a ConfigError that names the field and the fix."""
    errors = exc.errors()
    # A misspelt key also shows up as a missing field; the misspelling is the useful message.
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    original = (err.get("ctx") or {}).get("error")
    if isinstance(original, ConfigError):
        return original
    loc = [str(p) for p in err["loc"]]
    if err["type"] == "extra_forbidden":
        fields = list(DoseStep.model_fields)
        return ConfigError(
            where,
            loc[-1],
            f"remove it; a dose step takes {', '.join(fields)} (or schedule)",
            choices=fields,
        )
    field = ".".join([where, *loc])
    choices = UNITS if loc and loc[-1] == "unit" else None
    return ConfigError(field, err.get("input"), err["msg"], choices=choices)


def regimen_from_config(value: str | Sequence[Any] | Mapping[str, Any] | Regimen) -> Regimen:
    """A Regimen from a scenario value: a string, a list of steps (dicts or strings), or a dict.

    A dict is either ``{"steps": [...], "name": ...}`` or one step. Step dicts take the
    `DoseStep` fields, or ``schedule: q3w`` in place of ``every_days``.

    Example:
        >>> regimen_from_config([{"drug": "ipilimumab", "amount": 3, "unit": "mg/kg",
        ...                       "schedule": "q3w", "count": 4}]).steps[0].every_days
        21.0
        >>> str(regimen_from_config({"name": "combo", "steps": ["nivolumab 480 mg q4w x13"]}))
        'nivolumab 480 mg q4w x13'
    """
    if isinstance(value, Regimen):
        return value
    if isinstance(value, str):
        return Regimen.parse(value)
    if isinstance(value, Mapping):
        if "drug" in value:
            return Regimen(steps=(_step_from_dict(value, "regimen"),))
        extra = [k for k in value if k not in ("steps", "name")]
        if extra or "steps" not in value:
            bad = extra[0] if extra else None
            raise ConfigError(
                "regimen",
                bad,
                "give 'steps' (and optionally 'name'), or one step with 'drug'",
                choices=["steps", "name", "drug"],
            )
        name = value.get("name")
        if name is not None and not isinstance(name, str):
            raise ConfigError("regimen.name", name, "give the regimen name as text")
        return Regimen(steps=regimen_from_config(value["steps"]).steps, name=name)
    if isinstance(value, Sequence):
        steps: list[DoseStep] = []
        for i, item in enumerate(value):
            if isinstance(item, str):
                steps += Regimen.parse(item).steps
            elif isinstance(item, Mapping):
                steps.append(_step_from_dict(item, f"regimen.steps[{i}]"))
            else:
                raise ConfigError(
                    f"regimen.steps[{i}]", item, f"give a step as text or as a mapping; {_GRAMMAR}"
                )
        return Regimen(steps=tuple(steps))
    raise ConfigError(
        "regimen", value, f"give a string, a list of steps or a mapping; {_GRAMMAR}, or 'untreated'"
    )


def _step_from_dict(item: Mapping[str, Any], where: str) -> DoseStep:
    data = dict(item)
    if "schedule" in data:
        if "every_days" in data:
            raise ConfigError(where, "schedule", "give either schedule or every_days, not both")
        data["every_days"] = parse_schedule(str(data.pop("schedule")))
    try:
        return DoseStep.model_validate(data)
    except ValidationError as exc:
        raise _config_error(exc, where) from None

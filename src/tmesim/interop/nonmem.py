"""Regimens as NONMEM-style event tables (ID, TIME, AMT, EVID, CMT, RATE, II, ADDL) and back.

One dose row per dose step: TIME its first dose, AMT the amount per dose (in UNIT), II the
interval and ADDL the number of additional doses (`count - 1`), EVID 1, RATE 0 (a bolus: tmesim's
doses are instantaneous), CMT the 1-based position of the drug's input state in tmesim's state
vector. TIME and II are in days unless `time_unit="h"`. Two extra data items name what NONMEM's
columns cannot: DRUG (catalog id) and UNIT (of AMT); ROUTE is written when a step sets it. Each ID
is one regimen (one arm); observation rows (EVID 0) are skipped when reading.

Example:
    >>> table = regimen_table("nivolumab 240 mg q2w x3")
    >>> table[["TIME", "AMT", "EVID", "II", "ADDL", "DRUG"]].to_dict("records")
    [{'TIME': 0.0, 'AMT': 240.0, 'EVID': 1, 'II': 14.0, 'ADDL': 2, 'DRUG': 'nivolumab'}]
    >>> str(regimens_from_table(table)[1])
    'nivolumab 240 mg q2w x3'
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from tmesim.errors import ConfigError
from tmesim.therapies.drugs import get_drug, route_input_state
from tmesim.therapies.regimen import DoseStep, Regimen, regimen_from_config

COLUMNS = ("ID", "TIME", "AMT", "EVID", "CMT", "RATE", "II", "ADDL", "DRUG", "UNIT")
REQUIRED = ("ID", "TIME", "AMT", "EVID", "DRUG", "UNIT")
_HOURS = {"day": 1.0, "h": 24.0}


@functools.cache
def _state_ids() -> tuple[str, ...]:
    from tmesim.model.tumor_immune import build_model

    return build_model().species_ids


def compartment(drug: str, route: str | None = None) -> int:
    """NONMEM's CMT of a drug: the 1-based position of its input state (for `route`, default
    the drug's usual one) in tmesim's state vector."""
    state = route_input_state(get_drug(drug).target_class, route)
    return _state_ids().index(state.state_id) + 1


def _scale(time_unit: str) -> float:
    if time_unit not in _HOURS:
        raise ConfigError("time_unit", time_unit, "use 'day' or 'h'", choices=list(_HOURS))
    return _HOURS[time_unit]


def regimen_table(
    regimens: Regimen | str | Mapping[int, Regimen | str], *, time_unit: str = "day"
) -> pd.DataFrame:
    """The dose rows of one regimen (ID 1) or of several ({ID: regimen}), in NONMEM's layout."""
    scale = _scale(time_unit)
    if isinstance(regimens, Mapping):
        arms = {int(k): regimen_from_config(v) for k, v in regimens.items()}
    else:
        arms = {1: regimen_from_config(regimens)}
    rows = []
    for ident, regimen in arms.items():
        for step in regimen.steps:
            for offset in step.weekly_offsets():  # a weekday pattern: one row per weekday
                row = {
                    "ID": ident,
                    "TIME": (step.start_day + offset) * scale,
                    "AMT": float(step.amount),
                    "EVID": 1,
                    "CMT": compartment(step.drug, step.route),
                    "RATE": 0.0,
                    "II": (step.every_days or 0.0) * scale if step.count > 1 else 0.0,
                    "ADDL": step.count - 1,
                    "DRUG": step.drug,
                    "UNIT": step.unit,
                }
                if step.route is not None:
                    row["ROUTE"] = step.route
                rows.append(row)
    table = pd.DataFrame(
        rows, columns=[*COLUMNS, *(["ROUTE"] if any("ROUTE" in r for r in rows) else [])]
    )
    return table.sort_values(["ID", "TIME"], kind="stable").reset_index(drop=True)


def regimens_from_table(table: pd.DataFrame, *, time_unit: str = "day") -> dict[int, Regimen]:
    """The regimen of every ID in a NONMEM-style table (dose rows: EVID 1 or 4)."""
    scale = _scale(time_unit)
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise ConfigError(
            "NONMEM table",
            ", ".join(missing),
            f"add the columns {', '.join(missing)} (DRUG: catalog id, UNIT: unit of AMT)",
        )
    out: dict[int, Regimen] = {}
    for ident, rows in table.groupby("ID", sort=True):
        steps = []
        for k, row in rows.iterrows():
            where = f"NONMEM table row {k} (ID {ident})"
            evid = int(row["EVID"])
            if evid in (0, 2):
                continue
            if evid not in (1, 4):
                raise ConfigError(f"{where}: EVID", evid, "use 0 (observation), 1 or 4 (dose)")
            rate = float(row.get("RATE", 0.0) or 0.0)
            if rate != 0.0 and not math.isnan(rate):
                raise ConfigError(
                    f"{where}: RATE", rate, "use 0: tmesim's doses are boluses (no infusions)"
                )
            addl = int(row.get("ADDL", 0) or 0)
            ii = float(row.get("II", 0.0) or 0.0) / scale
            if addl > 0 and not ii > 0:
                raise ConfigError(f"{where}: II", row.get("II"), "give II > 0 when ADDL > 0")
            step = DoseStep(
                drug=str(row["DRUG"]),
                amount=float(row["AMT"]),
                unit=str(row["UNIT"]),
                every_days=ii if addl > 0 else None,
                count=addl + 1,
                start_day=float(row["TIME"]) / scale,
                route=row["ROUTE"] if "ROUTE" in row and isinstance(row["ROUTE"], str) else None,
            )
            if "CMT" in row and not pd.isna(row["CMT"]):
                expected = compartment(step.drug, step.route)
                if int(row["CMT"]) != expected:
                    raise ConfigError(
                        f"{where}: CMT", row["CMT"], f"{step.drug} doses go into CMT {expected}"
                    )
            steps.append(step)
        out[int(ident)] = Regimen(steps=tuple(steps))
    return out


def write_nonmem(
    path: str | Path,
    regimens: Regimen | str | Mapping[int, Regimen | str],
    *,
    time_unit: str = "day",
) -> Path:
    """Write the regimen table as CSV; returns the path."""
    path = Path(path)
    regimen_table(regimens, time_unit=time_unit).to_csv(path, index=False)
    return path


def read_nonmem(path: str | Path, *, time_unit: str = "day") -> dict[int, Regimen]:
    """Read a NONMEM-style CSV into {ID: Regimen}."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("NONMEM table", str(path), "give the path of an existing CSV file")
    table = pd.read_csv(path, na_values=["."])
    table.columns = [str(c).strip().upper() for c in table.columns]
    return regimens_from_table(table, time_unit=time_unit)

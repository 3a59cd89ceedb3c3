"""NONMEM-style event tables: regimens written and read back unchanged, doses where tmesim puts them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tmesim.errors import ConfigError
from tmesim.interop.nonmem import compartment, read_nonmem, regimen_table, write_nonmem
from tmesim.therapies.dosing import Subject, dose_events
from tmesim.therapies.regimen import Regimen

REGIMENS = [
    "nivolumab 1 mg/kg q3w x4 + ipilimumab 3 mg/kg q3w x4 + nivolumab 480 mg q4w x10 from day 84",
    "aldesleukin 600000 IU/kg q8h x14 + aldesleukin 600000 IU/kg q8h x14 from day 14",
    "tisagenlecleucel 2e6 cells/kg once",
    "anti-pd-1 200 ug biw x6 from day 7",
    "eganelisib 15 mg/kg oral qd x21 from day 7",
    "untreated",
]


@pytest.mark.parametrize("text", REGIMENS)
@pytest.mark.parametrize("time_unit", ["day", "h"])
def test_round_trip(tmp_path: Path, text: str, time_unit: str) -> None:
    regimen = Regimen.parse(text)
    path = write_nonmem(tmp_path / "doses.csv", regimen, time_unit=time_unit)
    back = read_nonmem(path, time_unit=time_unit)
    if regimen.is_untreated:
        assert back == {}
        return
    assert str(back[1]) == str(regimen)
    species = "mouse" if "anti-pd-1 " in text else "human"
    assert dose_events(back[1], Subject(species=species)) == dose_events(
        regimen, Subject(species=species)
    )


def test_columns_and_several_arms() -> None:
    table = regimen_table({1: "nivolumab 240 mg q2w x3", 2: "ipilimumab 3 mg/kg q3w x4 from day 1"})
    assert list(table.columns[:8]) == ["ID", "TIME", "AMT", "EVID", "CMT", "RATE", "II", "ADDL"]
    row = table[table["ID"] == 2].iloc[0]
    assert (row["TIME"], row["AMT"], row["II"], row["ADDL"], row["EVID"]) == (1.0, 3.0, 21.0, 3, 1)
    assert row["CMT"] == compartment("ipilimumab") != compartment("nivolumab")


def test_reads_a_hand_written_table_with_observations(tmp_path: Path) -> None:
    path = tmp_path / "nm.csv"
    path.write_text(
        "ID,TIME,AMT,EVID,CMT,RATE,II,ADDL,DV,DRUG,UNIT\n"
        "7,0,.,0,.,.,.,.,1.5,.,.\n"
        "7,48,240,1,.,0,336,2,.,nivolumab,mg\n"
    )
    regimens = read_nonmem(path, time_unit="h")
    assert str(regimens[7]) == "nivolumab 240 mg q2w x3 from day 2"


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        ({"RATE": 10.0}, "RATE"),
        ({"EVID": 3}, "EVID"),
        ({"CMT": 1}, "CMT"),
        ({"II": 0.0}, "II"),
    ],
)
def test_bad_rows_are_named(edit: dict, field: str) -> None:
    from tmesim.interop.nonmem import regimens_from_table

    table = regimen_table("nivolumab 240 mg q2w x3")
    for column, value in edit.items():
        table[column] = value
    with pytest.raises(ConfigError, match=field):
        regimens_from_table(table)


def test_missing_columns_are_named() -> None:
    from tmesim.interop.nonmem import regimens_from_table

    with pytest.raises(ConfigError, match="DRUG"):
        regimens_from_table(pd.DataFrame({"ID": [1], "TIME": [0], "AMT": [1], "EVID": [1]}))

"""Weekday dosing patterns ("5 days/week x4 weeks") and interferon alfa-2b by vein."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tmesim.errors import ConfigError
from tmesim.interop.nonmem import compartment, regimen_table
from tmesim.therapies.dosing import Subject, dose_events
from tmesim.therapies.regimen import DoseStep, Regimen, regimen_from_config

KIRKWOOD = (
    "interferon alfa-2b 20 MIU/m2 iv 5 days/week x4 weeks"
    " + interferon alfa-2b 10 MIU/m2 sc 3 times/week x48 weeks from day 28"
)


def test_five_days_a_week_is_one_dose_a_day_on_days_one_to_five():
    step = Regimen.parse("interferon alfa-2b 20 MIU/m2 iv 5 days/week x4 weeks").steps[0]
    assert step.days_of_week == (1, 2, 3, 4, 5) and step.count == 4
    assert step.times() == [7.0 * w + d for w in range(4) for d in range(5)]


def test_three_times_a_week_falls_on_days_one_three_and_five():
    step = Regimen.parse("interferon alfa-2b 10 MIU sc 3 times/week x2 weeks").steps[0]
    assert step.times() == [0.0, 2.0, 4.0, 7.0, 9.0, 11.0]
    other = Regimen.parse("interferon alfa-2b 10 MIU days 2,6/week x2 weeks from day 7")
    assert other.steps[0].times() == [8.0, 12.0, 15.0, 19.0]


@given(
    st.sets(st.integers(1, 7), min_size=1),
    st.integers(1, 60),
    st.integers(0, 100),
)
@settings(max_examples=80, deadline=None)
def test_a_weekday_pattern_prints_and_parses_back(days, weeks, start):
    step = DoseStep(
        drug="interferon alfa-2b",
        amount=5,
        unit="MIU",
        days_of_week=sorted(days),
        count=weeks,
        start_day=start,
    )
    times = step.times()
    assert len(times) == weeks * len(days)
    assert times == sorted(times) and len(set(times)) == len(times)
    assert {round((t - start) % 7) + 1 for t in times} == days
    assert Regimen.parse(str(step)).steps[0] == step


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("interferon alfa-2b 10 MIU 4 times/week x2 weeks", "days_of_week"),
        ("interferon alfa-2b 10 MIU 8 days/week x2 weeks", "days_of_week"),
        ("interferon alfa-2b 10 MIU days 3,1/week x2 weeks", "days_of_week"),
        ("interferon alfa-2b 10 MIU q3w x4 weeks", "count"),
        ("interferon alfa-2b 10 MIU 5 days/week q3w x4 weeks", "schedule"),
        ("interferon alfa-2b 10 MIU oral 5 days/week x4 weeks", "route"),
    ],
)
def test_a_bad_pattern_names_the_field(text, field):
    with pytest.raises(ConfigError, match=field):
        Regimen.parse(text)


def test_the_typed_form_takes_days_of_week():
    r = regimen_from_config(
        [{"drug": "ifna", "amount": 20, "unit": "MIU/m2", "route": "iv", "days_of_week": [1, 2]}]
    )
    assert r.steps[0].every_days == 7.0 and r.steps[0].times() == [0.0, 1.0]
    with pytest.raises(ConfigError, match="days_of_week"):
        regimen_from_config([{"drug": "ifna", "amount": 2, "unit": "MIU", "days_of_week": [0]}])
    with pytest.raises(ConfigError, match="every_days"):
        regimen_from_config(
            [{"drug": "ifna", "amount": 2, "unit": "MIU", "days_of_week": [1], "every_days": 3}]
        )


def test_kirkwood_induction_enters_plasma_and_maintenance_the_depot_per_m2():
    subject = Subject(species="human", body_weight_kg=81.0, height_cm=176.0)
    surface = math.sqrt(176.0 * 81.0 / 3600.0)  # Mosteller, by hand
    events = dose_events(KIRKWOOD, subject)
    iv = [e for e in events if e.state_id == "ifna_central"]
    sc = [e for e in events if e.state_id == "ifna_depot"]
    assert len(iv) == 20 and len(sc) == 144
    assert max(e.time_day for e in iv) == 25.0 and min(e.time_day for e in sc) == 28.0
    # IU -> mg by the label's potency (2.6e8 IU/mg), mg -> pmol by 19,271 g/mol
    pmol_per_miu = 1e6 / 2.6e8 * 1e-3 / 19_271.0 * 1e12
    assert iv[0].amount == pytest.approx(20 * surface * pmol_per_miu, rel=1e-12)
    assert sc[0].amount == pytest.approx(10 * surface * pmol_per_miu, rel=1e-12)


def test_the_dosing_table_lists_each_weekday_with_the_route_compartment():
    table = regimen_table(KIRKWOOD)
    iv = table[table["ROUTE"] == "iv"]
    assert iv["TIME"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert set(iv["II"]) == {7.0} and set(iv["ADDL"]) == {3}
    assert set(iv["CMT"]) == {compartment("interferon alfa-2b", "iv")}
    assert compartment("interferon alfa-2b", "iv") != compartment("interferon alfa-2b", "sc")
    assert len(table[table["ROUTE"] == "sc"]) == 3

"""Regimens: typed dose steps, the string form, and their round trip."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tmesim.config.limits import dose_range
from tmesim.errors import ConfigError
from tmesim.therapies import (
    CATALOG,
    ROUTES_BY_TARGET_CLASS,
    DoseStep,
    Regimen,
    format_schedule,
    get_drug,
    parse_schedule,
    regimen_from_config,
    units_for,
)
from tmesim.therapies.regimen import NAMED_SCHEDULES

EXAMPLES = [
    "ipilimumab 3 mg/kg q3w x4",
    "nivolumab 1 mg/kg q3w x4 + ipilimumab 3 mg/kg q3w x4",
    "pembrolizumab 200 mg q3w x35",
    "nivolumab 480 mg q4w x13 + relatlimab 160 mg q4w x13",
    "aldesleukin 600000 IU/kg q8h x14",
    "aldesleukin 600000 IU/kg q8h x14 + aldesleukin 600000 IU/kg q8h x14 from day 14",
    "eganelisib 40 mg qd x365",
    "ipi-549 15 mg/kg qd x21 from day 7",
    "rmp1-14 200 ug biw x6 from day 7",
    "9h10 100 ug q3d x3 from day 7",
    "tisagenlecleucel 2e6 cells/kg once",
    "interferon alfa-2b 20 MIU q1d x5",
]


@pytest.mark.parametrize("text", EXAMPLES)
def test_examples_parse_and_print_back_stably(text):
    r = Regimen.parse(text)
    assert r.steps
    assert Regimen.parse(str(r)) == r
    assert str(Regimen.parse(str(r))) == str(r)


def test_examples_mean_what_they_say():
    combo = Regimen.parse("nivolumab 1 mg/kg q3w x4 + ipilimumab 3 mg/kg q3w x4")
    assert [s.drug for s in combo.steps] == ["nivolumab", "ipilimumab"]
    assert combo.steps[1].times() == [0, 21, 42, 63]

    (il2,) = Regimen.parse("aldesleukin 600000 IU/kg q8h x14").steps
    assert (il2.amount, il2.unit, il2.count) == (600_000, "IU/kg", 14)
    assert il2.every_days * 24 == pytest.approx(8)

    (mouse,) = Regimen.parse("rmp1-14 200 ug biw x6 from day 7").steps
    assert mouse.drug == "anti-pd-1 (rmp1-14)"
    assert mouse.times() == [7, 10.5, 14, 17.5, 21, 24.5]  # twice weekly

    (cart,) = Regimen.parse("tisagenlecleucel 2e6 cells/kg once").steps
    assert (cart.amount, cart.every_days, cart.count, cart.times()) == (2e6, None, 1, [0.0])

    (ifn,) = Regimen.parse("interferon alfa-2b 20 MIU q1d x5").steps
    assert ifn.times() == [0, 1, 2, 3, 4]

    (ipi549,) = Regimen.parse("IPI-549 15 mg/kg qd x21 from day 7").steps
    assert ipi549.drug == "eganelisib" and ipi549.times()[-1] == 27


@pytest.mark.parametrize(
    "canonical",
    [
        "ipilimumab 3 mg/kg q3w x4",
        "nivolumab 1 mg/kg q3w x4 + ipilimumab 3 mg/kg q3w x4",
        "aldesleukin 600000 IU/kg q8h x14 + aldesleukin 600000 IU/kg q8h x14 from day 14",
        "eganelisib 15 mg/kg oral qd x21 from day 7",
        "anti-pd-1 (rmp1-14) 200 ug ip biw x6 from day 7",
        "tisagenlecleucel 2000000 cells/kg once",
        "interferon alfa-2b 10 MIU tiw x12",
        "cancer vaccine 100 ug q1.5d x3 from day 0.5",
        "nivolumab 240 mg q2w x2 + relatlimab 80 mg q6h x2",
        "untreated",
    ],
)
def test_canonical_strings_round_trip_exactly(canonical):
    assert str(Regimen.parse(canonical)) == canonical


def test_sugar_forms_mean_the_same_as_the_canonical_form():
    canonical = Regimen.parse("aldesleukin 600000 IU/kg q8h x14")
    for sugar in (
        "Proleukin 600,000 IU/kg q8h x14",
        "aldesleukin 6e5 iu/kg tid x14",
        "aldesleukin 6e+5 IU/kg q8h x14",
        "aldesleukin 600000IU/kg q8h ×14",
    ):
        assert Regimen.parse(sugar) == canonical, sugar
    assert Regimen.parse("ipilimumab 3mg/kg q21d x4; nivolumab 1 mg/kg q3w x4") == Regimen.parse(
        "ipilimumab 3 mg/kg q3w x4 + nivolumab 1 mg/kg q3w x4"
    )
    assert Regimen.parse("eganelisib 40 mg daily x2") == Regimen.parse("eganelisib 40 mg qd x2")
    assert Regimen.parse("eganelisib 40 mg bid x2").steps[0].every_days == 0.5


def test_control_arm():
    assert str(Regimen.none()) == "untreated"
    assert Regimen.none().is_untreated
    for word in ("untreated", "Control", "none"):
        assert Regimen.parse(word) == Regimen.none()


# ------------------------------------------------------------------ property-based round trip


@st.composite
def dose_steps(draw) -> DoseStep:
    drug_id = draw(st.sampled_from(sorted(CATALOG)))
    drug = get_drug(drug_id)
    every = draw(
        st.none()
        | st.sampled_from(sorted(NAMED_SCHEDULES.values()))
        | st.floats(min_value=1e-3, max_value=1e4, allow_nan=False, allow_infinity=False)
        | st.integers(1, 400).map(float)
    )
    unit = draw(st.sampled_from(units_for(drug)))
    low, high = dose_range(unit)
    return DoseStep(
        drug=drug_id,
        amount=draw(st.floats(min_value=low, max_value=high)),
        unit=unit,
        every_days=every,
        count=1 if every is None else draw(st.integers(1, 1000)),
        start_day=draw(st.just(0.0) | st.floats(min_value=0, max_value=1e4, allow_nan=False)),
        route=draw(st.none() | st.sampled_from(ROUTES_BY_TARGET_CLASS[drug.target_class])),
    )


@given(st.lists(dose_steps(), max_size=4))
def test_any_regimen_prints_to_a_string_that_parses_back_to_it(steps):
    r = Regimen(steps=tuple(steps))
    text = str(r)
    assert Regimen.parse(text) == r
    assert str(Regimen.parse(text)) == text


@given(st.floats(min_value=1e-4, max_value=1e6, allow_nan=False, allow_infinity=False))
def test_schedule_printing_inverts_parsing(every_days):
    assert parse_schedule(format_schedule(every_days)) == every_days


@given(dose_steps())
def test_dose_times_are_evenly_spaced_from_the_start_day(step):
    t = step.times()
    assert len(t) == step.count and t[0] == step.start_day
    if step.count > 1:
        gaps = [b - a for a, b in zip(t, t[1:], strict=False)]
        assert all(math.isclose(g, step.every_days, rel_tol=1e-9, abs_tol=1e-9) for g in gaps)


# ------------------------------------------------------------------ errors that teach


def raises_config(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        Regimen.parse(text)
    return info.value


def test_unknown_drug_suggests_the_nearest():
    err = raises_config("nivolumb 3 mg/kg q2w x4")
    assert err.field == "drug" and "did you mean 'nivolumab'" in str(err)


def test_unknown_unit_lists_the_valid_units():
    err = raises_config("nivolumab 3 mg/lb q2w x4")
    assert err.field == "unit" and "mg/kg" in str(err)


def test_unit_the_drug_cannot_take_is_refused():
    err = raises_config("ipilimumab 3000 IU q3w x4")
    assert err.field == "unit" and "mg/kg" in str(err)
    assert raises_config("tisagenlecleucel 5 mg once").field == "unit"


def test_unknown_schedule_lists_the_valid_schedules():
    err = raises_config("nivolumab 3 mg/kg q2x x4")
    assert err.field == "schedule" and "q2w" in str(err)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("nivolumab -3 mg/kg q2w x4", "amount"),
        ("nivolumab 0 mg/kg q2w x4", "amount"),
        ("nivolumab 3 mg/kg q2w x0", "count"),
        ("nivolumab 3 mg/kg q2w x2.5", "count"),
        ("nivolumab 3 mg/kg q2w", "count"),  # a repeated schedule needs a count
        ("nivolumab 3 mg/kg x4", "schedule"),  # a count needs a schedule
        ("nivolumab 3 mg/kg once x3", "count"),
        ("nivolumab 3 mg/kg q2w x4 from 7", "start_day"),
        ("nivolumab 3 mg/kg q2w x4 q3w", "schedule"),
        ("nivolumab 3 mg/kg oral q2w x4", "route"),  # antibodies are not given by mouth
        ("nivolumab 3", "unit"),
        ("3 mg/kg q2w x4", "drug"),
        ("nivolumab 3 mg/kg q2w x4 +", "regimen"),
    ],
)
def test_bad_steps_name_the_field(text, field):
    assert raises_config(text).field == field


def test_typed_steps_validate_at_the_boundary():
    s = DoseStep(drug="Opdivo", amount=480, unit="mg", every_days=28, count=13)
    assert s.drug == "nivolumab" and str(s) == "nivolumab 480 mg q4w x13"
    with pytest.raises(ValueError, match="amount"):
        DoseStep(drug="nivolumab", amount=-1, unit="mg")
    with pytest.raises(ValueError, match="did you mean 'ipilimumab'"):
        DoseStep(drug="ipilimumabb", amount=1, unit="mg")
    with pytest.raises(ValueError, match="every_days"):
        DoseStep(drug="nivolumab", amount=1, unit="mg", count=3)
    with pytest.raises(ValueError):
        DoseStep(drug="nivolumab", amount=1, unit="mg", dose=3)  # extra keys are refused


# ------------------------------------------------------------------ scenario values


def test_regimen_from_config_accepts_each_form():
    text = "nivolumab 1 mg/kg q3w x4 + ipilimumab 3 mg/kg q3w x4"
    expected = Regimen.parse(text)
    typed = [
        {"drug": "nivolumab", "amount": 1, "unit": "mg/kg", "every_days": 21, "count": 4},
        {"drug": "ipilimumab", "amount": 3, "unit": "mg/kg", "schedule": "q3w", "count": 4},
    ]
    assert regimen_from_config(text) == expected
    assert regimen_from_config(typed) == expected
    assert regimen_from_config(["nivolumab 1 mg/kg q3w x4", typed[1]]) == expected
    named = regimen_from_config({"name": "nivo+ipi", "steps": typed})
    assert named.name == "nivo+ipi" and named.steps == expected.steps
    assert regimen_from_config(typed[0]).steps == expected.steps[:1]
    assert regimen_from_config(expected) is expected


def test_regimen_from_config_errors_point_at_the_step():
    with pytest.raises(ConfigError) as info:
        regimen_from_config([{"drug": "nivolumab", "amout": 1, "unit": "mg"}])
    assert info.value.field == "regimen.steps[0]" and "did you mean 'amount'" in str(info.value)
    with pytest.raises(ConfigError) as info:
        regimen_from_config([{"drug": "nivolumab", "amount": -1, "unit": "mg"}])
    assert info.value.field == "regimen.steps[0].amount"
    with pytest.raises(ConfigError) as info:
        regimen_from_config(
            [{"drug": "nivolumab", "amount": 1, "unit": "mg", "schedule": "q3w", "every_days": 21}]
        )
    assert info.value.field == "regimen.steps[0]"
    with pytest.raises(ConfigError):
        regimen_from_config({"stepz": []})
    with pytest.raises(ConfigError):
        regimen_from_config(42)  # type: ignore[arg-type]

"""Dose events in model units, checked against hand arithmetic, and PK parameter selection."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tmesim.errors import ConfigError
from tmesim.therapies import (
    INPUT_STATES,
    PK_PARAMETERS,
    Regimen,
    Subject,
    amount_per_dose,
    dose_events,
    get_drug,
    pk_parameters,
)

HUMAN = Subject(species="human")  # 75 kg
MOUSE = Subject(species="mouse")  # 20 g


def only_amount(text: str, subject: Subject) -> float:
    (step,) = Regimen.parse(text).steps
    return amount_per_dose(step, subject)


def test_subject_defaults_and_checks():
    assert HUMAN.body_weight_kg == 75.0 and MOUSE.body_weight_kg == 0.02
    assert Subject(species="human", body_weight_kg=60).body_weight_kg == 60
    with pytest.raises(ValueError, match="give kilograms"):
        Subject(species="mouse", body_weight_kg=20)  # grams given as kg
    with pytest.raises(ValueError, match="did you mean 'mouse'"):
        Subject(species="mous")
    with pytest.raises(ValueError):
        Subject(species="human", body_weight_kg=-70)


def test_weight_based_antibody_dose_by_hand():
    # 3 mg/kg ipilimumab in 75 kg = 225 mg; 225 mg / 148,000 g/mol = 1.520e-6 mol = 1520 nmol.
    assert get_drug("ipilimumab").molecular_weight == 148_000  # Yervoy label
    assert only_amount("ipilimumab 3 mg/kg q3w x4", HUMAN) == pytest.approx(225e-3 / 148_000 * 1e9)
    assert only_amount("ipilimumab 3 mg/kg q3w x4", HUMAN) == pytest.approx(1520.27, rel=1e-5)


def test_flat_doses_ignore_weight_and_per_kg_doses_scale_with_it():
    light, heavy = (
        Subject(species="human", body_weight_kg=50),
        Subject(species="human", body_weight_kg=100),
    )
    assert only_amount("pembrolizumab 200 mg q3w x35", light) == only_amount(
        "pembrolizumab 200 mg q3w x35", heavy
    )
    per_kg = "pembrolizumab 2 mg/kg q3w x35"
    assert only_amount(per_kg, heavy) == pytest.approx(2 * only_amount(per_kg, light))
    # 2 mg/kg at 100 kg is the same as 200 mg flat.
    assert only_amount(per_kg, heavy) == pytest.approx(
        only_amount("pembrolizumab 200 mg once", heavy)
    )
    assert only_amount("nivolumab 480000 ug once", HUMAN) == pytest.approx(
        only_amount("nivolumab 480 mg once", HUMAN)
    )


def test_mouse_microgram_dose_by_hand():
    # 200 ug of a ~150 kDa IgG: 200e-6 g / 150,000 g/mol = 1.333e-9 mol.
    assert only_amount("rmp1-14 200 ug biw x6 from day 7", MOUSE) == pytest.approx(
        200e-6 / 150_000 * 1e9
    )


def test_aldesleukin_by_hand_and_schedule():
    # 600,000 IU/kg × 75 kg = 4.5e7 IU; 18 MIU = 1.1 mg -> 2.75 mg; / 15,300 g/mol -> pmol.
    expected_pmol = 2.75e-3 / 15_300 * 1e12
    events = dose_events("aldesleukin 600000 IU/kg q8h x14", HUMAN)
    assert len(events) == 14
    assert all(e.state_id == "il2_central" and e.unit == "pmol" for e in events)
    assert events[0].amount == pytest.approx(expected_pmol)
    gaps_h = [(b.time_day - a.time_day) * 24 for a, b in zip(events, events[1:], strict=False)]
    assert gaps_h == pytest.approx([8.0] * 13)

    two_cycles = dose_events(
        "aldesleukin 600000 IU/kg q8h x14 + aldesleukin 600000 IU/kg q8h x14 from day 14", HUMAN
    )
    assert len(two_cycles) == 28 and two_cycles[14].time_day == 14.0


def test_interferon_megaunits_by_hand():
    # 20 MIU / 2.6e8 IU/mg = 0.0769 mg; / 19,271 g/mol -> pmol.
    assert only_amount("interferon alfa-2b 20 MIU q1d x5", HUMAN) == pytest.approx(
        20e6 / 2.6e8 * 1e-3 / 19_271 * 1e12
    )
    events = dose_events("interferon alfa-2b 20 MIU q1d x5", HUMAN)
    assert {e.state_id for e in events} == {"ifna_depot"}


def test_body_surface_doses_by_hand():
    # High-dose interferon alfa-2b induction, 20 MIU/m2 (Kirkwood 1996): a 80 kg, 180 cm patient
    # has sqrt(180 × 80 / 3600) = 2.0 m² (Mosteller), so 40 MIU.
    tall = Subject(species="human", body_weight_kg=80, height_cm=180)
    assert tall.surface_m2 == pytest.approx(2.0)
    assert only_amount("interferon alfa-2b 20 MIU/m² q1d x5", tall) == pytest.approx(
        only_amount("interferon alfa-2b 40 MIU q1d x5", tall)
    )
    # mg/m2 and ug/m2 of an antibody: amount × surface, then to moles.
    assert only_amount("nivolumab 100 mg/m2 once", tall) == pytest.approx(
        only_amount("nivolumab 200 mg once", tall)
    )
    assert only_amount("nivolumab 5e4 ug/m2 once", tall) == pytest.approx(
        only_amount("nivolumab 100 mg once", tall)
    )
    # A given surface area wins over the formula; the reference adult is 1.88 m².
    assert Subject(species="human", body_surface_m2=1.5).surface_m2 == 1.5
    assert HUMAN.surface_m2 == pytest.approx((170 * 75 / 3600) ** 0.5)
    # The mouse: 0.007 m² at 20 g (FDA 2005), scaled as weight^0.67.
    assert MOUSE.surface_m2 == pytest.approx(0.007)
    heavy = Subject(species="mouse", body_weight_kg=0.04)
    assert heavy.surface_m2 == pytest.approx(0.007 * 2**0.67)
    with pytest.raises(ValueError, match="height_cm"):
        Subject(species="human", height_cm=1.7)  # metres given as cm


def test_oral_doses_enter_the_gut_whole():
    # 40 mg / 528.6 g/mol = 75.7 umol; bioavailability is the model's business.
    assert only_amount("eganelisib 40 mg qd x365", HUMAN) == pytest.approx(40e-3 / 528.6 * 1e6)
    events = dose_events("ipi-549 15 mg/kg qd x21 from day 7", MOUSE)
    assert len(events) == 21 and events[0].time_day == 7 and events[0].state_id == "ipi549_gut"
    assert events[0].amount == pytest.approx(15 * 0.02 * 1e-3 / 528.6 * 1e6)  # 0.3 mg


def test_cells_and_vaccine_micrograms():
    child = Subject(species="human", body_weight_kg=30)
    (event,) = dose_events("tisagenlecleucel 2e6 cells/kg once", child)
    assert (event.state_id, event.amount, event.unit) == ("cart_blood", 6e7, "cell")
    assert only_amount("cancer vaccine 100 ug qw x4", HUMAN) == pytest.approx(100)
    assert only_amount("cancer vaccine 0.1 mg qw x4", HUMAN) == pytest.approx(100)
    assert only_amount("cancer vaccine 5 ug/kg qw x4", MOUSE) == pytest.approx(0.1)


def test_species_mismatch_names_the_alternatives():
    with pytest.raises(ConfigError) as info:
        dose_events("rmp1-14 200 ug biw x6", HUMAN)
    assert info.value.field == "drug"
    assert "pembrolizumab" in str(info.value) and "nivolumab" in str(info.value)
    with pytest.raises(ConfigError, match="rmp1-14"):
        pk_parameters("pembrolizumab 200 mg q3w x4", MOUSE)


def test_pk_parameters_cover_exactly_the_target_classes_used():
    p = pk_parameters("nivolumab 1 mg/kg q3w x4 + ipilimumab 3 mg/kg q3w x4", HUMAN)
    expected = {**PK_PARAMETERS["anti_pd1"], **PK_PARAMETERS["anti_ctla4"]}
    assert {k: v.units for k, v in p.items()} == expected
    assert p["anti_pd1_central_volume"].value == pytest.approx(3.63)  # nivolumab, Centanni 2019
    assert pk_parameters("tisagenlecleucel 2e6 cells/kg once", HUMAN) == {}
    assert pk_parameters(Regimen.none(), HUMAN) == {}
    mouse = pk_parameters("eganelisib 15 mg/kg qd x21 + 9h10 100 ug q3d x3", MOUSE)
    assert set(mouse) == set(PK_PARAMETERS["ipi549"]) | set(PK_PARAMETERS["anti_ctla4"])


def test_two_drugs_in_one_slot_are_refused():
    text = "pembrolizumab 200 mg q3w x4 + nivolumab 240 mg q2w x4"
    with pytest.raises(ConfigError, match="anti_pd1"):
        pk_parameters(text, HUMAN)
    with pytest.raises(ConfigError, match="anti_pd1"):
        dose_events(text, HUMAN)
    # the same drug twice (two cycles) is fine
    two_cycles = pk_parameters(
        "nivolumab 240 mg q2w x4 + nivolumab 480 mg q4w x4 from day 56", HUMAN
    )
    assert set(two_cycles) == set(PK_PARAMETERS["anti_pd1"])


STEPS = st.sampled_from(
    [
        "nivolumab 1 mg/kg q3w x4",
        "ipilimumab 3 mg/kg q3w x4",
        "relatlimab 160 mg q4w x13",
        "aldesleukin 600000 IU/kg q8h x14 from day 3",
        "eganelisib 40 mg qd x30 from day 1.5",
        "interferon alfa-2b 10 MIU tiw x12",
        "cancer vaccine 100 ug qw x4 from day 2",
    ]
)


@given(st.lists(STEPS, min_size=1, max_size=5, unique=True), st.none() | st.floats(0, 120))
def test_events_are_sorted_complete_and_cut_at_until_day(texts, until_day):
    regimen = Regimen.parse(" + ".join(texts))
    all_events = dose_events(regimen, HUMAN)
    times = [e.time_day for e in all_events]
    assert times == sorted(times)
    assert len(all_events) == sum(s.count for s in regimen.steps)
    assert {e.state_id for e in all_events} <= {s.state_id for s in INPUT_STATES.values()}
    cut = dose_events(regimen, HUMAN, until_day=until_day)
    expected = [e for e in all_events if until_day is None or e.time_day <= until_day]
    assert cut == expected

"""The calibration ledger: every value whose source says it was calibrated has a record entry that
carries its shipped value and units; every target a record entry names is labelled calibration;
literature values are positive. The checks run on the shipped package and on altered copies, so
that each can be seen to fail."""

from __future__ import annotations

import pytest

from tmesim.validation.ledger import (
    LedgerItem,
    calibrated_values,
    claims_calibration,
    entry_for,
    ledger_problems,
)
from tmesim.validation.record import (
    CALIBRATIONS,
    HAND_PREFIX,
    FittedParameter,
    load_record,
    shipped_records,
)


def _entry(**changes) -> FittedParameter:
    base = {
        "id": "treg_suppression_ratio",
        "preset": "*",
        "value": 5.0,
        "units": "1",
        "source": "set by hand",
        "method": "hand",
        "outcome": "an outcome in words",
    }
    return FittedParameter(**{**base, **changes})


def _item(**changes) -> LedgerItem:
    base = {
        "preset": "mouse_4t1",
        "id": "treg_suppression_ratio",
        "value": 5.0,
        "units": "1",
        "source": "calibrated to 5",
    }
    return LedgerItem(**{**base, **changes})


@pytest.mark.parametrize(
    ("source", "claims"),
    [
        ("calibrated: a few pM IFN-γ with ~1% engaged CD8 T cells", True),
        ("fitted by `tmesim calibrate` validation/calibrations/x (seed 1)", True),
        ("[r] chosen so the two-compartment terminal t½ equals the label's 26.2 d", True),
        ("steady state chosen to match t½ 25 d", True),
        ("tuned until rechallenged mice reject", True),
        ("raised so that memory cells reach a rechallenge", True),
        ("Centanni et al. 2019 Clin Pharmacokinet 58:835, Table 2", False),
        ("assumed: NK lifespan ~10 days", False),
    ],
)
def test_vocabulary(source, claims):
    assert claims_calibration(source) is claims


def test_every_calibrated_value_has_a_true_record_entry():
    items = calibrated_values()
    assert items, "the presets carry calibrated values; the scan found none"
    problems = ledger_problems()
    assert not problems, "\n".join(problems)


def test_every_target_a_record_names_is_labelled_calibration():
    record = load_record()
    named = {t for p in record.parameters for t in p.targets}
    assert named
    for t in sorted(named):
        assert record.role(t) == "calibration", t
    for r in shipped_records():
        for t in r.calibration_targets:
            assert record.role(t) == "calibration", t


def test_antibody_half_life_targets_are_not_validation():
    record = load_record()
    for drug in ("atezolizumab", "ipilimumab", "nivolumab", "pembrolizumab"):
        assert record.role(f"antibody_half_life_{drug}") == "calibration"


def test_hand_calibrations_say_so():
    """A hand calibration folder has no config (nothing to rerun) and only hand entries; every
    other folder is a `tmesim calibrate` fit with its config."""
    folders = sorted(p.parent for p in CALIBRATIONS.glob("*/calibration_record.yaml"))
    hand = [f for f in folders if f.name.startswith(HAND_PREFIX)]
    assert hand
    for folder in folders:
        record = load_record(folder / "calibration_record.yaml")
        is_hand = folder.name.startswith(HAND_PREFIX)
        assert (folder / "config.yaml").exists() is not is_hand, folder.name
        for p in record.parameters:
            assert p.method == ("hand" if is_hand else "tmesim_calibrate"), (folder.name, p.id)


def test_literature_values_are_positive_and_in_the_parameters_units():
    record = load_record()
    with_literature = [p for p in record.parameters if p.literature_value is not None]
    assert with_literature
    units = {(i.id, i.preset if i.drug is None else i.drug): i.units for i in calibrated_values()}
    for p in with_literature:
        assert p.literature_value > 0, p.id
        assert p.fold_from_literature is not None
        assert p.literature_source, p.id
        assert p.units in {u for (pid, _), u in units.items() if pid == p.id}, p.id


def test_a_calibrated_value_without_an_entry_fails():
    record = load_record()
    stray = _item(id="nk_kill_rate", value=1.0, units="1/day", source="calibrated: by hand")
    problems = ledger_problems(record, [*calibrated_values(), stray])
    assert any(p.startswith("mouse_4t1.nk_kill_rate") and "no record" in p for p in problems)


def test_a_wrong_value_or_units_in_the_record_fails():
    record = load_record()
    moved = record.model_copy(update={"parameters": [_entry(value=6.0)] + record.parameters})
    problems = ledger_problems(moved, [_item()])
    assert any("shipped value 5" in p for p in problems)
    wrong_units = record.model_copy(update={"parameters": [_entry(units="1/day")]})
    assert any("record in '1/day'" in p for p in ledger_problems(wrong_units, [_item()]))


def test_an_entry_naming_a_validation_target_fails():
    record = load_record()
    validation_target = sorted(record.validation_targets)[0]
    entry = _entry(targets=[validation_target])
    altered = record.model_copy(update={"parameters": [entry]})
    problems = ledger_problems(altered, [_item()])
    assert any(f"target {validation_target} is not labelled calibration" in p for p in problems)


def test_bad_literature_value_and_stale_entries_fail():
    record = load_record()
    entries = [_entry(literature_value=-1.0, literature_source="x"), _entry(id="nk_kill_rate")]
    problems = ledger_problems(record.model_copy(update={"parameters": entries}), [_item()])
    assert any("not positive" in p for p in problems)
    assert any("record entry *.nk_kill_rate: matches no shipped value" in p for p in problems)
    no_outcome = _entry(outcome="")
    problems = ledger_problems(record.model_copy(update={"parameters": [no_outcome]}), [_item()])
    assert any("name the targets it was set to reach" in p for p in problems)


def test_an_entry_for_the_preset_wins_over_a_pattern():
    record = load_record()
    exact = _entry(preset="mouse_4t1", value=7.0)
    altered = record.model_copy(update={"parameters": [_entry(), exact]})
    assert entry_for(_item(), altered) is altered.parameters[1]
    assert entry_for(_item(preset="human_tnbc"), altered) is altered.parameters[0]

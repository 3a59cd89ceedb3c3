"""Calibration: config errors name the field; the loss is a standardized distance; the same config
and seed write the same files."""

from __future__ import annotations

import pytest

from tmesim.errors import ConfigError
from tmesim.validation.acceptance import published_estimate
from tmesim.validation.calibrate import calibrate, config_from_dict, standardized_distance
from tmesim.validation.metrics import MetricValue
from tmesim.validation.record import load_record
from tmesim.validation.targets import load_targets

TARGET = "de_henau_2016_b16gmcsf_checkpoint_cr"
PARAMETER = {"preset": "mouse_b16_gmcsf", "id": "tumor_myeloid_factor", "bounds": [2, 50]}


def test_unknown_parameter_and_target_are_named():
    with pytest.raises(ConfigError, match=r"parameters\[0\]\.id"):
        config_from_dict({"targets": [TARGET], "parameters": [{**PARAMETER, "id": "nope"}]})
    with pytest.raises(ConfigError, match=r"targets\[0\]"):
        config_from_dict({"targets": ["nope"], "parameters": [PARAMETER]})
    with pytest.raises(ConfigError, match="bounds"):
        config_from_dict({"targets": [TARGET], "parameters": [{**PARAMETER, "bounds": [0, 5]}]})
    with pytest.raises(ConfigError, match="methdo"):
        config_from_dict({"targets": [TARGET], "parameters": [PARAMETER], "methdo": "x"})


def test_standardized_distance_uses_the_published_uncertainty():
    # The standard error is that of the interval the acceptance rule uses: Wilson from k of n
    # for a response rate, the published CI for a median.
    for name in ("checkmate067_orr_nivolumab", "checkmate067_median_pfs_nivolumab"):
        ci_target = load_targets([name])[0]
        estimate, (low, high) = published_estimate(ci_target)
        scale = ci_target.scale
        se = (high - low) / 3.92
        at_estimate = standardized_distance(ci_target, MetricValue(estimate / scale, 0, 1, 100))
        one_se_up = standardized_distance(
            ci_target, MetricValue((estimate + se) / scale, 0, 1, 100)
        )
        assert at_estimate == pytest.approx(0.0, abs=1e-9), name
        assert one_se_up == pytest.approx(1.0), name
    assert published_estimate(load_targets(["checkmate067_median_pfs_nivolumab"])[0])[1] == (
        load_targets(["checkmate067_median_pfs_nivolumab"])[0].published.ci
    )
    direction_target = load_targets(["gao_2016_ifngr1_knockdown_escapes_anti_ctla4"])[0]
    big = direction_target.acceptance.min_size / 100 * 2
    assert standardized_distance(direction_target, MetricValue(big, 0, 1, 10)) == 0.0
    assert standardized_distance(direction_target, MetricValue(0.0, 0, 1, 10)) == 1.0


def test_shipped_record_lists_calibration_targets_that_exist():
    record = load_record()
    ids = {t.id for t in load_targets()}
    assert record.calibration_targets and set(record.calibration_targets) <= ids
    assert record.role(sorted(ids - set(record.calibration_targets))[0]) == "validation"


@pytest.mark.slow
def test_same_config_and_seed_give_the_same_files(tmp_path):
    cfg = config_from_dict(
        {
            "targets": [TARGET],
            "parameters": [PARAMETER],
            "seed": 7,
            "n_per_evaluation": 2,
            "iterations": 1,
            "population": 2,
        }
    )
    first = calibrate(cfg, tmp_path / "one")
    second = calibrate(cfg, tmp_path / "two")
    assert first.parameters_file.read_text() == second.parameters_file.read_text()
    assert first.record_file.read_text() == second.record_file.read_text()
    fitted = first.parameters[0]
    assert 2 <= fitted.value <= 50
    assert TARGET in fitted.source and "seed 7" in fitted.source
    assert first.record.calibration_targets == [TARGET]
    assert TARGET not in first.record.validation_targets


def test_presets_ship_the_values_their_calibrations_wrote():
    """Every shipped `tmesim calibrate` fit's value is the value its preset carries, and its
    folder holds the config that produced its record (hand calibrations, which have no config,
    are checked by tests/validation/test_ledger.py)."""
    from tmesim.parameters.presets import get_preset
    from tmesim.validation.calibrate import config_hash, load_config
    from tmesim.validation.record import CALIBRATIONS, HAND_PREFIX, load_record

    folders = sorted(p.parent for p in CALIBRATIONS.glob("*/calibration_record.yaml"))
    fits = [f for f in folders if not f.name.startswith(HAND_PREFIX)]
    assert fits
    for folder in fits:
        record = load_record(folder / "calibration_record.yaml")
        assert all(p.method == "tmesim_calibrate" for p in record.parameters)
        assert record.config_hash == config_hash(load_config(folder / "config.yaml"))
        for p in record.parameters:
            assert get_preset(p.preset)[p.id].value == pytest.approx(p.value, rel=1e-9), (
                f"{p.preset}.{p.id}: rerun `tmesim calibrate {folder / 'config.yaml'}` or ship its value"
            )

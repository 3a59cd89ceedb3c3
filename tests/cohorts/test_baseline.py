"""Growing virtual patients to treatment start: the size, the filters, the cache."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tmesim.cohorts.baseline import (
    BaselineSettings,
    PlausibilityFilter,
    _cache_path,
    grow_to_start,
)
from tmesim.errors import ConfigError
from tmesim.parameters import TreatmentStart, get_preset


def test_patients_start_at_their_own_target_volume(model):
    ps = replace(get_preset("mouse_4t1"), start=TreatmentStart(100.0, 0.0, 60.0))
    b = grow_to_start(ps, model, np.arange(6), seed=1)
    assert b.plausible.all()
    np.testing.assert_allclose(b.table["baseline_volume_mm3"], 100.0, rtol=0.05)
    # Fast growers get there sooner.
    rate = b.table["tumor_growth_rate"].to_numpy()
    days = b.table["pretreatment_days"].to_numpy()
    assert np.corrcoef(rate, days)[0, 1] < -0.5
    k = model.species_index("tumor_clone_0")
    assert np.all(b.Y[:, k] > get_preset("mouse_4t1").initial["tumor_clone_0"])


def test_an_implausible_patient_is_redrawn_from_its_own_streams(model):
    ps = replace(get_preset("mouse_b16f10"), start=TreatmentStart(75.0, 0.2, 60.0))
    plain = grow_to_start(ps, model, np.arange(8), seed=2)
    # Keep only patients whose tumor gets there late: the others are drawn again.
    cut = float(np.median(plain.table["pretreatment_days"]))
    strict = BaselineSettings(filters=(), max_attempts=10)
    late = grow_to_start(
        replace(ps, start=TreatmentStart(75.0, 0.2, cut)), model, np.arange(8), seed=2,
        settings=strict,
    )  # fmt: skip
    kept = late.table["attempts"] == 1
    assert kept.any() and (~kept).any()
    np.testing.assert_array_equal(late.P[kept.to_numpy()], plain.P[kept.to_numpy()])
    assert (late.table.loc[late.plausible, "pretreatment_days"] <= cut + 1e-6).all()


def test_a_filter_on_an_observable_rejects_with_a_reason(model):
    ps = replace(get_preset("mouse_4t1"), start=TreatmentStart(75.0, 0.0, 60.0))
    impossible = BaselineSettings(filters=(PlausibilityFilter("cd8_tumor_density", 1e9),))
    b = grow_to_start(ps, model, np.arange(2), seed=0, variability=False, settings=impossible)
    assert not b.plausible.any()
    assert b.table["implausible_reason"].str.contains("cd8_tumor_density").all()
    assert np.isnan(b.Y).all()


def test_unknown_filter_observable_is_a_config_error(model):
    ps = get_preset("mouse_4t1")
    bad = BaselineSettings(filters=(PlausibilityFilter("cd8_density", 0.0, 1.0),))
    with pytest.raises(ConfigError, match="cd8_tumor_density"):
        grow_to_start(ps, model, np.arange(1), seed=0, settings=bad)


def test_cached_baseline_equals_a_fresh_one(model):
    ps = get_preset("mouse_b16_gmcsf")
    ids = np.arange(3)
    path = _cache_path(ps, model, ids, 5, True, BaselineSettings())
    path.unlink(missing_ok=True)
    first = grow_to_start(ps, model, ids, seed=5)
    assert path.exists()
    again = grow_to_start(ps, model, np.arange(3), seed=5)
    fresh = grow_to_start(ps, model, np.arange(3), seed=5, cache=False)
    for b in (again, fresh):
        np.testing.assert_array_equal(b.Y, first.Y)
        np.testing.assert_array_equal(b.P, first.P)
        assert b.table.equals(first.table)
    other_seed = grow_to_start(ps, model, np.arange(3), seed=6)
    assert not np.array_equal(other_seed.P, first.P)

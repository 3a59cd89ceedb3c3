"""Per-patient CAR-T readouts (persistence loss day, relapse kind) and the relapse-split metric."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tmesim.trials.cell_therapy import cart_readouts
from tmesim.validation.metrics import fraction_value


def test_readouts_mark_persistence_loss_and_relapse_kind() -> None:
    days = np.arange(0.0, 50.0, 10.0)
    cart = np.array([[5, 9, 3, 0, 0], [5, 9, 8, 7, 6], [5, 9, 0, 0, 0], [5, 9, 8, 7, 6]])
    tumor = np.array([[9, 0, 0, 4, 8], [9, 0, 0, 3, 9], [9, 5, 9, 9, 9], [9, 0, 0, 0, 0]])
    cd19 = np.array([[9, 0, 0, 4, 8], [9, 0, 0, 0, 1], [9, 5, 9, 9, 9], [9, 0, 0, 0, 0]])
    best = pd.Series(["CR", "CR", "PD", "CR"])
    progression = np.array([30.0, 30.0, 20.0, np.nan])
    out = cart_readouts(days, cart, tumor, cd19, best, progression)
    np.testing.assert_array_equal(out["cart_loss_day"], [30.0, np.nan, 20.0, np.nan])
    assert list(out["relapse_kind"]) == ["CD19+", "CD19-", None, None]
    # Without CAR-T cells there is nothing to read.
    assert cart_readouts(days, 0 * cart, tumor, cd19, best, progression) == {}


def test_relapse_split_counts_only_relapses_of_known_kind() -> None:
    patients = pd.DataFrame(
        {
            "cohort": "c",
            "arm": "a",
            "relapse_kind": ["CD19-", "CD19-", "CD19+", None, None],
        }
    )
    v = fraction_value(patients, "cd19_negative_relapse_fraction", ("c", "a"))
    assert (v.successes, v.n) == (2, 3)
    assert abs(v.value - 2 / 3) < 1e-12

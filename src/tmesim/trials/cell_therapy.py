"""Per-patient readouts of CAR-T therapy: persistence of the CAR-T cells and the kind of relapse.

Clinically, loss of functional CAR-T persistence is read from B-cell recovery, and a relapse is
CD19-positive (the leukemia returns when CAR-T cells are gone) or CD19-negative (antigen escape
under persisting CAR-T cells); most relapses with ongoing B-cell aplasia are CD19-negative
(Pulsipher 2022 Blood Cancer Discov 3:66: 23 of 25). The model has no normal B-cell compartment,
so persistence is read from the CAR-T cells themselves: the day their last cell is gone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CD19_POSITIVE = "CD19+"
CD19_NEGATIVE = "CD19-"


def cart_loss_days(days: np.ndarray, cart: np.ndarray) -> np.ndarray:
    """Per patient: the first saved day after CAR-T cells were present on which none is left
    (NaN if they persist to the end or were never given).

    Example:
        >>> cart_loss_days(np.arange(4.0), np.array([[0, 5, 0, 0], [0, 5, 3, 1]])).tolist()
        [2.0, nan]
    """
    cart = np.nan_to_num(np.asarray(cart, dtype=float))
    present = cart > 0
    seen = np.maximum.accumulate(present, axis=1)
    gone = seen & ~present
    # Gone for good: no CAR-T cell on this or any later save (a reinfusion starts a new count).
    later = np.flip(np.maximum.accumulate(np.flip(present, axis=1), axis=1), axis=1)
    lost = gone & ~later
    first = np.argmax(lost, axis=1)
    return np.where(lost.any(axis=1), np.asarray(days, dtype=float)[first], np.nan)


def relapse_kinds(
    days: np.ndarray,
    tumor_cells: np.ndarray,
    cd19_cells: np.ndarray,
    remission: np.ndarray,
    relapse_day: np.ndarray,
) -> np.ndarray:
    """Per patient: "CD19+" or "CD19-" by the CAR target on most of the leukemia at relapse
    (patients in remission who relapsed), else None.

    Example:
        >>> d = np.array([0.0, 28.0, 56.0])
        >>> tumor, cd19 = np.array([[9, 0, 5], [9, 0, 5]]), np.array([[9, 0, 4], [9, 0, 1]])
        >>> relapse_kinds(d, tumor, cd19, np.array([True, True]), np.array([56.0, 56.0])).tolist()
        ['CD19+', 'CD19-']
    """
    n = len(remission)
    out = np.full(n, None, dtype=object)
    days = np.asarray(days, dtype=float)
    for i in np.flatnonzero(np.asarray(remission, dtype=bool) & np.isfinite(relapse_day)):
        k = min(int(np.searchsorted(days, relapse_day[i], side="right")) - 1, len(days) - 1)
        total = float(np.nan_to_num(tumor_cells[i, k]))
        if total > 0:
            out[i] = CD19_POSITIVE if cd19_cells[i, k] >= 0.5 * total else CD19_NEGATIVE
    return out


def cart_readouts(
    days: np.ndarray,
    cart: np.ndarray,
    tumor_cells: np.ndarray,
    cd19_cells: np.ndarray,
    best_response: pd.Series | np.ndarray,
    progression_day: np.ndarray,
) -> dict[str, np.ndarray]:
    """The CAR-T columns of a trial's patient table: `cart_loss_day` (day the last CAR-T cell
    is gone, NaN if they persist) and `relapse_kind` (CD19+ / CD19- for complete responders
    who progressed), for patients who received CAR-T cells; empty if nobody did."""
    given = np.nan_to_num(np.asarray(cart, dtype=float)).max(axis=1) > 0
    if not given.any():
        return {}
    remission = np.asarray(pd.Series(best_response).isin(["CR", "iCR"]), dtype=bool)
    kinds = relapse_kinds(
        days, tumor_cells, cd19_cells, remission & given, np.asarray(progression_day, dtype=float)
    )
    return {"cart_loss_day": cart_loss_days(days, cart), "relapse_kind": kinds}

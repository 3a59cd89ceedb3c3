"""From simulated lesions to what a study measures: diameters, endpoint times, visits, death.

Geometry: a lesion is a sphere. Its measured longest diameter is d = (6 V / π)^(1/3) of the simulated
lesion volume V (tumor cells, infiltrate and the non-viable mass that dead tumor cells leave, as
calipers and CT see it: an inflamed lesion can swell before it shrinks, and a lesion whose tumor
cells are all dead still measures until its necrosis and scar are resorbed, so that it reads as a
partial response for a while). A lesion whose diameter is below the imaging detection limit has
disappeared (recorded as 0 mm, as RECIST records a vanished target lesion); one that is seen but
smaller than 5 mm is recorded as 5 mm, RECIST's "too small to measure" (Eisenhauer 2009, §"lesions
that become too small to measure": 0 mm when the radiologist believes the lesion has disappeared,
a 5 mm default when it is faintly seen).

Lymph nodes (metastatic setting): a nodal target lesion is measured by its short axis, that of a
sphere of the simulated volume plus the normal node's own volume (`measured_node_mm`): a node never
disappears, it returns to its normal size, and under 10 mm it counts as normal (RECIST 1.1).

Death (clinical trials): a patient dies when the total tumor burden — the living part (tumor cells
and infiltrate, not the necrosis and scar) of the simulated target lesions times `non_target_factor`
(the non-target and unmeasured disease, held in proportion) — reaches the lethal burden, or earlier
from background mortality (exponential, from the patient's own stream).
This ties OS to the simulated disease course rather than to a separate survival model.

Several lesions (metastatic setting): each target lesion is simulated as its own tumor site with its
patient's parameters (and its own local myeloid level and size); lesions do not share one systemic
immune pool, so priming by one lesion does not help another — a simplification to lift when the
model gains several tumor sites.

New lesions (metastatic setting): new detectable lesions appear as a Poisson process whose rate is
`new_lesion_rate_per_year` at the baseline burden and scales with the current burden (more disease
seeds more lesions). A new lesion is measured at 10 mm when it appears and then follows the patient's
overall burden (diameter ∝ burden^(1/3)).

Example:
    >>> round(float(sphere_diameter_mm(np.array(523.6))), 2)
    10.0
"""

from __future__ import annotations

import math

import numpy as np

NEW_LESION_DIAMETER_MM = 10.0


def sphere_diameter_mm(volume_mm3: np.ndarray) -> np.ndarray:
    """Diameter (mm) of a sphere of the given volume (mm³)."""
    return np.cbrt(6.0 * np.maximum(volume_mm3, 0.0) / math.pi)


def measured_diameters_mm(
    volume_mm3: np.ndarray, detection_limit_mm: float, too_small_mm: float = 5.0
) -> np.ndarray:
    """Lesion diameters as a radiologist records them under RECIST 1.1: a lesion below the
    imaging detection limit has disappeared (0 mm); one that is seen but smaller than
    `too_small_mm` is "too small to measure" and recorded as 5 mm (Eisenhauer 2009, EJC 45:228).

    Example:
        >>> measured_diameters_mm(np.array([1.0, 30.0, 523.6]), 3.0).round(1).tolist()
        [0.0, 5.0, 10.0]
    """
    d = sphere_diameter_mm(volume_mm3)
    shown = np.where(d >= too_small_mm, d, too_small_mm)
    return np.where(d >= detection_limit_mm, shown, 0.0)


def measured_node_mm(volume_mm3: np.ndarray, normal_node_mm: float) -> np.ndarray:
    """Short axis (mm) of a nodal lesion as RECIST 1.1 records it: the node is its metastasis
    (volume `volume_mm3`) plus the normal node of short axis `normal_node_mm`, both as spheres;
    a node stays visible, so there is no detection limit.

    Example:
        >>> measured_node_mm(np.array([0.0, 4188.8]), 6.0).round(1).tolist()
        [6.0, 20.2]
    """
    normal = math.pi / 6.0 * normal_node_mm**3
    return sphere_diameter_mm(np.maximum(volume_mm3, 0.0) + normal)


def first_crossing_day(days: np.ndarray, values: np.ndarray, threshold: float) -> np.ndarray:
    """Per row of `values` (n, n_days): the first day the value reaches `threshold`, interpolated
    linearly between saved days; NaN where it never does (or the row is NaN before it).

    Example:
        >>> first_crossing_day(np.array([0., 1., 2.]), np.array([[1., 3., 5.], [1., 1., 1.]]), 4.0)
        array([1.5, nan])
    """
    values = np.asarray(values, dtype=float)
    out = np.full(values.shape[0], np.nan)
    above = values >= threshold
    hit = above.any(axis=1)
    first = np.argmax(above, axis=1)
    for i in np.flatnonzero(hit):
        m = first[i]
        if m == 0:
            out[i] = days[0]
            continue
        v0, v1 = values[i, m - 1], values[i, m]
        frac = (threshold - v0) / (v1 - v0) if v1 > v0 else 1.0
        out[i] = days[m - 1] + frac * (days[m] - days[m - 1])
    return out


def tumor_free_at_end(
    days: np.ndarray,
    tumor_cells: np.ndarray,
    cell_density: np.ndarray,
    palpable_mm3: float,
    window_days: float = 7.0,
) -> np.ndarray:
    """Tumor-free at the end of follow-up, as a mouse study scores it: no palpable tumor (tumor-
    cell volume below `palpable_mm3`) at any saved day of the last `window_days`. Residual disease
    below palpability counts as tumor-free, as it does under calipers; the per-patient table
    keeps the final number of tumor cells for who wants eradication instead. The lesion's
    non-viable mass (necrosis, scar) is not tumor: it stays in the measured volume (growth
    curves, humane endpoint) but does not keep a mouse from being tumor-free. Rows are mice.

    Example:
        >>> d = np.arange(15.0)
        >>> cells = np.array([np.zeros(15), np.geomspace(1e5, 1e3, 15), np.geomspace(1e3, 1e6, 15)])
        >>> tumor_free_at_end(d, cells, np.full(3, 1e5), 5.0).tolist()
        [True, True, False]
    """
    cells = np.asarray(tumor_cells, dtype=float)
    k = min(int(np.searchsorted(days, days[-1] - window_days, side="left")), cells.shape[1] - 1)
    recent = cells[:, k:] / np.asarray(cell_density, dtype=float)[:, None]
    return np.all(np.isfinite(recent), axis=1) & np.all(recent < palpable_mm3, axis=1)


def time_to_event(
    event_day: np.ndarray, censor_day: float | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(time, event) from event days (NaN = no event) and the censoring day.

    Example:
        >>> time_to_event(np.array([3.0, np.nan]), 10.0)
        (array([ 3., 10.]), array([ True, False]))
    """
    event = np.isfinite(event_day)
    censor = np.broadcast_to(np.asarray(censor_day, dtype=float), event_day.shape)
    return np.where(event, event_day, censor), event


def death_days(
    days: np.ndarray,
    total_burden_mm3: np.ndarray,
    lethal_burden_mm3: float,
    background_days: np.ndarray,
) -> np.ndarray:
    """Day of death per patient: the lethal burden is reached, or background death, whichever is
    first; NaN if neither happens within the simulated days."""
    lethal = first_crossing_day(days, total_burden_mm3, lethal_burden_mm3)
    return np.fmin(lethal, np.where(background_days <= days[-1], background_days, np.nan))


def new_lesion_days(
    days: np.ndarray,
    burden_ratio: np.ndarray,
    rate_per_day: float,
    thresholds: np.ndarray,
) -> np.ndarray:
    """Days at which new lesions appear (NaN if not within `days`): the cumulative hazard
    ∫ rate · burden_ratio dt first exceeds each patient's thresholds (cumulative sums of unit
    exponentials, shape (n, k): the k first events of a Poisson process).

    Example:
        >>> new_lesion_days(np.array([0., 10.]), np.ones((1, 2)), 0.1, np.array([[0.5, 2.0]]))
        array([[ 5., nan]])
    """
    ratio = np.nan_to_num(burden_ratio, nan=0.0)
    steps = np.diff(days)
    increments = 0.5 * (ratio[:, 1:] + ratio[:, :-1]) * steps * rate_per_day
    hazard = np.concatenate([np.zeros((ratio.shape[0], 1)), np.cumsum(increments, axis=1)], axis=1)
    out = np.full(thresholds.shape, np.nan)
    for i in range(thresholds.shape[0]):
        for k in range(thresholds.shape[1]):
            out[i, k] = first_crossing_day(days, hazard[i : i + 1], thresholds[i, k])[0]
    return out

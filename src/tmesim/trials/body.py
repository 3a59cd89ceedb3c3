"""Per-patient body size: weight and height drawn per cohort, and the doses they give.

A cohort's `body_size` (`config.trial.BodySize`) names a population or gives its values. Each
enrollment candidate draws its sex, height (normal) and weight (log-normal, correlated with
height within a sex) from its own stream (`Stream.BODY`, with its screening index), so the same
patient has the same body in every arm and whatever the chunking. Doses per kg are multiplied by
the patient's weight and doses per m² by its body surface area (Mosteller); the drugs' PK values
stay those of the catalog's reference adult (no allometric scaling of clearance or volume).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tmesim.cohorts.population import Stream, patient_rng
from tmesim.config.trial import BodySize
from tmesim.errors import ConfigError
from tmesim.simulation import Simulation
from tmesim.solvers import DoseSchedule
from tmesim.therapies.dosing import Subject, dose_events

_CDC = (
    "[r] CDC NHANES 2015–2018 adults ≥ 20 y (Fryar 2021 Vital Health Stat 3(46), Tables 4, 6, "
    "10, 12): mean height 175.4 cm (men) and 161.7 cm (women), mean weight 90.6 and 77.5 kg; "
    "sds recalled (height ~7.6 / 7.1 cm, weight ~21% / 25% on the log scale), medians = means "
    "/ exp(sd²/2); correlation of height and log weight within a sex ~0.45, recalled"
)

POPULATIONS: dict[str, dict[str, Any]] = {
    "adult": {
        "male_fraction": 0.5,
        "height_cm_male": (175.4, 7.6),
        "height_cm_female": (161.7, 7.1),
        "weight_kg_male": (88.6, 0.21),
        "weight_kg_female": (75.1, 0.25),
        "height_weight_correlation": 0.45,
        "source": f"{_CDC}; assumed: half men",
    },
}
POPULATIONS["adult_melanoma"] = {
    **POPULATIONS["adult"],
    "male_fraction": 0.65,
    "source": f"{_CDC}; [r] about 65% men in advanced-melanoma trials (Larkin 2015 NEJM "
    "373:23 Table 1, 64–69% per arm)",
}
"""Named body-size populations: values and their sources (the melanoma trials' differs from the
general adult population only in its share of men)."""

HEIGHT_RANGE_CM = (130.0, 210.0)
WEIGHT_RANGE_KG = (35.0, 200.0)
"""Drawn heights and weights are clipped to these adult ranges (assumed: trial populations of
adults; the tails of a normal or log-normal draw beyond them are not enrolled patients)."""

BODY_COLUMNS = ("sex", "body_weight_kg", "height_cm", "body_surface_m2")
"""Columns a drawn body adds to the per-patient table (kg, cm, m²)."""

_KEYS = (
    "male_fraction",
    "height_cm_male",
    "height_cm_female",
    "weight_kg_male",
    "weight_kg_female",
    "height_weight_correlation",
)


def resolved_body_size(spec: BodySize) -> dict[str, Any]:
    """Every value of `spec`, the keys it leaves out taken from its named population.

    Example:
        >>> resolved_body_size(BodySize(population="adult", male_fraction=1.0))["male_fraction"]
        1.0
    """
    base = dict(POPULATIONS[spec.population]) if spec.population else {}
    given = {k: getattr(spec, k) for k in _KEYS if getattr(spec, k) is not None}
    out = {**base, **given}
    missing = [k for k in _KEYS if k not in out]
    if missing:
        raise ConfigError(
            f"body_size.{missing[0]}",
            None,
            "give it, or name a population (body_size: adult or adult_melanoma) to fill it",
            choices=list(POPULATIONS),
        )
    for sex in ("male", "female"):
        mean, sd = out[f"height_cm_{sex}"]
        if not (HEIGHT_RANGE_CM[0] <= mean <= HEIGHT_RANGE_CM[1] and 0 <= sd <= 30):
            raise ConfigError(
                f"body_size.height_cm_{sex}",
                [mean, sd],
                f"give [mean, sd] in cm, the mean within {HEIGHT_RANGE_CM} and the sd 0–30",
            )
        median, log_sd = out[f"weight_kg_{sex}"]
        if not (WEIGHT_RANGE_KG[0] <= median <= WEIGHT_RANGE_KG[1] and 0 <= log_sd <= 1):
            raise ConfigError(
                f"body_size.weight_kg_{sex}",
                [median, log_sd],
                f"give [median in kg, sd of log weight], the median within {WEIGHT_RANGE_KG} "
                "and the sd 0–1 (e.g. [80, 0.2])",
            )
    given_source = spec.source or ""
    out["source"] = "; ".join(s for s in (base.get("source", ""), given_source) if s)
    return out


def draw_bodies(
    spec: BodySize, seed: int, ids: np.ndarray, screenings: np.ndarray | int = 0
) -> pd.DataFrame:
    """Sex, weight (kg), height (cm) and body surface area (m², Mosteller) of each candidate.

    Example:
        >>> b = draw_bodies(BodySize(population="adult"), 1, np.arange(3))
        >>> list(b.columns), bool(b["body_weight_kg"].between(35, 200).all())
        (['sex', 'body_weight_kg', 'height_cm', 'body_surface_m2'], True)
    """
    v = resolved_body_size(spec)
    k = np.broadcast_to(np.asarray(screenings, dtype=np.int64), np.shape(ids))
    draws = np.array(
        [
            patient_rng(seed, int(i), Stream.BODY, 0, int(r)).random(3)
            for i, r in zip(ids, k, strict=True)
        ]
    ).reshape(len(ids), 3)
    from scipy.stats import norm

    male = draws[:, 0] < v["male_fraction"]
    z_h, z_w = norm.ppf(draws[:, 1]), norm.ppf(draws[:, 2])
    rho = v["height_weight_correlation"]
    height = np.empty(len(ids))
    weight = np.empty(len(ids))
    for sex, rows in (("male", male), ("female", ~male)):
        mean, sd = v[f"height_cm_{sex}"]
        median, log_sd = v[f"weight_kg_{sex}"]
        height[rows] = mean + sd * z_h[rows]
        weight[rows] = median * np.exp(log_sd * (rho * z_h[rows] + np.sqrt(1 - rho**2) * z_w[rows]))
    height = np.clip(height, *HEIGHT_RANGE_CM)
    weight = np.clip(weight, *WEIGHT_RANGE_KG)
    return pd.DataFrame(
        {
            "sex": np.where(male, "male", "female").astype(object),
            "body_weight_kg": weight,
            "height_cm": height,
            "body_surface_m2": np.sqrt(height * weight / 3600.0),  # Mosteller
        }
    )


def patient_doses(
    sim: Simulation, weight_kg: np.ndarray, height_cm: np.ndarray, until_day: float | None
) -> DoseSchedule:
    """The regimen of `sim` in model units for each patient's own weight and height (a patient
    with NaN weight gets the reference adult's doses)."""
    rows = []
    regimen = sim.regimen_
    for w, h in zip(np.asarray(weight_kg, float), np.asarray(height_cm, float), strict=True):
        subject = (
            sim.subject
            if not (np.isfinite(w) and np.isfinite(h))
            else Subject(species=sim.subject.species, body_weight_kg=w, height_cm=h)
        )
        events = dose_events(regimen, subject, until_day=until_day)
        rows.append(
            (
                [e.time_day for e in events],
                [sim.model.species_index(e.state_id) for e in events],
                [e.amount for e in events],
            )
        )
    return DoseSchedule.from_lists(rows)


def dose_schedule(
    sim: Simulation, table: pd.DataFrame | None, n: int, until_day: float | None
) -> DoseSchedule:
    """Per-patient doses when `table` holds drawn bodies, else the reference adult's for all."""
    if table is None or "body_weight_kg" not in table:
        return sim.dose_schedule(n, until_day=until_day)
    return patient_doses(
        sim,
        table["body_weight_kg"].to_numpy(dtype=float),
        table["height_cm"].to_numpy(dtype=float),
        until_day,
    )

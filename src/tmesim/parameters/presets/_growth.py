"""Gompertzian growth of human carcinomas, shared by the human solid-tumor presets.

Human carcinomas double in volume every ~100–250 days at diagnosis and grow faster when small
(Gompertzian growth: Laird 1964; Norton 1988 Cancer Res; Benzekry 2014 PLoS Comput Biol). With the
model's Gompertz law, proliferation is r·ln(K/N) and cells are lost at a constant rate d, so a
lesion's net growth slows as it grows and levels off at K·exp(−d/r). A small lesion that grows
fast outruns the first T-cell response, as diagnosed tumors have; a logistic tumor with a 100–200
day doubling from ~1e6 cells is held dormant by the model's immune pressure instead.
"""

from __future__ import annotations

import math

from tmesim.parameters.library import assumed, calibrated
from tmesim.parameters.parameter_set import Parameter, Prior

GOMPERTZ_CAPACITY = 1e12
"""Gompertz asymptote K: ~1e12 cells (~1 kg), the lethal tumor burden."""

COLORECTAL_VDT = (
    "Bolin 1983 (colorectal carcinoma, median volume doubling 130 d, 53–1,570 d); "
    "Burke 2020 BJS Open (untreated colorectal cancer, median 211 d, IQR 112–404 d)"
)
"""Volume doubling times of untreated colorectal carcinoma, which the dMMR and pMMR presets share."""


def gompertz_growth(
    rate: float,
    death: float,
    doubling: str,
    *,
    rate_cv: float = 0.1,
    rate_calibration: str | None = None,
) -> tuple[Parameter, ...]:
    """Growth law, Gompertz rate r, cell-loss rate d and asymptote K of a human carcinoma preset.

    `doubling` cites the volume doubling times the pair (r, d) was calibrated to;
    `rate_calibration`, when r was fitted by `tmesim calibrate` instead, says to what and how.

    Example:
        >>> law, capacity, *_ = gompertz_growth(0.003, 0.0135, "Henschke 2012")
        >>> (law.id, law.value), (capacity.id, capacity.value)
        (('tumor_growth_gompertz', 1.0), ('tumor_carrying_capacity', 1000000000000.0))
    """
    at_1e6 = rate * math.log(GOMPERTZ_CAPACITY / 1e6)
    at_1e9 = rate * math.log(GOMPERTZ_CAPACITY / 1e9)
    plateau_mm3 = GOMPERTZ_CAPACITY * math.exp(-death / rate) / 1e5
    return (
        Parameter(
            "tumor_growth_gompertz",
            1.0,
            "1",
            "Gompertzian growth of human tumors (Laird 1964; Norton 1988 Cancer Res; Benzekry 2014 PLoS Comput Biol)",
        ),
        Parameter(
            "tumor_carrying_capacity",
            GOMPERTZ_CAPACITY,
            "cell",
            assumed(
                f"Gompertz asymptote ~1e12 cells (~1 kg, the lethal burden); with the cell-loss rate a lesion levels off near {plateau_mm3 / 1e3:.0f} cm³"
            ),
        ),
        Parameter(
            "tumor_growth_rate",
            rate,
            "1/day",
            calibrated(
                f"Gompertz rate: proliferation r·ln(K/N) = {at_1e6:.3f}/day at 1e6 cells, {at_1e9:.3f}/day at 1e9 cells (10 cm³); "
                + (rate_calibration or doubling)
            ),
            Prior("lognormal", rate_cv),
        ),
        Parameter(
            "tumor_death_rate",
            death,
            "1/day",
            calibrated(
                f"cell loss {death / at_1e9:.0%} of proliferation at 10 cm³ (cell-loss factor ~0.7 in carcinomas, Steel 1977 [r]); volume doubling near treatment start as in {doubling}"
            ),
        ),
    )


MOUSE_GOMPERTZ_CAPACITY = 1e9
"""Gompertz asymptote of a transplanted mouse tumor: ~1e9 cells (~10 cm³), beyond any endpoint."""


def mouse_gompertz_growth(
    rate: float, timeline: str, *, rate_cv: float = 0.15
) -> tuple[Parameter, ...]:
    """Gompertzian growth of a transplanted mouse tumor: fast from the inoculum, slower when
    established (the classic shape of mouse tumor growth curves, Laird 1964).

    `timeline` cites the untreated growth (days to ~75 and ~1,500 mm³) the rate was calibrated to.

    Example:
        >>> capacity = mouse_gompertz_growth(0.1, "4T1")[1]
        >>> capacity.id, capacity.value
        ('tumor_carrying_capacity', 1000000000.0)
    """
    at_1mm3 = rate * math.log(MOUSE_GOMPERTZ_CAPACITY / 1e5)
    at_1000 = rate * math.log(MOUSE_GOMPERTZ_CAPACITY / 1e8)
    return (
        Parameter(
            "tumor_growth_gompertz",
            1.0,
            "1",
            "Gompertzian growth of transplanted tumors (Laird 1964 Br J Cancer; Benzekry 2014 PLoS Comput Biol)",
        ),
        Parameter(
            "tumor_carrying_capacity",
            MOUSE_GOMPERTZ_CAPACITY,
            "cell",
            assumed("Gompertz asymptote ~1e9 cells (~10 cm³), above the humane endpoint"),
        ),
        Parameter(
            "tumor_growth_rate",
            rate,
            "1/day",
            calibrated(
                f"Gompertz rate: proliferation r·ln(K/N) = {at_1mm3:.2f}/day at 1 mm³, {at_1000:.2f}/day at 1,000 mm³; untreated timeline {timeline}"
            ),
            Prior("lognormal", rate_cv),
        ),
    )

"""Every preset passes the standard harness: complete, sourced, in valid units, solvable, finite,
non-negative, deterministic; its overrides are sourced, its correlations valid, and its nominal
patient grows untreated to the treatment-start size at published speeds."""

from __future__ import annotations

import functools
import importlib
import math
import re
from dataclasses import replace

import numpy as np
import pytest

from tmesim.errors import ConfigError
from tmesim.parameters import ParameterSet, PresetInfo, get_preset, list_presets
from tmesim.parameters.presets._assemble import assemble
from tmesim.parameters.units import convert
from tmesim.simulation import Simulation, SimulationResult

PRESETS = [p.name for p in list_presets()]


@pytest.mark.parametrize("name", PRESETS)
def test_preset_is_complete_and_every_value_has_units_and_a_source(model, name):
    ps = get_preset(name)
    ps.check(model)
    for p in ps:
        # A paper (year) or label, a value still to check ([r]), a stated assumption or a
        # calibration target; mechanism switches are the model's own.
        cited = re.search(r"\b(19|20)\d\d\b|label|\[r\]|assumed:|calibrated:", p.source)
        assert cited or p.id.startswith("mechanism_"), (p.id, p.source)
        assert np.isfinite(p.value) and p.value >= 0, p.id
        convert(1.0, p.units, p.units, field=p.id)  # units parse
        if p.id.startswith("mechanism_"):
            assert p.value in (0.0, 1.0)


@pytest.mark.parametrize("name", PRESETS)
def test_preset_solves_finite_non_negative_and_deterministic(model, name):
    sim = Simulation(name)
    a = sim.solve(days=60, n_patients=4, variability=True, seed=11)
    b = sim.solve(days=60, n_patients=4, variability=True, seed=11)
    assert (a.status == 0).all()
    assert np.isfinite(a.observables).all()
    assert (a.observables >= 0).all()
    assert (a.y_final >= 0).all()
    np.testing.assert_array_equal(a.observables, b.observables)


@pytest.mark.parametrize("name", PRESETS)
def test_priors_give_positive_bounded_values(model, name):
    ps = get_preset(name)
    z = np.linspace(-4, 4, 41)
    for p in ps.varied():
        v = p.prior.sample(p.value, z)
        assert (v > 0).all() and np.isfinite(v).all(), p.id
        if p.prior.kind == "logitnormal":
            assert (v < 1).all()
        assert np.all(np.diff(v) >= 0), "samples must increase with z (monotone transform)"


def test_unknown_preset_suggests_the_nearest():
    with pytest.raises(ConfigError, match="did you mean 'mouse_4t1'"):
        get_preset("mouse_4t")


def test_overrides_with_units_are_converted_once():
    ps = get_preset("mouse_4t1").updated(
        {"tumor_growth_rate": "0.02 1/hour", "tumor_site_volume": "0.002 cm^3"}
    )
    assert ps["tumor_growth_rate"].value == pytest.approx(0.48)
    assert ps["tumor_site_volume"].value == pytest.approx(2.0)
    assert ps["tumor_growth_rate"].source == "user override"


@pytest.mark.parametrize(
    "override, message",
    [
        ({"tumor_growth_rat": 0.3}, "did you mean 'tumor_growth_rate'"),
        ({"tumor_growth_rate": "0.3 mg"}, "compatible with '1/day'"),
        ({"tumor_growth_rate": "fast"}, "give a number"),
        ({"tumor_growth_rate": -1.0}, "non-negative"),
    ],
)
def test_bad_overrides_name_the_field_and_the_fix(override, message):
    with pytest.raises(ConfigError, match=message):
        get_preset("mouse_4t1").updated(override)


# --- treatment start, correlations and untreated growth ----------------------------------------------

HUMAN_DOUBLING_DAYS: dict[str, tuple[float, float, str]] = {
    "human_melanoma": (
        20.0,
        120.0,
        "Carlson 2003 Am J Dermatopathol (metastases: median 33 d, 8–212 d); Ollila 1998 J Surg Oncol",
    ),
    "human_nsclc": (
        60.0,
        260.0,
        "Henschke 2012 Radiology (median 98 d); Mackintosh 2014 Respirology (median 191 d)",
    ),
    "human_urothelial": (60.0, 260.0, "as other carcinomas (no urothelial volumetric series)"),
    "human_crc_dmmr": (
        100.0,
        400.0,
        "Bolin 1983 (median 130 d); Burke 2020 BJS Open (211 d, IQR 112–404)",
    ),
    "human_crc_pmmr": (
        30.0,
        400.0,
        "treatment-refractory metastases, faster than untreated primaries (Bolin 1983: 53–1,570 d): "
        "growth calibrated to the CORRECT placebo arm (validation/calibrations/refractory_crc_growth)",
    ),
    "human_tnbc": (60.0, 150.0, "Ryu 2014 Eur Radiol (triple-negative: 103 ± 43 d)"),
    "human_prostate": (
        90.0,
        600.0,
        "castration-resistant disease: PSA doubling ≤ 10 months is high risk (SPARTAN, PROSPER)",
    ),
    "human_b_all": (5.0, 20.0, "Br J Haematol 1997;98:999 (net expansion 6.9%/day: ~10 d)"),
    "human_rcc": (
        80.0,
        400.0,
        "Stein 2012 Clin Cancer Res 18:2374 (growth rate constant under IFN-α: ~150 d volume)",
    ),
    "human_dlbcl": (10.0, 60.0, "aggressive lymphoma: nodes double in weeks"),
}
SPONTANEOUS = {"mouse_mmtv_pymt"}


@functools.cache
def untreated(name: str) -> tuple[ParameterSet, np.ndarray, SimulationResult]:
    """The nominal patient grown untreated from the preset's initial state for `start.max_days`."""
    ps = replace(get_preset(name), pretreatment_days=0.0)
    result = Simulation(ps).solve(days=ps.start.max_days, save_every=1.0)
    return ps, result.observable("tumor_volume")[0], result


def first_day(t: np.ndarray, v: np.ndarray, volume: float) -> float:
    """First saved day on which the volume reaches `volume` (inf if never)."""
    hit = np.flatnonzero(v >= volume)
    return float(t[hit[0]]) if hit.size else math.inf


def test_every_preset_module_documents_itself():
    for info in list_presets():
        module = importlib.import_module(f"tmesim.parameters.presets.{info.name}")
        assert (module.__doc__ or "").strip(), info.name
        ps = get_preset(info.name)
        assert ps.name == info.name and ps.species == info.species
        assert info.description and info.sources


@pytest.mark.parametrize("name", PRESETS)
def test_overrides_carry_a_source_and_the_library_units(name):
    ps = get_preset(name)
    library = assemble(PresetInfo(name, ps.species, "library values", ""), [], {})
    changed = [p for p in ps if p != library[p.id]]
    assert changed, "a preset must say what distinguishes it"
    for p in changed:
        assert p.source.strip() and p.source != library[p.id].source, p.id
        assert p.units == library[p.id].units, p.id


@pytest.mark.parametrize("name", PRESETS)
def test_correlations_tie_varied_parameters_in_a_positive_definite_matrix(name):
    ps = get_preset(name)
    ids = sorted(p.id for p in ps.varied())
    for (a, b), r in ps.correlations.items():
        assert a in ids and b in ids and a != b, (a, b)
        assert -1.0 < r < 1.0
    R = ps.correlation_matrix(ids)
    assert np.linalg.eigvalsh(R)[0] > 0.0


@pytest.mark.parametrize("name", PRESETS)
def test_treatment_start_rule_fits_the_species(name):
    ps = get_preset(name)
    start = ps.start
    assert start.volume_mm3 is not None
    if ps.species == "mouse":
        assert 30.0 <= start.volume_mm3 <= 250.0
        assert 0.0 < start.volume_log_sd <= 0.3
        assert start.max_days <= 150.0
    else:
        assert 0.3 <= start.volume_log_sd <= 1.0
        assert 365.0 <= start.max_days <= 3650.0


@pytest.mark.parametrize("name", PRESETS)
def test_untreated_nominal_patient_reaches_the_start_volume(name):
    ps, v, result = untreated(name)
    assert result.status[0] == 0, result.patients["message"].iloc[0]
    assert np.isfinite(result.observables).all() and (result.observables >= 0).all()
    day = first_day(result.t, v, ps.start.volume_mm3)
    assert day <= ps.start.max_days, f"start volume not reached in {ps.start.max_days} days"
    if ps.pretreatment_days > 0:  # a single-patient run starts treatment near the start volume
        at_start = float(np.interp(ps.pretreatment_days, result.t, v))
        assert ps.start.volume_mm3 / 1.5 <= at_start <= ps.start.volume_mm3 * 1.5


@pytest.mark.parametrize(
    "name", [n for n in PRESETS if n.startswith("mouse_") and n not in SPONTANEOUS]
)
def test_transplanted_mouse_tumors_reach_humane_endpoint_sizes_in_weeks(name):
    # LITERATURE.md §3: untreated syngeneic tumors reach ~1,500–2,000 mm³ by day 18–25.
    ps, v, result = untreated(name)
    assert 14.0 <= first_day(result.t, v, 1000.0) <= 45.0
    assert first_day(result.t, v, 2000.0) <= 45.0


def test_mmtv_pymt_is_palpable_within_weeks_and_grows_large_within_months():
    # LITERATURE.md §3: palpable at ~5–7 weeks of age, multifocal by 12–14 weeks (day 0 ≈ 4 weeks).
    ps, v, result = untreated("mouse_mmtv_pymt")
    assert 28.0 <= first_day(result.t, v, ps.start.volume_mm3) <= 90.0
    assert first_day(result.t, v, 1000.0) <= ps.start.max_days


def test_human_doubling_times_are_listed_for_every_human_preset():
    assert set(HUMAN_DOUBLING_DAYS) == {n for n in PRESETS if n.startswith("human_")}


@pytest.mark.parametrize("name", sorted(HUMAN_DOUBLING_DAYS))
def test_human_volume_doubling_time_at_treatment_start_is_in_the_published_range(name):
    low, high, source = HUMAN_DOUBLING_DAYS[name]
    ps, v, result = untreated(name)
    target = ps.start.volume_mm3
    doubling = first_day(result.t, v, target * math.sqrt(2)) - first_day(
        result.t, v, target / math.sqrt(2)
    )
    assert low <= doubling <= high, f"{doubling:.0f} d outside {low}–{high} d ({source})"


def test_b_all_carries_a_rare_cd19_negative_escape_clone():
    ps, v, result = untreated("human_b_all")
    assert ps["clone_0_cd19"].value == 1.0 and ps["clone_1_cd19"].value == 0.0
    k = int(first_day(result.t, v, ps.start.volume_mm3))
    fraction = float(result.observable("clone_1_fraction")[0, k])
    assert 0.0 < fraction < 1e-4


def test_dlbcl_carries_the_library_car_t_kinetics_and_a_cd19_negative_escape_clone():
    dlbcl, reference = get_preset("human_dlbcl"), get_preset("human_melanoma")
    for pid in ("cart_expansion_rate", "cart_contraction_rate", "cart_memory_death_rate"):
        assert dlbcl.parameters[pid].value == reference.parameters[pid].value, pid
    assert dlbcl.parameters["clone_0_cd19"].value == 1.0
    assert dlbcl.parameters["clone_1_cd19"].value == 0.0


def test_axicabtagene_ciloleucel_declines_to_near_baseline_by_three_months():
    # Yescarta label (12.3): blood CAR-T levels decline to near baseline by 3 months.
    result = Simulation("human_dlbcl", regimen="axicabtagene ciloleucel 2e6 cells/kg once").solve(
        days=120, save_every=1.0
    )
    cart = result.observable("cart_cells")[0]
    assert cart.max() > 5 * cart[0]  # it expanded
    assert cart[90] < 0.01 * cart.max()

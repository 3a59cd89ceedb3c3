"""The drug catalog: completeness, lookup, and agreement with published pharmacokinetics."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from tmesim.errors import ConfigError
from tmesim.model import build_model
from tmesim.therapies import (
    ANTIBODY_CLASSES,
    CATALOG,
    INPUT_STATES,
    PK_PARAMETERS,
    TARGET_CLASSES,
    get_drug,
    list_drugs,
)
from tmesim.therapies.drugs import Drug, _build_index


def terminal_half_life_days(cl: float, vc: float, vp: float, q: float) -> float:
    """β-phase half-life of a linear two-compartment model, from the rate matrix's eigenvalues."""
    k10, k12, k21 = cl / vc, q / vc, q / vp
    rates = np.array([[-(k10 + k12), k21], [k12, -k21]])
    slowest = max(np.linalg.eigvals(rates).real)  # both negative; the terminal phase is the slowest
    return math.log(2) / -slowest


def antibody_pk(drug_id: str, species: str) -> tuple[float, float, float, float]:
    d = get_drug(drug_id)
    p, tc = d.pk[species], d.target_class
    return (
        p[f"{tc}_clearance"].value,
        p[f"{tc}_central_volume"].value,
        p[f"{tc}_peripheral_volume"].value,
        p[f"{tc}_intercompartmental_clearance"].value,
    )


def test_input_states_and_pk_parameters_match_the_model():
    model = build_model()
    species_units = {sp.id: sp.units for sp in model.species}
    parameter_units = {p.id: p.units for p in model.parameters}
    assert set(TARGET_CLASSES) == set(INPUT_STATES) == set(PK_PARAMETERS)
    for state in INPUT_STATES.values():
        assert species_units[state.state_id] == state.unit, state.state_id
    for params in PK_PARAMETERS.values():
        for pid, units in params.items():
            assert parameter_units[pid] == units, pid


def test_every_target_class_has_a_drug_for_humans_and_for_mice():
    for tc in TARGET_CLASSES:
        if tc == "il2" or tc == "ifna":
            continue  # recombinant human cytokines; mouse studies are out of scope for now
        assert list_drugs(species="human", target_class=tc), tc
        assert list_drugs(species="mouse", target_class=tc), tc


@pytest.mark.parametrize("drug_id", sorted(CATALOG))
def test_pk_has_every_model_parameter_with_units_and_a_source(drug_id):
    drug = CATALOG[drug_id]
    species = ("human", "mouse") if drug.species == "both" else (drug.species,)
    assert set(drug.pk) == set(species), "PK for exactly the species the drug is for"
    expected = PK_PARAMETERS[drug.target_class]
    for sp in species:
        assert set(drug.pk[sp]) == set(expected)
        for pid, pv in drug.pk[sp].items():
            assert pv.units == expected[pid]
            assert math.isfinite(pv.value) and pv.value > 0, pid
            # Every number says where it came from: a paper or label, or an explicit [r]/assumption.
            assert re.search(r"\b(19|20)\d\d\b|label|\[r\]|assumed", pv.source), (pid, pv.source)
            if pid.endswith(("_partition", "_bioavailability")):
                assert pv.value <= 1.0, pid


def test_every_drug_has_the_facts_its_doses_need():
    for drug in CATALOG.values():
        unit = INPUT_STATES[drug.target_class].unit
        if unit in ("nmol", "umol", "pmol"):
            assert drug.molecular_weight and drug.molecular_weight_source, drug.id
        if drug.target_class in ("il2", "ifna"):
            assert drug.international_units_per_mg and drug.international_units_source, drug.id


def test_every_name_finds_its_own_drug():
    for drug in CATALOG.values():
        for name in drug.names:
            assert get_drug(name.upper()).id == drug.id, name


def test_catalog_refuses_upper_case_and_ambiguous_names():
    nivolumab = get_drug("nivolumab")
    entry = nivolumab.model_dump()
    with pytest.raises(ValueError, match="lower-case"):
        Drug(**{**entry, "aliases": ("Opdivo",)})
    twin = Drug(**{**entry, "id": "nivolumab twin", "aliases": ("op-divo",)})
    with pytest.raises(RuntimeError, match="ambiguous"):
        _build_index({nivolumab.id: nivolumab, twin.id: twin})


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("KEYTRUDA", "pembrolizumab"),
        ("Opdivo", "nivolumab"),
        ("yervoy", "ipilimumab"),
        ("Tecentriq", "atezolizumab"),
        ("Proleukin", "aldesleukin"),
        ("IPI-549", "eganelisib"),
        ("ipi 549", "eganelisib"),
        ("IPI549", "eganelisib"),
        ("anti-PD-1 (RMP1-14)", "anti-pd-1 (rmp1-14)"),
        ("RMP1 14", "anti-pd-1 (rmp1-14)"),
        ("10F.9G2", "anti-pd-l1 (10f.9g2)"),
        ("9H10", "anti-ctla-4 (9h10)"),
        ("Interferon Alfa 2b", "interferon alfa-2b"),
        ("CD19 CAR-T", "cd19 car-t"),
        ("Kymriah", "tisagenlecleucel"),
    ],
)
def test_lookup_ignores_case_spaces_and_hyphens(name, expected):
    assert get_drug(name).id == expected


def test_unknown_drug_names_the_field_and_suggests():
    with pytest.raises(ConfigError) as info:
        get_drug("nivolumb")
    assert info.value.field == "drug"
    assert "did you mean 'nivolumab'" in str(info.value)


def test_list_drugs_filters_and_rejects_unknown_filters():
    mouse = list_drugs(species="mouse")
    assert mouse and all(d.species in ("mouse", "both") for d in mouse)
    assert {d.id for d in list_drugs()} == set(CATALOG)
    with pytest.raises(ConfigError, match="did you mean 'anti_pd1'"):
        list_drugs(target_class="anti_pd")


def test_antibodies_weigh_like_igg():
    for drug in CATALOG.values():
        if drug.target_class in ANTIBODY_CLASSES:
            assert 140_000 <= drug.molecular_weight <= 155_000, drug.id


# Published terminal half-lives: Centanni et al. 2019 (SPEC §5); relatlimab 26.2 d is the label [r].
@pytest.mark.parametrize(
    ("drug_id", "published_days"),
    [
        ("ipilimumab", 15.0),
        ("nivolumab", 25.0),
        ("pembrolizumab", 24.0),
        ("atezolizumab", 27.0),
        ("relatlimab", 26.2),
    ],
)
def test_two_compartment_pk_reproduces_published_terminal_half_life(drug_id, published_days):
    t_half = terminal_half_life_days(*antibody_pk(drug_id, "human"))
    assert t_half == pytest.approx(published_days, rel=0.15)


def test_eigenvalue_half_life_agrees_with_a_simulated_washout():
    # An independent route to the same number: integrate one bolus, fit the late log-linear decline.
    cl, vc, vp, q = antibody_pk("nivolumab", "human")

    def rhs(_t, y):
        c, p = y[0] / vc, y[1] / vp
        return [-cl * c - q * c + q * p, q * c - q * p]

    sol = solve_ivp(
        rhs, (0, 250), [100.0, 0.0], t_eval=np.linspace(150, 250, 51), rtol=1e-10, atol=1e-12
    )
    slope = np.polyfit(sol.t, np.log(sol.y[0]), 1)[0]
    assert math.log(2) / -slope == pytest.approx(terminal_half_life_days(cl, vc, vp, q), rel=1e-3)


def test_mouse_antibodies_have_a_half_life_of_a_few_days():
    # Kosinsky et al. 2018: mAb in mouse eliminated at 0.15 /day -> t½ = ln2 / 0.15 ≈ 4.6 d.
    for drug in list_drugs(species="mouse"):
        if drug.target_class in ANTIBODY_CLASSES:
            t_half = terminal_half_life_days(*antibody_pk(drug.id, "mouse"))
            assert t_half == pytest.approx(math.log(2) / 0.15, rel=0.15), drug.id
            cl, vc, vp, _ = antibody_pk(drug.id, "mouse")
            assert (vc + vp) == pytest.approx(3e-3)  # Kosinsky's 3 mL


def test_binding_affinities_follow_published_ranking():
    kd = {
        d: get_drug(d).pk["human"][f"{get_drug(d).target_class}_kd"].value
        for d in ("pembrolizumab", "nivolumab")
    }
    assert kd["pembrolizumab"] < kd["nivolumab"]  # pembrolizumab binds PD-1 more tightly
    assert get_drug("ipilimumab").pk["human"]["anti_ctla4_kd"].value == pytest.approx(
        18.2
    )  # QSP-IO


def test_cytokine_facts_match_their_labels():
    il2 = get_drug("aldesleukin")
    t_half_min = math.log(2) / il2.pk["human"]["il2_elimination_rate"].value * 24 * 60
    assert t_half_min == pytest.approx(85.0, abs=0.5)  # Proleukin label
    assert 1.1 * il2.international_units_per_mg == pytest.approx(18e6)  # 18 MIU per 1.1 mg
    ifn = get_drug("interferon alfa-2b")
    assert ifn.international_units_per_mg == pytest.approx(2.6e8)
    elim_h = math.log(2) / ifn.pk["human"]["ifna_elimination_rate"].value * 24
    assert 1.5 <= elim_h <= 3.5  # label: t½ about 2–3 h


def _terminal_half_life_days(drug_id: str) -> float:
    # Slowest eigenvalue of the linear two-compartment model (macro-constant beta).
    drug = get_drug(drug_id)
    tc = drug.target_class
    pk = {k.removeprefix(f"{tc}_"): v.value for k, v in drug.pk["human"].items()}
    k10 = pk["clearance"] / pk["central_volume"]
    k12 = pk["intercompartmental_clearance"] / pk["central_volume"]
    k21 = pk["intercompartmental_clearance"] / pk["peripheral_volume"]
    a = k10 + k12 + k21
    beta = (a - math.sqrt(a * a - 4 * k10 * k21)) / 2
    return math.log(2) / beta


@pytest.mark.parametrize(
    ("drug_id", "published_days"),
    [
        # Paccaly 2022 Table 2: 19.7 days at the first dose (22.3 at steady state).
        ("cemiplimab", 19.7),
        # Melhem 2022 abstract: 23.5 days at steady state.
        ("dostarlimab", 23.5),
        # Centanni 2019 Table 2: 21 days.
        ("durvalumab", 21.0),
        # Centanni 2019 Table 2: 6.1 days.
        ("avelumab", 6.1),
        # Imjudo SmPC: about 14.2 days.
        ("tremelimumab", 14.2),
    ],
)
def test_added_antibodies_have_their_published_half_life(drug_id, published_days):
    # The catalog keeps the baseline (first-dose) clearance of each popPK model, while clearance
    # falls by 10-25% over treatment and published half-lives are often steady-state figures:
    # the two-compartment terminal half-life must agree within 35%.
    assert _terminal_half_life_days(drug_id) == pytest.approx(published_days, rel=0.35)
    assert get_drug(drug_id).species == "human" and get_drug(drug_id).route == "iv"


def test_axicabtagene_ciloleucel_is_a_cd19_car_t_dosed_per_kg():
    drug = get_drug("Yescarta")
    assert drug.id == "axicabtagene ciloleucel" and drug.target == "CD19"
    assert drug.target_class == "cart"

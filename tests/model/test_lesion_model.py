"""One patient, several lesions: the L-lesion model shares blood, lymph node, drugs and memory."""

from __future__ import annotations

import numpy as np
import pytest

from tmesim.engines.qsp.compiled import compiled_kernel
from tmesim.errors import ConfigError
from tmesim.model.lesions import (
    _lesion_model,
    joint_parameters,
    joint_state,
    lesion_id,
    lesion_model,
    lesion_states,
)
from tmesim.simulation import Simulation, new_tumor_site, simulate
from tmesim.solvers import DoseSchedule

CPB_MOUSE = "rmp1-14 200 ug biw x6 from day 7 + 9h10 100 ug q3d x3 from day 7"
IPI_MOUSE = "ipi-549 15 mg/kg qd x21 from day 7"


def test_one_lesion_transform_is_the_declared_model(model):
    """Golden: the transformation applied to one lesion reproduces every rate and observable of
    the declared model exactly, so a 1-lesion patient runs today's kernel."""
    one = _lesion_model(model, 1)
    assert one.species_ids == model.species_ids
    assert one.parameter_ids == model.parameter_ids
    for a, b in zip(one.rates, model.rates, strict=True):
        assert a == b
    assert lesion_model(model, 1) is model


def test_lesion_model_shares_pools_and_copies_sites(model):
    m2 = lesion_model(model, 2)
    shared = [s.id for s in model.species if s.compartment != "tumor"]
    tumor = [s.id for s in model.species if s.compartment == "tumor"]
    assert len(m2.species) == len(model.species) + len(tumor)
    for sid in shared:
        assert lesion_id(sid, 1) not in m2.species_ids
    assert m2.species_ids.count("anti_pd1_central") == 1
    assert "tumor_myeloid_factor__lesion_1" in m2.parameter_ids
    # T-cell entry into each lesion drains the one blood pool: one flux per lesion.
    blood = m2.rates[m2.species_index("cd8_effector_blood")]
    assert {m2.symbols["cxcl9"], m2.symbols["cxcl9__lesion_1"]} <= blood.free_symbols
    with pytest.raises(ConfigError, match="n_lesions"):
        lesion_model(model, 6)


def _mouse(model, regimen: str | None = None):
    sim = Simulation(
        "mouse_4t1",
        regimen=regimen,
        parameters_override={f"clone_{c}_emergence_rate": 0.0 for c in (1, 2, 3)},
        model=model,
    )
    return sim, sim.parameters.vector(model)[None, :], sim.parameters.initial_state(model)[None, :]


def test_lesion_model_keeps_births_deaths_and_inflows_of_every_population(model):
    """Each extinguishable population of the 2-lesion model (each lesion's tumor clones, the
    shared CAR-T pools) declares births, deaths and inflows that add up to its transformed rate,
    so small populations follow their branching law in every lesion."""
    m2 = lesion_model(model, 2)
    extinguishable = [s.id for s in m2.species if s.extinguishable]
    assert sorted(sid for sid, *_ in m2.demography) == sorted(extinguishable)
    assert any(sid.endswith(lesion_id("", 1)) for sid in extinguishable)
    rng = np.random.default_rng(3)
    point = {sym: float(rng.uniform(0.5, 2.0)) for sym in m2.symbols.values()}
    rate_of = dict(zip(m2.species_ids, m2.rates, strict=True))
    for sid, births, deaths, inflows in m2.demography:
        rate = float(rate_of[sid].xreplace(point))
        parts = float((births - deaths + inflows).xreplace(point))
        assert parts == pytest.approx(rate, rel=1e-9, abs=1e-12), sid


def test_identical_lesions_stay_identical_and_see_their_own_microenvironment(model):
    m2 = lesion_model(model, 2)
    sim, P, y0 = _mouse(model, CPB_MOUSE)
    joint = simulate(
        m2,
        joint_parameters(model, 2, [P, P]),
        joint_state(model, 2, [y0, y0]),
        np.array([0.0, 20.0]),
        sim.dose_schedule(1),
    )
    assert joint.status[0] == 0
    a = lesion_states(model, 2, joint.y_final, 0)
    b = lesion_states(model, 2, joint.y_final, 1)
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
    # The right-hand side of a lesion's own states is the declared model's, at that lesion.
    k2, k1 = compiled_kernel(m2), compiled_kernel(model)
    y = joint_state(model, 2, [y0, y0 * 2.0])[0]
    p = joint_parameters(model, 2, [P, P])[0]
    f2, f1 = np.empty_like(y), np.empty(len(model.species))
    k2.rhs(0.0, y, p, f2)
    k1.rhs(0.0, lesion_states(model, 2, y[None, :], 1)[0], P[0], f1)
    tumor = [i for i, s in enumerate(model.species) if s.compartment == "tumor"]
    for i in tumor:
        j = m2.species_index(lesion_id(model.species_ids[i], 1))
        assert f2[j] == pytest.approx(f1[i], rel=1e-12, abs=1e-12)


def test_drug_exposure_is_the_same_for_every_lesion(model):
    """One plasma compartment: a small and a large lesion see the same antibody levels."""
    m2 = lesion_model(model, 2)
    sim, P, y0 = _mouse(model, CPB_MOUSE)
    big = y0.copy()
    big[0, model.species_index("tumor_clone_0")] *= 30.0
    sol = simulate(
        m2,
        joint_parameters(model, 2, [P, P]),
        joint_state(model, 2, [y0, big]),
        np.array([0.0, 9.0]),
        sim.dose_schedule(1),
    )
    assert sol.status[0] == 0
    y = sol.y_final[0]
    for ab in ("anti_pd1", "anti_ctla4"):
        first = y[m2.species_index(f"{ab}_tumor")]
        second = y[m2.species_index(lesion_id(f"{ab}_tumor", 1))]
        assert first > 0.1
        assert second == pytest.approx(first, rel=1e-6)
    assert m2.species_index("anti_pd1_central") == model.species_index("anti_pd1_central")


def test_memory_raised_by_one_lesion_protects_against_a_lesion_seeded_later(model):
    """Lesion 0 regresses under CPB + IPI-549 and leaves memory; lesion 1 is seeded on day 120 in
    the same patient and is rejected. In a patient whose lesion 0 never existed, the same seeding
    grows."""
    m2 = lesion_model(model, 2)
    sim, P, y0 = _mouse(model, f"{CPB_MOUSE} + {IPI_MOUSE}")
    empty = new_tumor_site(model, y0, y0, 0.0)
    seed_at = 120.0
    clone = m2.species_index(lesion_id("tumor_clone_0", 1))
    base = sim.dose_schedule(1)
    doses = DoseSchedule.from_lists(
        [
            (
                [*base.t.tolist(), seed_at],
                [*base.state.tolist(), clone],
                [*base.amount.tolist(), 1e5],
            )
        ]
    )
    t = np.array([0.0, seed_at - 1.0, seed_at + 45.0])
    k_cells = m2.observable_ids.index(lesion_id("tumor_cells", 1))
    k_memory = m2.observable_ids.index("cd8_memory")
    runs = {}
    for name, first in (("with", y0), ("without", empty)):
        sol = simulate(
            m2,
            joint_parameters(model, 2, [P, P]),
            joint_state(model, 2, [first, empty]),
            t,
            doses,
        )
        assert sol.status[0] == 0
        runs[name] = sol.observables[0]
    assert runs["with"][1, k_memory] > 100 * max(runs["without"][1, k_memory], 1.0)
    assert runs["without"][2, k_cells] > 1e8
    assert runs["with"][2, k_cells] < 1e-2 * runs["without"][2, k_cells]

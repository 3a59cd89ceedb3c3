"""Mechanism tests: each piece of biology M1–M8 does what the source articles say, and only that.

Each test switches one thing (a drug, a genotype, a mechanism) and checks the direction of the change
it must cause, or that it causes no change where the biology says it cannot act ("no change" is
checked to 1e-5, ten times the solver's relative tolerance: a dose restarts the integrator, so step
sequences differ even when the equations are the same).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simhelp import at, final, run
from tmesim.parameters import get_preset
from tmesim.simulation import Simulation, new_tumor_site, simulate
from tmesim.solvers import DoseSchedule

CPB_MOUSE = "rmp1-14 200 ug biw x6 from day 7 + 9h10 100 ug q3d x3 from day 7"
IPI_MOUSE = "ipi-549 15 mg/kg qd x21 from day 7"
NO_PDL = {"clone_0_pdl1": 0.0, "tumor_pdl2": 0.0}


# --- M1: checkpoints act through receptor occupancy ------------------------------------------------


def test_anti_pd1_raises_killing_only_where_pd_ligands_are_present():
    with_pdl1 = (
        run("mouse_b16f10", days=25),
        run("mouse_b16f10", "rmp1-14 200 ug biw x4 from day 7", days=25),
    )
    assert at(with_pdl1[1], "cd8_kill_rate", 12) > 1.5 * at(with_pdl1[0], "cd8_kill_rate", 12)

    off = {"mechanisms": {"ifng_pdl1": False}, "overrides": NO_PDL}
    no_pdl = (
        run("mouse_b16f10", days=25, rtol=1e-9, **off),
        run("mouse_b16f10", "rmp1-14 200 ug biw x4 from day 7", days=25, rtol=1e-9, **off),
    )
    np.testing.assert_allclose(
        no_pdl[1].observable("tumor_cells"),
        no_pdl[0].observable("tumor_cells"),
        rtol=1e-5,
        atol=1e-3,
    )


def test_anti_pdl1_spares_pdl2_but_anti_pd1_blocks_both():
    pdl2_only = {
        "overrides": {**{f"clone_{k}_pdl1": 0.0 for k in range(4)}, "tumor_pdl2": 20.0},
        "mechanisms": {"ifng_pdl1": False},
    }
    base = run("human_melanoma", days=30, **pdl2_only)
    anti_pdl1 = run("human_melanoma", "atezolizumab 1200 mg q3w x2", days=30, **pdl2_only)
    anti_pd1 = run("human_melanoma", "nivolumab 480 mg q4w x1", days=30, **pdl2_only)
    assert at(anti_pdl1, "pd1_engagement", 10) == pytest.approx(
        at(base, "pd1_engagement", 10), rel=1e-5
    )
    assert at(anti_pd1, "pd1_engagement", 10) < 0.1 * at(base, "pd1_engagement", 10)


def test_anti_ctla4_restores_costimulation_through_ctla4():
    base = run("human_melanoma", days=30)
    ipi = run("human_melanoma", "ipilimumab 3 mg/kg q3w x2", days=30)
    assert at(ipi, "costimulation", 5) > at(base, "costimulation", 5) + 0.05
    off = {"mechanisms": {"ctla4": False}}
    assert at(
        run("human_melanoma", "ipilimumab 3 mg/kg q3w x2", days=30, **off), "costimulation", 5
    ) == pytest.approx(at(run("human_melanoma", days=30, **off), "costimulation", 5), rel=1e-5)


def test_anti_ctla4_depletes_intratumoral_tregs_in_mice():
    base = run("mouse_4t1", days=21)
    treated = run("mouse_4t1", "9h10 100 ug q3d x3 from day 7", days=21)
    assert at(treated, "treg_tumor", 14) < 0.5 * at(base, "treg_tumor", 14)


def test_anti_lag3_lowers_exhaustion():
    base = run("human_melanoma", "nivolumab 480 mg q4w x3", days=90)
    combo = run("human_melanoma", "nivolumab 480 mg q4w x3 + relatlimab 160 mg q4w x3", days=90)
    assert at(combo, "cd8_exhausted_fraction", 30) < at(base, "cd8_exhausted_fraction", 30)


# --- M2: suppressive myeloid cells and PI3Kγ ---------------------------------------------------------


def test_ipi549_does_nothing_without_myeloid_cells():
    """IPI-549 acts only through myeloid cells: with none, its PI3Kγ mechanism changes nothing
    (same doses in both runs, so the comparison is exact)."""
    no_myeloid = {"tumor_myeloid_factor": 0.0, "monocyte_recruitment_rate": 0.0}
    regimen = f"{CPB_MOUSE} + {IPI_MOUSE}"
    on = run("mouse_4t1", regimen, days=30, overrides=no_myeloid)
    assert final(on, "tam_density") == 0.0 and final(on, "mdsc_density") == 0.0
    assert final(on, "ipi549_plasma") > 0 or at(on, "ipi549_plasma", 10) > 0
    off = run(
        "mouse_4t1", regimen, days=30, overrides=no_myeloid, mechanisms={"myeloid_pi3kg": False}
    )
    np.testing.assert_array_equal(on.observable("tumor_cells"), off.observable("tumor_cells"))
    # With myeloid cells the same switch matters.
    rich_on = run("mouse_4t1", regimen, days=30)
    rich_off = run("mouse_4t1", regimen, days=30, mechanisms={"myeloid_pi3kg": False})
    assert at(rich_on, "tumor_cells", 28) < 0.1 * at(rich_off, "tumor_cells", 28)


def test_ipi549_helps_checkpoint_blockade_more_in_myeloid_rich_tumors(tmp_path):
    """De Henau 2016: the same B16 cells made myeloid-rich by GM-CSF gain far more tumor-free mice
    from adding IPI-549 to checkpoint blockade than myeloid-poor B16-F10 (30 mice per arm)."""
    from tmesim.config.trial import trial_from_dict
    from tmesim.trials.runner import run_study

    cpb = CPB_MOUSE.replace(" from day 7", "")
    ipi = IPI_MOUSE.replace(" from day 7", "")
    study = trial_from_dict(
        {
            "title": "myeloid contrast",
            "seed": 5,
            "cohorts": [
                {"name": "rich", "preset": "mouse_b16_gmcsf", "n": 30},
                {"name": "poor", "preset": "mouse_b16f10", "n": 30},
            ],
            "arms": [
                {"name": "cpb", "regimen": cpb},
                {"name": "both", "regimen": f"{cpb} + {ipi}"},
            ],
        }
    )
    run_study(study, tmp_path, progress=False, report=False)
    free = pd.read_parquet(tmp_path / "patients.parquet").groupby(["cohort", "arm"])["tumor_free"]
    rate = free.mean()
    gain = {c: rate[(c, "both")] - rate[(c, "cpb")] for c in ("rich", "poor")}
    assert gain["rich"] > 0.3
    assert gain["rich"] > gain["poor"] + 0.25
    # In 4T1 the nominal mouse keeps 10-fold fewer tumor cells with IPI-549 added.
    with_ipi = at(run("mouse_4t1", f"{CPB_MOUSE} + {IPI_MOUSE}", days=30), "tumor_cells", 28)
    assert (
        np.log10(at(run("mouse_4t1", CPB_MOUSE, days=30), "tumor_cells", 28) + 1)
        > np.log10(with_ipi + 1) + 1.0
    )


def test_ipi549_lowers_myeloid_suppression_and_repolarises_macrophages():
    base = run("mouse_4t1", days=21)
    ipi = run("mouse_4t1", IPI_MOUSE, days=21)
    assert at(ipi, "myeloid_suppression", 14) < 0.5 * at(base, "myeloid_suppression", 14)
    assert at(ipi, "tam_m1_fraction", 14) > at(base, "tam_m1_fraction", 14)
    assert at(ipi, "il12", 14) > at(base, "il12", 14)


# --- M3: Notch/RBPJ-dependent TAMs ------------------------------------------------------------------


def test_notch_blockade_lowers_tams_and_raises_cd8():
    """Franklin 2014: without RBPJ, TAMs fall and cytotoxic T cells recover (here under anti-PD-1,
    where a T-cell response exists for the TAMs to hold back); a γ-secretase inhibitor, short-
    lived in mice, does part of the same."""
    pd1 = "rmp1-14 200 ug biw x6 from day 7"
    # TAM-dominated and immunogenic like MMTV-PyMT: 4T1 without its MDSC, with more antigen.
    pymt_like = {"mdsc_recruitment_rate": 0.0, "tumor_antigen_breadth": 2.0}
    base = run("mouse_4t1", pd1, days=32, overrides=pymt_like)
    knockout = run("mouse_4t1", pd1, days=32, overrides={**pymt_like, "myeloid_rbpj": 0.0})
    assert at(knockout, "tam_density", 30) < 0.5 * at(base, "tam_density", 30)
    assert at(knockout, "cd8_tumor_density", 30) > 1.5 * at(base, "cd8_tumor_density", 30)
    assert at(knockout, "tumor_cells", 32) < at(base, "tumor_cells", 32)
    inhibited = run("mouse_4t1", f"{pd1} + dapt 10 mg/kg qd x32", days=32, overrides=pymt_like)
    # TAMs per mm³ are compared a week into treatment, before tumor shrinkage changes the volume.
    assert at(inhibited, "tam_density", 14) < 0.75 * at(base, "tam_density", 14)
    assert at(inhibited, "cd8_tumor_density", 30) > 1.5 * at(base, "cd8_tumor_density", 30)
    assert at(inhibited, "tumor_cells", 32) < at(base, "tumor_cells", 32)


# --- M4: TREM2+ macrophages, combinations, memory -----------------------------------------------------


def test_anti_trem2_removes_trem2_macrophages():
    base = run("mouse_4t1", days=25)
    treated = run("mouse_4t1", "anti-trem2 200 ug biw x4 from day 7", days=25)
    assert at(treated, "tam_trem2_fraction", 21) < 0.5 * at(base, "tam_trem2_fraction", 21)


def test_quadruple_blockade_beats_each_pair():
    quad = "rmp1-14 200 ug biw x6 from day 7 + 9h10 100 ug q3d x3 from day 7 + c9b7w 200 ug biw x6 from day 7 + anti-trem2 200 ug biw x6 from day 7"
    pair = CPB_MOUSE
    assert at(run("mouse_4t1", quad, days=30), "tumor_cells", 28) < at(
        run("mouse_4t1", pair, days=30), "tumor_cells", 28
    )


def test_cured_mouse_with_memory_rejects_rechallenge(model):
    """A mouse cured by CPB + IPI-549 rejects new tumor cells; a naive mouse does not. Escape
    variants are left out (their emergence rates set to 0) so that the cure is complete and the
    rechallenge tests memory alone, not immunoediting."""
    sim = Simulation(
        "mouse_4t1",
        regimen=f"{CPB_MOUSE} + {IPI_MOUSE}",
        parameters_override={f"clone_{c}_emergence_rate": 0.0 for c in (1, 2, 3)},
    )
    P = sim.parameters.vector(model)[None, :]
    y0 = sim.parameters.initial_state(model)[None, :]
    clones = [model.species_index(f"tumor_clone_{c}") for c in range(4)]
    cure = simulate(model, P, y0, np.array([0.0, 120.0]), sim.dose_schedule(1))
    assert cure.status[0] == 0
    cured = cure.y_final.copy()
    assert np.all(cured[0, clones] == 0.0), "the nominal 4T1 mouse should be cured by CPB + IPI-549"
    assert cured[0, model.species_index("cd8_memory")] > 100

    # Rechallenge at a new site, as in the mouse studies: a fresh tumor bed, the same immune system.
    initial = sim.parameters.initial_state(model)[None, :]
    t = np.array([0.0, 45.0])
    k = model.observable_ids.index("tumor_cells")
    none = DoseSchedule.empty(1)
    naive = simulate(model, P, initial, t, none).observables[0, -1, k]
    rechallenged = simulate(
        model, P, new_tumor_site(model, cured, initial, 1e5), t, none
    ).observables[0, -1, k]
    assert naive > 1e8
    assert rechallenged < 1e-2 * naive

    forgotten = cured.copy()
    forgotten[0, model.species_index("cd8_memory")] = 0.0
    forgetful = simulate(model, P, new_tumor_site(model, forgotten, initial, 1e5), t, none)
    assert forgetful.observables[0, -1, k] > 10 * max(rechallenged, 1.0)


# --- M5: tumor IFN-γ sensing --------------------------------------------------------------------------


def test_lost_ifng_sensing_removes_induced_pdl1_mhc1_and_direct_effect():
    intact = run("mouse_b16f10", CPB_MOUSE, days=30)
    lost = run("mouse_b16f10", CPB_MOUSE, days=30, overrides={"clone_0_ifng_sensing": 0.0})
    assert at(intact, "ifng", 28) > 1.0 and at(lost, "ifng", 28) > 1.0  # IFN-γ is there in both
    assert at(intact, "tumor_pdl1", 28) > 2 * at(intact, "tumor_pdl1", 0)
    preset = get_preset("mouse_b16f10")
    constitutive_pdl1, baseline_mhc1 = preset["clone_0_pdl1"].value, preset["clone_0_mhc1"].value
    assert at(lost, "tumor_pdl1", 28) == pytest.approx(constitutive_pdl1, rel=1e-5)
    assert at(intact, "tumor_mhc1", 28) > 1.5 * baseline_mhc1
    assert at(lost, "tumor_mhc1", 28) == pytest.approx(baseline_mhc1, rel=1e-5)


def test_lost_ifng_sensing_blunts_anti_ctla4():
    """Gao 2016: IFNGR1-deficient tumors escape anti-CTLA-4."""
    reg = "9h10 100 ug q3d x4 from day 7"

    def benefit(sensing: float) -> float:
        o = {"clone_0_ifng_sensing": sensing}
        ctl = at(run("mouse_b16f10", days=30, overrides=o), "tumor_cells", 28)
        trt = at(run("mouse_b16f10", reg, days=30, overrides=o), "tumor_cells", 28)
        return np.log10(ctl + 1) - np.log10(trt + 1)

    assert benefit(1.0) > 2 * benefit(0.0)


# --- M6: immunoediting ------------------------------------------------------------------------------


def test_antigen_low_clone_is_selected_under_t_cell_pressure():
    untreated = run("mouse_4t1", days=40)
    treated = run("mouse_4t1", f"{CPB_MOUSE} + {IPI_MOUSE}", days=40)
    assert at(treated, "clone_1_fraction", 30) > 10 * at(untreated, "clone_1_fraction", 30)


def test_nk_killing_rises_when_mhc1_is_lost():
    normal = run("mouse_b16f10", days=20, overrides={"clone_0_mhc1": 1.0})
    lost = run("mouse_b16f10", days=20, overrides={"clone_0_mhc1": 0.05})
    assert at(lost, "nk_kill_rate", 15) > 3 * at(normal, "nk_kill_rate", 15)
    off = run(
        "mouse_b16f10",
        days=20,
        overrides={"clone_0_mhc1": 0.05},
        mechanisms={"nk_missing_self": False},
    )
    assert at(off, "nk_kill_rate", 15) == 0.0
    assert at(off, "tumor_cells", 15) > at(lost, "tumor_cells", 15)


# --- M7: priming, chemokines, help ------------------------------------------------------------------


def test_without_dc_priming_no_t_cells_reach_the_tumor():
    off = run("mouse_b16f10", days=25, mechanisms={"dc_priming": False})
    assert final(off, "cd8_tumor_density") < 1e-6
    assert final(run("mouse_b16f10", days=25), "cd8_tumor_density") > 1.0


def test_cxcl9_recruitment_brings_t_cells_in():
    on = run("mouse_b16f10", CPB_MOUSE, days=30)
    off = run("mouse_b16f10", CPB_MOUSE, days=30, mechanisms={"chemokine_recruitment": False})
    assert at(on, "cd8_tumor_density", 28) > 1.5 * at(off, "cd8_tumor_density", 28)


# --- M8: cytokines, vaccine, CAR-T ------------------------------------------------------------------


def test_high_dose_il2_expands_nk_and_t_cells():
    base = run("human_melanoma", days=20)
    il2 = run("human_melanoma", "aldesleukin 600000 IU/kg q8h x14", days=20)
    assert at(il2, "nk_tumor", 7) > 1.5 * at(base, "nk_tumor", 7)
    assert at(il2, "il2", 3) > 10 * at(base, "il2", 3)


def test_interferon_alpha_raises_nk_killing():
    base = run("human_melanoma", days=20)
    ifn = run("human_melanoma", "interferon alfa-2b 10 MIU q2d x7", days=20)
    assert at(ifn, "nk_kill_rate", 5) > at(base, "nk_kill_rate", 5)


def test_vaccine_raises_t_cell_priming():
    base = run("mouse_4t1", days=20)
    vax = run("mouse_4t1", "cancer vaccine 100 ug qw x2 from day 3", days=20)
    assert at(vax, "cd8_tumor_density", 14) > 2 * at(base, "cd8_tumor_density", 14)


def test_car_t_spares_antigen_negative_clone():
    b_all = {
        "cart_stimulation_half": 1e7,
        "clone_0_cd19": 1.0,
        "clone_3_cd19": 0.0,
        "clone_3_emergence_rate": 1e-4,
        "clone_2_founder_fraction": 0.0,  # no other CD19-negative cells from the start
    }
    untreated = run("human_melanoma", days=60, overrides=b_all)
    cart = run("human_melanoma", "tisagenlecleucel 1e4 cells/kg once", days=60, overrides=b_all)
    assert at(cart, "cart_cells", 10) > 10 * at(cart, "cart_cells", 1)  # antigen-driven expansion
    # the CD19-negative clone takes over once CAR-T cells have cleared the CD19+ cells (later the
    # endogenous T cells, which recognize it, may clear it in turn)
    assert at(cart, "clone_3_fraction", 20) > 0.5
    assert at(cart, "cart_kill_rate", 10) > 0.0
    assert at(untreated, "clone_3_fraction", 20) < 0.01
    assert at(untreated, "clone_3_fraction", 60) < 0.01


# --- CD28 co-stimulation of effectors in the lesion -----------------------------------------------


def test_cd28_in_the_lesion_acts_only_where_a_preset_sets_its_dependence():
    """With no CD28 dependence of intratumoral proliferation, how much of CD28 PD-1 removes
    changes nothing; with it, CTLA-4 capture and PD-1 slow the effectors' expansion in the lesion,
    and anti-CTLA-4 gives more of it back than without the dependence (read before the cells it
    primes arrive)."""
    ipi = "ipilimumab 3 mg/kg q3w x2"
    off = {"tumor_cd28_dependence": 0.0}
    a = run("human_melanoma", days=30, rtol=1e-9, overrides={**off, "pd1_cd28_inhibition": 0.0})
    b = run("human_melanoma", days=30, rtol=1e-9, overrides={**off, "pd1_cd28_inhibition": 0.9})
    np.testing.assert_allclose(
        b.observable("tumor_cells"), a.observable("tumor_cells"), rtol=1e-5, atol=1e-3
    )

    on = {"tumor_cd28_dependence": 1.0, "pd1_cd28_inhibition": 0.5}
    base_off, base_on = a, run("human_melanoma", days=30, overrides=on)
    ipi_off = run("human_melanoma", ipi, days=30, overrides={**off, "pd1_cd28_inhibition": 0.0})
    ipi_on = run("human_melanoma", ipi, days=30, overrides=on)
    assert at(base_on, "cd8_effector_tumor", 20) < at(base_off, "cd8_effector_tumor", 20)
    gain_on = at(ipi_on, "cd8_effector_tumor", 3) / at(base_on, "cd8_effector_tumor", 3)
    gain_off = at(ipi_off, "cd8_effector_tumor", 3) / at(base_off, "cd8_effector_tumor", 3)
    assert gain_on > gain_off

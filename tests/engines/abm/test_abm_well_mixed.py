"""The spatial engine agrees with the QSP rate laws in the well-mixed limit.

When the contact and sensing boxes cover the whole tissue, every tumor cell "touches" every T cell,
so the per-cell hazards of the agent-based engine are the QSP model's rate laws evaluated on the
tissue's totals. A reduced system — tumor growth (a division succeeds when the chosen voxel is
free: the logistic term with K = number of voxels), spontaneous death, CD8 killing in the QSP-IO
form k·C·E/(K_TC·C + E + 1), and a fixed CD8 supply per mm³ of tumor at the QSP basal entry
fraction — is integrated as an ODE with the same parameters (read from the preset) and compared
with the mean of several seeds.

Tolerance: 8% on tumor cells and 20% on CD8 cells. The agent-based means carry sampling noise (a
birth–death process of a few hundred cells: ~5–8% per seed on C late in the run, when killing has
brought it down, ~15–35% on E while it is below ~10–50 cells; both divided by √8 for eight seeds)
and a small bias of the mean of a nonlinear stochastic process relative to the ODE (order 1/C);
the tolerances are about three standard errors.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from tmesim.engines.abm import AbmSettings, Tissue
from tmesim.model.forms import kill_saturation
from tmesim.parameters import get_preset

SIDE = 32
SUPPLY = 4.0e4  # CD8 supply, cells per mm³ of tumor per day
OFF = (
    "ifng_direct", "ifng_pdl1", "ifng_mhc1", "pd1", "exhaustion", "memory", "treg_suppression",
    "myeloid_suppression", "nk_missing_self", "chemokine_recruitment", "lag3",
)  # fmt: skip
OVERRIDES = {
    "tumor_growth_rate": 0.5,
    "tgfb_secretion_tumor_cell": 0.0,
    "cd8_tumor_proliferation_rate": 0.0,
}


def _settings() -> AbmSettings:
    return AbmSettings(
        dimension=2,
        grid=[SIDE, SIDE],
        initial_tumor_cells=200,
        vessels="everywhere",
        coupling="fixed",
        fixed={"cd8": SUPPLY},
        oxygen=False,
        images=False,
        parameters={
            "contact_radius": SIDE,
            "sensing_radius": SIDE,
            "division_push_radius": 0,
            "immune_capacity_free": 50,
            "immune_capacity_tumor": 50,
            "chemotaxis_sensitivity": 0.0,
        },
    )


def _abm_means(days: list[float], seeds: range) -> np.ndarray:
    out = np.zeros((len(seeds), len(days), 2))
    for s, seed in enumerate(seeds):
        tissue = Tissue(
            "mouse_4t1",
            settings=_settings(),
            seed=seed,
            mechanisms={m: False for m in OFF},
            parameters=OVERRIDES,
        )
        elapsed = 0.0
        for d, day in enumerate(days):
            tissue.advance(day - elapsed)
            elapsed = day
            counts = tissue.counts()
            out[s, d] = counts["tumor"], counts["cd8"]
    return out.mean(axis=0)


def _ode(days: list[float]) -> np.ndarray:
    p = get_preset("mouse_4t1").updated(OVERRIDES)
    r, death = p.value("tumor_growth_rate"), p.value("tumor_death_rate")
    k_kill, k_tc = p.value("cd8_kill_rate"), p.value("cd8_kill_saturation")
    d_e = p.value("cd8_effector_tumor_death_rate")
    basal = p.value("t_cell_entry_basal_fraction")
    density = p.value("tumor_cell_density")
    recognition = p.value("clone_0_antigenicity") * p.value("clone_0_mhc1")
    sites = SIDE * SIDE

    def rhs(_t, y):
        c, e = y
        kill = k_kill * recognition * kill_saturation(e, k_tc, c) * c
        return [r * c * (1 - c / sites) - death * c - kill, SUPPLY * basal * c / density - d_e * e]

    sol = solve_ivp(rhs, (0, days[-1]), [200.0, 0.0], t_eval=days, rtol=1e-8, atol=1e-8)
    return sol.y.T


def test_abm_mean_matches_the_qsp_rate_laws_when_well_mixed():
    days = [1.0, 2.0, 4.0]
    abm = _abm_means(days, range(8))
    ode = _ode(days)
    # the reference is not trivial: killing and crowding both shape it
    assert ode[-1, 1] > 15 and ode[-1, 0] < 0.8 * 200 * np.exp(0.45 * days[-1])
    np.testing.assert_allclose(abm[:, 0], ode[:, 0], rtol=0.08)
    np.testing.assert_allclose(abm[:, 1], ode[:, 1], rtol=0.20)


def test_killing_is_what_holds_the_tumor_back():
    """Same tissue without CD8 supply: the ABM then follows the kill-free logistic ODE, and ends
    well above the tumor it had with T cells (a mechanism check on the comparison above)."""
    settings = _settings().model_copy(
        update={"fixed": _settings().fixed.model_copy(update={"cd8": 0.0})}
    )
    tissue = Tissue("mouse_4t1", settings=settings, seed=0, mechanisms={m: False for m in OFF},
                    parameters=OVERRIDES)  # fmt: skip
    tissue.advance(4.0)
    p = get_preset("mouse_4t1").updated(OVERRIDES)
    growth = p.value("tumor_growth_rate") - p.value("tumor_death_rate")
    sites = SIDE * SIDE
    r = p.value("tumor_growth_rate")
    sol = solve_ivp(
        lambda _t, y: [r * y[0] * (1 - y[0] / sites) - p.value("tumor_death_rate") * y[0]],
        (0, 4.0), [200.0], rtol=1e-8,
    )  # fmt: skip
    assert growth > 0
    assert abs(tissue.counts()["tumor"] / sol.y[0, -1] - 1) < 0.12
    assert tissue.counts()["tumor"] > 1.3 * _ode([4.0])[-1, 0]

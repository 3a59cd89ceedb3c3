"""Mechanism tests for the immune composition of a lesion: bystander CD8 T cells, and TREM2⁺
conversion read from the local debris density."""

from __future__ import annotations

import numpy as np
import pytest

from simhelp import final, run
from tmesim.engines.qsp.reference import python_functions
from tmesim.model import build_model
from tmesim.parameters import get_preset


def test_bystanders_are_counted_but_never_kill():
    """Bystander CD8 T cells fill the lesion (they take room and are stained as CD8) but do not
    recognize the tumor: adding many of them leaves the killing per tumor cell almost unchanged,
    where as many added tumor-reactive effectors multiply it."""
    base = run("human_melanoma", days=30)
    none = run("human_melanoma", days=30, overrides={"bystander_cd8_blood": 0.0})
    assert final(base, "cd8_total_density") > 10 * final(base, "cd8_tumor_density")
    assert final(none, "cd8_total_density") == pytest.approx(
        final(none, "cd8_tumor_density"), rel=1e-6
    )
    assert final(none, "tumor_reactive_cd8_fraction") > 0.99
    assert final(base, "tumor_volume") > final(none, "tumor_volume")

    model = build_model()
    _, _, observe = python_functions(model)
    ids, k = model.species_ids, model.observable_ids.index("cd8_kill_rate")
    p = get_preset("human_melanoma").vector(model)
    y = base.y_final[0].copy()
    y[ids.index("cd8_bystander_tumor")] = 0.0

    def kill_rate(state: np.ndarray) -> float:
        out = np.empty(len(model.observables))
        observe(0.0, state, p, out)
        return float(out[k])

    added = 100 * y[ids.index("cd8_effector_tumor")]
    with_bystanders, with_effectors = y.copy(), y.copy()
    with_bystanders[ids.index("cd8_bystander_tumor")] = added
    with_effectors[ids.index("cd8_effector_tumor")] += added
    assert kill_rate(y) > 0
    assert kill_rate(with_bystanders) < 1.5 * kill_rate(y)
    assert kill_rate(with_effectors) > 5 * kill_rate(y)


def test_bystanders_follow_t_cell_entry_cues():
    """Bystanders enter along CXCL9/10 as tumor-specific effectors do: without chemokine-guided
    recruitment fewer of them reach the lesion."""
    base = run("human_melanoma", days=30)
    no_chemokine = run("human_melanoma", days=30, mechanisms={"chemokine_recruitment": False})
    assert final(no_chemokine, "cd8_total_density") < 0.8 * final(base, "cd8_total_density")


def test_trem2_conversion_reads_debris_density_not_amount():
    """Scaling every cell of a lesion tenfold (same densities, a ten times bigger lesion) leaves
    the TREM2⁺ conversion rate per M2-like TAM unchanged: it reads dead-cell material per mm³."""
    model = build_model()
    rhs, _, _ = python_functions(model)
    params = get_preset("mouse_4t1")
    p = params.vector(model)
    y = run("mouse_4t1", days=12).y_final[0]
    ids = model.species_ids
    k2t = model.parameter_ids.index("tam_trem2_conversion_rate")
    m2, trem2 = ids.index("tam_m2"), ids.index("tam_trem2")
    tumor_cells = [
        i for i, s in enumerate(model.species) if s.units == "cell" and s.compartment == "tumor"
    ]

    def conversion_per_m2(state: np.ndarray) -> float:
        off = p.copy()
        off[k2t] = 0.0
        with_, without = np.empty(len(ids)), np.empty(len(ids))
        rhs(0.0, state, p, with_)
        rhs(0.0, state, off, without)
        return float((with_[trem2] - without[trem2]) / state[m2])

    big = y.copy()
    big[tumor_cells] *= 10.0
    small_rate = conversion_per_m2(y)
    assert small_rate > 0
    assert conversion_per_m2(big) == pytest.approx(small_rate, rel=0.02)

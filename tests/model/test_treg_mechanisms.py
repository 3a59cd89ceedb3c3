"""Mechanism tests for intratumoral Tregs: they divide on their antigen and IL-2, so a lesion
cleared of tumor cells stops feeding them."""

from __future__ import annotations

import numpy as np

from simhelp import run
from tmesim.engines.qsp.reference import python_functions
from tmesim.model import build_model
from tmesim.parameters import get_preset


def _treg_growth(state: np.ndarray, p: np.ndarray) -> float:
    """Per-capita change of intratumoral Tregs from local proliferation (entry and death kept
    aside by differencing against zero proliferation)."""
    model = build_model()
    rhs, _, _ = python_functions(model)
    ids = model.species_ids
    k = model.parameter_ids.index("treg_tumor_proliferation_rate")
    off = p.copy()
    off[k] = 0.0
    with_, without = np.empty(len(ids)), np.empty(len(ids))
    rhs(0.0, state, p, with_)
    rhs(0.0, state, off, without)
    i = ids.index("treg_tumor")
    return float((with_[i] - without[i]) / state[i])


def test_tregs_stop_dividing_when_the_tumor_cells_are_gone():
    """Same lesion, same IL-2 and the same Tregs: with its tumor cells present the Tregs divide;
    with the tumor cells cleared to a few hundred (fewer than the Tregs) they almost stop, although
    the IL-2 the effectors made is still there."""
    model = build_model()
    ids = model.species_ids
    p = get_preset("human_melanoma").vector(model)
    y = run("human_melanoma", days=30).y_final[0].copy()
    y[ids.index("il2")] = max(y[ids.index("il2")], 2.0)
    growing = _treg_growth(y, p)
    cleared = y.copy()
    clones = [i for i, s in enumerate(ids) if s.startswith("tumor_clone_")]
    total = cleared[clones].sum()
    cleared[clones] *= 300.0 / total
    assert cleared[ids.index("treg_tumor")] > 300.0
    assert growing > 0.05
    assert _treg_growth(cleared, p) < 0.05 * growing

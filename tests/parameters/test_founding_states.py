"""Pre-existing subclones: each patient's founding cells split between the parental clone and its
variants by the patient's own `clone_k_founder_fraction`."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tmesim.cohorts.population import sample_population
from tmesim.model.states import N_CLONES
from tmesim.parameters import get_preset
from tmesim.parameters.parameter_set import Parameter, Prior

CLONES = [f"tumor_clone_{k}" for k in range(N_CLONES)]


def _founders(model, fractions):
    ps = get_preset("human_melanoma")
    P = np.tile(ps.vector(model), (len(fractions), 1))
    for k in range(1, N_CLONES):
        P[:, model.parameter_index(f"clone_{k}_founder_fraction")] = [f[k - 1] for f in fractions]
    return ps, ps.founding_states(model, P)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(*[st.floats(0.0, 1.0) for _ in range(N_CLONES - 1)]), min_size=1, max_size=5)
)
def test_the_founding_cells_are_split_never_made_or_lost(model, fractions):
    ps, y = _founders(model, fractions)
    idx = [model.species_index(c) for c in CLONES]
    total = ps.initial["tumor_clone_0"]
    assert np.all(y >= 0.0) and np.all(np.isfinite(y))
    np.testing.assert_allclose(y[:, idx].sum(axis=1), total, rtol=1e-12)
    for row, f in zip(y, fractions, strict=True):
        scale = 1.0 / max(sum(f), 1.0)  # shares that add up to more than one are rescaled
        np.testing.assert_allclose(row[idx[1:]], np.array(f) * scale * total, rtol=1e-12, atol=1e-6)
    # everything else is the preset's initial state
    others = [i for i in range(len(model.species_ids)) if i not in idx]
    np.testing.assert_array_equal(
        y[:, others], np.tile(ps.initial_state(model), (len(y), 1))[:, others]
    )


def test_presets_without_subclones_start_from_their_initial_state(model):
    for name in ("mouse_4t1", "mouse_b16f10", "human_nsclc"):
        ps = get_preset(name)
        P, _ = sample_population(ps, model, np.arange(4), 3, variability=True)
        np.testing.assert_array_equal(
            ps.founding_states(model, P), np.tile(ps.initial_state(model), (4, 1))
        )


def test_a_founder_prior_gives_each_patient_its_own_subclone_share(model):
    """A logit-normal founder share (e.g. MHC-I-low cells at the share of untreated melanomas
    that Rodig 2018 found by IHC) is drawn per patient."""
    ps = get_preset("human_melanoma")
    founders = Parameter(
        "clone_2_founder_fraction", 0.35, "1", "test prior", Prior("logitnormal", 2.0)
    )
    ps = replace(ps, parameters={**ps.parameters, founders.id: founders})
    P, _ = sample_population(ps, model, np.arange(400), 5, variability=True)
    y = ps.founding_states(model, P)
    share = y[:, model.species_index("tumor_clone_2")] / ps.initial["tumor_clone_0"]
    # patient-drawn: from nearly none to nearly all, with a real share of each
    assert share.min() < 0.05 and share.max() > 0.95
    assert 0.2 < np.mean(share > 0.5) < 0.6

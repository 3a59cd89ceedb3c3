"""Virtual populations: parameter vectors drawn from each parameter's prior, one stream per patient.

Patient i of a run with root seed s draws from its own stream `SeedSequence(s, spawn_key=(i,))`, so its
parameters do not depend on how many patients are drawn, in what chunks, on how many threads, or on
which arms a trial has.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tmesim.model.builder import Model
from tmesim.parameters.parameter_set import ParameterSet


def patient_rng(seed: int, patient: int) -> np.random.Generator:
    """The random stream of one virtual patient."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(patient,))))


def sample_population(
    parameters: ParameterSet,
    model: Model,
    patients: np.ndarray,
    seed: int,
    *,
    variability: bool = True,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Parameter matrix (len(patients), n_params) and a table of the sampled (varied) values.

    Example:
        >>> from tmesim.model import build_model
        >>> from tmesim.parameters import get_preset
        >>> P, table = sample_population(get_preset("mouse_4t1"), build_model(), np.arange(3), seed=1)
        >>> P.shape[0], len(table)
        (3, 3)
    """
    base = parameters.vector(model)
    patients = np.asarray(patients, dtype=np.int64)
    P = np.tile(base, (len(patients), 1))
    varied = sorted(parameters.varied(), key=lambda p: p.id) if variability else []
    table = pd.DataFrame({"patient_id": patients})
    if varied:
        z = np.stack([patient_rng(seed, int(i)).standard_normal(len(varied)) for i in patients])
        for k, p in enumerate(varied):
            values = p.prior.sample(p.value, z[:, k])
            P[:, model.parameter_index(p.id)] = values
            table[p.id] = values
    return P, table

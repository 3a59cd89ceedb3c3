"""Virtual populations: parameter vectors drawn from each parameter's prior, one stream per patient.

Patient i of a run with root seed s draws from its own streams `SeedSequence(s, spawn_key=(i, k, a))`,
one per purpose k (parameters, start size, lesions, ...) and draw attempt a, so its parameters do not
depend on how many patients are drawn, in what chunks, on how many threads, or on which arms a trial
has. Correlated priors are drawn through a Gaussian copula: the standard-normal draws behind the
varied parameters are mixed by the Cholesky factor of the preset's correlation matrix.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import pandas as pd

from tmesim.model.builder import Model
from tmesim.parameters.parameter_set import ParameterSet


class Stream(IntEnum):
    """What a patient's random stream is used for (part of its spawn key)."""

    PARAMETERS = 0
    START_SIZE = 1
    LESIONS = 2
    NEW_LESIONS = 3
    SURVIVAL = 4
    ALLOCATION = 5
    RESECTION = 6
    VISITS = 7
    CHECKPOINTS = 8
    ENROLLMENT = 9
    SUBSEQUENT = 10
    RADIOLOGY = 11
    BODY = 12
    TOXICITY = 13


class Phase(IntEnum):
    """Which time axis a run of the small-population rule follows (part of its key), so that
    checkpoint c of one phase and checkpoint c of another draw different numbers."""

    GROWTH = 0
    """from inoculation to treatment start (`tmesim.cohorts.baseline`)"""
    TREATMENT = 1
    """from treatment start (day 0 of the regimen)"""
    WASHOUT = 2
    """a mouse study's wash-out before the rechallenge"""
    CHALLENGE = 3
    """from the inoculation of a rechallenge (or of naive mice)"""


def patient_rng(
    seed: int,
    patient: int,
    stream: Stream = Stream.PARAMETERS,
    attempt: int = 0,
    screening: int = 0,
) -> np.random.Generator:
    """The random stream of one virtual patient for one purpose (and one draw attempt).

    `screening` numbers the candidates screened for enrollment slot `patient` of a clinical trial
    (0: the first candidate, whose streams are those of the patient itself; k: the candidate
    drawn after k screen failures), so a screen failure is replaced by a fresh patient without
    moving any other patient's draws.

    Example:
        >>> a = patient_rng(1, 7).standard_normal()
        >>> b = patient_rng(1, 7).standard_normal()
        >>> a == b, a == patient_rng(1, 8).standard_normal()
        (True, False)
    """
    key = (int(patient), int(stream), int(attempt))
    if screening:
        key = (*key, int(screening))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def checkpoint_keys(
    seed: int,
    patients: np.ndarray,
    phase: Phase,
    *,
    lesion: int = 0,
    attempts: np.ndarray | None = None,
) -> np.ndarray:
    """64-bit keys (one per patient) of the counter-based draws of the small-population rule
    (`tmesim.solvers.SolverSettings.extinction_threshold`): from the root seed, the patient,
    the lesion, the phase and the draw attempt only, so the same patient meets the same draws
    in every arm (common random numbers) whatever the chunking or thread count.

    Example:
        >>> a = checkpoint_keys(1, np.array([7, 8]), Phase.TREATMENT)
        >>> bool(a[0] == checkpoint_keys(1, np.array([7]), Phase.TREATMENT)[0]), a.dtype
        (True, dtype('uint64'))
    """
    ids = np.asarray(patients, dtype=np.int64).reshape(-1)
    tries = np.zeros(len(ids), dtype=np.int64) if attempts is None else np.asarray(attempts)
    return np.array(
        [
            np.random.SeedSequence(
                seed, spawn_key=(int(i), int(Stream.CHECKPOINTS), int(lesion), int(phase), int(a))
            ).generate_state(1, np.uint64)[0]
            for i, a in zip(ids, tries, strict=True)
        ],
        dtype=np.uint64,
    )


def sample_population(
    parameters: ParameterSet,
    model: Model,
    patients: np.ndarray,
    seed: int,
    *,
    variability: bool = True,
    attempts: np.ndarray | None = None,
    screenings: np.ndarray | None = None,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Parameter matrix (len(patients), n_params) and a table of the sampled (varied) values.

    `attempts[j]` selects which draw of patient `patients[j]` to take (0 by default); cohorts use it
    to replace an implausible patient by a fresh draw from the same patient's streams;
    `screenings[j]` selects the screened candidate (see :func:`patient_rng`).

    Example:
        >>> from tmesim.model import build_model
        >>> from tmesim.parameters import get_preset
        >>> P, table = sample_population(get_preset("mouse_4t1"), build_model(), np.arange(3), seed=1)
        >>> P.shape[0], len(table)
        (3, 3)
    """
    base = parameters.vector(model)
    patients = np.asarray(patients, dtype=np.int64)
    attempts = np.zeros(len(patients), np.int64) if attempts is None else np.asarray(attempts)
    screenings = np.zeros(len(patients), np.int64) if screenings is None else np.asarray(screenings)
    P = np.tile(base, (len(patients), 1))
    varied = sorted(parameters.varied(), key=lambda p: p.id) if variability else []
    table = pd.DataFrame({"patient_id": patients})
    if varied:
        ids = [p.id for p in varied]
        chol = np.linalg.cholesky(parameters.correlation_matrix(ids))
        z = np.stack(
            [
                patient_rng(seed, int(i), Stream.PARAMETERS, int(a), int(r)).standard_normal(
                    len(varied)
                )
                for i, a, r in zip(patients, attempts, screenings, strict=True)
            ]
        )
        z = z @ chol.T
        for k, p in enumerate(varied):
            values = p.prior.sample(p.value, z[:, k])
            P[:, model.parameter_index(p.id)] = values
            table[p.id] = values
    return P, table

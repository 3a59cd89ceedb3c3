"""Stratified randomization: permuted blocks within strata of baseline biomarkers.

A randomized clinical trial that names stratification factors (`config.trial.Stratification`)
allocates its patients stratum by stratum: the patients of one stratum (a combination of the
factors' levels, e.g. PD-L1 TPS ≥ 1% and female), in enrollment order, receive the arms of
consecutive permuted blocks, each block holding every arm in the arms' ratio in a random order
(Zelen 1974 J Chronic Dis 27:365; Kernan 1999 J Clin Epidemiol 52:19). The arms thus differ by
at most half a block within every stratum of an enrollment batch.

The virtual trial enrolls its patients in chunks (`chunk_size`), each screened and grown to
treatment start on its own; blocks run within a chunk, as within a site of a multicenter trial,
so that each chunk's allocation depends on its own patients only (same seed, same allocation,
whatever the resume or thread count). Patients whose factor is unknown (not enrolled) form a
stratum of their own.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from tmesim.cohorts.population import Stream
from tmesim.config.trial import Stratification
from tmesim.trials.subgroups import levels

STRATUM_SEPARATOR = " | "


def strata(table: pd.DataFrame, stratification: Stratification) -> pd.Series:
    """Each patient's stratum: the factors' levels joined ('≥ 0.01 | female').

    Example:
        >>> t = pd.DataFrame({"pdl1_tumor_proportion": [0.0, 0.3], "sex": ["male", "female"]})
        >>> s = Stratification(factors=[{"biomarker": "pdl1_tumor_proportion", "cuts": [0.01]},
        ...                             {"biomarker": "sex"}])
        >>> strata(t, s).tolist()
        ['< 0.01 | male', '≥ 0.01 | female']
    """
    parts = [levels(table[f.biomarker], f).astype(str) for f in stratification.factors]
    out = parts[0]
    for part in parts[1:]:
        out = out + STRATUM_SEPARATOR + part
    return out.reset_index(drop=True)


def block_size(stratification: Stratification, ratios: Sequence[int]) -> int:
    """Patients per permuted block: the configured size, else twice the sum of the ratios."""
    return stratification.block_size or 2 * int(sum(ratios))


def permuted_blocks(
    labels: Sequence[str], ratios: Sequence[int], size: int, rng_of: dict[str, np.random.Generator]
) -> np.ndarray:
    """Arm index of each patient (in enrollment order): per stratum label, the arms of
    consecutive blocks of `size` patients, each a random permutation of the arms in `ratios`.

    Example:
        >>> rngs = {"a": np.random.default_rng(0), "b": np.random.default_rng(1)}
        >>> arms = permuted_blocks(["a", "b", "a", "a", "b", "a"], [1, 1], 2, rngs)
        >>> sorted(arms[[0, 2]].tolist()), sorted(arms[[3, 5]].tolist())
        ([0, 1], [0, 1])
    """
    per_block = size // int(sum(ratios))
    block = np.repeat(np.arange(len(ratios)), [r * per_block for r in ratios])
    labels = np.asarray(labels, dtype=object)
    out = np.zeros(len(labels), dtype=np.int64)
    for label in dict.fromkeys(labels.tolist()):
        rows = np.flatnonzero(labels == label)
        n_blocks = -(-len(rows) // size)
        rng = rng_of[label]
        seq = np.concatenate([rng.permutation(block) for _ in range(n_blocks)])
        out[rows] = seq[: len(rows)]
    return out


def stratified_allocation(
    table: pd.DataFrame,
    stratification: Stratification,
    ratios: Sequence[int],
    seed: int,
    cohort: int,
    chunk: int,
) -> np.ndarray:
    """Arm index of each patient of one enrollment chunk (rows of `table` in patient order),
    from permuted blocks within strata; each stratum's blocks come from a stream of the root
    seed, the cohort, the chunk and the stratum's name only."""
    labels = strata(table, stratification)
    rng_of = {
        label: np.random.Generator(
            np.random.PCG64(
                np.random.SeedSequence(
                    seed,
                    spawn_key=(
                        int(Stream.ALLOCATION),
                        cohort,
                        chunk,
                        zlib.crc32(label.encode("utf-8")),
                        0,  # five entries: never a patient's key (`patient_rng`: 3 or 4)
                    ),
                )
            )
        )
        for label in dict.fromkeys(labels.tolist())
    }
    return permuted_blocks(labels.tolist(), ratios, block_size(stratification, ratios), rng_of)

"""Precision stratification: from tumor profiles to resistance phenotypes, personalized
virtual-patient ensembles and a ranked regimen per patient.

Modules, in the order data flows: `profiles` (read and check the files), `genesets` (signatures
with citations), `scores` (scale-free scores), `calls` (genotype and phenotype calls),
`mapping` (scores and calls → the patient's parameter prior), `panel` (candidate regimens),
`ensembles` (virtual patients under every regimen, read by RECIST), `recommend`, `evaluation`
(ROC-AUC against labels), `report`, `pipeline`; `synthetic` makes cohorts with a known truth.

Example:
    >>> from tmesim.stratify import run_stratify
    >>> result = run_stratify("examples/stratify_expression.tsv", "runs/s")  # doctest: +SKIP
    >>> result.table[["phenotype", "recommended", "driver"]]                 # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tmesim.config.validation import validate_config

if TYPE_CHECKING:
    from tmesim.stratify.pipeline import StratifyResult

__all__ = ["run_stratify"]


def run_stratify(
    expression: str | Path,
    out_dir: str | Path | None,
    *,
    mutations: str | Path | None = None,
    clinical: str | Path | None = None,
    labels: str | Path | None = None,
    reference: str | Path | None = None,
    settings: dict[str, Any] | None = None,
    n_threads: int | None = None,
    progress: bool = False,
) -> StratifyResult:
    """Read the files, run the pipeline, write `stratification.csv`, the report and the
    manifest to `out_dir` (nothing is written when it is None)."""
    from tmesim.io.manifest import hash_file
    from tmesim.stratify.pipeline import StratifySettings, stratify
    from tmesim.stratify.profiles import load_profiles

    def path(p: str | Path | None) -> Path | None:
        return Path(p) if p is not None else None

    files = {
        "expression": Path(expression),
        "mutations": path(mutations),
        "clinical": path(clinical),
        "labels": path(labels),
        "reference": path(reference),
    }
    checked = validate_config(StratifySettings, settings or {}, label="stratify")
    profiles = load_profiles(
        files["expression"],
        mutations=files["mutations"],
        clinical=files["clinical"],
        labels=files["labels"],
        reference=files["reference"],
    )
    inputs = {
        k: {"path": str(p), "sha256": hash_file(p)} for k, p in files.items() if p is not None
    }
    return stratify(
        profiles,
        checked,
        out_dir=path(out_dir),
        n_threads=n_threads,
        progress=progress,
        inputs=inputs,
    )

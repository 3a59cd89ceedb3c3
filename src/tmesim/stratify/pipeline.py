"""The stratification pipeline: profiles → scores and calls → personalized priors → ensembles
under the regimen panel → response probabilities → recommendation (→ AUC against labels) → tables
and report.

Example:
    >>> StratifySettings().ensemble.members
    24
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from tmesim.errors import ConfigError
from tmesim.io.atomic import atomic_write
from tmesim.stratify.calls import genotype_calls, phenotype_calls
from tmesim.stratify.ensembles import (
    EnsembleSettings,
    grow_ensembles,
    response_probabilities,
    simulate_candidate,
)
from tmesim.stratify.evaluation import auc_table
from tmesim.stratify.genesets import SIGNATURES
from tmesim.stratify.mapping import mapping_table, patient_features, personalize
from tmesim.stratify.panel import PANEL, Candidate
from tmesim.stratify.profiles import Profiles
from tmesim.stratify.recommend import recommend, wide_probabilities
from tmesim.stratify.scores import signature_scores

TABLE_FILE = "stratification.csv"
PREDICTIONS_FILE = "predictions.csv"
MEMBERS_FILE = "members.parquet"
CHANGES_FILE = "parameter_changes.csv"
MAPPING_FILE = "mapping.csv"
COVERAGE_FILE = "coverage.csv"
AUC_FILE = "auc.csv"
REPORT_FILE = "report.html"


class StratifySettings(BaseModel):
    """What `tmesim stratify` does besides reading the files."""

    model_config = ConfigDict(extra="forbid")

    ensemble: EnsembleSettings = Field(default_factory=EnsembleSettings)
    cancer_type: str = Field(
        "melanoma", description="Cancer type of samples the clinical table does not cover."
    )
    regimens: list[str] | None = Field(
        None, description="Candidate names to simulate (default: the whole panel)."
    )
    received_default: str = Field(
        "anti-PD-1", description="Regimen assumed received where the labels do not say."
    )

    @field_validator("regimens")
    @classmethod
    def _known(cls, names: list[str] | None) -> list[str] | None:
        known = [c.name for c in PANEL]
        for name in names or []:
            if name not in known:
                raise ConfigError("regimens", name, "use candidates of the panel", choices=known)
        return names

    def candidates(self) -> list[Candidate]:
        names = self.regimens
        return [c for c in PANEL if names is None or c.name in names]


@dataclass(frozen=True)
class StratifyResult:
    """Everything a stratification produced (also written to `out_dir`)."""

    out_dir: Path | None
    table: pd.DataFrame
    """one row per sample: scores, calls, probabilities per regimen, recommendation"""
    scores: pd.DataFrame
    calls: pd.DataFrame
    predictions: pd.DataFrame
    """long: sample, regimen, n, responders, probability, ci_low, ci_high, mean change"""
    members: pd.DataFrame
    changes: pd.DataFrame
    auc: pd.DataFrame | None
    seconds: float
    n_virtual_patients: int
    phases: dict[str, float] = field(default_factory=dict)
    """wall seconds per phase: profiles (scores, calls, priors), growth, each regimen, tables"""

    def summary(self) -> str:
        counts = self.table["recommended"].value_counts()
        top = ", ".join(f"{k} {v}" for k, v in counts.items())
        text = (
            f"{len(self.table)} patients, {self.n_virtual_patients} virtual patients under "
            f"{self.predictions['regimen'].nunique()} regimens in {self.seconds:.1f} s; "
            f"recommended: {top}"
        )
        if self.auc is not None and len(self.auc):
            text += f"; AUC of predicted response {self.auc['auc'].iloc[0]:.2f}"
        if self.out_dir is not None:
            text += f"; results in {self.out_dir}"
        return text


def stratify(
    profiles: Profiles,
    settings: StratifySettings | None = None,
    *,
    out_dir: Path | None = None,
    n_threads: int | None = None,
    progress: bool = False,
    inputs: dict[str, Any] | None = None,
) -> StratifyResult:
    """Run the pipeline on checked profiles; write the tables and report to `out_dir` if given."""
    from rich.progress import Progress

    from tmesim.engines.qsp.compiled import compiled_kernel
    from tmesim.model import build_model
    from tmesim.parameters.presets import get_preset

    settings = settings or StratifySettings()
    start = time.perf_counter()
    scores = signature_scores(profiles.expression, reference=profiles.reference)
    genotypes = genotype_calls(profiles.samples, profiles.mutations)
    calls = phenotype_calls(
        scores, genotypes, profiles.clinical, default_cancer_type=settings.cancer_type
    )
    priors, changes = [], []
    for s in profiles.samples:
        preset = str(calls.loc[s, "preset"])
        params, changed = personalize(
            get_preset(preset), patient_features(scores.loc[s], calls.loc[s])
        )
        priors.append((s, preset, params))
        changes.append(changed.assign(sample=s))
    changes_table = pd.concat(changes, ignore_index=True)
    changes_table = changes_table[["sample", *[c for c in changes_table if c != "sample"]]]
    model = build_model()
    compiled_kernel(model)
    phases = {"profiles": time.perf_counter() - start}
    candidates = settings.candidates()
    with Progress(disable=not progress, transient=True) as bar:
        grow_task = bar.add_task("growing virtual patients", total=len(priors))
        mark = time.perf_counter()
        ensembles = grow_ensembles(
            priors,
            model,
            settings.ensemble,
            n_threads=n_threads,
            progress=lambda: bar.advance(grow_task),
        )
        phases["growth"] = time.perf_counter() - mark
        task = bar.add_task("treating", total=len(candidates))
        members = []
        for c in candidates:
            mark = time.perf_counter()
            members.append(
                simulate_candidate(ensembles, c, model, settings.ensemble, n_threads=n_threads)
            )
            phases[c.name] = time.perf_counter() - mark
            bar.advance(task)
    mark = time.perf_counter()
    members_table = pd.concat([m for m in members if len(m)], ignore_index=True)
    predictions = response_probabilities(members_table)
    wide = wide_probabilities(predictions)
    rec = recommend(predictions, members_table, calls)
    table = pd.concat(
        [
            scores.add_prefix("score_"),
            calls,
            wide.reindex(scores.index),
            rec.reindex(scores.index),
        ],
        axis=1,
    )
    table.index.name = "sample"
    # A profile none of whose virtual patients reaches treatment start gets no recommendation;
    # the table says why instead of leaving the row blank.
    for e in ensembles:
        if not e.baseline.plausible.any() and e.sample in table.index:
            reasons = e.baseline.table["implausible_reason"].value_counts()
            table.loc[e.sample, "driver"] = (
                "no virtual patient of this profile reaches treatment start "
                f"({reasons.index[0]}); nothing to rank"
            )
    auc = None
    if profiles.labels is not None:
        auc = auc_table(
            wide, scores, calls, profiles.labels, default_regimen=settings.received_default
        )
        table["responder"] = profiles.labels["responder"].reindex(table.index)
        table["regimen_received"] = profiles.labels["regimen"].reindex(table.index)
    n_vp = int(sum(e.baseline.plausible.sum() for e in ensembles))
    phases["tables"] = time.perf_counter() - mark
    result = StratifyResult(
        Path(out_dir) if out_dir is not None else None,
        table,
        scores,
        calls,
        predictions,
        members_table,
        changes_table,
        auc,
        time.perf_counter() - start,
        n_vp,
        phases,
    )
    if out_dir is not None:
        mark = time.perf_counter()
        write_outputs(result, profiles, settings, model, priors, inputs or {})
        phases["outputs and report"] = time.perf_counter() - mark
    return result


def _csv(path: Path, frame: pd.DataFrame, index: bool = False) -> None:
    atomic_write(path, lambda tmp: frame.to_csv(tmp, index=index))


def write_outputs(
    result: StratifyResult,
    profiles: Profiles,
    settings: StratifySettings,
    model: Any,
    priors: Sequence[tuple[str, str, Any]],
    inputs: dict[str, Any],
) -> None:
    """Tables, members, report and manifest, each written atomically (the manifest last)."""
    from tmesim.io.manifest import hash_json, write_manifest
    from tmesim.io.outdir import claim_output
    from tmesim.stratify.report import render_stratify_report

    out = result.out_dir
    assert out is not None
    # Marked as a stratify run before the first table: a run stopped halfway can be run again
    # into the same folder.
    claim_output(out, "stratify")
    _csv(out / TABLE_FILE, result.table, index=True)
    _csv(out / PREDICTIONS_FILE, result.predictions)
    _csv(out / CHANGES_FILE, result.changes)
    _csv(out / MAPPING_FILE, mapping_table())
    _csv(out / COVERAGE_FILE, profiles.coverage, index=True)
    atomic_write(out / MEMBERS_FILE, lambda tmp: result.members.to_parquet(tmp, index=False))
    if result.auc is not None:
        _csv(out / AUC_FILE, result.auc)
    render_stratify_report(result, profiles, settings, out / REPORT_FILE)
    write_manifest(
        out,
        command="stratify",
        config={"settings": settings.model_dump(mode="json"), "inputs": inputs},
        seed=settings.ensemble.seed,
        model_hash=model.structure_hash(),
        parameter_hash=hash_json({s: p.content_hash() for s, _, p in priors}),
        extra={
            "seconds": round(result.seconds, 3),
            "patients": len(result.table),
            "virtual_patients": result.n_virtual_patients,
            "signatures": list(SIGNATURES),
        },
    )

"""`Trial`: a virtual mouse study or clinical trial as a Python object (the CLI's `tmesim trial`).

Example:
    >>> from tmesim import Trial
    >>> trial = Trial.flagship(**{"cohorts.0.n": 5})
    >>> [c.preset for c in trial.scenario.cohorts]
    ['mouse_4t1', 'mouse_b16_gmcsf', 'mouse_b16f10']
    >>> result = trial.run("tmesim-out")                         # doctest: +SKIP
    >>> result.key_results()                                      # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from tmesim.config.trial import TrialScenario, load_trial, trial_from_dict
from tmesim.trials.runner import StudySummary, run_study
from tmesim.trials.scenarios import flagship_path
from tmesim.trials.summary import key_results


@dataclass(frozen=True)
class TrialResult:
    """The tables a finished run wrote, read on demand."""

    out_dir: Path
    summary: StudySummary

    def _table(self, name: str) -> pd.DataFrame:
        path = self.out_dir / f"{name}.parquet"
        return pd.read_parquet(path) if path.exists() else pd.DataFrame()

    @cached_property
    def patients(self) -> pd.DataFrame:
        """One row per virtual patient and arm: status, parameters, endpoints, censoring."""
        return self._table("patients")

    @cached_property
    def burden(self) -> pd.DataFrame:
        """Tumor volume and mechanism observables per patient and saved day."""
        return self._table("burden")

    @cached_property
    def visits(self) -> pd.DataFrame:
        """Scans and their RECIST reading (clinical trials)."""
        return self._table("visits")

    def key_results(self) -> pd.DataFrame:
        """Headline endpoints per cohort and arm, with 95% intervals."""
        return key_results(self.out_dir)


@dataclass(frozen=True)
class Trial:
    """A study scenario, validated, ready to run."""

    scenario: TrialScenario

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides: Any) -> Trial:
        """Read a study YAML; keyword overrides use dotted keys (``**{"cohorts.0.n": 50}``)."""
        return cls(load_trial(Path(path), _as_overrides(overrides)))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], **overrides: Any) -> Trial:
        return cls(trial_from_dict(data, _as_overrides(overrides)))

    @classmethod
    def flagship(cls, **overrides: Any) -> Trial:
        """The built-in flagship study (De Henau 2016), as a bare `tmesim trial` runs it."""
        return cls.from_yaml(flagship_path(), **overrides)

    def run(
        self,
        out_dir: str | Path,
        *,
        resume: bool = False,
        n_threads: int | None = None,
        report: bool = True,
        progress: bool = False,
        scheduler: str | None = None,
        workers: int | None = None,
    ) -> TrialResult:
        """Run into `out_dir` (tables, manifest and, with `report`, the HTML report); the chunks
        of patients on a Dask cluster with `scheduler` (its address) or `workers` (local worker
        processes), the same tables as here (:mod:`tmesim.executor`)."""
        out = Path(out_dir)
        summary = run_study(
            self.scenario,
            out,
            resume=resume,
            progress=progress,
            n_threads=n_threads,
            report=report,
            scheduler=scheduler,
            workers=workers,
        )
        return TrialResult(out, summary)


def _as_overrides(overrides: Mapping[str, Any]) -> Sequence[str]:
    return [f"{key}={json.dumps(value)}" for key, value in overrides.items()]

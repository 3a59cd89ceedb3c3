"""What is varied, over which range, at which points, and how the indices are read from the runs.

Each varied parameter is one factor u in [-1, 1], applied to every preset of the run as a fold
change of that preset's own value: value · fold^u on the log scale, so `--fold 2` spans half to
twice the preset value. A dimensionless value strictly between 0 and 1 (a fraction, a maximal
inhibition, a partition coefficient) is varied on its odds, odds · fold^u, so that it never leaves
(0, 1); a dimensionless value below 1 that is not a fraction therefore gets a slightly narrower
range (0.5 → 0.33–0.67 at fold 2). All factors share one range, so their indices compare.

Points come from SALib: Morris trajectories (elementary effects on a 4-level grid; r
trajectories of k + 1 points) or Saltelli's extension of a scrambled Sobol' sequence (N base
points, N(k + 2) runs, first-order and total indices). A trajectory (Morris) or a base point's
block (Sobol) in which any run failed is left out of the analysis, and the count is reported.

Example:
    >>> f = Factor("cd8_kill_rate", "1/day", {"mouse_4t1": 2.0}, {"mouse_4t1": "calibrated"})
    >>> f.values(np.array([-1.0, 0.0, 1.0]), fold=2.0)["mouse_4t1"].tolist()
    [1.0, 2.0, 4.0]
"""

from __future__ import annotations

import fnmatch
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from tmesim.errors import ConfigError
from tmesim.validation.provenance import Provenance, classify_parameter, weakest
from tmesim.validation.record import CalibrationRecord, load_record

Method = Literal["morris", "sobol"]
METHODS: tuple[Method, ...] = ("morris", "sobol")
MORRIS_LEVELS = 4
CONF_LEVEL = 0.95
RESAMPLES = 200
"""Bootstrap resamples behind the 95% intervals (seeded: the same at each run)."""


@dataclass(frozen=True)
class Factor:
    """One varied parameter: its nominal value and its provenance in each preset."""

    id: str
    units: str
    nominal: Mapping[str, float]
    provenance: Mapping[str, Provenance]

    def provenance_in(self, presets: Sequence[str]) -> Provenance:
        """The least supported provenance of the value across `presets`."""
        return weakest([self.provenance[p] for p in presets])

    def values(self, u: np.ndarray, fold: float) -> dict[str, np.ndarray]:
        """Parameter values per preset at factor levels `u` (in [-1, 1])."""
        multiplier = np.power(fold, np.asarray(u, dtype=float))
        out = {}
        for preset, v in self.nominal.items():
            if self.units == "1" and 0.0 < v < 1.0:
                odds = v / (1.0 - v) * multiplier
                out[preset] = odds / (1.0 + odds)
            else:
                out[preset] = v * multiplier
        return out

    def range_text(self, fold: float, presets: Sequence[str] | None = None) -> str:
        """The range in each of `presets` (default: all), e.g. 'mouse_4t1 1–4'."""
        ends = self.values(np.array([-1.0, 1.0]), fold)
        chosen = presets if presets is not None else list(ends)
        return "; ".join(f"{p} {ends[p][0]:.3g}–{ends[p][1]:.3g}" for p in chosen)


_ZERO = re.compile(r"(?<![\d.])0(?![\d.])")
_ONE = re.compile(r"(?<![\d.])1(?![\d.])")


def is_switch(units: str, description: str) -> bool:
    """A dimensionless parameter whose description names two states 0 and 1 (a mechanism switch,
    a growth law, a knock-out, a lost pathway): on or off, not a value with a range.

    Example:
        >>> is_switch("1", "clone 2: IFN-γ pathway intact (1) or lost (0)")
        True
        >>> is_switch("1", "clone 1: antigen presented per MHC-I, relative to the parental clone")
        False
    """
    text = re.sub(r"^clone \d+:", "", description)
    return units == "1" and bool(_ZERO.search(text)) and bool(_ONE.search(text))


def _is_glob(text: str) -> bool:
    return any(ch in text for ch in "*?[")


def choose_factors(
    presets: Sequence[str],
    requested: Sequence[str] | None = None,
    *,
    exclude: Mapping[str, str] | None = None,
    record: CalibrationRecord | None = None,
) -> tuple[list[Factor], list[str]]:
    """The factors of a run over `presets`, and notes on parameters left out.

    Default: every parameter with a prior (inter-individual variability) in any of the presets:
    the values the presets already call uncertain. `requested` names ids or globs
    (`--parameter cd8_*`). Switches (:func:`is_switch`), values that are 0 in every preset (a fold
    cannot move them) and ids in `exclude` (id -> why, e.g. set by a cohort of a target's study)
    are left out of a glob or the default, and are an error when named.

    Example:
        >>> factors, notes = choose_factors(["mouse_4t1"], ["cd8_kill_rate"])
        >>> [f.id for f in factors]
        ['cd8_kill_rate']
    """
    from tmesim.model import build_model
    from tmesim.parameters.presets import get_preset

    record = record if record is not None else load_record()  # read once, not per value
    descriptions = {p.id: p.description for p in build_model().parameters}
    sets = {name: get_preset(name) for name in dict.fromkeys(presets)}
    first = next(iter(sets.values()))
    ids = list(first.parameters)
    exclude = dict(exclude or {})
    notes: list[str] = []

    def problem(pid: str) -> str | None:
        if pid.startswith("mechanism_") or is_switch(first[pid].units, descriptions.get(pid, "")):
            return "a switch (0 or 1) is on or off, not a value with a range"
        if pid in exclude:
            return exclude[pid]
        if all(ps[pid].value == 0.0 for ps in sets.values()):
            return f"it is 0 in {', '.join(sets)}, and a fold range cannot move 0"
        return None

    if not requested:
        chosen = sorted({p.id for ps in sets.values() for p in ps.varied()})
        explicit: set[str] = set()
    else:
        chosen, explicit = [], set()
        for text in requested:
            if _is_glob(text):
                matched = fnmatch.filter(ids, text)
                if not matched:
                    raise ConfigError(
                        "--parameter",
                        text,
                        "the pattern matches no parameter id (`tmesim parameters PRESET`)",
                    )
                chosen.extend(matched)
            else:
                if text not in first.parameters:
                    raise ConfigError(
                        "--parameter",
                        text,
                        f"name a parameter of preset {first.name} (`tmesim parameters "
                        f"{first.name}`) or a pattern such as 'cd8_*'",
                        choices=ids,
                    )
                chosen.append(text)
                explicit.add(text)
        chosen = list(dict.fromkeys(chosen))
    factors = []
    for pid in chosen:
        why = problem(pid)
        if why is not None:
            if pid in explicit:
                raise ConfigError("--parameter", pid, f"it cannot be varied: {why}")
            notes.append(f"{pid} left out: {why}")
            continue
        provenance = {name: classify_parameter(ps[pid], name, record) for name, ps in sets.items()}
        nominal = {name: ps[pid].value for name, ps in sets.items()}
        factors.append(Factor(pid, first[pid].units, nominal, provenance))
    if not factors:
        raise ConfigError("--parameter", list(requested or []), "no parameter is left to vary")
    return factors, notes


def problem_of(factors: Sequence[Factor]) -> dict:
    """The SALib problem: one factor in [-1, 1] per parameter."""
    return {
        "num_vars": len(factors),
        "names": [f.id for f in factors],
        "bounds": [[-1.0, 1.0]] * len(factors),
    }


def evaluations(method: Method, size: int, k: int) -> int:
    """Runs a design needs: r(k + 1) for Morris, N(k + 2) for Sobol.

    Example:
        >>> evaluations("morris", 10, 16), evaluations("sobol", 64, 16)
        (170, 1152)
    """
    return size * (k + 1) if method == "morris" else size * (k + 2)


def check_design(method: str, size: int) -> Method:
    """Validate the method and the design size (trajectories or base samples)."""
    if method not in METHODS:
        raise ConfigError("--method", method, "choose morris or sobol", choices=METHODS)
    if method == "morris" and size < 2:
        raise ConfigError("--trajectories", size, "give at least 2 Morris trajectories")
    if method == "sobol" and (size < 2 or size & (size - 1)):
        raise ConfigError(
            "--samples", size, "give a power of 2 (e.g. 32, 64): Sobol' points balance only then"
        )
    return method  # type: ignore[return-value]


def sample(method: Method, factors: Sequence[Factor], size: int, seed: int) -> np.ndarray:
    """Factor levels (runs, k) in [-1, 1] of a Morris or Sobol design; same seed, same points."""
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    problem = problem_of(factors)
    if method == "morris":
        return morris_sample.sample(problem, size, num_levels=MORRIS_LEVELS, seed=seed)
    return sobol_sample.sample(problem, size, calc_second_order=False, scramble=True, seed=seed)


def _complete_groups(Y: np.ndarray, group: int) -> np.ndarray:
    """Rows of the groups (trajectories or Sobol blocks) whose every run gave a finite value."""
    ok = np.isfinite(Y).reshape(-1, group).all(axis=1)
    return np.repeat(ok, group)


def analyze(
    method: Method, factors: Sequence[Factor], X: np.ndarray, Y: np.ndarray, seed: int
) -> tuple[pd.DataFrame, int]:
    """Indices per factor (columns parameter, index, value, ci_low, ci_high) and the number of
    groups left out because a run failed.

    Morris: mu_star (mean absolute elementary effect with its bootstrap 95% interval), mu and
    sigma, in output units per whole range: a linear effect gives the change of the output from
    value/fold to value·fold. Sobol: S1 and ST with their bootstrap 95% intervals. An output that
    does not vary gives indices 0.
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    k = len(factors)
    group = k + 1 if method == "morris" else k + 2
    keep = _complete_groups(Y, group)
    dropped = int((~keep).sum() // group)
    X, Y = X[keep], Y[keep]
    problem = problem_of(factors)
    rows = []
    nan = math.nan
    names = [f.id for f in factors]
    if len(Y) < 2 * group:
        indices = ("mu_star", "mu", "sigma") if method == "morris" else ("S1", "ST")
        for name in names:
            rows.extend((name, index, nan, nan, nan) for index in indices)
        return pd.DataFrame(rows, columns=["parameter", "index", "value", "ci_low", "ci_high"]), (
            dropped
        )
    constant = bool(np.ptp(Y) == 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if method == "morris":
            r = morris_analyze.analyze(
                problem,
                X,
                Y,
                num_resamples=RESAMPLES,
                conf_level=CONF_LEVEL,
                num_levels=MORRIS_LEVELS,
                seed=seed,
            )
            for j, name in enumerate(names):
                mu_star, conf = float(r["mu_star"][j]), float(r["mu_star_conf"][j])
                rows.append((name, "mu_star", mu_star, max(mu_star - conf, 0.0), mu_star + conf))
                rows.append((name, "mu", float(r["mu"][j]), nan, nan))
                rows.append((name, "sigma", float(r["sigma"][j]), nan, nan))
        elif constant:
            for name in names:
                rows.extend((name, index, 0.0, 0.0, 0.0) for index in ("S1", "ST"))
        else:
            r = sobol_analyze.analyze(
                problem,
                Y,
                calc_second_order=False,
                num_resamples=RESAMPLES,
                conf_level=CONF_LEVEL,
                seed=seed,
            )
            for j, name in enumerate(names):
                for index in ("S1", "ST"):
                    value, conf = float(r[index][j]), float(r[f"{index}_conf"][j])
                    rows.append((name, index, value, value - conf, value + conf))
    return pd.DataFrame(rows, columns=["parameter", "index", "value", "ci_low", "ci_high"]), dropped

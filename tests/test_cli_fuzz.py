"""Hostile inputs end to end: a few hundred generated runs of simulate, trial, stratify and
validate through the command line, with quick settings.

Each run starts from a quick valid input and changes one to three things at random (a config value,
a table cell, the output folder). Whatever it is, the run must either succeed with valid outputs
(every file its manifest lists, unchanged) or stop with one line on stderr, exit status 2 (bad
input) or 1 (a run that failed), and no traceback; and it writes nothing outside its output folder.
The generator is seeded, so every run of the suite tries the same inputs.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from tmesim.cli import app
from tmesim.config.yamlio import dump_yaml
from tmesim.io.manifest import verify_manifest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
OUTCOMES: Counter[tuple[str, str]] = Counter()
HOSTILE: list[Any] = [
    True, None, math.nan, math.inf, 0, -1, -7, 1e-300, 1e300, 10**30, "", "yes", "1:30", ".nan",
    "x" * 3000, "a\nb", "\x1b[31m", [], [1, 2], {"a": 1}, 0.5, 1, 3, 10, 1e9,
]  # fmt: skip
SCENARIO = {"preset": "mouse_4t1", "n_patients": 2, "duration_days": 5, "chunk_size": 2}
SCENARIO_KEYS = {
    "preset": ["mouse_b16f10", "human_melanoma", "mouse_4tl"],
    "regimen": ["anti-pd-1 200 ug biw x2", "nivolumab 3 mg/kg q2w x1000000000", "x 1 mg"],
    "n_patients": [1, 3],
    "duration_days": [1, 2.5],
    "save_every_days": [0.5, 1e-300],
    "seed": [1, 2**64],
    "chunk_size": [1, 10**9],
    "variability": [False],
    "parameters": [{"tumor_growth_rate": 0.3}, {"clone_0_ifng_sensing": 2}, {"nope": 1}],
    "mechanisms": [{"pd1": False}, {"pd1": "maybe"}, {"nope": True}],
    "solver": [{"max_steps": 1}, {"rtol": 1e-4}, {"rtol": 2}, {"method": "euler"}],
    "engine": ["qsp", "ode"],
    "unknown": [1],
}
STUDY = {
    "title": "t",
    "cohorts": [{"name": "a", "preset": "mouse_4t1", "n": 2}],
    "arms": [{"name": "control"}, {"name": "pd1", "regimen": "anti-pd-1 200 ug biw x2"}],
    "follow_up_days": 10,
}
STUDY_KEYS = {
    "title": ["another"],
    "follow_up_days": [5, 20, 1e9],
    "save_every_days": [2, 1e-300],
    "palpable_mm3": [2, 2000],
    "endpoint_volume_mm3": [800, 1],
    "rechallenge": [{"cells": 1e5, "follow_up_days": 5}, {"cells": 1e-300}],
    "chunk_size": [1, 0],
    "design": ["randomized", "crossover"],
    "kind": ["clinical_trial", "mouse_study"],
    "solver": [{"max_steps": 1}, {"rtol": 1e-5}],
    "seed": [3, -1],
    "cohorts": [
        [{"name": "a", "preset": "human_melanoma", "n": 2}],
        [{"name": "a", "preset": "mouse_4t1", "n": 2, "plausibility": {"tumor_volume": [9, 1]}}],
        [{"name": "a", "preset": "mouse_4t1", "n": 2}, {"name": "a", "preset": "mouse_ct26"}],
        [{"name": "a", "preset": "mouse_4t1", "n": 2, "parameters": {"ipi549_emax": 3}}],
    ],
    "arms": [[{"name": "x", "regimen": "ipi-549 15 mg/kg qd x3 from day 1e300"}], []],
}


def _value(rng: random.Random, good: list[Any]) -> Any:
    return rng.choice(good) if rng.random() < 0.7 else rng.choice(HOSTILE)


def _config(rng: random.Random, base: dict[str, Any], keys: dict[str, list[Any]]) -> dict:
    data = dict(base)
    for key in rng.sample(sorted(keys), rng.choice([1, 1, 2, 3])):
        data[key] = _value(rng, keys[key])
    return data


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and not p.is_symlink()
    }


def _out(rng: random.Random, box: Path) -> tuple[Path | str, bool]:
    """An output folder: mostly a new one, sometimes a hostile one (True if hostile)."""
    choice = rng.random()
    if choice < 0.8:
        return box / "out", False
    user = box / "users-own"
    user.mkdir(exist_ok=True)
    (user / "report.html").write_text("the user's report")
    (box / "a-file").write_text("data")
    if not (box / "link").exists():
        (box / "link").symlink_to(user)
    return rng.choice([user, box / "a-file", box / "link", "", "/proc/tmesim"]), True


def _check(result, kind: str, box: Path, out: Path | str, before: dict[str, bytes]) -> str:
    code, stderr = result.exit_code, result.stderr
    assert "Traceback" not in result.stdout + stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    out_path = Path(out) if str(out) else None
    after = _files(box)
    inside = f"{Path(out).relative_to(box).as_posix()}/" if Path(out).is_relative_to(box) else None
    outside = {k: v for k, v in after.items() if inside is None or not k.startswith(inside)}
    assert outside == {
        k: v for k, v in before.items() if inside is None or not k.startswith(inside)
    }
    if kind == "validate" and code in (0, 1) and out_path is not None:
        # exit 1: a target failed its acceptance rule, which the table and page say
        if (out_path / "validation.csv").exists():
            assert (out_path / "validation.html").exists()
            return "success"
    if code == 0:
        assert out_path is not None and verify_manifest(out_path) == []
        return "success"
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert code in (1, 2) and len(lines) == 1, (code, result.stdout, stderr)
    return "failed run" if code == 1 else "clean error"


def _case(tmp_path: Path, seed: int, kind: str) -> tuple[list[Any], Path, Path | str]:
    rng = random.Random(f"{kind}-{seed}")
    box = tmp_path / "box"
    box.mkdir()
    out, _ = _out(rng, box)
    if kind == "simulate":
        path = box / "in.yaml"
        path.write_text(dump_yaml(_config(rng, SCENARIO, SCENARIO_KEYS)), encoding="utf-8")
        return ["simulate", path, "--out", out, "-q", "-j", "1"], box, out
    if kind == "trial":
        path = box / "in.yaml"
        path.write_text(dump_yaml(_config(rng, STUDY, STUDY_KEYS)), encoding="utf-8")
        return ["trial", path, "--out", out, "-q", "-j", "1", "--no-report"], box, out
    if kind == "stratify":
        table = pd.read_csv(
            EXAMPLES / "stratify_clinical.tsv", sep="\t", dtype=str, keep_default_na=False
        )
        for _ in range(rng.randint(1, 2)):
            row, column = rng.randrange(len(table)), rng.choice(list(table.columns))
            table.iat[row, table.columns.get_loc(column)] = str(rng.choice(HOSTILE))[:50]
        path = box / "clinical.tsv"
        table.to_csv(path, sep="\t", index=False)
        args = ["stratify", "--expression", EXAMPLES / "stratify_expression.tsv"]
        args += ["--clinical", path, "--members", "2", "--regimen", "anti-PD-1"]
        return [*args, "--out", out, "-q", "-j", "1"], box, out
    target = rng.choice(["antibody_half_life_nivolumab", "no_such_target", ""])
    sets = rng.choice([[], ["--set", "human_melanoma:tumor_growth_rate=.nan"], ["--set", "x"]])
    return ["validate", "--only", target, *sets, "--out", out, "-q", "-j", "1"], box, out


def _run(tmp_path: Path, seed: int, kind: str, monkeypatch) -> str:
    args, box, out = _case(tmp_path, seed, kind)
    monkeypatch.chdir(box)
    before = _files(box)
    result = CliRunner().invoke(app, [str(a) for a in args])
    outcome = _check(result, kind, box, out, before)
    OUTCOMES[kind, outcome] += 1
    return outcome


@pytest.mark.parametrize("seed", range(110))
def test_simulate_end_to_end(tmp_path, monkeypatch, seed):
    _run(tmp_path, seed, "simulate", monkeypatch)


@pytest.mark.parametrize("seed", range(90))
def test_trial_end_to_end(tmp_path, monkeypatch, seed):
    _run(tmp_path, seed, "trial", monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(24))
def test_stratify_end_to_end(tmp_path, monkeypatch, seed):
    _run(tmp_path, seed, "stratify", monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(12))
def test_validate_end_to_end(tmp_path, monkeypatch, seed):
    _run(tmp_path, seed, "validate", monkeypatch)


def test_end_to_end_tally():
    """Runs that succeeded, failed cleanly (exit 1) or were refused (exit 2), per command; needs
    the simulate and trial runs of this module (skipped when run alone)."""
    kinds = {kind for kind, _ in OUTCOMES}
    if not {"simulate", "trial"} <= kinds:
        pytest.skip("run the whole module for the tally")
    for kind in sorted(kinds):
        counts = {outcome: n for (k, outcome), n in OUTCOMES.items() if k == kind}
        print(f"\nend to end {kind}: {sum(counts.values())} runs, {counts}")
    for kind in ("simulate", "trial"):
        assert OUTCOMES[kind, "success"] > 5 and OUTCOMES[kind, "clean error"] > 5

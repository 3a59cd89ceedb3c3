"""The kernel file: one content-addressed file per model, written once, imported once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from solver_test_models import SOURCE, cohort, linear

from tmesim.errors import ConfigError
from tmesim.solvers import SolverStatus, build_kernel, cache_dir, describe
from tmesim.solvers import integrators as ig
from tmesim.solvers import kernel as kernel_module

AUTONOMOUS = """
N_STATES = 1
N_PARAMS = 1
N_OBS = 1


@njit(cache=True)
def rhs(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]


@njit(cache=True)
def jac(t, y, p, J):
    J[0, 0] = -p[0]


@njit(cache=True)
def observe(t, y, p, out):
    out[0] = y[0]
"""


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TMESIM_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(kernel_module, "_KERNELS", {})
    return tmp_path / "kernels"


def kernel_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.py"))


def test_one_file_with_model_and_integrators(fresh_cache: Path) -> None:
    module = build_kernel(AUTONOMOUS, "toy model")
    files = kernel_files(fresh_cache)
    assert len(files) == 1 and files[0].name.startswith("tmesim_toy_model_")
    assert Path(module.__file__) == files[0]
    text = files[0].read_text()
    assert "def rhs(" in text and "def solve_cohort(" in text
    # The stand-in import is gone, so the module's rhs is the model's.
    assert "import N_OBS, N_PARAMS, N_STATES, dfdt, jac, observe, rhs" not in text
    assert text.count("def dfdt(") == 1
    assert not list(fresh_cache.glob(".*tmp*"))


def test_a_zero_dfdt_is_added_only_when_missing(fresh_cache: Path) -> None:
    module = build_kernel(AUTONOMOUS, "toy")
    out = np.full(1, 7.0)
    module.dfdt(0.5, np.ones(1), np.ones(1), out)
    assert out[0] == 0.0
    text = kernel_module.kernel_text(SOURCE, "with_dfdt")
    assert text.count("def dfdt(") == 1
    assert "p[4] * (-math.sin(t)" in text


def test_same_source_is_built_once(fresh_cache: Path) -> None:
    first = build_kernel(AUTONOMOUS, "toy")
    assert build_kernel(AUTONOMOUS, "toy") is first
    other = build_kernel(AUTONOMOUS.replace("-p[0] * y[0]", "-2.0 * p[0] * y[0]"), "toy")
    assert other is not first
    assert len(kernel_files(fresh_cache)) == 2


def test_an_existing_file_is_not_rewritten(fresh_cache: Path, monkeypatch) -> None:
    # Rewriting would change the modification time and invalidate numba's cache.
    path = Path(build_kernel(AUTONOMOUS, "toy").__file__)
    os.utime(path, (1_000_000_000, 1_000_000_000))
    monkeypatch.setattr(kernel_module, "_KERNELS", {})
    build_kernel(AUTONOMOUS, "toy")
    assert path.stat().st_mtime == 1_000_000_000


def test_a_damaged_file_is_replaced(fresh_cache: Path, monkeypatch) -> None:
    path = Path(build_kernel(AUTONOMOUS, "toy").__file__)
    full = path.read_text()
    path.write_text(full[: len(full) // 2])  # as if a process died while writing
    monkeypatch.setattr(kernel_module, "_KERNELS", {})
    build_kernel(AUTONOMOUS, "toy")
    assert path.read_text() == full


def test_cache_dir_follows_the_environment(fresh_cache: Path) -> None:
    assert cache_dir() == fresh_cache


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (AUTONOMOUS.replace("def jac(", "def jacobian("), "does not define jac"),
        (AUTONOMOUS.replace("N_OBS = 1", ""), "does not define N_OBS"),
        (AUTONOMOUS + "\ndef broken(:\n", "not valid Python"),
    ],
)
def test_bad_sources_are_refused(fresh_cache: Path, source: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_kernel(source, "bad")
    assert kernel_files(fresh_cache) == []


def test_status_codes_match_the_kernel_and_say_what_to_do() -> None:
    for status in SolverStatus:
        assert getattr(ig, status.name) == status.value
        text = describe(status)
        assert text.endswith(".") and len(text) > 20
    for code in (1, 2, 3, 4, 5):
        assert any(w in describe(code) for w in ("use", "check", "raise", "validate"))
    assert "rebuild" in describe(99)


CACHE_PROBE = textwrap.dedent(
    """
    import json, sys, time
    start = time.perf_counter()
    from tmesim.solvers import build_kernel, solve
    kernel = build_kernel(sys.argv[1], "solver_tests")
    Y0, P = json.loads(sys.argv[2])
    sol = solve(kernel, Y0, P, 0.0, [1.0])
    stats = kernel.solve_cohort.stats
    print(json.dumps({"hits": sum(stats.cache_hits.values()),
                      "misses": sum(stats.cache_misses.values()),
                      "seconds": time.perf_counter() - start,
                      "value": float(sol.observables[0, 0, 0])}))
    """
)


@pytest.mark.slow
def test_a_new_process_loads_the_compiled_kernel_from_disk() -> None:
    # Same source as the session's kernel, in the same cache folder: the first run compiles
    # it if no test did yet; the second must find everything in numba's cache.
    patient = json.dumps(cohort([linear([1.0, 0.0], [-1.0, 0.0, 0.0, -1.0, 0.0, 0.0])]))

    def probe() -> dict:
        done = subprocess.run(
            [sys.executable, "-c", CACHE_PROBE, SOURCE, patient],
            capture_output=True, text=True, check=True, timeout=600,
        )  # fmt: skip
        return json.loads(done.stdout.strip().splitlines()[-1])

    probe()
    second = probe()
    assert second["misses"] == 0 and second["hits"] >= 1, second
    assert second["value"] == pytest.approx(np.exp(-1.0), rel=1e-5)

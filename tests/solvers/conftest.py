"""The kernel of the test model, built once per session (numba caches it on disk)."""

from __future__ import annotations

from types import ModuleType

import pytest
from solver_test_models import SOURCE

from tmesim.solvers import build_kernel


@pytest.fixture(scope="session")
def kernel() -> ModuleType:
    return build_kernel(SOURCE, "solver_tests")

"""Kernels of the small test models, built once per session (numba caches them on disk)."""

from __future__ import annotations

from types import ModuleType

import pytest
from solver_test_models import LINEAR_SOURCE, ROBERTSON_SOURCE, VDP_SOURCE

from tmesim.solvers import build_kernel


@pytest.fixture(scope="session")
def linear_kernel() -> ModuleType:
    return build_kernel(LINEAR_SOURCE, "test_linear")


@pytest.fixture(scope="session")
def vdp_kernel() -> ModuleType:
    return build_kernel(VDP_SOURCE, "test_vdp")


@pytest.fixture(scope="session")
def robertson_kernel() -> ModuleType:
    return build_kernel(ROBERTSON_SOURCE, "test_robertson")

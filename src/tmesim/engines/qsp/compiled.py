"""The compiled QSP kernel of a model: generated source, cached on disk, compiled by numba once.

Generating the exact Jacobian with sympy takes seconds, and numba compiles the kernel in tens of
seconds; both are cached on disk (the source by model structure, the machine code by numba), so a
second run in a new process starts in seconds.
"""

from __future__ import annotations

import functools
from pathlib import Path
from types import ModuleType

from tmesim.engines.qsp.codegen import generate_source, source_key
from tmesim.io.atomic import atomic_write_text
from tmesim.model.builder import Model
from tmesim.solvers import build_kernel
from tmesim.solvers.kernel import cache_root


def _source_path(model: Model) -> Path:
    return cache_root() / "sources" / f"{model.name}-{source_key(model)}.py"


def model_source(model: Model) -> str:
    """The generated kernel source of `model`, read from the disk cache when present."""
    path = _source_path(model)
    if path.exists():
        return path.read_text(encoding="utf-8")
    text = generate_source(model, compiled=True)
    atomic_write_text(path, text)
    return text


@functools.cache
def compiled_kernel(model: Model) -> ModuleType:
    """The numba kernel (rhs, exact Jacobian, observables, integrators) of `model`."""
    return build_kernel(model_source(model), model.name)

"""The examples in the sweep modules' docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "tmesim.config.sweep",
    "tmesim.config.overrides",
    "tmesim.sweeps.design",
    "tmesim.executor",
    "tmesim.sweeps.endpoints",
    "tmesim.sweeps.synergy",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, name
    assert result.failed == 0, name

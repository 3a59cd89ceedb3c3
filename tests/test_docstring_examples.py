"""The examples in the modules' docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib
import tempfile

import pytest

MODULES = [
    "tmesim.config.overrides",
    "tmesim.config.scenario",
    "tmesim.config.validation",
    "tmesim.config.yamlio",
    "tmesim.io.atomic",
    "tmesim.io.manifest",
    "tmesim.io.results",
    "tmesim.report.figures",
    "tmesim.report.html",
    "tmesim.trials.analysis",
    "tmesim.trials.endpoints",
    "tmesim.trials.recist",
    "tmesim.trials.statistics",
    "tmesim.cohorts.population",
    "tmesim.config.trial",
    "tmesim.trials.trial",
    "tmesim.trials.formatting",
    "tmesim.model.builder",
    "tmesim.parameters.parameter_set",
    "tmesim.parameters.presets",
    "tmesim.therapies.regimen",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    # The examples make folders with tempfile.mkdtemp(); keep them inside pytest's tmp_path.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0

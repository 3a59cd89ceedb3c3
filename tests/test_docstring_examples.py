"""The examples in the modules' docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib
import tempfile

import pytest

MODULES = [
    "tmesim.config.overrides",
    "tmesim.config.scenario",
    "tmesim.config.schema",
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
    "tmesim.cohorts.baseline",
    "tmesim.cohorts.population",
    "tmesim.config.trial",
    "tmesim.trials.trial",
    "tmesim.trials.formatting",
    "tmesim.interop.nonmem",
    "tmesim.interop.sbml_math",
    "tmesim.model.builder",
    "tmesim.model.lesions",
    "tmesim.parameters.parameter_set",
    "tmesim.parameters.presets",
    "tmesim.therapies.regimen",
    "tmesim.engines.qsp.exact_depots",
    "tmesim.trials.clinical",
    "tmesim.engines.abm.agents",
    "tmesim.engines.abm.animation",
    "tmesim.engines.abm.config",
    "tmesim.engines.abm.coupling",
    "tmesim.engines.abm.export_multicellds",
    "tmesim.engines.abm.fields",
    "tmesim.engines.abm.grid",
    "tmesim.engines.abm.parameters",
    "tmesim.engines.abm.readouts",
    "tmesim.engines.abm.rules",
    "tmesim.engines.abm.simulation",
    "tmesim.engines.abm.snapshots",
    "tmesim.stratify.calls",
    "tmesim.stratify.ensembles",
    "tmesim.stratify.evaluation",
    "tmesim.stratify.genesets",
    "tmesim.stratify.mapping",
    "tmesim.stratify.panel",
    "tmesim.stratify.pipeline",
    "tmesim.stratify.profiles",
    "tmesim.stratify.recommend",
    "tmesim.stratify.scores",
    "tmesim.validation",
    "tmesim.validation.acceptance",
    "tmesim.validation.calibrate",
    "tmesim.validation.ledger",
    "tmesim.validation.metrics",
    "tmesim.validation.page",
    "tmesim.validation.provenance",
    "tmesim.validation.record",
    "tmesim.validation.sensitivity",
    "tmesim.validation.sensitivity.design",
    "tmesim.validation.sensitivity.run",
    "tmesim.validation.targets",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    # The examples make folders with tempfile.mkdtemp(); keep them inside pytest's tmp_path.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # and any file an example writes
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0

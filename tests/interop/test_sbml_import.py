"""Every published BioModels file imports and matches libroadrunner's trajectories."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("libsbml")
pytest.importorskip("roadrunner")

from biomodels_check import compare, folder, skip_reason, tolerance  # noqa: E402

from tmesim.errors import ConfigError  # noqa: E402
from tmesim.interop.sbml_import import read_sbml  # noqa: E402

MODELS = sorted(p.name for p in folder().glob("*.xml"))
TOLERANCE = 1e-4
"""Max relative error asked of every species and assigned variable at 101 times over 100 time
units (both solvers far tighter: tmesim rtol 1e-9, libroadrunner rtol 1e-10)."""


def test_the_published_models_are_present() -> None:
    if not MODELS:
        pytest.skip(f"no BioModels files in {folder()} (set TMESIM_BIOMODELS to their folder)")
    assert len(MODELS) >= 18


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_biomodel_matches_roadrunner(name: str) -> None:
    reason = skip_reason(folder() / name)
    if reason:
        read_sbml(folder() / name)  # it still imports
        pytest.skip(f"{name}: {reason}")
    err, worst = compare(folder() / name)
    assert err < tolerance(folder() / name, TOLERANCE), (
        f"{name}: {worst} differs from libroadrunner by {err:.2e} (relative)"
    )


def test_timed_event_and_time_symbol(tmp_path: Path) -> None:
    # A decay with a dose at t = 2 set by an event, and a rate rule that uses time.
    text = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
 <model id="toy">
  <listOfCompartments><compartment id="c" size="2" constant="true"/></listOfCompartments>
  <listOfSpecies>
   <species id="x" compartment="c" initialConcentration="1" hasOnlySubstanceUnits="false"
    boundaryCondition="false" constant="false"/>
  </listOfSpecies>
  <listOfParameters>
   <parameter id="k" value="0.5" constant="true"/>
   <parameter id="z" value="0" constant="false"/>
  </listOfParameters>
  <listOfRules>
   <rateRule variable="z"><math xmlns="http://www.w3.org/1998/Math/MathML">
    <csymbol encoding="text" definitionURL="http://www.sbml.org/sbml/symbols/time">t</csymbol>
   </math></rateRule>
  </listOfRules>
  <listOfReactions>
   <reaction id="decay" reversible="false">
    <listOfReactants><speciesReference species="x" stoichiometry="1" constant="true"/>
    </listOfReactants>
    <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
     <apply><times/><ci>c</ci><ci>k</ci><ci>x</ci></apply></math></kineticLaw>
   </reaction>
  </listOfReactions>
  <listOfEvents>
   <event id="dose" useValuesFromTriggerTime="true">
    <trigger initialValue="false" persistent="true"><math xmlns="http://www.w3.org/1998/Math/MathML">
     <apply><geq/><csymbol encoding="text"
      definitionURL="http://www.sbml.org/sbml/symbols/time">t</csymbol><cn>2</cn></apply>
    </math></trigger>
    <listOfEventAssignments><eventAssignment variable="x">
     <math xmlns="http://www.w3.org/1998/Math/MathML"><apply><plus/><ci>x</ci><cn>3</cn></apply>
     </math></eventAssignment></listOfEventAssignments>
   </event>
  </listOfEvents>
 </model>
</sbml>"""
    path = tmp_path / "toy.xml"
    path.write_text(text)
    imported = read_sbml(path)
    t, values = imported.simulate([0.0, 1.0, 2.0, 4.0])
    x = values[0, :, imported.observable_ids.index("x")]
    z = values[0, :, imported.observable_ids.index("z")]
    expected_x = [1.0, np.exp(-0.5), np.exp(-1.0) + 3.0, (np.exp(-1.0) + 3.0) * np.exp(-1.0)]
    np.testing.assert_allclose(x, expected_x, rtol=1e-5)
    np.testing.assert_allclose(z, t**2 / 2, rtol=1e-5, atol=1e-9)


def test_a_virtual_population_varies_the_parameters() -> None:
    if "kuznetsov1994_BIOMD0000000762.xml" not in MODELS:
        pytest.skip("kuznetsov1994 is not in the BioModels folder")
    imported = read_sbml(folder() / "kuznetsov1994_BIOMD0000000762.xml")
    P = imported.population(3, cv=0.3, seed=1)
    assert P.shape == (3, len(imported.parameters))
    assert not np.allclose(P[0], P[1])
    np.testing.assert_array_equal(P, imported.population(3, cv=0.3, seed=1))
    _, values = imported.simulate(np.linspace(0, 20, 5), P=P)
    assert np.isfinite(values).all() and not np.allclose(values[0], values[1])


def test_unsupported_constructs_are_named(tmp_path: Path) -> None:
    path = tmp_path / "algebraic.xml"
    path.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
 <model id="alg"><listOfParameters><parameter id="a" value="1" constant="false"/>
 </listOfParameters><listOfRules><algebraicRule><math xmlns="http://www.w3.org/1998/Math/MathML">
 <apply><minus/><ci>a</ci><cn>1</cn></apply></math></algebraicRule></listOfRules></model></sbml>"""
    )
    with pytest.raises(ConfigError, match="algebraic rule"):
        read_sbml(path)
    with pytest.raises(ConfigError, match="existing SBML file"):
        read_sbml(tmp_path / "missing.xml")

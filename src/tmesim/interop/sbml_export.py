"""tmesim's QSP model as SBML Level 3 Version 2: a preset's values and a regimen as events.

Every state is a species (amounts: `hasOnlySubstanceUnits`, in a compartment of size 1 named after
tmesim's compartment) whose right-hand side is a rate rule; parameters carry their value, their
units (an SBML unit definition derived with pint) and their source (annotation); observables are
parameters set by assignment rules (`observed_<id>` when a species or parameter has the
same id); each dose time of the regimen is an event adding the dose to
its input state. Model time 0 is the start of the preset's untreated growth, so day d of the
regimen is SBML time d + `pretreatment_days` (the parameter `regimen_day` gives the day of the
regimen). The small-population rule of tmesim's solver (`SolverSettings.extinction_threshold`) is
a solver rule, not an equation, so the SBML model is the plain ODE.

Example:
    >>> text = export_sbml("mouse_mc38", regimen="anti-pd-1 200 ug biw x6 from day 7")  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from xml.sax.saxutils import quoteattr

from tmesim.errors import ConfigError
from tmesim.interop.sbml_math import to_formula
from tmesim.io.atomic import atomic_write_text
from tmesim.model.builder import Model
from tmesim.simulation import Simulation
from tmesim.therapies.dosing import dose_events
from tmesim.therapies.regimen import Regimen

ANNOTATION_NS = "https://github.com/tmesim/tmesim/sbml"
"""Namespace of tmesim's SBML annotations (units as written in tmesim, sources, descriptions)."""

# pint base dimensions -> SBML unit kinds
_KINDS = {
    "[length]": "UNIT_KIND_METRE",
    "[time]": "UNIT_KIND_SECOND",
    "[substance]": "UNIT_KIND_MOLE",
    "[mass]": "UNIT_KIND_GRAM",
    "[cell_count]": "UNIT_KIND_ITEM",
    "[molecule_count]": "UNIT_KIND_ITEM",
}


def _libsbml():
    try:
        import libsbml
    except ImportError:
        raise ConfigError(
            "sbml",
            "python-libsbml",
            "SBML needs the optional extra: pip install 'tmesim[interop]'",
        ) from None
    return libsbml


def _unit_id(text: str) -> str:
    if text in ("1", ""):
        return "dimensionless"
    name = text.replace("^", "").replace("/", "_per_").replace(" ", "_").replace("*", "_")
    return "u_" + re.sub(r"\W", "_", name)


def _add_unit_definition(libsbml, model, text: str) -> str:
    """An SBML unit definition for a tmesim unit string (via pint); returns its id."""
    uid = _unit_id(text)
    if uid == "dimensionless" or model.getUnitDefinition(uid) is not None:
        return uid
    from tmesim.parameters.units import _unit, registry

    ureg = registry()
    unit = _unit(text, "units")
    base = ureg.Quantity(1.0, unit).to_base_units()
    # pint's base mass is the kilogram: express it in grams so that the kinds match SBML's.
    factor = float(base.magnitude)
    dims = dict(base.dimensionality)
    if "[mass]" in dims:
        factor *= 1000.0 ** dims["[mass]"]
    ud = model.createUnitDefinition()
    ud.setId(uid)
    ud.setName(text)
    for dim, exponent in dims.items():
        kind = _KINDS.get(dim)
        if kind is None:
            raise ConfigError("units", text, f"dimension {dim} has no SBML unit kind")
        u = ud.createUnit()
        u.setKind(getattr(libsbml, kind))
        u.setExponent(float(exponent))
        u.setScale(0)
        u.setMultiplier(1.0)
    u = ud.createUnit()
    u.setKind(libsbml.UNIT_KIND_DIMENSIONLESS)
    u.setExponent(1.0)
    u.setScale(0)
    u.setMultiplier(factor)
    return uid


def _annotation(tag: str, attributes: Mapping[str, str]) -> str:
    attrs = " ".join(f"{k}={quoteattr(v)}" for k, v in attributes.items() if v)
    return f'<annotation><tmesim:{tag} xmlns:tmesim="{ANNOTATION_NS}" {attrs}/></annotation>'


def _check(code: int, what: str) -> None:
    if code != 0:
        raise RuntimeError(f"libSBML refused {what} (code {code})")


def export_sbml(
    preset: str,
    regimen: str | Regimen | None = None,
    *,
    days: float = 365.0,
    overrides: Mapping[str, float | str] | None = None,
) -> str:
    """The SBML L3V2 document (text) of the QSP model with `preset`'s values and `regimen`'s doses
    up to regimen day `days`."""
    libsbml = _libsbml()
    sim = Simulation(preset, regimen=regimen, parameters_override=dict(overrides or {}))
    model, params = sim.model, sim.parameters
    offset = float(params.pretreatment_days)

    doc = libsbml.SBMLDocument(3, 2)
    m = doc.createModel()
    m.setId(re.sub(r"\W", "_", f"tmesim_{params.name}"))
    m.setName(f"tmesim QSP model, preset {params.name}, regimen {sim.regimen_}")
    m.setTimeUnits(_add_unit_definition(libsbml, m, "day"))
    m.setNotes(
        '<body xmlns="http://www.w3.org/1999/xhtml"><p>'
        + _xml_escape(
            f"tmesim model structure {model.structure_hash()}; preset {params.name} "
            f"({params.description}); regimen: {sim.regimen_}. SBML time 0 is the start of "
            f"{offset:g} days of untreated growth; day d of the regimen is time d + {offset:g}."
        )
        + "</p></body>"
    )
    for name in sorted({s.compartment for s in model.species}):
        c = m.createCompartment()
        c.setId(name)
        c.setSize(1.0)
        c.setConstant(True)
        c.setSpatialDimensions(3)
        c.setUnits("dimensionless")
    y0 = params.founding_states(model, params.vector(model)[None, :])[0]  # nominal patient
    for i, s in enumerate(model.species):
        sp_ = m.createSpecies()
        sp_.setId(s.id)
        sp_.setName(s.description)
        sp_.setCompartment(s.compartment)
        sp_.setInitialAmount(float(y0[i]))
        sp_.setHasOnlySubstanceUnits(True)
        sp_.setBoundaryCondition(False)
        sp_.setConstant(False)
        sp_.setSubstanceUnits(_add_unit_definition(libsbml, m, s.units))
        _check(
            sp_.setAnnotation(
                _annotation(
                    "species",
                    {
                        "units": s.units,
                        "source": params.initial_sources.get(s.id, ""),
                        "extinguishable": "true" if s.extinguishable else "",
                    },
                )
            ),
            f"the annotation of {s.id}",
        )
    for decl in model.parameters:
        p = params[decl.id]
        q = m.createParameter()
        q.setId(decl.id)
        q.setName(decl.description)
        q.setValue(float(p.value))
        q.setUnits(_add_unit_definition(libsbml, m, decl.units))
        q.setConstant(True)
        _check(
            q.setAnnotation(_annotation("parameter", {"units": decl.units, "source": p.source})),
            f"the annotation of {decl.id}",
        )
    day = m.createParameter()
    day.setId("regimen_day")
    day.setName("day of the regimen (SBML time minus the untreated growth before it)")
    day.setConstant(False)
    day.setUnits(m.getTimeUnits())
    rule = m.createAssignmentRule()
    rule.setVariable("regimen_day")
    rule.setMath(_parse(libsbml, f"time - {offset!r}", "regimen_day"))
    for obs, expr in zip(model.observables, model.observable_exprs, strict=True):
        q = m.createParameter()
        q.setId(observable_id(model, obs.id))
        q.setName(obs.description)
        q.setConstant(False)
        q.setUnits(_add_unit_definition(libsbml, m, obs.units))
        rule = m.createAssignmentRule()
        rule.setVariable(q.getId())
        rule.setMath(_parse(libsbml, to_formula(expr), obs.id))
    for s, expr in zip(model.species, model.rates, strict=True):
        rule = m.createRateRule()
        rule.setVariable(s.id)
        rule.setMath(_parse(libsbml, to_formula(expr), f"d{s.id}/dt"))
    by_time: dict[float, list[tuple[str, float, str]]] = {}
    for e in dose_events(sim.regimen_, sim.subject, until_day=days):
        by_time.setdefault(float(e.time_day), []).append((e.state_id, e.amount, e.drug))
    for k, (t, doses) in enumerate(sorted(by_time.items())):
        ev = m.createEvent()
        ev.setId(f"dose_{k}")
        ev.setName(f"day {t:g}: " + ", ".join(sorted({d for _, _, d in doses})))
        ev.setUseValuesFromTriggerTime(True)
        trig = ev.createTrigger()
        trig.setInitialValue(False)
        trig.setPersistent(True)
        trig.setMath(_parse(libsbml, f"time >= {t + offset!r}", f"dose_{k}"))
        amounts: dict[str, float] = {}
        for state, amount, _ in doses:
            amounts[state] = amounts.get(state, 0.0) + amount
        for state, amount in amounts.items():
            a = ev.createEventAssignment()
            a.setVariable(state)
            a.setMath(_parse(libsbml, f"{state} + {amount!r}", f"dose_{k}"))
    errors = _errors(doc)
    if errors:
        raise RuntimeError("the exported SBML is not valid: " + "; ".join(errors[:5]))
    return libsbml.writeSBMLToString(doc)


def observable_id(model: Model, id: str) -> str:
    """The SBML id of observable `id`: its own, or `observed_<id>` when a species or parameter has that id."""
    taken = id in model.species_ids or id in model.parameter_ids
    return f"observed_{id}" if taken else id


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _parse(libsbml, formula: str, where: str):
    ast = libsbml.parseL3Formula(formula)
    if ast is None:
        raise RuntimeError(
            f"{where}: libSBML cannot parse {formula!r}: {libsbml.getLastParseL3Error()}"
        )
    return ast


def _errors(doc) -> list[str]:
    """Errors (not warnings) of libSBML's consistency checks, units checks excluded: tmesim's
    equations mix counts and densities through parameters whose units pint checks, not SBML."""
    libsbml = _libsbml()
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, False)
    doc.checkConsistency()
    log = doc.getErrorLog()
    return [
        log.getError(i).getMessage().strip()
        for i in range(log.getNumErrors())
        if log.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
    ]


def write_sbml(path: str | Path, text: str) -> Path:
    """Write an SBML document atomically; returns the path."""
    path = Path(path)
    atomic_write_text(path, text)
    return path

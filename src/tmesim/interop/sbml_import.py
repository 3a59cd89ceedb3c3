"""An SBML model as a tmesim model that the compiled cohort solver integrates.

Supported: species (as concentrations, or amounts when `hasOnlySubstanceUnits`), constant
compartments, parameters, reactions with local parameters and constant stoichiometry, rate and
assignment rules, function definitions and initial assignments (expanded by libSBML), the time
symbol (a state `sbml_time` with rate 1, so the model stays autonomous and its Jacobian exact),
and events triggered at a fixed time (`time >= T`), applied between solver segments. Anything
else (algebraic rules, delays, state-triggered events, variable compartments or stoichiometry,
fast reactions) raises `UnsupportedSBML` naming the construct.

Example:
    >>> imported = read_sbml("kuznetsov1994_BIOMD0000000762.xml")  # doctest: +SKIP
    >>> t, values = imported.simulate([0, 10, 20])                 # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sympy as sp

from tmesim.errors import ConfigError
from tmesim.model.builder import Model, Observable, ParameterDecl, Species
from tmesim.solvers import DoseSchedule, SolverSettings

TIME_STATE = "sbml_time"
"""State that carries SBML's time symbol (rate 1) in an imported model that uses it."""


class UnsupportedSBML(ConfigError):
    """An SBML construct the importer does not translate."""

    def __init__(self, path: str, construct: str) -> None:
        super().__init__(
            "sbml", path, f"{construct} is not supported by tmesim's SBML import; simplify it"
        )
        self.construct = construct


@dataclass(frozen=True)
class TimedEvent:
    """An SBML event at a fixed time: variables set to expressions of the state before it."""

    id: str
    time: float
    assignments: tuple[tuple[str, sp.Expr], ...]


@dataclass
class ImportedModel:
    """An SBML model translated to tmesim: the model, nominal values, initial state and events.

    Observables are every SBML species and every variable of an assignment rule, under their
    SBML ids (`observable_ids`), so trajectories compare one to one with other SBML tools.
    """

    model: Model
    parameters: np.ndarray
    initial: np.ndarray
    events: tuple[TimedEvent, ...] = ()
    source: str = ""
    _kernel: object = field(default=None, repr=False)

    @property
    def observable_ids(self) -> tuple[str, ...]:
        return self.model.observable_ids

    def kernel(self):
        """The compiled kernel (built and cached on first use)."""
        if self._kernel is None:
            from tmesim.engines.qsp.compiled import compiled_kernel

            self._kernel = compiled_kernel(self.model)
        return self._kernel

    def population(
        self, n: int, *, cv: float = 0.2, seed: int = 0, vary: Sequence[str] | None = None
    ) -> np.ndarray:
        """`n` parameter vectors: log-normal around the nominal values with coefficient of
        variation `cv` (an assumed prior; the SBML file carries none) for the parameters `vary`
        (default: every non-zero parameter). Row i depends only on `seed` and i."""
        ids = self.model.parameter_ids
        names = (
            list(vary)
            if vary is not None
            else [p for p, v in zip(ids, self.parameters, strict=True) if v]
        )
        cols = [self.model.parameter_index(p) for p in names]
        sd = float(np.sqrt(np.log1p(cv * cv)))
        P = np.tile(self.parameters, (n, 1))
        for i in range(n):
            z = np.random.default_rng([seed, i]).standard_normal(len(cols))
            P[i, cols] = self.parameters[cols] * np.exp(sd * z - 0.5 * sd * sd)
        return P

    def simulate(
        self,
        t_save: Sequence[float],
        *,
        P: np.ndarray | None = None,
        Y0: np.ndarray | None = None,
        doses: Sequence[tuple[float, str, float]] = (),
        settings: SolverSettings | None = None,
        n_threads: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Integrate patients (rows of P, default the nominal one) from t_save[0].

        `doses` are (time, species id, amount) added to a state, the same for every patient.
        Returns (t_save, values [n_patients, n_save, n_observables]). A failed patient raises
        `RuntimeError` with the solver's message.
        """
        from tmesim.solvers import solve

        t_save = np.asarray(t_save, dtype=float)
        P = np.atleast_2d(self.parameters if P is None else P).astype(float)
        n = P.shape[0]
        Y = np.tile(self.initial if Y0 is None else Y0, (n, 1)).astype(float)
        if TIME_STATE in self.model.species_ids:
            Y[:, self.model.species_index(TIME_STATE)] = t_save[0]
        # SBML species carry no tmesim units, so one absolute tolerance serves every state
        # (libroadrunner's default, 1e-12, is of that kind too).
        settings = settings or SolverSettings(clip_negative=False, atol=1e-12)
        out = np.full((n, t_save.size, len(self.observable_ids)), np.nan)
        cuts = sorted({e.time for e in self.events if t_save[0] < e.time <= t_save[-1]})
        bounds = [t_save[0], *cuts, t_save[-1]]
        start_events = [e for e in self.events if e.time <= t_save[0]]
        Y = self._apply(start_events, Y, P)
        for k in range(len(bounds) - 1):
            a, b = bounds[k], bounds[k + 1]
            last = k == len(bounds) - 2
            inside = (t_save >= a) & ((t_save <= b) if last else (t_save < b))
            times = np.unique(np.concatenate([[a], t_save[inside], [b]]))
            schedule = [
                (t, self.model.species_index(sid), amount)
                for t, sid, amount in doses
                if a <= t < b or (last and t == b)
            ]
            per = DoseSchedule.from_lists(
                [tuple(map(list, zip(*schedule, strict=True))) if schedule else ([], [], [])] * n
            )
            sol = solve(self.kernel(), Y, P, a, times, per, settings=settings, n_threads=n_threads)
            if (sol.status != 0).any():
                bad = int(np.argmax(sol.status != 0))
                raise RuntimeError(sol.messages()[bad])
            where = np.searchsorted(times, t_save[inside])
            out[:, inside] = sol.observables[:, where]
            Y = sol.y_final.copy()
            if not last:
                Y = self._apply([e for e in self.events if e.time == b], Y, P)
        return t_save, out

    def _apply(self, events: Sequence[TimedEvent], Y: np.ndarray, P: np.ndarray) -> np.ndarray:
        if not events:
            return Y
        ys = [self.model.symbols[s] for s in self.model.species_ids]
        ps = [self.model.symbols[p] for p in self.model.parameter_ids]
        new = Y.copy()
        for event in events:
            for var, expr in event.assignments:
                f = sp.lambdify([ys, ps], expr, modules="numpy")
                values = np.array([f(Y[i], P[i]) for i in range(Y.shape[0])], dtype=float)
                new[:, self.model.species_index(var)] = values
        return new


def read_sbml(path: str | Path) -> ImportedModel:
    """Translate an SBML file (any level and version libSBML reads) into an `ImportedModel`."""
    try:
        import libsbml
    except ImportError:
        raise ConfigError(
            "sbml", str(path), "SBML needs the optional extra: pip install 'tmesim[interop]'"
        ) from None
    path = Path(path)
    if not path.is_file():
        raise ConfigError("sbml", str(path), "give the path of an existing SBML file")
    doc = libsbml.readSBMLFromFile(str(path))
    log = doc.getErrorLog()
    severe = [
        log.getError(i).getMessage().strip()
        for i in range(log.getNumErrors())
        if log.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
        # Diagram packages (layout) declared in a Level 2 file carry no equations.
        and "package 'layout" not in log.getError(i).getMessage()
    ]
    if doc.getModel() is None or severe:
        first = severe[0] if severe else "the file holds no model"
        raise ConfigError("sbml", str(path), f"libSBML cannot read it: {first}")
    return _Translator(libsbml, doc, str(path)).translate()


class _Translator:
    def __init__(self, libsbml, doc, where: str) -> None:
        self.lib = libsbml
        self.doc = doc
        self.where = where
        for option in ("expandFunctionDefinitions", "expandInitialAssignments"):
            props = libsbml.ConversionProperties()
            props.addOption(option, True)
            if doc.convert(props) != libsbml.LIBSBML_OPERATION_SUCCESS:
                raise UnsupportedSBML(where, f"a model whose {option} conversion fails")
        self.m = doc.getModel()
        self.symbols: dict[str, sp.Symbol] = {}

    def unsupported(self, construct: str) -> UnsupportedSBML:
        return UnsupportedSBML(self.where, construct)

    def sym(self, name: str) -> sp.Symbol:
        if name not in self.symbols:
            self.symbols[name] = sp.Symbol(name, real=True)
        return self.symbols[name]

    def math(self, ast, local: Mapping[str, sp.Expr] | None = None) -> sp.Expr:
        if ast is None:
            raise self.unsupported("an element without math")
        return _Math(self, local or {}).convert(ast)

    def translate(self) -> ImportedModel:
        m = self.m
        for i in range(m.getNumRules()):
            if m.getRule(i).isAlgebraic():
                raise self.unsupported("an algebraic rule")
        compartments = {}
        for i in range(m.getNumCompartments()):
            c = m.getCompartment(i)
            if not c.getConstant():
                raise self.unsupported(f"the non-constant compartment {c.getId()!r}")
            size = c.getSize() if c.isSetSize() else 1.0
            compartments[c.getId()] = size
        values: dict[str, float] = {}
        for i in range(m.getNumParameters()):
            p = m.getParameter(i)
            values[p.getId()] = p.getValue() if p.isSetValue() else 0.0
        values.update(compartments)
        assigned: dict[str, sp.Expr] = {}
        rate_rules: dict[str, sp.Expr] = {}
        for i in range(m.getNumRules()):
            r = m.getRule(i)
            if r.isAssignment():
                assigned[r.getVariable()] = self.math(r.getMath())
            elif r.isRate():
                rate_rules[r.getVariable()] = self.math(r.getMath())
        species, initial, rates = [], {}, {}
        amounts = {}
        for i in range(m.getNumSpecies()):
            s = m.getSpecies(i)
            sid = s.getId()
            amount = s.getHasOnlySubstanceUnits()
            amounts[sid] = amount
            volume = compartments[s.getCompartment()]
            if s.isSetInitialAmount():
                x0 = s.getInitialAmount() / (1.0 if amount else volume)
            elif s.isSetInitialConcentration():
                x0 = s.getInitialConcentration() * (volume if amount else 1.0)
            else:
                x0 = 0.0
            if sid in assigned:
                continue
            species.append(s)
            initial[sid] = x0
            rates[sid] = rate_rules.get(sid, sp.Integer(0))
        for i in range(m.getNumReactions()):
            self._reaction(m.getReaction(i), rates, amounts, compartments, rate_rules)
        state_params = [v for v in rate_rules if v not in rates]
        for v in state_params:
            if v in compartments:
                raise self.unsupported(f"a rate rule on compartment {v!r}")
            initial[v] = values.pop(v)
            rates[v] = rate_rules[v]
        # Assignment rules are substituted into every expression (repeatedly: they may chain).
        subs = {self.sym(k): v for k, v in assigned.items()}
        for _ in range(len(subs) + 1):
            changed = False
            for k, v in subs.items():
                new = v.xreplace(subs)
                if new != v:
                    subs[k], changed = new, True
            if not changed:
                break
        else:
            raise self.unsupported("a cycle of assignment rules")
        state_ids = list(rates)
        uses_time = any(_TIME in e.free_symbols for e in [*rates.values(), *subs.values()])
        time_sym = self.sym(TIME_STATE)
        rate_exprs = [rates[s].xreplace(subs).xreplace({_TIME: time_sym}) for s in state_ids]
        if uses_time:
            state_ids.append(TIME_STATE)
            rate_exprs.append(sp.Integer(1))
            initial[TIME_STATE] = 0.0
        param_ids = [p for p in values if p not in assigned]
        observed = [m.getSpecies(i).getId() for i in range(m.getNumSpecies())]
        observed += [v for v in assigned if v not in observed]
        observed += [v for v in state_params if v not in observed]
        obs_exprs = [
            (subs.get(self.sym(o), self.sym(o))).xreplace({_TIME: time_sym}) for o in observed
        ]
        known = {self.sym(x) for x in [*state_ids, *param_ids]}
        for e in [*rate_exprs, *obs_exprs]:
            unknown = e.free_symbols - known
            if unknown:
                raise self.unsupported(f"the undeclared symbols {sorted(map(str, unknown))}")
        events = self._events(subs, state_ids)
        name = "sbml_" + re.sub(r"\W", "_", self.m.getId() or Path(self.where).stem)[:40]
        model = Model(
            name=name,
            species=tuple(Species(s, "", "sbml", s) for s in state_ids),
            parameters=tuple(ParameterDecl(p, "", p) for p in param_ids),
            mechanisms=(),
            observables=tuple(Observable(o, "", o) for o in observed),
            symbols={x: self.sym(x) for x in [*state_ids, *param_ids]},
            rates=tuple(rate_exprs),
            observable_exprs=tuple(obs_exprs),
        )
        return ImportedModel(
            model=model,
            parameters=np.array([values[p] for p in param_ids], dtype=float),
            initial=np.array([initial[s] for s in state_ids], dtype=float),
            events=events,
            source=self.where,
        )

    def _reaction(self, r, rates, amounts, compartments, rate_rules) -> None:
        if r.isSetFast() and r.getFast():
            raise self.unsupported(f"the fast reaction {r.getId()!r}")
        law = r.getKineticLaw()
        if law is None:
            raise self.unsupported(f"the reaction {r.getId()!r} without a kinetic law")
        local = {}
        for j in range(law.getNumLocalParameters()):
            lp = law.getLocalParameter(j)
            local[lp.getId()] = sp.Float(lp.getValue())
        for j in range(law.getNumParameters()):  # Level 2 local parameters
            lp = law.getParameter(j)
            local[lp.getId()] = sp.Float(lp.getValue())
        flux = self.math(law.getMath(), local)
        for refs, sign in ((r.getListOfReactants(), -1), (r.getListOfProducts(), 1)):
            for ref in refs:
                if ref.isSetStoichiometryMath():
                    raise self.unsupported(f"stoichiometry math in reaction {r.getId()!r}")
                sid = ref.getSpecies()
                s = self.m.getSpecies(sid)
                if s.getBoundaryCondition() or s.getConstant() or sid not in rates:
                    continue
                if sid in rate_rules:
                    raise self.unsupported(f"species {sid!r} with both a rate rule and reactions")
                stoich = ref.getStoichiometry() if ref.isSetStoichiometry() else 1.0
                volume = 1.0 if amounts[sid] else compartments[s.getCompartment()]
                rates[sid] = rates[sid] + sign * sp.Float(stoich) * flux / sp.Float(volume)

    def _events(self, subs, state_ids) -> tuple[TimedEvent, ...]:
        events = []
        for i in range(self.m.getNumEvents()):
            e = self.m.getEvent(i)
            if e.isSetDelay():
                raise self.unsupported(f"the delayed event {e.getId()!r}")
            trigger = self.math(e.getTrigger().getMath())
            if not (
                isinstance(trigger, sp.GreaterThan | sp.StrictGreaterThan)
                and trigger.lhs == _TIME
                and trigger.rhs.is_Number
            ):
                raise self.unsupported(
                    f"the event {e.getId()!r} (only 'time >= T' triggers are translated)"
                )
            assignments = []
            for j in range(e.getNumEventAssignments()):
                a = e.getEventAssignment(j)
                if a.getVariable() not in state_ids:
                    raise self.unsupported(
                        f"event {e.getId()!r} assigning {a.getVariable()!r}, which is not a state"
                    )
                expr = self.math(a.getMath()).xreplace(subs)
                assignments.append((a.getVariable(), expr))
            events.append(TimedEvent(e.getId(), float(trigger.rhs), tuple(assignments)))
        return tuple(events)


_TIME = sp.Symbol("__sbml_time__", real=True)


class _Math:
    """libSBML ASTNode -> sympy."""

    def __init__(self, tr: _Translator, local: Mapping[str, sp.Expr]) -> None:
        self.tr = tr
        self.lib = tr.lib
        self.local = local

    def convert(self, ast) -> sp.Expr:
        lib = self.lib
        t = ast.getType()
        kids = [self.convert(ast.getChild(i)) for i in range(ast.getNumChildren())]
        if t == lib.AST_NAME:
            name = ast.getName()
            return self.local.get(name, self.tr.sym(name))
        if t == lib.AST_NAME_TIME:
            return _TIME
        if t == lib.AST_INTEGER:
            return sp.Integer(ast.getInteger())
        if t in (lib.AST_REAL, lib.AST_REAL_E, lib.AST_RATIONAL):
            return sp.Float(ast.getReal())
        if t == lib.AST_CONSTANT_E:
            return sp.E
        if t == lib.AST_CONSTANT_PI:
            return sp.pi
        if t == lib.AST_CONSTANT_TRUE:
            return sp.true
        if t == lib.AST_CONSTANT_FALSE:
            return sp.false
        if t == lib.AST_PLUS:
            return sp.Add(*kids) if kids else sp.Integer(0)
        if t == lib.AST_TIMES:
            return sp.Mul(*kids) if kids else sp.Integer(1)
        if t == lib.AST_MINUS:
            return -kids[0] if len(kids) == 1 else kids[0] - kids[1]
        if t == lib.AST_DIVIDE:
            return kids[0] / kids[1]
        if t in (lib.AST_POWER, lib.AST_FUNCTION_POWER):
            return kids[0] ** kids[1]
        if t == lib.AST_FUNCTION_ROOT:
            return kids[-1] ** (1 / kids[0]) if len(kids) == 2 else sp.sqrt(kids[0])
        if t == lib.AST_FUNCTION_LOG:
            return sp.log(kids[-1], kids[0]) if len(kids) == 2 else sp.log(kids[0], 10)
        if t == lib.AST_FUNCTION_PIECEWISE:
            pairs = [(kids[i], kids[i + 1]) for i in range(0, len(kids) - 1, 2)]
            otherwise = kids[-1] if len(kids) % 2 else sp.nan
            return sp.Piecewise(*pairs, (otherwise, True))
        simple = {
            lib.AST_FUNCTION_EXP: sp.exp,
            lib.AST_FUNCTION_LN: sp.log,
            lib.AST_FUNCTION_ABS: sp.Abs,
            lib.AST_FUNCTION_FLOOR: sp.floor,
            lib.AST_FUNCTION_CEILING: sp.ceiling,
            lib.AST_FUNCTION_SIN: sp.sin,
            lib.AST_FUNCTION_COS: sp.cos,
            lib.AST_FUNCTION_TAN: sp.tan,
            lib.AST_FUNCTION_TANH: sp.tanh,
            lib.AST_FUNCTION_ARCTAN: sp.atan,
            lib.AST_RELATIONAL_GT: sp.StrictGreaterThan,
            lib.AST_RELATIONAL_GEQ: sp.GreaterThan,
            lib.AST_RELATIONAL_LT: sp.StrictLessThan,
            lib.AST_RELATIONAL_LEQ: sp.LessThan,
            lib.AST_RELATIONAL_EQ: sp.Eq,
            lib.AST_RELATIONAL_NEQ: sp.Ne,
            lib.AST_LOGICAL_AND: sp.And,
            lib.AST_LOGICAL_OR: sp.Or,
            lib.AST_LOGICAL_NOT: sp.Not,
        }
        for name in ("AST_FUNCTION_MAX", "AST_FUNCTION_MIN"):
            if hasattr(lib, name) and t == getattr(lib, name):
                return (sp.Max if name.endswith("MAX") else sp.Min)(*kids)
        if t in simple:
            return simple[t](*kids)
        raise self.tr.unsupported(f"the MathML element {ast.getName() or t!r}")

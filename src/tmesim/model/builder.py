"""The declaration language of the mechanistic model: species, parameters, fluxes, observables.

A model is declared once, symbolically (sympy), with no numbers: every species and parameter has a
stable id, units and a description; processes add fluxes between species. Engines turn the
declaration into compiled code (`tmesim.engines.qsp`), an independent reference right-hand side for
scipy, or (later) SBML. Values live in `tmesim.parameters`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import sympy as sp

from tmesim.errors import ConfigError


@dataclass(frozen=True)
class Species:
    """A state of the model: a cell population, a concentration or a drug amount."""

    id: str
    units: str
    compartment: str
    description: str
    extinguishable: bool = False
    """True for populations that are gone once below one cell (tumor clones, CAR-T)."""


@dataclass(frozen=True)
class ParameterDecl:
    """A parameter the model needs: id, units and meaning; its value comes from a ParameterSet."""

    id: str
    units: str
    description: str


@dataclass(frozen=True)
class Observable:
    """A quantity computed from the state (tumor volume, densities) that the solver saves."""

    id: str
    units: str
    description: str


@dataclass(frozen=True)
class Mechanism:
    """A switchable piece of biology; its switch is a parameter `mechanism_<name>` in {0, 1}."""

    name: str
    code: str
    description: str

    @property
    def parameter_id(self) -> str:
        return f"mechanism_{self.name}"


@dataclass
class ModelBuilder:
    """Collects declarations; `build()` freezes them into a `Model`.

    Example:
        >>> b = ModelBuilder("toy")
        >>> x = b.species("x", "cell", "tumor", "cells")
        >>> k = b.parameter("k", "1/day", "growth rate")
        >>> b.add_rate(x, k * x)
        >>> model = b.build()
        >>> model.species_ids
        ('x',)
    """

    name: str
    _species: dict[str, Species] = field(default_factory=dict)
    _parameters: dict[str, ParameterDecl] = field(default_factory=dict)
    _mechanisms: dict[str, Mechanism] = field(default_factory=dict)
    _observables: dict[str, Observable] = field(default_factory=dict)
    _symbols: dict[str, sp.Symbol] = field(default_factory=dict)
    _rates: dict[str, sp.Expr] = field(default_factory=dict)
    _observable_exprs: dict[str, sp.Expr] = field(default_factory=dict)
    _births: dict[str, sp.Expr] = field(default_factory=dict)
    _deaths: dict[str, sp.Expr] = field(default_factory=dict)
    _inflows: dict[str, sp.Expr] = field(default_factory=dict)

    def _symbol(self, name: str) -> sp.Symbol:
        if name in self._symbols:
            raise ValueError(f"{name!r} is declared twice in model {self.name!r}")
        sym = sp.Symbol(name, real=True, nonnegative=True)
        self._symbols[name] = sym
        return sym

    def symbol(self, id: str) -> sp.Symbol:
        """The symbol of an already declared species or parameter."""
        return self._symbols[id]

    def species(
        self,
        id: str,
        units: str,
        compartment: str,
        description: str,
        *,
        extinguishable: bool = False,
    ) -> sp.Symbol:
        """Declare a state variable and return its symbol."""
        sym = self._symbol(id)
        self._species[id] = Species(id, units, compartment, description, extinguishable)
        self._rates[id] = sp.Integer(0)
        if extinguishable:
            for table in (self._births, self._deaths, self._inflows):
                table[id] = sp.Integer(0)
        return sym

    def parameter(self, id: str, units: str, description: str) -> sp.Symbol:
        """Declare a parameter and return its symbol."""
        sym = self._symbol(id)
        self._parameters[id] = ParameterDecl(id, units, description)
        return sym

    def mechanism(self, name: str, code: str, description: str) -> sp.Symbol:
        """Declare a switchable mechanism; the returned symbol is 1 when on and 0 when off."""
        mech = Mechanism(name, code, description)
        self._mechanisms[name] = mech
        return self.parameter(mech.parameter_id, "1", f"switch (1 on, 0 off): {description}")

    def add_rate(self, species: sp.Symbol, expr: sp.Expr) -> None:
        """Add `expr` to d(species)/dt (not for an extinguishable species: declare its births,
        deaths and inflows instead, so that small populations can follow their branching law)."""
        if species.name in self._births:
            raise ValueError(
                f"{species.name!r} is extinguishable: use birth(), death() or transfer() so that "
                "its births, deaths and inflows are declared separately"
            )
        self._rates[species.name] = self._rates[species.name] + expr

    def birth(self, species: sp.Symbol, flux: sp.Expr) -> None:
        """Add divisions of an extinguishable population (cells/day, proportional to it)."""
        self._demography(self._births, species, flux, +1)

    def death(self, species: sp.Symbol, flux: sp.Expr) -> None:
        """Add deaths (or departures) of an extinguishable population (cells/day)."""
        self._demography(self._deaths, species, flux, -1)

    def _demography(
        self, table: dict[str, sp.Expr], species: sp.Symbol, flux: sp.Expr, sign: int
    ) -> None:
        if species.name not in table:
            raise ValueError(
                f"{species.name!r} is not extinguishable: use add_rate() for its right-hand side"
            )
        table[species.name] = table[species.name] + flux
        self._rates[species.name] = self._rates[species.name] + sign * flux

    def transfer(
        self,
        source: sp.Symbol,
        target: sp.Symbol,
        flux: sp.Expr,
        *,
        scale: sp.Expr | float = 1,
    ) -> None:
        """Move `flux` (per day, in source units) from source to target (`scale` converts units).

        For an extinguishable source the flux is a departure (a death of that population); for
        an extinguishable target it is an inflow (immigration)."""
        self._rates[source.name] = self._rates[source.name] - flux
        self._rates[target.name] = self._rates[target.name] + flux * scale
        if source.name in self._deaths:
            self._deaths[source.name] = self._deaths[source.name] + flux
        if target.name in self._inflows:
            self._inflows[target.name] = self._inflows[target.name] + flux * scale

    def inflow(self, target: sp.Symbol, flux: sp.Expr) -> None:
        """Add arrivals into an extinguishable population that do not come from its own cells
        (e.g. variants arising from divisions of another clone), in cells/day."""
        self._demography(self._inflows, target, flux, +1)

    def observable(self, id: str, units: str, description: str, expr: sp.Expr) -> None:
        """Declare an observable computed from the state and parameters."""
        if id in self._observables:
            raise ValueError(f"observable {id!r} is declared twice")
        self._observables[id] = Observable(id, units, description)
        self._observable_exprs[id] = expr

    def build(self) -> Model:
        """Freeze the declarations; check every symbol used is declared."""
        declared = set(self._symbols.values())
        for sid, expr in {**self._rates, **self._observable_exprs}.items():
            unknown = expr.free_symbols - declared
            if unknown:
                raise ValueError(f"{sid}: undeclared symbols {sorted(map(str, unknown))}")
        return Model(
            name=self.name,
            species=tuple(self._species.values()),
            parameters=tuple(self._parameters.values()),
            mechanisms=tuple(self._mechanisms.values()),
            observables=tuple(self._observables.values()),
            symbols=dict(self._symbols),
            rates=tuple(self._rates[s] for s in self._species),
            observable_exprs=tuple(self._observable_exprs[o] for o in self._observables),
            demography=tuple(
                (sid, self._births[sid], self._deaths[sid], self._inflows[sid])
                for sid in self._species
                if sid in self._births
            ),
        )


@dataclass(frozen=True, eq=False)
class Model:
    """A frozen mechanistic model: declarations plus symbolic right-hand side and observables."""

    name: str
    species: tuple[Species, ...]
    parameters: tuple[ParameterDecl, ...]
    mechanisms: tuple[Mechanism, ...]
    observables: tuple[Observable, ...]
    symbols: dict[str, sp.Symbol]
    rates: tuple[sp.Expr, ...]
    observable_exprs: tuple[sp.Expr, ...]
    demography: tuple[tuple[str, sp.Expr, sp.Expr, sp.Expr], ...] = ()
    """(species id, births, deaths, inflows) of every extinguishable species, in cells/day: its
    rate is births - deaths + inflows. Small populations follow the branching law they define
    (`tmesim.solvers.SolverSettings.stochastic_threshold`)."""

    @property
    def species_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.species)

    @property
    def parameter_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.parameters)

    @property
    def observable_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.observables)

    def species_index(self, id: str) -> int:
        """Position of a species in the state vector; a clear error if unknown."""
        return _position(self.species_ids, id, "species")

    def parameter_index(self, id: str) -> int:
        """Position of a parameter in the parameter vector; a clear error if unknown."""
        return _position(self.parameter_ids, id, "parameter")

    def mechanism(self, name: str) -> Mechanism:
        """The mechanism called `name`; a clear error with the nearest name if unknown."""
        for m in self.mechanisms:
            if m.name == name:
                return m
        raise ConfigError(
            "mechanisms",
            name,
            "use one of the model's mechanism names (`tmesim mechanisms` lists them)",
            choices=[m.name for m in self.mechanisms],
        )

    @property
    def extinguishable_indices(self) -> tuple[int, ...]:
        return tuple(i for i, s in enumerate(self.species) if s.extinguishable)

    def structure_hash(self) -> str:
        """A hash of the equations and declarations; changes whenever the model changes."""
        cached = self.__dict__.get("_structure_hash")
        if cached is None:
            cached = self._compute_structure_hash()
            object.__setattr__(self, "_structure_hash", cached)  # a frozen model: computed once
        return cached

    def _compute_structure_hash(self) -> str:
        h = hashlib.sha256()
        for s in self.species:
            h.update(repr(s).encode())
        for p in self.parameters:
            h.update(repr(p).encode())
        for o in self.observables:
            h.update(repr(o).encode())
        for e in (*self.rates, *self.observable_exprs):
            h.update(sp.srepr(e).encode())
        for sid, *fluxes in self.demography:
            h.update(sid.encode())
            for e in fluxes:
                h.update(sp.srepr(e).encode())
        return h.hexdigest()[:16]


def _position(ids: tuple[str, ...], id: str, kind: str) -> int:
    try:
        return ids.index(id)
    except ValueError:
        raise ConfigError(kind, id, f"use a {kind} id of the model", choices=ids) from None

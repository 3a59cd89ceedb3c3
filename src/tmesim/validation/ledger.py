"""The calibration ledger: every value whose source says it was calibrated has a record entry.

A parameter's source says how its value was found (``tmesim.parameters.library``): a paper and
table, "assumed: ...", or a calibration. :func:`claims_calibration` reads the last from the
source text, with one vocabulary (:data:`CALIBRATION_WORDS`): *calibrated* (and *calibrate*,
*calibration*), *tuned*, *fitted*, *chosen so / chosen to*, *set so / set to*, *to match* and
*so that* — a value set to reach an outcome of the model rather than read from a tissue or kinetic
measurement. Each such value, in every preset (``tmesim.parameters.presets``) and in the drug
catalog (``tmesim.therapies.drugs``), must have an entry in the package's calibration record
(:func:`tmesim.validation.record.load_record`) that carries the shipped value in the parameter's
units and names the targets it was set to reach (or, where no target file states that outcome,
the outcome in words); every target an entry names is a calibration target; a literature value,
where given, is positive. :func:`ledger_problems` lists what breaks these rules.

Example:
    >>> claims_calibration("calibrated: a few pM IFN-γ with ~1% engaged CD8 T cells")
    True
    >>> claims_calibration("assumed: NK lifespan ~10 days")
    False
    >>> ledger_problems()
    []
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from tmesim.validation.record import CalibrationRecord, FittedParameter, load_record

CALIBRATION_WORDS = re.compile(
    r"\b(?:calibrat(?:ed|es?|ions?|ing)|tuned|fitted|chosen (?:so|to)|set (?:so|to)|to match"
    r"|so that)\b",
    re.IGNORECASE,
)
"""Words in a parameter's source that say its value was set to reach an outcome."""


def claims_calibration(source: str) -> bool:
    """Whether a parameter's source says its value was calibrated (see :data:`CALIBRATION_WORDS`).

    Example:
        >>> claims_calibration("chosen so the terminal t½ equals the label's")
        True
    """
    return CALIBRATION_WORDS.search(source) is not None


@dataclass(frozen=True)
class LedgerItem:
    """One shipped value whose source says it was calibrated: a preset's parameter, or a drug's
    PK value (`drug` set; `preset` is then ``<species>_*``)."""

    preset: str
    id: str
    value: float
    units: str
    source: str
    drug: str | None = None
    species: str = ""

    @property
    def name(self) -> str:
        return (
            f"drug {self.drug} ({self.species}).{self.id}"
            if self.drug
            else f"{self.preset}.{self.id}"
        )


def calibrated_values() -> list[LedgerItem]:
    """Every preset parameter and drug PK value whose source claims a calibration."""
    from tmesim.parameters.presets import get_preset, list_presets
    from tmesim.therapies.drugs import CATALOG

    items = []
    for info in list_presets():
        for p in get_preset(info.name).parameters.values():
            if claims_calibration(p.source):
                items.append(
                    LedgerItem(info.name, p.id, p.value, p.units, p.source, None, info.species)
                )
    for drug in CATALOG.values():
        for species, pk in drug.pk.items():
            for pid, pv in pk.items():
                if claims_calibration(pv.source):
                    items.append(
                        LedgerItem(
                            f"{species}_*", pid, pv.value, pv.units, pv.source, drug.id, species
                        )
                    )
    return items


def names_value(
    entry: FittedParameter, preset: str, parameter_id: str, drug: str | None = None
) -> bool:
    """Whether a record entry is about this value: the same id, the same drug when `drug` is
    given (a preset's parameter, `drug` None, may be recorded as a drug's PK), and a preset that
    the entry names or matches by pattern (``*``, ``mouse_*``)."""
    same_drug = drug is None or entry.drug == drug
    return entry.id == parameter_id and same_drug and fnmatchcase(preset, entry.preset)


def _matches(entry: FittedParameter, item: LedgerItem) -> bool:
    return names_value(entry, item.preset, item.id, item.drug)


def entry_for(item: LedgerItem, record: CalibrationRecord) -> FittedParameter | None:
    """The record entry of a value: a drug's own entry, else the entry naming its preset, else
    one whose pattern (``*``, ``mouse_*``) matches the preset."""
    found = [e for e in record.parameters if _matches(e, item)]
    if item.drug is None:
        exact = [e for e in found if e.preset == item.preset and e.drug is None]
        found = exact or [e for e in found if e.drug is None] or found
    return found[0] if found else None


def ledger_problems(
    record: CalibrationRecord | None = None, items: Sequence[LedgerItem] | None = None
) -> list[str]:
    """What keeps the ledger from being complete and true (empty when it is): values whose source
    says calibrated without a record entry, entries whose value, units or literature value do not
    fit the shipped parameter, entries that match no shipped calibrated value, and targets an
    entry names that are missing or not labelled calibration."""
    from tmesim.validation.targets import target_files

    record = record if record is not None else load_record()
    items = list(items) if items is not None else calibrated_values()
    known_targets = {p.stem for p in target_files()}
    problems: list[str] = []
    used: set[int] = set()
    for item in items:
        entry = entry_for(item, record)
        if entry is None:
            problems.append(
                f"{item.name}: its source says it was calibrated ({item.source!r}) but no record "
                "under validation/calibrations/ lists it; add an entry (targets or outcome, "
                "literature value) or give the value a tissue or kinetic source"
            )
            continue
        used.add(id(entry))
        if abs(entry.value - item.value) > 1e-9 * max(abs(item.value), 1e-300):
            problems.append(
                f"{item.name}: shipped value {item.value:g} {item.units}, record says "
                f"{entry.value:g} {entry.units}; ship the recorded value or update the record"
            )
        if entry.units != item.units:
            problems.append(
                f"{item.name}: record in {entry.units!r}, the parameter in {item.units!r}; give "
                "the value and the literature value in the parameter's units"
            )
    for entry in record.parameters:
        where = f"record entry {entry.preset}.{entry.id}" + (
            f" ({entry.drug})" if entry.drug else ""
        )
        if id(entry) not in used:
            problems.append(
                f"{where}: matches no shipped value whose source says calibrated; "
                "say so in the parameter's source, or drop the entry"
            )
        if entry.literature_value is not None and not entry.literature_value > 0:
            problems.append(f"{where}: literature value {entry.literature_value} is not positive")
        if entry.literature_value is not None and not entry.literature_source:
            if entry.method == "hand":
                problems.append(f"{where}: name the literature value's source (literature_source)")
        if entry.method == "hand" and not (entry.targets or entry.outcome):
            problems.append(f"{where}: name the targets it was set to reach, or the outcome")
        for t in entry.targets:
            if t not in known_targets:
                problems.append(f"{where}: target {t} has no file in validation/targets/")
            elif record.role(t) != "calibration":
                problems.append(f"{where}: target {t} is not labelled calibration")
    return problems

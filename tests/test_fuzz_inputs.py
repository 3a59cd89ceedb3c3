"""Property-based fuzzing of every user input, through the parsing and validation path the
commands use.

More than 10,000 generated inputs (scenario and study configs with hostile values, malformed YAML,
``--set`` overrides, regimen strings, TSV tables) go in-process through the functions that
``tmesim simulate``, ``trial`` and ``stratify`` call before they simulate: YAML parsing, schema
validation, then the simulation or study set-up (preset, regimen, parameters, solver settings).
Each input must either be accepted and make sense (the invariants below: finite numbers in their
physical ranges, no boolean read as a number, ordered ranges, work bounded) or be refused with a
one-line ConfigError. Any other exception is a traceback the user would have seen, and fails the
test. The counts are printed by the last test (run with ``-s``).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from tmesim.config.limits import (
    MAX_DAYS,
    MAX_DOSES_PER_STEP,
    MAX_PARAMETER_VALUE,
    MAX_VALUES_PER_CHUNK,
    dose_range,
    is_fraction_parameter,
)
from tmesim.config.overrides import apply_overrides
from tmesim.config.scenario import SimulationScenario, scenario_from_dict
from tmesim.config.trial import MAX_SAVED_POINTS, TrialScenario, trial_from_dict
from tmesim.config.validation import validate_config
from tmesim.config.yamlio import parse_yaml
from tmesim.errors import ConfigError
from tmesim.model import MECHANISMS, build_model
from tmesim.simulation import Simulation
from tmesim.solvers import SolverSettings
from tmesim.stratify.profiles import (
    MAX_TMB,
    read_clinical,
    read_expression,
    read_labels,
    read_mutations,
)
from tmesim.therapies.regimen import Regimen
from tmesim.trials.study import Study

TALLY: Counter[str] = Counter()
RAN: set[str] = set()
BATCH = 10
"""Inputs built from each hypothesis example (its random stream): generating a config by hand from
a seeded stream costs a fraction of a hypothesis draw, so the suite stays fast."""


def fuzz(examples: int) -> settings:
    """Deterministic (derandomized, no example database) so CI runs the same inputs each time."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # a failure prints its input (note); no shrink
        suppress_health_check=list(HealthCheck),
    )


MODEL = build_model()
DECLARED = {p.id: (p.units, p.description) for p in MODEL.parameters}
PARAMETER_IDS = sorted(DECLARED)
MAX_MESSAGE = 4000

# --- values ---------------------------------------------------------------------------------

HOSTILE: list[Any] = [
    True, False, None, math.nan, math.inf, -math.inf, 0, -1, -7, 1e-300, 1e300, 10**400,
    10**5000, "", " ", "yes", "1:30", "0x1F", ".nan", "nan", "inf", "-inf", "1e999", "\x00",
    "x" * 10_000, "a\nb", [], [1, 2], {}, {"a": 1},
]  # fmt: skip
GOOD_NUMBERS = [0.5, 1, 2, 5, 10, 30, 60, 100, 365, 1e-3, 1e4]
CHARS = "abc_ :-[]{},.#'\"\n\t\x00\x1b\u2028é☃0123456789"
DRUGS = ["nivolumab", "ipilimumab", "anti-pd-1", "rmp1-14", "ipi-549", "aldesleukin", "cd19 car-t"]
UNITS = ["mg/kg", "mg", "ug", "ug/kg", "IU/kg", "MIU", "cells", "cells/kg", "kg", ""]
SCHEDULES = ["q3w", "biw", "qd", "q8h", "q0d", "q1e-300d", "q1e300w", "once", "daily", ""]
AMOUNTS = ["3", "200", "1e-300", "1e30", "0", "-3", "nan", "inf", "1,000", "480", "15"]
COUNTS = ["x4", "x1", "x0", "x-1", "x1000000000", "x" + "9" * 40, "x10000", "x10001", ""]
STARTS = ["", "from day 7", "from day 1e300", "from day -1", "from day nan", "from day"]
GOOD_REGIMENS = [
    "untreated",
    "anti-pd-1 200 ug biw x4",
    "nivolumab 3 mg/kg q2w x4 + ipilimumab 1 mg/kg q3w x4",
    [{"drug": "nivolumab", "amount": 480, "unit": "mg", "every_days": 28, "count": 3}],
]
PRESETS = ["mouse_4t1", "mouse_b16f10", "human_melanoma", "human_b_all"]
SOLVER_KEYS = list(SolverSettings.model_fields)


class Gen:
    """Builds hostile inputs from one seeded random stream."""

    def __init__(self, rng: random.Random) -> None:
        self.r = rng
        self.bad = 0.33

    def hostility(self) -> None:
        """Choose how often this input gets a hostile value: never (a sensible config that must
        be accepted as it is), rarely or often."""
        self.bad = self.pick([0.0, 0.0, 0.05, 0.33, 0.33])

    def pick(self, items: list[Any]) -> Any:
        return items[self.r.randrange(len(items))]

    def hostile(self) -> Any:
        return self.pick(HOSTILE)

    def text(self, n: int = 12) -> str:
        return "".join(self.pick(list(CHARS)) for _ in range(self.r.randrange(n)))

    def number(self) -> Any:
        kind = self.r.randrange(5)
        if kind == 0:
            return self.r.uniform(-1e3, 1e3)
        if kind == 1:
            return 10.0 ** self.r.uniform(-320, 308) * self.pick([1, -1])
        if kind == 2:
            return self.r.randint(-(10**12), 10**12)
        if kind == 3:
            return self.pick(GOOD_NUMBERS)
        return self.hostile()

    def mostly(self, good: Callable[[], Any], bad: Callable[[], Any] | None = None) -> Any:
        """A good value two times in three, else a hostile one."""
        return good() if self.r.random() >= self.bad else (bad or self.number)()

    def maybe(self, data: dict[str, Any], key: str, make: Callable[[], Any]) -> None:
        if self.r.random() < 0.3:
            data[key] = make()

    def regimen_text(self) -> str:
        steps = []
        for _ in range(self.r.randint(1, 3)):
            parts = [self.pick(x) for x in (DRUGS, AMOUNTS, UNITS, SCHEDULES, COUNTS, STARTS)]
            steps.append(" ".join(p for p in parts if p))
        return " + ".join(steps)

    def regimen(self) -> Any:
        if self.r.random() >= self.bad:
            return self.pick(GOOD_REGIMENS)
        kind = self.r.randrange(5)
        if kind == 0:
            return "untreated"
        if kind == 1:
            return self.regimen_text()
        if kind == 2:
            return self.mostly(self.text, self.hostile)
        steps = []
        for _ in range(self.r.randint(0, 2)):
            step = {"drug": self.pick(DRUGS), "amount": self.number(), "unit": self.pick(UNITS)}
            for key in ("every_days", "count", "start_day"):
                self.maybe(step, key, self.number)
            steps.append(step)
        return steps

    def parameters(self) -> dict[str, Any]:
        if self.r.random() >= self.bad:
            return self.pick([{}, {"tumor_growth_rate": 0.2}, {"ipi549_emax": 0.5}])
        return {
            self.mostly(lambda: self.pick(PARAMETER_IDS), self.text): self.mostly(
                self.number, lambda: self.pick(["0.3 1/day", "2 1", "x"])
            )
            for _ in range(self.r.randrange(3))
        }

    def switches(self) -> dict[str, Any]:
        names = sorted(MECHANISMS)
        return {
            self.mostly(lambda: self.pick(names), self.text): self.mostly(
                lambda: self.r.random() < 0.5, self.hostile
            )
            for _ in range(self.r.randrange(3))
        }

    def solver(self) -> dict[str, Any]:
        if self.r.random() >= self.bad:
            return self.pick([{}, {"rtol": 1e-6}, {"max_steps": 5000}])
        return {
            self.mostly(lambda: self.pick(SOLVER_KEYS), self.text): self.number()
            for _ in range(self.r.randrange(3))
        }

    def scenario(self) -> dict[str, Any]:
        self.hostility()
        data: dict[str, Any] = {"preset": self.mostly(lambda: self.pick(PRESETS), self.text)}
        self.maybe(data, "regimen", self.regimen)
        self.maybe(data, "n_patients", lambda: self.mostly(lambda: self.r.randint(1, 100)))
        self.maybe(data, "duration_days", lambda: self.mostly(lambda: self.r.uniform(0.5, 400)))
        self.maybe(data, "save_every_days", lambda: self.mostly(lambda: self.r.uniform(0.1, 7)))
        self.maybe(data, "seed", lambda: self.mostly(lambda: self.r.randint(0, 10)))
        self.maybe(data, "variability", lambda: self.mostly(lambda: True, self.hostile))
        self.maybe(data, "parameters", self.parameters)
        self.maybe(data, "mechanisms", self.switches)
        self.maybe(data, "solver", self.solver)
        self.maybe(data, "chunk_size", lambda: self.mostly(lambda: self.r.randint(1, 1000)))
        self.maybe(data, "output", lambda: self.mostly(self.text, self.hostile))
        self.maybe(data, "engine", lambda: self.pick(["qsp", "abm", "ode", ""]))
        self.maybe(data, "abm", lambda: {self.pick(["start_day", "grid", "x"]): self.number()})
        if self.r.random() < 0.05:
            data[self.text()] = self.number()
        return data

    def cohort(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.mostly(lambda: self.pick(["a", "b"]), self.text),
            "preset": self.mostly(lambda: self.pick(PRESETS), self.text),
        }
        self.maybe(data, "n", lambda: self.mostly(lambda: self.r.randint(1, 50)))
        self.maybe(data, "parameters", self.parameters)
        self.maybe(data, "mechanisms", self.switches)
        self.maybe(data, "start_volume_mm3", lambda: self.mostly(lambda: 100.0))
        self.maybe(data, "start_volume_log_sd", lambda: self.mostly(lambda: 0.3))
        self.maybe(
            data,
            "plausibility",
            lambda: {
                self.pick(["tumor_volume", "tumor_cells", "x"]): self.mostly(
                    lambda: [10.0, 1e4], lambda: [self.number(), self.number()]
                )
            },
        )
        return data

    def arm(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.mostly(lambda: self.pick(["c", "t"]), self.text)}
        self.maybe(data, "regimen", self.regimen)
        self.maybe(data, "ratio", lambda: self.mostly(lambda: 1))
        self.maybe(data, "max_treatment_days", lambda: self.mostly(lambda: 30.0))
        return data

    def section(self, keys: list[str]) -> dict[str, Any]:
        if self.r.random() >= self.bad:
            return {}
        return {k: self.number() for k in keys if self.r.random() < 0.5}

    def study(self) -> dict[str, Any]:
        self.hostility()
        data: dict[str, Any] = {
            "title": self.mostly(lambda: "t", self.hostile),
            "cohorts": self.mostly(
                lambda: [self.cohort() for _ in range(self.r.randint(1, 2))], self.hostile
            ),
            "arms": self.mostly(
                lambda: [self.arm() for _ in range(self.r.randint(1, 2))], self.hostile
            ),
        }
        self.maybe(data, "kind", lambda: self.pick(["mouse_study", "clinical_trial", "x", None]))
        self.maybe(data, "setting", lambda: self.pick(["established", "metastatic", "adjuvant"]))
        self.maybe(data, "design", lambda: self.pick(["matched", "randomized"]))
        self.maybe(data, "follow_up_days", lambda: self.mostly(lambda: self.r.uniform(1, 400)))
        self.maybe(data, "save_every_days", lambda: self.mostly(lambda: self.r.uniform(0.1, 7)))
        self.maybe(data, "endpoint_volume_mm3", lambda: self.mostly(lambda: 1500.0))
        self.maybe(data, "palpable_mm3", lambda: self.mostly(lambda: 5.0))
        self.maybe(data, "seed", lambda: self.mostly(lambda: self.r.randint(0, 9)))
        self.maybe(data, "rechallenge", lambda: self.mostly(lambda: self.section(["cells"])))
        self.maybe(data, "visits", lambda: self.section(["every_days", "first_day", "window_days"]))
        self.maybe(
            data, "response", lambda: self.section(["confirmation_days", "detection_limit_mm"])
        )
        self.maybe(data, "survival", lambda: self.section(["lethal_burden_mm3"]))
        self.maybe(data, "chunk_size", lambda: self.mostly(lambda: self.r.randint(1, 100)))
        self.maybe(data, "solver", self.solver)
        return data


# --- checks ---------------------------------------------------------------------------------


def refused(exc: ConfigError) -> None:
    message = str(exc)
    assert "\n" not in message and "\r" not in message, message[:500]
    assert 0 < len(message) < MAX_MESSAGE, len(message)
    TALLY["clean errors"] += 1


def _plain_numbers(value: Any, path: str = "") -> None:
    """No NaN or infinity anywhere in an accepted config."""
    if isinstance(value, float):
        assert math.isfinite(value), f"{path}: {value}"
    elif isinstance(value, dict):
        for k, v in value.items():
            _plain_numbers(v, f"{path}.{k}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _plain_numbers(v, f"{path}[{i}]")


def check_regimen(regimen: Regimen) -> None:
    for step in regimen.steps:
        low, high = dose_range(step.unit)
        assert low <= step.amount <= high, step
        assert 1 <= step.count <= MAX_DOSES_PER_STEP and 0 <= step.start_day <= MAX_DAYS, step
        assert step.every_days is None or 0 < step.every_days <= MAX_DAYS, step


def check_parameters(sim: Simulation, overridden: dict[str, Any]) -> None:
    for pid in overridden:
        value = sim.parameters[pid].value
        assert math.isfinite(value) and 0 <= value <= MAX_PARAMETER_VALUE, (pid, value)
        if is_fraction_parameter(pid, *DECLARED[pid]):
            assert value <= 1, (pid, value)


def check_scenario(s: SimulationScenario) -> None:
    _plain_numbers(s.model_dump())
    for name in ("n_patients", "seed", "chunk_size"):
        assert type(getattr(s, name)) is int, name
    assert type(s.variability) is bool
    assert 0 < s.duration_days <= MAX_DAYS
    assert s.save_every_days <= s.duration_days
    points = s.duration_days / s.save_every_days + 1
    assert min(s.chunk_size, s.n_patients) * points <= MAX_VALUES_PER_CHUNK + points


def accept_scenario(data: Any, overrides: list[str] = ()) -> None:
    try:
        s = scenario_from_dict(data, overrides)
        sim = None
        if s.engine == "qsp":
            solver = validate_config(SolverSettings, s.solver, label="solver", prefix=("solver",))
            sim = Simulation(
                s.preset,
                regimen=s.regimen,
                mechanisms=s.mechanisms,
                parameters_override=s.parameters,
                solver=solver,
                model=MODEL,
            )
    except ConfigError as exc:
        refused(exc)
        return
    check_scenario(s)
    if sim is not None:
        check_regimen(sim.regimen_)
        check_parameters(sim, s.parameters)
    TALLY["accepted"] += 1


def check_trial(t: TrialScenario, study: Study) -> None:
    _plain_numbers(t.model_dump())
    assert t.palpable_mm3 < t.endpoint_volume_mm3
    assert t.save_every_days <= t.follow_up_days
    assert t.follow_up_days / t.save_every_days <= MAX_SAVED_POINTS
    for cohort in t.cohorts:
        assert type(cohort.n) is int
        for low, high in cohort.plausibility.values():
            assert low <= high
    if study.kind == "clinical_trial":
        assert t.rechallenge is None
    for ci, row in enumerate(study.arm_sims):
        for sim in row:
            check_regimen(sim.regimen_)
            check_parameters(sim, t.cohorts[ci].parameters)


def accept_trial(data: Any, overrides: list[str] = ()) -> None:
    try:
        t = trial_from_dict(data, overrides)
        study = Study(t, 1)
    except ConfigError as exc:
        refused(exc)
        return
    check_trial(t, study)
    TALLY["accepted"] += 1


def shown(data: Any) -> str:
    """The input, for the report of a failure (huge integers, which repr refuses, summarized)."""

    def plain(x: Any) -> Any:
        if isinstance(x, int) and not isinstance(x, bool) and x.bit_length() > 1000:
            return f"<integer of {x.bit_length()} bits>"
        if isinstance(x, dict):
            return {plain(k): plain(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [plain(v) for v in x]
        return x

    return repr(plain(data))[:3000]


def tried(name: str) -> None:
    TALLY["inputs tried"] += 1
    RAN.add(name)


# --- configs --------------------------------------------------------------------------------


@fuzz(300)
@given(st.randoms(use_true_random=False))
def test_fuzz_scenario_configs(rng):
    gen = Gen(rng)
    for _ in range(BATCH):
        tried("scenarios")
        data = gen.scenario()
        note(shown(data))
        accept_scenario(data)


@fuzz(250)
@given(st.randoms(use_true_random=False))
def test_fuzz_study_configs(rng):
    gen = Gen(rng)
    for _ in range(BATCH):
        tried("studies")
        data = gen.study()
        note(shown(data))
        accept_trial(data)


# --- malformed YAML -------------------------------------------------------------------------

VALID_YAML = [
    "preset: mouse_4t1\nn_patients: 3\nregimen: anti-pd-1 200 ug biw x4\nduration_days: 30\n",
    "title: t\ncohorts:\n  - {name: a, preset: mouse_4t1, n: 3}\narms:\n  - name: c\n",
    "preset: human_melanoma\nparameters:\n  tumor_growth_rate: 0.01\nsolver: {rtol: 1e-6}\n",
]
YAML_PIECES = (
    list(": -[]{},#&*!|>'\"%@`\n\t ?")
    + ["\x00", "\x1b", "\x7f", "\ufeff", "\u2028", "\x85", "1", "e5", "a", "~", "<<", "!!python"]
    + ["preset", "n_patients", "yes", "1:30", ".nan", ".inf", "0x1F", "010", "9" * 5000]
    + ["&a", "*a", "!!binary", "!!float", "!!int", "---", "...", "\\", "!!python/object:os.system"]
)


def yaml_text(gen: Gen) -> str:
    kind = gen.r.randrange(4)
    if kind == 0:
        return "".join(gen.pick(YAML_PIECES) for _ in range(gen.r.randrange(40)))
    if kind == 1:
        depth = gen.pick([0, 10, 64, 65, 500, 3000])
        return "preset: mouse_4t1\nregimen: " + "[" * depth + "]" * depth
    text = gen.pick(VALID_YAML)
    for _ in range(gen.r.randint(1, 4)):
        at = gen.r.randrange(len(text) + 1)
        text = text[:at] + gen.pick(YAML_PIECES) + text[at + gen.r.randrange(4) :]
    return text


@fuzz(250)
@given(st.randoms(use_true_random=False))
def test_fuzz_malformed_yaml(rng):
    gen = Gen(rng)
    for _ in range(BATCH):
        tried("yaml")
        text = yaml_text(gen)
        note(shown(text))
        try:
            data = parse_yaml(text, source="fuzz.yaml")
        except ConfigError as exc:
            refused(exc)
            continue
        data = {} if data is None else data
        if isinstance(data, dict) and "title" in data:
            accept_trial(data)
        else:
            accept_scenario(data)


# --- --set overrides ------------------------------------------------------------------------

KEYS = [
    "n_patients", "duration_days", "save_every_days", "seed", "chunk_size", "regimen",
    "parameters.tumor_growth_rate", "parameters.clone_0_ifng_sensing", "parameters.ipi549_emax",
    "mechanisms.pd1", "solver.rtol", "solver.max_steps", "n_patients.x", "a..b", "", "parameters",
    "abm.start_day",
]  # fmt: skip
RAW_VALUES = [
    "1", "yes", "true", "1:30", ".nan", "-1", "1e-300", "1e300", "[1, 2]", "{a: 1}", "a: b", "",
    "~", "'x'", "0x10", "9" * 5000, "[" * 100, "anti-pd-1 200 ug biw x1000000000",
]  # fmt: skip


@fuzz(100)
@given(st.randoms(use_true_random=False))
def test_fuzz_overrides(rng):
    gen = Gen(rng)
    for _ in range(BATCH):
        tried("overrides")
        overrides = [
            f"{gen.pick(KEYS)}{gen.pick(['=', '=', '', '=='])}"
            f"{gen.mostly(lambda: gen.pick(RAW_VALUES), gen.text)}"
            for _ in range(gen.r.randrange(4))
        ]
        note(shown(overrides))
        try:
            apply_overrides({"preset": "mouse_4t1"}, overrides)
        except ConfigError as exc:
            refused(exc)
            continue
        accept_scenario({"preset": "mouse_4t1", "duration_days": 20}, overrides)


# --- regimen strings ------------------------------------------------------------------------


@fuzz(100)
@given(st.randoms(use_true_random=False))
def test_fuzz_regimen_strings(rng):
    gen = Gen(rng)
    for _ in range(BATCH):
        tried("regimens")
        text = gen.mostly(gen.regimen_text, gen.text)
        note(repr(text))
        try:
            regimen = Regimen.parse(text)
        except ConfigError as exc:
            refused(exc)
            continue
        check_regimen(regimen)
        TALLY["accepted"] += 1


# --- TSV tables -----------------------------------------------------------------------------

CELLS = [
    "", "nan", "NA", "inf", "-inf", "1e308", "1e999", "-1", "0", "5.5", "1,5", "x", "\x00", "yes",
    "no", "MSI-H", "MSS", "melanoma", "B2M", "Nonsense_Mutation", '"', "a b", "CD8A", "GZMB",
    "CXCL9", "S1", "S2", "S3", "\u2028",
]  # fmt: skip
HEADERS = {
    "expression": ["gene", "S1", "S2", "S3"],
    "clinical": ["sample", "cancer_type", "tmb", "msi"],
    "mutations": ["sample", "gene", "alteration"],
    "labels": ["sample", "responder"],
}
READERS = {
    "expression": read_expression,
    "clinical": read_clinical,
    "mutations": read_mutations,
    "labels": read_labels,
}


def table_text(gen: Gen, which: str) -> str:
    header = HEADERS[which]
    if gen.r.random() < 0.3:
        header = [gen.mostly(lambda: gen.pick(CELLS), gen.text) for _ in range(gen.r.randint(1, 5))]
    width = len(header)
    rows = [
        [
            gen.mostly(lambda: gen.pick(CELLS), gen.text)
            for _ in range(gen.mostly(lambda: width, lambda: gen.r.randint(1, 6)))
        ]
        for _ in range(gen.r.randrange(7))
    ]
    sep = gen.pick(["\t", "\t", ",", "  ", ";"])
    return "\n".join(sep.join(row) for row in [header, *rows]) + "\n"


@fuzz(120)
@given(st.randoms(use_true_random=False))
def test_fuzz_tsv_tables(tmp_path_factory, rng):
    gen = Gen(rng)
    folder = tmp_path_factory.mktemp("tsv")
    for _ in range(BATCH):
        tried("tables")
        which = gen.pick(sorted(READERS))
        path = folder / f"{which}.tsv"
        text = table_text(gen, which)
        note(shown(text))
        path.write_text(text, encoding="utf-8")
        try:
            frame = READERS[which](path)
        except ConfigError as exc:
            refused(exc)
            continue
        if which == "expression":
            assert np.isfinite(frame.to_numpy()).all()
            assert all(frame.index) and all(str(c) for c in frame.columns)
        if which == "clinical":
            tmb = frame["tmb"].dropna()
            assert ((tmb >= 0) & (tmb <= MAX_TMB)).all()
            assert all(str(s) for s in frame.index)
        if which in ("mutations", "labels"):
            assert all(str(s) for s in (frame["sample"] if which == "mutations" else frame.index))
        TALLY["accepted"] += 1


# --- the tally ------------------------------------------------------------------------------


def test_fuzz_tally():
    """The table of the closing note; needs the whole module (skipped when run alone).

    An input counts once it is done: refused with a clean error or accepted and checked (an
    input hypothesis abandons half-way, when its random stream runs out, is not counted).
    """
    if RAN != {"scenarios", "studies", "yaml", "overrides", "regimens", "tables"}:
        pytest.skip("run the whole module for the tally")
    done = TALLY["clean errors"] + TALLY["accepted"]
    print(
        f"\nfuzz: {done} inputs tried; {TALLY['clean errors']} clean errors; "
        f"{TALLY['accepted']} accepted and sensible; 0 tracebacks; 0 nonsense accepted"
    )
    assert done >= 10_000
    assert TALLY["clean errors"] > 1000 and TALLY["accepted"] > 1000

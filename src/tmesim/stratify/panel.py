"""The candidate regimens a patient's virtual ensemble is treated with, at label (or trial) doses.

Each candidate names its agents (target classes of the drug catalog) and, for add-on agents, the
mechanism they act on, so that a recommendation can say what drives it. CAR-T is a candidate only
where its antigen applies (CD19: B-ALL). Day 0 is treatment start; treatment lasts at most one
year (the follow-up of the response reading).

Example:
    >>> [c.name for c in PANEL][:3]
    ['anti-PD-1', 'anti-CTLA-4', 'anti-PD-1 + anti-CTLA-4']
    >>> candidate("anti-PD-1 + IPI-549").agents
    ('anti_pd1', 'ipi549')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tmesim.errors import ConfigError
from tmesim.therapies.drugs import get_drug
from tmesim.therapies.regimen import Regimen

NIVOLUMAB = "nivolumab 240 mg q2w x26"
"""Nivolumab flat dose, every 2 weeks for a year (Opdivo label)."""
NIVO_IPI = (
    "nivolumab 1 mg/kg q3w x4 + ipilimumab 3 mg/kg q3w x4 + nivolumab 240 mg q2w x20 from day 84"
)
"""CheckMate 067 induction (Larkin 2015), then nivolumab 240 mg every 2 weeks."""
RELATIVITY = "relatlimab 160 mg q4w x13"
"""Relatlimab 160 mg with nivolumab 480 mg every 4 weeks (RELATIVITY-047, Tawbi 2022)."""
PY314 = "py314 10 mg/kg q3w x17"
"""Anti-TREM2 PY314, assumed 10 mg/kg every 3 weeks (investigational; phase 1 dose range [r])."""


@dataclass(frozen=True)
class Candidate:
    """A candidate regimen: name, regimen text, agents and (for add-ons) the mechanism used."""

    name: str
    regimen: str
    mechanism: str
    antigen: str | None = None
    """Only for tumors that carry this antigen (CAR-T)."""

    @property
    def agents(self) -> tuple[str, ...]:
        """Target classes of the drugs, in catalog form, sorted."""
        return agents_of(self.regimen)


def n_agents(name: str) -> int:
    """Number of agents (drug target classes) of the candidate called `name`.

    Example:
        >>> n_agents("anti-PD-1 + IPI-549")
        2
    """
    return len(candidate(name).agents)


def agents_of(regimen: str) -> tuple[str, ...]:
    """The sorted target classes of the drugs a regimen text names.

    Example:
        >>> agents_of("pembrolizumab 200 mg q3w x35")
        ('anti_pd1',)
    """
    steps = Regimen.parse(regimen).steps
    return tuple(sorted({get_drug(s.drug).target_class for s in steps}))


PANEL: tuple[Candidate, ...] = (
    Candidate("anti-PD-1", NIVOLUMAB, "PD-1 blockade releases the brake on effector T cells"),
    Candidate(
        "anti-CTLA-4",
        "ipilimumab 3 mg/kg q3w x4",
        "CTLA-4 blockade widens priming of new T cells",
    ),
    Candidate(
        "anti-PD-1 + anti-CTLA-4",
        NIVO_IPI,
        "CTLA-4 blockade adds newly primed T cells to PD-1 blockade",
    ),
    Candidate(
        "anti-PD-1 + anti-LAG-3",
        f"nivolumab 480 mg q4w x13 + {RELATIVITY}",
        "LAG-3 blockade reinvigorates exhausted T cells",
    ),
    Candidate(
        "anti-PD-1 + IPI-549",
        f"{NIVOLUMAB} + eganelisib 40 mg qd x364",
        "PI3Kγ inhibition switches suppressive myeloid cells to immune-stimulatory",
    ),
    Candidate(
        "anti-PD-1 + anti-TREM2",
        f"{NIVOLUMAB} + {PY314}",
        "anti-TREM2 removes TREM2⁺ suppressive macrophages",
    ),
    Candidate(
        "quadruple (PD-1 + CTLA-4 + LAG-3 + TREM2)",
        f"{NIVO_IPI} + {RELATIVITY} + {PY314}",
        "blocking both barriers, exhausted T cells and TREM2⁺ macrophages (Mestrallet et al.)",
    ),
    Candidate(
        "IL-2",
        "aldesleukin 600000 IU/kg q8h x14 + aldesleukin 600000 IU/kg q8h x14 from day 14",
        "high-dose IL-2 expands T and NK cells systemically (Atkins 1999: two 14-dose cycles)",
    ),
    Candidate(
        "CD19 CAR-T",
        "tisagenlecleucel 2e6 cells/kg once",
        "CAR-T cells kill CD19⁺ cells without MHC-I",
        antigen="cd19",
    ),
)


def candidate(name: str) -> Candidate:
    """The candidate of that name (a clear error with the nearest name otherwise)."""
    for c in PANEL:
        if c.name == name:
            return c
    raise ConfigError(
        "regimen", name, "use a candidate of the panel", choices=[c.name for c in PANEL]
    )


def applicable(c: Candidate, antigens: Sequence[str]) -> bool:
    """A candidate applies unless it needs an antigen the tumor does not carry."""
    return c.antigen is None or c.antigen in antigens


def match_received(text: str) -> Candidate | None:
    """The panel candidate a received regimen corresponds to: by name, else by the same agents
    (so "pembrolizumab 200 mg q3w x35" or "nivolumab" reads as anti-PD-1).

    Example:
        >>> match_received("pembrolizumab 200 mg q3w x35").name
        'anti-PD-1'
        >>> match_received("nivolumab + ipilimumab").name
        'anti-PD-1 + anti-CTLA-4'
    """
    text = str(text).strip()
    if not text:
        return None
    for c in PANEL:
        if c.name.lower() == text.lower():
            return c
    try:
        agents = agents_of(text)
    except ConfigError:
        names = [part.strip().split(" ")[0] for part in text.replace(";", "+").split("+")]
        agents = tuple(sorted({get_drug(n).target_class for n in names if n}))
    for c in PANEL:
        if c.agents == agents:
            return c
    raise ConfigError(
        "labels: regimen",
        text,
        "name a candidate of the panel or a regimen with the same drugs",
        choices=[c.name for c in PANEL],
    )

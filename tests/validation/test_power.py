"""The validation suite's power: deliberately broken variants of the model must fail targets.

Each variant replaces preset values through the what-if mechanism of `tmesim validate --set`
(`run_validation(..., parameters=parse_overrides([...], presets))`) and runs a small set of
targets chosen to see it; the unbroken model must pass the same targets. The targets are the
shipped ones at a small group size, their studies cut to the cohorts and arms the targets read
(no rechallenge; one year of follow-up for a response rate). The published data and the rules
are the shipped ones; the full suite's larger groups only narrow the simulated intervals.

Measured with this file's settings (fixed seeds: N_MOUSE = 60 mice per arm, N_HUMAN = 40
patients; "difference" is simulated − published with its 95% interval from both sides):

- unbroken: passes every target below: 4T1 checkpoint 7/60 (12%) vs 2/10; checkpoint + IPI-549
  39/60 (65%) vs 8/10; IPI-549's gain 53 vs 60 points; CheckMate 067 ipilimumab ORR 9/40 (22.5%)
  vs 60/315; Gao knock-down minus control mortality +30 points (60/60 vs 42/60, CI 18–42).
- IPI-549 without effect (`*:ipi549_emax=0`): caught by the 4T1 checkpoint + IPI-549 arm, 7/60
  vs 8/10 (difference −68, CI −84 to −36), and by the gain, 0 vs 60 (CI −83 to −15).
- IPI-549 at half its effect (`*:ipi549_emax=0.475`, half of 0.95): caught by the 4T1
  checkpoint + IPI-549 arm, 23/60 (38%) vs 8/10 (difference −42, CI −60 to −8). The gain alone
  would not catch it: 27 vs 60 points, CI −59 to +13, because Newcombe's interval of 8/10 − 2/10
  is 16–80 points wide.
- myeloid inhibition of killing removed (`*:myeloid_kill_inhibition_max=0`): caught by 4T1
  checkpoint alone, 39/60 (65%) vs 2/10 (difference +45, CI 12 to 63).
- human anti-CTLA-4 without effect (`human_melanoma:anti_ctla4_kd=1e9`: no binding, occupancy 0):
  caught by CheckMate 067's ipilimumab ORR, 0/40 vs 60/315 (difference −19, CI −24 to −9).
- IFN-γ sensing loss without effect on anti-CTLA-4 (`mouse_b16f10:clone_0_ifng_sensing=1`: the
  knock-down cohort senses IFN-γ again): caught by Gao 2016, knock-down minus control mortality
  0 points (42/60 vs 42/60, CI −17 to +15) where a rise of at least 20 is wanted.
- NK cells removed from tumors (`*:nk_tumor_entry_rate=0`): caught by the 4T1 checkpoint +
  IPI-549 arm, 22/60 (37%) vs 8/10 (difference −43, CI −61 to −10). Human tumors let few NK
  cells in (entry rate 0.001 against 0.2 in mice), so CheckMate 067's ipilimumab ORR does not
  see it (10/40 against 9/40 unbroken).

Every listed variant is distinguishable with the published data at these sizes, so none is left
out of the assertion; a variant that is not must be listed apart with its numbers, not caught
by tightening a rule beyond the data.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tmesim.validation.runner import parse_overrides, run_validation
from tmesim.validation.targets import Target, load_targets, target_from_dict

N_MOUSE = 60
N_HUMAN = 40

DE_HENAU = (
    "de_henau_2016_4t1_checkpoint_cr",
    "de_henau_2016_4t1_checkpoint_ipi549_cr",
    "de_henau_2016_4t1_ipi549_gain",
)
GAO = ("gao_2016_ifngr1_knockdown_escapes_anti_ctla4",)
CHECKMATE = ("checkmate067_orr_ipilimumab",)

# variant -> (settings, the targets it is run on)
VARIANTS: dict[str, tuple[list[str], tuple[str, ...]]] = {
    "IPI-549 without effect": (["*:ipi549_emax=0"], DE_HENAU),
    "IPI-549 at half its effect": (["*:ipi549_emax=0.475"], DE_HENAU),
    "myeloid inhibition of killing removed": (["*:myeloid_kill_inhibition_max=0"], DE_HENAU),
    "human anti-CTLA-4 without effect": (["human_melanoma:anti_ctla4_kd=1e9"], CHECKMATE),
    "IFN-γ sensing loss without effect on anti-CTLA-4": (
        ["mouse_b16f10:clone_0_ifng_sensing=1"],
        GAO,
    ),
    "NK cells removed": (["*:nk_tumor_entry_rate=0"], DE_HENAU),
}


def _cut(
    target: Target, n: int, arms: list[str], cohorts: list[str] | None = None, **study: object
) -> Target:
    """The target at group size `n`, its study cut to the `cohorts` (default: all) and `arms` it
    reads."""
    data = target.model_dump(mode="json", exclude_none=True)
    data["study"] = {
        **data["study"],
        "cohorts": [c for c in data["study"]["cohorts"] if cohorts is None or c["name"] in cohorts],
        "arms": [a for a in data["study"]["arms"] if a["name"] in arms],
        **study,
    }
    data["study"].pop("rechallenge", None)
    data["simulate"] = {**data["simulate"], "n_fast": n}
    return target_from_dict(data, where=f"{target.id} (power test)")


@pytest.fixture(scope="module")
def targets() -> dict[str, Target]:
    out = {}
    for t in load_targets(list(DE_HENAU)):
        out[t.id] = _cut(t, N_MOUSE, ["checkpoint", "checkpoint + IPI-549"], ["4T1"])
    for t in load_targets(list(GAO)):
        out[t.id] = _cut(t, N_MOUSE, ["anti-CTLA-4"])
    for t in load_targets(list(CHECKMATE)):
        out[t.id] = _cut(t, N_HUMAN, ["ipilimumab"], follow_up_days=365)
    return out


def _run(targets: dict[str, Target], ids: tuple[str, ...], settings: list[str], out: Path):
    chosen = [targets[i] for i in ids]
    presets = sorted({p for t in chosen for p in t.presets()})
    parameters = parse_overrides(settings, presets) if settings else None
    report = run_validation(out=out, targets=chosen, fast=True, threads=2, parameters=parameters)
    return report.table.set_index("id")


def _summary(table: pd.DataFrame) -> str:
    return "\n".join(
        f"{i}: {'pass' if r['passed'] else 'FAIL'} {r['simulated']:g} ({r['simulated_detail']}) "
        f"vs {r['published']} [{r['published_ci']}]: {r['reason']}"
        for i, r in table.iterrows()
    )


@pytest.mark.slow
def test_the_unbroken_model_passes_the_power_targets(targets, tmp_path):
    ids = tuple(dict.fromkeys(i for _, chosen in VARIANTS.values() for i in chosen))
    table = _run(targets, ids, [], tmp_path)
    print(_summary(table))
    assert table["passed"].all(), _summary(table)


@pytest.mark.slow
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_a_broken_variant_fails_a_target(variant, targets, tmp_path):
    settings, ids = VARIANTS[variant]
    table = _run(targets, ids, settings, tmp_path)
    print(_summary(table))
    assert not table["passed"].all(), f"{variant} passes every target:\n{_summary(table)}"

"""The "Try:" overrides written in the examples' headers are valid: each loads with its file and
every mechanism it switches exists in the model."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from tmesim.config.scenario import load_scenario
from tmesim.config.trial import load_trial
from tmesim.model import build_model

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.yaml"))


def try_overrides(path: Path) -> list[tuple[str, ...]]:
    """The KEY=VALUE of the --set options of each line of the comment block that starts with
    '# Try:' (one line's options go together)."""
    items: list[tuple[str, ...]] = []
    inside = False
    for line in path.read_text().splitlines():
        if line.startswith("# Try:"):
            inside = True
        elif not (inside and line.startswith("#") and "--set" in line):
            inside = False
        if inside:
            words = shlex.split(line.lstrip("#").replace("Try:", "", 1).split("(")[0])
            items.append(tuple(words[i + 1] for i, w in enumerate(words[:-1]) if w == "--set"))
    return items


CASES = [(p, items) for p in EXAMPLES for items in try_overrides(p)]


def test_the_examples_offer_overrides_to_try() -> None:
    assert len(CASES) >= 4


@pytest.mark.parametrize(
    ("path", "items"), CASES, ids=lambda x: getattr(x, "stem", None) or " ".join(x)
)
def test_every_override_to_try_is_valid(path: Path, items: tuple[str, ...]) -> None:
    study = "arms" in yaml.safe_load(path.read_text())
    (load_trial if study else load_scenario)(path, list(items))
    for item in items:
        mechanism = re.search(r"mechanisms\.(\w+)=", item)
        if mechanism:
            build_model().mechanism(mechanism.group(1))

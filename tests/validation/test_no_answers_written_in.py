"""No published value of a target is written into the package's code.

The model has to reach each published number through its mechanisms and parameters. This scans
every .py file of src/tmesim for the distinctive published numbers of the target files (values
and interval bounds with a decimal part, e.g. an ORR of 57.6% or a median PFS of 11.5 months,
also as fractions, e.g. 0.576) written as numeric literals. Whole numbers (15, 20, 80, ...) are
left out: they are everywhere in code and say nothing about where an answer came from. Numbers
of two significant digits (2.9, 6.9) are common too (figure sizes, other papers' values), so
they count only on a line that speaks of the same endpoint (median, PFS, OS, response, months).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

import tmesim
from tmesim.validation.targets import load_targets

PACKAGE = Path(tmesim.__file__).parent


@functools.cache
def _distinctive_numbers() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for target in load_targets():
        p = target.published
        numbers = [p.value] if p.value is not None else []
        for bounds in (p.ci, p.range):
            if bounds is not None:
                numbers.extend(bounds)
        for x in numbers:
            if float(x).is_integer():
                continue
            texts = {repr(float(x))}
            if p.units == "percent":
                texts.add(repr(round(float(x) / 100, 6)))
            for text in texts:
                out.setdefault(text, set()).add(target.id)
    return out


CONTEXT = re.compile(r"median|pfs|\bos\b|progression|survival|response|orr|month", re.I)


def _short(text: str) -> bool:
    return len(text.replace(".", "").replace("-", "").lstrip("0")) <= 2


def _literal(text: str) -> re.Pattern[str]:
    # A numeric token on its own: not part of a longer number, a name or a dotted version.
    return re.compile(rf"(?<![\w.]){re.escape(text)}(?![\w.]|\d)")


def _code_lines(path: Path):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        code = line.split("#", 1)[0]
        yield number, code


def test_the_scan_finds_what_it_looks_for(tmp_path):
    pattern = _literal("57.6")
    assert pattern.search("orr = 57.6")
    assert not pattern.search("x = 157.6") and not pattern.search("v1.57.6")
    assert _short("6.9") and _short("0.19") and not _short("57.6")
    assert CONTEXT.search("median PFS 6.9 months") and not CONTEXT.search("figsize=(6.9, 3)")


def test_there_are_distinctive_numbers_to_look_for():
    assert len(_distinctive_numbers()) >= 10


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_no_published_value_in_code(path):
    numbers = _distinctive_numbers()
    patterns = {text: _literal(text) for text in numbers}
    hits = [
        f"{path.relative_to(PACKAGE)}:{n}: {text} ({', '.join(sorted(ids))})"
        for n, code in _code_lines(path)
        for text, ids in numbers.items()
        if patterns[text].search(code) and (not _short(text) or CONTEXT.search(code))
    ]
    assert not hits, "published values written into code:\n" + "\n".join(hits)

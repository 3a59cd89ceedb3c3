"""Shared helpers of the stratification tests."""

from __future__ import annotations

from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(scope="session")
def example_files() -> dict[str, Path]:
    names = ("expression", "mutations", "clinical", "labels", "truth")
    return {n: EXAMPLES / f"stratify_{n}.tsv" for n in names}

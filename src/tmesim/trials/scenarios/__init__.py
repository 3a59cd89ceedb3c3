"""Built-in studies shipped with tmesim (YAML files in this folder)."""

from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).parent


def flagship_path() -> Path:
    """The flagship study that a bare `tmesim trial` runs (De Henau et al. 2016)."""
    return FOLDER / "flagship_de_henau_2016.yaml"

"""`tmesim schema`: every key of every config file, read from the models that check it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tmesim.cli import app
from tmesim.config.schema import CONFIG_KINDS, config_keys, config_model, json_schema
from tmesim.config.yamlio import read_yaml
from tmesim.errors import ConfigError
from tmesim.solvers import SolverSettings

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _paths(data: Any, keys: dict[str, Any], prefix: str = "") -> Iterator[str]:
    # Dotted paths of a parsed file as the schema writes them ("cohorts[].n"); the entries of a
    # free mapping (parameter overrides, densities by cell type) are names, not keys.
    if isinstance(data, Mapping):
        for key, value in data.items():
            path = f"{prefix}{key}"
            yield path
            free = path in keys and keys[path].type.startswith("dict[")
            if not free or any(p.startswith(f"{path}.") for p in keys):
                yield from _paths(value, keys, f"{path}.")
    elif isinstance(data, list) and prefix:
        for item in data:
            yield from _paths(item, keys, f"{prefix[:-1]}[].")


@pytest.mark.parametrize("kind", sorted(CONFIG_KINDS))
def test_every_key_says_what_it_is(kind: str) -> None:
    keys = config_keys(kind)
    assert keys, kind
    undocumented = [k.path for k in keys if not k.description]
    assert not undocumented, f"{kind}: keys without a description: {undocumented}"
    assert len({k.path for k in keys}) == len(keys)


@pytest.mark.parametrize("kind", sorted(CONFIG_KINDS))
def test_top_level_keys_match_the_json_schema(kind: str) -> None:
    top = {k.path for k in config_keys(kind) if "." not in k.path}
    assert top == set(json_schema(kind)["properties"])
    required = {k.path for k in config_keys(kind) if "." not in k.path and k.required}
    assert required == set(json_schema(kind).get("required", []))


def test_defaults_are_those_of_the_model() -> None:
    settings = SolverSettings()
    for key in config_keys("solver"):
        value = getattr(settings, key.path)
        assert key.default == ("none" if value is None else str(value)), key.path


def test_every_key_of_the_shipped_files_is_listed() -> None:
    listed = {kind: {k.path: k for k in config_keys(kind)} for kind in ("trial", "simulate")}
    files = sorted((ROOT / "examples").glob("*.yaml")) + sorted(
        (ROOT / "src" / "tmesim" / "trials" / "scenarios").glob("*.yaml")
    )
    assert files
    for path in files:
        data = read_yaml(path)
        kind = "trial" if "arms" in data else "simulate"
        unknown = set(_paths(data, listed[kind])) - set(listed[kind])
        assert not unknown, f"{path.name}: keys missing from `tmesim schema {kind}`: {unknown}"
    targets = {k.path: k for k in config_keys("target")}
    for path in sorted((ROOT / "src" / "tmesim" / "validation" / "targets").glob("*.yaml")):
        unknown = set(_paths(read_yaml(path), targets)) - set(targets)
        assert not unknown, f"{path.name}: {unknown}"


def test_an_unknown_kind_names_the_choices() -> None:
    with pytest.raises(ConfigError, match="choose one of trial"):
        config_model("trials")


def test_cli_prints_the_keys_and_the_json_schema() -> None:
    table = runner.invoke(app, ["schema", "trial", "--search", "window_days"])
    assert table.exit_code == 0, table.output
    assert "visits.window_days" in table.output
    printed = runner.invoke(app, ["schema", "simulate", "--json"])
    assert printed.exit_code == 0
    assert json.loads(printed.output)["title"] == "tmesim simulation scenario"
    bad = runner.invoke(app, ["schema", "nope"])
    assert bad.exit_code == 2
    assert "kind" in bad.output

"""The run manifest: contents, file hashes, and detection of changed files."""

from __future__ import annotations

import json
import platform

import numpy as np
import pytest

import tmesim
from tmesim.errors import ConfigError
from tmesim.io.atomic import temporary_path
from tmesim.io.manifest import (
    MANIFEST_FILE,
    hash_file,
    hash_json,
    read_manifest,
    verify_manifest,
    write_manifest,
)

CONFIG = {"preset": "mouse_4t1", "n_patients": 10, "solver": {"rtol": 1e-8}}


def make_run(run_dir):
    (run_dir / "patients").mkdir(parents=True)
    (run_dir / "patients" / "part-00000.parquet").write_bytes(b"table bytes")
    (run_dir / "patients.parquet").write_bytes(b"final table")
    return write_manifest(
        run_dir,
        command="tmesim simulate s.yaml --set n_patients=10",
        config=CONFIG,
        seed=42,
        model_hash="model-abc",
        parameter_hash="params-def",
        extra={"n_failed": 0},
    )


def test_manifest_records_versions_config_seed_and_hashes(tmp_path):
    path = make_run(tmp_path)
    assert path == tmp_path / MANIFEST_FILE
    manifest = json.loads(path.read_text())
    assert manifest["tmesim_version"] == tmesim.__version__
    assert manifest["python_version"] == platform.python_version()
    assert manifest["platform"] == platform.platform()
    assert manifest["packages"]["numpy"] == np.__version__
    assert set(manifest["packages"]) >= {
        "numpy",
        "numba",
        "scipy",
        "pandas",
        "pyarrow",
        "xarray",
        "pydantic",
    }
    assert manifest["created_utc"].endswith("+00:00")
    assert manifest["command"].startswith("tmesim simulate")
    assert manifest["config"] == CONFIG
    assert manifest["config_hash"] == hash_json(CONFIG)
    assert manifest["seed"] == 42
    assert manifest["model_hash"] == "model-abc"
    assert manifest["parameter_hash"] == "params-def"
    assert manifest["extra"] == {"n_failed": 0}
    assert manifest["files"] == {
        "patients.parquet": hash_file(tmp_path / "patients.parquet"),
        "patients/part-00000.parquet": hash_file(tmp_path / "patients/part-00000.parquet"),
    }
    assert read_manifest(tmp_path) == manifest


def test_file_hash_changes_when_a_file_changes(tmp_path):
    make_run(tmp_path)
    before = read_manifest(tmp_path)["files"]
    assert verify_manifest(tmp_path) == []

    (tmp_path / "patients.parquet").write_bytes(b"final table, edited")
    assert verify_manifest(tmp_path) == ["changed: patients.parquet"]

    make_run_again = write_manifest(
        tmp_path, command="c", config=CONFIG, seed=42, model_hash="m", parameter_hash="p"
    )
    after = json.loads(make_run_again.read_text())["files"]
    assert after["patients.parquet"] != before["patients.parquet"]
    assert after["patients/part-00000.parquet"] == before["patients/part-00000.parquet"]


def test_verify_reports_missing_and_unlisted_files(tmp_path):
    make_run(tmp_path)
    (tmp_path / "patients.parquet").unlink()
    (tmp_path / "notes.txt").write_text("added later")
    assert verify_manifest(tmp_path) == ["missing: patients.parquet", "unlisted: notes.txt"]


def test_manifest_and_temporary_files_are_not_hashed(tmp_path):
    (tmp_path / "a.txt").write_text("a")
    temporary_path(tmp_path / "b.nc").write_bytes(b"half")
    write_manifest(tmp_path, command="c", config={}, seed=0, model_hash="m", parameter_hash="p")
    write_manifest(tmp_path, command="c", config={}, seed=0, model_hash="m", parameter_hash="p")
    assert list(read_manifest(tmp_path)["files"]) == ["a.txt"]


def test_hash_json_ignores_key_order_and_sees_every_value():
    assert hash_json({"a": 1, "b": {"c": 2, "d": 3}}) == hash_json({"b": {"d": 3, "c": 2}, "a": 1})
    assert hash_json({"a": 1}) != hash_json({"a": 2})
    assert hash_json({"a": 1e-8}) != hash_json({"a": 1.0000000001e-8})
    assert hash_json([1, 2]) != hash_json([2, 1])
    assert len(hash_json({})) == 64


def test_hash_json_accepts_numpy_values_like_python_ones():
    assert hash_json({"n": np.int64(3), "x": np.float64(0.5), "v": np.array([1, 2])}) == hash_json(
        {"n": 3, "x": 0.5, "v": [1, 2]}
    )


def test_hash_json_refuses_nan():
    with pytest.raises(ValueError):
        hash_json({"x": float("nan")})


def test_read_manifest_of_a_folder_without_one(tmp_path):
    with pytest.raises(ConfigError) as info:
        read_manifest(tmp_path)
    assert "manifest.json" in str(info.value)


def test_damaged_manifest_is_reported(tmp_path):
    (tmp_path / MANIFEST_FILE).write_text('{"files": ')
    with pytest.raises(ConfigError, match="not valid JSON"):
        read_manifest(tmp_path)

"""Output folders a run owns: what may be written where, and what --overwrite removes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tmesim.errors import ConfigError
from tmesim.io.manifest import write_manifest
from tmesim.io.outdir import MARK_FILE, claim_output, remove_run_files, run_kind


def _user_folder(root: Path) -> Path:
    folder = root / "mine"
    (folder / "parts").mkdir(parents=True)
    for name in ("report.html", "manifest.json", "study.json", "data.parquet", "parts/x.txt"):
        (folder / name).write_text(f"user's {name}")
    return folder


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*") if p.is_file()
    }


def test_new_folder_is_created_and_marked(tmp_path):
    out = claim_output(tmp_path / "a" / "b", "trial")
    assert out.is_dir()
    assert run_kind(out) == "trial"
    assert json.loads((out / MARK_FILE).read_text())["kind"] == "trial"


def test_empty_folder_is_used(tmp_path):
    (tmp_path / "empty").mkdir()
    assert run_kind(claim_output(tmp_path / "empty", "simulate")) == "simulate"


@pytest.mark.parametrize("kind", ["simulate", "trial", "stratify", "validate"])
@pytest.mark.parametrize("overwrite", [False, True])
def test_a_folder_of_user_files_is_refused_and_left_intact(tmp_path, kind, overwrite):
    folder = _user_folder(tmp_path)
    before = _snapshot(folder)
    with pytest.raises(ConfigError) as info:
        claim_output(folder, kind, overwrite=overwrite)
    assert "did not write" in str(info.value) and "new or empty folder" in str(info.value)
    assert _snapshot(folder) == before


def test_a_foreign_manifest_does_not_make_a_tmesim_run(tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"command": "trial", "files": {}}))
    with pytest.raises(ConfigError, match="did not write"):
        claim_output(folder, "trial")


def test_a_run_of_the_same_kind_is_reused(tmp_path):
    out = claim_output(tmp_path / "run", "simulate")
    (out / "patients.parquet").write_text("x")
    assert claim_output(out, "simulate") == out


def test_a_run_of_another_kind_needs_overwrite_and_then_only_its_files_go(tmp_path):
    out = claim_output(tmp_path / "run", "simulate")
    (out / "patients").mkdir()
    (out / "patients" / "part-00000.parquet").write_text("p")
    (out / "patients.parquet").write_text("t")
    write_manifest(out, command="simulate", config={}, seed=0, model_hash="m", parameter_hash="p")
    with pytest.raises(ConfigError) as info:
        claim_output(out, "trial")
    assert "--overwrite" in str(info.value) and "simulate run" in str(info.value)
    assert (out / "patients.parquet").exists()
    claim_output(out, "trial", overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == [MARK_FILE]
    assert run_kind(out) == "trial"


def test_overwrite_keeps_files_the_previous_run_did_not_record(tmp_path):
    out = claim_output(tmp_path / "run", "simulate")
    (out / "patients.parquet").write_text("t")
    write_manifest(out, command="simulate", config={}, seed=0, model_hash="m", parameter_hash="p")
    (out / "notes.txt").write_text("added later by the user")
    with pytest.raises(ConfigError, match="did not record"):
        claim_output(out, "trial", overwrite=True)
    assert (out / "notes.txt").read_text() == "added later by the user"
    assert not (out / "patients.parquet").exists()


@pytest.mark.parametrize("out", ["", "   "])
def test_an_empty_name_is_refused(out):
    with pytest.raises(ConfigError, match="give the name of a folder"):
        claim_output(out, "trial")


def test_the_current_folder_of_user_files_is_refused(tmp_path, monkeypatch):
    folder = _user_folder(tmp_path)
    monkeypatch.chdir(folder)
    before = _snapshot(folder)
    with pytest.raises(ConfigError, match="did not write"):
        claim_output(Path(""), "trial")  # what --out '' becomes
    assert _snapshot(folder) == before


def test_a_symbolic_link_is_refused(tmp_path):
    target = _user_folder(tmp_path)
    link = tmp_path / "link"
    link.symlink_to(target)
    with pytest.raises(ConfigError, match="symbolic link"):
        claim_output(link, "trial")
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "link2").symlink_to(empty)
    with pytest.raises(ConfigError, match="symbolic link"):
        claim_output(tmp_path / "link2", "trial")
    assert list(empty.iterdir()) == []


def test_a_file_is_refused(tmp_path):
    (tmp_path / "f").write_text("data")
    with pytest.raises(ConfigError, match="is a file"):
        claim_output(tmp_path / "f", "trial")
    with pytest.raises(ConfigError, match="cannot be written"):
        claim_output(tmp_path / "f" / "sub", "trial")
    assert (tmp_path / "f").read_text() == "data"


@pytest.mark.parametrize("out", ["/proc/tmesim-out", "/proc/self/status/x", "a\x00b"])
def test_impossible_paths_are_refused(out):
    with pytest.raises(ConfigError) as info:
        claim_output(out, "trial")
    assert str(info.value).startswith("--out: ")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(ConfigError, match="cannot be written"):
            claim_output(folder / "run", "trial")
    finally:
        folder.chmod(0o700)


def test_remove_run_files_stays_inside_the_folder(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (tmp_path / "outside.txt").write_text("keep")
    (out / "a.txt").write_text("go")
    remove_run_files(out, ["a.txt", "../outside.txt", str(tmp_path / "outside.txt")])
    assert not (out / "a.txt").exists()
    assert (tmp_path / "outside.txt").read_text() == "keep"


def test_a_checked_but_not_created_folder_needs_a_writable_parent(tmp_path):
    (tmp_path / "f").write_text("data")
    with pytest.raises(ConfigError, match="cannot be written"):
        claim_output(tmp_path / "f" / "run", "stratify", create=False)
    assert (
        claim_output(tmp_path / "new" / "run", "stratify", create=False) == tmp_path / "new" / "run"
    )
    assert not (tmp_path / "new").exists()

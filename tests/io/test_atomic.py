"""Atomic writes: the final name holds the old or the new content, never a partial one."""

from __future__ import annotations

import pytest

from tmesim.io.atomic import atomic_path, atomic_write_text, is_temporary, temporary_path


def test_write_replaces_content(tmp_path):
    target = tmp_path / "deep" / "file.txt"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["file.txt"]


def test_error_during_write_keeps_old_content_and_removes_temp(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half of the new")
        raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.txt"]


def test_temporary_names_are_unique_hidden_and_recognised(tmp_path):
    names = {temporary_path(tmp_path / "x.nc") for _ in range(50)}
    assert len(names) == 50
    assert all(is_temporary(p) and p.parent == tmp_path for p in names)
    assert not is_temporary(tmp_path / "x.nc")
    assert not is_temporary(tmp_path / ".hidden")

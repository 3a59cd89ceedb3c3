"""Output folders a run owns: tmesim writes only where it may, and never over a user's files.

A command claims its output folder before it writes anything (:func:`claim_output`). It may use:

- a folder that does not exist yet (it is created) or an empty one;
- a folder that holds a tmesim run of the same kind (``simulate``, ``trial``, ...), known by the
  mark a run leaves (:data:`MARK_FILE`, or the ``manifest.json`` of a finished run); the new run
  replaces that run's files, and ``trial --resume`` continues it.

Anything else is refused with the fix: a folder holding other files (tmesim never replaces files
it did not write), a file, a symbolic link (it would write elsewhere than named), a folder that
cannot be written. A tmesim run of another kind is replaced only with ``--overwrite``, and then only
the files that run recorded are removed. Every file is written under a temporary name in the same
folder and then renamed into place (:mod:`tmesim.io.atomic`).

Example:
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "run"
    >>> claim_output(out, "simulate") == out
    True
    >>> run_kind(out)
    'simulate'
    >>> claim_output(out, "trial")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tmesim.errors.ConfigError: --out: ... it holds a tmesim simulate run; ...
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

from tmesim._version import __version__
from tmesim.errors import ConfigError
from tmesim.io.atomic import atomic_write_text, is_temporary

MARK_FILE = ".tmesim-run.json"
"""The mark a run leaves in its folder when it claims it: the kind of run (and tmesim version)."""
MANIFEST_FILE = "manifest.json"


def _out_error(out: Path | str, fix: str) -> ConfigError:
    return ConfigError("--out", str(out), fix)


def run_kind(folder: Path) -> str | None:
    """The kind of tmesim run a folder holds (``"simulate"``, ``"trial"``, ...), or None.

    Example:
        >>> import tempfile
        >>> run_kind(Path(tempfile.mkdtemp())) is None
        True
    """
    folder = Path(folder)
    for name, key in ((MARK_FILE, "kind"), (MANIFEST_FILE, "command")):
        path = folder / name
        if not path.is_file() or path.is_symlink():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get(key), str):
            if name == MANIFEST_FILE and "tmesim_version" not in data:
                continue  # a manifest.json some other tool wrote
            return data[key].split()[0] if data[key].strip() else None
    return None


def recorded_files(folder: Path) -> list[str]:
    """Relative paths of the files a finished tmesim run in ``folder`` recorded in its manifest
    (plus the manifest and the mark); an unreadable manifest records none."""
    files: list[str] = [MARK_FILE, MANIFEST_FILE]
    try:
        manifest = json.loads((Path(folder) / MANIFEST_FILE).read_text(encoding="utf-8"))
        listed = manifest.get("files", {}) if isinstance(manifest, dict) else {}
        files += [str(name) for name in listed if isinstance(name, str)]
    except (OSError, ValueError):
        pass
    return files


def remove_run_files(folder: Path, names: Iterable[str]) -> None:
    """Remove the listed files (relative paths) inside ``folder`` and temporary files of
    interrupted writes, then any folder they leave empty; nothing else is touched.

    Paths that leave ``folder`` (``..``, absolute, through links) are ignored.
    """
    folder = Path(folder)
    root = folder.resolve()
    parents: set[Path] = set()
    for name in names:
        path = folder / name
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError):
            continue
        if root not in resolved.parents or path.is_symlink():
            continue
        if path.is_file():
            path.unlink(missing_ok=True)
            parents.update(p for p in path.parents if root in p.resolve().parents)
    for entry in folder.rglob(".*"):
        if entry.is_file() and is_temporary(entry):
            entry.unlink(missing_ok=True)
    for parent in sorted(parents, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            parent.rmdir()  # only if empty


def claim_output(
    out: Path | str, kind: str, *, overwrite: bool = False, create: bool = True
) -> Path:
    """Check that a run of ``kind`` may write into ``out``, create the folder if needed, and mark
    it as this kind of run; return it as a Path. With ``create=False`` only check (for a command
    that reads and checks its inputs before it writes anything).

    With ``overwrite``, a tmesim run of another kind in ``out`` is replaced: the files it recorded
    are removed. The caller replaces (or resumes) a run of its own kind itself.

    Raises:
        ConfigError: ``out`` is empty, a file, a symbolic link, cannot be created or written, or
            holds files no tmesim run wrote (or, without ``overwrite``, a run of another kind);
            the message says what to do.

    Example: see the module docstring.
    """
    if not str(out).strip():
        raise _out_error(out, "give the name of a folder, e.g. --out runs/first")
    if "\x00" in str(out) or len(str(out)) > 4096:
        raise _out_error(out, "give a folder name without NUL characters, e.g. --out runs/x")
    path = Path(out)
    if path.is_symlink():
        raise _out_error(
            out,
            "it is a symbolic link; give the folder it points to (tmesim does not write through "
            "links) or a new folder",
        )
    if path.exists() and not path.is_dir():
        raise _out_error(out, "it is a file, not a folder; give a new folder, e.g. --out runs/x")
    try:
        entries = [e.name for e in path.iterdir()] if path.exists() else []
    except OSError as exc:
        raise _out_error(
            out, f"it cannot be read ({exc.strerror}); give a folder you own"
        ) from None
    if entries and entries != [MARK_FILE]:  # a lone mark: a run that stopped before writing
        previous = run_kind(path)
        if previous is None:
            raise _out_error(
                out,
                "it holds files that tmesim did not write, and tmesim never replaces them; give "
                "a new or empty folder",
            )
        if previous != kind:
            if not overwrite:
                raise _out_error(
                    out,
                    f"it holds a tmesim {previous} run; give another folder for this {kind} run, "
                    "or add --overwrite to replace that run (only its own files are removed)",
                )
            remove_run_files(path, recorded_files(path))
            if any(e.name != MARK_FILE for e in path.iterdir()):
                raise _out_error(
                    out,
                    f"it still holds files that the previous {previous} run did not record; "
                    "give a new or empty folder",
                )
    if not create:
        ancestor = next((p for p in (path, *path.parents) if p.exists()), Path("."))
        if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
            raise _out_error(out, "it cannot be written; give a folder you can write to")
        return path
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = {"kind": kind, "tmesim_version": __version__, "pid": os.getpid()}
        atomic_write_text(path / MARK_FILE, json.dumps(probe) + "\n")
    except OSError as exc:
        raise _out_error(
            out,
            f"it cannot be written ({exc.strerror or exc}); give a folder you can write to, "
            "e.g. --out runs/x",
        ) from None
    return path

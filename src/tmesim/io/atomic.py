"""Atomic file writes: a temporary file in the target folder, then ``os.replace``.

A reader (or a resumed run) therefore sees either the previous file or the complete new one, never
a half-written file under the final name, even if the process is killed mid-write. Temporary names
start with ``.`` and contain ``.tmp-`` so that listings of finished files can ignore them.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = atomic_write_text(folder / "note.txt", "hello")
    >>> (folder / "note.txt").read_text()
    'hello'
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

TEMP_MARKER = ".tmp-"


def temporary_path(final: Path) -> Path:
    """Return a unique temporary path next to ``final`` (same folder, so ``os.replace`` is atomic).

    Example:
        >>> temporary_path(Path("out/part-00001.parquet")).name.startswith(".part-00001.parquet.tmp-")
        True
    """
    # pid + random token: two processes (or two writers in one process) never share a temp name.
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    return final.with_name(f".{final.name}{TEMP_MARKER}{token}")


def is_temporary(path: Path) -> bool:
    """True if ``path`` is a temporary file left by :func:`atomic_write` (e.g. after a crash).

    Example:
        >>> is_temporary(temporary_path(Path("a.nc")))
        True
    """
    return path.name.startswith(".") and TEMP_MARKER in path.name


def _fsync_file(path: Path) -> None:
    # Flush the data to disk before the rename, otherwise a power loss can leave the final name
    # pointing at an empty file on some file systems.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path to write to; on success it is moved onto ``final``.

    If the block raises, the temporary file is removed and ``final`` is left untouched.

    Example:
        >>> import tempfile
        >>> target = Path(tempfile.mkdtemp()) / "data.bin"
        >>> with atomic_path(target) as tmp:
        ...     _ = tmp.write_bytes(b"123")
        >>> target.read_bytes()
        b'123'
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(final)
    try:
        yield tmp
        _fsync_file(tmp)
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def atomic_write(final: Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp_path)`` and move the result onto ``final`` atomically; return ``final``.

    Example:
        >>> import tempfile
        >>> target = Path(tempfile.mkdtemp()) / "x.txt"
        >>> atomic_write(target, lambda p: p.write_text("x")) == target
        True
    """
    with atomic_path(final) as tmp:
        write(tmp)
    return Path(final)


def atomic_write_text(final: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``final`` atomically and return ``final`` (see the module example)."""
    return atomic_write(final, lambda tmp: tmp.write_text(text, encoding=encoding))

"""The run manifest: everything needed to reproduce a run, and to check its files are intact.

``manifest.json`` records the tmesim, Python and library versions, the platform, the UTC time,
the command, the full validated config, the seed, hashes of the model and parameter set, and the
SHA-256 of every file in the run folder. A run folder can later be checked against it with
:func:`verify_manifest`.

Example:
    >>> import tempfile
    >>> run = Path(tempfile.mkdtemp())
    >>> _ = (run / "patients.parquet").write_bytes(b"data")
    >>> path = write_manifest(run, command="tmesim simulate s.yaml", config={"seed": 1},
    ...                       seed=1, model_hash="m", parameter_hash="p")
    >>> sorted(read_manifest(run)["files"])
    ['patients.parquet']
    >>> verify_manifest(run)
    []
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePath
from typing import Any

import numpy as np

from tmesim._version import __version__
from tmesim.errors import ConfigError
from tmesim.io.atomic import atomic_write_text, is_temporary
from tmesim.io.outdir import MARK_FILE

MANIFEST_FILE = "manifest.json"
MANIFEST_FORMAT = 1
RECORDED_PACKAGES = ("numpy", "numba", "scipy", "pandas", "pyarrow", "xarray", "pydantic")
_BLOCK = 1 << 20


def _plain(obj: Any) -> Any:
    """JSON fallback for the non-JSON types configs carry (NumPy scalars, arrays, paths)."""
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, PurePath):
        return obj.as_posix()
    if isinstance(obj, set | frozenset):
        return sorted(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serializable: {obj!r}")


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys and no whitespace: equal data gives identical text.

    Example:
        >>> canonical_json({"b": 1, "a": [1.5, None]})
        '{"a":[1.5,null],"b":1}'
    """
    # allow_nan=False: NaN has no JSON spelling, and "NaN" would make two runs' hashes disagree
    # with other JSON tools; a config holding NaN is a bug upstream.
    return json.dumps(
        obj,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_plain,
    )


def hash_json(obj: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of ``obj``: a fingerprint of a config or parameter set.

    Key order does not matter; any change of a value does.

    Example:
        >>> hash_json({"a": 1, "b": 2}) == hash_json({"b": 2, "a": 1})
        True
        >>> hash_json({"a": 1}) == hash_json({"a": 1.5})
        False
    """
    return hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()


def hash_file(path: Path) -> str:
    """SHA-256 (hex) of a file's bytes, read in blocks so large files need little memory.

    Example:
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "x"
        >>> _ = p.write_bytes(b"")
        >>> hash_file(p)[:12]
        'e3b0c44298fc'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def hash_run_files(run_dir: Path) -> dict[str, str]:
    """SHA-256 of every file under ``run_dir`` (relative POSIX path → hash), sorted by path.

    The manifest itself, the run's mark and temporary files of interrupted writes are left out.

    Example:
        >>> import tempfile
        >>> hash_run_files(Path(tempfile.mkdtemp()))
        {}
    """
    run_dir = Path(run_dir)
    hashes = {}
    for path in sorted(p for p in run_dir.rglob("*") if p.is_file()):
        relative = path.relative_to(run_dir).as_posix()
        if relative in (MANIFEST_FILE, MARK_FILE) or is_temporary(path):
            continue
        hashes[relative] = hash_file(path)
    return hashes


def package_versions() -> dict[str, str | None]:
    """Installed versions of the libraries that shape numerical results (None if absent).

    Example:
        >>> "numpy" in package_versions()
        True
    """
    versions: dict[str, str | None] = {}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def write_manifest(
    out_dir: Path,
    *,
    command: str,
    config: Mapping[str, Any],
    seed: int,
    model_hash: str,
    parameter_hash: str,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``out_dir/manifest.json`` (atomically) and return its path.

    Call it last, after every result file is written: it hashes the files present.

    Args:
        out_dir: the run folder.
        command: the command line or API call that produced the run.
        config: the full validated config (e.g. ``scenario.model_dump(mode="json")``).
        seed: the root seed.
        model_hash: fingerprint of the model structure (e.g. from :func:`hash_json`).
        parameter_hash: fingerprint of the parameter set.
        extra: anything else worth recording (timings, counts of failed patients).

    Example: see the module docstring.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = {
        "manifest_format": MANIFEST_FORMAT,
        "tmesim_version": __version__,
        "python_version": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "byteorder": sys.byteorder,
        "packages": package_versions(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "seed": int(seed),
        "model_hash": model_hash,
        "parameter_hash": parameter_hash,
        "config_hash": hash_json(config),
        "config": config,
        "extra": dict(extra) if extra is not None else {},
        "files": hash_run_files(out_dir),
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False, allow_nan=False, default=_plain)
    return atomic_write_text(out_dir / MANIFEST_FILE, text + "\n")


def read_manifest(run_dir: Path) -> dict[str, Any]:
    """Read ``run_dir/manifest.json``.

    Raises:
        ConfigError: the folder has no manifest, or it is not valid JSON.

    Example: see the module docstring.
    """
    path = Path(run_dir) / MANIFEST_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            "run folder",
            str(run_dir),
            f"it has no {MANIFEST_FILE}; give the output folder of a finished tmesim run.",
        ) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(
            str(path),
            f"line {exc.lineno}",
            "the manifest is not valid JSON; it was edited or damaged — rerun to regenerate it.",
        ) from None


def verify_manifest(run_dir: Path) -> list[str]:
    """Compare the run folder's files with the hashes in its manifest.

    Returns a sorted list of problems, one per file (``"changed: x"``, ``"missing: x"``,
    ``"unlisted: x"``); an empty list means every file is as the run wrote it.

    Example: see the module docstring.
    """
    recorded: dict[str, str] = read_manifest(run_dir)["files"]
    current = hash_run_files(Path(run_dir))
    problems = [f"missing: {name}" for name in recorded if name not in current]
    problems += [f"unlisted: {name}" for name in current if name not in recorded]
    problems += [
        f"changed: {name}"
        for name, digest in current.items()
        if name in recorded and recorded[name] != digest
    ]
    return sorted(problems)

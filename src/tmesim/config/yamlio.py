"""Reading and writing the YAML that scenarios, targets and overrides are written in.

Departures from PyYAML's defaults, so that a modeler's file means what it looks like:

- numbers follow YAML 1.2: ``1e-8`` and ``2.5e6`` are floats (PyYAML follows YAML 1.1, where they
  are strings), and YAML 1.1's base-60 numbers (``1:30`` read as 90) and leading-zero octals
  (``010`` read as 8) are not numbers but strings, which a numeric field then refuses;
- a key written twice in one mapping is an error (PyYAML silently keeps the last one);
- nesting deeper than :data:`MAX_DEPTH` levels is an error (no config is that deep).

Malformed YAML (control characters, a number too long to read) raises
:class:`~tmesim.errors.ConfigError` naming the file, the line and the fix.

Example:
    >>> parse_yaml("rtol: 1e-8\\nn_patients: 100")
    {'rtol': 1e-08, 'n_patients': 100}
    >>> dump_yaml({"value": "1e-8"})  # a string that looks like a number stays a string
    "value: '1e-8'\\n"
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode

from tmesim.errors import ConfigError

# Floats written with an exponent but without a dot or an exponent sign: YAML 1.2 floats that
# YAML 1.1 (and so PyYAML) reads as strings. Tolerances and cell counts are written this way.
_EXPONENT_FLOAT = re.compile(
    r"""^(?:[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+
        |[-+]?\.[0-9_]+[eE][-+]?[0-9]+)$""",
    re.VERBOSE,
)
_FLOAT_TAG = "tag:yaml.org,2002:float"
_INT_TAG = "tag:yaml.org,2002:int"
_MERGE_TAG = "tag:yaml.org,2002:merge"
# YAML 1.2 core schema numbers (decimal and hex integers; floats with a dot, inf and nan); the
# exponent-only floats are added below with _EXPONENT_FLOAT.
_INT_12 = re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+)$")
_FLOAT_12 = re.compile(
    r"""^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
    re.VERBOSE,
)
MAX_DEPTH = 64
"""Deepest nesting of lists and mappings a config may have."""


class _DuplicateKeyError(yaml.MarkedYAMLError):
    """A mapping repeats a key; carries both positions for the message."""

    def __init__(self, key: str, first: yaml.Mark, second: yaml.Mark) -> None:
        super().__init__(problem=f"duplicate key {key!r}", problem_mark=second)
        self.key = key
        self.first = first


class TmesimLoader(yaml.SafeLoader):
    """Safe YAML loader with YAML 1.2 exponent floats and duplicate-key detection."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[str, yaml.Mark] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            if key_node.value in seen:
                raise _DuplicateKeyError(key_node.value, seen[key_node.value], key_node.start_mark)
            seen[key_node.value] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


class TmesimDumper(yaml.SafeDumper):
    """Safe YAML dumper that quotes strings :class:`TmesimLoader` would read as numbers."""


def _represent_str(dumper: TmesimDumper, data: str) -> yaml.ScalarNode:
    # PyYAML folds NEL/LS/PS line breaks inside single-quoted or plain scalars into spaces
    # when reading them back; written escaped in double quotes they survive the round trip.
    if any(ch in data for ch in "\x85\u2028\u2029"):
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"')
    return dumper.represent_str(data)


TmesimDumper.add_representer(str, _represent_str)

for _cls in (TmesimLoader, TmesimDumper):
    # Drop YAML 1.1's number patterns (sexagesimal, octal, binary) and use YAML 1.2's.
    _cls.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT_TAG, _FLOAT_TAG)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    _cls.add_implicit_resolver(_INT_TAG, _INT_12, list("-+0123456789"))
    _cls.add_implicit_resolver(_FLOAT_TAG, _FLOAT_12, list("-+0123456789."))
    _cls.add_implicit_resolver(_FLOAT_TAG, _EXPONENT_FLOAT, list("-+0123456789."))


MAX_FLOW_DEPTH = 200
"""Deepest nesting of [ and { (outside quotes) read at all; deeper text is refused unparsed."""


def _flow_depth(text: str) -> int:
    """Deepest nesting of [ and { outside quoted strings (a fast upper estimate, no parsing).

    Example:
        >>> _flow_depth("a: [[1], {b: '[['}]")
        2
    """
    depth = deepest = 0
    quote = ""
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(depth - 1, 0)
        elif ch == "\n":
            quote = ""
    return deepest


def nesting_depth(data: Any, limit: int = MAX_DEPTH) -> int:
    """Depth of nested lists and mappings in ``data``, counted up to ``limit + 1`` (no deeper).

    Example:
        >>> nesting_depth({"a": [[1]]}), nesting_depth(1)
        (3, 0)
    """
    depth = 0
    level = [data]
    while level and depth <= limit:
        nested = [v for v in level if isinstance(v, dict | list)]
        if not nested:
            break
        depth += 1
        level = [child for v in nested for child in (v.values() if isinstance(v, dict) else v)]
    return depth


def _line_text(text: str, line_index: int) -> str:
    lines = text.splitlines()
    if 0 <= line_index < len(lines):
        return lines[line_index].strip()
    return ""


def parse_yaml(text: str, source: str = "<text>") -> Any:
    """Parse YAML ``text``; ``source`` (a file name) is used in error messages.

    Raises:
        ConfigError: the text is not valid YAML, or repeats a key; the message names the line.

    Example:
        >>> parse_yaml("mechanisms:\\n  nk_missing_self: false")
        {'mechanisms': {'nk_missing_self': False}}
    """
    if _flow_depth(text) > MAX_FLOW_DEPTH:
        # PyYAML's scanner takes quadratic time in the depth of [ and {: refuse before it starts.
        raise ConfigError(
            source, "(nesting)", f"lists or mappings are nested too deeply; use at most {MAX_DEPTH}"
        )
    loader = None
    try:
        loader = TmesimLoader(text)  # checks the characters: may raise a ReaderError
        data = loader.get_single_data()
    except RecursionError:
        raise ConfigError(
            source, "(nesting)", f"lists or mappings are nested too deeply; use at most {MAX_DEPTH}"
        ) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        if isinstance(exc, yaml.YAMLError):
            raise
        raise ConfigError(
            source,
            "(a number)",
            "a number in the YAML is too long to read; write it in "
            "scientific notation (e.g. 1e9) and within the field's range.",
        ) from None
    except _DuplicateKeyError as exc:
        mark = exc.problem_mark
        assert mark is not None
        raise ConfigError(
            f"{source}, line {mark.line + 1}",
            _line_text(text, mark.line),
            f"the key {exc.key!r} was already given on line {exc.first.line + 1}; "
            "keep only one of the two entries.",
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        # Scanner errors ("while scanning a simple key/quoted scalar") are detected where the
        # scanner gave up, often the next line; the context mark is where the mistake is.
        if exc.context_mark is not None and (exc.context or "").startswith("while scanning"):
            mark = exc.context_mark
        line = mark.line if mark is not None else 0
        column = mark.column + 1 if mark is not None else 1
        offending = _line_text(text, line)
        problem = " ".join(p for p in (exc.problem, exc.context) if p)
        fix = (
            f"the YAML cannot be read at column {column} ({problem}); check the indentation "
            "and write each entry as 'key: value' (a colon followed by a space)."
        )
        if "\t" in text:
            fix += " Indent with spaces: YAML does not allow tabs."
        raise ConfigError(f"{source}, line {line + 1}", offending, fix) from None
    except yaml.YAMLError as exc:  # unmarked reader errors (e.g. a control character)
        raise ConfigError(
            source,
            str(exc).splitlines()[0],
            "save the file as UTF-8 text without control characters (NUL, escape, ...).",
        ) from None
    except Exception as exc:  # PyYAML's constructors fail this way on e.g. an empty '!!float'
        raise ConfigError(
            source,
            f"({type(exc).__name__})",
            "a tagged value cannot be read; remove the '!!' tags and write plain values.",
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    if nesting_depth(data) > MAX_DEPTH:
        raise ConfigError(
            source, "(nesting)", f"lists or mappings are nested too deeply; use at most {MAX_DEPTH}"
        )
    return data


def read_yaml(path: Path) -> Any:
    """Read and parse the YAML file at ``path``.

    Raises:
        ConfigError: the file does not exist, is not text, or is malformed (names file and line).

    Example:
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "s.yaml"
        >>> _ = p.write_text("preset: mouse_4t1")
        >>> read_yaml(p)
        {'preset': 'mouse_4t1'}
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            "scenario file", str(path), "check the path: no file exists there."
        ) from None
    except IsADirectoryError:
        raise ConfigError(
            "scenario file", str(path), "give the path of a .yaml file, not a folder."
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), "(binary content)", "save the file as UTF-8 text.") from None
    except (OSError, ValueError) as exc:  # no permission, a NUL in the name, ...
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(
            "scenario file", str(path), f"it cannot be read ({reason}); check the path."
        ) from None
    return parse_yaml(text, source=str(path))


def dump_yaml(data: Any) -> str:
    """Serialize plain data (dicts, lists, str, int, float, bool, None) as block-style YAML.

    Keys keep their order; strings that would read back as another type are quoted, so
    ``parse_yaml(dump_yaml(x)) == x``.

    Example:
        >>> print(dump_yaml({"preset": "mouse_4t1", "seed": 7}), end="")
        preset: mouse_4t1
        seed: 7
    """
    return yaml.dump(
        data,
        Dumper=TmesimDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )

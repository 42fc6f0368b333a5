"""Read an instrument file: bytes or a path -> parsed YAML -> a checked InstrumentDef.

The file format is described in PRODUCT.md ("Instrument file format") and declared in
`instrument_format`. Reading is pure Python, so a file can be checked without a database.
Every problem found in a file is reported together, as "FILE: KEY: reason" lines (YAML syntax
errors name the line), because content authors fix files in one go, not one error per run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from assessments.instrument_checks import validate_instrument
from assessments.instruments import MAX_FILE_BYTES, InstrumentDef, InstrumentError, Problem

__all__ = ["file_label", "parse_instrument", "read_instrument", "validate_instrument"]


def read_instrument(
    source: str | os.PathLike[str] | bytes, *, name: str | None = None
) -> InstrumentDef:
    """Read and validate one instrument file (a path, or the file's bytes) without a database.

    Raises InstrumentError listing every problem found. `name` is the file name used in
    messages; it defaults to the path's name.
    """
    display = file_label(source, name)
    raw = source if isinstance(source, bytes) else _read_bytes(Path(source), display)
    return parse_instrument(raw, name=display)


def file_label(source: str | os.PathLike[str] | bytes, name: str | None) -> str:
    if name:
        return name
    return "uploaded file" if isinstance(source, bytes) else Path(source).name


def _read_bytes(path: Path, display: str) -> bytes:
    try:
        # Check the size before reading so that a huge file is never pulled into memory.
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InstrumentError([Problem(display, "", _too_big(size))])
        if not path.is_file():
            raise InstrumentError([Problem(display, "", "not a file")])
        return path.read_bytes()
    except FileNotFoundError:
        raise InstrumentError([Problem(display, "", f"file not found: {path}")]) from None
    except OSError as exc:
        reason = f"cannot read the file: {exc.strerror or exc}"
        raise InstrumentError([Problem(display, "", reason)]) from None


def _too_big(size: int) -> str:
    return f"the file is {size:,} bytes; instrument files are limited to {MAX_FILE_BYTES:,} bytes"


_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
# No number an instrument needs (weights below 100000 with three decimals, targets, scores)
# comes near this many characters; longer ones are refused before Python converts them, as
# int() of a 5,000-digit text raises ValueError and 0x... with thousands of digits makes an
# integer too big to print.
_MAX_NUMBER_CHARS = 30
# libyaml's parser (PyYAML's C extension, in its wheels) where it is built: it reads a file
# ten times faster than the pure-Python one and gives the same nodes and line marks.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """yaml.safe_load's loader, but a key given twice in one mapping is an error, and so is a
    number too long to be meant.

    PyYAML keeps the last value silently, so a question with two `text:` lines, or a second
    `domains:` further down the file, would load with half the file ignored.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # Numbers first, naming the key, before any value of this mapping is converted.
        for key_node, value_node in node.value:
            if _too_long_number(value_node):
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"the number given for {str(key)[:80]!r} has {len(value_node.value):,} "
                    f"characters; numbers in instrument files have at most {_MAX_NUMBER_CHARS}",
                    value_node.start_mark,
                )
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # "<<: *anchor" merges are overridden by explicit keys, as YAML says
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                continue  # unhashable: the base constructor reports it
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {str(key)[:80]!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


def _check_number(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> None:
    if _too_long_number(node):
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"a number of {len(node.value):,} characters; numbers in instrument files have "
            f"at most {_MAX_NUMBER_CHARS}",
            node.start_mark,
        )


def _too_long_number(node: yaml.Node) -> bool:
    return (
        isinstance(node, yaml.ScalarNode)
        and node.tag in _NUMBER_TAGS
        and len(node.value) > _MAX_NUMBER_CHARS
    )


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    _check_number(loader, node)  # a number in a list, where there is no key to name
    return yaml.SafeLoader.construct_yaml_int(loader, node)


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    _check_number(loader, node)
    return yaml.SafeLoader.construct_yaml_float(loader, node)


_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def parse_instrument(raw: bytes | str, *, name: str) -> InstrumentDef:
    """Parse and validate the text of one instrument file; raise InstrumentError on problems."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_FILE_BYTES:
            raise InstrumentError([Problem(name, "", _too_big(len(raw)))])
        try:
            # utf-8-sig: Windows editors put a byte-order mark at the start; it is harmless.
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            reason = (
                f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line}); "
                "save it as UTF-8"
            )
            raise InstrumentError([Problem(name, f"line {line}", reason)]) from None
    else:
        text = raw
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader: no Python objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = "; ".join(part for part in (exc.context, exc.problem) if part)
        if mark is None:
            raise InstrumentError([Problem(name, "", f"invalid YAML: {detail}")]) from None
        reason = f"invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {detail}"
        raise InstrumentError([Problem(name, f"line {mark.line + 1}", reason)]) from None
    except yaml.YAMLError as exc:
        raise InstrumentError([Problem(name, "", f"invalid YAML: {exc}")]) from None
    except RecursionError:
        raise InstrumentError([Problem(name, "", "invalid YAML: nested too deeply")]) from None
    except ValueError as exc:
        # PyYAML raises plain ValueError for impossible dates such as 2024-13-45.
        raise InstrumentError([Problem(name, "", f"invalid YAML value: {exc}")]) from None
    return validate_instrument(data, name=name)

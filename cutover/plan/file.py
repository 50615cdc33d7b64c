"""Reading a plan file: bytes to plain data, each refusal one line an operator can act on."""

import codecs
import json
import stat
from pathlib import Path
from typing import Any

import yaml

from cutover.text import shown


class PlanFileError(Exception):
    """Why a file holds no readable plan, in one line (the caller adds the file's path)."""


def read_plan_file(path: Path, max_bytes: int) -> object:
    """The file's YAML (or, for *.json, JSON) data; never more than max_bytes are read or parsed."""
    text = _decode(_read(path, max_bytes))
    return _parse_json(text) if path.suffix == ".json" else _parse_yaml(text)


def _read(path: Path, max_bytes: int) -> bytes:
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise PlanFileError("is a directory, not a plan file")
        if not stat.S_ISREG(info.st_mode):
            raise PlanFileError("is not a regular file")
        if info.st_size > max_bytes:
            raise PlanFileError(_too_large(info.st_size, max_bytes))
        with path.open("rb") as file:
            raw = file.read(max_bytes + 1)  # the file may have grown since stat
    except FileNotFoundError:
        raise PlanFileError("file not found") from None
    except OSError as error:
        raise PlanFileError(f"cannot read file: {error.strerror or error}") from None
    except ValueError as error:  # a path with a NUL byte in it
        raise PlanFileError(f"cannot read file: {error}") from None
    if len(raw) > max_bytes:
        raise PlanFileError(_too_large(len(raw), max_bytes))
    return raw


def _too_large(size: int, max_bytes: int) -> str:
    return f"plan: file is {_size(size)}; a plan may be at most {_size(max_bytes)}"


def _size(count: int) -> str:
    return f"{count / 1024**2:.1f} MiB" if count >= 1024**2 else f"{count / 1024:g} KiB"


def _decode(raw: bytes) -> str:
    body = raw.removeprefix(codecs.BOM_UTF8)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        offset = error.start + len(raw) - len(body)
        raise PlanFileError(
            f"file is not UTF-8 text (invalid byte 0x{raw[offset]:02x} at offset {offset})"
        ) from None


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice, where PyYAML silently keeps the last value."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:  # an unhashable key: construct_mapping refuses it with its position
            continue
        if duplicate:
            mark = key_node.start_mark
            raise PlanFileError(f"line {mark.line + 1}, column {mark.column + 1}: duplicate key {shown(key)}")
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _parse_yaml(text: str) -> object:
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        if mark is None:
            raise PlanFileError(f"malformed yaml: {_first_line(error)}") from None
        raise PlanFileError(
            f"malformed yaml at line {mark.line + 1}, column {mark.column + 1}: {error.problem}"
        ) from None
    except (yaml.YAMLError, ValueError, RecursionError) as error:
        raise PlanFileError(f"malformed yaml: {_first_line(error)}") from None


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise PlanFileError(f"malformed json: duplicate key {shown(key)}")
        data[key] = value
    return data


def _parse_json(text: str) -> object:
    try:
        return json.loads(text, object_pairs_hook=_unique_pairs)
    except json.JSONDecodeError as error:
        raise PlanFileError(
            f"malformed json at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    except (ValueError, RecursionError) as error:
        raise PlanFileError(f"malformed json: {_first_line(error)}") from None


def _first_line(error: Exception) -> str:
    if isinstance(error, RecursionError):
        return "nested too deeply"
    lines = str(error).splitlines()
    return lines[0] if lines else type(error).__name__

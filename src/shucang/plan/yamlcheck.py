"""YAML files with the line and the field in every error: the shape shared by plan files and the
city's signs files (``shucang.city.definitions``), written once.

:func:`read_yaml` parses keeping the line of every mapping, value and list item (syntax errors and
duplicate keys are errors with their line); :class:`Checker` reads typed fields from the result and
collects every problem as ``file:line: path.to.field: message`` before raising one
:class:`~shucang.errors.InputError`; :class:`FileCache` reads a directory's files once per version of
each file, refusing what is not UTF-8.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml

from shucang.errors import InputError

T = TypeVar("T")

_ID_RE = re.compile(r"^[a-z][a-z0-9_.\-]{0,63}$")
_MAX_ERRORS = 20


class _Map(dict[Any, Any]):
    """A YAML mapping that remembers the line of itself and of each value."""

    line = 0

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[Any, int] = {}


class _Seq(list[Any]):
    line = 0

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[int] = []


# PyYAML has no type hints (its classes are Any to mypy): the one ignore here is the library's
class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe loading that keeps line numbers; libyaml's parser when present (about ten times faster:
    every ingest checks the plans for metrics that read the new data)."""

    duplicates: list[tuple[int, str]]


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    out = _Map()
    out.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            loader.duplicates.append((key_node.start_mark.line + 1, str(key)))
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = value_node.start_mark.line + 1
    return out


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> _Seq:
    out = _Seq()
    out.line = node.start_mark.line + 1
    for child in node.value:
        out.append(loader.construct_object(child, deep=True))
        out.lines.append(child.start_mark.line + 1)
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


def read_yaml(text: str, name: str) -> Any:
    """Parse YAML keeping line numbers; syntax errors and duplicate keys become InputError."""
    loader = _Loader(text)
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise InputError(f"{name}:{line}: YAML 语法错误 (YAML syntax error): {exc.problem}",
                         hint="检查缩进和引号 (check indentation and quotes)") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{name}: YAML 无法读取 (unreadable YAML): {exc}") from None
    finally:
        loader.dispose()
    if loader.duplicates:
        line, key = loader.duplicates[0]
        raise InputError(f"{name}:{line}: 键 {key!r} 重复 (duplicate key)")
    return data


class Checker:
    """Collects validation errors with file, line and field path."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.errors: list[str] = []

    def error(self, line: int, path: str, message: str) -> None:
        self.errors.append(f"{self.name}:{line}: {path}: {message}")

    def raise_if_any(self, what: str = "规划文件") -> None:
        if not self.errors:
            return
        shown = self.errors[:_MAX_ERRORS]
        more = len(self.errors) - len(shown)
        body = "; ".join(shown) + (f"; … 另有 {more} 处 (and {more} more)" if more else "")
        raise InputError(f"{what}有 {len(self.errors)} 处错误 ({len(self.errors)} error(s)): {body}",
                         hint="按行号修改后重试 (fix the lines named and retry)")

    # -- typed field access -------------------------------------------------------------------

    def field(self, obj: Any, key: str, path: str, kind: str, *, required: bool = True,
              default: Any = None, choices: tuple[str, ...] = ()) -> Any:
        """Value of ``obj[key]`` checked against ``kind`` (str, id, int, number, number?, bool, list, map)."""
        line = getattr(obj, "line", 0)
        where = f"{path}.{key}" if path else key
        if not isinstance(obj, dict):
            return default
        if key not in obj or obj[key] is None:
            if kind == "number?" and key in obj:
                return None  # an explicit null: "unknown", which is allowed here
            if required:
                self.error(line, where, "缺少必填字段 (required field missing)")
            return default
        value = obj[key]
        vline = obj.lines.get(key, line) if isinstance(obj, _Map) else line
        ok = True
        if kind in ("str", "id"):
            if isinstance(value, (int, float)) and not isinstance(value, bool) and kind == "str":
                value = str(value)
            ok = isinstance(value, str) and value.strip() != ""
            if ok and kind == "id" and not _ID_RE.match(value):
                self.error(vline, where, f"编号只能用小写字母、数字、_ . - (ASCII id expected), got {value!r}")
                return default
        elif kind == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif kind == "number":
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            value = float(value) if ok else value
        elif kind == "number?":
            if value is None:
                return None
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            value = float(value) if ok else value
        elif kind == "bool":
            ok = isinstance(value, bool)
        elif kind == "list":
            ok = isinstance(value, list)
        elif kind == "map":
            ok = isinstance(value, dict)
        if not ok:
            wanted = {"str": "文本 (text)", "id": "编号 (id)", "int": "整数 (an integer)",
                      "number": "数字 (a number)", "number?": "数字或 null (a number or null)",
                      "bool": "true/false", "list": "列表 (a list)", "map": "映射 (a mapping)"}[kind]
            self.error(vline, where, f"需要{wanted}, got {value!r}")
            return default
        if choices and value not in choices:
            self.error(vline, where, f"取值须为 {' | '.join(choices)} (one of them), got {value!r}")
            return default
        return value

    def items(self, obj: Any, key: str, path: str, *, required: bool = False) -> list[tuple[str, int, Any]]:
        """(path, line, item) of each element of the list at ``obj[key]``."""
        seq = self.field(obj, key, path, "list", required=required, default=[])
        base = f"{path}.{key}" if path else key
        lines = getattr(seq, "lines", [getattr(seq, "line", 0)] * len(seq))
        return [(f"{base}[{i}]", lines[i] if i < len(lines) else 0, item) for i, item in enumerate(seq)]

    def strings(self, obj: Any, key: str, path: str) -> tuple[str, ...]:
        out: list[str] = []
        for where, line, item in self.items(obj, key, path):
            if isinstance(item, (str, int, float)) and not isinstance(item, bool) and str(item).strip():
                out.append(str(item))
            else:
                self.error(line, where, f"需要文本 (text expected), got {item!r}")
        return tuple(out)

    def mapping(self, where: str, line: int, item: Any) -> bool:
        if isinstance(item, dict):
            return True
        self.error(line, where, f"需要映射 (a mapping expected), got {item!r}")
        return False

    def unknown(self, obj: Any, allowed: set[str], path: str) -> None:
        """An error for each key of the mapping ``obj`` not in ``allowed`` (a typo such as ``taget:``
        must not silently drop a field)."""
        for key in obj:
            if key not in allowed:
                self.error(self.line_of(obj, key), f"{path}.{key}" if path else str(key),
                           f"未知字段 (unknown field); 可用 (allowed): {', '.join(sorted(allowed))}")

    def line_of(self, obj: Any, key: str) -> int:
        if isinstance(obj, _Map):
            return obj.lines.get(key, obj.line)
        return getattr(obj, "line", 0)


class FileCache(Generic[T]):
    """Parsed files, remembered by path, modification time, size and a tag (parsing is pure in them)."""

    def __init__(self, not_utf8: str) -> None:
        self.not_utf8 = not_utf8
        """The refusal after the file name when a file is not UTF-8, e.g. ``规划文件须为 UTF-8 编码 (…)``."""
        self._parsed: dict[tuple[str, int, int, str], T] = {}

    def load(self, path: Path, parse: Callable[[str], T], tag: str = "") -> T:
        """``parse(text)`` of the file, once per version of it (``path.stat()``'s OSError is the caller's)."""
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size, tag)
        if key not in self._parsed:
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise InputError(f"{path.name}: {self.not_utf8}") from None
            self._parsed[key] = parse(text)
        return self._parsed[key]

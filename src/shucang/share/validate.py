"""What the catalog and the audit chain can store: the one check every input passes before anything
is written or read.

SQLite takes lone surrogates, NUL characters and integers beyond 64 bits; PostgreSQL, the JSON
encoder of the audit chain and DuckDB do not. A value that cannot be stored everywhere is refused at
the door (a 4xx with the one error shape) instead of failing half-way through a state change.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from shucang.errors import InputError

INT_MIN, INT_MAX = -(2 ** 63), 2 ** 63 - 1
MAX_DEPTH = 64
"""Deepest nesting of lists/objects accepted (a filter needs a handful of levels)."""


def refused(what: str, why: str) -> InputError:
    return InputError(f"输入值无效 (invalid value) {what}: {why}",
                      hint="去掉空字符/孤立代理字符，数字须在 64 位范围内 (no NUL or lone surrogate; numbers within 64 bits)",
                      code="invalid_value")


def check_text(text: str, what: str = "value") -> str:
    """``text`` when it holds no NUL and no lone surrogate (both unstorable), else InputError."""
    if "\x00" in text:
        raise refused(what, "NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise refused(what, "lone surrogate") from None
    return text


def check_value(value: Any, what: str = "value", depth: int = 0) -> Any:
    """``value`` (decoded JSON) when every string and number in it can be stored, else InputError."""
    if depth > MAX_DEPTH:
        raise refused(what, f"nested deeper than {MAX_DEPTH} levels")
    kind = type(value)
    if kind is str:
        check_text(value, what)
    elif kind is int:
        if not INT_MIN <= value <= INT_MAX:
            raise refused(what, "integer beyond 64 bits")
    elif kind is float:
        if value != value or value in (float("inf"), float("-inf")):
            raise refused(what, "not a finite number")
    elif kind is dict:
        for key, item in value.items():
            check_text(str(key), what)
            check_value(item, what, depth + 1)
    elif kind is list:
        for item in value:
            check_value(item, what, depth + 1)
    return value


def loads(data: str | bytes, what: str = "JSON") -> Any:
    """Parse JSON and check it (:func:`check_value`); InputError for anything unparseable or unstorable.

    orjson refuses lone surrogates and nesting beyond 1,024 levels itself (Python's ``json`` takes the
    first and overflows the stack on the second) but reads an integer beyond 64 bits as a float, as
    the routes' own parser (Python's) does not: once the depth is known to be small, the text is read
    again the way the routes read it, with integers checked."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"{what} 不是有效的 JSON ({what} is not valid JSON): {exc}", code="invalid_value") from None
    check_value(value, what)
    if any(type(v) is float for v in _numbers(value)):
        return check_value(json.loads(data, parse_int=_int_in_range), what)
    return value


def _numbers(value: Any) -> Any:
    if type(value) is dict:
        for item in value.values():
            yield from _numbers(item)
    elif type(value) is list:
        for item in value:
            yield from _numbers(item)
    else:
        yield value


def _int_in_range(text: str) -> int:
    number = int(text)
    if not INT_MIN <= number <= INT_MAX:
        raise refused("number", "integer beyond 64 bits")
    return number


def check_json_text(text: str, what: str) -> None:
    """Refuse JSON text (a filter in a query parameter) holding unstorable values; text that is not
    JSON at all is left to the route, which says what is wrong with it."""
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        if "surrogate" in str(exc) or "depth" in str(exc):
            raise refused(what, str(exc)) from None
        return
    loads(text, what)

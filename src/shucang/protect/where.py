"""``--where`` filters parsed into Arrow expressions — never pasted into SQL.

Grammar (case-insensitive keywords)::

    expr   := term (OR term)*          term := factor (AND factor)*
    factor := NOT factor | '(' expr ')' | cond
    cond   := COLUMN op VALUE | COLUMN [NOT] IN '(' VALUE, … ')' | COLUMN IS [NOT] NULL
              | COLUMN [NOT] LIKE 'text%'
    op     := = | == | != | <> | < | <= | > | >=
    VALUE  := 'text' | "text" | number | true | false

Columns may be quoted with double quotes or backticks (for Chinese or spaced names). Anything else
is refused with a message saying where, so a filter can only ever select rows.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads

from shucang.errors import InputError

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<num>[+-]?\d+(?:\.\d+)?)(?![\w.])
    | '(?P<sq>(?:[^']|'')*)'
    | "(?P<dq>(?:[^"]|"")*)"
    | `(?P<bq>[^`]*)`
    | (?P<op><=|>=|<>|!=|==|=|<|>|\(|\)|,)
    | (?P<word>[^\W\d][\w.]*)
    )""", re.VERBOSE | re.UNICODE)
_KEYWORDS = {"and", "or", "not", "in", "is", "null", "like", "true", "false"}


def _tokens(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise InputError(f"--where 无法解析 (cannot parse) at position {pos}: {text[pos:pos + 20]!r}",
                             hint="e.g. --where \"town = '龙山镇' AND revenue >= 1000\"")
        pos = m.end()
        if m.group("num") is not None:
            num = m.group("num")
            out.append(("value", float(num) if "." in num else int(num)))
        elif m.group("sq") is not None:
            out.append(("value", m.group("sq").replace("''", "'")))
        elif m.group("dq") is not None:
            out.append(("name", m.group("dq").replace('""', '"')))
        elif m.group("bq") is not None:
            out.append(("name", m.group("bq")))
        elif m.group("op") is not None:
            out.append(("op", m.group("op")))
        else:
            word = m.group("word")
            if word.lower() in ("true", "false"):
                out.append(("value", word.lower() == "true"))
            elif word.lower() in _KEYWORDS:
                out.append(("kw", word.lower()))
            else:
                out.append(("name", word))
        if pos < len(text) and text[pos:].strip() == "":
            break
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any]], schema: pa.Schema) -> None:
        self.tokens = tokens
        self.i = 0
        self.schema = schema

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, kind: str | None = None, value: Any = None) -> tuple[str, Any]:
        tok = self.peek()
        if tok is None or (kind and tok[0] != kind) or (value is not None and tok[1] != value):
            want = value or kind or "more input"
            raise InputError(f"--where 语法错误 (syntax error): expected {want}, got {tok[1] if tok else 'end'!r}")
        self.i += 1
        return tok

    def is_kw(self, word: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] == "kw" and tok[1] == word

    def expr(self) -> pc.Expression:
        left = self.term()
        while self.is_kw("or"):
            self.take()
            left = left | self.term()
        return left

    def term(self) -> pc.Expression:
        left = self.factor()
        while self.is_kw("and"):
            self.take()
            left = left & self.factor()
        return left

    def factor(self) -> pc.Expression:
        if self.is_kw("not"):
            self.take()
            return ~self.factor()
        tok = self.peek()
        if tok == ("op", "("):
            self.take()
            inner = self.expr()
            self.take("op", ")")
            return inner
        return self.condition()

    def literal(self, column: str) -> Any:
        kind, value = self.take("value")
        field_type = self.schema.field(column).type
        if isinstance(value, str) and (pa.types.is_date(field_type) or pa.types.is_timestamp(field_type)):
            try:
                parsed = dt.datetime.fromisoformat(value)
            except ValueError:
                raise InputError(f"--where: {value!r} 不是日期 (not a date) for column {column}",
                                 hint="write dates as 'YYYY-MM-DD'") from None
            return pa.scalar(parsed.date() if pa.types.is_date(field_type) else parsed, field_type)
        if pa.types.is_string(field_type) or pa.types.is_large_string(field_type):
            return str(value) if not isinstance(value, float) else repr(value)
        return value

    def condition(self) -> pc.Expression:
        _kind, column = self.take("name")
        if column not in self.schema.names:
            raise InputError(f"--where: 没有列 (no such column) {column!r}", hint="columns: " + ", ".join(self.schema.names))
        field = pc.field(column)
        if self.is_kw("is"):
            self.take()
            negate = self.is_kw("not")
            if negate:
                self.take()
            self.take("kw", "null")
            return field.is_valid() if negate else field.is_null()
        negate = self.is_kw("not")
        if negate:
            self.take()
        if self.is_kw("in"):
            self.take()
            self.take("op", "(")
            values = [self.literal(column)]
            while self.peek() == ("op", ","):
                self.take()
                values.append(self.literal(column))
            self.take("op", ")")
            result = field.isin(values)
            return ~result if negate else result
        if self.is_kw("like"):
            self.take()
            pattern = self.literal(column)
            regex = "^" + "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in str(pattern)) + "$"
            result = pc.Expression._call("match_substring_regex", [field], pc.MatchSubstringOptions(regex))
            return ~result if negate else result
        if negate:
            raise InputError("--where: NOT 只能用于 IN/LIKE/条件前 (NOT goes before IN, LIKE or a condition)")
        _k, op = self.take("op")
        value = self.literal(column)
        ops = {"=": field == value, "==": field == value, "!=": field != value, "<>": field != value,
               "<": field < value, "<=": field <= value, ">": field > value, ">=": field >= value}
        if op not in ops:
            raise InputError(f"--where: 不支持的运算符 (unsupported operator) {op!r}")
        return ops[op]


def parse_where(text: str, schema: pa.Schema) -> pc.Expression:
    """Parse a ``--where`` filter against ``schema`` into an Arrow expression."""
    if len(text) > 2000:
        raise InputError("--where 过长 (too long): at most 2000 characters")
    tokens = _tokens(text)
    if not tokens:
        raise InputError("--where 为空 (empty filter)")
    parser = _Parser(tokens, schema)
    expression = parser.expr()
    left = parser.peek()
    if left is not None:
        raise InputError(f"--where 多余内容 (unexpected) {left[1]!r}")
    return expression


def filter_dataset(dataset: pads.Dataset, where: str | None, columns: list[str] | None) -> pa.Table:
    """Rows of ``dataset`` matching ``where`` (None: all), projected to ``columns``."""
    expression = parse_where(where, dataset.schema) if where else None
    return dataset.to_table(columns=columns, filter=expression)

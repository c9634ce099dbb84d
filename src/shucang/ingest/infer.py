"""Column profiles and type inference that know Chinese data, computed streaming and vectorised.

Text columns stay text in storage (lossless); a profile says what a column *means* (``logical_type``)
and whether every value is already canonical, so the typed view may cast it losslessly. Identifiers
that look numeric — ID, phone and account numbers, codes with leading zeros, fixed-length digit
strings, columns whose header says 号码/编号/代码/电话… — are ``identifier`` and are never cast.
Amounts written for people (``1,211,112.09``, ``¥3,637``, ``(1,109.00)``, full-width ``６４７``) are
``decimal``/``integer`` but not canonical: they stay verbatim text, and ``sc_number(x)`` parses them.

Per batch: the form of each column is judged on a small sample with regexes; the full column is
only checked, with casts and round trips in Arrow, when it may be canonical.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SAMPLE = 512
"""Values per batch and column whose form is judged by regex."""
DISTINCT_SAMPLE = 8192
"""Values per batch and column counted for the distinct estimate."""
BUFFER_ROWS = 262_144
"""Rows gathered before the statistics are updated."""
SMALL_DOMAIN = 2048
"""Up to this many distinct values, the count is exact."""
EXAMPLE_CHARS = 40

_FORMS: dict[str, str] = {
    "int": r"^-?(?:0|[1-9][0-9]*)$",
    "lead0": r"^0[0-9]+$",
    "dec": r"^-?(?:0|[1-9][0-9]*)\.[0-9]+$",
    "idno": r"^[0-9]{17}[0-9Xx]$",
    "num_loose": r"^\s*[¥￥$]?\s*[(（]?\s*[-+－＋]?\s*[¥￥$]?[0-9０-９][0-9０-９,，\s]*(?:[.．][0-9０-９]+)?\s*[)）]?\s*(?:元|万元)?\s*$",
    "thousands": r"[0-9０-９][,，][0-9０-９]{3}",
    "fullwidth": r"[０-９]",
    "currency": r"[¥￥$元]",
    "parens": r"^\s*[(（].*[)）]\s*$",
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "datetime": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}$",
    "date_cn": r"^\s*[0-9０-９]{4}\s*年\s*[0-9０-９]{1,2}\s*月\s*[0-9０-９]{1,2}\s*日?\s*$",
    "date_slash": r"^\s*[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}(?:\s+[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?\s*$",
    "date_dot": r"^\s*[0-9]{4}\.[0-9]{1,2}\.[0-9]{1,2}\s*$",
    "date_loose": r"^\s*[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:\s+[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?\s*$",
    "bool": r"^(?i:true|false)$",
    "bool_cn": r"^\s*(?:是|否|有|无|Y|N|y|n|√|×)\s*$",
    "digits": r"^[0-9]+$",
    "point": r"[0-9０-９][.．][0-9０-９]",
    "code": r"^[0-9A-Za-z][0-9A-Za-z_/.:+-]*$",
}

_ID_HEADER = re.compile(
    r"(号码|编号|编码|代码|证号|户号|工号|学号|帐号|账号|卡号|单号|批号|牌号|案号|序列号|电话|手机|邮编|邮政编码|"
    r"身份证号|信用代码|(^|_)(id|no|code|sfzh|zjhm|lxdh|sjhm|dh|tel|phone|mobile|zip|postcode|uscc|tyshxydm)($|_)|"
    r"(id|no|code|num|number|_dh|hm)$)", re.IGNORECASE)


@dataclass(frozen=True)
class ColumnProfile:
    """What a column holds, for the catalog and the typed view."""

    name: str
    storage_type: str
    """Arrow type as stored, e.g. ``string``, ``int64``, ``date32[day]``."""
    logical_type: str
    """text | identifier | integer | decimal | date | datetime | boolean | empty"""
    null_share: float
    distinct_estimate: int
    examples: list[str]
    """Up to 3 short values (the warehouse masks them when the column is sensitive)."""
    canonical: bool
    """Every non-blank value is in canonical form (plain int, plain decimal, ISO date, true/false)."""
    note: str
    """Why, for a person: e.g. ``中文日期格式 2021年3月5日``, ``千分位``, ``全角数字``."""


@dataclass
class _Stats:
    rows: int = 0
    nulls: int = 0
    blanks: int = 0
    sampled: int = 0
    forms: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_FORMS, 0))
    examples: list[str] = field(default_factory=list)
    distinct_batches: list[tuple[int, int]] = field(default_factory=list)
    small_uniques: pa.Array | None = field(default_factory=lambda: pa.array([], pa.string()))
    min_len: int | None = None
    max_len: int | None = None
    canonical: dict[str, bool] = field(default_factory=lambda: {"int": True, "dec": True, "date": True,
                                                                 "datetime": True, "bool": True})
    max_sig_digits: int = 0
    batches: int = 0
    id_header: bool = False


class ColumnProfiler:
    """Accumulates column statistics batch by batch; ``result()`` gives one profile per column."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self._stats = [_Stats(id_header=bool(_ID_HEADER.search(f.name))) for f in schema]
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0

    def update(self, batch: pa.RecordBatch) -> None:
        """Take one batch into account (vectorised; regexes only on a small sample).

        Small batches are gathered first: the cost per Arrow call, not per value, dominates.
        """
        if batch.num_rows == 0:
            return
        self._pending.append(batch)
        self._pending_rows += batch.num_rows
        if self._pending_rows >= BUFFER_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        table = pa.Table.from_batches(self._pending)
        self._pending, self._pending_rows = [], 0
        texts: list[tuple[_Stats, pa.Array, pa.Array | None]] = []
        for i, fld in enumerate(self.schema):
            column = table.column(i)
            col = column.chunk(0) if column.num_chunks == 1 else pa.concat_arrays(column.chunks)
            st = self._stats[i]
            st.rows += len(col)
            st.nulls += col.null_count
            if pa.types.is_string(fld.type) or pa.types.is_large_string(fld.type):
                values = col.drop_null() if col.null_count else col
                if len(values):
                    texts.append((st, values, self._update_text(st, values)))
            else:
                self._update_native(st, col)
        _count_forms([(st, sample) for st, _, sample in texts if sample is not None])
        for st, values, _ in texts:
            self._canonical(st, values)

    def _update_native(self, st: _Stats, col: pa.Array) -> None:
        """Typed columns (Parquet, generated data): distinct values and examples, whatever the type."""
        values = col.drop_null() if col.null_count else col
        if not len(values):
            return
        t = values.type
        binary = pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t)
        try:
            self._distinct(st, values if binary or pa.types.is_string(t) else values.cast(pa.string()))
        except (pa.ArrowException, ValueError):  # an exotic type: no estimate rather than a failed ingest
            st.small_uniques = None
            st.distinct_batches.append((len(values), len(values)))
        if len(st.examples) < 3:
            head = values.slice(0, 8)
            if _nanoseconds(t):  # as Python values these need pandas (pd.Timestamp): text says the same
                head = head.cast(pa.string())
            for v in head.to_pylist():
                text = v.hex() if isinstance(v, bytes) else str(v)
                if text not in st.examples and len(st.examples) < 3:
                    st.examples.append(text[:EXAMPLE_CHARS])

    def _update_text(self, st: _Stats, values: pa.Array) -> pa.Array | None:
        """Per-column statistics of non-null text; the sample whose forms are to be counted, if any."""
        self._distinct(st, values)
        lengths = pc.min_max(pc.binary_length(values)).as_py()
        st.min_len = lengths["min"] if st.min_len is None else min(st.min_len, lengths["min"])
        st.max_len = lengths["max"] if st.max_len is None else max(st.max_len, lengths["max"])
        st.batches += 1
        if not (st.batches <= 4 or st.batches % 8 == 0):
            return None
        sample = _sample(values)
        blank = pc.utf8_is_space(sample)
        n_blank = pc.sum(blank).as_py() or 0
        if n_blank:  # whitespace-only values: counted as blank, scaled to the batch
            st.blanks += round(n_blank * len(values) / len(sample))
            sample = sample.filter(pc.invert(blank))
        st.sampled += len(sample)
        if len(st.examples) < 3:
            for v in sample.slice(0, 64).to_pylist():
                if v not in st.examples and len(v) <= EXAMPLE_CHARS and len(st.examples) < 3:
                    st.examples.append(v)
        return sample

    def _canonical(self, st: _Stats, values: pa.Array) -> None:
        """Full-column checks, only while the sampled forms still allow them (casts + round trips)."""
        canon = st.canonical
        forms = st.forms
        if st.id_header or (forms["digits"] == st.sampled and ((st.max_len or 0) >= 11 or forms["lead0"])):
            for form in canon:  # an identifier: never cast, so no need to prove it castable
                canon[form] = False
            return
        if canon["int"]:
            canon["int"] = forms["int"] == st.sampled and _int_round_trip(values)
            if canon["int"]:
                return  # plain integers are plain decimals too; nothing else can match
        if canon["dec"]:
            ok = forms["int"] + forms["dec"] == st.sampled and bool(pc.all(pc.match_substring_regex(
                values, r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$")).as_py())
            if ok:
                longest = pc.max(pc.binary_length(values)).as_py() or 0
                st.max_sig_digits = max(st.max_sig_digits, longest - 1)
            canon["dec"] = ok
        if canon["date"]:
            canon["date"] = forms["date"] == st.sampled and _time_round_trip(values, pa.date32())
        if canon["datetime"]:
            canon["datetime"] = forms["datetime"] == st.sampled and _time_round_trip(values, pa.timestamp("s"))
        if canon["bool"]:
            canon["bool"] = forms["bool"] == st.sampled and bool(pc.all(pc.is_in(
                pc.utf8_lower(values), value_set=pa.array(["true", "false"]))).as_py())

    def _distinct(self, st: _Stats, values: pa.Array) -> None:
        """Exact while the domain is small; else per-batch counts on a sample feed an estimator."""
        part = _sample(values, DISTINCT_SAMPLE)
        uniques = _non_blank(pc.unique(part))
        st.distinct_batches.append((len(part), len(uniques)))
        if st.small_uniques is not None:
            if not len(st.small_uniques) and st.small_uniques.type != uniques.type:
                st.small_uniques = pa.array([], uniques.type)  # binary columns count bytes, not text
            if len(uniques) <= SMALL_DOMAIN:
                if len(part) < len(values):
                    uniques = _non_blank(pc.unique(values))
                merged = pc.unique(pa.concat_arrays([st.small_uniques, uniques.cast(st.small_uniques.type)]))
                st.small_uniques = merged if len(merged) <= SMALL_DOMAIN else None
            else:
                st.small_uniques = None

    def result(self) -> list[ColumnProfile]:
        """One profile per column, in schema order."""
        self._flush()
        return [self._profile(f, st) for f, st in zip(self.schema, self._stats, strict=True)]

    def _profile(self, fld: pa.Field, st: _Stats) -> ColumnProfile:
        storage = str(fld.type)
        null_share = (st.nulls + st.blanks) / st.rows if st.rows else 1.0
        distinct = _estimate_distinct(st)
        if st.rows == 0 or st.nulls + st.blanks == st.rows:
            return ColumnProfile(fld.name, storage, "empty", null_share if st.rows else 0.0, 0, [], True, "")
        if not (pa.types.is_string(fld.type) or pa.types.is_large_string(fld.type)):
            logical = _native_logical(fld)
            if logical == "integer" and _ID_HEADER.search(fld.name):
                logical = "identifier"
            return ColumnProfile(fld.name, storage, logical, null_share, distinct, st.examples, True, "")
        logical, canonical, note = _judge_text(fld.name, st)
        return ColumnProfile(fld.name, storage, logical, null_share, distinct, st.examples, canonical, note)


def _nanoseconds(t: pa.DataType) -> bool:
    """Temporal types whose values Python's datetime cannot hold (nanoseconds)."""
    return (pa.types.is_timestamp(t) or pa.types.is_duration(t) or pa.types.is_time64(t)) and t.unit == "ns"


def _count_forms(samples: list[tuple[_Stats, pa.Array]]) -> None:
    """Count each form over the samples of all columns at once: one regex call per form, not per
    form and column (a 20,000-column file would otherwise make 400,000 tiny Arrow calls)."""
    samples = [(st, sample) for st, sample in samples if len(sample)]
    if not samples:
        return
    joined = pa.concat_arrays([sample.cast(pa.string()) for _, sample in samples])
    starts = np.cumsum([0] + [len(sample) for _, sample in samples[:-1]])
    for form, pattern in _FORMS.items():
        hits = pc.match_substring_regex(joined, pattern).to_numpy(zero_copy_only=False)
        counts = np.add.reduceat(hits.astype(np.int64), starts)
        for (st, _), n in zip(samples, counts.tolist(), strict=True):
            st.forms[form] += n


def _sample(values: pa.Array, size: int = SAMPLE) -> pa.Array:
    """Four evenly spaced runs of ``size // 4`` values (cheap slices, no gather)."""
    if len(values) <= size:
        return values
    run = size // 4
    step = (len(values) - run) // 3
    return pa.concat_arrays([values.slice(k * step, run) for k in range(4)])


def _non_blank(uniques: pa.Array) -> pa.Array:
    if pa.types.is_string(uniques.type) and len(uniques):
        return uniques.filter(pc.invert(pc.fill_null(pc.utf8_is_space(uniques), False)))
    return uniques


def _int_round_trip(values: pa.Array) -> bool:
    try:
        as_int = pc.cast(values, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return bool(pc.all(pc.equal(pc.cast(as_int, pa.string()), values)).as_py())


def _time_round_trip(values: pa.Array, target: pa.DataType) -> bool:
    """Every value parses as ISO ``target`` and prints back identically (so a CAST is lossless)."""
    try:
        parsed = pc.cast(values, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return bool(pc.all(pc.equal(pc.cast(parsed, pa.string()), values)).as_py())


def _native_logical(fld: pa.Field) -> str:
    t = fld.type
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "decimal"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_timestamp(t):
        return "datetime"
    return "text"


def _estimate_distinct(st: _Stats) -> int:
    """Exact for small domains; otherwise solve ``u = D(1 - e^(-n/D))`` per batch (uniform draws)."""
    if st.small_uniques is not None:
        return len(st.small_uniques)
    total_rows = st.rows - st.nulls - st.blanks
    estimates: list[float] = []
    for n, u in st.distinct_batches:
        if u >= n:
            estimates.append(total_rows)
            continue
        lo, hi = float(u), float(total_rows) * 4 + 1
        for _ in range(60):
            mid = (lo + hi) / 2
            if mid * (1 - math.exp(-n / mid)) < u:
                lo = mid
            else:
                hi = mid
        estimates.append(lo)
    largest = max(u for _, u in st.distinct_batches)
    return int(min(total_rows, max(largest, sum(estimates) / len(estimates))))


def _share(st: _Stats, *forms: str) -> float:
    return sum(st.forms[f] for f in forms) / st.sampled if st.sampled else 0.0


def _judge_text(name: str, st: _Stats) -> tuple[str, bool, str]:
    """(logical_type, canonical, note) of a text column from its statistics."""
    canon = st.canonical
    digits = _share(st, "digits")
    header_id = bool(_ID_HEADER.search(name))
    if _share(st, "idno") >= 0.9 or (digits >= 0.9 and (
            (st.max_len or 0) >= 11 or _share(st, "lead0") > 0 or header_id
            or (st.min_len == st.max_len and (st.min_len or 0) >= 5))):
        why = ("18位证件号码" if _share(st, "idno") >= 0.9 else
               "11位以上数字" if (st.max_len or 0) >= 11 else
               "有前导零" if _share(st, "lead0") > 0 else
               "列名表明是编号" if header_id else f"定长{st.min_len}位数字")
        return "identifier", False, f"数字样式的标识符，保持文本 ({why})"
    if header_id and _share(st, "code") >= 0.9 and (st.max_len or 0) <= 40:
        return "identifier", False, "列名表明是编号或代码"
    if _share(st, "bool") >= 0.95:
        return "boolean", canon["bool"], "" if canon["bool"] else "大小写不一"
    if _share(st, "bool_cn") >= 0.95 and (st.small_uniques is None or len(st.small_uniques) <= 4):
        return "boolean", False, "是/否 类取值，可用 sc_bool(x)"
    if _share(st, "datetime") >= 0.95:
        return "datetime", canon["datetime"], "" if canon["datetime"] else "含无效日期时间"
    if _share(st, "date") >= 0.95:
        return "date", canon["date"], "" if canon["date"] else "含无效日期"
    if _share(st, "date", "date_cn", "date_slash", "date_dot", "date_loose", "datetime") >= 0.9:
        kinds = [label for form, label in (("date_cn", "2021年3月5日"), ("date_slash", "2021/3/5"),
                                           ("date_dot", "2021.3.5"), ("date_loose", "2021-3-5"))
                 if st.forms[form]]
        return "date", False, "中文日期格式 " + "、".join(kinds) + "，可用 sc_date(x)"
    if _share(st, "int") >= 0.98 and canon["int"]:
        return "integer", True, ""
    if _share(st, "int", "dec") >= 0.98 and canon["dec"]:
        lossless = st.max_sig_digits <= 15
        return "decimal", lossless, "" if lossless else "超过15位有效数字，保持文本"
    if _share(st, "num_loose") >= 0.9:
        notes = [label for form, label in (("thousands", "千分位"), ("fullwidth", "全角数字"),
                                           ("currency", "货币符号"), ("parens", "括号负数")) if st.forms[form]]
        kind = "decimal" if st.forms["point"] else "integer"
        return kind, False, ("、".join(notes) or "数值格式不统一") + "，保持文本，可用 sc_number(x)"
    return "text", False, ""


def typed_sql(column_sql: str, profile: ColumnProfile) -> str:
    """DuckDB expression for the typed view: a lossless CAST for canonical non-identifier text, else as is."""
    if profile.storage_type not in ("string", "large_string") or not profile.canonical:
        return column_sql
    cast = {"integer": "BIGINT", "decimal": "DOUBLE", "date": "DATE", "datetime": "TIMESTAMP",
            "boolean": "BOOLEAN"}.get(profile.logical_type)
    return f"CAST({column_sql} AS {cast})" if cast else column_sql


_FULL = "０１２３４５６７８９．，－＋（）"
_HALF = "0123456789.,-+()"


def duckdb_macros() -> list[str]:
    """``sc_number``, ``sc_date`` and ``sc_bool``: parse the formats people write, in DuckDB SQL."""
    clean = (f"regexp_replace(translate(trim(CAST(x AS VARCHAR)), '{_FULL}', '{_HALF}'),"
             " '[,\\s¥￥$元]', '', 'g')")
    return [
        "CREATE OR REPLACE MACRO sc__clean_number(x) AS " + clean,
        "CREATE OR REPLACE MACRO sc_number(x) AS CASE"
        " WHEN regexp_full_match(sc__clean_number(x), '\\((.*)\\)')"
        " THEN -TRY_CAST(regexp_extract(sc__clean_number(x), '^\\((.*)\\)$', 1) AS DOUBLE)"
        " WHEN regexp_full_match(sc__clean_number(x), '(.*)万') "
        " THEN TRY_CAST(regexp_extract(sc__clean_number(x), '^(.*)万$', 1) AS DOUBLE) * 10000"
        " ELSE TRY_CAST(sc__clean_number(x) AS DOUBLE) END",
        "CREATE OR REPLACE MACRO sc__date_parts(x) AS regexp_extract("
        f"translate(trim(CAST(x AS VARCHAR)), '{_FULL}', '{_HALF}'),"
        " '^([0-9]{4})\\s*[-/.年]\\s*([0-9]{1,2})\\s*[-/.月]\\s*([0-9]{1,2})\\s*日?', ['y', 'm', 'd'])",
        "CREATE OR REPLACE MACRO sc_date(x) AS CASE WHEN sc__date_parts(x).y = '' THEN NULL ELSE"
        " TRY_CAST(printf('%s-%02d-%02d', sc__date_parts(x).y, TRY_CAST(sc__date_parts(x).m AS INTEGER),"
        " TRY_CAST(sc__date_parts(x).d AS INTEGER)) AS DATE) END",
        "CREATE OR REPLACE MACRO sc_bool(x) AS CASE"
        " WHEN lower(trim(CAST(x AS VARCHAR))) IN ('是', '有', 'true', 't', 'y', 'yes', '1', '对', '√') THEN TRUE"
        " WHEN lower(trim(CAST(x AS VARCHAR))) IN ('否', '无', 'false', 'f', 'n', 'no', '0', '错', '×') THEN FALSE"
        " END",
    ]

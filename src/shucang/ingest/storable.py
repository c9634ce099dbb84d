"""Arrow columns of any type → types every later stage can store, profile, query and mask.

Parquet may hold what Delta Lake cannot store (time, duration, intervals, half floats, 256-bit
decimals) or what the profiler, classifier and masking cannot take apart (lists, structs, maps).
Such columns become text: nested values as compact JSON (through DuckDB, vectorised), the others
as Arrow prints them. Text that is not valid UTF-8 is found per batch; the rows holding it are
quarantined (``decode_error``) rather than crashing the writer or the profiler later.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from shucang.ingest.model import RejectedRow, reject

Convert = Callable[[pa.Array], pa.Array]


def _is_nested(t: pa.DataType) -> bool:
    return (pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)
            or pa.types.is_struct(t) or pa.types.is_map(t) or pa.types.is_union(t)
            or pa.types.is_list_view(t) or pa.types.is_large_list_view(t))


def _as_text(arr: pa.Array) -> pa.Array:
    return pc.cast(arr, pa.string())


def _duration_text(arr: pa.Array) -> pa.Array:
    """``5`` seconds is ``5 s`` (the unit is not in the number)."""
    return pc.binary_join_element_wise(pc.cast(pc.cast(arr, pa.int64()), pa.string()), arr.type.unit, " ")


def _binary_text(arr: pa.Array) -> pa.Array:
    """Bytes as text: Parquet writers often store text as plain binary; other bytes as ``0x…`` hex."""
    as_binary = pc.cast(arr, pa.binary())
    try:
        return pc.cast(as_binary, pa.string())
    except pa.ArrowInvalid:  # some values are not UTF-8: a per-value look, on this rare path only
        out: list[str | None] = []
        for value in as_binary.to_pylist():
            try:
                out.append(None if value is None else value.decode("utf-8"))
            except UnicodeDecodeError:
                out.append("0x" + value.hex())
        return pa.array(out, pa.string())


def _as_json(arr: pa.Array, expression: str = "to_json(v)") -> pa.Array:
    """Nested values as compact JSON text; DuckDB does it vectorised, Python only for types it lacks."""
    try:
        import duckdb

        con = duckdb.connect(":memory:")
        try:
            arrow_in = pa.table({"v": arr})  # noqa: F841 — read by DuckDB by name
            out = con.sql(f"SELECT CASE WHEN v IS NULL THEN NULL ELSE CAST({expression} AS VARCHAR) END AS j "
                          "FROM arrow_in").to_arrow_table()
        finally:
            con.close()
        return out.column(0).combine_chunks().cast(pa.string())
    except Exception:  # noqa: BLE001 — types DuckDB cannot take (half floats, 256-bit decimals inside lists)
        return pa.array([None if v is None else json.dumps(v, ensure_ascii=False, separators=(",", ":"), default=str)
                         for v in arr.to_pylist()], pa.string())


def plan_type(t: pa.DataType) -> tuple[pa.DataType, Convert | None, str]:
    """(stored type, conversion or None, why — empty when kept as is)."""
    if pa.types.is_dictionary(t):
        value, conv, why = plan_type(t.value_type)
        return value, (lambda a, c=conv, v=t.value_type: (c or (lambda x: x))(pc.cast(a, v))), why
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string(), lambda a: pc.cast(a, pa.string()), ""
    if (pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t)
            or pa.types.is_fixed_size_binary(t)):
        return pa.string(), _binary_text, "二进制列存为文本，非 UTF-8 的值写作 0x 十六进制 (binary stored as text, " \
                                          "values that are not UTF-8 as 0x hex)"
    if pa.types.is_null(t):
        return pa.string(), lambda a: pa.nulls(len(a), pa.string()), ""
    if pa.types.is_float16(t):
        return pa.float32(), lambda a: pc.cast(a, pa.float32()), ""
    if pa.types.is_decimal(t) and t.bit_width > 128:
        if t.precision <= 38:
            target = pa.decimal128(t.precision, t.scale)
            return target, lambda a, tt=target: pc.cast(a, tt), ""
        return pa.string(), _as_text, f"{t} 超出 38 位精度，存为文本 (stored as text)"
    if pa.types.is_decimal(t) and t.bit_width < 128:
        target = pa.decimal128(t.precision, t.scale)
        return target, lambda a, tt=target: pc.cast(a, tt), ""
    if pa.types.is_time(t):
        return pa.string(), _as_text, f"{t} 存为文本 (stored as text)"
    if pa.types.is_duration(t):
        return pa.string(), _duration_text, f"{t} 存为带单位的文本 (stored as text with its unit)"
    if pa.types.is_interval(t) or _is_nested(t) or pa.types.is_run_end_encoded(t):
        return pa.string(), _as_json, f"{t} 存为 JSON 文本 (stored as JSON text)"
    if isinstance(t, pa.BaseExtensionType):  # uuid, json, bool8 …: their text as DuckDB writes it
        return pa.string(), lambda a: _as_json(a, "v"), f"{t} 存为文本 (stored as text)"
    return t, None, ""


@dataclass
class StorablePlan:
    """How to turn batches of one schema into storable ones (see module docstring)."""

    schema: pa.Schema
    converts: list[Convert | None]
    notes: list[str]
    text_columns: list[int]

    @classmethod
    def for_schema(cls, schema: pa.Schema) -> StorablePlan:
        fields, converts, notes, text = [], [], [], []
        for i, f in enumerate(schema):
            target, conv, why = plan_type(f.type)
            fields.append(pa.field(f.name, target, nullable=True))
            converts.append(conv)
            if why:
                notes.append(f"列 {f.name}：{why}")
            if pa.types.is_string(target):
                text.append(i)
        return cls(pa.schema(fields, metadata=schema.metadata), converts, notes, text)

    def apply(self, batch: pa.RecordBatch, first_row: int) -> tuple[pa.RecordBatch, list[RejectedRow]]:
        """``batch`` in the stored types; rows holding invalid UTF-8 quarantined (``first_row``: 1-based)."""
        arrays = [conv(col) if conv is not None else col for col, conv in zip(batch.columns, self.converts,
                                                                              strict=True)]
        rejects: list[RejectedRow] = []
        bad = _invalid_text_rows(arrays, self.text_columns)
        if bad:
            for row in sorted(bad):
                values = {self.schema.names[i]: _show(arrays[i], row) for i in self.text_columns}
                raw = json.dumps(values, ensure_ascii=False)
                rejects.append(reject(first_row + row, "decode_error", "文本不是有效的 UTF-8",
                                      "text is not valid UTF-8", raw))
            keep = pa.array([i not in bad for i in range(batch.num_rows)])
            arrays = [pc.filter(pc.cast(a, pa.binary()), keep).cast(a.type) if i in self.text_columns
                      else pc.filter(a, keep) for i, a in enumerate(arrays)]
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema), rejects


def _invalid_text_rows(arrays: list[pa.Array], text_columns: list[int]) -> set[int]:
    """Rows where some text column is not valid UTF-8 (a per-value look only when a column fails)."""
    bad: set[int] = set()
    for i in text_columns:
        arr = arrays[i]
        try:
            arr.validate(full=True)
            continue
        except pa.ArrowInvalid:
            pass
        for row, value in enumerate(pc.cast(arr, pa.binary()).to_pylist()):
            if value is not None:
                try:
                    value.decode("utf-8")
                except UnicodeDecodeError:
                    bad.add(row)
    return bad


def _show(arr: pa.Array, row: int) -> str | None:
    value = pc.cast(arr.slice(row, 1), pa.binary())[0].as_py()
    return None if value is None else value.decode("utf-8", "backslashreplace")

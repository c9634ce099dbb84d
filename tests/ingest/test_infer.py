"""Type inference on realistic Chinese columns, including the traps that turn IDs into numbers."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from shucang.ingest import ColumnProfiler, duckdb_macros, typed_sql


def profile(columns: dict[str, list[str | None]], batches: int = 1) -> dict:
    table = pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()})
    profiler = ColumnProfiler(table.schema)
    size = max(1, table.num_rows // batches)
    for batch in table.to_batches(max_chunksize=size):
        profiler.update(batch)
    return {p.name: p for p in profiler.result()}


@pytest.mark.parametrize("name,values,logical", [
    ("公民身份号码", ["330282199001011234", "33028219800101123X", "330282200212121230"], "identifier"),
    ("sjhm", ["13812345678", "13900001111", "18657400000"], "identifier"),
    ("备注", ["00123", "00456", "01789"], "identifier"),           # leading zeros
    ("值", ["12345", "23456", "34567", "45678"], "identifier"),    # fixed-length ≥ 5 digits
    ("邮编", ["315300", "315301", "315302"], "identifier"),
    ("企业编号", ["12", "15", "7"], "identifier"),                  # header says it is a number/code
    ("统一社会信用代码", ["91330282MA2XDF1A0J", "91330282MA2LQ4213N"], "identifier"),
    ("数量", ["3", "12", "7", "-4", "0"], "integer"),
    ("金额", ["18227.04", "9518.41", "0.5", "-3"], "decimal"),
    ("登记日期", ["2024-05-10", "2023-06-29", None], "date"),
    ("办结时间", ["2024-05-10 08:30:00", "2023-06-29 23:59:59"], "datetime"),
    ("有效", ["true", "FALSE", "True"], "boolean"),
    ("是否在册", ["是", "否", "是"], "boolean"),
    ("姓名", ["张三", "李四", "王五"], "text"),
    ("空列", [None, "  ", None], "empty"),
])
def test_logical_types(name: str, values: list[str | None], logical: str) -> None:
    assert profile({name: values})[name].logical_type == logical


def test_identifiers_are_never_cast() -> None:
    p = profile({"电话": ["13812345678", "13900001111"]})["电话"]
    assert not p.canonical and typed_sql('"电话"', p) == '"电话"'


def test_amounts_for_people_are_decimal_but_stay_text() -> None:
    values = ["1,211,112.09", "６４７８８４", "¥3,637,937.42", "(363,108.34)", "1 341 555", "1,698.00元"]
    p = profile({"金额": values})["金额"]
    assert p.logical_type == "decimal" and not p.canonical
    assert "千分位" in p.note and "全角数字" in p.note
    assert typed_sql('"金额"', p) == '"金额"'


def test_chinese_dates_are_noted_and_parsed_by_the_macro() -> None:
    p = profile({"日期": ["2021年3月5日", "2021/3/5", "2021.3.5"]})["日期"]
    assert p.logical_type == "date" and not p.canonical and "2021年3月5日" in p.note
    con = duckdb.connect()
    for macro in duckdb_macros():
        con.execute(macro)
    got = con.execute("SELECT sc_date(x) FROM (VALUES ('2021年3月5日'), ('2021/3/5'), ('２０２１．３．５'), "
                      "('2021-02-30'), ('无')) t(x)").fetchall()
    assert [str(r[0]) if r[0] else None for r in got] == ["2021-03-05", "2021-03-05", "2021-03-05", None, None]
    nums = con.execute("SELECT sc_number(x) FROM (VALUES ('1,211,112.09'), ('６４７８８４'), ('¥3,637.42'), "
                       "('(1,109.00)'), ('（５）'), ('1.5万'), ('abc')) t(x)").fetchall()
    assert [r[0] for r in nums] == [1211112.09, 647884.0, 3637.42, -1109.0, -5.0, 15000.0, None]
    bools = con.execute("SELECT sc_bool(x) FROM (VALUES ('是'), ('否'), ('有'), ('无'), ('TRUE'), ('?')) t(x)").fetchall()
    assert [r[0] for r in bools] == [True, False, True, False, True, None]


def test_canonical_columns_cast_losslessly_in_duckdb() -> None:
    cols = {"n": ["1", "-20", "300"], "d": ["1.5", "2", "-0.25"], "day": ["2024-02-29", "2023-01-01", "2020-12-31"],
            "ts": ["2024-02-29 10:00:00", "2023-01-01 00:00:01", "2020-12-31 23:59:59"], "b": ["true", "false", "true"]}
    profiles = profile(cols)
    assert all(p.canonical for p in profiles.values())
    table = pa.table({k: pa.array(v) for k, v in cols.items()})
    con = duckdb.connect()
    con.register("t", table)
    select = ", ".join(f"{typed_sql(k, profiles[k])} AS {k}" for k in cols)
    row = con.execute(f"SELECT {select} FROM t LIMIT 1").fetchone()
    assert row[0] == 1 and row[1] == 1.5 and str(row[2]) == "2024-02-29" and row[4] is True


def test_one_bad_value_in_a_later_batch_spoils_canonical() -> None:
    values = [str(i) for i in range(1, 5000)] + ["3,000"]
    p = profile({"数量": values}, batches=5)["数量"]
    assert p.logical_type == "integer" and not p.canonical
    dates = ["2024-01-01"] * 3000 + ["2024-02-30"]
    assert not profile({"日": dates}, batches=4)["日"].canonical


def test_null_share_distinct_and_examples() -> None:
    values = [None, "男", "女", "男", None, "  ", "女", "男"] * 100
    p = profile({"性别": values}, batches=3)["性别"]
    assert p.distinct_estimate == 2
    assert 0.3 < p.null_share < 0.45
    assert set(p.examples) == {"男", "女"}
    unique = profile({"id": [f"K{i}" for i in range(100_000)]}, batches=4)["id"]
    assert 80_000 <= unique.distinct_estimate <= 100_000


def test_native_types() -> None:
    table = pa.table({"n": pa.array([1, 2, None], pa.int64()), "d": pa.array([0, 1, 2], pa.date32()),
                      "手机号码": pa.array([13812345678, 13900001111, None], pa.int64())})
    profiler = ColumnProfiler(table.schema)
    profiler.update(table.to_batches()[0])
    got = {p.name: p for p in profiler.result()}
    assert got["n"].logical_type == "integer" and got["n"].storage_type == "int64"
    assert got["d"].logical_type == "date"
    assert got["手机号码"].logical_type == "identifier"
    assert typed_sql('"n"', got["n"]) == '"n"'

"""Synthetic (合成) people-and-money data and leak attacks shared by the protect tests and benchmarks."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from shucang.classify.checksums import id_card_check_char

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗") + ["欧阳", "司马", "诸葛"]
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华")
TOWNS = ["浒山街道", "白沙路街道", "古塘街道", "坎墩街道", "宗汉街道", "龙山镇", "掌起镇", "观海卫镇", "周巷镇", "天元镇"]
GRADES = {"id_card": ("id_card", 4), "name": ("person_name", 3), "mobile": ("mobile_phone", 3),
          "town": (None, 1), "address": ("address", 3), "revenue": (None, 2), "employees": (None, 1),
          "birth_date": ("birth_date", 3)}
"""Grades of the synthetic table: a clearance-1 recipient gets pseudonyms, clearance 4 sees all as stored."""


def people(n: int, seed: int = 7) -> pa.Table:
    """``n`` synthetic residents with valid-looking ID numbers (region 330282), phones and money."""
    rng = np.random.default_rng(seed)
    years = rng.integers(1940, 2006, n)
    months = rng.integers(1, 13, n)
    days = rng.integers(1, 29, n)
    seq = rng.permutation(n) % 1000
    bodies = [f"330282{y:04d}{m:02d}{d:02d}{s:03d}" for y, m, d, s in zip(years, months, days, seq, strict=True)]
    ids = [b + id_card_check_char(b) for b in bodies]
    names = [SURNAMES[a] + GIVEN[b] + (GIVEN[c] if c % 2 else "")
             for a, b, c in zip(rng.integers(0, len(SURNAMES), n), rng.integers(0, len(GIVEN), n),
                                rng.integers(0, len(GIVEN), n), strict=True)]
    mobiles = [f"1{p}{r:09d}" for p, r in zip(rng.choice(list("3456789"), n), rng.integers(0, 10**9, n), strict=True)]
    towns = [TOWNS[i] for i in rng.integers(0, len(TOWNS), n)]
    addresses = [f"慈溪市{t}新城大道{h}号{b}幢{r}室" for t, h, b, r in
                 zip(towns, rng.integers(1, 999, n), rng.integers(1, 30, n), rng.integers(101, 2999, n), strict=True)]
    import datetime as dt

    births = [dt.date(int(y), int(m), int(d)) for y, m, d in zip(years, months, days, strict=True)]
    return pa.table({
        "id_card": ids, "name": names, "mobile": mobiles, "town": towns, "address": addresses,
        "birth_date": pa.array(births, pa.date32()),
        "revenue": pa.array(np.round(rng.lognormal(8, 1.5, n), 2)),
        "employees": pa.array(rng.integers(1, 20000, n), pa.int64()),
    })


def round_sig(values: pa.Array, digits: int = 3) -> pa.Array:
    """Round numbers to ``digits`` significant digits (what a leaker does to hide low-order marks)."""
    x = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.floor(np.log10(np.abs(x)))
        scale = 10.0 ** (e - (digits - 1))
        out = np.where(np.isfinite(e), np.round(x / scale) * scale, x)
    return pa.array(out)


def write_as(table: pa.Table, path: Path, fmt: str, *, encoding: str = "utf-8") -> Path:
    """Write a leaked copy the way a leaker would: csv (any encoding), xlsx (openpyxl), parquet, jsonl."""
    path = path.with_suffix("." + fmt)
    if fmt == "csv":
        import csv

        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(table.column_names)
        columns = [c.to_pylist() for c in table.columns]
        for row in zip(*columns, strict=True):
            writer.writerow(["" if v is None else v for v in row])
        path.write_bytes(buffer.getvalue().encode(encoding))
    elif fmt == "xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(table.column_names)
        columns = [c.to_pylist() for c in table.columns]
        for row in zip(*columns, strict=True):
            sheet.append(list(row))
        book.save(path)
    elif fmt == "parquet":
        pq.write_table(table, path)
    else:
        import json

        columns = [c.to_pylist() for c in table.columns]
        lines = [json.dumps(dict(zip(table.column_names, row, strict=True)), ensure_ascii=False, default=str)
                 for row in zip(*columns, strict=True)]
        path.write_text("\n".join(lines), encoding="utf-8")
    return path


def attack(table: pa.Table, rng: np.random.Generator, rows: int, *, drop: int = 1, round_numbers: bool = True,
           trim: bool = True, keep_columns: tuple[str, ...] = ("revenue",)) -> pa.Table:
    """Take ``rows`` random rows in random order, drop/rename/reorder columns, round numbers, pad/trim.

    ``keep_columns`` are never dropped: a full-clearance copy carries its mark in numeric measures, and a
    leaker who deletes every measure deletes the mark with it (decoy rows would be the remedy)."""
    idx = rng.choice(table.num_rows, size=min(rows, table.num_rows), replace=False)
    sub = table.take(pa.array(idx))
    names = list(sub.column_names)
    droppable = [n for n in names if n not in keep_columns]
    gone = set(rng.choice(droppable, size=min(drop, len(droppable) - 2), replace=False)) if drop else set()
    keep = [n for n in names if n not in gone]
    rng.shuffle(keep)
    columns = {}
    for n in keep:
        col = sub.column(n)
        if round_numbers and (pa.types.is_floating(col.type) or pa.types.is_integer(col.type)):
            col = round_sig(col.combine_chunks())
        elif pa.types.is_string(col.type) and not trim:
            col = pc.binary_join_element_wise(" ", col, " ", "")
        columns["列" + n[:2] + str(len(columns))] = col
    return pa.table(columns)


POPULATION_GRADES = {"id_card": ("id_card", 4), "name": ("person_name", 3), "gender": ("gender", 2),
                     "birth_date": ("birth_date", 3), "ethnicity": ("ethnicity", 3), "education": ("education_level", 2),
                     "residence_type": (None, 2), "town": (None, 1), "address": ("address", 3),
                     "mobile": ("mobile_phone", 3), "registered_on": (None, 1)}
"""Grades of the demo ``population`` register: no numeric measure at all."""


def population(n: int, seed: int = 5) -> pa.Table:
    """``n`` synthetic residents from the demo generator (the ``population`` register's schema)."""
    from shucang.demo.people import generate_population

    return generate_population(np.random.default_rng(seed), n).table

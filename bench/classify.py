"""Classification speed: a 1M-row table from a sample and in full, against a pure-Python regex loop.

Generates (synthetic) 1,000,000 rows × 8 columns with numpy, then measures in one run:
  * sample-based ``classify_table`` (goal: < 1 s),
  * ``classify_table(full=True)`` in cells/s (goal: ≥ 2M cells/s on 2 cores),
  * the reference: a Python ``re`` loop testing every cell against the identifier patterns
    (what a naïve regex scanner does), on the same cells,
and prints the ratios. Run: ``python bench/classify.py [ROWS]``.
"""

from __future__ import annotations

import re
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shucang.classify import classify_table
from shucang.classify.checksums import ID_CHECK, ID_WEIGHTS

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平")


def _digits(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    return rng.integers(0, 10, size=(n, k), dtype=np.uint8)


def _strings(mat: np.ndarray) -> pa.Array:
    """Rows of an ASCII byte matrix as a string array (zero Python loops)."""
    n, width = mat.shape
    offsets = pa.py_buffer((np.arange(n + 1, dtype=np.int32) * width).tobytes())
    return pa.StringArray.from_buffers(n, offsets, pa.py_buffer(np.ascontiguousarray(mat).tobytes()))


def make_table(n: int, seed: int = 1) -> pa.Table:
    rng = np.random.default_rng(seed)
    # ID numbers: 330282 + birth date + sequence + MOD 11-2 check
    body = np.zeros((n, 17), dtype=np.int64)
    body[:, :6] = [3, 3, 0, 2, 8, 2]
    year = rng.integers(1940, 2005, n)
    month = rng.integers(1, 13, n)
    day = rng.integers(1, 29, n)
    for i, (v, w) in enumerate(((year, 4), (month, 2), (day, 2))):
        start = 6 + (0 if i == 0 else 4 if i == 1 else 6)
        for j in range(w):
            body[:, start + j] = (v // 10 ** (w - 1 - j)) % 10
    body[:, 14:17] = _digits(rng, n, 3)
    check = np.frombuffer(ID_CHECK.encode(), dtype=np.uint8)[(body * np.array(ID_WEIGHTS)).sum(axis=1) % 11]
    ids = _strings(np.concatenate([(body + 48).astype(np.uint8), check[:, None]], axis=1))
    mobile = _strings(np.concatenate([np.tile(np.frombuffer(b"13", np.uint8), (n, 1)),
                                      rng.integers(48 + 3, 48 + 10, (n, 1), dtype=np.uint8),
                                      _digits(rng, n, 8) + 48], axis=1))
    names = pc.binary_join_element_wise(pa.array(np.array(SURNAMES)[rng.integers(0, len(SURNAMES), n)]),
                                        pa.array(np.array(GIVEN)[rng.integers(0, len(GIVEN), n)]), "")
    amounts = pa.array(np.round(rng.uniform(100, 100000, n), 2)).cast(pa.string())
    dates = pc.strftime(pa.array(rng.integers(17000, 20000, n).astype("datetime64[D]")), "%Y-%m-%d")
    codes = _strings(_digits(rng, n, 6) + 48)
    towns = pa.array(np.array(["浒山街道", "古塘街道", "周巷镇", "龙山镇"])[rng.integers(0, 4, n)])
    address = pc.binary_join_element_wise("慈溪市", towns, pa.array(rng.integers(1, 2000, n)).cast(pa.string()),
                                          "号", "")
    return pa.table({"姓名": names, "身份证号": ids, "手机": mobile, "地址": address, "金额": amounts,
                     "登记日期": dates, "产品编码": codes, "镇街": towns})


REFERENCE = [re.compile(p) for p in (
    r"^[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]$",
    r"^(?:\+?86)?1[3-9]\d{9}$", r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$",
    r"^\d{1,3}(?:\.\d{1,3}){3}$", r"^62\d{14,17}$", r"^[\u4e00-\u9fff]{2,4}$",
    r"(?:省|市|区|县|镇|街道|村|路).*\d+号")]


def reference_loop(table: pa.Table) -> dict[str, list[int]]:
    """The baseline: every cell against every pattern with Python's ``re``."""
    counts: dict[str, list[int]] = {}
    for name in table.column_names:
        hits = [0] * len(REFERENCE)
        for value in table.column(name).to_pylist():
            if value is None:
                continue
            for i, rx in enumerate(REFERENCE):
                if rx.search(value):
                    hits[i] += 1
        counts[name] = hits
    return counts


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    t0 = time.perf_counter()
    table = make_table(n)
    print(f"generated {n:,} rows × {table.num_columns} columns (synthetic) in {time.perf_counter() - t0:.1f} s")
    cells = n * table.num_columns

    t0 = time.perf_counter()
    sampled = classify_table(table)
    t_sample = time.perf_counter() - t0
    t0 = time.perf_counter()
    full = classify_table(table, full=True)
    t_full = time.perf_counter() - t0
    assert [c.type for c in sampled.columns] == [c.type for c in full.columns]
    ref_rows = min(n, 200_000)  # the Python loop is slow: time it on a slice and scale
    t0 = time.perf_counter()
    reference_loop(table.slice(0, ref_rows))
    t_ref = (time.perf_counter() - t0) * n / ref_rows

    print("types:", {c.name: c.type for c in full.columns})
    print(f"sample-based classify ({sampled.sampled_rows:,} of {n:,} rows): {t_sample:.3f} s  (goal < 1 s)")
    print(f"full scan: {t_full:.2f} s = {cells / t_full / 1e6:.2f} M cells/s  (goal ≥ 2 M cells/s)")
    print(f"reference pure-Python re loop (7 patterns): {t_ref:.1f} s = {cells / t_ref / 1e6:.2f} M cells/s"
          f"{' (timed on ' + format(ref_rows, ',') + ' rows, scaled)' if ref_rows < n else ''}")
    print(f"ratio full scan / reference: {t_ref / t_full:.1f}×   ratio sample / reference: {t_ref / t_sample:.0f}×")


if __name__ == "__main__":
    main()

"""A wide synthetic table for full scans: many sensitive columns, with what makes batches differ.

Values change along the rows (full-width digits and ``+86`` phones only near the end, blanks only at the
start, float amounts that are whole in one half and not in the other, phone numbers stored as floats with a
few NaN near the end, free-text mentions far apart, a column blank for its first 40 %), so a scan that took one batch's gates, one batch's "all whole numbers"
or one batch's NFKC decision for the column's would measure those columns differently.
Built from pools of generated values picked by a seeded numpy generator (fast at 60,000 rows).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from tests.classify import synth as S


def _full_width(arr: pa.Array) -> pa.Array:
    for ascii_char, wide in zip("0123456789X", "０１２３４５６７８９Ｘ", strict=True):
        arr = pc.replace_substring(arr, ascii_char, wide)
    return arr


def wide_table(n: int = 60_000, seed: int = 11) -> pa.Table:
    r, g = S.rng(seed), np.random.default_rng(seed)
    i = np.arange(n)
    late = pa.array(i > n * 0.9)

    def pool(make, size: int = 8000) -> pa.Array:
        return pa.array([make(r) for _ in range(size)], pa.string())

    def pick(values: pa.Array) -> pa.Array:
        return values.take(pa.array(g.integers(0, len(values), n)))

    def where(mask: np.ndarray | pa.Array, a: pa.Array, b: pa.Array) -> pa.Array:
        return pc.if_else(pa.array(mask) if isinstance(mask, np.ndarray) else mask, a, b)

    names = pick(pool(S.person))
    names = where(i % 41 == 0, pc.binary_join_element_wise(pc.utf8_slice_codeunits(names, 0, 1), "*", ""), names)
    names = where((i < n * 0.05) & (i % 3 == 0), pa.nulls(n, pa.string()), names)
    ids = pick(pool(S.id_card, 20_000))
    ids = where(pc.and_(late, pa.array(i % 7 == 0)), _full_width(ids), ids)
    phones = pick(pool(S.mobile, 20_000))
    phones = where(pc.and_(late, pa.array(i % 5 == 0)), pc.binary_join_element_wise("+86", phones, ""), phones)
    phones = where(i % 53 == 0, pc.utf8_replace_slice(phones, 3, 7, "****"), phones)
    whole = pa.array(g.integers(100, 10**6, n).astype(np.float64))
    cents = pa.array(g.integers(10**4, 10**7, n) / 100)
    years, months, days = g.integers(1950, 2005, n), g.integers(1, 13, n), g.integers(1, 29, n)
    iso = pa.array([f"{y}-{m:02d}-{d:02d}" for y, m, d in zip(years, months, days, strict=True)])
    cjk = pa.array([f"{y}年{m}月{d}日" for y, m, d in zip(years, months, days, strict=True)])
    mentions = pa.array([f"来电人{S.person(r)}反映噪音扰民，电话{S.mobile(r)}" for _ in range(n // 997 + 1)])
    notes = pick(pa.array(["已处理", "无", "回访满意", "转交街道办理", "请尽快安排人员上门核实情况"]))
    notes = where(i % 997 == 0, mentions.take(pa.array(i // 997)), notes)
    later_ids = pick(pool(S.id_card, 20_000))
    return pa.table({
        "姓名": names,
        "身份证号": ids,
        "手机": phones,
        "联系电话": where(i % 3 == 0, pick(pool(S.mobile)), pick(pool(S.landline))),
        "地址": pick(pool(S.address)),
        "金额": where(i < n // 2, whole, cents),
        "出生日期": where(i % 10 == 0, cjk, iso),
        "备注": notes,
        "col_7": pc.cast(pc.round(pa.array(121 + g.random(n) * 0.5), 6), pa.string()),
        "业务流水号": pc.cast(pa.array(13742003564 + i), pa.string()),
        "诊断": pick(pa.array(["J18.9", "I10", "E11.9", "K29.7", "M54.5", "N39.0", "R51", "J06.9", "I25.1", "C34.9",
                               "F32.9", "S72.0", "A09", "B34.9"])),
        "性别": pick(pa.array(["男", "女"])),
        "单位": pick(pool(S.company, 500)),
        "邮箱": where(i % 2 == 1, pc.binary_join_element_wise("user", pc.cast(pa.array(i), pa.string()),
                                                              "@example.com", ""), pa.nulls(n, pa.string())),
        "证件号码": where(i < n * 0.4, pa.array([""] * n), later_ids),
        # phone numbers kept as floats (as spreadsheets do), a few NaN near the end
        "手机号码": where((i > n * 0.95) & (i % 11 == 0), pa.array(np.full(n, np.nan)),
                      pc.cast(pick(pool(S.mobile, 20_000)), pa.float64())),
    })

"""Personal data inside free text (备注, 投诉内容): what kinds, how often, and where.

Two views of the same patterns. Vectorised counts over a whole column (RE2 through
``pyarrow.compute``) decide whether a column is ``free_text_pii``; :func:`find_spans` gives the
protection stage the exact character spans to redact in one text, and :func:`redact_text` does a
vectorised replacement for a whole column. Phones are also found when written ``138-1234-5678``,
``138 1234 5678`` or ``+86 138…``; Chinese names are found by a surname after a role word (来电人,
其母亲…) or before 先生/女士/反映/来电; addresses by place words followed by a house number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from shucang.classify import types as ST
from shucang.classify.vocab import SURNAMES_1, SURNAMES_2

_SURNAME = "(?:" + "|".join(sorted(SURNAMES_2)) + "|[" + "".join(sorted(SURNAMES_1)) + "])"
# surnames that are also everyday words (来电, 居民, 市民…): not trusted without a role word before them
_WORDY = set("来居市和时都那信展但干衣由相初门云容敬平国计海花权强南原乐满区位公利元富向明全成常安宁商经师党官车路房")
_LEAD_SURNAME = "(?:" + "|".join(sorted(SURNAMES_2)) + "|[" + "".join(sorted(SURNAMES_1 - _WORDY)) + "])"
_ROLE = ("来电人|来电者|市民|反映人|投诉人|举报人|户主|业主|当事人|联系人|姓名|父亲|母亲|丈夫|妻子|儿子|女儿|"
         "老人|患者|租户|房东|申请人|负责人|法人|店主|老板|邻居|孩子父亲|孩子母亲|爷爷|奶奶|外公|外婆|家属|"
         "驾驶员|司机|员工|工人|学生|居民|村民|签收人|收件人|经办人")
# Patterns in RE2 syntax, each with exactly one capture group: the entity itself.
# identifiers: the registry's free-text pattern of each type (the same one masking redacts with)
ENTITY_PATTERNS: dict[str, str] = {
    **{t.code: t.in_text("entity") for t in ST.text_types()},
    "address": r"((?:[\p{Han}]{2,4}(?:省|市))?(?:[\p{Han}]{2,4}(?:市|区|县))?(?:[\p{Han}]{2,5}(?:镇|乡|街道))?"
               r"[\p{Han}]{1,6}(?:村|路|街|大道|巷|弄|公路|线|小区|社区)[0-9一二三四五六七八九十]*(?:组)?[0-9]+号"
               r"(?:[\p{Han}]{0,8}[0-9]+(?:幢|栋|号楼))?(?:[0-9]+(?:单元|室))?)",
    "person_name": "(?:(?:" + _ROLE + r")[：:为是叫]?(" + _SURNAME + r"[\p{Han}]{1,2}?)(?:[（(，,。；、：:\s]|先生|女士|反映|来电|称|说|独|住|家住|居住|在|于|的|等|今|近|已|因|和|与|电话|手机|身份证|联系|$))",
    "person_name_lead": "(?:^|[。；，,\\s])(" + _LEAD_SURNAME + r"[\p{Han}]{1,2}?)(?:先生|女士|反映|来电|称|投诉|诉称)",
}
# Python ``re`` spelling of the same patterns (\p{Han} is RE2-only).
_PY = {k: re.compile(v.replace(r"[\p{Han}]", "[\u4e00-\u9fff]")) for k, v in ENTITY_PATTERNS.items()}
KINDS = ("id_card", "bank_card", "mobile_phone", "landline_phone", "email", "license_plate", "address",
         "person_name")


@dataclass(frozen=True)
class Span:
    """One entity in a text: characters ``start:end`` hold ``text`` of kind ``kind``."""

    start: int
    end: int
    kind: str
    text: str


def count_entities(values: pa.Array) -> tuple[dict[str, int], float]:
    """Entity counts per kind over ``values`` and the share of non-blank texts holding any entity."""
    counts, with_any, n = tally_entities(values)
    return counts, (with_any / n if n else 0.0)


def tally_entities(values: pa.Array) -> tuple[dict[str, int], int, int]:
    """Entity counts per kind, texts holding any entity, non-blank texts — numbers that add up over batches."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    nonblank = pc.fill_null(pc.greater(pc.utf8_length(values), 0), False)
    texts = values.filter(nonblank)
    n = len(texts)
    if n == 0:
        return {}, 0, 0
    any_hit = pa.array([False] * n)
    counts: dict[str, int] = {}
    for kind, pattern in ENTITY_PATTERNS.items():
        key = "person_name" if kind == "person_name_lead" else kind
        hits = pc.fill_null(pc.count_substring_regex(texts, pattern), 0)
        total = int(pc.sum(hits).as_py() or 0)
        if total:
            counts[key] = counts.get(key, 0) + total
            any_hit = pc.or_(any_hit, pc.greater(hits, 0))
    return counts, int(pc.sum(pc.cast(any_hit, pa.int64())).as_py() or 0), n


def find_spans(text: str) -> list[Span]:
    """Every entity in ``text``, left to right, overlaps resolved in favour of the longer span."""
    found: list[Span] = []
    for kind, rx in _PY.items():
        key = "person_name" if kind == "person_name_lead" else kind
        for m in rx.finditer(text):
            found.append(Span(m.start(1), m.end(1), key, m.group(1)))
    found.sort(key=lambda s: (s.start, -(s.end - s.start)))
    out: list[Span] = []
    for span in found:
        if out and span.start < out[-1].end:
            if span.end - span.start > out[-1].end - out[-1].start:
                out[-1] = span
            continue
        out.append(span)
    return out


def redact_text(values: pa.Array, *, keep_surname: bool = True, fill: str = "*") -> pa.StringArray:
    """Each text with its entities overwritten by ``fill`` (same length; names keep the surname).

    Texts without any entity are found with vectorised RE2 matches and passed through untouched;
    only the texts that hold something are rewritten span by span.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    hit = pa.array([False] * len(values))
    for pattern in ENTITY_PATTERNS.values():
        hit = pc.or_(hit, pc.fill_null(pc.match_substring_regex(values, pattern), False))
    rows = values.to_pylist()
    for i in pc.indices_nonzero(hit).to_pylist():
        text = rows[i]
        pieces: list[str] = []
        last = 0
        for span in find_spans(text):
            keep = 1 if (keep_surname and span.kind == "person_name") else 0
            pieces.append(text[last:span.start + keep])
            pieces.append(fill * (span.end - span.start - keep))
            last = span.end
        pieces.append(text[last:])
        rows[i] = "".join(pieces)
    return pa.array(rows, pa.string())

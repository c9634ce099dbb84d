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
from functools import cache

import pyarrow as pa
import pyarrow.compute as pc

from shucang.classify import types as ST

# Patterns in RE2 syntax, each with exactly one capture group: the entity itself. Every one is a registry
# record's: identifiers by their own bounded pattern (the same one masking redacts with), names and
# addresses by the patterns that find them in context (built from the record's word lists).
ENTITY_FINDERS: tuple[tuple[str, str], ...] = (
    *((t.code, t.in_text("entity")) for t in ST.text_types()),
    *((t.code, pattern) for t in ST.TYPES for pattern in t.text_in_context),
)
ENTITY_PATTERNS: dict[str, str] = {t.code: t.in_text("entity") for t in ST.text_types()}
"""The bounded pattern of each identifier type."""


@cache
def _python_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Python ``re`` spelling of the same patterns (\\p{Han} is RE2-only); compiled on first use, since
    every ingest imports this module and only protection asks for spans."""
    return tuple((k, re.compile(v.replace(r"[\p{Han}]", "[\u4e00-\u9fff]"))) for k, v in ENTITY_FINDERS)

KINDS = tuple(dict.fromkeys(kind for kind, _ in ENTITY_FINDERS))
# kinds whose masking keeps the first character (a name keeps its surname)
_KEEP_FIRST = frozenset(t.code for t in ST.TYPES if t.mask == "name" and t.text_in_context)


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
    for key, pattern in ENTITY_FINDERS:
        hits = pc.fill_null(pc.count_substring_regex(texts, pattern), 0)
        total = int(pc.sum(hits).as_py() or 0)
        if total:
            counts[key] = counts.get(key, 0) + total
            any_hit = pc.or_(any_hit, pc.greater(hits, 0))
    return counts, int(pc.sum(pc.cast(any_hit, pa.int64())).as_py() or 0), n


def find_spans(text: str) -> list[Span]:
    """Every entity in ``text``, left to right, overlaps resolved in favour of the longer span."""
    found: list[Span] = []
    for key, rx in _python_patterns():
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
    for _, pattern in ENTITY_FINDERS:
        hit = pc.or_(hit, pc.fill_null(pc.match_substring_regex(values, pattern), False))
    rows = values.to_pylist()
    for i in pc.indices_nonzero(hit).to_pylist():
        text = rows[i]
        pieces: list[str] = []
        last = 0
        for span in find_spans(text):
            keep = 1 if (keep_surname and span.kind in _KEEP_FIRST) else 0
            pieces.append(text[last:span.start + keep])
            pieces.append(fill * (span.end - span.start - keep))
            last = span.end
        pieces.append(text[last:])
        rows[i] = "".join(pieces)
    return pa.array(rows, pa.string())

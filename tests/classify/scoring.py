"""Scores of a classifier run against labels: macro-F1 over types and recall of sensitive columns.

Shared by the accuracy tests of the labelled dev tables and of the generated corpus. *Sensitive* is
a type whose default level is ≥ 3; a sensitive column counts as recalled when it is graded ≥ 3 (so
a name graded as a legal representative at L1 is a miss, an ID card typed as a passport is not), or
typed right and graded down on purpose by a context rule (a business's published address, L1).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from shucang.classify import TYPE_LEVELS, classify_table

Pair = tuple[str | None, str | None, int]  # (label, predicted type, predicted level)


@dataclass(frozen=True)
class Scores:
    columns: int
    macro_f1: float
    recall: float  # sensitive columns graded ≥ 3
    accuracy: float
    types: int


def score(pairs: list[Pair], *, strict: bool = False) -> Scores:
    """``strict``: a sensitive column counts as recalled only when graded ≥ 3 (no context-rule excuse)."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    high = hit = right = 0
    for want, got, level in pairs:
        if want == got:
            right += 1
            if want:
                tp[want] += 1
        else:
            if want:
                fn[want] += 1
            if got:
                fp[got] += 1
        if want and TYPE_LEVELS[want] >= 3:
            high += 1
            # graded ≥ 3, or typed right and deliberately graded down by a context rule (a business's address)
            hit += level >= 3 or (want == got and not strict)
    types = sorted(set(tp) | set(fn))
    f1s = []
    for t in types:
        p = tp[t] / (tp[t] + fp[t]) if tp[t] + fp[t] else 0.0
        r = tp[t] / (tp[t] + fn[t]) if tp[t] + fn[t] else 0.0
        f1s.append(2 * p * r / (p + r) if p + r else 0.0)
    return Scores(len(pairs), sum(f1s) / max(1, len(f1s)), hit / max(1, high), right / max(1, len(pairs)), len(types))


def run_corpus(split: str) -> tuple[list[Pair], list[tuple[str, str, str | None, str | None]]]:
    """Classify every table of a generated split: the pairs, and the misses (table, column, want, got)."""
    from tests.classify import corpus

    cfg = corpus.DEV if split == "dev" else corpus.HELDOUT
    pairs: list[Pair] = []
    misses = []
    for name, table, labels in corpus.build(cfg):
        result = classify_table(table)
        for col in result.columns:
            want = labels[col.name]
            pairs.append((want, col.type, col.level))
            if want != col.type:
                misses.append((name, col.name, want, col.type))
    return pairs, misses


if __name__ == "__main__":  # python -m tests.classify.scoring dev  (prints the misses of the dev split only)
    import sys

    split = sys.argv[1] if len(sys.argv) > 1 else "dev"
    pairs, misses = run_corpus(split)
    s = score(pairs)
    print(f"{split}: {s.columns} columns, {s.types} types, macro-F1 {s.macro_f1:.4f}, "
          f"sensitive recall {s.recall:.4f}, accuracy {s.accuracy:.4f}")
    if split == "dev":
        for m in misses:
            print(*m, sep="\t")

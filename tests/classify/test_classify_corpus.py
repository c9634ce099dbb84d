"""Accuracy on the generated adversarial corpus (:mod:`tests.classify.corpus`): dev and held-out splits.

The held-out split comes from its own generator config (seed, header pool, value variants) and is
never tuned on; the thresholds sit just below the figures measured when the rules were last changed
(dev macro-F1 1.000 / recall 1.000; held-out 0.995 / 0.995 — before the generalisation work they were
0.956 / 0.938 and 0.935 / 0.913). Run with ``-s`` to see the scores.
"""

from __future__ import annotations

import pytest
from tests.classify import corpus
from tests.classify.scoring import run_corpus, score

PINNED = {"dev": (0.995, 0.995), "heldout": (0.985, 0.99)}


@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_corpus_scores(split: str) -> None:
    pairs, misses = run_corpus(split)
    s = score(pairs)
    print(f"\n{split}: {s.columns} columns, {s.types} types, macro-F1 {s.macro_f1:.4f}, "
          f"sensitive recall {s.recall:.4f}, accuracy {s.accuracy:.4f}")
    assert s.types == 38  # every type of the taxonomy occurs
    f1, recall = PINNED[split]
    assert s.macro_f1 >= f1
    assert s.recall >= recall


def test_splits_share_no_header_spelling() -> None:
    """The held-out split is unseen: none of its header spellings occurs in the dev pool."""
    for key, (_label, _gen, _by_value, (dev, held)) in corpus.SLOTS.items():
        assert not set(dev) & set(held), key
    assert not set(corpus.DEV.junk_names) & set(corpus.HELDOUT.junk_names)
    assert corpus.DEV.seed != corpus.HELDOUT.seed


def test_corpus_is_deterministic() -> None:
    a = corpus.build(corpus.HELDOUT)[:3]
    b = corpus.build(corpus.HELDOUT)[:3]
    assert [(n, t.to_pylist(), lab) for n, t, lab in a] == [(n, t.to_pylist(), lab) for n, t, lab in b]

"""Classify stage (分类分级): what each column holds and how sensitive it is.

Pure detection and grading live in :mod:`identifiers`, :mod:`vocab`, :mod:`detect`, :mod:`freetext`,
:mod:`grade` and :mod:`classifier`; :mod:`store` keeps results, overrides and drift in the catalog.
Other stages call :func:`classify_table`, :func:`shucang.classify.store.column_grades` and
:func:`shucang.classify.freetext.find_spans`.
"""

from __future__ import annotations

from shucang.classify.classifier import ColumnClassification, TableClassification, classify_table
from shucang.classify.grade import DEFAULT_SCHEME, SCHEMES, TYPE_LEVELS, TYPE_NAMES_ZH, GradingScheme

__all__ = [
    "DEFAULT_SCHEME",
    "SCHEMES",
    "TYPE_LEVELS",
    "TYPE_NAMES_ZH",
    "ColumnClassification",
    "GradingScheme",
    "TableClassification",
    "classify_table",
]

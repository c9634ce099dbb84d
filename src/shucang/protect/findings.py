"""What a trace found — one small frozen record per piece of evidence — and the one rule that names
a recipient.

Each kind of evidence (:mod:`shucang.protect.trace`, :mod:`shucang.protect.decoy_index`) reports a
tail probability ``p_value`` under the null "this file did not come from that recipient". A trace
tests many hypotheses (every recipient per shape and key, every candidate extract), so a finding is
judged by its Bonferroni bound ``min(1, p · hypotheses)``, and :func:`accuses` is the only place
that decides whether that bound names someone. ``to_dict`` gives the JSON shape the CLI and the
answers have always shown (``kind`` first, then the fields in order).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

ACCUSE_BELOW = 1e-10
"""A recipient is named only when the chance that an innocent file does as well is at most this."""


def bound(p_value: float, hypotheses: int) -> float:
    """The false-accusation bound of a finding among ``hypotheses`` tested (Bonferroni)."""
    return min(1.0, p_value * max(1, hypotheses))


def accuses(bound_value: float) -> bool:
    """The accusation rule: whether a finding with this bound names its recipient."""
    return bound_value <= ACCUSE_BELOW


class _RecipientKeyed:
    """Evidence keyed per recipient (its pseudonym keys), not per extract: no extract or dataset to name."""

    @property
    def extract_id(self) -> str | None:
        return None

    @property
    def dataset(self) -> str | None:
        return None


@dataclass(frozen=True)
class PseudonymFinding(_RecipientKeyed):
    """Pseudonym codes decoding to one recipient's slot: ``votes`` of ``values`` distinct codes."""

    kind: ClassVar[str] = "pseudonym"
    recipient: str
    shape: str
    key_id: str
    votes: int
    values: int
    p_value: float


@dataclass(frozen=True)
class CheckDigitFinding(_RecipientKeyed):
    """Short pseudonyms (phones, cards) whose last digit agrees with one recipient's check key."""

    kind: ClassVar[str] = "check_digit"
    recipient: str
    shape: str
    key_id: str
    agree: int
    values: int
    p_value: float


@dataclass(frozen=True)
class NumericFinding:
    """Rounding sides of linked numeric cells agreeing with one extract's keyed sides."""

    kind: ClassVar[str] = "numeric"
    recipient: str
    extract_id: str
    dataset: str
    carriers: int
    agree: int
    p_value: float


@dataclass(frozen=True)
class DecoyFinding:
    """Decoy rows of one extract found in the file (``bits``: the evidence of the ``decoys_used`` strongest)."""

    kind: ClassVar[str] = "decoy"
    recipient: str
    extract_id: str
    dataset: str
    decoys_found: int
    decoys_used: int
    bits: float
    p_value: float


Finding = PseudonymFinding | CheckDigitFinding | NumericFinding | DecoyFinding


def finding_dict(finding: Finding) -> dict[str, Any]:
    """A finding as JSON: ``kind`` and its fields, in order."""
    return {"kind": finding.kind, **{f.name: getattr(finding, f.name) for f in fields(finding)}}


@dataclass(frozen=True)
class Weighed:
    """A finding with its bound among all the hypotheses of one trace."""

    finding: Finding
    bound: float

    @property
    def accuses(self) -> bool:
        return accuses(self.bound)

    def to_dict(self) -> dict[str, Any]:
        return finding_dict(self.finding) | {"bound": self.bound}


def weigh(findings: list[Finding], hypotheses: int) -> list[Weighed]:
    return [Weighed(f, bound(f.p_value, hypotheses)) for f in findings]


def settled(findings: list[Finding], hypotheses: int) -> bool:
    """Whether the evidence so far already names someone (costlier evidence is then not gathered)."""
    return bool(findings) and accuses(bound(min(f.p_value for f in findings), hypotheses))

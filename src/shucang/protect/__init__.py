"""Protect stage: masking, pseudonyms, k-anonymity, fingerprinted releases and tracing.

Other stages call :func:`protect_for_recipient` (every exit), the recipient functions (the sharing
stage's users are recipients) and :func:`check_k_anonymity` / :func:`refuse_below_k` (open data).
"""

from shucang.protect.extract import ExtractOptions, extract_dataset
from shucang.protect.kanon import KAnonReport, check_k_anonymity, refuse, refuse_below_k
from shucang.protect.masking import apply_mask, mask_for_type, redact_text
from shucang.protect.policy import Policy, load_policy, set_column_rule
from shucang.protect.recipients import Recipient, get_recipient, list_recipients, upsert_recipient
from shucang.protect.registry import ExtractRecord, get_extract, list_extracts
from shucang.protect.release import (
    ProtectedRelease,
    ReleaseRequest,
    ReleaseSetup,
    prepare_release,
    protect_for_recipient,
)
from shucang.protect.trace import trace_file

__all__ = [
    "ExtractOptions",
    "ExtractRecord",
    "KAnonReport",
    "Policy",
    "ProtectedRelease",
    "ReleaseRequest",
    "ReleaseSetup",
    "Recipient",
    "apply_mask",
    "check_k_anonymity",
    "extract_dataset",
    "get_extract",
    "get_recipient",
    "list_extracts",
    "list_recipients",
    "load_policy",
    "mask_for_type",
    "prepare_release",
    "protect_for_recipient",
    "redact_text",
    "refuse",
    "refuse_below_k",
    "set_column_rule",
    "trace_file",
    "upsert_recipient",
]

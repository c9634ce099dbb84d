"""The registry is the only place a type is defined: no module of the stages that handle type codes
spells one as a literal (in a condition, a dict key, a set of types…), and every rule a record names
is one the stages apply to every record alike.

Adding a type is one record in ``classify/types.py`` (its word lists in ``classify/typedata.py``)
plus its tests; a literal type code elsewhere is a per-type rule the registry does not know about.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pyarrow as pa
import pytest

from shucang.classify import shares, types
from shucang.classify.detect import detect_column

SRC = Path(types.__file__).resolve().parents[1]
CODES = frozenset(t.code for t in types.TYPES)

# The stages that receive type codes (the ones below them never see one; the ones above them use
# columns that merely share a spelling, such as an economy table's ``revenue`` column).
SCANNED = ("classify", "protect", "share", "api", "cli", "web", "platform.py")

# The registry: its records, the rules they name, their word lists.
REGISTRY = ("classify/types.py", "classify/typemodel.py", "classify/typedata.py")
# (module, top-level definition or "*") → why a literal type code is not a per-type rule there.
ALLOWED: dict[tuple[str, str], str] = {
    ("classify/shares.py", "*"):
        "value detectors are named, and several after the type they test (``id_card``: format and "
        "check digit); records refer to detectors by these names (validators, values_say, fits_header)",
    ("classify/fullscan.py", "_DISTINCT_RULES"):
        "detector names (not types) whose rules read a column's distinct count, so a full scan knows when "
        "to collect distinct values batch by batch",
    ("classify/vocab.py", "_EN"): "``company_name`` there is an English header phrase, not the type",
    ("protect/masking.py", "STRATEGIES"): "``email`` and ``address`` are masking rule names (a record's ``mask``)",
    ("protect/decoy_draws.py", "digits_draw"): "``uscc`` is the check-character algorithm's name (a record's ``check``)",
    ("web/dictionary.py", "*"): "labels of dataset column names that share a spelling with type codes",
}


def _modules() -> list[Path]:
    out: list[Path] = []
    for part in SCANNED:
        path = SRC / part
        out += [path] if path.suffix == ".py" else sorted(path.rglob("*.py"))
    return out


def _is_registry_lookup(node: ast.AST, parent: ast.AST | None) -> bool:
    """``ST.get("id_card")``: reading a record by its code derives from the registry."""
    return (isinstance(parent, ast.Call) and node in parent.args and isinstance(parent.func, ast.Attribute)
            and parent.func.attr == "get" and isinstance(parent.func.value, ast.Name)
            and parent.func.value.id in ("ST", "types"))


def _top_name(stmt: ast.stmt) -> str:
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return stmt.name
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
    names = [t.id for t in targets if isinstance(t, ast.Name)]
    return names[0] if names else type(stmt).__name__


def literal_type_codes(path: Path) -> list[tuple[str, int, str]]:
    """(top-level definition, line, code) of every type code spelled as a string literal in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, int, str]] = []
    for stmt in tree.body:
        parents: dict[ast.AST, ast.AST] = {child: node for node in ast.walk(stmt) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(stmt):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in CODES
                    and not _is_registry_lookup(node, parents.get(node))):
                if isinstance(parents.get(node), ast.Expr):
                    continue  # a docstring
                found.append((_top_name(stmt), node.lineno, node.value))
    return found


def test_no_stage_spells_a_type_code() -> None:
    offenders = []
    for path in _modules():
        rel = path.relative_to(SRC).as_posix()
        if rel in REGISTRY or (rel, "*") in ALLOWED:
            continue
        offenders += [f"{rel}:{line} {where}: {code!r}" for where, line, code in literal_type_codes(path)
                      if (rel, where) not in ALLOWED]
    assert not offenders, "per-type rules outside the registry:\n" + "\n".join(offenders)


def test_the_scan_would_catch_one(tmp_path: Path) -> None:
    """The check is real: a per-type condition, dict key or set of types is found; lookups are not."""
    probe = tmp_path / "probe.py"
    probe.write_text('X = {"income", "revenue"}\n'
                     'def f(t):\n    return t == "id_card"\n'
                     'TABLE = {"email": 1}\n'
                     'R = ST.get("vin")\n', encoding="utf-8")
    assert [(w, c) for w, _, c in literal_type_codes(probe)] == [
        ("X", "income"), ("X", "revenue"), ("f", "id_card"), ("TABLE", "email")]


def test_allowlist_is_small_and_current() -> None:
    """Every entry still names a definition that holds type codes (a stale entry hides nothing)."""
    assert len(ALLOWED) <= 6
    for (rel, where), why in ALLOWED.items():
        assert why
        if where != "*":
            assert any(w == where for w, _, _ in literal_type_codes(SRC / rel)), (rel, where)


def _detector_keys() -> set[str]:
    src = Path(shares.__file__).read_text(encoding="utf-8")
    named = set(re.findall(r'(?:put|want|sh\[)\(?"([a-z_0-9]+)"', src)) | {"date", "datetime"}
    return named | {t.code for t in types.TYPES if t.words}  # dictionary detectors, one per record with words


class _Recorder(types.Evidence):
    """Evidence that records which detectors a rule reads."""

    def __init__(self, shares: dict[str, float], header: str | None) -> None:
        super().__init__(shares, {"avg_len": 20.0}, n=50, header=header, head=header, distinct=lambda: 50)
        self.read: set[str] = set()

    def __getitem__(self, detector: str) -> float:
        self.read.add(detector)
        return super().__getitem__(detector)


@pytest.mark.parametrize("code", sorted(CODES))
def test_record_rules_read_real_detectors(code: str) -> None:
    """A rule that reads a detector nobody measures is silently 0: every name a record's rules read is
    one :func:`shares.count_values` measures, and every validator too."""
    t = types.get(code)
    keys = _detector_keys()
    assert set(t.validators) <= keys, set(t.validators) - keys
    for level in (0.0, 0.5, 1.0):
        for header in (None, code):
            v = _Recorder(dict.fromkeys(keys, level), header)
            t.claim(v)
            t.fit(v)
            if t.header_means:
                meant = t.header_means(v)
                assert meant is None or meant in CODES
            assert v.read <= keys, v.read - keys
    assert t.refines is None or t.refines in CODES
    assert t.agrees_with is None or types.carrying(t.agrees_with)


def test_rules_are_applied_to_every_record_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    """A record's rules are what decide: the detector applies records, it knows no type."""
    vals = pa.array([f"{130 + i % 5}{i:08d}" for i in range(60)])  # mobile numbers
    assert detect_column("column7", vals).type == "mobile_phone"
    mobile = types.get("mobile_phone")
    silent = types.SensitiveType(**{**mobile.__dict__, "values_say": lambda v: 0.0})
    monkeypatch.setattr(types, "TYPES", tuple(silent if t is mobile else t for t in types.TYPES))
    assert detect_column("column7", vals).type != "mobile_phone"
    assert detect_column("手机号码", vals).type == "mobile_phone"  # its header rule still holds

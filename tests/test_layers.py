"""The house's floors: a package imports only packages on a floor below its own (issue 17).

Every ``import shucang.X`` / ``from shucang.X import …`` under ``src/shucang`` is read from the source
(imports inside functions and under ``TYPE_CHECKING`` included) and checked against :data:`FLOORS`.
``platform.py`` is the one module that knows every stage; ``shucang.api.app`` is the one module that
assembles both HTTP shells into the ASGI app; the CLI's ``serve`` command starts that app. Those are
the only edges allowed sideways (see docs/architecture.md).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "shucang"

FLOORS: dict[str, float] = {
    # the ground every stage stands on: errors, settings, and the package's re-exports of both
    "errors": 0, "reexports": 0, "settings": 0.1, "__init__": 0.2,
    # the data flow
    "ingest": 1,
    "warehouse": 2,
    "classify": 3,
    "protect": 4,
    "share": 5,
    "plan": 6,
    # domain stages on top of the flow; none of them knows another
    "economy": 7, "city": 7, "collect": 7, "backup": 7, "demo": 7,
    # the one module that knows every stage (after-ingest hooks, demo build, catalog preparation)
    "platform": 8,
    # what the two HTTP shells share: caller, login, error answers, static URLs
    "shell": 9,
    # the shells
    "api": 10, "web": 10, "cli": 10, "__main__": 10,
}
"""Floor of each top-level package or module of ``shucang``."""

ALLOWED: dict[tuple[str, str], str] = {
    ("api/app.py", "web"): "the assembly module: includes the API routers and mounts the cockpit",
    ("cli/warehouse_cmds.py", "api"): "`shucang serve` starts the ASGI app",
    ("__main__.py", "cli"): "`python -m shucang` is the CLI",
}
"""(module, imported package) edges allowed although the package is not on a lower floor, and why."""


def _package(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, top-level shucang package) of every absolute ``shucang.*`` import in the file."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "shucang":  # a submodule, or a name the package's __init__ re-exports
                names = [f"shucang.{a.name}" if (SRC / a.name).is_dir() or (SRC / f"{a.name}.py").is_file()
                         else "shucang.__init__" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "shucang" and len(parts) > 1:
                found.append((node.lineno, parts[1]))
    return found


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_every_package_has_a_floor() -> None:
    packages = {_package(p) for p in _modules()}
    assert packages - set(FLOORS) == set(), "place the new package in FLOORS (tests/test_layers.py)"


def test_no_relative_imports_hide_an_edge() -> None:
    """Relative imports would slip past the check below (``from ..web import x``)."""
    offenders = [f"{p.relative_to(SRC)}:{n.lineno}" for p in _modules()
                 for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
                 if isinstance(n, ast.ImportFrom) and n.level > 1]
    assert offenders == []


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_only_go_down(path: Path) -> None:
    own = _package(path)
    rel = path.relative_to(SRC).as_posix()
    wrong = [f"{rel}:{line} imports shucang.{target} (floor {FLOORS.get(target)} ≥ {own}'s {FLOORS.get(own)})"
             for line, target in _imports(path)
             if target != own and FLOORS.get(target, 99) >= FLOORS.get(own, -1) and (rel, target) not in ALLOWED]
    assert wrong == []


def test_the_checker_sees_a_wrong_edge(tmp_path: Path) -> None:
    """The parser finds imports inside functions, which is where a sideways edge usually hides."""
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from shucang.api.deps import get_actor\n    import shucang.web.render\n")
    assert _imports(probe) == [(2, "api"), (3, "web")]


def test_web_and_api_meet_only_in_the_assembly_module() -> None:
    crossings = sorted((p.relative_to(SRC).as_posix(), t) for p in _modules() for _, t in _imports(p)
                       if {_package(p), t} == {"api", "web"})
    assert crossings == [("api/app.py", "web")]


SQL_IN_SHELL = re.compile(r"\bsa\.(select|insert|update|delete|text|func)\b|\.execute\(|\bwh\.sql\(|\.sql\(|"
                          r"\bSELECT\s|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b|"
                          r"^\s*(import|from)\s+(sqlalchemy|duckdb)\b", re.MULTILINE)
"""What a query looks like in Python source: SQLAlchemy Core, a DB-API call, the warehouse's SQL, SQL text."""


def _sql_lines(text: str) -> list[int]:
    return sorted({text.count("\n", 0, m.start()) + 1 for m in SQL_IN_SHELL.finditer(text)})


def test_the_web_runs_no_sql() -> None:
    """The cockpit asks the core stages (which own their tables) and renders; it queries nothing itself
    (issue 17): each figure comes from a typed function of the stage that owns the data."""
    offenders = [f"{p.relative_to(SRC)}:{line}" for p in sorted((SRC / "web").rglob("*.py"))
                 for line in _sql_lines(p.read_text(encoding="utf-8"))]
    assert offenders == [], "move the query into the core stage that owns the table"


@pytest.mark.parametrize("source", [
    "import sqlalchemy as sa\n", "    rows = conn.execute(stmt)\n", "t = wh.sql('x')\n",
    "q = sa.select(datasets.c.id)\n", 'sql = "SELECT DISTINCT v FROM t"\n', "from duckdb import connect\n",
])
def test_the_sql_check_sees_a_query(source: str) -> None:
    assert _sql_lines("x = 1\n" + source) == [2]


def test_the_sql_check_leaves_words_alone() -> None:
    assert _sql_lines('label = _("Select a dataset")\nupdated = row["updated_at"]\n') == []

"""Read plan YAML files into :class:`~shucang.plan.model.Plan`, checking every field with its line.

Errors name the file, the line and the path of the field, all collected before raising, e.g.
``cixi-14th.yaml:42: indicators[3].target.value: 需要数字 (a number is required), got 'abc'``.
Plans are found in the bundled ``plan/plans/`` directory and in ``<home>/plans/``; a plan in the
home with the same id replaces the bundled one (so a county can correct or extend it). Files whose
name ends in ``-actuals.yaml`` hold values, not plans, and are skipped.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from shucang.errors import InputError, NotFound
from shucang.plan import model as m
from shucang.plan.yamlcheck import Checker, FileCache, read_yaml

BUNDLED_DIR = Path(__file__).parent / "plans"
DEFAULT_PLAN_ID = "cixi-14th"


def parse_plan(text: str, name: str = "plan.yaml", *, path: Path | None = None,
               origin: str = "bundled") -> m.Plan:
    """Validate and build a plan from YAML text; raise InputError listing every problem."""
    from shucang.plan.schema import build_plan

    data = read_yaml(text, name)
    check = Checker(name)
    if not isinstance(data, dict):
        raise InputError(f"{name}:1: 规划文件须为映射 (a plan file is a YAML mapping)")
    plan = build_plan(data, check, path=path, origin=origin)
    check.raise_if_any()
    assert plan is not None
    return plan


_files: FileCache[m.Plan] = FileCache("规划文件须为 UTF-8 编码 (plan files must be UTF-8)")


def load_plan_file(path: Path, origin: str = "file") -> m.Plan:
    """Load one plan file (cached by path, size, modification time and origin)."""
    if not path.is_file():
        raise NotFound(f"规划文件不存在 (plan file not found): {path}")
    return _files.load(path, lambda text: parse_plan(text, path.name, path=path, origin=origin), origin)


def plan_dirs(home: Path | None) -> list[tuple[Path, str]]:
    """Directories searched for plans, lowest precedence first."""
    dirs = [(BUNDLED_DIR, "bundled")]
    if home is not None:
        dirs.append((home / "plans", "home"))
    return dirs


def discover_plans(home: Path | None) -> dict[str, m.Plan]:
    """Every plan by id; a home plan replaces a bundled plan of the same id."""
    found: dict[str, m.Plan] = {}
    for directory, origin in plan_dirs(home):
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.yaml")):
            if path.name.endswith("-actuals.yaml"):
                continue
            plan = load_plan_file(path, origin)
            found[plan.id] = plan
    return found


def default_plan_id(plans: dict[str, m.Plan], today: date | None = None) -> str:
    """The plan whose period contains today, else the most recent one (latest end, then start year);
    among equals the bundled Cixi plan, then the id."""
    year = (today or date.today()).year
    if not plans:
        return DEFAULT_PLAN_ID
    current = [p for p in plans.values() if p.start_year <= year <= p.end_year]
    pool = current or [p for p in plans.values() if p.start_year <= year] or list(plans.values())
    return max(pool, key=lambda p: (p.end_year, p.start_year, p.id == DEFAULT_PLAN_ID, p.id)).id


def find_plan(home: Path | None, plan_id: str | None = None) -> m.Plan:
    """The named plan, or the default plan (:func:`default_plan_id`) when none is named."""
    plans = discover_plans(home)
    wanted = plan_id or default_plan_id(plans)
    if wanted in plans:
        return plans[wanted]
    known = ", ".join(sorted(plans)) or "无 (none)"
    raise NotFound(f"没有编号为 {wanted!r} 的规划 (no such plan); 现有 (known): {known}",
                   hint="用 `shucang plan list` 查看 (see `shucang plan list`)")

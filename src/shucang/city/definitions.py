"""Signs as data: read signs YAML files (bundled and in ``<home>/signs/``), checking every field with
its line, and add new signs from the command line.

A file holds ``signs:`` — a list of mappings (fields: docs/city.md). Errors name the file, the line
and the field, all collected before raising, e.g. ``water.yaml:12: signs[2].red_above: 需要数字``.
A sign in the home with the same id replaces the bundled one (a county can retune a band).
The line-keeping YAML reader, the checker and the file cache are shared with plan files
(``shucang.plan.yamlcheck``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from shucang.city.model import KINDS, History, Sign
from shucang.errors import Conflict, InputError, NotFound
from shucang.plan.yamlcheck import Checker, FileCache, read_yaml
from shucang.warehouse.models import CADENCES, DATASET_NAME

BUNDLED_DIR = Path(__file__).parent / "signs"
SIGN_ID = re.compile(r"^[a-z][a-z0-9_\-]{0,63}$")
SIGN_KEYS = {"id", "title", "dataset", "sql", "unit", "department", "kind", "yellow_above", "red_above",
             "yellow_below", "red_below", "history", "consecutive", "cadence", "open", "note"}
HISTORY_KEYS = {"weeks", "yellow_k", "red_k", "direction"}


def _history(check: Checker, raw: dict[str, Any], where: str) -> History | None:
    value = check.field(raw, "history", where, "map", required=False)
    if value is None:
        return None
    path = f"{where}.history"
    check.unknown(value, HISTORY_KEYS, path)
    weeks = check.field(value, "weeks", path, "int", required=False, default=8)
    yellow_k = check.field(value, "yellow_k", path, "number", required=False, default=2.0)
    red_k = check.field(value, "red_k", path, "number", required=False, default=3.0)
    direction = check.field(value, "direction", path, "str", required=False, default="both",
                            choices=("both", "above", "below"))
    if not 2 <= weeks <= 104:
        check.error(check.line_of(value, "weeks"), f"{path}.weeks", f"须在 2–104 之间 (2 to 104), got {weeks}")
    if yellow_k > red_k:
        check.error(check.line_of(value, "yellow_k"), f"{path}.yellow_k", "关注倍数须不大于预警倍数 (yellow_k ≤ red_k)")
    return History(weeks=weeks, yellow_k=float(yellow_k), red_k=float(red_k), direction=direction)


def build_sign(check: Checker, raw: Any, where: str, line: int, origin: str) -> Sign | None:
    """One sign from its YAML mapping (or the CLI's options), errors collected in ``check``."""
    if not check.mapping(where, line, raw):
        return None
    check.unknown(raw, SIGN_KEYS, where)
    sign_id = check.field(raw, "id", where, "str")
    if sign_id is not None and not SIGN_ID.match(sign_id):
        check.error(check.line_of(raw, "id"), f"{where}.id",
                    f"编号只能用小写字母、数字、_ - (ASCII id, e.g. water_level), got {sign_id!r}")
    dataset = check.field(raw, "dataset", where, "str")
    if dataset is not None and not DATASET_NAME.match(dataset):
        check.error(check.line_of(raw, "dataset"), f"{where}.dataset", f"数据集名称无效 (invalid dataset name) {dataset!r}")
    sql = check.field(raw, "sql", where, "str")
    if sql is not None:
        _check_sql(check, check.line_of(raw, "sql"), f"{where}.sql", sql, dataset)
    bands = {k: check.field(raw, k, where, "number", required=False)
             for k in ("yellow_above", "red_above", "yellow_below", "red_below")}
    history = _history(check, raw, where)
    if all(v is None for v in bands.values()) and history is None:
        check.error(line, where, "至少需要一个阈值或 history 基线 (a threshold or a history band is required)")
    if bands["yellow_above"] is not None and bands["red_above"] is not None and bands["red_above"] < bands["yellow_above"]:
        check.error(check.line_of(raw, "red_above"), f"{where}.red_above", "预警上限须不低于关注上限 (red_above ≥ yellow_above)")
    if bands["yellow_below"] is not None and bands["red_below"] is not None and bands["red_below"] > bands["yellow_below"]:
        check.error(check.line_of(raw, "red_below"), f"{where}.red_below", "预警下限须不高于关注下限 (red_below ≤ yellow_below)")
    consecutive = check.field(raw, "consecutive", where, "int", required=False, default=1)
    if not 1 <= consecutive <= 100:
        check.error(check.line_of(raw, "consecutive"), f"{where}.consecutive", f"须在 1–100 之间, got {consecutive}")
    fields = dict(
        title=check.field(raw, "title", where, "str", required=False, default=""),
        unit=check.field(raw, "unit", where, "str", required=False, default=""),
        department=check.field(raw, "department", where, "str", required=False),
        kind=check.field(raw, "kind", where, "str", required=False, default="other", choices=KINDS),
        cadence=check.field(raw, "cadence", where, "str", required=False, choices=CADENCES),
        open=check.field(raw, "open", where, "bool", required=False, default=False),
        note=check.field(raw, "note", where, "str", required=False, default=""),
    )
    if sign_id is None or dataset is None or sql is None or check.errors:
        return None
    return Sign(id=sign_id, dataset=dataset, sql=sql.strip(), history=history, consecutive=consecutive,
                origin=origin, **bands, **fields)


def _check_sql(check: Checker, line: int, where: str, sql: str, dataset: str | None) -> None:
    """One read-only SELECT naming ``grp`` and ``value`` (the warehouse checks it again when it runs)."""
    from shucang.warehouse.query import check_read_only

    try:
        check_read_only(sql)
    except InputError as exc:
        check.error(line, where, exc.message)
        return
    lowered = sql.lower()
    for column in ("grp", "value"):
        if not re.search(rf"\b{column}\b", lowered):
            check.error(line, where, f"查询须返回列 {column} (the query must return a column named {column})")
    if dataset and dataset.lower() not in lowered:
        check.error(line, where, f"查询须读取数据集 {dataset} (the query must read its dataset {dataset})")


def parse_signs(text: str, name: str, origin: str = "file") -> list[Sign]:
    """Every sign of one YAML text; InputError listing every problem with its line and field."""
    data = read_yaml(text, name)
    check = Checker(name)
    if not isinstance(data, dict) or "signs" not in data:
        raise InputError(f"{name}:1: 体征文件须为含 signs 列表的映射 (a signs file is a mapping with a 'signs' list)")
    check.unknown(data, {"signs"}, "")
    out: list[Sign] = []
    seen: dict[str, int] = {}
    for where, line, raw in check.items(data, "signs", "", required=True):
        sign = build_sign(check, raw, where, line, origin)
        if sign is None:
            continue
        if sign.id in seen:
            check.error(line, f"{where}.id", f"编号 {sign.id!r} 重复 (duplicate id; first at line {seen[sign.id]})")
        seen[sign.id] = line
        out.append(sign)
    check.raise_if_any("体征文件")
    return out


def sign_dirs(home: Path | None) -> list[tuple[Path, str]]:
    dirs = [(BUNDLED_DIR, "bundled")]
    if home is not None:
        dirs.append((home / "signs", "home"))
    return dirs


_files: FileCache[list[Sign]] = FileCache("体征文件须为 UTF-8 编码 (signs files must be UTF-8)")


def _read_file(path: Path, origin: str) -> list[Sign]:
    return _files.load(path, lambda text: parse_signs(text, path.name, origin))


def load_signs(home: Path | None) -> dict[str, Sign]:
    """Every sign by id, bundled first; a home sign replaces a bundled one of the same id."""
    found: dict[str, Sign] = {}
    for directory, origin in sign_dirs(home):
        if directory.is_dir():
            for path in sorted(directory.glob("*.yaml")):
                for sign in _read_file(path, origin):
                    found[sign.id] = sign
    return found


def find_sign(home: Path | None, sign_id: str) -> Sign:
    signs = load_signs(home)
    if sign_id not in signs:
        raise NotFound(f"没有编号为 {sign_id!r} 的体征 (no such sign)", hint="see `shucang signs list`")
    return signs[sign_id]


def add_sign(home: Path, values: dict[str, Any], *, replace: bool = False) -> Sign:
    """Validate a sign given as plain values and write it to ``<home>/signs/<id>.yaml``."""
    clean = {k: v for k, v in values.items() if v is not None and v != ""}
    text = yaml.safe_dump({"signs": [clean]}, allow_unicode=True, sort_keys=False)
    name = f"{clean.get('id', 'sign')}.yaml"
    sign = parse_signs(text, name, "home")[0]
    target = home / "signs" / f"{sign.id}.yaml"
    if not replace and sign.id in load_signs(home) and not target.exists():
        pass  # overriding a bundled sign from the home is allowed: the home one wins
    elif not replace and target.exists():
        raise Conflict(f"体征 {sign.id} 已存在 (sign exists): {target}", hint="use --replace to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("# 由 shucang signs add 写入 (written by shucang signs add)\n" + text, encoding="utf-8")
    return sign

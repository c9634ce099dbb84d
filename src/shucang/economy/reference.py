"""Bundled reference data: industry chains and the digital-economy core industries, by industry code.

Both are GB/T 4754-2017 code lists shipped as YAML with their sources: the chains here (``data/``),
the core industries in the plan stage (:mod:`shucang.plan.industry_codes`), whose metrics read them
too. A county edits its chains in ``<home>/economy/chains.yaml``: chains there replace bundled ones
with the same id, add new ones, or switch one off with ``enabled: false``. Codes are prefixes:
``385`` covers 3851 … 3859.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from shucang.errors import InputError
from shucang.plan.industry_codes import DigitalCore, digital_core, is_digital_core_sql

__all__ = ["Chain", "DigitalCore", "chain_prefixes", "chains_source", "digital_core", "is_digital_core_sql",
           "load_chains"]


@dataclass(frozen=True)
class Chain:
    id: str
    name: str
    codes: tuple[str, ...]
    note: str = ""

    def covers(self, code: str | None) -> bool:
        return bool(code) and any(str(code).startswith(p) for p in self.codes)


def _bundled(name: str) -> dict[str, Any]:
    text = resources.files("shucang.economy").joinpath("data", name).read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _county_file(home: Path | None, name: str) -> Path | None:
    if home is None:
        return None
    path = home / "economy" / name
    return path if path.is_file() else None


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"无法读取 {path} (invalid YAML): {str(exc).splitlines()[0]}") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path} 应为映射 (must be a mapping)")
    return data


def _chain(item: Any, where: str) -> Chain:
    if not isinstance(item, dict) or not item.get("id") or not item.get("name"):
        raise InputError(f"{where}: 每条产业链需要 id 与 name (each chain needs an id and a name)")
    codes = tuple(str(c).strip() for c in item.get("codes") or [])
    if not codes or not all(c.isdigit() and 2 <= len(c) <= 4 for c in codes):
        raise InputError(f"{where}: 产业链 {item['id']} 的行业代码须为2–4位数字 (codes must be 2–4 digits)")
    return Chain(str(item["id"]), str(item["name"]), codes, str(item.get("note") or ""))


def load_chains(home: Path | None = None) -> list[Chain]:
    """The chains in force: bundled, then the county's file over them (by id)."""
    bundled = _bundled("chains.yaml")
    chains = {c.id: c for c in (_chain(i, "chains.yaml") for i in bundled["chains"])}
    path = _county_file(home, "chains.yaml")
    if path is not None:
        for item in _read_yaml(path).get("chains") or []:
            if isinstance(item, dict) and item.get("enabled") is False and item.get("id"):
                chains.pop(str(item["id"]), None)
                continue
            c = _chain(item, str(path))
            chains[c.id] = c
    return list(chains.values())


def chains_source(home: Path | None = None) -> str:
    source = str(_bundled("chains.yaml").get("source", "")).strip()
    path = _county_file(home, "chains.yaml")
    return source + (f"；本县修订: {path}" if path else "")


def chain_prefixes(chains: list[Chain]) -> tuple[list[str], list[str], list[str]]:
    """Parallel lists (prefix, chain id, chain name) for a SQL join on ``starts_with``."""
    rows = [(p, c.id, c.name) for c in chains for p in c.codes]
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]

"""The masking policy: which rule each column gets when it is graded above a recipient's clearance.

Precedence, most specific first: a catalog rule for ``dataset.column`` (``shucang protect rule set``),
the policy file's ``columns`` entry (``dataset.column`` or ``*.column``), its ``types`` entry, the
channel's treatment of direct identifiers, and finally the type's display mask from
:mod:`shucang.protect.masking`. The policy file is ``HOME/protect-policy.yaml``::

    identifiers: {extract: pseudonym, api: pseudonym, display: mask, opendata: drop}
    types:
      id_card: {strategy: keep_ends, head: 1, tail: 1}     # strictest 1 + 1
    columns:
      population.address: {strategy: drop}
      "*.备注": {strategy: free_text}
    fingerprint: {numeric_tolerance: 0.001, window: 0.05}
    decoys: {mode: auto, per_million: 10000, minimum: 1, min_rows: 1000, datasets: {population: on}}
    k_anonymity: {k: 5}
    small_cells: {k: 5}       # grouped counts/sums for non-admins: groups smaller than k are suppressed

Decoy rows (:mod:`shucang.protect.decoys`) go into file extracts only: ``auto`` adds them where nothing
else can carry a mark (a full-clearance copy without numeric measures), ``on`` to every extract,
``off`` never; ``datasets`` overrides the mode per dataset (e.g. ``off`` for statistical tables).

Channels: files that leave the warehouse (``extract``) and API answers (``api``) get keyed,
joinable pseudonyms for direct identifiers (静态脱敏: usable for joins, and they carry the
recipient's mark); screens (``display``) show the familiar partial masks (动态脱敏); open data drops
direct identifiers altogether.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import yaml

from shucang.classify import types as ST
from shucang.errors import InputError
from shucang.protect.masking import DEFAULT_MASKS, STRATEGIES
from shucang.protect.tables import ensure_tables, rules

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

POLICY_FILE = "protect-policy.yaml"
CHANNELS = ("extract", "api", "display", "opendata")
RELEASE_STRATEGIES = ("pseudonym", "hash", "drop", "none")
IDENTIFIER_SHAPES: dict[str, str] = {t.code: t.pseudonym for t in ST.TYPES if t.pseudonym}
"""Direct identifiers that a channel may pseudonymise, with the token shape that keeps their format."""
NEVER_SHOWN_TYPES = tuple(t.code for t in ST.TYPES if t.never_shown)
OPEN_DATA_DROP = frozenset(t.code for t in ST.TYPES if t.open_data_drop)
"""Types an open-data release drops when they are graded above its level."""
IDENTIFYING_TYPES = ST.in_group("identifying")
"""Columns that name a person on their own: a file extract releasing any of them as stored gets decoy rows
(policy ``auto``), since a leaker may keep just two of them and nothing else."""
"""Types masked for every recipient, whatever the clearance (密码/密钥)."""


@dataclass(frozen=True)
class ColumnRule:
    """One column's treatment: a masking strategy name and its parameters."""

    strategy: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"strategy": self.strategy, **self.params}


def _rule(spec: Any, where: str) -> ColumnRule:
    if isinstance(spec, str):
        spec = {"strategy": spec}
    if not isinstance(spec, dict) or "strategy" not in spec:
        raise InputError(f"脱敏策略配置无效 (bad rule) at {where}", hint="write {strategy: NAME, …params}")
    params = {k: v for k, v in spec.items() if k != "strategy"}
    strategy = str(spec["strategy"])
    if strategy not in STRATEGIES and strategy not in RELEASE_STRATEGIES:
        raise InputError(f"未知脱敏策略 (unknown strategy) {strategy!r} at {where}",
                         hint="one of " + ", ".join(sorted([*STRATEGIES, *RELEASE_STRATEGIES])))
    return ColumnRule(strategy, params)


@dataclass(frozen=True)
class Policy:
    """Masking and fingerprint settings in force for one release."""

    identifiers: dict[str, str] = field(default_factory=lambda: {
        "extract": "pseudonym", "api": "pseudonym", "display": "mask", "opendata": "drop"})
    """Per channel: pseudonym | mask | drop for direct identifiers graded above the clearance."""
    types: dict[str, ColumnRule] = field(default_factory=dict)
    columns: dict[str, ColumnRule] = field(default_factory=dict)
    """Keys ``dataset.column`` or ``*.column``."""
    numeric_tolerance: float = 0.001
    """Largest relative change a fingerprint may make to one numeric cell (0.1 %)."""
    window: float = 0.05
    """Half-width, in units of the 3-significant-digit step, of the band around a rounding boundary
    where numeric cells carry a mark (about 10 % of cells are carriers, half of them change)."""
    k: int = 5
    """Smallest equivalence class an open-data release may have."""
    small_cell_k: int = 5
    """Smallest group a grouped count/sum served to a non-admin may describe (smaller: suppressed)."""
    decoy_mode: str = "auto"
    """auto | on | off: decoy rows in file extracts (auto: where an identifying column leaves as stored,
    or nothing else carries a mark)."""
    decoy_per_million: float = 10_000.0
    """Decoys per million extracted rows (10,000 = 1 % of rows: a 1,000-row leak keeping any two identifying
    columns of a full-clearance copy holds enough of them in ≥ 95 % of cases; 700 suffices for 10,000-row
    leaks)."""
    decoy_minimum: int = 1
    """Fewest decoys an extract with decoys gets."""
    decoy_min_rows: int = 1000
    """``auto`` adds decoys only to extracts of at least this many rows."""
    decoy_datasets: dict[str, str] = field(default_factory=dict)
    """Per-dataset mode overriding ``decoy_mode`` (e.g. ``off`` for a statistical table)."""

    def decoy_mode_for(self, dataset: str) -> str:
        return self.decoy_datasets.get(dataset, self.decoy_mode)

    def rule_for(self, dataset: str, column: str, type_code: str | None, channel: str) -> ColumnRule:
        """The rule of one column graded above the recipient's clearance."""
        for key in (f"{dataset}.{column}", f"*.{column}"):
            if key in self.columns:
                return self.columns[key]
        if type_code and type_code in self.types:
            return self.types[type_code]
        if type_code in IDENTIFIER_SHAPES:
            treatment = self.identifiers.get(channel, "pseudonym")
            if treatment == "pseudonym":
                return ColumnRule("pseudonym", {"shape": IDENTIFIER_SHAPES[type_code]})
            if treatment == "drop":
                return ColumnRule("drop")
        if channel == "opendata" and type_code in OPEN_DATA_DROP:
            return ColumnRule("drop")
        strategy, params = DEFAULT_MASKS.get(type_code or "", ("redact", {}))
        return ColumnRule(strategy, dict(params))

    def to_dict(self) -> dict[str, Any]:
        return {
            "identifiers": dict(self.identifiers),
            "types": {k: v.to_dict() for k, v in self.types.items()},
            "columns": {k: v.to_dict() for k, v in self.columns.items()},
            "fingerprint": {"numeric_tolerance": self.numeric_tolerance, "window": self.window},
            "decoys": {"mode": self.decoy_mode, "per_million": self.decoy_per_million, "minimum": self.decoy_minimum,
                       "min_rows": self.decoy_min_rows, "datasets": dict(self.decoy_datasets)},
            "k_anonymity": {"k": self.k},
            "small_cells": {"k": self.small_cell_k},
        }


def policy_from_dict(data: dict[str, Any], *, where: str = "policy") -> Policy:
    """Build a policy from its YAML/JSON form (unknown keys are errors, so typos do not pass silently)."""
    known = {"identifiers", "types", "columns", "fingerprint", "decoys", "k_anonymity", "small_cells"}
    extra = set(data) - known
    if extra:
        raise InputError(f"{where}: 未知配置项 (unknown keys) {', '.join(sorted(extra))}",
                         hint="known: " + ", ".join(sorted(known)))
    base = Policy()
    identifiers = dict(base.identifiers)
    for channel, treatment in (data.get("identifiers") or {}).items():
        if treatment not in ("pseudonym", "mask", "drop"):
            raise InputError(f"{where}: identifiers.{channel} 必须是 pseudonym|mask|drop")
        identifiers[str(channel)] = str(treatment)
    fp = data.get("fingerprint") or {}
    tolerance = float(fp.get("numeric_tolerance", base.numeric_tolerance))
    window = float(fp.get("window", base.window))
    if not (0 <= tolerance <= 0.05 and 0 <= window <= 0.25):
        raise InputError(f"{where}: fingerprint tolerance must be 0–0.05 and window 0–0.25")
    k = int((data.get("k_anonymity") or {}).get("k", base.k))
    if k < 1:
        raise InputError(f"{where}: k_anonymity.k must be ≥ 1")
    small = int((data.get("small_cells") or {}).get("k", base.small_cell_k))
    if small < 1:
        raise InputError(f"{where}: small_cells.k must be ≥ 1")
    decoys = _decoy_settings(data.get("decoys") or {}, base, where)
    return Policy(**decoys, small_cell_k=small,
        identifiers=identifiers,
        types={str(t): _rule(r, f"{where}: types.{t}") for t, r in (data.get("types") or {}).items()},
        columns={str(c): _rule(r, f"{where}: columns.{c}") for c, r in (data.get("columns") or {}).items()},
        numeric_tolerance=tolerance, window=window, k=k,
    )


def _decoy_mode(value: Any, where: str) -> str:
    # YAML reads a bare on/off as a boolean.
    mode = {True: "on", False: "off"}.get(value, value) if isinstance(value, bool) else str(value)
    if mode not in ("auto", "on", "off"):
        raise InputError(f"{where}: decoys mode 必须是 auto|on|off (must be auto, on or off), got {value!r}")
    return mode


def _decoy_settings(data: dict[str, Any], base: Policy, where: str) -> dict[str, Any]:
    extra = set(data) - {"mode", "per_million", "minimum", "min_rows", "datasets"}
    if extra:
        raise InputError(f"{where}: decoys 未知配置项 (unknown keys) {', '.join(sorted(extra))}")
    rate = float(data.get("per_million", base.decoy_per_million))
    minimum = int(data.get("minimum", base.decoy_minimum))
    min_rows = int(data.get("min_rows", base.decoy_min_rows))
    if not (0 < rate <= 50_000) or minimum < 0 or min_rows < 0:
        raise InputError(f"{where}: decoys.per_million must be in (0, 50000], minimum and min_rows ≥ 0")
    return {"decoy_mode": _decoy_mode(data.get("mode", base.decoy_mode), where), "decoy_per_million": rate,
            "decoy_minimum": minimum, "decoy_min_rows": min_rows,
            "decoy_datasets": {str(k): _decoy_mode(v, f"{where}: decoys.datasets.{k}")
                               for k, v in (data.get("datasets") or {}).items()}}


def load_policy_file(path: Path) -> Policy:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"无法读取脱敏策略文件 {path} (cannot read the policy file): {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"脱敏策略文件 {path} 必须是一个映射 (must be a mapping)")
    return policy_from_dict(data, where=str(path))


def load_policy(wh: Warehouse) -> Policy:
    """The policy in force: defaults, overlaid by ``HOME/protect-policy.yaml``, overlaid by catalog rules."""
    path = Path(wh.settings.home) / POLICY_FILE
    policy = load_policy_file(path) if path.exists() else Policy()
    ensure_tables(wh.engine)
    with wh.engine.connect() as conn:
        rows = conn.execute(sa.select(rules)).all()
    if not rows:
        return policy
    columns = dict(policy.columns)
    for row in rows:
        columns[f"{row.dataset}.{row.column}"] = ColumnRule(row.strategy, dict(row.params or {}))
    return replace(policy, columns=columns)


def set_column_rule(wh: Warehouse, dataset: str, column: str, strategy: str, **params: Any) -> ColumnRule:
    """Store a rule for ``dataset.column`` (``dataset="*"``: every dataset) in the catalog."""
    rule = _rule({"strategy": strategy, **params}, f"{dataset}.{column}")
    ensure_tables(wh.engine)
    with wh.engine.begin() as conn:
        conn.execute(rules.delete().where((rules.c.dataset == dataset) & (rules.c.column == column)))
        conn.execute(rules.insert().values(dataset=dataset, column=column, strategy=rule.strategy,
                                           params=rule.params, updated_at=datetime.now(UTC)))
    return rule



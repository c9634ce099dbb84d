"""Keyed hashing of whole columns: HMAC-SHA256 (RFC 2104) evaluated by DuckDB's vectorised SHA-256.

Pseudonyms and fingerprint choices need one keyed hash per distinct value; a Python loop over a
million values costs about a second, DuckDB spreads the same standard construction over all cores.
The key never appears in SQL text: its inner/outer pads travel as a one-row Arrow table. The
Python reference :func:`hmac_u64_reference` (stdlib ``hmac``) pins the result in tests.
"""

from __future__ import annotations

import hashlib
import hmac
import threading

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

_BLOCK = 64
_local = threading.local()


def _connection() -> duckdb.DuckDBPyConnection:
    # Opening DuckDB costs ~50 ms; one in-memory connection per thread is reused (it holds no data
    # between calls: the registered views are dropped after each use).
    con = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect()
        _local.con = con
    return con


def _pads(key: bytes) -> tuple[bytes, bytes]:
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def hmac_u64_reference(key: bytes, value: str) -> int:
    """The first 64 bits of HMAC-SHA256(key, value) as an unsigned integer (stdlib reference)."""
    return int.from_bytes(hmac.new(key, value.encode("utf-8"), hashlib.sha256).digest()[:8], "big")


def hmac_u64_unique(values: pa.Array | pa.ChunkedArray, key: bytes) -> tuple[pa.Array, pa.Array]:
    """Distinct non-null strings of ``values`` and the first 64 bits of their HMAC (uint64)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], pa.string())
    if values.type != pa.string():
        values = values.cast(pa.string())
    uniq = pc.unique(values.drop_null())
    if len(uniq) == 0:
        return uniq, pa.array([], pa.uint64())
    inner, outer = _pads(key)
    con = _connection()
    try:
        con.register("vals", pa.table({"v": uniq}))
        con.register("pads", pa.table({"ip": pa.array([inner], pa.binary()), "op": pa.array([outer], pa.binary())}))
        out = con.sql(
            "SELECT vals.v AS v, ('0x' || substr(sha256(pads.op || unhex(sha256(pads.ip || encode(vals.v)))), 1, 16))"
            "::UBIGINT AS h FROM vals, pads"
        ).to_arrow_table()
    finally:
        con.unregister("vals")
        con.unregister("pads")
    return out.column("v").combine_chunks(), out.column("h").combine_chunks()


def hmac_u64(values: pa.Array | pa.ChunkedArray, key: bytes) -> pa.Array:
    """HMAC-SHA256 (first 64 bits, uint64) of every string of ``values``; nulls stay null."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], pa.string())
    if values.type != pa.string():
        values = values.cast(pa.string())
    uniq, hashes = hmac_u64_unique(values, key)
    if len(uniq) == 0:
        return pa.nulls(len(values), pa.uint64())
    return hashes.take(pc.index_in(values, value_set=uniq))

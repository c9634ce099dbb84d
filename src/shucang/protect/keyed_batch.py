"""One small set of values under many keys: the PRF of :mod:`shucang.protect.keyed_hash`, prepared once.

A trace asks the same question of every recipient (or extract): which check digit does *this*
recipient's key give these few dozen tokens? :func:`~shucang.protect.keyed_hash.keyed_u64_each` per key
re-encodes the values every time (≈ 0.2 ms of fixed cost per call, ≈ 0.2 s for a thousand
recipients); here the one-block encoding is made once and each key costs one AES call of a few
microseconds. It is the same function bit for bit (``tests/protect/test_trace_speed.py`` checks it
against ``keyed_u64_each``); values too long for one block fall back to keyed BLAKE2b as there.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# The batch definition's own helpers: the encoding must be the one keyed_hash uses, not a copy of it.
from shucang.protect.keyed_hash import _DIGEST, _aes_key, _blocks, _strings

MAX_CONTEXTS = 8192
_contexts = threading.local()


def _encrypt(key: bytes, blocks: bytes) -> bytes:
    """AES-256-ECB of whole blocks. ECB keeps no state between blocks, so one context per key is
    kept (per thread) and fed again: creating a context costs more than encrypting a few hundred blocks."""
    cache: dict[bytes, Any] | None = getattr(_contexts, "cache", None)
    if cache is None:
        cache = _contexts.cache = {}
    context = cache.get(key)
    if context is None:
        if len(cache) >= MAX_CONTEXTS:
            cache.clear()
        context = cache[key] = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    if len(blocks) % 16:
        raise ValueError("AES-ECB input must be whole 16-byte blocks")
    return context.update(blocks)


def aes_ecb(key: bytes, blocks: bytes) -> np.ndarray:
    """AES-256 of independent 16-byte blocks under a raw 32-byte ``key``, as an (n, 16) uint8 matrix."""
    if not blocks:
        return np.zeros((0, 16), dtype=np.uint8)
    return np.frombuffer(_encrypt(key, blocks), dtype=np.uint8).reshape(-1, 16)


def aes_ecb_many(keys: list[bytes], blocks: bytes) -> np.ndarray:
    """:func:`aes_ecb` of the same blocks under each key: a (len(keys), n, 16) uint8 array."""
    n = len(blocks) // 16
    if not keys or not n:
        return np.zeros((len(keys), n, 16), dtype=np.uint8)
    return np.frombuffer(b"".join(_encrypt(key, blocks) for key in keys), dtype=np.uint8).reshape(
        len(keys), n, 16
    )


class PreparedValues:
    """Non-null strings encoded once; :meth:`u64` evaluates ``keyed_u64_each`` of them under any key."""

    def __init__(self, values: pa.Array | pa.ChunkedArray) -> None:
        text = _strings(values)
        if text.null_count:
            raise ValueError("prepared values must not be null")
        self.size = len(text)
        lengths = np.asarray(pc.binary_length(text).to_numpy(zero_copy_only=False), dtype=np.int64)
        block, rows = _blocks(text, lengths)
        self._block_bytes = block.tobytes()
        self._block_rows = rows
        done = np.zeros(self.size, dtype=bool)
        done[rows] = True
        self._rest_rows = np.flatnonzero(~done)
        self._rest = (
            text.take(pa.array(self._rest_rows)).cast(pa.binary()).to_pylist() if len(self._rest_rows) else []
        )

    def u64_many(self, keys: list[bytes]) -> np.ndarray:
        """:meth:`u64` under each of ``keys``, as a (len(keys), size) matrix (one AES call per key)."""
        if self._rest or not self.size:
            return np.array([self.u64(key) for key in keys], dtype=np.uint64).reshape(len(keys), self.size)
        out = b"".join(_encrypt(_aes_key(key), self._block_bytes) for key in keys)
        words = np.frombuffer(out, dtype=">u8").reshape(len(keys), self.size, 2)[:, :, 0]
        result = np.zeros((len(keys), self.size), dtype=np.uint64)
        result[:, self._block_rows] = words
        return result

    def u64(self, key: bytes) -> np.ndarray:
        """The high 64 bits of the PRF of every value under ``key`` (uint64, in input order)."""
        out = np.zeros((self.size, 16), dtype=np.uint8)
        if len(self._block_rows):
            out[self._block_rows] = aes_ecb(_aes_key(key), self._block_bytes)
        if self._rest:
            base = hashlib.blake2b(key=key, digest_size=_DIGEST)
            digests = []
            for value in self._rest:
                h = base.copy()
                h.update(value)
                digests.append(h.digest())
            out[self._rest_rows] = np.frombuffer(b"".join(digests), dtype=np.uint8).reshape(-1, 16)
        return out[:, :8].copy().view(">u8").astype(np.uint64).ravel()

"""Vectorised Arrow and numpy helpers the synthetic generator and the ageing build columns with:
ids, base-36 serials, joined strings, list columns, timestamps and heavy-tailed counts.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def single_chunk(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``array`` as one Arrow array (a chunked array's chunks combined)."""
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def positive_share(
    score: np.ndarray, share: float, *, scale: float, rng: np.random.Generator
) -> np.ndarray:
    """Counts that are > 0 for exactly the top ``share`` of ``score`` (among finite scores), heavy
    tailed above: ``floor(exp(scale * (score - threshold))) + Poisson(1)``-like integers >= 1.
    """
    n = len(score)
    k = int(round(share * n))
    out = np.zeros(n, dtype=np.int64)
    if k == 0:
        return out
    finite = np.isfinite(score)
    k = min(k, int(finite.sum()))
    if k == 0:
        return out
    top = np.argpartition(np.where(finite, -score, np.inf), k - 1)[:k]
    threshold = score[top].min()
    excess = np.minimum(scale * (score[top] - threshold), 30.0)
    out[top] = 1 + np.floor(np.expm1(excess)).astype(np.int64) + rng.poisson(0.5, size=k)
    return out


_B36 = np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)


def base36(values: np.ndarray, width: int) -> pa.Array:
    """Fixed-width base-36 text of non-negative integers."""
    values = np.asarray(values, dtype=np.int64)
    digits = np.empty((len(values), width), dtype=np.uint8)
    rest = values.copy()
    for k in range(width - 1, -1, -1):  # a handful of digit positions, vectorised over rows
        digits[:, k] = _B36[rest % 36]
        rest //= 36
    return single_chunk(pa.array(digits.view(f"S{width}").ravel())).cast(pa.string())


def hex_ids(n: int, rng: np.random.Generator) -> pa.Array:
    """24-hex-digit ids like the Hub's ``_id`` (random)."""
    raw = rng.integers(0, 16, size=(n, 24), dtype=np.uint8)
    chars = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)[raw]
    return single_chunk(pa.array(chars.view("S24").ravel())).cast(pa.string())


def choice_strings(table: tuple, n: int, rng: np.random.Generator) -> pa.Array:
    """``n`` draws from a ((value or None), weight) table, as an Arrow string array."""
    values = [v for v, _ in table]
    p = np.array([w for _, w in table], dtype=float)
    idx = rng.choice(len(values), size=n, p=p / p.sum())
    return pa.array(values, pa.string()).take(pa.array(idx))


def join_strings(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of arrays and literal strings (null if any array is null)."""
    return pc.binary_join_element_wise(*parts, "")


def list_from_long(rows: np.ndarray, values: pa.Array, n: int) -> pa.Array:
    """A ``list<string>`` array (one list per row, possibly empty) from (row, value) pairs."""
    order = np.argsort(rows, kind="stable")
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows, minlength=n), out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), values.take(pa.array(order)))


def ms_timestamps(micros: np.ndarray) -> pa.Array:
    """UTC millisecond timestamps (the hub-stats type) from microseconds."""
    return pa.array(np.asarray(micros, dtype=np.int64) // 1000, pa.int64()).cast(
        pa.timestamp("ms", tz="UTC")
    )

"""Boolean regression: the smallest formula over 0/1 columns that gives a 0/1 target.

A function of bits is its truth vector over the distinct rows seen, kept as a
bitmask, so that &, |, ^ and "not" act on a whole table at once. Formulas are
enumerated bottom-up by size (names and operations), and two formulas with the
same truth vector count as one: the search runs over behaviours, and the first
formula that gives the target on every row is the smallest in this grammar
(XOR forms included, which two-level forms miss). Past the size limit, a
minimal sum of products (sympy's `SOPform`, rows never seen as don't-cares)
is the fallback, so a Boolean target always gets a formula.

Columns the target does not depend on are dropped first (`relevant`).
"""

from __future__ import annotations

import numpy as np
import sympy
from sympy.logic import SOPform

from mips.arrays import distinct_rows
from mips.network.trace import is_function
from mips.regress.enumeration import FirstSeen

_OPS = (("&", np.bitwise_and), ("|", np.bitwise_or), ("^", np.bitwise_xor))


def relevant(columns: dict[str, np.ndarray], target: np.ndarray) -> list[str] | None:
    """The columns the target depends on: each column in turn is dropped when the target
    is still a function of the rest. None when the target is not a function of them all."""
    names = list(columns)
    target = np.asarray(target, np.int64)

    def keys(chosen):
        return (
            np.stack([np.asarray(columns[n], np.int64) for n in chosen], axis=1)
            if chosen
            else np.zeros((len(target), 0), np.int64)
        )

    if not is_function(keys(names), target):
        return None
    for name in list(reversed(names)):
        rest = [n for n in names if n != name]
        if is_function(keys(rest), target):
            names = rest
    return names


def _pack(bits: np.ndarray) -> np.ndarray:
    """0/1 vectors [K, R] -> bitmasks [K, W] of uint64 (W = ceil(R / 64))."""
    words = -(-bits.shape[1] // 64)
    padded = np.zeros((bits.shape[0], words * 64), dtype=np.uint64)
    padded[:, : bits.shape[1]] = bits
    weights = np.uint64(1) << np.arange(64, dtype=np.uint64)
    return (padded.reshape(bits.shape[0], words, 64) * weights).sum(axis=2, dtype=np.uint64)


def _keys(masks: np.ndarray) -> np.ndarray:
    """One uint64 key per bitmask row (the mask itself, or a hash of its words)."""
    if masks.shape[1] == 1:
        return masks[:, 0]
    key = np.zeros(len(masks), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for w in range(masks.shape[1]):
            key = (key * np.uint64(0x9E3779B97F4A7C15)) ^ masks[:, w]
    return key


def find_boolean(
    columns: dict[str, np.ndarray], target: np.ndarray, *, max_size: int = 11, max_behaviours: int = 300_000
) -> str | None:
    """The smallest formula with &, |, ^ and `1 - a` over 0/1 `columns` equal to the 0/1
    `target` on every row, or a sum of products past `max_size`; None when a value is not
    0/1 or the target is not a function of the columns."""
    target = np.asarray(target, np.int64)
    if not np.isin(target, (0, 1)).all() or not all(np.isin(c, (0, 1)).all() for c in columns.values()):
        return None
    names = relevant(columns, target)
    if names is None:
        return None
    if not names:
        return str(int(target[0]))
    table = distinct_rows(np.stack([np.asarray(columns[n], np.int64) for n in names] + [target], axis=1))
    rows, goal = table[:, :-1], table[:, -1]
    full = _pack(np.ones((1, len(table)), dtype=np.int64))
    goal_mask = _pack(goal[None])
    texts: dict[int, list[tuple[str, str]]] = {}  # (formula, its outermost operation)
    masks: dict[int, np.ndarray] = {}
    seen = FirstSeen(max_behaviours)

    def offer(size: int, candidate: np.ndarray, text_of) -> str | None:
        """Keep the new behaviours among `candidate` [K, W]; the formula if one is the target."""
        first = seen.new(_keys(candidate))
        if not len(first):
            return None
        hit = np.flatnonzero((candidate[first] == goal_mask).all(axis=1))
        if len(hit):
            return text_of(int(first[hit[0]]))[0]
        texts.setdefault(size, []).extend(text_of(int(i)) for i in first)
        masks[size] = np.concatenate([masks.get(size, np.zeros((0, full.shape[1]), np.uint64)), candidate[first]])
        return None

    leaves = _pack(rows.T)
    constants = np.concatenate([np.zeros_like(full), full])
    for found in (offer(1, leaves, lambda i: (names[i], "")), offer(1, constants, lambda i: (str(i), ""))):
        if found is not None:
            return found
    for size in range(2, max_size + 1):
        if seen.full:
            break
        if size - 1 in masks:  # not: 1 - a
            inner = texts[size - 1]
            found = offer(size, masks[size - 1] ^ full, lambda i: (f"1 - {_wrap(inner[i][0])}", "-"))
            if found is not None:
                return found
        found = _pairs(size, masks, texts, offer)
        if found is not None:
            return found
    return sum_of_products(names, rows, goal)


def _pairs(size: int, masks: dict, texts: dict, offer) -> str | None:
    """Offer every formula of `size` that joins two smaller ones by &, | or ^ (a block of
    pairs at a time); the first that is the target."""
    for left in range(1, (size - 1) // 2 + 1):
        right = size - 1 - left
        if left not in masks or right not in masks:
            continue
        a, b = masks[left], masks[right]
        ta, tb = texts[left], texts[right]
        for symbol, op in _OPS:
            chunk = max(1, 2_000_000 // max(1, len(b)))
            for start in range(0, len(a), chunk):
                block = op(a[start : start + chunk, None, :], b[None, :, :]).reshape(-1, a.shape[1])
                found = offer(
                    size, block, lambda i, s=start, sy=symbol: (_join(ta[s + i // len(b)], sy, tb[i % len(b)]), sy)
                )
                if found is not None:
                    return found
    return None


def sum_of_products(names: list[str], rows: np.ndarray, goal: np.ndarray) -> str:
    """A minimal sum of products for the rows seen (the rest are don't-cares), as Python."""
    symbols = sympy.symbols(names)
    seen = {tuple(int(v) for v in r) for r in rows}
    ones = [list(map(int, r)) for r, g in zip(rows, goal) if g]
    if not ones:
        return "0"
    unseen = [list(r) for r in np.ndindex(*(2,) * len(names)) if tuple(r) not in seen] if len(names) <= 10 else []
    return _python(SOPform(symbols, ones, unseen))


def _python(expr) -> str:
    """A sympy Boolean expression as Python integer bit arithmetic."""
    if expr is sympy.true:
        return "1"
    if expr is sympy.false:
        return "0"
    if isinstance(expr, sympy.Symbol):
        return expr.name
    if isinstance(expr, sympy.Not):
        return f"1 - {_wrap(_python(expr.args[0]))}"
    symbol = {sympy.And: "&", sympy.Or: "|", sympy.Xor: "^"}[type(expr)]
    parts = sorted((_python(a) for a in expr.args), key=lambda t: (len(t), t))
    return f" {symbol} ".join(_wrap(p) for p in parts)


def _join(left: tuple[str, str], symbol: str, right: tuple[str, str]) -> str:
    """`left symbol right`, with parentheses only where they are needed to read it
    (a chain of one associative operation, such as a ^ b ^ c, needs none)."""
    parts = [text if op == symbol else _wrap(text) for text, op in (left, right)]
    return f" {symbol} ".join(parts)


def _wrap(text: str) -> str:
    return text if text.isidentifier() or text.isdigit() else f"({text})"

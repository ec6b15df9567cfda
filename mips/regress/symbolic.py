"""Symbolic regression on integers: the smallest formula that gives a target exactly.

Bottom-up enumeration by size over the named integer columns and a few small
constants, with abs, negation, +, -, *, min, max, floor division, mod and the
comparisons < and == (as 0/1). Two formulas that give the same values on every
sample row are the same to the search, so only the first (smallest) is kept:
the search space is that of distinct behaviours, not of syntax. A formula that
matches the sample rows is then checked on every row; an exact offset c is
allowed on top (target = formula + c), since lattice coordinates carry an
arbitrary origin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from mips.arrays import distinct_rows
from mips.regress.checks import holds_on_rows
from mips.regress.enumeration import FirstSeen


@dataclass(frozen=True, kw_only=True)
class SymbolicConfig:
    max_size: int = 7  # largest formula tried (names, constants and operations)
    constants: tuple[int, ...] = (0, 1, 2)
    sample_rows: int = 256  # distinct rows the enumeration runs on
    max_formulas: int = 200_000  # distinct behaviours kept, over all sizes

    def __post_init__(self):
        if self.max_size < 1 or self.sample_rows < 1 or self.max_formulas < 1:
            raise ValueError("SymbolicConfig: max_size, sample_rows and max_formulas must be at least 1")


_UNARY = (("abs({})", np.abs), ("-{}", np.negative))
_BINARY = (
    ("{} + {}", np.add, True),
    ("{} - {}", np.subtract, False),
    ("{} * {}", np.multiply, True),
    ("min({}, {})", np.minimum, True),
    ("max({}, {})", np.maximum, True),
    ("int({} < {})", lambda a, b: (a < b).astype(np.int64), False),
    ("int({} == {})", lambda a, b: (a == b).astype(np.int64), True),
    ("{} // {}", np.floor_divide, False),
    ("{} % {}", np.mod, False),
)
_DIVIDES = {"{} // {}", "{} % {}"}
_PAIRS_PER_BLOCK = 1 << 22  # values computed at once (memory)


@dataclass(frozen=True)
class Block:
    """Formulas of one size with distinct behaviours: their texts and values on the rows."""

    size: int
    texts: list[str]
    values: np.ndarray  # int64 [K, R]
    atoms: np.ndarray  # bool [K]: a name or a number (never needs parentheses)

    def joined(self, other: Block) -> Block:
        return Block(
            self.size,
            self.texts + other.texts,
            np.concatenate([self.values, other.values]),
            np.concatenate([self.atoms, other.atoms]),
        )


def find_formula(
    columns: dict[str, np.ndarray],
    target: np.ndarray,
    config: SymbolicConfig = SymbolicConfig(),
    *,
    seed: int = 0,
    constants: tuple[int, ...] = (),
) -> str | None:
    """The smallest formula over `columns` (name -> int values, one per row) equal to
    `target` (plus an integer constant) on every row, or None. `constants` are tried
    beside `config.constants` (a modulus read off the data, say)."""
    names = list(columns)
    table = np.stack([np.asarray(columns[n], dtype=np.int64) for n in names] + [np.asarray(target, np.int64)], 1)
    table = distinct_rows(table)
    if len(table) > config.sample_rows:
        table = table[np.random.default_rng(seed).choice(len(table), config.sample_rows, replace=False)]
    goal = table[:, -1]
    full = {n: np.asarray(columns[n], dtype=np.int64) for n in names}
    full_target = np.asarray(target, np.int64)
    found: list[str] = []
    checked = size = 0
    for block in behaviours(dict(zip(names, table[:, :-1].T)), config, constants):
        if found and block.size > size:
            break  # the smallest size with a formula is done: the plainest of it wins
        if block.size > size:
            checked, size = 0, block.size  # a new size: its own count of full checks
        offset = goal[None, :] - block.values
        for i in np.flatnonzero((offset == offset[:, :1]).all(axis=1)):
            if checked >= _CHECKED_PER_SIZE:
                break
            checked += 1
            if (formula := _check(block.texts[i], int(offset[i, 0]), full, full_target)) is not None:
                found.append(formula)
    return min(found, key=unusual) if found else None


_CHECKED_PER_SIZE = 32  # formulas of the smallest size checked on every row, to pick the plainest
_UNUSUAL = ("min(", "max(", "abs(", "//", "%", "*")


def unusual(formula: str) -> int:
    """How many operations of unusual meaning a formula uses (min, max, abs, //, %, *, a
    leading minus, a constant added on top): of formulas of one size the plainest is shown,
    `int(x == 2)` before `max(x, 1) - 1`."""
    return sum(formula.count(op) for op in _UNUSUAL) + formula.startswith("-") + bool(_OFFSET.search(formula))


_OFFSET = re.compile(r" [+-] \d+$")


def behaviours(
    columns: dict[str, np.ndarray], config: SymbolicConfig = SymbolicConfig(), constants: tuple[int, ...] = ()
) -> Iterator[Block]:
    """Every distinct behaviour (vector of values on the rows) of formulas up to
    `config.max_size`, in blocks of one size, smallest first: the first formula found
    for a behaviour is kept, later ones are the same to the search. Pairs of smaller
    formulas are combined a block at a time (numpy), and behaviours are told apart by a
    64-bit hash of their values."""
    found = _Enumeration(columns, config)
    names = list(columns)
    leaves = np.array([np.asarray(columns[n], np.int64) for n in names]).reshape(len(names), found.rows)
    numbers = list(dict.fromkeys(config.constants + tuple(constants)))
    repeated = np.repeat(np.array(numbers, np.int64)[:, None], found.rows, axis=1)
    for block in (
        found.keep(1, leaves, lambda i: names[i], True),
        found.keep(1, repeated, lambda i: str(numbers[i]), True),
    ):
        if block is not None:
            yield block
    for size in range(2, config.max_size + 1):
        yield from found.unary(size)
        for left_size in range(1, size - 1):
            yield from found.binary(size, left_size)  # stops at the first block that fills the set
            if found.seen.full:
                return


class _Enumeration:
    """The behaviours kept so far, by size (`behaviours`)."""

    def __init__(self, columns: dict[str, np.ndarray], config: SymbolicConfig):
        self.rows = len(next(iter(columns.values()))) if columns else 0
        # Fixed weights: the hash only tells behaviours apart, it draws nothing the result depends on.
        weights = np.random.default_rng(12345).integers(1, 2**63, size=max(self.rows, 1), dtype=np.uint64)
        self.weights = weights | np.uint64(1)
        self.seen = FirstSeen(config.max_formulas)
        self.by_size: dict[int, Block] = {}

    def keep(self, size: int, values: np.ndarray, text_of, atom: bool) -> Block | None:
        """The new behaviours among `values` [K, R], as a block (also added to its size's)."""
        if self.seen.full or not len(values):
            return None
        with np.errstate(over="ignore"):
            keys = (values.astype(np.uint64) * self.weights[: self.rows]).sum(axis=1, dtype=np.uint64)
        first = self.seen.new(keys)
        if not len(first):
            return None
        block = Block(size, [text_of(int(i)) for i in first], values[first], np.full(len(first), atom))
        old = self.by_size.get(size)
        self.by_size[size] = block if old is None else old.joined(block)
        return block

    def unary(self, size: int) -> Iterator[Block]:
        inner = self.by_size.get(size - 1)
        if inner is None:
            return
        for template, op in _UNARY:
            texts, atoms = inner.texts, inner.atoms
            wrap = template.startswith("abs")
            block = self.keep(
                size,
                op(inner.values),
                lambda i, t=template: t.format(texts[i] if wrap else _wrap(texts[i], atoms[i])),
                False,
            )
            if block is not None:
                yield block

    def binary(self, size: int, left_size: int) -> Iterator[Block]:
        """Blocks of `size` combining a formula of `left_size` with one of the rest, by each operation."""
        right_size = size - 1 - left_size
        left, right = self.by_size.get(left_size), self.by_size.get(right_size)
        if left is None or right is None:
            return
        for template, op, symmetric in _BINARY:
            if symmetric and left_size > right_size:
                continue
            usable = np.flatnonzero(right.values.all(axis=1)) if template in _DIVIDES else np.arange(len(right.texts))
            if not len(usable):
                continue
            rv = right.values[usable]
            chunk = max(1, _PAIRS_PER_BLOCK // max(1, len(usable) * self.rows))
            for start in range(0, len(left.texts), chunk):
                lv = left.values[start : start + chunk]
                with np.errstate(all="ignore"):
                    values = op(lv[:, None, :], rv[None, :, :]).reshape(-1, self.rows)
                block = self.keep(
                    size,
                    values,
                    lambda i, s=start, t=template: _combine(
                        t, left, s + i // len(usable), right, int(usable[i % len(usable)])
                    ),
                    False,
                )
                if block is not None:
                    yield block
                if self.seen.full:
                    return


def _combine(template: str, left: Block, i: int, right: Block, j: int) -> str:
    bare = template.startswith(("min", "max", "int"))
    a, b = left.texts[i], right.texts[j]
    return template.format(a if bare else _wrap(a, left.atoms[i]), b if bare else _wrap(b, right.atoms[j]))


def _wrap(text: str, atom: bool | np.bool_) -> str:
    return text if atom or is_call(text) else f"({text})"


def is_call(text: str) -> bool:
    """Is the whole text one call, such as `abs(a - b)` (and not `abs(a) // 2`)?"""
    if not text.startswith(("abs(", "min(", "max(", "int(")):
        return False
    depth = 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and char == ")":
            return i == len(text) - 1
    return False


def with_offset(text: str, offset: int) -> str:
    """`text + offset` for a formula of the enumeration (all of them bind at least as
    tightly as +, so none needs parentheses)."""
    return text if offset == 0 else (f"{text} + {offset}" if offset > 0 else f"{text} - {-offset}")


def _check(text: str, offset: int, columns: dict[str, np.ndarray], target: np.ndarray) -> str | None:
    """`text + offset` if it gives the target on every row (exact integer arithmetic)."""
    formula = with_offset(text, offset)
    rows = distinct_rows(np.stack(list(columns.values()) + [target], axis=1))
    return formula if holds_on_rows(formula, list(columns), rows) else None

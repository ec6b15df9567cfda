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

from dataclasses import dataclass

import numpy as np

from mips.machines import compile_formula


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
    ("{} + {}", np.add, True), ("{} - {}", np.subtract, False), ("{} * {}", np.multiply, True),
    ("min({}, {})", np.minimum, True), ("max({}, {})", np.maximum, True),
    ("int({} < {})", lambda a, b: (a < b).astype(np.int64), False),
    ("int({} == {})", lambda a, b: (a == b).astype(np.int64), True),
    ("{} // {}", None, False), ("{} % {}", None, False),
)


def _divide(template: str, a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    if not b.all():
        return None
    return np.floor_divide(a, b) if "//" in template else np.mod(a, b)


def find_formula(columns: dict[str, np.ndarray], target: np.ndarray,
                 config: SymbolicConfig = SymbolicConfig(), *, seed: int = 0) -> str | None:
    """The smallest formula over `columns` (name -> int values, one per row) equal to
    `target` (plus an integer constant) on every row, or None."""
    names = list(columns)
    table = np.stack([np.asarray(columns[n], dtype=np.int64) for n in names] + [np.asarray(target, np.int64)], 1)
    table = np.unique(table, axis=0)
    if len(table) > config.sample_rows:
        table = table[np.random.default_rng(seed).choice(len(table), config.sample_rows, replace=False)]
    values, goal = table[:, :-1], table[:, -1]
    full = {n: np.asarray(columns[n], dtype=np.int64) for n in names}
    full_target = np.asarray(target, np.int64)

    seen: set[bytes] = set()
    by_size: dict[int, list[tuple[str, np.ndarray, bool]]] = {}  # text, values, is_atom

    def offer(size: int, text: str, vector: np.ndarray, atom: bool) -> str | None:
        key = vector.tobytes()
        if key in seen or len(seen) >= config.max_formulas:
            return None
        seen.add(key)
        by_size.setdefault(size, []).append((text, vector, atom))
        offset = goal - vector
        if (offset == offset[0]).all():
            return _check(text, int(offset[0]), full, full_target)
        return None

    for i, name in enumerate(names):
        if (found := offer(1, name, values[:, i], True)) is not None:
            return found
    for c in config.constants:
        if (found := offer(1, str(c), np.full(len(goal), c, np.int64), True)) is not None:
            return found
    for size in range(2, config.max_size + 1):
        for text, vector, atom in by_size.get(size - 1, []):
            for template, op in _UNARY:
                inner = text if template.startswith("abs") else _wrap(text, atom)
                if (found := offer(size, template.format(inner), op(vector), False)) is not None:
                    return found
        for left_size in range(1, size - 1):
            right_size = size - 1 - left_size
            for template, op, symmetric in _BINARY:
                if symmetric and left_size > right_size:
                    continue
                for left, lv, la in by_size.get(left_size, []):
                    for right, rv, ra in by_size.get(right_size, []):
                        with np.errstate(all="ignore"):
                            result = _divide(template, lv, rv) if op is None else op(lv, rv)
                        if result is None:
                            continue
                        bare = template.startswith(("min", "max", "int"))
                        text = template.format(left if bare else _wrap(left, la), right if bare else _wrap(right, ra))
                        if (found := offer(size, text, result, False)) is not None:
                            return found
                if len(seen) >= config.max_formulas:
                    return None
    return None


def _wrap(text: str, atom: bool) -> str:
    return text if atom or text.startswith(("abs(", "min(", "max(", "int(")) else f"({text})"


def _check(text: str, offset: int, columns: dict[str, np.ndarray], target: np.ndarray) -> str | None:
    """`text + offset` if it gives the target on every row (exact integer arithmetic)."""
    formula = text if offset == 0 else (f"{text} + {offset}" if offset > 0 else f"{text} - {-offset}")
    rule = compile_formula(formula, list(columns))
    rows = np.unique(np.stack(list(columns.values()) + [target], axis=1), axis=0)
    try:
        if all(rule(*map(int, row[:-1])) == row[-1] for row in rows):
            return formula
    except (ZeroDivisionError, OverflowError):
        pass
    return None

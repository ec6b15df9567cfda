"""One exact rule for one target column: the smallest of what the regressors find.

`find_rule` first drops the columns the target does not depend on. A constant or
an affine rule with integer coefficients is taken as it is; otherwise the smallest
of a Boolean formula (for 0/1 targets over 0/1 columns, `boolean.find_boolean`),
membership in a set of values (a 0/1 target of one column) and a symbolic formula
(`symbolic.find_formula`); and, when none of these fits, a conditional rule
`a if g1 else b if g2 else c` (`find_conditional`). Every rule returned holds on
every row it was given; its size is `machines.formula_size`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from mips.arrays import distinct_rows
from mips.machines import affine_formula, formula_size, tidy
from mips.regress.boolean import find_boolean, relevant
from mips.regress.checks import holds_on_rows
from mips.regress.linear import fit_exact_affine
from mips.regress.symbolic import SymbolicConfig, behaviours, find_formula, with_offset


@dataclass(frozen=True, kw_only=True)
class RuleConfig:
    symbolic: SymbolicConfig = field(default_factory=SymbolicConfig)
    boolean_size: int = 11  # largest Boolean formula enumerated (a sum of products past it)
    operand_size: int = 3  # largest formula on either side of a guard's comparison, and of a branch
    branches: int = 4  # most branches of a conditional rule
    max_rows: int = 4096  # distinct rows a conditional rule is searched on
    # The draws (the symbolic search's sample of rows, the conditional rules' random subsets)
    # come from this seed: `regress.fit` sets it to the run's.
    seed: int = 0

    def __post_init__(self):
        if min(self.boolean_size, self.operand_size, self.branches, self.max_rows) < 1:
            raise ValueError("RuleConfig: every limit must be at least 1")


def find_rule(columns: dict[str, np.ndarray], target: np.ndarray, config: RuleConfig = RuleConfig()) -> str | None:
    """The smallest exact rule for `target` over `columns` (name -> int values per row), or None."""
    rule = _smallest_rule(columns, target, config)
    if rule is None:
        return None
    shown = tidy(rule)  # the same value by construction; checked all the same, it is cheap
    names = list(columns)
    rows = distinct_rows(np.stack([np.asarray(columns[n], np.int64) for n in names] + [target], axis=1))
    return shown if holds_on_rows(shown, names, rows) else rule


def _smallest_rule(columns: dict[str, np.ndarray], target: np.ndarray, config: RuleConfig) -> str | None:
    target = np.asarray(target, np.int64)
    if not len(target):
        return "0"
    names = relevant(columns, target)
    if names is None:
        return None
    columns = {n: np.asarray(columns[n], np.int64) for n in names}
    if (target == target[0]).all():
        return str(int(target[0]))
    affine = integer_affine(columns, target)
    if affine is not None:
        return affine
    found = [
        find_boolean(columns, target, max_size=config.boolean_size),
        membership(columns, target),
        find_formula(columns, target, config.symbolic, seed=config.seed, constants=data_constants(columns, target)),
    ]
    found = [f for f in found if f is not None]
    if not found:
        found = [f for f in [find_conditional(columns, target, config)] if f is not None]
    return min(found, key=formula_size) if found else None


def integer_affine(columns: dict[str, np.ndarray], target: np.ndarray) -> str | None:
    """target = sum(a_i * column_i) + c with integer a_i and c on every row, as Python, or None."""
    names = list(columns)
    keys = np.stack([columns[n] for n in names], axis=1) if names else np.zeros((len(target), 0), np.int64)
    rows, _ = fit_exact_affine(keys, np.asarray(target)[:, None], 1)
    return None if rows is None else affine_formula(rows[0], names)


def data_constants(columns: dict[str, np.ndarray], target: np.ndarray) -> tuple[int, ...]:
    """Constants the data suggests beyond 0, 1, 2: how many values each column and the
    target take (the modulus of a digit, say), and the target's largest value (a cap:
    `min(s0 + x, 5)`)."""
    counts = [len(np.unique(v)) for v in list(columns.values()) + [target]]
    largest = [int(np.max(target))] if len(target) else []
    return tuple(sorted({c for c in counts + largest if 3 <= c <= 32}))


def membership(columns: dict[str, np.ndarray], target: np.ndarray) -> str | None:
    """A 0/1 target of one column as `int(c in (...))` (or `not in`, if shorter; `==` or `!=`
    for one value)."""
    if len(columns) != 1 or not np.isin(target, (0, 1)).all():
        return None
    ((name, values),) = columns.items()
    ones = sorted(set(values[target == 1].tolist()))
    zeros = sorted(set(values[target == 0].tolist()))
    chosen, word = (ones, "in") if len(ones) <= len(zeros) else (zeros, "not in")
    if len(chosen) == 1:
        return f"int({name} {'==' if word == 'in' else '!='} {chosen[0]})"
    return f"int({name} {word} ({', '.join(map(str, chosen))}))"


def find_conditional(
    columns: dict[str, np.ndarray], target: np.ndarray, config: RuleConfig = RuleConfig()
) -> str | None:
    """A rule `b1 if g1 else b2 if g2 else ... bk`, found greedily.

    Branches b are small formulas (up to `config.operand_size`) plus a constant, and
    integer affine rules; guards g compare two small formulas (u < v, u == v, and their
    negations). At each step the (guard, branch) pair that is right on the most rows
    still open is taken (the guard must select only rows the branch gets right), until
    one branch is right on all the rest."""
    names = list(columns)
    table = distinct_rows(np.stack([columns[n] for n in names] + [target], axis=1))
    if len(table) > config.max_rows:
        return None
    rows = dict(zip(names, table[:, :-1].T))
    goal = table[:, -1]
    small = SymbolicConfig(max_size=config.operand_size, constants=config.symbolic.constants, max_formulas=20_000)
    operands = [
        (block.size, text, vector, bool(atom))
        for block in behaviours(rows, small, data_constants(rows, goal))
        for text, vector, atom in zip(block.texts, block.values, block.atoms)
    ]
    branches, right = _branches(operands, rows, goal, np.random.default_rng(config.seed))
    guards, chosen = _guards(operands, config.operand_size + 2)
    if not len(branches) or not len(guards):
        return None
    wrong_t = (~right).T.astype(np.float32)
    open_rows = np.ones(len(goal), dtype=bool)
    parts: list[tuple[str, str]] = []
    for _ in range(config.branches - 1):
        closing = np.flatnonzero(right[:, open_rows].all(axis=1))
        if len(closing):
            break
        selected = (chosen & open_rows).astype(np.float32)  # [G, R]
        bad = selected @ wrong_t  # [G, B]: open rows a guard selects that the branch gets wrong
        cover = np.where(bad == 0, selected.sum(axis=1)[:, None], 0)
        g, b = np.unravel_index(np.argmax(cover), cover.shape)
        if cover[g, b] == 0:
            return None
        parts.append((branches[b], guards[g]))
        open_rows &= ~chosen[g]
    closing = np.flatnonzero(right[:, open_rows].all(axis=1))
    if not len(closing):
        return None
    last = min((branches[i] for i in closing), key=formula_size)
    text = "".join(f"{b} if {g} else " for b, g in parts) + last
    return text if holds_on_rows(text, names, table) else None


def _branches(
    operands, rows: dict[str, np.ndarray], goal: np.ndarray, rng: np.random.Generator
) -> tuple[list[str], np.ndarray]:
    """Candidate branch formulas and which rows each gets right ([B, R] bool): every small
    formula with each of its three most common offsets, and exact integer affine rules
    fitted on random small subsets of the rows."""
    values = np.unique(goal)
    texts = [str(int(v)) for v in values]
    right = [goal == v for v in values]
    for _, text, vector, _ in operands:
        offsets, counts = np.unique(goal - vector, return_counts=True)
        for offset in offsets[np.argsort(-counts)][:3]:
            texts.append(with_offset(text, int(offset)))
            right.append(goal - vector == offset)
    names = list(rows)
    design = np.stack([rows[n] for n in names] + [np.ones(len(goal), np.int64)], axis=1)
    for _ in range(64):
        pick = rng.choice(len(goal), size=min(len(goal), len(names) + 2), replace=False)
        solution, *_ = np.linalg.lstsq(design[pick].astype(float), goal[pick].astype(float), rcond=None)
        coefficients = np.round(solution).astype(np.int64)
        if not np.array_equal(design[pick] @ coefficients, goal[pick]):
            continue
        texts.append(affine_formula([Fraction(int(c)) for c in coefficients], names))
        right.append(design @ coefficients == goal)
    if not right:
        return [], np.zeros((0, len(goal)), dtype=bool)
    right = np.array(right)
    _, first = distinct_rows(right, return_index=True)  # one branch per set of rows
    order = sorted(first, key=lambda i: formula_size(texts[i]))
    keep, seen = [], set()
    for i in order:
        key = right[i].tobytes()
        if key not in seen:
            seen.add(key)
            keep.append(i)
    return [texts[i] for i in keep], right[keep]


def _guards(operands, max_size: int) -> tuple[list[str], np.ndarray]:
    """Comparisons of two small formulas, one per distinct set of rows they select."""
    texts, chosen, seen = [], [], set()
    for i, (size_a, a, va, _) in enumerate(operands):
        for size_b, b, vb, _ in operands[i + 1 :]:
            if size_a + size_b + 1 > max_size:
                continue
            for text, mask in (
                (f"{a} < {b}", va < vb),
                (f"{b} < {a}", vb < va),
                (f"{a} <= {b}", va <= vb),
                (f"{b} <= {a}", vb <= va),
                (f"{a} == {b}", va == vb),
                (f"{a} != {b}", va != vb),
            ):
                key = mask.tobytes()
                if mask.any() and not mask.all() and key not in seen:
                    seen.add(key)
                    texts.append(text)
                    chosen.append(mask)
    order = sorted(range(len(texts)), key=lambda i: formula_size(texts[i]))  # ties go to the smaller guard
    return [texts[i] for i in order], np.array([chosen[i] for i in order]) if chosen else np.zeros((0, 0), bool)

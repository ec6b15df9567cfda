"""The formula language: integer expressions that formula machines are written in, checked
and compiled (never `eval` of arbitrary text), tidied and measured."""

from __future__ import annotations

import ast
import re
from typing import Callable, Sequence

# What a formula may contain: integer arithmetic, bit operations on 0/1 values,
# comparisons (membership in a tuple of constants included), abs/min/max/int, if-else.
_NODES = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.Call,
    ast.Name,
    ast.Constant,
    ast.Load,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.FloorDiv,
    ast.Mod,
    ast.USub,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.Eq,
    ast.NotEq,
    ast.IfExp,
    ast.BitAnd,
    ast.BitOr,
    ast.BitXor,
    ast.In,
    ast.NotIn,
    ast.Tuple,
)
_FUNCTIONS = {"abs": abs, "min": min, "max": max, "int": int}


# The characters a formula may hold: nothing that could end a line or start a comment or a
# string when the formula is written into a program.
_FORMULA_CHARACTERS = re.compile(r"[A-Za-z0-9_ +\-*/%()<>=!,&|^]*")
MAX_FORMULA_LENGTH = 100_000  # a set of 1,000 large values is about 22,000


def _integer_literal(node) -> bool:
    """3 or -3 (Python parses a negative constant as minus applied to a constant)."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) is int


def compile_formula(text: str, names: Sequence[str]):
    """A formula (Python expression text over `names`) as a function of those values.

    Only integer arithmetic, bit operations, comparisons (membership in a tuple of integer
    constants included), conditional expressions and abs/min/max/int are allowed, so a
    formula read back from a saved run cannot do anything else. Raises ValueError otherwise."""
    if not isinstance(text, str) or len(text) > MAX_FORMULA_LENGTH or not _FORMULA_CHARACTERS.fullmatch(text):
        raise ValueError(
            f"formula {str(text)[:80]!r}: not a formula (only names, integers, operators and "
            f"parentheses, at most {MAX_FORMULA_LENGTH} characters)"
        )
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, RecursionError, MemoryError) as exc:
        raise ValueError(f"formula {text[:80]!r}: not a Python expression ({type(exc).__name__})") from None
    sets = [
        c
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        for c in node.comparators
        if isinstance(c, ast.Tuple) and all(_integer_literal(e) for e in c.elts)
    ]
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            raise ValueError(f"formula {text!r}: {type(node).__name__} is not allowed")
        if isinstance(node, ast.Name) and node.id not in names and node.id not in _FUNCTIONS:
            raise ValueError(f"formula {text!r}: unknown name {node.id!r}")
        if isinstance(node, ast.Constant) and type(node.value) is not int:
            raise ValueError(f"formula {text!r}: only integer constants")
        if isinstance(node, ast.Call) and (not isinstance(node.func, ast.Name) or node.keywords):
            raise ValueError(f"formula {text!r}: only abs, min, max and int may be called")
        if isinstance(node, ast.Tuple) and not any(node is c for c in sets):
            raise ValueError(f"formula {text!r}: a tuple may only be a set of constants after in / not in")
        if (
            isinstance(node, ast.Compare)
            and any(isinstance(c, ast.Tuple) for c in node.comparators)
            and not (len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn)))
        ):
            raise ValueError(f"formula {text!r}: a tuple may only follow in / not in")
    code = compile(tree, "<formula>", "eval")
    return lambda *values: int(eval(code, {"__builtins__": {}}, {**_FUNCTIONS, **dict(zip(names, values))}))


def without_error(test: Callable[[], bool]) -> bool:
    """`test()`, or False when a formula fails on the way (a division by zero or an overflow
    on a state off the rows it was fitted on, ...): a failed candidate, never a crash."""
    try:
        return bool(test())
    except Exception:
        return False


class _Reassociate(ast.NodeTransformer):
    """a + (b + c) -> a + b + c (and the same for *, &, |, ^, and a + (b - c) -> a + b - c):
    the same value, written without parentheses a reader does not need."""

    SAME = {
        ast.Add: (ast.Add, ast.Sub),
        ast.Mult: (ast.Mult,),
        ast.BitAnd: (ast.BitAnd,),
        ast.BitOr: (ast.BitOr,),
        ast.BitXor: (ast.BitXor,),
    }

    def visit_BinOp(self, node):
        self.generic_visit(node)
        # The allowed inner operations follow the node's own, which changes as it turns:
        # a + (b - (c + d)) becomes (a + b) - (c + d), which must stop there.
        while isinstance(node.right, ast.BinOp) and isinstance(node.right.op, self.SAME.get(type(node.op), ())):
            inner = node.right
            node = ast.BinOp(
                left=ast.BinOp(left=node.left, op=node.op, right=inner.left), op=inner.op, right=inner.right
            )
        return node


class _PositiveFirst(ast.NodeTransformer):
    """-a + b -> b - a: the same value, read as a person would write it (1 - x % 2, not
    -(x % 2) + 1)."""

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Add) and isinstance(node.left, ast.UnaryOp) and isinstance(node.left.op, ast.USub):
            return ast.BinOp(left=node.right, op=ast.Sub(), right=node.left.operand)
        return node


class _FoldConstants(ast.NodeTransformer):
    """11 - 2 -> 9: an operation on two integers is its value (a zero divisor stays written);
    a + 2 - 5 -> a - 3; s1 + s1 -> 2 * s1; and a constant read last, min(s0 + x, 5) and
    total > 0."""

    FOLD = {
        ast.Add: lambda a, b: a + b,
        ast.Sub: lambda a, b: a - b,
        ast.Mult: lambda a, b: a * b,
        ast.FloorDiv: lambda a, b: a // b,
        ast.Mod: lambda a, b: a % b,
    }

    def visit_BinOp(self, node):
        self.generic_visit(node)
        fold = self.FOLD.get(type(node.op))
        numbers = [_integer_value(node.left), _integer_value(node.right)]
        if fold is not None and None not in numbers:
            if numbers[1] == 0 and isinstance(node.op, (ast.FloorDiv, ast.Mod)):
                return node
            return _integer(fold(*numbers))
        if isinstance(node.op, ast.Add) and ast.dump(node.left) == ast.dump(node.right):
            return ast.BinOp(left=ast.Constant(2), op=ast.Mult(), right=node.left)
        if isinstance(node.op, (ast.Add, ast.Sub)) and numbers[1] is not None:
            added = numbers[1] if isinstance(node.op, ast.Add) else -numbers[1]
            left = node.left  # a + 2 - 5 -> a - 3
            if isinstance(left, ast.BinOp) and isinstance(left.op, (ast.Add, ast.Sub)):
                inner = _integer_value(left.right)
                if inner is not None:
                    added += inner if isinstance(left.op, ast.Add) else -inner
                    left = left.left
            if added == 0:
                return left
            return ast.BinOp(left=left, op=ast.Add() if added > 0 else ast.Sub(), right=ast.Constant(abs(added)))
        return node

    def visit_Call(self, node):
        self.generic_visit(node)  # min(5, s0 + x) -> min(s0 + x, 5)
        if node.func.id in ("min", "max") and len(node.args) == 2 and _integer_value(node.args[0]) is not None:
            if _integer_value(node.args[1]) is None:
                node.args = [node.args[1], node.args[0]]
        return node

    def visit_Compare(self, node):
        self.generic_visit(node)  # 0 < total -> total > 0
        if len(node.ops) == 1 and type(node.ops[0]) in _FLIPPED and _integer_value(node.left) is not None:
            if _integer_value(node.comparators[0]) is None:
                return ast.Compare(
                    left=node.comparators[0], ops=[_FLIPPED[type(node.ops[0])]()], comparators=[node.left]
                )
        return node


_FLIPPED = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt, ast.GtE: ast.LtE, ast.Eq: ast.Eq, ast.NotEq: ast.NotEq}


def _integer(value: int):
    return ast.Constant(value) if value >= 0 else ast.UnaryOp(op=ast.USub(), operand=ast.Constant(-value))


def _integer_value(node) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _integer_value(node.operand)
        return None if inner is None else -inner
    return None


def readable(text: str) -> str:
    """`tidy`, operations on two integers folded and a negated first term moved behind the
    one it is added to: for programs (a machine's formulas, and so their sizes, stay as
    found). The text as it is when it holds something the formula language does not (a
    table lookup)."""
    try:
        tree = _FoldConstants().visit(_Reassociate().visit(ast.parse(text, mode="eval")))
        return _show(_PositiveFirst().visit(tree).body)
    except (SyntaxError, KeyError, TypeError, ValueError, AttributeError):
        return text


def tidy(text: str) -> str:
    """A formula rewritten with only the parentheses a reader needs (same value, same names):
    none that precedence makes redundant, but always around a bit operation inside another
    kind of bit operation (a ^ (b & c), not a ^ b & c)."""
    return _show(_Reassociate().visit(ast.parse(text, mode="eval")).body)


_PRECEDENCE = {
    ast.BitOr: 7,
    ast.BitXor: 8,
    ast.BitAnd: 9,
    ast.Add: 11,
    ast.Sub: 11,
    ast.Mult: 12,
    ast.FloorDiv: 12,
    ast.Mod: 12,
}
_SYMBOL = {
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.In: "in",
    ast.NotIn: "not in",
}


def _precedence(node) -> int:
    if isinstance(node, ast.IfExp):
        return 1
    if isinstance(node, ast.Compare):
        return 6
    if isinstance(node, ast.BinOp):
        return _PRECEDENCE[type(node.op)]
    if isinstance(node, ast.UnaryOp) or (isinstance(node, ast.Constant) and node.value < 0):
        return 13
    return 16


def _show(node, parent=None, right: bool = False) -> str:
    if isinstance(node, ast.Name):
        text = node.id
    elif isinstance(node, ast.Constant):
        text = repr(node.value)
    elif isinstance(node, ast.Tuple):
        text = "(" + ", ".join(_show(e) for e in node.elts) + ("," if len(node.elts) == 1 else "") + ")"
    elif isinstance(node, ast.Call):
        text = f"{node.func.id}({', '.join(_show(a) for a in node.args)})"
    elif isinstance(node, ast.UnaryOp):
        text = "-" + _show(node.operand, node)
    elif isinstance(node, ast.BinOp):
        text = f"{_show(node.left, node)} {_SYMBOL[type(node.op)]} {_show(node.right, node, right=True)}"
    elif isinstance(node, ast.Compare):
        parts = [_show(node.left, node)]
        for op, value in zip(node.ops, node.comparators):
            parts += [_SYMBOL[type(op)], _show(value, node, right=True)]
        text = " ".join(parts)
    elif isinstance(node, ast.IfExp):
        text = f"{_show(node.body, node)} if {_show(node.test, node)} else {_show(node.orelse, node, right=True)}"
    else:
        raise ValueError(f"cannot show {type(node).__name__}")
    if parent is None or isinstance(parent, ast.Call):
        return text
    mine, theirs = _precedence(node), _precedence(parent)
    bits = (ast.BitAnd, ast.BitOr, ast.BitXor)
    mixed_bits = (
        isinstance(node, ast.BinOp)
        and isinstance(parent, ast.BinOp)
        and isinstance(node.op, bits)
        and type(node.op) is not type(parent.op)
    )
    chained = isinstance(node, ast.Compare) and isinstance(parent, ast.Compare)
    chained = chained or (mine == 13 and isinstance(parent, ast.UnaryOp))  # -(-a), not --a
    if isinstance(parent, ast.IfExp) and mine == 1:
        needed = not right  # a if g else b if h else c reads without parentheses
    else:
        needed = mine < theirs or (mine == theirs and right and mine != 13)
    return f"({text})" if needed or mixed_bits or chained else text


def formula_size(text: str) -> int:
    """Description length of a formula: its syntax-tree nodes (names, numbers, operations)."""
    return sum(
        isinstance(n, (ast.BinOp, ast.UnaryOp, ast.Compare, ast.Call, ast.Name, ast.Constant, ast.IfExp))
        for n in ast.walk(ast.parse(text, mode="eval"))
    ) - text.count("int(")


_STATE_NAME = re.compile(r"\bs(\d+)\b")


def with_state_names(text: str, names: Sequence[str]) -> str:
    """A formula with each state coordinate s0, s1, ... written as its name in `names`."""
    return _STATE_NAME.sub(lambda match: names[int(match.group(1))], text)


def readable_names(updates: Sequence[str], inputs: Sequence[str], outs: Sequence[str] = ()) -> list[str]:
    """A name for each state coordinate, from its update rule:
    the input itself -> `cur`; a copy of `cur` -> `prev`, of `prev` -> `prev2`, ...;
    itself plus the input (or a table entry) -> `total`; itself plus a constant -> `count`;
    the output itself (the only output rule is that coordinate) -> `out`;
    anything else keeps its name s0, s1, ... Repeated names get a number."""
    names: list[str | None] = [None] * len(updates)
    for i, rule in enumerate(updates):
        if rule in inputs:
            names[i] = "cur" if len(inputs) == 1 else f"cur_{rule}"
    changed = True
    while changed:  # follow copies of copies: prev, prev2, ...
        changed = False
        for i, rule in enumerate(updates):
            source = _STATE_NAME.fullmatch(rule)
            if names[i] is None and source and names[int(source.group(1))] is not None:
                origin = names[int(source.group(1))]
                depth = 0  # how many steps behind the input the copied coordinate is, plus one
                if origin.startswith("cur"):
                    depth = 1
                elif origin.startswith("prev"):
                    depth = int(origin[4:] or 1) + 1
                if depth:
                    names[i] = "prev" if depth == 1 else f"prev{depth}"
                    changed = True
    for i, rule in enumerate(updates):
        if names[i] is not None:
            continue
        rest = rule.replace(f"s{i} + ", "", 1) if rule.startswith(f"s{i} + ") else None
        if rest is not None and not _STATE_NAME.search(rest):
            uses_input = any(re.search(rf"\b{x}\b", rest) for x in inputs) and "STEP[" not in rest
            names[i] = "total" if uses_input else "count" if rest.isdigit() or rest.startswith("STEP[") else None
    if len(outs) == 1 and _STATE_NAME.fullmatch(outs[0]) and names[int(outs[0][1:])] is None:
        names[int(outs[0][1:])] = "out"
    final, used = [], set()
    for i, name in enumerate(names):
        name = name or f"s{i}"
        candidate, k = name, 2
        while candidate in used:
            candidate, k = f"{name}_{k}", k + 1
        used.add(candidate)
        final.append(candidate)
    return final


def shared_part(texts: Sequence[str], smallest: int = 4) -> str | None:
    """The largest part of the formulas `texts` (at least `smallest` in `formula_size`) that
    occurs more than once among them, as text, or None: what a person would compute once
    and name. Texts outside the formula language (a table lookup) are left out."""
    seen: dict[str, list] = {}
    for text in texts:
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError:
            continue
        for node in ast.walk(tree.body):
            if isinstance(node, (ast.BinOp, ast.Call, ast.UnaryOp)) and not _has_subscript(node):
                seen.setdefault(ast.dump(node), []).append(node)
    shared = [nodes[0] for nodes in seen.values() if len(nodes) > 1]
    shared = [(formula_size(_show(node)), _show(node)) for node in shared]
    shared = [(size, text) for size, text in shared if size >= smallest]
    return max(shared)[1] if shared else None


def with_part_named(text: str, part: str, name: str) -> str:
    """`text` with every occurrence of the formula `part` read as `name`."""
    target = ast.dump(ast.parse(part, mode="eval").body)

    class _Named(ast.NodeTransformer):
        def visit(self, node):
            if isinstance(node, ast.expr) and ast.dump(node) == target:
                return ast.Name(id=name, ctx=ast.Load())
            return self.generic_visit(node)

    return _show(_Named().visit(ast.parse(text, mode="eval")).body)


def _has_subscript(node) -> bool:
    return any(isinstance(n, ast.Subscript) for n in ast.walk(node))

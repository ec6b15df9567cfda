"""Discrete machines read out of a network. Each one runs on its own.

- `StateMachine`: a Moore machine over a finite set of states (tables).
- `AffineMachine`: an integer state vector updated by exact rational affine
  formulas, s <- A s + B x + c, with outputs y = V s + w.
- `FormulaMachine`: an integer state vector whose update and outputs are
  integer expressions (abs, min, max, comparisons, ...) found by symbolic regression.

Both use the task's calling convention: a list of per-step inputs (ints, or
tuples when a step has several numbers) in, a list of outputs out. Inputs are
kept inside as tuples, so one code path serves every input width.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from math import lcm
from typing import Callable, Sequence

from mips.io.jsonread import (
    Matrix,
    json_field,
    json_fractions,
    json_initial,
    json_int,
    json_ints,
    json_kind,
    json_list,
    json_object,
    json_steps,
    json_text,
)

Step = int | tuple[int, ...]


def as_tuple(step: Step) -> tuple[int, ...]:
    return step if isinstance(step, tuple) else (step,)


def from_tuple(values: Sequence[int]) -> Step:
    return int(values[0]) if len(values) == 1 else tuple(int(v) for v in values)


@dataclass(frozen=True)
class StateMachine:
    """Moore machine: state <- transitions[state][symbol]; output = outputs[state].

    `symbols` is the input alphabet (as tuples); a transition of -1 was never
    observed, and running into one raises KeyError.
    """

    initial: int
    symbols: tuple[tuple[int, ...], ...]
    transitions: tuple[tuple[int, ...], ...]
    outputs: tuple[tuple[int, ...], ...]

    kind = "fsm"
    form = "table"

    @property
    def states(self) -> int:
        return len(self.transitions)

    @property
    def size(self) -> int:
        """Description length: table entries."""
        return self.states * (len(self.symbols) + 1)

    @property
    def complete(self) -> bool:
        """Every transition is known (none was left unobserved)."""
        return all(t >= 0 for row in self.transitions for t in row)

    def run(self, inputs: Sequence[Step]) -> list[Step]:
        return [output for _, output in self.steps(inputs)]

    def steps(self, inputs: Sequence[Step]) -> list[tuple[int, Step]]:
        """(state, output) after each input."""
        index = {s: i for i, s in enumerate(self.symbols)}
        state, out = self.initial, []
        for x in inputs:
            if as_tuple(x) not in index:
                raise KeyError(f"input {x!r} is not in the machine's alphabet")
            state = self.transitions[state][index[as_tuple(x)]]
            if state < 0:
                raise KeyError(f"transition on input {x!r} was never observed")
            out.append((state, from_tuple(self.outputs[state])))
        return out

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "initial": self.initial,
            "symbols": [list(s) for s in self.symbols],
            "transitions": [list(row) for row in self.transitions],
            "outputs": [list(o) for o in self.outputs],
        }

    @classmethod
    def from_json(cls, data: dict) -> StateMachine:
        """Raises ValueError, naming the field, when `data` is not a well-formed state machine."""
        json_object(data, "the machine")
        symbols = json_steps(json_field(data, "symbols"), "symbols", distinct=True)
        if not symbols:
            raise ValueError("symbols is empty: a state machine reads at least one input symbol")
        rows = json_list(json_field(data, "transitions"), "transitions")
        if not rows:
            raise ValueError("transitions is empty: a state machine has at least one state")
        states = len(rows)
        # -1: a transition that was never observed
        transitions = tuple(
            json_ints(row, f"transitions[{i}]", length=len(symbols), low=-1, high=states - 1)
            for i, row in enumerate(rows)
        )
        outputs = json_steps(json_field(data, "outputs"), "outputs", count=states)
        return cls(
            initial=json_int(json_field(data, "initial"), "initial", low=0, high=states - 1),
            symbols=symbols,
            transitions=transitions,
            outputs=outputs,
        )


# A state past 64 bits is no state of a network's task (its data is int64), and a state
# that squares itself at each step would soon fill the memory: such a machine stops.
_STATE_LIMIT = 2**63


def _check_range(state) -> None:
    if any(not -_STATE_LIMIT < v < _STATE_LIMIT for v in state):
        raise ValueError("the machine's state left the 64-bit integers")


def _matrix_json(m: Matrix) -> list[list[str]]:
    return [[str(v) for v in row] for row in m]


def _over_common_denominator(rows: Matrix) -> tuple[list[list[int]], int]:
    """Integer rows and one denominator d with rows == integer rows / d."""
    d = lcm(1, *(Fraction(v).denominator for row in rows for v in row))
    return [[int(Fraction(v) * d) for v in row] for row in rows], d


def _affine(rows: tuple[list[list[int]], int], values: Sequence[int]) -> list[int]:
    """rows @ (values, 1) (the last column of each row is the constant), with `rows` over a
    common denominator, as integers; ValueError when a result is not an integer. (Integer
    arithmetic: measured, Fractions made checking a 7-number lattice on the held-out data
    take 20 s.)"""
    numerators, d = rows
    out = []
    for row in numerators:
        total = row[-1] + sum(a * v for a, v in zip(row, values))
        if total % d:
            raise ValueError("affine machine left the integers")
        out.append(total // d)
    return out


@dataclass(frozen=True)
class AffineMachine:
    """Integer state s, starting at `initial` (all zeros when not given):
    s <- update @ (s, x, 1); y = readout @ (s, 1).

    `update` has one row per state coordinate and `readout` one row per output
    number, each with a trailing constant column. Coefficients are exact.

    When an input acts on the state in a way that is not linear in its value
    (a counter of even inputs), `input_table` gives, for each input symbol in
    `symbols`, what it adds to the state; the input columns of `update` are then 0.
    """

    state_dim: int
    input_dim: int
    update: Matrix
    readout: Matrix
    initial: tuple[int, ...] = ()
    symbols: tuple[tuple[int, ...], ...] = ()
    input_table: Matrix = ()  # one row per symbol, one column per state coordinate

    def __post_init__(self):
        if not self.initial:
            object.__setattr__(self, "initial", (0,) * self.state_dim)

    kind = "lattice"

    @property
    def form(self) -> str:
        """How the program reads: formulas, or formulas with a table of what each input adds."""
        return "formula with an input table" if self.input_table else "formula"

    @property
    def complete(self) -> bool:
        """Defined on every input (a lattice has no unobserved transitions)."""
        return True

    @property
    def size(self) -> int:
        """Description length: nonzero coefficients plus one per state coordinate."""
        nonzero = sum(v != 0 for row in self.update + self.readout + self.input_table for v in row)
        return nonzero + self.state_dim

    def run(self, inputs: Sequence[Step]) -> list[Step]:
        return [output for _, output in self.steps(inputs)]

    @cached_property
    def _integer_rows(self):
        return _over_common_denominator(self.update), _over_common_denominator(self.readout)

    def steps(self, inputs: Sequence[Step]) -> list[tuple[tuple[int, ...], Step]]:
        """(state, output) after each input."""
        state = [int(v) for v in self.initial]
        table = dict(zip(self.symbols, self.input_table))
        update, readout = self._integer_rows
        out = []
        for x in inputs:
            if table and as_tuple(x) not in table:
                raise KeyError(f"input {x!r} is not in the machine's input table")
            state = _affine(update, state + [int(v) for v in as_tuple(x)])
            if table:
                added = [Fraction(v) + t for v, t in zip(state, table[as_tuple(x)])]
                if any(v.denominator != 1 for v in added):
                    raise ValueError("affine machine left the integers")
                state = [int(v) for v in added]
            y = _affine(readout, state)
            _check_range(state)
            out.append((tuple(state), from_tuple(y)))
        return out

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "state_dim": self.state_dim,
            "input_dim": self.input_dim,
            "update": _matrix_json(self.update),
            "readout": _matrix_json(self.readout),
            "initial": list(self.initial),
            "symbols": [list(x) for x in self.symbols],
            "input_table": _matrix_json(self.input_table),
        }

    @classmethod
    def from_json(cls, data: dict) -> AffineMachine:
        """Raises ValueError, naming the field, when `data` is not a well-formed lattice machine."""
        json_object(data, "the machine")
        m = json_int(json_field(data, "state_dim"), "state_dim", low=0)
        d = json_int(json_field(data, "input_dim"), "input_dim", low=1)
        readout = json_fractions(json_field(data, "readout"), "readout", columns=m + 1)
        if not readout:
            raise ValueError("readout is empty: a machine gives at least one output number")
        symbols = json_steps(data.get("symbols", []), "symbols", width=d, distinct=True)
        return cls(
            state_dim=m,
            input_dim=d,
            update=json_fractions(json_field(data, "update"), "update", rows=m, columns=m + d + 1),
            readout=readout,
            initial=json_initial(data, m),
            symbols=symbols,
            input_table=json_fractions(data.get("input_table", []), "input_table", rows=len(symbols), columns=m),
        )


def affine_formula(row: Sequence[Fraction], names: Sequence[str]) -> str:
    """sum(row[i] * names[i]) + row[-1] as Python integer arithmetic."""
    denominator = lcm(*(c.denominator for c in row))
    scaled = [int(c * denominator) for c in row]
    terms = []
    for coefficient, name in zip(scaled, list(names) + [""]):
        if coefficient == 0:
            continue
        magnitude = abs(coefficient)
        if not name:
            body = str(magnitude)
        else:
            body = name if magnitude == 1 else f"{magnitude} * {name}"
        terms.append(("-" if coefficient < 0 else "+", body))
    if not terms:
        return "0"
    positive = next((i for i, (sign, _) in enumerate(terms) if sign == "+"), 0)
    terms.insert(0, terms.pop(positive))  # 1 - s0 rather than -s0 + 1
    text = ("-" if terms[0][0] == "-" else "") + terms[0][1]
    for sign, body in terms[1:]:
        text += f" {sign} {body}"
    return f"({text}) // {denominator}" if denominator != 1 else text


def state_names(m: int) -> list[str]:
    return [f"s{i}" for i in range(m)]


def input_names(d: int) -> list[str]:
    return ["x"] if d == 1 else [f"x{j}" for j in range(d)]


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


@dataclass(frozen=True)
class FormulaMachine:
    """Integer state s, starting at `initial`: s_i <- update[i](s, x); y_j = readout[j](s).

    Each rule is a formula in Python syntax over s0, s1, ... and x (or x0, x1, ...
    for several inputs per step); see `compile_formula` for what it may contain."""

    state_dim: int
    input_dim: int
    update: tuple[str, ...]
    readout: tuple[str, ...]
    initial: tuple[int, ...] = ()
    labels: tuple[str, ...] = ()  # what each coordinate is, in words (optional)
    rewrites: int = 0  # the states of the state machine these formulas rewrite (0: none)

    kind = "formula"
    form = "formula"

    def __post_init__(self):
        if not self.initial:
            object.__setattr__(self, "initial", (0,) * self.state_dim)
        names = state_names(self.state_dim) + input_names(self.input_dim)
        object.__setattr__(self, "_update", [compile_formula(t, names) for t in self.update])
        object.__setattr__(self, "_readout", [compile_formula(t, state_names(self.state_dim)) for t in self.readout])

    @property
    def complete(self) -> bool:
        return True

    @property
    def size(self) -> int:
        return sum(formula_size(t) for t in self.update + self.readout) + self.state_dim

    def run(self, inputs: Sequence[Step]) -> list[Step]:
        return [output for _, output in self.steps(inputs)]

    def steps(self, inputs: Sequence[Step]) -> list[tuple[tuple[int, ...], Step]]:
        """(state, output) after each input."""
        state, out = tuple(self.initial), []
        for x in inputs:
            values = state + as_tuple(x)
            state = tuple(rule(*values) for rule in self._update)
            _check_range(state)
            out.append((state, from_tuple([rule(*state) for rule in self._readout])))
        return out

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "state_dim": self.state_dim,
            "input_dim": self.input_dim,
            "update": list(self.update),
            "readout": list(self.readout),
            "initial": list(self.initial),
            "labels": list(self.labels),
            "rewrites": self.rewrites,
        }

    @classmethod
    def from_json(cls, data: dict) -> FormulaMachine:
        """Raises ValueError, naming the field, when `data` is not a well-formed formula machine:
        formulas that `compile_formula` refuses included, and labels that are not one line of
        text (they are written into the program as comments)."""
        json_object(data, "the machine")
        m = json_int(json_field(data, "state_dim"), "state_dim", low=0)
        update = [
            json_text(v, f"update[{i}]")
            for i, v in enumerate(json_list(json_field(data, "update"), "update", length=m))
        ]
        readout = [
            json_text(v, f"readout[{i}]") for i, v in enumerate(json_list(json_field(data, "readout"), "readout"))
        ]
        if not readout:
            raise ValueError("readout is empty: a machine gives at least one output number")
        labels = json_list(data.get("labels", []), "labels")
        if len(labels) > m:
            raise ValueError(f"labels has {len(labels)} entries, more than the {m} state coordinate(s)")
        try:  # the formulas are compiled (and so checked) as the machine is made
            return cls(
                state_dim=m,
                input_dim=json_int(json_field(data, "input_dim"), "input_dim", low=1),
                update=tuple(update),
                readout=tuple(readout),
                initial=json_initial(data, m),
                labels=tuple(json_text(v, f"labels[{i}]", one_line=True) for i, v in enumerate(labels)),
                rewrites=json_int(data.get("rewrites", 0), "rewrites", low=0),
            )
        except (RecursionError, MemoryError):
            raise ValueError("a formula is nested too deeply") from None


Machine = StateMachine | AffineMachine | FormulaMachine


def machine_from_json(data: dict) -> Machine:
    """The machine that `to_json` wrote; ValueError (naming the field) for anything else."""
    kinds = {"fsm": StateMachine, "lattice": AffineMachine, "formula": FormulaMachine}
    kind = json_field(json_object(data, "the machine"), "kind")
    if not isinstance(kind, str) or kind not in kinds:
        raise ValueError(f"kind is {json_kind(kind)}; a machine is one of {', '.join(kinds)}")
    return kinds[kind].from_json(data)

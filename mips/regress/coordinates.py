"""A state machine written as formulas: integer coordinates for its states, and rules on them.

A table of states says what a machine does but not why. We look for a few
integer coordinates that name the states by what they mean, and then fit each
coordinate's update and the output as formulas (`rules.find_rule`). Candidate
coordinates come from the machine alone:

- the last k inputs (`cur`, `prev`, ...): the machine's states paired with the
  inputs that led to them (a refinement, so that a machine that looks back a
  fixed number of steps reads as a window of inputs);
- what the machine outputs now, and what it would output after one input (or,
  for inputs of two symbols, after two): the observable parts of a state,
  as in Myhill-Nerode;
- the counters it keeps (`counters.machine_counters`): integer potentials that
  a step changes by a fixed amount per input.

A set of coordinates is usable when it is a congruence: two states (paired with
their windows) with the same coordinates give the same output and go, on every
input, to states with the same coordinates. Then every rule is a function, and
it is fitted on every transition of the machine, so the formulas reproduce the
machine exactly wherever it is defined; where it is not (a transition the data
never showed), the formulas say what happens. The smallest usable set is tried
first; of the sets whose rules were all found, the one with the smallest
description wins.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

from mips.arrays import distinct_rows
from mips.extract.counters import machine_counters
from mips.machines import (
    FormulaMachine,
    StateMachine,
    input_names,
    state_names,
)
from mips.network.trace import is_function
from mips.regress.checks import first_start, rows_followed
from mips.regress.rules import RuleConfig, find_rule


@dataclass(frozen=True, kw_only=True)
class CoordinateConfig:
    enabled: bool = True  # off: state machines are emitted as tables
    max_window: int = 4  # most past inputs (per input number) taken as coordinates
    max_coordinates: int = 5
    word_symbols: int = 8  # outputs after each of the first this many input symbols are candidates
    max_features: int = 16  # candidates that are functions of the state, cheapest first
    max_nodes: int = 20_000  # states paired with windows; more is not a small machine
    sets_fitted: int = 3  # usable coordinate sets whose rules are all found, compared by size
    attempts: int = 10  # usable coordinate sets tried at most
    seconds: float = 20.0  # time for fitting rules (the pipeline: for all the machines of one network)
    rules: RuleConfig = field(default_factory=RuleConfig)

    def __post_init__(self):
        if (
            self.max_window < 0
            or min(self.max_coordinates, self.sets_fitted, self.attempts, self.max_nodes, self.max_features) < 1
        ):
            raise ValueError("CoordinateConfig: max_window >= 0 and the other limits >= 1")
        if self.seconds <= 0:
            raise ValueError("CoordinateConfig.seconds must be positive")


@dataclass(frozen=True)
class Feature:
    """A candidate coordinate that is a function of the machine's state."""

    label: str  # what it is, for the report: "output", "output after 1", "counter 0"
    values: tuple[int, ...]  # one per state
    free_at_start: bool  # the start state never emits, so its value here is ours to choose
    cost: int  # preference among sets of equal size (smaller first)
    exceptions: frozenset = frozenset()  # (state, symbol) transitions it does not follow (a counter's edge)
    numbering: bool = False  # tells every state of a minimal machine apart (the states' rank)


@dataclass(frozen=True)
class FormulaFit:
    machine: FormulaMachine | None
    coordinates: tuple[str, ...]  # what each coordinate is
    reason: str
    exact: bool = True  # the formulas reproduce every transition of the machine
    guess: str = ""  # when not exact, where they part from it


def machine_as_formulas(machine: StateMachine, config: CoordinateConfig = CoordinateConfig()) -> list[FormulaFit]:
    """The state machine as a `FormulaMachine` on integer coordinates, or why not.

    The first fit is exact on every transition. A second one is a guess, for held-out data
    and verification to judge: when a counter is kept with exceptions at the edge of the
    data (`counters.Counters.exceptions`), a fit that leaves those transitions out, so that
    its formulas go on counting where the machine stops; and on a large table, rules that
    all but a few of its entries follow (`_rule`)."""
    if not config.enabled:
        return [FormulaFit(None, (), "not tried (off in the configuration)")]
    search = _SetSearch(machine, config)
    for window, chosen in _candidate_sets(search.features, search.dims, config):
        if not search.try_set(window, chosen):
            break
    fits = [search.best.get(False, FormulaFit(None, (), search.why))]
    return fits + ([search.best[True]] if True in search.best else [])


class _SetSearch:
    """Coordinate sets tried one after another (`machine_as_formulas`): the best fit so far,
    exact (False) and a guess (True: leaving out the counter's exceptions, or rules that a few
    of a large table's entries do not follow), and why none was found.
    Counted work decides (`config.attempts`, `config.sets_fitted`); `config.seconds` is a
    safety cap, named in the reason when it stops the search."""

    def __init__(self, machine: StateMachine, config: CoordinateConfig):
        self.machine, self.config = machine, config
        self.deadline = time.monotonic() + config.seconds
        emits = {t for row in machine.transitions for t in row if t >= 0}
        self.start_free = machine.initial not in emits
        self.features = state_features(machine, self.start_free, config)
        self.dims = dims = len(machine.symbols[0]) if machine.symbols else 1
        self.pad = tuple(
            0 if any(s[d] == 0 for s in machine.symbols) else min(s[d] for s in machine.symbols) for d in range(dims)
        )
        self.products: dict[int, _Product | None] = {}
        self.best: dict[bool, FormulaFit] = {}
        self.fitted = self.attempts = 0
        self.smallest: int | None = None
        self.why = "no set of coordinates is a congruence of the machine"

    def _spent(self) -> bool:
        return time.monotonic() > self.deadline or self.attempts >= self.config.attempts

    def try_set(self, window: int, chosen: list[Feature]) -> bool:
        """Fit rules on the past `window` inputs and the `chosen` features; False when the
        search is over."""
        count = window * self.dims + len(chosen)
        if self.smallest is not None and count > self.smallest + 1:
            return False  # only sets at most one coordinate larger than the smallest usable one
        if window not in self.products:
            self.products[window] = _product(self.machine, window, self.pad, self.config.max_nodes)
        if self.products[window] is None:
            return True
        exceptions = frozenset().union(*(f.exceptions for f in chosen))
        for leave_out in [False, True] if exceptions else [False]:
            product = _without(self.products[window], exceptions) if leave_out else self.products[window]
            if not self._fit_one(product, window, chosen, count, leave_out, exceptions):
                break
        return not (self.fitted >= self.config.sets_fitted or self._spent())

    def _fit_one(self, product, window, chosen, count, leave_out, exceptions) -> bool:
        """One coordinate set on one product; False when the work allowed is spent."""
        dims = self.dims
        coords = (
            np.concatenate([product.window] + [np.array(f.values)[product.state][:, None] for f in chosen], axis=1)
            if count
            else np.zeros((len(product.state), 0), np.int64)
        )
        free = [window * dims + i for i, f in enumerate(chosen) if f.free_at_start]
        # The start node of the product (the start state with no inputs behind it) emits
        # nothing unless some step leads back to it, whatever the machine's start state does
        # when it is re-entered with inputs behind it.
        start_free = self.start_free or not (product.next == 0).any()
        if not _congruent(coords, product, self.machine, start_free, skip_start=bool(free)):
            return True
        # A set with the states' rank is always a congruence of a minimal machine (the rank
        # numbers its states) and so says nothing alone: it bounds the sets tried only once
        # its rules are found.
        numbering = any(f.numbering for f in chosen)
        if not numbering:
            self.smallest = count if self.smallest is None else self.smallest
        if self._spent():
            self.why = f"rules not all found in the time given ({self.attempts} coordinate sets tried)"
            return False
        self.attempts += not numbering  # a few such sets at most (`_candidate_sets`): not counted
        labels = tuple(
            [_window_label(k, d, dims) for k in range(window) for d in range(dims)] + [f.label for f in chosen]
        )
        fit = _fit(self.machine, product, coords, free, start_free, labels, self.config.rules)
        if fit.machine is None:
            self.why = self.why if numbering else fit.reason
            return True
        self.smallest = count if self.smallest is None else self.smallest
        if leave_out:
            fit = replace(
                fit,
                exact=False,
                reason=f"{fit.reason}, but for {len(exceptions)} left out at the edge of the data, where the counter goes on",
                guess="counting on past the edge of the data",
            )
        self.fitted += 1
        guess = not fit.exact
        if guess not in self.best or fit.machine.size < self.best[guess].machine.size:
            self.best[guess] = fit
        return True


def _without(product: _Product, exceptions: frozenset) -> _Product:
    """The product with the transitions in `exceptions` ((state, symbol) pairs) taken out."""
    nxt = product.next.copy()
    for state, symbol in exceptions:
        nxt[product.state == state, symbol] = -1
    return replace(product, next=nxt)


def state_features(machine: StateMachine, start_free: bool, config: CoordinateConfig) -> list[Feature]:
    """The outputs now and after one (or two) inputs, and the counters: each as a value per state,
    distinct and not constant."""
    outputs = np.array(machine.outputs)  # [S, O]
    transitions = np.array(machine.transitions)  # [S, A]
    candidates = [
        Feature(f"the output{_index(j, outputs.shape[1])}", tuple(outputs[:, j].tolist()), start_free, 0)
        for j in range(outputs.shape[1])
    ]
    words = [(a,) for a in range(min(len(machine.symbols), config.word_symbols))]
    if len(machine.symbols) <= 2:
        words += list(itertools.product(range(len(machine.symbols)), repeat=2))
    for word in words:
        state = np.arange(machine.states)
        for a in word:
            state = np.where(state >= 0, transitions[np.maximum(state, 0), a], -1)
        if (state < 0).any():
            continue  # not defined from every state
        name = ", ".join(_symbol(machine, a) for a in word)
        for j in range(outputs.shape[1]):
            inputs = "input were" if len(word) == 1 else "inputs were"
            candidates.append(
                Feature(
                    f"the output{_index(j, outputs.shape[1])} if the next {inputs} {name}",
                    tuple(outputs[state, j].tolist()),
                    False,
                    1 + len(word),
                )
            )
    rank = _future_rank(machine, transitions, outputs)
    if rank is not None:
        candidates.append(Feature("the state's rank by what it outputs next", rank, False, 2, numbering=True))
    counted = machine_counters(machine)
    if counted.steps is not None:
        for r in range(len(counted.steps)):
            values = tuple(int(counted.potential[s][r]) if s in counted.potential else 0 for s in range(machine.states))
            moves = ", ".join(f"{_symbol(machine, a)}: {int(v):+d}" for a, v in enumerate(counted.steps[r]))
            candidates.append(Feature(f"a counter (per input {moves})", values, False, 1, counted.exceptions))
    features, seen = [], set()
    emitting = sorted({t for row in machine.transitions for t in row if t >= 0}) or [machine.initial]
    for feature in candidates:
        if len({feature.values[s] for s in emitting}) < 2 or feature.values in seen:
            continue
        seen.add(feature.values)
        features.append(feature)
    return features


_RANK_WORDS = 64  # input words, shortest first, whose outputs order the states


def _future_rank(machine: StateMachine, transitions: np.ndarray, outputs: np.ndarray) -> tuple[int, ...] | None:
    """Each state's rank when the states are ordered by what they output along the input
    words (shortest first, each in the order of the symbols), one word after another: a
    remainder, a largest value seen or a count, which states name by what they will do,
    not by what they do now. None when a word runs into a transition never observed."""
    symbols = len(machine.symbols)
    if not symbols:
        return None
    words, length = [], 1
    while len(words) < _RANK_WORDS and symbols**length <= _RANK_WORDS:
        words += list(itertools.product(range(symbols), repeat=length))
        length += 1
    words = words or [(a,) for a in range(min(symbols, _RANK_WORDS))]
    futures = []
    for word in words:
        state = np.arange(machine.states)
        for a in word:
            if (state < 0).any():
                return None
            state = transitions[state, a]
        if (state < 0).any():
            return None
        futures.append(outputs[state])
    keys = np.concatenate(futures, axis=1)  # [S, words * outputs]
    _, rank = distinct_rows(keys, return_inverse=True)  # distinct rows come sorted: their index is the rank
    return tuple(int(r) for r in rank.reshape(-1))


def _index(j: int, count: int) -> str:
    return "" if count == 1 else f" {j}"


def _symbol(machine: StateMachine, a: int) -> str:
    symbol = machine.symbols[a]
    return repr(symbol[0] if len(symbol) == 1 else symbol)


def _window_label(k: int, d: int, dims: int) -> str:
    which = "the input" if dims == 1 else f"input number {d}"
    return which if k == 0 else f"{which}, {k} step{'s' if k > 1 else ''} back"


def _candidate_sets(features: list[Feature], dims: int, config: CoordinateConfig):
    """(window length, features) pairs, fewest coordinates first, then fewer features, then
    cheaper; made one count of coordinates at a time, from the `max_features` cheapest. A
    feature that numbers the states (`Feature.numbering`) is tried alone or beside past
    inputs only: beside another feature the set is a congruence whatever that one means."""
    features = sorted(features, key=lambda f: f.cost)[: config.max_features]
    for count in range(config.max_coordinates + 1):
        sets = []
        for window in range(min(config.max_window, count // dims) + 1):
            size = count - window * dims
            sets += [
                (size, sum(f.cost for f in chosen), window, chosen)
                for chosen in itertools.combinations(features, size)
                if size == 1 or not any(f.numbering for f in chosen)  # the states' rank: alone, or beside inputs
            ]
        sets.sort(key=lambda s: s[:3])
        for *_, window, chosen in sets:
            yield window, list(chosen)


@dataclass(frozen=True)
class _Product:
    """The machine's states paired with the last `window` inputs (node 0 is the start)."""

    state: np.ndarray  # [K]
    window: np.ndarray  # [K, window * D]: the latest input first
    next: np.ndarray  # [K, A], -1 where the machine has no transition


def _product(machine: StateMachine, window: int, pad: tuple[int, ...], max_nodes: int) -> _Product | None:
    start = (machine.initial, pad * window)
    index = {start: 0}
    nodes, edges = [start], []
    queue = deque([start])
    while queue:
        state, past = queue.popleft()
        row = []
        for a, target in enumerate(machine.transitions[state]):
            if target < 0:
                row.append(-1)
                continue
            node = (target, (machine.symbols[a] + past)[: len(past)])
            if node not in index:
                if len(nodes) >= max_nodes:
                    return None
                index[node] = len(nodes)
                nodes.append(node)
                queue.append(node)
            row.append(index[node])
        edges.append(row)
    width = window * len(pad)
    return _Product(
        np.array([s for s, _ in nodes]),
        np.array([p for _, p in nodes], dtype=np.int64).reshape(len(nodes), width),
        np.array(edges, dtype=np.int64),
    )


def _congruent(
    coords: np.ndarray, product: _Product, machine: StateMachine, start_free: bool, skip_start: bool
) -> bool:
    """Do nodes with equal coordinates give the same output and go to nodes with equal
    coordinates on every input? The start is left out when its coordinates are still to
    be chosen (`skip_start`), and its output when it never emits."""
    nodes = np.arange(1 if skip_start else 0, len(product.state))
    _, group = distinct_rows(coords, return_inverse=True)
    group = group.reshape(-1)
    outputs = np.array(machine.outputs)[product.state]
    emitting = nodes[1:] if start_free and not skip_start and len(nodes) and nodes[0] == 0 else nodes
    if not is_function(group[emitting][:, None], outputs[emitting]):
        return False
    nxt = product.next[nodes]
    target = np.where(nxt >= 0, group[np.maximum(nxt, 0)], -1)
    symbols = np.broadcast_to(np.arange(nxt.shape[1]), nxt.shape)
    keys = np.stack([np.repeat(group[nodes], nxt.shape[1]), symbols.reshape(-1)], axis=1)
    defined = target.reshape(-1) >= 0
    return is_function(keys[defined], target.reshape(-1)[defined])


def _fit(
    machine: StateMachine,
    product: _Product,
    coords: np.ndarray,
    free: list[int],
    start_free: bool,
    labels: tuple[str, ...],
    config: RuleConfig,
) -> FormulaFit:
    """Rules for every coordinate's update and every output, on every transition; then
    the start's free coordinates (outputs of a start state that never emits)."""
    m, dims = coords.shape[1], len(machine.symbols[0])
    s_names, x_names = state_names(m), input_names(dims)
    symbols = np.array(machine.symbols, dtype=np.int64)
    first = 1 if free else 0
    sources, inputs = np.nonzero(product.next[first:] >= 0)
    sources = sources + first
    rows = np.concatenate([coords[sources], symbols[inputs]], axis=1)
    after = coords[product.next[sources, inputs]]
    columns = dict(zip(s_names + x_names, rows.T))
    update, missed = [], 0
    for i in range(m):
        rule, misses = _rule(columns, after[:, i], config)
        if rule is None:
            return FormulaFit(None, labels, f"no rule found for the update of coordinate {i} ({labels[i]})")
        update.append(rule)
        missed += misses
    emitting = np.arange(1 if start_free else 0, len(product.state))
    outputs = np.array(machine.outputs, dtype=np.int64)[product.state[emitting]]
    readout = []
    for j in range(outputs.shape[1]):
        rule, misses = _rule(dict(zip(s_names, coords[emitting].T)), outputs[:, j], config)
        if rule is None:
            return FormulaFit(None, labels, f"no rule found for output {j}")
        readout.append(rule)
        missed += misses
    start = _start(coords, product, free, update, s_names + x_names, symbols)
    if start is None:
        return FormulaFit(None, labels, "no start value makes the first step follow the rules")
    fitted = FormulaMachine(
        state_dim=m,
        input_dim=dims,
        update=tuple(update),
        readout=tuple(readout),
        initial=start,
        labels=labels,
        rewrites=machine.states,
    )
    described = f"{m} coordinate(s) ({'; '.join(labels)})"
    if missed:
        return FormulaFit(
            fitted,
            labels,
            f"{described}, rules that all but {missed} of the table's entries follow",
            exact=False,
            guess=f"with rules that all but {missed} of its table's entries follow",
        )
    return FormulaFit(fitted, labels, f"{described}, rules exact on every transition")


# A large table read off a network may hold a few entries the network gets wrong (transitions the
# data never showed, asked of it): a rule found on a sample of the rows and followed by all but
# this share of them is kept as a guess (`FormulaFit.exact` False), for held-out data and
# verification to judge.
_MOST_ROWS = 200  # tables with fewer rows are taken as exact
_SAMPLE_ROWS = 128
_SAMPLES = 2
_MISSES_ALLOWED = 0.002


def _rule(columns: dict[str, np.ndarray], target: np.ndarray, config: RuleConfig) -> tuple[str | None, int]:
    """An exact rule for `target` and 0; or, on a large table with no exact rule, one that all
    but a few rows follow and how many do not; else (None, 0). (An exact rule, even a
    conditional that spells a wrong entry out, is kept: the guess would rank beside it.)"""
    exact = find_rule(columns, target, config)
    if exact is not None or len(target) < _MOST_ROWS:
        return exact, 0
    return _rule_most_rows_follow(columns, target, config)


def _rule_most_rows_follow(columns, target, config: RuleConfig) -> tuple[str | None, int]:
    names = list(columns)
    table = np.stack([np.asarray(columns[n], np.int64) for n in names] + [np.asarray(target, np.int64)], axis=1)
    rng = np.random.default_rng(config.seed)
    for _ in range(_SAMPLES):
        sample = rng.choice(len(table), _SAMPLE_ROWS, replace=False)
        rule = find_rule({n: table[sample, k] for k, n in enumerate(names)}, table[sample, -1], config)
        if rule is None:
            continue
        misses = len(table) - rows_followed(rule, names, table)
        if misses <= _MISSES_ALLOWED * len(table):
            return rule, misses
    return None, 0


def _start(coords, product: _Product, free: list[int], update: list[str], names: list[str], symbols) -> tuple | None:
    """The start's coordinates: as they are, with the free ones (0 first, then the values that
    coordinate takes) chosen so that the rules give the start's transitions."""
    fixed = coords[0].copy()
    if not free:
        return tuple(int(v) for v in fixed)
    choices = [sorted(set(coords[1:, i].tolist()) | {0}, key=lambda v: (abs(v), v)) for i in free]
    moves = [
        (tuple(int(v) for v in symbols[a]), tuple(int(v) for v in coords[t]))
        for a, t in enumerate(product.next[0])
        if t >= 0
    ]

    def candidates():
        for values in itertools.islice(itertools.product(*choices), 1000):
            fixed[free] = values
            yield fixed

    return first_start(update, names, candidates(), moves)

"""The network search: candidate architectures, smallest first, trained side by side in a
compiled bank (`mips.network.bank`: one per MLP width and padded hidden size), until the smallest that
gets every held-out output right is known.

The candidates wait in order (every depth pair of a hidden size before the next size, narrow
MLPs up to hidden 8 before wide ones: `SearchConfig`) and take
the bank's slots as slots come free, `TrainConfig.seeds` slots (seeds) each. A candidate leaves
its slots when one of its seeds is perfect on the held-out data (then polished), when its errors
stop going down (a plateau), at the step limit, or when a larger candidate became perfect first
and it has had the steps that one needed while far from perfect (`catch_up` times as many when
close). The search yields a perfect candidate once every candidate before it in order has left:
the result is the one a search that trained them one after another would find, without waiting
for each failure in turn (measured: a failed candidate is most of a search's cost; 90% of the
perfect narrow candidates in a full benchmark got there within 1,700 steps).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterator

import jax
import jax.numpy as jnp
import numpy as np
import optax

from mips import jaxsetup
from mips.data import TaskData
from mips.events import CANDIDATE_DONE, CANDIDATE_STARTED, Event, Progress
from mips.network import bank
from mips.network.bank import BankShape
from mips.network.model import Arch, Encoding, Network, decode, loss

# A candidate whose best seed gets at most this share of the held-out outputs wrong trains
# with half of each batch drawn from the training sequences it gets wrong (among the first
# FOCUS_POOL): measured, many candidates stall at a handful of errors, never reaching zero,
# because a batch of 32 random sequences rarely holds one of the few hard ones. The pool is
# the whole training set (up to FOCUS_POOL), looked at every FOCUS_REFRESH checks. Measured on
# a counter of equal pairs (8,192 training sequences): with the first 2,048 as the pool, every
# candidate from hidden size 2 to 4 stalled at 4 wrong held-out outputs, no network in 225 s
# (its few wrong training sequences lay outside the pool); with all of them, hidden size 2 was
# perfect after 3,000-3,700 steps, looked at every check or every second one (every fourth:
# hidden 2 stalled at 3, and only hidden 8 was perfect). A search that needs no focus to
# speak of (a highest-level task, hidden 5) took 115 s before, 121 s looking every second
# check, 152 s every check.
FOCUS_BELOW = 0.01
PROGRESS = 0.97
FOCUS_POOL = 8192
FOCUS_REFRESH = 2
FOCUS_SIZE = 64


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    seeds: int = 8  # networks per candidate, from different initial weights
    slots: int = 32  # networks trained side by side in one compiled call (a multiple of seeds)
    # Small batches: on a CPU a step costs time in proportion to the batch, and these
    # tiny networks reach perfection in as few steps with 32 sequences as with 256.
    batch: int = 32
    max_steps: int = 4000
    eval_every: int = 100  # steps per compiled chunk; held-out accuracy is checked after each
    learning_rate: float = 1e-2
    # The rate decays exponentially to learning_rate * final_rate_factor at max_steps:
    # an exact integer readout needs weights far finer than a fixed rate of 1e-2 allows.
    final_rate_factor: float = 1e-2
    # After the first perfect check, train on at a tenth of the rate so that the
    # network's states settle onto clean discrete values (kept only if still perfect).
    polish_steps: int = 500
    # A candidate has reached a plateau when its best seed's held-out errors have not fallen
    # by 3% (PROGRESS) for this many steps (0: never), `close_patience` when it is at most
    # FOCUS_BELOW wrong. Measured on the searches of 62 tasks and 8 task files, every
    # candidate trained until it left by these rules: of 165 that became perfect, a running sum's
    # 1-unit linear network went 900 steps without progress at 85% wrong (its outputs, integers
    # read off one regression output, are right only once its weights are precise), another
    # 800; no candidate of a task with class outputs alone more than 500. 700 steps would take
    # 16% off the steps trained, and lose the running sum.
    patience: int = 1000
    close_patience: int = 2000
    # A candidate still training when a larger one became perfect after s steps leaves once
    # it has had s steps (and at least min_steps) if it is far from perfect then, catch_up * s
    # if it is close.
    catch_up: float = 2.0
    min_steps: int = 500
    # A candidate at most FOCUS_BELOW wrong gets this many times the step limit (past max_steps
    # at the final rate). Measured: wide candidates for a palindrome check and a sum modulo 15
    # stood at 1 to 15 wrong held-out outputs of 20,480 at the step limit; with a patience of
    # 2,000 as well, the palindrome check's hidden size 8 went from a plateau at 4 errors (4,600
    # steps) to perfect after 6,200 steps, and hidden 6 and 7 got to 2.
    close_extension: float = 2.0
    quick_check: int = 256  # held-out sequences checked first at each check (and per slice)
    # Every hidden size up to this trains padded to it, with the extra units masked off
    # (larger sizes pad to the next power of two): one compiled bank serves them all.
    pad_hidden_to: int = 8

    def __post_init__(self):
        for name in ("seeds", "slots", "batch", "max_steps", "eval_every", "quick_check", "pad_hidden_to"):
            if getattr(self, name) < 1:
                raise ValueError(f"TrainConfig.{name} must be at least 1")
        if self.slots < self.seeds:
            raise ValueError("TrainConfig.slots must be at least TrainConfig.seeds")
        if (
            self.polish_steps < 0
            or self.patience < 0
            or self.close_patience < 0
            or self.min_steps < 0
            or self.catch_up < 1
            or self.close_extension < 1
        ):
            raise ValueError(
                "TrainConfig: polish_steps, patience, close_patience and min_steps >= 0, "
                "catch_up and close_extension >= 1"
            )
        if self.learning_rate <= 0 or not 0 < self.final_rate_factor <= 1:
            raise ValueError("TrainConfig: learning_rate > 0 and 0 < final_rate_factor <= 1")


def learning_rate(steps: int, perfect_at: int | None, config: TrainConfig) -> float:
    """The rate for a candidate's next steps: decaying from learning_rate to the final rate at
    max_steps and staying there (a close candidate's extra steps); a tenth of the rate it had
    when it became perfect while it is polished."""
    if perfect_at is None:
        return config.learning_rate * config.final_rate_factor ** min(1.0, steps / config.max_steps)
    return 0.1 * config.learning_rate * config.final_rate_factor ** min(1.0, perfect_at / config.max_steps)


def reason_to_leave(steps: int, rate: float, improved_at: int, larger: list[int], config: TrainConfig) -> str | None:
    """Why a candidate that is not perfect leaves the bank after `steps` steps, or None if it
    trains on. `rate` is its best seed's share of wrong held-out outputs, `improved_at` the step
    of its last progress, `larger` the steps after which each larger candidate became perfect."""
    close = rate <= FOCUS_BELOW
    # A candidate far from perfect when it has had the steps the larger one needed leaves then
    # (measured on a sum of the last 7 inputs: the sizes too small sat at 30% wrong to the end
    # of a twice-as-long catch-up); a close one gets catch_up times those steps.
    if larger and steps >= max(config.min_steps, min(larger) * (config.catch_up if close else 1)):
        return "caught up"
    patience = config.close_patience if close else config.patience
    if patience and steps - improved_at >= patience:
        return "plateau"
    if steps >= config.max_steps * (config.close_extension if close else 1):
        return "step limit"
    return None


@dataclass(frozen=True, kw_only=True)
class SearchConfig:
    """The candidates, in the order the search wants them: every hidden size up to
    `narrow_up_to` with narrow MLPs (`width`) and every depth pair, then every hidden size up
    to `max_hidden` again with wide MLPs (`wide_width`, depth pairs `wide_depths`). The search
    is lazy: the wide ones train only if the narrow ones give no (usable) perfect network.
    `max_hidden` caps both.

    Why two widths: a narrow candidate costs a third of a wide one per step (296 against 827 ms
    per chunk of 32 networks, `benchmarks/`), and most tasks are learnt by narrow networks
    (measured on six tasks searched at width 128 throughout: five took 1.4 to 3.3 times as
    long). Wide MLPs learn what narrow ones do not: a perfect-square test was perfect at hidden
    3 in a benchmark run (narrow: 12); a palindrome check, not trained at width 16 up to hidden
    32, was perfect at hidden 8 in one trial and 6 in another; a running sum modulo 15 with a
    carry (16 input values), at ~10% wrong up to hidden 32 at width 16, trained at hidden 4 in
    a benchmark run and stopped at 9 to 21 wrong outputs of 20,480 in others."""

    max_hidden: int = 32
    depths: tuple[tuple[int, int], ...] = ((1, 1), (1, 2), (2, 1), (2, 2))  # (f, g) per hidden size
    width: int = 16
    narrow_up_to: int = 8
    wide_width: int = 128  # 0: no wide candidates
    # Only depth pairs with a hidden layer: a linear f and g are the same at any width.
    wide_depths: tuple[tuple[int, int], ...] = ((2, 2),)

    def __post_init__(self):
        if self.max_hidden < 1 or self.width < 1 or self.narrow_up_to < 1 or not self.depths:
            raise ValueError("SearchConfig needs max_hidden, width and narrow_up_to >= 1 and at least one depth pair")
        if self.wide_width < 0 or self.wide_width == self.width or (self.wide_width and not self.wide_depths):
            raise ValueError("SearchConfig.wide_width must be 0 (none) or a width other than `width`, with wide_depths")
        if any(f < 1 or g < 1 for f, g in self.depths + self.wide_depths):
            raise ValueError("SearchConfig.depths must be pairs of depths of at least 1")

    def hidden_sizes(self) -> list[int]:
        """Every size up to 8, then half again each time (12, 18, 27, 32, ...): a task that
        needs a large memory needs a larger network, and sizes close together cost many
        failed candidates."""
        sizes = list(range(1, min(8, self.max_hidden) + 1))
        while sizes[-1] < self.max_hidden:
            sizes.append(min(self.max_hidden, sizes[-1] + sizes[-1] // 2))
        return sizes

    def candidates(self) -> list[Arch]:
        """Smallest first within each width: every depth pair of a hidden size before the next size."""
        sizes = self.hidden_sizes()
        narrow = [Arch(n, f, g, self.width) for n in sizes if n <= self.narrow_up_to for f, g in self.depths]
        if not self.wide_width:
            return narrow
        return narrow + [Arch(n, f, g, self.wide_width) for n in sizes for f, g in self.wide_depths]


@dataclass(frozen=True)
class Attempt:
    """What training one architecture gave: its best seed's result."""

    arch: Arch
    perfect: bool
    errors: int  # wrong held-out outputs of the best seed
    steps: int
    seconds: float  # wall time from taking its slots to leaving them (candidates overlap)
    seed_index: int
    out_of_time: bool = False  # stopped by the search's time budget
    plateau: bool = False  # stopped early: its errors stopped going down
    outcome: str = ""  # perfect, plateau, step limit, caught up (a larger one was perfect first), time budget

    def to_json(self) -> dict:
        return {
            "arch": asdict(self.arch),
            "perfect": self.perfect,
            "heldout_errors": self.errors,
            "steps": self.steps,
            "seconds": round(self.seconds, 3),
            "seed_index": self.seed_index,
            "out_of_time": self.out_of_time,
            "plateau": self.plateau,
            "outcome": self.outcome,
        }

    @staticmethod
    def from_json(data: dict) -> "Attempt":
        return Attempt(
            Arch(**data["arch"]),
            data["perfect"],
            data["heldout_errors"],
            data["steps"],
            data["seconds"],
            data["seed_index"],
            data.get("out_of_time", False),
            data.get("plateau", False),
            data.get("outcome", ""),
        )


@dataclass(frozen=True)
class Check:
    """One candidate at one held-out check (`perfect_networks(observe=...)`): each seed's wrong
    outputs on the quick slice and, when they were counted this step, on all held-out data.
    A candidate's training depends on the seed and its place in the order alone, so these
    records let other leaving rules be replayed offline (benchmarks/replay_search.py)."""

    order: int
    arch: Arch
    steps: int
    quick: tuple[int, ...]
    quick_outputs: int
    full: tuple[int, ...] | None
    outputs: int
    polishing: bool  # it became perfect at an earlier check


@dataclass(frozen=True)
class SearchResult:
    network: Network | None  # the smallest perfect network, or None
    attempts: tuple[Attempt, ...] = field(default_factory=tuple)
    out_of_time: bool = False  # the search stopped at its time budget

    @property
    def winner(self) -> Attempt | None:
        """The attempt that trained `network` (later attempts may follow it)."""
        if self.network is None:
            return None
        return next(a for a in reversed(self.attempts) if a.perfect and a.arch == self.network.arch)


def padded_size(hidden: int, smallest: int = 1) -> int:
    """Hidden sizes train padded to the next power of two, and to at least `smallest`,
    so that one compiled bank serves several candidate sizes."""
    return max(smallest, 1 << (hidden - 1).bit_length())


@dataclass
class _Candidate:
    """One architecture while it holds slots of the bank."""

    order: int  # its place in the search's order
    arch: Arch
    slots: np.ndarray
    started: float
    rng: np.random.Generator  # its own draws (initial weights, focus)
    steps: int = 0
    lowest: float | None = None  # best seed's lowest error rate so far
    improved_at: int = 0
    best_errors: int = -1
    best_seed: int = 0
    perfect_at: int | None = None  # steps when a seed was first perfect
    perfect_params: dict | None = None  # that seed's weights then (bank layout, numpy)
    polish_left: int = 0
    focused_at: int | None = None  # steps when its focus was last drawn (None: not close)


class _Bank:
    """The compiled training chunk and evaluation of one bank shape, the networks' weights,
    optimizer states and data keys, by slot."""

    def __init__(self, shape: BankShape, encoding: Encoding, data: TaskData, config: TrainConfig, key: jax.Array):
        self.shape, self.encoding, self.config = shape, encoding, config
        self.chunk, self.errors = _compiled(shape, encoding, config.batch, config.eval_every)
        # Arrays go to the device with device_put, numpy arrays are sliced in numpy, keys stay
        # numbers until the compiled chunk: every eager JAX operation compiles a little program
        # of its own (measured: 34 of them, 0.3-0.4 s, before a small task's first step).
        train_x = encoding.features(data.train.inputs)
        self.train_x, self.train_y = jax.device_put(train_x), jax.device_put(data.train.outputs)
        held_x, held_y = encoding.features(data.heldout.inputs), data.heldout.outputs
        size = min(config.quick_check, len(held_y))
        # The held-out set in slices of one size (the last one filled up with repeats, which
        # are not counted), so that checking all of it compiles nothing new.
        count = -(-len(held_y) // size)
        index = np.arange(count * size) % len(held_y)
        self.slices = [
            (
                jax.device_put(held_x[index[i * size : (i + 1) * size]]),
                jax.device_put(held_y[index[i * size : (i + 1) * size]]),
                min(size, len(held_y) - i * size),
            )
            for i in range(count)
        ]
        self.outputs_checked = held_y.size
        blank = bank.init_network(Arch(1, 1, 1, shape.width), shape, rng=np.random.default_rng(0))

        def stack(tree):
            return jax.tree.map(lambda a: np.repeat(a[None], config.slots, axis=0), tree)

        self.params, self.spec = stack(blank[0]), stack(blank[1])
        self.spec["mask"][:] = 0  # an empty slot computes nothing that matters
        adam_state = jax.eval_shape(jax.vmap(optax.scale_by_adam().init), self.params)  # all zeros
        self.opt_state = jax.tree.map(lambda a: np.zeros(a.shape, a.dtype), adam_state)
        # Each slot's data key as its raw numbers (`place` draws them; an empty slot's do not matter).
        self.keys = np.zeros((config.slots, *np.shape(jax.random.key_data(key))), np.uint32)
        self.rates = np.zeros(config.slots, np.float32)
        self.focus = np.full((config.slots, FOCUS_SIZE), -1, np.int32)
        pool = min(FOCUS_POOL, len(data.train))
        self.pool = (
            [
                (jax.device_put(train_x[i : i + size]), jax.device_put(data.train.outputs[i : i + size]))
                for i in range(0, pool - size + 1, size)
            ]
            if pool >= size
            else []
        )
        self.sharding = jaxsetup.slot_sharding(config.slots)

    def place(self, arch: Arch, slots: np.ndarray, rng: np.random.Generator) -> None:
        """Fresh networks of `arch` in `slots`, with fresh optimizer states and data keys, all
        drawn from `rng`."""
        for i, slot in enumerate(slots):
            params, spec = bank.init_network(arch, self.shape, rng=rng)
            _set(self.params, slot, params)
            _set(self.spec, slot, spec)
        self.opt_state = jax.tree.map(lambda a: _zeroed(a, slots), self.opt_state)
        self.focus[slots] = -1
        self.keys[slots] = rng.integers(0, 2**32, size=(len(slots), *self.keys.shape[1:]), dtype=np.uint32)

    def _sharded(self, tree):
        return jax.tree.map(lambda a: jax.device_put(a, self.sharding), tree)

    def train(self) -> None:
        params, opt_state, keys = self.chunk(
            self._sharded(self.params),
            self._sharded(self.opt_state),
            self._sharded(self.keys),
            self._sharded(self.spec),
            self._sharded(self.rates),
            self._sharded(self.focus),
            self.train_x,
            self.train_y,
        )
        self.params = jax.tree.map(np.array, params)
        self.opt_state = jax.tree.map(np.array, opt_state)
        self.keys = np.array(keys)

    def quick_errors(self) -> np.ndarray:
        """Wrong outputs per slot on the first slice of the held-out data."""
        x, y, valid = self.slices[0]
        return np.asarray(self.errors(self._sharded(self.params), self._sharded(self.spec), x, y))[:, :valid].sum(
            axis=1
        )

    def all_errors(self) -> np.ndarray:
        """Wrong outputs per slot on all of the held-out data."""
        total, params, spec = 0, self._sharded(self.params), self._sharded(self.spec)
        for x, y, valid in self.slices:
            total = total + np.asarray(self.errors(params, spec, x, y))[:, :valid].sum(axis=1)
        return total

    def wrong_training_sequences(self) -> np.ndarray | None:
        """Per slot, which of the first FOCUS_POOL training sequences it gets wrong ([slots, pool] bool)."""
        if not self.pool:
            return None
        params, spec = self._sharded(self.params), self._sharded(self.spec)
        return np.concatenate([np.asarray(self.errors(params, spec, x, y)) > 0 for x, y in self.pool], axis=1)

    def network(self, slot: int) -> dict:
        """The weights of the network in `slot` (bank layout, numpy)."""
        return jax.tree.map(lambda a: np.array(a[slot]), self.params)

    @property
    def quick_outputs(self) -> int:
        """How many outputs the first held-out slice has (what `quick_errors` counts against)."""
        _, y, valid = self.slices[0]
        return valid * int(np.prod(y.shape[1:]))


def _set(tree: dict, slot: int, values: dict) -> None:
    for target, value in zip(jax.tree.leaves(tree), jax.tree.leaves(values)):
        target[slot] = value


def _zeroed(array: np.ndarray, slots: np.ndarray) -> np.ndarray:
    array = np.array(array)
    array[slots] = 0
    return array


_CACHE: dict = {}


def _compiled(shape: BankShape, encoding: Encoding, batch: int, steps: int):
    """The jitted chunk of `steps` training steps and the evaluation, every slot vmapped.
    Each slot's learning rate is an argument, so that neither it nor a slot's architecture
    (its spec) causes a recompilation."""
    cache_key = (shape, encoding, batch, steps)
    if cache_key in _CACHE:
        return _CACHE[cache_key]
    adam = optax.scale_by_adam()

    def net_loss(params, spec, x, y):
        return loss(bank.forward(params, spec, x)[1], y, encoding)

    def one_step(params, opt_state, data_key, spec, rate, focus, train_x, train_y):
        data_key, sub, pick = jax.random.split(data_key, 3)
        index = jax.random.randint(sub, (batch,), 0, train_x.shape[0])
        # Focus (see `_Tier._refocus`): the first half of the batch from the sequences this
        # network gets wrong, when it has any (focus index -1: none).
        chosen = focus[jax.random.randint(pick, (batch,), 0, focus.shape[0])]
        index = jnp.where((jnp.arange(batch) < batch // 2) & (chosen >= 0), chosen, index)
        grads = jax.grad(net_loss)(params, spec, train_x[index], train_y[index])
        updates, opt_state = adam.update(grads, opt_state, params)
        return jax.tree.map(lambda p, u: p - rate * u, params, updates), opt_state, data_key

    def net_chunk(params, opt_state, key_data, spec, rate, focus, train_x, train_y):
        def body(carry, _):
            return one_step(*carry, spec, rate, focus, train_x, train_y), None

        start = (params, opt_state, jax.random.wrap_key_data(key_data))
        (params, opt_state, data_key), _ = jax.lax.scan(body, start, None, length=steps)
        return params, opt_state, jax.random.key_data(data_key)

    def net_errors(params, spec, x, y):
        return jnp.sum(decode(bank.forward(params, spec, x)[1], encoding) != y, axis=(1, 2))

    chunk = jax.jit(jax.vmap(net_chunk, in_axes=(0, 0, 0, 0, 0, 0, None, None)))
    errors = jax.jit(jax.vmap(net_errors, in_axes=(0, 0, None, None)))
    _CACHE[cache_key] = (chunk, errors)
    return chunk, errors


def perfect_networks(
    encoding: Encoding,
    data: TaskData,
    search: SearchConfig,
    config: TrainConfig,
    *,
    key: jax.Array,
    deadline: float | None = None,
    after: Arch | None = None,
    progress: Progress = lambda message: None,
    observe: Callable[[Check], None] | None = None,
) -> Iterator[SearchResult]:
    """Architectures smallest first; yield each network that is perfect on held-out data
    (with every attempt before it), so that a caller can go on past one it cannot use.
    Yields a result without a network at the end when the candidates run out or the
    `deadline` (a `time.monotonic()` value) passes. With `after`, the candidates up
    to and including that architecture are skipped (they were trained before). `progress`
    is given each candidate as it starts and as it leaves (`mips.events.Event`, numbered in the
    whole order of `search.candidates()`); `observe` every candidate's `Check` after every step."""
    candidates = search.candidates()
    first = candidates.index(after) + 1 if after in candidates else 0
    ordered = list(enumerate(candidates))[first:]
    words = np.asarray(jax.random.key_data(key)).ravel().tolist()
    reported: list[Attempt] = []
    tiers: dict[tuple[int, int], list[tuple[int, Arch]]] = {}
    for order, arch in ordered:  # one bank per padded size and width, in the candidates' order
        tiers.setdefault((padded_size(arch.hidden, config.pad_hidden_to), arch.width), []).append((order, arch))
    for (padded, width), members in tiers.items():
        if deadline is not None and time.monotonic() > deadline:  # nothing is started past the budget
            yield SearchResult(None, tuple(reported), out_of_time=True)
            return
        shape = BankShape.for_archs([a for _, a in members], padded, encoding)
        search_bank = _Bank(shape, encoding, data, config, key)
        tier = _Tier(search_bank, members, config, words, progress, observe, total=len(candidates))
        for attempt, network in tier.results(deadline):
            reported.append(attempt)
            if attempt.out_of_time:
                yield SearchResult(None, tuple(reported), out_of_time=True)
                return
            if network is not None:
                yield SearchResult(network, tuple(reported))
    yield SearchResult(None, tuple(reported))


class _Tier:
    """The candidates of one bank shape, scheduled over its slots."""

    def __init__(
        self,
        search_bank: _Bank,
        members,
        config: TrainConfig,
        words: list[int],
        progress: Progress,
        observe: Callable[[Check], None] | None = None,
        total: int = 0,
    ):
        self.bank, self.config, self.words, self.progress, self.observe = search_bank, config, words, progress, observe
        self.total = total  # candidates in the whole search (progress says "k of N")
        self.waiting = deque(members)
        self.running: list[_Candidate] = []
        self.done: dict[int, tuple[Attempt, Network | None]] = {}
        self.perfect_at: dict[int, int] = {}  # order -> steps to perfect, of candidates not yet reported
        groups = config.slots // config.seeds
        self.free = [np.arange(g * config.seeds, (g + 1) * config.seeds) for g in range(groups)]
        self.next_order = members[0][0]
        self._full: np.ndarray | None = None
        self.last_order = members[-1][0]

    def results(self, deadline: float | None) -> Iterator[tuple[Attempt, Network | None]]:
        """Each candidate's attempt in order, as soon as it and every one before it are done."""
        while self.next_order <= self.last_order:
            while self.next_order in self.done:
                attempt, network = self.done.pop(self.next_order)
                self.perfect_at.pop(self.next_order, None)
                self.next_order += 1
                yield attempt, network
            if self.next_order > self.last_order:
                return
            self._admit()
            if deadline is not None and time.monotonic() > deadline:
                self._full = None
                for candidate in sorted(self.running, key=lambda c: c.order):
                    if candidate.order >= self.next_order:
                        yield self._attempt(candidate, "time budget", None), None
                        return
                return
            self._step()

    def _admit(self) -> None:
        # Candidates after the smallest one known to be perfect are not needed for the next result.
        limit = min(self.perfect_at, default=float("inf"))
        while self.free and self.waiting and self.waiting[0][0] < limit:
            order, arch = self.waiting.popleft()
            slots = self.free.pop(0)
            # A candidate's initial weights, data and focus draws depend on the seed and its
            # place in the order alone, not on which candidates trained before it or beside
            # it: a change to when candidates leave changes no other candidate's training.
            rng = np.random.default_rng(self.words + [order])
            self.bank.place(arch, slots, rng)
            self.running.append(_Candidate(order, arch, slots, time.perf_counter(), rng))
            self.progress(
                Event(
                    text=f"  training {arch.describe()} (candidate {order + 1} of {self.total})",
                    kind=CANDIDATE_STARTED,
                    detail=arch.describe(),
                    candidate=order + 1,
                    candidates=self.total,
                )
            )

    def _step(self) -> None:
        config = self.config
        for c in self.running:
            self.bank.rates[c.slots] = learning_rate(c.steps, c.perfect_at, config)
        self.bank.train()
        quick = self.bank.quick_errors()
        self._full = None
        self._refocus(quick)
        checked = list(self.running)
        for c in list(self.running):
            c.steps += config.eval_every
            if c.perfect_at is not None:
                c.polish_left -= config.eval_every
                if c.polish_left <= 0:
                    slot = c.slots[c.best_seed]
                    polished = self._full_errors()[slot] == 0
                    self._finish(c, "perfect", self.bank.network(slot) if polished else c.perfect_params)
                continue
            errors = quick[c.slots]
            if errors.min() == 0:
                errors = self._full_errors()[c.slots]
                if errors.min() == 0:
                    c.best_seed, c.best_errors, c.perfect_at = int(np.argmin(errors)), 0, c.steps
                    c.perfect_params = self.bank.network(c.slots[c.best_seed])
                    self.perfect_at[c.order] = c.steps
                    c.polish_left = config.polish_steps
                    if not config.polish_steps:
                        self._finish(c, "perfect", c.perfect_params)
                    continue
                rate = errors.min() / self.bank.outputs_checked
            else:
                rate = errors.min() / self.bank.quick_outputs
            c.best_seed = int(np.argmin(errors))
            # Progress is fewer errors by a few percent at least (PROGRESS): noise does not count.
            # (Measured: a training-loss criterion keeps hopeless candidates going, since their
            # loss creeps down while their errors stand still.)
            if c.lowest is None or rate < PROGRESS * c.lowest:
                c.lowest, c.improved_at = rate, c.steps
            larger = [s for order, s in self.perfect_at.items() if order > c.order]
            reason = reason_to_leave(c.steps, rate, c.improved_at, larger, config)
            if reason:
                self._finish(c, reason, None)
        if self.observe is not None:
            for c in checked:
                full = None if self._full is None else tuple(int(e) for e in self._full[c.slots])
                self.observe(
                    Check(
                        c.order,
                        c.arch,
                        c.steps,
                        tuple(int(e) for e in quick[c.slots]),
                        self.bank.quick_outputs,
                        full,
                        self.bank.outputs_checked,
                        c.perfect_at is not None and c.perfect_at < c.steps,
                    )
                )

    def _refocus(self, quick: np.ndarray) -> None:
        """Point the candidates that are close (best seed at most FOCUS_BELOW wrong) at the
        training sequences each of their seeds gets wrong, drawn anew when a candidate becomes
        close and every FOCUS_REFRESH checks after (the whole pool is four times the held-out
        data a check looks at); the others train on uniform batches."""
        due = []
        for c in self.running:
            if c.perfect_at is not None or quick[c.slots].min() > FOCUS_BELOW * self.bank.quick_outputs:
                self.bank.focus[c.slots] = -1
                c.focused_at = None
            elif c.focused_at is None or c.steps - c.focused_at >= FOCUS_REFRESH * self.config.eval_every:
                due.append(c)
        if not due:
            return
        wrong = self.bank.wrong_training_sequences()
        for c in due:
            c.focused_at = c.steps
            for slot in c.slots:
                found = np.flatnonzero(wrong[slot]) if wrong is not None else []
                self.bank.focus[slot] = c.rng.choice(found, FOCUS_SIZE) if len(found) else -1

    def _full_errors(self) -> np.ndarray:
        """Wrong held-out outputs per slot after this step's training (computed once a step)."""
        if self._full is None:
            self._full = self.bank.all_errors()
        return self._full

    def _finish(self, c: _Candidate, outcome: str, params: dict | None) -> None:
        network = None
        if params is not None:
            network = Network(c.arch, self.bank.encoding, bank.to_flax(params, c.arch, self.bank.shape))
        self.done[c.order] = (self._attempt(c, outcome, network), network)
        self.running.remove(c)
        self.free.append(c.slots)
        self.bank.spec["mask"][c.slots] = 0  # the slots compute nothing until they are given again

    def _attempt(self, c: _Candidate, outcome: str, network: Network | None) -> Attempt:
        perfect = network is not None
        errors = 0
        if not perfect:
            errors = int(self._full_errors()[c.slots[c.best_seed]])
        attempt = Attempt(
            c.arch,
            perfect,
            errors,
            c.perfect_at if perfect else c.steps,
            time.perf_counter() - c.started,
            c.best_seed,
            outcome == "time budget",
            outcome == "plateau",
            outcome,
        )
        verdict = "perfect" if perfect else f"{errors} held-out errors"
        self.progress(
            Event(
                text=f"  {c.arch.describe()}: {verdict} after {attempt.steps} steps ({outcome})",
                kind=CANDIDATE_DONE,
                detail=c.arch.describe(),
                candidate=c.order + 1,
                candidates=self.total,
                perfect=perfect,
            )
        )
        return attempt

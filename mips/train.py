"""Training: many seeds of one architecture in one jitted, vmapped call, and the
search for the smallest architecture whose network gets every held-out output right.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from typing import Callable, Iterator

import jax
import jax.numpy as jnp
import numpy as np
import optax

from mips.data import TaskData
from mips.model import Arch, Encoding, Network, decode, forward, hidden_mask, init_params, loss, pad, shrink

Progress = Callable[[str], None]


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    seeds: int = 8  # trained at once, vmapped
    # Small batches: on a CPU a step costs time in proportion to the batch, and these
    # tiny networks reach perfection in as few steps with 32 sequences as with 256.
    batch: int = 32
    max_steps: int = 4000
    eval_every: int = 100  # steps per jitted chunk; held-out accuracy is checked after each
    learning_rate: float = 1e-2
    # The rate decays exponentially to learning_rate * final_rate_factor at max_steps:
    # an exact integer readout needs weights far finer than a fixed rate of 1e-2 allows.
    final_rate_factor: float = 1e-2
    # After the first perfect check, train on at a tenth of the rate so that the
    # network's states settle onto clean discrete values (kept only if still perfect).
    polish_steps: int = 1000
    # L1 penalty (on the sum of |weights|) during polishing, so that weights that do
    # nothing go to zero; the polished network is kept only if it is still perfect.
    # Off by default: measured on a 2-D lattice task, 1e-4 kept the network perfect but
    # shrank its hidden states until the lattice spacing was lost in the noise.
    l1: float = 0.0
    # Stop an architecture when the best seed's held-out errors have not gone down for
    # this many steps (0: never): a failed candidate is most of a search's cost.
    patience: int = 1500
    quick_check: int = 256  # held-out sequences checked first at each check
    # Every hidden size up to this trains padded to it, with the extra units masked off:
    # compiling costs several seconds, far more than training a small candidate, and a
    # few padded units cost little.
    pad_hidden_to: int = 8

    def __post_init__(self):
        for name in ("seeds", "batch", "max_steps", "eval_every", "quick_check", "pad_hidden_to"):
            if getattr(self, name) < 1:
                raise ValueError(f"TrainConfig.{name} must be at least 1")
        if self.polish_steps < 0 or self.l1 < 0 or self.patience < 0:
            raise ValueError("TrainConfig.polish_steps, l1 and patience must not be negative")
        if self.learning_rate <= 0 or not 0 < self.final_rate_factor <= 1:
            raise ValueError("TrainConfig: learning_rate > 0 and 0 < final_rate_factor <= 1")


@dataclass(frozen=True, kw_only=True)
class SearchConfig:
    max_hidden: int = 8
    depths: tuple[tuple[int, int], ...] = ((1, 1), (1, 2), (2, 1), (2, 2))  # (f, g) per hidden size
    width: int = 16

    def __post_init__(self):
        if self.max_hidden < 1 or self.width < 1 or not self.depths:
            raise ValueError("SearchConfig needs max_hidden >= 1, width >= 1 and at least one depth pair")

    def candidates(self) -> list[Arch]:
        """Smallest first: every depth pair of a hidden size before the next size."""
        return [Arch(n, f, g, self.width) for n in range(1, self.max_hidden + 1) for f, g in self.depths]


@dataclass(frozen=True)
class Attempt:
    """What training one architecture gave: the best seed's result."""

    arch: Arch
    perfect: bool
    errors: int  # wrong held-out outputs of the best seed
    steps: int
    seconds: float
    seed_index: int
    out_of_time: bool = False  # stopped by the search's time budget, not by max_steps
    plateau: bool = False  # stopped early: no seed improved within `patience` steps

    def to_json(self) -> dict:
        return {"arch": asdict(self.arch), "perfect": self.perfect, "heldout_errors": self.errors,
                "steps": self.steps, "seconds": round(self.seconds, 3), "seed_index": self.seed_index,
                "out_of_time": self.out_of_time, "plateau": self.plateau}

    @staticmethod
    def from_json(data: dict) -> "Attempt":
        return Attempt(Arch(**data["arch"]), data["perfect"], data["heldout_errors"], data["steps"],
                       data["seconds"], data["seed_index"], data.get("out_of_time", False),
                       data.get("plateau", False))


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
    so that one compiled function serves several candidate sizes."""
    return max(smallest, 1 << (hidden - 1).bit_length())


def train_arch(
    arch: Arch,
    encoding: Encoding,
    data: TaskData,
    config: TrainConfig,
    *,
    key: jax.Array,
    deadline: float | None = None,
) -> tuple[Attempt, dict]:
    """Train `config.seeds` networks of one architecture at once; stop when one is perfect
    (or at `deadline`, a `time.monotonic()` value).

    Returns the best seed's attempt and its parameters (numpy, of `arch`'s size)."""
    start = time.perf_counter()
    padded = replace(arch, hidden=padded_size(arch.hidden, config.pad_hidden_to))
    mask = jnp.asarray(hidden_mask(padded.hidden, arch.hidden))
    train_x = jnp.asarray(encoding.features(data.train.inputs))
    train_y = jnp.asarray(data.train.outputs)
    held_x = jnp.asarray(encoding.features(data.heldout.inputs))
    held_y = jnp.asarray(data.heldout.outputs)
    optimizer = optax.inject_hyperparams(optax.adam)(learning_rate=config.learning_rate)

    key_init, key_data = jax.random.split(key)
    params = jax.vmap(lambda k: pad(init_params(arch, encoding, key=k), arch, padded, encoding))(
        jax.random.split(key_init, config.seeds)
    )
    opt_state = jax.vmap(optimizer.init)(params)
    chunk, evaluate = _compiled(padded, encoding, optimizer, config)

    # Each check runs on a quick slice of the held-out data first, and on all of it
    # only when some seed is perfect there: checking is then a small part of the cost.
    quick_x, quick_y = held_x[: config.quick_check], held_y[: config.quick_check]
    steps, best_errors, best_seed, out_of_time, plateau = 0, None, 0, False, False
    lowest, improved_at = None, 0
    data_keys = jax.random.split(key_data, config.seeds)
    no_l1 = jnp.float32(0.0)
    while steps < config.max_steps:
        rate = config.learning_rate * config.final_rate_factor ** (steps / config.max_steps)
        opt_state.hyperparams["learning_rate"] = jnp.full((config.seeds,), rate)
        params, opt_state, data_keys = chunk(params, opt_state, data_keys, mask, no_l1, train_x, train_y)
        steps += config.eval_every
        errors = np.asarray(evaluate(params, mask, quick_x, quick_y))
        error_rate = errors.min() / quick_y.size
        if errors.min() == 0:
            errors = np.asarray(evaluate(params, mask, held_x, held_y))
            error_rate = errors.min() / held_y.size
        best_seed = int(np.argmin(errors))
        best_errors = int(errors[best_seed])
        if best_errors == 0:
            break
        if lowest is None or error_rate < lowest:
            lowest, improved_at = error_rate, steps
        if config.patience and steps - improved_at >= config.patience:
            plateau = True  # no seed has got better for a while: this size is not going to make it
            break
        if deadline is not None and time.monotonic() > deadline:
            out_of_time = True
            break
    if best_errors:  # the count reported is over all held-out data
        best_errors = int(np.asarray(evaluate(params, mask, held_x, held_y))[best_seed])
    if best_errors == 0 and config.polish_steps:
        opt_state.hyperparams["learning_rate"] = opt_state.hyperparams["learning_rate"] * 0.1
        polished, l1 = params, jnp.float32(config.l1)
        for _ in range(-(-config.polish_steps // config.eval_every)):
            polished, opt_state, data_keys = chunk(polished, opt_state, data_keys, mask, l1, train_x, train_y)
        if int(np.asarray(evaluate(polished, mask, held_x, held_y))[best_seed]) == 0:
            params = polished
    best = shrink(jax.tree.map(lambda a: np.asarray(a[best_seed]), params), padded, arch.hidden, encoding)
    seconds = time.perf_counter() - start
    return Attempt(arch, best_errors == 0, best_errors, steps, seconds, best_seed, out_of_time, plateau), best


_CACHE: dict = {}


def _compiled(arch: Arch, encoding: Encoding, optimizer, config: TrainConfig):
    """The jitted chunk of training steps and the evaluation, all seeds vmapped.
    `arch` is the padded architecture; the hidden mask and the L1 weight are arguments,
    so that neither causes a recompilation."""
    cache_key = (arch, encoding, config)
    if cache_key in _CACHE:
        return _CACHE[cache_key]

    def seed_loss(params, mask, l1, x, y):
        _, raw = forward(params, arch, encoding, x, mask)
        if not config.l1:  # off: keep the penalty out of every training step
            return loss(raw, y, encoding)
        penalty = sum(jnp.sum(jnp.abs(w)) for w in jax.tree.leaves(params))
        return loss(raw, y, encoding) + l1 * penalty

    def one_step(params, opt_state, data_key, mask, l1, train_x, train_y):
        data_key, sub = jax.random.split(data_key)
        index = jax.random.randint(sub, (config.batch,), 0, train_x.shape[0])
        grads = jax.grad(seed_loss)(params, mask, l1, train_x[index], train_y[index])
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, data_key

    def seed_chunk(params, opt_state, data_key, mask, l1, train_x, train_y):
        def body(carry, _):
            return one_step(*carry, mask, l1, train_x, train_y), None

        (params, opt_state, data_key), _ = jax.lax.scan(
            body, (params, opt_state, data_key), None, length=config.eval_every
        )
        return params, opt_state, data_key

    def seed_errors(params, mask, x, y):
        _, raw = forward(params, arch, encoding, x, mask)
        return jnp.sum(decode(raw, encoding) != y)

    chunk = jax.jit(jax.vmap(seed_chunk, in_axes=(0, 0, 0, None, None, None, None)))
    evaluate = jax.jit(jax.vmap(seed_errors, in_axes=(0, None, None, None)))
    _CACHE[cache_key] = (chunk, evaluate)
    return chunk, evaluate


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
) -> Iterator[SearchResult]:
    """Architectures smallest first; yield each network that is perfect on held-out data
    (with every attempt so far), so that a caller can go on past one it cannot use.
    Yields a result without a network at the end when the candidates run out or the
    `deadline` (a `time.monotonic()` value) passes. With `after`, the candidates up
    to and including that architecture are skipped (they were trained before)."""
    attempts = []
    candidates = search.candidates()
    first = candidates.index(after) + 1 if after in candidates else 0
    for index, arch in enumerate(candidates):
        if index < first:
            continue
        if deadline is not None and time.monotonic() > deadline:
            yield SearchResult(None, tuple(attempts), out_of_time=True)
            return
        attempt, params = train_arch(
            arch, encoding, data, config, key=jax.random.fold_in(key, index), deadline=deadline
        )
        attempts.append(attempt)
        verdict = "perfect" if attempt.perfect else f"{attempt.errors} held-out errors"
        stopped = ", time budget reached" if attempt.out_of_time else ""
        stopped += f", no progress in {config.patience} steps" if attempt.plateau else ""
        progress(f"  {arch.describe()}: {verdict} after {attempt.steps} steps ({attempt.seconds:.1f}s{stopped})")
        if attempt.perfect:
            yield SearchResult(Network(arch, encoding, params), tuple(attempts))
        elif attempt.out_of_time:
            yield SearchResult(None, tuple(attempts), out_of_time=True)
            return
    yield SearchResult(None, tuple(attempts))


def search_smallest(
    encoding: Encoding,
    data: TaskData,
    search: SearchConfig,
    config: TrainConfig,
    *,
    key: jax.Array,
    deadline: float | None = None,
    progress: Progress = lambda message: None,
) -> SearchResult:
    """The first (smallest) network that is perfect on held-out data, or none."""
    return next(perfect_networks(encoding, data, search, config, key=key, deadline=deadline, progress=progress))

"""The pipeline: task -> data -> network -> discrete states -> rules -> program -> verdict.

Each stage is one call into its own module and returns a plain value; this
file only wires them together, times them and reports progress. It sees the
task only through examples: the reference is called by `data` and `verify`.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Callable, Iterator

import jax
import numpy as np

from mips.extract.behaviour import (
    BehaviourConfig,
    extract_fsm_by_behaviour,
    extract_lattice_by_behaviour,
    input_nudges,
)
from mips.regress.coordinates import CoordinateConfig, machine_as_formulas
from mips.extract.counters import counter_lattice
from mips.data import DataConfig, TaskData, make_task_data
from mips.emit import emit_program
from mips.extract.clusters import FsmConfig, FsmResult, extract_fsm
from mips.extract.lattice import LatticeConfig, LatticeResult, extract_lattice
from mips.machines import Machine, from_tuple
from mips.network.model import Network, choose_encoding
from mips.io.provenance import provenance
from mips.regress.affine import AffineFit, RegressConfig, fit_lattice_machine
from mips.network.simplify import SimplifyConfig, Simplified, simplify
from mips.task import Task
from mips.network.trace import Trace
from mips.network.train import SearchConfig, SearchResult, TrainConfig, perfect_networks
from mips.verify import Verdict, VerifyConfig, verify_program

Progress = Callable[[str], None]

STAGES = ("data", "train", "simplify", "extract", "regress", "emit", "verify")


@dataclass(frozen=True, kw_only=True)
class PipelineConfig:
    seed: int = 0
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    simplify: SimplifyConfig = field(default_factory=SimplifyConfig)
    fsm: FsmConfig = field(default_factory=FsmConfig)
    behaviour: BehaviourConfig = field(default_factory=BehaviourConfig)
    lattice: LatticeConfig = field(default_factory=LatticeConfig)
    regress: RegressConfig = field(default_factory=RegressConfig)
    coordinates: CoordinateConfig = field(default_factory=CoordinateConfig)
    verify: VerifyConfig = field(default_factory=VerifyConfig)
    extract_sequences: int = 2048  # training sequences the network is traced on for extraction
    networks_tried: int = 3  # perfect networks, smallest first, that extraction is tried on
    time_budget: float | None = None  # seconds the network search may take (None: no limit)

    def __post_init__(self):
        if not 0 <= self.seed < 2**32:  # numpy's generators, derived from it, take no negative seeds
            raise ValueError(f"PipelineConfig.seed must be from 0 to 2**32 - 1, got {self.seed}")
        if self.extract_sequences < 1 or self.networks_tried < 1:
            raise ValueError("PipelineConfig.extract_sequences and networks_tried must be at least 1")
        if self.time_budget is not None and not 0 < self.time_budget < float("inf"):  # nan fails too
            raise ValueError("PipelineConfig.time_budget must be a positive finite number of seconds")

    def training_part(self) -> dict:
        """What decides the trained network: a saved network is reused only when this agrees."""
        return {"seed": self.seed, "data": asdict(self.data), "train": asdict(self.train), "search": asdict(self.search)}


@dataclass(frozen=True)
class SavedSearch:
    """An earlier run's search (its network) and the fingerprint of the data it was trained on:
    it is reused only for the same training data and training configuration."""

    search: SearchResult
    data_fingerprint: str


def data_fingerprint(data: TaskData) -> str:
    """A hash of the training and held-out arrays: the same data, the same fingerprint."""
    digest = hashlib.sha256()
    for array in (data.train.inputs, data.train.outputs, data.heldout.inputs, data.heldout.outputs):
        digest.update(str(array.shape).encode())
        digest.update(np.ascontiguousarray(array, dtype=np.int64).tobytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Candidate:
    """One extracted machine and whether it alone reproduces the held-out outputs."""

    machine: Machine
    matches_heldout: bool
    merged: bool = False  # a state machine completed by merging states (a guess past the data)
    # Formulas that go on counting where the state machine they rewrite stopped, at the
    # edge of the data (also a guess past the data; held-out data and verification judge it).
    extends: bool = False


@dataclass(frozen=True)
class Extraction:
    fsm: FsmResult  # states by clustering the hidden vectors
    lattice: LatticeResult
    behaviour: FsmResult  # states by what the network does from them

    def machines(self) -> Iterator[tuple[Machine, bool]]:
        """Every state machine extracted, with whether it was completed by merging states."""
        for result in (self.fsm, self.behaviour):
            if result.machine is not None:
                yield result.machine, False
            if result.merged is not None:
                yield result.merged, True


@dataclass(frozen=True)
class RunResult:
    task: Task
    config: PipelineConfig
    search: SearchResult
    extraction: Extraction | None
    affine: AffineFit | None
    candidates: tuple[Candidate, ...]
    chosen: Candidate | None
    program: str | None
    verdict: Verdict
    seconds: dict[str, float]
    reused_network: bool = False  # the network came from an earlier run, not from training
    data_fingerprint: str = ""  # of the training data (`data_fingerprint`)
    provenance: dict = field(default_factory=dict)  # versions, platform, device, date
    simplified: Simplified | None = None  # the simplify stage's result for the network used
    read: str = ""  # which network extraction read the chosen machine from: "simplified" or "trained"

    @property
    def network(self) -> Network | None:
        return self.search.network


def synthesize(
    task: Task,
    config: PipelineConfig = PipelineConfig(),
    progress: Progress = lambda m: None,
    *,
    reuse: SavedSearch | None = None,
) -> RunResult:
    """Run every stage. `reuse` is an earlier search with the same training configuration
    (see `PipelineConfig.training_part`): when it was trained on the same data, its network
    is used first instead of training again."""
    seconds: dict[str, float] = {}
    key = jax.random.key(config.seed)
    origin = provenance(device=_device())

    started: dict[str, float] = {}

    def stage(name: str, detail: str = ""):
        progress(f"[{STAGES.index(name) + 1}/{len(STAGES)}] {name}" + (f": {detail}" if detail else ""))
        started[name] = time.perf_counter()

    def done(name: str):  # a stage may run more than once: its times add up
        seconds[name] = round(seconds.get(name, 0.0) + time.perf_counter() - started[name], 3)

    stage("data")
    data = make_task_data(task, config.data, seed=config.seed)
    fingerprint = data_fingerprint(data)
    done("data")
    if reuse is not None and reuse.data_fingerprint != fingerprint:
        progress("  the saved network was trained on other data (the task has changed): training again")
        reuse = None
    reused_search = reuse.search if reuse is not None else None

    def finish(result: RunResult) -> RunResult:
        return replace(result, data_fingerprint=fingerprint, provenance=origin)

    stage("train", f"smallest network, {config.train.seeds} seeds at a time")
    encoding = choose_encoding(data.train, task.input_values)
    deadline = None if config.time_budget is None else time.monotonic() + config.time_budget
    networks = _networks(encoding, data, config, key, deadline, reused_search, progress)
    # The smallest perfect network may hold its states in a form no extractor can
    # read (a 1-D code with interleaved states, say); then the search goes on to
    # the next perfect architecture, up to `networks_tried` of them.
    for tries in range(1, config.networks_tried + 1):
        search = next(networks)
        done("train")
        if search.network is None:
            reason = f"no network up to hidden size {config.search.max_hidden} got every held-out output right"
            if search.out_of_time:
                # The attempt the budget stopped (the last one) says where the search was: a
                # wide candidate comes after narrow ones of larger hidden sizes.
                at = search.attempts[-1].arch if search.attempts else None
                where = f" (at hidden size {at.hidden}, MLP width {at.width})" if at else ""
                reason = (f"the network search reached its time budget of {config.time_budget:g}s"
                          f"{where} before any network got every held-out output right")
            if tries == 1:
                return finish(_failed(task, config, search, None, None, (), reason, seconds))
            # Report the first perfect network and what was extracted from it, with
            # every attempt made: the training did succeed, the extraction did not.
            reason = f"no structure reproduced the held-out outputs in {tries - 1} perfect network(s), and {reason}"
            first = replace(first_perfect, attempts=search.attempts, out_of_time=search.out_of_time)
            return finish(replace(_failed(task, config, first, *first_extraction, reason, seconds),
                                  simplified=first_simplified))

        stage("simplify", "normal forms of the network, each kept only if it stays perfect")
        simplified = simplify(search.network, data, config.simplify)
        for step in simplified.steps:
            progress(f"  {step['step']}: {'kept' if step['kept'] else 'not kept'} ({step['detail']})")
        done("simplify")
        # Extraction reads the simplified network first, and the trained one when nothing
        # read from the simplified one reproduces the held-out outputs.
        readings = [("simplified", simplified.network)] if simplified.kept else []
        readings.append(("trained", search.network))
        for read, network in readings:
            stage("extract", f"state machines (clusters, behaviour) and integer lattice, from the {read} network")
            extraction, affine, candidates, chosen = _read_network(network, data, config, progress, stage, done)
            if chosen is not None and chosen.matches_heldout:
                break
        if tries == 1:
            first_perfect, first_extraction = search, (extraction, affine, candidates)
            first_simplified = simplified
        if chosen is not None and chosen.matches_heldout:
            break
        if tries < config.networks_tried:
            stage("train", "no extracted structure reproduces the held-out outputs; trying the next architecture")
    if chosen is None:
        reason = "no discrete structure was extracted from the network"
        return finish(replace(_failed(task, config, search, extraction, affine, candidates, reason, seconds),
                              simplified=simplified))
    progress(f"  chosen: {describe(chosen)}")

    stage("emit")
    header = program_header(task, search, chosen, config)
    if read == "simplified":
        header.append(f"Read from the simplified network ({', '.join(simplified.kept)}: see report.json).")
    program = emit_program(chosen.machine, header)
    done("emit")

    stage("verify")
    verdict = verify_program(program, task, config.verify, seed=config.seed + 1, holdout=data.verify_examples)
    program = emit_program(chosen.machine, header + ["", verdict.summary()])
    done("verify")
    progress(f"  {verdict.summary()}")
    reused = reused_search is not None and search is reused_search
    return finish(RunResult(task, config, search, extraction, affine, candidates, chosen, program, verdict, seconds,
                            reused, simplified=simplified, read=read))


def _read_network(network: Network, data: TaskData, config: PipelineConfig, progress, stage, done):
    """Extraction and regression on one network: every candidate machine, and the chosen one."""
    trace = trace_network(network, data.train.inputs[: config.extract_sequences])
    extraction = Extraction(
        extract_fsm(trace, config.fsm, seed=config.seed),
        extract_lattice(trace, config.lattice, seed=config.seed,
                        nudges=input_nudges(network, trace.inputs, seed=config.seed)),
        extract_fsm_by_behaviour(network, trace, config.behaviour, seed=config.seed),
    )
    progress(f"  state machine (clusters): {extraction.fsm.reason}")
    progress(f"  state machine (behaviour): {extraction.behaviour.reason}")
    progress(f"  lattice: {extraction.lattice.reason}")
    done("extract")

    stage("regress", "exact rules on the discrete states")
    affine = fit_lattice_machine(extraction.lattice, trace, config.regress)
    if extraction.lattice.found:
        progress(f"  lattice rules: {affine.reason}")
    machines = list(extraction.machines())
    if affine.machine is not None:
        machines.append((affine.machine, False))
    machines += [(m, False) for m in _counter_machines(extraction, trace, config, progress)]
    candidates = tuple(Candidate(m, _matches(m, data), merged) for m, merged in machines)
    candidates += _formula_candidates(candidates, data, config, progress)
    if not any(c.matches_heldout and c.machine.complete for c in candidates):
        # The costlier fallback, only when nothing complete reproduces the held-out data yet.
        extraction, found = _lattice_by_behaviour(network, trace, data, extraction, config, progress)
        if found is not None:
            affine = found
            candidates += (Candidate(found.machine, True),)
    chosen = choose(candidates)
    done("regress")
    return extraction, affine, candidates, chosen


def _device() -> str:
    device = jax.devices()[0]
    return f"{device.platform} ({device.device_kind})"


def _networks(encoding, data, config, key, deadline, reuse, progress) -> Iterator[SearchResult]:
    """The perfect networks, smallest first: a reused one, then the search's."""
    after = None
    if reuse is not None and reuse.network is not None:
        progress(f"  reusing the saved network ({reuse.winner.arch.describe()}) instead of training again")
        yield reuse
        after = reuse.winner.arch
    earlier = reuse.attempts if reuse is not None and reuse.network is not None else ()
    for result in perfect_networks(encoding, data, config.search, config.train, key=key,
                                   deadline=deadline, after=after, progress=progress):
        yield replace(result, attempts=earlier + result.attempts)


def _counter_machines(extraction, trace, config, progress) -> list[Machine]:
    """Machines whose states are the counters a state machine keeps (`counter_lattice`):
    a chain of states that ends at the training length becomes a count with no end."""
    found = []
    for result in (extraction.fsm, extraction.behaviour):
        if result.observed is None:
            continue
        counted = counter_lattice(result.observed, trace)
        if not counted.found:
            continue
        fit = fit_lattice_machine(counted, trace, config.regress)
        progress(f"  counters: {counted.reason}; rules: {fit.reason}")
        if fit.machine is not None:
            found.append(fit.machine)
    return found


def _formula_candidates(candidates, data, config, progress) -> tuple[Candidate, ...]:
    """Each distinct state machine extracted, rewritten as formulas on integer coordinates
    (`coordinates.machine_as_formulas`); those that reproduce the held-out data first."""
    found, done = [], []
    deadline = time.monotonic() + config.coordinates.seconds  # for all the machines of this network
    for candidate in sorted(candidates, key=lambda c: not c.matches_heldout):
        machine = candidate.machine
        left = deadline - time.monotonic()
        if machine.kind != "fsm" or any(machine == other for other in done) or left <= 0:
            continue
        done.append(machine)
        for fit in machine_as_formulas(machine, replace(config.coordinates, seconds=left)):
            progress(f"  {machine.states}-state machine as formulas: {fit.reason}")
            if fit.machine is not None:
                found.append(Candidate(fit.machine, _matches(fit.machine, data), candidate.merged, not fit.exact))
    return tuple(found)


def _lattice_by_behaviour(network, trace, data, extraction, config, progress) -> tuple[Extraction, AffineFit | None]:
    """When the hidden states give no lattice machine that reproduces the held-out data,
    look for one in what the network will output from them (`extract_lattice_by_behaviour`).
    Returns the extraction and the fit, only if its machine reproduces the held-out outputs."""
    lattice, observed = extract_lattice_by_behaviour(network, trace, config.lattice, config.behaviour, seed=config.seed)
    fit = fit_lattice_machine(lattice, observed, config.regress)
    progress(f"  lattice in the network's outputs along probes: {lattice.reason}"
             + (f"; rules: {fit.reason}" if lattice.found else ""))
    if fit.machine is None or not _matches(fit.machine, data):
        return extraction, None
    reason = f"{lattice.reason}, in the network's outputs along probes (hidden states: {extraction.lattice.reason})"
    return replace(extraction, lattice=replace(lattice, reason=reason)), fit


def trace_network(network: Network, inputs: np.ndarray) -> Trace:
    hidden, outputs = network.run(inputs)
    initial = np.zeros_like(hidden[:, :1])
    return Trace(inputs, np.concatenate([initial, hidden], axis=1), outputs)


def _matches(machine: Machine, data: TaskData) -> bool:
    """Does the machine alone reproduce every held-out output? A machine that fails on the
    way (an unobserved transition, a division by zero or an overflow in a formula off the
    training rows, ...) is a failed candidate, never a crash."""
    for inputs, outputs in zip(data.heldout.inputs, data.heldout.outputs):
        try:
            if machine.run([from_tuple(s) for s in inputs]) != [from_tuple(s) for s in outputs]:
                return False
        except Exception:
            return False
    return True


def choose(candidates: tuple[Candidate, ...]) -> Candidate | None:
    """Among the machines that reproduce the held-out data: a complete one (defined on
    every input) before one with unobserved transitions, one read off the data before
    one completed by merging states (a guess), and then the smallest (description length);
    between a table and formulas of the same size, the formulas. Formulas that count on past
    the edge of the data (`extends`) rank like any others: they are a smaller description of
    the same data, and held-out data and verification judge the guess."""
    if not candidates:
        return None
    return min(candidates, key=lambda c: (not c.matches_heldout, not c.machine.complete, c.merged, c.machine.size,
                                          c.machine.form == "table"))


def describe(candidate: Candidate) -> str:
    m = candidate.machine
    if m.kind == "fsm":
        shape = f"{m.states}-state machine"
    elif m.kind == "lattice":
        shape = f"{m.state_dim}-dimensional integer lattice"
    elif m.rewrites:
        shape = f"{m.rewrites}-state machine written as formulas on {m.state_dim} integer coordinate(s)"
    else:
        shape = f"{m.state_dim}-dimensional integer state with symbolic formulas"
    held = "reproduces" if candidate.matches_heldout else "does NOT reproduce"
    merged = ", completed by merging states" if candidate.merged else ""
    merged += ", counting on past the edge of the data" if candidate.extends else ""
    return f"{shape} (size {m.size}){merged}, {held} the held-out outputs"


def program_header(task: Task, search: SearchResult, chosen: Candidate, config: PipelineConfig) -> list[str]:
    arch = search.winner.arch
    return [
        f"{task.name}: synthesized by mips from a trained recurrent network.",
        "",
        f"Network: {arch.describe()} (seed {config.seed}, trained seed {search.winner.seed_index}).",
        f"Route: {describe(chosen)}.",
    ]


def _failed(task, config, search, extraction, affine, candidates, reason, seconds) -> RunResult:
    verdict = Verdict(False, (), reason)
    return RunResult(task, config, search, extraction, affine, candidates, None, None, verdict, seconds)

"""The pipeline: task -> data -> network -> discrete states -> rules -> program -> verdict.

`synthesize` calls one stage after another (`STAGES`, the README's stage table in code); each
stage is one call into its own package and returns a plain value. This file only wires them
together, times them and reports progress. It sees the task only through examples: the
reference is called by `data` and `verify`.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from typing import Iterator

import jax

from mips import extract, regress
from mips.choose import Candidate, choose, describe
from mips.data import DataConfig, TaskData, data_fingerprint, make_task_data
from mips.emit import emit_program
from mips.events import STAGE, Event, Progress
from mips.extract.behaviour import BehaviourConfig
from mips.extract.clusters import FsmConfig
from mips.extract.lattice import LatticeConfig
from mips.io.provenance import provenance
from mips.network.given import GivenNetwork
from mips.network.model import Network, choose_encoding
from mips.network.simplify import SimplifyConfig, simplify
from mips.network.trace import trace_network
from mips.network.train import SearchConfig, SearchResult, TrainConfig, perfect_networks
from mips.regress.affine import RegressConfig
from mips.regress.coordinates import CoordinateConfig
from mips.results import Reading, RunResult, SavedSearch
from mips.task import Task
from mips.verify import Verdict, VerifyConfig, verify_program

# The stages, in order, as the progress lines number them and the README's stage table lists them.
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
        return {
            "seed": self.seed,
            "data": asdict(self.data),
            "train": asdict(self.train),
            "search": asdict(self.search),
        }


class _Clock:
    """Progress lines for the stages, and the seconds each took (a stage may run more than
    once: its times add up)."""

    def __init__(self, progress: Progress):
        self.progress, self.seconds, self.started = progress, {}, {}

    def start(self, name: str, detail: str = "", deadline: float | None = None) -> None:
        number = STAGES.index(name) + 1
        text = f"[{number}/{len(STAGES)}] {name}" + (f": {detail}" if detail else "")
        self.progress(
            Event(
                text=text, kind=STAGE, stage=name, number=number, stages=len(STAGES), detail=detail, deadline=deadline
            )
        )
        self.started[name] = time.perf_counter()

    def stop(self, name: str) -> None:
        self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - self.started[name], 3)


def synthesize(
    task: Task,
    config: PipelineConfig = PipelineConfig(),
    progress: Progress = lambda m: None,
    *,
    reuse: SavedSearch | None = None,
) -> RunResult:
    """Run every stage. `reuse` is an earlier search with the same training configuration
    (see `PipelineConfig.training_part`): when it was trained on the same data, its network
    is used first instead of training again. `progress` is given lines (`str`) and
    `mips.events.Event`s (each stage as it starts, each candidate of the search as it starts
    and leaves), whose `str` is their line."""
    clock = _Clock(progress)
    origin = provenance(device=_device())
    clock.start("data")
    data = make_task_data(task, config.data, seed=config.seed)
    fingerprint = data_fingerprint(data)
    clock.stop("data")
    if reuse is not None and reuse.data_fingerprint != fingerprint:
        progress("  the saved network was trained on other data (the task has changed): training again")
        reuse = None
    reused_search = reuse.search if reuse is not None else None

    deadline = None if config.time_budget is None else time.monotonic() + config.time_budget
    clock.start("train", f"smallest network, {config.train.seeds} seeds at a time", deadline)
    encoding = choose_encoding(data.train, task.input_values)
    networks = _networks(encoding, data, config, deadline, reused_search, progress)
    outcome = _read_perfect_networks(networks, data, config, clock)
    if isinstance(outcome, RunResult):
        result = outcome
    else:
        header = program_header(task, outcome.search, outcome.chosen, config)
        result = _emit_and_verify(task, config, data, outcome, clock, header)
        result = replace(result, reused_network=reused_search is not None and outcome.search is reused_search)
    return replace(result, task=task, seconds=clock.seconds, data_fingerprint=fingerprint, provenance=origin)


def read_given(
    network: GivenNetwork,
    task: Task,
    config: PipelineConfig = PipelineConfig(),
    progress: Progress = lambda m: None,
) -> RunResult:
    """The stages after training, on a network mips did not train: extraction, regression,
    emission and verification. The network is run on the task's training inputs as it is (it is
    not simplified: its weights are the user's); how many held-out outputs it gets right is
    reported, and a network that is not perfect is read all the same (verification judges)."""
    network.check(task.input_dim, task.input_values)  # a network that does not fit the task: before any work
    clock = _Clock(progress)
    origin = provenance(device=_device())
    clock.start("data")
    data = make_task_data(task, config.data, seed=config.seed)
    clock.stop("data")
    clock.start("train", f"none: the network is given ({network.description})")
    _, predicted = network.run(data.heldout.inputs)
    right = int((predicted == data.heldout.outputs).all(axis=-1).sum())
    total = predicted.shape[0] * predicted.shape[1]
    clock.progress(f"  the given network gets {right:,} of {total:,} held-out outputs right")
    clock.stop("train")
    search = SearchResult(network=None)
    clock.start("extract", "state machines (clusters, behaviour) and integer lattice, from the given network")
    extraction, affine, candidates = _extract_and_fit(network, data, config, clock)
    chosen = choose(candidates)
    clock.stop("regress")
    reading = Reading(search, None, extraction, affine, candidates, chosen, "given")
    given = {**network.details, "description": network.description, "heldout_right": right, "heldout_outputs": total}
    if chosen is None:
        result = _failed(config, search, "no discrete structure was extracted from the network", reading)
    else:
        header = [
            f"{task.name}: synthesized by mips from a given recurrent network.",
            "",
            f"Network: {network.description}.",
            f"Route: {describe(chosen)}.",
        ]
        result = _emit_and_verify(task, config, data, reading, clock, header)
    seconds = clock.seconds
    return replace(
        result, task=task, seconds=seconds, data_fingerprint=data_fingerprint(data), provenance=origin, given=given
    )


def _read_perfect_networks(
    networks: Iterator[SearchResult], data: TaskData, config: PipelineConfig, clock: _Clock
) -> Reading | RunResult:
    """The first perfect network, smallest first, from which a machine that reproduces the
    held-out outputs is read, or else the last one read (up to `networks_tried`): the smallest
    perfect network may hold its states in a form no extractor can read (a 1-D code with
    interleaved states, say). A failed `RunResult` when the networks run out first."""
    first = None
    for tries in range(1, config.networks_tried + 1):
        search = next(networks)
        clock.stop("train")
        if search.network is None:
            return _no_network(config, search, first, tries)
        reading = _read_network(search, data, config, clock)
        first = first or reading
        if reading.reproduces:
            return reading
        if tries < config.networks_tried:
            clock.start("train", "no extracted structure reproduces the held-out outputs; trying the next architecture")
    if reading.chosen is None:
        return _failed(config, reading.search, "no discrete structure was extracted from the network", reading)
    return reading


def _no_network(config: PipelineConfig, search: SearchResult, first: Reading | None, tries: int) -> RunResult:
    """The search ran out of candidates or time; with a perfect network read before, report
    that one and what was extracted from it, with every attempt made (the training did
    succeed, the extraction did not)."""
    reason = f"no network up to hidden size {config.search.max_hidden} got every held-out output right"
    if search.out_of_time:
        # The attempt the budget stopped (the last one) says where the search was: a
        # wide candidate comes after narrow ones of larger hidden sizes.
        at = search.attempts[-1].arch if search.attempts else None
        where = f" (at hidden size {at.hidden}, MLP width {at.width})" if at else ""
        reason = (
            f"the network search reached its time budget of {config.time_budget:g}s"
            f"{where} before any network got every held-out output right"
        )
    if first is None:
        return _failed(config, search, reason)
    reason = f"no structure reproduced the held-out outputs in {tries - 1} perfect network(s), and {reason}"
    whole = replace(first.search, attempts=search.attempts, out_of_time=search.out_of_time)
    return _failed(config, whole, reason, first)


def _read_network(search: SearchResult, data: TaskData, config: PipelineConfig, clock: _Clock) -> Reading:
    """Simplify, then extract and regress on the simplified network first, and on the trained
    one when nothing read from the simplified one reproduces the held-out outputs."""
    clock.start("simplify", "normal forms of the network, each kept only if it stays perfect")
    simplified = simplify(search.network, data, config.simplify)
    for step in simplified.steps:
        clock.progress(f"  {step['step']}: {'kept' if step['kept'] else 'not kept'} ({step['detail']})")
    clock.stop("simplify")
    readings = [("simplified", simplified.network)] if simplified.kept else []
    readings.append(("trained", search.network))
    for read, network in readings:
        clock.start("extract", f"state machines (clusters, behaviour) and integer lattice, from the {read} network")
        extraction, affine, candidates = _extract_and_fit(network, data, config, clock)
        chosen = choose(candidates)
        clock.stop("regress")
        reading = Reading(search, simplified, extraction, affine, candidates, chosen, read)
        if reading.reproduces:
            break
    return reading


def _extract_and_fit(network: Network, data: TaskData, config: PipelineConfig, clock: _Clock):
    """The extract stage and the regress stage on one network: its extraction, the affine fit
    and every candidate machine."""
    trace = trace_network(network, data.train.inputs[: config.extract_sequences])
    extraction = extract.extract(network, trace, config.fsm, config.lattice, config.behaviour, seed=config.seed)
    clock.progress(f"  state machine (clusters): {extraction.fsm.reason}")
    clock.progress(f"  state machine (behaviour): {extraction.behaviour.reason}")
    clock.progress(f"  lattice: {extraction.lattice.reason}")
    clock.stop("extract")
    clock.start("regress", "exact rules on the discrete states")
    return regress.fit(
        network,
        trace,
        data,
        extraction,
        regress=config.regress,
        coordinates=config.coordinates,
        lattice=config.lattice,
        behaviour=config.behaviour,
        seed=config.seed,
        progress=clock.progress,
    )


def _emit_and_verify(
    task: Task, config: PipelineConfig, data: TaskData, reading: Reading, clock: _Clock, header: list[str]
) -> RunResult:
    clock.progress(f"  chosen: {describe(reading.chosen)}")
    clock.start("emit")
    if reading.read == "simplified":
        header.append(f"Read from the simplified network ({', '.join(reading.simplified.kept)}: see report.json).")
    program = emit_program(reading.chosen.machine, header)
    clock.stop("emit")
    clock.start("verify")
    verdict = verify_program(program, task, config.verify, seed=config.seed + 1, holdout=data.verify_examples)
    program = emit_program(reading.chosen.machine, header + ["", verdict.summary()])
    clock.stop("verify")
    clock.progress(f"  {verdict.summary()}")
    return RunResult(
        task,
        config,
        reading.search,
        reading.extraction,
        reading.affine,
        reading.candidates,
        reading.chosen,
        program,
        verdict,
        {},
        simplified=reading.simplified,
        read=reading.read,
    )


def _device() -> str:
    device = jax.devices()[0]
    return f"{device.platform} ({device.device_kind})"


def _networks(encoding, data, config, deadline, reuse, progress) -> Iterator[SearchResult]:
    """The perfect networks, smallest first: a reused one, then the search's."""
    after = None
    if reuse is not None and reuse.network is not None:
        progress(f"  reusing the saved network ({reuse.winner.arch.describe()}) instead of training again")
        yield reuse
        after = reuse.winner.arch
    earlier = reuse.attempts if reuse is not None and reuse.network is not None else ()
    for result in perfect_networks(
        encoding,
        data,
        config.search,
        config.train,
        key=jax.random.key(config.seed),
        deadline=deadline,
        after=after,
        progress=progress,
    ):
        yield replace(result, attempts=earlier + result.attempts)


def program_header(task: Task, search: SearchResult, chosen: Candidate, config: PipelineConfig) -> list[str]:
    arch = search.winner.arch
    return [
        f"{task.name}: synthesized by mips from a trained recurrent network.",
        "",
        f"Network: {arch.describe()} (seed {config.seed}, trained seed {search.winner.seed_index}).",
        f"Route: {describe(chosen)}.",
    ]


def _failed(config: PipelineConfig, search: SearchResult, reason: str, reading: Reading | None = None) -> RunResult:
    """A result with no program (the task and the seconds are filled in by `synthesize`)."""
    verdict = Verdict(False, (), reason)
    if reading is None:
        return RunResult(None, config, search, None, None, (), None, None, verdict, {})
    return RunResult(
        None,
        config,
        search,
        reading.extraction,
        reading.affine,
        reading.candidates,
        None,
        None,
        verdict,
        {},
        simplified=reading.simplified,
    )

"""Regression: exact rules fitted on what extraction read, each result a candidate machine.

`fit` turns an `Extraction` into candidates, each checked alone on held-out data: the state
machines as read, affine rules on the lattice's integer states (`affine`), on the counters a
state machine keeps (`extract.counters`), each state machine rewritten as formulas on integer
coordinates (`coordinates`, with `rules`, `symbolic` and `boolean`), and, when nothing complete
reproduces the held-out data, affine rules on a lattice in the network's outputs along probes.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable

from mips.choose import Candidate, reproduces_heldout
from mips.data import TaskData
from mips.extract import Extraction
from mips.extract.behaviour import BehaviourConfig, extract_lattice_by_behaviour
from mips.extract.counters import counter_states, outputs_by_majority, symbol_counts
from mips.extract.lattice import LatticeConfig
from mips.machines import Machine
from mips.network.trace import Trace
from mips.regress.affine import AffineFit, RegressConfig, fit_affine_machine
from mips.regress.coordinates import CoordinateConfig, machine_as_formulas

Progress = Callable[[str], None]


def fit(
    network,
    trace: Trace,
    data: TaskData,
    extraction: Extraction,
    *,
    regress: RegressConfig,
    coordinates: CoordinateConfig,
    lattice: LatticeConfig,
    behaviour: BehaviourConfig,
    seed: int,
    progress: Progress = lambda message: None,
) -> tuple[Extraction, AffineFit, tuple[Candidate, ...]]:
    """Every candidate machine for one network's `extraction` of `trace` (with the extraction,
    whose lattice is replaced when the one along probes is what worked, and the affine fit)."""
    # The rule finders draw from the run's seed.
    regress = replace(regress, rules=replace(regress.rules, seed=seed))
    coordinates = replace(coordinates, rules=replace(coordinates.rules, seed=seed))
    affine = fit_affine_machine(extraction.lattice, trace, regress)
    if extraction.lattice.found:
        progress(f"  lattice rules: {affine.reason}")
    machines: list[tuple[Machine, bool]] = list(extraction.machines())
    if affine.machine is not None:
        machines.append((affine.machine, False))
    machines += [(m, False) for m in _counter_machines(extraction, trace, regress, progress)]
    candidates = tuple(Candidate(m, reproduces_heldout(m, data), merged) for m, merged in machines)
    candidates += _formula_candidates(candidates, data, coordinates, progress)
    if not any(c.matches_heldout and c.machine.complete for c in candidates):
        # The costlier fallback, only when nothing complete reproduces the held-out data yet.
        extraction, found = _lattice_by_behaviour(
            network, trace, data, extraction, lattice, behaviour, regress, seed, progress
        )
        if found is not None:
            affine = found
            candidates += (Candidate(found.machine, True),)
    return extraction, affine, candidates


def _counter_machines(extraction: Extraction, trace: Trace, regress: RegressConfig, progress) -> list[Machine]:
    """Machines whose states are the counters a state machine keeps (`counter_states`):
    a chain of states that ends at the training length becomes a count with no end; and
    the counts of each input symbol, when the hidden state is a function of them
    (`symbol_counts`)."""
    found = []
    for result in (extraction.fsm, extraction.behaviour):
        if result.observed is None:
            continue
        counted = counter_states(result.observed, trace)
        if not counted.found:
            continue
        fitted = fit_affine_machine(counted, trace, regress)
        progress(f"  counters: {counted.reason}; rules: {fitted.reason}")
        if fitted.machine is not None:
            found.append(fitted.machine)
    counted = symbol_counts(trace, max_symbols=regress.counted_symbols)
    if counted.found:
        outputs, changed = outputs_by_majority(counted.states, trace.outputs)
        fitted = fit_affine_machine(counted, replace(trace, outputs=outputs), regress)
        by_majority = f" ({changed} of the network's outputs outvoted by the others of their counts)" if changed else ""
        progress(f"  counts: {counted.reason}{by_majority}; rules: {fitted.reason}")
        if fitted.machine is not None:
            found.append(fitted.machine)
    return found


def _formula_candidates(candidates, data: TaskData, config: CoordinateConfig, progress) -> tuple[Candidate, ...]:
    """Each distinct state machine extracted, rewritten as formulas on integer coordinates
    (`coordinates.machine_as_formulas`); those that reproduce the held-out data first."""
    found, done = [], []
    deadline = time.monotonic() + config.seconds  # for all the machines of this network
    for candidate in sorted(candidates, key=lambda c: not c.matches_heldout):
        machine = candidate.machine
        left = deadline - time.monotonic()
        if machine.kind != "fsm" or any(machine == other for other in done) or left <= 0:
            continue
        done.append(machine)
        for fitted in machine_as_formulas(machine, replace(config, seconds=left)):
            progress(f"  {machine.states}-state machine as formulas: {fitted.reason}")
            if fitted.machine is not None:
                found.append(
                    Candidate(
                        fitted.machine,
                        reproduces_heldout(fitted.machine, data),
                        candidate.merged,
                        not fitted.exact,
                        fitted.guess or Candidate.guess,
                        state_machine=machine,
                    )
                )
    return tuple(found)


def _lattice_by_behaviour(
    network, trace, data, extraction, lattice, behaviour, regress, seed, progress
) -> tuple[Extraction, AffineFit | None]:
    """When the hidden states give no lattice machine that reproduces the held-out data,
    look for one in what the network will output from them (`extract_lattice_by_behaviour`).
    Returns the extraction and the fit, only if its machine reproduces the held-out outputs."""
    found, observed = extract_lattice_by_behaviour(network, trace, lattice, behaviour, seed=seed)
    fitted = fit_affine_machine(found, observed, regress)
    progress(
        f"  lattice in the network's outputs along probes: {found.reason}"
        + (f"; rules: {fitted.reason}" if found.found else "")
    )
    if fitted.machine is None or not reproduces_heldout(fitted.machine, data):
        return extraction, None
    reason = f"{found.reason}, in the network's outputs along probes (hidden states: {extraction.lattice.reason})"
    return replace(extraction, lattice=replace(found, reason=reason)), fitted

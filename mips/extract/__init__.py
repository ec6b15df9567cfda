"""Extraction: discrete states read out of a network's hidden states.

`extract` runs the three readings on one trace: clusters of the hidden vectors
(`clusters`), states by what the network does from them along probes (`behaviour`), and an
integer lattice in hidden space (`lattice`, its basis tried first along the network's own
input nudges). The costlier readings (a lattice in the network's outputs along probes, the
counters a state machine keeps) are called by regression when these are not enough. What is
handed on: state machines, or integer states per step (`states.IntegerStates`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from mips.extract.behaviour import BehaviourConfig, extract_fsm_by_behaviour, input_nudges
from mips.extract.clusters import FsmConfig, FsmResult, extract_fsm
from mips.extract.lattice import LatticeConfig, LatticeResult, extract_lattice
from mips.machines import StateMachine
from mips.network.trace import Trace


@dataclass(frozen=True)
class Extraction:
    fsm: FsmResult  # states by clustering the hidden vectors
    lattice: LatticeResult
    behaviour: FsmResult  # states by what the network does from them

    def machines(self) -> Iterator[tuple[StateMachine, bool]]:
        """Every state machine extracted, with whether it was completed by merging states."""
        for result in (self.fsm, self.behaviour):
            if result.machine is not None:
                yield result.machine, False
            if result.merged is not None:
                yield result.merged, True


def extract(
    network, trace: Trace, fsm: FsmConfig, lattice: LatticeConfig, behaviour: BehaviourConfig, *, seed: int
) -> Extraction:
    """The three readings of `trace`, the run of `network` (a `model.Network`, asked as an oracle)."""
    return Extraction(
        extract_fsm(trace, fsm, seed=seed),
        extract_lattice(trace, lattice, seed=seed, nudges=input_nudges(network, trace.inputs, seed=seed)),
        extract_fsm_by_behaviour(network, trace, behaviour, seed=seed),
    )

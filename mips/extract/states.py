"""The value extraction hands to regression: integer states per step."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class IntegerStates:
    """Integer coordinates of the state after each step (t = 1..T) of the traced sequences,
    or why none were found. A lattice in the hidden states or in the network's outputs along
    probes (`lattice.LatticeResult`, which adds its basis) and the counters a state machine
    keeps (`counters.counter_states`) all hand these on; regression fits the rules that map
    one step's coordinates to the next and to the outputs."""

    states: np.ndarray | None  # int64 [N, T, m]
    reason: str

    @property
    def found(self) -> bool:
        return self.states is not None

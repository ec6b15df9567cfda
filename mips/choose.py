"""Choosing the program's machine: each machine extracted and fitted is checked alone on the
held-out data, and the smallest that reproduces it is chosen."""

from __future__ import annotations

from dataclasses import dataclass

from mips.data import TaskData
from mips.machines import Machine, StateMachine, from_tuple


@dataclass(frozen=True)
class Candidate:
    """One extracted machine and whether it alone reproduces the held-out outputs."""

    machine: Machine
    matches_heldout: bool
    merged: bool = False  # a state machine completed by merging states (a guess past the data)
    # Formulas that go on counting where the state machine they rewrite stopped, at the
    # edge of the data (also a guess past the data; held-out data and verification judge it).
    extends: bool = False
    guess: str = "counting on past the edge of the data"  # what the guess is, when `extends`
    # The state machine that `machine` writes as formulas (None for any other machine): kept so
    # that a person can still see the states and transitions the formulas stand for.
    state_machine: StateMachine | None = None


def reproduces_heldout(machine: Machine, data: TaskData) -> bool:
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
    one completed by merging states (a guess), formulas before a table (a table only when no
    formula reproduces the held-out data), and then the smallest (description length).
    Formulas that count on past
    the edge of the data (`extends`) rank like any others: they are a smaller description of
    the same data, and held-out data and verification judge the guess."""
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda c: (
            not c.matches_heldout,
            not c.machine.complete,
            c.merged,
            c.machine.form == "table",
            c.machine.size,
        ),
    )


def describe(candidate: Candidate) -> str:
    m = candidate.machine
    held = "reproduces" if candidate.matches_heldout else "does NOT reproduce"
    merged = ", completed by merging states" if candidate.merged else ""
    merged += f", {candidate.guess}" if candidate.extends else ""
    return f"{m.shape} (size {m.size}){merged}, {held} the held-out outputs"

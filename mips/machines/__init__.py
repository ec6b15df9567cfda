"""Discrete machines read out of a network. Each one runs on its own.

- `StateMachine` (`table`): a Moore machine over a finite set of states (tables).
- `AffineMachine` (`affine`): an integer state vector updated by exact rational affine
  formulas, s <- A s + B x + c, with outputs y = V s + w.
- `FormulaMachine` (`formula`): an integer state vector whose update and outputs are
  integer expressions (abs, min, max, comparisons, ...) found by regression, in the
  formula language of `language`.

All follow the `Machine` protocol (`base`).
"""

from __future__ import annotations

from mips.io.jsonread import json_field, json_kind, json_object
from mips.machines.affine import AffineMachine, affine_formula
from mips.machines.base import MACHINE_ERRORS, Machine, Step, as_tuple, from_tuple, input_names, state_names
from mips.machines.formula import FormulaMachine
from mips.machines.language import (
    compile_formula,
    formula_size,
    readable,
    readable_names,
    shared_part,
    tidy,
    with_part_named,
    with_state_names,
    without_error,
)
from mips.machines.table import StateMachine

# Each kind of machine by the `kind` its JSON carries.
KINDS: dict[str, type] = {"fsm": StateMachine, "lattice": AffineMachine, "formula": FormulaMachine}

__all__ = [
    "KINDS",
    "MACHINE_ERRORS",
    "AffineMachine",
    "FormulaMachine",
    "Machine",
    "StateMachine",
    "Step",
    "affine_formula",
    "as_tuple",
    "compile_formula",
    "formula_size",
    "from_tuple",
    "input_names",
    "machine_from_json",
    "readable",
    "readable_names",
    "shared_part",
    "state_names",
    "tidy",
    "with_part_named",
    "with_state_names",
    "without_error",
]


def machine_from_json(data: dict) -> Machine:
    """The machine that `to_json` wrote; ValueError (naming the field) for anything else."""
    kind = json_field(json_object(data, "the machine"), "kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValueError(f"kind is {json_kind(kind)}; a machine is one of {', '.join(KINDS)}")
    return KINDS[kind].from_json(data)

"""Balanced_Parenthesis: synthesized by mips from a trained recurrent network.

Network: hidden 1, f depth 2, g depth 2, width 16 (seed 0, trained seed 2).
Route: 11-state machine written as formulas on 1 integer coordinate(s) (size 17), completed by merging states, counting on past the edge of the data, reproduces the held-out outputs.
Read from the simplified network (relu units, rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""


def program(inputs):
    s0 = 0  # a counter (per input 0: +1, 1: -1)
    outputs = []
    for x in inputs:
        s0 = s0 - 2 * x + 1 if s0 >= 0 else s0
        outputs.append(int(s0 == 0))
    return outputs

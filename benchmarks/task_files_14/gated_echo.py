"""Two outputs over ten input values, from a two-state machine: the input when the one
before it was even (else 0), and the parity of the odd inputs seen."""

NAME = "Gated_Echo"
INPUT_DIM = 1
LENGTH = 10
INPUT_VALUES = range(0, 10)
RULE = "(x_t if x_{t-1} is even else 0, number of odd inputs among x_1..x_t mod 2), with x_0 = 0"


def reference(inputs):
    out, previous, odd = [], 0, 0
    for x in inputs:
        odd = (odd + x % 2) % 2
        out.append((x if previous % 2 == 0 else 0, odd))
        previous = x
    return out

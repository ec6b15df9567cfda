NAME = "Zeros_Since_One"
INPUT_DIM = 1
LENGTH = 10
INPUT_VALUES = range(0, 2)
RULE = "how many zeros have come since the last 1 (or since the start): a counter that resets"


def reference(inputs):
    out, run = [], 0
    for x in inputs:
        run = 0 if x == 1 else run + 1
        out.append(run)
    return out

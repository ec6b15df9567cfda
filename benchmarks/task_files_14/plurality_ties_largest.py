"""The value seen most often so far, a tie going to the largest tied value."""

NAME = "Plurality_Ties_Largest"
INPUT_DIM = 1
LENGTH = 10
INPUT_VALUES = (0, 1, 2)
RULE = "argmax of the counts of 0, 1, 2 among x_1..x_t, ties to the largest value"


def reference(inputs):
    out, counts = [], [0, 0, 0]
    for x in inputs:
        counts[x] += 1
        best = max(counts)
        out.append(max(v for v in range(3) if counts[v] == best))
    return out

NAME = "Ones_Beat_Twos"
INPUT_DIM = 1
LENGTH = 10
INPUT_VALUES = range(0, 3)
RULE = "1 if x_1..x_t hold more 1s than 2s, else 0 (a counter: no finite machine is right at every length)"


def reference(inputs):
    out, lead = [], 0
    for x in inputs:
        lead += (x == 1) - (x == 2)
        out.append(int(lead > 0))
    return out

"""Whether more 0s than 1s were seen so far (2s count for neither): two counts compared."""

NAME = "Zeros_Lead_Ones"
INPUT_DIM = 1
LENGTH = 10
INPUT_VALUES = (0, 1, 2)
RULE = "1 if x_1..x_t hold more 0s than 1s, else 0"


def reference(inputs):
    out, zeros, ones = [], 0, 0
    for x in inputs:
        zeros += x == 0
        ones += x == 1
        out.append(int(zeros > ones))
    return out

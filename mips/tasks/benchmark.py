"""The 62 tasks of the MIPS benchmark (Michaud et al., arXiv 2402.05110).

Each rule is written from TASKS.md of the benchmark (../shared/benchmark/ beside this
checkout) and checked against its worked examples by tests/test_tasks_golden.py.
Before the first step every remembered value is 0. These functions are references:
the pipeline only calls them.
"""

from __future__ import annotations

import random

BITS = range(0, 2)
DIGITS = range(0, 10)
NUMBERS = range(0, 100)
SIGNED = range(-100, 100)
FORCES = range(-10, 11)

# name -> (input_dim, length, input_values, reference, sample or None, one-line rule)
SPECS: dict[str, tuple] = {}


def _task(name, input_dim, length, values, rule, sample=None):
    def register(reference):
        SPECS[name] = (input_dim, length, values, reference, sample, rule)
        return reference

    return register


def _window(xs, t, k):
    """x_{t-k+1}..x_t with zeros before the start."""
    return [xs[i] if i >= 0 else 0 for i in range(t - k + 1, t + 1)]


# --- addition with a carry -------------------------------------------------


def _base_addition(base):
    def reference(inputs):
        carry, out = 0, []
        for a, b in inputs:
            s = a + b + carry
            out.append(s % base)
            carry = s // base
        return out

    return reference


_task("Binary_Addition", 2, 10, BITS, "little-endian binary addition of the two bits with a carry")(_base_addition(2))
for _k in range(3, 8):
    _task(f"Base_{_k}_Addition", 2, 10, range(0, _k), f"little-endian base-{_k} addition with a carry")(
        _base_addition(_k)
    )


# --- bitwise -----------------------------------------------------------------


@_task("Bitwise_Xor", 2, 10, BITS, "a_t XOR b_t")
def bitwise_xor(inputs):
    return [a ^ b for a, b in inputs]


@_task("Bitwise_Or", 2, 10, BITS, "a_t OR b_t")
def bitwise_or(inputs):
    return [a | b for a, b in inputs]


@_task("Bitwise_And", 2, 10, BITS, "a_t AND b_t")
def bitwise_and(inputs):
    return [a & b for a, b in inputs]


@_task("Bitwise_Not", 1, 10, BITS, "1 - x_t")
def bitwise_not(inputs):
    return [1 - x for x in inputs]


# --- parities ------------------------------------------------------------------


def _parity_last(k):
    def reference(inputs):
        return [sum(_window(inputs, t, k)) % 2 for t in range(len(inputs))]

    return reference


for _k in (2, 3, 4):
    _task(f"Parity_Last{_k}", 1, 10, BITS, f"parity of the last {_k} bits")(_parity_last(_k))


@_task("Parity_All", 1, 10, BITS, "parity of all bits so far")
def parity_all(inputs):
    out, s = [], 0
    for x in inputs:
        s ^= x
        out.append(s)
    return out


@_task("Parity_Zeros", 1, 10, BITS, "parity of the number of zeros so far")
def parity_zeros(inputs):
    out, s = [], 0
    for x in inputs:
        s ^= 1 - x
        out.append(s)
    return out


@_task("Evens_Counter", 1, 10, DIGITS, "number of even values so far")
def evens_counter(inputs):
    out, n = [], 0
    for x in inputs:
        n += x % 2 == 0
        out.append(n)
    return out


# --- sums and delays -----------------------------------------------------------


@_task("Sum_All", 1, 10, NUMBERS, "sum of all inputs so far")
def sum_all(inputs):
    out, s = [], 0
    for x in inputs:
        s += x
        out.append(s)
    return out


def _sum_last(k):
    def reference(inputs):
        return [sum(_window(inputs, t, k)) for t in range(len(inputs))]

    return reference


for _k in range(2, 8):
    _task(f"Sum_Last{_k}", 1, 10 if _k <= 4 else 20, NUMBERS, f"sum of the last {_k} inputs")(_sum_last(_k))


@_task("Current_Number", 1, 10, NUMBERS, "x_t")
def current_number(inputs):
    return list(inputs)


def _prev(k):
    def reference(inputs):
        return [inputs[t - k] if t >= k else 0 for t in range(len(inputs))]

    return reference


for _k in range(1, 6):
    _task(f"Prev{_k}", 1, 10 if _k <= 4 else 20, NUMBERS, f"x_(t-{_k})")(_prev(_k))


@_task("Previous_Equals_Current", 1, 10, range(0, 8), "1 if x_t == x_(t-1) else 0")
def previous_equals_current(inputs):
    return [int(x == p) for p, x in zip([0] + list(inputs), inputs)]


@_task("Diff_Last2", 1, 10, SIGNED, "x_t - x_(t-1)")
def diff_last2(inputs):
    return [x - p for p, x in zip([0] + list(inputs), inputs)]


@_task("Abs_Diff", 1, 10, SIGNED, "abs(x_t - x_(t-1))")
def abs_diff(inputs):
    return [abs(x - p) for p, x in zip([0] + list(inputs), inputs)]


@_task("Abs_Current", 1, 10, SIGNED, "abs(x_t)")
def abs_current(inputs):
    return [abs(x) for x in inputs]


@_task("Diff_Abs_Values", 1, 10, SIGNED, "abs(x_t) - abs(x_(t-1))")
def diff_abs_values(inputs):
    return [abs(x) - abs(p) for p, x in zip([0] + list(inputs), inputs)]


@_task("Min_Seen", 1, 10, DIGITS, "smallest value so far")
def min_seen(inputs):
    out = []
    for t, x in enumerate(inputs):
        out.append(x if t == 0 else min(out[-1], x))
    return out


@_task("Max_Seen", 1, 10, NUMBERS, "largest value so far")
def max_seen(inputs):
    out = []
    for t, x in enumerate(inputs):
        out.append(x if t == 0 else max(out[-1], x))
    return out


def _majority(k):
    def reference(inputs):
        counts, out = [0] * (k + 1), []
        for x in inputs:
            counts[x] += 1
            out.append(max(range(k + 1), key=lambda v: (counts[v], -v)))
        return out

    return reference


for _k in (1, 2, 3):
    _task(f"Majority_0_{_k}", 1, 10, range(0, _k + 1), "most frequent value so far, ties to the smallest")(
        _majority(_k)
    )


@_task("Evens_Detector", 1, 10, DIGITS, "1 if x_t is even else 0")
def evens_detector(inputs):
    return [int(x % 2 == 0) for x in inputs]


@_task("Perfect_Square_Detector", 1, 10, range(0, 20), "1 if x_t is a perfect square else 0")
def perfect_square_detector(inputs):
    return [int(x in (0, 1, 4, 9, 16)) for x in inputs]


def _palindrome_sample(rng: random.Random, length: int) -> list[int]:
    """A random palindrome of random length L in 2..length, then length - L uniform bits."""
    if length < 2:
        return [rng.randint(0, 1) for _ in range(length)]
    size = rng.randint(2, length)
    half = [rng.randint(0, 1) for _ in range((size + 1) // 2)]
    palindrome = half + half[: size // 2][::-1]
    return palindrome + [rng.randint(0, 1) for _ in range(length - size)]


@_task("Bit_Palindrome", 1, 10, BITS, "1 if the bits so far read the same backwards", sample=_palindrome_sample)
def bit_palindrome(inputs):
    return [int(inputs[: t + 1] == inputs[: t + 1][::-1]) for t in range(len(inputs))]


@_task("Balanced_Parenthesis", 1, 10, BITS, "1 if the brackets so far are balanced (0 opens, 1 closes)")
def balanced_parenthesis(inputs):
    out, balance, broken = [], 0, False
    for x in inputs:
        balance += 1 if x == 0 else -1
        broken = broken or balance < 0
        out.append(int(balance == 0 and not broken))
    return out


@_task("Parity_Bits_Mod2", 1, 10, BITS, "(t - 1) mod 2, whatever the input")
def parity_bits_mod2(inputs):
    return [t % 2 for t in range(len(inputs))]


def _alternating_last(k):
    def reference(inputs):
        out = []
        for t in range(len(inputs)):
            w = _window(inputs, t, k)
            out.append(int(all(w[i] != w[i + 1] for i in range(k - 1))))
        return out

    return reference


for _k in (3, 4):
    _task(f"Alternating_Last{_k}", 1, 10, BITS, f"1 if the last {_k} bits alternate")(_alternating_last(_k))


@_task("Bit_Shift_Right", 1, 10, BITS, "x_(t-1)")
def bit_shift_right(inputs):
    return [0] + list(inputs[:-1]) if inputs else []


@_task("Bit_Dot_Prod_Mod2", 2, 10, BITS, "running dot product of the two bit streams, mod 2")
def bit_dot_prod_mod2(inputs):
    out, s = [], 0
    for a, b in inputs:
        s = (s + a * b) % 2
        out.append(s)
    return out


def _div(k):
    def reference(inputs):
        out, r = [], 0
        for x in inputs:
            v = 2 * r + x
            out.append(v // k)
            r = v % k
        return out

    return reference


for _k in (3, 5, 7):
    _task(f"Div_{_k}", 1, 10, BITS, f"streaming long division by {_k}, most significant bit first")(_div(_k))


def _add_mod(k):
    def reference(inputs):
        out, s = [], 0
        for x in inputs:
            s = (s + x) % k
            out.append(s)
        return out

    return reference


for _k in range(3, 9):
    _task(f"Add_Mod_{_k}", 1, 10, range(0, _k), f"sum so far mod {_k}")(_add_mod(_k))


@_task("Dithering", 1, 10, range(0, 16), "1 when the running sum crosses a multiple of 15")
def dithering(inputs):
    out, r = [], 0
    for x in inputs:
        out.append(int(r + x >= 15))
        r = (r + x) % 15
    return out


def _newton(gravity, spring):
    def reference(inputs):
        out, v, p = [], 0, 0
        for force in inputs:
            v = v + force - gravity - (p if spring else 0)
            p = p + v
            out.append(p)
        return out

    return reference


_task("Newton_Freebody", 1, 10, FORCES, "position of a unit mass pushed by the force")(_newton(0, False))
_task("Newton_Gravity", 1, 10, FORCES, "position under the force and gravity -1")(_newton(1, False))
_task("Newton_Spring", 1, 10, FORCES, "position under the force and a unit spring")(_newton(0, True))


@_task("Newton_Magnetic", 2, 10, FORCES, "2-D position under the force and a magnetic field")
def newton_magnetic(inputs):
    out, vx, vy, px, py = [], 0, 0, 0, 0
    for fx, fy in inputs:
        ax, ay = fx - vy, fy + vx
        vx, vy = vx + ax, vy + ay
        px, py = px + vx, py + vy
        out.append((px, py))
    return out

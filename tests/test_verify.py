"""Verification of program text against a task: counts, counterexamples, and failures
that must be results rather than crashes."""

from __future__ import annotations

import json
import random
from fractions import Fraction

import pytest

from mips.emit import emit_program
from mips.machines import AffineMachine
from mips.task import Task, define_task
from mips.verify import VerifyConfig, load_program, verify_program

CONFIG = VerifyConfig(sequences=200, long_sequences=50)


def parity_reference(inputs):
    out, parity = [], 0
    for x in inputs:
        parity ^= x
        out.append(parity)
    return out


def parity_task(length: int = 6) -> Task:
    return define_task(name="parity", input_dim=1, length=length, input_values=(0, 1), reference=parity_reference)


CORRECT_PARITY = """
def program(inputs):
    out, parity = [], 0
    for x in inputs:
        parity = (parity + x) % 2
        out.append(parity)
    return out
"""

# Right on every sequence shorter than 8 steps only: the training length passes, 5x fails.
PARITY_UP_TO_7 = """
def program(inputs):
    out, parity = [], 0
    for i, x in enumerate(inputs):
        parity = (parity + x) % 2
        out.append(parity if i < 7 else 0)
    return out
"""

ALWAYS_ZERO = """
def program(inputs):
    return [0 for _ in inputs]
"""

RAISES_ON_THREE_ONES = """
def program(inputs):
    out, parity, ones = [], 0, 0
    for x in inputs:
        ones += x
        if ones == 3:
            raise RuntimeError("three ones")
        parity = (parity + x) % 2
        out.append(parity)
    return out
"""


# ---------------------------------------------------------------------------
# Tasks with a reference: fresh random sequences at T and 5T
# ---------------------------------------------------------------------------


def test_correct_program_is_verified_with_counts_at_both_lengths():
    verdict = verify_program(CORRECT_PARITY, parity_task(6), CONFIG, seed=0)
    assert verdict.verified, verdict.summary()
    assert verdict.error == ""
    assert [(c.what, c.length, c.sequences, c.passed) for c in verdict.checks] == [
        ("fresh random sequences", 6, 200, 200),
        ("fresh random sequences", 30, 50, 50),
    ]
    assert all(c.ok and c.counterexample is None for c in verdict.checks)
    assert verdict.summary() == (
        "VERIFIED: 200/200 fresh random sequences of length 6, 50/50 fresh random sequences of length 30"
    )


def test_emitted_program_is_verified():
    task = define_task(
        name="Sum_Of_Pairs",
        input_dim=2,
        length=5,
        input_values=range(-3, 4),
        reference=lambda xs: [sum(a + b for a, b in xs[: i + 1]) for i in range(len(xs))],
    )
    machine = AffineMachine(
        state_dim=1,
        input_dim=2,
        update=((Fraction(1), Fraction(1), Fraction(1), Fraction(0)),),
        readout=((Fraction(1), Fraction(0)),),
    )
    verdict = verify_program(emit_program(machine, ["sum of pairs"]), task, CONFIG, seed=3)
    assert verdict.verified, verdict.summary()
    assert [c.passed for c in verdict.checks] == [200, 50]


def test_long_factor_and_no_long_check():
    verdict = verify_program(
        CORRECT_PARITY, parity_task(4), VerifyConfig(sequences=20, long_sequences=7, long_factor=3), seed=0
    )
    assert [(c.length, c.sequences) for c in verdict.checks] == [(4, 20), (12, 7)]
    verdict = verify_program(CORRECT_PARITY, parity_task(4), VerifyConfig(sequences=20, long_sequences=0), seed=0)
    assert verdict.verified
    assert [(c.length, c.sequences) for c in verdict.checks] == [(4, 20)]


def test_wrong_program_has_a_true_counterexample():
    verdict = verify_program(ALWAYS_ZERO, parity_task(6), CONFIG, seed=0)
    assert not verdict.verified
    assert verdict.error == ""
    check = verdict.checks[0]
    assert not check.ok and 0 < check.passed < check.sequences  # all-zero inputs do pass
    example = check.counterexample
    assert set(example) == {"inputs", "expected", "got"}
    assert len(example["inputs"]) == 6
    assert example["expected"] == parity_reference(example["inputs"])
    assert example["got"] == [0] * 6
    assert example["got"] != example["expected"]
    assert verdict.summary().startswith("NOT VERIFIED: ")


def test_program_wrong_only_on_long_sequences_fails_the_long_check():
    verdict = verify_program(PARITY_UP_TO_7, parity_task(6), CONFIG, seed=0)
    assert not verdict.verified
    short, long = verdict.checks
    assert short.ok and short.passed == 200
    assert not long.ok and long.length == 30
    assert len(long.counterexample["inputs"]) == 30


def test_program_that_raises_is_a_failure_not_a_crash():
    verdict = verify_program(RAISES_ON_THREE_ONES, parity_task(6), CONFIG, seed=0)
    assert not verdict.verified
    check = verdict.checks[0]
    assert 0 < check.passed < check.sequences  # sequences with fewer than three ones pass
    assert sum(check.counterexample["inputs"]) >= 3
    assert check.counterexample["got"] == "RuntimeError: three ones"
    json.dumps(verdict.to_json())  # the verdict, counterexample included, is plain JSON


@pytest.mark.parametrize(
    "body, error",
    [
        ("return None", "TypeError"),
        ("return [x for x in inputs][:-1]", None),  # one output short
        ("return [(x, x) for x in inputs]", None),  # wrong shape
    ],
    ids=["returns-None", "too-few-outputs", "tuples-for-ints"],
)
def test_program_with_wrong_return_value_fails(body, error):
    text = f"def program(inputs):\n    {body}\n"
    verdict = verify_program(text, parity_task(6), CONFIG, seed=0)
    assert not verdict.verified
    assert verdict.checks[0].passed == 0
    got = verdict.checks[0].counterexample["got"]
    if error:
        assert isinstance(got, str) and got.startswith(error)


@pytest.mark.parametrize(
    "text, message",
    [
        ("def program(inputs)\n    return inputs\n", "SyntaxError"),
        ("def helper(inputs):\n    return inputs\n", "defines no function `program`"),
        ("program = 3\n", "defines no function `program`"),
        ("raise ValueError('broken at import')\ndef program(inputs):\n    return inputs\n", "broken at import"),
    ],
    ids=["syntax-error", "no-program", "program-not-callable", "raises-on-load"],
)
def test_program_that_does_not_load_is_not_verified(text, message):
    verdict = verify_program(text, parity_task(6), CONFIG, seed=0)
    assert verdict.verified is False
    assert verdict.checks == ()
    assert verdict.error.startswith("program does not load")
    assert message in verdict.error
    assert verdict.summary() == f"NOT VERIFIED: {verdict.error}"


def test_same_seed_same_verdict_and_different_seeds_differ():
    a = verify_program(ALWAYS_ZERO, parity_task(6), CONFIG, seed=5)
    b = verify_program(ALWAYS_ZERO, parity_task(6), CONFIG, seed=5)
    c = verify_program(ALWAYS_ZERO, parity_task(6), CONFIG, seed=6)
    assert a == b
    assert (a.checks[0].passed, a.checks[0].counterexample) != (c.checks[0].passed, c.checks[0].counterexample)


def test_task_with_its_own_sampler_is_checked_on_sampled_inputs():
    """Inputs come from `sample` (here: never two equal steps in a row)."""

    def sample(rng, n):
        out = [rng.choice((0, 1, 2))]
        while len(out) < n:
            out.append(rng.choice([v for v in (0, 1, 2) if v != out[-1]]))
        return out[:n]

    task = define_task(
        name="changes",
        input_dim=1,
        length=5,
        input_values=(0, 1, 2),
        sample=sample,
        reference=lambda xs: [int(i > 0 and xs[i] == xs[i - 1]) for i in range(len(xs))],
    )
    # Right only for inputs that never repeat a step: the sampler guarantees that.
    verdict = verify_program("def program(inputs):\n    return [0] * len(inputs)\n", task, CONFIG, seed=0)
    assert verdict.verified, verdict.summary()


# ---------------------------------------------------------------------------
# Data-file tasks: no reference, held-out examples
# ---------------------------------------------------------------------------


def data_task(examples) -> Task:
    return Task(
        name="from-data",
        input_dim=1,
        output_dim=1,
        length=4,
        input_values=(0, 1),
        examples=tuple(examples),
        source="data.jsonl",
    )


def holdout_examples(count: int = 30, seed: int = 0):
    rng = random.Random(seed)
    examples = []
    for _ in range(count):
        xs = tuple(rng.choice((0, 1)) for _ in range(rng.randint(1, 9)))  # lengths vary
        examples.append((xs, tuple(parity_reference(list(xs)))))
    return examples


def test_data_file_task_is_checked_on_the_held_out_examples():
    holdout = holdout_examples()
    verdict = verify_program(CORRECT_PARITY, data_task(holdout), CONFIG, seed=0, holdout=holdout)
    assert verdict.verified, verdict.summary()
    assert [(c.what, c.length, c.sequences, c.passed) for c in verdict.checks] == [("held-out examples", None, 30, 30)]
    assert verdict.summary() == "VERIFIED: 30/30 held-out examples"


def test_data_file_task_with_a_wrong_program():
    holdout = holdout_examples()
    verdict = verify_program(ALWAYS_ZERO, data_task(holdout), CONFIG, seed=0, holdout=holdout)
    assert not verdict.verified
    check = verdict.checks[0]
    inputs, expected = next((list(x), list(y)) for x, y in holdout if any(y))
    assert check.counterexample == {"inputs": inputs, "expected": expected, "got": [0] * len(inputs)}
    assert check.passed == sum(1 for _, y in holdout if not any(y))


def test_data_file_task_with_two_number_steps_accepts_list_outputs():
    """A program may give a two-number step as a list; it is compared as a tuple."""
    holdout = [(((1, 2), (3, 4)), ((1, 2), (4, 6))), (((0, 0),), ((0, 0),))]
    task = Task(
        name="pairs", input_dim=2, output_dim=2, length=2, input_values=(0, 1, 2, 3, 4), examples=tuple(holdout)
    )
    text = (
        "def program(inputs):\n"
        "    a = b = 0\n"
        "    out = []\n"
        "    for x, y in inputs:\n"
        "        a, b = a + x, b + y\n"
        "        out.append([a, b])\n"
        "    return out\n"
    )
    verdict = verify_program(text, task, CONFIG, seed=0, holdout=holdout)
    assert verdict.verified, verdict.summary()


def test_nothing_to_check_is_not_verified():
    verdict = verify_program(ALWAYS_ZERO, data_task([]), CONFIG, seed=0, holdout=())
    assert not verdict.verified


def test_load_program_returns_the_function():
    program = load_program(CORRECT_PARITY)
    assert program([1, 0, 1]) == [1, 1, 0]
    with pytest.raises(SyntaxError):
        load_program("def program(:\n")
    with pytest.raises(ValueError):
        load_program("x = 1\n")


@pytest.mark.parametrize(
    "kwargs",
    [{"sequences": 0}, {"long_sequences": -1}, {"long_factor": 0}],
    ids=["sequences-0", "long_sequences-negative", "long_factor-0"],
)
def test_verify_config_validates(kwargs):
    with pytest.raises(ValueError):
        VerifyConfig(**kwargs)

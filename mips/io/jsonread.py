"""Reading JSON that may come from anyone: a run folder is data someone may send.

Each reader checks one value and raises ValueError naming it (`what`, such as
"transitions[2][0]"), so that a corrupt or hostile file is one clear line.
"""

from __future__ import annotations

import json
import re
import unicodedata
from fractions import Fraction

Matrix = tuple[tuple[Fraction, ...], ...]


def json_kind(value) -> str:
    """What a JSON value is, for a message."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return f"the number {str(value)[:40]}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return "an object" if isinstance(value, dict) else type(value).__name__


def json_object(value, what: str) -> dict:
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be a JSON object, got {json_kind(value)}")
    return value


def json_field(data: dict, key: str, what: str = ""):
    if key not in data:
        raise ValueError(f"{what}{key} is missing")
    return data[key]


def json_int(value, what: str, *, low: int | None = None, high: int | None = None) -> int:
    """An integer (not a bool or a float such as 1.0), from `low` to `high` when given."""
    if type(value) is not int:
        raise ValueError(f"{what} must be an integer, got {json_kind(value)}")
    if low is not None and value < low:
        raise ValueError(f"{what} must be {_bounds(low, high)}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{what} must be {_bounds(low, high)}, got {value}")
    return value


def _bounds(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"from {low} to {high}"
    return f"at least {low}" if low is not None else f"at most {high}"


def json_list(value, what: str, *, length: int | None = None) -> list:
    if not isinstance(value, list):
        raise ValueError(f"{what} must be a list, got {json_kind(value)}")
    if length is not None and len(value) != length:
        raise ValueError(f"{what} must have {length} {'entry' if length == 1 else 'entries'}, got {len(value)}")
    return value


def json_ints(
    value, what: str, *, length: int | None = None, low: int | None = None, high: int | None = None
) -> tuple[int, ...]:
    return tuple(
        json_int(v, f"{what}[{i}]", low=low, high=high) for i, v in enumerate(json_list(value, what, length=length))
    )


def json_steps(
    value, what: str, *, count: int | None = None, width: int | None = None, distinct: bool = False
) -> tuple[tuple[int, ...], ...]:
    """Steps (input symbols or outputs): lists of integers, all of one width (`width` when
    given), at least 1; with `distinct`, no two the same."""
    steps = tuple(json_ints(v, f"{what}[{i}]") for i, v in enumerate(json_list(value, what, length=count)))
    for i, step in enumerate(steps):
        if not step:
            raise ValueError(f"{what}[{i}] is empty: a step has at least one number")
        width = len(step) if width is None else width
        if len(step) != width:
            raise ValueError(f"{what}[{i}] has {len(step)} number(s), where each needs {width}")
    if distinct and len(set(steps)) != len(steps):
        raise ValueError(f"{what} repeat: each may appear once")
    return steps


def json_initial(data: dict, m: int) -> tuple[int, ...]:
    """The start state: m integers, or none (all zeros)."""
    initial = json_ints(data.get("initial", []), "initial")
    if initial and len(initial) != m:
        raise ValueError(f"initial must have {m} value(s), one per state coordinate, got {len(initial)}")
    return initial


_FRACTION = re.compile(r"-?[0-9]+(/[0-9]+)?")


def json_fraction(value, what: str) -> Fraction:
    """An exact fraction as `to_json` writes it ("3", "-1/2"), or an integer; never a float."""
    if type(value) is int:
        return Fraction(value)
    if isinstance(value, str) and _FRACTION.fullmatch(value):
        try:
            return Fraction(value)
        except (ValueError, ZeroDivisionError):  # over Python's digit limit, or a zero denominator
            pass
    raise ValueError(f'{what} must be a fraction such as "3" or "-1/2", got {json_kind(value)}')


def json_fractions(value, what: str, *, rows: int | None = None, columns: int) -> Matrix:
    return tuple(
        tuple(
            json_fraction(v, f"{what}[{i}][{j}]") for j, v in enumerate(json_list(row, f"{what}[{i}]", length=columns))
        )
        for i, row in enumerate(json_list(value, what, length=rows))
    )


def json_text(value, what: str, *, one_line: bool = False) -> str:
    """A string; with `one_line`, one holding no line breaks or other control characters
    (such text is written into programs as comments, and into drawings and titles)."""
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string, got {json_kind(value)}")
    if one_line:
        bad = next(
            (c for c in value if unicodedata.category(c)[0] == "C" or unicodedata.category(c) in ("Zl", "Zp")), None
        )
        if bad is not None:
            raise ValueError(
                f"{what} holds U+{ord(bad):04X}, a line break or control character; it must be one line of text"
            )
    return value

"""Exact affine fitting: rows of values as affine functions of rows of keys, with exact rational
(or, with `max_denominator` 1, integer) coefficients, or why there are none. The one fitter
that the lattice's update and readout, the rules' affine case and the input table use."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from mips.arrays import distinct_rows
from mips.io.jsonread import Matrix


def fit_exact_affine(keys: np.ndarray, values: np.ndarray, max_denominator: int) -> tuple[Matrix | None, str]:
    """Rows of `values` [M, q] as exact affine functions of rows of `keys` [M, p].

    Returns a matrix with one row per value column (p coefficients, then the
    constant), or None with the reason."""
    keys = keys.astype(np.int64)
    values = values.astype(np.int64)
    table = distinct_rows(np.concatenate([keys, values], axis=1))
    keys, values = table[:, : keys.shape[1]], table[:, keys.shape[1] :]
    if len(distinct_rows(keys)) != len(keys):
        return None, "not a function of the state and input: the same key leads to different values"
    design = np.concatenate([keys, np.ones((len(keys), 1), dtype=np.int64)], axis=1)
    solution, *_ = np.linalg.lstsq(design.astype(np.float64), values.astype(np.float64), rcond=None)
    rows = []
    for column in range(values.shape[1]):
        coefficients = [Fraction(float(c)).limit_denominator(max_denominator) for c in solution[:, column]]
        denominator = int(np.lcm.reduce([c.denominator for c in coefficients]))
        # Python ints (object arrays): with large values (a network given to mips extract may read
        # out numbers near 2**62) an int64 product could overflow and wrap.
        numerators = np.array([int(c * denominator) for c in coefficients], dtype=object)
        if not np.array_equal(design.astype(object) @ numerators, values[:, column].astype(object) * denominator):
            return None, f"no exact affine rule with denominators up to {max_denominator} for column {column}"
        rows.append(tuple(coefficients))
    return tuple(rows), f"exact on {len(keys)} distinct cases"

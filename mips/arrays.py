"""Fast exact helpers on arrays that extraction and regression call many times.

`distinct_rows` is `np.unique(a, axis=0, ...)` with the same results (rows in lexicographic
order, first occurrences, inverse, counts) for integer and boolean arrays, computed with a
lexicographic argsort instead of numpy's sort of rows viewed as structured records: measured
4 to 6 times faster on the extraction stages' arrays (200,000 x 3 int64: 0.60 s against
0.13 s). Any other dtype goes to `np.unique` itself (floats: its handling of -0.0 and NaN).
"""

from __future__ import annotations

import numpy as np


def distinct_rows(a, *, return_index: bool = False, return_inverse: bool = False, return_counts: bool = False):
    """What `np.unique(a, axis=0, ...)` returns, for a 2-D array."""
    a = np.asarray(a)
    if a.ndim != 2 or not len(a) or not a.shape[1] or a.dtype.kind not in "iub":
        return np.unique(
            a, axis=0, return_index=return_index, return_inverse=return_inverse, return_counts=return_counts
        )
    n = len(a)
    order = np.lexsort(a.T[::-1])  # stable: equal rows keep their order, so the first comes first
    ordered = a[order]
    starts_here = np.empty(n, dtype=bool)
    starts_here[0] = True
    np.any(ordered[1:] != ordered[:-1], axis=1, out=starts_here[1:])
    starts = np.flatnonzero(starts_here)
    out = [ordered[starts]]
    if return_index:
        out.append(order[starts])
    if return_inverse:
        inverse = np.empty(n, dtype=np.intp)
        inverse[order] = np.cumsum(starts_here) - 1
        out.append(inverse)
    if return_counts:
        out.append(np.diff(np.append(starts, n)))
    return out[0] if len(out) == 1 else tuple(out)


def nearest_index(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """For every point, the index of the nearest centre (squared distances as |p|^2 - 2 p.c +
    |c|^2, one matrix product per block of about 4M distances)."""
    centres = np.asarray(centres, dtype=np.float64)
    middle = centres.mean(axis=0) if len(centres) else 0.0  # near the origin: less cancellation
    points = np.asarray(points, dtype=np.float64) - middle
    centres = centres - middle
    out = np.empty(len(points), dtype=np.int64)
    if not len(points):
        return out
    centre_norms = (centres**2).sum(axis=1)
    chunk = max(1, (1 << 22) // max(1, len(centres)))
    for start in range(0, len(points), chunk):
        block = points[start : start + chunk]
        distance = centre_norms[None, :] - 2.0 * (block @ centres.T)  # |p|^2 is the same for every centre
        out[start : start + chunk] = np.argmin(distance, axis=1)
    return out

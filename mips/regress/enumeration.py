"""The core of bottom-up enumeration: formulas are searched by behaviour, not by syntax.

`FirstSeen` keeps the first formula found for each behaviour (a vector of values on the
rows, told apart by a 64-bit key), up to a limit: the symbolic (`symbolic`) and Boolean
(`boolean`) searches enumerate smallest first, so the one kept is the smallest."""

from __future__ import annotations

import numpy as np


class FirstSeen:
    """The keys of the behaviours seen so far, up to `limit` of them."""

    def __init__(self, limit: int):
        self.limit = limit
        self.keys = np.zeros(0, dtype=np.uint64)

    @property
    def full(self) -> bool:
        return len(self.keys) >= self.limit

    def new(self, keys: np.ndarray) -> np.ndarray:
        """Indices into `keys` of the behaviours not seen before (the first of each, in
        order, no more than the limit leaves room for), which are now seen."""
        _, first = np.unique(keys, return_index=True)
        first = np.sort(first)
        first = first[~np.isin(keys[first], self.keys)][: max(0, self.limit - len(self.keys))]
        self.keys = np.concatenate([self.keys, keys[first]])
        return first

import numpy as np
import pytest

from mips.arrays import distinct_rows, nearest_index


def _numpy(a, **flags):
    result = np.unique(a, axis=0, **flags)
    return result if isinstance(result, tuple) else (result,)


def _ours(a, **flags):
    result = distinct_rows(a, **flags)
    return result if isinstance(result, tuple) else (result,)


@pytest.mark.parametrize(
    "shape, high, dtype",
    [
        ((500, 3), 4, np.int64),
        ((300, 1), 2, np.int64),
        ((200, 6), 50, np.int32),
        ((400, 2), 2, np.bool_),
        ((100, 4), 3, np.uint8),
        ((1, 3), 5, np.int64),
        ((50, 2), 1000, np.int64),
    ],
)
@pytest.mark.parametrize(
    "flags",
    [
        {},
        {"return_index": True},
        {"return_inverse": True},
        {"return_counts": True},
        {"return_index": True, "return_inverse": True, "return_counts": True},
    ],
)
def test_distinct_rows_is_numpys_unique_by_rows(shape, high, dtype, flags):
    rng = np.random.default_rng(sum(shape) + high)
    a = rng.integers(-high if dtype in (np.int64, np.int32) else 0, high, shape).astype(dtype)
    expected, got = _numpy(a, **flags), _ours(a, **flags)
    assert len(expected) == len(got)
    for e, g in zip(expected, got):
        assert e.shape == g.shape
        assert np.array_equal(e, g)


def test_distinct_rows_first_index_is_the_first_occurrence():
    a = np.array([[2, 1], [0, 0], [2, 1], [0, 0], [1, 5]])
    rows, first, inverse, counts = distinct_rows(a, return_index=True, return_inverse=True, return_counts=True)
    assert rows.tolist() == [[0, 0], [1, 5], [2, 1]]
    assert first.tolist() == [1, 4, 0]
    assert inverse.tolist() == [2, 0, 2, 0, 1]
    assert counts.tolist() == [2, 1, 2]


def test_distinct_rows_of_floats_and_empty_arrays_are_numpys():
    floats = np.array([[0.5, -0.0], [0.5, 0.0], [1.0, 2.0]])
    assert np.array_equal(distinct_rows(floats), np.unique(floats, axis=0))
    empty = np.zeros((0, 3), np.int64)
    assert distinct_rows(empty).shape == np.unique(empty, axis=0).shape
    no_columns = np.zeros((4, 0), np.int64)
    assert distinct_rows(no_columns).shape == np.unique(no_columns, axis=0).shape


def test_nearest_index_is_the_nearest_centre():
    rng = np.random.default_rng(0)
    for dims, count in [(1, 3), (3, 40), (7, 200)]:
        centres = rng.normal(size=(count, dims)) * 10 + 500  # far from the origin, as hidden states can be
        points = centres[rng.integers(0, count, 3000)] + rng.normal(size=(3000, dims)) * 0.5
        brute = np.argmin(((points[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
        assert np.array_equal(nearest_index(points, centres), brute)
    assert nearest_index(np.zeros((0, 2)), np.ones((3, 2))).shape == (0,)

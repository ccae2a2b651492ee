"""Ops that used to give a different answer from PyTorch without an error (issue 24, item 2),
checked against PyTorch where it is installed and against their definitions where not."""

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn.ops.tie_order import mode_index, quickselect_index, std_sort_order


# --- which index among ties: kthvalue and mode --------------------------------------------

def _tied_rows(seed, count=200):
    """Rows with many repeated values, short and long (past the 16 of insertion sort), with
    NaNs in some."""
    rng = np.random.default_rng(seed)
    for r in range(count):
        size = int(rng.integers(1, 40 if r % 2 else 400))
        row = rng.integers(-4, 5, size).astype(np.float64)
        if r % 5 == 0:
            row[rng.random(size) < 0.2] = np.nan
        yield row


def test_std_sort_order_sorts():
    for row in _tied_rows(1, 50):
        keys = np.nan_to_num(row, nan=99.0).tolist()
        order = std_sort_order(keys)
        assert sorted(order) == list(range(len(keys)))
        assert [keys[i] for i in order] == sorted(keys)


def test_quickselect_index_selects_the_kth():
    for row in _tied_rows(2, 50):
        for k in range(len(row)):
            picked = row[quickselect_index(row.tolist(), k)]
            expected = np.sort(row)[k]  # NumPy too sorts NaN last
            assert picked == expected or (np.isnan(picked) and np.isnan(expected))


def test_mode_index_without_ties_in_the_sort_is_the_last_occurrence():
    row = [3, 1, 2, 1, 3, 1]  # short: insertion sort keeps ties in order
    assert mode_index(row) == 5


def test_kthvalue_and_mode_pick_pytorchs_index_among_ties():
    torch = pytest.importorskip("torch")
    for seed, row in enumerate(_tied_rows(3)):
        theirs = torch.from_numpy(row)
        ours = tg.tensor(row)
        k = seed % len(row) + 1
        assert ours.kthvalue(k).indices.item() == theirs.kthvalue(k).indices.item()
        assert ours.mode().indices.item() == theirs.mode().indices.item()
    grid = np.random.default_rng(4).integers(0, 3, (6, 40, 5)).astype(np.int16)
    for dim in range(3):
        for keepdim in (False, True):
            ours = tg.tensor(grid).kthvalue(2, dim, keepdim)
            theirs = torch.from_numpy(grid).kthvalue(2, dim, keepdim)
            np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
            ours, theirs = tg.tensor(grid).mode(dim, keepdim), torch.from_numpy(grid).mode(dim, keepdim)
            np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
            np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())

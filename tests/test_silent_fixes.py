"""Ops that used to give a different answer from PyTorch without an error (issue 24, item 2),
checked against PyTorch where it is installed and against their definitions where not."""

import re

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


# --- einsum: result dtypes and refusals as PyTorch's pairwise contraction gives them -------

EINSUM_CASES = [
    ("ij,jk->ik", (2, 3), (3, 4)), ("ij->i", (2, 3)), ("ij->ji", (2, 3)), ("ii", (3, 3)),
    ("ij,j->", (2, 3), (3,)), ("ij,j->", (1, 3), (3,)), ("ij,jk->", (2, 3), (3, 4)),
    ("ij,jk->i", (2, 3), (3, 4)), ("ij,k->ik", (2, 3), (4,)), ("i,j->", (2,), (3,)),
    ("ij,j->i", (2, 3), (1,)), ("ij,jk,kl->", (2, 3), (3, 4), (4, 5)),
    ("ij,jk,k->i", (2, 3), (3, 4), (4,)), ("i,i,j->", (2,), (2,), (3,)),
    ("...ij,...jk->...ik", (2, 1, 2, 3), (3, 3, 4)), ("ii,i->i", (3, 3), (3,)),
    ("i,i->", (0,), (0,)), ("ij,j->", (0, 3), (3,)), ("ij,jk->ik", (2, 0), (0, 3)),
    ("i,i,i->i", (3,), (3,), (3,)), (",->", (), ()), ("i,->i", (3,), ()),
]
EINSUM_DTYPES = [("uint8", "uint8"), ("int32", "int32"), ("bool", "bool"), ("float16", "float16"),
                 ("float64", "float64"), ("float32", "float64"), ("uint8", "int64"),
                 ("bool", "uint8"), ("int64", "bool"), ("int32", "float16")]


@pytest.mark.parametrize("case", EINSUM_CASES, ids=[f"{c[0]}{c[1:]}" for c in EINSUM_CASES])
def test_einsum_dtypes_values_and_refusals_match_pytorch(case):
    equation, *shapes = case
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for pair in EINSUM_DTYPES:
        arrays = [rng.integers(0, 4, s).astype(pair[k % 2]) for k, s in enumerate(shapes)]
        try:
            theirs = torch.einsum(equation, *[torch.from_numpy(a) for a in arrays])
        except Exception as error:
            with pytest.raises(type(error), match=re.escape(str(error))):
                tg.einsum(equation, *[tg.tensor(a) for a in arrays])
            continue
        ours = tg.einsum(equation, *[tg.tensor(a) for a in arrays])
        assert str(ours.dtype).replace("tinygrad_bn.", "") == str(theirs.dtype)[6:], pair
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_einsum_float16_accumulates_in_float32():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((4, 300)).astype(np.float16), rng.standard_normal((300, 5)).astype(np.float16)
    exact = (a.astype(np.float32) @ b.astype(np.float32)).astype(np.float16)
    np.testing.assert_array_equal(tg.einsum("ij,jk->ik", tg.tensor(a), tg.tensor(b)).numpy(), exact)


def test_einsum_mixed_dtype_product_is_differentiable():
    x = tg.tensor(np.arange(3.0), requires_grad=True)
    y = tg.tensor(np.array([1.0, 2.0, 3.0], dtype=np.float32))
    out = tg.einsum("i,i->i", x, y)  # no contraction: a mul, so dtypes promote
    assert out.dtype == tg.float64
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0, 3.0])
    assert tg.autograd.gradcheck(lambda a, b: tg.einsum("ij,jk->ik", a, b),
                                 (tg.tensor(np.random.rand(2, 3), requires_grad=True),
                                  tg.tensor(np.random.rand(3, 4), requires_grad=True)))

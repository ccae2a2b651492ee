"""The rest of the Tensor surface teaching programs use: comparisons and predicates, float
functions on integer tensors, copies, matrix products and module-level forms, each written
against the PyTorch API and compared with PyTorch when it is installed."""

import re

import numpy as np
import pytest

import tinygrad_bn as tg

# Each case: a function of the library returning a tensor or a Python value, run on both.
CASES = {
    "eq_ne_lt_le_gt_ge": lambda lib: [f(lib.tensor([1.0, 2.0, 3.0]), lib.tensor([2.0, 2.0, 2.0]))
                                      for f in (lib.eq, lib.ne, lib.lt, lib.le, lib.gt, lib.ge)],
    "isnan_isinf_isfinite": lambda lib: [
        f(lib.tensor([1.0, float("nan"), float("inf"), -float("inf")]))
        for f in (lib.isnan, lib.isinf, lib.isfinite)],
    "isclose": lambda lib: lib.isclose(lib.tensor([1.0, 1.0, float("nan")], dtype=lib.float64),
                                       lib.tensor([1.0 + 1e-6, 1.1, float("nan")],
                                                  dtype=lib.float64)),
    "isclose_equal_nan": lambda lib: lib.tensor([float("nan")]).isclose(
        lib.tensor([float("nan")]), equal_nan=True),
    "allclose": lambda lib: [lib.allclose(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.00001])),
                             lib.allclose(lib.tensor([1.0]), lib.tensor([1.1])),
                             lib.tensor([1.0]).allclose(lib.tensor([1.05]), rtol=0.1)],
    "equal": lambda lib: [lib.equal(lib.ones(2), lib.ones(2)), lib.equal(lib.ones(2), lib.ones(3)),
                          lib.equal(lib.ones(2), lib.zeros(2))],
    "all_any": lambda lib: [(lib.tensor([[1, 0], [1, 1]]) > 0).all(),
                            lib.all(lib.tensor([[1, 0], [1, 1]]) > 0, dim=1),
                            (lib.tensor([[0, 0], [1, 0]]) > 0).any(dim=0, keepdim=True),
                            lib.tensor([0.0, 2.0]).any(), lib.tensor([0.0, 2.0]).all()],
    "float_functions_of_ints": lambda lib: [f(lib.tensor([1, 2, 4])) for f in (
        lib.exp, lib.log, lib.sqrt, lib.sin, lib.cos, lib.log2, lib.log10, lib.log1p, lib.expm1,
        lib.rsqrt, lib.tanh, lib.sigmoid)],
    "stepwise_functions_keep_integer_dtypes": lambda lib: [
        f(lib.tensor([-2, 0, 3])) for f in (lib.floor, lib.ceil, lib.round, lib.trunc, lib.sign)],
    "stepwise_functions_of_floats": lambda lib: [
        f(lib.tensor([-2.5, -0.5, 0.0, 0.5, 1.5, 2.7])) for f in
        (lib.floor, lib.ceil, lib.round, lib.trunc, lib.sign)],
    "clone_contiguous": lambda lib: [lib.arange(6).reshape(2, 3).T.contiguous(),
                                     lib.arange(6).reshape(2, 3).T.is_contiguous(),
                                     lib.ones(2).clone(), lib.ones(2, 3).nelement()],
    "type_as": lambda lib: lib.tensor([1, 2]).type_as(lib.ones(1, dtype=lib.float64)),
    "integer_division_and_remainder": lambda lib: [
        lib.tensor([7, -7]) // 2, lib.tensor([7, -7]) % 3, 7 // lib.tensor([2.0, -2.0]),
        lib.div(lib.tensor([7, -7]), 2, rounding_mode="trunc"), lib.tensor([5]) / 2,
        lib.fmod(lib.tensor([7, -7]), 3), 10 % lib.tensor([3, -3]),
        lib.tensor([-7.5, 7.5]).div(2, rounding_mode="floor")],
    "var_std_positional_unbiased": lambda lib: [
        lib.tensor([1.0, 2.0, 4.0], dtype=lib.float64).var(True),
        lib.var(lib.tensor([1.0, 2.0, 4.0], dtype=lib.float64), False),
        lib.tensor([1.0, 2.0, 4.0], dtype=lib.float64).std(False)],
    "randint_keywords": lambda lib: [list(lib.randint(low=2, high=5, size=(3,)).shape),
                                     lib.randint(high=3, size=(2,)).dtype == lib.int64],
    "where_with_numbers_and_sum_dtype": lambda lib: [
        lib.where(lib.tensor([True, False]), 1.0, 0.0), lib.where(lib.tensor([True, False]), 1, 0),
        lib.tensor([1, 2]).sum(dtype=lib.float64), lib.tensor([True, True]).sum()],
    "sort_argsort_topk_indices": lambda lib: [
        lib.tensor([[3, 1, 2], [0, 5, 4]]).sort(dim=1)[1],
        lib.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]]).argsort(dim=0, descending=True),
        lib.tensor([1.0, 9.0, 3.0, 7.0]).topk(3).indices,
        lib.tensor([1.0, 9.0, 3.0, 7.0]).topk(2, largest=False).values],
    "cumsum_prod_of_ints": lambda lib: [lib.tensor([1, 2, 3]).cumsum(0),
                                        lib.tensor([[1, 2], [3, 4]]).prod(),
                                        lib.tensor([True, True, False]).cumsum(0),
                                        lib.tensor([[1, 2], [3, 4]]).prod(1)],
    "one_hot": lambda lib: [lib.nn.functional.one_hot(lib.tensor([0, 2, 1])),
                            lib.nn.functional.one_hot(lib.tensor([[1], [0]]), num_classes=4)],
    "split_chunk_shapes": lambda lib: [list(p.shape) for p in lib.arange(10).split(3)]
    + [list(p.shape) for p in lib.arange(10).chunk(4)] + [list(p.shape) for p in
                                                          lib.ones(2, 5).split([1, 4], dim=1)],
    "module_level_arithmetic": lambda lib: [
        lib.add(lib.ones(2), lib.ones(2), alpha=3), lib.sub(lib.ones(2), 2.0),
        lib.mul(lib.ones(2), 3), lib.div(lib.ones(2), 4), lib.pow(lib.ones(2) * 2, 3),
        lib.neg(lib.ones(2)), lib.tensor([5.0]).sub(lib.tensor([1.0]), alpha=2),
        lib.numel(lib.ones(2, 3)), lib.min(lib.tensor([1.0, 5.0]), lib.tensor([3.0, 2.0]))],
}


def _plain(value):
    """A case's result as plain Python/NumPy values, the library's tensors unwrapped."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "detach"):
        return (str(value.dtype).split(".")[-1], value.detach().numpy().tolist())
    return value


@pytest.mark.parametrize("name", CASES)
def test_runs_without_error_on_tinygrad_bn(name):
    result = _plain(CASES[name](tg))
    assert result is not None


def _assert_same(ours, theirs):
    """Same structure, same dtypes, values equal (floats to float32 rounding: NumPy's float32
    ``exp`` may differ from PyTorch's by one unit in the last place)."""
    if isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _assert_same(a, b)
    elif isinstance(theirs, tuple):
        assert ours[0] == theirs[0]
        np.testing.assert_allclose(np.asarray(ours[1], dtype=float),
                                   np.asarray(theirs[1], dtype=float), rtol=1e-6)
    else:
        assert ours == theirs


@pytest.mark.parametrize("name", CASES)
def test_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    _assert_same(_plain(CASES[name](tg)), _plain(CASES[name](torch)))


def test_results_without_pytorch():
    assert tg.allclose(tg.tensor([1.0, 2.0]), tg.tensor([1.0, 2.00001])) is True
    assert tg.equal(tg.ones(2), tg.ones(3)) is False
    assert tg.tensor([1, 2]).exp().dtype == tg.float32
    assert tg.tensor([-2, 3]).floor().dtype == tg.int64
    assert tg.tensor([0.5, 1.5, 2.5]).round().tolist() == [0.0, 2.0, 2.0]  # halves to even
    assert tg.isnan(tg.tensor([float("nan"), 1.0])).tolist() == [True, False]
    y = tg.ones(2, requires_grad=True).clone()
    assert y.grad_fn.name == "Clone"


@pytest.mark.parametrize("action, message", [
    (lambda: tg.ones(2).div(1, rounding_mode="round"),
     "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'round'"),
    (lambda: tg.tensor([1]) // 0, "ZeroDivisionError"),
    (lambda: tg.tensor([1]) % tg.tensor([0]), "ZeroDivisionError"),
    (lambda: tg.ones(2, 3).gather(1, tg.tensor([[0], [3]])),
     "index 3 is out of bounds for dimension 1 with size 3"),
    (lambda: tg.ones(2, 3).gather(1, tg.tensor([0, 1])),
     "Index tensor must have the same number of dimensions as input tensor"),
    (lambda: tg.ones(2, 3).gather(1, tg.tensor([[0.0]])), "gather(): Expected dtype int32/int64 for index"),
    (lambda: tg.ones(3).topk(4), "selected index k out of range"),
    (lambda: tg.ones(5).split([2, 2]), "split_with_sizes expects split_sizes to sum exactly to 5"),
    (lambda: tg.ones(5).chunk(0), "chunk expects `chunks` to be greater than 0, got: 0"),
    (lambda: tg.ones(3).tril(), "tril: input tensor must have at least 2 dimensions"),
    (lambda: tg.ones(2, 2).repeat(2), "Number of dimensions of repeat dims can not be smaller"),
    (lambda: tg.nn.functional.one_hot(tg.tensor([0.0])),
     "one_hot is only applicable to index tensor of type LongTensor."),
    (lambda: tg.nn.functional.one_hot(tg.tensor([3]), 3),
     "Class values must be smaller than num_classes."),
    (lambda: tg.ones(3).mm(tg.ones(3, 2)), "self must be a matrix (got a 1-D tensor)"),
    (lambda: tg.ones(2, 3).mm(tg.ones(3)), "mat2 must be a matrix (got a 1-D tensor)"),
    (lambda: tg.ones(2, 3).bmm(tg.ones(2, 3, 4)), "batch1 must be a 3D tensor (got a 2-D tensor)"),
    (lambda: tg.ones(2, 2, 3).bmm(tg.ones(3, 4)), "batch2 must be a 3D tensor (got a 2-D tensor)"),
    (lambda: tg.ones(2, 2, 3).bmm(tg.ones(3, 3, 4)),
     "batch1 and batch2 must have same number of batches, got 2 and 3"),
])
def test_matrix_product_errors(action, message):
    with pytest.raises(RuntimeError, match=re.escape(message)):
        action()


def test_module_level_forms_of_masked_fill_t_detach():
    mask = tg.tensor([True, False, True])
    assert tg.masked_fill(tg.ones(3), mask, 0.0).tolist() == [0.0, 1.0, 0.0]
    assert tg.t(tg.ones(2, 3)).shape == (3, 2)
    assert not tg.detach(tg.ones(2, requires_grad=True)).requires_grad

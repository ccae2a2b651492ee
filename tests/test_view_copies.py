"""The ``*_copy`` functions (tensor/view_copies.py), ``as_strided_scatter`` and ``rsub``: values
and dtypes against PyTorch in float32 and float64, float64 gradients against PyTorch's and
finite differences, the result owning its memory, ``out=`` and the error messages."""

import numpy as np
import pytest

import tinygrad_bn as tg
from pytorch_errors import error_tests

RNG = np.random.default_rng(0)
X23 = RNG.standard_normal((2, 3))
X234 = RNG.standard_normal((2, 3, 4))
X133 = RNG.standard_normal((1, 3, 3))
X6 = RNG.standard_normal(6)

# name, input, arguments (Python values), keyword arguments
CASES = [
    ("alias_copy", X23, (), {}),
    ("as_strided_copy", X6, ((2, 2), (1, 2)), {}),
    ("as_strided_copy", X6, ((2, 2), (2, 1), 1), {}),
    ("diagonal_copy", X234, (1, 1, 2), {}),
    ("diagonal_copy", X133, (), {"dim1": -1, "dim2": -2}),
    ("expand_copy", X23[:1], ((4, 3),), {}),
    ("expand_copy", X23, ((2, -1, 3),), {"implicit": True}),
    ("permute_copy", X234, ((2, 0, 1),), {}),
    ("select_copy", X234, (1, -1), {}),
    ("slice_copy", X234, (2, 1, 3), {}),
    ("slice_copy", X234, (), {"dim": 0, "start": -1}),
    ("slice_copy", X234, (1, None, 100, 2), {}),
    ("squeeze_copy", X133, (), {}),
    ("squeeze_copy", X133, (0,), {}),
    ("squeeze_copy", X133, ((0, 1),), {}),
    ("t_copy", X23, (), {}),
    ("t_copy", X6, (), {}),
    ("transpose_copy", X234, (0, 2), {}),
    ("unfold_copy", X234, (2, 2, 1), {}),
    ("unsqueeze_copy", X23, (-1,), {}),
    ("view_copy", X234, ((4, -1),), {}),
    ("split_copy", X234, (2, 2), {}),
    ("split_with_sizes_copy", X234, ((1, 2),), {"dim": 1}),
    ("unbind_copy", X234, (1,), {}),
    ("rsub", X23, (2.5,), {}),
    ("rsub", X23, (2,), {"alpha": 3}),
]


def _call(lib, name, array, args, kwargs, dtype):
    x = lib.tensor(array, dtype=getattr(lib, dtype), requires_grad=dtype == "float64")
    return x, getattr(lib, name)(x, *args, **kwargs)


def _pieces(result):
    return list(result) if isinstance(result, tuple) else [result]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, array, args, kwargs", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_values_dtypes_and_gradients_are_pytorchs(name, array, args, kwargs, dtype):
    torch = pytest.importorskip("torch")
    ours_x, ours = _call(tg, name, array, args, kwargs, dtype)
    theirs_x, theirs = _call(torch, name, array, args, kwargs, dtype)
    assert type(ours) is type(theirs) or (isinstance(ours, tg.Tensor)
                                          and isinstance(theirs, torch.Tensor))
    for our, their in zip(_pieces(ours), _pieces(theirs), strict=True):
        assert tuple(our.shape) == tuple(their.shape)
        assert str(our.dtype)[-7:] == str(their.dtype)[-7:]
        np.testing.assert_array_equal(our.detach().numpy(), their.detach().numpy())
        assert our.is_contiguous() and our.requires_grad == their.requires_grad
    if dtype == "float64":
        seeds = [RNG.standard_normal(tuple(p.shape)) for p in _pieces(theirs)]
        tg.autograd.backward(_pieces(ours), [tg.tensor(s) for s in seeds])
        torch.autograd.backward(_pieces(theirs), [torch.tensor(s) for s in seeds])
        np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-15)


@pytest.mark.parametrize("name, array, args, kwargs", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_gradients_match_finite_differences(name, array, args, kwargs):
    x = tg.tensor(array, requires_grad=True)
    assert tg.autograd.gradcheck(lambda t: getattr(tg, name)(t, *args, **kwargs), (x,))


def test_a_copy_shares_no_memory_with_its_input():
    x = tg.tensor(X234)
    for result in (tg.t_copy(x[0]), tg.expand_copy(x[:1], (3, 3, 4)), tg.unfold_copy(x, 2, 2, 1),
                   *tg.split_copy(x, 1), tg.alias_copy(x), tg.view_copy(x, (-1,))):
        result.zero_()
    np.testing.assert_array_equal(x.numpy(), X234)
    assert tg.view_copy(tg.tensor([1.0]), tg.int32).tolist() == [1065353216]
    assert tg.view_copy(tg.zeros(2, 3), tg.int8).shape == (2, 12)
    assert not tg.detach_copy(tg.tensor(X23, requires_grad=True)).requires_grad


def test_out_writes_into_the_given_tensor():
    x = tg.tensor(X234)
    out = tg.empty(0, dtype=tg.float64)
    assert tg.transpose_copy(x, 0, 2, out=out) is out
    np.testing.assert_array_equal(out.numpy(), X234.transpose(2, 1, 0))
    pieces = [tg.empty(1, 3, 4, dtype=tg.float64), tg.zeros(1, 3, 4, dtype=tg.int64)]
    assert tg.split_copy(x, 1, out=pieces) is None
    np.testing.assert_array_equal(pieces[0].numpy(), X234[:1])
    np.testing.assert_array_equal(pieces[1].numpy(), X234[1:].astype(np.int64))


def test_rsub_promotes_and_takes_tensors():
    torch = pytest.importorskip("torch")
    for lib in (tg, torch):
        ints = lib.tensor([1, 2])
        assert str(lib.rsub(ints, 2.5).dtype).endswith("float32")
        assert lib.rsub(ints, lib.tensor([10.0]), alpha=2).tolist() == [8.0, 6.0]


def test_as_strided_scatter_matches_pytorch_values_and_src_gradient():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (tg, torch):
        x = lib.tensor(np.arange(9.0), requires_grad=True)
        src = lib.tensor(X23[:, :2].T.copy(), requires_grad=True)
        out = lib.as_strided_scatter(x, src, (2, 2), (1, 2), 1)
        out.backward(lib.tensor(np.arange(9.0) + 10))
        results.append((out.detach().numpy(), src.grad.numpy()))
        assert x.as_strided_scatter(src, (2, 2), (1, 2), 1).shape == (9,)
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_as_strided_scatter_gradient_is_the_derivative():
    """``self``'s gradient is ``grad_output`` where nothing was written (finite differences
    agree; PyTorch's own gradient is the opposite mask and fails its gradcheck, which its
    OpInfo marks an expected failure, so ours differs from it there)."""
    x = tg.tensor(RNG.standard_normal(9), requires_grad=True)
    src = tg.tensor(RNG.standard_normal((2, 2)), requires_grad=True)
    assert tg.autograd.gradcheck(lambda a, b: tg.as_strided_scatter(a, b, (2, 2), (1, 2), 1),
                                 (x, src))
    x.grad = None
    tg.as_strided_scatter(x, src, (2, 2), (1, 2), 0).sum().backward()
    assert x.grad.tolist() == [0.0] * 4 + [1.0] * 5


ERRORS = [
    ("select_copy out of range", lambda lib: lib.select_copy(lib.zeros(2, 3), 0, 5), IndexError,
     "select(): index 5 out of range for tensor of size [2, 3] at dimension 0"),
    ("expand_copy to fewer dims", lambda lib: lib.expand_copy(lib.zeros(2, 3), (3,)),
     RuntimeError, "expand(torch.FloatTensor{[2, 3]}, size=[3]): the number of sizes provided "
                   "(1) must be greater or equal to the number of dimensions in the tensor (2)"),
    ("slice_copy step 0", lambda lib: lib.slice_copy(lib.zeros(3), 0, 0, 2, 0), RuntimeError,
     "slice step must be positive"),
    ("view_copy bad shape", lambda lib: lib.view_copy(lib.zeros(2, 3), (4, -1)), RuntimeError,
     "shape '[4, -1]' is invalid for input of size 6"),
    ("t_copy of 3-D", lambda lib: lib.t_copy(lib.zeros(2, 3, 4)), RuntimeError,
     "t() expects a tensor with <= 2 dimensions, but self is 3D"),
    ("out of another dtype", lambda lib: lib.t_copy(lib.zeros(2, 3), out=lib.zeros(3, 2).long()),
     RuntimeError, "Expected out tensor to have dtype float, but got long int instead"),
    ("split_copy out count", lambda lib: lib.split_copy(lib.zeros(2, 3), 1, out=[lib.zeros(1)]),
     RuntimeError, "split_copy_Tensor_out() expected an out= argument of size 2, got size 1"),
    ("unbind_copy out count", lambda lib: lib.unbind_copy(lib.zeros(2), out=[lib.zeros(1)]),
     RuntimeError, "unbind_copy_int_out expected an out= argument of size 2, got size 1"),
    ("unbind_copy out a tensor", lambda lib: lib.unbind_copy(lib.zeros(2), out=lib.zeros(1)),
     TypeError, "unbind_copy(): argument 'out' must be tuple of Tensors, not Tensor"),
    ("view_copy as a wider dtype", lambda lib: lib.view_copy(lib.zeros(2, 3), lib.float64),
     RuntimeError, "self.size(-1) must be divisible by 2 to view Float as Double (different "
                   "element sizes), but got 3"),
    ("view_copy of a transpose as a narrower dtype",
     lambda lib: lib.view_copy(lib.zeros(2, 3).t(), lib.float16), RuntimeError,
     "self.stride(-1) must be 1 to view Float as Half (different element sizes), but got 3"),
    ("as_strided_scatter src shape",
     lambda lib: lib.as_strided_scatter(lib.zeros(6), lib.zeros(3), (2,), (1,)), RuntimeError,
     "expected src to have a size equal to the slice of self. src size = [3], slice size = [2]"),
    ("rsub of two numbers", lambda lib: lib.rsub(1, 2), TypeError,
     "rsub() received an invalid combination of arguments - got (int, int), but expected one "
     "of:\n * (Tensor input, Tensor other, *, Number alpha = 1)\n * (Tensor input, Number other, "
     "Number alpha = 1)\n"),
    ("rsub of bools", lambda lib: lib.rsub(lib.tensor([True]), lib.tensor([False])),
     RuntimeError, "Subtraction, the `-` operator, with two bool tensors is not supported. Use "
                   "the `^` or `logical_xor()` operator instead."),
]

test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)

"""float16 computed as PyTorch computes it (``tinygrad_bn/ops/opmath.py``): in float32, rounded
once at the end. For each op of the table:

- its float16 result equals the same op on the input widened to float32, rounded to float16
  (bit for bit), and PyTorch's float16 result within ``assert_close``'s float16 tolerance;
- its float16 gradient equals PyTorch's within that tolerance;
- its float64 gradient passes the finite-difference check (the float32/float64 paths are
  untouched by the decorator).

Also: the float32 path copies nothing, an in-place write to a saved float16 input is still
caught, and PyTorch's own last-dim float16 log_softmax (its sum rounded to float16) is matched
bit for bit."""

import numpy as np
import pytest

import tinygrad_bn as tg
import tinygrad_bn.nn.functional as F


def _inputs(shapes, seed=0, scale=3.0):
    rng = np.random.default_rng(seed)
    return [rng.normal(0, scale, shape) for shape in shapes]


# name -> (function of (library, *tensors), input shapes). The library is tinygrad_bn or torch;
# both spell these calls the same way.
CASES = {
    "gelu": (lambda lib, x: lib.nn.functional.gelu(x), [(40, 50)]),
    "gelu_tanh": (lambda lib, x: lib.nn.functional.gelu(x, approximate="tanh"), [(40, 50)]),
    "lerp_tensor": (lambda lib, a, b, w: lib.lerp(a, b, w), [(30, 40), (30, 40), (30, 40)]),
    "lerp_scalar": (lambda lib, a, b: lib.lerp(a, b, 0.4), [(30, 40), (40,)]),
    "lerp_scalar_large": (lambda lib, a, b: lib.lerp(a, b, 0.7), [(30, 40), (30, 40)]),
    "var": (lambda lib, x: x.var(1), [(20, 300)]),
    "var_all": (lambda lib, x: x.var(), [(20, 300)]),
    "std": (lambda lib, x: x.std(0, correction=0), [(300, 20)]),
    "softmax_dim0": (lambda lib, x: x.softmax(0), [(10, 20)]),
    "softmax_last": (lambda lib, x: x.softmax(-1), [(20, 10)]),
    "log_softmax_dim0": (lambda lib, x: x.log_softmax(0), [(20, 30, 4)]),
}
# Ops whose float16 result is not the float32 one rounded once, because PyTorch's is not either
# (see test_log_softmax_last_dim_float16_is_pytorchs_bit_for_bit).
NOT_ROUNDED_ONCE = {"log_softmax_last": (lambda lib, x: x.log_softmax(-1), [(20, 10)])}


def _ours(arrays, dtype, requires_grad=False):
    return [tg.tensor(a, dtype=dtype, requires_grad=requires_grad) for a in arrays]


@pytest.mark.parametrize("name", sorted(CASES))
def test_float16_is_float32_rounded_once(name):
    function, shapes = CASES[name]
    half = [a.astype(np.float16) for a in _inputs(shapes)]
    result = function(tg, *_ours(half, tg.float16))
    wide = function(tg, *_ours(half, tg.float32))
    assert result.dtype == tg.float16
    np.testing.assert_array_equal(result.numpy(), wide.numpy().astype(np.float16))


@pytest.mark.parametrize("name", sorted(CASES) + sorted(NOT_ROUNDED_ONCE))
def test_float16_values_and_gradients_match_pytorch(name):
    torch = pytest.importorskip("torch")
    function, shapes = {**CASES, **NOT_ROUNDED_ONCE}[name]
    half = [a.astype(np.float16) for a in _inputs(shapes)]
    ours = _ours(half, tg.float16, requires_grad=True)
    theirs = [torch.tensor(a, requires_grad=True) for a in half]
    our_out, their_out = function(tg, *ours), function(torch, *theirs)
    torch.testing.assert_close(torch.from_numpy(our_out.detach().numpy()), their_out.detach())
    grad = _inputs([tuple(their_out.shape)], seed=1, scale=1.0)[0].astype(np.float16)
    our_out.backward(tg.tensor(grad))
    their_out.backward(torch.tensor(grad))
    for our_leaf, their_leaf in zip(ours, theirs):
        assert our_leaf.grad.dtype == tg.float16
        torch.testing.assert_close(torch.from_numpy(our_leaf.grad.numpy()), their_leaf.grad,
                                   atol=1e-3, rtol=1e-3)


@pytest.mark.parametrize("name", sorted(CASES) + sorted(NOT_ROUNDED_ONCE))
def test_float64_gradients_pass_finite_differences(name):
    function, shapes = {**CASES, **NOT_ROUNDED_ONCE}[name]
    small = [a[:5] if a.ndim == 1 else a[:4, :5] for a in _inputs(shapes)]
    assert tg.gradcheck(lambda *xs: function(tg, *xs), tuple(_ours(small, tg.float64, True)))


def test_log_softmax_last_dim_float16_is_pytorchs_bit_for_bit():
    """PyTorch's last-dim kernel rounds the sum of exponentials and its log to float16 before
    subtracting (a row dominated by one element gives -log(sum) with the sum's rounding);
    along other dims it is the float32 result rounded once."""
    torch = pytest.importorskip("torch")
    for shape, dim in (((1000, 5), 1), ((30, 300), 1), ((300, 30), 0), ((20, 30, 40), 1)):
        x = _inputs([shape])[0].astype(np.float16)
        ours = tg.tensor(x).log_softmax(dim).numpy()
        theirs = torch.from_numpy(x).log_softmax(dim).numpy()
        np.testing.assert_array_equal(ours.view(np.int16), theirs.view(np.int16))


def test_float32_path_copies_nothing():
    """The decorator passes float32 and float64 arrays through: the op saves the input array
    itself, not a converted copy."""
    for dtype in (tg.float32, tg.float64):
        x = tg.randn(4, 5, dtype=dtype, requires_grad=True)
        out = F.gelu(x)
        assert out.dtype == dtype and out.grad_fn.saved[0] is x._array


def test_float16_saves_the_float16_input_so_in_place_writes_are_caught():
    x = tg.randn(4, 5, dtype=tg.float16, requires_grad=True)
    y = x * 1
    out = F.gelu(y)
    assert out.grad_fn.saved[0] is y._array
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_float16_scalar_lerp_weight_is_not_rounded_to_float16():
    """PyTorch's kernel takes a number weight in float32 for float16 tensors: 0.4 is not
    float16's 0.39990234375."""
    start, end = tg.zeros(1, dtype=tg.float16), tg.tensor([1000.0], dtype=tg.float16)
    assert tg.lerp(start, end, 0.4).item() == 400.0

"""Small differences from PyTorch that gave no error (a message worded otherwise, a last bit, a
sign of zero, a stride), each checked against PyTorch where it is installed and against the
value or message PyTorch gives where it is not (its bits computed with NumPy the way PyTorch's
CPU kernel computes them)."""

import re

import numpy as np
import pytest

import tinygrad_bn as tg


def _torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _raises(call, error, message):
    """``call(tinygrad_bn)`` raises ``error`` with exactly ``message``, and so does
    ``call(torch)`` when PyTorch is installed."""
    modules = [tg] + [m for m in (_torch_or_none(),) if m is not None]
    for module in modules:
        with pytest.raises(error, match="^" + re.escape(message) + "$"):
            call(module)


def _same_bits(ours, expected):
    """Arrays equal bit for bit (NaNs of any payload equal, signed zeros told apart)."""
    ours, expected = np.asarray(ours), np.asarray(expected)
    assert ours.dtype == expected.dtype and ours.shape == expected.shape
    unsigned = {2: np.uint16, 4: np.uint32, 8: np.uint64}[ours.dtype.itemsize]
    differ = (ours.view(unsigned) != expected.view(unsigned)) & ~(np.isnan(ours) & np.isnan(expected))
    assert not differ.any(), f"{differ.sum()} differ, first at {np.flatnonzero(differ)[:5]}"


# --- out= of the wrong type -----------------------------------------------------------------

OUT_TYPE_CASES = [
    (lambda m: m.exp(m.ones(2), out=[1, 2]), "exp(): argument 'out' must be Tensor, not list"),
    (lambda m: m.exp(m.ones(2), out=(1,)), "exp(): argument 'out' must be Tensor, not tuple"),
    (lambda m: m.exp(m.ones(2), out=[m.ones(2)]), "exp(): argument 'out' must be Tensor, not list"),
    (lambda m: m.add(m.ones(2), 1, out=[]), "add(): argument 'out' must be Tensor, not list"),
    (lambda m: m.exp(m.ones(2), out=np.ones(2)),
     "exp(): argument 'out' must be Tensor, not numpy.ndarray"),
    (lambda m: m.max(m.ones(2, 3), 1, out=[1, 2]),
     "expected Tensor as element 0 in argument 3, but got int"),
    (lambda m: m.max(m.ones(2, 3), 1, out=(m.ones(2), 2.0)),
     "expected Tensor as element 1 in argument 3, but got float"),
    (lambda m: m.sort(m.ones(2, 3), out=(1, 2)),
     "expected Tensor as element 0 in argument 3, but got int"),
    (lambda m: m.sort(m.ones(2, 3), stable=True, out=(1, 2)),
     "expected Tensor as element 0 in argument 4, but got int"),
    (lambda m: m.topk(m.ones(2, 3), 2, out=[None, None]),
     "expected Tensor as element 0 in argument 5, but got NoneType"),
]


@pytest.mark.parametrize("index", range(len(OUT_TYPE_CASES)))
def test_out_of_the_wrong_type_gets_pytorchs_message(index):
    call, message = OUT_TYPE_CASES[index]
    _raises(call, TypeError, message)


# --- strides of empty tensors -----------------------------------------------------------------

EMPTY_STRIDES = [((0,), (1,)), ((0, 3), (3, 1)), ((3, 0), (1, 1)), ((2, 0, 4), (4, 4, 1)),
                 ((0, 0, 2), (2, 2, 1)), ((2, 3, 0), (3, 1, 1))]


@pytest.mark.parametrize("shape,strides", EMPTY_STRIDES)
def test_a_new_empty_tensor_has_pytorchs_contiguous_strides(shape, strides):
    made = [tg.empty(shape), tg.zeros(shape, dtype=tg.int64), tg.rand(*shape),
            tg.zeros(shape) + 1, tg.tensor(np.zeros(shape))]
    for t in made:
        assert t.stride() == strides
        assert t.stride(-1) == strides[-1] and t.stride(0) == strides[0]
    torch = _torch_or_none()
    if torch is not None:
        assert torch.empty(shape).stride() == strides


def test_an_empty_view_keeps_the_strides_it_was_cut_with():
    x = tg.ones(2, 3, 4)
    assert x[:, 0:0, :].stride() == (12, 4, 1)
    assert x[:0].transpose(0, 2).stride() == (1, 4, 12)
    assert tg.zeros(0, 6).reshape(2, 0, 3).stride() == (3, 3, 1)

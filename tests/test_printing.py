"""Printing follows PyTorch character for character: tensors (fixed, integer and scientific
modes, alignment, wrapping, summarization, suffixes), ``Size``, the ``(values, indices)`` named
tuples, ``format`` specs and ``set_printoptions``.

Each case is an expression evaluated with ``T`` bound to tinygrad_bn and, when it is installed,
to PyTorch; the strings must be equal. Without PyTorch the cases with a recorded PyTorch string
still run against it."""

import numpy as np
import pytest

import tinygrad_bn as tg

# (expression, PyTorch 2.13's output or None when only compared live)
CASES = [
    ("T.tensor([1.0, 2.0])", "tensor([1., 2.])"),
    ("T.tensor([1.5, 2.25])", "tensor([1.5000, 2.2500])"),
    ("T.tensor([1e-7, 3e-6])", "tensor([1.0000e-07, 3.0000e-06])"),
    ("T.tensor(1e-5)", "tensor(1.0000e-05)"),
    ("T.tensor([0.001, 1000.0])", "tensor([1.0000e-03, 1.0000e+03])"),
    ("T.tensor([0.01, 5.0])", "tensor([0.0100, 5.0000])"),
    ("T.tensor([1e9, 2.0])", "tensor([1.0000e+09, 2.0000e+00])"),
    ("T.tensor([-1.5, 20.25, 0.0])", "tensor([-1.5000, 20.2500,  0.0000])"),
    ("T.tensor([[1.0, -2.0], [30.0, 4.0]])", "tensor([[ 1., -2.],\n        [30.,  4.]])"),
    ("T.tensor([float('nan'), float('inf'), 1.0])", "tensor([nan, inf, 1.])"),
    ("T.tensor([float('nan'), -float('inf'), 0.5])", "tensor([   nan,   -inf, 0.5000])"),
    ("T.tensor([0.0, 0.0])", "tensor([0., 0.])"),
    ("T.tensor([True, False])", "tensor([ True, False])"),
    ("T.tensor([True])", "tensor([True])"),
    ("T.tensor([1, -20, 300])", "tensor([  1, -20, 300])"),
    ("T.tensor(3)", "tensor(3)"),
    ("T.tensor(2.5, dtype=T.float64)", "tensor(2.5000, dtype=torch.float64)"),
    ("T.tensor([1, 2], dtype=T.int32)", "tensor([1, 2], dtype=torch.int32)"),
    ("T.tensor([1.5, 2.0], dtype=T.float16)", "tensor([1.5000, 2.0000], dtype=torch.float16)"),
    ("T.tensor([7], dtype=T.uint8)", "tensor([7], dtype=torch.uint8)"),
    ("T.tensor([], dtype=T.int64)", "tensor([], dtype=torch.int64)"),
    ("T.zeros(2, 0)", "tensor([], size=(2, 0))"),
    ("T.zeros(0, dtype=T.float64)", "tensor([], dtype=torch.float64)"),
    ("T.zeros(0, 3, dtype=T.int32)", "tensor([], size=(0, 3), dtype=torch.int32)"),
    ("T.ones(2, requires_grad=True)", "tensor([1., 1.], requires_grad=True)"),
    ("T.arange(2000.0)", ("tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, "
                          "1.9980e+03,\n        1.9990e+03])")),
    ("T.arange(1001)", "tensor([   0,    1,    2,  ...,  998,  999, 1000])"),
    ("T.arange(20.0).reshape(4, 5) / 3", None),
    ("T.arange(24.0).reshape(2, 3, 4) * 1e5", None),
    ("T.arange(3000.0).reshape(30, 100) / 7", None),
    ("T.arange(30.0) / 7", None),
    ("T.arange(60.0).reshape(2, 30).double() / 7", None),
    ("T.tensor([[1e-8, 1.0], [2.0, 3.0]], dtype=T.float64)", None),
    ("T.ones(3, 2, 2, 2, dtype=T.int32)", None),
    ("T.tensor([123456789.0, 1.0])", None),
    ("T.tensor([0.1, 0.2], dtype=T.float64) * 1e-3", None),
    ("T.Size([2, 3])", "torch.Size([2, 3])"),
    ("T.Size([])", "torch.Size([])"),
    ("T.ones(2, 3).shape", "torch.Size([2, 3])"),
    ("T.ones(2, 3).size()", "torch.Size([2, 3])"),
    ("T.ones(2, 3).shape + (4,)", "torch.Size([2, 3, 4])"),
    ("T.ones(2, 3, 4).shape[1:]", "torch.Size([3, 4])"),
    ("T.tensor([[3.0, 1.0], [2.0, 5.0]]).max(1)",
     "torch.return_types.max(\nvalues=tensor([3., 5.]),\nindices=tensor([0, 1]))"),
    ("T.tensor([[3.0, 1.0], [2.0, 5.0]]).min(0)",
     "torch.return_types.min(\nvalues=tensor([2., 1.]),\nindices=tensor([1, 0]))"),
    ("T.tensor([3.0, 1.0, 2.0]).sort()",
     "torch.return_types.sort(\nvalues=tensor([1., 2., 3.]),\nindices=tensor([1, 2, 0]))"),
    ("T.tensor([3.0, 1.0, 2.0]).topk(2)",
     "torch.return_types.topk(\nvalues=tensor([3., 2.]),\nindices=tensor([0, 2]))"),
]


def _torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    return torch


@pytest.mark.parametrize("expression, expected", CASES, ids=[c[0] for c in CASES])
def test_printing_matches_pytorch(expression, expected):
    ours = repr(eval(expression, {"T": tg}))
    torch = _torch_or_none()
    if torch is not None:
        assert ours == repr(eval(expression, {"T": torch}))
        assert str(eval(expression, {"T": tg})) == str(eval(expression, {"T": torch}))
    elif expected is None:
        pytest.skip("compared with PyTorch's output only when PyTorch is installed")
    if expected is not None:
        assert ours == expected


def test_grad_fn_and_long_suffixes():
    x = tg.tensor([1.0], requires_grad=True)
    assert repr(x * 2) == "tensor([2.], grad_fn=<Mul>)"
    # a suffix that would pass 80 columns starts a new line, indented under the data
    wide = (tg.arange(9.0, dtype=tg.float64) / 3).reshape(1, 9).requires_grad_()
    assert repr(wide) == (
        "tensor([[0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667]],\n"
        "       dtype=torch.float64, requires_grad=True)")


def test_parameter_repr():
    assert repr(tg.nn.Parameter(tg.ones(2))) == \
        "Parameter containing:\ntensor([1., 1.], requires_grad=True)"


def test_format_spec_on_zero_dim_tensors():
    loss = tg.tensor(0.123456)
    assert f"{loss:.3f}" == "0.123" and format(loss, ".2e") == "1.23e-01"
    assert f"{tg.tensor(7):d}" == "7" and f"{tg.tensor(7):>4}" == "   7"
    assert f"{tg.ones(2)}" == "tensor([1., 1.])"
    with pytest.raises(TypeError, match="unsupported format string passed to Tensor.__format__"):
        format(tg.tensor([1.5]), ".3f")


def test_format_spec_on_a_tensor_that_requires_grad():
    w = tg.tensor(2.0, requires_grad=True)
    assert f"{w * 3:.1f}" == "6.0"


def test_set_printoptions():
    x = tg.tensor([1.0 / 3, 2.0])
    try:
        tg.set_printoptions(precision=2)
        assert repr(x) == "tensor([0.33, 2.00])"
        tg.set_printoptions(sci_mode=True)
        assert repr(x) == "tensor([3.33e-01, 2.00e+00])"
    finally:
        tg.set_printoptions(profile="default")
    assert repr(x) == "tensor([0.3333, 2.0000])"
    with tg.printoptions(threshold=4, edgeitems=1):
        assert repr(tg.arange(6)) == "tensor([0,  ..., 5])"
    assert tg.get_printoptions()["threshold"] == 1000
    with pytest.raises(ValueError, match="Unknown profile 'tiny'"):
        tg.set_printoptions(profile="tiny")


@pytest.mark.parametrize("options", [
    {"precision": 2}, {"sci_mode": True}, {"sci_mode": False}, {"linewidth": 40},
    {"threshold": 5, "edgeitems": 2}, {"profile": "short"}, {"edgeitems": 0, "threshold": 3},
])
def test_printoptions_match_pytorch(options):
    torch = pytest.importorskip("torch")
    values = np.array([[1e-5, 0.25, 3.0, 40.0, -7.5, 123.456]] * 3)
    try:
        tg.set_printoptions(**options)
        torch.set_printoptions(**options)
        assert repr(tg.tensor(values)) == repr(torch.tensor(values))
        assert repr(tg.tensor([1.0, 2.0])) == repr(torch.tensor([1.0, 2.0]))
    finally:
        tg.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


def test_size_is_a_tuple():
    size = tg.ones(2, 3).shape
    assert size == (2, 3) and isinstance(size, tuple) and isinstance(size, tg.Size)
    assert size.numel() == 6 and tg.Size([]).numel() == 1
    rows, cols = size
    assert (rows, cols) == (2, 3) and size[-1] == 3
    assert tg.zeros(size).shape == size


def test_named_tuples_unpack_and_name_their_fields():
    values, indices = tg.tensor([[3.0, 1.0], [2.0, 5.0]]).max(dim=1)
    pair = tg.tensor([[3.0, 1.0], [2.0, 5.0]]).max(dim=1)
    assert pair.values.tolist() == values.tolist() == [3.0, 5.0]
    assert pair.indices.tolist() == indices.tolist() == [0, 1]
    assert type(pair).__name__ == "max" and isinstance(pair, tg.return_types.max)
    assert isinstance(tg.tensor([2.0, 1.0]).sort(), tg.return_types.sort)


def test_graph_labels_use_the_same_number_format():
    from tinygrad_bn.printing import format_number

    assert format_number(1e-5) == "1.0000e-05"
    assert format_number(0.25) == "0.2500"
    assert format_number(3.0) == "3."
    assert format_number(np.float32(2.5e9)) == "2.5000e+09"


def test_size_arithmetic_keeps_the_type():
    size = tg.Size([2, 3])
    assert repr(size * 2) == "torch.Size([2, 3, 2, 3])" and repr(2 * size) == repr(size * 2)
    assert repr((1,) + size) == "torch.Size([1, 2, 3])"

"""``torch.rnn_tanh_cell``, ``rnn_relu_cell``, ``lstm_cell`` and ``gru_cell`` (nn/rnn.py, the
step the cell modules run): values and float64 gradients against PyTorch, finite differences,
the cell modules unchanged by sharing the step, and ATen's error messages."""

import numpy as np
import pytest

import tinygrad_bn as tg
from pytorch_errors import error_tests

RNG = np.random.default_rng(7)
GATES = {"rnn_tanh_cell": 1, "rnn_relu_cell": 1, "gru_cell": 3, "lstm_cell": 4}


def _arrays(name, bias):
    g = GATES[name]
    arrays = [RNG.standard_normal((3, 4)), RNG.standard_normal((3, 5)),
              RNG.standard_normal((3, 5)), RNG.standard_normal((g * 5, 4)),
              RNG.standard_normal((g * 5, 5))]
    return arrays + ([RNG.standard_normal(g * 5), RNG.standard_normal(g * 5)] if bias else [])


def _call(lib, name, tensors):
    x, h, c, *weights = tensors
    hx = (h, c) if name == "lstm_cell" else h
    out = getattr(lib, name)(x, hx, *weights)
    return out if isinstance(out, tuple) else (out,)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(GATES))
def test_values_and_gradients_are_pytorchs(name, dtype, bias):
    torch = pytest.importorskip("torch")
    arrays = _arrays(name, bias)
    results = []
    for lib in (tg, torch):
        tensors = [lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=True) for a in arrays]
        outs = _call(lib, name, tensors)
        sum((o * o).sum() for o in outs).backward()
        results.append(([o.detach().numpy() for o in outs],
                        [np.zeros(1) if t.grad is None else t.grad.numpy() for t in tensors]))
    tolerance = 1e-12 if dtype == "float64" else 2e-5
    for ours, theirs in zip(*results, strict=True):
        for our, their in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(our, their, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("name", list(GATES))
def test_gradients_match_finite_differences(name):
    tensors = [tg.tensor(a, requires_grad=True) for a in _arrays(name, True)]
    if name != "lstm_cell":
        tensors[2].requires_grad_(False)
    assert tg.autograd.gradcheck(lambda *t: _call(tg, name, t), tuple(tensors))


def test_the_function_is_the_module_step():
    cell = tg.nn.LSTMCell(4, 5).double()
    x, h, c = (tg.tensor(RNG.standard_normal(s)) for s in ((3, 4), (3, 5), (3, 5)))
    ours = tg.lstm_cell(x, (h, c), cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    theirs = cell(x, (h, c))
    for our, their in zip(ours, theirs):
        np.testing.assert_array_equal(our.detach().numpy(), their.detach().numpy())


def _zeros(lib, *shape):
    return lib.zeros(*shape)


ERRORS = [
    ("input size", lambda lib: lib.rnn_tanh_cell(_zeros(lib, 3, 4), _zeros(lib, 3, 5),
                                                 _zeros(lib, 5, 3), _zeros(lib, 5, 5)),
     RuntimeError, "input has inconsistent input_size: got 4 expected 3"),
    ("batch size", lambda lib: lib.rnn_relu_cell(_zeros(lib, 3, 4), _zeros(lib, 2, 5),
                                                 _zeros(lib, 5, 4), _zeros(lib, 5, 5)),
     RuntimeError, "Input batch size 3 doesn't match hidden0 batch size 2"),
    ("hidden size", lambda lib: lib.rnn_tanh_cell(_zeros(lib, 3, 4), _zeros(lib, 3, 4),
                                                  _zeros(lib, 5, 4), _zeros(lib, 5, 5)),
     RuntimeError, "hidden0 has inconsistent hidden_size: got 4, expected 5"),
    ("gru weight rows", lambda lib: lib.gru_cell(_zeros(lib, 3, 4), _zeros(lib, 3, 5),
                                                 _zeros(lib, 15, 4), _zeros(lib, 5, 5)),
     RuntimeError, "weight_hh first dim must be 3 * hidden_size = 15, but got 5"),
    ("lstm weight rows", lambda lib: lib.lstm_cell(_zeros(lib, 3, 4), (_zeros(lib, 3, 5),) * 2,
                                                   _zeros(lib, 15, 4), _zeros(lib, 20, 5)),
     RuntimeError, "weight_ih first dim must be 4 * hidden_size = 20, but got 15"),
    ("lstm one state", lambda lib: lib.lstm_cell(_zeros(lib, 3, 4), (_zeros(lib, 3, 5),),
                                                 _zeros(lib, 20, 4), _zeros(lib, 20, 5)),
     RuntimeError, "lstm_cell expects two hidden states"),
    ("lstm hx a tensor", lambda lib: lib.lstm_cell(_zeros(lib, 3, 4), _zeros(lib, 3, 5),
                                                   _zeros(lib, 20, 4), _zeros(lib, 20, 5)),
     TypeError, "lstm_cell(): argument 'hx' (position 2) must be tuple of Tensors, not Tensor"),
    ("unbatched", lambda lib: lib.rnn_tanh_cell(_zeros(lib, 4), _zeros(lib, 5),
                                                _zeros(lib, 5, 4), _zeros(lib, 5, 5)),
     IndexError, "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
]

test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)

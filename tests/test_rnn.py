"""Recurrent layers (``nn.RNNCell``, ``LSTMCell``, ``GRUCell``, ``RNN``, ``LSTM``, ``GRU``):
finite-difference gradients in float64, initialisation, shapes, and, when PyTorch is installed,
outputs and gradients against PyTorch's with the same weights copied in, state-dict keys,
printing and every error message.

Tolerances against PyTorch: float64 agrees to 1e-12 (the same operations in the same order;
only the matmul's summation order inside BLAS may differ). float32 is held to rtol 1e-5:
PyTorch's float32 LSTM/GRU/RNN run through oneDNN on the CPU, which fuses the gates and adds
in another order, so the last bits differ.
"""

import math
import re
import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
import tinygrad_bn.nn.utils.rnn  # noqa: F401 - m.nn.utils.rnn below, as torch loads it
from tinygrad_bn import nn

from pytorch_errors import error_tests

CELLS = [
    ("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu", "bias": False}),
    ("LSTMCell", {}), ("LSTMCell", {"bias": False}), ("GRUCell", {}), ("GRUCell", {"bias": False}),
]
LAYERS = [
    ("RNN", {}), ("RNN", {"nonlinearity": "relu", "num_layers": 2, "bias": False}),
    ("RNN", {"bidirectional": True, "batch_first": True}),
    ("LSTM", {}), ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"batch_first": True, "bias": False}),
    ("LSTM", {"proj_size": 2, "num_layers": 2, "bidirectional": True}),
    ("GRU", {}), ("GRU", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("GRU", {"bias": False, "num_layers": 3}),
]


def _ids(cases):
    return [name + "".join(f"-{k}={v}" for k, v in kwargs.items()) for name, kwargs in cases]


def _is_lstm(name):
    return name.startswith("LSTM")


def _states(name, kwargs, rng, batch, hidden_size=4, dtype=np.float64):
    """A random initial state for a layer: h (and c for an LSTM), with a batch dim unless
    ``batch`` is None."""
    directions = 2 if kwargs.get("bidirectional") else 1
    layers = kwargs.get("num_layers", 1) * directions
    out_size = kwargs.get("proj_size") or hidden_size
    lead = (layers,) if batch is None else (layers, batch)
    h = rng.normal(size=lead + (out_size,)).astype(dtype)
    if _is_lstm(name):
        return h, rng.normal(size=lead + (hidden_size,)).astype(dtype)
    return h


def _cell_state(name, rng, batch, hidden_size=4, dtype=np.float64):
    shape = (hidden_size,) if batch is None else (batch, hidden_size)
    if _is_lstm(name):
        return (rng.normal(size=shape).astype(dtype), rng.normal(size=shape).astype(dtype))
    return rng.normal(size=shape).astype(dtype)


def _to(lib, value, requires_grad=True):
    if value is None:
        return None
    if isinstance(value, tuple):
        return tuple(_to(lib, v, requires_grad) for v in value)
    return lib.tensor(value, requires_grad=requires_grad)


def _flat(value):
    if isinstance(value, (tuple, list)):
        return [leaf for v in value for leaf in _flat(v)]
    return [value]


# ---------------------------------------------------------------------- without PyTorch


@pytest.mark.parametrize("name, kwargs", CELLS, ids=_ids(CELLS))
def test_cell_gradients_match_finite_differences(name, kwargs):
    tg.manual_seed(0)
    cell = getattr(nn, name)(3, 4, **kwargs).double()
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.normal(size=(2, 3)), requires_grad=True)
    state = _to(tg, _cell_state(name, rng, 2))
    params = list(cell.parameters())

    def run(x, *rest):
        hx = tuple(rest[:2]) if _is_lstm(name) else rest[0]
        return cell(x, hx)

    assert tg.autograd.gradcheck(run, (x,) + tuple(_flat(state)) + tuple(params))


@pytest.mark.parametrize("name, kwargs", LAYERS, ids=_ids(LAYERS))
def test_layer_gradients_match_finite_differences(name, kwargs):
    tg.manual_seed(0)
    layer = getattr(nn, name)(3, 4, **kwargs).double()
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.normal(size=(2, 3, 3) if kwargs.get("batch_first") else (3, 2, 3)),
                  requires_grad=True)
    state = _to(tg, _states(name, kwargs, rng, 2))

    def run(x, *hx):
        output, hidden = layer(x, tuple(hx) if _is_lstm(name) else hx[0])
        return (output,) + tuple(_flat(hidden))

    assert tg.autograd.gradcheck(run, (x,) + tuple(_flat(state)))
    # the parameters too, on a shorter sequence (each is a separate input to perturb)
    x = tg.tensor(rng.normal(size=(2, 2, 3)))
    params = list(layer.parameters())
    names = [n for n, _ in layer.named_parameters()]

    def run_parameters(*values):
        for n, value in zip(names, values):
            object.__setattr__(layer, n, value)
        output, hidden = layer(x)
        return (output,) + tuple(_flat(hidden))

    try:
        assert tg.autograd.gradcheck(run_parameters, tuple(params))
    finally:
        for n, p in zip(names, params):
            object.__setattr__(layer, n, p)


@pytest.mark.parametrize("name, kwargs", CELLS + LAYERS, ids=_ids(CELLS + LAYERS))
def test_parameters_are_drawn_in_pytorchs_order_from_uniform(name, kwargs):
    tg.manual_seed(3)
    module = getattr(nn, name)(3, 4, **kwargs)
    tg.manual_seed(3)
    bound = 1 / math.sqrt(4)
    for parameter in module.parameters():
        expected = tg.empty(*parameter.shape, dtype=parameter.dtype).uniform_(-bound, bound)
        assert np.array_equal(parameter.detach().numpy(), expected.numpy())
        assert parameter.requires_grad and np.abs(parameter.detach().numpy()).max() <= bound


@pytest.mark.parametrize("name, kwargs", LAYERS, ids=_ids(LAYERS))
def test_layer_shapes_batched_and_unbatched(name, kwargs):
    layer = getattr(nn, name)(3, 4, **kwargs)
    directions = 2 if kwargs.get("bidirectional") else 1
    out_size = kwargs.get("proj_size") or 4
    layers = kwargs.get("num_layers", 1) * directions
    batch_first = kwargs.get("batch_first", False)
    x = tg.randn(2, 5, 3) if batch_first else tg.randn(5, 2, 3)
    output, hidden = layer(x)
    assert output.shape == ((2, 5) if batch_first else (5, 2)) + (directions * out_size,)
    hidden = _flat(hidden)
    assert hidden[0].shape == (layers, 2, out_size)
    if _is_lstm(name):
        assert hidden[1].shape == (layers, 2, 4)
    output, unbatched = layer(tg.randn(5, 3))
    assert output.shape == (5, directions * out_size)
    assert [h.shape for h in _flat(unbatched)] == [h.shape[:1] + h.shape[2:] for h in hidden]


def test_unbatched_input_is_the_batch_of_one():
    tg.manual_seed(0)
    layer = nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True).double()
    x = tg.randn(5, 3, dtype=tg.float64)
    output, (h, c) = layer(x)
    batched, (hb, cb) = layer(x.unsqueeze(0))
    assert np.array_equal(output.detach().numpy(), batched[0].detach().numpy())
    assert np.array_equal(h.detach().numpy(), hb[:, 0].detach().numpy())
    assert np.array_equal(c.detach().numpy(), cb[:, 0].detach().numpy())


def test_the_first_output_of_a_one_layer_rnn_is_the_cell():
    """An RNN layer is its cell run over time: same weights, same numbers, bit for bit."""
    tg.manual_seed(0)
    layer = nn.GRU(3, 4).double()
    cell = nn.GRUCell(3, 4).double()
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = tg.randn(6, 2, 3, dtype=tg.float64)
    output, h_n = layer(x)
    h = None
    for step in range(6):
        h = cell(x[step], h)
        assert np.array_equal(h.detach().numpy(), output[step].detach().numpy())
    assert np.array_equal(h.detach().numpy(), h_n[0].detach().numpy())


def test_dropout_between_layers_in_training_only():
    tg.manual_seed(0)
    layer = nn.LSTM(3, 8, num_layers=2, dropout=0.5).double()
    x = tg.randn(4, 2, 3, dtype=tg.float64)
    layer.eval()
    first, _ = layer(x)
    assert np.array_equal(first.detach().numpy(), layer(x)[0].detach().numpy())
    layer.train()
    assert not np.array_equal(first.detach().numpy(), layer(x)[0].detach().numpy())
    layer.dropout = 0.0
    assert np.array_equal(first.detach().numpy(), layer(x)[0].detach().numpy())


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="dropout option adds dropout after all but last "
                      r"recurrent layer, so non-zero dropout expects num_layers greater than 1, "
                      r"but got dropout=0.5 and num_layers=1"):
        nn.GRU(3, 4, dropout=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.GRU(3, 4, num_layers=2, dropout=0.5)


def test_all_weights_and_flatten_parameters():
    layer = nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    assert [[p.shape for p in group] for group in layer.all_weights][1] == [
        (16, 3), (16, 2), (16,), (16,), (2, 4)]
    layer.flatten_parameters()  # a no-op that programs written for cuDNN call


def test_an_lstm_learns_to_continue_a_sine_wave():
    tg.manual_seed(0)
    model = nn.LSTM(1, 16, batch_first=True)
    head = nn.Linear(16, 1)
    optimizer = tg.optim.Adam(list(model.parameters()) + list(head.parameters()), lr=0.02)
    t = np.linspace(0, 8 * np.pi, 201, dtype=np.float32)
    wave = np.sin(t)
    starts = np.arange(0, 160, 8)
    x = tg.tensor(np.stack([wave[s:s + 40] for s in starts])[..., None])
    y = tg.tensor(np.stack([wave[s + 1:s + 41] for s in starts])[..., None])
    losses = []
    for _ in range(60):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(head(model(x)[0]), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.05 * losses[0]


@pytest.mark.parametrize("name, kwargs", [("LSTM", {"num_layers": 2, "bidirectional": True}),
                                          ("GRU", {"batch_first": True})], ids=["lstm", "gru"])
def test_a_jitted_training_step_replays_eager_bit_for_bit(name, kwargs):
    """tinygrad_bn.jit captures the time loop like any other ops (about twice as fast as
    eager on an LSTM training step); new data on every call, losses and parameters equal."""
    rng = np.random.default_rng(0)
    batches = [(rng.normal(size=(6, 4, 3)), rng.normal(size=(6, 4, 1))) for _ in range(5)]
    runs = []
    for use_jit in (False, True):
        tg.manual_seed(0)
        layer = getattr(nn, name)(3, 5, **kwargs).double()
        head = nn.Linear(layer.hidden_size * (2 if layer.bidirectional else 1), 1).double()
        optimizer = tg.optim.Adam(list(layer.parameters()) + list(head.parameters()), lr=0.01)

        def step(x, y):
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(head(layer(x)[0]), y)
            loss.backward()
            optimizer.step()
            return loss

        step = tg.jit(step) if use_jit else step
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no fallback to eager mode
            losses = [step(tg.tensor(x), tg.tensor(y)).item() for x, y in batches]
        runs.append((losses, [p.detach().numpy().copy() for p in layer.parameters()]))
    assert runs[0][0] == runs[1][0]
    assert all(np.array_equal(a, b) for a, b in zip(runs[0][1], runs[1][1]))


# ---------------------------------------------------------------------- against PyTorch


def _pair(name, kwargs, dtype, input_size=3, hidden_size=4):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, name)(input_size, hidden_size, **kwargs).to(
        torch.float64 if dtype == np.float64 else torch.float32)
    ours = getattr(nn, name)(input_size, hidden_size, **kwargs).to(np.dtype(dtype))
    ours.load_state_dict({k: tg.tensor(v.detach().numpy().copy())
                          for k, v in theirs.state_dict().items()})
    return torch, ours, theirs


def _compare(torch, ours_module, theirs_module, inputs, dtype):
    tolerance = {"rtol": 1e-12, "atol": 1e-12} if dtype == np.float64 else {"rtol": 1e-5,
                                                                             "atol": 1e-6}
    ours_in, theirs_in = _to(tg, inputs), _to(torch, inputs)
    ours_out, theirs_out = _flat(ours_module(*ours_in)), _flat(theirs_module(*theirs_in))
    assert len(ours_out) == len(theirs_out)
    rng = np.random.default_rng(1)
    for ours, theirs in zip(ours_out, theirs_out):
        assert ours.shape == tuple(theirs.shape) and ours.dtype == theirs.detach().numpy().dtype
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **tolerance)
    weights = [rng.normal(size=tuple(t.shape)).astype(dtype) for t in theirs_out]
    sum(((o * tg.tensor(w)).sum() for o, w in zip(ours_out, weights)), tg.tensor(0.0)).backward()
    sum((t * torch.tensor(w)).sum() for t, w in zip(theirs_out, weights)).backward()
    leaves = [(o, t) for o, t in zip(_flat(ours_in), _flat(theirs_in)) if o is not None]
    leaves += list(zip(ours_module.parameters(), theirs_module.parameters()))
    for ours, theirs in leaves:
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), **tolerance)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch", [3, None], ids=["batched", "unbatched"])
@pytest.mark.parametrize("with_state", [True, False], ids=["hx", "zeros"])
@pytest.mark.parametrize("name, kwargs", CELLS, ids=_ids(CELLS))
def test_cells_match_pytorch(name, kwargs, with_state, batch, dtype):
    torch, ours, theirs = _pair(name, kwargs, dtype)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3,) if batch is None else (batch, 3)).astype(dtype)
    state = _cell_state(name, rng, batch, dtype=dtype) if with_state else None
    _compare(torch, ours, theirs, (x, state), dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch", [2, None], ids=["batched", "unbatched"])
@pytest.mark.parametrize("with_state", [True, False], ids=["hx", "zeros"])
@pytest.mark.parametrize("name, kwargs", LAYERS, ids=_ids(LAYERS))
def test_layers_match_pytorch(name, kwargs, with_state, batch, dtype):
    torch, ours, theirs = _pair(name, kwargs, dtype)
    rng = np.random.default_rng(0)
    shape = (5, 3) if batch is None else ((batch, 5, 3) if kwargs.get("batch_first") else
                                          (5, batch, 3))
    x = rng.normal(size=shape).astype(dtype)
    state = _states(name, kwargs, rng, batch, dtype=dtype) if with_state else None
    _compare(torch, ours, theirs, (x, state), dtype)


def test_eval_with_dropout_and_training_steps_match_pytorch():
    """Dropout is off in eval: a two-layer LSTM with dropout trains like PyTorch's then."""
    torch, ours, theirs = _pair("LSTM", {"num_layers": 2, "dropout": 0.3}, np.float64)
    ours.eval(), theirs.eval()
    opt_ours = tg.optim.SGD(ours.parameters(), lr=0.1)
    opt_theirs = torch.optim.SGD(theirs.parameters(), lr=0.1)
    rng = np.random.default_rng(0)
    for _ in range(5):
        x = rng.normal(size=(6, 2, 3))
        losses = []
        for module, opt, lib in ((ours, opt_ours, tg), (theirs, opt_theirs, torch)):
            opt.zero_grad()
            loss = (module(lib.tensor(x))[0] ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert losses[0] == pytest.approx(losses[1], rel=1e-12)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-12,
                                   atol=1e-14, err_msg=name)


@pytest.mark.parametrize("name, kwargs", CELLS + LAYERS + [
    ("LSTM", {"num_layers": 2, "bias": False, "batch_first": True, "dropout": 0.5,
              "bidirectional": True, "proj_size": 2}),
    ("RNN", {"nonlinearity": "relu", "dropout": 0.25, "num_layers": 3}),
    ("RNNCell", {"nonlinearity": "relu"})], ids=_ids(CELLS + LAYERS) + ["all", "rnn-relu",
                                                                        "cell-relu"])
def test_state_dict_keys_shapes_and_repr_are_pytorchs(name, kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(3, 4, **kwargs), getattr(torch.nn, name)(3, 4, **kwargs)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert repr(ours) == repr(theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]


# ---------------------------------------------------------------------- errors

def _lstm_hx(m, h_shape, c_shape):
    return (m.zeros(*h_shape), m.zeros(*c_shape))


ERRORS = [
    # cells: dims, then ATen's size checks in its order
    ("cell_input_3d", lambda m: m.nn.RNNCell(5, 10)(m.zeros(2, 3, 5)), ValueError,
     "RNNCell: Expected input to be 1D or 2D, got 3D instead"),
    ("cell_hidden_3d", lambda m: m.nn.GRUCell(5, 10)(m.zeros(3, 5), m.zeros(1, 3, 10)),
     ValueError, "GRUCell: Expected hidden to be 1D or 2D, got 3D instead"),
    ("lstm_cell_input_0d", lambda m: m.nn.LSTMCell(5, 10)(m.zeros(())), ValueError,
     "LSTMCell: Expected input to be 1D or 2D, got 0D instead"),
    ("lstm_cell_hx1_3d", lambda m: m.nn.LSTMCell(5, 10)(m.zeros(3, 5), (m.zeros(3, 10),
                                                                         m.zeros(1, 3, 10))),
     ValueError, "LSTMCell: Expected hx[1] to be 1D or 2D, got 3D instead"),
    ("cell_input_size", lambda m: m.nn.RNNCell(5, 10)(m.zeros(3, 4)), RuntimeError,
     "input has inconsistent input_size: got 4 expected 5"),
    ("gru_cell_input_size", lambda m: m.nn.GRUCell(5, 10)(m.zeros(4)), RuntimeError,
     "input has inconsistent input_size: got 4 expected 5"),
    ("cell_batch", lambda m: m.nn.RNNCell(5, 10)(m.zeros(3, 5), m.zeros(2, 10)), RuntimeError,
     "Input batch size 3 doesn't match hidden0 batch size 2"),
    ("cell_batched_input_unbatched_hidden", lambda m: m.nn.RNNCell(5, 10)(
        m.zeros(3, 5), m.zeros(10)), RuntimeError,
     "Input batch size 3 doesn't match hidden0 batch size 10"),
    ("cell_hidden_size", lambda m: m.nn.GRUCell(5, 10)(m.zeros(3, 5), m.zeros(3, 11)),
     RuntimeError, "hidden0 has inconsistent hidden_size: got 11, expected 10"),
    ("lstm_cell_hidden1_size", lambda m: m.nn.LSTMCell(5, 10)(
        m.zeros(3, 5), (m.zeros(3, 10), m.zeros(3, 9))), RuntimeError,
     "hidden1 has inconsistent hidden_size: got 9, expected 10"),
    ("lstm_cell_hidden1_batch", lambda m: m.nn.LSTMCell(5, 10)(
        m.zeros(3, 5), (m.zeros(3, 10), m.zeros(2, 10))), RuntimeError,
     "Input batch size 3 doesn't match hidden1 batch size 2"),
    ("cell_dtype", lambda m: m.nn.RNNCell(5, 10)(m.zeros(3, 5, dtype=m.float64)), RuntimeError,
     "mat1 and mat2 must have the same dtype, but got Double and Float"),
    ("cell_nonlinearity", lambda m: m.nn.RNNCell(5, 10, nonlinearity="gelu")(m.zeros(5)),
     RuntimeError, "Unknown nonlinearity: gelu"),
    # layer constructors
    ("rnn_nonlinearity", lambda m: m.nn.RNN(3, 4, nonlinearity="gelu"), ValueError,
     "Unknown nonlinearity 'gelu'. Select from 'tanh' or 'relu'."),
    ("rnn_proj_size", lambda m: m.nn.RNN(3, 4, proj_size=2), ValueError,
     "proj_size argument is only supported for LSTM, not RNN or GRU"),
    ("gru_proj_size", lambda m: m.nn.GRU(3, 4, proj_size=2), ValueError,
     "proj_size argument is only supported for LSTM, not RNN or GRU"),
    ("proj_size_too_big", lambda m: m.nn.LSTM(3, 4, proj_size=4), ValueError,
     "proj_size has to be smaller than hidden_size"),
    ("proj_size_negative", lambda m: m.nn.LSTM(3, 4, proj_size=-1), ValueError,
     "proj_size should be a positive integer or zero to disable projections"),
    ("dropout_range", lambda m: m.nn.LSTM(3, 4, dropout=1.5), ValueError,
     "dropout should be a number in range [0, 1] representing the probability of an element "
     "being zeroed"),
    ("dropout_bool", lambda m: m.nn.GRU(3, 4, dropout=True), ValueError,
     "dropout should be a number in range [0, 1] representing the probability of an element "
     "being zeroed"),
    ("bias_type", lambda m: m.nn.LSTM(3, 4, bias=1), TypeError,
     "bias should be of type bool, got: int"),
    ("batch_first_type", lambda m: m.nn.RNN(3, 4, batch_first=None), TypeError,
     "batch_first should be of type bool, got: NoneType"),
    ("input_size_type", lambda m: m.nn.LSTM(3.0, 4), TypeError,
     "input_size should be of type int, got: float"),
    ("input_size_zero", lambda m: m.nn.LSTM(0, 4), ValueError,
     "input_size must be greater than zero"),
    ("hidden_size_type", lambda m: m.nn.GRU(3, "4"), TypeError,
     "hidden_size should be of type int, got: str"),
    ("hidden_size_zero", lambda m: m.nn.GRU(3, 0), ValueError,
     "hidden_size must be greater than zero"),
    ("num_layers_zero", lambda m: m.nn.RNN(3, 4, 0), ValueError,
     "num_layers must be greater than zero"),
    # layer forward
    ("rnn_input_4d", lambda m: m.nn.RNN(3, 4)(m.zeros(5, 2, 3, 1)), ValueError,
     "RNN: Expected input to be 2D or 3D, got 4D tensor instead"),
    ("lstm_input_1d", lambda m: m.nn.LSTM(3, 4)(m.zeros(3)), ValueError,
     "LSTM: Expected input to be 2D or 3D, got 1D instead"),
    ("gru_input_4d", lambda m: m.nn.GRU(3, 4)(m.zeros(5, 2, 3, 1)), ValueError,
     "GRU: Expected input to be 2D or 3D, got 4D instead"),
    ("input_size", lambda m: m.nn.LSTM(3, 4, 2)(m.zeros(5, 2, 4)), RuntimeError,
     "input.size(-1) must be equal to input_size. Expected 3, got 4"),
    ("unbatched_input_size", lambda m: m.nn.GRU(3, 4)(m.zeros(5, 2)), RuntimeError,
     "input.size(-1) must be equal to input_size. Expected 3, got 2"),
    ("input_dtype", lambda m: m.nn.LSTM(3, 4)(m.zeros(5, 2, 3, dtype=m.float64)), ValueError,
     "RNN input dtype (torch.float64) does not match weight dtype (torch.float32). Convert "
     "input: input.to(torch.float32), or convert model: model.to(torch.float64)"),
    ("empty_sequence", lambda m: m.nn.GRU(3, 4)(m.zeros(0, 2, 3)), RuntimeError,
     "Expected sequence length to be larger than 0 in RNN"),
    ("empty_sequence_batch_first", lambda m: m.nn.RNN(3, 4, batch_first=True)(
        m.zeros(2, 0, 3)), RuntimeError, "Expected sequence length to be larger than 0 in RNN"),
    ("batched_hx_2d", lambda m: m.nn.GRU(3, 4)(m.zeros(5, 2, 3), m.zeros(2, 4)), RuntimeError,
     "For batched 3-D input, hx should also be 3-D but got 2-D tensor"),
    ("unbatched_hx_3d", lambda m: m.nn.RNN(3, 4)(m.zeros(5, 3), m.zeros(1, 2, 4)), RuntimeError,
     "For unbatched 2-D input, hx should also be 2-D but got 3-D tensor"),
    ("hidden_size_mismatch", lambda m: m.nn.GRU(3, 4)(m.zeros(5, 2, 3), m.zeros(1, 3, 4)),
     RuntimeError, "Expected hidden size (1, 2, 4), got [1, 3, 4]"),
    ("bidirectional_hidden_layers", lambda m: m.nn.RNN(3, 4, bidirectional=True, batch_first=True)(
        m.zeros(2, 5, 3), m.zeros(1, 2, 4)), RuntimeError,
     "Expected hidden size (2, 2, 4), got [1, 2, 4]"),
    ("lstm_batched_hx_2d", lambda m: m.nn.LSTM(3, 4, 2)(
        m.zeros(5, 2, 3), _lstm_hx(m, (2, 4), (2, 2, 4))), RuntimeError,
     "For batched 3-D input, hx and cx should also be 3-D but got (2-D, 3-D) tensors"),
    ("lstm_unbatched_hx_3d", lambda m: m.nn.LSTM(3, 4, 2)(
        m.zeros(5, 3), _lstm_hx(m, (2, 2, 4), (2, 2, 4))), RuntimeError,
     "For unbatched 2-D input, hx and cx should also be 2-D but got (3-D, 3-D) tensors"),
    ("lstm_hidden0_size", lambda m: m.nn.LSTM(3, 4, 2)(
        m.zeros(5, 2, 3), _lstm_hx(m, (2, 3, 4), (2, 2, 4))), RuntimeError,
     "Expected hidden[0] size (2, 2, 4), got [2, 3, 4]"),
    ("lstm_hidden1_size", lambda m: m.nn.LSTM(3, 4, 2)(
        m.zeros(5, 2, 3), _lstm_hx(m, (2, 2, 4), (2, 3, 4))), RuntimeError,
     "Expected hidden[1] size (2, 2, 4), got [2, 3, 4]"),
    ("lstm_unbatched_hidden1_layers", lambda m: m.nn.LSTM(3, 4, 2)(
        m.zeros(5, 3), _lstm_hx(m, (2, 4), (1, 4))), RuntimeError,
     "Expected hidden[1] size (2, 1, 4), got [1, 1, 4]"),
    # pad_sequence
    ("pad_not_iterable", lambda m: m.nn.utils.rnn.pad_sequence(3), RuntimeError,
     "pad_sequence: Expected iterable for input sequences, but got arg of type: <class 'int'>"),
    ("pad_empty", lambda m: m.nn.utils.rnn.pad_sequence([], padding_side="middle"),
     RuntimeError, "received an empty list of sequences"),
    ("pad_side", lambda m: m.nn.utils.rnn.pad_sequence([m.ones(2)], padding_side="middle"),
     RuntimeError, "Expected padding_side to be one of left or right, but got middle."),
    ("pad_trailing_size", lambda m: m.nn.utils.rnn.pad_sequence(
        [m.ones(2, 3, 4), m.ones(3, 2, 4)]), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1"),
    ("pad_trailing_dims", lambda m: m.nn.utils.rnn.pad_sequence(
        [m.ones(2, 3), m.ones(3, 1, 3)]), RuntimeError,
     "output with shape [3, 3] doesn't match the broadcast shape [3, 3, 3]"),
    # packing
    ("pack_unsorted", lambda m: m.nn.utils.rnn.pack_padded_sequence(m.zeros(4, 3, 1), [2, 3, 1]),
     RuntimeError, "`lengths` array must be sorted in decreasing order when `enforce_sorted` "
     "is True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
     "pack_sequence to sidestep this requirement if you do not need ONNX exportability."),
    ("pack_lengths_count", lambda m: m.nn.utils.rnn.pack_padded_sequence(
        m.zeros(4, 3, 1), [3, 2]), RuntimeError,
     "Expected `len(lengths)` to be equal to batch_size, but got 2 (batch_size=3)"),
    ("pack_zero_length", lambda m: m.nn.utils.rnn.pack_padded_sequence(
        m.zeros(4, 3, 1), [3, 1, 0]), RuntimeError,
     "Length of all samples has to be greater than 0, but found an element in 'lengths' that "
     "is <= 0"),
    ("pad_packed_total_length", lambda m: m.nn.utils.rnn.pad_packed_sequence(
        m.nn.utils.rnn.pack_padded_sequence(m.zeros(4, 3, 1), [4, 2, 1]), total_length=3),
     ValueError, "Expected total_length to be at least the length of the longest sequence in "
     "input, but got total_length=3 and max sequence length being 4"),
    ("packed_input_size", lambda m: m.nn.GRU(2, 4)(m.nn.utils.rnn.pack_padded_sequence(
        m.zeros(4, 3, 1), [4, 2, 1])), RuntimeError,
     "input.size(-1) must be equal to input_size. Expected 2, got 1"),
    ("packed_hidden_batch", lambda m: m.nn.RNN(1, 4)(m.nn.utils.rnn.pack_padded_sequence(
        m.zeros(4, 3, 1), [4, 2, 1]), m.zeros(1, 2, 4)), RuntimeError,
     "Expected hidden size (1, 3, 4), got [1, 2, 4]"),
    ("lstm_projection_hidden0_size", lambda m: m.nn.LSTM(3, 4, proj_size=2)(
        m.zeros(5, 2, 3), _lstm_hx(m, (1, 2, 4), (1, 2, 4))), RuntimeError,
     "Expected hidden[0] size (1, 2, 2), got [1, 2, 4]"),
]


test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)


# ---------------------------------------------------------------------- pad_sequence


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("trailing", [(), (3,), (2, 1)])
def test_pad_sequence_matches_pytorch(batch_first, padding_side, trailing):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=(length,) + trailing) for length in (3, 5, 1, 5)]
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    kwargs = {"batch_first": batch_first, "padding_value": -2.5, "padding_side": padding_side}
    ours_out = nn.utils.rnn.pad_sequence(ours, **kwargs)
    theirs_out = torch.nn.utils.rnn.pad_sequence(theirs, **kwargs)
    assert ours_out.shape == tuple(theirs_out.shape)
    assert np.array_equal(ours_out.detach().numpy(), theirs_out.detach().numpy())
    weights = rng.normal(size=tuple(theirs_out.shape))
    (ours_out * tg.tensor(weights)).sum().backward()
    (theirs_out * torch.tensor(weights)).sum().backward()
    for o, t in zip(ours, theirs):
        assert np.array_equal(o.grad.numpy(), t.grad.numpy())


def test_pad_sequence_takes_the_first_dtype_and_broadcasts_as_pytorch():
    torch = pytest.importorskip("torch")
    for lib in (tg, torch):
        pad = lib.nn.utils.rnn.pad_sequence
        mixed = pad([lib.tensor([1, 2]), lib.tensor([3])], padding_value=0.5)
        assert mixed.dtype == lib.int64 and mixed.tolist() == [[1, 3], [2, 0]]
        cast = pad([lib.tensor([1.0, 2.0]), lib.tensor([3.0], dtype=lib.float64)])
        assert cast.dtype == lib.float32
        spread = pad([lib.tensor([[1.0, 2.0]]), lib.tensor([[3.0], [4.0]])])
        assert spread.tolist() == [[[1.0, 2.0], [3.0, 3.0]], [[0.0, 0.0], [4.0, 4.0]]]
        assert pad(lib.ones(2, 3)).shape == (3, 2)  # a tensor is a sequence of its rows


def test_padded_batches_through_an_lstm_with_the_last_valid_step():
    """The tutorial pattern without PackedSequence: pad, run, pick each sequence's last
    step; equals running each sequence alone (to rounding: BLAS may block a batch of 3 and
    a batch of 1 differently)."""
    tg.manual_seed(0)
    lstm = nn.LSTM(3, 4, batch_first=True).double()
    sequences = [tg.randn(length, 3, dtype=tg.float64) for length in (5, 2, 4)]
    output, _ = lstm(nn.utils.rnn.pad_sequence(sequences, batch_first=True))
    for i, sequence in enumerate(sequences):
        _, (h, _) = lstm(sequence)
        np.testing.assert_allclose(output[i, len(sequence) - 1].detach().numpy(),
                                   h[0].detach().numpy(), rtol=1e-13, atol=1e-15)


# ---------------------------------------------------------------------- packed sequences

PACKED = [("LSTM", {"num_layers": 2, "bidirectional": True}),
          ("GRU", {"batch_first": True, "bidirectional": True}), ("RNN", {"num_layers": 2}),
          ("LSTM", {"proj_size": 2, "bidirectional": True, "num_layers": 2,
                    "batch_first": True})]


@pytest.mark.parametrize("with_state", [True, False], ids=["hx", "zeros"])
@pytest.mark.parametrize("enforce_sorted", [True, False], ids=["sorted", "unsorted"])
@pytest.mark.parametrize("name, kwargs", PACKED, ids=_ids(PACKED))
def test_packed_sequences_through_layers_match_pytorch(name, kwargs, enforce_sorted, with_state):
    """pack_padded_sequence, the layer on the PackedSequence, pad_packed_sequence: values,
    lengths, final states and the gradients of input, hx and parameters, in float64."""
    torch, ours, theirs = _pair(name, kwargs, np.float64)
    rng = np.random.default_rng(0)
    batch_first = kwargs.get("batch_first", False)
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    x = rng.normal(size=(4, 5, 3) if batch_first else (5, 4, 3))
    state = _states(name, kwargs, rng, 4) if with_state else None
    results = []
    for lib, module in ((tg, ours), (torch, theirs)):
        x_in, hx = _to(lib, x), _to(lib, state)
        packed = lib.nn.utils.rnn.pack_padded_sequence(x_in, lengths, batch_first=batch_first,
                                                       enforce_sorted=enforce_sorted)
        output, hidden = module(packed, hx)
        padded, out_lengths = lib.nn.utils.rnn.pad_packed_sequence(
            output, batch_first=batch_first, total_length=6)
        outputs = [padded] + _flat(hidden)
        weights = [np.random.default_rng(i).normal(size=tuple(o.shape))
                   for i, o in enumerate(outputs)]
        sum((o * lib.tensor(w)).sum() for o, w in zip(outputs, weights)).backward()
        leaves = [x_in] + [h for h in _flat(hx) if h is not None] + list(module.parameters())
        results.append(([o.detach().numpy() for o in outputs], out_lengths.tolist(),
                        packed.batch_sizes.tolist(), [leaf.grad.numpy() for leaf in leaves]))
    (ours_out, ours_lengths, ours_sizes, ours_grads), (their_out, their_lengths, their_sizes,
                                                       their_grads) = results
    assert ours_lengths == their_lengths == lengths and ours_sizes == their_sizes
    for a, b in zip(ours_out + ours_grads, their_out + their_grads):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_pack_and_pad_functions_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4, 2))
    sequences = [rng.normal(size=(n, 2)) for n in (2, 4, 1)]
    results = []
    for lib in (tg, torch):
        utils = lib.nn.utils.rnn
        leaf = lib.tensor(x, requires_grad=True)
        packed = utils.pack_padded_sequence(leaf, lib.tensor([2, 3, 2]), batch_first=True,
                                            enforce_sorted=False)
        padded, lengths = utils.pad_packed_sequence(packed, padding_value=-1.0)
        (padded * lib.tensor(np.arange(padded.numel()).reshape(tuple(padded.shape)))).sum(
        ).backward()
        by_list = utils.pack_sequence([lib.tensor(s) for s in sequences], enforce_sorted=False)
        results.append([packed.data.detach().numpy(), packed.batch_sizes.tolist(),
                        packed.sorted_indices.tolist(), packed.unsorted_indices.tolist(),
                        padded.detach().numpy(), lengths.tolist(), leaf.grad.numpy(),
                        by_list.data.numpy(), by_list.batch_sizes.tolist(),
                        by_list.sorted_indices.tolist()])
        assert type(packed).__name__ == "PackedSequence" and packed._fields == (
            "data", "batch_sizes", "sorted_indices", "unsorted_indices")
        assert packed.batch_sizes.dtype == lib.int64 and lengths.dtype == lib.int64
        made = utils.PackedSequence(lib.ones(3), lib.tensor([2, 1]))
        assert made.sorted_indices is None and made.unsorted_indices is None
    for ours, theirs in zip(*results):
        assert np.array_equal(ours, theirs)


# ---------------------------------------------------------------------- the example


def test_char_lstm_example_quick_learns_and_prints_its_table(capsys):
    import char_lstm  # examples/ is on the path (conftest)

    result = char_lstm.main(["--epochs", "3", "--steps", "10"])
    printed = capsys.readouterr().out
    assert "text: 238 characters, vocabulary of 26" in printed
    assert "(lstm): LSTM(16, 64, num_layers=2, batch_first=True)" in printed
    rows = [line.split() for line in printed.splitlines() if re.match(r"\s+[123]\s+\d", line)]
    assert [int(row[0]) for row in rows] == [1, 2, 3]
    np.testing.assert_allclose([float(row[1]) for row in rows], result["losses"], atol=5.1e-5)
    # from log(26) = 3.26 nats: seeds 0 to 4 go from 2.94-2.96 to 1.82-2.21 in 3 short epochs
    assert result["losses"][0] < 3.3 and result["losses"][2] < 0.8 * result["losses"][0]
    assert result["sample"].startswith("twinkle, twinkle, ") and len(result["sample"]) == 78
    assert f"sample: {result['sample']!r}" in printed


def test_char_lstm_help_states_every_default_and_refuses_bad_values(capsys):
    import char_lstm

    with pytest.raises(SystemExit) as exit_info:
        char_lstm.main(["--help"])
    assert exit_info.value.code == 0
    printed = " ".join(capsys.readouterr().out.split())
    for default in ("(default: 12)", "(default: 20)", "(default: 0.01)", "(default: 16)",
                    "(default: 32)", "(default: 0)"):
        assert default in printed
    with pytest.raises(SystemExit) as exit_info:
        char_lstm.main(["--steps", "0"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith(
        ": error: --steps must be positive, got 0")

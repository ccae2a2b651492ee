"""The fused recurrent ops (``ops.recurrent``: one node per layer and direction, BPTT in closed
form) against the composite path (``fused=False``: the steps built from primitive ops, whose
backward autograd derives) bit for bit, and against finite differences in float64."""

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn
from tinygrad_bn.ops.recurrent import GRUSequence, LSTMSequence, RNNSequence

LAYERS = [
    ("RNN", {"num_layers": 2}), ("RNN", {"nonlinearity": "relu", "bidirectional": True}),
    ("RNN", {"bias": False, "batch_first": True}),
    ("LSTM", {"num_layers": 2}), ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"bias": False, "batch_first": True}), ("LSTM", {"num_layers": 3, "dropout": 0.5}),
    ("LSTM", {"proj_size": 2}), ("LSTM", {"proj_size": 3, "num_layers": 2, "bidirectional": True}),
    ("GRU", {"num_layers": 2}), ("GRU", {"num_layers": 2, "bidirectional": True}),
    ("GRU", {"bias": False, "batch_first": True}),
]
CELLS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu", "bias": False}),
         ("LSTMCell", {}), ("LSTMCell", {"bias": False}), ("GRUCell", {}),
         ("GRUCell", {"bias": False})]
DTYPES = [np.float32, np.float64]


def _ids(cases):
    return [name + "".join(f"-{k}={v}" for k, v in kwargs.items()) for name, kwargs in cases]


def _bytes(arrays):
    return [np.ascontiguousarray(a).tobytes() for a in arrays]


def _layer_run(name, kwargs, fused, dtype):
    """Outputs, final states and every gradient (input, initial states, parameters) of a
    loss that reads the output and the final states."""
    tg.manual_seed(0)
    layer = getattr(nn, name)(3, 4, dtype=dtype, fused=fused, **kwargs)
    rng = np.random.default_rng(0)
    batch_first = kwargs.get("batch_first", False)
    x = tg.tensor(rng.standard_normal((5, 7, 3) if batch_first else (7, 5, 3)).astype(dtype),
                  requires_grad=True)
    count = layer.num_layers * (2 if layer.bidirectional else 1)
    h0 = tg.tensor(rng.standard_normal((count, 5, kwargs.get("proj_size") or 4)).astype(dtype),
                   requires_grad=True)
    c0 = tg.tensor(rng.standard_normal((count, 5, 4)).astype(dtype), requires_grad=True)
    if name == "LSTM":
        out, (h, c) = layer(x, (h0, c0))
        loss = (out * out).sum() + (h * 3).sum() + (c * c).sum()
        values, leaves = [out, h, c], [x, h0, c0]
    else:
        out, h = layer(x, h0)
        loss = (out * out).sum() + (h * 3).sum()
        values, leaves = [out, h], [x, h0]
    loss.backward()
    return ([v.detach().numpy() for v in values] + [t.grad.numpy() for t in leaves]
            + [p.grad.numpy() for p in layer.parameters()])


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name, kwargs", LAYERS, ids=_ids(LAYERS))
def test_fused_layers_equal_the_composite_bit_for_bit(name, kwargs, dtype):
    fused, composite = (_layer_run(name, kwargs, flag, dtype) for flag in (True, False))
    assert _bytes(fused) == _bytes(composite)


def _cell_loop(name, kwargs, fused, dtype, keep_states=True):
    """A cell over six steps, each state kept (a stacked output) and the last one read."""
    tg.manual_seed(0)
    cell = getattr(nn, name)(3, 4, dtype=dtype, fused=fused, **kwargs)
    rng = np.random.default_rng(1)
    x = tg.tensor(rng.standard_normal((6, 5, 3)).astype(dtype), requires_grad=True)
    h0 = tg.tensor(rng.standard_normal((5, 4)).astype(dtype), requires_grad=True)
    state = (h0, h0 * 2) if name == "LSTMCell" else h0
    kept = []
    for step in range(6):
        state = cell(x[step], state)
        kept.append(state[0] if name == "LSTMCell" else state)
    loss = (kept[-1] * 3).sum()
    if keep_states:
        loss = loss + (tg.stack(kept) ** 2).sum()
    if name == "LSTMCell":
        loss = loss + state[1].sum()
    loss.backward()
    return ([k.detach().numpy() for k in kept] + [x.grad.numpy(), h0.grad.numpy()]
            + [p.grad.numpy() for p in cell.parameters()])


@pytest.mark.parametrize("keep_states", [True, False])
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name, kwargs", CELLS, ids=_ids(CELLS))
def test_fused_cells_equal_the_composite_bit_for_bit(name, kwargs, dtype, keep_states):
    fused, composite = (_cell_loop(name, kwargs, flag, dtype, keep_states)
                        for flag in (True, False))
    assert _bytes(fused) == _bytes(composite)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_training_with_the_fused_layers_is_bit_identical(name):
    """Twenty SGD steps with momentum: losses and parameters equal, fused or not."""
    runs = []
    for fused in (True, False):
        tg.manual_seed(0)
        layer = getattr(nn, name)(3, 6, num_layers=2, fused=fused)
        head = nn.Linear(6, 2)
        params = list(layer.parameters()) + list(head.parameters())
        optimizer = tg.optim.SGD(params, lr=0.1, momentum=0.9)
        rng = np.random.default_rng(2)
        losses = []
        for _ in range(20):
            x = tg.tensor(rng.standard_normal((5, 4, 3)).astype(np.float32))
            optimizer.zero_grad()
            loss = (head(layer(x)[0]) ** 2).mean()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        runs.append((losses, _bytes(p.detach().numpy() for p in params)))
    assert runs[0] == runs[1]


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("op, states, gates", [
    (RNNSequence, 1, 1), (LSTMSequence, 2, 4), (GRUSequence, 1, 3),
], ids=["RNNSequence", "LSTMSequence", "GRUSequence"])
def test_fused_ops_gradcheck(op, states, gates, reverse):
    """Every input's gradient against central finite differences, float64."""
    rng = np.random.default_rng(3)
    hidden = 3

    def leaf(*shape):
        return tg.tensor(rng.standard_normal(shape) * 0.5, requires_grad=True)

    state = [leaf(2, hidden) for _ in range(states)]
    input_gates = leaf(4, 2, gates * hidden)
    weight, bias = leaf(gates * hidden, hidden), leaf(gates * hidden)

    def run(*inputs):
        *state, input_gates, weight, bias = inputs
        if op is GRUSequence:  # its initial state twice (see GRUSequence)
            state = state * 2
        return op.apply(*state, input_gates, weight, bias, reverse=reverse)

    assert tg.gradcheck(run, (*state, input_gates, weight, bias))


def test_relu_rnn_sequence_gradcheck():
    rng = np.random.default_rng(4)
    inputs = [tg.tensor(rng.standard_normal(shape), requires_grad=True)
              for shape in ((2, 3), (4, 2, 3), (3, 3), (3,))]
    assert tg.gradcheck(lambda *t: RNNSequence.apply(*t, nonlinearity="relu"), inputs)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_one_node_per_layer_and_direction(name):
    layer = getattr(nn, name)(3, 4, num_layers=2, bidirectional=True)
    output = layer(tg.randn(5, 2, 3))[0]
    seen, stack = set(), [output.grad_fn]
    names = []
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        names.append(node.name)
        stack.extend(node.producers)
    assert names.count(f"{name}Sequence") == 4
    assert "Sigmoid" not in names and "Tanh" not in names


def test_the_composite_path_stays_available():
    layer = nn.LSTM(3, 4, fused=False)
    output = layer(tg.randn(5, 2, 3))[0]
    assert output.grad_fn.name == "Stack"


@pytest.mark.parametrize("fused", [True, False])
def test_writing_the_output_in_place_is_allowed(fused):
    """The fused node saves its own copies of the hidden states, as the composite path's
    ``stack`` copies them: writing to the output in place changes no gradient."""
    tg.manual_seed(0)
    layer = nn.GRU(3, 4, fused=fused)
    output, _ = layer(tg.randn(5, 2, 3))
    output.mul_(2)
    output.sum().backward()
    tg.manual_seed(0)
    again = nn.GRU(3, 4, fused=fused)
    (again(tg.randn(5, 2, 3))[0] * 2).sum().backward()
    assert _bytes(p.grad.numpy() for p in layer.parameters()) == \
        _bytes(p.grad.numpy() for p in again.parameters())


@pytest.mark.parametrize("length", [1, 3])
@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN", "LSTMCell", "GRUCell", "RNNCell"])
def test_zero_initial_states_bit_for_bit(name, length):
    """With the default zero states some gradients are exact zeros (``dL/df = dc * c_0``):
    their signs match too (bytes compared)."""
    runs = []
    for fused in (True, False):
        tg.manual_seed(0)
        layer = getattr(nn, name)(3, 4, fused=fused)
        rng = np.random.default_rng(5)
        shape = (2, 3) if name.endswith("Cell") else (length, 2, 3)
        x = tg.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
        result = layer(x)
        if name.endswith("Cell"):
            loss = sum(((t * t).sum() for t in result), tg.zeros(())) \
                if name == "LSTMCell" else (result * result).sum()
        else:
            loss = (result[0] * result[0]).sum()
        loss.backward()
        runs.append(_bytes([x.grad.numpy()] + [p.grad.numpy() for p in layer.parameters()]))
    assert runs[0] == runs[1]


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN", "LSTMCell", "GRUCell", "RNNCell"])
def test_a_state_of_another_dtype_is_refused_as_by_the_composite_path(name):
    layer = getattr(nn, name)(3, 4).double()
    cell = name.endswith("Cell")
    x = tg.randn(2, 3).double() if cell else tg.randn(5, 2, 3).double()
    h = tg.randn(2, 4) if cell else tg.randn(1, 2, 4)
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype"):
        layer(x, (h, h) if "LSTM" in name else h)


def test_a_layer_pickled_without_the_flag_runs_fused():
    layer = nn.LSTM(3, 4)
    del layer.fused  # as a module pickled before the flag existed
    assert layer(tg.randn(5, 2, 3))[0].grad_fn.producers[0].name == "LSTMSequence"


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_an_initial_state_written_in_place_is_refused_at_backward(name, fused):
    layer = getattr(nn, name)(3, 4, fused=fused)
    h = tg.randn(1, 2, 4, requires_grad=True)
    hx = h * 1
    output, _ = layer(tg.randn(5, 2, 3), (hx, hx) if name == "LSTM" else hx)
    hx.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        output.sum().backward()


PACKED = [("LSTM", {}), ("LSTM", {"num_layers": 2, "bidirectional": True}),
          ("LSTM", {"proj_size": 2, "bidirectional": True}),
          ("GRU", {"num_layers": 2}), ("GRU", {"bidirectional": True}),
          ("RNN", {"nonlinearity": "relu", "bidirectional": True})]


@pytest.mark.parametrize("lengths", [[5, 3, 3, 1], [2, 5, 1, 5], [4, 4, 4]],
                         ids=["sorted", "unsorted", "equal"])
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name, kwargs", PACKED, ids=_ids(PACKED))
def test_fused_layers_on_packed_sequences_equal_the_composite(name, kwargs, dtype, lengths):
    """Packed input (each step one node, the batch shrinking as sequences end): output,
    final states and every gradient bytewise equal, fused or not."""
    from tinygrad_bn.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
    runs = []
    for fused in (True, False):
        tg.manual_seed(0)
        layer = getattr(nn, name)(3, 4, dtype=dtype, fused=fused, **kwargs)
        rng = np.random.default_rng(6)
        x = tg.tensor(rng.standard_normal((max(lengths), len(lengths), 3)).astype(dtype),
                      requires_grad=True)
        count = layer.num_layers * (2 if layer.bidirectional else 1)
        h0 = tg.tensor(rng.standard_normal((count, len(lengths), 4)).astype(dtype),
                       requires_grad=True)
        packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
        if name == "LSTM":
            projected = h0[..., :kwargs["proj_size"]] if "proj_size" in kwargs else h0
            output, (h, c) = layer(packed, (projected, h0 * 0.5))
            extra = (c * c).sum()
        else:
            output, h = layer(packed, h0)
            extra = 0
        padded, _ = pad_packed_sequence(output)
        ((padded * padded).sum() + (h * 3).sum() + extra).backward()
        runs.append(_bytes([padded.detach().numpy(), h.detach().numpy(), x.grad.numpy(),
                            h0.grad.numpy()] + [p.grad.numpy() for p in layer.parameters()]))
    assert runs[0] == runs[1]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("reverse", [False, True])
def test_projected_lstm_sequence_gradcheck(reverse, bias):
    """``LSTMSequence(projection=True)``: every input's gradient against finite differences."""
    rng = np.random.default_rng(7)
    hidden, projected = 3, 2
    shapes = [(2, projected), (2, hidden), (4, 2, 4 * hidden), (4 * hidden, projected)]
    shapes += [(4 * hidden,)] * bias + [(projected, hidden)]
    inputs = [tg.tensor(rng.standard_normal(shape) * 0.5, requires_grad=True)
              for shape in shapes]
    assert tg.gradcheck(lambda *t: LSTMSequence.apply(*t, reverse=reverse, projection=True),
                        inputs)

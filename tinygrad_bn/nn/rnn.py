"""Recurrent layers, PyTorch's: the one-step cells ``RNNCell``, ``LSTMCell``, ``GRUCell`` and the
sequence layers ``RNN``, ``LSTM``, ``GRU`` (stacked, optionally bidirectional, with dropout
between layers, LSTM projections, padded or packed batches). Each step follows PyTorch's CPU
kernels (aten/src/ATen/native/RNN.cpp) operation by operation, so that float64 results agree
with PyTorch's to rounding.

Two paths compute the same thing, bit for bit. By default (``fused=True``) each layer and
direction is one node (``ops.recurrent``: the time loop inside, backpropagation through time
in closed form); ``fused=False`` builds every step from existing ops (``linear``,
``sigmoid``, ``tanh``, slices, ``stack``/``cat``: the ``_*_step`` functions below), so that
autograd derives the backward, the version to read first. Packed sequences run one fused
node per step (the batch shrinks between steps); float16 always takes the composite path."""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import autocast_state, dtypes
from ..creation import zeros
from ..device import DeviceLike, check_device
from ..dtypes import DTypeLike
from ..ops.recurrent import GRUSequence, LSTMSequence, RNNSequence
from ..printing import dtype_name
from ..shapes import normalize_dim
from ..tensor import Tensor, cat, stack
from . import functional as F
from . import init
from .module import Module, Parameter
from .utils.rnn import PackedSequence

# ---------------------------------------------------------------------- one step of each cell
# ``input_gates`` is ``input @ weight_ih.T + bias_ih`` for this step: the layers compute it for
# the whole sequence with one matmul before the time loop (as PyTorch's CPU and cuDNN paths do),
# the cells for their one step.


def _rnn_step(input_gates: Tensor, hidden: Tensor, weight_hh: Tensor, bias_hh: Tensor | None,
              nonlinearity: str) -> Tensor:
    """``h' = act(W_hh h + b_hh + W_ih x + b_ih)``, ``act`` tanh or relu."""
    pre_activation = F.linear(hidden, weight_hh, bias_hh) + input_gates
    return pre_activation.tanh() if nonlinearity == "tanh" else pre_activation.relu()


def _lstm_step(input_gates: Tensor, state: tuple[Tensor, Tensor], weight_hh: Tensor,
               bias_hh: Tensor | None, weight_hr: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Gates in PyTorch's order input, forget, cell, output: ``i, f, g, o = chunk(W_hh h + b_hh
    + W_ih x + b_ih, 4)``; ``c' = sigmoid(f) * c + sigmoid(i) * tanh(g)``, ``h' = sigmoid(o) *
    tanh(c')``, then ``h' = h' @ W_hr.T`` with a projection."""
    hidden, cell = state
    gates = F.linear(hidden, weight_hh, bias_hh) + input_gates
    in_gate, forget_gate, cell_gate, out_gate = gates.chunk(4, 1)
    cell = forget_gate.sigmoid() * cell + in_gate.sigmoid() * cell_gate.tanh()
    hidden = out_gate.sigmoid() * cell.tanh()
    if weight_hr is not None:
        hidden = F.linear(hidden, weight_hr)
    return hidden, cell


def _gru_step(input_gates: Tensor, hidden: Tensor, weight_hh: Tensor,
              bias_hh: Tensor | None) -> Tensor:
    """Gates in PyTorch's order reset, update, new: ``r = sigmoid(W_hr h + b_hr + W_ir x +
    b_ir)``, ``z`` likewise, ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))`` (the reset gate
    scales the hidden projection including its bias, as cuDNN and PyTorch do), and ``h' = (h -
    n) * z + n``, which is ``(1 - z) * n + z * h`` in PyTorch's operation order."""
    input_reset, input_update, input_new = input_gates.chunk(3, 1)
    hidden_reset, hidden_update, hidden_new = F.linear(hidden, weight_hh, bias_hh).chunk(3, 1)
    reset_gate = (hidden_reset + input_reset).sigmoid()
    update_gate = (hidden_update + input_update).sigmoid()
    new_gate = (input_new + hidden_new * reset_gate).tanh()
    return (hidden - new_gate) * update_gate + new_gate


def _fused_steps(mode: str, input_gates: Tensor, state: tuple[Tensor, ...], weight_hh: Tensor,
                 bias_hh: Tensor | None, reverse: bool = False,
                 weight_hr: Tensor | None = None) -> tuple[Tensor, tuple[Tensor, ...]]:
    """The steps above over a whole sequence (``input_gates`` ``(L, N, G * H)``, or ``(N, G *
    H)`` for one step) as one fused node (``ops.recurrent``), bit-identical to the loop of
    ``_*_step`` calls (with ``weight_hr``, an LSTM's projection, each ``h`` projected).
    Returns every step's hidden state ``(L, N, H)`` in time order and the final state
    (``(h,)`` or ``(h, c)``)."""
    extra = () if bias_hh is None else (bias_hh,)
    if mode == "LSTM" and weight_hr is not None:
        result = LSTMSequence.apply(*state, input_gates, weight_hh, *extra, weight_hr,
                                    reverse=reverse, projection=True)
        length = input_gates.shape[0] if input_gates.ndim == 3 else 1
        shape = (state[0].shape[0], weight_hr.shape[0])
        size = shape[0] * shape[1]
        last = 0 if reverse else (length - 1) * size
        # each piece a view of the result itself (not the final state a view of the output),
        # so the output's gradients are summed apart from the final state's, as without a
        # projection
        return (result[:length * size].reshape(length, *shape),
                (result[last:last + size].reshape(shape),
                 result[length * size:].reshape(state[1].shape)))
    if mode == "LSTM":
        result = LSTMSequence.apply(*state, input_gates, weight_hh, *extra, reverse=reverse)
        length = result.shape[0] - 1
        return result[:length], (result[0 if reverse else length - 1], result[length])
    if mode == "GRU":
        result = GRUSequence.apply(*state, *state, input_gates, weight_hh, *extra, reverse=reverse)
    else:
        result = RNNSequence.apply(*state, input_gates, weight_hh, *extra, reverse=reverse,
                                   nonlinearity="tanh" if mode == "RNN_TANH" else "relu")
    # the hidden states as a view, as the composite path's ``stack`` is a node of its own: the
    # gradients of the output are summed there before the final state's is added (the order
    # of rounding matters for bit-identity)
    length = result.shape[0]
    return result[:length], (result[0 if reverse else length - 1],)


def _fusable(fused: bool, input_gates: Tensor, state: Sequence[Tensor]) -> bool:
    """Whether the fused ops run: asked for, float32 or float64 (float16 keeps the composite
    path, whose ops compute it in float32 and round per op), and the states of the gates'
    dtype (else the composite path refuses them, as PyTorch does, with its message)."""
    dtype = input_gates.dtype
    return fused and dtype in (dtypes.float32, dtypes.float64) and \
        all(part.dtype == dtype for part in state)


def _cell_step(mode: str, input: Tensor, state: tuple[Tensor, ...], weight_ih: Tensor,
               weight_hh: Tensor, bias_ih: Tensor | None, bias_hh: Tensor | None,
               fused: bool) -> tuple[Tensor, ...]:
    """One step of a cell on a batch ``input`` ``(N, input_size)`` and ``state`` (``(h,)``, or
    ``(h, c)`` for ``mode`` "LSTM"): the input's projection, then the fused node or the
    composite ``_*_step``. Returns the new state. The cell modules and the ``torch.*_cell``
    functions both run this."""
    input_gates = F.linear(input, weight_ih, bias_ih)
    if _fusable(fused, input_gates, state):
        return _fused_steps(mode, input_gates, state, weight_hh, bias_hh)[1]
    if mode == "LSTM":
        return _lstm_step(input_gates, state, weight_hh, bias_hh)
    if mode == "GRU":
        return (_gru_step(input_gates, state[0], weight_hh, bias_hh),)
    return (_rnn_step(input_gates, state[0], weight_hh, bias_hh,
                      "tanh" if mode == "RNN_TANH" else "relu"),)


def _check_cell_sizes(input: Tensor, hidden: Sequence[Tensor], weight_ih: Tensor,
                      weight_hh: Tensor) -> None:
    """ATen's checks of a cell's batched input and hidden states against its weights."""
    if input.shape[1] != weight_ih.shape[1]:
        raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} "
                           f"expected {weight_ih.shape[1]}")
    for index, value in enumerate(hidden):
        if value.shape[0] != input.shape[0]:
            raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match "
                               f"hidden{index} batch size {value.shape[0]}")
        if value.shape[1] != weight_hh.shape[1]:
            raise RuntimeError(f"hidden{index} has inconsistent hidden_size: got "
                               f"{value.shape[1]}, expected {weight_hh.shape[1]}")


def _cell_function(mode: str, input: Tensor, state: tuple[Tensor, ...], weight_ih: Tensor,
                   weight_hh: Tensor, bias_ih: Tensor | None,
                   bias_hh: Tensor | None) -> tuple[Tensor, ...]:
    """``torch.*_cell``: ATen's checks (a batch dim, sizes, each weight ``gates *
    hidden_size`` rows), then ``_cell_step`` fused."""
    normalize_dim(1, input.ndim)  # PyTorch's IndexError for an input without a batch dim
    _check_cell_sizes(input, state, weight_ih, weight_hh)
    gates = {"LSTM": 4, "GRU": 3}.get(mode, 1)
    hidden_size = state[0].shape[1]
    for name, weight in (("weight_ih", weight_ih), ("weight_hh", weight_hh)):
        if weight.shape[0] != gates * hidden_size:
            raise RuntimeError(f"{name} first dim must be {gates} * hidden_size = "
                               f"{gates * hidden_size}, but got {weight.shape[0]}")
    return _cell_step(mode, input, state, weight_ih, weight_hh, bias_ih, bias_hh, True)


def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """``torch.rnn_tanh_cell``: one step of ``nn.RNNCell`` with the given weights,
    ``tanh(input w_ih.T + b_ih + hx w_hh.T + b_hh)``; ``input`` ``(N, input_size)``."""
    return _cell_function("RNN_TANH", input, (hx,), w_ih, w_hh, b_ih, b_hh)[0]


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """``torch.rnn_relu_cell``: ``rnn_tanh_cell`` with relu."""
    return _cell_function("RNN_RELU", input, (hx,), w_ih, w_hh, b_ih, b_hh)[0]


def lstm_cell(input: Tensor, hx: Sequence[Tensor], w_ih: Tensor, w_hh: Tensor,
              b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """``torch.lstm_cell``: one step of ``nn.LSTMCell`` with the given weights; ``hx`` the pair
    ``(h, c)``; returns ``(h', c')``."""
    if isinstance(hx, Tensor) or not isinstance(hx, (list, tuple)):
        raise TypeError(f"lstm_cell(): argument 'hx' (position 2) must be tuple of Tensors, "
                        f"not {type(hx).__name__}")
    if len(hx) != 2:
        raise RuntimeError("lstm_cell expects two hidden states")
    return tuple(_cell_function("LSTM", input, tuple(hx), w_ih, w_hh, b_ih, b_hh))


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
             b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """``torch.gru_cell``: one step of ``nn.GRUCell`` with the given weights."""
    return _cell_function("GRU", input, (hx,), w_ih, w_hh, b_ih, b_hh)[0]


def _empty_parameter(shape: tuple[int, ...], dtype: np.dtype) -> Parameter:
    return Parameter(np.empty(shape, dtype=dtype))


def _initialise(module: Module, hidden_size: int) -> None:
    """PyTorch's ``reset_parameters`` of every recurrent module: each parameter, in registration
    order, from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) (tinygrad_bn's generator)."""
    bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0
    for parameter in module.parameters():
        init.uniform_(parameter, -bound, bound)


# ---------------------------------------------------------------------- cells



def _autocasting() -> bool:
    """Whether autocast is on for any device in this thread: PyTorch then lets an RNN take an
    input whose dtype differs from its weights."""
    return any(autocast_state.state.enabled.values())

class RNNCellBase(Module):
    """What the three cells share: ``weight_ih`` ``(chunks * hidden_size, input_size)``,
    ``weight_hh`` ``(chunks * hidden_size, hidden_size)``, ``bias_ih`` and ``bias_hh``
    ``(chunks * hidden_size,)`` (None with ``bias=False``), PyTorch's initialisation, and
    PyTorch's checks of the input and hidden sizes. ``fused`` (not in PyTorch, default True):
    the step as one node (``ops.recurrent``, a sequence of one step) or, with ``False``, built
    from primitive ops; the two agree bit for bit."""

    fused = True  # the class's default: modules pickled before the flag existed have none

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device: DeviceLike | None = None, dtype: DTypeLike | None = None,
                 fused: bool = True) -> None:
        super().__init__()
        self.fused = fused
        check_device(device)
        dtype = dtypes.get_default_dtype() if dtype is None else dtypes.canonical(dtype)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = _empty_parameter((num_chunks * hidden_size, input_size), dtype)
        self.weight_hh = _empty_parameter((num_chunks * hidden_size, hidden_size), dtype)
        if bias:
            self.bias_ih = _empty_parameter((num_chunks * hidden_size,), dtype)
            self.bias_hh = _empty_parameter((num_chunks * hidden_size,), dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), in PyTorch's
        order (weight_ih, weight_hh, bias_ih, bias_hh); the constructor calls it."""
        _initialise(self, self.hidden_size)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        return text

    def _batched(self, name: str, input: Tensor, hidden: tuple[Tensor | None, ...],
                 hidden_label: str) -> tuple[bool, Tensor, list[Tensor]]:
        """PyTorch's cell preamble: 1-D or 2-D input and hidden, unbatched ones given a batch
        dim of 1, missing hidden zeros; then ATen's size checks. Returns ``(is_batched, input,
        hidden)``."""
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        for label, value in zip(hidden_label, hidden):
            if value is not None and value.ndim not in (1, 2):
                raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got {value.ndim}D "
                                 "instead")
        is_batched = input.ndim == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hidden[0] is None:
            state = zeros(input.shape[0], self.hidden_size, dtype=input.dtype)
            hidden = [state] * len(hidden)
        else:
            hidden = [value if is_batched else value.unsqueeze(0) for value in hidden]
        _check_cell_sizes(input, hidden, self.weight_ih, self.weight_hh)
        return is_batched, input, hidden


class RNNCell(RNNCellBase):
    """An Elman RNN cell: ``h' = tanh(x W_ih.T + b_ih + h W_hh.T + b_hh)`` (or relu with
    ``nonlinearity="relu"``), PyTorch's ``nn.RNNCell``.

    Input ``(N, input_size)`` or unbatched ``(input_size,)``; ``hx`` like it with
    ``hidden_size`` (zeros when not given); returns ``h'`` of ``hx``'s shape. Parameters
    ``weight_ih`` ``(hidden_size, input_size)``, ``weight_hh`` ``(hidden_size, hidden_size)``,
    ``bias_ih``, ``bias_hh`` ``(hidden_size,)``, all from U(-1/sqrt(hidden_size),
    1/sqrt(hidden_size)). An unknown nonlinearity is refused when called, as in PyTorch.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: DeviceLike | None = None,
                 dtype: DTypeLike | None = None, fused: bool = True) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device,
                         dtype=dtype, fused=fused)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        is_batched, input, (hidden,) = self._batched("RNNCell", input, (hx,), ("hidden",))
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        (hidden,) = _cell_step("RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU", input,
                               (hidden,), self.weight_ih, self.weight_hh, self.bias_ih,
                               self.bias_hh, self.fused)
        return hidden if is_batched else hidden.squeeze(0)


class LSTMCell(RNNCellBase):
    """A long short-term memory cell (Hochreiter & Schmidhuber 1997), PyTorch's
    ``nn.LSTMCell``: ``i, f, g, o = chunk(x W_ih.T + b_ih + h W_hh.T + b_hh, 4)``, ``c' =
    sigmoid(f) * c + sigmoid(i) * tanh(g)``, ``h' = sigmoid(o) * tanh(c')``.

    Input ``(N, input_size)`` or unbatched ``(input_size,)``; ``hx = (h, c)``, each like the
    input with ``hidden_size`` (zeros when not given); returns ``(h', c')``. ``weight_ih`` is
    ``(4 * hidden_size, input_size)``, ``weight_hh`` ``(4 * hidden_size, hidden_size)``, the
    biases ``(4 * hidden_size,)``, the gates stacked in the order i, f, g, o.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: DeviceLike | None = None, dtype: DTypeLike | None = None,
                 fused: bool = True) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device,
                         dtype=dtype, fused=fused)

    def forward(self, input: Tensor,
                hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        is_batched, input, state = self._batched(
            "LSTMCell", input, (None, None) if hx is None else tuple(hx), ("hx[0]", "hx[1]"))
        hidden, cell = _cell_step("LSTM", input, tuple(state), self.weight_ih, self.weight_hh,
                                  self.bias_ih, self.bias_hh, self.fused)
        return (hidden, cell) if is_batched else (hidden.squeeze(0), cell.squeeze(0))


class GRUCell(RNNCellBase):
    """A gated recurrent unit cell (Cho et al. 2014), PyTorch's ``nn.GRUCell``: ``r =
    sigmoid(W_ir x + b_ir + W_hr h + b_hr)``, ``z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)``,
    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = (1 - z) * n + z * h``.

    Input ``(N, input_size)`` or unbatched ``(input_size,)``; ``hx`` like it with
    ``hidden_size`` (zeros when not given); returns ``h'``. ``weight_ih`` is ``(3 *
    hidden_size, input_size)``, ``weight_hh`` ``(3 * hidden_size, hidden_size)``, the biases
    ``(3 * hidden_size,)``, the gates stacked in the order r, z, n.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: DeviceLike | None = None, dtype: DTypeLike | None = None,
                 fused: bool = True) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device,
                         dtype=dtype, fused=fused)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        is_batched, input, (hidden,) = self._batched("GRUCell", input, (hx,), ("hidden",))
        (hidden,) = _cell_step("GRU", input, (hidden,), self.weight_ih, self.weight_hh,
                               self.bias_ih, self.bias_hh, self.fused)
        return hidden if is_batched else hidden.squeeze(0)


# ---------------------------------------------------------------------- sequence layers

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RNNBase(Module):
    """What ``RNN``, ``LSTM`` and ``GRU`` share: PyTorch's constructor checks, parameters per
    layer ``k`` and direction (``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
    ``bias_hh_l{k}``, ``weight_hr_l{k}`` with an LSTM projection; ``_reverse`` appended for the
    backward direction), so that state dicts load both ways, PyTorch's initialisation and
    printing, and the stacked, bidirectional time loop.

    The loop runs time-major ``(L, N, H_in)``. For each layer and direction the input
    projection of the whole sequence is one matmul (``x W_ih.T + b_ih``, as PyTorch's CPU path
    and cuDNN do); then each step adds ``h W_hh.T + b_hh`` and applies the cell. The backward
    direction reads the sequence from the end; the directions' outputs are concatenated along
    the features, and in training ``dropout`` applies to every layer's output but the last.

    The input may also be a ``PackedSequence`` (``nn.utils.rnn.pack_padded_sequence``): the
    output is then packed the same way, ``hx`` and the final states are in the batch's
    original order, and each sequence's final state is taken at its own last step.

    ``fused`` (not in PyTorch, default True): each layer and direction runs as one node
    (``ops.recurrent``; packed input one node per step), bit-identical to the loop of
    primitive ops that ``fused=False`` builds (float16 always takes that loop).
    """

    fused = True  # the class's default: modules pickled before the flag existed have none

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0,
                 device: DeviceLike | None = None, dtype: DTypeLike | None = None,
                 fused: bool = True) -> None:
        super().__init__()
        check_device(device)
        self.fused = fused
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        for name, value in (("bias", bias), ("batch_first", batch_first)):
            if not isinstance(value, bool):
                raise TypeError(f"{name} should be of type bool, got: {type(value).__name__}")
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(value, int):
                raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
            if value <= 0:
                raise ValueError(f"{name} must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        dtype = dtypes.get_default_dtype() if dtype is None else dtypes.canonical(dtype)
        gate_size = _GATES[mode] * hidden_size
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        num_directions = 2 if bidirectional else 1
        self._flat_weights_names, self._all_weights = [], []
        for layer in range(num_layers):
            layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
            for direction in range(num_directions):
                shapes = {"weight_ih_l{}{}": (gate_size, layer_input_size),
                          "weight_hh_l{}{}": (gate_size, real_hidden_size)}
                if bias:
                    shapes.update({"bias_ih_l{}{}": (gate_size,), "bias_hh_l{}{}": (gate_size,)})
                if proj_size > 0:
                    shapes["weight_hr_l{}{}"] = (proj_size, hidden_size)
                suffix = "_reverse" if direction == 1 else ""
                names = []
                for pattern, shape in shapes.items():
                    names.append(pattern.format(layer, suffix))
                    setattr(self, names[-1], _empty_parameter(shape, dtype))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), in PyTorch's
        order (by layer, then direction, then weight_ih, weight_hh, bias_ih, bias_hh,
        weight_hr); the constructor calls it."""
        _initialise(self, self.hidden_size)

    def flatten_parameters(self) -> None:
        """Does nothing: PyTorch packs the weights into one cuDNN buffer here, which a NumPy
        CPU backend has no use for; kept so that programs calling it run unchanged."""

    @property
    def _flat_weights(self) -> list[Parameter | None]:
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters grouped per layer and direction, as PyTorch's ``all_weights``."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.batch_first is not False:
            text += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            text += f", bidirectional={self.bidirectional}"
        return text

    # ------------------------------------------------------------------ checks, as PyTorch's

    def _prepare(self, input: Tensor) -> tuple[bool, Tensor]:
        """PyTorch's preamble: a 2-D or 3-D input, an unbatched one given its batch dim."""
        if input.ndim not in (2, 3):
            tensor = " tensor" if self.mode.startswith("RNN") else ""
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got "
                             f"{input.ndim}D{tensor} instead")
        is_batched = input.ndim == 3
        if not is_batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        return is_batched, input

    def _check_input(self, input: Tensor, packed: bool = False) -> None:
        weight_dtype = self.weight_ih_l0.dtype
        if input.dtype != weight_dtype and not _autocasting():
            raise ValueError(
                f"RNN input dtype ({dtype_name(input.dtype)}) does not match weight dtype "
                f"({dtype_name(weight_dtype)}). Convert input: input.to("
                f"{dtype_name(weight_dtype)}), or convert model: model.to("
                f"{dtype_name(input.dtype)})")
        expected = 2 if packed else 3
        if input.ndim != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.ndim}")
        if self.input_size != input.shape[-1]:
            raise RuntimeError("input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")

    def _mini_batch(self, input: Tensor) -> int:
        return input.shape[0] if self.batch_first else input.shape[1]

    def _expected_hidden_size(self, mini_batch: int, size: int) -> tuple[int, int, int]:
        return (self.num_layers * (2 if self.bidirectional else 1), mini_batch, size)

    @staticmethod
    def _check_hidden_size(hx: Tensor, expected: tuple[int, int, int],
                           message: str = "Expected hidden size {}, got {}") -> None:
        if tuple(hx.shape) != expected:
            raise RuntimeError(message.format(expected, list(hx.shape)))

    def _check_states(self, hx: Any, mini_batch: int) -> None:
        """PyTorch's ``check_hidden_size`` of ``hx`` (LSTM: of both ``h`` and ``c``)."""
        if self.mode != "LSTM":
            self._check_hidden_size(hx, self._expected_hidden_size(mini_batch, self.hidden_size))
            return
        self._check_hidden_size(hx[0], self._expected_hidden_size(mini_batch, self._out_size),
                                "Expected hidden[0] size {}, got {}")
        self._check_hidden_size(hx[1], self._expected_hidden_size(mini_batch, self.hidden_size),
                                "Expected hidden[1] size {}, got {}")

    @property
    def _out_size(self) -> int:
        return self.proj_size if self.proj_size > 0 else self.hidden_size

    def _zeros(self, input: Tensor, mini_batch: int) -> Any:
        """The default ``hx``: zeros (LSTM: the pair ``(h, c)``)."""
        h = zeros(*self._expected_hidden_size(mini_batch, self._out_size), dtype=input.dtype)
        if self.mode != "LSTM":
            return h
        return h, zeros(*self._expected_hidden_size(mini_batch, self.hidden_size),
                        dtype=input.dtype)

    def _forward_packed(self, input: PackedSequence, hx: Any) -> tuple[PackedSequence, Any]:
        """The layer over a ``PackedSequence``: ``hx`` (given in the batch's original order)
        is sorted as the batch was, the result's final states put back in the original order.
        """
        data, batch_sizes, sorted_indices, unsorted_indices = input
        sizes = [int(size) for size in batch_sizes.numpy()]
        lstm = self.mode == "LSTM"
        if hx is None:
            hx = self._zeros(data, sizes[0])
        elif sorted_indices is not None:
            hx = (tuple(h.index_select(1, sorted_indices) for h in hx) if lstm
                  else hx.index_select(1, sorted_indices))
        self._check_input(data, packed=True)
        self._check_states(hx, sizes[0])
        output, hidden = self._run(data, hx, sizes)
        if unsorted_indices is not None:
            hidden = (tuple(h.index_select(1, unsorted_indices) for h in hidden) if lstm
                      else hidden.index_select(1, unsorted_indices))
        return input._with_data(output), hidden

    # ------------------------------------------------------------------ the time loop

    def _run(self, input: Tensor, hidden: Any,
             batch_sizes: list[int] | None = None) -> tuple[Tensor, Any]:
        """The stacked, bidirectional loop. ``input`` is a batched input (layout per
        ``batch_first``), or with ``batch_sizes`` a ``PackedSequence``'s data ``(sum of
        lengths, H_in)``; ``hidden`` has shape ``(num_layers * num_directions, N, H)`` (a pair
        ``(h, c)`` for an LSTM). Returns the last layer's outputs, laid out as the input, and
        the final hidden state(s)."""
        lstm, packed = self.mode == "LSTM", batch_sizes is not None
        if not packed:
            if self.batch_first:
                input = input.transpose(0, 1)
            if input.shape[0] == 0:
                raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
            batch_sizes = [input.shape[1]] * input.shape[0]
        offsets = np.cumsum([0] + batch_sizes).tolist()
        num_directions = 2 if self.bidirectional else 1
        states = hidden if lstm else (hidden,)
        final = [[] for _ in states]
        layer_input = input
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                index = layer * num_directions + direction
                names = self._all_weights[index]
                weights = dict(zip((name.split("_l")[0] for name in names),
                                   (getattr(self, name) for name in names)))
                input_gates = F.linear(layer_input, weights["weight_ih"],
                                       weights.get("bias_ih"))
                initial, reverse = tuple(each[index] for each in states), direction == 1
                fused = _fusable(self.fused, input_gates, initial)
                if fused and not packed:  # the whole sequence as one node
                    output, state = _fused_steps(self.mode, input_gates, initial,
                                                 weights["weight_hh"], weights.get("bias_hh"),
                                                 reverse, weights.get("weight_hr"))
                    outputs.append(output)
                    for kept, value in zip(final, state):
                        kept.append(value)
                    continue
                steps = ([input_gates[offsets[t]:offsets[t + 1]]
                          for t in range(len(batch_sizes))]
                         if packed else input_gates.unbind(0))
                if fused:
                    # Packed: one node per step (a sequence of one step, as the cells run),
                    # not one per run of steps of one batch size: such a node would sum its
                    # steps' W_hh gradients before the engine adds them to the others', an
                    # order of rounding other than the composite path's.
                    def step(time: int, state: tuple[Tensor, ...], steps=steps,
                             weights=weights) -> tuple[Tensor, ...]:
                        return _fused_steps(self.mode, steps[time], state, weights["weight_hh"],
                                            weights.get("bias_hh"), False,
                                            weights.get("weight_hr"))[1]
                else:
                    def step(time: int, state: tuple[Tensor, ...], steps=steps,
                             weights=weights) -> tuple[Tensor, ...]:
                        return self._step(steps[time], state, weights)
                step_outputs, state = self._direction(step, batch_sizes, initial, reverse)
                outputs.append(cat(step_outputs, 0) if packed else stack(step_outputs, 0))
                for kept, value in zip(final, state):
                    kept.append(value)
            layer_input = outputs[0] if num_directions == 1 else cat(outputs, -1)
            if self.dropout != 0 and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        output = layer_input.transpose(0, 1) if self.batch_first and not packed else layer_input
        final = tuple(stack(kept, 0) for kept in final)
        return output, final if lstm else final[0]

    def _step(self, input_gates: Tensor, state: tuple[Tensor, ...],
              weights: dict[str, Tensor]) -> tuple[Tensor, ...]:
        weight_hh, bias_hh = weights["weight_hh"], weights.get("bias_hh")
        if self.mode == "LSTM":
            return _lstm_step(input_gates, state, weight_hh, bias_hh, weights.get("weight_hr"))
        if self.mode == "GRU":
            return (_gru_step(input_gates, state[0], weight_hh, bias_hh),)
        nonlinearity = "tanh" if self.mode == "RNN_TANH" else "relu"
        return (_rnn_step(input_gates, state[0], weight_hh, bias_hh, nonlinearity),)

    def _direction(self, step: Any, batch_sizes: list[int], state: tuple[Tensor, ...],
                   reverse: bool) -> tuple[list[Tensor], tuple[Tensor, ...]]:
        """One layer in one direction: ``step(time, state)`` (the cell on that step's input
        gates) over the steps from ``state`` (``(h,)`` or ``(h, c)``, each ``(batch_sizes[0],
        H)``); returns each step's hidden state, in time order, and the final state.

        With packed input the batch shrinks as sequences end (they are sorted longest first,
        so the ones ending are the last rows): forwards, an ended sequence's rows leave the
        state and are kept as its final state; backwards, the loop starts with the sequences
        running at the last step and each joins, from its initial state, at its own last step.
        """
        outputs: list[Tensor | None] = [None] * len(batch_sizes)
        if not reverse:
            active, ended = batch_sizes[0], []
            for time, size in enumerate(batch_sizes):
                if size < active:
                    ended.append(tuple(part[size:active] for part in state))
                    state, active = tuple(part[:size] for part in state), size
                state = step(time, state)
                outputs[time] = state[0]
            if ended:
                state = tuple(cat([part] + [rows[k] for rows in reversed(ended)], 0)
                              for k, part in enumerate(state))
            return outputs, state
        initial, active = state, batch_sizes[-1]
        if active < batch_sizes[0]:
            state = tuple(part[:active] for part in initial)
        for time in reversed(range(len(batch_sizes))):
            size = batch_sizes[time]
            if size > active:
                state = tuple(cat([part, first[active:size]], 0)
                              for part, first in zip(state, initial))
                active = size
            state = step(time, state)
            outputs[time] = state[0]
        return outputs, state


def _no_projection(kwargs: dict[str, Any], name: str) -> None:
    """PyTorch's RNN and GRU take ``**kwargs`` and refuse ``proj_size`` by name."""
    if "proj_size" in kwargs:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
    if kwargs:
        raise TypeError(f"{name}.__init__() got an unexpected keyword argument "
                        f"'{next(iter(kwargs))}'")


class RNN(RNNBase):
    """A stacked Elman RNN, PyTorch's ``nn.RNN``: for each layer and time step ``h_t =
    act(x_t W_ih.T + b_ih + h_{t-1} W_hh.T + b_hh)``, ``act`` tanh or relu (``nonlinearity``);
    a layer's input is the previous layer's output (dropout between them in training).

    Input ``(L, N, input_size)`` (``(N, L, input_size)`` with ``batch_first``) or unbatched
    ``(L, input_size)``; ``hx`` ``(num_layers * D, N, hidden_size)`` or unbatched ``(num_layers
    * D, hidden_size)``, zeros when not given (``D`` = 2 if bidirectional else 1). Returns
    ``(output, h_n)``: output ``(L, N, D * hidden_size)`` (the two directions concatenated),
    ``h_n`` the last hidden state of every layer and direction, shaped as ``hx``. Parameters:
    see ``RNNBase``; all from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False,
                 device: DeviceLike | None = None, dtype: DTypeLike | None = None,
                 fused: bool = True, **kwargs: Any) -> None:
        _no_projection(kwargs, "RNN")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype, fused=fused)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor | PackedSequence,
                hx: Tensor | None = None) -> tuple[Tensor | PackedSequence, Tensor]:
        return _forward_single_state(self, input, hx)


class GRU(RNNBase):
    """A stacked GRU (Cho et al. 2014), PyTorch's ``nn.GRU``: for each layer and time step
    ``r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)``, ``z_t`` likewise, ``n_t =
    tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))``, ``h_t = (1 - z_t) * n_t + z_t *
    h_{t-1}``; a layer's input is the previous layer's output (dropout between them in
    training).

    Shapes as ``RNN``'s: input ``(L, N, input_size)`` (``batch_first``: ``(N, L, ...)``) or
    ``(L, input_size)``; ``hx`` and ``h_n`` ``(num_layers * D, N, hidden_size)``; output ``(L,
    N, D * hidden_size)``. ``weight_ih_l{k}`` is ``(3 * hidden_size, ...)``, gates r, z, n.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: DeviceLike | None = None, dtype: DTypeLike | None = None,
                 fused: bool = True, **kwargs: Any) -> None:
        _no_projection(kwargs, "GRU")
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype, fused=fused)

    def forward(self, input: Tensor | PackedSequence,
                hx: Tensor | None = None) -> tuple[Tensor | PackedSequence, Tensor]:
        return _forward_single_state(self, input, hx)


def _forward_single_state(module: RNNBase, input: Tensor | PackedSequence,
                          hx: Tensor | None) -> tuple[Any, Tensor]:
    """``RNN.forward`` and ``GRU.forward`` (one hidden tensor), with PyTorch's checks in
    PyTorch's order."""
    if isinstance(input, PackedSequence):
        return module._forward_packed(input, hx)
    is_batched, input = module._prepare(input)
    if hx is not None:
        if not is_batched and hx.ndim != 2:
            raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got "
                               f"{hx.ndim}-D tensor")
        if is_batched and hx.ndim != 3:
            raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got "
                               f"{hx.ndim}-D tensor")
        hx = hx if is_batched else hx.unsqueeze(1)
    else:
        hx = module._zeros(input, module._mini_batch(input))
    module._check_input(input)
    module._check_states(hx, module._mini_batch(input))
    output, hidden = module._run(input, hx)
    if not is_batched:
        return output.squeeze(0 if module.batch_first else 1), hidden.squeeze(1)
    return output, hidden


class LSTM(RNNBase):
    """A stacked LSTM (Hochreiter & Schmidhuber 1997), PyTorch's ``nn.LSTM``: for each layer
    and time step ``i, f, g, o = chunk(x_t W_ih.T + b_ih + h_{t-1} W_hh.T + b_hh, 4)``, ``c_t =
    sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(g)``, ``h_t = sigmoid(o) * tanh(c_t)``, and with
    ``proj_size > 0`` ``h_t = h_t W_hr.T`` (Sak et al. 2014); a layer's input is the previous
    layer's output (dropout between them in training).

    Input ``(L, N, input_size)`` (``batch_first``: ``(N, L, ...)``) or unbatched ``(L,
    input_size)``; ``hx = (h_0, c_0)`` with ``h_0`` ``(num_layers * D, N, H_out)`` and ``c_0``
    ``(num_layers * D, N, hidden_size)`` (no ``N`` when unbatched), zeros when not given;
    ``H_out`` is ``proj_size`` if set, else ``hidden_size``. Returns ``(output, (h_n, c_n))``
    with output ``(L, N, D * H_out)``. ``weight_ih_l{k}`` is ``(4 * hidden_size, ...)``, gates
    i, f, g, o; ``weight_hr_l{k}`` ``(proj_size, hidden_size)``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device: DeviceLike | None = None,
                 dtype: DTypeLike | None = None, fused: bool = True) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device=device, dtype=dtype, fused=fused)

    def forward(self, input: Tensor | PackedSequence, hx: tuple[Tensor, Tensor] | None = None
                ) -> tuple[Tensor | PackedSequence, tuple[Tensor, Tensor]]:
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        is_batched, input = self._prepare(input)
        if hx is None:
            hx = self._zeros(input, self._mini_batch(input))
        else:
            hidden, cell = hx
            wanted = 3 if is_batched else 2
            if hidden.ndim != wanted or cell.ndim != wanted:
                raise RuntimeError(
                    f"For {'batched 3' if is_batched else 'unbatched 2'}-D input, hx and cx "
                    f"should also be {wanted}-D but got ({hidden.ndim}-D, {cell.ndim}-D) "
                    "tensors")
            hx = (hidden, cell) if is_batched else (hidden.unsqueeze(1), cell.unsqueeze(1))
        self._check_input(input)
        self._check_states(hx, self._mini_batch(input))
        output, (hidden, cell) = self._run(input, hx)
        if not is_batched:
            return (output.squeeze(0 if self.batch_first else 1),
                    (hidden.squeeze(1), cell.squeeze(1)))
        return output, (hidden, cell)

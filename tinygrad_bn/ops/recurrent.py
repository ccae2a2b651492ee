"""The recurrent layers' time loop as one fused op per layer and direction: ``RNNSequence``,
``LSTMSequence``, ``GRUSequence``, each running the forward loop and, in backward, the loop back
through time (BPTT) in closed form.

Why: built from primitive ops an LSTM step is about 15 graph nodes, and at a recurrent layer's
sizes the engine's cost per node outweighs NumPy's. One node per layer and direction removes
that per-step bookkeeping: LSTM 32 -> 64, 2 layers, batch 16 x 50 steps, forward + backward
on one thread, 23-37 ms composite against 9-10 ms fused (PyTorch 3.4-3.6 ms, same runs).
The rest is NumPy: three small matrix products and some twenty elementwise calls per step.

Bit-identity: each step makes the NumPy calls the composite path (``nn.rnn._lstm_step`` and
friends, run with ``fused=False``) makes, on the same values in the same memory layouts (or
one call where the composite makes several on parts of an array and the values cannot
differ: one sigmoid over all the gates), and each backward makes the calls autograd makes
through those primitive ops, summing a value's gradients in the order the engine sums them;
so the fused and composite layers agree bit for bit (``tests/test_rnn_fused.py`` checks
outputs, states and every gradient). One implementation of each cell's step (``lstm_step`` /
``lstm_step_backward`` and so on) serves both the layers and the one-step cells (a cell is a
sequence of one step). The one known difference: a cell's output used at once as the next
call's input, as its state and a third time; the engine then adds its gradients in another
order than through the composite graph (they agree to rounding).

Conventions: ``input_gates`` is ``x W_ih.T + b_ih`` for every step, ``(L, N, G * H)`` (or
``(N, G * H)`` for one step, as the cells pass it), gates in PyTorch's order (LSTM i, f, g,
o; GRU r, z, n); ``hidden``/``cell`` are ``(N, H)``; ``weight_hh`` ``(G * H, H)``, ``bias_hh``
``(G * H,)`` or absent. The states come before ``input_gates`` among the inputs, as the
composite step reaches them first (``F.linear(h, ...) + input_gates``): the engine then runs
the nodes in the same order and sums a weight's gradients over the steps in the same order.
``reverse=True`` runs from the last step to the first. The result holds every step's hidden
state ``(L, N, H)`` in time order; the LSTM's has one row more, the final cell state: ``(L +
1, N, H)``.
"""

import numpy as np

from ..autograd.graph import Op
from .elementwise import sigmoid, sigmoid_backward, tanh_backward, zero_of
from .reduce import column_sums


def _hidden_projection(hidden, weight_hh, bias_hh):
    """``h W_hh.T + b_hh`` as ``Linear`` computes it (the product, then the bias added in
    place)."""
    out = np.dot(hidden, weight_hh.T)
    if bias_hh is not None:
        out += bias_hh
    return out


# ---------------------------------------------------------------------- the steps


def rnn_step(input_gates, hidden, weight_hh, bias_hh, nonlinearity):
    """``h' = act(h W_hh.T + b_hh + input_gates)``, ``act`` tanh or relu; the backward needs
    only ``h'``."""
    pre_activation = _hidden_projection(hidden, weight_hh, bias_hh) + input_gates
    if nonlinearity == "tanh":
        return np.tanh(pre_activation)
    return np.maximum(pre_activation, zero_of(pre_activation.dtype))


def rnn_step_backward(out, grad_hidden, nonlinearity):
    """The gradient of the pre-activation, ``dL/dh' * act'``: tanh's ``1 - h'^2``, relu's
    ``h' > 0`` (what ``Tanh`` and ``ReLU`` compute)."""
    if nonlinearity == "tanh":
        return tanh_backward(out, grad_hidden)
    return grad_hidden * (out > zero_of(out.dtype))


def lstm_step(input_gates, hidden, cell, weight_hh, bias_hh):
    """``i, f, g, o = chunk(h W_hh.T + b_hh + input_gates, 4)``, ``c' = sigmoid(f) * c +
    sigmoid(i) * tanh(g)``, ``h' = sigmoid(o) * tanh(c')``. Returns ``h'``, ``c'`` and what
    the backward needs."""
    gates = _hidden_projection(hidden, weight_hh, bias_hh) + input_gates
    # One sigmoid over all four gates (the g block's is not used): one call for three, and
    # the same values (sigmoid's exp runs on the negated gates, a contiguous array either way).
    activated = sigmoid(gates)
    size = cell.shape[1]
    input_, forget = activated[:, :size], activated[:, size:2 * size]
    output = activated[:, 3 * size:]
    candidate = np.tanh(gates[:, 2 * size:3 * size])
    new_cell = forget * cell + input_ * candidate
    cell_tanh = np.tanh(new_cell)
    return output * cell_tanh, new_cell, (cell, activated, input_, forget, candidate, output,
                                          cell_tanh)


def lstm_step_backward(saved, grad_hidden, grad_cell_after):
    """One step back: from ``dL/dh'`` and the gradient ``c'`` gets from later (the next step's
    ``f * c``, or the final state), the gradient of the gates ``(N, 4H)`` and of ``c``.

    With ``s_x = sigmoid(x)``, ``dc' = dL/dh' * s_o * (1 - tanh(c')^2) + dc'_later``::

        d o = dL/dh' * tanh(c') * s_o (1 - s_o)      d i = dc' * tanh(g) * s_i (1 - s_i)
        d g = dc' * s_i * (1 - tanh(g)^2)            d f = dc' * c * s_f (1 - s_f)
        dc  = dc' * s_f

    each product in the order ``Mul``, ``Sigmoid`` and ``Tanh`` take it."""
    cell, activated, input_, forget, candidate, output, cell_tanh = saved
    size = cell.shape[1]
    grad_activated = np.empty_like(activated)  # the gradients of the four gates' activations
    grad_in, grad_forget = grad_activated[:, :size], grad_activated[:, size:2 * size]
    grad_candidate = grad_activated[:, 2 * size:3 * size]
    np.multiply(grad_hidden, cell_tanh, out=grad_activated[:, 3 * size:])
    grad_cell = tanh_backward(cell_tanh, grad_hidden * output)
    if grad_cell_after is not None:
        grad_cell += grad_cell_after
    np.multiply(grad_cell, candidate, out=grad_in)
    np.multiply(grad_cell, cell, out=grad_forget)
    np.multiply(grad_cell, input_, out=grad_candidate)
    # sigmoid's gradient for all four blocks at once (elementwise products: the same values
    # as block by block), then the g block's replaced by tanh's
    grads = sigmoid_backward(activated, grad_activated)
    grads[:, 2 * size:3 * size] = tanh_backward(candidate, grad_candidate)
    return grads, grad_cell * forget


def gru_step(input_gates, hidden, weight_hh, bias_hh):
    """``r = sigmoid(W_hr h + b_hr + x_r)``, ``z = sigmoid(W_hz h + b_hz + x_z)``, ``n =
    tanh(x_n + r * (W_hn h + b_hn))``, ``h' = (h - n) * z + n``; returns ``h'`` and what the
    backward needs."""
    size = hidden.shape[1]
    projection = _hidden_projection(hidden, weight_hh, bias_hh)
    # r and z side by side: one sum and one sigmoid for two, the same values
    reset_update = sigmoid(projection[:, :2 * size] + input_gates[:, :2 * size])
    reset, update = reset_update[:, :size], reset_update[:, size:]
    hidden_new = projection[:, 2 * size:]
    new = np.tanh(input_gates[:, 2 * size:] + hidden_new * reset)
    difference = hidden - new
    return difference * update + new, (hidden_new, reset_update, new, difference)


def gru_step_backward(saved, grad_hidden):
    """One step back from ``dL/dh'``: the gradients of the input gates and of the hidden
    projection (both ``(N, 3H)``) and the direct part of ``dL/dh``, ``dL/dh' * z``::

        dn = dL/dh' * (1 - z) (1 - n^2)           (as dL/dh' - dL/dh' * z, Sub's and Add's)
        dz = dL/dh' * (h - n) * z (1 - z)         dr = dn * (W_hn h + b_hn) * r (1 - r)
        d(x_n) = dn     d(W_hn h + b_hn) = dn * r     d(x_r) = d(W_hr h + b_hr) = dr, z alike
    """
    hidden_new, reset_update, new, difference = saved
    size = new.shape[1]
    reset, update = reset_update[:, :size], reset_update[:, size:]
    grad_difference = grad_hidden * update
    grad_reset_update = np.empty_like(reset_update)
    np.multiply(grad_hidden, difference, out=grad_reset_update[:, size:])
    grad_new = -grad_difference
    grad_new += grad_hidden
    grad_new = tanh_backward(new, grad_new)
    np.multiply(grad_new, hidden_new, out=grad_reset_update[:, :size])
    grad_reset_update = sigmoid_backward(reset_update, grad_reset_update)
    grad_inputs = np.empty((len(new), 3 * size), new.dtype)
    grad_hidden_projection = np.empty_like(grad_inputs)
    grad_inputs[:, :2 * size] = grad_hidden_projection[:, :2 * size] = grad_reset_update
    grad_inputs[:, 2 * size:] = grad_new
    np.multiply(grad_new, reset, out=grad_hidden_projection[:, 2 * size:])
    return grad_inputs, grad_hidden_projection, grad_difference


# ---------------------------------------------------------------------- the layers


class _Sequence(Op):
    """What the three fused layers share: the arguments, the order of the steps and the
    gradients of the hidden-to-hidden ``Linear`` summed over the steps as the engine sums a
    leaf's gradients (the last step's first, each next one added in place)."""

    __slots__ = ("reverse",)
    arguments = ("reverse",)

    def __init__(self, reverse=False):
        self.reverse = reverse

    def _order(self, length):
        return range(length - 1, -1, -1) if self.reverse else range(length)

    # ``saved`` holds the step arrays in lists, and the weight and the initial states as items
    # of its own: those are the inputs the composite path's ops save (Linear its input and
    # weight, Mul the cell state), so that an in-place write to one of them after the forward
    # is refused at backward (the engine checks an op's saved inputs) as it is there.

    @staticmethod
    def _result(states, extra=()):
        """The steps' hidden states (each an array of its own, saved for backward: a write to
        the result in place changes nothing backward reads, as with the composite path's
        ``stack``) stacked in time order, and ``extra`` rows after them."""
        return np.stack(states + list(extra))

    @staticmethod
    def _as_steps(input_gates):
        return input_gates if input_gates.ndim == 3 else input_gates[None]

    def _linear_backward(self, grad_projection, hidden, weight_hh, sums):
        """``Linear``'s backward for one step: returns ``dL/dh``'s part through the
        projection and adds ``dL/dW_hh``'s and ``dL/db_hh``'s parts into ``sums``."""
        needs = self.needs_input_grad
        grad_hidden = np.dot(grad_projection, weight_hh)
        if needs[self.weight_position]:
            part = np.dot(grad_projection.T, hidden)
            sums[0] = part if sums[0] is None else _add_into(sums[0], part)
        if len(needs) > self.weight_position + 1 + self._projected() and \
                needs[self.weight_position + 1]:
            part = column_sums(grad_projection)
            sums[1] = part if sums[1] is None else _add_into(sums[1], part)
        return grad_hidden

    def _projected(self):
        """Whether a projection's weight is the last input (LSTM only)."""
        return False

    def _input_gates_grad(self, grads, shape):
        """The step gradients as ``unbind``'s views' gradients add up: the first one the
        backward reaches written into zeros, the others added in."""
        if len(shape) == 2:
            return grads[0][1]
        total = np.zeros(shape, grads[0][1].dtype)
        first = True
        for time, grad in grads:
            if first:
                total[time] = grad
                first = False
            else:
                total[time] += grad
        return total

    def _composite_steps(self, input_gates):
        """The steps of ``input_gates`` as Tensors, and the order they run in (for the
        composites of ``create_graph=True``)."""
        steps = input_gates if input_gates.ndim == 3 else input_gates.unsqueeze(0)
        return steps, self._order(steps.shape[0])


def _add_into(total, part):
    total += part
    return total


class RNNSequence(_Sequence):
    """An Elman RNN layer's loop, ``h_t = act(h_{t-1} W_hh.T + b_hh + input_gates_t)``,
    ``act`` tanh or relu. Inputs ``(h_0, input_gates, weight_hh[, bias_hh])``; result ``(L, N,
    H)``.

    Backward through time, with ``a_t`` the pre-activation and ``dh_t`` the gradient of
    ``h_t`` from the result plus from step ``t + 1``::

        da_t = dh_t * act'(a_t)        dh_{t-1} += da_t W_hh
        dW_hh = sum_t da_t.T h_{t-1}   db_hh = sum_t da_t   d input_gates_t = da_t
    """

    __slots__ = ("nonlinearity",)
    arguments = ("nonlinearity", "reverse")
    weight_position = 2

    def __init__(self, nonlinearity="tanh", reverse=False):
        super().__init__(reverse)
        self.nonlinearity = nonlinearity

    def forward(self, hidden, input_gates, weight_hh, bias_hh=None):
        steps = self._as_steps(input_gates)
        initial = (hidden,)
        states, previous = [None] * len(steps), []
        for time in self._order(len(steps)):
            previous.append(hidden)
            hidden = states[time] = rnn_step(steps[time], hidden, weight_hh, bias_hh,
                                             self.nonlinearity)
        if self.needs_input_grad:
            self.saved = (previous, states, weight_hh, input_gates.shape, *initial)
        return self._result(states)

    def backward(self, grad_output):
        previous, out, weight_hh, shape = self.saved[:4]
        sums, gate_grads, carried = [None, None], [], None
        for time, hidden in zip(reversed(self._order(len(out))), reversed(previous)):
            grad_hidden = grad_output[time]
            if carried is not None:
                grad_hidden = _add_into(carried, grad_hidden)
            grad = rnn_step_backward(out[time], grad_hidden, self.nonlinearity)
            gate_grads.append((time, grad))
            carried = self._linear_backward(grad, hidden, weight_hh, sums)
        needs = self.needs_input_grad
        return (carried, self._input_gates_grad(gate_grads, shape) if needs[1] else None,
                *sums[:len(needs) - 2])

    def composite(self, hidden, input_gates, weight_hh, bias_hh=None):
        """The loop of ``nn.rnn._rnn_step`` (the ``fused=False`` path), for
        ``create_graph=True``."""
        from ..nn.rnn import _rnn_step  # the layers' composite step: nn builds on ops
        from ..tensor.shape import stack
        steps, order = self._composite_steps(input_gates)
        states = [None] * steps.shape[0]
        for time in order:
            hidden = states[time] = _rnn_step(steps[time], hidden, weight_hh, bias_hh,
                                              self.nonlinearity)
        return stack(states)


class LSTMSequence(_Sequence):
    """An LSTM layer's loop (see ``lstm_step``). Inputs ``(h_0, c_0, input_gates, weight_hh[,
    bias_hh])``; result ``(L + 1, N, H)``: ``h_1 .. h_L`` in time order, then the final cell
    state. With ``projection=True`` (``LSTM(proj_size=P)``, Sak et al. 2014) the last input is
    ``weight_hr`` ``(P, H)`` and each step's ``h`` is ``h W_hr.T`` (``Linear``'s product,
    backward ``dh = dh_P W_hr``, ``dW_hr = sum_t dh_P.T h``); the result is then flat, the
    ``(L, N, P)`` hidden states followed by the ``(N, H)`` cell state (their widths differ).

    Backward through time: from ``dh_t`` (the result's gradient plus ``da_{t+1} W_hh``) and
    ``dc_t`` (from step ``t + 1``'s ``f * c_t``, or the final state's gradient),
    ``lstm_step_backward`` gives the gates' gradient ``da_t`` and ``dc_{t-1}``; then as an
    RNN's, ``dh_{t-1} += da_t W_hh``, ``dW_hh = sum_t da_t.T h_{t-1}``, ``db_hh = sum_t da_t``,
    ``d input_gates_t = da_t``.
    """

    __slots__ = ("projection",)
    arguments = ("reverse", "projection")
    weight_position = 3

    def __init__(self, reverse=False, projection=False):
        super().__init__(reverse)
        self.projection = projection

    def _projected(self):
        return self.projection

    def forward(self, hidden, cell, input_gates, weight_hh, *rest):
        weight_hr = rest[-1] if self.projection else None
        bias_hh = rest[0] if len(rest) > self.projection else None
        steps = self._as_steps(input_gates)
        initial = (hidden, cell)
        states, saved = [None] * len(steps), []
        for time in self._order(len(steps)):
            new_hidden, cell, step_saved = lstm_step(steps[time], hidden, cell, weight_hh,
                                                     bias_hh)
            saved.append((hidden, step_saved, new_hidden))
            if weight_hr is not None:
                new_hidden = np.dot(new_hidden, weight_hr.T)
            hidden = states[time] = new_hidden
        if self.needs_input_grad:
            self.saved = (saved, weight_hh, input_gates.shape, weight_hr, *initial)
        if weight_hr is not None:
            return np.concatenate([np.stack(states).reshape(-1), cell.reshape(-1)])
        return self._result(states, (cell,))

    def backward(self, grad_output):
        saved, weight_hh, shape, weight_hr = self.saved[:4]
        sums, gate_grads, carried = [None, None], [], None
        grad_projection = None
        if weight_hr is not None:
            length, (rows, size) = len(saved), saved[0][0].shape
            grad_cell = grad_output[length * rows * size:].reshape(rows, -1)
            grad_output = grad_output[:length * rows * size].reshape(length, rows, size)
        else:
            grad_cell = grad_output[-1]
        for time, (hidden, step_saved, unprojected) in zip(
                reversed(self._order(len(saved))), reversed(saved)):
            grad_hidden = grad_output[time]
            if carried is not None:
                grad_hidden = _add_into(carried, grad_hidden)
            if weight_hr is not None:  # Linear's backward, as the composite's projection
                part = np.dot(grad_hidden.T, unprojected)
                grad_projection = part if grad_projection is None else \
                    _add_into(grad_projection, part)
                grad_hidden = np.dot(grad_hidden, weight_hr)
            grads, grad_cell = lstm_step_backward(step_saved, grad_hidden, grad_cell)
            gate_grads.append((time, grads))
            carried = self._linear_backward(grads, hidden, weight_hh, sums)
        needs = self.needs_input_grad
        return (carried, grad_cell,
                self._input_gates_grad(gate_grads, shape) if needs[2] else None,
                *sums[:len(needs) - 3 - self.projection],
                *((grad_projection,) if self.projection else ()))

    def composite(self, hidden, cell, input_gates, weight_hh, *rest):
        """The loop of ``nn.rnn._lstm_step`` (the ``fused=False`` path), for
        ``create_graph=True``."""
        from ..nn.rnn import _lstm_step  # the layers' composite step: nn builds on ops
        from ..tensor.shape import cat, stack
        weight_hr = rest[-1] if self.projection else None
        bias_hh = rest[0] if len(rest) > self.projection else None
        steps, order = self._composite_steps(input_gates)
        states = [None] * steps.shape[0]
        for time in order:
            hidden, cell = _lstm_step(steps[time], (hidden, cell), weight_hh, bias_hh, weight_hr)
            states[time] = hidden
        if weight_hr is not None:
            return cat([stack(states).reshape(-1), cell.reshape(-1)])
        return stack(states + [cell])


class GRUSequence(_Sequence):
    """A GRU layer's loop (see ``gru_step``). Inputs ``(h_0, h_0, input_gates, weight_hh[,
    bias_hh])``; result ``(L, N, H)``. The initial state is given twice, the same tensor: as
    the state the update interpolates from (``h - n``) and as the projection's input (``W_hh
    h``). Its gradient then arrives as the composite step's does, in two parts that the engine
    adds to the state's other gradients in the same order (the first step's ``h`` has three
    consumers in a loop of ``GRUCell`` calls whose states are also kept: the order of the sum
    is the order of rounding).

    Backward through time: ``gru_step_backward`` gives from ``dh_t`` the input gates'
    gradient, the hidden projection's ``dp_t`` and the direct ``dh_t * z_t``; ``dh_{t-1}`` is
    the result's gradient plus those two plus ``dp_t W_hh``; ``dW_hh = sum_t dp_t.T h_{t-1}``,
    ``db_hh = sum_t dp_t``.
    """

    __slots__ = ()
    weight_position = 3

    def forward(self, hidden, projected, input_gates, weight_hh, bias_hh=None):
        steps = self._as_steps(input_gates)
        initial = (hidden,)
        states, saved = [None] * len(steps), []
        for time in self._order(len(steps)):
            new_hidden, step_saved = gru_step(steps[time], hidden, weight_hh, bias_hh)
            saved.append((hidden, step_saved))
            hidden = states[time] = new_hidden
        if self.needs_input_grad:
            self.saved = (saved, weight_hh, input_gates.shape, *initial)
        return self._result(states)

    def backward(self, grad_output):
        saved, weight_hh, shape = self.saved[:3]
        sums, gate_grads, carried, direct = [None, None], [], None, None
        for time, (hidden, step_saved) in zip(reversed(self._order(len(saved))),
                                               reversed(saved)):
            grad_hidden = grad_output[time]
            if carried is not None:  # as the engine sums them: the result's, Sub's, Linear's
                grad_hidden = _add_into(direct, grad_hidden)
                grad_hidden += carried
            grad_inputs, grad_projection, direct = gru_step_backward(step_saved, grad_hidden)
            gate_grads.append((time, grad_inputs))
            carried = self._linear_backward(grad_projection, hidden, weight_hh, sums)
        needs = self.needs_input_grad
        return (direct, carried, self._input_gates_grad(gate_grads, shape) if needs[2] else None,
                *sums[:len(needs) - 3])

    def composite(self, hidden, projected, input_gates, weight_hh, bias_hh=None):
        """The loop of ``nn.rnn._gru_step`` (the ``fused=False`` path), for
        ``create_graph=True``; ``projected`` is ``hidden`` again (see the docstring)."""
        from ..nn.rnn import _gru_step  # the layers' composite step: nn builds on ops
        from ..tensor.shape import stack
        steps, order = self._composite_steps(input_gates)
        states = [None] * steps.shape[0]
        for time in order:
            hidden = states[time] = _gru_step(steps[time], hidden, weight_hh, bias_hh)
        return stack(states)

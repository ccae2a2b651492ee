"""Batch and layer normalization as one fused op each, with the closed-form backward pass.

``nn.functional.batch_norm(..., fused=False)`` and ``layer_norm(..., fused=False)`` build the
same computations from primitive ops; the tests show each pair agrees with each other and with
finite differences.
"""

import numpy as np

from ..autograd.graph import Op
from .opmath import FLOAT, HALF, opmath, opmath_backward, widen
from .reduce import _accumulator, column_sums


def update_running_statistics(running_mean, running_var, mean, var, m, momentum):
    """PyTorch's update, in place: ``running = (1 - momentum) * running + momentum * batch``,
    with the unbiased batch variance ``var * m / (m - 1)`` (``var`` is the biased one over ``m``
    values) for ``running_var``; float16 statistics are updated in float32 and rounded once, as
    PyTorch's. Shared by the fused op and the primitive-op version."""
    if running_mean.dtype is HALF:  # in float32, rounded once, as PyTorch's kernel
        keep, scalar = FLOAT.type(1 - momentum), FLOAT.type
        running_mean[...] = mean.reshape(-1).astype(FLOAT) * scalar(momentum) + \
            running_mean.astype(FLOAT) * keep
        running_var[...] = var.reshape(-1).astype(FLOAT) * scalar(momentum * m / (m - 1)) + \
            running_var.astype(FLOAT) * keep
        return
    keep = running_mean.dtype.type(1 - momentum)
    running_mean *= keep
    running_mean += mean.reshape(-1) * running_mean.dtype.type(momentum)
    running_var *= keep
    running_var += var.reshape(-1) * running_var.dtype.type(momentum * m / (m - 1))


@opmath_backward
class BatchNorm(Op):
    """``y = gamma * (x - mean) / sqrt(var + eps) + beta``, per channel.

    Shapes: ``x`` is ``(N, C)`` or ``(N, C, L)``; ``gamma``/``beta`` are ``(C,)``. Statistics are
    taken over every dim but the channel dim 1 (``m = N`` or ``N * L`` values per channel).

    Training (``training=True``): ``mean`` and ``var`` are the batch's, ``var`` biased (divided by
    ``m``). When ``running_mean``/``running_var`` tensors are given their arrays are updated in
    place (read at every forward, so a jit replay updates the buffers the module holds now),
    PyTorch's way: ``running = (1 - momentum) * running + momentum * batch``, with the
    **unbiased** batch variance (``var * m / (m - 1)``) for ``running_var``.
    Evaluation (``training=False``): ``mean``/``var`` are the running statistics, constants.

    Backward in training, with ``x_hat = (x - mean) / sqrt(var + eps)`` and ``g = dL/dy``
    (sums over the ``m`` values of a channel)::

        dL/dbeta  = sum(g)
        dL/dgamma = sum(g * x_hat)
        dL/dx     = gamma / sqrt(var + eps) * (g - mean(g) - x_hat * mean(g * x_hat))

    The last line is the article's three-path chain rule (through ``x_hat`` directly, through
    ``var`` and through ``mean``) with ``dL/dvar`` and ``dL/dmean`` substituted in and
    simplified: every input reaches every output of its channel through the shared statistics.
    (Sums over a ``(N, C)`` batch are matrix-vector products with a vector of ones, which BLAS
    does several times faster than NumPy's reduction at a training batch's size.)
    In evaluation the statistics are constants and ``dL/dx = g * gamma / sqrt(var + eps)``.

    float16 follows PyTorch's kernel (``_forward_float16``); its backward runs in float32.
    """

    __slots__ = ("eps", "momentum", "training", "running_mean", "running_var", "axes")
    arguments = ("eps", "training")

    def __init__(self, eps=1e-5, momentum=0.1, training=True, running_mean=None, running_var=None):
        self.eps, self.momentum, self.training = eps, momentum, training
        self.running_mean, self.running_var = running_mean, running_var

    def forward(self, x, gamma, beta):
        if x.dtype is HALF:
            return self._forward_float16(x, gamma, beta)
        self.axes = (0,) if x.ndim == 2 else (0, 2)
        scalar = x.dtype.type
        if x.ndim == 2:  # (N, C): per-channel arrays broadcast over the rows as they are
            shape = (-1,)
        else:  # (N, C, L)
            shape = (1, -1, 1)
            gamma, beta = gamma.reshape(shape), beta.reshape(shape)
        out = None
        if self.training:
            m = x.size // x.shape[1]
            inverse_m = scalar(1 / m)
            mean = self._sums(x)
            mean *= inverse_m
            centred = x - mean
            out = np.multiply(centred, centred)  # the result's buffer holds the squares first
            var = self._sums(out)
            var *= inverse_m
            if self.running_mean is not None:
                update_running_statistics(self.running_mean._array, self.running_var._array,
                                          mean, var, m, self.momentum)
            inv_std = np.add(var, scalar(self.eps), out=var)
        else:
            mean = self.running_mean._array.reshape(shape)
            centred = x - mean
            inv_std = self.running_var._array.reshape(shape) + scalar(self.eps)
        np.sqrt(inv_std, out=inv_std)
        np.divide(scalar(1), inv_std, out=inv_std)
        x_hat = np.multiply(centred, inv_std, out=centred)
        out = np.multiply(x_hat, gamma, out=out)
        out += beta
        self.saved = (x_hat, inv_std, gamma)
        return out

    def _forward_float16(self, x, gamma, beta):
        """float16 as PyTorch's CPU kernel computes it: statistics in float32, the batch's mean
        and ``1/std`` then rounded to float16 (the statistics it saves), and the output
        ``x * alpha + shift`` (``alpha = gamma / std``, ``shift = beta - mean * alpha``) as one
        fused multiply-add in float32, rounded to float16 once. Saves float32 ``x_hat`` and
        ``1/std`` and the float16 ``gamma`` for the float32 backward (``@opmath_backward``)."""
        shape = (-1,) if x.ndim == 2 else (1, -1, 1)
        self.axes = (0,) if x.ndim == 2 else (0, 2)
        wide = widen(x)
        if self.training:
            m = x.size // x.shape[1]
            mean = np.add.reduce(wide, axis=self.axes, keepdims=True) / FLOAT.type(m)
            centred = wide - mean
            var = np.add.reduce(centred * centred, axis=self.axes, keepdims=True) / FLOAT.type(m)
            if self.running_mean is not None:
                update_running_statistics(self.running_mean._array, self.running_var._array,
                                          mean, var, m, self.momentum)
            mean = widen(mean.astype(HALF))
            inv_std = widen((FLOAT.type(1) / np.sqrt(var + FLOAT.type(self.eps))).astype(HALF))
        else:
            mean = widen(self.running_mean._array).reshape(shape)
            inv_std = FLOAT.type(1) / np.sqrt(widen(self.running_var._array).reshape(shape)
                                              + FLOAT.type(self.eps))
        inv_std = inv_std.reshape(shape)
        alpha = inv_std * widen(gamma).reshape(shape)
        shift = widen(beta).reshape(shape) - mean.reshape(shape) * alpha
        # float64 holds x * alpha exactly: one rounding of the sum, as a fused multiply-add
        out = (wide.astype(np.float64) * alpha + shift).astype(FLOAT).astype(HALF)
        self.saved = ((wide - mean.reshape(shape)) * inv_std, inv_std, gamma.reshape(shape))
        return out

    def _sums(self, array):
        """Per-channel sums over the batch (and length), keeping the broadcast shape."""
        if array.ndim == 2:
            return column_sums(array)
        return np.add.reduce(array, axis=self.axes, keepdims=True,
                             dtype=_accumulator(array)).astype(array.dtype, copy=False)

    def backward(self, grad_output):
        x_hat, inv_std, gamma = self.saved
        needs_x, needs_gamma, needs_beta = self.needs_input_grad
        sum_g = self._sums(grad_output)
        product = grad_output * x_hat
        sum_g_xhat = self._sums(product)
        grad_x = None
        if needs_x:
            scale = gamma * inv_std
            if self.training:  # (g - mean(g) - x_hat * mean(g * x_hat)) * gamma / std
                inverse_m = x_hat.dtype.type(1 / (grad_output.size // grad_output.shape[1]))
                grad_x = grad_output - sum_g * inverse_m
                grad_x -= np.multiply(x_hat, sum_g_xhat * inverse_m, out=product)
                grad_x *= scale
            else:
                grad_x = grad_output * scale
        if x_hat.ndim != 2:  # sums of (N, C, L) keep their dims: (1, C, 1)
            sum_g_xhat, sum_g = sum_g_xhat.reshape(-1), sum_g.reshape(-1)
        # (for (N, C) the sums are (C,) arrays of their own: no views, which the engine would
        # copy before they become .grad)
        return grad_x, sum_g_xhat if needs_gamma else None, sum_g if needs_beta else None

    def composite(self, x, gamma, beta):
        """The docstring's formula with primitive ops, for ``create_graph=True``: batch
        statistics in training, the running ones (constants) in evaluation."""
        shape = (-1,) if x.ndim == 2 else (1, -1, 1)
        axes = (0,) if x.ndim == 2 else (0, 2)
        if self.training:
            centred = x - x.mean(dim=axes, keepdim=True)
            var = (centred * centred).mean(dim=axes, keepdim=True)
        else:
            constant = type(x)._make
            centred = x - constant(self.running_mean._array.reshape(shape), None)
            var = constant(self.running_var._array.reshape(shape), None)
        return centred / (var + self.eps).sqrt() * gamma.reshape(shape) + beta.reshape(shape)


@opmath
class LayerNorm(Op):
    """``y = (x - mean) / sqrt(var + eps) * weight + bias`` over the last dims of each sample.

    Shapes: ``x`` is ``(*, D1, ..., Dk)``, seen as rows ``(R, D)`` with ``D = D1 ... Dk`` the
    normalised elements of each of the ``R`` samples; ``weight`` and ``bias`` have the
    normalised shape ``(D1, ..., Dk)`` (``nn.functional.layer_norm`` passes ones and zeros,
    constants, when the layer has none). Each row's ``mean`` and biased ``var`` (divided by
    ``D``) are its own, as in PyTorch, so training and evaluation agree.

    Backward, with ``x_hat = (x - mean) * rstd``, ``rstd = 1 / sqrt(var + eps)``, ``g = dL/dy``
    and ``d = g * weight`` (means over the ``D`` elements of a row, sums over the rows)::

        dL/dbias   = sum over rows of g
        dL/dweight = sum over rows of g * x_hat
        dL/dx      = rstd * (d - mean(d) - x_hat * mean(d * x_hat))

    BatchNorm's closed form with the roles of rows and columns exchanged: each element reaches
    every output of its row through the row's mean and variance. Per-row means are
    matrix-vector products with a vector of ``1/D`` (BLAS), several times faster than NumPy's
    reduction along a short last axis.
    """

    __slots__ = ("eps",)
    arguments = ("eps",)

    def __init__(self, eps=1e-5):
        self.eps = eps

    def forward(self, x, weight, bias):
        size = weight.size
        rows = x.reshape(x.size // size, size)
        scalar = x.dtype.type
        centred = rows - _row_means(rows)
        out = np.multiply(centred, centred)  # the result's buffer holds the squares first
        rstd = _row_means(out)
        rstd += scalar(self.eps)
        np.sqrt(rstd, out=rstd)
        np.divide(scalar(1), rstd, out=rstd)
        x_hat = np.multiply(centred, rstd, out=centred)
        np.multiply(x_hat, weight.reshape(size), out=out)
        out += bias.reshape(size)
        self.saved = (x_hat, rstd, weight)
        return out.reshape(x.shape)

    def backward(self, grad_output):
        x_hat, rstd, weight = self.saved
        needs_x, needs_weight, needs_bias = self.needs_input_grad
        size = weight.size
        g = grad_output.reshape(x_hat.shape)
        product = g * x_hat
        # Reshaped only when the shape differs: a reshape makes a view, which the engine must
        # copy before it becomes ``.grad`` (it cannot know no one else holds the array).
        grad_weight = _shaped(column_sums(product), weight.shape) if needs_weight else None
        grad_bias = _shaped(column_sums(g), weight.shape) if needs_bias else None
        grad_x = None
        if needs_x:
            # Computed through a (R, D) view of an array of the input's shape, which is returned:
            # an array of its own (not a view), the engine may add another gradient into it.
            grad_x = np.empty(grad_output.shape, np.promote_types(g.dtype, weight.dtype))
            d = np.multiply(g, weight.reshape(size), out=grad_x.reshape(x_hat.shape))
            np.multiply(d, x_hat, out=product)
            d -= _row_means(d)
            d -= np.multiply(x_hat, _row_means(product), out=product)
            d *= rstd
        return grad_x, grad_weight, grad_bias

    def composite(self, x, weight, bias):
        """The docstring's formula with primitive ops, for ``create_graph=True``."""
        dims = tuple(range(x.ndim - weight.ndim, x.ndim))
        centred = x - x.mean(dim=dims, keepdim=True)
        var = (centred * centred).mean(dim=dims, keepdim=True)
        return centred / (var + self.eps).sqrt() * weight + bias


def _shaped(array, shape):
    """``array`` with ``shape``: itself when it has it already, else a reshaped view."""
    return array if array.shape == shape else array.reshape(shape)


_INVERSE_SIZES = {}


def _row_means(rows):
    """The means of the rows of ``(R, D)``, as ``(R, 1)``: for float32 and float64 a
    matrix-vector product with a vector of ``1/D``; otherwise NumPy's mean (float16 summed in
    float32, as ``Mean``)."""
    if rows.dtype != np.float32 and rows.dtype != np.float64:
        means = np.add.reduce(rows, axis=1, keepdims=True, dtype=_accumulator(rows))
        return (means / rows.shape[1]).astype(rows.dtype, copy=False)
    key = (rows.shape[1], rows.dtype)
    inverse = _INVERSE_SIZES.get(key)
    if inverse is None:
        if len(_INVERSE_SIZES) > 64:  # many widths: keep the memory bounded
            _INVERSE_SIZES.clear()
        inverse = _INVERSE_SIZES[key] = np.full((rows.shape[1], 1), 1 / rows.shape[1],
                                                dtype=rows.dtype)
        inverse.flags.writeable = False
    return rows.dot(inverse)  # np.dot's product without its Python-level dispatcher

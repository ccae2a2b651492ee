"""Batch normalization as one fused op, with the closed-form backward pass.

``nn.functional.batch_norm(..., fused=False)`` builds the same computation from primitive ops;
the tests show the two agree with each other and with finite differences.
"""

import numpy as np

from ..autograd.graph import Op


def update_running_statistics(running_mean, running_var, mean, var, m, momentum):
    """PyTorch's update, in place: ``running = (1 - momentum) * running + momentum * batch``,
    with the unbiased batch variance ``var * m / (m - 1)`` (``var`` is the biased one over ``m``
    values) for ``running_var``. Shared by the fused op and the primitive-op version."""
    running_mean *= 1 - momentum
    running_mean += momentum * mean.reshape(-1)
    running_var *= 1 - momentum
    running_var += momentum * var.reshape(-1) * (m / (m - 1))


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
        dL/dx     = gamma / (m * sqrt(var + eps)) * (m * g - sum(g) - x_hat * sum(g * x_hat))

    The last line is the article's three-path chain rule (through ``x_hat`` directly, through
    ``var`` and through ``mean``) with ``dL/dvar`` and ``dL/dmean`` substituted in and
    simplified: every input reaches every output of its channel through the shared statistics.
    In evaluation the statistics are constants and ``dL/dx = g * gamma / sqrt(var + eps)``.
    """

    __slots__ = ("eps", "momentum", "training", "running_mean", "running_var", "axes")
    arguments = ("eps", "training")

    def __init__(self, eps=1e-5, momentum=0.1, training=True, running_mean=None, running_var=None):
        self.eps, self.momentum, self.training = eps, momentum, training
        self.running_mean, self.running_var = running_mean, running_var

    def forward(self, x, gamma, beta):
        self.axes = (0,) if x.ndim == 2 else (0, 2)
        shape = (1, -1) if x.ndim == 2 else (1, -1, 1)  # per-channel arrays broadcast over x
        if self.training:
            m = x.size // x.shape[1]
            # np.add.reduce rather than .mean(): the same sums without mean's Python wrapper
            mean = np.add.reduce(x, axis=self.axes, keepdims=True) / m
            centred = x - mean
            var = np.add.reduce(centred * centred, axis=self.axes, keepdims=True) / m
            if self.running_mean is not None:
                update_running_statistics(self.running_mean._array, self.running_var._array,
                                          mean, var, m, self.momentum)
        else:
            mean = self.running_mean._array.reshape(shape)
            var = self.running_var._array.reshape(shape)
            centred = x - mean
        inv_std = 1 / np.sqrt(var + self.eps)
        x_hat = centred * inv_std
        self.saved = (x_hat, inv_std, gamma.reshape(shape))
        return x_hat * gamma.reshape(shape) + beta.reshape(shape)

    def backward(self, grad_output):
        x_hat, inv_std, gamma = self.saved
        needs_x, needs_gamma, needs_beta = self.needs_input_grad
        sum_g = np.add.reduce(grad_output, axis=self.axes, keepdims=True)
        sum_g_xhat = np.add.reduce(grad_output * x_hat, axis=self.axes, keepdims=True)
        grad_x = None
        if needs_x:
            if self.training:
                m = grad_output.size // grad_output.shape[1]
                grad_x = (gamma * inv_std / m) * (m * grad_output - sum_g - x_hat * sum_g_xhat)
            else:
                grad_x = grad_output * (gamma * inv_std)
        return (
            grad_x,
            sum_g_xhat.reshape(-1) if needs_gamma else None,
            sum_g.reshape(-1) if needs_beta else None,
        )

"""``CrossMapLRN2d``: Torch7's cross-channel local response normalization, as PyTorch's
``nn.CrossMapLRN2d`` still computes it (its own forward and backward, which are not those of
``local_response_norm``)."""

import numpy as np

from ..autograd.graph import Op


class CrossMapLRN2d(Op):
    """Cross-channel LRN of a 4-D ``(N, C, H, W)`` input, transcribed from PyTorch's
    ``torch.nn.modules._functions.CrossMapLRN2d`` (Torch7's ``SpatialCrossMapLRN``):
    ``output = input * scale ** -beta`` with ``scale[c] = k + alpha / size * (sum of
    input**2 over a window of channels)``.

    The window is PyTorch's running sum, quirk included: channel 0 sums channels ``0 ..
    pre_pad - 1`` (``pre_pad = int((size - 1) / 2 + 1)``); each next channel adds channel ``c +
    pre_pad - 1`` (while it exists) and drops channel ``c - pre_pad`` only once ``c > pre_pad``,
    so channel 0 is never dropped. The backward is PyTorch's closed form ``scale ** -beta *
    grad - 2 * alpha * beta / size * input * sum(grad * output / scale)``, the sum over
    channels ``c - inverse_pre_pad .. c - inverse_pre_pad + size - 1`` (``inverse_pre_pad =
    int(size - (size - 1) / 2)``), as its padded buffer lays them out. Like PyTorch's, it is
    not the exact gradient of the forward above once the input has more than one channel
    (PyTorch's own fails ``gradcheck`` there); ``size=1`` fails in backward with PyTorch's
    error."""

    __slots__ = ("size", "alpha", "beta", "k")
    arguments = ("size", "alpha", "beta", "k")

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1):
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        if input.ndim != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.ndim}D "
                             "instead.")
        channels = input.shape[1]
        square = input * input
        scale = np.empty_like(input)
        pre_pad = int((self.size - 1) / 2 + 1)
        scale[:, 0] = square[:, :min(pre_pad, channels)].sum(axis=1)
        for c in range(1, channels):
            scale[:, c] = scale[:, c - 1]
            if c < channels - pre_pad + 1:
                scale[:, c] += square[:, c + pre_pad - 1]
            if c > pre_pad:
                scale[:, c] -= square[:, c - pre_pad]
        scale *= input.dtype.type(self.alpha / self.size)
        scale += input.dtype.type(self.k)
        output = scale ** input.dtype.type(-self.beta) * input
        if self.needs_input_grad:
            self.saved = (input, output, scale)
        return output

    def backward(self, grad_output):
        input, output, scale = self.saved
        size, channels = self.size, input.shape[1]
        dtype = input.dtype.type
        grad_input = scale ** dtype(-self.beta) * grad_output
        # ratio[c] = grad * output / scale, placed at row c + inverse_pre_pad of a buffer of
        # channels + size - 1 rows, as PyTorch's padded_ratio
        inverse_pre_pad = int(size - (size - 1) / 2)
        if inverse_pre_pad + channels > channels + size - 1:  # size 1: PyTorch's narrow fails
            raise RuntimeError(f"start ({inverse_pre_pad}) + length ({channels}) exceeds "
                               f"dimension size ({channels + size - 1}).")
        padded = np.zeros((input.shape[0], channels + size - 1) + input.shape[2:],
                          dtype=input.dtype)
        padded[:, inverse_pre_pad:inverse_pre_pad + channels] = grad_output * output / scale
        accumulated = padded[:, :size - 1].sum(axis=1)
        cache_ratio = dtype(2 * self.alpha * self.beta / size)
        for c in range(channels):
            accumulated += padded[:, c + size - 1]
            grad_input[:, c] -= cache_ratio * input[:, c] * accumulated
            accumulated -= padded[:, c]
        return (grad_input,)

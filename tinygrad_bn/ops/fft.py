"""The discrete Fourier transforms behind ``tinygrad_bn.fft``: complex to complex, real to
complex (one-sided) and complex (one-sided) to real, over any dims, each with a fixed scale.

NumPy's ``pocketfft`` computes in complex128 (float64); results are cast to the input's
precision (complex64 for float32 inputs), as PyTorch returns them. Each op first resizes its
input along the transformed dims to the signal sizes (trimming, or padding with zeros: PyTorch's
``n``/``s``), so that its gradient undoes the resize too (the adjoint of a trim is a pad with
zeros, and of a pad a trim).

Gradients follow PyTorch's formulas (``fft_r2c_backward``, ``fft_c2r_backward`` and the c2c
transform's own adjoint), in its convention for complex gradients (``complex_backward``):

- c2c, ``y = scale * F x``: ``grad_x = scale * F^H grad_y``, the transform in the other
  direction, unnormalized, times the same scale.
- r2c (one-sided), ``y = scale * (F x)[..., :n//2 + 1]``: the gradient padded with zeros to
  ``n`` along the last dim, transformed back as c2c, real part.
- c2r, ``x = scale * C2R(X)`` (the one-sided ``X`` completed by Hermitian symmetry): the r2c
  transform of ``grad_x`` times the scale, with the entries whose mirror image lies outside
  the one-sided half (indices ``1 .. n - (n//2 + 1)`` of the last dim) doubled.
"""

import numpy as np

from ..autograd.graph import Op


def _resized(array, axes, sizes):
    """``array`` trimmed or padded with zeros along ``axes`` to ``sizes``."""
    index, pads, needs_pad = [slice(None)] * array.ndim, [(0, 0)] * array.ndim, False
    for axis, size in zip(axes, sizes):
        have = array.shape[axis]
        if size < have:
            index[axis] = slice(0, size)
        elif size > have:
            pads[axis] = (0, size - have)
            needs_pad = True
    array = array[tuple(index)]
    return np.pad(array, pads) if needs_pad else array


def _complex_of(dtype):
    return np.complex128 if dtype in (np.float64, np.complex128) else np.complex64


def _real_of(dtype):
    return np.float64 if dtype in (np.float64, np.complex128) else np.float32


class FFTC2C(Op):
    """``scale * fftn(x)`` (``forward``) or ``scale * n * ifftn(x)`` (not ``forward``: the
    unnormalized inverse) over ``dims``, the input resized to ``sizes`` first."""

    __slots__ = ("dims", "sizes", "forward_direction", "scale", "input_shape")
    arguments = ("dims", "sizes", "forward_direction", "scale")
    supports_complex = True
    complex_backward = True

    def __init__(self, dims, sizes, forward_direction, scale):
        self.dims, self.sizes = dims, sizes
        self.forward_direction, self.scale = forward_direction, scale

    def forward(self, a):
        self.input_shape = a.shape
        return _c2c(_resized(a, self.dims, self.sizes), self.dims, self.forward_direction,
                    self.scale).astype(_complex_of(a.dtype), copy=False)

    def backward(self, grad_output):
        grad = _c2c(grad_output, self.dims, not self.forward_direction, self.scale)
        grad = _resized(grad, self.dims, [self.input_shape[d] for d in self.dims])
        return (grad.astype(grad_output.dtype, copy=False),)

    def tensor_backward(self, grad_output):
        return (FFTC2C.apply(grad_output, dims=self.dims,
                             sizes=tuple(self.input_shape[d] for d in self.dims),
                             forward_direction=not self.forward_direction, scale=self.scale),)


def _c2c(array, axes, forward_direction, scale):
    if not axes:
        return array * scale
    if forward_direction:
        out = np.fft.fftn(array, axes=axes, norm="backward")
    else:
        out = np.fft.ifftn(array, axes=axes, norm="forward")
    return out * scale if scale != 1 else out


class FFTR2C(Op):
    """``scale * rfftn(x)`` over ``dims`` (the last of them one-sided, ``n//2 + 1`` long) of a
    real input resized to ``sizes`` first."""

    __slots__ = ("dims", "sizes", "scale", "input_shape")
    arguments = ("dims", "sizes", "scale")
    supports_complex = True
    complex_backward = True

    def __init__(self, dims, sizes, scale):
        self.dims, self.sizes, self.scale = dims, sizes, scale

    def forward(self, a):
        self.input_shape = a.shape
        out = np.fft.rfftn(_resized(a, self.dims, self.sizes), axes=self.dims)
        if self.scale != 1:
            out *= self.scale
        return out.astype(_complex_of(a.dtype), copy=False)

    def backward(self, grad_output):
        last = self.dims[-1]
        full = _resized(grad_output, (last,), (self.sizes[-1],))
        grad = np.fft.ifftn(full, axes=self.dims, norm="forward").real
        if self.scale != 1:
            grad *= self.scale
        grad = _resized(grad, self.dims, [self.input_shape[d] for d in self.dims])
        return (grad.astype(_real_of(grad_output.dtype), copy=False),)

    def tensor_backward(self, grad_output):
        last = self.dims[-1]
        full = _tensor_resized(grad_output, (last,), (self.sizes[-1],))
        grad = FFTC2C.apply(full, dims=self.dims, sizes=tuple(full.shape[d] for d in self.dims),
                            forward_direction=False, scale=self.scale).real
        return (_tensor_resized(grad, self.dims, [self.input_shape[d] for d in self.dims]),)


class FFTC2R(Op):
    """``scale * C2R(X)`` over ``dims``: the unnormalized inverse transform of the Hermitian
    signal whose one-sided half is ``X`` along the last dim, a real result of ``sizes``
    (the last one ``n``: ``X`` is resized to ``n//2 + 1`` along it, the others to theirs)."""

    __slots__ = ("dims", "sizes", "scale", "input_shape")
    arguments = ("dims", "sizes", "scale")
    supports_complex = True
    complex_backward = True

    def __init__(self, dims, sizes, scale):
        self.dims, self.sizes, self.scale = dims, sizes, scale

    def _half_sizes(self):
        return self.sizes[:-1] + (self.sizes[-1] // 2 + 1,)

    def forward(self, a):
        self.input_shape = a.shape
        half = _resized(a, self.dims, self._half_sizes())
        out = np.fft.irfftn(half, s=self.sizes, axes=self.dims, norm="forward")
        if self.scale != 1:
            out *= self.scale
        return out.astype(_real_of(a.dtype), copy=False)

    def backward(self, grad_output):
        grad = np.fft.rfftn(grad_output, axes=self.dims)
        if self.scale != 1:
            grad *= self.scale
        last, n = self.dims[-1], self.sizes[-1]
        doubled = n - (n // 2 + 1)
        if doubled > 0:
            index = [slice(None)] * grad.ndim
            index[last] = slice(1, 1 + doubled)
            grad[tuple(index)] *= 2
        grad = _resized(grad, self.dims, [self.input_shape[d] for d in self.dims])
        return (grad.astype(_complex_of(grad_output.dtype), copy=False),)

    def tensor_backward(self, grad_output):
        grad = FFTR2C.apply(grad_output, dims=self.dims, sizes=self.sizes, scale=self.scale)
        last, n = self.dims[-1], self.sizes[-1]
        doubled = n - (n // 2 + 1)
        if doubled > 0:
            factor = np.ones(grad.shape[last], dtype=_real_of(grad_output.dtype))
            factor[1:1 + doubled] = 2
            shape = [1] * grad.ndim
            shape[last] = -1
            grad = grad * type(grad)._make(factor.reshape(shape), None)
        return (_tensor_resized(grad, self.dims, [self.input_shape[d] for d in self.dims]),)


def _tensor_resized(tensor, dims, sizes):
    """``_resized`` on a Tensor, with differentiable ops (``narrow``, ``cat`` with zeros): for
    the ``tensor_backward`` formulas."""
    from ..tensor.shape import cat  # the tensor package builds on the ops: imported on use

    for dim, size in zip(dims, sizes):
        have = tensor.shape[dim]
        if size < have:
            tensor = tensor.narrow(dim, 0, size)
        elif size > have:
            shape = list(tensor.shape)
            shape[dim] = size - have
            tensor = cat([tensor, tensor.new_zeros(shape)], dim)
    return tensor


"""``tinygrad_bn.fft``: PyTorch's ``torch.fft`` (discrete Fourier transforms), on NumPy's FFT.

Every transform takes PyTorch's arguments: a signal length ``n`` (1-D) or sizes ``s`` (n-D; the
input is trimmed or padded with zeros to it, ``-1`` keeping a dim's size), the ``dim`` or
``dim`` tuple (n-D default: the dims ``s`` covers, else all; the 2-D ones ``(-2, -1)``) and
``norm``: ``"backward"`` (the default: the forward transform unscaled, the inverse divided by
the signal size ``N``), ``"ortho"`` (both divided by ``sqrt(N)``) or ``"forward"`` (the
forward divided by ``N``). Results have PyTorch's dtypes: a float32 (or integer, or bool)
signal gives complex64, float64 complex128, and the real results of ``irfft``/``hfft`` are
float32 or float64; float16 is refused, as PyTorch's CPU FFT refuses it.

- ``fft``/``ifft``, ``fft2``/``ifft2``, ``fftn``/``ifftn``: complex to complex.
- ``rfft``/``rfft2``/``rfftn``: a real signal's one-sided spectrum (the last dim ``n//2 + 1``
  long); ``irfft``/``irfft2``/``irfftn`` invert it (output length ``n``, by default
  ``2 * (m - 1)`` for an input of length ``m``).
- ``hfft``/``hfft2``/``hfftn``: the real spectrum of a Hermitian signal given by its one-sided
  half, ``irfft`` of the conjugate with the forward transform's scale; ``ihfft``/``ihfft2``/
  ``ihfftn`` invert it: the conjugate of ``rfft`` with the inverse's scale.
- ``fftfreq``, ``rfftfreq``: the sample frequencies; ``fftshift``, ``ifftshift``: the zero
  frequency rolled to the middle and back.

The transforms and the frequencies take PyTorch's keyword-only ``out=``.

Every transform is differentiable with PyTorch's gradients (see ``ops/fft.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from . import dtypes
from .autocast_state import float32_op
from .dtypes import DTypeLike
from .ops.fft import FFTC2C, FFTC2R, FFTR2C
from .shapes import normalize_dim
from .tensor import Tensor
from .tensor.arguments import _tensor_argument
from .tensor.out_argument import EXACT, with_out

__all__ = [
    "fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2",
    "rfftn", "irfftn", "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn", "fftfreq",
    "rfftfreq", "fftshift", "ifftshift",
]

_NORMS = (None, "backward", "ortho", "forward")


def _signal(input, name, real=False):
    """``input`` checked as PyTorch's FFTs check it: a Tensor, not float16; integers and bools
    in the default float dtype; a complex one refused where a real signal is wanted."""
    _tensor_argument(input, f"fft_{name}", "input", 0)
    dtype = input._array.dtype
    if dtype is dtypes.float16:
        raise RuntimeError("Unsupported dtype Half")
    if real and dtype.kind == "c":
        raise RuntimeError(f"{name} expects a real input tensor, but got "
                           f"{dtypes.scalar_type_name(dtype)}")
    if dtype.kind not in "fc":
        input = input.to(dtypes.get_default_dtype())
    return input


def _scale(norm, size, forward_direction):
    """The factor a transform over ``size`` points is scaled by under ``norm``."""
    if norm not in _NORMS:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    if norm == "ortho":
        return 1 / math.sqrt(size) if size else 1.0
    divides = (norm == "forward") if forward_direction else (norm in (None, "backward"))
    return 1 / size if divides and size else 1.0


def _check_points(n):
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return n


def _one_dim(input, n, dim, norm):
    """The (dims, sizes) of a 1-D transform (``n`` points along ``dim``)."""
    _scale(norm, 1, True)  # the mode is checked before the dims, as PyTorch
    d = normalize_dim(dim, input.ndim, wrap_scalar=False)
    size = input.shape[d] if n is None else _check_points(int(n))
    return (d,), (size,)


def _many_dims(input, s, dim, norm, default_dim=None):
    """The (dims, sizes) of an n-D transform, PyTorch's rules for ``s`` and ``dim``."""
    _scale(norm, 1, True)
    ndim = input.ndim
    if dim is None and default_dim is not None and s is None:
        dim = default_dim
    if dim is not None:
        dim = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        dims = tuple(normalize_dim(d, ndim, wrap_scalar=False) for d in dim)
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
        if s is not None and len(s) != len(dims):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
    elif s is not None:
        if len(s) > ndim:
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has "
                               f"{ndim} dimensions.")
        dims = tuple(range(ndim - len(s), ndim))
    else:
        dims = tuple(range(ndim))
    if s is None:
        sizes = tuple(input.shape[d] for d in dims)
    else:
        sizes = tuple(input.shape[d] if int(size) == -1 else _check_points(int(size))
                      for d, size in zip(dims, s))
    return dims, sizes


def _c2c(input, dims, sizes, norm, forward_direction):
    scale = _scale(norm, math.prod(sizes), forward_direction)
    return FFTC2C.apply(input, dims=dims, sizes=sizes, forward_direction=forward_direction,
                        scale=scale)


def _r2c(input, dims, sizes, norm, forward_direction):
    scale = _scale(norm, math.prod(sizes), forward_direction)
    return FFTR2C.apply(input, dims=dims, sizes=sizes, scale=scale)


def _c2r_sizes(input, dims, sizes, given):
    """The output sizes of a complex-to-real transform: the last dim ``2 * (m - 1)`` unless
    given, the others as ``_many_dims`` resolved them."""
    if given is None or given[-1] == -1:
        last = 2 * (input.shape[dims[-1]] - 1)
        _check_points(last)
        sizes = sizes[:-1] + (last,)
    return sizes


def _c2r(input, dims, sizes, norm, forward_direction):
    scale = _scale(norm, math.prod(sizes), forward_direction)
    return FFTC2R.apply(input, dims=dims, sizes=sizes, scale=scale)


# ---------------------------------------------------------------------- complex to complex


def fft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """The 1-D discrete Fourier transform along ``dim``: ``X[k] = sum_j x[j] exp(-2 pi i jk /
    n)``."""
    input = _signal(input, "fft")
    dims, sizes = _one_dim(input, n, dim, norm)
    return _c2c(input, dims, sizes, norm, True)


def ifft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """The inverse of ``fft``: ``x[j] = sum_k X[k] exp(2 pi i jk / n) / n`` (``norm``
    "backward")."""
    input = _signal(input, "ifft")
    dims, sizes = _one_dim(input, n, dim, norm)
    return _c2c(input, dims, sizes, norm, False)


def fftn(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] | None = None,
         norm: str | None = None) -> Tensor:
    """``fft`` over several dims (all by default)."""
    input = _signal(input, "fftn")
    dims, sizes = _many_dims(input, s, dim, norm)
    return _c2c(input, dims, sizes, norm, True)


def ifftn(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] | None = None,
          norm: str | None = None) -> Tensor:
    """``ifft`` over several dims (all by default)."""
    input = _signal(input, "ifftn")
    dims, sizes = _many_dims(input, s, dim, norm)
    return _c2c(input, dims, sizes, norm, False)


def fft2(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] = (-2, -1),
         norm: str | None = None) -> Tensor:
    """``fftn`` over the last two dims (or ``dim``)."""
    return fftn(input, s, dim, norm)


def ifft2(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] = (-2, -1),
          norm: str | None = None) -> Tensor:
    """``ifftn`` over the last two dims (or ``dim``)."""
    return ifftn(input, s, dim, norm)


# ---------------------------------------------------------------------- real signals


def rfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """``fft`` of a real signal, one-sided: the ``n//2 + 1`` non-negative frequencies (the
    others are their conjugates)."""
    input = _signal(input, "rfft", real=True)
    dims, sizes = _one_dim(input, n, dim, norm)
    return _r2c(input, dims, sizes, norm, True)


def irfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """The inverse of ``rfft``: the real signal of length ``n`` (default ``2 * (m - 1)``)
    whose one-sided spectrum is ``input`` (resized to ``n//2 + 1``; the imaginary parts of
    the zero and Nyquist frequencies are ignored)."""
    input = _signal(input, "irfft")
    d = normalize_dim(dim, input.ndim, wrap_scalar=False)
    _scale(norm, 1, True)
    size = 2 * (input.shape[d] - 1) if n is None else int(n)
    _check_points(size)
    return _c2r(input, (d,), (size,), norm, False)


def rfftn(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] | None = None,
          norm: str | None = None) -> Tensor:
    """``rfft`` over several dims: one-sided along the last of them."""
    input = _signal(input, "rfftn", real=True)
    dims, sizes = _many_dims(input, s, dim, norm)
    return _r2c(input, dims, sizes, norm, True)


def irfftn(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] | None = None,
           norm: str | None = None) -> Tensor:
    """The inverse of ``rfftn``; the last dim's output size is ``2 * (m - 1)`` unless ``s``
    gives it."""
    input = _signal(input, "irfftn")
    dims, sizes = _many_dims(input, s, dim, norm)
    sizes = _c2r_sizes(input, dims, sizes, s)
    return _c2r(input, dims, sizes, norm, False)


def rfft2(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] = (-2, -1),
          norm: str | None = None) -> Tensor:
    """``rfftn`` over the last two dims (or ``dim``)."""
    return rfftn(input, s, dim, norm)


def irfft2(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] = (-2, -1),
           norm: str | None = None) -> Tensor:
    """``irfftn`` over the last two dims (or ``dim``)."""
    return irfftn(input, s, dim, norm)


# ---------------------------------------------------------------------- Hermitian signals


def hfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """The (real) ``fft`` of a Hermitian signal given by its one-sided half: ``irfft`` of the
    conjugate, scaled as a forward transform (unscaled under "backward")."""
    input = _signal(input, "hfft")
    d = normalize_dim(dim, input.ndim, wrap_scalar=False)
    _scale(norm, 1, True)
    size = 2 * (input.shape[d] - 1) if n is None else int(n)
    _check_points(size)
    return _c2r(input.conj(), (d,), (size,), norm, True)


def ihfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """The inverse of ``hfft``: the one-sided half of ``ifft`` of a real signal (the
    conjugate of ``rfft``, scaled as an inverse transform)."""
    input = _signal(input, "ihfft", real=True)
    dims, sizes = _one_dim(input, n, dim, norm)
    return _r2c(input, dims, sizes, norm, False).conj_physical()


def hfftn(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] | None = None,
          norm: str | None = None) -> Tensor:
    """``hfft`` over several dims: the input is one-sided along the last of them."""
    input = _signal(input, "hfftn")
    dims, sizes = _many_dims(input, s, dim, norm)
    sizes = _c2r_sizes(input, dims, sizes, s)
    return _c2r(input.conj(), dims, sizes, norm, True)


def ihfftn(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] | None = None,
           norm: str | None = None) -> Tensor:
    """The inverse of ``hfftn``: one-sided along the last of the dims."""
    input = _signal(input, "ihfftn", real=True)
    dims, sizes = _many_dims(input, s, dim, norm)
    return _r2c(input, dims, sizes, norm, False).conj_physical()


def hfft2(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] = (-2, -1),
          norm: str | None = None) -> Tensor:
    """``hfftn`` over the last two dims (or ``dim``)."""
    return hfftn(input, s, dim, norm)


def ihfft2(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] = (-2, -1),
           norm: str | None = None) -> Tensor:
    """``ihfftn`` over the last two dims (or ``dim``)."""
    return ihfftn(input, s, dim, norm)


# ---------------------------------------------------------------------- helpers


def fftfreq(n: int, d: float = 1.0, *, dtype: DTypeLike | None = None, layout=None,
            device=None,
            requires_grad: bool = False) -> Tensor:
    """The sample frequencies of an ``n``-point ``fft`` with sample spacing ``d``: ``[0, 1,
    ..., (n - 1) // 2, -(n // 2), ..., -1] / (n * d)``, computed as PyTorch does (the integers
    times ``1 / (n * d)`` in ``dtype``)."""
    counts = np.concatenate((np.arange((n + 1) // 2), np.arange(-(n // 2), 0)))
    return _frequencies(counts, n, d, dtype, requires_grad, "fftfreq")


def rfftfreq(n: int, d: float = 1.0, *, dtype: DTypeLike | None = None, layout=None,
             device=None,
             requires_grad: bool = False) -> Tensor:
    """The sample frequencies of an ``n``-point ``rfft``: ``[0, 1, ..., n // 2] / (n * d)``."""
    return _frequencies(np.arange(n // 2 + 1), n, d, dtype, requires_grad, "rfftfreq")


def _frequencies(counts, n, d, dtype, requires_grad, name):
    dtype = dtypes.get_default_dtype() if dtype is None else dtypes.canonical(dtype)
    if dtype.kind not in "fc":
        raise RuntimeError(f"{name} requires a floating point or complex dtype")
    step = 1.0 / (n * d) if n * d else math.inf  # no elements when n is 0
    with np.errstate(invalid="ignore"):  # 0 * inf: PyTorch's NaN for rfftfreq(0)
        values = counts.astype(dtype) * np.asarray(step, dtype=dtype)
    result = Tensor(values.astype(dtype, copy=False), requires_grad=requires_grad)
    return result


def fftshift(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """``input`` rolled by half its size along ``dim`` (all dims by default), the zero
    frequency of an ``fft`` to the middle."""
    return _shift(input, dim, lambda size: size // 2)


def ifftshift(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """The inverse of ``fftshift``: rolled back by ``(size + 1) // 2``."""
    return _shift(input, dim, lambda size: (size + 1) // 2)


def _shift(input, dim, amount):
    if dim is None:
        dims = tuple(range(input.ndim))
    else:
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if not dims:
        return input.clone()
    shifts = tuple(amount(input.shape[d]) for d in dims)
    return input.roll(shifts, dims)


# PyTorch's out= (tensor/out_argument.py): the transforms write a result of out's own dtype.
# Under CPU autocast they run in float32, as PyTorch lists its fft_* ops (autocast_state.py).
fft, ifft, fftn, ifftn, fft2, ifft2 = (with_out(float32_op(f), dtype=EXACT) for f in (
    fft, ifft, fftn, ifftn, fft2, ifft2))
rfft, irfft, rfftn, irfftn, rfft2, irfft2 = (with_out(float32_op(f), dtype=EXACT) for f in (
    rfft, irfft, rfftn, irfftn, rfft2, irfft2))
hfft, ihfft, hfftn, ihfftn, hfft2, ihfft2 = (with_out(float32_op(f), dtype=EXACT) for f in (
    hfft, ihfft, hfftn, ihfftn, hfft2, ihfft2))
fftfreq, rfftfreq = with_out(fftfreq), with_out(rfftfreq)

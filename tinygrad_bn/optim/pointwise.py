"""The in-place tensor ops PyTorch's single-tensor optimizer loops call, rounded as its CPU
kernels round them, so that an optimizer written with them steps to PyTorch's bits: ``add``
with ``alpha``, ``lerp_`` and ``addcmul_`` are one fused multiply-add each (rounded once), and
``addcdiv_`` is ``a + (value * b) / c`` (rounded three times, in that order). Each claim was
checked bit for bit against PyTorch 2.13 on float32 and float64 arrays of 1 to 1,000 elements
(two roundings instead of one differed in about a fifth of the elements). What remains
apart: PyTorch's CPU ``sqrt`` (MKL's vector sqrt) is not correctly rounded, and lands one
ulp from NumPy's on about one element in a hundred.

Adam, AdamW and SGD keep their own arithmetic (``adam.py``, ``sgd.py``, their flat fast paths),
which rounds ``add``'s ``alpha * b`` and ``lerp_`` twice and divides before scaling in
``addcdiv_``: results within a few ulps of PyTorch's, kept bit for bit as they were."""

from __future__ import annotations

import numpy as np

from ..ops.elementwise import fused_multiply_add

_FUSED = (np.dtype(np.float32), np.dtype(np.float64))


def _fma(x, y, z):
    """``x * y + z`` rounded once (float32 and float64, ``y`` a Python float taken in
    ``x``'s dtype); other dtypes (float16, where PyTorch computes in float32) rounded twice."""
    x = np.asarray(x)
    if x.dtype not in _FUSED:
        return x * y + z
    z = np.asarray(z)
    if z.dtype != x.dtype:  # (a gradient of another dtype than its parameter)
        dtype = np.result_type(x, z)
        x, z = x.astype(dtype), z.astype(dtype)
    return fused_multiply_add(x, x.dtype.type(y), z)


def add_scaled(a, b, alpha):
    """``a.add(b, alpha=alpha)``: ``a + alpha * b`` rounded once, a new array."""
    return _fma(b, alpha, a)


def add_scaled_(a, b, alpha):
    """``a.add_(b, alpha=alpha)`` in place."""
    a[...] = _fma(b, alpha, a)


def lerp_(start, end, weight):
    """``start.lerp_(end, weight)`` in place: ``start + weight * (end - start)`` for
    ``|weight| < 0.5``, else ``end + (weight - 1) * (end - start)``, each rounded once."""
    difference = np.asarray(end - start)
    if abs(weight) < 0.5:
        start[...] = _fma(difference, weight, start)
    else:
        start[...] = _fma(difference, weight - 1, end)


def addcmul_(a, b, c, value):
    """``a.addcmul_(b, c, value=value)`` in place: ``fma(value * b, c, a)``."""
    a[...] = _fma_product(b, c, value, a)


def _fma_product(b, c, value, a):
    """``(value * b) * c + a``, the product's last multiplication and the sum rounded once."""
    scaled = np.asarray(b * np.asarray(b).dtype.type(value))
    if scaled.dtype not in _FUSED:
        return scaled * c + a
    c, a = np.asarray(c), np.asarray(a)
    dtype = np.result_type(scaled, c, a)
    return fused_multiply_add(scaled.astype(dtype, copy=False), c.astype(dtype, copy=False),
                              a.astype(dtype, copy=False))


def addcdiv_(a, b, c, value):
    """``a.addcdiv_(b, c, value=value)`` in place: ``a + (value * b) / c``."""
    b = np.asarray(b)
    a += (b * b.dtype.type(value)) / c

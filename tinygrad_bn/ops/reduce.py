"""Reductions over dimensions (sum, mean, var, max, min, logsumexp) and the softmax family.

A reduction takes ``dim`` (a tuple of non-negative dims, or ``None`` for all, already
normalised by the Tensor method) and ``keepdim``. Backward first restores the reduced dims of
``grad_output`` (``_unreduce``), then broadcasts it over the input.
"""

import math

import numpy as np

from ..autograd.graph import Op
from .opmath import opmath, opmath_backward, widen
from ..shapes import reduced_count


def _unreduce(grad_output, dim, keepdim):
    """Give ``grad_output`` back the reduced dims as size 1, so it broadcasts over the input."""
    if dim is None or keepdim:
        return grad_output
    return np.expand_dims(grad_output, dim)


def _unreduce_tensor(grad_output, shape, dim, keepdim):
    """``_unreduce`` on a Tensor (``create_graph=True``): the reduced dims back as size 1."""
    if dim is None or keepdim:
        return grad_output
    dims = (dim,) if isinstance(dim, int) else dim
    return grad_output.reshape(tuple(1 if i in dims else size for i, size in enumerate(shape)))


def _routed(node, grad_output):
    """The gradient of a reduction that routes ``grad_output`` to chosen elements (max, min, an
    infinity norm), for ``create_graph=True``: the routing weights ``backward(ones)`` are
    constant almost everywhere, so the gradient is the unreduced ``grad_output`` times them."""
    ones = np.ones(grad_output.shape, grad_output._array.dtype)
    (weights,) = node.backward(ones)
    (a,) = node.inputs
    grad = _unreduce_tensor(grad_output, a.shape, node.dim, node.keepdim)
    return (grad * type(grad_output)._make(np.asarray(weights), None),)


def _drop_reduced(out, dim, keepdim):
    """Remove the size-1 dims a ``keepdims=True`` reduction left, unless ``keepdim``."""
    if keepdim:
        return out
    return out.reshape(()) if dim is None else np.squeeze(out, dim)


def _accumulator(a):
    """The dtype sums of ``a`` add up in: float32 for float16 (PyTorch's), else ``a``'s own
    (None)."""
    return np.float32 if a.dtype == np.float16 else None


_ONES = {}


def column_sums(array):
    """The sums over the rows of a matrix ``(N, C)``. For float32 and float64, a matrix-vector
    product with a vector of ones (BLAS): several times faster than ``array.sum(axis=0)`` at
    the sizes of a training batch, and as accurate (a blocked sum in the array's dtype rather
    than NumPy's pairwise one). Other dtypes sum as ``Sum`` does (float16 in float32).
    (The vector of ones is looked up first: only float32 and float64 ever have one, and the
    dtype tests cost more than the product at a batch's size.)"""
    ones = _ONES.get((len(array), array.dtype))
    if ones is None:
        if array.dtype != np.float32 and array.dtype != np.float64:
            return np.add.reduce(array, axis=0, dtype=_accumulator(array)).astype(array.dtype,
                                                                                 copy=False)
        if len(_ONES) > 64:  # many batch sizes: keep the memory bounded
            _ONES.clear()
        ones = _ONES[len(array), array.dtype] = np.ones(len(array), dtype=array.dtype)
        ones.flags.writeable = False
    return np.dot(ones, array)


def row_max(x):
    """The largest value of each row of ``(N, C)``, as ``(N, 1)``: reduced along the columns of
    a transposed copy for up to 64 columns. NumPy reduces along a short contiguous axis one
    row at a time (at 8,192 rows of 16, 180 us against 23 us for the copy and the column-wise
    reduction)."""
    if x.shape[1] > 64 or not x.shape[0]:
        return x.max(axis=1, keepdims=True)
    return np.ascontiguousarray(x.T).max(axis=0)[:, None]


def row_sums(x):
    """The sums of the rows of ``(N, C)``, as ``(N, 1)`` (a matrix-vector product with ones for
    float32 and float64, see ``column_sums``: at 8,192 rows of 16, 4 us against 80 us for
    ``x.sum(axis=1)``)."""
    return column_sums(x.T)[:, None]


class Sum(Op):
    """Sum over ``dim``. Gradient: ``grad_output`` broadcast back over the summed dims."""

    __slots__ = ("dim", "keepdim", "input_shape")
    is_linear = True  # create_graph: see autograd/higher_order.py
    arguments = ("dim", "keepdim")

    def __init__(self, dim=None, keepdim=False):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, a):
        self.input_shape = a.shape
        total = np.add.reduce(a, axis=self.dim, keepdims=self.keepdim, dtype=_accumulator(a))
        return np.asarray(total, dtype=a.dtype)

    def backward(self, grad_output):
        grad = _unreduce(grad_output, self.dim, self.keepdim)
        return (np.broadcast_to(grad, self.input_shape),)


class Mean(Op):
    """Mean over ``dim``. Gradient: ``grad_output / n`` broadcast back, ``n`` the count averaged."""

    __slots__ = ("dim", "keepdim", "input_shape")
    is_linear = True  # create_graph: see autograd/higher_order.py
    arguments = ("dim", "keepdim")

    def __init__(self, dim=None, keepdim=False):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, a):
        self.input_shape = a.shape
        total = np.add.reduce(a, axis=self.dim, keepdims=self.keepdim, dtype=_accumulator(a))
        return np.asarray(total / reduced_count(a.shape, self.dim), dtype=a.dtype)

    def backward(self, grad_output):
        count = reduced_count(self.input_shape, self.dim)
        grad = _unreduce(grad_output, self.dim, self.keepdim) / count
        return (np.broadcast_to(grad, self.input_shape),)


@opmath
class Var(Op):
    """Variance over ``dim``: ``sum((a - mean)**2) / (n - correction)``.

    ``correction=1`` is the unbiased estimate (PyTorch's default), ``correction=0`` the biased
    one batch norm normalises with. Gradient: ``grad_output * 2 * (a - mean) / (n - correction)``;
    the mean's own dependence on ``a`` drops out because the centred values sum to zero.
    """

    __slots__ = ("dim", "correction", "keepdim")
    arguments = ("dim", "correction", "keepdim")

    def __init__(self, dim=None, correction=1, keepdim=False):
        self.dim, self.correction, self.keepdim = dim, correction, keepdim

    def forward(self, a):
        count = reduced_count(a.shape, self.dim)
        centred = a - np.add.reduce(a, axis=self.dim, keepdims=True) / max(count, 1)
        divisor = max(reduced_count(a.shape, self.dim) - self.correction, 0)
        self.saved = (centred, divisor)
        with np.errstate(divide="ignore", invalid="ignore"):
            squares = np.add.reduce(centred * centred, axis=self.dim, keepdims=self.keepdim)
            return np.asarray(squares / divisor)

    def backward(self, grad_output):
        centred, divisor = self.saved[:2]
        with np.errstate(divide="ignore", invalid="ignore"):  # no degrees of freedom: nan
            scale = centred.dtype.type(np.float64(2) / divisor)  # in the input's precision
            return (_unreduce(grad_output, self.dim, self.keepdim) * centred * scale,)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        divisor = self.saved[1]
        centred = a - a.mean(dim=self.dim, keepdim=True)
        grad = _unreduce_tensor(grad_output, a.shape, self.dim, self.keepdim)
        return (grad * centred * (2.0 / divisor),)


@opmath
class Std(Var):
    """Standard deviation over ``dim``: ``sqrt(var)``, one node.

    Gradient: the variance's, fed ``grad_output / (2 * std)``, which is taken as 0 where the
    standard deviation is 0 (a constant input: PyTorch's convention, where ``sqrt``'s own
    derivative would be infinite and give nan). Without degrees of freedom (one value,
    unbiased) it is nan, as in PyTorch.
    """

    __slots__ = ()
    saves_output = True

    def forward(self, a):
        out = np.sqrt(super().forward(a))
        self.saved = self.saved + (out,)
        return out

    def backward(self, grad_output):
        out = self.saved[2]
        with np.errstate(divide="ignore", invalid="ignore"):
            grad_var = np.where(out == 0, 0, grad_output / (2 * out)).astype(out.dtype, copy=False)
        return super().backward(grad_var)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        divisor = self.saved[1]
        centred = a - a.mean(dim=self.dim, keepdim=True)
        std = Std.apply(a, dim=self.dim, correction=self.correction, keepdim=True)
        grad = _unreduce_tensor(grad_output, a.shape, self.dim, self.keepdim)
        return (grad * (centred / (std * divisor)).where(std != 0, 0.0),)


class _Extremum(Op):
    """Shared body of ``Max`` and ``Min``.

    Over all of ``dim`` (``dim`` None or a tuple) the gradient is shared evenly between tied
    extreme elements, as PyTorch does for ``amax``; along a single dim (an int, as in PyTorch's
    ``max(dim)`` that also returns indices) it goes to the first extreme element, the one
    ``argmax``/``argmin`` names.
    """

    __slots__ = ("dim", "keepdim")
    saves_output = True
    arguments = ("dim", "keepdim")
    reduce = staticmethod(np.max)
    arg_reduce = staticmethod(np.argmax)

    def __init__(self, dim=None, keepdim=False):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, a):
        if isinstance(self.dim, int):
            index = self.arg_reduce(a, axis=self.dim, keepdims=True)
            self.saved = (a.shape, index)
            out = np.take_along_axis(a, index, axis=self.dim)
            return _drop_reduced(out, self.dim, self.keepdim)
        out = self.reduce(a, axis=self.dim, keepdims=True)
        self.saved = (a, out)
        return _drop_reduced(out, self.dim, self.keepdim)

    def backward(self, grad_output):
        if isinstance(self.dim, int):
            shape, index = self.saved
            grad = np.zeros(shape, dtype=grad_output.dtype)
            g = grad_output if self.keepdim else np.expand_dims(grad_output, self.dim)
            np.put_along_axis(grad, index, g, axis=self.dim)
            return (grad,)
        a, out = self.saved
        is_extreme = a == out
        ties = is_extreme.sum(axis=self.dim, keepdims=True)
        grad = _unreduce(grad_output, self.dim, self.keepdim)
        return ((grad / ties.astype(grad.dtype)) * is_extreme,)

    def tensor_backward(self, grad_output):
        return _routed(self, grad_output)


class Max(_Extremum):
    __doc__ = "Maximum over ``dim``. " + _Extremum.__doc__
    __slots__ = ()


class Min(_Extremum):
    __doc__ = "Minimum over ``dim``. " + _Extremum.__doc__
    __slots__ = ()
    reduce = staticmethod(np.min)
    arg_reduce = staticmethod(np.argmin)


def _stable_logsumexp(a, dim):
    """``log(sum(exp(a)))`` over ``dim`` with the dims kept, shifted by the maximum so that
    nothing overflows; an all ``-inf`` slice gives ``-inf``, and so does an empty one (the sum of
    no terms is 0), as in PyTorch."""
    shift = np.max(a, axis=dim, keepdims=True, initial=-np.inf)  # initial: empty slices
    shift = np.where(np.isfinite(shift), shift, 0)
    with np.errstate(divide="ignore"):
        return shift + np.log(np.exp(a - shift).sum(axis=dim, keepdims=True))


class LogSumExp(Op):
    """``log(sum(exp(a)))`` over ``dim``, stable for large ``|a|``.

    Gradient: ``grad_output * softmax(a)``, i.e. ``grad_output * exp(a - out)``.
    """

    __slots__ = ("dim", "keepdim")
    saves_output = True
    arguments = ("dim", "keepdim")

    def __init__(self, dim=None, keepdim=False):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, a):
        out = _stable_logsumexp(a, self.dim)
        self.saved = (a, out)
        return _drop_reduced(out, self.dim, self.keepdim)

    def backward(self, grad_output):
        a, out = self.saved
        grad = _unreduce(grad_output, self.dim, self.keepdim)
        return (grad * np.exp(a - out),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        out = LogSumExp.apply(a, dim=self.dim, keepdim=True)
        grad = _unreduce_tensor(grad_output, a.shape, self.dim, self.keepdim)
        return (grad * (a - out).exp(),)


@opmath
class Softmax(Op):
    """``exp(a) / sum(exp(a))`` along ``dim``, shifted by the maximum along ``dim`` so that
    ``exp`` never overflows.

    Gradient (``s`` the output): ``s * (grad_output - sum(grad_output * s, dim))``.

    Along the last dim of a float32/float64 array (attention scores), the rows are one
    ``(rows, n)`` matrix: the maximum and the sums come from ``row_max`` and ``row_sums``
    (NumPy's own reductions along a short last axis take ten times as long), and both passes
    work in place on one fresh array.
    """

    __slots__ = ("dim",)
    saves_output = True
    arguments = ("dim",)

    def __init__(self, dim):
        self.dim = dim

    def forward(self, a):
        if _rows_along_last(a, self.dim):
            rows = a.reshape(-1, a.shape[-1])
            out = rows - row_max(rows)
            np.exp(out, out=out)
            out /= row_sums(out)
            out = out.reshape(a.shape)
        else:
            e = np.exp(a - np.max(a, axis=self.dim, keepdims=True, initial=-np.inf))
            out = e / e.sum(axis=self.dim, keepdims=True)
        self.saved = (out,)
        return out

    def backward(self, grad_output):
        (out,) = self.saved
        if _rows_along_last(out, self.dim) and grad_output.dtype == out.dtype:
            n = out.shape[-1]
            grad = grad_output * out
            grad -= out * row_sums(grad.reshape(-1, n)).reshape(*out.shape[:-1], 1)
            return (grad,)
        return (out * (grad_output - (grad_output * out).sum(axis=self.dim, keepdims=True)),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        out = Softmax.apply(a, dim=self.dim)
        return (out * (grad_output - (grad_output * out).sum(dim=self.dim, keepdim=True)),)


def _rows_along_last(a, dim):
    """Whether a softmax of ``a`` along ``dim`` can take ``Softmax``'s row-matrix path."""
    return (a.ndim >= 2 and dim == a.ndim - 1 and a.size > 0
            and (a.dtype == np.float32 or a.dtype == np.float64))


@opmath_backward
class LogSoftmax(Op):
    """``a - logsumexp(a)`` along ``dim``, stable for large ``|a|``: ``(a - max) -
    log(sum(exp(a - max)))``. float16 is computed in float32 as PyTorch's CPU kernels do: along
    the innermost dim (nothing after ``dim`` but size 1) its kernel stores the sum and then its
    log as float16 before subtracting, elsewhere everything stays float32 until the result.
    (PyTorch adds the sum in vector lanes: a float16 sum at a rounding boundary can round the
    other way, one float16 step in the result.)

    Gradient (``out`` the output): ``grad_output - exp(out) * sum(grad_output, dim)``.
    """

    __slots__ = ("dim",)
    saves_output = True
    arguments = ("dim",)

    def __init__(self, dim):
        self.dim = dim

    def forward(self, a):
        x = widen(a)
        shift = np.max(x, axis=self.dim, keepdims=True, initial=-np.inf)
        shift = np.where(np.isfinite(shift), shift, 0)
        innermost = math.prod(a.shape[self.dim + 1:]) == 1
        with np.errstate(divide="ignore"):
            shifted = x - shift
            total = np.exp(shifted).sum(axis=self.dim, keepdims=True)
            if a.dtype == np.float16 and innermost:  # PyTorch keeps the sum and its log in float16
                total = total.astype(np.float16).astype(np.float32)
                out = shifted - np.log(total).astype(np.float16).astype(np.float32)
            else:
                out = shifted - np.log(total)
        out = out.astype(a.dtype, copy=False)
        self.saved = (out,)
        return out

    def backward(self, grad_output):
        (out,) = self.saved
        # (float16 arrives here widened to float32 by @opmath_backward)
        return (grad_output - np.exp(out) * grad_output.sum(axis=self.dim, keepdims=True),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        out = LogSoftmax.apply(a, dim=self.dim)
        return (grad_output - out.exp() * grad_output.sum(dim=self.dim, keepdim=True),)


class Cumsum(Op):
    """Running sums along ``dim``. Gradient: the running sums of ``grad_output`` taken from
    the end."""

    __slots__ = ("dim",)
    is_linear = True  # create_graph: see autograd/higher_order.py
    arguments = ("dim",)

    def __init__(self, dim):
        self.dim = dim

    def forward(self, a):
        return np.cumsum(a, axis=self.dim, dtype=_accumulator(a)).astype(a.dtype, copy=False)

    def backward(self, grad_output):
        reversed_grad = np.flip(grad_output, self.dim)
        return (np.flip(np.cumsum(reversed_grad, axis=self.dim), self.dim),)


class Prod(Op):
    """The product over ``dim`` (all elements when None). Gradient: ``grad_output`` times the
    product of the *other* elements, found from products before and after each position, so
    zeros in the input are handled exactly (no division)."""

    __slots__ = ("dim", "keepdim")
    arguments = ("dim", "keepdim")

    def __init__(self, dim=None, keepdim=False):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, a):
        self.saved = (a,)
        if self.dim is None:
            return np.asarray(np.multiply.reduce(a, axis=None))
        return np.multiply.reduce(a, axis=self.dim, keepdims=self.keepdim)

    def backward(self, grad_output):
        (a,) = self.saved
        if a.size == 0:  # nothing to differentiate (an empty product is the constant 1)
            return (np.zeros(a.shape, dtype=grad_output.dtype),)
        flat = self.dim is None or a.ndim == 0  # a 0-d input reduces over its one element
        values = a.reshape(-1) if flat else a
        axis = 0 if flat else self.dim
        ones = np.ones_like(np.take(values, [0], axis=axis))
        before = np.cumprod(np.concatenate([ones, values], axis=axis), axis=axis)
        before = np.take(before, range(values.shape[axis]), axis=axis)
        after = np.flip(np.cumprod(np.flip(np.concatenate([values, ones], axis=axis), axis),
                                   axis=axis), axis)
        after = np.take(after, range(1, values.shape[axis] + 1), axis=axis)
        others = (before * after).reshape(a.shape)
        grad = grad_output if flat or self.keepdim else np.expand_dims(grad_output, self.dim)
        return (grad * others,)

    def tensor_backward(self, grad_output):
        """``grad_output * prod / a`` with Tensor operations (``create_graph=True``), for an
        input without zeros (PyTorch's exact formula for zeros is not followed: refused)."""
        (a,) = self.inputs
        if (a._array == 0).any():
            raise RuntimeError("the derivative of Prod's backward at an input with zeros is not "
                               "implemented in tinygrad_bn (create_graph=True needs it)")
        if self.dim is None:
            return (grad_output * (Prod.apply(a) / a),)
        grad = grad_output if self.keepdim else grad_output.unsqueeze(self.dim)
        return (grad * (Prod.apply(a, dim=self.dim, keepdim=True) / a),)


class Cumprod(Op):
    """Running products along ``dim``.

    Gradient: ``dL/da_k = sum over i >= k of grad_output_i * prod(a_j for j <= i, j != k)``.
    Without zeros in the input that is ``reverse_cumsum(grad_output * out) / a``; with zeros the
    sum is formed position by position (products before ``k`` times products after it), so the
    result stays exact, as PyTorch's.
    """

    __slots__ = ("dim",)
    saves_output = True
    arguments = ("dim",)

    def __init__(self, dim):
        self.dim = dim

    def forward(self, a):
        out = np.multiply.accumulate(a, axis=self.dim)
        self.saved = (a, out)
        return out

    def backward(self, grad_output):
        a, out = self.saved
        dim = self.dim
        if not (a == 0).any():
            reversed_sums = np.flip(np.cumsum(np.flip(grad_output * out, dim), axis=dim), dim)
            return (reversed_sums / a,)
        values = np.moveaxis(a, dim, -1)
        grads = np.moveaxis(grad_output, dim, -1)
        before = np.cumprod(np.concatenate([np.ones_like(values[..., :1]), values[..., :-1]],
                                           axis=-1), axis=-1)  # products of the a_j, j < k
        grad = np.empty_like(grads)
        for k in range(values.shape[-1]):
            after = np.cumprod(values[..., k + 1:], axis=-1)  # products of a_(k+1) .. a_i
            tail = grads[..., k + 1:] * after
            grad[..., k] = before[..., k] * (grads[..., k] + tail.sum(axis=-1))
        return (np.moveaxis(grad, -1, dim),)


class Norm(Op):
    """The vector ``p``-norm over ``dim``: ``sum(|a|**p) ** (1/p)``; ``p = inf`` is ``max |a|``,
    ``-inf`` is ``min |a|`` and ``0`` counts the non-zero elements (PyTorch's
    ``linalg.vector_norm``).

    Gradient (PyTorch's, with ``n`` the norm): ``grad_output * a * |a|**(p-2) / n**(p-1)``; 0
    where ``n`` is 0, so the norm of a zero vector has gradient 0 rather than NaN; ``sign(a)``
    for ``p = 1``; shared evenly between the elements of largest (smallest) magnitude for
    ``p = +-inf``; 0 for ``p = 0``.
    """

    __slots__ = ("dim", "keepdim", "p")
    saves_output = True
    arguments = ("p", "dim", "keepdim")

    def __init__(self, p=2.0, dim=None, keepdim=False):
        self.p, self.dim, self.keepdim = p, dim, keepdim

    def forward(self, a):
        p, dim = self.p, self.dim
        # float16 sums in float32, as PyTorch's (its squares overflow from |a| > 256 on)
        wide = widen(a)
        magnitude = np.abs(wide)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if p == 0:
                out = (a != 0).sum(axis=dim, keepdims=True).astype(a.dtype)
            elif p == np.inf:
                out = magnitude.max(axis=dim, keepdims=True)
            elif p == -np.inf:
                out = magnitude.min(axis=dim, keepdims=True)
            elif p == 1:
                out = magnitude.sum(axis=dim, keepdims=True)
            elif p == 2:
                out = np.sqrt((wide * wide).sum(axis=dim, keepdims=True))
            else:
                out = (magnitude**p).sum(axis=dim, keepdims=True) ** (1 / p)
        out = out.astype(a.dtype, copy=False)
        self.saved = (a, out)
        return _drop_reduced(out, dim, self.keepdim)

    def backward(self, grad_output):
        a, norm = self.saved
        p = self.p
        grad = _unreduce(grad_output, self.dim, self.keepdim)
        if p == 0:
            return (np.zeros(a.shape, dtype=grad.dtype),)
        if p == 1:
            return (grad * np.sign(a),)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if np.isinf(p):
                extreme = (np.abs(a) == norm) | np.isnan(a)
                shares = extreme.sum(axis=self.dim, keepdims=True)
                return (np.sign(a) * (grad / shares) * extreme,)
            if p == 2:
                return (grad * np.where(norm == 0, 0, a / norm),)
            if p < 1:
                scaled = np.sign(a) * np.where(a == 0, 0, np.abs(a) ** (p - 1))
                return (scaled * grad * norm ** (1 - p),)
            scaled = np.sign(a) * np.abs(a) ** (p - 1)
            return (scaled * np.where(norm == 0, 0, grad / norm ** (p - 1)),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        if self.p in (0, 1) or np.isinf(self.p):  # constant almost everywhere
            return _routed(self, grad_output)
        norm = Norm.apply(a, p=self.p, dim=self.dim, keepdim=True)
        grad = _unreduce_tensor(grad_output, a.shape, self.dim, self.keepdim)
        if self.p == 2:
            return (grad * (a / norm).where(norm != 0, 0.0),)
        local = a.sign() * a.abs() ** (self.p - 1) / norm ** (self.p - 1)
        return (grad * local.where(norm != 0, 0.0),)

"""Ops of complex numbers: the parts of a complex tensor (``real``, ``imag``, ``view_as_real``),
building one (``complex``, ``view_as_complex``), ``conj`` and ``angle``; and the table of the
other ops that compute complex results as PyTorch does.

Gradients follow PyTorch's convention ("Autograd for Complex Numbers" in its docs): for a real
loss ``L`` and ``z = x + iy``, the gradient is ``dL/dx + i dL/dy``, twice the conjugate
Wirtinger derivative ``dL/d(conj z)``. A holomorphic ``f`` passes back ``grad_output *
conj(f'(z))``; ``autograd.graph.complex_backward`` gets that from the ops written for real
numbers (their ``backward`` computes ``grad_output * f'(z)``) by conjugating around it. The ops
here are not holomorphic; each computes its gradient itself (``complex_backward = True``),
derived in its docstring.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..autograd.graph import Op
from . import assignment, elementwise, linalg, movement, padding, reduce, special, strided
from .derived import Derived


class Real(Op):
    """The real part of a complex tensor, a view sharing its memory (NumPy's ``.real``).
    Gradient: ``grad_output`` as a complex array with zero imaginary parts (the engine casts
    it to the input's dtype), since ``dL/dx = grad_output`` and ``dL/dy = 0``."""

    __slots__ = ()
    is_view = True
    complex_backward = True

    def forward(self, a):
        return a.real

    def backward(self, grad_output):
        return (grad_output,)

    def tensor_backward(self, grad_output):
        return (grad_output.to(self.inputs[0].dtype),)


class Imag(Op):
    """The imaginary part of a complex tensor, a view sharing its memory (NumPy's ``.imag``).
    Gradient: ``i * grad_output`` (``dL/dx = 0``, ``dL/dy = grad_output``)."""

    __slots__ = ()
    is_view = True
    complex_backward = True

    def forward(self, a):
        return a.imag

    def backward(self, grad_output):
        return (grad_output * 1j,)

    def tensor_backward(self, grad_output):
        return (grad_output * 1j,)


class ViewAsReal(Op):
    """A complex tensor of shape ``S`` as a real one of shape ``S + (2,)`` (real and imaginary
    parts last), a view sharing its memory as PyTorch's ``view_as_real``. Gradient: the last
    dim's two planes joined as ``g[..., 0] + i g[..., 1]``."""

    __slots__ = ()
    is_view = True
    complex_backward = True

    def forward(self, a):
        real = a.real
        return as_strided(real, shape=a.shape + (2,),
                          strides=a.strides + (real.itemsize,))

    def backward(self, grad_output):
        return (grad_output[..., 0] + 1j * grad_output[..., 1],)

    def tensor_backward(self, grad_output):
        from ..tensor.complex import complex
        return (complex(grad_output[..., 0], grad_output[..., 1]),)


class ViewAsComplex(Op):
    """A real tensor of shape ``S + (2,)`` read as a complex one of shape ``S``, a view sharing
    its memory as PyTorch's ``view_as_complex`` (the caller checks the last dim is 2 long and
    contiguous). Gradient: ``view_as_real(grad_output)``, the gradient's real and imaginary
    parts as the two planes."""

    __slots__ = ()
    is_view = True
    supports_complex = True
    complex_backward = True

    def forward(self, a):
        complex_dtype = np.complex128 if a.dtype == np.float64 else np.complex64
        return a.view(complex_dtype)[..., 0]

    def backward(self, grad_output):
        return (np.stack((grad_output.real, grad_output.imag), axis=-1),)

    def tensor_backward(self, grad_output):
        from ..tensor.complex import view_as_real
        return (view_as_real(grad_output),)


class Complex(Op):
    """``real + i imag`` from two real tensors of one dtype (broadcast), PyTorch's
    ``torch.complex``. Gradients: the real and imaginary parts of ``grad_output``."""

    __slots__ = ()
    supports_complex = True
    complex_backward = True

    def forward(self, real, imag):
        shape = np.broadcast_shapes(real.shape, imag.shape)
        out = np.empty(shape, np.complex128 if real.dtype == np.float64 else np.complex64)
        out.real = real
        out.imag = imag
        return out

    def backward(self, grad_output):
        needs_real, needs_imag = self.needs_input_grad
        return (np.ascontiguousarray(grad_output.real) if needs_real else None,
                np.ascontiguousarray(grad_output.imag) if needs_imag else None)

    def tensor_backward(self, grad_output):
        needs_real, needs_imag = self.needs_input_grad
        return (grad_output.real if needs_real else None,
                grad_output.imag if needs_imag else None)


class Conj(Op):
    """The complex conjugate ``x - iy``, a new array (PyTorch's ``conj_physical``; its lazy
    ``conj`` is this too, see ``Tensor.conj``). Gradient: ``conj(grad_output)``: with ``w =
    conj(z)``, ``dL/dx = dL/du`` and ``dL/dy = -dL/dv`` for ``w = u + iv``."""

    __slots__ = ()
    supports_complex = True
    complex_backward = True

    def forward(self, a):
        return np.conj(a)

    def backward(self, grad_output):
        return (np.conj(grad_output),)

    def tensor_backward(self, grad_output):
        return (grad_output.conj(),)


class Angle(Op):
    """The argument ``atan2(y, x)`` of each complex element, in ``(-pi, pi]``; of a real
    element pi where it is negative, 0 elsewhere (-0 too), NaN for NaN, as PyTorch. Gradient
    (PyTorch's ``angle_backward``): ``grad_output * i z / |z|**2``, 0 at ``z = 0``, from
    ``d angle/dx = -y/|z|**2`` and ``d angle/dy = x/|z|**2``; 0 for a real input."""

    __slots__ = ()
    complex_backward = True

    def forward(self, a):
        self.saved = (a,)
        if a.dtype.kind == "c":
            return np.angle(a)
        pi = np.asarray(np.pi, dtype=a.dtype)
        return np.where(np.isnan(a), a, np.where(a < 0, pi, np.zeros((), a.dtype)))

    def backward(self, grad_output):
        (a,) = self.saved
        if a.dtype.kind != "c":
            return (np.zeros_like(grad_output),)
        squared = a.real * a.real + a.imag * a.imag
        with np.errstate(divide="ignore", invalid="ignore"):
            grad = np.where(squared == 0, 0, grad_output * a * 1j / squared)
        return (grad.astype(a.dtype, copy=False),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        if a._array.dtype.kind != "c":
            return (grad_output * 0,)
        squared = a.real * a.real + a.imag * a.imag
        zero = squared == 0
        return ((grad_output * a * 1j / squared.masked_fill(zero, 1)).masked_fill(zero, 0),)


# Ops written for real numbers that compute complex values as PyTorch does: NumPy's ufuncs and
# reductions take complex arrays, and their ``backward`` is ``grad_output * f'(z)`` (holomorphic
# ops) or linear with real coefficients (movements, sums, casts), so the conjugation around it
# in ``complex_backward`` gives PyTorch's gradient. An op outside this table refuses a complex
# result (``Op.apply``): comparisons, extrema, rounding and the activations built on them have
# no complex meaning, and each of the others is added here once checked against PyTorch.
COMPUTES_COMPLEX = (
    elementwise.Add, elementwise.Sub, elementwise.Mul, elementwise.Div, elementwise.Neg,
    elementwise.Reciprocal, elementwise.Exp, elementwise.Log, elementwise.Sqrt,
    elementwise.Rsqrt, elementwise.Sin, elementwise.Cos, elementwise.Tan, elementwise.Sinh,
    elementwise.Cosh, elementwise.Tanh, elementwise.Log2, elementwise.Log10,
    elementwise.Asin, elementwise.Acos, elementwise.Atan, elementwise.Asinh,
    elementwise.Acosh, elementwise.Atanh, elementwise.Cast, elementwise.Where,
    elementwise.Pow, elementwise.Sigmoid, elementwise.Log1p, elementwise.Expm1,
    movement.Reshape, movement.Permute, movement.Expand, movement.GetItem, movement.Cat,
    movement.Stack, movement.Clone, movement.Flip, movement.Repeat, movement.Gather,
    movement.IndexSelect, movement.Roll, movement.Diag, movement.Diagonal,
    reduce.Sum, reduce.Mean, reduce.Cumsum, reduce.Prod, reduce.Cumprod, special.Exp2,
    linalg.MatMul, linalg.Einsum, linalg.Linear, padding.ConstantPad, movement.ScatterAdd,
    movement.IndexAdd,
    strided.AsStrided, strided.Unfold,
    assignment.Fill, assignment.Copy, assignment.SetItem, assignment.WriteThroughView,
    assignment.ReadView,
    Derived,
)
for _op in COMPUTES_COMPLEX:
    _op.supports_complex = True

# PyTorch's words for the ops it refuses complex tensors for ({dtype}: ``ComplexFloat``).
_CLAMP = "clamp is not supported for complex types"
REFUSALS = {
    elementwise.ReLU: _CLAMP, elementwise.Clamp: _CLAMP,
    elementwise.Floor: "floor is not supported for complex inputs",
    elementwise.Ceil: "ceil is not supported for complex inputs",
    elementwise.Round: "round is not supported for complex inputs",
    elementwise.Trunc: "trunc is not supported for complex inputs",
    elementwise.Sign: "Unlike NumPy, torch.sign is not intended to support complex numbers. "
                      "Please use torch.sgn instead.",
    elementwise.Maximum: (RuntimeError, "maximum not implemented for complex tensors."),
    elementwise.Minimum: (RuntimeError, "minimum not implemented for complex tensors."),
    elementwise.RoundedDiv: "\"div_floor_cpu\" not implemented for '{dtype}'",
    elementwise.Remainder: "\"remainder_cpu\" not implemented for '{dtype}'",
    elementwise.Fmod: "\"fmod_cpu\" not implemented for '{dtype}'",
    reduce.Max: "\"max_all\" not implemented for '{dtype}'",
    reduce.Min: "\"min_all\" not implemented for '{dtype}'",
}
for _op, _message in REFUSALS.items():
    _op.complex_refusal = _message

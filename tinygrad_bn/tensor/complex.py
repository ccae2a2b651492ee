"""Complex numbers: the parts of a complex tensor (``real``, ``imag``, ``view_as_real``),
building one (``complex``, ``polar``, ``view_as_complex``), conjugation, ``angle``, ``sgn`` and
the conversions ``cfloat``/``cdouble``.

A complex tensor holds a NumPy ``complex64`` or ``complex128`` array, so arithmetic, the
transcendental functions, ``matmul`` and sums compute on it as on real ones (see
``ops/complex_numbers.py`` for which ops do and how their gradients follow PyTorch's
convention). Where PyTorch keeps a lazy conjugate bit (``conj()`` is a view that reads
conjugated), this conjugates at once into new memory and remembers which tensors ``conj()``
made, so that ``is_conj`` answers as PyTorch's; writes to such a tensor do not reach the
original, unlike PyTorch's view.
"""

from __future__ import annotations

import builtins
import weakref
# ``bool`` and ``int`` are Tensor methods, so annotations use these:
from builtins import bool as _bool, int as _int

import numpy as np

from .. import dtypes, layouts
from ..ops.complex_numbers import Angle, Complex, Conj, Imag, Real, ViewAsComplex, ViewAsReal
from .arguments import _tensor_argument
from .core import Tensor

# Tensors ``conj()`` made, by id (a weak value: the entry goes with the tensor).
_CONJUGATED = weakref.WeakValueDictionary()


class ComplexMethods:
    """The complex-number methods of ``Tensor``, which takes them as its own (see
    ``tinygrad_bn/tensor/__init__.py``)."""

    def is_complex(self) -> _bool:
        """Whether the dtype is complex64 or complex128."""
        return self._array.dtype.kind == "c"

    def conj(self) -> Tensor:
        """The complex conjugate. A real tensor is its own, returned itself (as PyTorch). A
        complex one is conjugated into new memory (PyTorch returns a lazily conjugated view;
        ``is_conj()`` is True for both)."""
        if self._array.dtype.kind != "c":
            return self
        out = Conj.apply(self)
        _CONJUGATED[id(out)] = out
        return out

    def resolve_conj(self) -> Tensor:
        """A tensor with no conjugation pending: this one unless ``conj()`` made it, else a
        copy of it (with ``is_conj()`` False), as PyTorch's."""
        if _CONJUGATED.get(id(self)) is self:
            return self.clone()
        return self

    def conj_physical(self) -> Tensor:
        """The complex conjugate in new memory (``is_conj()`` False); a real tensor itself."""
        if self._array.dtype.kind != "c":
            return self
        return Conj.apply(self)

    def conj_physical_(self) -> Tensor:
        """Conjugate in place; nothing to write for a real tensor, which is returned."""
        if self._array.dtype.kind != "c":
            return self
        return self.copy_(self.conj_physical())

    def is_conj(self) -> _bool:
        """Whether ``conj()`` made this tensor from a complex one (PyTorch's conjugate bit)."""
        return _CONJUGATED.get(id(self)) is self

    @property
    def real(self) -> Tensor:
        """The real part: of a complex tensor, a real view sharing its memory (writing to it
        writes the complex tensor); a real tensor itself (as PyTorch)."""
        if self._array.dtype.kind != "c":
            return self
        return Real.apply(self)

    @real.setter
    def real(self, value) -> None:
        self.real.copy_(value if isinstance(value, Tensor) else Tensor(value))

    @property
    def imag(self) -> Tensor:
        """The imaginary part of a complex tensor, a real view sharing its memory; refused for
        real tensors, with PyTorch's error."""
        if self._array.dtype.kind != "c":
            raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
        return Imag.apply(self)

    @imag.setter
    def imag(self, value) -> None:
        self.imag.copy_(value if isinstance(value, Tensor) else Tensor(value))

    def angle(self) -> Tensor:
        """The argument of each element, ``atan2(imag, real)`` in ``(-pi, pi]``, as a real
        tensor (float32 for complex64). Of a real tensor: pi where negative, 0 elsewhere, NaN
        for NaN (integers give the default float dtype), with a zero gradient, as PyTorch's."""
        if self._array.dtype.kind in "iub":
            return Angle.apply(self.to(dtypes.get_default_dtype()))
        return Angle.apply(self)

    def sgn(self) -> Tensor:
        """``z / |z|`` (0 at 0) for a complex tensor; ``sign`` for a real one, as PyTorch.
        The gradient of the complex form is what autograd derives from that quotient."""
        if self._array.dtype.kind != "c":
            return self.sign()
        magnitude = self.abs()
        zero = magnitude == 0
        return (self / magnitude.masked_fill(zero, 1)).masked_fill(zero, 0)

    def __complex__(self) -> builtins.complex:
        """``complex(t)`` of a one-element tensor (any dtype)."""
        return builtins.complex(self._python_scalar())

    def cfloat(self, memory_format=layouts.preserve_format) -> Tensor:
        """``self.to(complex64)`` (differentiable)."""
        return self.to(dtypes.complex64, memory_format=memory_format)

    def cdouble(self, memory_format=layouts.preserve_format) -> Tensor:
        """``self.to(complex128)`` (differentiable)."""
        return self.to(dtypes.complex128, memory_format=memory_format)

    def stft(self, n_fft: _int, hop_length: _int | None = None, win_length: _int | None = None,
             window: Tensor | None = None, center: _bool = True, pad_mode: str = "reflect",
             normalized: _bool = False, onesided: _bool | None = None,
             return_complex: _bool | None = None,
             align_to_window: _bool | None = None) -> Tensor:
        """``tinygrad_bn.stft(self, ...)``: the short-time Fourier transform."""
        from ..spectral import stft  # builds on the fft module, which builds on the tensor
        return stft(self, n_fft, hop_length, win_length, window, center, pad_mode, normalized,
                    onesided, return_complex, align_to_window)

    def istft(self, n_fft: _int, hop_length: _int | None = None, win_length: _int | None = None,
              window: Tensor | None = None, center: _bool = True, normalized: _bool = False,
              onesided: _bool | None = None, length: _int | None = None,
              return_complex: _bool = False) -> Tensor:
        """``tinygrad_bn.istft(self, ...)``: the inverse short-time Fourier transform."""
        from ..spectral import istft
        return istft(self, n_fft, hop_length, win_length, window, center, normalized,
                     onesided, length, return_complex)

    def chalf(self, memory_format=layouts.preserve_format) -> Tensor:
        """``self.to(complex32)``: refused, NumPy has no complex32 (``TypeError``)."""
        return self.to(dtypes.complex32, memory_format=memory_format)


def view_as_real(input: Tensor) -> Tensor:
    """A complex tensor of shape ``S`` as a real tensor of shape ``S + (2,)`` (the real and
    imaginary parts last), sharing its memory, as PyTorch's ``view_as_real``."""
    _tensor_argument(input, "view_as_real", "input", 0)
    if input._array.dtype.kind != "c":
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return ViewAsReal.apply(input)


def view_as_complex(input: Tensor) -> Tensor:
    """A float32 or float64 tensor whose last dim holds (real, imaginary) pairs as a complex
    tensor over the same memory (complex64 or complex128), as PyTorch's ``view_as_complex``,
    with its errors: the last dim must be of size 2 and stride 1, the others of even
    stride."""
    _tensor_argument(input, "view_as_complex", "input", 0)
    array = input._array
    if array.dtype.kind != "f" or array.dtype is dtypes.float16:
        if array.dtype is dtypes.float16:
            np.dtype(dtypes.complex32)  # PyTorch's complex32: NumPy has none (raises)
        raise RuntimeError("view_as_complex is only supported for half, float and double tensors, "
                           f"but got a tensor of scalar type: "
                           f"{dtypes.scalar_type_name(array.dtype)}")
    if array.ndim == 0:
        raise RuntimeError("Input tensor must have one or more dimensions")
    if array.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    strides = input.stride()
    if strides[-1] != 1:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(stride % 2 for stride in strides[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    if array.__array_interface__["data"][0] % (2 * array.itemsize):
        raise RuntimeError("Tensor must have a storage offset divisible by 2")
    return ViewAsComplex.apply(input)


def complex(real: Tensor, imag: Tensor, *, out: Tensor | None = None) -> Tensor:  # noqa: A001
    """``real + i imag`` from two real tensors of one floating dtype (they broadcast):
    float32 gives complex64, float64 complex128, as PyTorch's ``torch.complex``."""
    _tensor_argument(real, "complex", "real", 0)
    _tensor_argument(imag, "complex", "imag", 1)
    real_dtype, imag_dtype = real._array.dtype, imag._array.dtype
    if real_dtype.kind != "f" or imag_dtype.kind != "f":
        raise RuntimeError("Expected both inputs to be Half, Float or Double tensors but got "
                           f"{dtypes.scalar_type_name(real_dtype)} and "
                           f"{dtypes.scalar_type_name(imag_dtype)}")
    if real_dtype is not imag_dtype:
        raise RuntimeError(f"Expected object of scalar type "
                           f"{dtypes.scalar_type_name(real_dtype)} but got scalar type "
                           f"{dtypes.scalar_type_name(imag_dtype)} for second argument")
    dtypes.to_complex(real_dtype)  # float16 would be complex32: refused
    result = Complex.apply(real, imag)
    return result if out is None else out.copy_(result)


def polar(abs: Tensor, angle: Tensor, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """``abs * (cos(angle) + i sin(angle))`` from two real tensors of one floating dtype,
    as PyTorch's ``torch.polar`` (differentiable through both)."""
    _tensor_argument(abs, "polar", "abs", 0)
    _tensor_argument(angle, "polar", "angle", 1)
    abs_dtype, angle_dtype = abs._array.dtype, angle._array.dtype
    if abs_dtype.kind != "f" or angle_dtype.kind != "f":
        raise RuntimeError("Expected both inputs to be Half, Float or Double tensors but got "
                           f"{dtypes.scalar_type_name(abs_dtype)} and "
                           f"{dtypes.scalar_type_name(angle_dtype)}")
    if abs_dtype is not angle_dtype:
        raise RuntimeError(f"Expected object of scalar type "
                           f"{dtypes.scalar_type_name(abs_dtype)} but got scalar type "
                           f"{dtypes.scalar_type_name(angle_dtype)} for second argument")
    return complex(abs * angle.cos(), abs * angle.sin(), out=out)

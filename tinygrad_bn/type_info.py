"""The numerical limits of a dtype: ``finfo`` for the floating ones, ``iinfo`` for the integers
(PyTorch's ``torch.finfo`` / ``torch.iinfo``).

    finfo(float32).eps    # 1.1920928955078125e-07, the gap between 1.0 and the next float
    finfo(float16).max    # 65504.0
    iinfo(int64).min      # -9223372036854775808
    finfo()               # the default floating dtype's (float32 unless set_default_dtype)

The values are NumPy's for the same dtype, read as Python numbers, which are PyTorch's: both
describe IEEE 754 binary16/32/64 and two's-complement integers. ``finfo.resolution`` is
``10 ** -precision`` with ``precision`` the decimal digits the type holds (float32: 1e-06), and
``tiny`` is ``smallest_normal``. As PyTorch's, ``dtype`` is the dtype's name as a string. A
dtype of the wrong kind raises PyTorch's ``TypeError``.
"""

from __future__ import annotations

import numpy as np

from . import dtypes
from .dtypes import DTypeLike

__all__ = ["finfo", "iinfo"]


def _dtype_argument(function_name: str, dtype: object) -> np.dtype:
    """``dtype`` as one of tinygrad_bn's dtypes; a non-dtype raises PyTorch's TypeError."""
    if isinstance(dtype, str) or dtype is None:
        raise TypeError(f"{function_name}(): argument 'type' (position 1) must be torch.dtype, "
                        f"not {type(dtype).__name__}")
    if isinstance(dtype, dtypes.DTypeNumPyLacks):
        return dtypes.canonical(dtype)  # raises the error naming it
    try:
        return dtypes.canonical(dtype)
    except TypeError:
        raise TypeError(f"{function_name}(): argument 'type' (position 1) must be torch.dtype, "
                        f"not {type(dtype).__name__}") from None


def _short(value: float) -> str:
    """A limit as PyTorch's repr writes it: six significant digits (``-9.22337e+18``)."""
    return f"{value:.6g}"


class finfo:  # noqa: N801 - PyTorch's name
    """The limits of a floating dtype: ``bits``, ``eps`` (1.0's gap to the next value), ``max``,
    ``min`` (= -max), ``tiny`` and ``smallest_normal`` (the smallest positive normal number),
    ``resolution`` (``10 ** -decimal digits``) and ``dtype`` (its name)."""

    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")

    def __init__(self, type: DTypeLike | None = None) -> None:  # noqa: A002 - PyTorch's name
        dtype = dtypes.get_default_dtype() if type is None else _dtype_argument("finfo", type)
        dtype = dtypes.to_real(dtype)  # a complex dtype's: its parts', as PyTorch
        if dtype.kind != "f":
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo "
                            "to handle 'torch.finfo'")
        info = np.finfo(dtype)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)
        self.dtype = str(dtype)

    def __repr__(self) -> str:
        return (f"finfo(resolution={_short(self.resolution)}, min={_short(self.min)}, "
                f"max={_short(self.max)}, eps={_short(self.eps)}, "
                f"smallest_normal={_short(self.smallest_normal)}, tiny={_short(self.tiny)}, "
                f"dtype={self.dtype})")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, finfo) and other.dtype == self.dtype

    __hash__ = None  # as PyTorch's: equal by value, not hashable


class iinfo:  # noqa: N801 - PyTorch's name
    """The limits of an integer dtype: ``bits``, ``min``, ``max`` and ``dtype`` (its name).
    ``bool`` is refused, as PyTorch refuses it."""

    __slots__ = ("bits", "min", "max", "dtype")

    def __init__(self, type: DTypeLike) -> None:  # noqa: A002 - PyTorch's name
        dtype = _dtype_argument("iinfo", type)
        if dtype is dtypes.bool:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if dtype.kind not in "iu":
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to "
                            "handle 'torch.iinfo'")
        info = np.iinfo(dtype)
        self.bits = int(info.bits)
        self.min = int(info.min)
        self.max = int(info.max)
        self.dtype = str(dtype)

    def __repr__(self) -> str:
        return f"iinfo(min={_short(self.min)}, max={_short(self.max)}, dtype={self.dtype})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, iinfo) and other.dtype == self.dtype

    __hash__ = None

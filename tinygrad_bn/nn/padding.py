"""Padding layers, the modules over ``functional.pad``, with PyTorch's names, arguments and
reprs: ``ZeroPad``, ``ConstantPad``, ``ReflectionPad``, ``ReplicationPad`` and ``CircularPad``,
each for 1, 2 and 3 padded dims. ``padding`` is an int (the same on every side) or a tuple
``(left, right)``, ``(left, right, top, bottom)`` or ``(left, right, top, bottom, front,
back)``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..tensor import Tensor
from . import functional as F
from .module import Module


def _sides(padding: int | Sequence[int], count: int) -> tuple[int, ...]:
    """PyTorch's ``_ntuple``: a sequence as a tuple, a number repeated ``count`` times."""
    return tuple(padding) if isinstance(padding, Iterable) else (padding,) * count


class _ConstantPadNd(Module):
    """Pads with ``value`` (``F.pad(input, padding, "constant", value)``)."""

    dims = 1

    def __init__(self, padding: int | Sequence[int], value: float) -> None:
        super().__init__()
        self.padding, self.value = _sides(padding, 2 * self.dims), value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """The last dim padded with ``value``: ``(*, W)`` gives ``(*, W + left + right)``."""


class ConstantPad2d(_ConstantPadNd):
    """The last two dims padded with ``value``: ``(*, H, W)`` gives
    ``(*, H + top + bottom, W + left + right)``."""

    dims = 2


class ConstantPad3d(_ConstantPadNd):
    """The last three dims padded with ``value``."""

    dims = 3


class ZeroPad1d(ConstantPad1d):
    """The last dim padded with zeros."""

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """The last two dims padded with zeros."""

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """The last three dims padded with zeros."""

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ModePadNd(Module):
    """Pads with ``F.pad(input, padding, mode)``; inputs ``(C, *)`` or ``(N, C, *)`` with
    ``dims`` padded dims (``F.pad`` refuses the others, with PyTorch's message)."""

    dims, mode = 1, "reflect"

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__()
        self.padding = _sides(padding, 2 * self.dims)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ReflectionPadNd(_ModePadNd):
    """The reflection pads' base (PyTorch's ``_ReflectionPadNd``)."""


class _ReplicationPadNd(_ModePadNd):
    """The replication pads' base (PyTorch's ``_ReplicationPadNd``)."""

    mode = "replicate"


class ReflectionPad1d(_ReflectionPadNd):
    """Reflection of the last dim about its edges (``[1, 2, 3]`` by 2 on the left:
    ``[3, 2, 1, 2, 3]``); each width below the dim's size."""


class ReflectionPad2d(_ReflectionPadNd):
    """Reflection of the last two dims about their edges."""

    dims = 2


class ReflectionPad3d(_ReflectionPadNd):
    """Reflection of the last three dims about their edges."""

    dims = 3


class ReplicationPad1d(_ReplicationPadNd):
    """The edge elements of the last dim repeated."""

    mode = "replicate"


class ReplicationPad2d(_ReplicationPadNd):
    """The edge elements of the last two dims repeated."""

    dims, mode = 2, "replicate"


class ReplicationPad3d(_ReplicationPadNd):
    """The edge elements of the last three dims repeated."""

    dims, mode = 3, "replicate"


class _CircularPadNd(_ModePadNd):
    """Wrapped around (periodic padding); PyTorch checks the input's rank in the module."""

    mode = "circular"

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (self.dims + 1, self.dims + 2):
            raise ValueError(f"expected {self.dims + 1}D or {self.dims + 2}D input (got "
                             f"{input.ndim}D input)")
        return F.pad(input, self.padding, self.mode)


class CircularPad1d(_CircularPadNd):
    """The last dim wrapped around: ``[1, 2, 3]`` by 1 on each side gives
    ``[3, 1, 2, 3, 1]``."""


class CircularPad2d(_CircularPadNd):
    """The last two dims wrapped around."""

    dims = 2


class CircularPad3d(_CircularPadNd):
    """The last three dims wrapped around."""

    dims = 3

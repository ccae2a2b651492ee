"""``nn.functional``'s ``*_with_indices`` pooling functions (``F.max_pool2d_with_indices``,
``F.adaptive_max_pool1d_with_indices``, ``F.fractional_max_pool3d_with_indices``, ...): the pool
with ``return_indices=True``, always the pair ``(values, indices)``. PyTorch's ``max_pool2d``
dispatches to them when ``return_indices`` is set; their own ``return_indices`` argument is
accepted and ignored, as there. Each body calls the one pooling implementation."""

from __future__ import annotations

from ..tensor import Tensor
from .pooling import adaptive_max_pool1d, adaptive_max_pool2d, max_pool1d, max_pool2d
from .pooling3d import adaptive_max_pool3d, max_pool3d
from .pooling_fractional import fractional_max_pool2d, fractional_max_pool3d


def max_pool1d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False,
                            return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """``F.max_pool1d(..., return_indices=True)``: ``(values, indices)``."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode=ceil_mode,
                      return_indices=True)


def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False,
                            return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """``F.max_pool2d(..., return_indices=True)``: ``(values, indices)``."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode=ceil_mode,
                      return_indices=True)


def max_pool3d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False,
                            return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """``F.max_pool3d(..., return_indices=True)``: ``(values, indices)``."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode=ceil_mode,
                      return_indices=True)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size,
                                     return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """``F.adaptive_max_pool1d(..., return_indices=True)``: ``(values, indices)``."""
    return adaptive_max_pool1d(input, output_size, return_indices=True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size,
                                     return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """``F.adaptive_max_pool2d(..., return_indices=True)``: ``(values, indices)``."""
    return adaptive_max_pool2d(input, output_size, return_indices=True)


def adaptive_max_pool3d_with_indices(input: Tensor, output_size,
                                     return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """``F.adaptive_max_pool3d(..., return_indices=True)``: ``(values, indices)``."""
    return adaptive_max_pool3d(input, output_size, return_indices=True)


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size, output_size=None,
                                       output_ratio=None, return_indices: bool = False,
                                       _random_samples: Tensor | None = None
                                       ) -> tuple[Tensor, Tensor]:
    """``F.fractional_max_pool2d(..., return_indices=True)``: ``(values, indices)``."""
    return fractional_max_pool2d(input, kernel_size, output_size, output_ratio,
                                 return_indices=True, _random_samples=_random_samples)


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size, output_size=None,
                                       output_ratio=None, return_indices: bool = False,
                                       _random_samples: Tensor | None = None
                                       ) -> tuple[Tensor, Tensor]:
    """``F.fractional_max_pool3d(..., return_indices=True)``: ``(values, indices)``."""
    return fractional_max_pool3d(input, kernel_size, output_size, output_ratio,
                                 return_indices=True, _random_samples=_random_samples)

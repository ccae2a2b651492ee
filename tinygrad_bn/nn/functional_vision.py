"""PyTorch's "vision functions" for spatial transformer networks: ``affine_grid`` makes the
sampling grid of an affine map, ``grid_sample`` reads an image at a grid's positions
(``ops.GridSample``)."""

from __future__ import annotations

import warnings

import numpy as np

from ..autocast_state import float32_op
from .. import dtypes
from ..ops.grid_sample import GridSample
from ..tensor import Tensor, constant_tensor, qualified_type_name

GRID_SAMPLE_MODES = ("bilinear", "nearest", "bicubic")
GRID_SAMPLE_PADDING_MODES = ("zeros", "border", "reflection")
ALIGN_CORNERS_WARNING = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since "
    "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
    "documentation of grid_sample for details.")


def affine_grid(theta: Tensor, size, align_corners: bool | None = None) -> Tensor:
    """The grid ``(N, H, W, 2)`` (``(N, D, H, W, 3)`` for a 5-D ``size``) of the positions an
    affine map ``theta`` ``(N, 2, 3)`` (``(N, 3, 4)``) sends the output pixels to, for
    ``grid_sample``: ``grid[n, h, w] = theta[n] @ (x_w, y_h, 1)``, where ``x`` and ``y`` run
    over ``[-1, 1]`` (the corner pixels' centres with ``align_corners``, their outer edges
    without: ``linspace(-1, 1, W) * (W - 1) / W``). ``size`` is the output's ``(N, C, H, W)``.
    A ``matmul`` of a constant base grid with ``theta``, so the gradient is autograd's.
    """
    if align_corners is None:
        warnings.warn(ALIGN_CORNERS_WARNING, stacklevel=2)
        align_corners = False
    if not isinstance(theta, Tensor):
        raise TypeError(f"affine_grid(): argument 'theta' (position 1) must be Tensor, not "
                        f"{qualified_type_name(theta)}")
    if not dtypes.is_floating(theta._array.dtype):
        raise ValueError(f"Expected theta to have floating point type, but got "
                         f"torch.{theta.dtype}")
    size = tuple(size)
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got {_size_text(theta)}.")
    elif len(size) == 5:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got {_size_text(theta)}.")
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids "
                      "when align_corners=True. This is not an intended use case of affine_grid. "
                      "See the documentation of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        dims = len(spatial)
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{size[0]}, {dims + 1}] but got: [{theta.shape[0]}, {dims + 1}].")
    dtype = theta._array.dtype
    axes = [_linspace_from_neg_one(count, align_corners, dtype) for count in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")  # depth, height, width order
    base = np.stack([*mesh[::-1], np.ones(spatial, dtype=dtype)], axis=-1)
    base = constant_tensor(base.reshape(1, -1, len(spatial) + 1))
    grid = base @ theta.transpose(1, 2)  # PyTorch's base_grid.bmm(theta^T)
    return grid.reshape(size[0], *spatial, len(spatial))


def _linspace_from_neg_one(count, align_corners, dtype):
    """PyTorch's ``linspace_from_neg_one``: ``count`` points over ``[-1, 1]``, scaled by
    ``(count - 1) / count`` without ``align_corners``; ``[0]`` for one point."""
    if count <= 1:
        return np.zeros(max(count, 0), dtype=dtype)
    points = _linspace(count, dtype)
    if not align_corners:
        points = (points * (count - 1) / count).astype(dtype)
    return points


def _linspace(count, dtype):
    """``torch.linspace(-1, 1, count)`` as PyTorch's CPU kernel computes it: the first half
    ``-1 + step * i``, the second half ``1 - step * (count - 1 - i)``."""
    step = dtype.type(2) / dtype.type(count - 1)
    index = np.arange(count)
    half = count // 2
    return np.where(index < half, dtype.type(-1) + step * index,
                    dtype.type(1) - step * (count - 1 - index)).astype(dtype)


def _size_text(tensor):
    return f"torch.Size({list(tensor.shape)})"


@float32_op
def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners: bool | None = None) -> Tensor:
    """``input`` ``(N, C, H, W)`` read at the positions ``grid`` ``(N, Ho, Wo, 2)`` gives
    ``(N, C, Ho, Wo)``; 5-D: ``(N, C, D, H, W)`` and ``(N, Do, Ho, Wo, 3)`` give ``(N, C, Do,
    Ho, Wo)``. ``grid[..., 0]`` is x (width), ``[..., 1]`` y, ``[..., 2]`` z, in ``[-1, 1]``.

    ``mode``: ``bilinear`` (trilinear in 5-D), ``nearest``, ``bicubic`` (4-D only);
    ``padding_mode``: ``zeros``, ``border``, ``reflection``; ``align_corners`` as in
    ``affine_grid`` (None warns and means False). One ``ops.GridSample`` node (its docstring
    has the formulas); gradients for the input and the grid. float16 is computed in float16,
    each step rounded, as PyTorch's CPU kernel does (2-D bilinear and nearest: the same bits;
    bicubic and 3-D: within a few float16 steps, the kernels round intermediate steps
    differently).
    """
    if mode not in GRID_SAMPLE_MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in GRID_SAMPLE_PADDING_MODES:
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(ALIGN_CORNERS_WARNING, stacklevel=2)
        align_corners = False
    for position, (name, tensor) in enumerate((("input", input), ("grid", grid)), start=1):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"grid_sampler(): argument '{name}' (position {position}) must be "
                            f"Tensor, not {qualified_type_name(tensor)}")
    _check_grid_sampler(input, grid, mode)
    kernel = "grid_sampler_2d_cpu_kernel_impl" if input.ndim == 4 else "grid_sampler_3d_cpu"
    if not dtypes.is_floating(input._array.dtype):
        raise dtypes.not_implemented(kernel, input._array.dtype)
    if grid._array.dtype != input._array.dtype:
        raise RuntimeError(f"expected scalar type {dtypes.scalar_type_name(input.dtype)} but "
                           f"found {dtypes.scalar_type_name(grid.dtype)}")
    return GridSample.apply(input, grid, mode=mode, padding_mode=padding_mode,
                            align_corners=bool(align_corners))


def _check_grid_sampler(input, grid, mode):
    """PyTorch's ``check_grid_sampler_common`` and its 2-D/3-D checks, in its order."""
    input_sizes, grid_sizes = list(input.shape), list(grid.shape)
    if not input_sizes or not grid_sizes or input_sizes[0] != grid_sizes[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {input_sizes} and grid with sizes "
                           f"{grid_sizes}")
    if grid_sizes[-1] != input.ndim - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.ndim - 2} in last "
                           f"dimension, but got grid with sizes {grid_sizes}")
    for dim in range(2, input.ndim):
        if input_sizes[dim] <= 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {input_sizes} with dimension "
                               f"{dim} being empty")
    rank = 4 if input.ndim == 4 else 5
    if input.ndim != rank or grid.ndim != rank:
        raise RuntimeError(f"grid_sampler(): expected {rank}D input and grid with same number of "
                           f"dimensions, but got input with sizes {input_sizes} and grid with "
                           f"sizes {grid_sizes}")
    if rank == 5 and mode == "bicubic":
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")

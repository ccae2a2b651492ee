"""Resampling feature maps, as ``torch.nn.functional``: ``interpolate`` (nearest, nearest-exact,
linear/bilinear/trilinear, bicubic and area modes, for 1 to 3 spatial dims) and
``pixel_shuffle``/``pixel_unshuffle`` (sub-pixel convolution's rearrangement, Shi et al. 2016).

Every mode of ``interpolate`` is separable: each output position along a spatial dim is a
weighted sum of a few input positions along that dim (1 for nearest, 2 for linear, 4 for
cubic, the pooling window for area), so the resampling runs dim by dim as ``index_select``s
times per-position weights, whose gradients autograd derives (a scatter-add of the weighted
``grad_output``). Positions and weights follow PyTorch's CPU kernels (``UpSample.h``): the same
source-index formulas, computed in float32 for float16/float32 inputs and float64 for float64.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import dtypes
from ..tensor import Tensor, constant_tensor

_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_LINEAR_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_CUBIC_A = -0.75  # the cubic convolution kernel's parameter, PyTorch's (and TensorFlow's)


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resample the spatial dims of ``input`` ``(N, C, *spatial)`` to ``size`` (an int or one
    per spatial dim) or by ``scale_factor`` (output ``floor(input * scale)``), PyTorch's
    ``interpolate``: ``nearest`` (source ``floor(out * in/out)``), ``nearest-exact``
    (``floor((out + 0.5) * in/out)``, the pixel centres), ``linear``/``bilinear``/
    ``trilinear`` (3-, 4- and 5-D inputs), ``bicubic`` (4-D, ``A = -0.75``, edges clamped) and
    ``area`` (adaptive average pooling). With ``align_corners`` the corner pixels' centres map
    onto each other; otherwise a given ``scale_factor`` (unless ``recompute_scale_factor``)
    sets the source positions, as in PyTorch. ``antialias`` is not provided."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {list(input.shape[2:])} and output size "
                    f"of {size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                    "output size in (o1, o2, ...,oK) format.")
            if not all(isinstance(s, numbers.Integral) for s in size):
                raise TypeError(
                    "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                    f"Tuple[int, int, int], but got size with types {[type(s) for s in size]}")
            output_size = [int(s) for s in size]
        else:
            output_size = [int(size)] * dim
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {list(input.shape[2:])} and "
                    f"scale_factor of shape {scale_factor}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
            scale_factors = [float(s) for s in scale_factor]
        else:
            scale_factors = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        output_size = [int(s * f) for s, f in zip(input.shape[2:], scale_factors)]
        scale_factors = None
    if antialias:
        if not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
            raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                             "modes and requires a 4-D tensor as input")
        raise NotImplementedError("interpolate(antialias=True) is not provided by tinygrad_bn")
    if mode not in ("nearest", "nearest-exact", "area") and mode in _LINEAR_DIMS:
        if _LINEAR_DIMS[mode] != dim and 1 <= dim <= 3:
            wanted = {1: "3D", 2: "4D", 3: "5D"}[_LINEAR_DIMS[mode]]
            raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {wanted} "
                                      "input")
    if not 1 <= dim <= 3 or mode not in ("nearest", "nearest-exact", "area", *_LINEAR_DIMS):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for the "
            f"modes: {_MODES} (got {mode})")
    if output_size is None:  # PyTorch's compute_output_size: the product, truncated
        output_size = [int(s * f) for s, f in zip(input.shape[2:], scale_factors)]
    if mode != "area":  # adaptive average pooling returns an empty output
        _check_sizes(input, output_size)
    return _resample(input, output_size, scale_factors, mode, align_corners)


def _check_sizes(input, output_size):
    spatial = list(input.shape[2:])
    if all(s > 0 for s in spatial) and all(s > 0 for s in output_size):
        return
    names = ["D", "H", "W"][-len(spatial):]
    shown_in = ", ".join(f"{n}: {s}" for n, s in zip(names, spatial))
    shown_out = ", ".join(f"{n}: {s}" for n, s in zip(names, output_size))
    joint = " and" if len(spatial) == 1 else ""
    raise RuntimeError("Input and output sizes should be greater than 0, but got input "
                       f"({shown_in}){joint} output ({shown_out})")


def _resample(input, output_size, scale_factors, mode, align_corners):
    """``input`` resampled dim by dim, the last dim first (each a weighted sum of
    ``index_select``s), so that float32 sums round as PyTorch's kernel, which nests the first
    dim's sum outermost. Nearest modes copy elements of any dtype. The weighted modes compute
    float16 in float32 with the weights rounded to float16 (PyTorch keeps them in the input's
    dtype) and round once; uint8 in float32, rounded to the nearest integer and clamped, as
    PyTorch's uint8 kernel."""
    dtype = input._array.dtype
    nearest = mode in ("nearest", "nearest-exact")
    narrow = not nearest and (dtype == dtypes.float16 or not dtypes.is_floating(dtype))
    work = input.float() if narrow else input
    float_type = np.float64 if work._array.dtype == np.float64 else np.float32
    out = work
    for axis in reversed(range(len(output_size))):
        out_size, in_size = output_size[axis], input.shape[axis + 2]
        scale = None if scale_factors is None else scale_factors[axis]
        if nearest:
            index = _nearest_indices(in_size, out_size, scale, mode == "nearest-exact")
            out = _copied(out, axis + 2, index, in_size, out_size)
            continue
        if mode == "area" and (out_size == 0 or in_size == 0):
            out = out.narrow(axis + 2, 0, 0) if out_size == 0 else out
            continue
        if mode == "area":
            indices, weights = _area_weights(in_size, out_size)
        else:
            indices, weights = _interpolation_weights(in_size, out_size, scale, align_corners,
                                                      mode == "bicubic", float_type)
        if dtype == dtypes.float16:
            weights = weights.astype(np.float16)
        out = _weighted_sum(out, axis + 2, indices, weights.astype(work._array.dtype))
        if narrow and dtype != dtypes.float16:  # PyTorch's uint8 kernel rounds after each pass
            out = _rounded(out, dtype).float()
    if out is input:
        return input.clone()
    if dtype == dtypes.float16 and narrow:
        return out.half()
    return _rounded(out, dtype) if narrow else out


def _rounded(out, dtype):
    """Integers: rounded to the nearest, clamped to the dtype's range."""
    info = np.iinfo(dtype)
    return (out + 0.5).floor().clamp(float(info.min), float(info.max)).to(dtype)


def _copied(x, axis, index, in_size, out_size):
    """``x.index_select(axis, index)`` for the nearest modes; nothing when ``index`` is every
    position in order, and each position repeated ``k`` times in order (an integer upscale,
    DCGAN's and U-Net's) as a broadcast view reshaped, whose backward is a sum instead of
    ``index_select``'s scatter-add (``np.add.at``): (64, 64, 16, 16) float32 doubled,
    forward and backward, 65 ms -> 27 ms (PyTorch 30 ms), one BLAS thread."""
    if in_size and out_size % in_size == 0:
        repeats = out_size // in_size
        if np.array_equal(index, np.arange(out_size) // repeats):
            if repeats == 1:
                return x
            shape = list(x.shape)
            expanded = shape[:axis + 1] + [repeats] + shape[axis + 1:]
            shape[axis] = out_size
            return x.unsqueeze(axis + 1).expand(*expanded).reshape(*shape)
    return x.index_select(axis, constant_tensor(index))


def _weighted_sum(x, axis, indices, weights):
    """``sum_k x.index_select(axis, indices[:, k]) * weights[:, k]`` (the weights broadcast
    along ``axis``)."""
    shape = [1] * x.ndim
    shape[axis] = -1
    out = None
    for k in range(indices.shape[1]):
        term = x.index_select(axis, constant_tensor(np.ascontiguousarray(indices[:, k])))
        term = term * constant_tensor(np.ascontiguousarray(weights[:, k]).reshape(shape))
        out = term if out is None else out + term
    return out


def _scale_value(scale, in_size, out_size, float_type):
    """PyTorch's ``compute_scales_value``: ``1 / scale`` when a positive scale was given, else
    ``in / out``."""
    if scale is not None and scale > 0:
        return float_type(1.0 / scale)
    return float_type(in_size) / float_type(out_size)


def _nearest_indices(in_size, out_size, scale, exact):
    """Source positions of ``nearest`` (``floor(out * s)``, with PyTorch's shortcuts for equal
    and doubled sizes) and ``nearest-exact`` (``floor((out + 0.5) * s)``), in float32 as
    PyTorch's kernel, clamped to the last input."""
    positions = np.arange(out_size)
    if not exact and out_size == in_size:
        return positions
    if not exact and out_size == 2 * in_size:
        return positions >> 1
    s = _scale_value(scale, in_size, out_size, np.float32)
    if exact:
        source = np.floor(((positions + 0.5) * np.float64(s)).astype(np.float32))
    else:
        source = np.floor(positions.astype(np.float32) * s)
    return np.minimum(source.astype(np.int64), in_size - 1)


def _interpolation_weights(in_size, out_size, scale, align_corners, cubic, float_type):
    """Positions ``(out, 2)`` and weights of linear interpolation, or ``(out, 4)`` of cubic
    convolution, PyTorch's ``area_pixel_compute_source_index`` and ``guard_index_and_lambda``
    in ``float_type``."""
    if align_corners:
        s = float_type(in_size - 1) / float_type(out_size - 1) if out_size > 1 else float_type(0)
    else:
        s = _scale_value(scale, in_size, out_size, float_type)
    positions = np.arange(out_size).astype(float_type)
    if align_corners:
        source = s * positions
    else:
        source = s * (positions + float_type(0.5)) - float_type(0.5)
        if not cubic:
            source = np.maximum(source, float_type(0))
    index = np.minimum(np.floor(source).astype(np.int64), in_size - 1)
    fraction = np.clip(source - index.astype(float_type), float_type(0), float_type(1))
    one = float_type(1)
    if not cubic:
        following = index + (index < in_size - 1)
        return np.stack([index, following], 1), np.stack([one - fraction, fraction], 1)
    a = float_type(_CUBIC_A)

    def near(x):  # |x| <= 1
        return ((a + float_type(2)) * x - (a + float_type(3))) * x * x + one

    def far(x):  # 1 < |x| < 2
        return ((a * x - float_type(5) * a) * x + float_type(8) * a) * x - float_type(4) * a

    weights = np.stack([far(fraction + one), near(fraction), near(one - fraction),
                        far(one - fraction + one)], 1)
    indices = np.clip(index[:, None] + np.arange(-1, 3), 0, in_size - 1)
    return indices, weights


def _area_weights(in_size, out_size):
    """Adaptive average pooling's windows as positions and weights ``1 / window``: output ``o``
    averages inputs ``floor(o * in / out)`` to ``ceil((o + 1) * in / out)``, padded with
    weight-0 repeats to the longest window."""
    starts = np.arange(out_size) * in_size // out_size
    ends = ((np.arange(out_size) + 1) * in_size + out_size - 1) // out_size
    lengths = ends - starts
    width = int(lengths.max())
    offsets = np.arange(width)
    indices = np.minimum(starts[:, None] + offsets, in_size - 1)
    weights = np.where(offsets < lengths[:, None], 1.0 / lengths[:, None], 0.0)
    return indices, weights


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """``interpolate`` under its old name (deprecated in PyTorch, without its warning)."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """``interpolate(..., mode="nearest")`` under its old name."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """``interpolate(..., mode="bilinear", align_corners=True)`` under its old name."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """``(*, C * r**2, H, W)`` to ``(*, C, H * r, W * r)`` (``r = upscale_factor``): each
    group of ``r**2`` channels becomes an ``r x r`` block of pixels, PyTorch's order."""
    if input.ndim < 3:
        raise RuntimeError("pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    if upscale_factor <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got "
                           f"{upscale_factor}")
    *batch, channels, height, width = input.shape
    r = upscale_factor
    if channels % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
            f"of upscale_factor, but input.size(-3)={channels} is not divisible by {r * r}")
    b = len(batch)
    blocks = input.reshape(*batch, channels // (r * r), r, r, height, width)
    order = list(range(b)) + [b, b + 3, b + 1, b + 4, b + 2]
    return blocks.permute(*order).reshape(*batch, channels // (r * r), height * r, width * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """``(*, C, H * r, W * r)`` to ``(*, C * r**2, H, W)``: ``pixel_shuffle`` undone."""
    if input.ndim < 3:
        raise RuntimeError("pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.ndim} dimension(s)")
    if downscale_factor <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got "
                           f"{downscale_factor}")
    *batch, channels, height, width = input.shape
    r = downscale_factor
    if height % r:
        raise RuntimeError("pixel_unshuffle expects height to be divisible by downscale_factor, "
                           f"but input.size(-2)={height} is not divisible by {r}")
    if width % r:
        raise RuntimeError("pixel_unshuffle expects width to be divisible by downscale_factor, "
                           f"but input.size(-1)={width} is not divisible by {r}")
    b = len(batch)
    blocks = input.reshape(*batch, channels, height // r, r, width // r, r)
    order = list(range(b)) + [b, b + 2, b + 4, b + 1, b + 3]
    return blocks.permute(*order).reshape(*batch, channels * r * r, height // r, width // r)

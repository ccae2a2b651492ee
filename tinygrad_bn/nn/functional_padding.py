"""``pad``: PyTorch's ``nn.functional.pad`` with its four modes, shape rules and errors.
Constant padding is one ``ops.ConstantPad`` node (after a slice for negative widths, which
crop); reflect, replicate and circular padding pick, along each padded dim, the input
positions each output position copies (``index_select`` with positions computed from the
shapes alone), so their gradient is the scatter-add of ``index_select``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import autocast_state, dtypes
from ..ops.padding import ConstantPad
from ..tensor import Tensor, constant_tensor, qualified_type_name

PADDING_MODES = ("constant", "reflect", "replicate", "circular")
_KERNELS = {"reflect": "reflection_pad", "replicate": "replication_pad"}


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",
        value: float | None = None) -> Tensor:
    """``input`` padded on its last ``len(pad) // 2`` dims: ``pad = (left, right)`` for the last
    dim, then ``(top, bottom)`` for the one before, then ``(front, back)``, as PyTorch's.

    - ``"constant"``: filled with ``value`` (0 when None, cast to the input's dtype); any
      number of dims, any dtype; negative widths crop.
    - ``"reflect"``: mirrored without repeating the edge (``[1, 2, 3]`` padded by 2 on the
      left: ``[3, 2, 1, 2, 3]``); each width must be below the dim's size.
    - ``"replicate"``: the edge element repeated.
    - ``"circular"``: wrapped around (each width at most the dim's size).

    The last three pad 1, 2 or 3 dims of an input with one or two more dims (a batch and/or
    channels: ``(C, W)`` or ``(N, C, W)`` for 1 dim), take no ``value`` but 0, and refuse bool
    (reflect, replicate) and empty non-batch dims (reflect, replicate), with PyTorch's messages.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"pad(): argument 'input' (position 1) must be Tensor, not "
                        f"{qualified_type_name(input)}")
    for position, width in enumerate(pad):
        if isinstance(width, bool) or not isinstance(width, (int, np.integer)):
            raise TypeError("pad(): argument 'pad' (position 2) must be tuple of ints, but found "
                            f"element of type {type(width).__name__} at pos {position}")
    shape, ndim = input._array.shape, input._array.ndim
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{ndim}")
    if mode not in PADDING_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    # (dim, before, after) for each padded dim, the last dim first
    padded = [(ndim - 1 - k, int(pad[2 * k]), int(pad[2 * k + 1])) for k in range(len(pad) // 2)]
    if mode == "constant":
        return _constant_pad(input, padded, 0.0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if autocast_state.casting and (mode == "replicate" or mode == "reflect" and len(pad) <= 4):
        input, = autocast_state.full_precision(input)  # PyTorch's float32 list (not 3-d reflect)
    count = len(padded)
    if count not in (1, 2, 3) or ndim not in (count + 1, count + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    if mode in _KERNELS:
        if input._array.dtype is dtypes.bool:
            raise dtypes.not_implemented(f"{_KERNELS[mode]}{count}d", dtypes.bool)
        if 0 in shape[1:]:
            raise RuntimeError(
                f"Expected {count + 1}D or {count + 2}D (batch mode) tensor with possibly 0 batch "
                f"size and other non-zero dimensions for input, but got: {list(shape)}")
    positions_of = {"reflect": _reflected, "replicate": _replicated, "circular": _circular}[mode]
    out_shape = list(shape)
    for dim, before, after in padded:
        out_shape[dim] = shape[dim] + before + after
    for k, (dim, before, after) in enumerate(padded):
        positions = positions_of(shape[dim], before, after, argument=4 + 2 * k, dim=dim,
                                 shape=shape, out_shape=out_shape)
        input = input.index_select(dim, constant_tensor(positions))
    return input


def _constant_pad(input, padded, value):
    """Negative widths crop (a slice), then one ``ConstantPad`` adds the positive ones; with
    nothing to add, a copy (PyTorch's result never shares the input's memory)."""
    shape = input._array.shape
    crop = [slice(None)] * input._array.ndim
    widths = [(0, 0)] * input._array.ndim
    for dim, before, after in padded:
        if shape[dim] + before + after < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        crop[dim] = slice(max(-before, 0), shape[dim] - max(-after, 0))
        widths[dim] = (max(before, 0), max(after, 0))
    if any(before < 0 or after < 0 for _, before, after in padded):
        input = input[tuple(crop)]
    if not any(before or after for before, after in widths):
        return input.clone()
    return ConstantPad.apply(input, widths=tuple(widths), value=value)


def _output_positions(size, before, after):
    """Each output position's offset into the input, ``-before, ..., size + after - 1``."""
    return np.arange(-before, size + after, dtype=np.int64)


def _reflected(size, before, after, argument, dim, shape, out_shape):
    """Reflection about the first and last elements (which are not repeated)."""
    if not (before < size and after < size):
        raise RuntimeError(
            f"Argument #{argument}: Padding size should be less than the corresponding input "
            f"dimension, but got: padding ({before}, {after}) at dimension {dim} of input "
            f"{list(shape)}")
    positions = np.abs(_output_positions(size, before, after))
    return np.where(positions >= size, 2 * (size - 1) - positions, positions)


def _replicated(size, before, after, argument, dim, shape, out_shape):
    """The nearest element: positions clipped to the input."""
    if size + before + after < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{size + before + after}: {list(out_shape)}")
    return np.clip(_output_positions(size, before, after), 0, size - 1)


def _circular(size, before, after, argument, dim, shape, out_shape):
    """Wrapped around what remains after negative widths crop (PyTorch copies the left padding
    from the end of the cropped input, the right padding from its start)."""
    if before > size or after > size:
        raise RuntimeError("Padding value causes wrapping around more than once.")
    length = size + before + after
    if length < 0:
        raise RuntimeError("Negative padding value is resulting in an empty dimension")
    kept = size - max(-before, 0) - max(-after, 0)
    if length and (kept <= 0 or before > kept or after > kept):
        # PyTorch checks the widths against the size before cropping only, and then copies
        # memory it never wrote (its values are undefined): refused here
        raise RuntimeError("Padding value causes wrapping around more than once.")
    offsets = np.arange(length, dtype=np.int64) - max(before, 0)
    return (offsets % max(kept, 1)) + max(-before, 0)

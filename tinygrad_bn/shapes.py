"""The rules for dims, sizes and broadcasting that Tensor methods apply to their arguments, with
PyTorch's error messages for each way an argument can be wrong.

Nothing here knows about tensors: these take and return ints, tuples and shapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import numpy as np

# A shape argument: ints one by one (``zeros(2, 3)``) or one sequence (``zeros((2, 3))``).
ShapeLike = Union[int, Sequence[int]]


def normalize_dim(dim, ndim, wrap_scalar=True):
    """Normalise one dim index to ``[0, ndim)``, with PyTorch's out-of-range message.

    PyTorch's ``maybe_wrap_dim`` rules: a 0-d tensor accepts dims -1 and 0 (and 0 is returned)
    unless ``wrap_scalar`` is False, for the ops that need a real dim to work along (``size``,
    ``stride``, ``roll``): those raise "Dimension specified as 0 but tensor has no dimensions".
    """
    if type(dim) is int and 0 <= dim < ndim:  # the common case, first
        return dim
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"dim must be an int, got {dim!r}")
    if ndim == 0 and not wrap_scalar:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    size = max(ndim, 1)
    if not -size <= dim < size:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-size}, {size - 1}], but got "
            f"{dim})"
        )
    return int(dim) % size if ndim else 0


def normalize_dims(dim, ndim):
    """Normalise ``dim`` (None, an int, or a sequence of ints) to None or a sorted tuple."""
    if dim is None:
        return None
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    if ndim == 0:
        for d in dims:
            normalize_dim(d, 0)
        return None
    normalised = [normalize_dim(d, ndim) for d in dims]
    for d in normalised:
        if normalised.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return tuple(sorted(normalised))


def size_arguments(args):
    """Accept sizes given as ``f(2, 3)`` or ``f((2, 3))``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    for s in args:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"sizes must be ints, got {s!r} in {tuple(args)}")
    return tuple(int(s) for s in args)


def new_shape(args, function=None):
    """``size_arguments`` for the shape of a new tensor, which PyTorch refuses with a negative
    size: "Trying to create tensor with negative dimension -1: [2, -1]" (``zeros`` words it
    its own way: pass ``function="zeros"``)."""
    shape = size_arguments(args)
    for size in shape:
        if size < 0:
            if function == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {size}: "
                               f"{list(shape)}")
    return shape


def inferred_and_known(shape):
    """``(position of the -1 or None, product of the other sizes)`` of a target shape, with
    PyTorch's ``infer_size`` errors: the sizes are read left to right, so a second ``-1`` or a
    negative size is named by the first one met. Shared by reshape and unflatten."""
    infer = None
    known = 1  # exact ints: NumPy's prod is 20x slower
    for i, size in enumerate(shape):
        if size == -1:
            if infer is not None:
                raise RuntimeError("only one dimension can be inferred")
            infer = i
        elif size >= 0:
            known *= size
        else:
            raise RuntimeError(f"invalid shape dimension {size} at index {i} of shape "
                               f"{list(shape)}")
    return infer, known


def resolve_shape(shape, numel):
    """Fill in a ``-1`` in a reshape target; raise PyTorch's message when sizes do not fit
    (``inferred_and_known``'s, then its ``infer_size``'s for sizes that do not multiply up)."""
    infer, known = inferred_and_known(shape)
    if numel == known or (infer is not None and known > 0 and numel % known == 0):
        if infer is None:
            return shape
        if known == 0:  # 0 elements: any size fits the -1
            raise RuntimeError(
                f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                "unspecified dimension size -1 can be any value and is ambiguous")
        return shape[:infer] + (numel // known,) + shape[infer + 1:]
    raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")


def reduced_count(shape, dims):
    """How many elements each result element of a reduction over ``dims`` (None: all) sums."""
    if dims is None:
        return int(np.prod(shape))
    return int(np.prod([shape[d] for d in dims]))


def broadcastable(a_shape, b_shape):
    if a_shape == b_shape:
        return True
    for x, y in zip(reversed(a_shape), reversed(b_shape)):
        if x != y and x != 1 and y != 1:
            return False
    return True


def broadcastable_into(shape, target):
    """Whether an array of ``shape`` broadcasts to exactly ``target`` (as an in-place write
    needs: the destination's shape cannot grow)."""
    if len(shape) > len(target):
        return False
    return all(s == t or s == 1 for s, t in zip(reversed(shape), reversed(target)))


def broadcast_error(a_shape, b_shape, name_shapes=True):
    """PyTorch's broadcasting message, with both shapes named (unless ``name_shapes`` is
    False: then it is PyTorch's message exactly)."""
    ndim = max(len(a_shape), len(b_shape))
    a_full = (1,) * (ndim - len(a_shape)) + tuple(a_shape)
    b_full = (1,) * (ndim - len(b_shape)) + tuple(b_shape)
    for d in reversed(range(ndim)):
        if a_full[d] != b_full[d] and a_full[d] != 1 and b_full[d] != 1:
            message = (f"The size of tensor a ({a_full[d]}) must match the size of tensor b "
                       f"({b_full[d]}) at non-singleton dimension {d}")
            if name_shapes:
                message += f" (shapes {tuple(a_shape)} and {tuple(b_shape)} do not broadcast)"
            return message
    return f"shapes {tuple(a_shape)} and {tuple(b_shape)} do not broadcast"


def index_error_message(error, shape, index=None):
    """NumPy's IndexError message in PyTorch's words (``dimension`` for ``axis``, PyTorch's
    sentences for too many indices and for a boolean mask that does not fit ``index``), with
    the shape."""
    message = str(error)
    if message.startswith("boolean index did not match") and index is not None:
        mask_message = _mask_mismatch(shape, index if isinstance(index, tuple) else (index,))
        if mask_message:
            return mask_message
    if message.startswith("too many indices"):
        message = (f"too many indices for tensor of dimension {len(shape)}" if shape else
                   "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                   "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    message = message.replace("axis", "dimension").replace("array", "tensor")
    return f"{message} (indexing a tensor of shape {tuple(shape)})"


def _mask_mismatch(shape, parts):
    """PyTorch's message for the first boolean mask in ``parts`` (an index: ints, slices,
    None, ..., arrays) whose shape differs from the dims it covers, or None. PyTorch applies
    the parts in order, so a mask is matched against the tensor left by those before it (ints
    removed a dim, None added one, slices shortened one), from the dim it has reached."""
    def covers(part):
        if part is None or part is Ellipsis:
            return 0
        return part.ndim if isinstance(part, np.ndarray) and part.dtype == np.bool_ else 1

    shape, dim = list(shape), 0
    span = len(shape) - sum(covers(part) for part in parts)
    for part in parts:
        if part is None:
            shape.insert(dim, 1)
            dim += 1
        elif part is Ellipsis:
            dim += span
        elif isinstance(part, (int, np.integer)):
            del shape[dim]
        elif isinstance(part, slice):
            if dim < len(shape):
                shape[dim] = len(range(*part.indices(shape[dim])))
            dim += 1
        elif isinstance(part, np.ndarray) and part.dtype == np.bool_:
            for k, size in enumerate(part.shape):
                if dim + k < len(shape) and shape[dim + k] != size:
                    return (f"The shape of the mask {list(part.shape)} at index {k} does not "
                            f"match the shape of the indexed tensor {shape} at index {dim + k}")
            dim += part.ndim
        else:
            dim += 1
    return None


def assignment_shape_error(value_shape, indexed_shape, basic):
    """PyTorch's message for ``t[index] = value`` when ``value`` does not broadcast to what the
    index selects: the message of ``expand`` for an index of ints and slices (PyTorch copies
    into the view), the "shape mismatch" one for an index holding tensors."""
    value_shape, indexed_shape = list(value_shape), list(indexed_shape)
    if basic and len(value_shape) <= len(indexed_shape):
        lead = len(indexed_shape) - len(value_shape)
        for i, size in reversed(list(enumerate(value_shape))):
            if size != 1 and size != indexed_shape[lead + i]:
                return (f"The expanded size of the tensor ({indexed_shape[lead + i]}) must match "
                        f"the existing size ({size}) at non-singleton dimension {lead + i}.  "
                        f"Target sizes: {indexed_shape}.  Tensor sizes: {value_shape}")
    return (f"shape mismatch: value tensor of shape {value_shape} cannot be broadcast to "
            f"indexing result of shape {indexed_shape}")

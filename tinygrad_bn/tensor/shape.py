"""Shape: views in another shape or order (``reshape``, ``permute``, ``expand``, ``squeeze``,
...), pieces (``split``, ``chunk``, ``narrow``, ``unbind``), copies that move or repeat elements
(``flip``, ``roll``, ``repeat``, ``repeat_interleave``, ``diag``, ``diff``), and joining tensors
(``cat``, ``stack``, ``meshgrid``, ``broadcast_tensors``)."""

from __future__ import annotations

import math
import warnings
# ``bool``, ``int`` and ``float`` are Tensor methods, so annotations use these:
from builtins import int as _int
from collections.abc import Sequence

import numpy as np

from .. import dtypes
from ..autocast_state import float32_op
from ..autograd import graph
from ..ops import (
    Cat, Derived, Diag, Diagonal, Expand, Flip, GetItem, IndexSelect, Permute, Repeat, Reshape,
    Roll, Stack,
)
from ..ops.positions import repeated_positions
from ..printing import Size
from ..shapes import (
    broadcast_error, broadcastable, normalize_dim, normalize_dims, resolve_shape, size_arguments,
    ShapeLike,
)
from .arguments import (
    _common_dtype, _tensor_argument, _tensor_list, accept_numpy_names, constant_tensor,
)
from .core import Tensor


def _viewable(array, shape):
    """Whether ``array`` can take ``shape`` without copying (its strides allow it)."""
    if array.flags.c_contiguous:  # any shape of the same size is a view
        return True
    try:
        np.reshape(array, shape, copy=False)
    except ValueError:  # a copy would be needed
        return False
    except TypeError:  # NumPy before 2.1 has no copy=: setting the shape of a view never copies
        view = array.view()
        try:
            view.shape = shape
        except AttributeError:
            return False
    return True


def _target_shape(shape, numel):
    """``resolve_shape(size_arguments(shape), numel)``, the target of ``reshape`` and ``view``.
    Sizes given one by one as non-negative ints that multiply to ``numel`` (``x.view(B, T, nh,
    hs)``, the common call) are the target as they are; anything else (one tuple, a -1, a NumPy
    int, sizes that do not fit) takes the checking path, which also raises the errors."""
    for size in shape:
        if type(size) is not int or size < 0:
            return resolve_shape(size_arguments(shape), numel)
    if math.prod(shape) == numel:
        return shape
    return resolve_shape(size_arguments(shape), numel)


def _plain_order(dims, ndim):
    """The order a ``permute(*dims)`` call asks for (ints one by one, or one tuple) when it is
    already what the checks would make of it: each of ``0 .. ndim - 1`` once, as an int. Else
    None, and ``permute`` checks the arguments (and raises their errors)."""
    order = dims[0] if len(dims) == 1 and type(dims[0]) is tuple else dims
    if len(order) != ndim:
        return None
    for d in order:
        if type(d) is not int or not 0 <= d < ndim:
            return None
    return order if len(set(order)) == ndim else None


class ShapeMethods:
    """The shape methods of ``Tensor``, which takes them as its own (see
    ``tinygrad_bn/tensor/__init__.py``)."""

    # ------------------------------------------------------------------ views

    def reshape(self, *shape: ShapeLike) -> Tensor:
        """The same elements in a new shape, given as ints or one tuple (``reshape(4, -1)``,
        ``reshape((4, -1))``); one dimension may be -1 and is then inferred. As PyTorch's
        ``reshape``, the result shares the data (a view) when the layout allows and is a copy
        otherwise (a transposed tensor)."""
        if not shape:
            raise TypeError('reshape() missing 1 required positional arguments: "shape"')
        return Reshape.apply(self, shape=_target_shape(shape, self._array.size))

    def view(self, *shape: ShapeLike) -> Tensor:
        """The same elements in a new shape, always sharing the data: as PyTorch's ``view``, a
        shape that the memory layout cannot give without a copy (``x.t().view(-1)``) is an error,
        so writes through the result always reach this tensor. ``reshape`` copies instead."""
        if not shape:
            raise TypeError("view() received an invalid combination of arguments - got (), but "
                            "expected one of:\n * (torch.dtype dtype)\n * (tuple of ints size)\n")
        target = _target_shape(shape, self._array.size)
        if not _viewable(self._array, target):
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
            )
        return Reshape.apply(self, shape=target)

    def view_as(self, other: Tensor) -> Tensor:
        """``self.view(other.shape)``: a view in ``other``'s shape, an error if the layout needs a
        copy."""
        return self.view(other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        """``self.reshape(other.shape)``: a view when the layout allows, else a copy."""
        return self.reshape(other.shape)

    def ravel(self) -> Tensor:
        """The values as one dimension: a view when the layout allows, else a copy
        (``reshape(-1)``)."""
        return self.reshape(-1)

    def flatten(self, start_dim: _int = 0, end_dim: _int = -1) -> Tensor:
        """Merge dims ``start_dim`` to ``end_dim`` (inclusive) into one."""
        start, end = normalize_dim(start_dim, self.ndim), normalize_dim(end_dim, self.ndim)
        if self.ndim == 0:
            return self.reshape(1)
        if start > end:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        shape = self.shape
        merged = 1  # not -1: with a zero-size dim elsewhere, -1 could be any size
        for size in shape[start:end + 1]:
            merged *= size
        return self.reshape(shape[:start] + (merged,) + shape[end + 1 :])

    def squeeze(self, dim: _int | Sequence[_int] | None = None) -> Tensor:
        """Remove size-1 dims (all of them, or those in ``dim`` that have size 1)."""
        dims = range(self.ndim) if dim is None else normalize_dims(dim, self.ndim) or ()
        shape = tuple(s for d, s in enumerate(self.shape) if not (d in dims and s == 1))
        return self.reshape(shape)

    def unsqueeze(self, dim: _int) -> Tensor:
        """Insert a size-1 dim at position ``dim`` (in ``[-ndim - 1, ndim]``)."""
        d = normalize_dim(dim, self.ndim + 1)
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def permute(self, *dims: ShapeLike) -> Tensor:
        """A view with the dimensions reordered: ``x.permute(2, 0, 1)`` or ``x.permute((2, 0,
        1))``; ``dims`` must name every dimension once (negative indices allowed). Shares the data.
        """
        if not dims:
            raise TypeError('permute() missing 1 required positional arguments: "dims"')
        order = _plain_order(dims, self._array.ndim)
        if order is not None:
            return Permute.apply(self, dims=order)
        dims = tuple(size_arguments(dims))
        if len(dims) != self.ndim:
            raise RuntimeError(
                "permute(sparse_coo): number of dimensions in the tensor input does not match the "
                "length of the desired ordering of dimensions i.e. input.dim() = "
                f"{self.ndim} is not equal to len(dims) = {len(dims)}"
            )
        dims = tuple(normalize_dim(d, self.ndim) for d in dims)
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"permute(): duplicate dims are not allowed (got {dims})")
        return Permute.apply(self, dims=dims)

    def transpose(self, dim0: _int, dim1: _int) -> Tensor:
        """A view with dimensions ``dim0`` and ``dim1`` swapped (negative indices allowed); shares
        the data, as PyTorch's ``transpose``."""
        dims = list(range(self.ndim))
        d0, d1 = normalize_dim(dim0, self.ndim), normalize_dim(dim1, self.ndim)
        if dims:  # a 0-d tensor accepts dims 0 and -1 and comes back as it is, as in PyTorch
            dims[d0], dims[d1] = dims[d1], dims[d0]
        return Permute.apply(self, dims=tuple(dims))

    @property
    def T(self) -> Tensor:
        """All dims reversed (the transpose, for a matrix)."""
        return Permute.apply(self, dims=tuple(reversed(range(self.ndim))))

    def t(self) -> Tensor:
        """The transpose of a matrix: a 2-D tensor gets its two dimensions swapped (a view); 0-D
        and 1-D tensors come back as they are. More than 2 dimensions raise, as in PyTorch."""
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self.T

    def expand(self, *sizes: ShapeLike) -> Tensor:
        """Broadcast size-1 dims to ``sizes`` without copying; ``-1`` keeps a dim's size."""
        sizes = tuple(size_arguments(sizes))
        if len(sizes) < self.ndim:
            raise RuntimeError(
                f"expand({self.type()}{{{list(self.shape)}}}, size={list(sizes)}): the number of "
                f"sizes provided ({len(sizes)}) must be greater or equal to the number of "
                f"dimensions in the tensor ({self.ndim})"
            )
        lead = len(sizes) - self.ndim
        for i, wanted in enumerate(sizes[:lead]):
            if wanted < 0:
                raise RuntimeError(f"The expanded size of the tensor ({wanted}) isn't allowed in a "
                                   f"leading, non-existing dimension {i}")
        target = list(sizes)
        for i, size in enumerate(self.shape):
            wanted = sizes[lead + i]
            if wanted == -1:
                target[lead + i] = size
            elif size != 1 and wanted != size:
                raise RuntimeError(
                    f"The expanded size of the tensor ({wanted}) must match the existing size "
                    f"({size}) at non-singleton dimension {lead + i}.  Target sizes: "
                    f"{list(sizes)}.  Tensor sizes: {list(self.shape)}"
                )
        return Expand.apply(self, shape=tuple(target))

    def expand_as(self, other: Tensor) -> Tensor:
        """``self.expand(*other.shape)``: a broadcast view with ``other``'s shape (no copy); the
        gradient is summed back over the broadcast dimensions."""
        return self.expand(*other.shape)

    # ------------------------------------------------------------------ copies that move elements

    def flip(self, *positional_dims: ShapeLike, dims: ShapeLike | None = None) -> Tensor:
        """The order of the elements along ``dims`` reversed (a copy, as in PyTorch). The dims
        come as ints, one tuple, or the keyword ``dims=`` (``x.flip(0, 1)``, ``x.flip((0, 1))``,
        ``torch.flip(x, dims=(0, 1))``); they are required, and ``()`` flips nothing."""
        if dims is not None and positional_dims:
            raise TypeError("flip() got multiple values for argument 'dims'")
        if dims is None and not positional_dims:
            raise TypeError('flip() missing 1 required positional arguments: "dims"')
        given = size_arguments(positional_dims if dims is None else (dims,))
        return Flip.apply(self, dims=normalize_dims(given, self.ndim))

    def repeat(self, *repeats: ShapeLike) -> Tensor:
        """Tile the tensor ``repeats[i]`` times along dim ``i`` (new leading dims when
        ``repeats`` is longer than ``ndim``)."""
        repeats = tuple(size_arguments(repeats))
        if len(repeats) < self.ndim:
            raise RuntimeError(
                "Number of dimensions of repeat dims can not be smaller than number of dimensions "
                "of tensor"
            )
        if any(r < 0 for r in repeats):
            padded = (1,) * (len(repeats) - self.ndim) + tuple(self.shape)
            shape = [r * size for r, size in zip(repeats, padded)]
            negative = next(size for size in shape if size < 0)
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {negative}: {shape}")
        return Repeat.apply(self, repeats=repeats)

    def tile(self, *dims: ShapeLike) -> Tensor:
        """``repeat`` with ``dims`` padded with leading 1s when it is shorter than ``ndim``:
        ``x.tile(2)`` of a matrix repeats its columns."""
        dims = tuple(size_arguments(dims))
        return self.repeat((1,) * (self.ndim - len(dims)) + dims)

    def repeat_interleave(self, repeats: Tensor | _int | None = None, dim: _int | None = None, *,
                          output_size: _int | None = None) -> Tensor:
        """Each element repeated ``repeats`` times along ``dim`` (an int for all, or a tensor of
        one count per element), over the flattened tensor when ``dim`` is None:
        ``[1, 2] -> [1, 1, 2, 2]``. Without ``repeats``, this tensor holds the counts and the
        result repeats the indices ``0, 1, ...`` (``torch.repeat_interleave(counts)``)."""
        if repeats is None:
            self._check_repeat_counts(self, 0, -1, None)
            return Derived.apply(self, function=repeated_positions,
                                 keywords={"size": self.numel(), "output_size": None})
        source = self.reshape(-1) if dim is None else self
        d = normalize_dim(0 if dim is None else dim, source.ndim)
        size = source.shape[d] if source.ndim else 1
        if isinstance(repeats, Tensor):  # the positions are computed from the counts' values
            self._check_repeat_counts(repeats, d, size, output_size)
            index = Derived.apply(repeats, function=repeated_positions,
                                  keywords={"size": size, "output_size": output_size})
        else:
            if repeats < 0:
                raise RuntimeError("Repeats must be non-negative")
            index = repeated_positions(np.asarray(int(repeats)), size, output_size)
            index = constant_tensor(index)
        if source.ndim == 0:
            source = source.reshape(1)
        return IndexSelect.apply(source, index, dim=d)

    @staticmethod
    def _check_repeat_counts(repeats, dim, size, output_size):
        """PyTorch's checks of the dtype and shape of ``repeat_interleave``'s tensor of counts
        (``repeated_positions`` checks their values). Unless ``output_size`` is given, the
        result's shape depends on the counts' values: a jit capture refuses it (without
        ``repeats``, ``output_size`` is ignored, so it always does)."""
        if output_size is None:
            graph.untraceable("repeat_interleave returns a shape that depends on the tensor's "
                              "values")
        counts = repeats._array
        if counts.dtype.kind not in "iu":
            raise dtypes.not_implemented("repeat_interleave_cpu", counts.dtype)
        if counts.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if counts.ndim == 1 and size >= 0 and len(counts) != size:
            raise RuntimeError(
                "repeats must have the same size as input along dim, but got repeats.size(0) = "
                f"{len(counts)} and input.size({dim}) = {size}")

    # ------------------------------------------------------------------ pieces

    def split(self, split_size_or_sections: _int | Sequence[_int],
              dim: _int = 0) -> tuple[Tensor, ...]:
        """Views of consecutive pieces along ``dim``: of ``split_size`` each (the last may be
        smaller), or of the given list of sizes."""
        if self.ndim == 0:
            raise RuntimeError("split expects at least a 1-dimensional tensor")
        d = normalize_dim(dim, self.ndim)
        length = self.shape[d]
        if isinstance(split_size_or_sections, int):
            step = split_size_or_sections
            if step < 0:
                raise RuntimeError(f"split expects split_size be non-negative, but got "
                                   f"split_size={step}")
            if step == 0 and length:
                raise RuntimeError("split_size can only be 0 if dimension size is 0, but got "
                                   f"dimension size of {length}")
            sizes = [min(step, length - start) for start in range(0, length, step or 1)] or [0]
        else:
            sizes = list(split_size_or_sections)
            if any(size < 0 for size in sizes):
                raise RuntimeError("split_with_sizes expects split_sizes have only non-negative "
                                   f"entries, but got split_sizes={sizes}")
            if sum(sizes) != length:
                raise RuntimeError(
                    f"split_with_sizes expects split_sizes to sum exactly to {length} (input "
                    f"tensor's size at dimension {d}), but got split_sizes={sizes}"
                )
        pieces, start = [], 0
        for size in sizes:  # slices only: the index is its own template (see tensor[index])
            index = (slice(None),) * d + (slice(start, start + size),)
            pieces.append(GetItem.apply(self, index=index))
            start += size
        return tuple(pieces)

    def chunk(self, chunks: _int, dim: _int = 0) -> tuple[Tensor, ...]:
        """At most ``chunks`` views of (nearly) equal size along ``dim``."""
        if self.ndim == 0:
            raise RuntimeError("chunk expects at least a 1-dimensional tensor")
        if chunks <= 0:
            raise RuntimeError("chunk expects `chunks` to be greater than 0, got: "
                               f"{chunks}")
        length = self.shape[normalize_dim(dim, self.ndim)]
        return self.split(max(-(-length // chunks), 1), dim)

    def unbind(self, dim: _int = 0) -> tuple[Tensor, ...]:
        """The slices along ``dim``, as a tuple of views with that dim removed."""
        d = normalize_dim(dim, self.ndim)  # a 0-d tensor: dims -1 and 0 wrap, then refuse
        if self.ndim == 0:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        return tuple(self[(slice(None),) * d + (i,)] for i in range(self.shape[d]))

    def narrow(self, dim: _int, start: _int | Tensor, length: _int) -> Tensor:
        """The view ``self[..., start:start + length, ...]`` along ``dim`` (``start`` may be
        negative, counting from the end, or a 0-d integer tensor)."""
        if isinstance(start, Tensor):
            if start.ndim or start.dtype.kind not in "iu":
                raise RuntimeError("start must be an 0-dim integral Tensor.")
        elif isinstance(start, bool) or not isinstance(start, (int, np.integer)):
            got = type(start).__name__
            raise TypeError(
                f"narrow() received an invalid combination of arguments - got (int, {got}, int), "
                "but expected one of:\n * (int dim, Tensor start, int length)\n"
                " * (int dim, int start, int length)")
        if self.ndim == 0:
            raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
        d = normalize_dim(dim, self.ndim)
        size, start = self.shape[d], int(start)
        if not -size <= start <= size:
            raise IndexError(
                f"start out of range (expected to be in range of [{-size}, {size}], but got "
                f"{start})")
        if length < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        start = start + size if start < 0 else start
        if start + length > size:
            raise RuntimeError(
                f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
        return self[(slice(None),) * d + (slice(start, start + length),)]

    def select(self, dim: _int, index: _int) -> Tensor:
        """The view ``self[..., index, ...]`` at position ``index`` of ``dim`` (negative counts
        from the end), that dim removed."""
        if self.ndim == 0:
            raise IndexError("select() cannot be applied to a 0-dim tensor.")
        d = normalize_dim(dim, self.ndim)
        size = self.shape[d]
        if isinstance(index, Tensor):
            graph.untraceable("select with a tensor index reads the index's value")
            index = index.item()
        if not -size <= index < size:
            raise IndexError(f"select(): index {index} out of range for tensor of size "
                             f"{list(self.shape)} at dimension {d}")
        return self[(slice(None),) * d + (int(index) % size,)]

    def diagonal(self, offset: _int = 0, dim1: _int = 0, dim2: _int = 1) -> Tensor:
        """The diagonal ``offset`` (0 the main one, positive above it, negative below) of the
        matrices in dims ``dim1`` and ``dim2``: those dims are removed and the diagonal becomes
        the last dim. A view, as in PyTorch: writes through it reach this tensor."""
        d1, d2 = normalize_dim(dim1, self.ndim), normalize_dim(dim2, self.ndim)
        if d1 == d2:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        return Diagonal.apply(self, offset=int(offset), dim1=d1, dim2=d2)

    # ------------------------------------------------------------------ more views

    def movedim(self, source: _int | Sequence[_int], destination: _int | Sequence[_int]) -> Tensor:
        """The view with dims ``source`` (an int or a sequence) moved to positions
        ``destination``, the other dims keeping their order (NumPy's ``moveaxis``)."""
        sources = tuple(source) if isinstance(source, (tuple, list)) else (source,)
        targets = tuple(destination) if isinstance(destination, (tuple, list)) else (destination,)
        if len(sources) != len(targets):
            raise RuntimeError(
                "movedim: Invalid source or destination dims: source "
                f"({list(sources)} dims) should contain the same number of dims as destination "
                f"({list(targets)} dims)")
        moved = [normalize_dim(d, self.ndim) for d in sources]
        placed = [normalize_dim(d, self.ndim) for d in targets]
        for name, given, normalised in (("source", sources, moved),
                                        ("destination", targets, placed)):
            if len(set(normalised)) != len(normalised):
                raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(given)})")
        if self.ndim == 0:
            return Permute.apply(self, dims=())
        order = [d for d in range(self.ndim) if d not in moved]
        for target, d in sorted(zip(placed, moved)):
            order.insert(target, d)
        return Permute.apply(self, dims=tuple(order))

    moveaxis = movedim

    def swapaxes(self, axis0: _int, axis1: _int) -> Tensor:
        """``transpose(axis0, axis1)``, NumPy's name."""
        return self.transpose(axis0, axis1)

    def swapdims(self, dim0: _int, dim1: _int) -> Tensor:
        """``transpose(dim0, dim1)``."""
        return self.transpose(dim0, dim1)

    def unflatten(self, dim: _int, sizes: Sequence[_int]) -> Tensor:
        """Split ``dim`` into dims of ``sizes`` (their product must be its size; one may be
        -1): the inverse of ``flatten``, a view."""
        if self.ndim == 0:
            raise RuntimeError("unflatten: a 0-dim tensor has no dim to unflatten")
        d = normalize_dim(dim, self.ndim)
        sizes = tuple(size_arguments((sizes,)))
        if not sizes:
            raise RuntimeError("unflatten: sizes must be non-empty")
        size = self.shape[d]
        if sizes.count(-1) > 1:
            raise RuntimeError("only one dimension can be inferred")
        known = int(np.prod([s for s in sizes if s != -1]))
        resolved = sizes
        if -1 in sizes and known > 0 and size % known == 0:
            resolved = tuple(size // known if s == -1 else s for s in sizes)
        if -1 in resolved or int(np.prod(resolved)) != size:
            raise RuntimeError(
                f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim "
                f"{d} ({size}) in the input tensor")
        return self.reshape(self.shape[:d] + resolved + self.shape[d + 1:])

    def broadcast_to(self, size: Sequence[_int]) -> Tensor:
        """The view of this tensor broadcast to shape ``size`` (``expand``; -1 keeps a size)."""
        return self.expand(*size)

    @property
    def mT(self) -> Tensor:
        """The last two dims swapped (the transpose of each matrix in a batch), a view."""
        return self._matrix_transpose("mT")

    @property
    def mH(self) -> Tensor:
        """The conjugate transpose of the last two dims (``mT`` for real matrices)."""
        return self._matrix_transpose("mH").conj()

    @property
    def H(self) -> Tensor:  # noqa: N802 - PyTorch's name
        """The conjugate transpose of a matrix (2-D only): for real values its transpose, a
        view; for complex ones conjugated (see ``conj``)."""
        if self.ndim != 2:
            hint = " For batches of matrices, consider using tensor.mH" if self.ndim > 2 else ""
            raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                               f"{self.ndim}-D tensor.{hint}")
        return self.transpose(-2, -1).conj()

    def adjoint(self) -> Tensor:
        """``mH`` as a method (PyTorch's ``Tensor.adjoint``)."""
        return self._matrix_transpose("adjoint()").conj()

    def _matrix_transpose(self, name):
        if self.ndim < 2:
            raise RuntimeError(f"tensor.{name} is only supported on matrices or batches of "
                               f"matrices. Got {self.ndim}-D tensor.")
        return self.transpose(-2, -1)

    # ------------------------------------------------------------------ more copies

    def roll(self, shifts: _int | Sequence[_int],
             dims: _int | Sequence[_int] | None = None) -> Tensor:
        """The elements moved ``shifts`` places along ``dims`` (an int or a sequence, one shift
        each), those pushed off the end coming back at the start; along the flattened tensor
        when ``dims`` is None (the shape is kept)."""
        shift_list = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
        dim_list = () if dims is None else tuple(dims) if isinstance(dims, (tuple, list)) \
            else (dims,)
        if not shift_list:
            raise RuntimeError("`shifts` required")
        if len(shift_list) != max(len(dim_list), 1):
            raise RuntimeError("shifts and dimensions must align. shifts: "
                               f"{len(shift_list)}, dims:{len(dim_list)}")
        if not dim_list or not self._array.size:  # None or (): along the flattened tensor;
            # an empty tensor comes back as it is, its dims unchecked (PyTorch's early return)
            return Roll.apply(self, shifts=int(shift_list[0]), dims=None)
        dim_list = tuple(normalize_dim(d, self.ndim, wrap_scalar=False) for d in dim_list)
        return Roll.apply(self, shifts=tuple(int(s) for s in shift_list), dims=dim_list)

    def diag(self, diagonal: _int = 0) -> Tensor:
        """A 1-D tensor becomes the square matrix with it on diagonal ``diagonal`` (0 the main
        one, positive above it, negative below); a matrix gives that diagonal, as a copy."""
        if self.ndim not in (1, 2):
            raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {self.ndim}D")
        return Diag.apply(self, diagonal=int(diagonal))

    @float32_op
    def trace(self) -> Tensor:
        """The sum of a matrix's main diagonal (integers sum to int64)."""
        if self.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {self.ndim}")
        if self._array.dtype is dtypes.bool:
            raise dtypes.not_implemented("trace", self._array.dtype)
        return self.diag().sum()

    def diff(self, n: _int = 1, dim: _int = -1, prepend: Tensor | None = None,
             append: Tensor | None = None) -> Tensor:
        """The ``n``-th forward difference along ``dim``: ``out[i] = x[i + 1] - x[i]``, applied
        ``n`` times, after joining ``prepend`` and ``append`` (tensors) to either end. Bool
        tensors give ``x[i + 1] != x[i]``, as in PyTorch."""
        if self.ndim == 0:
            raise RuntimeError("diff expects input to be at least one-dimensional")
        if n < 0:
            raise RuntimeError(f"order must be non-negative but got {n}")
        d = normalize_dim(dim, self.ndim)
        pieces = [self]
        for name, extra in (("prepend", prepend), ("append", append)):
            if extra is None:
                continue
            _tensor_argument(extra, "diff", name, None)
            if extra.ndim != self.ndim:
                raise RuntimeError(
                    "diff expects prepend or append to be the same dimension as input")
            for axis in range(self.ndim):
                if axis != d and extra.shape[axis] != self.shape[axis]:
                    raise RuntimeError(
                        "diff expects the shape of tensor to prepend or append to match that of "
                        "input except along the differencing dimension; input.size("
                        f"{axis}) = {self.shape[axis]}, but got tensor.size({axis}) = "
                        f"{extra.shape[axis]}")
            pieces.insert(0 if name == "prepend" else len(pieces), extra)
        if n == 0:  # PyTorch returns a copy of the input, without prepend and append
            return self.clone()
        result = cat(pieces, d) if len(pieces) > 1 else self
        for _ in range(n):
            length = result.shape[d]
            if length == 0:
                break
            later = result.narrow(d, 1, length - 1)
            earlier = result.narrow(d, 0, length - 1)
            result = later.logical_xor(earlier) if result._array.dtype is dtypes.bool \
                else later - earlier
        return result


# ---------------------------------------------------------------------- joining tensors


@accept_numpy_names
def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Concatenate tensors along an existing ``dim``; all other sizes must match.

    As in PyTorch, 1-D empty tensors (shape ``(0,)``, the legacy empty tensor) are skipped
    whatever the others' number of dims (they still count in the result's dtype, and get an
    empty gradient); ``dim`` is checked against the first tensor that is not one of them."""
    tensors = _tensor_list(tensors, "cat")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    joined = [(i, t) for i, t in enumerate(tensors) if t.shape != (0,)]
    if not joined:  # only legacy empty tensors: an empty (0,) result, dim left unchecked
        return Cat.apply(*_common_dtype(tensors), dim=0)
    ndim = joined[0][1].ndim
    d = normalize_dim(dim, ndim)
    first = joined[0][1].shape
    for i, t in joined[1:]:
        if t.ndim != ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ndim} and {t.ndim}"
            )
        for axis in range(ndim):
            if axis != d and t.shape[axis] != first[axis]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{first[axis]} but got size {t.shape[axis]} for tensor number {i} in the list."
                )
    return Cat.apply(*_common_dtype(tensors), dim=d)


@accept_numpy_names
def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join equally shaped tensors along a new dim ``dim``."""
    tensors = _tensor_list(tensors, "stack")
    for i, t in enumerate(tensors[1:], start=1):
        if t.shape != tensors[0].shape:
            raise RuntimeError(
                "stack expects each tensor to be equal size, but got "
                f"{list(tensors[0].shape)} at entry 0 and {list(t.shape)} at entry {i}"
            )
    return Stack.apply(*_common_dtype(tensors), dim=normalize_dim(dim, tensors[0].ndim + 1))


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join tensors column-wise: 1-D (and 0-d) tensors end to end, others along dim 1."""
    tensors = [_at_least(t, 1) for t in _tensor_list(tensors, "hstack")]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join tensors row-wise: 1-D (and 0-d) tensors become rows of a matrix; others are
    joined along dim 0."""
    tensors = [_at_least(t, 2) for t in _tensor_list(tensors, "vstack")]
    return cat(tensors, 0)


def _at_least(tensor, ndim):
    """``atleast_1d``/``atleast_2d``: a 0-d tensor as ``(1,)`` or ``(1, 1)``, a 1-D one of
    length ``n`` as ``(1, n)`` for 2 (views)."""
    if tensor.ndim >= ndim:
        return tensor
    return tensor.reshape((1,) * (ndim - tensor.ndim) + tuple(tensor.shape))


def meshgrid(*tensors: Tensor | Sequence[Tensor],
             indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors of sizes ``n0, n1, ...``: one tensor of shape
    ``(n0, n1, ...)`` each, the ``i``-th varying along dim ``i`` (``indexing="ij"``, matrix
    indexing) or with the first two dims swapped (``"xy"``, Cartesian, as NumPy's default).
    The results are broadcast views. Without ``indexing`` PyTorch warns and uses ``"ij"``;
    so does this."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    tensors = _tensor_list(tensors, "meshgrid")
    if any(t._array.dtype is not tensors[0]._array.dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got: a {t.ndim}-D tensor of shape {tuple(t.shape)}")
    if indexing not in ("ij", "xy"):
        raise RuntimeError('torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f"{indexing}")
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) > 1:
        axes[0], axes[1] = 1, 0
    shape = [0] * len(tensors)
    for axis, t in zip(axes, tensors):
        shape[axis] = t.numel()
    grids = []
    for axis, t in zip(axes, tensors):
        along = [1] * len(tensors)
        along[axis] = -1
        grids.append(t.reshape(along).expand(*shape))
    return tuple(grids)


def broadcast_shapes(*shapes: ShapeLike) -> Size:
    """The shape that tensors of ``shapes`` broadcast to, as a ``Size``."""
    result = []
    for index, shape in enumerate(shapes):
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        result = [1] * (len(shape) - len(result)) + result
        for k in range(-1, -len(shape) - 1, -1):  # from the last dim, as PyTorch reports
            size = shape[k]
            if size != 1 and result[k] not in (1, size):
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {size} at {k}! Mismatching "
                    f"argument at index {index} had {shape}; but expected shape should be "
                    f"broadcastable to {result}")
            if size != 1:
                result[k] = size
    return Size(result)


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors expanded to their common broadcast shape (views), as a tuple."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = ()
    for t in tensors:
        _tensor_argument(t, "broadcast_tensors", "tensors", None)
        if not broadcastable(shape, t._array.shape):
            raise RuntimeError(broadcast_error(shape, t._array.shape))
        shape = np.broadcast_shapes(shape, t._array.shape)
    return tuple(t if t._array.shape == shape else t.expand(*shape) for t in tensors)

"""Ops that move elements without computing new values: reshape, permute, expand, indexing,
concatenation and stacking.

Their backward passes only route gradients: reshape back, permute by the inverse order, sum
over expanded dims, scatter-add into the indexed positions, split along the joined dim.
"""

import numpy as np

from ..autograd.graph import Op, PartialGradient
from .elementwise import fused_multiply_add
from ..shapes import index_error_message


class Reshape(Op):
    """View the input with another ``shape`` of the same size (``-1`` already resolved).
    Gradient: ``grad_output`` reshaped to the input's shape. Also serves ``view``, ``flatten``,
    ``squeeze`` and ``unsqueeze``."""

    __slots__ = ("shape", "input_shape")
    is_linear = True  # create_graph: see autograd/higher_order.py
    is_view = True
    arguments = ("shape",)

    def __init__(self, shape):
        self.shape = shape

    def forward(self, a):
        self.input_shape = a.shape
        return a.reshape(self.shape)

    def backward(self, grad_output):
        return (grad_output.reshape(self.input_shape),)


class Permute(Op):
    """Reorder dims: output dim ``i`` is input dim ``dims[i]``. Also serves ``transpose`` and
    ``.T``. Gradient: ``grad_output`` permuted by the inverse order."""

    __slots__ = ("dims",)
    is_linear = True  # create_graph: see autograd/higher_order.py
    is_view = True
    arguments = ("dims",)

    def __init__(self, dims):
        self.dims = dims

    def forward(self, a):
        return a.transpose(self.dims)

    def backward(self, grad_output):
        # the inverse order in Python: np.argsort on a tuple costs several times more
        dims = self.dims
        return (grad_output.transpose(sorted(range(len(dims)), key=dims.__getitem__)),)


class Expand(Op):
    """Broadcast size-1 dims (and new leading dims) to ``shape`` without copying.
    Gradient: ``grad_output`` summed over the expanded dims (done by the engine's
    ``reduce_to_shape``, the one place broadcasting is undone)."""

    __slots__ = ("shape",)
    is_linear = True  # create_graph: see autograd/higher_order.py
    is_view = True
    arguments = ("shape",)

    def __init__(self, shape):
        self.shape = shape

    def forward(self, a):
        return np.broadcast_to(a, self.shape)

    def backward(self, grad_output):
        return (grad_output,)


class IndexTensor:
    """The place of a tensor in an indexing template (``GetItem``, ``SetItem``): the op's next
    index input goes there. Tensors in an index are inputs of the op, never fixed arguments, so
    that a jit capture replays them from each call's data; the template keeps the rest (ints,
    slices, None, ``...``, and arrays the user gave as Python lists or NumPy arrays)."""

    __slots__ = ()

    def __repr__(self):
        return "tensor"


INDEX_TENSOR = IndexTensor()


def resolve_index(template, arrays):
    """``template`` with the index inputs' ``arrays`` in the places of ``INDEX_TENSOR``, as a
    tuple (one item per dim indexed). A 0-d integer array becomes a Python int, so that it
    selects a view as an int does (not a copy, as a 0-d NumPy array would)."""
    arrays = iter(arrays)
    parts = []
    for part in template if isinstance(template, tuple) else (template,):
        if part is INDEX_TENSOR:
            part = next(arrays)
            if part.ndim == 0 and part.dtype.kind in "iu":
                part = int(part)
        parts.append(part)
    return tuple(parts)


class GetItem(Op):
    """``a[index]`` with ints, slices, ``None``, ``...``, integer arrays and boolean masks.

    ``index`` is a template (see ``IndexTensor``): the tensors used in the index follow ``a``
    as inputs, in order, and get no gradient. Gradient for ``a``: zeros of its shape with
    ``grad_output`` added at the indexed positions. With integer arrays a position can be
    picked twice, so the add is ``np.add.at`` (a scatter-add that accumulates repeats);
    otherwise plain assignment is exact. For a basic index (ints, slices, None, ``...``) the
    gradient is a ``PartialGradient`` saying just that, which the engine adds in place.
    """

    __slots__ = ("index", "input_shape")
    is_linear = True  # create_graph: see autograd/higher_order.py
    is_view = True
    arguments = ("index",)
    array_arguments = ("index",)  # arrays the user gave as Python lists or NumPy arrays

    def __init__(self, index):
        self.index = index

    def forward(self, a, *index_arrays):
        self.input_shape = a.shape
        index = self.index
        if index_arrays:  # the resolved index is kept for backward (freed with the graph)
            index = resolve_index(index, index_arrays)
            self.saved = (index,)
        try:
            if _is_basic(index):
                # Ints, slices, None and ... select a view, as in PyTorch; the trailing ...
                # keeps NumPy from returning a copied scalar when every dim is indexed by an int.
                parts = index if isinstance(index, tuple) else (index,)
                return a[parts if Ellipsis in parts else parts + (Ellipsis,)]
            return np.asarray(a[index])
        except IndexError as error:
            raise IndexError(index_error_message(error, a.shape, index)) from None

    def backward(self, grad_output):
        index = self.saved[0] if self.saved else self.index
        if not self.saved and _is_basic(index):  # a view's gradient: the engine adds it in place
            return (PartialGradient(_view_index(index), grad_output, self.input_shape),) + \
                (None,) * (len(self.needs_input_grad) - 1)
        grad = np.zeros(self.input_shape, dtype=grad_output.dtype)
        parts = index if isinstance(index, tuple) else (index,)
        if any(isinstance(i, np.ndarray) and i.dtype.kind in "iu" for i in parts):
            np.add.at(grad, index, grad_output)
        else:
            grad[index] = grad_output
        return (grad,) + (None,) * (len(self.needs_input_grad) - 1)


def _view_index(index):
    """A basic index as forward used it (a tuple ending in ``...``), so that writing through it
    reaches the same elements as a view, even when every dim is indexed by an int."""
    parts = index if isinstance(index, tuple) else (index,)
    return parts if Ellipsis in parts else parts + (Ellipsis,)


def _is_basic(index):
    """Whether an index selects a view: only ints, slices, None and Ellipsis. (A plain loop: a
    generator in ``all()`` costs twice as much, and ``GetItem`` asks in forward and backward.)"""
    for part in index if isinstance(index, tuple) else (index,):
        if not (part is None or part is Ellipsis or isinstance(part, (int, slice))):
            return False
    return True


class Cat(Op):
    """Join the inputs along existing dim ``dim``. Gradient: ``grad_output`` split back into
    pieces of the inputs' sizes along ``dim``.

    Inputs of shape ``(0,)`` (PyTorch's legacy empty tensor) are left out whatever the other
    inputs' number of dims, as PyTorch's ``cat`` does; their gradient is empty."""

    __slots__ = ("dim", "sizes", "skipped")
    is_linear = True  # create_graph: see autograd/higher_order.py
    arguments = ("dim",)

    def __init__(self, dim):
        self.dim = dim

    def forward(self, *arrays):
        self.skipped = [a.shape == (0,) for a in arrays]
        if all(self.skipped):  # nothing else: they are joined, into a (0,) result
            self.skipped = [False] * len(arrays)
        joined = [a for a, skip in zip(arrays, self.skipped) if not skip]
        self.sizes = [a.shape[self.dim] for a in joined]
        return np.concatenate(joined, axis=self.dim)

    def backward(self, grad_output):
        pieces = iter(np.split(grad_output, np.cumsum(self.sizes)[:-1], axis=self.dim))
        return tuple(np.zeros((0,), grad_output.dtype) if skip else next(pieces)
                     for skip in self.skipped)


class Stack(Op):
    """Join equally shaped inputs along a new dim ``dim``. Gradient: the slices of
    ``grad_output`` at each position of ``dim``."""

    __slots__ = ("dim",)
    is_linear = True  # create_graph: see autograd/higher_order.py
    arguments = ("dim",)

    def __init__(self, dim):
        self.dim = dim

    def forward(self, *arrays):
        return np.stack(arrays, axis=self.dim)

    def backward(self, grad_output):
        return tuple(np.moveaxis(grad_output, self.dim, 0))


class Clone(Op):
    """A copy of the input in new memory (``clone()``, ``contiguous()`` of a strided view).
    Gradient: ``grad_output`` unchanged."""

    __slots__ = ()
    is_linear = True  # create_graph: see autograd/higher_order.py

    def forward(self, a):
        return np.array(a, copy=True, order="C")

    def backward(self, grad_output):
        return (grad_output,)


class Flip(Op):
    """The input with the order of ``dims`` reversed. Gradient: ``grad_output`` flipped back."""

    __slots__ = ("dims",)
    is_linear = True  # create_graph: see autograd/higher_order.py
    arguments = ("dims",)

    def __init__(self, dims):
        self.dims = dims

    def forward(self, a):
        return np.flip(a, self.dims).copy()  # a copy, as PyTorch's flip

    def backward(self, grad_output):
        return (np.flip(grad_output, self.dims),)


class Repeat(Op):
    """The input tiled ``repeats`` times along each dim (``Tensor.repeat``; leading new dims
    when ``repeats`` is longer). Gradient: ``grad_output`` summed over the tiles."""

    __slots__ = ("repeats", "input_shape")
    is_linear = True  # create_graph: see autograd/higher_order.py
    arguments = ("repeats",)

    def __init__(self, repeats):
        self.repeats = repeats

    def forward(self, a):
        self.input_shape = a.shape
        return np.tile(a, self.repeats)

    def backward(self, grad_output):
        shape = (1,) * (len(self.repeats) - len(self.input_shape)) + self.input_shape
        split = []
        for count, size in zip(self.repeats, shape):
            split += [count, size]
        grad = grad_output.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return (grad.reshape(self.input_shape),)


class Gather(Op):
    """``out[i][j] = a[index[i][j]][j]`` for ``dim`` 0 (and likewise for any ``dim``), as
    ``torch.gather``; the int32/int64 ``index`` (an input, no gradient) holds positions in
    ``[0, size)``, a negative one is refused as in PyTorch. Gradient for ``a``: ``grad_output``
    added back at the gathered positions."""

    __slots__ = ("dim", "input_shape")
    is_linear = True  # create_graph: see autograd/higher_order.py
    arguments = ("dim",)

    def __init__(self, dim):
        self.dim = dim

    def forward(self, a, index):
        self.input_shape = a.shape
        index = positions_along(index, a.shape[self.dim], self.dim)
        self.saved = (index,)
        # The index may be smaller than ``a`` in the other dims: only that corner is read.
        corner = tuple(slice(None) if k == self.dim else slice(0, n)
                       for k, n in enumerate(index.shape))
        return np.take_along_axis(a[corner], index, axis=self.dim)

    def backward(self, grad_output):
        grad = np.zeros(self.input_shape, dtype=grad_output.dtype)
        np.add.at(grad, _along(self.saved[0], self.dim), grad_output)
        return grad, None


def positions_along(index, size, dim):
    """``index`` (picking along a dim of ``size``), checked: PyTorch's error naming the first
    position (in memory order) outside ``[0, size)``. Unlike tensor indexing, gather and
    scatter do not count negative positions from the end."""
    if index.size and (index.min() < 0 or index.max() >= size):
        first = index[(index < 0) | (index >= size)].flat[0]
        raise RuntimeError(f"index {int(first)} is out of bounds for dimension {dim} with size "
                           f"{size}")
    return index


class ScatterAdd(Op):
    """A copy of ``a`` with ``src`` added (``scatter_add``) or written (``scatter``) at the
    positions the int32/int64 ``index`` (an input, no gradient) names along ``dim``.
    Gradients: ``grad_output`` for ``a`` (zeroed where ``scatter`` overwrote), ``grad_output``
    gathered for ``src``."""

    __slots__ = ("dim", "overwrite", "src_shape")
    is_linear = True  # create_graph: see autograd/higher_order.py
    arguments = ("dim",)

    def __init__(self, dim, overwrite=False):
        self.dim, self.overwrite = dim, overwrite

    def forward(self, a, src, index):
        self.src_shape = src.shape
        index = positions_along(index, a.shape[self.dim], self.dim)
        self.saved = (index,)
        out = a.copy()
        positions = _along(index, self.dim)
        values = src[tuple(slice(0, n) for n in index.shape)]
        if self.overwrite:
            out[positions] = values
        elif out.dtype == np.float16:  # accumulated in float32, rounded once, as PyTorch
            wide = out.astype(np.float32)
            np.add.at(wide, positions, values.astype(np.float32))
            out = wide.astype(np.float16)
        else:
            np.add.at(out, positions, values)
        return out

    def backward(self, grad_output):
        needs_a, needs_src = self.needs_input_grad[:2]
        (index,) = self.saved
        positions = _along(index, self.dim)
        grad_a = grad_src = None
        if needs_a:
            grad_a = grad_output.copy()
            if self.overwrite:
                grad_a[positions] = 0
        if needs_src:
            grad_src = np.zeros(self.src_shape, dtype=grad_output.dtype)
            grad_src[tuple(slice(0, n) for n in index.shape)] = grad_output[positions]
        return grad_a, grad_src, None


class ScatterReduce(Op):
    """``torch.scatter_reduce``: a copy of ``a`` into which each ``src[i][j]`` is reduced at
    ``a[index[i][j]][j]`` for ``dim`` 0 (likewise along any dim) by ``reduce``: ``"sum"``,
    ``"prod"``, ``"mean"``, ``"amax"`` or ``"amin"`` (NaN wins, as in PyTorch). With
    ``include_self=False`` the positions written start from the reduction's identity instead
    of ``a``'s value; ``"mean"`` divides by the count of values reduced (``a``'s included),
    rounding down for integers. Bool tensors sum by or and multiply by and. ``src`` has at
    least ``index``'s extent in every dim (only that corner is read).

    Gradients (PyTorch's ``scatter_reduce_backward``, ``g`` = grad_output, ``P`` = the index
    positions, ``out`` the result): sum, ``g`` for ``a`` and ``g[P]`` for ``src``; mean, the
    same divided by the counts; prod, ``g * out / a`` and ``g[P] * out[P] / src``, with zeros
    handled exactly (the product of the others); amax/amin, ``g`` shared evenly between the
    values equal to the result. ``a``'s gradient is 0 where ``include_self=False`` wrote.

    ``deprecated_form``: ``scatter(..., reduce="add"/"multiply")``, sum and prod with
    ``include_self``, for which PyTorch defines no derivative: as there, backward raises.
    """

    __slots__ = ("dim", "reduce", "include_self", "deprecated_form", "src_shape")
    local_derivative_is_constant = True  # as PyTorch: see higher_order.local_derivative
    arguments = ("dim", "reduce", "include_self")
    saves_output = True

    def __init__(self, dim, reduce, include_self=True, deprecated_form=False):
        self.dim, self.reduce, self.include_self = dim, reduce, include_self
        self.deprecated_form = deprecated_form

    def forward(self, a, src, index):
        index = positions_along(index, a.shape[self.dim], self.dim)
        positions = _along(index, self.dim)
        values = src[tuple(slice(0, n) for n in index.shape)]
        out = self._reduce(a, values, positions)
        self.src_shape = src.shape
        if self.needs_input_grad and not self.deprecated_form:
            # all of them for every reduction, as PyTorch saves them: an in-place write to
            # ``a``, ``src`` or the result before backward is refused the same way
            self.saved = (positions, a.shape, values.shape, a, values, out)
        return out

    def _reduce(self, a, values, positions, reduce=None):
        reduce = reduce or self.reduce
        if a.dtype == np.float16 and reduce in ("sum", "mean", "prod"):
            return self._reduce_float16(a, values, positions)
        out = a.copy()
        if not self.include_self:
            out[positions] = _identity(reduce, a.dtype)
        ufunc = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum,
                 "amin": np.minimum}[reduce]
        ufunc.at(out, positions, values)
        if reduce == "mean":
            counts = _counts(a.shape, positions, self.include_self)
            if out.dtype.kind == "f":
                out /= counts.astype(out.dtype)
            else:
                out //= counts.astype(out.dtype)
        return out

    def _reduce_float16(self, a, values, positions):
        """float16 as PyTorch's CPU kernel: sums and products accumulated in float32 and
        rounded once; a mean is that rounded sum divided by the count in float16."""
        mean = self.reduce == "mean"
        out = self._reduce(a.astype(np.float32), values.astype(np.float32), positions,
                           "sum" if mean else self.reduce).astype(np.float16)
        if mean:
            out /= _counts(a.shape, positions, self.include_self).astype(np.float16)
        return out

    def backward(self, grad_output):
        if self.deprecated_form:
            raise RuntimeError("derivative for aten::scatter is not implemented")
        positions, a_shape, values_shape, a, values, out = self.saved
        g = grad_output
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.reduce in ("sum", "mean"):
                if self.reduce == "mean":
                    g = g / _counts(a_shape, positions, self.include_self).astype(g.dtype)
                grad_a, grad_values = g.copy(), g[positions]
            elif self.reduce == "prod":
                grad_a, grad_values = self._product_grads(a, values, positions, out, g)
            else:
                self_is_result = (a == out).astype(g.dtype)
                values_are_result = (values == out[positions]).astype(g.dtype)
                shares = self_is_result.copy()
                np.add.at(shares, positions, values_are_result)
                distributed = g / shares
                grad_a = self_is_result * distributed
                grad_values = values_are_result * distributed[positions]
        if not self.include_self:
            grad_a[positions] = 0
        grad_src = np.zeros(self.src_shape, dtype=g.dtype)
        grad_src[tuple(slice(0, n) for n in values_shape)] = grad_values
        return grad_a, grad_src, None

    def _product_grads(self, a, values, positions, out, g):
        """The gradients of a product, exact where factors are 0: each factor's gradient is
        ``g`` times the product of the others, computed without dividing by a zero."""
        ones = np.ones((), dtype=a.dtype)
        masked_a = np.where(a == 0, ones, a)
        grad_a = g * self._reduce(masked_a, values, positions) / masked_a
        zero = values == 0
        zeros_per_position = np.zeros(a.shape, dtype=np.int64)
        np.add.at(zeros_per_position, positions, zero)
        single_zero = zero & (zeros_per_position[positions] == 1)
        without_that_zero = self._reduce(a, np.where(single_zero, ones, values), positions)
        grad_values = np.where(single_zero, (g * without_that_zero)[positions],
                               (g * out)[positions] / np.where(zero, ones, values))
        return grad_a, grad_values

    def tensor_backward(self, grad_output):
        """``create_graph=True``: "sum" and "mean" are linear in the input and the sources
        (``LinearBackward``); "amax" and "amin" route the gradient with constant weights (an
        index covering the whole source); "prod" is not supported."""
        from ..autograd.higher_order import _linear_backward, local_derivative
        if self.reduce in ("sum", "mean"):  # the is_linear rule
            return _linear_backward(self, grad_output)
        a, src, index = self.inputs
        if self.reduce in ("amax", "amin") and tuple(index.shape) == tuple(src.shape):
            # backward routes grad_output with weights constant almost everywhere (the
            # winners, ties sharing): the weights are backward's of ones
            with np.errstate(divide="ignore", invalid="ignore"):
                weight_a, weight_src, _ = self.backward(np.ones(grad_output.shape,
                                                                grad_output.dtype))
            needs_a, needs_src = self.needs_input_grad[:2]
            return (grad_output * local_derivative(self, weight_a) if needs_a else None,
                    grad_output.gather(self.dim, index) * local_derivative(self, weight_src)
                    if needs_src else None, None)
        raise RuntimeError(f"the derivative of ScatterReduce's backward (reduce={self.reduce!r})"
                           " is not implemented in tinygrad_bn (create_graph=True needs it)")


def _identity(reduce, dtype):
    """The value a reduction starts from: 0 for sums, 1 for products, the lowest (highest)
    value of ``dtype`` for amax (amin)."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "b":
        return reduce == "amin"
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    return np.iinfo(dtype).min if reduce == "amax" else np.iinfo(dtype).max


def _counts(shape, positions, include_self):
    """How many values a mean reduces at each position (1 where there are none)."""
    counts = np.full(shape, int(include_self), dtype=np.int64)
    np.add.at(counts, positions, 1)
    return np.maximum(counts, 1)


def _along(index, dim):
    """The full index tuple that picks ``index`` along ``dim`` and every position elsewhere."""
    positions = list(np.indices(index.shape, sparse=True))
    positions[dim] = index
    return tuple(positions)


class IndexSelect(Op):
    """The entries at positions ``index`` (an input: a 0-d or 1-D int32/int64 array, repeats
    allowed, no gradient) along ``dim``, as ``torch.index_select``. Gradient: ``grad_output``
    added back at those positions (a scatter-add, so repeated positions accumulate).
    ``scalar``: the input was a 0-d tensor seen as ``(1,)``, whose only position is 0 (a
    position outside raises PyTorch's ``IndexError`` for scalars)."""

    __slots__ = ("dim", "scalar", "input_shape")
    is_linear = True  # create_graph: see autograd/higher_order.py
    arguments = ("dim",)

    def __init__(self, dim, scalar=False):
        self.dim, self.scalar = dim, scalar

    def forward(self, a, index):
        self.input_shape = a.shape
        positions = index.reshape(-1).astype(np.int64)
        size = a.shape[self.dim]
        outside = positions[(positions < 0) | (positions >= size)]
        if outside.size:
            # PyTorch's CPU kernels: its special case for dim 1 of a tensor of 2+ dims says
            # so in a RuntimeError, every other path raises IndexError
            if self.dim != 1 or a.ndim < 2 or self.scalar:
                raise IndexError("index out of range in self")
            raise RuntimeError(
                f"INDICES element is out of DATA bounds, id={outside[0]} axis_dim={size}")
        self.saved = (positions,)
        return np.take(a, positions, axis=self.dim)

    def backward(self, grad_output):
        grad = np.zeros(self.input_shape, dtype=grad_output.dtype)
        np.add.at(grad, (slice(None),) * self.dim + (self.saved[0],), grad_output)
        return grad, None


class Embedding(Op):
    """Rows of ``weight`` ``(num_embeddings, dim)`` picked by ``indices`` (an input of any
    shape ``S``, integers already checked to lie in range; no gradient): the result is
    ``S + (dim,)``, ``weight[indices]``. ``padding_idx``, when not None, is a row that gets no
    gradient (PyTorch's ``nn.Embedding``).

    Gradient for ``weight``: the rows of ``grad_output`` added up by index,
    ``dL/dweight[v] = sum of grad_output[i] over the positions i with indices[i] == v``, and
    with ``scale_grad_by_freq`` divided by the number of such positions. A scatter-add, made by
    sorting (``scatter_add_rows``): ``np.add.at``, the obvious one, takes 290 us for 512 rows
    of 64 (makemore's batch), this 45 us.
    """

    __slots__ = ("padding_idx", "scale_grad_by_freq", "num_embeddings")
    arguments = ("padding_idx", "scale_grad_by_freq")

    def __init__(self, padding_idx=None, scale_grad_by_freq=False):
        self.padding_idx, self.scale_grad_by_freq = padding_idx, scale_grad_by_freq

    def forward(self, weight, indices):
        self.num_embeddings = weight.shape[0]
        self.saved = (indices,)
        return np.take(weight, indices, axis=0)

    def backward(self, grad_output):
        (indices,) = self.saved
        dim = grad_output.shape[-1]
        grad = scatter_add_rows(grad_output.reshape(indices.size, dim), indices.reshape(-1),
                                self.num_embeddings)
        if self.scale_grad_by_freq:
            counts = np.bincount(indices.reshape(-1), minlength=self.num_embeddings)
            grad /= np.maximum(counts, 1).astype(grad.dtype)[:, np.newaxis]
        if self.padding_idx is not None:
            grad[self.padding_idx] = 0
        return grad, None

    def tensor_backward(self, grad_output):
        """``backward`` with Tensor operations (``create_graph=True``): the rows of
        ``grad_output`` added into the picked rows (``index_add``, linear), masked and scaled
        as backward does."""
        weight, indices = self.inputs
        constant = type(weight)._make
        index = indices._array.reshape(-1)
        rows = grad_output.reshape(index.size, grad_output.shape[-1])
        if self.padding_idx is not None:
            rows = rows * constant((index != self.padding_idx).astype(rows.dtype)[:, None], None)
        if self.scale_grad_by_freq:
            # PyTorch's double backward (embedding_dense_double_backward) ignores the scaling:
            # the scaled rows' values, with the unscaled rows' derivative
            counts = np.maximum(np.bincount(index, minlength=self.num_embeddings), 1)[index]
            rows = rows + (rows * constant((1 / counts - 1).astype(rows.dtype)[:, None],
                                           None)).detach()
        zeros = constant(np.zeros((self.num_embeddings, rows.shape[-1]), rows._array.dtype), None)
        return zeros.index_add(0, constant(index, None), rows), None


def scatter_add_rows(rows, positions, count):
    """``out[p] += rows[i]`` for every ``i`` with ``p = positions[i]``, into zeros
    ``(count, rows.shape[1])``: the rows sorted by position (stable), each run of equal
    positions summed by one ``np.add.reduceat``, the sums written once each."""
    out = np.zeros((count, rows.shape[1]), dtype=rows.dtype)
    if not positions.size:
        return out
    order = np.argsort(positions, kind="stable")
    ordered = positions[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    out[ordered[starts]] = np.add.reduceat(rows[order], starts, axis=0)
    return out


class Roll(Op):
    """The elements shifted ``shifts`` places along ``dims``, those pushed off the end coming
    back at the start (``dims`` None: along the flattened tensor, shape kept). Gradient:
    ``grad_output`` rolled back by ``-shifts``."""

    __slots__ = ("dims", "shifts")
    is_linear = True  # create_graph: see autograd/higher_order.py
    arguments = ("shifts", "dims")

    def __init__(self, shifts, dims):
        self.shifts, self.dims = shifts, dims

    def forward(self, a):
        return np.roll(a, self.shifts, axis=self.dims)

    def backward(self, grad_output):
        back = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return (np.roll(grad_output, back, axis=self.dims),)


class Diag(Op):
    """``torch.diag``: a 1-D input becomes the square matrix with it on diagonal ``diagonal``
    (0 the main one, positive above, negative below) and zeros elsewhere; a 2-D input gives
    that diagonal as a 1-D copy. Gradient: the other direction applied to ``grad_output``."""

    __slots__ = ("diagonal", "input_shape")
    is_linear = True  # create_graph: see autograd/higher_order.py
    arguments = ("diagonal",)

    def __init__(self, diagonal=0):
        self.diagonal = diagonal

    def forward(self, a):
        self.input_shape = a.shape
        return np.diag(a, self.diagonal).copy()  # NumPy's diagonal of a matrix is read-only

    def backward(self, grad_output):
        if len(self.input_shape) == 1:
            return (np.diagonal(grad_output, self.diagonal).copy(),)
        grad = np.zeros(self.input_shape, dtype=grad_output.dtype)
        positions = np.arange(grad_output.shape[0])
        k = self.diagonal
        grad[positions + max(-k, 0), positions + max(k, 0)] = grad_output
        return (grad,)


class Diagonal(Op):
    """``torch.diagonal``: the elements ``a[..., i, ..., i + offset, ...]`` of dims ``dim1`` and
    ``dim2`` (both removed; the diagonal becomes the last dim), as a view that shares ``a``'s
    memory, so writes through it reach ``a`` as in PyTorch (see ``diagonal_view``). Gradient: zeros of the
    input's shape with ``grad_output`` on that diagonal."""

    __slots__ = ("offset", "dim1", "dim2", "input_shape")
    is_linear = True  # create_graph: see autograd/higher_order.py
    is_view = True
    arguments = ("offset", "dim1", "dim2")

    def __init__(self, offset, dim1, dim2):
        self.offset, self.dim1, self.dim2 = offset, dim1, dim2

    def forward(self, a):
        self.input_shape = a.shape
        return diagonal_view(a, self.offset, self.dim1, self.dim2)

    def backward(self, grad_output):
        grad = np.zeros(self.input_shape, dtype=grad_output.dtype)
        diagonal_view(grad, self.offset, self.dim1, self.dim2)[...] = grad_output
        return (grad,)


def diagonal_view(a, offset, dim1, dim2):
    """NumPy's ``diagonal`` of ``a``, a view that NumPy marks read-only (its documented plan is
    to make it writeable): made writeable when ``a`` is, as PyTorch's diagonal view is."""
    view = np.diagonal(a, offset, dim1, dim2)
    if a.flags.writeable:
        view.flags.writeable = True
    return view


class IndexAdd(Op):
    """``torch.index_add``: a copy of ``a`` with ``alpha * source[i]`` added into slice
    ``index[i]`` along ``dim`` (``index``: an input, 1-D int32/int64, no gradient). As PyTorch
    on the CPU, one slice at a time in index order, each add a fused multiply-add rounded once
    (float16: computed in float32, rounded once per add); integers ``a + alpha * source``.
    Repeated positions are done in rounds (each round writes every position at most once), so
    a position's adds come in index order as PyTorch's loop makes them. Gradients:
    ``grad_output`` for ``a``, ``alpha * grad_output`` at the indexed slices for ``source``."""

    __slots__ = ("dim", "alpha")
    is_linear = True  # create_graph: see autograd/higher_order.py
    arguments = ("dim", "alpha")

    def __init__(self, dim, alpha=1):
        self.dim, self.alpha = dim, alpha

    def forward(self, a, source, index):
        positions = positions_along(index.reshape(-1), a.shape[self.dim], self.dim)
        self.saved = (positions,)
        out = a.copy()
        rows, values = np.moveaxis(out, self.dim, 0), np.moveaxis(source, self.dim, 0)
        for picked in _rounds(positions):
            where = positions[picked]
            rows[where] = self._add(rows[where], values[picked])
        return out

    def _add(self, current, added):
        if current.dtype.kind != "f":  # alpha wraps into the dtype, as PyTorch casts it
            if self.alpha == 1:
                return current + added
            return current + np.asarray(self.alpha).astype(current.dtype) * added
        if self.alpha == 1:
            return current + added
        if current.dtype == np.float16:
            return fused_multiply_add(added.astype(np.float32), np.float32(self.alpha),
                                      current.astype(np.float32)).astype(np.float16)
        return fused_multiply_add(added, added.dtype.type(self.alpha), current)

    def backward(self, grad_output):
        needs_a, needs_source = self.needs_input_grad[:2]
        grad_source = None
        if needs_source:
            grad_source = np.take(grad_output, self.saved[0], axis=self.dim)
            if self.alpha != 1:
                grad_source = grad_source * grad_output.dtype.type(self.alpha)
        return (grad_output if needs_a else None), grad_source, None


def _rounds(positions):
    """Boolean masks over ``positions``, one per round: round ``r`` picks the ``r``-th
    occurrence of each position (a single round when no position repeats)."""
    order = np.argsort(positions, kind="stable")
    ordered = positions[order]
    starts = np.r_[0, np.flatnonzero(ordered[1:] != ordered[:-1]) + 1] if ordered.size else \
        np.zeros(0, dtype=np.int64)
    rank = np.empty(positions.size, dtype=np.int64)
    run_lengths = np.diff(np.r_[starts, ordered.size])
    rank[order] = np.arange(ordered.size) - np.repeat(starts, run_lengths)
    return [rank == r for r in range(int(rank.max()) + 1 if rank.size else 0)]

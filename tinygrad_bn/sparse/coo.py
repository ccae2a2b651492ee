"""Sparse COO tensors (PyTorch's ``torch.sparse_coo`` layout): the storage, the tensor class and
the ops that read them.

A COO tensor of ``size`` holds ``indices`` (int64, ``(sparse_dim, nnz)``: one column per stored
element, giving its position in the first ``sparse_dim`` dimensions) and ``values``
(``(nnz,) + size[sparse_dim:]``: the element, itself a dense block of the ``dense_dim`` trailing
dimensions). Positions may repeat (the tensor is *uncoalesced*: the value there is the sum);
``coalesce()`` sorts the positions and sums the repeats.

``SparseArray`` is that storage as a plain object; it stands where a dense tensor has its NumPy
array (``tensor._array``), so that ``Op.apply`` hands it to an op's ``forward`` and the engine
carries one as a gradient (``Embedding(sparse=True)``'s, ``sparse.mm``'s for its sparse operand).
``SparseTensor`` is the ``Tensor`` subclass around one: its own methods are PyTorch's sparse
ones; a dense method that PyTorch refuses on a sparse tensor refuses here with PyTorch's
``NotImplementedError`` (when its NumPy code reaches the storage).
"""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd import graph
from ..autograd.grad_mode import thread_state
from ..autograd.graph import Op
from ..ops.movement import Embedding
from ..printing import OPTIONS, _body, _edges, _ElementFormat, _with_suffixes, dtype_name
from ..layouts import SPARSE_GRADIENTS, sparse_coo  # noqa: F401 - SPARSE_GRADIENTS's old path
from ..tensor import Tensor

_new_object = object.__new__




def _backend_refusal(name):
    return NotImplementedError(
        f"Could not run '{name}' with arguments from the 'SparseCPU' backend. This could be "
        "because the operator doesn't exist for this backend, or was omitted during the "
        "selective/custom build process (if using custom build).")


class SparseArray:
    """The storage of a COO tensor: ``indices`` (int64 ``(sparse_dim, nnz)``), ``values``
    (``(nnz,) + shape[sparse_dim:]``), ``shape`` and whether it is known to be coalesced.

    Arithmetic follows PyTorch's sparse kernels: ``sparse + sparse`` concatenates the entries
    (uncoalesced, the left operand's first), ``dense + sparse`` (NumPy's ``add``/``subtract``,
    in place with ``out=``) adds each entry at its position in order, ``sparse * number``
    scales the values; ``sparse + dense`` is refused as PyTorch refuses it."""

    __slots__ = ("indices", "values", "shape", "coalesced")
    is_sparse_array = True

    def __init__(self, indices, values, shape, coalesced=False):
        self.indices, self.values = indices, values
        # one entry or none is coalesced, as PyTorch marks it
        self.shape, self.coalesced = tuple(shape), coalesced or indices.shape[1] <= 1

    # ------------------------------------------------------------------ what NumPy asks
    @property
    def dtype(self):
        return self.values.dtype

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def sparse_dim(self):
        return self.indices.shape[0]

    @property
    def nnz(self):
        return self.indices.shape[1]

    def __array__(self, dtype=None, copy=None):
        raise _backend_refusal("aten::_local_scalar_dense" if self.ndim == 0 else "aten::view")

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        if method == "__call__" and ufunc in (np.add, np.subtract) and len(inputs) == 2 \
                and type(inputs[0]) is np.ndarray and inputs[1] is self and not kwargs:
            dense = inputs[0]
            target = out[0] if out else dense.astype(np.result_type(dense, self.values))
            values = self.values if ufunc is np.add else -self.values
            np.add.at(target, tuple(self.indices), values)
            return target
        if method == "__call__" and ufunc is np.matmul and len(inputs) == 2 and \
                inputs[0] is self and type(inputs[1]) is np.ndarray and not kwargs and not out:
            return self @ inputs[1]  # torch.matmul(sparse, dense): ops.MatMul's forward
        if method == "__call__" and ufunc is np.add and len(inputs) == 2 and inputs[0] is self:
            raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) "
                               "instead.")
        raise _backend_refusal(f"aten::{ufunc.__name__}")

    def ravel(self, *args, **kwargs):
        """Refused: reading a sparse array flat is what a norm of it (``clip_grad_norm_``)
        does, and PyTorch has no norm kernel for sparse tensors."""
        raise _backend_refusal("aten::linalg_vector_norm")

    # ------------------------------------------------------------------ sparse arithmetic
    def copy(self):
        return SparseArray(self.indices.copy(), self.values.copy(), self.shape, self.coalesced)

    def with_values(self, values):
        """The same positions with other values (PyTorch's ``grad.new(indices, values, size)``)."""
        return SparseArray(self.indices, values, self.shape, self.coalesced)

    def __neg__(self):
        return self.with_values(-self.values)

    def __mul__(self, number):
        if isinstance(number, (SparseArray, np.ndarray)):
            return NotImplemented
        return self.with_values(self.values * self.values.dtype.type(number))

    __rmul__ = __mul__

    def __imul__(self, number):
        self.values *= self.values.dtype.type(number)
        return self

    def concatenated(self, other):
        """Both tensors' entries, this one's first (uncoalesced): how PyTorch's autograd sums
        two sparse gradients."""
        return SparseArray(np.concatenate([self.indices, other.indices], axis=1),
                           np.concatenate([self.values, other.values]), self.shape)

    def __add__(self, other):
        """``self + other`` as PyTorch's CPU kernel (``add_out_sparse_cpu``): one walk along
        both entry lists, taking the smaller position first and summing the two values where
        the positions are equal (the result is coalesced when both are)."""
        if isinstance(other, SparseArray):
            if other.shape != self.shape:
                raise RuntimeError(f"add: expected 'self' and 'other' to have same size, but "
                                   f"self has size {list(self.shape)} while other has size "
                                   f"{list(other.shape)} (FYI: op2-sparse addition does not "
                                   "currently support broadcasting)")
            return _merged(self, other)
        if isinstance(other, np.ndarray):
            raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) "
                               "instead.")
        return NotImplemented

    def __radd__(self, other):
        if isinstance(other, np.ndarray):
            return np.add(other, self)
        return NotImplemented

    def __iadd__(self, other):
        """``self += other``: in place (a momentum buffer held in a state dict sees it), as
        ``__add__``; a dense ``other`` gives a new dense array (PyTorch: a dense gradient added
        to a sparse one makes it dense)."""
        if isinstance(other, np.ndarray):
            return np.add(other, self)
        total = self.__add__(other)
        if total is NotImplemented:
            return total
        self.indices, self.values, self.coalesced = total.indices, total.values, total.coalesced
        return self

    def __matmul__(self, dense):
        """``self @ dense`` for a 2-D ``self`` without dense dimensions and a 2-D ndarray:
        ``out[r] += v * dense[c]`` for each stored ``(r, c, v)``, in stored order."""
        if not isinstance(dense, np.ndarray) or self.ndim != 2 or self.sparse_dim != 2 \
                or dense.ndim != 2:
            return NotImplemented
        rows, columns = self.indices
        return _scatter_rows(self.shape[0], rows, self.values[:, None] * dense[columns])

    # ------------------------------------------------------------------ conversions
    def to_dense(self):
        dense = np.zeros(self.shape, dtype=self.values.dtype)
        np.add.at(dense, tuple(self.indices), self.values)
        return dense

    def coalesce(self):
        """Positions sorted (row-major) and unique, the values of repeats summed in the order
        they were stored (a stable sort, then ``np.add.reduceat``)."""
        if self.coalesced:
            return self
        if self.nnz == 0 or self.sparse_dim == 0:
            values = self.values.sum(axis=0, keepdims=True) if self.sparse_dim == 0 and \
                self.nnz else self.values
            indices = self.indices[:, :1] if self.sparse_dim == 0 and self.nnz else self.indices
            return SparseArray(indices, values, self.shape, True)
        keys = np.ravel_multi_index(tuple(self.indices), self.shape[:self.sparse_dim])
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        values = np.add.reduceat(self.values[order], starts, axis=0)
        indices = np.stack(np.unravel_index(keys[starts], self.shape[:self.sparse_dim]))
        return SparseArray(indices.astype(np.int64), values, self.shape, True)

    def mask(self, dense):
        """PyTorch's ``dense.sparse_mask(self)`` values: ``dense`` read at this tensor's
        (coalesced) positions."""
        return dense[tuple(self.indices)]

    @property
    def T(self):
        if self.sparse_dim != 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 sparse and 0 dense dimensions, "
                               f"but got {self.sparse_dim} sparse and "
                               f"{self.ndim - self.sparse_dim} dense dimensions")
        return SparseArray(self.indices[::-1].copy(), self.values, self.shape[::-1])

    @property
    def itemsize(self):
        return self.values.itemsize


def _merged(first, second):
    """``add_out_sparse_cpu``'s merge of two entry lists (see ``SparseArray.__add__``)."""
    left, right = first.indices.T.tolist(), second.indices.T.tolist()
    take_left, take_right = [], []  # per result entry: the entry of each side, or -1
    i = j = 0
    while i < len(left) or j < len(right):
        if i >= len(left):
            order = -1
        elif j >= len(right):
            order = 1
        else:
            order = 1 if left[i] < right[j] else -1 if left[i] > right[j] else 0
        take_left.append(i if order >= 0 else -1)
        take_right.append(j if order <= 0 else -1)
        i += order >= 0
        j += order <= 0
    take_left, take_right = np.array(take_left, np.int64), np.array(take_right, np.int64)
    dtype = np.result_type(first.values, second.values)
    values = np.zeros((take_left.size,) + first.values.shape[1:], dtype)
    has_left, has_right = take_left >= 0, take_right >= 0
    values[has_left] = first.values[take_left[has_left]]
    values[has_right] += second.values[take_right[has_right]]
    indices = np.where(has_left, first.indices[:, np.maximum(take_left, 0)] if left else 0,
                       second.indices[:, np.maximum(take_right, 0)] if right else 0)
    return SparseArray(indices.astype(np.int64).reshape(first.sparse_dim, -1), values,
                       first.shape, first.coalesced and second.coalesced)


def is_sparse_array(value):
    return type(value) is SparseArray


# ---------------------------------------------------------------------- the tensor


class SparseTensor(Tensor):
    """A tensor in the ``torch.sparse_coo`` layout (see the module docstring); its ``_array`` is
    a ``SparseArray``. Made by ``sparse_coo_tensor`` and ``Tensor.to_sparse()``."""

    is_sparse = True

    @property
    def layout(self):
        """``torch.sparse_coo``."""
        return sparse_coo

    # ------------------------------------------------------------------ parts
    def _indices(self) -> Tensor:
        """The stored positions, ``(sparse_dim, nnz)`` int64 (uncoalesced as stored)."""
        return Tensor._make(self._array.indices, None)

    def _values(self) -> Tensor:
        """The stored values, ``(nnz,) + size[sparse_dim:]``."""
        return Tensor._make(self._array.values, None)

    def indices(self) -> Tensor:
        """``_indices()`` of a coalesced tensor; PyTorch refuses an uncoalesced one."""
        if not self._array.coalesced:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call "
                               ".coalesce() first")
        return self._indices()

    def values(self) -> Tensor:
        """``_values()`` of a coalesced tensor; PyTorch refuses an uncoalesced one."""
        if not self._array.coalesced:
            raise RuntimeError("Cannot get values on an uncoalesced tensor, please call "
                               ".coalesce() first")
        return self._values()

    def coalesce(self) -> SparseTensor:
        """The same tensor with unique, sorted positions (repeats summed); itself if it is
        coalesced already, as PyTorch."""
        if self._array.coalesced:
            return self
        _no_sparse_graph(self, "coalesce")
        return sparse_tensor(self._array.coalesce())

    def is_coalesced(self) -> bool:
        """Whether the positions are known unique and sorted (``coalesce()``'s results,
        ``is_coalesced=True``, one entry or none)."""
        return self._array.coalesced

    def sparse_dim(self) -> int:
        """How many leading dimensions the indices address."""
        return self._array.sparse_dim

    def dense_dim(self) -> int:
        """How many trailing dimensions each stored value has."""
        return self._array.ndim - self._array.sparse_dim

    def _nnz(self) -> int:
        """How many entries are stored (repeats counted)."""
        return self._array.nnz

    def to_dense(self, dtype=None, *, masked_grad=None) -> Tensor:
        """The dense tensor (repeats summed). Its gradient for this tensor is sparse, the
        incoming gradient read at this tensor's positions (coalesced), as PyTorch's."""
        result = ToDense.apply(self)
        return result if dtype is None else result.to(dtype)

    def to_sparse(self, *args, layout=None, **kwargs) -> SparseTensor:
        """Itself (a COO tensor already); ``layout=torch.sparse_csr`` gives its CSR form."""
        if layout is not None and layout is not sparse_coo:
            return self.to_sparse_csr()
        return self

    to_sparse_coo = to_sparse

    def to_sparse_csr(self, dense_dim=None):
        """The CSR form of a 2-D COO matrix."""
        from .csr import to_sparse_csr  # csr builds on this module

        return to_sparse_csr(self, dense_dim)

    def t(self) -> SparseTensor:
        """The transpose of a 2-D sparse tensor (its positions swapped, order kept; the result
        is uncoalesced, as PyTorch's)."""
        _no_sparse_graph(self, "t")
        if self.ndim > 2 or self.dense_dim():
            raise RuntimeError(f"t() expects a tensor with <= 2 sparse and 0 dense dimensions, "
                               f"but got {self.sparse_dim()} sparse and {self.dense_dim()} "
                               "dense dimensions")
        if self.ndim < 2:
            return self
        return sparse_tensor(self._array.T)

    # ------------------------------------------------------------------ elementwise
    def _on_values(self, name, *args, **kwargs):
        """The dense ``Tensor.<name>`` applied to the coalesced values: the elementwise
        functions that map zero to zero, which PyTorch computes on the values alone (one
        implementation of each: the dense one)."""
        _no_sparse_graph(self, name)
        array = self._array.coalesce()
        values = getattr(Tensor._make(array.values, None), name)(*args, **kwargs)._array
        return sparse_tensor(SparseArray(array.indices, values, array.shape, True))

    def abs(self, *args, **kwargs):
        """``abs`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("abs", *args, **kwargs)

    def sqrt(self, *args, **kwargs):
        """``sqrt`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("sqrt", *args, **kwargs)

    def sin(self, *args, **kwargs):
        """``sin`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("sin", *args, **kwargs)

    def tan(self, *args, **kwargs):
        """``tan`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("tan", *args, **kwargs)

    def tanh(self, *args, **kwargs):
        """``tanh`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("tanh", *args, **kwargs)

    def sinh(self, *args, **kwargs):
        """``sinh`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("sinh", *args, **kwargs)

    def asin(self, *args, **kwargs):
        """``asin`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("asin", *args, **kwargs)

    def asinh(self, *args, **kwargs):
        """``asinh`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("asinh", *args, **kwargs)

    def atan(self, *args, **kwargs):
        """``atan`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("atan", *args, **kwargs)

    def atanh(self, *args, **kwargs):
        """``atanh`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("atanh", *args, **kwargs)

    def square(self, *args, **kwargs):
        """``square`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("square", *args, **kwargs)

    def sign(self, *args, **kwargs):
        """``sign`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("sign", *args, **kwargs)

    def sgn(self, *args, **kwargs):
        """``sgn`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("sgn", *args, **kwargs)

    def expm1(self, *args, **kwargs):
        """``expm1`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("expm1", *args, **kwargs)

    def log1p(self, *args, **kwargs):
        """``log1p`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("log1p", *args, **kwargs)

    def relu(self, *args, **kwargs):
        """``relu`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("relu", *args, **kwargs)

    def floor(self, *args, **kwargs):
        """``floor`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("floor", *args, **kwargs)

    def ceil(self, *args, **kwargs):
        """``ceil`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("ceil", *args, **kwargs)

    def round(self, *args, **kwargs):
        """``round`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("round", *args, **kwargs)

    def trunc(self, *args, **kwargs):
        """``trunc`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("trunc", *args, **kwargs)

    def frac(self, *args, **kwargs):
        """``frac`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("frac", *args, **kwargs)

    def erf(self, *args, **kwargs):
        """``erf`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("erf", *args, **kwargs)

    def deg2rad(self, *args, **kwargs):
        """``deg2rad`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("deg2rad", *args, **kwargs)

    def rad2deg(self, *args, **kwargs):
        """``rad2deg`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("rad2deg", *args, **kwargs)

    def signbit(self, *args, **kwargs):
        """``signbit`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("signbit", *args, **kwargs)

    def isnan(self, *args, **kwargs):
        """``isnan`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("isnan", *args, **kwargs)

    def nan_to_num(self, *args, **kwargs):
        """``nan_to_num`` of the stored values (coalesced first; zero stays zero)."""
        return self._on_values("nan_to_num", *args, **kwargs)

    def pow(self, exponent):
        """``pow`` of the stored values by a positive number (coalesced first)."""
        if isinstance(exponent, Tensor) or not exponent > 0:
            raise _backend_refusal("aten::pow.Tensor_Scalar")
        return self._on_values("pow", exponent)

    __pow__ = pow

    def positive(self):
        """Itself, as PyTorch."""
        return self

    @property
    def data(self) -> SparseTensor:
        """The same storage outside the graph (``detach()``)."""
        return sparse_tensor(self._array)

    def transpose(self, dim0, dim1) -> SparseTensor:
        """Two sparse dimensions swapped (their index rows; the result is uncoalesced)."""
        _no_sparse_graph(self, "transpose")
        array = self._array
        dim0, dim1 = dim0 % array.ndim, dim1 % array.ndim
        if max(dim0, dim1) >= array.sparse_dim:
            raise NotImplementedError("tinygrad_bn: transpose of a dense dimension of a sparse "
                                      "tensor")
        order = list(range(array.ndim))
        order[dim0], order[dim1] = order[dim1], order[dim0]
        return sparse_tensor(SparseArray(array.indices[order[:array.sparse_dim]].copy(),
                                         array.values, tuple(array.shape[d] for d in order)))

    @property
    def T(self) -> SparseTensor:
        """``t()``."""
        return self.t()

    # ------------------------------------------------------------------ arithmetic
    def __mul__(self, other):
        if isinstance(other, SparseTensor):
            raise _backend_refusal("aten::mul.Tensor")
        if isinstance(other, Tensor):  # a dense tensor of this shape: read at the positions
            _no_sparse_graph(self, "mul")
            if tuple(other.shape) != tuple(self.shape):
                raise _backend_refusal("aten::mul.Tensor")
            array = self._array
            return sparse_tensor(array.with_values(array.values * other._array[
                tuple(array.indices)]))
        _no_sparse_graph(self, "mul")
        return sparse_tensor(self._array * other)

    __rmul__ = __mul__

    def __truediv__(self, other):
        if isinstance(other, Tensor):
            raise _backend_refusal("aten::div.Tensor")
        _no_sparse_graph(self, "div")
        return sparse_tensor(self._array.with_values(self._array.values / other))

    def __neg__(self):
        _no_sparse_graph(self, "neg")
        return sparse_tensor(-self._array)

    def neg(self):
        """``-self``: the values negated (order and coalescing kept)."""
        return -self

    def mul(self, other):
        """``self * other`` (a number, or a dense tensor of this shape)."""
        return self * other

    def add(self, other, *, alpha=1):
        """``self + alpha * other`` for a sparse ``other``."""
        return self + (other if alpha == 1 else other * alpha)

    def __add__(self, other):
        if isinstance(other, SparseTensor):
            _no_sparse_graph(self, "add")
            _no_sparse_graph(other, "add")
            return sparse_tensor(self._array + other._array)
        if isinstance(other, Tensor):
            raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) "
                               "instead.")
        raise _backend_refusal("aten::add.Tensor")

    def __sub__(self, other):
        if isinstance(other, SparseTensor):
            return self + (-other)
        return self.__add__(other)

    def matmul(self, other: Tensor) -> Tensor:
        """``self @ other`` with a dense 2-D ``other``: a dense result. As PyTorch's ``mm``,
        the gradient for this tensor is dense (``sparse.mm`` gives a sparse one)."""
        return _sparse_dense_product(self, other, masked_grad=False)

    __matmul__ = matmul

    def mm(self, other: Tensor) -> Tensor:
        """``matmul`` (2-D operands)."""
        return self.matmul(other)

    def sum(self, dim=None, keepdim=False, dtype=None):
        """The sum of every element (a dense 0-d tensor); with ``dim`` PyTorch has no kernel
        (``torch.sparse.sum`` has)."""
        if dim is None and not keepdim:
            return self.to_dense().sum(dtype=dtype)
        raise _backend_refusal("aten::sum.dim_IntList")

    def zero_(self) -> SparseTensor:
        """No entries left (``nnz`` 0), as PyTorch's ``zero_`` of a sparse tensor
        (``zero_grad(set_to_none=False)``)."""
        array = self._array
        self._array = SparseArray(array.indices[:, :0].copy(), array.values[:0].copy(),
                                  array.shape, True)
        return self

    def __reduce_ex__(self, protocol):
        """``(rebuild_sparse, (indices, values, size, coalesced, requires_grad))``: the data
        only (pickle, ``tinygrad_bn.save``, sending to another process)."""
        array = self._array
        return rebuild_sparse, (array.indices, array.values, array.shape, array.coalesced,
                                self._requires_grad and self.grad_fn is None)

    def __deepcopy__(self, memo):
        copied = sparse_tensor(self._array.copy(), self._requires_grad and self.grad_fn is None)
        memo[id(self)] = copied
        return copied

    # ------------------------------------------------------------------ copies and dtypes
    def detach(self) -> SparseTensor:
        """The same storage outside the graph."""
        return sparse_tensor(self._array)

    def clone(self, *, memory_format=None) -> SparseTensor:
        """A copy of the indices and values (uncoalesced stays uncoalesced)."""
        _no_sparse_graph(self, "clone")
        return sparse_tensor(self._array.copy())

    def to(self, *args, **kwargs):
        """The values cast to a dtype given (positionally or as ``dtype=``); itself otherwise."""
        dtype = kwargs.get("dtype", next((a for a in args if isinstance(a, np.dtype)), None))
        if dtype is None or np.dtype(dtype) == self.dtype:
            return self
        _no_sparse_graph(self, "to")
        return sparse_tensor(self._array.with_values(self._array.values.astype(dtype)))

    def double(self):
        """``to(float64)``."""
        return self.to(dtypes.float64)

    def float(self):
        """``to(float32)``."""
        return self.to(dtypes.float32)

    def numpy(self, *, force=False):
        """Refused, as PyTorch refuses it: ``to_dense().numpy()``."""
        raise TypeError("can't convert Sparse layout tensor to numpy. Use Tensor.to_dense() "
                        "first.")

    def view(self, *shape):
        """Refused, as PyTorch refuses it."""
        raise _backend_refusal("aten::view")

    def reshape(self, *shape):
        """Refused, as PyTorch refuses it."""
        raise RuntimeError("reshape is not implemented for sparse tensors")

    def __repr__(self):
        array = self._array
        return sparse_repr(self, [("indices", array.indices), ("values", array.values)],
                           "sparse_coo")

    __str__ = __repr__


def _tensor_str(array, indent):
    """PyTorch's ``_tensor_str``: the bracketed elements of ``array``, nested lines indented
    by ``indent``, plus ``, size=...`` when it is empty (as a sparse print names it)."""
    if array.size == 0:
        return f"[], size={tuple(array.shape)}"
    summarize = array.size > OPTIONS.threshold
    return _body(array, indent, summarize, _ElementFormat(_edges(array) if summarize else array))


def sparse_repr(tensor, parts, layout_name):
    """PyTorch's print of a sparse tensor: ``parts`` (``(name, array)``: the index arrays and
    the values) one a line, then the size, nnz, a dtype that is not the default, the layout and
    ``grad_fn``/``requires_grad=True``, wrapped at ``linewidth``; a COO tensor's suffixes start
    on a line of their own (``_add_suffixes(force_newline=True)``)."""
    indent = len("tensor(")
    texts = [f"{name}=tensor(" + _tensor_str(array, indent + len(name) + len("=tensor(")) + ")"
             for name, array in parts]
    text = "tensor(" + (",\n" + " " * indent).join(texts)
    values = parts[-1][1]
    suffixes = [f"size={tuple(tensor.shape)}", f"nnz={values.shape[0]}"]
    if values.dtype not in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool):
        suffixes.append(f"dtype={dtype_name(values.dtype)}")
    suffixes.append(f"layout=torch.{layout_name}")
    if tensor.grad_fn is not None:
        suffixes.append(f"grad_fn=<{tensor.grad_fn.name()}>")
    elif tensor._requires_grad:
        suffixes.append("requires_grad=True")
    if layout_name == "sparse_coo":
        return text + ",\n" + " " * indent + _with_suffixes(suffixes[0], suffixes[1:], indent)
    return _with_suffixes(text, suffixes, indent)


def rebuild_sparse(indices, values, shape, coalesced, requires_grad):
    """The sparse tensor a pickle holds (``SparseTensor.__reduce_ex__``)."""
    return sparse_tensor(SparseArray(indices, values, shape, coalesced), requires_grad)


def sparse_tensor(array, requires_grad=False):
    """A ``SparseTensor`` around ``array`` (a ``SparseArray``), a leaf."""
    SPARSE_GRADIENTS.made = True
    tensor = _new_object(SparseTensor)
    tensor._array = array
    tensor._grad = tensor.grad_fn = tensor._version_counter = tensor._base = None
    tensor._hooks = None
    tensor._requires_grad = False
    if requires_grad:
        tensor._require_grad_at_creation()
    return tensor


def _no_sparse_graph(tensor, name):
    """An op on a sparse tensor that requires grad, whose result is sparse, has no backward
    here: refuse rather than silently drop the gradient."""
    if tensor._requires_grad and thread_state.grad_enabled:
        raise NotImplementedError(
            f"tinygrad_bn: {name} of a sparse tensor that requires grad is not differentiable "
            "here (only sparse.mm, mm and to_dense are); call it under no_grad() or on "
            ".detach()")


# ---------------------------------------------------------------------- making one


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, pin_memory=False,
                      requires_grad=False, check_invariants=None, is_coalesced=None):
    """PyTorch's ``torch.sparse_coo_tensor``: a COO tensor with the given ``indices``
    (``(sparse_dim, nnz)``, converted to int64) and ``values`` (``(nnz,) + dense sizes``).
    Without ``size``, each sparse dimension is one more than its largest index (0 when there
    is none) and the dense sizes are the values'. ``is_coalesced=True`` promises unique,
    sorted positions (not checked, as PyTorch without invariant checks).

    The values are copied. Values that require grad make the result a non-leaf whose
    gradient reaches them (``SparseCooFromValues``), as PyTorch's; with a ``dtype`` given they
    get none (a difference)."""
    index = indices._array if isinstance(indices, Tensor) else np.asarray(indices)
    if isinstance(values, Tensor):
        value = values._array
    else:
        value = Tensor(values)._array
    if dtype is not None:
        value = value.astype(dtype)
    value = np.array(value, copy=True)
    if index.ndim != 2 and not (index.ndim == 1 and index.size == 0):
        raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {list(index.shape)}")
    if index.dtype.kind not in "iu":
        raise RuntimeError("indices must be an int64 tensor")
    index = index.astype(np.int64).reshape(index.shape[0] if index.ndim == 2 else 0, -1)
    if value.ndim == 0:
        raise RuntimeError("values has incorrect size, expected at least one dimension")
    if index.shape[1] != value.shape[0]:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: "
                           f"{index.shape[1]}, nnz from values: {value.shape[0]}")
    sparse_dim = index.shape[0]
    if size is None:
        computed = [int(index[d].max()) + 1 if index.shape[1] else 0 for d in range(sparse_dim)]
        shape = tuple(computed) + value.shape[1:]
    else:
        shape = tuple(int(s) for s in size)
        if len(shape) != sparse_dim + value.ndim - 1:
            raise RuntimeError(f"'len(size) == sparse_dim + dense_dim' is not satisfied: "
                               f"len(size) = {len(shape)}, sparse_dim = {sparse_dim}, "
                               f"dense_dim = {value.ndim - 1}")
        for d in range(sparse_dim if check_invariants else 0):
            if index.shape[1]:
                top, bottom = int(index[d].max()), int(index[d].min())
                if top >= shape[d]:
                    raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size "
                                       f"is {shape[d]} but found index {top}")
                if bottom < 0:
                    raise RuntimeError(f"found negative index {bottom} for dim {d}")
        if tuple(shape[sparse_dim:]) != value.shape[1:]:
            raise RuntimeError(f"values has incorrect size, expected "
                               f"{list((value.shape[0],) + shape[sparse_dim:])}, got "
                               f"{list(value.shape)}")
    coalesced = bool(is_coalesced) or index.shape[1] <= 1
    result = sparse_tensor(SparseArray(index, value, shape, coalesced), requires_grad)
    if isinstance(values, Tensor) and values._requires_grad and thread_state.grad_enabled \
            and dtype is None:
        _record(SparseCooFromValues(index), (values,), result)
    return result


def _record(op, inputs, out):
    """Make ``op`` the ``grad_fn`` of the sparse ``out`` made from ``inputs``: the fields
    ``Op.apply`` sets, which cannot run here (its result is an ndarray)."""
    op.inputs, op.producers = inputs, tuple(t.grad_fn for t in inputs)
    op.needs_input_grad = tuple(t._requires_grad for t in inputs)
    op.saved = ()
    op.retained_output = op.hooks = op.output_counter = op.creation_trace = None
    op.module_call = thread_state.module_call
    op.write_stamp = graph._Writes.count
    op.output_meta = (out._array.shape, out._array.dtype)
    out.grad_fn, out._requires_grad = op, True


def to_sparse(tensor, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
    """``Tensor.to_sparse()``: the non-zero elements (over the first ``sparse_dim``
    dimensions, every one by default; a block of the trailing ones is kept when any of it is
    non-zero) as a coalesced COO tensor; its gradient flows back to ``tensor`` (``ToSparse``)."""
    if layout is not None and layout is not sparse_coo:
        from .csr import sparse_csr, to_sparse_csr  # csr builds on this module
        if layout is sparse_csr:
            return to_sparse_csr(tensor)
        raise NotImplementedError(f"tinygrad_bn: to_sparse with layout {layout} is not "
                                  "supported")
    if isinstance(tensor, SparseTensor):
        return tensor
    array = tensor._array
    sparse_dim = array.ndim if sparse_dim is None else int(sparse_dim)
    if not 0 <= sparse_dim <= array.ndim:
        raise RuntimeError(f"sparse_dim argument must be in [0, {array.ndim}] range, but "
                           f"{sparse_dim} is given")
    block = array.reshape(array.shape[:sparse_dim] + (-1,)) if sparse_dim < array.ndim else \
        array[..., None]
    keep = (block != 0).any(axis=-1)
    positions = np.stack(np.nonzero(keep)).astype(np.int64) if sparse_dim else \
        np.zeros((0, 1), np.int64)
    values = array[tuple(positions)] if sparse_dim else array[None]
    result = sparse_tensor(SparseArray(positions.reshape(sparse_dim, -1), values.copy(),
                                       array.shape, True))
    if tensor._requires_grad and thread_state.grad_enabled:
        _record(ToSparse(), (tensor,), result)
    return result


# ---------------------------------------------------------------------- ops


class SparseCooFromValues(Op):
    """``sparse_coo_tensor(indices, values)`` with ``values`` that require grad: the sparse
    result's node (PyTorch's ``SparseCooTensorWithDimsAndTensorsBackward0``). Its gradient
    arrives dense (the engine densifies a sparse one); each stored value gets the gradient at
    its position (repeats each get all of it)."""

    __slots__ = ("positions",)

    def __init__(self, positions=None):
        self.positions = positions  # the indices, (sparse_dim, nnz)

    def backward(self, grad_output):
        return (grad_output[tuple(self.positions)],)


class ToSparse(Op):
    """``dense.to_sparse()`` of a tensor that requires grad: the sparse result's node. Its
    gradient (dense: the engine densifies a sparse one) is the input's, as PyTorch's
    ``ToSparseBackward0`` (``grad.to_dense()``)."""

    __slots__ = ()

    def backward(self, grad_output):
        return (grad_output,)


class ToDense(Op):
    """``sparse.to_dense()``: the dense tensor, each stored value added at its position. The
    gradient for the sparse input is the incoming gradient read at its coalesced positions (a
    sparse gradient, PyTorch's ``to_dense_backward``)."""

    __slots__ = ("pattern",)

    def forward(self, sparse):
        self.pattern = sparse.coalesce()
        return self.pattern.to_dense()

    def backward(self, grad_output):
        # PyTorch's gradient has the coalesced positions but is not flagged coalesced
        return (SparseArray(self.pattern.indices, self.pattern.mask(grad_output),
                            self.pattern.shape),)


def _scatter_rows(count, rows, contributions):
    """``out[rows[i]] += contributions[i]`` into zeros ``(count, ...)``, in stored order."""
    out = np.zeros((count,) + contributions.shape[1:], dtype=contributions.dtype)
    np.add.at(out, rows, contributions)
    return out


class SparseDenseMatMul(Op):
    """``sparse @ dense`` for a 2-D COO ``sparse`` ``(n, k)`` (no dense dimensions) and a dense
    ``(k, m)``: ``out[r] += v * dense[c]`` for each stored ``(r, c, v)``.

    Gradients: for ``dense``, ``sparse.T @ grad_output``; for ``sparse``, ``grad_output @
    dense.T``, which ``masked_grad`` (``torch.sparse.mm``) reads at the sparse operand's
    coalesced positions only (a sparse gradient, PyTorch's) and otherwise (``torch.mm``) keeps
    whole (a dense gradient, PyTorch's)."""

    __slots__ = ("masked_grad", "pattern")
    arguments = ("masked_grad",)

    def __init__(self, masked_grad=True):
        self.masked_grad = masked_grad

    def forward(self, sparse, dense):
        self.saved = (sparse, dense)
        return sparse @ dense

    def backward(self, grad_output):
        sparse, dense = self.saved
        grad_sparse = grad_dense = None
        if self.needs_input_grad[0]:
            if self.masked_grad:
                pattern = sparse.coalesce()
                rows, columns = pattern.indices
                grad_sparse = SparseArray(pattern.indices, np.einsum(
                    "ij,ij->i", grad_output[rows], dense[columns]), pattern.shape)
            else:
                grad_sparse = grad_output @ dense.T
        if self.needs_input_grad[1]:
            grad_dense = sparse.T @ grad_output
        return grad_sparse, grad_dense


def _sparse_dense_product(sparse, dense, masked_grad):
    """Check the operands as PyTorch's ``mm`` does and apply ``SparseDenseMatMul``."""
    if not isinstance(dense, Tensor):
        raise TypeError(f"mm(): argument 'mat2' (position 2) must be Tensor, not "
                        f"{type(dense).__name__}")
    if isinstance(dense, SparseTensor):
        raise _backend_refusal("aten::mm")
    if sparse.ndim != 2 or sparse.dense_dim():
        raise RuntimeError(f"addmm: matrices expected, got {sparse.ndim}D tensor")
    if dense.ndim != 2:
        raise RuntimeError(f"addmm: matrices expected, got {dense.ndim}D tensor")
    if sparse.shape[1] != dense.shape[0]:
        raise RuntimeError(f"addmm: Argument #3 (dense): Expected dim 0 size "
                           f"{sparse.shape[1]}, got {dense.shape[0]}")
    if sparse.dtype != dense.dtype:
        raise RuntimeError(f"expected mat1 and mat2 to have the same dtype, but got: "
                           f"{dtypes.cpp_type_name(sparse.dtype)} != "
                           f"{dtypes.cpp_type_name(dense.dtype)}")
    return SparseDenseMatMul.apply(sparse, dense, masked_grad=masked_grad)


class SparseEmbedding(Embedding):
    """``F.embedding(..., sparse=True)``: the rows of ``weight`` picked by ``indices``, as
    ``ops.Embedding`` (its constructor and forward), but the gradient for ``weight`` is a
    sparse COO tensor as PyTorch's (``embedding_sparse_backward``): one entry per looked-up
    position, in order, uncoalesced, ``indices`` the flattened ids (without the
    ``padding_idx`` ones) and ``values`` the rows of ``grad_output``. ``scale_grad_by_freq``
    is refused at backward, as PyTorch refuses it."""

    __slots__ = ()

    def backward(self, grad_output):
        (indices,) = self.saved
        dim = grad_output.shape[-1]
        ids = indices.reshape(-1).astype(np.int64)
        rows = grad_output.reshape(ids.size, dim)
        if self.padding_idx is not None:
            keep = ids != self.padding_idx
            ids, rows = ids[keep], rows[keep]
        if self.scale_grad_by_freq:
            raise RuntimeError("embedding_backward: scale_grad_by_freq not supported with "
                               "sparse gradients")
        rows = np.array(rows, copy=True)
        return SparseArray(ids[None, :].copy(), rows, (self.num_embeddings, dim)), None

"""More products and statistics PyTorch has: ``inner``, ``vdot``, the fused add-products
``addmv``/``addr``/``baddbmm``/``addbmm`` (and their in-place forms), ``cov``/``corrcoef``,
``nanmedian`` and ``unique_consecutive``.

The add-products share ``addmm``'s rule (``arithmetic._add_scaled``): ``beta * input + alpha *
product``, with ``beta=0`` ignoring ``input`` (even its NaNs) and integer tensors truncating
``alpha``/``beta``, as PyTorch. All are compositions of differentiable ops, so their gradients
are those ops' own."""

from __future__ import annotations

# ``bool``, ``int`` and ``float`` are Tensor methods, so annotations use these:
from builtins import bool as _bool, int as _int

import builtins
import warnings

import numpy as np

from .. import dtypes
from ..autocast_state import lower_precision_op, not_autocast
from ..dtypes import Number
from ..ops import Derived
from ..ops.positions import nanmedian_positions
from ..printing import return_types
from ..shapes import normalize_dim
from .arguments import _tensor_argument, constant_tensor, in_opmath
from .arithmetic import _add_scaled, tensordot
from .core import Tensor


def _same_dtypes(name, *tensors):
    if len({t._array.dtype for t in tensors}) != 1:
        names = [dtypes.scalar_type_name(t.dtype) for t in tensors]
        raise RuntimeError(f"{name} input tensors must have the same dtype, but got "
                           f"{', '.join(names[:-1])}, and {names[-1]}")


class ProductMethods:
    """The product and statistics methods of ``Tensor``, which takes them as its own (see
    ``tinygrad_bn/tensor/__init__.py``)."""

    def inner(self, other: Tensor) -> Tensor:
        """The sum of products over the last dims: shape ``self.shape[:-1] + other.shape[:-1]``
        (a 0-d operand multiplies)."""
        other = _tensor_argument(other, "inner", "other", 2)
        if self.ndim == 0 or other.ndim == 0:
            return self * other
        if self.shape[-1] != other.shape[-1]:
            raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                               f"got shapes {list(self.shape)} and {list(other.shape)}")
        return tensordot(self, other, dims=([-1], [-1]))

    def vdot(self, other: Tensor) -> Tensor:
        """``dot`` with the first vector conjugated: for real tensors, ``dot``."""
        return self.conj().dot(_tensor_argument(other, "vdot", "other", 2))

    @not_autocast  # one kernel in PyTorch, off autocast's lists: its mv is not cast
    def addmv(self, mat: Tensor, vec: Tensor, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
        """``beta * self + alpha * (mat @ vec)``: ``mat`` ``(n, m)``, ``vec`` ``(m,)``, ``self``
        broadcastable to ``(n,)``."""
        mat = _tensor_argument(mat, "addmv", "mat", 1)
        vec = _tensor_argument(vec, "addmv", "vec", 2)
        if mat.ndim != 2 or vec.ndim != 1 or self.ndim > 1:
            raise RuntimeError(f"vector + matrix @ vector expected, got {self.ndim}, {mat.ndim}, "
                               f"{vec.ndim}")
        if mat.shape[1] != vec.shape[0] or (self.ndim and self.shape[0] not in (1, mat.shape[0])):
            size = f"({self.shape[0]})" if self.ndim else "()"
            raise RuntimeError(f"size mismatch, got input {size}, mat ({mat.shape[0]}x"
                               f"{mat.shape[1]}), vec ({vec.shape[0]})")
        _same_dtypes("addmv", self, mat, vec)
        return in_opmath(lambda i, a, b, **k: _add_scaled(i, a.matmul(b), **k), self, mat, vec,
                         beta=beta, alpha=alpha)

    def addmv_(self, mat: Tensor, vec: Tensor, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
        """In-place ``addmv``."""
        return self._write(Tensor.addmv, mat, vec, beta=beta, alpha=alpha)

    def addr(self, vec1: Tensor, vec2: Tensor, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
        """``beta * self + alpha * outer(vec1, vec2)``, ``self`` broadcastable to ``(n, m)``."""
        vec1 = _tensor_argument(vec1, "addr", "vec1", 1)
        vec2 = _tensor_argument(vec2, "addr", "vec2", 2)
        for name, t in (("vec1", vec1), ("vec2", vec2)):
            if t.ndim != 1:
                raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {t.ndim}-D")
        if all(t._array.dtype is dtypes.bool for t in (self, vec1, vec2)):
            # PyTorch's boolean addr: (beta and self) or (alpha and vec1 vec2^T)
            product = np.outer(vec1._array, vec2._array) & builtins.bool(alpha)
            self.expand(*product.shape)
            return constant_tensor(product | (np.broadcast_to(self._array, product.shape)
                                              & builtins.bool(beta)))
        return in_opmath(lambda i, a, b, **k: _add_scaled(i, a.outer(b), **k), self, vec1, vec2,
                         beta=beta, alpha=alpha)

    def addr_(self, vec1: Tensor, vec2: Tensor, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
        """In-place ``addr``."""
        return self._write(Tensor.addr, vec1, vec2, beta=beta, alpha=alpha)

    @lower_precision_op  # on PyTorch's CPU autocast list
    def baddbmm(self, batch1: Tensor, batch2: Tensor, *, beta: Number = 1,
                alpha: Number = 1) -> Tensor:
        """``beta * self + alpha * bmm(batch1, batch2)``: ``batch1`` ``(b, n, k)``, ``batch2``
        ``(b, k, m)``, ``self`` broadcastable to ``(b, n, m)``."""
        batch1, batch2 = _batches("baddbmm", batch1, batch2)
        return in_opmath(lambda i, a, b, **k: _add_scaled(i, a.bmm(b), **k), self, batch1,
                         batch2, beta=beta, alpha=alpha)

    def baddbmm_(self, batch1: Tensor, batch2: Tensor, *, beta: Number = 1,
                 alpha: Number = 1) -> Tensor:
        """In-place ``baddbmm``."""
        return self._write(Tensor.baddbmm, batch1, batch2, beta=beta, alpha=alpha)

    @lower_precision_op  # on PyTorch's CPU autocast list
    def addbmm(self, batch1: Tensor, batch2: Tensor, *, beta: Number = 1,
               alpha: Number = 1) -> Tensor:
        """``beta * self + alpha * sum_b(batch1[b] @ batch2[b])``, ``self`` broadcastable to
        ``(n, m)``: as PyTorch, one ``addmm`` per batch accumulated in order (``beta`` applied
        by the first), so the roundings are PyTorch's."""
        batch1, batch2 = _batches("addbmm", batch1, batch2)
        _same_dtypes("addbmm", self, batch1, batch2)
        out = self.expand(batch1.shape[1], batch2.shape[2])
        if batch1.shape[0] == 0:
            return out * beta if beta != 0 else out * 0
        for b in range(batch1.shape[0]):  # PyTorch's loop: one addmm per batch, in order
            out = out.addmm(batch1[b], batch2[b], beta=beta if b == 0 else 1, alpha=alpha)
        return out

    def addbmm_(self, batch1: Tensor, batch2: Tensor, *, beta: Number = 1,
                alpha: Number = 1) -> Tensor:
        """In-place ``addbmm``."""
        return self._write(Tensor.addbmm, batch1, batch2, beta=beta, alpha=alpha)

    # ------------------------------------------------------------------ statistics

    def cov(self, *, correction: _int = 1, fweights: Tensor | None = None,
            aweights: Tensor | None = None) -> Tensor:
        """The covariance matrix of the variables in the rows (observations in the columns; a
        1-D tensor is one variable): ``(x - avg) @ (w * (x - avg)).T / norm`` with weights
        ``w = fweights * aweights`` (integer frequencies, float importances), ``avg`` their
        weighted mean and ``norm = sum(w) - correction`` (``- correction * sum(w * aweights) /
        sum(w)`` with ``aweights``), as PyTorch's (and NumPy's) ``cov``. A norm <= 0 warns and
        divides by 0."""
        if self.ndim > 2:
            raise RuntimeError("cov(): expected input to have two or fewer dimensions but got an "
                               f"input with {self.ndim} dimensions")
        x = self.reshape(1, -1) if self.ndim < 2 else self
        observations = x.shape[1]
        w = None
        for name, given, kind in (("fweights", fweights, "integral"),
                                  ("aweights", aweights, "floating point")):
            if given is None:
                continue
            if given.ndim > 1:
                raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but "
                                   f"got {name} with {given.ndim} dimensions")
            integral = given._array.dtype.kind in "iu"
            if integral != (name == "fweights") or given._array.dtype is dtypes.bool:
                raise RuntimeError(f"cov(): expected {name} to have {kind} dtype but got {name} "
                                   f"with {dtypes.scalar_type_name(given.dtype)} dtype")
            if given.numel() != observations:
                raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                                   f"observations in the input but got {given.numel()} != "
                                   f"{observations}")
            if given.numel() and bool((given._array < 0).any()):
                raise RuntimeError(f"cov(): {name} cannot be negative")
            w = given if w is None else w * given
        if w is None:
            total = constant_tensor(np.asarray(observations, dtype=np.int64))
        else:
            total = w.sum()
            if float(total._array) == 0:
                raise RuntimeError("cov(): weights sum to zero, can't be normalized")
        average = (x if w is None else x * w).sum(1) / total
        if w is not None and aweights is not None and correction != 0:
            norm = total - correction * (w * aweights).sum() / total
        else:
            norm = total - correction
        if float(norm._array) <= 0:
            warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                          "than the number of observations.", UserWarning, stacklevel=2)
            norm = norm * 0
        centred = x - average.unsqueeze(1)
        product = centred.mm((centred if w is None else centred * w).t())
        return product.true_divide(norm).squeeze()

    def corrcoef(self) -> Tensor:
        """The Pearson correlation coefficients of the rows: ``cov`` divided by the product of
        the standard deviations, clipped to ``[-1, 1]``."""
        c = self.cov()
        if c.ndim == 0:
            return c / c
        std = c.diagonal().sqrt()
        c = c / std.reshape(-1, 1)
        c = c / std.reshape(1, -1)
        return c.clip(-1, 1)

    def nanmedian(self, dim: _int | None = None,
                  keepdim: _bool = False) -> Tensor | tuple[Tensor, Tensor]:
        """``median`` ignoring NaN: the lower middle of the values that are not NaN (NaN when
        all are, at index 0). Without ``dim`` a 0-d tensor; with ``dim`` the named tuple
        ``(values, indices)``. The gradient goes to the element picked."""
        self._check_sortable("nanmedian")
        if dim is None:
            flat = self.reshape(-1)
            if flat._array.size == 0:
                empty = np.nan if self.is_floating_point() else np.iinfo(self._array.dtype).min
                return constant_tensor(np.asarray(empty, dtype=self._array.dtype))
            position = Derived.apply(flat, function=nanmedian_positions, keywords={"dim": 0})
            return flat[position.reshape(())]
        return self._pick_along(dim, keepdim, nanmedian_positions, {}, return_types.nanmedian,
                                "nanmedian")

    def unique_consecutive(self, return_inverse: _bool = False, return_counts: _bool = False,
                           dim: _int | None = None) -> Tensor | tuple[Tensor, ...]:
        """The values (or slices along ``dim``) with each run of equal consecutive ones kept
        once; with ``return_inverse`` each element's run number (in the input's shape, or the
        length of ``dim``), with ``return_counts`` each run's length."""
        array = self._array
        if dim is None:
            flat = array.reshape(-1)
            starts = np.ones(flat.size, dtype=bool)
            starts[1:] = flat[1:] != flat[:-1]
            values = flat[starts]
            inverse_shape = array.shape
        else:
            d = normalize_dim(dim, self.ndim)
            rows = np.moveaxis(array, d, 0)
            starts = np.ones(rows.shape[0], dtype=bool)
            if rows.shape[0] > 1:
                starts[1:] = (rows[1:] != rows[:-1]).reshape(rows.shape[0] - 1, -1).any(axis=1)
            values = np.moveaxis(rows[starts], 0, d)
            inverse_shape = (rows.shape[0],)
        runs = np.cumsum(starts) - 1
        counts = np.diff(np.append(np.flatnonzero(starts), starts.size))
        out = [constant_tensor(np.ascontiguousarray(values))]
        if return_inverse:
            out.append(constant_tensor(runs.astype(np.int64).reshape(inverse_shape)))
        if return_counts:
            out.append(constant_tensor(counts.astype(np.int64)))
        return out[0] if len(out) == 1 else tuple(out)


def _batches(name, batch1, batch2):
    batch1 = _tensor_argument(batch1, name, "batch1", 1)
    batch2 = _tensor_argument(batch2, name, "batch2", 2)
    for label, t in (("batch1", batch1), ("batch2", batch2)):
        if t.ndim != 3:
            raise RuntimeError(f"{label} must be a 3D tensor")
    if batch1.shape[0] != batch2.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got "
                           f"{batch1.shape[0]} and {batch2.shape[0]}")
    if batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{batch1.shape[0]}, {batch1.shape[2]}] but got: [{batch2.shape[0]}, "
                           f"{batch2.shape[1]}].")
    return batch1, batch2

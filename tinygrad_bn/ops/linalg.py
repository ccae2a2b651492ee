"""Matrix multiplication, with NumPy's ``matmul`` rules for 1-D, 2-D and batched operands, and
the other products: ``einsum``, ``linear``, singular values, ``cross``, ``cdist``."""

import math

import numpy as np

from .. import dtypes
from ..autograd.graph import Op
from ..dtypes import scalar_type_name
from .elementwise import fused_multiply_add
from .opmath import HALF, opmath, opmath_backward
from .reduce import column_sums


class MatMul(Op):
    """``a @ b``.

    Shapes follow ``numpy.matmul``: a 1-D ``a`` is a row vector and a 1-D ``b`` a column vector
    (the added dim is removed from the result); leading batch dims broadcast. For the 2-D case
    ``(n, k) @ (k, m) -> (n, m)`` the gradients are ``grad_output @ b.T`` and ``a.T @ grad_output``;
    the general case promotes 1-D operands to 2-D first, and the engine sums gradients over
    broadcast batch dims.
    """

    __slots__ = ()

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError(
                f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and "
                f"{b.ndim}D"
            )
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise RuntimeError(_shape_error(a.shape, b.shape))
        try:
            out = np.matmul(a, b)
        except ValueError:  # inner dims fit, so the batch dims do not broadcast
            raise RuntimeError(_shape_error(a.shape, b.shape)) from None
        # Each operand is saved only for the other's gradient (as PyTorch does), so writing in
        # place to an operand whose partner needs no gradient is not an error.
        needs_a, needs_b = self.needs_input_grad or (False, False)
        self.saved = (a if needs_b else None, b if needs_a else None, a.ndim, b.ndim)
        return out

    def backward(self, grad_output):
        a, b, a_ndim, b_ndim = self.saved
        needs_a, needs_b = self.needs_input_grad
        if a_ndim == 2 and b_ndim == 2:
            return (grad_output @ b.T if needs_a else None, a.T @ grad_output if needs_b else None)
        a2 = a[np.newaxis, :] if a is not None and a_ndim == 1 else a
        b2 = b[:, np.newaxis] if b is not None and b_ndim == 1 else b
        grad = grad_output
        if a_ndim == 1:
            grad = np.expand_dims(grad, -2 if b_ndim > 1 else -1)
        if b_ndim == 1:
            grad = np.expand_dims(grad, -1)
        # the arrays' own swapaxes: np.swapaxes adds a Python-level dispatch per call
        grad_a = grad @ b2.swapaxes(-1, -2) if needs_a else None
        grad_b = a2.swapaxes(-1, -2) @ grad if needs_b else None
        if needs_a and a_ndim == 1:
            grad_a = grad_a.sum(axis=tuple(range(grad_a.ndim - 1)))
        if needs_b and b_ndim == 1:
            grad_b = grad_b.sum(axis=tuple(range(grad_b.ndim - 2)) + (grad_b.ndim - 1,))
        return grad_a, grad_b

    def tensor_backward(self, grad_output):
        """``backward`` with Tensor operations (``create_graph=True``), step for step."""
        a, b = self.inputs
        needs_a, needs_b = self.needs_input_grad
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        grad = grad_output
        if a.ndim == 1:
            grad = grad.unsqueeze(-2 if b.ndim > 1 else -1)
        if b.ndim == 1:
            grad = grad.unsqueeze(-1)
        grad_a = grad @ b2.transpose(-1, -2) if needs_a else None
        grad_b = a2.transpose(-1, -2) @ grad if needs_b else None
        if needs_a and a.ndim == 1:
            grad_a = grad_a.sum(dim=tuple(range(grad_a.ndim - 1)))
        if needs_b and b.ndim == 1:
            grad_b = grad_b.sum(dim=tuple(range(grad_b.ndim - 2)) + (grad_b.ndim - 1,))
        return grad_a, grad_b


class LinAlgError(RuntimeError):
    """A linear-algebra routine that failed on its input (``torch.linalg.LinAlgError``, also a
    ``RuntimeError``)."""


class SingularValues(Op):
    """The singular values of the matrices in the last two dims of ``a``, in descending order
    (``torch.linalg.svdvals``): shape ``(..., m, n) -> (..., min(m, n))``.

    With the thin SVD ``a = U diag(s) Vh`` (``U`` ``(..., m, k)``, ``Vh`` ``(..., k, n)``), each
    ``s_i = u_i^T a v_i`` and ``ds_i/da = u_i v_i^T``, so ``dL/da = U diag(grad_output) Vh``
    (PyTorch's ``svd_backward`` when only ``S`` is used). Where singular values repeat (a zero
    matrix has all of them 0) ``U`` and ``V`` are not unique; the gradient is then the
    subgradient given by the ``U`` and ``V`` LAPACK's ``gesdd`` returns, as in PyTorch.
    """

    __slots__ = ()

    def forward(self, a):
        if not np.isfinite(a).all():  # LAPACK's gesdd would not converge (NumPy's own error)
            raise LinAlgError("linalg.svd: The algorithm failed to converge because the input "
                              "matrix contained non-finite values.")
        *batch, m, n = a.shape
        k = min(m, n)
        if k == 0:  # LAPACK refuses empty matrices; they have no singular values
            self.saved = (np.zeros((*batch, m, 0), a.dtype), np.zeros((*batch, 0, n), a.dtype))
            return np.zeros((*batch, 0), dtype=a.dtype)
        if not self.needs_input_grad:
            return np.linalg.svd(a, compute_uv=False)
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        self.saved = (u, vh)
        return s

    def backward(self, grad_output):
        u, vh = self.saved
        return ((u * grad_output[..., np.newaxis, :]) @ vh,)


def _shape_error(a_shape, b_shape):
    """PyTorch's wording for operands whose shapes cannot be multiplied, naming both."""
    a_text = "x".join(map(str, a_shape))
    b_text = "x".join(map(str, b_shape))
    return f"mat1 and mat2 shapes cannot be multiplied ({a_text} and {b_text})"


@opmath
class Linear(Op):
    """``x @ weight.T + bias``, the affine map of ``nn.Linear``, as one node.

    Shapes: ``x`` ``(..., in)``, ``weight`` ``(out, in)``, ``bias`` ``(out,)``, result
    ``(..., out)``. Gradients (``g`` = dL/dresult, leading dims flattened into rows)::

        dL/dx = g @ weight      dL/dweight = g.T @ x      dL/dbias = sum of g over rows

    A bias-free layer passes only ``(x, weight)``.
    """

    __slots__ = ()

    def forward(self, x, weight, bias=None):
        needs = self.needs_input_grad
        self.saved = (x if needs and needs[1] else None, weight if needs and needs[0] else None)
        # np.dot: the same BLAS product as @, with less of NumPy's dispatch per call. Leading
        # dims are flattened into rows: one GEMM, where matmul would make one per batch entry.
        if x.ndim == 2:
            out = np.dot(x, weight.T)
        elif x.ndim > 2 and x.flags.c_contiguous:
            out = np.dot(x.reshape(math.prod(x.shape[:-1]), x.shape[-1]), weight.T).reshape(
                *x.shape[:-1], weight.shape[0])
        else:
            out = x @ weight.T
        if bias is not None:
            out += bias
        return out

    def backward(self, grad_output):
        x, weight = self.saved
        needs = self.needs_input_grad
        rows = math.prod(grad_output.shape[:-1])  # not -1: a layer may have zero features
        rows_g = grad_output.reshape(rows, grad_output.shape[-1])
        grad_x = (np.dot(rows_g, weight).reshape(*grad_output.shape[:-1], weight.shape[1])
                  if needs[0] else None)
        grad_weight = np.dot(rows_g.T, x.reshape(rows, x.shape[-1])) if needs[1] else None
        if len(needs) == 2:
            return grad_x, grad_weight
        return grad_x, grad_weight, (column_sums(rows_g) if needs[2] else None)

    def tensor_backward(self, grad_output):
        """``backward`` with Tensor operations (``create_graph=True``)."""
        x, weight = self.inputs[:2]
        needs = self.needs_input_grad
        rows_g = grad_output.reshape(-1, grad_output.shape[-1])
        grad_x = grad_output @ weight if needs[0] else None
        grad_weight = rows_g.transpose(0, 1) @ x.reshape(-1, x.shape[-1]) if needs[1] else None
        if len(needs) == 2:
            return grad_x, grad_weight
        return grad_x, grad_weight, (rows_g.sum(dim=0) if needs[2] else None)


@opmath_backward  # the forward widens float16 itself (integers too, to int64)
class Einsum(Op):
    """``torch.einsum`` on an explicit equation of letters only (``"ij,jk->ik"``; the Tensor
    function expands ``...`` and implicit outputs into letters first, see ``einsum_subscripts``).

    A letter in several operands is multiplied along; one missing from the output is summed
    over; a size-1 dim broadcasts against the same letter's size elsewhere; a letter repeated
    in one operand takes its diagonal. The gradient for operand ``k`` is itself an einsum: of
    ``grad_output`` with the other operands, onto ``k``'s letters. Letters only ``k`` has (summed
    away by the forward) get the gradient broadcast along them, size-1 dims that broadcast get
    it summed, and a repeated letter's gradient is written onto the diagonal it read.

    The result has ``dtype`` (PyTorch's, see ``einsum_result_dtype``). It is computed in a wider
    dtype and rounded once: float16 in float32 (as PyTorch's CPU matrix products accumulate),
    integers and bool in int64, so an integer result is the exact sum of products wrapped to
    ``dtype`` (PyTorch multiplies some pairs in the input dtype first: it can wrap differently
    only when those partial sums overflow it).
    """

    __slots__ = ("equation", "dtype", "inputs_subscripts", "output_subscripts")
    arguments = ("equation", "dtype")

    def __init__(self, equation, dtype):
        self.equation, self.dtype = equation, str(np.dtype(dtype))  # a name: a readable repr
        inputs, self.output_subscripts = equation.split("->")
        self.inputs_subscripts = inputs.split(",")

    def forward(self, *arrays):
        if self.needs_input_grad:
            self.saved = arrays
        dtype = np.dtype(self.dtype)
        wide = (np.dtype(np.float32) if dtype == np.float16
                else np.dtype(np.int64) if dtype.kind in "biu" else dtype)
        result = np.einsum(self.equation, *[a.astype(wide, copy=False) for a in arrays],
                           optimize=len(arrays) > 2)
        return np.asarray(result).astype(dtype, copy=False)

    def backward(self, grad_output):
        arrays = self.saved
        grads = []
        for position, (subscripts, needed) in enumerate(zip(self.inputs_subscripts,
                                                            self.needs_input_grad)):
            grads.append(self._operand_grad(position, arrays, grad_output) if needed else None)
        return tuple(grads)

    def _operand_grad(self, position, arrays, grad_output):
        subscripts = self.inputs_subscripts[position]
        shape = arrays[position].shape
        others = [(s, a) for k, (s, a) in enumerate(zip(self.inputs_subscripts, arrays))
                  if k != position]
        letters = list(dict.fromkeys(subscripts))  # each letter once, in order
        sizes = {letter: size for letter, size in zip(subscripts, shape)}
        available = set(self.output_subscripts).union(*(set(s) for s, _ in others))
        produced = "".join(letter for letter in letters if letter in available)
        equation = ",".join([self.output_subscripts] + [s for s, _ in others]) + "->" + produced
        grad = np.einsum(equation, grad_output, *[a for _, a in others],
                         optimize=len(others) > 1)
        grad = np.expand_dims(grad, [k for k, letter in enumerate(letters)
                                     if letter not in available])
        stretched = tuple(k for k, letter in enumerate(letters)
                          if sizes[letter] == 1 and grad.shape[k] != 1)
        if stretched:  # this operand's size-1 dim broadcast against a larger one
            grad = grad.sum(axis=stretched, keepdims=True)
        grad = np.broadcast_to(grad, [sizes[letter] for letter in letters])
        if len(letters) == len(subscripts):
            return grad
        full = np.zeros(shape, dtype=grad.dtype)  # a repeated letter read a diagonal
        grid = np.indices(grad.shape, sparse=True)
        full[tuple(grid[letters.index(letter)] for letter in subscripts)] = grad
        return full

    @property
    def multilinear_inputs(self):
        """Every operand: einsum is linear in each (``create_graph``, see
        autograd/higher_order.py)."""
        return tuple(range(len(self.inputs_subscripts)))


def einsum_subscripts(equation, shapes):
    """Check an einsum ``equation`` against the operands' ``shapes`` with PyTorch's messages,
    and return it explicit: ``(inputs, output)``, one string of letters per operand and one for
    the result. ``...`` becomes unused letters (right-aligned, broadcasting like the shapes), and
    an equation without ``->`` gets PyTorch's implicit output: the ellipsis dims, then the
    letters used once, in alphabetical order (capitals first)."""
    text = equation.replace(" ", "")
    left, arrow, right = text.partition("->")
    for index, char in enumerate(equation):
        if char in " ,.":
            continue
        if char.isascii() and char.isalpha():
            continue
        if char in "->" and equation.find("->") in (index, index - 1):
            continue
        raise RuntimeError(f"einsum(): invalid subscript given at index {index} in the equation "
                           "string, subscripts must be in [a-zA-Z]")
    terms = left.split(",")
    if len(terms) > len(shapes):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    unused = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in text]
    parsed = [_ellipsis_split(term, k) for k, term in enumerate(terms)]
    ellipsis_ndim = 0
    for k, ((before, after, has_ellipsis), shape) in enumerate(zip(parsed, shapes)):
        count = len(before) + len(after)
        if not has_ellipsis and count != len(shape):
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({count}) does not match "
                f"the number of dimensions ({len(shape)}) for operand {k} and no ellipsis was "
                "given")
        if has_ellipsis and count > len(shape):
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({count}) is more than the "
                f"number of dimensions ({len(shape)}) for operand {k}")
        if has_ellipsis:
            ellipsis_ndim = max(ellipsis_ndim, len(shape) - count)
    ellipsis_letters = "".join(unused[:ellipsis_ndim])
    inputs = []
    for (before, after, has_ellipsis), shape in zip(parsed, shapes):
        covered = len(shape) - len(before) - len(after) if has_ellipsis else 0
        inputs.append(before + ellipsis_letters[ellipsis_ndim - covered:] + after)
    _check_einsum_sizes(inputs, shapes)
    used = "".join(inputs)
    if not arrow:
        once = sorted(c for c in set(used) if c not in ellipsis_letters and used.count(c) == 1)
        return inputs, ellipsis_letters + "".join(once)
    before, after, has_ellipsis = _ellipsis_split(right, None)
    output = before + (ellipsis_letters if has_ellipsis else "") + after
    for letter in before + after:
        if letter not in used:
            raise RuntimeError(f"einsum(): output subscript {letter} does not appear in the "
                               "equation for any input operand")
        if output.count(letter) > 1:
            raise RuntimeError(f"einsum(): output subscript {letter} appears more than once in "
                               "the output")
    return inputs, output


def einsum_result_dtype(inputs, output, shapes, dtypes_):
    """The dtype of ``torch.einsum``'s result for operands of ``shapes`` and ``dtypes_`` on the
    explicit equation ``inputs`` -> ``output``, and PyTorch's error where it refuses them.

    PyTorch (``at::native::einsum``) contracts the operands left to right, each pair by
    ``sumproduct_pair``: a letter to sum that only one operand of the pair holds at a size
    other than 1 (and no later operand does) is summed out of it first with ``sum`` (integers
    and bool become int64); a pair with letters left to contract over both is a batched matrix
    product (``bmm``: both dtypes must be equal, and not bool, unless it is empty: then it takes
    the right one's dtype), a pair without is a ``mul`` (dtypes promote). A single operand is summed over its contracted letters. This replays that
    bookkeeping on the shapes alone."""
    contracted = sorted(set("".join(inputs)) - set(output))
    operands = []
    for subscripts, shape, dtype in zip(inputs, shapes, dtypes_):
        operands.append(({letter: size for letter, size in zip(subscripts, shape)}, dtype))
    if len(operands) == 1:
        dtype = operands[0][1]
        return _summed_dtype(dtype) if contracted else dtype
    holders = {letter: sum(sizes.get(letter, 1) != 1 for sizes, _ in operands)
               for letter in contracted}
    while len(operands) > 1:
        (a, a_dtype), (b, b_dtype) = operands[0], operands[1]
        del operands[:2]
        a, b, together = dict(a), dict(b), []
        for letter in contracted:
            in_a, in_b = a.get(letter, 1) != 1, b.get(letter, 1) != 1
            if in_a and in_b:
                holders[letter] -= 1
                if holders[letter] == 1:
                    together.append(letter)
                    holders[letter] = 0
            elif holders[letter] == 1 and (in_a or in_b):
                side = a if in_a else b
                side[letter] = 1
                holders[letter] = 0
                if in_a:
                    a_dtype = _summed_dtype(a_dtype)
                else:
                    b_dtype = _summed_dtype(b_dtype)
        if together and 0 in a.values() or together and 0 in b.values():
            dtype = b_dtype  # an empty bmm runs no kernel: no dtype check, the right's dtype
        elif together:
            if a_dtype == dtypes.bool:
                raise dtypes.not_implemented("bmm", a_dtype)
            if a_dtype != b_dtype:
                raise RuntimeError(f"expected scalar type {scalar_type_name(a_dtype)} but found "
                                   f"{scalar_type_name(b_dtype)}")
            dtype = a_dtype
        else:
            dtype = dtypes.promote(a_dtype, b_dtype)
        sizes = {letter: max(a.get(letter, 1), b.get(letter, 1)) for letter in {**a, **b}}
        sizes.update({letter: 1 for letter in together})
        operands.insert(0, (sizes, dtype))
    return operands[0][1]


def _summed_dtype(dtype):
    """``sum``'s result dtype: integers and bool accumulate into int64."""
    return dtype if dtypes.is_floating(dtype) else dtypes.int64


def _ellipsis_split(term, operand):
    """``(letters before ..., letters after ..., whether there was an ellipsis)``."""
    before, dots, after = term.partition("...")
    where = "the output" if operand is None else f"operand {operand}"
    if "." in after:
        raise RuntimeError(f"einsum(): found '.' for {where} for which an ellipsis was already "
                           "found")
    if "." in before:
        raise RuntimeError(f"einsum(): found '.' for {where} that is not part of any ellipsis")
    return before, after, bool(dots)


def _check_einsum_sizes(inputs, shapes):
    seen = {}
    for k, (subscripts, shape) in enumerate(zip(inputs, shapes)):
        mine = {}
        for letter, size in zip(subscripts, shape):
            if letter in mine and mine[letter] != size:
                raise RuntimeError(f"einsum(): subscript {letter} is repeated for operand {k} but "
                                   f"the sizes don't match, {size} != {mine[letter]}")
            mine[letter] = size
        for letter, size in mine.items():
            previous = seen.get(letter, 1)
            if size != 1 and previous != 1 and size != previous:
                raise RuntimeError(f"einsum(): subscript {letter} has size {size} for operand {k} "
                                   "which does not broadcast with previously seen size "
                                   f"{previous}")
            seen[letter] = max(previous, size) if size != 1 else previous


class CDist(Op):
    """``torch.cdist`` without the matrix-product form: the ``p``-norm of ``x1[..., i, :] -
    x2[..., j, :]`` for each pair of rows, ``(..., P, M), (..., R, M) -> (..., P, R)`` (batch
    dims already broadcast). ``p=0`` counts the differing coordinates, ``inf`` takes the
    largest difference. Gradients: PyTorch's ``_cdist_backward`` formulas, with ``d`` a
    difference and ``dist`` its pair's distance: ``sign(d)`` for ``p=1``; ``d / dist`` for
    2; ``sign(d) * |d|**(p-1) / dist**(p-1)`` for other ``p < 2`` (0 where ``d`` is 0 and
    ``p < 1``); ``d * |d|**(p-2) / dist**(p-1)`` above 2; ``sign(d)`` where ``|d|`` is the
    largest for ``inf`` (every tie gets it, unlike ``amax``'s even split); 0 where ``dist``
    is 0, and for ``p=0``. ``x2``'s gradient is the same with the sign turned."""

    __slots__ = ("p",)
    arguments = ("p",)

    def __init__(self, p):
        self.p = p

    def forward(self, x1, x2):
        differences = x1[..., :, None, :] - x2[..., None, :, :]
        size = np.abs(differences)
        p = self.p
        if p == 0:
            out = np.add.reduce(differences != 0, axis=-1).astype(x1.dtype)
        elif p == 1:
            out = np.add.reduce(size, axis=-1)
        elif p == 2:
            out = np.sqrt(np.add.reduce(size * size, axis=-1))
        elif math.isinf(p):
            out = np.maximum.reduce(size, axis=-1, initial=0)
        else:
            out = np.power(np.add.reduce(np.power(size, p), axis=-1), 1 / p)
        self.saved = (differences, out)
        return out

    def backward(self, grad_output):
        differences, dist = self.saved
        p = self.p
        grad = grad_output[..., None]
        dist_ = dist[..., None]
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 0:
                each = np.zeros_like(differences)
            elif p == 1:
                each = grad * np.sign(differences)
            elif math.isinf(p):
                each = grad * np.sign(differences) * (np.abs(differences) == dist_)
            elif p == 2:
                each = np.where(dist_ == 0, 0, grad * differences / dist_)
            elif p < 2:
                size = np.abs(differences)
                each = np.where((dist_ == 0) | ((differences == 0) & (p < 1)), 0,
                                np.sign(differences) * np.power(size, p - 1) * grad
                                / np.power(dist_, p - 1))
            else:
                size = np.abs(differences)
                each = np.where(dist_ == 0, 0, differences * np.power(size, p - 2) * grad
                                / np.power(dist_, p - 1))
        needs_x1, needs_x2 = self.needs_input_grad
        return (np.add.reduce(each, axis=-2) if needs_x1 else None,
                -np.add.reduce(each, axis=-3) if needs_x2 else None)


class Cross(Op):
    """The cross product of 3-vectors along ``dim`` of ``a`` and ``b`` (same shape and
    dtype): ``out[0] = a[1] * b[2] - a[2] * b[1]`` and its rotations. float32 and float64
    as PyTorch's CPU kernel computes them (the compiler contracts each to one fused
    multiply-add, ``fma(a[1], b[2], -(a[2] * b[1]))``: bit for bit on 1000 random rows);
    other dtypes in plain arithmetic. Gradients (PyTorch's): ``cross(b, grad_output)`` for
    ``a``, ``cross(grad_output, a)`` for ``b``."""

    __slots__ = ("dim",)
    multilinear_inputs = (0, 1)  # create_graph: see autograd/higher_order.py
    arguments = ("dim",)

    def __init__(self, dim):
        self.dim = dim

    def forward(self, a, b):
        self.saved = (a, b)
        return self._cross(a, b)

    def _cross(self, a, b):
        a0, a1, a2 = np.moveaxis(a, self.dim, 0)
        b0, b1, b2 = np.moveaxis(b, self.dim, 0)
        if a.dtype.kind == "f" and a.dtype != HALF:
            parts = [fused_multiply_add(x, y, -(z * w))
                     for x, y, z, w in ((a1, b2, a2, b1), (a2, b0, a0, b2), (a0, b1, a1, b0))]
        else:
            parts = [a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0]
        return np.stack(parts, axis=self.dim)

    def backward(self, grad_output):
        a, b = self.saved
        needs_a, needs_b = self.needs_input_grad
        return (self._cross(b, grad_output) if needs_a else None,
                self._cross(grad_output, a) if needs_b else None)

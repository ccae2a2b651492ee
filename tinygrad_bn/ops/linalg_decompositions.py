"""The solvers and factorizations of ``torch.linalg`` as ops on NumPy's LAPACK (``numpy.linalg``):
inverse, solve, triangular solve, determinant, log-determinant, Cholesky and its solves, QR,
symmetric eigendecomposition, SVD, pseudo-inverse and matrix exponential (the LU
factorization, which NumPy does not expose, is in ``ops.linalg_lu``).

Every op works on batches of matrices in the last two dims, float32 or float64 (the public
functions in ``tinygrad_bn.linalg`` check dtypes and shapes with PyTorch's messages first).
Each backward is PyTorch's formula (``torch/csrc/autograd/FunctionsManual.cpp``), so that
gradients agree with PyTorch's to rounding, including the conventions where the math leaves a
choice (the gradient of a Cholesky factor is symmetrized, that of ``cholesky_solve`` is not
restricted to a triangle, that of ``eigh`` is ``V inner V^T`` with nothing projected).

Ops have one result. A factorization with several differentiable factors (``QR``,
``SymmetricEigen``, ``SVD``) returns them packed side by side along one last axis, each factor
flattened (``pack``), and the public function slices them out (``unpack``), as
``ops.recurrent`` packs an LSTM's states. The gradient arrives packed the same way, with zeros
for the factors that were not used; a factor whose gradient is all zeros is treated as unused,
as PyTorch treats an undefined gradient (this matters only where PyTorch's formula divides by
zero, at repeated eigenvalues or singular values).
"""

import math

import numpy as np

from ..autograd.graph import Op
from .linalg import LinAlgError

# ---------------------------------------------------------------------- helpers


def transpose(a):
    """``a.mT``: the matrices in the last two dims transposed (a view); of an array, or of a
    Tensor where a backward formula runs recorded (``create_graph=True``)."""
    return np.swapaxes(a, -1, -2) if isinstance(a, np.ndarray) else a.mT


def batch_prefix(batch_shape, flat_index):
    """PyTorch's ``"(Batch element 3): "`` before a LAPACK error on one matrix of a batch
    (nothing for a single matrix)."""
    return f"(Batch element {flat_index}): " if len(batch_shape) else ""


def _matrices(a):
    """The matrices of ``a`` (..., m, n) as a list, in row-major (C) order of the batch."""
    return list(a.reshape(math.prod(a.shape[:-2]), *a.shape[-2:]))


def singular_infos(a):
    """``getrf``'s ``info`` for each matrix of ``a`` (..., n, n), as an int32 array of the batch
    shape: 0 where the matrix is invertible, else the first zero pivot (1-based) of its LU
    factorization, which PyTorch's errors name. One batched ``slogdet`` (an LU in LAPACK,
    whose sign is 0 exactly where ``getrf`` met a zero pivot) finds the singular matrices; only
    those are factorized again to find the pivot (``ops.linalg_lu.lu_factor``). Measured on
    1000 matrices 8 x 8: 0.5 ms, against 15 ms for a NumPy inverse per matrix."""
    from .linalg_lu import lu_factor  # that module builds on this one
    infos = np.zeros(a.shape[:-2], dtype=np.int32)
    if not a.size:
        return infos
    singular = np.flatnonzero(np.linalg.slogdet(a)[0].reshape(-1) == 0)
    if singular.size:
        flat, matrices = infos.reshape(-1), a.reshape(-1, *a.shape[-2:])
        flat[singular] = lu_factor(matrices[singular])[2]
    return infos


def cholesky_failure(matrix, upper=False):
    """The order of the first leading minor of one symmetric matrix that is not positive
    definite (``potrf``'s ``info``), 0 when there is none, and the lower factor as LAPACK's
    unblocked ``potf2`` leaves it (which PyTorch returns from ``cholesky_ex``): the columns
    before the failure computed, the failing diagonal entry replaced by its non-positive
    value, the rest of the lower triangle the input's. ``upper`` reads the upper triangle."""
    a = transpose(matrix) if upper else matrix
    n = a.shape[0]
    factor = np.zeros_like(a)
    for j in range(n):
        d = a[j, j] - np.dot(factor[j, :j], factor[j, :j])
        if not d > 0:
            factor[j:, j:] = np.tril(a[j:, j:])
            factor[j, j] = d
            return j + 1, factor
        factor[j, j] = math.sqrt(d)
        factor[j + 1:, j] = (a[j + 1:, j] - factor[j + 1:, :j] @ factor[j, :j]) / factor[j, j]
    return 0, factor


def _numpy_cholesky(a, upper):
    """NumPy's Cholesky factors, or None where LAPACK's ``potrf`` reports a failure: a leading
    minor that is not positive, or NaN (NumPy raises for the first, not for NaN, which ``potrf``
    finds on a diagonal it cannot take the root of)."""
    try:
        factor = np.linalg.cholesky(a, upper=upper)
    except np.linalg.LinAlgError:
        return None
    return None if np.isnan(np.einsum("...ii->...i", factor)).any() else factor


def cholesky(a, upper, name):
    """The Cholesky factors of the matrices of ``a``, lower (``L L^T = a``, reading the lower
    triangle) or upper (``U^T U = a``, reading the upper one); ``LinAlgError`` with PyTorch's
    message, naming the batch element and the leading minor, when one is not positive
    definite. ``name`` is the function to name (``linalg.cholesky``, ``cholesky``)."""
    factor = _numpy_cholesky(a, upper)
    if factor is not None:
        return factor
    for index, matrix in enumerate(_matrices(a)):
        order, _ = cholesky_failure(matrix, upper)
        if order:
            raise LinAlgError(
                f"{name}: {batch_prefix(a.shape[:-2], index)}The factorization could not be "
                "completed because the input is not positive-definite (the leading minor of "
                f"order {order} is not positive-definite).")
    raise LinAlgError(f"{name}: The factorization could not be completed")  # unreachable


def solve_triangular(a, b, upper, unitriangular=False):
    """``X`` with ``T X = B``, ``T`` the upper or lower triangle of ``a`` (with ones on the
    diagonal if ``unitriangular``); the batch dims broadcast. Like LAPACK's ``trsm`` (which
    PyTorch calls), a zero on the diagonal is no error: the solution then holds infinities or
    NaN (forward or back substitution, row by row). Otherwise NumPy's ``solve`` on the
    triangle, which is exact for it up to rounding."""
    triangle = np.triu(a) if upper else np.tril(a)
    if unitriangular:
        triangle = triangle.copy()
        np.einsum("...ii->...i", triangle)[...] = 1
    diagonal = np.einsum("...ii->...i", triangle)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    if b.size == 0 or triangle.size == 0:
        return np.zeros((*batch, *b.shape[-2:]), np.result_type(a, b))
    if np.all(diagonal != 0):
        return np.linalg.solve(np.broadcast_to(triangle, (*batch, *a.shape[-2:])),
                               np.broadcast_to(b, (*batch, *b.shape[-2:])))
    n = a.shape[-1]
    x = np.zeros((*batch, *b.shape[-2:]), np.result_type(a, b))
    rows = range(n - 1, -1, -1) if upper else range(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in rows:
            done = slice(i + 1, n) if upper else slice(0, i)
            rest = np.einsum("...j,...jk->...k", triangle[..., i, done], x[..., done, :])
            x[..., i, :] = (b[..., i, :] - rest) / triangle[..., i, i, None]
    return x


def pack(*factors, batch_shape):
    """The factors (each ``(*batch_shape, ...)``) flattened and set side by side along one last
    axis: the single array an op with several results returns."""
    rank = len(batch_shape)
    return np.concatenate([f.reshape(*batch_shape, math.prod(f.shape[rank:])) for f in factors],
                          axis=-1)


def unpack_arrays(packed, shapes):
    """The inverse of ``pack`` on arrays: views of the factors of the given trailing shapes."""
    batch_shape = packed.shape[:-1]
    out, start = [], 0
    for shape in shapes:
        size = math.prod(shape)
        out.append(packed[..., start:start + size].reshape(*batch_shape, *shape))
        start += size
    return out


def used_gradient(grad):
    """A factor's gradient, or None where it is all zeros (the factor was not used)."""
    return grad if grad.any() else None


# ---------------------------------------------------------------------- inverse and solves


class Inverse(Op):
    """``A^-1`` of each square matrix (``torch.linalg.inv``). Gradient (PyTorch's):
    ``-A^-T grad A^-T``. A singular matrix raises ``LinAlgError`` naming the first zero pivot
    of its LU factorization, as PyTorch; ``check_errors=False`` (``inv_ex``) returns what
    PyTorch's solve with the identity returns, infinities where it divides by the zero
    pivot."""

    __slots__ = ("check_errors", "caller")
    arguments = ("check_errors", "caller")
    saves_output = True

    def __init__(self, check_errors=True, caller="linalg.inv"):
        self.check_errors, self.caller = check_errors, caller

    def forward(self, a):
        try:
            inverse = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            infos = singular_infos(a)
            if self.check_errors:
                index = int(np.flatnonzero(infos.reshape(-1))[0])
                raise LinAlgError(
                    f"{self.caller}: {batch_prefix(a.shape[:-2], index)}The diagonal element "
                    f"{int(infos.reshape(-1)[index])} is zero, the inversion could not be "
                    "completed because the input matrix is singular.") from None
            inverse = _solve_singular(a, np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype),
                                                         a.shape))
        self.saved = (inverse,)
        return inverse

    def backward(self, grad_output):
        (inverse,) = self.saved
        inverse_t = transpose(inverse)
        return (-(inverse_t @ grad_output @ inverse_t),)

    def tensor_backward(self, grad_output):
        """``backward`` recorded (``create_graph=True``): the inverse made again by this op,
        so that its own gradient flows."""
        (a,) = self.inputs
        inverse_t = Inverse.apply(a, check_errors=self.check_errors, caller=self.caller).mT
        return (-(inverse_t @ grad_output @ inverse_t),)


def _solve_singular(a, b):
    """``A^-1 B`` as LAPACK's ``getrf`` + ``getrs`` compute it when a matrix of ``a`` is
    singular: the triangular solves divide by the zero pivot, leaving infinities and NaN where
    PyTorch's ``solve_ex``/``inv_ex`` (a solve with the identity) leave them."""
    from .linalg_lu import lu_factor, lu_solve  # that module builds on this one
    lu, pivots, _ = lu_factor(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        return lu_solve(lu, pivots, b)


class Solve(Op):
    """``X`` with ``A X = B`` (``torch.linalg.solve``, ``left=True``; the public function turns
    ``X A = B`` and vector right-hand sides into this form): ``A`` ``(..., n, n)``, ``B``
    ``(..., n, k)``, batch dims broadcast. Gradients (PyTorch's): ``gB = A^-T grad``,
    ``gA = -gB X^T``. A singular ``A`` raises PyTorch's ``LinAlgError``."""

    __slots__ = ("check_errors",)
    arguments = ("check_errors",)
    saves_output = True

    def __init__(self, check_errors=True):
        self.check_errors = check_errors

    def forward(self, a, b):
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a_full = np.broadcast_to(a, (*batch, *a.shape[-2:]))
        b_full = np.broadcast_to(b, (*batch, *b.shape[-2:]))
        try:
            x = np.linalg.solve(a_full, b_full) if b.size and a.size else \
                np.zeros(b_full.shape, np.result_type(a, b))
        except np.linalg.LinAlgError:
            infos = singular_infos(a_full)
            if self.check_errors:
                index = int(np.flatnonzero(infos.reshape(-1))[0])
                raise LinAlgError(
                    f"torch.linalg.solve: {batch_prefix(batch, index)}The solver failed "
                    "because the input matrix is singular.") from None
            x = _solve_singular(a_full, b_full)
        self.saved = (a, x)
        return x

    def backward(self, grad_output):
        a, x = self.saved
        grad_b = np.linalg.solve(np.broadcast_to(transpose(a), (*grad_output.shape[:-2],
                                                                *a.shape[-2:])), grad_output)
        needs_a, needs_b = self.needs_input_grad
        grad_a = -(grad_b @ transpose(x)) if needs_a else None
        return grad_a, (grad_b if needs_b else None)

    def tensor_backward(self, grad_output):
        """``backward`` recorded with this op (``create_graph=True``)."""
        a, b = self.inputs
        grad_b = Solve.apply(a.mT, grad_output, check_errors=self.check_errors)
        x = Solve.apply(a, b, check_errors=self.check_errors)
        return -(grad_b @ x.mT), grad_b


class TriangularSolve(Op):
    """``X`` with ``T X = B``, ``T`` the upper or lower triangle of ``A`` (unit diagonal if
    ``unitriangular``): ``torch.linalg.solve_triangular`` with ``left=True`` (the public function
    transposes for ``left=False``). Gradients (PyTorch's): ``gB = T^-T grad`` (the transposed
    triangle), ``gA = -gB X^T`` restricted to the triangle read (strictly, if unit)."""

    __slots__ = ("upper", "unitriangular")
    arguments = ("upper", "unitriangular")
    saves_output = True

    def __init__(self, upper, unitriangular=False):
        self.upper, self.unitriangular = upper, unitriangular

    def forward(self, a, b):
        x = solve_triangular(a, b, self.upper, self.unitriangular)
        self.saved = (a, x)
        return x

    def backward(self, grad_output):
        a, x = self.saved
        needs_a, needs_b = self.needs_input_grad
        grad_b = solve_triangular(transpose(a), grad_output, not self.upper, self.unitriangular)
        grad_a = None
        if needs_a:
            grad_a = -(grad_b @ transpose(x))
            offset = 1 if self.unitriangular else 0
            grad_a = np.triu(grad_a, offset) if self.upper else np.tril(grad_a, -offset)
        return grad_a, (grad_b if needs_b else None)

    def tensor_backward(self, grad_output):
        """``backward`` recorded with this op (``create_graph=True``)."""
        a, b = self.inputs
        grad_b = TriangularSolve.apply(a.mT, grad_output, upper=not self.upper,
                                       unitriangular=self.unitriangular)
        x = TriangularSolve.apply(a, b, upper=self.upper, unitriangular=self.unitriangular)
        grad_a = -(grad_b @ x.mT)
        offset = 1 if self.unitriangular else 0
        return (grad_a.triu(offset) if self.upper else grad_a.tril(-offset)), grad_b


# ---------------------------------------------------------------------- determinants


class Determinant(Op):
    """``det A`` of each square matrix (``torch.linalg.det``), from NumPy's LU factorization.

    Gradient (PyTorch's ``linalg_det_backward``): ``grad det(A) A^-T`` (a solve) where ``|det A|``
    is at least ``100 eps``; at a (numerically) singular matrix, through the SVD ``A = U diag(S)
    Vh``, ``det A = det U det Vh prod S``: ``U diag(grad det U det Vh prod_{j != i} S_j) Vh``,
    which needs no inverse (the adjugate, transposed)."""

    __slots__ = ()
    saves_output = True

    def forward(self, a):
        det = np.asarray(np.linalg.det(a), dtype=a.dtype) if a.shape[-1] else \
            np.ones(a.shape[:-2], a.dtype)
        self.saved = (a, det)
        return det

    def backward(self, grad_output):
        a, det = self.saved
        n = a.shape[-1]
        if a.size == 0:
            return (np.zeros_like(a),)
        scaled = grad_output * det
        singular = np.abs(det) < 100 * np.finfo(a.dtype).eps
        grad = np.empty(np.broadcast_shapes(a.shape, scaled.shape + (1, 1)), a.dtype)
        regular = ~singular
        if regular.any():
            eye = np.eye(n, dtype=a.dtype)
            grad[regular] = np.linalg.solve(transpose(a[regular]),
                                            scaled[regular][..., None, None] * eye)
        if singular.any():
            u, s, vh = np.linalg.svd(a[singular])
            alpha = np.linalg.det(u) * np.linalg.det(vh) * grad_output[singular]
            products = _products_without_each(s)
            grad[singular] = (u * (alpha[..., None] * products)[..., None, :]) @ vh
        return (grad,)

    def tensor_backward(self, grad_output):
        """``grad_output * det(A) * A^-T`` recorded (``create_graph=True``), for invertible
        matrices; at a singular one (where ``backward`` goes through the SVD) it raises."""
        (a,) = self.inputs
        a_saved, det = self.saved
        if a_saved.size and (np.abs(det) < 100 * np.finfo(a_saved.dtype).eps).any():
            raise RuntimeError("the derivative of Determinant's backward at a singular matrix "
                               "is not implemented in tinygrad_bn (create_graph=True needs it)")
        scaled = grad_output * Determinant.apply(a)
        return (scaled[..., None, None] * Inverse.apply(a).mT,)


def _products_without_each(s):
    """``prod_{j != i} s_j`` for each ``i`` along the last axis, without dividing (zeros
    allowed): the products of the prefixes times those of the suffixes."""
    ones = np.ones_like(s[..., :1])
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return before * after


class DeterminantSign(Op):
    """The sign of each determinant (1, -1, or 0 for a singular matrix), the ``sign`` of
    ``torch.linalg.slogdet``. Piecewise constant: its gradient is zero, and it is in the graph
    (``requires_grad``) as PyTorch's is."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a.shape,)
        if not a.shape[-1]:
            return np.ones(a.shape[:-2], a.dtype)
        return np.asarray(np.linalg.slogdet(a)[0], dtype=a.dtype)

    def backward(self, grad_output):
        (shape,) = self.saved
        return (np.zeros(shape, grad_output.dtype),)

    def tensor_backward(self, grad_output):
        """Zeros again, a constant (``create_graph=True``)."""
        (shape,) = self.saved
        return (type(grad_output)._make(np.zeros(shape, grad_output.dtype), None),)


class LogAbsDeterminant(Op):
    """``log |det A|`` of each square matrix (the ``logabsdet`` of ``torch.linalg.slogdet``;
    ``-inf`` for a singular one). Gradient (PyTorch's ``slogdet_backward``): ``grad A^-T``, a
    solve, which fails as PyTorch's does for a singular ``A``."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        if not a.shape[-1]:
            return np.zeros(a.shape[:-2], a.dtype)
        return np.asarray(np.linalg.slogdet(a)[1], dtype=a.dtype)

    def backward(self, grad_output):
        (a,) = self.saved
        n = a.shape[-1]
        try:
            return (np.linalg.solve(transpose(a), grad_output[..., None, None]
                                    * np.eye(n, dtype=a.dtype)),)
        except np.linalg.LinAlgError:
            raise LinAlgError("torch.linalg.solve: The solver failed because the input matrix "
                              "is singular.") from None

    def tensor_backward(self, grad_output):
        """``grad_output * A^-T`` recorded (``create_graph=True``)."""
        (a,) = self.inputs
        return (grad_output[..., None, None] * Inverse.apply(a).mT,)


# ---------------------------------------------------------------------- Cholesky


class Cholesky(Op):
    """The Cholesky factor of each symmetric positive-definite matrix: lower ``L`` with ``L L^T
    = A`` (reading ``A``'s lower triangle), or with ``upper`` the upper ``U = L^T`` (reading the
    upper triangle). Not positive definite: PyTorch's ``LinAlgError``, naming the leading minor.

    Gradient (PyTorch's ``cholesky_backward``, after Murray 2016): with ``phi(X)`` the lower
    triangle of ``X`` with its diagonal halved, ``G = L^-T phi(L^T grad_L) L^-1``, returned
    symmetrized, ``(G + G^T) / 2``."""

    __slots__ = ("upper", "caller")
    arguments = ("upper", "caller")
    saves_output = True

    def __init__(self, upper=False, caller="linalg.cholesky"):
        self.upper, self.caller = upper, caller

    def forward(self, a):
        factor = cholesky(a, self.upper, self.caller)
        self.saved = (factor,)
        return factor

    def backward(self, grad_output):
        (factor,) = self.saved
        lower, grad_lower = (transpose(factor), transpose(grad_output)) if self.upper else \
            (factor, grad_output)
        phi = np.tril(transpose(lower) @ grad_lower)
        np.einsum("...ii->...i", phi)[...] *= 0.5
        eye = np.broadcast_to(np.eye(lower.shape[-1], dtype=lower.dtype), lower.shape)
        lower_inverse = solve_triangular(lower, eye, upper=False)
        grad = transpose(lower_inverse) @ phi @ lower_inverse
        return ((grad + transpose(grad)) * 0.5,)

    def tensor_backward(self, grad_output):
        """``backward`` recorded (``create_graph=True``): the factor made again by this op and
        its inverse by ``TriangularSolve``, so that their gradients flow."""
        (a,) = self.inputs
        factor = Cholesky.apply(a, upper=self.upper, caller=self.caller)
        lower, grad_lower = (factor.mT, grad_output.mT) if self.upper else (factor, grad_output)
        n = lower.shape[-1]
        half_diagonal = np.ones((n, n), lower.dtype)
        np.fill_diagonal(half_diagonal, 0.5)
        phi = (lower.mT @ grad_lower).tril() * type(a)._make(half_diagonal, None)
        eye = type(a)._make(np.eye(n, dtype=lower.dtype), None).expand(*lower.shape)
        lower_inverse = TriangularSolve.apply(lower, eye, upper=False)
        grad = lower_inverse.mT @ phi @ lower_inverse
        return ((grad + grad.mT) * 0.5,)


def cholesky_ex(a, upper):
    """``(factors, infos)`` without raising (``torch.linalg.cholesky_ex``): ``infos`` (int32,
    the batch shape) is 0 where the matrix is positive definite, else the order of its first
    leading minor that is not; that matrix's factor is what LAPACK's unblocked ``potf2`` leaves
    (see ``cholesky_failure``; MKL's blocked ``potrf`` may leave other values in the part it
    had not reached)."""
    infos = np.zeros(a.shape[:-2], np.int32)
    factor = _numpy_cholesky(a, upper)
    if factor is not None:
        return factor, infos
    factors = np.empty_like(a)
    flat_factors = factors.reshape(math.prod(a.shape[:-2]), *a.shape[-2:])
    flat_infos = infos.reshape(-1)
    for index, matrix in enumerate(_matrices(a)):
        order, factor = cholesky_failure(matrix, upper)
        flat_infos[index] = order
        flat_factors[index] = transpose(factor) if upper else factor
    return factors, infos


class CholeskySolve(Op):
    """``X = A^-1 B`` for ``A = L L^T`` given its Cholesky factor (``torch.cholesky_solve(B, L,
    upper)``; ``U^T U`` with ``upper``): two triangular solves. Gradients (PyTorch's
    ``cholesky_solve_backward``): ``gB = A^-1 grad``, and with ``C = gB X^T + X gB^T``,
    ``gL = -C L`` (``-U C`` with ``upper``), over the whole matrix, not only the triangle."""

    __slots__ = ("upper",)
    arguments = ("upper",)
    saves_output = True

    def __init__(self, upper=False):
        self.upper = upper

    def _solve(self, factor, b):
        if self.upper:  # U^T U X = B
            return solve_triangular(factor, solve_triangular(transpose(factor), b, False), True)
        return solve_triangular(transpose(factor), solve_triangular(factor, b, False), True)

    def forward(self, b, factor):
        x = self._solve(factor, b)
        self.saved = (factor, x)
        return x

    def backward(self, grad_output):
        factor, x = self.saved
        needs_b, needs_factor = self.needs_input_grad
        grad_b = self._solve(factor, grad_output)
        grad_factor = None
        if needs_factor:
            common = grad_b @ transpose(x)
            common = common + transpose(common)
            grad_factor = -(factor @ common) if self.upper else -(common @ factor)
        return (grad_b if needs_b else None), grad_factor

    def tensor_backward(self, grad_output):
        """``backward`` recorded with this op (``create_graph=True``)."""
        b, factor = self.inputs
        grad_b = CholeskySolve.apply(grad_output, factor, upper=self.upper)
        common = grad_b @ CholeskySolve.apply(b, factor, upper=self.upper).mT
        common = common + common.mT
        return grad_b, (-(factor @ common) if self.upper else -(common @ factor))


class CholeskyInverse(Op):
    """``A^-1`` for ``A = L L^T`` given ``L`` (``torch.cholesky_inverse``; ``U^T U`` with
    ``upper``). Gradient (PyTorch's): with ``C = A^-1 (grad + grad^T) A^-1``, ``gL = -C L``
    (``-U C`` with ``upper``)."""

    __slots__ = ("upper",)
    arguments = ("upper",)
    saves_output = True

    def __init__(self, upper=False):
        self.upper = upper

    def forward(self, factor):
        diagonal = np.einsum("...ii->...i", factor).reshape(math.prod(factor.shape[:-2]),
                                                            factor.shape[-1])
        zero = np.flatnonzero((diagonal == 0).any(axis=-1))
        if zero.size:
            position = int(np.flatnonzero(diagonal[zero[0]] == 0)[0]) + 1
            raise LinAlgError(
                f"cholesky_inverse: {batch_prefix(factor.shape[:-2], int(zero[0]))}The diagonal "
                f"element {position} is zero, the inversion could not be completed because the "
                "input matrix is singular.")
        eye = np.broadcast_to(np.eye(factor.shape[-1], dtype=factor.dtype), factor.shape)
        lower = transpose(factor) if self.upper else factor
        lower_inverse = solve_triangular(lower, eye, upper=False)
        inverse = transpose(lower_inverse) @ lower_inverse
        self.saved = (factor, inverse)
        return inverse

    def backward(self, grad_output):
        factor, inverse = self.saved
        common = inverse @ (grad_output + transpose(grad_output)) @ inverse
        return (-(factor @ common) if self.upper else -(common @ factor),)

    def tensor_backward(self, grad_output):
        """``backward`` recorded with this op (``create_graph=True``)."""
        (factor,) = self.inputs
        inverse = CholeskyInverse.apply(factor, upper=self.upper)
        common = inverse @ (grad_output + grad_output.mT) @ inverse
        return (-(factor @ common) if self.upper else -(common @ factor),)


# ---------------------------------------------------------------------- factorizations


def _right_solve_upper_transposed(grad, r):
    """``X`` with ``X R^T = G`` for upper-triangular ``R`` (a solve from the right with the
    lower triangle ``R^T``): ``X^T = R^-1 G^T``."""
    return transpose(solve_triangular(r, transpose(grad), upper=True))


class QR(Op):
    """``A = Q R`` with orthonormal columns in ``Q`` and upper-triangular ``R``
    (``torch.linalg.qr``), by LAPACK's ``geqrf`` and ``orgqr`` (through NumPy), as PyTorch.
    ``mode``: ``"reduced"`` (``Q`` ``(..., m, k)``, ``R`` ``(..., k, n)``, ``k = min(m, n)``),
    ``"complete"`` (``Q`` ``(..., m, m)``, ``R`` ``(..., m, n)``) or ``"r"`` (``R`` only, ``Q``
    empty). The result packs ``Q`` and ``R`` (see ``pack``).

    Gradient (PyTorch's ``linalg_qr_backward``): with ``M = gR R^T - Q^T gQ``, for ``m >= n``
    ``(Q copyltu(M) + gQ) R^-T``, ``copyltu`` making a symmetric matrix of the upper triangle
    with the diagonal kept once; for ``m < n``, through the first ``m`` columns of ``R``. Not
    differentiable for mode ``"r"`` nor for ``"complete"`` with ``m > n``, as PyTorch."""

    __slots__ = ("mode",)
    arguments = ("mode",)
    saves_output = True

    def __init__(self, mode="reduced"):
        self.mode = mode

    def factor_shapes(self, m, n):
        k = min(m, n)
        if self.mode == "reduced":
            return (m, k), (k, n)
        if self.mode == "complete":
            return (m, m), (m, n)
        return (0,), (k, n)

    def forward(self, a):
        *batch, m, n = a.shape
        q_shape, r_shape = self.factor_shapes(m, n)
        if a.size == 0:
            q = np.zeros((*batch, *q_shape), a.dtype)
            if self.mode != "r" and q_shape[0] == q_shape[1]:
                q[...] = np.eye(q_shape[0], dtype=a.dtype)
            r = np.zeros((*batch, *r_shape), a.dtype)
        elif self.mode == "r":
            q, r = np.zeros((*batch, 0), a.dtype), np.linalg.qr(a, mode="r")
        else:
            q, r = np.linalg.qr(a, mode=self.mode)
        self.saved = (q, r, (m, n))
        return pack(q, r, batch_shape=tuple(batch))

    def backward(self, grad_output):
        q, r, (m, n) = self.saved
        if self.mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                "Please use linalg.qr(A, mode='reduced') if you are going to differentiate "
                "through linalg.qr.")
        if self.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                               "and nrows > ncols.")
        grad_q, grad_r = (used_gradient(g)
                          for g in unpack_arrays(grad_output, self.factor_shapes(m, n)))
        if grad_q is None and grad_r is None:
            return (np.zeros((*q.shape[:-2], m, n), q.dtype),)
        if grad_q is None:
            grad = grad_r @ transpose(r)
        elif grad_r is None:
            grad = -(transpose(q) @ grad_q)
        else:
            grad = grad_r @ transpose(r) - transpose(q) @ grad_q
        if m >= n:
            sym = np.triu(grad)
            sym = sym + transpose(sym)
            np.einsum("...ii->...i", sym)[...] *= 0.5
            grad = q @ sym
            if grad_q is not None:
                grad = grad + grad_q
            return (_right_solve_upper_transposed(grad, r),)
        x = -grad
        skew = np.tril(x - transpose(x))
        grad = _right_solve_upper_transposed(q @ skew, r[..., :, :m])
        grad = np.concatenate([grad, np.zeros((*grad.shape[:-1], n - m), grad.dtype)], axis=-1)
        if grad_r is not None:
            grad = grad + q @ grad_r
        return (grad,)

    def tensor_backward(self, grad_output):
        """The same formula with recorded ops (``create_graph=True``): ``Q`` and ``R`` made
        again by this op, the triangular solves by ``TriangularSolve``."""
        from ..tensor.shape import cat  # the tensor functions build on the ops: a layer up

        (a,) = self.inputs
        m, n = a.shape[-2], a.shape[-1]
        if self.mode == "r" or (self.mode == "complete" and m > n):
            return (type(a)._make(self.backward(grad_output._array)[0], None),)  # raises
        shapes = self.factor_shapes(m, n)
        grad_q, grad_r = (None if used_gradient(g._array) is None else g
                          for g in unpack_arrays(grad_output, shapes))
        q, r = unpack_arrays(QR.apply(a, mode=self.mode), shapes)
        if grad_q is None and grad_r is None:
            return (type(a)._make(np.zeros(a.shape, a._array.dtype), None),)
        if grad_q is None:
            grad = grad_r @ r.mT
        elif grad_r is None:
            grad = -(q.mT @ grad_q)
        else:
            grad = grad_r @ r.mT - q.mT @ grad_q

        def right_solve(g, upper):
            return TriangularSolve.apply(upper, g.mT, upper=True).mT

        if m >= n:
            k = grad.shape[-1]
            half_diagonal = np.ones((k, k), a._array.dtype)
            np.fill_diagonal(half_diagonal, 0.5)
            sym = grad.triu()
            sym = (sym + sym.mT) * type(a)._make(half_diagonal, None)
            grad = q @ sym
            if grad_q is not None:
                grad = grad + grad_q
            return (right_solve(grad, r),)
        x = -grad
        skew = (x - x.mT).tril()
        grad = right_solve(q @ skew, r[..., :, :m])
        zeros = type(a)._make(np.zeros((*grad.shape[:-1], n - m), a._array.dtype), None)
        grad = cat([grad, zeros], -1)
        if grad_r is not None:
            grad = grad + q @ grad_r
        return (grad,)


class SymmetricEigen(Op):
    """The eigenvalues (ascending) and orthonormal eigenvectors (columns) of each symmetric
    matrix, reading the lower (``uplo="L"``) or upper triangle (``torch.linalg.eigh``), by
    LAPACK's ``syevd`` through NumPy, as PyTorch. The result packs the eigenvalues ``(..., n)``
    and the eigenvectors ``(..., n, n)`` (see ``pack``).

    Gradient (PyTorch's ``linalg_eig_backward`` for Hermitian input): ``V (diag(gL) + skew(V^T
    gV) / E) V^T`` with ``E_ij = L_j - L_i`` (1 on the diagonal), ``skew(X) = (X - X^T) / 2``;
    ``V diag(gL) V^T`` when the eigenvectors are unused. Repeated eigenvalues with used
    eigenvectors give infinities, as in PyTorch."""

    __slots__ = ("uplo",)
    arguments = ("uplo",)
    saves_output = True

    def __init__(self, uplo="L"):
        self.uplo = uplo

    def forward(self, a):
        if a.size == 0:
            values, vectors = np.zeros(a.shape[:-1], a.dtype), np.zeros(a.shape, a.dtype)
        else:
            values, vectors = np.linalg.eigh(a, UPLO=self.uplo)
        self.saved = (values, vectors)
        return pack(values, vectors, batch_shape=a.shape[:-2])

    def backward(self, grad_output):
        values, vectors = self.saved
        n = values.shape[-1]
        grad_values, grad_vectors = (used_gradient(g) for g in unpack_arrays(grad_output,
                                                                        [(n,), (n, n)]))
        vectors_t = transpose(vectors)
        if grad_vectors is None:
            if grad_values is None:
                return (np.zeros(vectors.shape, vectors.dtype),)
            return ((vectors * grad_values[..., None, :]) @ vectors_t,)
        inner = vectors_t @ grad_vectors
        inner = 0.5 * (inner - transpose(inner))
        gaps = values[..., None, :] - values[..., :, None]
        np.einsum("...ii->...i", gaps)[...] = 1
        with np.errstate(divide="ignore", invalid="ignore"):
            inner = inner / gaps
        np.einsum("...ii->...i", inner)[...] = 0 if grad_values is None else grad_values
        return (vectors @ inner @ vectors_t,)

    def tensor_backward(self, grad_output):
        """The same formula with recorded ops (``create_graph=True``): the factors made again
        by this op, the diagonal set through masks."""
        (a,) = self.inputs
        n = a.shape[-1]
        grad_values, grad_vectors = unpack_arrays(grad_output, [(n,), (n, n)])
        values, vectors = unpack_arrays(SymmetricEigen.apply(a, uplo=self.uplo), [(n,), (n, n)])
        values_used = used_gradient(grad_values._array) is not None
        vectors_t = vectors.mT
        if used_gradient(grad_vectors._array) is None:
            if not values_used:
                return (type(a)._make(np.zeros(a.shape, a._array.dtype), None),)
            return ((vectors * grad_values[..., None, :]) @ vectors_t,)
        eye = type(a)._make(np.eye(n, dtype=a._array.dtype), None)
        inner = vectors_t @ grad_vectors
        inner = 0.5 * (inner - inner.mT)
        inner = inner / (values[..., None, :] - values[..., :, None] + eye) * (1 - eye)
        if values_used:
            inner = inner + grad_values.diag_embed()
        return (vectors @ inner @ vectors_t,)


class SVD(Op):
    """``A = U diag(S) Vh`` (``torch.linalg.svd``), singular values descending, by LAPACK's
    ``gesdd`` through NumPy, as PyTorch on the CPU. ``full_matrices``: ``U`` ``(..., m, m)``
    and ``Vh`` ``(..., n, n)``, else ``(..., m, k)`` and ``(..., k, n)``. The result packs ``U``,
    ``S``, ``Vh`` (see ``pack``).

    Gradient (PyTorch's ``svd_backward``; the extra columns of a full ``U`` or ``Vh`` are
    dropped first): ``U diag(gS) Vh`` when the vectors are unused; else with ``E_ij = S_j^2 -
    S_i^2`` (1 on the diagonal), ``skew(X) = X - X^T``, ``gA = U [(skew(U^T gU) S + S
    skew(Vh gVh^T)) / E + diag(gS)] Vh`` plus, for a tall (wide) ``A``, the part of ``gU``
    (``gVh``) outside the span of ``U`` (``Vh``) divided by ``S``. Repeated singular values with
    used vectors give infinities, as in PyTorch."""

    __slots__ = ("full_matrices",)
    arguments = ("full_matrices",)
    saves_output = True

    def __init__(self, full_matrices=True):
        self.full_matrices = full_matrices

    def factor_shapes(self, m, n):
        k = min(m, n)
        if self.full_matrices:
            return (m, m), (k,), (n, n)
        return (m, k), (k,), (k, n)

    def forward(self, a):
        if not np.isfinite(a).all():  # LAPACK's gesdd would not converge
            raise LinAlgError("linalg.svd: The algorithm failed to converge because the input "
                              "matrix contained non-finite values.")
        *batch, m, n = a.shape
        if a.size == 0:
            u_shape, s_shape, vh_shape = self.factor_shapes(m, n)
            u = np.zeros((*batch, *u_shape), a.dtype)
            vh = np.zeros((*batch, *vh_shape), a.dtype)
            if u_shape[0] == u_shape[1]:
                u[...] = np.eye(m, dtype=a.dtype)
            if vh_shape[0] == vh_shape[1]:
                vh[...] = np.eye(n, dtype=a.dtype)
            s = np.zeros((*batch, *s_shape), a.dtype)
        else:
            u, s, vh = np.linalg.svd(a, full_matrices=self.full_matrices)
        self.saved = (u, s, vh)
        return pack(u, s, vh, batch_shape=tuple(batch))

    def backward(self, grad_output):
        u, s, vh = self.saved
        m, n = u.shape[-2], vh.shape[-1]
        k = s.shape[-1]
        grad_u, grad_s, grad_vh = (used_gradient(g) for g in unpack_arrays(
            grad_output, self.factor_shapes(m, n)))
        u, vh = u[..., :, :k], vh[..., :k, :]
        grad_u = None if grad_u is None else grad_u[..., :, :k]
        grad_vh = None if grad_vh is None else grad_vh[..., :k, :]
        return (svd_backward(grad_u, grad_s, grad_vh, u, s, vh),)

    def tensor_backward(self, grad_output):
        """``svd_backward``'s formula with recorded ops (``create_graph=True``), the factors
        made again by this op (``recorded_svd_backward``)."""
        (a,) = self.inputs
        m, n = a.shape[-2], a.shape[-1]
        k = min(m, n)
        shapes = self.factor_shapes(m, n)
        grads = unpack_arrays(grad_output, shapes)
        grads = [None if used_gradient(g._array) is None else g for g in grads]
        u, s, vh = unpack_arrays(SVD.apply(a, full_matrices=self.full_matrices), shapes)
        grad_u, grad_s, grad_vh = grads
        grad_u = None if grad_u is None else grad_u[..., :, :k]
        grad_vh = None if grad_vh is None else grad_vh[..., :k, :]
        return (recorded_svd_backward(grad_u, grad_s, grad_vh, u[..., :, :k], s,
                                      vh[..., :k, :], a),)


def svd_backward(grad_u, grad_s, grad_vh, u, s, vh):
    """PyTorch's ``svd_backward`` on the thin factors (see ``SVD``); None for unused."""
    m, n = u.shape[-2], vh.shape[-1]
    if grad_u is None and grad_vh is None:
        if grad_s is None:
            return np.zeros((*s.shape[:-1], m, n), s.dtype)
        return (u * grad_s[..., None, :]) @ vh
    squares = s * s
    gaps = squares[..., None, :] - squares[..., :, None]
    np.einsum("...ii->...i", gaps)[...] = 1
    with np.errstate(divide="ignore", invalid="ignore"):
        if grad_u is not None:
            inner_u = transpose(u) @ grad_u
            inner_u = (inner_u - transpose(inner_u)) * s[..., None, :]
        if grad_vh is not None:
            inner_v = vh @ transpose(grad_vh)
            inner_v = s[..., :, None] * (inner_v - transpose(inner_v))
        if grad_u is not None and grad_vh is not None:
            grad = (inner_u + inner_v) / gaps
        elif grad_u is None:
            grad = inner_v / gaps
        else:
            grad = inner_u / gaps
        if grad_s is not None:
            np.einsum("...ii->...i", grad)[...] += grad_s
        if m > n and grad_u is not None:
            grad = u @ grad
            scaled = grad_u / s[..., None, :]
            grad = (grad + scaled - u @ (transpose(u) @ scaled)) @ vh
        elif m < n and grad_vh is not None:
            grad = grad @ vh
            scaled = grad_vh / s[..., :, None]
            grad = u @ (grad + scaled - (scaled @ transpose(vh)) @ vh)
        else:
            grad = u @ grad @ vh
    return grad


def recorded_svd_backward(grad_u, grad_s, grad_vh, u, s, vh, a):
    """``svd_backward`` on Tensors (``create_graph=True``): the diagonals set through masks
    instead of in place."""
    m, n = u.shape[-2], vh.shape[-1]
    constant = type(a)._make
    if grad_u is None and grad_vh is None:
        if grad_s is None:
            return constant(np.zeros((*s.shape[:-1], m, n), a._array.dtype), None)
        return (u * grad_s[..., None, :]) @ vh
    k = s.shape[-1]
    eye = constant(np.eye(k, dtype=a._array.dtype), None)
    squares = s * s
    gaps = squares[..., None, :] - squares[..., :, None] + eye
    grad = None
    if grad_u is not None:
        inner_u = u.mT @ grad_u
        grad = (inner_u - inner_u.mT) * s[..., None, :]
    if grad_vh is not None:
        inner_v = vh @ grad_vh.mT
        inner_v = s[..., :, None] * (inner_v - inner_v.mT)
        grad = inner_v if grad is None else grad + inner_v
    grad = grad / gaps * (1 - eye)
    if grad_s is not None:
        grad = grad + grad_s.diag_embed()
    if m > n and grad_u is not None:
        grad = u @ grad
        scaled = grad_u / s[..., None, :]
        return (grad + scaled - u @ (u.mT @ scaled)) @ vh
    if m < n and grad_vh is not None:
        grad = grad @ vh
        scaled = grad_vh / s[..., :, None]
        return u @ (grad + scaled - (scaled @ vh.mT) @ vh)
    return u @ grad @ vh


class PseudoInverse(Op):
    """The Moore-Penrose pseudo-inverse of each matrix (``torch.linalg.pinv``), computed as
    PyTorch: from the SVD ``A = U diag(S) Vh``, ``Vh^T diag(1/S) U^T`` with ``1/S`` set to 0
    where ``S <= max(atol, rtol * max S)``; with ``hermitian``, from ``eigh`` (``|L|`` in place
    of ``S``). The tolerances are numbers (arguments) or tensors (inputs after ``A``, broadcast
    with the batch).

    Gradient (PyTorch's ``pinv_backward``, which uses only ``A`` and ``A^+``): for ``m <= n``,
    with ``K = g^T A^+``: ``-(A^+ K)^T + K A^{+T} - A A^+ K A^{+T} + A^{+T} A^+ (g^T - K A)``;
    the transposed formula for ``m > n``."""

    __slots__ = ("hermitian", "atol", "rtol")
    arguments = ("hermitian", "atol", "rtol")
    saves_output = True

    def __init__(self, hermitian=False, atol=0.0, rtol=0.0):
        self.hermitian, self.atol, self.rtol = hermitian, atol, rtol

    def forward(self, a, *tolerances):
        atol, rtol = tolerances if tolerances else (self.atol, self.rtol)
        atol, rtol = np.asarray(atol, a.dtype), np.asarray(rtol, a.dtype)
        *batch, m, n = a.shape
        if a.size == 0:
            result = np.zeros((*batch, n, m), a.dtype)
        elif self.hermitian:
            values, vectors = np.linalg.eigh(a)
            magnitudes = np.abs(values)
            largest = magnitudes.max(axis=-1, keepdims=True)
            cutoff = np.maximum(atol[..., None], rtol[..., None] * largest)
            with np.errstate(divide="ignore"):
                inverse_values = np.where(magnitudes > cutoff, 1 / values, 0).astype(a.dtype)
            result = (vectors * inverse_values[..., None, :]) @ transpose(vectors)
        else:
            u, s, vh = np.linalg.svd(a, full_matrices=False)
            cutoff = np.maximum(atol[..., None], rtol[..., None] * s[..., :1])
            with np.errstate(divide="ignore"):
                inverse_s = np.where(s > cutoff, 1 / s, 0).astype(a.dtype)
            result = (transpose(vh) * inverse_s[..., None, :]) @ transpose(u)
        self.saved = (a, result)
        return result

    def backward(self, grad_output):
        a, pinv = self.saved
        grad = pinv_backward(grad_output, pinv, a)
        return (grad,) + (None,) * (len(self.needs_input_grad) - 1)

    def tensor_backward(self, grad_output):
        """The same formula on Tensors, with ``A^+`` made again by this op
        (``create_graph=True``); the tolerances get no gradient."""
        a = self.inputs[0]
        pinv = PseudoInverse.apply(*self.inputs, hermitian=self.hermitian, atol=self.atol,
                                   rtol=self.rtol)
        return (pinv_backward(grad_output, pinv, a),) + (None,) * (len(self.inputs) - 1)


def pinv_backward(grad, pinv, a):
    """PyTorch's ``pinv_backward`` (see ``PseudoInverse``)."""
    m, n = a.shape[-2], a.shape[-1]
    pinv_t, grad_t = transpose(pinv), transpose(grad)
    if m <= n:
        k = grad_t @ pinv
        k_pinv_t = k @ pinv_t
        return (-transpose(pinv @ k) + k_pinv_t - (a @ pinv) @ k_pinv_t
                + (pinv_t @ pinv) @ (grad_t - k @ a))
    k = pinv @ grad_t
    pinv_t_k = pinv_t @ k
    return (-transpose(k @ pinv) + (grad_t - a @ k) @ pinv @ pinv_t + pinv_t_k
            - pinv_t_k @ pinv @ a)


# ---------------------------------------------------------------------- matrix exponential

# Padé approximant of degree 13 (Higham 2005, "The scaling and squaring method for the matrix
# exponential revisited"): its coefficients, and the 1-norm up to which it is accurate to
# double precision without scaling.
_PADE_13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
            129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
            40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA_13 = 5.371920351148152


def matrix_exponential(a):
    """``exp(A)`` of each square matrix by scaling and squaring with the degree-13 Padé
    approximant (Higham 2005), in float64 whatever ``a``'s dtype, rounded to it at the end.
    PyTorch uses Taylor polynomials of degree up to 18 (Bader, Blanes and Casas 2019): the two
    agree to rounding."""
    out = np.empty(a.shape, a.dtype)
    flat_out = out.reshape(math.prod(a.shape[:-2]), *a.shape[-2:])
    n = a.shape[-1]
    b = _PADE_13
    identity = np.eye(n)
    for index, matrix in enumerate(_matrices(a)):
        x = matrix.astype(np.float64)
        norm = np.abs(x).sum(axis=0).max() if n else 0.0
        if not np.isfinite(norm):
            flat_out[index] = np.nan
            continue
        squarings = max(0, int(math.ceil(math.log2(norm / _THETA_13)))) if norm > 0 else 0
        x = x / 2.0 ** squarings
        x2 = x @ x
        x4 = x2 @ x2
        x6 = x4 @ x2
        u = x @ (x6 @ (b[13] * x6 + b[11] * x4 + b[9] * x2) + b[7] * x6 + b[5] * x4
                 + b[3] * x2 + b[1] * identity)
        v = x6 @ (b[12] * x6 + b[10] * x4 + b[8] * x2) + b[6] * x6 + b[4] * x4 + b[2] * x2 \
            + b[0] * identity
        result = np.linalg.solve(v - u, v + u)
        for _ in range(squarings):
            result = result @ result
        flat_out[index] = result
    return out


class MatrixExp(Op):
    """``exp(A) = sum_k A^k / k!`` of each square matrix (``torch.linalg.matrix_exp``).

    Gradient (PyTorch's ``linalg_matrix_exp_differential`` with the adjoint): the upper right
    block of ``exp([[A^T, g], [0, A^T]])`` (the Fréchet derivative at ``A^T`` in the direction
    ``g``)."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        return matrix_exponential(a)

    def backward(self, grad_output):
        (a,) = self.saved
        n = a.shape[-1]
        a_t = np.broadcast_to(transpose(a), grad_output.shape)
        block = np.zeros((*grad_output.shape[:-2], 2 * n, 2 * n), grad_output.dtype)
        block[..., :n, :n] = a_t
        block[..., n:, n:] = a_t
        block[..., :n, n:] = grad_output
        return (matrix_exponential(block)[..., :n, n:],)

    def tensor_backward(self, grad_output):
        """The same block exponential, built and exponentiated with recorded ops
        (``create_graph=True``), so that it differentiates again in ``A`` and ``g``."""
        from ..tensor.shape import cat  # the tensor functions build on the ops: a layer up

        (a,) = self.inputs
        n = a.shape[-1]
        a_t = a.mT.expand(*grad_output.shape)
        zeros = type(a)._make(np.zeros(grad_output.shape, grad_output._array.dtype), None)
        block = cat([cat([a_t, grad_output], -1), cat([zeros, a_t], -1)], -2)
        return (MatrixExp.apply(block)[..., :n, n:],)


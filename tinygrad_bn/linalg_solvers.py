"""``torch.linalg``'s inverses, solvers, determinants and factorizations, exported by
``tinygrad_bn.linalg``: the argument checks with PyTorch's messages, the shapes (batches of
matrices in the last two dims, vector right-hand sides) and the named tuples. The numerics and
the gradients are the ops of ``ops.linalg_decompositions`` (NumPy's LAPACK); what is a
composition (``matrix_power``, ``multi_dot``, ``logdet``, ...) is made of differentiable ops,
as in PyTorch.

Real dtypes only: tinygrad_bn has no complex tensors, so ``eig`` and ``eigvals`` (complex
results for real input) are not provided.
"""

import math

import numpy as np

from .autocast_state import float32_op, lower_precision_op
from . import dtypes
from .creation import eye, tensor, zeros
from .ops.derived import Derived
from .ops.linalg import LinAlgError  # noqa: F401 - raised by the ops
from .ops.linalg_decompositions import (
    LU, QR, SVD, Cholesky, CholeskyInverse, CholeskySolve, Determinant, DeterminantSign, Inverse,
    LogAbsDeterminant, LUFactor, LUSolve, MatrixExp, PseudoInverse, Solve, SymmetricEigen, TriangularSolve,
    cholesky_ex as _cholesky_ex, lu_factor as lu_factor_arrays, permutation_matrix,
    singular_infos,
)
from .tensor import Tensor
from .printing import _result_tuple

linalg_inv_ex = _result_tuple("linalg_inv_ex", ("inverse", "info"))
linalg_solve_ex = _result_tuple("linalg_solve_ex", ("result", "info"))
linalg_cholesky_ex = _result_tuple("linalg_cholesky_ex", ("L", "info"))
linalg_slogdet = _result_tuple("linalg_slogdet", ("sign", "logabsdet"))


# ---------------------------------------------------------------------- argument checks


def check_matrices(A, name, *, square=True, integers=None, half="low precision"):
    """PyTorch's checks of a batch of matrices, in its order: a floating dtype (else its
    RuntimeError, or ``NotImplementedError`` for the kernel named by ``integers``), at least 2
    dims, square matrices (when ``square``), and float16 refused (``"low precision"``: PyTorch's
    RuntimeError; a kernel name: ``NotImplementedError``; None: accepted)."""
    dtype = A._array.dtype
    type_name = dtypes.scalar_type_name(dtype)
    if not dtypes.is_floating(dtype):
        if integers is not None:
            raise dtypes.not_implemented(integers, dtype)
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. "
                           f"Got {type_name}")
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if dtype == dtypes.float16 and half is not None:
        if half == "low precision":
            raise RuntimeError(f"{name}: Low precision dtypes not supported. Got Half")
        raise dtypes.not_implemented(half, dtype)


def _infos(array, function):
    """An int32 tensor of ``function``'s LAPACK ``info`` per matrix, outside the graph."""
    return Derived.apply(array, function=function)


# ---------------------------------------------------------------------- inverses and solves


@float32_op
def inv(A):
    """The inverse of each square matrix in the last two dims of ``A``: ``(..., n, n) -> (...,
    n, n)``. A singular matrix raises ``LinAlgError`` naming the zero pivot, as PyTorch's."""
    check_matrices(A, "linalg.inv")
    return Inverse.apply(A)


@float32_op
def inv_ex(A, *, check_errors=False):
    """``(inverse, info)`` (``torch.return_types.linalg_inv_ex``): ``info`` (int32, one per
    matrix) is 0 for an invertible matrix and the first zero pivot of its LU factorization
    otherwise, whose inverse then holds infinities; raises as ``inv`` with ``check_errors``."""
    check_matrices(A, "linalg.inv")
    return linalg_inv_ex(Inverse.apply(A, check_errors=check_errors),
                         _infos(A, singular_infos))


def _solve_shapes(A, B, name, left):
    """PyTorch's vector case (``B`` of shape ``(n,)`` or ``A.shape[:-1]``: solved as one column)
    and its check that the shapes fit ``AX = B`` (or ``XA = B``)."""
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    rows, columns = (B.shape[-1], 1) if vector else tuple(B.shape[-2:])
    n = A.shape[-1]
    if (rows if left else columns) != n or (vector and not left):
        equation = "AX = B" if left else "XA = B"
        shape_b = f"{rows}x{columns}" if vector or B.ndim >= 2 else f"{rows}"
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation {equation} "
                           f"({A.shape[-2]}x{n} and {shape_b})")
    return vector


def _check_same_dtype(A, B, name):
    if A._array.dtype != B._array.dtype:
        raise RuntimeError(f"{name}: Expected A and B to have the same dtype, but found A of "
                           f"type {dtypes.scalar_type_name(A._array.dtype)} and B of type "
                           f"{dtypes.scalar_type_name(B._array.dtype)} instead")


def _solve(A, B, left, check_errors):
    check_matrices(A, "linalg.solve")
    _check_same_dtype(A, B, "linalg.solve")
    vector = _solve_shapes(A, B, "linalg.solve", left)
    if vector:
        return Solve.apply(A, B.unsqueeze(-1), check_errors=check_errors).squeeze(-1)
    if left:
        return Solve.apply(A, B, check_errors=check_errors)
    return Solve.apply(A.mT, B.mT, check_errors=check_errors).mT


@float32_op
def solve(A, B, *, left=True):
    """``X`` with ``A X = B`` (``X A = B`` when ``left=False``) for square ``A`` ``(..., n,
    n)``; ``B`` ``(..., n, k)``, or a vector ``(..., n)`` when it is 1-D or has the shape of
    ``A`` without its last dim (PyTorch's rule); batch dims broadcast. A singular ``A`` raises
    PyTorch's ``LinAlgError``."""
    return _solve(A, B, left, True)


def solve_ex(A, B, *, left=True, check_errors=False):
    """``(result, info)`` (``torch.return_types.linalg_solve_ex``): ``solve`` with ``info``
    (int32, one per matrix of ``A``) 0 for an invertible matrix and the first zero pivot of
    its LU factorization otherwise (whose solution then holds infinities or NaN)."""
    result = _solve(A, B, left, check_errors)
    return linalg_solve_ex(result, _infos(A, singular_infos))


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """``X`` with ``T X = B`` (``X T = B`` when ``left=False``), ``T`` the upper or lower
    triangle of ``A`` (the other entries are not read; with ``unitriangular`` neither is the
    diagonal, taken as ones). ``A`` ``(..., n, n)``, ``B`` ``(..., n, k)``, batch dims
    broadcast; no vector case (as PyTorch's). A zero on the diagonal gives infinities, not an
    error, as LAPACK's ``trsm``."""
    name = "linalg.solve_triangular"
    check_matrices(A, name, integers="triangular_solve_cpu")
    if B.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor B must have at least 2 dimensions.")
    n = A.shape[-1]
    if B.shape[-2 if left else -1] != n:
        equation = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation {equation} "
                           f"({A.shape[-2]}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    if left:
        return TriangularSolve.apply(A, B, upper=upper, unitriangular=unitriangular)
    return TriangularSolve.apply(A.mT, B.mT, upper=not upper, unitriangular=unitriangular).mT


# ---------------------------------------------------------------------- determinants


def det(A):
    """The determinant of each square matrix: ``(..., n, n) -> (...)``, differentiable also at
    singular matrices (through the SVD, as PyTorch)."""
    check_matrices(A, "linalg.det", half="lu_cpu")
    return Determinant.apply(A)


def slogdet(A):
    """``(sign, logabsdet)`` (``torch.return_types.linalg_slogdet``): the sign of each
    determinant (0 for a singular matrix, whose ``logabsdet`` is ``-inf``) and the log of its
    absolute value, computed without forming the determinant (no overflow). Gradients flow
    through ``logabsdet``."""
    check_matrices(A, "linalg.slogdet")
    return linalg_slogdet(DeterminantSign.apply(A), LogAbsDeterminant.apply(A))


def logdet(A, name="linalg.logdet"):
    """``log det A``: ``logabsdet`` where the determinant is positive, NaN where it is negative,
    ``-inf`` where it is 0 (``torch.logdet``, computed from ``slogdet`` as PyTorch does)."""
    check_matrices(A, "linalg.slogdet")
    sign, logabsdet = slogdet(A)
    return logabsdet.where(sign != -1, float("nan"))


# ---------------------------------------------------------------------- Cholesky


@float32_op
def cholesky(A, *, upper=False):
    """The Cholesky factor of each symmetric positive-definite matrix: lower ``L`` with ``A = L
    L^T`` (only ``A``'s lower triangle is read), or with ``upper`` the upper factor ``L^T``
    (reading the upper triangle). A matrix that is not positive definite raises PyTorch's
    ``LinAlgError``, naming its first leading minor that is not."""
    check_matrices(A, "linalg.cholesky", half="cholesky_cpu")
    return Cholesky.apply(A, upper=upper)


def _cholesky_infos(a, upper):
    return _cholesky_ex(a, upper)[1]


@float32_op
def cholesky_ex(A, *, upper=False, check_errors=False):
    """``(L, info)`` (``torch.return_types.linalg_cholesky_ex``): ``cholesky`` with ``info``
    (int32, one per matrix) 0 where the matrix is positive definite and the order of its first
    leading minor that is not otherwise; raises as ``cholesky`` with ``check_errors``."""
    check_matrices(A, "linalg.cholesky", half="cholesky_cpu")
    infos = Derived.apply(A, function=_cholesky_infos, keywords={"upper": upper})
    if check_errors or not infos._array.any():
        return linalg_cholesky_ex(Cholesky.apply(A, upper=upper), infos)
    factors = Derived.apply(A, function=_cholesky_factors, keywords={"upper": upper})
    return linalg_cholesky_ex(factors, infos)


def _cholesky_factors(a, upper):
    return _cholesky_ex(a, upper)[0]


# ---------------------------------------------------------------------- products


def matrix_power(A, n):
    """``A^n`` for each square matrix, an integer ``n``: the identity for 0, ``inv(A)^|n|`` for
    a negative ``n``; by repeated squaring, the products in PyTorch's order (so float results
    round alike). Integer matrices are accepted for ``n >= 0``."""
    name = "linalg.matrix_power"
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"linalg_matrix_power(): argument 'n' (position 2) must be int, not "
                        f"{type(n).__name__}")
    if n == 0:
        identity = eye(A.shape[-1], dtype=A.dtype).expand(*A.shape).clone()
        # PyTorch's identity is a copy into A's clone: in the graph, with zero gradient
        return A.where(zeros(A.shape, dtype=dtypes.bool), identity) if A.requires_grad else \
            identity
    if n < 0:
        check_matrices(A, "linalg.inv")
        A, n = inv(A), -n
    if n == 1:
        return A.clone()
    if n == 2:
        return A @ A
    if n == 3:
        return (A @ A) @ A
    power = result = None
    while n > 0:
        bit, n = n % 2, n // 2
        power = A if power is None else power @ power
        if bit:
            result = power if result is None else result @ power
    return result


def multi_dot(tensors):
    """The product of a chain of matrices, in the order of fewest scalar multiplications (the
    classic dynamic program, as PyTorch); the first may be 1-D (a row) and the last 1-D (a
    column), those dims removed from the result."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first, last = tensors[0], tensors[-1]
    if first.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got "
                           f"{first.ndim}D")
    if last.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got "
                           f"{last.ndim}D")
    for index, tensor in enumerate(tensors[1:-1], start=1):
        if tensor.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {index} must be 2D but got {tensor.ndim}D")
    dtype = first.dtype
    for index, tensor in enumerate(tensors[1:], start=1):
        if tensor.dtype != dtype:
            raise RuntimeError(
                f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                f"{dtypes.scalar_type_name(first._array.dtype).lower()} and tensor {index} "
                f"{dtypes.scalar_type_name(tensor._array.dtype).lower()}")
    matrices = list(tensors)
    if first.ndim == 1:
        matrices[0] = first.unsqueeze(0)
    if last.ndim == 1:
        matrices[-1] = last.unsqueeze(-1)
    for index in range(len(matrices) - 1):
        if matrices[index].shape[1] != matrices[index + 1].shape[0]:
            a, b = matrices[index], matrices[index + 1]
            raise RuntimeError(
                f"multi_dot(): tensors {index} and {index + 1} with shapes "
                f"[{a.shape[0]}, {a.shape[1]}] and [{b.shape[0]}, {b.shape[1]}] cannot be "
                "multiplied")
    if len(matrices) == 2:
        result = matrices[0] @ matrices[1]
    elif len(matrices) == 3:
        a, b, c = matrices
        cost_ab_c = a.shape[0] * c.shape[0] * (a.shape[1] + c.shape[1])
        cost_a_bc = a.shape[1] * c.shape[1] * (a.shape[0] + b.shape[1])
        result = (a @ b) @ c if cost_ab_c < cost_a_bc else a @ (b @ c)
    else:
        order = _chain_order([m.shape[0] for m in matrices] + [matrices[-1].shape[1]])
        result = _chain_product(matrices, order, 0, len(matrices) - 1)
    if first.ndim == 1 and last.ndim == 1:
        return result.reshape(())
    if first.ndim == 1:
        return result.squeeze(0)
    if last.ndim == 1:
        return result.squeeze(-1)
    return result


def _chain_order(sizes):
    """The split points of the cheapest parenthesization of a chain of matrices with these
    consecutive sizes (the textbook O(n^3) dynamic program, as PyTorch's ``multi_dot``)."""
    count = len(sizes) - 1
    cost = [[0] * count for _ in range(count)]
    split = [[0] * count for _ in range(count)]
    for length in range(1, count):
        for i in range(count - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + sizes[i] * sizes[k + 1] * sizes[j + 1]
                if cost[i][j] is None or q < cost[i][j]:
                    cost[i][j], split[i][j] = q, k
    return split


def _chain_product(matrices, split, i, j):
    if i == j:
        return matrices[i]
    k = split[i][j]
    return _chain_product(matrices, split, i, k) @ _chain_product(matrices, split, k + 1, j)


@lower_precision_op
def vecdot(x, y, *, dim=-1):
    """The dot products of the vectors along ``dim`` of ``x`` and ``y`` (broadcast together):
    ``sum(x * y, dim)`` (real tensors, so no conjugate)."""
    for tensor in (x, y):
        if not dtypes.is_floating(tensor._array.dtype):
            raise RuntimeError("linalg.vecdot: Expected a floating point or complex tensor as "
                               f"input. Got {dtypes.scalar_type_name(tensor._array.dtype)}")
    if x._array.dtype != y._array.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found "
                           f"x of type {dtypes.scalar_type_name(x._array.dtype)} and y of type "
                           f"{dtypes.scalar_type_name(y._array.dtype)} instead")
    return (x * y).sum(dim)


# ---------------------------------------------------------------------- Cholesky solves


def cholesky_solve(B, L, upper=False):
    """``torch.cholesky_solve(B, L, upper)``: ``X = A^-1 B`` for ``A = L L^T`` (``U^T U`` with
    ``upper``), ``B`` ``(..., n, k)``, ``L`` ``(..., n, n)``, batch dims broadcast; only the
    triangle of ``L`` is read, but its gradient is PyTorch's, over the whole matrix."""
    if B.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {B.ndim} dimensions "
                           "instead")
    if L.ndim < 2:
        raise RuntimeError(f"u should have at least 2 dimensions, but has {L.ndim} dimensions "
                           "instead")
    if B._array.dtype != L._array.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{dtypes.scalar_type_name(B._array.dtype)} and A of type "
                           f"{dtypes.scalar_type_name(L._array.dtype)} instead.")
    if L.shape[-1] != L.shape[-2]:
        raise RuntimeError(f"A must be batches of square matrices, but they are "
                           f"{L.shape[-2]} by {L.shape[-1]} matrices")
    if L.shape[-1] != B.shape[-2]:
        raise RuntimeError(f"Incompatible matrix sizes for cholesky_solve: each A matrix is "
                           f"{L.shape[-2]} by {L.shape[-1]} but each b matrix is {B.shape[-2]} by "
                           f"{B.shape[-1]}")
    if not dtypes.is_floating(L._array.dtype) or L._array.dtype == dtypes.float16:
        raise dtypes.not_implemented("cholesky_solve_cpu", L._array.dtype)
    return CholeskySolve.apply(B, L, upper=upper)


def cholesky_inverse(L, upper=False):
    """``torch.cholesky_inverse(L, upper)``: ``A^-1`` for ``A = L L^T`` (``U^T U`` with
    ``upper``); a zero on the diagonal of ``L`` raises PyTorch's ``LinAlgError``."""
    check_matrices(L, "cholesky_inverse", integers="cholesky_inverse_out_cpu",
                   half="cholesky_inverse_out_cpu")
    return CholeskyInverse.apply(L, upper=upper)


# ---------------------------------------------------------------------- factorizations

linalg_qr = _result_tuple("linalg_qr", ("Q", "R"))
linalg_eigh = _result_tuple("linalg_eigh", ("eigenvalues", "eigenvectors"))
linalg_svd = _result_tuple("linalg_svd", ("U", "S", "Vh"))
linalg_lstsq = _result_tuple("linalg_lstsq", ("solution", "residuals", "rank",
                                              "singular_values"))


def unpack(packed, shapes):
    """The factors a packing op (``QR``, ``SymmetricEigen``, ``SVD``) returned side by side:
    slices of ``packed`` reshaped to the batch shape and each of ``shapes``, in the graph."""
    batch = tuple(packed.shape[:-1])
    factors, start = [], 0
    for shape in shapes:
        size = math.prod(shape)
        factors.append(packed[..., start:start + size].reshape(*batch, *shape))
        start += size
    return factors


@float32_op
def qr(A, mode="reduced"):
    """``(Q, R)`` (``torch.return_types.linalg_qr``) with ``A = Q R``, ``Q`` with orthonormal
    columns and ``R`` upper triangular, for matrices of any shape ``(..., m, n)``: ``mode``
    ``"reduced"`` (``k = min(m, n)`` columns in ``Q``), ``"complete"`` (``Q`` square) or ``"r"``
    (``R`` only; ``Q`` is empty). LAPACK's ``geqrf``/``orgqr``, as PyTorch, so the signs
    agree (``R``'s diagonal may be negative)."""
    check_matrices(A, "linalg.qr", square=False, half="geqrf_cpu")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    op_shapes = QR(mode=mode).factor_shapes(A.shape[-2], A.shape[-1])
    packed = QR.apply(A, mode=mode)
    q, r = unpack(packed, op_shapes)
    if mode == "r":
        q = packed[..., :0].reshape(0)
    return linalg_qr(q, r)


@float32_op
def eigh(A, UPLO="L"):
    """``(eigenvalues, eigenvectors)`` (``torch.return_types.linalg_eigh``) of each symmetric
    matrix, reading its lower (``UPLO="L"``) or upper (``"U"``) triangle: eigenvalues ascending
    ``(..., n)``, eigenvectors the columns of ``(..., n, n)``, LAPACK's ``syevd`` as PyTorch
    (each vector's sign is LAPACK's choice)."""
    _check_eigh(A, UPLO)
    n = A.shape[-1]
    values, vectors = unpack(SymmetricEigen.apply(A, uplo=UPLO), [(n,), (n, n)])
    return linalg_eigh(values, vectors)


def _check_eigh(A, UPLO):
    check_matrices(A, "linalg.eigh", integers="linalg_eigh_cpu", half="linalg_eigh_cpu")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


@float32_op
def eigvalsh(A, UPLO="L"):
    """The eigenvalues of each symmetric matrix, ascending: ``eigh(A, UPLO).eigenvalues``
    (differentiable, as PyTorch's)."""
    return eigh(A, UPLO).eigenvalues


@float32_op
def svd(A, full_matrices=True, *, driver=None):
    """``(U, S, Vh)`` (``torch.return_types.linalg_svd``) with ``A = U diag(S) Vh``, ``S``
    descending ``(..., k)``, ``k = min(m, n)``; ``U`` ``(..., m, m)`` and ``Vh`` ``(..., n,
    n)`` with ``full_matrices`` (the default, as PyTorch), else ``(..., m, k)`` and ``(..., k,
    n)``. LAPACK's ``gesdd`` as PyTorch on the CPU (the signs of singular vectors are its
    choice). ``driver`` is for CUDA and refused, as PyTorch on the CPU."""
    check_matrices(A, "linalg.svd", square=False, half="linalg_svd_cpu")
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on "
                           "CUDA inputs with cuSOLVER backend.")
    shapes = SVD(full_matrices=full_matrices).factor_shapes(A.shape[-2], A.shape[-1])
    return linalg_svd(*unpack(SVD.apply(A, full_matrices=full_matrices), shapes))


def _tolerances(A, atol, rtol, name):
    """PyTorch's defaults for ``pinv``/``matrix_rank``: ``rtol = eps * max(m, n)`` when neither
    is given, or when ``atol`` is given as 0 (not as a positive value or a tensor); ``atol =
    0`` when not given. Numbers stay numbers; a tensor is kept as a tensor."""
    if rtol is None:
        given = atol is not None and (not isinstance(atol, (int, float)) or atol > 0)
        rtol = 0.0 if given else float(np.finfo(A._array.dtype).eps) * max(A.shape[-2:])
    atol = 0.0 if atol is None else atol
    return atol, rtol


def pinv(A, *, atol=None, rtol=None, hermitian=False, rcond=None):
    """The Moore-Penrose pseudo-inverse of each matrix ``(..., m, n) -> (..., n, m)``, from the
    SVD (``eigh`` with ``hermitian``), singular values at most ``max(atol, rtol * max S)``
    treated as zero (see ``_tolerances`` for the defaults); ``rcond`` is PyTorch's older name
    of ``rtol``."""
    dtype = A._array.dtype
    if A.ndim < 2 or dtype not in (dtypes.float32, dtypes.float64):
        kind = {dtypes.float32: "Float", dtypes.float64: "Double", dtypes.float16: "Half"}.get(
            dtype, dtypes.scalar_type_name(dtype))
        raise RuntimeError(f"linalg.pinv({kind}{{{list(A.shape)}}}): expected a tensor with 2 "
                           "or more dimensions of float, double, cfloat or cdouble types")
    if rcond is not None:
        rtol = rcond
    atol, rtol = _tolerances(A, atol, rtol, "linalg.pinv")
    if hermitian and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.eigh: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if isinstance(atol, (int, float)) and isinstance(rtol, (int, float)):
        return PseudoInverse.apply(A, hermitian=hermitian, atol=float(atol), rtol=float(rtol))
    atol, rtol = (t if isinstance(t, Tensor) else tensor(t, dtype=A.dtype)
                  for t in (atol, rtol))
    return PseudoInverse.apply(A, atol.detach(), rtol.detach(), hermitian=hermitian)


@float32_op
def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None):
    """The number of singular values (absolute eigenvalues with ``hermitian``) of each matrix
    above ``max(atol, rtol * the largest)``, an int64 tensor of the batch shape (defaults as
    ``pinv``; ``tol`` is PyTorch's older name of ``atol``, with ``rtol`` 0)."""
    dtype = A._array.dtype
    if dtype not in (dtypes.float32, dtypes.float64):
        raise RuntimeError("This function doesn't handle types other than float and double")
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at "
                           "least 2 dimensions.")
    if tol is not None:
        atol, rtol = tol, 0.0
    atol, rtol = _tolerances(A, atol, rtol, "linalg.matrix_rank")
    atol, rtol = (t if isinstance(t, Tensor) else tensor(t, dtype=A.dtype)
                  for t in (atol, rtol))
    return Derived.apply(A.detach(), atol.detach(), rtol.detach(), function=_rank,
                         keywords={"hermitian": hermitian})


def _rank(a, atol, rtol, hermitian):
    """The rank of each matrix of ``a`` from its singular values (see ``matrix_rank``)."""
    if a.size == 0:
        return np.zeros(a.shape[:-2], np.int64)
    values = np.abs(np.linalg.eigvalsh(a)) if hermitian else np.linalg.svd(a, compute_uv=False)
    largest = values.max(axis=-1, keepdims=True)
    cutoff = np.maximum(atol[..., None], rtol[..., None] * largest)
    return (values > cutoff).sum(axis=-1).astype(np.int64)


@float32_op
def lstsq(A, B, rcond=None, *, driver=None):
    """``(solution, residuals, rank, singular_values)`` (``torch.return_types.linalg_lstsq``):
    the ``X`` minimising ``||A X - B||`` (the least-norm one where ``A`` is rank deficient),
    ``A`` ``(..., m, n)``, ``B`` ``(..., m, k)`` or a vector ``(..., m)``. As PyTorch on the
    CPU the driver is ``gelsy`` by default: ``rank`` is computed, ``residuals`` and
    ``singular_values`` are empty. ``gelsd``/``gelss`` also return the singular values, and
    every driver but ``gelsy`` the squared residuals per column when ``m > n`` and ``A`` has
    full rank; ``gels`` returns no rank. ``rcond`` (default ``eps * max(m, n)``) is the
    relative cutoff of the singular values. The solution is ``pinv(A) B`` (and its gradients
    are PyTorch's, which are those of ``pinv(A) B``); values agree with LAPACK's to rounding."""
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if B.ndim < 1:
        raise RuntimeError("torch.linalg.lstsq: other must have at least 1 dimension.")
    if not dtypes.is_floating(A._array.dtype):
        raise RuntimeError("torch.linalg.lstsq: Expected input to be floating point tensor "
                           f"but got {dtypes.scalar_type_name(A._array.dtype)}")
    if A._array.dtype != B._array.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same "
                           f"dtype, but got input's dtype {_torch_dtype(A)} and other's dtype "
                           f"{_torch_dtype(B)}")
    driver = "gelsy" if driver is None else driver
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, "
                           f"gelsy, gelsd, gelss)")
    vector = B.ndim == A.ndim - 1
    matrix_b = B.unsqueeze(-1) if vector else B
    if A.shape[-2] != matrix_b.shape[-2]:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    m, n = A.shape[-2], A.shape[-1]
    cutoff = float(np.finfo(A._array.dtype).eps) * max(m, n) if rcond is None or rcond < 0 \
        else rcond
    solution = pinv(A, rtol=cutoff) @ matrix_b
    empty = zeros(0, dtype=A.dtype)
    rank = matrix_rank(A, rtol=cutoff, atol=0.0) if driver != "gels" else zeros(0,
                                                                               dtype=dtypes.int64)
    singular_values = svdvals(A.detach()) if driver in ("gelsd", "gelss") else empty
    residuals = solution.reshape(-1)[:0]  # empty, in the graph (as PyTorch's)
    if driver != "gelsy" and m > n and int((matrix_rank(A) == n).all()):
        residuals = ((A @ solution - matrix_b) ** 2).sum(dim=-2)
    if vector:
        solution = solution.squeeze(-1)
        if residuals.ndim:
            residuals = residuals.squeeze(-1) if residuals.shape[-1:] == (1,) else residuals
    return linalg_lstsq(solution, residuals, rank, singular_values)


def _torch_dtype(tensor):
    return f"torch.{tensor._array.dtype}"


@float32_op
def cond(A, p=None):
    """The condition number of each matrix in the norm ``p``: ``None``/``2`` the ratio of the
    largest to the smallest singular value, ``-2`` its inverse (any shape); ``"fro"``,
    ``"nuc"``, ``inf``, ``-inf``, ``1``, ``-1``: ``norm(A, p) * norm(inv(A), p)`` for square
    invertible matrices (``inf`` for a singular one, as PyTorch)."""
    if p not in (None, 2, -2, 1, -1, math.inf, -math.inf, "fro", "nuc"):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    if A.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    if p in (None, 2, -2):
        from .linalg import svdvals
        singular_values = svdvals(A)
        if A.shape[-1] == 0 or A.shape[-2] == 0:
            return singular_values.sum(-1) * 0
        largest, smallest = singular_values[..., 0], singular_values[..., -1]
        return largest / smallest if p != -2 else smallest / largest
    check_matrices(A, "linalg.cond")
    from .linalg import matrix_norm
    inverse, infos = inv_ex(A)
    result = matrix_norm(A, p) * matrix_norm(inverse, p)
    return result.where(infos == 0, math.inf)


def matrix_exp(A):
    """``exp(A) = sum_k A^k / k!`` of each square matrix (scaling and squaring with a Padé
    approximant; see ``ops.linalg_decompositions.matrix_exponential``)."""
    check_matrices(A, "linalg.matrix_exp", half=None)
    return MatrixExp.apply(A)


def svdvals(A):
    from .linalg import svdvals as singular_values
    return singular_values(A)


# ---------------------------------------------------------------------- LU

linalg_lu_factor = _result_tuple("linalg_lu_factor", ("LU", "pivots"))
linalg_lu_factor_ex = _result_tuple("linalg_lu_factor_ex", ("LU", "pivots", "info"))
linalg_lu = _result_tuple("linalg_lu", ("P", "L", "U"))
lu_unpack_result = _result_tuple("lu_unpack", ("P", "L", "U"))
lu_with_info = _result_tuple("_lu_with_info", ("LU", "pivots", "info"))


def _check_lu(A, name, pivot):
    if A.ndim < 2:
        raise RuntimeError(f"{name}: Expected tensor with 2 or more dimensions. Got size: "
                           f"{list(A.shape)} instead")
    dtype = A._array.dtype
    if not dtypes.is_floating(dtype) or dtype == dtypes.float16:
        raise dtypes.not_implemented("lu_cpu", dtype)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")


def _lu_pivots(a):
    return _lu_arrays(a)[1]


def _lu_infos(a):
    return _lu_arrays(a)[2]


def _lu_arrays(a):
    return lu_factor_arrays(a)


def lu_factor_ex(A, *, pivot=True, check_errors=False):
    """``(LU, pivots, info)`` (``torch.return_types.linalg_lu_factor_ex``): the LU
    factorization with partial pivoting ``A = P L U`` of each matrix ``(..., m, n)``, packed as
    LAPACK's ``getrf`` (``U`` on and above the diagonal, ``L`` below it with its unit diagonal
    implied), the 1-based int32 pivots ``(..., min(m, n))`` and ``info`` (the first zero pivot
    ``U[i, i]``, 1-based, else 0). ``LU`` is differentiable (PyTorch's gradient)."""
    _check_lu(A, "torch.lu_factor", pivot)
    infos = Derived.apply(A, function=_lu_infos)
    if check_errors:
        _raise_lu_error(infos, "torch.linalg.lu_factor_ex")
    return linalg_lu_factor_ex(LUFactor.apply(A), Derived.apply(A, function=_lu_pivots), infos)


def _raise_lu_error(infos, name):
    flat = infos._array.reshape(-1)
    bad = np.flatnonzero(flat)
    if bad.size:
        index = int(bad[0])
        prefix = f"(Batch element {index}): " if infos.ndim else ""
        position = int(flat[index])
        raise LinAlgError(
            f"{name}: {prefix}U[{position},{position}] is zero and using it on lu_solve would "
            "result in a division by zero. If you still want to perform the factorization, "
            "consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")


def lu_factor(A, *, pivot=True):
    """``(LU, pivots)`` (``torch.return_types.linalg_lu_factor``), as ``lu_factor_ex``; a
    matrix with a zero pivot raises PyTorch's error (its ``lu_solve`` would divide by zero)."""
    LU, pivots, infos = lu_factor_ex(A, pivot=pivot)
    _raise_lu_error(infos, "torch.linalg.lu_factor")
    return linalg_lu_factor(LU, pivots)


def lu(A, *, pivot=True):
    """``(P, L, U)`` (``torch.return_types.linalg_lu``) with ``A = P L U``: ``P`` a permutation
    (..., m, m) in ``A``'s dtype, ``L`` (..., m, k) unit lower triangular, ``U`` (..., k, n)
    upper triangular, ``k = min(m, n)``; ``L`` and ``U`` are differentiable."""
    _check_lu(A, "linalg.lu", pivot)
    m, n = A.shape[-2], A.shape[-1]
    k = min(m, n)
    p, lower, upper = unpack(LU.apply(A), [(m, m), (m, k), (k, n)])
    return linalg_lu(p.detach(), lower, upper)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """``X`` with ``A X = B`` (``A^T X = B`` with ``adjoint``; ``X A = B`` or ``X A^T = B`` when
    not ``left``) given ``lu_factor``'s ``(LU, pivots)`` of the square ``A``; ``B`` ``(..., n,
    k)``, batch dims broadcast. Differentiable in ``LU`` and ``B`` (PyTorch's gradients)."""
    name = "linalg.lu_solve"
    if pivots._array.dtype != dtypes.int32:
        raise RuntimeError(f"{name}: pivots should be a Tensor of scalar type torch.int32")
    if B.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor B must have at least 2 dimensions.")
    check_matrices(LU, name, integers="lu_solve_cpu", half="lu_solve_cpu")
    n = LU.shape[-1]
    if B.shape[-2 if left else -1] != n:
        equation = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation {equation} "
                           f"({LU.shape[-2]}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    _check_same_dtype(LU, B, name)
    return LUSolve.apply(LU, pivots, B, left=left, adjoint=adjoint)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """``torch.lu_unpack``: ``(P, L, U)`` (``torch.return_types.lu_unpack``) from ``lu_factor``'s
    packed ``(LU, pivots)``; ``L`` and ``U`` are slices of ``LU`` in the graph, ``P`` is not. A
    part not unpacked is an empty tensor, as PyTorch's."""
    if LU_pivots._array.dtype != dtypes.int32:
        raise RuntimeError("torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of "
                           "torch.int32 dtype.\nNote: this function is intended to be used with "
                           "the output produced by torch.linalg.lu_factor")
    m, n = LU_data.shape[-2], LU_data.shape[-1]
    k = min(m, n)
    empty = zeros(0, dtype=LU_data.dtype)
    lower = upper = p = empty
    if unpack_data:
        identity = eye(m, k, dtype=LU_data.dtype)
        lower = LU_data[..., :, :k].tril(-1) + identity
        upper = LU_data[..., :k, :].triu()
    if unpack_pivots:
        p = Derived.apply(LU_pivots, function=_permutation_matrix,
                          keywords={"m": m, "dtype": LU_data._array.dtype})
    return lu_unpack_result(p, lower, upper)


def _permutation_matrix(pivots, m, dtype):
    return permutation_matrix(pivots, m, dtype)


# ---------------------------------------------------------------------- Householder, tensors

geqrf_result = _result_tuple("geqrf", ("a", "tau"))
triangular_solve_result = _result_tuple("triangular_solve", ("solution", "cloned_coefficient"))


def _apply_householder(vectors, tau, other, left, transpose):
    """``Q C``, ``Q^T C``, ``C Q`` or ``C Q^T`` for ``Q = H_1 ... H_k``, ``H_i = I - tau_i v_i
    v_i^T`` with ``v_i`` the columns of ``vectors``: one reflection at a time, each a few
    differentiable ops (so the gradients are those of the product, as PyTorch's)."""
    k = tau.shape[-1]
    ascending = transpose if left else not transpose
    order = range(k) if ascending else range(k - 1, -1, -1)
    for i in order:
        v, t = vectors[..., :, i:i + 1], tau[..., i:i + 1].unsqueeze(-1)
        if left:
            other = other - v * t @ (v.mT @ other)
        else:
            other = other - (other @ v) * t @ v.mT
    return other


def _reflectors(A, k):
    """The Householder vectors of a ``geqrf`` result: the first ``k`` columns of ``A`` below
    the diagonal, with a 1 on it and zeros above."""
    m = A.shape[-2]
    return A[..., :, :k].tril(-1) + eye(m, k, dtype=A.dtype)


@float32_op
def householder_product(A, tau):
    """The first ``n`` columns of ``H_1 ... H_k`` (``torch.linalg.householder_product``, LAPACK's
    ``orgqr``): ``H_i = I - tau_i v_i v_i^T``, ``v_i`` column ``i`` of ``A`` below the diagonal
    with a 1 on it. ``A`` ``(..., m, n)``, ``m >= n >= k``, ``tau`` ``(..., k)``."""
    name = "torch.linalg.householder_product"
    if A.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if tau.ndim < 1:
        raise RuntimeError(f"{name}: tau must have at least 1 dimension.")
    m, n = A.shape[-2], A.shape[-1]
    if m < n:
        raise RuntimeError(f"{name}: input.shape[-2] must be greater than or equal to "
                           "input.shape[-1]")
    if n < tau.shape[-1]:
        raise RuntimeError(f"{name}: input.shape[-1] must be greater than or equal to "
                           "tau.shape[-1]")
    if tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(f"{name}: Expected batch dimensions of tau to be equal to "
                           f"input.shape[:-2], but got {list(tau.shape[:-1])}")
    if tau._array.dtype != A._array.dtype:
        raise RuntimeError(f"{name}: tau dtype {dtypes.scalar_type_name(tau._array.dtype)} does "
                           f"not match input dtype {dtypes.scalar_type_name(A._array.dtype)}")
    check_matrices(A, name, square=False, integers="orgqr_cpu", half="orgqr_cpu")
    identity = eye(m, n, dtype=A.dtype).expand(*A.shape[:-2], m, n)
    if tau.shape[-1] == 0 and A.requires_grad:  # no reflection: in the graph, zero gradient
        return A.where(zeros(A.shape, dtype=dtypes.bool), identity)
    return _apply_householder(_reflectors(A, tau.shape[-1]), tau, identity, True, False)


def ormqr(input, tau, other, left=True, transpose=False):
    """``torch.ormqr``: ``other`` multiplied by the ``Q`` of a ``geqrf`` result (``input``,
    ``tau``), from the left or the right, transposed or not (LAPACK's ``ormqr``)."""
    name = "torch.ormqr"
    if input.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if other.ndim < 2:
        raise RuntimeError(f"{name}: other must have at least 2 dimensions.")
    rows = other.shape[-2 if left else -1]
    if rows != input.shape[-2]:
        which = "other.shape[-2]" if left else "other.shape[-1]"
        raise RuntimeError(f"{name}: {which} must be equal to input.shape[-2]")
    if tau.shape[-1] != min(rows, input.shape[-1]):
        raise RuntimeError(f"{name}: tau.shape[-1] must be equal to min(other.shape[{-2 if left else -1}], "
                           "input.shape[-1])")
    check_matrices(input, name, square=False, integers="ormqr_cpu", half="ormqr_cpu")
    return _apply_householder(_reflectors(input, tau.shape[-1]), tau, other, left, transpose)


def _geqrf_arrays(a):
    """LAPACK's ``geqrf`` through NumPy's ``qr(mode="raw")`` (which returns it transposed)."""
    if a.size == 0:
        return a.copy(), np.zeros((*a.shape[:-2], min(a.shape[-2:])), a.dtype)
    h, tau = np.linalg.qr(a, mode="raw")
    return np.ascontiguousarray(np.swapaxes(h, -1, -2)).astype(a.dtype), tau.astype(a.dtype)


def _geqrf_a(a):
    return _geqrf_arrays(a)[0]


def _geqrf_tau(a):
    return _geqrf_arrays(a)[1]


def geqrf(input):
    """``torch.geqrf``: ``(a, tau)`` (``torch.return_types.geqrf``), LAPACK's Householder QR:
    ``R`` on and above the diagonal of ``a``, the reflectors below it (see
    ``householder_product``). Not differentiable, as PyTorch's."""
    if input.ndim < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    check_matrices(input, "torch.geqrf", square=False, integers="geqrf_cpu", half="geqrf_cpu")
    return geqrf_result(Derived.apply(input, function=_geqrf_a),
                        Derived.apply(input, function=_geqrf_tau))


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):
    """The deprecated ``torch.triangular_solve(b, A)``: ``(solution, cloned_coefficient)``,
    ``X`` with ``T X = b`` (``T^T X = b`` with ``transpose``), ``T`` the upper (by default) or
    lower triangle of ``A``, and a copy of ``A``."""
    if b.ndim < 2:
        raise RuntimeError("torch.triangular_solve: Expected b to have at least 2 dimensions, "
                           f"but it has {b.ndim} dimensions instead")
    if A.ndim < 2:
        raise RuntimeError("torch.triangular_solve: Expected A to have at least 2 dimensions, "
                           f"but it has {A.ndim} dimensions instead")
    if b._array.dtype != A._array.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{dtypes.scalar_type_name(b._array.dtype)} and A of type "
                           f"{dtypes.scalar_type_name(A._array.dtype)} instead.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"A must be batches of square matrices, but they are {A.shape[-2]} "
                           f"by {A.shape[-1]} matrices")
    if A.shape[-1] != b.shape[-2]:
        raise RuntimeError(f"Incompatible matrix sizes for triangular_solve: each A matrix is "
                           f"{A.shape[-2]} by {A.shape[-1]} but each b matrix is {b.shape[-2]} "
                           f"by {b.shape[-1]}")
    if not dtypes.is_floating(A._array.dtype) or A._array.dtype == dtypes.float16:
        raise dtypes.not_implemented("triangular_solve_cpu", A._array.dtype)
    coefficient = A.mT if transpose else A
    solution = TriangularSolve.apply(coefficient, b, upper=upper != transpose,
                                     unitriangular=unitriangular)
    batch = tuple(solution.shape[:-2])
    return triangular_solve_result(solution, A.expand(*batch, *A.shape[-2:]).clone())


@float32_op
def tensorinv(A, ind=2):
    """The tensor ``X`` with ``tensordot(A, X, ind)`` the identity (``torch.linalg.tensorinv``):
    ``A`` as a matrix of its first ``ind`` dims by the rest, inverted, reshaped to ``A.shape[ind:]
    + A.shape[:ind]``."""
    if not isinstance(ind, int) or ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, columns = math.prod(A.shape[:ind]), math.prod(A.shape[ind:])
    if rows != columns:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {columns} != {rows}")
    return inv(A.reshape(rows, columns)).reshape(*A.shape[ind:], *A.shape[:ind])


@float32_op
def tensorsolve(A, B, dims=None):
    """The tensor ``X`` with ``tensordot(A, X, X.ndim) = B`` (``torch.linalg.tensorsolve``):
    ``dims`` of ``A`` are first moved to the end; then ``A`` is a square matrix of ``B``'s
    shape by the rest, and ``X`` has shape ``A.shape[B.ndim:]``."""
    if dims is not None:
        dims = [d % A.ndim for d in dims]
        rest = [d for d in range(A.ndim) if d not in dims]
        A = A.permute(*rest, *dims)
    result_shape = tuple(A.shape[B.ndim:])
    rows, columns = math.prod(A.shape[:B.ndim]), math.prod(result_shape)
    if rows != columns:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[other.ndim:]) "
                           f"== prod(self.shape[:other.ndim]), but got {columns} != {rows}")
    return solve(A.reshape(rows, columns), B.reshape(rows)).reshape(*result_shape)

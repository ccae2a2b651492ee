"""``torch.linalg``'s inverses, solvers, determinants, Cholesky factorization and matrix
products, exported by ``tinygrad_bn.linalg`` (the other factorizations are in
``linalg_factorizations``): the argument checks with PyTorch's messages, the shapes (batches
of matrices in the last two dims, vector right-hand sides) and the named tuples. The numerics
and the gradients are the ops of ``ops.linalg_decompositions`` (NumPy's LAPACK); what is a
composition (``matrix_power``, ``multi_dot``, ``logdet``, ...) is made of differentiable ops,
as in PyTorch.

Real dtypes only: tinygrad_bn has no complex tensors, so ``eig`` and ``eigvals`` (complex
results for real input) are not provided.
"""

from .autocast_state import float32_op, lower_precision_op
from . import dtypes
from .creation import eye, zeros
from .ops.derived import Derived
from .ops.linalg import LinAlgError  # noqa: F401 - raised by the ops
from .ops.linalg_decompositions import (
    Cholesky, CholeskyInverse, CholeskySolve, Determinant, DeterminantSign, Inverse,
    LogAbsDeterminant, Solve, TriangularSolve, cholesky_ex as _cholesky_ex, singular_infos,
)
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


def broadcast_batches(a_shape, b_shape):
    """PyTorch's error for batch shapes that do not broadcast (``a`` the right-hand side's,
    ``b`` the matrix's, as PyTorch names them), naming the first mismatch from the right."""
    for dim in range(1, min(len(a_shape), len(b_shape)) + 1):
        a_size, b_size = a_shape[-dim], b_shape[-dim]
        if a_size != b_size and a_size != 1 and b_size != 1:
            raise RuntimeError(f"The size of tensor a ({a_size}) must match the size of tensor "
                               f"b ({b_size}) at non-singleton dimension "
                               f"{max(len(a_shape), len(b_shape)) - dim}")


def _solve(A, B, left, check_errors):
    check_matrices(A, "linalg.solve", half="lu_cpu")
    _check_same_dtype(A, B, "linalg.solve")
    vector = _solve_shapes(A, B, "linalg.solve", left)
    broadcast_batches(tuple(B.shape[:-1 if vector else -2]), tuple(A.shape[:-2]))
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
    check_matrices(A, name, integers="triangular_solve_cpu", half="triangular_solve_cpu")
    if B.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor B must have at least 2 dimensions.")
    n = A.shape[-1]
    if B.shape[-2 if left else -1] != n:
        equation = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation {equation} "
                           f"({A.shape[-2]}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    if B._array.dtype != A._array.dtype:  # PyTorch solves in A's dtype
        B = B.to(A.dtype)
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


def logdet(A):
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
    for index, matrix in enumerate(tensors[1:-1], start=1):
        if matrix.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {index} must be 2D but got {matrix.ndim}D")
    dtype = first.dtype
    for index, matrix in enumerate(tensors[1:], start=1):
        if matrix.dtype != dtype:
            raise RuntimeError(
                f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                f"{dtypes.scalar_type_name(first._array.dtype).lower()} and tensor {index} "
                f"{dtypes.scalar_type_name(matrix._array.dtype).lower()}")
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
    for operand in (x, y):
        if not dtypes.is_floating(operand._array.dtype):
            raise RuntimeError("linalg.vecdot: Expected a floating point or complex tensor as "
                               f"input. Got {dtypes.scalar_type_name(operand._array.dtype)}")
    if x._array.dtype != y._array.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found "
                           f"x of type {dtypes.scalar_type_name(x._array.dtype)} and y of type "
                           f"{dtypes.scalar_type_name(y._array.dtype)} instead")
    if x.ndim == 1 and y.ndim == 1 and x.shape[0] != y.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{x.shape[0]}] and src "
                           f"[{y.shape[0]}] to have the same number of elements, but got "
                           f"{x.shape[0]} and {y.shape[0]} elements respectively")
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


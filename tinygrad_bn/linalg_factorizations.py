"""``torch.linalg``'s factorizations, exported by ``tinygrad_bn.linalg``: ``qr``, ``eigh``,
``eigvalsh``, ``svd``, ``pinv``, ``matrix_rank``, ``lstsq``, ``cond``, ``matrix_exp``, the LU
family (``lu_factor``, ``lu``, ``lu_solve``, ``torch.lu_unpack``), the LDL^T family
(``ldl_factor``, ``ldl_factor_ex``, ``ldl_solve``), the Householder products
(``householder_product``, ``torch.ormqr``, ``torch.geqrf``), the deprecated
``torch.triangular_solve``, and ``tensorinv``/``tensorsolve``. Argument checks with PyTorch's
messages and the named tuples are here; the numerics and gradients are the ops of
``ops.linalg_decompositions``, ``ops.linalg_lu`` and ``ops.linalg_ldl``. The inverses, solves,
determinants and Cholesky are in ``linalg_solvers``.
"""

from .autocast_state import float32_op
import math

import numpy as np

from . import dtypes
from .autograd import is_grad_enabled
from .creation import eye, tensor, zeros
from .linalg_solvers import (
    LinAlgError, _check_same_dtype, check_matrices, inv, inv_ex, solve,
)
from .ops.derived import Derived
from .ops.linalg_decompositions import (
    QR, SVD, MatrixExp, PseudoInverse, SymmetricEigen, TriangularSolve,
)
from .ops.linalg_ldl import ldl_factor as ldl_factor_arrays, ldl_solve as ldl_solve_arrays
from .ops.linalg_lu import (
    LU, LUFactor, LUSolve, lu_factor as lu_factor_arrays, permutation_matrix,
)
from .printing import _result_tuple
from .tensor import Tensor

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
    """The eigenvalues of each symmetric matrix, ascending. As PyTorch, the eigenvectors are
    computed too only when a gradient is wanted (``eigh(A, UPLO).eigenvalues``); otherwise
    LAPACK computes the eigenvalues alone, which may differ from those ``eigh`` gives in the
    last bits, as in PyTorch."""
    if A.requires_grad and is_grad_enabled():
        return eigh(A, UPLO).eigenvalues
    _check_eigh(A, UPLO)
    return Derived.apply(A, function=_eigenvalues, keywords={"uplo": UPLO})


def _eigenvalues(a, uplo):
    """The eigenvalues of the symmetric matrices of ``a`` (LAPACK's ``syevd`` without vectors)."""
    if a.size == 0:
        return np.zeros(a.shape[:-1], a.dtype)
    return np.linalg.eigvalsh(a, UPLO=uplo)


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


def _tolerances(A, atol, rtol):
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
    atol, rtol = _tolerances(A, atol, rtol)
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
    if hermitian and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.eigh: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if tol is not None:
        atol, rtol = tol, 0.0
    atol, rtol = _tolerances(A, atol, rtol)
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
    relative cutoff of the singular values. The solution is ``pinv(A) B``; its gradients are
    PyTorch's, those of ``pinv(A) B`` (PyTorch's use the default cutoff even when ``rcond`` is
    given; ours use ``rcond``), and its values agree with LAPACK's to rounding."""
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if B.ndim < 1:
        raise RuntimeError("torch.linalg.lstsq: other must have at least 1 dimension.")
    if A._array.dtype != B._array.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same "
                           f"dtype, but got input's dtype {dtypes.scalar_type_name(A._array.dtype)}"
                           f" and other's dtype {dtypes.scalar_type_name(B._array.dtype)}")
    if A._array.dtype not in (dtypes.float32, dtypes.float64):
        raise RuntimeError("This function doesn't handle types other than float and double")
    driver = "gelsy" if driver is None else driver
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, "
                           "gelsy, gelsd, gelss)")
    vector = B.ndim == A.ndim - 1
    matrix_b = B.unsqueeze(-1) if vector else B
    if A.shape[-2] != matrix_b.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
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
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.cond(ord={p}): A must be batches of square matrices, but "
                           f"they are {A.shape[-2]} by {A.shape[-1]} matrices")
    check_matrices(A, "linalg.inv")
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
    check_matrices(LU, "torch.linalg.lu_solve", half="linalg.lu_solve_cpu")
    if pivots._array.dtype != dtypes.int32:
        raise RuntimeError(f"{name}: pivots should be a Tensor of scalar type torch.int32")
    if B.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor B must have at least 2 dimensions.")
    if tuple(pivots.shape) != tuple(LU.shape[:-1]):
        raise RuntimeError(f"{name}: Expected LU.shape[:-1] and pivots.shape to be the same, but "
                           f"got pivots with shape {list(pivots.shape)} instead")
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
        raise RuntimeError(f"{name}: tau.shape[-1] must be equal to "
                           f"min(other.shape[{-2 if left else -1}], input.shape[-1])")
    if tau.ndim != input.ndim - 1:
        raise RuntimeError(f"{name}: Expected tau to have one dimension less than input, but got "
                           f"tau.ndim equal to {tau.ndim} and input.ndim is equal to {input.ndim}")
    if tuple(tau.shape[:-1]) != tuple(input.shape[:-2]):
        raise RuntimeError(f"{name}: Expected batch dimensions of tau to be equal to "
                           f"input.shape[:-2], but got {list(tau.shape[:-1])}")
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


# ---------------------------------------------------------------------- LDL^T

linalg_ldl_factor = _result_tuple("linalg_ldl_factor", ("LD", "pivots"))
linalg_ldl_factor_ex = _result_tuple("linalg_ldl_factor_ex", ("LD", "pivots", "info"))


def _ldl_part(a, part):
    return ldl_factor_arrays(a)[part]


def ldl_factor_ex(A, *, hermitian=False, check_errors=False):
    """``(LD, pivots, info)`` (``torch.return_types.linalg_ldl_factor_ex``): the Bunch-Kaufman
    factorization ``A = P L D L^T P^T`` of each symmetric matrix (its lower triangle read),
    packed as LAPACK's ``sytrf`` (see ``ops.linalg_ldl``); ``info`` is the first zero block of
    ``D`` (1-based), else 0. ``hermitian`` is the same for real matrices. Not differentiable
    (nor is PyTorch's): the results are outside the graph."""
    name = "torch.linalg.ldl_factor_ex"
    check_matrices(A, name, half="ldl_factor_kernel_cpu")
    factors, pivots, infos = (Derived.apply(A.detach(), function=_ldl_part,
                                            keywords={"part": part}) for part in range(3))
    if check_errors and infos._array.any():
        _raise_ldl_error(infos, name)
    return linalg_ldl_factor_ex(factors, pivots, infos)


def _raise_ldl_error(infos, name):
    """PyTorch's error for a zero block of ``D`` (it reports LAPACK's code as unknown)."""
    flat = infos._array.reshape(-1)
    index = int(np.flatnonzero(flat)[0])
    prefix = f"(Batch element {index}): " if infos.ndim else ""
    raise RuntimeError(f"{name}: {prefix}Unknown error code: {int(flat[index])}.")


def ldl_factor(A, *, hermitian=False):
    """``(LD, pivots)`` (``torch.return_types.linalg_ldl_factor``), as ``ldl_factor_ex``; a zero
    block of ``D`` raises (PyTorch reports it as an unknown LAPACK error code)."""
    LD, pivots, infos = ldl_factor_ex(A, hermitian=hermitian)
    if infos._array.any():
        _raise_ldl_error(infos, "torch.linalg.ldl_factor")
    return linalg_ldl_factor(LD, pivots)


def _ldl_solve(factors, pivots, b):
    return ldl_solve_arrays(factors, pivots, b)


def ldl_solve(LD, pivots, B, *, hermitian=False):
    """``X`` with ``A X = B`` from ``ldl_factor``'s ``(LD, pivots)`` (LAPACK's ``sytrs``);
    ``B`` ``(..., n, k)``, batch dims broadcast. Not differentiable (nor is PyTorch's)."""
    name = "torch.linalg.ldl_solve"
    check_matrices(LD, name, half="ldl_solve_cpu")
    if tuple(pivots.shape) != tuple(LD.shape[:-1]):
        raise RuntimeError(f"{name}: Expected LD.shape[:-1] and pivots.shape to be the same, but "
                           f"got pivots with shape {list(pivots.shape)} instead")
    if B.ndim < 2:
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got -2)")
    if B.shape[-2] != LD.shape[-1]:
        raise RuntimeError(f"Incompatible matrix sizes for {name}: each A matrix is "
                           f"{LD.shape[-2]} by {LD.shape[-1]} but each b matrix is {B.shape[-2]} "
                           f"by {B.shape[-1]}")
    if B._array.dtype != LD._array.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{dtypes.scalar_type_name(B._array.dtype)} and A of type "
                           f"{dtypes.scalar_type_name(LD._array.dtype)} instead.")
    return Derived.apply(LD.detach(), pivots, B.detach(), function=_ldl_solve)


# ---------------------------------------------------------------------- general eigenproblem

linalg_eig = _result_tuple("linalg_eig", ("eigenvalues", "eigenvectors"))


def _check_eig(A, name):
    """PyTorch's checks of ``linalg.eig``'s input: a batch of square floating or complex
    matrices without infinities or NaNs."""
    from .tensor.arguments import _tensor_argument

    _tensor_argument(A, name, "input", 0)
    dtype = A._array.dtype
    if dtype.kind not in "fc":
        raise RuntimeError(f"Unknown Complex ScalarType for {dtypes.scalar_type_name(dtype)}")
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if dtype == dtypes.float16:
        raise dtypes.not_implemented("linalg_eig_out_cpu", dtype)
    if not np.isfinite(A._array).all():
        raise RuntimeError("torch.linalg.eig: input tensor should not contain infs or NaNs.")


@float32_op
def eig(A):
    """``(eigenvalues, eigenvectors)`` (``torch.return_types.linalg_eig``) of each square
    matrix: complex (complex64 for float32 input), the eigenvectors the columns of ``(..., n,
    n)``, each of norm 1 (LAPACK's ``geev``, as PyTorch); differentiable (see ``ops.linalg_eig.
    Eigen``)."""
    from .ops.linalg_eig import Eigen

    _check_eig(A, "linalg.eig")
    n = A.shape[-1]
    values, vectors = unpack(Eigen.apply(A), [(n,), (n, n)])
    return linalg_eig(values, vectors)


@float32_op
def eigvals(A):
    """The eigenvalues of each square matrix, complex, as ``eig(A).eigenvalues``."""
    _check_eig(A, "linalg.eigvals")
    return eig(A).eigenvalues

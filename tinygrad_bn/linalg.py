"""``tinygrad_bn.linalg``: PyTorch's norms, ``vector_norm``, ``matrix_norm`` and ``norm``, the
singular values ``svdvals`` the spectral and nuclear norms are made of, ``cross``,
``diagonal`` and ``vander``; the inverses, solvers, determinants and factorizations
(``inv``, ``solve``, ``det``, ``slogdet``, ``cholesky``, ``solve_triangular``, ``qr``,
``eigh``, ``svd``, ``pinv``, ``lstsq``, ...) are in ``linalg_solvers`` and
``linalg_factorizations`` and exported here.

Vector norms are one ``Norm`` op (see ``ops.reduce.Norm``); the matrix norms of order
``"fro"``, ``1``, ``-1``, ``inf`` and ``-inf`` are compositions of ``abs``, ``sum`` and
``amax``/``amin``; those of order ``2``, ``-2`` and ``"nuc"`` are the largest, the smallest
and the sum of the singular values (``ops.linalg.SingularValues``). All are differentiable,
with PyTorch's subgradients where the norm is not differentiable (at zero, at ties).
"""

import math

from .autocast_state import float32_op
from . import dtypes
from .ops import SingularValues
from .ops.linalg import LinAlgError  # noqa: F401 - torch.linalg.LinAlgError
from .shapes import normalize_dim
from .tensor.arithmetic import _cross
from .tensor.arranging import _powers
from .linalg_solvers import (  # noqa: F401 - torch.linalg's names
    cholesky, cholesky_ex, det, inv, inv_ex, matrix_power, multi_dot, slogdet, solve, solve_ex,
    solve_triangular, vecdot,
)
from .linalg_factorizations import (  # noqa: F401 - torch.linalg's names
    cond, eigh, eigvalsh, householder_product, ldl_factor, ldl_factor_ex, ldl_solve, lstsq, lu,
    lu_factor, lu_factor_ex, lu_solve, matrix_exp, matrix_rank, pinv, qr, svd, tensorinv,
    tensorsolve,
)
from .linalg_factorizations import eig, eigvals  # noqa: F401,E402 - torch.linalg's names
from .tensor import Tensor as _Tensor
from .tensor import out_argument as _out

# PyTorch's out= (written into; dtype exactly the result's) on the single-result solvers,
# named in errors as PyTorch names the aten op that checks it
inv = _out.with_out(inv, "linalg_inv_ex", dtype=_out.EXACT, overlap=None)
det = _out.with_out(det, "_linalg_det", dtype=_out.EXACT, overlap=None)
solve = _out.with_out(solve, "_linalg_solve_ex", dtype=_out.EXACT, overlap=None)
cholesky = _out.with_out(cholesky, "linalg_cholesky_ex", dtype=_out.EXACT, overlap=None)
eigvalsh = _out.with_out(eigvalsh, "_linalg_eigh", dtype=_out.EXACT, overlap=None)


def matmul(input, other):
    """``torch.linalg.matmul``: ``input @ other`` (``torch.matmul``)."""
    return _Tensor.matmul(input, other)

_SINGULAR_VALUE_ORDERS = (2, -2, "nuc")


def cross(input, other, *, dim=-1):
    """The cross product of 3-vectors along ``dim`` (the last by default), the operands
    broadcast together: ``Tensor.cross`` with a default dim and no deprecation."""
    return _cross(input, other, dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """``A.diagonal(offset, dim1, dim2)`` with the last two dims by default: the diagonals of
    a batch of matrices, a view."""
    return A.diagonal(offset, dim1, dim2)


def vander(x, N=None):
    """The Vandermonde matrices of the vectors in the last dim of ``x``: ``(..., n) -> (...,
    n, N)`` with columns ``x**0, x**1, ..., x**(N-1)`` (``N = n`` by default), a ``cumprod``
    as PyTorch's; floating and integer tensors, in their dtype."""
    if x._array.dtype is dtypes.bool:
        raise RuntimeError("linalg.vander supports floating point, complex, and integer "
                           "tensors, but got Bool")
    x = x if x.ndim else x.reshape(1)  # a 0-d tensor as one value, as PyTorch
    n = x.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    return _powers(x, n)


@float32_op
def svdvals(A, *, driver=None):
    """The singular values of the matrices in the last two dims of ``A``, in descending order:
    shape ``(..., m, n) -> (..., min(m, n))``. Floating tensors of 32 or 64 bits, as PyTorch on
    the CPU; ``driver`` is for CUDA there and is refused here too."""
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on "
                           "CUDA inputs with cuSOLVER backend.")
    if not dtypes.is_floating(A._array.dtype):
        raise RuntimeError("linalg.svd: Expected a floating point or complex tensor as input. "
                           f"Got {dtypes.scalar_type_name(A._array.dtype)}")
    if A._array.dtype == dtypes.float16:
        raise dtypes.not_implemented("linalg_svd_cpu", dtypes.float16)
    if A.ndim < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    return SingularValues.apply(A)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """``sum(|x|**ord) ** (1/ord)`` over ``dim`` (all elements when None); ``ord=inf`` is
    ``max |x|``, ``-inf`` ``min |x|``, ``0`` the count of nonzeros. Floating tensors only;
    computed in ``dtype`` when given."""
    if isinstance(ord, str):
        raise TypeError("linalg_vector_norm(): argument 'ord' must be Number, not str")
    return x._vector_norm(ord, dim, keepdim, dtype)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The norm of the matrices in dims ``dim`` of ``A``: ``"fro"`` (the square root of the sum
    of squares), ``"nuc"`` (the sum of the singular values), ``2``/``-2`` (the largest/smallest
    singular value), ``1``/``-1`` (the largest/smallest column sum of ``|A|``), ``inf``/``-inf``
    (the largest/smallest row sum). A largest value over no matrix entries is 0; a smallest one
    is refused, as in PyTorch. The orders of singular values refuse float16, as PyTorch's."""
    if ord not in ("fro", 1, -1, math.inf, -math.inf) + _SINGULAR_VALUE_ORDERS:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    source = A._norm_input(dtype, "linalg.matrix_norm")
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    if len(dims) != 2:
        raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                           + " ".join(map(str, dims)))
    rows, columns = (normalize_dim(d, A.ndim) for d in dims)
    if rows == columns:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dims[0]}, "
                           f"{dims[1]})")
    if ord == "fro":
        return vector_norm(source, 2, (rows, columns), keepdim)
    if ord in _SINGULAR_VALUE_ORDERS:
        if A._array.dtype == dtypes.float16:
            raise RuntimeError("linalg.matrix_norm: Low precision dtypes not supported. Got Half")
        rest = [d for d in range(A.ndim) if d not in (rows, columns)]
        singular_values = svdvals(source.permute(*rest, rows, columns))
        if ord == "nuc":
            result = singular_values.sum(dim=-1)
        else:
            result = _largest_or_smallest(singular_values, -1, ord > 0)
        if keepdim:  # the two dims come back as size 1 where they were
            for d in sorted((rows, columns)):
                result = result.unsqueeze(d)
        return result
    if math.isinf(ord):  # row sums instead of column sums
        rows, columns = columns, rows
    sums = source.abs().sum(dim=rows, keepdim=True)
    result = _largest_or_smallest(sums, columns, ord > 0, keepdim=True)
    return result if keepdim else result.squeeze((rows, columns))


def _largest_or_smallest(values, dim, largest, keepdim=False):
    """``amax`` or ``amin`` over ``dim``: for a norm, the largest of no values is 0 (PyTorch's
    ``matrix_norm``), the smallest is refused by ``amin``."""
    if largest and values.shape[dim] == 0:
        return values.sum(dim=dim, keepdim=keepdim)  # zeros, in the graph
    return values.amax(dim=dim, keepdim=keepdim) if largest else values.amin(dim=dim,
                                                                            keepdim=keepdim)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """PyTorch's ``linalg.norm``: a vector norm over one dim (or over all elements when neither
    ``ord`` nor ``dim`` is given), a matrix norm over two dims (a 2-D input without ``dim``, or
    a string ``ord``)."""
    if dim is not None:
        dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
        if len(dims) == 2 or isinstance(ord, str):
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        if len(dims) == 1:
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        raise RuntimeError("linalg.norm: If dim is specified, it must be of length 1 or 2. Got "
                           f"{list(dims)}")
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim not in (1, 2):
        raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input must be "
                           f"1D or 2D. Got {A.ndim}D.")
    if isinstance(ord, str) or A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    return vector_norm(A, ord, None, keepdim, dtype=dtype)

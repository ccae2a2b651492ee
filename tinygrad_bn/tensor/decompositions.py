"""Tensor methods of linear algebra (``inverse``, ``det``, ``logdet``, ``slogdet``, ``cholesky``,
``cholesky_solve``, ``cholesky_inverse``, ``matrix_power``, ``matrix_exp``, ``pinverse``,
``qr``, ``svd``, ``lu``, ``lu_solve``, ``triangular_solve``, ``geqrf``, ``orgqr``, ``ormqr``)
and the module-level functions of the same names with PyTorch's older spellings
(``torch.inverse``, ``torch.cholesky`` with ``upper=``, ``torch.svd`` returning ``V``,
``torch.chain_matmul``, ``torch.lu_unpack``).

The work is ``tinygrad_bn.linalg``'s (``linalg_solvers``, ``linalg_factorizations``), imported
when first called: those modules build on ``Tensor``, which these methods are part of.
"""

from __future__ import annotations

import warnings

from ..autocast_state import float32_op
from ..printing import _result_tuple

slogdet_result = _result_tuple("slogdet", ("sign", "logabsdet"))
svd_result = _result_tuple("svd", ("U", "S", "V"))
qr_result = _result_tuple("qr", ("Q", "R"))

_CHOLESKY_DEPRECATION = (
    "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a "
    "future PyTorch release.\nL = torch.cholesky(A)\nshould be replaced with\nL = "
    "torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, upper=True)\nshould be replaced "
    "with\nU = torch.linalg.cholesky(A).mH\nThis transform will produce equivalent results for "
    "all valid (symmetric positive definite) inputs.")


_LU_DEPRECATION = (
    "torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex and "
    "will be removed in a future PyTorch release.\nLU, pivots = torch.lu(A, compute_pivots)\n"
    "should be replaced with\nLU, pivots = torch.linalg.lu_factor(A, compute_pivots)\nand\n"
    "LU, pivots, info = torch.lu(A, compute_pivots, get_infos=True)\nshould be replaced with\n"
    "LU, pivots, info = torch.linalg.lu_factor_ex(A, compute_pivots)")


_TRIANGULAR_SOLVE_DEPRECATION = (
    "torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangular and will be "
    "removed in a future PyTorch release.\ntorch.linalg.solve_triangular has its arguments "
    "reversed and does not return a copy of one of the inputs.\nX = torch.triangular_solve(B, "
    "A).solution\nshould be replaced with\nX = torch.linalg.solve_triangular(A, B).")


def _solvers():
    from .. import linalg_solvers
    return linalg_solvers


def _factorizations():
    from .. import linalg_factorizations
    return linalg_factorizations


class DecompositionMethods:
    """Linear algebra on the matrices in the last two dims of a tensor."""

    @float32_op
    def inverse(self):
        """``torch.linalg.inv(self)``: the inverse of each square matrix."""
        return _solvers().inv(self)

    def det(self):
        """``torch.linalg.det(self)``: the determinant of each square matrix."""
        return _solvers().det(self)

    def logdet(self):
        """``log det`` of each square matrix: NaN where the determinant is negative, ``-inf``
        where it is 0 (from ``slogdet``, as PyTorch)."""
        solvers = _solvers()
        solvers.check_matrices(self, "logdet")
        return solvers.logdet(self)

    def slogdet(self):
        """``(sign, logabsdet)`` of each square matrix (``torch.return_types.slogdet``), as
        ``torch.linalg.slogdet``."""
        return slogdet_result(*_solvers().slogdet(self))

    @float32_op
    def cholesky(self, upper=False):
        """The deprecated ``torch.cholesky``: ``torch.linalg.cholesky(self, upper=upper)`` with
        PyTorch's deprecation warning and its messages, named ``cholesky``."""
        warnings.warn(_CHOLESKY_DEPRECATION, UserWarning, stacklevel=2)
        solvers = _solvers()
        solvers.check_matrices(self, "cholesky", integers="cholesky_cpu", half="cholesky_cpu")
        from ..ops.linalg_decompositions import Cholesky
        return Cholesky.apply(self, upper=upper, caller="cholesky")

    @float32_op
    def cholesky_solve(self, input2, upper=False):
        """``X = A^-1 self`` for ``A = L L^T`` given its Cholesky factor ``input2`` (``U^T U``
        with ``upper``); batch dims broadcast. See ``linalg_solvers.cholesky_solve``."""
        return _solvers().cholesky_solve(self, input2, upper)

    @float32_op
    def cholesky_inverse(self, upper=False):
        """``A^-1`` for ``A = L L^T`` given its Cholesky factor ``self`` (``U^T U`` with
        ``upper``)."""
        return _solvers().cholesky_inverse(self, upper)

    def matrix_power(self, n):
        """``torch.linalg.matrix_power(self, n)``."""
        return _solvers().matrix_power(self, n)

    def matrix_exp(self):
        """``torch.linalg.matrix_exp(self)``: ``exp`` of each square matrix."""
        return _factorizations().matrix_exp(self)

    @float32_op
    def pinverse(self, rcond=1e-15):
        """``torch.linalg.pinv(self, rtol=rcond)`` (``atol`` 0): the pseudo-inverse."""
        return _factorizations().pinv(self, atol=0.0, rtol=rcond)

    @float32_op
    def qr(self, some=True):
        """The older ``torch.qr``: ``torch.linalg.qr`` with mode ``"reduced"`` (``some``) or
        ``"complete"``, as ``torch.return_types.qr``."""
        return qr_result(*_factorizations().qr(self, "reduced" if some else "complete"))

    def lu(self, pivot=True, get_infos=False):
        """The deprecated ``torch.lu``: ``(LU, pivots)`` of ``torch.linalg.lu_factor`` (with
        ``info`` too, and no error for a zero pivot, when ``get_infos``)."""
        warnings.warn(_LU_DEPRECATION, UserWarning, stacklevel=2)
        result = _factorizations().lu_factor_ex(self, pivot=pivot)
        if get_infos:
            return _factorizations().lu_with_info(*result)
        _factorizations()._raise_lu_error(result.info, "torch.linalg.lu_factor")
        return result.LU, result.pivots

    @float32_op
    def lu_solve(self, LU_data, LU_pivots):
        """``torch.lu_solve(b, LU_data, LU_pivots)``: ``torch.linalg.lu_solve(LU_data,
        LU_pivots, b)``."""
        return _factorizations().lu_solve(LU_data, LU_pivots, self)

    @float32_op
    def triangular_solve(self, A, upper=True, transpose=False, unitriangular=False):
        """The deprecated ``torch.triangular_solve(b, A)``: ``(solution, cloned_coefficient)``
        (see ``linalg_factorizations.triangular_solve``), with PyTorch's deprecation warning."""
        warnings.warn(_TRIANGULAR_SOLVE_DEPRECATION, UserWarning, stacklevel=2)
        return _factorizations().triangular_solve(self, A, upper, transpose, unitriangular)

    @float32_op
    def geqrf(self):
        """``torch.geqrf(self)``: LAPACK's Householder QR, ``(a, tau)``."""
        return _factorizations().geqrf(self)

    @float32_op
    def orgqr(self, input2):
        """``torch.orgqr``: ``torch.linalg.householder_product(self, input2)``."""
        return _factorizations().householder_product(self, input2)

    @float32_op
    def ormqr(self, input2, input3, left=True, transpose=False):
        """``torch.ormqr(self, tau, other, left, transpose)``: ``other`` times the ``Q`` of a
        ``geqrf`` result."""
        return _factorizations().ormqr(self, input2, input3, left, transpose)

    @float32_op
    def svd(self, some=True, compute_uv=True):
        """The older ``torch.svd``: ``(U, S, V)`` (``torch.return_types.svd``) with ``A = U
        diag(S) V^T``, thin factors when ``some`` (the default, unlike ``linalg.svd``). Without
        ``compute_uv``, ``U`` and ``V`` are zero matrices ``(..., m, m)`` and ``(..., n, n)``,
        as PyTorch's."""
        if self.ndim < 2:
            raise RuntimeError("linalg.svd: input should have at least 2 dimensions, but has "
                               f"{self.ndim} dimensions instead")
        solvers = _factorizations()
        if not compute_uv:
            from ..linalg import svdvals
            singular_values = svdvals(self)
            m, n = self.shape[-2:]
            zeros = solvers.zeros
            return svd_result(zeros(*self.shape[:-2], m, m, dtype=self.dtype), singular_values,
                              zeros(*self.shape[:-2], n, n, dtype=self.dtype))
        u, s, vh = solvers.svd(self, full_matrices=not some)
        return svd_result(u, s, vh.mT)


def inverse(input):
    """``torch.inverse``: ``torch.linalg.inv``."""
    return DecompositionMethods.inverse(input)


def det(input):
    """``torch.det``: ``torch.linalg.det``."""
    return DecompositionMethods.det(input)


def logdet(input):
    """``torch.logdet``: ``log det`` of each square matrix."""
    return DecompositionMethods.logdet(input)


def slogdet(input):
    """``torch.slogdet``: ``(sign, logabsdet)`` as ``torch.return_types.slogdet``."""
    return DecompositionMethods.slogdet(input)


def cholesky(input, upper=False):
    """The deprecated ``torch.cholesky(A, upper=False)``."""
    warnings.warn(_CHOLESKY_DEPRECATION, UserWarning, stacklevel=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return DecompositionMethods.cholesky(input, upper)


def cholesky_solve(input, input2, upper=False):
    """``torch.cholesky_solve(B, L, upper=False)``."""
    return DecompositionMethods.cholesky_solve(input, input2, upper)


def cholesky_inverse(input, upper=False):
    """``torch.cholesky_inverse(L, upper=False)``."""
    return DecompositionMethods.cholesky_inverse(input, upper)


def matrix_power(input, n):
    """``torch.matrix_power``: ``torch.linalg.matrix_power``."""
    return DecompositionMethods.matrix_power(input, n)


def matrix_exp(input):
    """``torch.matrix_exp``: ``torch.linalg.matrix_exp``."""
    return DecompositionMethods.matrix_exp(input)


def pinverse(input, rcond=1e-15):
    """``torch.pinverse``: ``torch.linalg.pinv(input, rtol=rcond)``."""
    return DecompositionMethods.pinverse(input, rcond)


def qr(input, some=True):
    """``torch.qr``: ``(Q, R)`` as ``torch.return_types.qr``."""
    return DecompositionMethods.qr(input, some)


def svd(input, some=True, compute_uv=True):
    """``torch.svd``: ``(U, S, V)``, ``V`` not transposed (see ``Tensor.svd``)."""
    return DecompositionMethods.svd(input, some, compute_uv)


def lu(A, pivot=True, get_infos=False):
    """The deprecated ``torch.lu`` (see ``Tensor.lu``)."""
    warnings.warn(_LU_DEPRECATION, UserWarning, stacklevel=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return DecompositionMethods.lu(A, pivot, get_infos)


def lu_solve(b, LU_data, LU_pivots):
    """``torch.lu_solve(b, LU_data, LU_pivots)``."""
    return DecompositionMethods.lu_solve(b, LU_data, LU_pivots)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """``torch.lu_unpack``: ``(P, L, U)`` from ``lu_factor``'s packed result."""
    return _factorizations().lu_unpack(LU_data, LU_pivots, unpack_data, unpack_pivots)


def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False):
    """The deprecated ``torch.triangular_solve(b, A)`` (see ``Tensor.triangular_solve``)."""
    warnings.warn(_TRIANGULAR_SOLVE_DEPRECATION, UserWarning, stacklevel=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return DecompositionMethods.triangular_solve(input, A, upper, transpose, unitriangular)


def geqrf(input):
    """``torch.geqrf``: LAPACK's Householder QR, ``(a, tau)``."""
    return DecompositionMethods.geqrf(input)


def orgqr(input, input2):
    """``torch.orgqr``: ``torch.linalg.householder_product``."""
    return DecompositionMethods.orgqr(input, input2)


def ormqr(input, input2, input3, left=True, transpose=False):
    """``torch.ormqr``: ``other`` times the ``Q`` of a ``geqrf`` result."""
    return DecompositionMethods.ormqr(input, input2, input3, left, transpose)


def chain_matmul(*matrices):
    """The deprecated ``torch.chain_matmul``: ``torch.linalg.multi_dot`` of 2-D matrices (one
    matrix is returned as a copy)."""
    if len(matrices) == 1:
        if matrices[0].ndim != 2:
            raise RuntimeError(f"chain_matmul(): Expected one or more matrices as input but "
                               f"got a {matrices[0].ndim}D tensor")
        return matrices[0].clone()
    for index, matrix in enumerate(matrices):
        if matrix.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {matrix.ndim}, expected 2 instead.")
    return _solvers().multi_dot(matrices)

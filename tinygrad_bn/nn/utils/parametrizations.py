"""``torch.nn.utils.parametrizations``: orthogonal matrices, weight normalization and spectral
normalization as parametrizations (``parametrize.register_parametrization``), PyTorch's
modules, names, defaults, ``state_dict`` keys and error messages.
"""

from __future__ import annotations

from enum import Enum, auto

from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from .. import functional as F
from ..conv import ConvTranspose1d, ConvTranspose2d
from ..module import Module
from . import parametrize

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


def _is_orthogonal(Q: Tensor) -> bool:
    """Whether ``Q^H Q`` is the identity within ``10 n eps`` (absolute), ``Q`` ``(..., n, k)``."""
    from ... import allclose, eye, finfo
    n, k = Q.shape[-2], Q.shape[-1]
    identity = eye(k, dtype=Q.dtype)
    return allclose(Q.mH @ Q, identity, atol=10.0 * n * finfo(Q.dtype).eps)


def _make_orthogonal(A: Tensor) -> Tensor:
    """The ``Q`` of ``A = QR`` (``A`` tall, real or complex) with ``diag(R)`` real and
    non-negative: ``householder_product`` of ``geqrf``, its columns multiplied by the signs of
    ``R``'s diagonal."""
    from ... import geqrf, linalg
    X, tau = geqrf(A)
    Q = linalg.householder_product(X, tau)
    Q *= X.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)
    return Q


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    """An orthogonal (unitary) matrix or batch of matrices ``Q`` ``(..., n, k)`` from an
    unconstrained tensor ``X`` of the same shape; a wide ``X`` (``n < k``) is transposed,
    mapped and transposed back, so ``Q`` has orthonormal columns when tall and orthonormal rows
    when wide.

    - ``matrix_exp`` / ``cayley``: ``A = L - L^H`` with ``L`` the lower triangle of ``X``
      (padded with zero columns to ``n x n``), skew-symmetric; ``Q`` is the first ``k`` columns
      of ``exp(A)`` or of the Cayley transform ``(I - A/2)^{-1} (I + A/2)``.
    - ``householder``: the product of the reflectors below the diagonal of ``X`` with
      ``tau = 2 / (1 + |v|^2)``, columns multiplied by the diagonal of ``X`` cast to int (the
      diagonal is a fixed sign, not trained; real matrices only).

    With ``use_trivialization`` the buffer ``base`` (``n x n`` orthogonal, set by
    ``right_inverse``) multiplies ``Q`` from the left (the dynamic trivialization of Lezcano
    Casado, 2019, https://arxiv.org/abs/1909.09501); ``right_inverse`` then stores the assigned
    matrix (made orthogonal by QR when it is not, a tall one completed with random columns) in
    ``base`` and returns ``-I``, which every map sends to ``I``. PyTorch's ``_Orthogonal``."""

    base: Tensor

    def __init__(self, weight: Tensor, orthogonal_map: _OrthMaps, *,
                 use_trivialization: bool = True) -> None:
        super().__init__()
        # complex reflectors give n(n-1) real parameters, too few for the n^2 of the unitary group
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        from ... import cat, eye, linalg, matrix_exp
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:
                X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mH
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = matrix_exp(A)
            else:
                identity = eye(n, dtype=A.dtype)
                Q = linalg.solve(identity.add(A, alpha=-0.5), identity.add(A, alpha=0.5))
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = linalg.householder_product(A, tau)
            # the diagonal of X holds the signs (+-1); int() keeps it out of the graph
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q: Tensor) -> Tensor:
        with no_grad():
            return self._right_inverse(Q)

    def _right_inverse(self, Q: Tensor) -> Tensor:
        from ... import cat, geqrf, randn, zeros_like
        if Q.shape != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {Q.shape}.")
        Q_init = Q
        n, k = Q.shape[-2], Q.shape[-1]
        transpose = n < k
        if transpose:
            Q = Q.mT
            n, k = k, n
        if not hasattr(self, "base"):
            if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                raise NotImplementedError(
                    "It is not possible to assign to the matrix exponential "
                    "or the Cayley parametrizations when use_trivialization=False.")
            # householder: the reflectors of Q's QR, with diag(R) > 0 written as the signs
            A, tau = geqrf(Q)
            A.diagonal(dim1=-2, dim2=-1).sign_()
            # LAPACK returns tau exactly zero for a reflection it skips
            A.diagonal(dim1=-2, dim2=-1)[tau == 0.0] *= -1
            return A.mT if transpose else A
        if n == k:
            Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
        else:
            N = randn(*(tuple(Q.shape[:-2]) + (n, n - k)), dtype=Q.dtype)
            Q = _make_orthogonal(cat([Q, N], dim=-1))
        self.base = Q
        neg_identity = zeros_like(Q_init)
        neg_identity.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
        return neg_identity


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Makes ``module.<name>`` (a matrix or a batch of matrices ``(..., m, n)``, real or
    complex) orthogonal: ``Q^H Q = I_n`` if ``m >= n``, ``Q Q^H = I_m`` otherwise, through the
    map ``orthogonal_map``: ``"matrix_exp"``, ``"cayley"`` or ``"householder"`` (default
    ``"matrix_exp"`` for square or complex matrices, ``"householder"`` otherwise; see
    ``_Orthogonal``). The trained tensor is ``parametrizations.<name>.original``; with
    ``use_trivialization=True`` (default) the buffer ``parametrizations.<name>.base`` holds the
    current orthogonal base, initially the weight if it is orthogonal, its QR ``Q`` otherwise.
    Returns ``module``. PyTorch's ``torch.nn.utils.parametrizations.orthogonal``; the random
    columns completing a non-square base come from tinygrad_bn's generator. The complex
    branches (``mH``, the complex default and the householder refusal) follow PyTorch's code
    but are not exercised: tinygrad_bn has no complex dtypes."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    # the maps on the sphere would fit 1-d tensors, but PyTorch refuses them
    if weight.ndim < 2:
        raise ValueError("Expected a matrix or batch of matrices. "
                         f"Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:
    """PyTorch's ``norm_except_dim``: the ``pow``-norm of ``v`` over every dimension but
    ``dim``, kept as size-1 dimensions (shape ``(n, 1, ..., 1)`` for ``dim=0``); ``dim=-1``
    means the norm of the whole tensor, a 0-d tensor (not the last dimension)."""
    if dim == -1:
        return v.norm(pow)
    dim = dim % v.ndim
    return v.norm(pow, [d for d in range(v.ndim) if d != dim], keepdim=True)


def _weight_norm(v: Tensor, g: Tensor, dim: int = 0) -> Tensor:
    """PyTorch's ``_weight_norm``: ``v * (g / norm_except_dim(v, 2, dim))``, the direction of
    ``v`` scaled to the magnitude ``g`` (differentiable in both)."""
    return v * (g / norm_except_dim(v, 2, dim))


class _WeightNorm(Module):
    """``weight = g * v / ||v||``, the norm over every dimension but ``dim`` (over the whole
    tensor for ``dim=None``); ``right_inverse`` splits a weight into ``(g, v)``."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Weight normalization (Salimans and Kingma, 2016, https://arxiv.org/abs/1602.07868):
    ``module.<name>`` becomes ``g * v / ||v||``, with the magnitude ``g`` in
    ``parametrizations.<name>.original0`` (shape ``(out, 1, ...)`` for ``dim=0``, a 0-d tensor
    for ``dim=None``) and the direction ``v`` in ``original1``. A state dict written by the old
    ``nn.utils.weight_norm`` (``<name>_g``, ``<name>_v``) loads into it. Returns ``module``."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(state_dict, prefix, local_metadata, strict, missing_keys,
                                 unexpected_keys, error_msgs):
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            original0, original1 = state_dict.pop(g_key), state_dict.pop(v_key)
            state_dict[f"{prefix}parametrizations.{name}.original0"] = original0
            state_dict[f"{prefix}parametrizations.{name}.original1"] = original1

    module._register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


def reshape_weight_to_matrix(weight: Tensor, dim: int) -> Tensor:
    """``weight`` as a matrix with dimension ``dim`` as its rows and the others flattened
    into its columns: what spectral normalization takes the largest singular value of."""
    if dim != 0:
        weight = weight.permute(dim, *(d for d in range(weight.ndim) if d != dim))
    return weight.flatten(1)


class _SpectralNorm(Module):
    """``weight / sigma``, ``sigma`` the largest singular value of ``weight`` as a matrix
    (``dim`` its rows), estimated as ``u . (W v)`` from the buffers ``_u``, ``_v`` that
    ``n_power_iterations`` steps of the power method refine at each evaluation in training mode
    (in place, without gradient), not in evaluation mode. A 1-d weight is divided by its norm."""

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError("Dimension out of range (expected to be in range of "
                             f"[-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but "
                             f"got n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = reshape_weight_to_matrix(weight, self.dim)
            h, w = weight_mat.shape
            with no_grad():
                u = weight.new_empty(h).normal_(0, 1)
                v = weight.new_empty(w).normal_(0, 1)
                self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
                self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        """``u = normalize(W v)``, ``v = normalize(W^T u)``, ``n_power_iterations`` times,
        written into the buffers in place (PyTorch's order and ``eps``)."""
        with no_grad():
            for _ in range(n_power_iterations):
                F.normalize(weight_mat.mv(self._v), dim=0, eps=self.eps, out=self._u)
                F.normalize(weight_mat.t().mv(self._u), dim=0, eps=self.eps, out=self._v)

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = reshape_weight_to_matrix(weight, self.dim)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        # copies: a later evaluation's in-place update must not change what this one saved
        u, v = self._u.clone(), self._v.clone()
        sigma = u.dot(weight_mat.mv(v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Spectral normalization (Miyato et al., 2018, https://arxiv.org/abs/1802.05957):
    ``module.<name>`` becomes ``W / sigma(W)``, ``sigma`` the largest singular value of ``W``
    reshaped to a matrix with ``dim`` as rows (default 0, 1 for transposed convolutions),
    estimated by the power method (15 iterations at registration from random unit vectors,
    then ``n_power_iterations`` at every read in training mode; the vectors are the buffers
    ``parametrizations.<name>.0._u`` and ``_v``). ``eps`` guards the normalizations.
    Returns ``module``."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d)) else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module

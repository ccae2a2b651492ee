"""``torch.nn.utils.parametrizations``: weight normalization and spectral normalization as
parametrizations (``parametrize.register_parametrization``), PyTorch's modules, names,
defaults and ``state_dict`` keys.

``orthogonal`` is not here: each of its maps needs an operation tinygrad_bn lacks
(``matrix_exp``, ``linalg.solve`` for Cayley, ``geqrf``/``householder_product`` for Householder
and for making the initial matrix orthogonal).
"""

from __future__ import annotations

from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from .. import functional as F
from ..conv import ConvTranspose1d, ConvTranspose2d
from ..module import Module
from . import parametrize

__all__ = ["spectral_norm", "weight_norm"]


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

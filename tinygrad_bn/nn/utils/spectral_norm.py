"""``torch.nn.utils.spectral_norm`` and ``remove_spectral_norm``: spectral normalization by a
forward pre-hook (PyTorch's older form; ``nn.utils.parametrizations.spectral_norm`` is the
newer). The weight becomes the parameter ``<name>_orig`` and the buffers ``<name>_u``,
``<name>_v`` (the power method's vectors), and is recomputed as ``W / (u . W v)`` before every
forward call, after one power iteration in training mode. ``state_dict`` records the layout's
version in its metadata (``spectral_norm: {"<name>.version": 1}``) and a load pre-hook converts
a state dict of version 0 (which saved the normalized weight instead of ``<name>_v``), as
PyTorch's do."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from .. import functional as F
from ..conv import ConvTranspose1d, ConvTranspose2d
from ..module import Module, Parameter, forward_pre_hooks, remove_forward_pre_hook
from .parametrizations import reshape_weight_to_matrix

__all__ = ["SpectralNorm", "SpectralNormLoadStateDictPreHook", "SpectralNormStateDictHook",
           "spectral_norm", "remove_spectral_norm"]


class SpectralNorm:
    """The forward pre-hook that sets ``module.<name>`` to ``W / sigma`` with
    ``sigma = u . (W v)``, ``W`` being ``<name>_orig`` as a matrix (``dim`` its rows)."""

    _version: int = 1

    def __init__(self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        self.name = name
        self.dim = dim
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but "
                             f"got n_power_iterations={n_power_iterations}")
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        return reshape_weight_to_matrix(weight, self.dim)

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        """``W / (u . W v)``; with ``do_power_iteration``, ``v = normalize(W^T u)`` then
        ``u = normalize(W v)`` first, ``n_power_iterations`` times, in the buffers in place."""
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    F.normalize(weight_mat.t().mv(u), dim=0, eps=self.eps, out=v)
                    F.normalize(weight_mat.mv(v), dim=0, eps=self.eps, out=u)
                # copies: a later call's in-place update must not change what this one saved
                u, v = u.clone(), v.clone()
        sigma = u.dot(weight_mat.mv(v))
        return weight / sigma

    def remove(self, module: Module) -> None:
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        for suffix in ("", "_u", "_v", "_orig"):
            delattr(module, self.name + suffix)
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module, module.training))

    def _solve_v_and_rescale(self, weight_mat, u, target_sigma):
        """The ``v`` with ``u = W v / ||W v||`` and ``u . W v = target_sigma``: PyTorch's
        ``pinverse(W^T W) W^T u``, rescaled (NumPy's ``pinv``, outside autograd: it only
        converts old state dicts)."""
        w, u_ = weight_mat._array, u._array
        v = np.linalg.pinv(w.T @ w) @ w.T @ u_
        v = v * (target_sigma._array / np.dot(u_, w @ v))
        return Tensor(v.astype(w.dtype, copy=False))

    @staticmethod
    def apply(module: Module, name: str, n_power_iterations: int, dim: int,
              eps: float) -> SpectralNorm:
        for hook in forward_pre_hooks(module).values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(
                    f"Cannot register two spectral_norm hooks on the same parameter {name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module.__dict__.get(name, KeyError)
        if weight is KeyError or not (weight is None or isinstance(weight, Parameter)):
            raise KeyError(name)  # PyTorch's module._parameters[name]
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        with no_grad():
            weight_mat = fn.reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            u = F.normalize(weight.new_empty(h).normal_(0, 1), dim=0, eps=fn.eps)
            v = F.normalize(weight.new_empty(w).normal_(0, 1), dim=0, eps=fn.eps)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        setattr(module, fn.name, weight.data)
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        module._register_state_dict_hook(SpectralNormStateDictHook(fn))
        module._register_load_state_dict_pre_hook(SpectralNormLoadStateDictPreHook(fn))
        return fn


class SpectralNormLoadStateDictPreHook:
    """Converts a state dict of version 0 (``<name>``, ``<name>_orig``, ``<name>_u``) to
    version 1 (``<name>_orig``, ``<name>_u``, ``<name>_v``), as PyTorch's."""

    def __init__(self, fn: SpectralNorm) -> None:
        self.fn = fn

    def __call__(self, state_dict, prefix, local_metadata, strict, missing_keys,
                 unexpected_keys, error_msgs) -> None:
        fn = self.fn
        version = local_metadata.get("spectral_norm", {}).get(fn.name + ".version", None)
        if version is None or version < 1:
            weight_key = prefix + fn.name
            if (version is None and all(weight_key + s in state_dict
                                        for s in ("_orig", "_u", "_v"))
                    and weight_key not in state_dict):
                return
            has_missing_keys = False
            for suffix in ("_orig", "", "_u"):
                key = weight_key + suffix
                if key not in state_dict:
                    has_missing_keys = True
                    if strict:
                        missing_keys.append(key)
            if has_missing_keys:
                return
            with no_grad():
                weight_orig = _as_tensor(state_dict[weight_key + "_orig"])
                weight = _as_tensor(state_dict.pop(weight_key))
                sigma = (weight_orig / weight).mean()
                weight_mat = fn.reshape_weight_to_matrix(weight_orig)
                u = _as_tensor(state_dict[weight_key + "_u"])
                state_dict[weight_key + "_v"] = fn._solve_v_and_rescale(weight_mat, u, sigma)


def _as_tensor(value):
    return value if isinstance(value, Tensor) else Tensor(np.asarray(value))


class SpectralNormStateDictHook:
    """Records ``<name>.version`` under ``spectral_norm`` in the module's state-dict metadata."""

    def __init__(self, fn: SpectralNorm) -> None:
        self.fn = fn

    def __call__(self, module, state_dict, prefix, local_metadata) -> None:
        if "spectral_norm" not in local_metadata:
            local_metadata["spectral_norm"] = {}
        key = self.fn.name + ".version"
        if key in local_metadata["spectral_norm"]:
            raise RuntimeError(f"Unexpected key in metadata['spectral_norm']: {key}")
        local_metadata["spectral_norm"][key] = self.fn._version


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Spectral normalization (https://arxiv.org/abs/1802.05957) by a forward pre-hook:
    ``module.<name>`` is recomputed before each forward call as ``W / sigma``, ``sigma`` the
    power method's estimate of ``W``'s largest singular value (``W`` reshaped with ``dim`` as
    rows: 0, or 1 for transposed convolutions), one iteration per call in training mode from
    random unit vectors (none at registration, unlike the parametrization).
    Returns ``module``."""
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d)) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``spectral_norm``: ``module.<name>`` becomes a Parameter holding ``W / sigma``
    (without a further power iteration), and the buffers and hooks go. Returns ``module``."""
    for key, hook in list(forward_pre_hooks(module).items()):
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            remove_forward_pre_hook(module, key)
            break
    else:
        raise ValueError(f"spectral_norm of '{name}' not found in {module}")
    state_hooks = module.__dict__["_state_hooks"]
    for hooks, kind in ((state_hooks.state_dict, SpectralNormStateDictHook),
                        (state_hooks.load_pre, SpectralNormLoadStateDictPreHook)):
        for key, hook in list(hooks.items()):
            if isinstance(hook, kind) and hook.fn.name == name:
                del hooks[key]
                break
    return module

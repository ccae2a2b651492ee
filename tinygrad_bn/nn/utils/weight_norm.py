"""``torch.nn.utils.weight_norm`` and ``remove_weight_norm``: weight normalization by a forward
pre-hook, the form PyTorch deprecates (with a ``FutureWarning``, copied) in favour of
``nn.utils.parametrizations.weight_norm``. The weight ``w`` is replaced by the parameters
``<name>_g`` (magnitude) and ``<name>_v`` (direction), and recomputed as ``g * v / ||v||``
before every forward call."""

from __future__ import annotations

import warnings
from typing import Any

from ..module import Module, Parameter, forward_pre_hooks, remove_forward_pre_hook
from .parametrizations import _weight_norm, norm_except_dim

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


class WeightNorm:
    """The forward pre-hook that sets ``module.<name>`` to ``g * v / ||v||`` (the norm over
    every dimension but ``dim``; over the whole tensor for ``dim=None``)."""

    def __init__(self, name: str, dim: int | None) -> None:
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module: Module) -> Any:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return _weight_norm(v, g, self.dim)

    @staticmethod
    def apply(module: Module, name: str, dim: int | None) -> WeightNorm:
        warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                      "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning,
                      stacklevel=3)
        for hook in forward_pre_hooks(module).values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(
                    f"Cannot register two weight_norm hooks on the same parameter {name}")
        if dim is None:
            dim = -1
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        delattr(module, name)
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, dim).data))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module: Module) -> None:
        weight = self.compute_weight(module)
        delattr(module, self.name)
        delattr(module, self.name + "_g")
        delattr(module, self.name + "_v")
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Weight normalization (https://arxiv.org/abs/1602.07868) by a forward pre-hook:
    ``module.<name>`` is replaced by the parameters ``<name>_g`` (``||w||`` over every dimension
    but ``dim``, kept as size-1 dimensions; a 0-d tensor for ``dim=None``) and ``<name>_v``
    (``w``), and recomputed as ``g * v / ||v||`` before each forward call. Deprecated, as in
    PyTorch (``FutureWarning``). Returns ``module``."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``weight_norm``: ``module.<name>`` becomes a Parameter again, holding
    ``g * v / ||v||``; ``<name>_g``, ``<name>_v`` and the hook go. Returns ``module``."""
    for key, hook in list(forward_pre_hooks(module).items()):
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            remove_forward_pre_hook(module, key)
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")

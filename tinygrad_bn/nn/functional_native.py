"""ATen's ``native_*`` forms of the normalizations and of dropout (``torch.native_layer_norm``,
``torch.native_batch_norm``, ``torch.native_group_norm``, ``torch.native_dropout``), which return
the statistics or mask their backward keeps alongside the output.

Each output is the ``nn.functional`` function's own (``F.layer_norm``, ``F.batch_norm``,
``F.group_norm``, ``F.dropout``'s draw); the statistics are computed beside it from the same
input. As in PyTorch, the statistics of layer norm and batch norm are out of the graph (they
never require grad), and group norm's ``mean`` and ``rstd`` are differentiable (composites of
``mean`` and ``var``, so create_graph works through them).

Known differences from PyTorch: group norm's ``mean``/``rstd`` get their own gradients whenever
they are used (PyTorch's backward adds them only when both are, and then the same values);
``native_batch_norm`` in eval mode without running statistics raises ``F.batch_norm``'s
"running_mean must be defined in evaluation mode" (PyTorch 2.13's CPU kernel crashes)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import dtypes
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from . import functional as F


def _in_opmath(input):
    """``input`` widened to float32 when float16 (PyTorch's CPU kernels accumulate float16 in
    float32 and round the statistics once)."""
    return input.float() if input._array.dtype is dtypes.float16 else input


def _rstd(variance, eps):
    return (variance + eps).rsqrt()


def native_layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None,
                      bias: Tensor | None, eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """``(F.layer_norm(input, normalized_shape, weight, bias, eps), mean, rstd)``: ``mean`` and
    ``rstd = 1 / sqrt(var + eps)`` (biased variance) over the normalized dims, kept as size-1
    dims (``input.shape[:-k] + (1,) * k``), in ``input``'s dtype, out of the graph."""
    out = F.layer_norm(input, normalized_shape, weight, bias, eps)
    dims = tuple(range(input.ndim - len(tuple(normalized_shape)), input.ndim))
    with no_grad():
        wide = _in_opmath(input)
        if wide._array.size == 0:
            mean = wide.sum(dims, keepdim=True)
            rstd = mean.clone()
        else:
            mean = wide.mean(dims, keepdim=True)
            rstd = _rstd(((wide - mean) ** 2).mean(dims, keepdim=True), eps)
    return out, mean.to(input.dtype), rstd.to(input.dtype)


def native_batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
                      running_mean: Tensor | None, running_var: Tensor | None, training: bool,
                      momentum: float, eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """``(F.batch_norm(...), save_mean, save_invstd)``. In training (the running statistics
    updated in place when given, as ``F.batch_norm``) the batch's per-channel mean and
    ``1 / sqrt(var + eps)`` (biased variance); in eval mode both are empty. Their dtype is the
    running statistics' when given, else the input's; they never require grad."""
    out = F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    dtype = running_mean.dtype if running_mean is not None else input.dtype
    with no_grad():
        if not training:
            return (out, Tensor._make(np.zeros(0, dtype=dtype), None),
                    Tensor._make(np.zeros(0, dtype=dtype), None))
        wide = _in_opmath(input)
        dims = (0,) + tuple(range(2, input.ndim))
        mean = wide.mean(dims)
        shape = (1, -1) + (1,) * (input.ndim - 2)
        invstd = _rstd(((wide - mean.reshape(shape)) ** 2).mean(dims), eps)
    return out, mean.to(dtype), invstd.to(dtype)


def _native_batch_norm_legit(input: Tensor, weight: Tensor | None, bias: Tensor | None,
                             *args) -> tuple[Tensor, Tensor, Tensor]:
    """``torch._native_batch_norm_legit``: ``native_batch_norm`` in ATen's two overloads,
    ``(input, weight, bias, running_mean, running_var, training, momentum, eps)`` and, without
    running statistics, ``(input, weight, bias, training, momentum, eps)``."""
    if len(args) == 3:
        running_mean = running_var = None
        training, momentum, eps = args
    else:
        running_mean, running_var, training, momentum, eps = args
    return native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum,
                             eps)


def native_group_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None, N: int, C: int,
                      HxW: int, group: int, eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """``(F.group_norm(input, group, weight, bias, eps), mean, rstd)`` with ``mean`` and ``rstd``
    of shape ``(N, group)``, in ``input``'s dtype and differentiable. ``N``, ``C`` and ``HxW``
    describe ``input``'s shape, as ATen's kernel reads it."""
    if input._array.size != N * C * HxW:
        raise RuntimeError("Expected X.numel() == N * C * HxW to be true, but got false.  (Could "
                           "this error message be improved?  If so, please report an enhancement "
                           "request to PyTorch.)")
    out = F.group_norm(input, group, weight, bias, eps)
    grouped = _in_opmath(input).reshape(N, group, C // group * HxW)
    mean = grouped.mean(-1)
    rstd = _rstd(grouped.var(-1, correction=0), eps)
    return out, mean.to(input.dtype), rstd.to(input.dtype)


def native_dropout(input: Tensor, p: float, train: bool | None) -> tuple[Tensor, Tensor]:
    """``(output, mask)``: in training (``train`` True or None) ``mask`` is a bool draw, True
    with probability ``1 - p``, and ``output = input * mask / (1 - p)`` (zeros for ``p`` 1);
    otherwise ``output`` is a copy of ``input`` and ``mask`` all True."""
    if train is False:
        return input.clone(), Tensor._make(np.ones(input.shape, dtype=bool), None)
    if not 0 <= 1 - p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={1 - p}")
    if not dtypes.is_floating(input._array.dtype):
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{dtypes.scalar_type_name(input._array.dtype)}")
    keep = F.dropout(Tensor._make(np.ones(input.shape), None), p, True) != 0
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return input * keep * scale, keep


__all__ = ["native_layer_norm", "native_batch_norm", "native_group_norm", "native_dropout"]

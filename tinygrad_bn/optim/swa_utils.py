"""Weight averaging, as ``torch.optim.swa_utils``: ``AveragedModel`` keeps a running average of
a model's parameters (stochastic weight averaging, SWA, or an exponential moving average, EMA),
``SWALR`` anneals each group's learning rate to a constant ``swa_lr``, and ``update_bn``
recomputes the batch-norm statistics of an averaged model with one pass over the data.

The averages are computed as PyTorch's CPU path computes them, bit for bit: the default running
mean tensor by tensor (``get_swa_avg_fn``), the ``multi_avg_fn`` updates by ``Tensor.lerp_``
where PyTorch calls ``_foreach_lerp_`` (the same fused multiply-add, one rounding).
"""

from __future__ import annotations

import itertools
import math
from copy import deepcopy
from typing import Any, Callable

from .. import dtypes
from ..autograd import no_grad
from ..creation import tensor
from ..nn.module import Module
from ..nn.normalization import _BatchNorm
from ..tensor import Tensor
from .lr_scheduler import LRScheduler, _format_param
from .optimizer import Optimizer

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn",
           "get_swa_multi_avg_fn", "get_ema_avg_fn", "get_swa_avg_fn"]


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         "[0,1] range.")


def get_ema_multi_avg_fn(decay: float = 0.999):
    """An in-place EMA update of lists of tensors, for ``AveragedModel(multi_avg_fn=...)``:
    ``ema = ema + (1 - decay) * (current - ema)`` (a lerp) for floating tensors,
    ``ema = ema * decay + current * (1 - decay)`` (stored back in the integer dtype) otherwise.
    ``decay`` outside [0, 1] raises ``ValueError``."""
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param_list, current_param_list, _):
        if ema_param_list[0].is_floating_point():
            for p_ema, p_model in zip(ema_param_list, current_param_list):
                p_ema.lerp_(p_model, 1 - decay)
        else:
            for p_ema, p_model in zip(ema_param_list, current_param_list):
                p_ema.copy_(p_ema * decay + p_model * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn():
    """An in-place running-mean update of lists of tensors (PyTorch's default on CUDA):
    ``avg = avg + (current - avg) / (n + 1)`` with ``n`` the number averaged so far; floating
    tensors by a lerp with weight ``1 / (n + 1)`` (float32 when ``n`` is a tensor, as
    PyTorch's). Integer tensors raise PyTorch's errors (its ``addcdiv``/``add`` refuse them)."""

    @no_grad()
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        if averaged_param_list[0].is_floating_point():
            weight = 1 / (num_averaged + 1)
            weight = weight.item() if isinstance(weight, Tensor) else weight
            for p_averaged, p_model in zip(averaged_param_list, current_param_list):
                p_averaged.lerp_(p_model, weight)
        elif isinstance(num_averaged, Tensor):
            raise RuntimeError(
                "Integer division with addcdiv is no longer supported, and in a future  release "
                "addcdiv will perform a true division of tensor1 and tensor2. The historic "
                "addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 / "
                "tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / "
                "tensor2) for float inputs. The future addcdiv behavior is just the latter "
                "implementation: (input + value * tensor1 / tensor2), for all dtypes.")
        else:
            raise RuntimeError("For integral input tensors, argument alpha must not be a "
                               "floating point number.")

    return swa_update


def get_ema_avg_fn(decay: float = 0.999):
    """An EMA of one tensor, for ``AveragedModel(avg_fn=...)``: returns
    ``decay * ema + (1 - decay) * current``. ``decay`` outside [0, 1] raises ``ValueError``."""
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """A running mean of one tensor, for ``AveragedModel(avg_fn=...)``: returns
    ``averaged + (current - averaged) / (num_averaged + 1)``."""

    @no_grad()
    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` (``deepcopy``) whose parameters ``update_parameters(model)`` keeps
    as an average of ``model``'s over the calls: the first call copies them, later ones apply
    ``multi_avg_fn`` to lists of tensors in place, or ``avg_fn(averaged, current, n)`` to each
    tensor (its result copied in), or by default the running mean (``get_swa_avg_fn`` tensor by
    tensor, PyTorch's CPU path). ``n_averaged`` is a buffer (int64) counting the calls. With
    ``use_buffers=True`` buffers are averaged along with parameters; otherwise they are copied
    from ``model``. ``forward`` calls the averaged copy. ``state_dict`` keys are
    ``n_averaged`` and ``module.<name>``, PyTorch's.

    Giving both ``avg_fn`` and ``multi_avg_fn`` raises ``AssertionError``. ``device`` may only
    be the CPU.
    """

    def __init__(self, model: Module, device=None,
                 avg_fn: Callable[[Tensor, Tensor, Tensor | int], Tensor] | None = None,
                 multi_avg_fn: Callable | None = None, use_buffers: bool = False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", tensor(0, dtype=dtypes.int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        """The averaged copy of the model applied to the inputs."""
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current parameters (and buffers, with ``use_buffers``) into the
        average, then count the call in ``n_averaged``."""
        if self.use_buffers:
            self_params = itertools.chain(self.module.parameters(), self.module.buffers())
            model_params = itertools.chain(model.parameters(), model.buffers())
        else:
            self_params, model_params = self.parameters(), model.parameters()
        averaged, current = [], []
        copy_param = bool(self.n_averaged == 0)
        for p_averaged, p_model in zip(self_params, model_params):
            p_model_ = p_model.detach()
            averaged.append(p_averaged.detach())
            current.append(p_model_)
            if copy_param:
                p_averaged.detach().copy_(p_model_)
        if self.n_averaged > 0:
            if self.multi_avg_fn is not None or self.avg_fn is None:
                if self.multi_avg_fn is not None:
                    for group_averaged, group_current in _by_dtype(averaged, current):
                        self.multi_avg_fn(group_averaged, group_current, self.n_averaged)
                else:  # PyTorch's CPU path (no foreach kernels there): one tensor at a time
                    avg_fn = get_swa_avg_fn()
                    for p_averaged, p_model in _in_dtype_order(averaged, current):
                        p_averaged.copy_(avg_fn(p_averaged, p_model, self.n_averaged))
            else:
                for p_averaged, p_model in zip(averaged, current):
                    p_averaged.detach().copy_(self.avg_fn(p_averaged.detach(), p_model,
                                                          self.n_averaged))
        if not self.use_buffers:
            for b_swa, b_model in zip(self.module.buffers(), model.buffers()):
                b_swa.detach().copy_(b_model.detach())
        self.n_averaged += 1


def _in_dtype_order(averaged, current):
    """The pairs in the order PyTorch's grouped loop takes them: by dtype, first seen first."""
    return [pair for group in _by_dtype(averaged, current) for pair in zip(*group)]


def _by_dtype(averaged, current):
    """The pairs of lists grouped by dtype, in first-seen order (PyTorch groups foreach calls
    by device and dtype)."""
    groups: dict[Any, tuple[list, list]] = {}
    for a, c in zip(averaged, current):
        group = groups.setdefault(a.dtype, ([], []))
        group[0].append(a)
        group[1].append(c)
    return list(groups.values())


@no_grad()
def update_bn(loader, model: Module, device=None) -> None:
    """Recompute the running statistics of every batch-norm layer of ``model`` with one pass
    over ``loader``: the statistics are reset, the momentum set to None (a cumulative average
    over the batches) and each batch (the first element of a list/tuple batch) fed through the
    model in training mode; momenta and the training flag are then restored. A model without
    batch norm is left alone."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    for input in loader:
        if isinstance(input, (list, tuple)):
            input = input[0]
        if device is not None:
            input = input.to(device)
        model(input)
    for bn_module in momenta:
        bn_module.momentum = momenta[bn_module]
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each group's learning rate from its value to ``swa_lr`` over ``anneal_epochs``
    steps, then holds it (PyTorch's ``SWALR``). At step ``s`` with ``t = min(1, s /
    anneal_epochs)`` and ``alpha = (1 - cos(pi t)) / 2`` (``"cos"``) or ``t`` (``"linear"``)::

        lr = swa_lr * alpha + lr_0 * (1 - alpha)

    where ``lr_0`` is recovered from the current rate and the previous step's alpha (PyTorch's
    recursive form, so the rates match its to the last bit). ``swa_lr`` is a number or one per
    group (stored in each group as ``"swa_lr"``).
    """

    def __init__(self, optimizer: Optimizer, swa_lr, anneal_epochs: int = 10,
                 anneal_strategy: str = "cos", last_epoch: int = -1) -> None:
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for swa_lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = swa_lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', "
                             f"instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list[float]:
        """The rates of the next step (PyTorch's recursive form)."""
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [group["swa_lr"] * alpha + lr * (1 - alpha)
                for group, lr in zip(self.optimizer.param_groups, prev_lrs)]

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state, without the optimizer and the anneal function (which
        ``load_state_dict`` sets again from the strategy's name)."""
        return {key: value for key, value in self.__dict__.items()
                if key not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the state ``state_dict()`` returned."""
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)

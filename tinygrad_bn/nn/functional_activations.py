"""The activations of ``torch.nn.functional`` beyond the common ones in ``functional.py``:
``mish``, ``hardswish``, ``hardsigmoid``, ``selu``, ``celu``, ``softsign``, ``logsigmoid``,
``softmin``, ``glu``, ``threshold``, ``hardshrink``, ``softshrink``, ``tanhshrink``, ``prelu``,
``rrelu``. Each is composed of existing ops, arranged so that the gradient autograd derives is
PyTorch's closed-form backward, including at the kinks (where PyTorch's kernel picks a side, a
``where`` on the same comparison picks it here), and so that a branch ``where`` discards never
overflows (its ``0 * inf`` would send NaN into the gradient)."""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autocast_state import lower_precision_op
from ..dtypes import DTypeLike
from ..sampling import rand_like
from ..tensor import Tensor, in_opmath, where

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _maybe_inplace(input, result, inplace):
    """``inplace=True`` writes the result into ``input`` (recorded), as ``functional``'s
    activations do."""
    return input.copy_(result) if inplace else result


def _floating_only(input, kernel):
    from .functional import _floating_only as check  # functional imports this file: look back
    check(input, kernel)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))`` (Misra 2019, arXiv:1908.08681). PyTorch's kernel takes
    ``log1p(exp(x))``; here ``softplus`` switches to ``x`` above 20, where ``tanh`` of either is
    1 in float64, so that a large ``x`` gets gradient 1, not ``inf / inf``."""
    _floating_only(input, "mish_cpu")
    from .functional import _softplus
    return _maybe_inplace(
        input, in_opmath(lambda x: x * _softplus(x, 1.0, 20.0).tanh(), input), inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6`` (Howard et al. 2019, MobileNetV3). Values as PyTorch's kernel
    computes them; the gradient is PyTorch's: 0 up to -3, ``x / 3 + 0.5`` strictly inside
    ``(-3, 3)``, 1 from 3 on."""
    _floating_only(input, "hardswish_cpu")

    def function(x):
        inside = (x > -3) & (x < 3)
        return x * where(inside, x + 3, where(x <= -3, 0.0, 6.0)) / 6
    return _maybe_inplace(input, in_opmath(function, input), inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``; gradient ``1 / 6`` strictly inside ``(-3, 3)``, 0 elsewhere, as
    PyTorch's ``hardsigmoid_backward``."""
    _floating_only(input, "hardsigmoid_cpu")

    def function(x):
        shifted = x + 3
        inside = (x > -3) & (x < 3)
        return where(inside, shifted, shifted.detach().clamp(0, 6)) / 6
    return _maybe_inplace(input, in_opmath(function, input), inplace)


def _elu(input, alpha, scale, input_scale):
    """PyTorch's ``elu`` kernel: ``x * scale`` for ``x > 0``, else ``expm1(x * input_scale) *
    (alpha * scale)``, the coefficient rounded to the dtype it is computed in as PyTorch's."""
    def function(x):
        kind = np.dtype(x._array.dtype).type
        negative_coefficient = float(kind(alpha) * kind(scale))
        positive = x > 0
        negative_part = where(positive, 0.0, x)  # exp of a large x would overflow
        out = (negative_part * input_scale).expm1() * negative_coefficient
        return where(positive, x * scale if scale != 1 else x, out)
    return in_opmath(function, input)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * (max(0, x) + min(0, alpha * (exp(x) - 1)))`` with Klambauer et al.'s
    ``alpha = 1.6733`` and ``scale = 1.0507`` (self-normalising networks)."""
    _floating_only(input, "elu_cpu")
    return _maybe_inplace(input, _elu(input, SELU_ALPHA, SELU_SCALE, 1.0), inplace)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``; ``alpha`` 0 is refused, as by
    PyTorch."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    _floating_only(input, "elu_cpu")
    return _maybe_inplace(input, _elu(input, alpha, 1.0, 1.0 / alpha), inplace)


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``, composed as PyTorch's Python function composes it."""
    return input / (input.abs() + 1)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))``, never overflowing. Written as two
    branches, ``x - log1p(exp(x))`` for ``x < 0`` and ``-log1p(exp(-x))`` otherwise, each fed
    only its own side: the same values, bit for bit, and the gradient ``sigmoid(-x)`` PyTorch's
    backward gives, 0.5 at 0 included (``abs`` would give 0 there)."""
    _floating_only(input, "log_sigmoid_cpu")

    def function(x):
        negative = x < 0
        below, above = where(negative, x, 0.0), where(negative, 0.0, x)
        return where(negative, below - below.exp().log1p(), -(-above).exp().log1p())
    return in_opmath(function, input)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: DTypeLike | None = None) -> Tensor:
    """``softmax(-x)`` along ``dim`` (implicit ``dim`` as ``softmax``, with its warning)."""
    from .functional import _implicit_dim
    return (-input).softmax(_implicit_dim("softmin", input, dim, _stacklevel), dtype=dtype)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit (Dauphin et al. 2017): ``input`` split in halves ``a, b`` along
    ``dim``, ``a * sigmoid(b)``."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    from ..shapes import normalize_dim
    axis = normalize_dim(dim, input.ndim)
    size = input.shape[axis]
    if size % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {axis} is size {size}")
    _floating_only(input, "glu_cpu")
    before = (slice(None),) * axis
    first, second = input[before + (slice(0, size // 2),)], input[before + (slice(size // 2, None),)]
    return in_opmath(lambda a, b: a * b.sigmoid(), first, second)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``value`` where ``x <= threshold``, else ``x`` (NaN stays NaN); gradient 1 where ``x``
    is kept. Integer tensors stay integer, as in PyTorch."""
    kept = where(input <= threshold, value, input)
    if kept.dtype != input.dtype:
        kept = kept.to(input.dtype)
    return _maybe_inplace(input, kept, inplace)


_threshold = threshold  # for threshold_, whose argument of PyTorch's name hides the function


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, else 0 (``[-lambd, lambd]`` inclusive, as PyTorch)."""
    _floating_only(input, "hardshrink_cpu")
    return where((input >= -lambd) & (input <= lambd), 0.0, input)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, 0 between (``x * 0``, so
    NaN stays NaN, as PyTorch's kernel)."""
    _floating_only(input, "softshrink_check")
    largest = float(np.finfo(input._array.dtype).max)
    if not 0 <= lambd <= largest:
        raise RuntimeError(f"lambda must be in range [0, {largest:g}] for input dtype "
                           f"{dtypes.scalar_type_name(input.dtype)}, but found {lambd:g}")
    return where(input > lambd, input - lambd,
                 where(input < -lambd, input + lambd, input.detach() * 0))


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``."""
    return input - input.tanh()


@lower_precision_op
def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x`` where ``x > 0``, else ``weight * x``, ``weight`` one slope (``numel`` 1) or one
    per channel (dim 1 of ``input``), learnt (He et al. 2015). PyTorch's checks and
    messages."""
    if weight.ndim > 1:
        raise RuntimeError(
            f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}")
    count = weight.numel()
    if count != 1 and input.ndim == 0:
        raise RuntimeError("Not allow zero-dim input tensor.")
    channels = input.shape[1] if input.ndim > 1 else 1
    if count != 1 and count != channels:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                           f"parameter numbers = {count} and channel size = {channels}.")
    _floating_only(input, "prelu_cpu")
    if input.ndim > 0 and count != 1:
        weight = weight.reshape((1, channels) + (1,) * (input.ndim - 2))
    elif input.ndim > 0 and weight.ndim == 1:
        weight = weight.reshape((1,) * input.ndim)
    elif input.ndim == 0 and weight.ndim == 1:
        weight = weight.reshape(())
    return where(input > 0, input, weight * input)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU (Xu et al. 2015): in training each ``x <= 0`` is multiplied by a
    slope drawn uniformly from ``[lower, upper)`` (from tinygrad_bn's generator, so not
    PyTorch's numbers; a draw is made for every element, PyTorch draws only for the negative
    ones); otherwise ``leaky_relu`` with the mean slope ``(lower + upper) / 2``."""
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    _floating_only(input, "rrelu_with_noise_cpu")
    if not training:
        from .functional import leaky_relu
        return leaky_relu(input, (lower + upper) / 2, inplace)
    slopes = rand_like(input.detach()) * (upper - lower) + lower
    return _maybe_inplace(input, where(input <= 0, input * slopes, input), inplace)


# The in-place forms torch has at top level (torch.selu_, ...), as the functions above with
# inplace=True.


def selu_(input: Tensor) -> Tensor:
    """``selu`` written into ``input``."""
    return selu(input, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``celu`` written into ``input``."""
    return celu(input, alpha, inplace=True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """``threshold`` written into ``input``."""
    return _threshold(input, threshold, value, inplace=True)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    """``rrelu`` written into ``input``."""
    return rrelu(input, lower, upper, training, inplace=True)

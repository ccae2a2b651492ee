"""Cross entropy of a linear layer's logits in one call (PyTorch 2.13's
``F.linear_cross_entropy``, ``nn.LinearCrossEntropyLoss`` and
``nn.LinearCrossEntropyOptions``; the module is in ``loss.py``): the projection to ``num_classes`` (optionally
``(num_classes, *out_features)``, a K-dimensional loss) followed by ``cross_entropy``.

PyTorch's ``options`` select a chunked kernel that never holds the whole logits array
(for large vocabularies); this framework always computes the reference path, linear then
cross entropy, which PyTorch's chunked path equals up to rounding. The options are
validated as PyTorch validates them, and PyTorch's warning is given where its chunked path
would not apply."""

from __future__ import annotations

import dataclasses
import math
import warnings

from .. import dtypes
from ..printing import dtype_name
from ..tensor import Tensor

__all__ = ["LinearCrossEntropyOptions", "linear_cross_entropy"]


@dataclasses.dataclass(slots=True, frozen=True)
class LinearCrossEntropyOptions:
    """PyTorch's configuration of the chunked ``linear_cross_entropy``: ``allow_retain_graph``,
    ``batch_chunk_size`` (a positive int or None), ``chunking_method`` (``"auto"``,
    ``"aspect_ratio"`` or ``"aspect_ratio:<k>"``, or None), ``acc_policy`` (``"auto"``,
    ``"accurate"``, ``"balanced"``, ``"compact"``) and ``acc_dtype`` (a floating dtype or
    None), checked with PyTorch's messages. Passing options makes no numerical difference
    here (the module docstring says why)."""

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str = "auto"
    acc_dtype: object = None

    def __post_init__(self):
        if self.acc_policy not in {"auto", "accurate", "balanced", "compact"}:
            raise ValueError(f"invalid acc_policy: {self.acc_policy!r}")
        if self.chunking_method is not None and self.chunking_method != "auto":
            name, separator, factor = self.chunking_method.partition(":")
            if not separator:
                factor = "1"
            if not (name == "aspect_ratio" and factor.isdigit() and int(factor) > 0):
                raise ValueError(f"invalid chunking_method: {self.chunking_method!r}")
        if not (self.batch_chunk_size is None or (isinstance(self.batch_chunk_size, int)
                                                  and self.batch_chunk_size > 0)):
            raise ValueError("batch_chunk_size must be positive int or None, got "
                             f"{self.batch_chunk_size!r}")
        supported = {dtypes.float16, dtypes.bfloat16, dtypes.float32, dtypes.float64}
        if self.acc_dtype is not None and self.acc_dtype not in supported:
            raise ValueError(
                "acc_dtype must be one of {None, torch.float16, torch.bfloat16, torch.float32, "
                f"torch.float64}}, got {self.acc_dtype!r}. Pass acc_dtype=None to let the op "
                "pick automatically.")


# PyTorch's automatic choices on the CPU for half-precision inputs, and elsewhere
_AUTO_DEFAULTS = {dtypes.float16: ("accurate", "aspect_ratio"),
                  dtypes.bfloat16: ("accurate", "aspect_ratio")}
_AUTO_FALLBACK = ("compact", "aspect_ratio:2")


def _accumulation_dtype(options, num_batches, in_features, num_classes, dtype):
    """The dtype PyTorch's chunked path computes in (its ``_adjust``): ``acc_dtype`` if given,
    else float32 for a float16/bfloat16 input under ``acc_policy="auto"`` (as on PyTorch's
    CPU), else the input's. Also PyTorch's check that an explicit ``batch_chunk_size`` and
    ``chunking_method`` agree (the chunk sizes themselves change nothing here)."""
    chunking_method = options.chunking_method
    if chunking_method == "auto" and options.batch_chunk_size is not None:
        chunking_method = None
    if chunking_method == "auto":
        chunking_method = _AUTO_DEFAULTS.get(dtype, _AUTO_FALLBACK)[1]
    if chunking_method is not None and options.batch_chunk_size is not None:
        factor = int(chunking_method.split(":", 1)[1]) if ":" in chunking_method else 1
        target = -(-num_batches // -(-num_classes // in_features))
        chunk_size = min((1 << (target - 1).bit_length()) // factor, num_batches)
        if options.batch_chunk_size != chunk_size:
            raise ValueError(
                f"batch_chunk_size (={options.batch_chunk_size}) and chunking_method "
                f"('{chunking_method}') give different chunk sizes "
                f"({options.batch_chunk_size} vs {chunk_size}); pass only one.")
    if options.acc_dtype is not None:
        return options.acc_dtype
    if options.acc_policy == "auto" and dtype in (dtypes.float16, dtypes.bfloat16):
        return dtypes.float32
    return dtype


def linear_cross_entropy(input: Tensor, linear_weight: Tensor, target: Tensor, *,
                         linear_bias: Tensor | None = None, weight: Tensor | None = None,
                         reduction: str = "mean", ignore_index: int | None = None,
                         label_smoothing: float = 0.0,
                         options: LinearCrossEntropyOptions | None = None) -> Tensor:
    """``cross_entropy(linear(input, W, b).reshape(*batch, C, *out_features), target, ...)``
    with PyTorch's checks: ``input`` ``(N, in_features)`` or ``(in_features,)``,
    ``linear_weight`` ``(C, *out_features, in_features)``, ``linear_bias`` ``(C,
    *out_features)``; ``target`` class indices, or probabilities of the logits' shape (then no
    ``ignore_index``). ``ignore_index=None`` means -100."""
    from .functional import cross_entropy, linear  # functional imports this module

    if input.ndim < 1 or input.ndim > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.ndim}")
    if linear_weight.ndim < 2:
        raise RuntimeError("expected linear_weight with dimensionality at least 2, got "
                           f"{linear_weight.ndim}")
    num_batches = tuple(input.shape[:-1])
    in_features = input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError("expected equal input and linear_weight last dimensions "
                           f"(in_features), got {input.shape[-1]} and "
                           f"{linear_weight.shape[-1]}, respectively")
    num_classes = linear_weight.shape[0]
    out_features = tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (num_classes, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(num_classes, *out_features)}, got "
                           f"{tuple(linear_bias.shape)}")
    if len(out_features) > 0 and len(num_batches) == 0:
        raise RuntimeError(
            f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} "
            f"requires batched input, (N, {in_features}), got unbatched input with shape "
            f"{tuple(input.shape)}")
    logits_shape = (*num_batches, num_classes, *out_features)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains "
                           "probabilities")
    ignore_index = ignore_index if ignore_index is not None else -100
    if options is not None and (out_features or reduction not in {"mean", "sum", "none"}
                                or label_smoothing != 0.0 or target.dtype != dtypes.int64):
        warnings.warn(
            "linear_cross_entropy: ``options`` ignored; chunked path needs reduction in "
            "{'mean','sum','none'}, label_smoothing == 0, target.dtype == int64, "
            f"out_features == (). Got reduction={reduction!r}, label_smoothing="
            f"{label_smoothing}, target.dtype={dtype_name(target.dtype)}, out_features="
            f"{tuple(out_features)}, tracing=False, linear_bias.shape="
            f"{tuple(linear_bias.shape) if linear_bias is not None else None}.", stacklevel=2)
    chunked = (options is not None and reduction in {"mean", "sum", "none"}
               and label_smoothing == 0.0 and target.dtype == dtypes.int64
               and not out_features)
    if chunked:
        batches = num_batches[0] if num_batches else 1
        accumulate_in = _accumulation_dtype(options, batches, in_features, num_classes,
                                            input.dtype)
        if accumulate_in != input.dtype:
            # PyTorch's chunked kernel computes in acc_dtype and rounds the result once
            result = linear_cross_entropy(
                input.to(accumulate_in), linear_weight.to(accumulate_in), target,
                linear_bias=None if linear_bias is None else linear_bias.to(accumulate_in),
                weight=None if weight is None else weight.to(accumulate_in),
                reduction=reduction, ignore_index=ignore_index)
            return result.to(input.dtype)
    if out_features:
        linear_weight = linear_weight.reshape((math.prod(out_features, start=num_classes),
                                               in_features))
        if linear_bias is not None:
            linear_bias = linear_bias.reshape(math.prod(out_features, start=num_classes))
    logits = linear(input, linear_weight, linear_bias).reshape(logits_shape)
    return cross_entropy(logits, target, weight=weight, reduction=reduction,
                         ignore_index=ignore_index, label_smoothing=label_smoothing)

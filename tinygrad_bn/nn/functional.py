"""Stateless layer functions, as ``torch.nn.functional``: the modules in ``nn`` call these.

``batch_norm`` and ``cross_entropy`` run as one fused node each by default; ``fused=False``
builds the same computation from primitive ops, so a student can see every step in the graph and
the tests can check the fused backward against what autograd derives.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import math
import numbers
import warnings

import numpy as np

from .. import autocast_state, dtypes
from ..autocast_state import float32_op
from ..autograd import graph, no_grad
from ..dtypes import DTypeLike
from ..ops import GELU, BatchNorm, CrossEntropy, Derived, Embedding, LayerNorm, Linear, XLogY
from ..ops.random import Dropout
from ..ops.loss import BinaryCrossEntropy, CascadeSum, check_labels_in_range
from ..ops.normalization import update_running_statistics
from ..printing import Size
from ..random import Generator
from ..shapes import ShapeLike, normalize_dim
from ..tensor import Tensor, constant_tensor, in_opmath, qualified_type_name, where

# Convolution and pooling are functions of nn.functional in PyTorch; they live in their own files.
from .conv import (  # noqa: E402,F401
    conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d,
)
from .pooling import (  # noqa: E402,F401
    adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d, adaptive_max_pool2d,
    avg_pool1d, avg_pool2d, max_pool1d, max_pool2d,
)
# The rest of the convolution and pooling family: 3-D pools, conv_transpose3d, fold/unfold,
# power-average, fractional max pools and max unpooling.
from .conv import conv_tbc, conv_transpose3d  # noqa: E402,F401
from .fold import fold, unfold  # noqa: E402,F401
from .pooling_derived import (  # noqa: E402,F401
    lp_pool1d, lp_pool2d, lp_pool3d, max_unpool1d, max_unpool2d, max_unpool3d,
)
from .pooling_fractional import fractional_max_pool2d, fractional_max_pool3d  # noqa: E402,F401
from .pooling3d import (  # noqa: E402,F401
    adaptive_avg_pool3d, adaptive_max_pool3d, avg_pool3d, max_pool3d,
)

# Attention, in a file of its own (what Transformers need beyond the layers here).
from .functional_attention import (  # noqa: F401
    multi_head_attention_forward, scaled_dot_product_attention,
)

# Norms and distances between vectors (contrastive and metric learning).
from .functional_distance import cosine_similarity, normalize, pairwise_distance  # noqa: F401

# Padding (constant, reflect, replicate, circular).
from .functional_padding import pad  # noqa: F401

# Channel dropout and alpha dropout.
from .functional_dropout import (  # noqa: F401
    alpha_dropout, dropout1d, dropout2d, dropout3d, feature_alpha_dropout,
)

# Resampling images: interpolate (upsample) and pixel (un)shuffle.
from .functional_upsampling import (  # noqa: F401
    interpolate, pixel_shuffle, pixel_unshuffle, upsample, upsample_bilinear, upsample_nearest,
)

# Activations beyond the common ones below, and the margin, embedding and likelihood losses.
from .functional_activations import (  # noqa: F401
    celu, celu_, glu, hardshrink, hardsigmoid, hardswish, logsigmoid, mish, prelu, rrelu, rrelu_,
    selu, selu_, softmin, softshrink, softsign, tanhshrink, threshold, threshold_,
)

# Bilinear maps, bags of embeddings, Gumbel-softmax, channel shuffling (functional_layers.py).
from .functional_layers import (  # noqa: F401
    bilinear, channel_shuffle, embedding_bag, gumbel_softmax,
)

# Spatial transformer networks: affine grids and sampling at a grid's positions.
from .functional_vision import affine_grid, grid_sample  # noqa: F401

# The pools' (values, indices) forms, pdist (factories.py) and native_channel_shuffle.
from .functional_with_indices import (  # noqa: F401,E402
    adaptive_max_pool1d_with_indices, adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d_with_indices, fractional_max_pool2d_with_indices,
    fractional_max_pool3d_with_indices, max_pool1d_with_indices, max_pool2d_with_indices,
    max_pool3d_with_indices,
)
from ..factories import pdist  # noqa: F401,E402
native_channel_shuffle = channel_shuffle

REDUCTIONS = ("none", "mean", "sum")


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` as one node. ``input`` ``(..., in)``, ``weight``
    ``(out, in)``, ``bias`` ``(out,)``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"linear(): argument 'input' (position 1) must be Tensor, not "
                        f"{qualified_type_name(input)}")
    if autocast_state.casting:  # CPU autocast: PyTorch's lower-precision list
        input, weight, bias = autocast_state.lower_precision(input, weight, bias)
    out_features, in_features = weight._array.shape
    if input._array.dtype != weight._array.dtype:  # PyTorch's mm (no bias) or addmm wording
        if bias is None:
            raise RuntimeError(
                f"expected m1 and m2 to have the same dtype, but got: "
                f"{dtypes.cpp_type_name(input.dtype)} != {dtypes.cpp_type_name(weight.dtype)}")
        raise RuntimeError(
            f"mat1 and mat2 must have the same dtype, but got "
            f"{dtypes.scalar_type_name(input.dtype)} and {dtypes.scalar_type_name(weight.dtype)}"
        )
    if bias is not None and bias._array.dtype != weight._array.dtype:
        raise RuntimeError(
            f"self and mat2 must have the same dtype, but got "
            f"{dtypes.scalar_type_name(bias.dtype)} and {dtypes.scalar_type_name(weight.dtype)}"
        )
    if input.ndim == 0 or input._array.shape[-1] != in_features:
        raise RuntimeError(
            f"Linear({in_features} -> {out_features}) got input of shape {tuple(input.shape)}: "
            f"expected the last dimension to be {in_features}"
        )
    if bias is not None and bias.ndim == 1 and bias._array.shape[0] not in (1, out_features):
        rows = math.prod(input._array.shape[:-1])  # PyTorch's addmm on the input as a matrix
        raise RuntimeError(
            f"The expanded size of the tensor ({out_features}) must match the existing size "
            f"({bias._array.shape[0]}) at non-singleton dimension 1.  Target sizes: "
            f"[{rows}, {out_features}].  Tensor sizes: {list(bias.shape)}")
    if bias is None:
        return Linear.apply(input, weight)
    return Linear.apply(input, weight, bias)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(input, 0)`` elementwise, same shape and dtype (``input.relu()``, with ``inplace``
    ``input.relu_()``); the gradient at 0 is 0, as in PyTorch."""
    return input.relu_() if inplace else input.relu()


def relu_(input: Tensor) -> Tensor:
    """``relu`` written into ``input`` (``input.relu_()``)."""
    return input.relu_()


def _floating_only(input, kernel):
    """PyTorch's NotImplementedError for an activation without an integer or bool kernel."""
    if not dtypes.is_floating(input._array.dtype):
        raise dtypes.not_implemented(kernel, input._array.dtype)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` where ``x > 0``, else ``negative_slope * x`` (slope at 0, as PyTorch). Floating
    tensors only, as in PyTorch (the same for ``elu``, ``silu``, ``gelu``, ``softplus``);
    float16 in float32, rounded once, as PyTorch's kernel."""
    _floating_only(input, "leaky_relu_cpu")
    return _maybe_inplace(input, in_opmath(_leaky_relu, input, negative_slope=negative_slope),
                          inplace)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``leaky_relu`` written into ``input``."""
    return leaky_relu(input, negative_slope, inplace=True)


def _leaky_relu(input, negative_slope):
    return where(input > 0, input, input * negative_slope)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """``x`` clamped to ``[min_val, max_val]``; the gradient is 1 strictly inside, 0 at and
    beyond the bounds (PyTorch's ``hardtanh_backward``)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input._array.dtype is dtypes.bool:
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if input._array.dtype.kind == "u" and (min_val < 0 or max_val < 0):
        raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
    if not input.is_floating_point():  # integers stay integers, as in PyTorch (no gradient)
        return _maybe_inplace(input, input.clamp(min_val, max_val).to(input.dtype), inplace)
    inside = (input > min_val) & (input < max_val)
    return _maybe_inplace(input, where(inside, input, input.detach().clamp(min_val, max_val)),
                          inplace)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """``hardtanh`` written into ``input``."""
    return hardtanh(input, min_val, max_val, inplace=True)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``elu`` written into ``input``."""
    return elu(input, alpha, inplace=True)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``. The exponential is taken of
    ``min(x, 0)``: of a large ``x`` it would overflow, and the branch ``where`` discards would
    still send ``0 * inf = nan`` into the gradient."""
    _floating_only(input, "elu_cpu")
    positive = input > 0
    negative_part = where(positive, 0.0, input)
    return _maybe_inplace(input, where(positive, input, alpha * negative_part.expm1()), inplace)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)`` (also called swish)."""
    _floating_only(input, "silu_cpu")
    return _maybe_inplace(input, in_opmath(lambda x: x * x.sigmoid(), input), inplace)


def gelu(input: Tensor, approximate: str = "none", fused: bool = True) -> Tensor:
    """``x * Phi(x)`` with Phi the standard normal CDF: ``0.5 * x * (1 + erf(x / sqrt(2)))``,
    or with ``approximate="tanh"`` ``0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))``.
    One ``ops.GELU`` node; ``fused=False`` builds it from primitive ops."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError(
            f"approximate argument must be either none or tanh, got {approximate!r}")
    _floating_only(input, "GeluKernelImpl")
    if fused:
        return GELU.apply(input, approximate=approximate)
    if approximate == "none":
        return 0.5 * input * (1 + (input * (1 / math.sqrt(2))).erf())
    inner = math.sqrt(2 / math.pi) * (input + 0.044715 * input * input * input)
    return 0.5 * input * (1 + inner.tanh())


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, and ``x`` itself where ``beta * x > threshold``
    (where the two agree to float precision), as PyTorch."""
    _floating_only(input, "softplus_cpu")
    return in_opmath(_softplus, input, beta=beta, threshold=threshold)


def _softplus(input, beta, threshold):
    scaled = input * beta
    smooth = (scaled.clamp(max=threshold)).exp().log1p() / beta
    return where(scaled > threshold, input, smooth)


def _maybe_inplace(input, result, inplace):
    """``inplace=True`` writes the result into ``input`` (recorded, as PyTorch's in-place
    activations are), else returns it."""
    return input.copy_(result) if inplace else result


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 class indices ``(...)`` as int64 one-hot rows ``(..., num_classes)``; with
    ``num_classes=-1`` the number of classes is the largest index plus one."""
    if not isinstance(tensor, Tensor) or tensor.dtype != dtypes.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        graph.untraceable("one_hot with num_classes=-1 returns a shape that depends on the "
                          "tensor's values")
        labels = tensor._array
        num_classes = int(labels.max()) + 1 if labels.size else 0
    return Derived.apply(tensor, function=_one_hot, keywords={"num_classes": num_classes})


def _one_hot(labels, num_classes):
    """``one_hot``'s rows, with PyTorch's errors for labels outside ``[0, num_classes)``."""
    if labels.size and labels.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if labels.size and labels.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return (labels[..., None] == np.arange(num_classes)).astype(np.int64)


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` ``(num_embeddings, dim)`` picked by the int64 or int32 indices
    ``input`` (any shape); the result has shape ``input.shape + (dim,)``. One ``ops.Embedding``
    node (its backward a sort-based scatter-add).

    As PyTorch's: the row at ``padding_idx`` (negative counts from the end) gets no gradient;
    with ``max_norm``, each row ``input`` picks whose ``norm_type``-norm exceeds it is first
    rescaled in place to norm ``max_norm`` (``row * max_norm / (norm + 1e-7)``, no gradient:
    ``weight``'s version goes up); ``scale_grad_by_freq`` divides each row's gradient by how
    often ``input`` picks it. With ``sparse=True`` the weight's gradient is a sparse COO tensor
    (``sparse.coo.SparseEmbedding``), one entry per looked-up position, as PyTorch's.
    """
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if not isinstance(input, Tensor) or input.dtype not in (dtypes.int64, dtypes.int32):
        got = input.dtype if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {got} instead (while checking arguments for embedding)"
        )
    if padding_idx is not None:
        if not -weight.shape[0] <= padding_idx < weight.shape[0]:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx %= weight.shape[0]
    if max_norm is not None:  # PyTorch's renorm selects the rows first: its error comes first
        rows, size = input._array, list(weight.shape)
        outside = np.unique(rows[(rows < -size[0]) | (rows >= size[0])])
        if outside.size:
            raise IndexError(f"select(): index {outside[0]} out of range for tensor of size "
                             f"{size} at dimension 0")
    ids = Derived.apply(input, function=_embedding_ids,
                        keywords={"num_embeddings": weight.shape[0]})
    if max_norm is not None:
        _renormalise_rows(weight, ids, max_norm, norm_type)
    if sparse:  # the weight's gradient a sparse COO tensor: one entry per position
        from ..sparse.coo import SparseEmbedding  # the sparse package builds on nn's layers
        return SparseEmbedding.apply(weight, ids, padding_idx=padding_idx,
                                     scale_grad_by_freq=bool(scale_grad_by_freq))
    return Embedding.apply(weight, ids, padding_idx=padding_idx,
                           scale_grad_by_freq=bool(scale_grad_by_freq))


def _renormalise_rows(weight, ids, max_norm, norm_type):
    """PyTorch's ``embedding_renorm_``: each distinct row ``ids`` picks whose ``norm_type``-norm
    exceeds ``max_norm`` is scaled in place by ``max_norm / (norm + 1e-7)``, outside autograd.
    As PyTorch's kernel: the norm is computed in float32 for float16 and rounded to the row's
    dtype, the scale rounded to the row's dtype, their product taken in float32."""
    graph.untraceable("embedding(max_norm=...) rescales the rows its indices pick, in place: "
                      "which rows depends on the indices' values")
    rows = np.unique(ids.numpy())
    values = weight.detach().numpy()[rows]
    wide = np.promote_types(values.dtype, np.float32)
    norms = _row_norms(values.astype(wide), norm_type)
    norms = norms.astype(values.dtype).astype(np.float64)
    over = norms > max_norm
    if not over.any():
        return
    scale = (max_norm / (norms[over] + 1e-7)).astype(values.dtype).astype(wide)[:, np.newaxis]
    rescaled = (values[over].astype(wide) * scale).astype(values.dtype)
    with no_grad():
        weight[constant_tensor(rows[over])] = constant_tensor(rescaled)


@functools.cache
def _c_power_functions():
    """The C library's ``powf`` and ``pow`` as NumPy ufuncs (float32, float64), or None where
    ctypes cannot load it."""
    try:
        libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
    except OSError:
        return None
    functions = {}
    for dtype, name, c_type in ((np.float32, "powf", ctypes.c_float),
                                (np.float64, "pow", ctypes.c_double)):
        function = getattr(libm, name)
        function.argtypes, function.restype = (c_type, c_type), c_type
        functions[np.dtype(dtype)] = np.frompyfunc(function, 2, 1)
    return functions


def libm_power(base, exponent):
    """``base ** exponent`` for a float32 or float64 array ``base`` and a scalar ``exponent`` of
    its dtype, computed by the C library's ``powf``/``pow``, as PyTorch's scalar CPU loops
    (``std::pow``) compute it; one call per element (microseconds for thousands). Without a
    loadable C library, NumPy's ``power``."""
    functions = _c_power_functions()
    if functions is None:
        return np.power(base, exponent)
    return functions[base.dtype](base, exponent).astype(base.dtype)


def _row_norms(rows, norm_type):
    """The ``norm_type``-norm of each row of the float32 or float64 ``rows``, as PyTorch's CPU
    reduction computes ``row.norm(norm_type)`` of one row. For a ``norm_type`` other than 0, 1,
    2 and infinity (PyTorch's ``NormOps``) that is ``pow(sum, 1 / p)`` of the sum of
    ``pow(|x|, p)`` taken in order, one element after another, in the rows' dtype, with the C
    library's ``pow``/``powf`` (NumPy's own ``power`` differs from it in the last bit for some
    values; ``libm_power``); 1 is the sum of ``|x|`` in order. 2 is NumPy's: PyTorch sums
    squares in as many lanes as its CPU's vector width, which this does not follow."""
    if rows.shape[1] == 0 or norm_type in (0, 2) or math.isinf(norm_type):
        return np.linalg.norm(rows, ord=norm_type, axis=1)
    if norm_type == 1:
        return np.cumsum(np.abs(rows), axis=1)[:, -1]
    p = rows.dtype.type(norm_type)
    with np.errstate(over="ignore"):
        sums = np.cumsum(libm_power(np.abs(rows), p), axis=1)[:, -1]
    return libm_power(sums, rows.dtype.type(1) / p)


def _embedding_ids(indices, num_embeddings):
    """``indices`` themselves, after PyTorch's error for one outside ``[0, num_embeddings)``."""
    if indices.size and (indices.min() < 0 or indices.max() >= num_embeddings):
        raise IndexError("index out of range in self")
    return indices


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent elementwise, same shape (``input.tanh()``); integer inputs give the
    default float dtype, as in PyTorch."""
    return input.tanh()


def sigmoid(input: Tensor) -> Tensor:
    """``1 / (1 + exp(-input))`` elementwise, same shape (``input.sigmoid()``); integer inputs give
    the default float dtype, as in PyTorch."""
    return input.sigmoid()


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: DTypeLike | None = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``, in ``dtype`` when given. Without ``dim``,
    PyTorch's deprecated implicit choice (dim 0 for 0-, 1- and 3-D input, else 1), with its
    warning."""
    return input.softmax(_implicit_dim("softmax", input, dim, _stacklevel), dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: DTypeLike | None = None) -> Tensor:
    """``x - logsumexp(x)`` along ``dim``, in ``dtype`` when given; ``dim`` as in
    ``softmax``."""
    return input.log_softmax(_implicit_dim("log_softmax", input, dim, _stacklevel), dtype=dtype)


def _implicit_dim(name, input, dim, stacklevel):
    if dim is not None:
        return dim
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if input.ndim in (0, 1, 3) else 1


# ---------------------------------------------------------------------- normalization


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5, fused: bool = True) -> Tensor:
    """Batch normalization of ``input`` ``(N, C, *)`` per channel ``C`` (``(N, C)``,
    ``(N, C, L)``, ``(N, C, H, W)``, ...).

    In training the batch's statistics normalise, with the biased variance, and
    ``running_mean``/``running_var`` (when given) are updated in place:
    ``running = (1 - momentum) * running + momentum * batch``, unbiased variance for
    ``running_var``. Otherwise the running statistics normalise (they must be given, as in
    PyTorch). ``weight``/``bias`` (gamma and beta, ``(C,)``) are optional. ``fused=False``
    computes the same from primitive ops.

    An input without elements comes back as a copy, times ``weight[0]`` plus ``bias[0]`` when
    given, statistics untouched (PyTorch's early return, whatever the shapes); an input of more
    than three dims is normalised as ``(N, C, L)`` with its trailing dims flattened.
    """
    shape = input._array.shape
    if training and shape and shape[0] * math.prod(shape[2:]) == 1:
        raise ValueError("Expected more than 1 value per channel when training, got input size "
                         f"{Size(shape)}")
    if input._array.size == 0:
        out = input.clone()
        if weight is not None:
            out = out * weight[0]
        return out if bias is None else out + bias[0]
    if not training:
        for name, tensor in (("running_mean", running_mean), ("running_var", running_var)):
            if tensor is None:
                raise RuntimeError(f"{name} must be defined in evaluation mode")
    if input._array.ndim < 2:
        normalize_dim(1, input._array.ndim)  # PyTorch reads the channels of dim 1: IndexError
    if input._array.ndim > 3:
        n, channels = input._array.shape[:2]
        flat = input.reshape(n, channels, input._array.size // (n * channels))
        return batch_norm(flat, running_mean, running_var, weight, bias, training, momentum, eps,
                          fused).reshape(input.shape)
    channels = input._array.shape[1]
    for name, tensor in (("running_mean", running_mean), ("running_var", running_var),
                         ("weight", weight), ("bias", bias)):
        if tensor is not None and tensor._array.shape != (channels,):
            raise RuntimeError(
                f"batch_norm: {name} should contain {channels} elements (one per channel of "
                f"input of shape {tuple(input.shape)}), not {tensor.numel()}"
            )
    _check_batch_norm_dtypes(input, running_mean, running_var, weight, bias)
    use_batch_stats = training
    if use_batch_stats and not eps > 0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if weight is None:
        weight = _ones(channels, input.dtype)
    if bias is None:
        bias = constant_tensor(np.zeros(channels, dtype=input.dtype))
    running = (None, None) if running_mean is None or running_var is None else (
        running_mean, running_var)
    if not fused:
        return _batch_norm_composed(input, running, weight, bias, use_batch_stats, momentum, eps)
    return BatchNorm.apply(input, weight, bias, eps=eps, momentum=momentum,
                           training=use_batch_stats, running_mean=running[0],
                           running_var=running[1])


def _check_batch_norm_dtypes(input, *parameters):
    """PyTorch's CPU rule: the parameters and running statistics given share the input's dtype,
    or, for a float16 input, are all float32."""
    dtypes_given = {t._array.dtype for t in parameters if t is not None}
    if not dtypes_given or dtypes_given == {input._array.dtype}:
        return
    if input._array.dtype == np.float16 and len(dtypes_given) > 1:
        raise RuntimeError("expected scalar type Half but found Float")
    if input._array.dtype == np.float16 and dtypes_given == {np.dtype(np.float32)}:
        return
    if input._array.dtype == np.float64:
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
    raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")


def _batch_norm_composed(input, running, weight, bias, use_batch_stats, momentum, eps):
    """Batch norm from primitive ops, step by step as the article writes it."""
    dims = (0,) if input.ndim == 2 else (0, 2)
    shape = (1, -1) if input.ndim == 2 else (1, -1, 1)
    running_mean, running_var = running
    if use_batch_stats:
        mean = input.mean(dim=dims, keepdim=True)             # step 1: batch mean
        centred = input - mean                                # step 2: centre
        var = (centred * centred).mean(dim=dims, keepdim=True)  # step 3: biased variance
        if running_mean is not None:
            graph.effect(update_running_statistics, running_mean, running_var, mean, var,
                         input.numel() // input.shape[1], momentum)
    else:
        mean = running_mean.reshape(shape)
        var = running_var.reshape(shape)
        centred = input - mean
    std = (var + eps).sqrt()                                  # step 4: standard deviation
    x_hat = centred / std                                     # step 5: normalise
    return x_hat * weight.reshape(shape) + bias.reshape(shape)  # step 6: scale and shift


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Instance normalization of ``input`` ``(N, C, *)``: each sample's channel normalised over
    its own positions (biased variance), then ``weight``/``bias`` ``(C,)`` per channel, as
    PyTorch's ``instance_norm``: batch norm of the ``(1, N * C, *)`` view (one fused
    ``ops.BatchNorm`` node), the running statistics (when given) updated with the mean over
    the batch of the per-instance statistics. ``use_input_stats=False`` normalises with the
    running statistics instead."""
    shape = tuple(input._array.shape)
    if use_input_stats and math.prod(shape[2:]) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{list(shape)}")
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")
    if not use_input_stats:  # the same running statistics for every sample
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    n, channels = shape[:2]
    repeated = [None if t is None else t.repeat(n) for t in (weight, bias)]
    running = [None, None]
    if running_mean is not None and running_var is not None:
        graph.untraceable("instance_norm with running statistics averages them over the batch "
                          "in Python")
        running = [Tensor(np.tile(t._array, n)) for t in (running_mean, running_var)]
    out = batch_norm(input.reshape(1, n * channels, *shape[2:]), running[0], running[1],
                     repeated[0], repeated[1], True, momentum, eps)
    if running[0] is not None:
        for buffer, updated in zip((running_mean, running_var), running):
            buffer._array[...] = updated._array.reshape(n, channels).mean(axis=0)
    return out.reshape(shape)


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """``input / (k + alpha * mean of input**2 over the size channels around c) ** beta``
    (channels dim 1, the window zero-padded: ``size // 2`` before, ``(size - 1) // 2`` after),
    PyTorch's ``local_response_norm``."""
    if input.ndim < 3:
        raise ValueError(
            f"Expected 3D or higher dimensionality input (got {input.ndim} dimensions)")
    if input._array.size == 0:
        return input
    squares = input * input
    channels = input.shape[1]
    widths = [0, 0] * (input.ndim - 2) + [size // 2, (size - 1) // 2]
    padded = pad(squares, widths)
    window = padded.narrow(1, 0, channels)
    for start in range(1, size):
        window = window + padded.narrow(1, start, channels)
    # an integer input's window average is an integer division, as PyTorch's avg_pool3d
    mean = window // size if not dtypes.is_floating(input._array.dtype) else window / size
    div = (mean * alpha + k) ** beta
    return input / div


def layer_norm(input: Tensor, normalized_shape: ShapeLike, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5, fused: bool = True) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dims of each sample (biased variance),
    then scale by ``weight`` and shift by ``bias`` (both of the normalised shape, optional).
    One ``ops.LayerNorm`` node (see there for the backward); ``fused=False`` builds the same
    from primitive ops."""
    normalized_shape = _shape_tuple(normalized_shape)
    if not normalized_shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    for name, parameter in (("weight", weight), ("bias", bias)):
        if parameter is not None and tuple(parameter.shape) != normalized_shape:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                f"shape {list(parameter.shape)} and normalized_shape = {list(normalized_shape)}")
    if tuple(input.shape[input.ndim - len(normalized_shape):]) != normalized_shape:
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(map(str, normalized_shape))}], but got input of size"
            f"{list(input.shape)}"
        )
    dtype = input._array.dtype
    _floating_only(input, "LayerNormKernelImpl")
    if (dtype == dtypes.float16 and any(p is not None for p in (weight, bias))
            and all(p is None or p._array.dtype == dtypes.float32 for p in (weight, bias))):
        # PyTorch's mixed-type CPU kernel (what autocast hands a float32 LayerNorm after a
        # float16 matmul): computed in float32, returned in float16
        return layer_norm(input.float(), normalized_shape, weight, bias, eps, fused).half()
    if (fused and input._array.size and dtypes.is_floating(dtype)
            and all(p is None or (p._array.dtype == dtype and p._array.shape == normalized_shape)
                    for p in (weight, bias))):
        if weight is None:
            weight = constant_tensor(np.ones(normalized_shape, dtype=dtype))
        if bias is None:
            bias = constant_tensor(np.zeros(normalized_shape, dtype=dtype))
        return LayerNorm.apply(input, weight, bias, eps=eps)
    dims = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    mean = input.mean(dim=dims, keepdim=True)
    centred = input - mean
    var = (centred * centred).mean(dim=dims, keepdim=True)
    out = centred / (var + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def _shape_tuple(shape):
    return (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)


def rms_norm(input: Tensor, normalized_shape: ShapeLike, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """Root-mean-square normalization over the last ``len(normalized_shape)`` dims (no centring,
    no bias): ``x / sqrt(mean(x**2) + eps) * weight``, PyTorch's. ``eps`` None is the machine
    epsilon of the dtype it is computed in (float32's for float16, which is computed in float32
    and rounded once before ``weight``, as PyTorch). ``weight`` has the normalised shape;
    ``normalized_shape`` is a tuple or list (an int is refused, as by PyTorch's function; the
    module accepts one)."""
    if isinstance(normalized_shape, numbers.Integral):
        raise TypeError("rms_norm(): argument 'normalized_shape' (position 2) must be tuple of "
                        f"ints, not {type(normalized_shape).__name__}")
    normalized_shape = tuple(normalized_shape)
    if not normalized_shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    if weight is not None and tuple(weight.shape) != normalized_shape:
        raise RuntimeError(
            f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
            f"{list(weight.shape)} and normalized_shape = {list(normalized_shape)}")
    count = len(normalized_shape)
    if input.ndim < count or tuple(input.shape[input.ndim - count:]) != normalized_shape:
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*{', '.join(map(str, normalized_shape))}], but got input of size"
            f"{list(input.shape)}")
    _floating_only(input, "rms_norm")
    if eps is None:
        eps = float(np.finfo(np.promote_types(input._array.dtype, np.float32)).eps)
    dims = tuple(range(input.ndim - count, input.ndim))
    out = in_opmath(lambda x: x * ((x * x).mean(dim=dims, keepdim=True) + eps).rsqrt(), input)
    return out if weight is None else out * weight


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Group normalization of ``input`` ``(N, C, *)``: the ``C`` channels split into
    ``num_groups`` groups, each sample's group normalised over its channels and positions
    (biased variance), then ``weight`` and ``bias`` ``(C,)`` per channel, PyTorch's. The
    statistics are ``layer_norm``'s (one ``ops.LayerNorm`` node) over ``(N, G, C/G * ...)``;
    identical in training and eval. One value per group is refused, as PyTorch's
    ``_verify_batch_size`` does."""
    if input.ndim < 2:
        raise RuntimeError(
            f"Expected at least 2 dimensions for input tensor but received {input.ndim}")
    shape = tuple(input._array.shape)
    size = [shape[0] * shape[1] // num_groups, num_groups, *shape[2:]]
    if math.prod(size[:1] + size[2:]) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                         f"{size}")
    channels = shape[1]
    if channels % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {list(shape)} and num_groups={num_groups}")
    for name, parameter in (("weight", weight), ("bias", bias)):
        if parameter is not None and (parameter.ndim != 1 or parameter.numel() != channels):
            # sic: PyTorch's message shows the weight's shape, for the bias too ([0] when None)
            shown = [0] if weight is None else list(weight.shape)
            raise RuntimeError(
                f"Expected {name} to be a vector of size equal to the number of channels in "
                f"input, but got {name} of shape {shown} and input of shape {list(shape)}")
    _floating_only(input, "GroupNormKernelImpl")
    _check_batch_norm_dtypes(input, weight, bias)
    # float16 (with float16 or float32 parameters) is computed in float32 and rounded once, as
    # PyTorch's kernel does
    half = input._array.dtype is dtypes.float16
    widened = [None if t is None else t.float() if half else t for t in (input, weight, bias)]
    input, weight, bias = widened
    group_size = channels // num_groups * math.prod(shape[2:])
    grouped = input.reshape(shape[0], num_groups, group_size)
    out = layer_norm(grouped, (group_size,), eps=eps).reshape(shape)
    per_channel = (channels,) + (1,) * (len(shape) - 2)
    if weight is not None:
        out = out * weight.reshape(per_channel)
    if bias is not None:
        out = out + bias.reshape(per_channel)
    return out.half() if half else out


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            generator: Generator | None = None) -> Tensor:
    """Inverted dropout: in training, zero each element with probability ``p`` and scale the
    rest by ``1 / (1 - p)`` so the expected value is unchanged; identity otherwise."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    return Dropout.apply(input, p=p, generator=generator)


# ---------------------------------------------------------------------- losses


@float32_op
def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0,
                  fused: bool = True) -> Tensor:
    """Cross-entropy between logits ``input`` and ``target``, in PyTorch's three layouts:

    =========================  ===========================================  ====================
    ``input``                  ``target``                                   ``"none"`` returns
    =========================  ===========================================  ====================
    ``(C,)``                   ``()`` or ``(1,)`` index, or ``(C,)``        ``()``
    ``(N, C)``                 ``(N,)`` indices, or ``(N, C)``              ``(N,)``
    ``(N, C, d1, ..., dK)``    ``(N, d1, ..., dK)`` indices, or as input    ``(N, d1, ..., dK)``
    =========================  ===========================================  ====================

    Indices are int64; a float target shaped like the input holds class probabilities (dim 1
    the class dim, as in the input). Every position ``(n, d1, ..., dK)`` is one row of
    ``ops.CrossEntropy``: the class dim is moved last and the rest flattened to ``(M, C)``,
    ``M = N * d1 * ... * dK``. See there for the formula and the ``ignore_index``, weighting and
    smoothing rules (PyTorch's): ``"mean"`` divides by the summed weights ``w[y]`` of the
    positions not ignored (indices) or by ``M`` (probabilities). ``fused=False`` builds the same
    loss from primitive ops.
    """
    _check_reduction(reduction)
    _check_is_tensor(target)
    _check_floating_input(input, "log_softmax_lastdim_kernel_impl")
    probabilities = target._array.shape == input._array.shape
    if probabilities:  # PyTorch's checks in PyTorch's order, so a bad call fails as it would there
        if not dtypes.is_floating(target.dtype):
            raise RuntimeError("Expected floating point type for target with class probabilities, "
                               f"got {dtypes.scalar_type_name(target.dtype)}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        if input._array.ndim == 0:
            raise IndexError("Dimension specified as 1 but tensor has no dimensions")
        _check_weight(weight, input.shape[1 if input._array.ndim > 1 else 0], "cross_entropy: ")
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if not probabilities:
        if input._array.ndim == 0:
            raise IndexError(
                "Dimension out of range (expected to be in range of [-1, 0], but got 1)")
        _check_class_target(input, target, weight, probabilities_hint=True)
    if input._array.dtype is dtypes.float16:
        return _cross_entropy_float16(input, target, weight, ignore_index, reduction,
                                      label_smoothing, probabilities)
    rows, target_rows, shape = _classes_last(input, target, probabilities)
    if fused:  # the class weights, when given, are a third input
        weights = () if weight is None else (weight.to(input.dtype),)
        out = CrossEntropy.apply(rows, target_rows, *weights, ignore_index=ignore_index,
                                 reduction=reduction, label_smoothing=label_smoothing)
    else:
        out = _cross_entropy_composed(rows, target_rows, weight, ignore_index, reduction,
                                      label_smoothing, probabilities)
    return _unflatten(out, shape, reduction)


def _cross_entropy_composed(input, target, weight, ignore_index, reduction, label_smoothing,
                            probabilities):
    """The same loss as ``ops.CrossEntropy`` on rows ``(M, C)``, from ``log_softmax``, indexing
    and sums."""
    n, classes = input.shape
    log_p = input.log_softmax(dim=1)
    w = _ones(classes, input.dtype) if weight is None else weight
    if probabilities:
        q = target * (1 - label_smoothing) + label_smoothing / classes
        losses = -(log_p * q * w).sum(dim=1)
        return _reduce(losses, reduction, n)
    valid, labels = _counted_labels(target, classes, ignore_index)
    picked_weight = w[labels] * valid.to(input.dtype)
    losses = -_picked(log_p, labels, valid) * picked_weight * (1 - label_smoothing)
    if label_smoothing:
        smoothed = (log_p * w).sum(dim=1) * (label_smoothing / classes)
        losses = losses - where(valid, smoothed, 0.0)
    return _reduce(losses, reduction, picked_weight.sum(), counted=valid)


def _cross_entropy_float16(input, target, weight, ignore_index, reduction, label_smoothing,
                           probabilities):
    """float16 cross-entropy composed as PyTorch composes it, op by op, so that every float16
    rounding is PyTorch's: ``log_softmax`` over the class dim of the input as given (PyTorch's
    last-dim kernel rounds its sum to float16, the others do not), then ``nll_loss`` (its
    float16 cascade sum) for class indices, ``-(log_p * target * weight)`` summed for
    probabilities, and ``(1 - eps) * nll + eps / C * smoothing term`` with label smoothing."""
    class_dim = 0 if input._array.ndim == 1 else 1
    classes = input._array.shape[class_dim]
    log_p = input.log_softmax(class_dim)
    if weight is not None:  # no gradient, in the input's dtype, as the fused op takes them
        weight = weight.detach().to(input.dtype)
    if weight is not None and input._array.ndim > 1:  # the class weights along the class dim
        weight_view = weight.reshape(classes, *([1] * (input._array.ndim - 2)))
    else:
        weight_view = weight
    if probabilities:
        if label_smoothing > 0:
            # PyTorch multiplies by a number in float32 but adds one rounded to float16
            target = _by_number(target, lambda t: t * (1 - label_smoothing)) + \
                label_smoothing / classes
        product = log_p * target if weight is None else log_p * target * weight_view
        if reduction == "none":
            return -product.sum(class_dim)
        if reduction == "sum":
            return -product.sum()
        rows = input._array.size // classes if classes else 0
        return -product.sum() / rows if rows else -product.sum() * math.nan
    nll = nll_loss(log_p, target, weight, ignore_index, reduction)
    if not label_smoothing:
        return nll
    smooth = -(log_p.sum(class_dim) if weight is None else (log_p * weight_view).sum(class_dim))
    ignored = target == ignore_index
    smooth = where(ignored, 0.0, smooth)
    if reduction == "mean":
        if weight is None:
            smooth = smooth.sum() / (~ignored).sum()
        else:
            labels = where(ignored, 0, target)
            smooth = smooth.sum() / where(ignored, 0.0, weight[labels]).sum()
    elif reduction == "sum":
        smooth = smooth.sum()
    return (_by_number(nll, lambda t: t * (1 - label_smoothing))
            + _by_number(smooth, lambda t: t * (label_smoothing / classes)))


def _by_number(tensor, operation):
    """``operation(tensor)``, a product with a Python number, as PyTorch computes it for a
    float16 tensor: the number in float32 (not rounded to float16 first), the result rounded
    to float16 once. (PyTorch's sum with a number rounds the number to float16, as ``+``
    does here.)"""
    if tensor._array.dtype is not dtypes.float16:
        return operation(tensor)
    return operation(tensor.float()).half()


def _ones(classes, dtype):
    """Ones, a constant: the class weights of a loss given none, BatchNorm's default weight."""
    return constant_tensor(np.ones(classes, dtype=dtype))


def _counted_labels(target, classes, ignore_index):
    """``(valid, labels)`` of int64 class indices ``target`` ``(M,)``: which rows count (their
    label is not ``ignore_index``), and the labels with 0 in the rows that do not, ready to
    index with. Computed as ops, so that a jit replay recomputes them from each call's labels;
    a label outside ``[0, classes)`` raises PyTorch's ``IndexError`` (replays included)."""
    valid = Derived.apply(target, function=_valid_labels,
                          keywords={"classes": classes, "ignore_index": ignore_index})
    return valid, where(valid, target, 0)


def _valid_labels(labels, classes, ignore_index):
    """Whether each label counts (is not ``ignore_index``), after checking the others are class
    indices."""
    check_labels_in_range(labels, classes, ignore_index)
    return labels != ignore_index


def _picked(log_p, labels, valid):
    """``log_p[i, labels[i]]`` for each row, 0 in rows that are not ``valid`` (selected, not
    multiplied by 0: a ``-inf`` there would make ``0 * -inf = nan``)."""
    return where(valid, log_p[np.arange(log_p.shape[0]), labels], 0.0)


@float32_op
def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` at int64 class indices
    ``target``: ``-w[y] * input[n, y, d1, ..., dK]`` at each position, in the layouts of
    ``cross_entropy`` (``(C,)`` with ``()``, ``(N, C)`` with ``(N,)``, ``(N, C, d1, ..., dK)``
    with ``(N, d1, ..., dK)``; ``"none"`` returns the target's shape, ``()`` for ``(1,)``).
    Positions whose label is ``ignore_index`` count zero; ``"mean"`` divides by the summed
    weights ``w[y]`` of the others."""
    _check_reduction(reduction)
    _check_is_tensor(target)
    _check_floating_input(input, "nll_loss_out_frame")
    _check_class_target(input, target, weight)
    rows, target_rows, shape = _classes_last(input, target, probabilities=False)
    classes = rows.shape[1]
    valid, labels = _counted_labels(target_rows, classes, ignore_index)
    # The weights get no gradient here (PyTorch's nll_loss has none for them).
    w = _ones(classes, input.dtype) if weight is None else weight.detach().to(input.dtype)
    picked_weight = w[labels] * valid.to(input.dtype)
    losses = -_picked(rows, labels, valid) * picked_weight
    total = divisor = None
    if reduction != "none" and input._array.dtype is dtypes.float16:
        # PyTorch's kernel sums float16 losses (and weights) in float16, in its cascade order
        total = CascadeSum.apply(losses, valid)
        if weight is not None:
            divisor = CascadeSum.apply(picked_weight, valid)
    if divisor is None:
        divisor = picked_weight.sum()
    reduced = _reduce(losses, reduction, divisor, counted=valid, total=total)
    return _unflatten(reduced, shape, reduction)


def _classes_last(input, target, probabilities):
    """``input`` ``(N, C, d1, ..., dK)`` as rows ``(M, C)``, one per position (``M = N * d1 *
    ... * dK``), the target likewise (``(M,)`` indices or ``(M, C)`` probabilities), and the
    shape ``(N, d1, ..., dK)`` of the unreduced loss. ``(C,)`` is one row; ``(N, C)`` already
    is rows. Permute and reshape are differentiable, so gradients flow back unchanged."""
    if input._array.ndim == 1:
        classes = input._array.shape[0]
        return (input.reshape(1, classes),
                target.reshape((1, classes) if probabilities else (1,)), ())
    if input._array.ndim == 2:
        return input, target, (input._array.shape[0],)
    classes, shape = input._array.shape[1], (input._array.shape[0], *input._array.shape[2:])
    last = (0, *range(2, input._array.ndim), 1)
    rows = math.prod(shape)
    if probabilities:
        target = target.permute(*last).reshape(rows, classes)
    else:
        target = target.reshape(rows)
    return input.permute(*last).reshape(rows, classes), target, shape


def _unflatten(losses, shape, reduction):
    """The per-row losses of ``_classes_last``'s rows in the target's layout, for ``"none"``."""
    if reduction != "none" or losses._array.shape == shape:
        return losses
    return losses.reshape(shape)


@float32_op
def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error ``(input - target)**2``, reduced. Differently shaped operands
    broadcast with a warning, as in PyTorch."""
    _check_reduction(reduction)
    _warn_if_broadcast(input, target)
    diff = input - target
    return _reduce(diff * diff, reduction, None)


def _warn_if_broadcast(input, target):
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(
            f"Using a target size ({tuple(target.shape)}) that is different to the input size "
            f"({tuple(input.shape)}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            UserWarning,
            stacklevel=3,
        )


@float32_op
def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean absolute error ``|input - target|``, reduced."""
    _check_reduction(reduction)
    _warn_if_broadcast(input, target)
    return _reduce((input - target).abs(), reduction, None)


@float32_op
def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = input -
    target``); ``beta=0`` is the L1 loss."""
    _check_reduction(reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    _warn_if_broadcast(input, target)
    distance = (input - target).abs()
    if beta == 0:
        return _reduce(distance, reduction, None)
    losses = where(distance < beta, 0.5 * distance * distance / beta, distance - 0.5 * beta)
    return _reduce(losses, reduction, None)


@float32_op
def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean",
               delta: float = 1.0) -> Tensor:
    """``0.5 d**2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 delta)``, ``d = input -
    target``. The elementwise losses of float16 are computed in float32 and rounded once (the
    reduction then sums the rounded losses), as PyTorch's kernel."""
    _check_reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _warn_if_broadcast(input, target)

    def losses(input, target):
        distance = (input - target).abs()
        return where(distance < delta, 0.5 * distance * distance,
                     delta * (distance - 0.5 * delta))

    return _reduce(in_opmath(losses, input, target), reduction, None)


@float32_op
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         reduction: str = "mean") -> Tensor:
    """``-w * (t log(x) + (1 - t) log(1 - x))`` for probabilities ``x`` in ``[0, 1]``; each log
    is clamped at -100 (as PyTorch), so a confident wrong answer costs 100, not infinity."""
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Using a target size ({_size(target)}) that is different to the input size "
            f"({_size(input)}) is deprecated. Please ensure they have the same size."
        )
    losses = BinaryCrossEntropy.apply(input, target.to(input.dtype))  # checks 0 <= input <= 1
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction, None)


@float32_op
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross-entropy of ``sigmoid(input)``, computed stably from the logits:
    ``(1 - t) x + (1 + (p - 1) t) * log(1 + exp(-x))``, with ``log(1 + exp(-x))`` written as
    ``log1p(exp(-|x|)) + max(-x, 0)``; ``pos_weight`` ``p`` (one per class) weighs the positive
    term."""
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Target size ({_size(target)}) must be the same as input size ({_size(input)})"
        )
    if pos_weight is not None and pos_weight.requires_grad:
        raise RuntimeError(
            "The function 'binary_cross_entropy_with_logits' is not differentiable with respect "
            "to argument 'pos_weight'. This input cannot have requires_grad True."
        )
    # -log(sigmoid(x)), computed as one op (float16 in float32, rounded once), as PyTorch's
    # log_sigmoid; the rest op by op, as PyTorch composes it
    softplus_negative = in_opmath(_softplus_negative, input)
    if pos_weight is None:
        losses = (1 - target) * input + softplus_negative
    else:
        losses = (1 - target) * input + (1 + (pos_weight - 1) * target) * softplus_negative
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction, None)


def _softplus_negative(input):
    """``log(1 + exp(-x)) = log1p(exp(-|x|)) + max(-x, 0)``, which never overflows. The max is
    ``maximum`` with 0, which halves the gradient on the tie at ``x = 0``: -1/2 there, the
    derivative PyTorch's ``-log_sigmoid`` gives (``clamp`` passed all of it, and ``abs`` none,
    so the gradient at 0 was -1)."""
    zero = constant_tensor(np.zeros((), input.dtype), 0)
    return (-input.abs()).exp().log1p() + (-input).maximum(zero)


@float32_op
def kl_div(input: Tensor, target: Tensor, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence of ``target`` from the log-probabilities ``input``:
    pointwise ``xlogy(t, t) - t * input`` (``t log t``, 0 where ``t`` is 0, NaN for a negative
    ``t``; PyTorch's formula, gradients included), or ``exp(t) * (t - input)`` with
    ``log_target``. ``reduction="batchmean"`` divides the sum by the batch size, which is the
    true KL divergence; ``"mean"`` divides by the number of elements."""
    if reduction not in REDUCTIONS + ("batchmean",):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        losses = target.exp() * (target - input)
    else:
        losses = XLogY.apply(target, target) - target * input
    if reduction == "batchmean":
        return losses.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(losses, reduction, None)


def _size(tensor):
    return f"torch.Size({list(tensor.shape)})"


def _reduce(losses, reduction, divisor, counted=None, total=None):
    """``losses`` reduced: as they are, summed, or summed over ``divisor`` (the mean when it is
    None); ``total``, when given, is their sum, computed already. ``counted`` (a bool tensor:
    which rows count), when given, brings PyTorch's edge cases, as ops rather than Python
    branches on values (a jit replay meets them too): no row counted gives a nan mean with a
    zero gradient; rows that count but weigh 0 in total give nan, gradients included."""
    if reduction == "none":
        return losses
    if total is None:
        total = losses.sum()
    if reduction == "sum":
        return total
    if divisor is None:
        return losses.mean()
    if counted is None:
        return total / divisor
    any_counted = counted.any()
    # nan for 0 / 0 (it then reaches every input); 1 when nothing counts, so that the zero
    # gradient the final where sends back stays zero through the division.
    divisor = where(any_counted, where(divisor == 0, math.nan, divisor), 1.0)
    return where(any_counted, total / divisor, math.nan)


def _check_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _check_floating_input(input, kernel):
    """Logits and log-probabilities must be floating: PyTorch has no integer kernel."""
    if not dtypes.is_floating(input.dtype):
        raise dtypes.not_implemented(kernel, input.dtype)


def _check_is_tensor(target):
    if not isinstance(target, Tensor):
        raise TypeError(f"target must be a Tensor, got {type(target).__name__}")


def _check_weight(weight, classes, prefix=""):
    """Class weights: one per class, ``(C,)``."""
    if weight is not None and weight._array.shape != (classes,):
        raise RuntimeError(
            f"{prefix}weight tensor should be defined either for all {classes} classes or no "
            f"classes but got weight tensor of shape: {list(weight.shape)}"
        )


def _check_class_target(input, target, weight, probabilities_hint=False):
    """Validate int64 class indices against ``input`` ``(C,)``, ``(N, C)`` or ``(N, C, d1, ...,
    dK)``: PyTorch's checks with PyTorch's messages, in PyTorch's order (its 2-D, 4-D and other
    kernels each check a little differently). ``probabilities_hint`` adds, for a float target,
    when cross_entropy would have read it as probabilities. The labels' values are checked by
    the ops that read them, at every forward (jit replays included)."""
    if input._array.ndim == 0:
        raise ValueError(f"Expected 1 or more dimensions (got {input._array.ndim})")
    n, classes = input._array.shape[0], input._array.shape[1 if input._array.ndim > 1 else 0]
    if input._array.ndim > 1 and (target._array.ndim == 0 or target._array.shape[0] != n):
        size = "a scalar" if target._array.ndim == 0 else target._array.shape[0]
        raise ValueError(f"Expected input batch_size ({n}) to match target batch_size ({size}).")
    spatial = tuple(input._array.shape[2:])
    expected = (n, *spatial) if input._array.ndim > 1 else ()
    if input._array.ndim <= 2 and target._array.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input._array.ndim == 4 and target._array.ndim != 3:
        raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                           f"targets of dimension: {target._array.ndim}")
    if input._array.ndim not in (1, 2, 4) and tuple(target._array.shape[1:]) != spatial:
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(target._array.shape)}")
    if target._array.dtype != dtypes.int64:
        message = (f"expected target dtype to be Long (int64 class indices of shape {expected}), "
                   f"but got {target.dtype} of shape {tuple(target._array.shape)}")
        if probabilities_hint and dtypes.is_floating(target.dtype):
            message += ("; float targets are read as class probabilities only when shaped like "
                        f"the input {tuple(input._array.shape)}")
        raise RuntimeError(message)
    if input._array.ndim == 1 and target._array.ndim == 1 and target._array.shape[0] != 1:
        raise ValueError("For 1D input, 1D target must have size 1, but got target size: "
                         f"{target._array.shape[0]}")
    if input._array.ndim <= 2:
        _check_weight(weight, classes)
    elif weight is not None and tuple(weight._array.shape) != (classes,):
        raise RuntimeError("weight tensor should be defined either for all or no classes")
    if input._array.ndim == 4 and tuple(target._array.shape[1:]) != spatial:
        raise RuntimeError(f"size mismatch (got input: {list(input._array.shape)} , target: "
                           f"{list(target._array.shape)}")  # sic: PyTorch's message has no ")"


# Margin, embedding and likelihood losses, in a file of their own; imported last, as they are
# built from the functions above.
from .functional_losses import (  # noqa: E402,F401
    cosine_embedding_loss, ctc_loss, gaussian_nll_loss, hinge_embedding_loss, margin_ranking_loss,
    multi_margin_loss, multilabel_margin_loss, multilabel_soft_margin_loss, poisson_nll_loss,
    soft_margin_loss, triplet_margin_loss, triplet_margin_with_distance_loss,
)

# The cross entropy of a linear layer's logits (PyTorch 2.13), with its module and options.
from .linear_cross_entropy import linear_cross_entropy  # noqa: E402,F401

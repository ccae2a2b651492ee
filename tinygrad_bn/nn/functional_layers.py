"""Layer functions of ``nn.functional`` beyond the common ones, built from existing
differentiable ops so that autograd derives their gradients: ``bilinear``, ``embedding_bag``,
``gumbel_softmax`` and ``channel_shuffle``."""

from __future__ import annotations

import warnings

import numpy as np

from .. import dtypes
from ..ops import Derived, Embedding
from ..printing import Size
from ..shapes import normalize_dim
from ..tensor import Tensor, constant_tensor, einsum, in_opmath, qualified_type_name, where


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y[..., o] = sum_ij input1[..., i] weight[o, i, j] input2[..., j] + bias[o]``.

    Shapes: ``input1`` ``(..., in1)``, ``input2`` ``(..., in2)`` with the same leading dims,
    ``weight`` ``(out, in1, in2)``, ``bias`` ``(out,)``; the result is ``(..., out)``. One
    ``einsum`` (PyTorch's ``_trilinear``), so the gradient of every argument is autograd's.
    Checks and messages are PyTorch's, in its order."""
    for position, (name, tensor) in enumerate((("input1", input1), ("input2", input2),
                                               ("weight", weight)), start=1):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"bilinear(): argument '{name}' (position {position}) must be Tensor, "
                            f"not {qualified_type_name(tensor)}")
    names = [("input1", input1), ("input2", input2), ("weight", weight)]
    if bias is not None:
        names.append(("bias", bias))
    if len({tensor._array.dtype for _, tensor in names}) > 1:
        raise RuntimeError("All tensors must have the same dtype, got " + ", ".join(
            f"{name}: {dtypes.cpp_type_name(tensor.dtype)}" for name, tensor in names))
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} and "
                           f"{input2.ndim}")
    for dim in range(input1.ndim - 1):
        if input1.shape[dim] != input2.shape[dim]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {dim}: "
                               f"got {input1.shape[dim]} and {input2.shape[dim]}")
    for name, tensor, dim in (("input1", input1, 1), ("input2", input2, 2)):
        expected = weight.shape[normalize_dim(dim, weight.ndim)]
        got = tensor.shape[normalize_dim(-1, tensor.ndim)]
        if got != expected:
            raise RuntimeError(f"bilinear(): {name} size does not match weight size: got {got} "
                               f"but expected {expected}")
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-D (out, in1, in2), got {weight.ndim}-D")
    if bias is not None and bias.shape[normalize_dim(0, bias.ndim)] != weight.shape[0]:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias.shape[0]} but expected {weight.shape[0]}")
    output = einsum("...oj,...j->...o", einsum("...i,oij->...oj", input1, weight), input2)
    return output if bias is None else output + bias


EMBEDDING_BAG_MODES = ("sum", "mean", "max")


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Sums, means or maxima of bags of rows of ``weight`` ``(num_embeddings, dim)`` in one
    call (PyTorch's ``F.embedding_bag``). Returns ``(bags, dim)`` in ``weight``'s dtype.
    PyTorch's kernel never forms the ``(entries, dim)`` embeddings; this one does, for the
    sums and means (the lookup's gradient is then ``ops.Embedding``'s).

    Bags: a 2-D ``input`` ``(B, N)`` is B bags of N indices (``offsets`` must be None); a 1-D
    ``input`` is cut into bags at the positions ``offsets`` (1-D, starting at 0), the last bag
    running to the end; with ``include_last_offset`` ``offsets[-1]`` is the input's length (one
    bag fewer than offsets). An empty bag gives zeros. Where ``offsets[-1]`` is less than the
    length (against PyTorch's documentation), the last bag runs to the end all the same, as
    PyTorch's float64 kernel does (its float32 and float16 kernels end its sum there but
    divide by the size to the end for the mean and take the maximum to the end).

    - ``mode="sum"``: ``sum_i per_sample_weights[i] * weight[input[i]]`` over the bag
      (``per_sample_weights``, shaped as ``input``, only in this mode; default 1).
    - ``mode="mean"``: the sum divided by the bag's size.
    - ``mode="max"``: the maximum of each column over the bag; the gradient goes to the first
      entry holding it, as PyTorch's.
    - ``padding_idx``: entries equal to it are left out of their bag (and out of its size); its
      row gets no gradient.
    - ``max_norm``/``norm_type``: rows picked whose norm exceeds ``max_norm`` are rescaled in
      place first, as in ``F.embedding``. ``scale_grad_by_freq`` divides each row's gradient by
      how often ``input`` picks it. PyTorch's CPU kernel (2.13) differs there: it divides the
      gradient of the k-th distinct index (ascending) by the frequency of the k-th smallest
      entry of ``input`` (an indexing slip), which agrees only when those frequencies do. ``sparse=True`` makes the weight's gradient
      a sparse COO tensor, one entry per looked-up index (padding ones left out), as PyTorch's.

    Built from ``ops.Embedding`` (the lookup), a multiplication, ``index_add`` (the bag sums)
    and ``gather`` (the maxima), so every gradient, including that of ``per_sample_weights``,
    is autograd's. Which bag each entry belongs to, the bag sizes and the maximum's positions
    are ``Derived`` results of the indices' values (no gradient, replayed by a jit capture).
    """
    # The lookup, the renormalisation and the index check are F.embedding's: nn.functional
    # imports this module, so it is imported here, when the call runs.
    from .functional import _embedding_ids, _renormalise_rows
    if weight._array.dtype == dtypes.int64 and dtypes.is_floating(input._array.dtype):
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage "
                      "`embedding_bag(weight, input, ...)` is deprecated, and should now be "
                      "`embedding_bag(input, weight, ...)`.", stacklevel=2)
        weight, input = input, weight
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({Size(per_sample_weights.shape)})"
                         f" is not None, then it must have the same shape as the input "
                         f"({Size(input.shape)})")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.ndim}")
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is "
                             "a mini-batch of fixed length sequences. However, found offsets of "
                             f"type {type(offsets)}")
        if input.shape[1] == 0:
            raise RuntimeError("step must be nonzero")  # PyTorch's arange(0, numel, 0)
        offsets = constant_tensor(np.arange(0, input.numel(), input.shape[1],
                                            dtype=input._array.dtype))
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.ndim}")
    if mode not in EMBEDDING_BAG_MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    for name, tensor in (("indices", input), ("offsets", offsets)):
        if tensor._array.dtype not in (dtypes.int64, dtypes.int32):
            raise RuntimeError(
                "Expected tensor for argument #1 'indices' to have one of the following scalar "
                f"types: Long, Int; but got {_legacy_type_name(tensor)} instead (while checking "
                "arguments for embedding_bag)")
    if not dtypes.is_floating(weight._array.dtype):
        raise RuntimeError(
            "Expected tensor for argument #1 'weight' to have one of the following scalar types: "
            f"Half, BFloat16, Float, Double; but got {_legacy_type_name(weight)} instead (while "
            "checking arguments for embedding_bag)")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub.")
    if per_sample_weights is not None and per_sample_weights._array.dtype != weight._array.dtype:
        raise RuntimeError(
            "Expected tensor for argument #1 'weight' to have the same type as tensor for "
            f"argument #1 'per_sample_weights'; but type {_legacy_type_name(weight)} does not "
            f"equal {_legacy_type_name(per_sample_weights)} (while checking arguments for "
            "embedding_bag)")
    num_embeddings, dim = weight.shape
    if padding_idx is not None:
        if not -num_embeddings <= padding_idx < num_embeddings:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, "
                               f"-{num_embeddings} through {num_embeddings - 1}, but got "
                               f"{padding_idx}")
        padding_idx %= num_embeddings
    bags = offsets.shape[0] - bool(include_last_offset)
    if include_last_offset and bags < 0:
        raise RuntimeError("include_last_offset: number of offset should be at least 1")
    ids = Derived.apply(input, function=_bag_indices, keywords={"num_embeddings": num_embeddings})
    if max_norm is not None:
        _renormalise_rows(weight, Derived.apply(ids, function=_embedding_ids, keywords={
            "num_embeddings": num_embeddings}), max_norm, norm_type)
    bag_of_entry = Derived.apply(ids, offsets, function=_bag_of_entry, keywords={
        "bags": bags, "padding_idx": padding_idx})
    if mode == "max":
        rows = Derived.apply(weight, ids, bag_of_entry, function=_bag_maximum_rows,
                             keywords={"bags": bags})
        picked = weight.gather(0, rows.clamp(min=0))
        return where(rows >= 0, picked, constant_tensor(np.zeros((), weight._array.dtype)))
    sizes = None if mode == "sum" else Derived.apply(bag_of_entry, function=_bag_sizes,
                                                     keywords={"bags": bags})
    return in_opmath(_bag_sums, weight, per_sample_weights, ids=ids, bag_of_entry=bag_of_entry,
                     bags=bags, sizes=sizes, padding_idx=padding_idx,
                     scale_grad_by_freq=bool(scale_grad_by_freq), sparse=bool(sparse))


def _bag_sums(weight, per_sample_weights, ids, bag_of_entry, bags, sizes, padding_idx,
              scale_grad_by_freq, sparse=False):
    """The bags' sums (``sizes`` None) or means, on checked arguments; float16 arrives widened
    to float32 and is rounded once at the end, as PyTorch's kernel accumulates it. ``sparse``:
    the lookup is ``SparseEmbedding`` (a sparse gradient for ``weight``)."""
    if sparse:
        from ..sparse.coo import SparseEmbedding as lookup  # the sparse package builds on nn
    else:
        lookup = Embedding
    entries = lookup.apply(weight, ids, padding_idx=padding_idx,
                           scale_grad_by_freq=scale_grad_by_freq)
    if per_sample_weights is not None:
        entries = entries * per_sample_weights.unsqueeze(1)
    # Entries outside every bag (padding) go to a spare last row, dropped after.
    spare = constant_tensor(np.zeros((bags + 1, weight.shape[1]), dtype=weight._array.dtype))
    sums = spare.index_add(0, bag_of_entry, entries)[:bags]
    if sizes is None:
        return sums
    return sums / sizes.to(sums.dtype).unsqueeze(1)


def _legacy_type_name(tensor):
    """PyTorch's legacy name of a CPU tensor's type in argument checks: ``torch.FloatTensor``."""
    return f"torch.{dtypes.scalar_type_name(tensor.dtype)}Tensor"


def _bag_indices(indices, num_embeddings):
    """``indices`` as int64, after PyTorch's error for one outside ``[0, num_embeddings)``."""
    outside = np.flatnonzero((indices < 0) | (indices >= num_embeddings))
    if outside.size:
        position = outside[0]
        raise RuntimeError(f"Index {position} of input takes value {indices[position]} which is "
                           f"not in the valid range [0, {num_embeddings})")
    return indices.astype(np.int64)


def _bag_of_entry(indices, offsets, bags, padding_idx):
    """The bag each entry of ``indices`` belongs to, after PyTorch's checks of ``offsets``;
    ``bags`` (the spare row) for an entry left out by ``padding_idx``. The last bag runs to the
    end of ``indices`` (with ``include_last_offset`` too: see ``embedding_bag``)."""
    entries = indices.shape[0]
    if offsets.size and offsets[0] != 0:
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
                           f"has to start from position 0. However, got {offsets[0]}")
    if offsets.size and offsets[-1] > entries:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {entries} but "
                           f"got offsets[-1] of {offsets[-1]}")
    if offsets.size > 1 and (np.diff(offsets) < 0).any():
        raise RuntimeError("Expected i < index_size to be true, but got false.  (Could this "
                           "error message be improved?  If so, please report an enhancement "
                           "request to PyTorch.)")
    position = np.arange(entries)
    bag = np.searchsorted(offsets[:bags], position, side="right") - 1
    bag[bag < 0] = bags
    if padding_idx is not None:
        bag[indices == padding_idx] = bags
    return bag.astype(np.int64)


def _bag_sizes(bag_of_entry, bags):
    """How many entries each bag holds, at least 1 (an empty bag's mean is its zero sum)."""
    return np.maximum(np.bincount(bag_of_entry, minlength=bags + 1)[:bags], 1)


def _bag_maximum_rows(weight, indices, bag_of_entry, bags):
    """``(bags, dim)``: for each bag and column, the row of ``weight`` whose entry holds the
    bag's maximum in that column (the first such entry, as PyTorch's loop keeps the first
    strictly greater value); -1 for an empty bag."""
    dim = weight.shape[1]
    rows = np.full((bags, dim), -1, dtype=np.int64)
    kept = np.flatnonzero(bag_of_entry < bags)
    if not kept.size or not dim:
        return rows
    bag, picked = bag_of_entry[kept], indices[kept]
    values = weight[picked]
    starts = np.flatnonzero(np.concatenate(([True], bag[1:] != bag[:-1])))
    first_of_segment = np.zeros(kept.size, dtype=bool)
    first_of_segment[starts] = True
    segment = np.cumsum(first_of_segment) - 1
    maxima = np.maximum.reduceat(values, starts, axis=0)
    entry = np.where(values == maxima[segment], np.arange(kept.size)[:, np.newaxis], kept.size)
    first = np.minimum.reduceat(entry, starts, axis=0)
    rows[bag[starts]] = picked[np.minimum(first, kept.size - 1)]
    return rows


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """A sample from the Gumbel-softmax (concrete) distribution over ``dim``:
    ``softmax((logits + g) / tau)`` with ``g = -log(e)``, ``e ~ Exponential(1)`` drawn from
    tinygrad_bn's generator (so the draw differs from PyTorch's for the same seed), as
    PyTorch's formula. With ``hard=True`` the result is the one-hot vector of the soft sample's
    argmax in the forward pass, with the soft sample's gradient (straight-through:
    ``y_hard - y_soft.detach() + y_soft``). ``eps`` is deprecated and unused, as in PyTorch."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -logits.detach().new_empty(logits.shape).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = logits.detach().new_zeros(logits.shape).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """The channels (dim 1) of ``input`` ``(N, C, *)`` regrouped from ``groups`` groups of
    ``C / groups`` into ``C / groups`` groups of ``groups`` (ShuffleNet): channel ``g * (C /
    groups) + k`` moves to ``k * groups + g``. A reshape, a transpose and a reshape."""
    if isinstance(groups, bool) or not isinstance(groups, int):
        raise TypeError(f"channel_shuffle(): argument 'groups' (position 2) must be int, not "
                        f"{qualified_type_name(groups)}")
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    batch, channels, *rest = input.shape
    if channels % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {channels} "
                           f"channels and {groups} groups.")
    grouped = input.reshape(batch, groups, channels // groups, *rest)
    return grouped.transpose(1, 2).reshape(input.shape)

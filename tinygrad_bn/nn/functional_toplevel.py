"""The ``torch.X`` forms of ``nn.functional`` functions (``torch.conv2d``, ``torch.layer_norm``,
``torch.batch_norm``, ``torch.kl_div``, ...), with the signatures PyTorch gives them at top level.

These are ATen's own signatures, which differ from ``torch.nn.functional``'s in places, and each
difference is kept: ``reduction`` is an int (1 ``'mean'``, 2 ``'sum'``, any other ``'none'``)
whose default is 0, no reduction (PyTorch's stubs write ``reduction=1``, but its argument parser
reads the default ``at::Reduction::Mean`` as 0: measured in 2.13, ``torch.kl_div(a, b)`` is
elementwise, as are the other losses here); there are no legacy ``size_average``/``reduce``
flags; ``torch.dropout(input, p, train)`` has a required ``train``; ``torch.batch_norm`` and
``torch.instance_norm`` take ``weight, bias`` before the running statistics and every argument
positionally; ``torch.embedding`` takes ``weight`` first (a negative ``padding_idx`` means none);
``torch.max_pool1d``/``max_pool2d`` return values only and ``torch.adaptive_max_pool1d`` always
returns ``(values, indices)``; the pooling ``stride`` default ``()`` means ``kernel_size``; and
``cudnn_enabled``/``cudnn_enable`` are accepted and ignored (no
cuDNN here). Every body calls the one ``nn.functional`` implementation."""

from __future__ import annotations

import warnings

from . import functional as F
from .functional_dropout import _in_place, _noisy

_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def _reduction(reduction):
    """ATen's reduction enum as ``nn.functional``'s string: 1 the mean, 2 the sum, any other int
    no reduction (as ATen's ``apply_loss_reduction``)."""
    if isinstance(reduction, bool) or not isinstance(reduction, int):
        raise TypeError(f"argument 'reduction' must be int, not {type(reduction).__name__}")
    return _REDUCTIONS.get(reduction, "none")


def _stride(stride):
    return None if stride == () or stride == [] else stride


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """``torch.conv1d``: ``F.conv1d``."""
    return F.conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """``torch.conv2d``: ``F.conv2d``."""
    return F.conv2d(input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """``torch.conv3d``: ``F.conv3d``."""
    return F.conv3d(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """``torch.conv_transpose1d``: ``F.conv_transpose1d``."""
    return F.conv_transpose1d(input, weight, bias, stride, padding, output_padding, groups,
                              dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """``torch.conv_transpose2d``: ``F.conv_transpose2d``."""
    return F.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups,
                              dilation)


def avg_pool1d(input, kernel_size, stride=(), padding=0, ceil_mode=False,
               count_include_pad=True):
    """``torch.avg_pool1d``: ``F.avg_pool1d`` (``stride=()``: the kernel size)."""
    return F.avg_pool1d(input, kernel_size, _stride(stride), padding, ceil_mode,
                        count_include_pad)


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``torch.max_pool1d``: ``F.max_pool1d``'s values (``stride=()``: the kernel size)."""
    return F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``torch.max_pool2d``: ``F.max_pool2d``'s values (``stride=()``: the kernel size)."""
    return F.max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def adaptive_avg_pool1d(input, output_size):
    """``torch.adaptive_avg_pool1d``: ``F.adaptive_avg_pool1d``."""
    return F.adaptive_avg_pool1d(input, output_size)


def adaptive_max_pool1d(input, output_size):
    """``torch.adaptive_max_pool1d``: ``F.adaptive_max_pool1d`` with its indices, always the
    pair ``(values, indices)``."""
    return F.adaptive_max_pool1d(input, output_size, return_indices=True)


def pixel_shuffle(input, upscale_factor):
    """``torch.pixel_shuffle``: ``F.pixel_shuffle``."""
    return F.pixel_shuffle(input, upscale_factor)


def pixel_unshuffle(input, downscale_factor):
    """``torch.pixel_unshuffle``: ``F.pixel_unshuffle``."""
    return F.pixel_unshuffle(input, downscale_factor)


def pairwise_distance(x1, x2, p=2, eps=1e-06, keepdim=False):
    """``torch.pairwise_distance``: ``F.pairwise_distance``."""
    return F.pairwise_distance(x1, x2, p, eps, keepdim)


def cosine_similarity(x1, x2, dim=1, eps=1e-08):
    """``torch.cosine_similarity``: ``F.cosine_similarity``."""
    return F.cosine_similarity(x1, x2, dim, eps)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    """``torch.cosine_embedding_loss``: ``F.cosine_embedding_loss``, ``reduction`` an int."""
    return F.cosine_embedding_loss(input1, input2, target, margin,
                                   reduction=_reduction(reduction))


def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    """``torch.hinge_embedding_loss``: ``F.hinge_embedding_loss``, ``reduction`` an int."""
    return F.hinge_embedding_loss(input, target, margin, reduction=_reduction(reduction))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    """``torch.margin_ranking_loss``: ``F.margin_ranking_loss``, ``reduction`` an int."""
    return F.margin_ranking_loss(input1, input2, target, margin,
                                 reduction=_reduction(reduction))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False,
                        reduction=0):
    """``torch.triplet_margin_loss``: ``F.triplet_margin_loss``, ``reduction`` an int."""
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                 reduction=_reduction(reduction))


def kl_div(input, target, reduction=0, *, log_target=False):
    """``torch.kl_div``: ``F.kl_div``, ``reduction`` an int (1 is the mean over every element,
    without ``F.kl_div``'s advice to use ``'batchmean'``)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="reduction: 'mean' divides")
        return F.kl_div(input, target, reduction=_reduction(reduction), log_target=log_target)


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    """``torch.poisson_nll_loss``: ``F.poisson_nll_loss``, every argument required,
    ``reduction`` an int."""
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps,
                              reduction=_reduction(reduction))


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=0):
    """``torch.binary_cross_entropy_with_logits``: ``F.binary_cross_entropy_with_logits``, with
    ``pos_weight`` before ``reduction`` (an int)."""
    return F.binary_cross_entropy_with_logits(input, target, weight,
                                              reduction=_reduction(reduction),
                                              pos_weight=pos_weight)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """``torch.embedding``: ``F.embedding(indices, weight, ...)``; a negative ``padding_idx``
    (the default -1) means no padding row."""
    return F.embedding(indices, weight, None if padding_idx < 0 else padding_idx,
                       scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def dropout(input, p, train):
    """``torch.dropout``: ``F.dropout(input, p, train)`` (``train`` required)."""
    return F.dropout(input, p, train)


def alpha_dropout(input, p, train):
    """``torch.alpha_dropout``: ``F.alpha_dropout(input, p, train)`` (``train`` required)."""
    return F.alpha_dropout(input, p, train)


def feature_alpha_dropout(input, p, train):
    """``torch.feature_alpha_dropout``: ``F.feature_alpha_dropout(input, p, train)``."""
    return F.feature_alpha_dropout(input, p, train)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    """``torch.layer_norm``: ``F.layer_norm`` (``cudnn_enable`` ignored)."""
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    """``torch.group_norm``: ``F.group_norm`` (``cudnn_enabled`` ignored)."""
    return F.group_norm(input, num_groups, weight, bias, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps,
                  cudnn_enabled):
    """``torch.instance_norm``: ``F.instance_norm`` with ATen's argument order (``weight, bias``
    before the running statistics), every argument required."""
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                           momentum, eps)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled):
    """``torch.batch_norm``: ``F.batch_norm`` with ATen's argument order (``weight, bias`` before
    the running statistics), every argument required."""
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``torch.rms_norm``: ``F.rms_norm``."""
    return F.rms_norm(input, normalized_shape, weight, eps)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0,
             zero_infinity=False):
    """``torch.ctc_loss``: ``F.ctc_loss``, ``reduction`` an int."""
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                      _reduction(reduction), zero_infinity)


# More of ATen's top-level forms: torch.max_pool3d, torch.max_pool1d_with_indices,
# torch.conv_transpose3d, torch.convolution, torch.constant_pad_nd, torch.bilinear,
# torch.channel_shuffle, and the in-place and feature forms of dropout.

def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``torch.max_pool3d``: ``F.max_pool3d``'s values (``stride=()``: the kernel size)."""
    return F.max_pool3d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1,
                            ceil_mode=False):
    """``torch.max_pool1d_with_indices``: ``F.max_pool1d``'s ``(values, indices)``
    (``stride=()``: the kernel size)."""
    return F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode,
                        return_indices=True)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """``torch.conv_transpose3d``: ``F.conv_transpose3d``."""
    return F.conv_transpose3d(input, weight, bias, stride, padding, output_padding, groups,
                              dilation)


_CONVOLUTIONS = {1: (F.conv1d, F.conv_transpose1d), 2: (F.conv2d, F.conv_transpose2d),
                 3: (F.conv3d, F.conv_transpose3d)}


def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                groups):
    """``torch.convolution``, ATen's one entry for every convolution: ``F.conv{1,2,3}d``, or
    with ``transposed`` ``F.conv_transpose{1,2,3}d``, the dimension read from ``weight``
    (``(out, in / groups, *kernel)``, transposed ``(in, out / groups, *kernel)``)."""
    spatial = weight.ndim - 2
    if spatial < 1:
        raise RuntimeError("weight should have at least three dimensions")
    if spatial not in _CONVOLUTIONS:
        raise RuntimeError(f"Expected {weight.ndim}-dimensional input for {weight.ndim}-"
                           f"dimensional weight {list(weight.shape)}, but got {input.ndim}-"
                           f"dimensional input of size {list(input.shape)} instead")
    forward, transpose = _CONVOLUTIONS[spatial]
    if transposed:
        return transpose(input, weight, bias, stride, padding, output_padding, groups, dilation)
    return forward(input, weight, bias, stride, padding, dilation, groups)


def constant_pad_nd(input, pad, value=0):
    """``torch.constant_pad_nd``: ``F.pad(input, pad, 'constant', value)`` (negative entries
    crop), with ATen's own messages for a bad ``pad`` length (sic: no space before "while" and
    "dimensions", as PyTorch's)."""
    if len(pad) % 2:
        raise RuntimeError(f"Length of pad must be even but instead it equals {len(pad)}")
    if len(pad) > 2 * input.ndim:
        raise RuntimeError(f"Length of pad should be no more than twice the number of dimensions "
                           f"of the input. Pad length is {len(pad)}while the input has "
                           f"{input.ndim}dimensions.")
    return F.pad(input, pad, "constant", value)


def bilinear(input1, input2, weight, bias=None):
    """``torch.bilinear``: ``F.bilinear``."""
    return F.bilinear(input1, input2, weight, bias)


def channel_shuffle(input, groups):
    """``torch.channel_shuffle`` (and ``native_channel_shuffle``): ``F.channel_shuffle``."""
    return F.channel_shuffle(input, groups)


def dropout_(input, p, train):
    """``torch.dropout_``: ``F.dropout(input, p, train)`` written into ``input``."""
    return _in_place(input, F.dropout(input, p, train), True)


def alpha_dropout_(input, p, train):
    """``torch.alpha_dropout_``: ``F.alpha_dropout(input, p, train, inplace=True)``."""
    return F.alpha_dropout(input, p, train, inplace=True)


def feature_alpha_dropout_(input, p, train):
    """``torch.feature_alpha_dropout_``: ``F.feature_alpha_dropout(..., inplace=True)``."""
    return F.feature_alpha_dropout(input, p, train, inplace=True)


def feature_dropout(input, p, train):
    """``torch.feature_dropout``: whole ``(dim 0, dim 1)`` slices zeroed with probability ``p``,
    the rest scaled by ``1 / (1 - p)`` (``F.dropout2d``'s draw, for any input of at least 2
    dims)."""
    return _feature_dropout(input, p, train)


def feature_dropout_(input, p, train):
    """``torch.feature_dropout_``: ``feature_dropout`` written into ``input``."""
    return _in_place(input, _feature_dropout(input, p, train), True)


def _feature_dropout(input, p, train):
    return _noisy(input, p, train, True, False, None)


# ATen's grid sampling entries: the modes as ints (GridSampler.h's enums).
_INTERPOLATIONS = ("bilinear", "nearest", "bicubic")
_PADDINGS = ("zeros", "border", "reflection")


def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    """``torch.grid_sampler``: ``F.grid_sample`` with ``interpolation_mode`` 0 bilinear,
    1 nearest, 2 bicubic and ``padding_mode`` 0 zeros, 1 border, 2 reflection."""
    if not 0 <= interpolation_mode < 3 or not 0 <= padding_mode < 3:
        raise RuntimeError(f"grid_sampler(): unknown interpolation_mode {interpolation_mode} or "
                           f"padding_mode {padding_mode}")
    return F.grid_sample(input, grid, _INTERPOLATIONS[interpolation_mode],
                         _PADDINGS[padding_mode], align_corners)


def _grid_sampler_of(ndim):
    def check(input, grid):
        for tensor in (input, grid):
            if tensor.ndim != ndim:
                raise RuntimeError(
                    f"grid_sampler(): expected {ndim}D input and grid with same number of "
                    f"dimensions, but got input with sizes {list(input.shape)} and grid with "
                    f"sizes {list(grid.shape)}")
    return check


_check_2d, _check_3d = _grid_sampler_of(4), _grid_sampler_of(5)


def grid_sampler_2d(input, grid, interpolation_mode, padding_mode, align_corners):
    """``torch.grid_sampler_2d``: ``grid_sampler`` of a 4-D input and grid."""
    _check_2d(input, grid)
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def grid_sampler_3d(input, grid, interpolation_mode, padding_mode, align_corners):
    """``torch.grid_sampler_3d``: ``grid_sampler`` of a 5-D input and grid."""
    _check_3d(input, grid)
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def affine_grid_generator(theta, size, align_corners):
    """``torch.affine_grid_generator``: ``F.affine_grid(theta, size, align_corners)``."""
    return F.affine_grid(theta, size, align_corners)


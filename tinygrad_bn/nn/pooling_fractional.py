"""Fractional max pooling (Graham, 2014): ``fractional_max_pool2d`` and
``fractional_max_pool3d`` (re-exported by ``nn.functional``) and the modules
``FractionalMaxPool2d``/``3d``, with PyTorch's arguments, checks and messages; the op is
``ops.pooling.FractionalMaxPool``. Windows are placed by random samples: given the same
``_random_samples`` the result is PyTorch's, element for element; without them the samples
are drawn from tinygrad_bn's generator, so they (and the values) differ from PyTorch's."""

from __future__ import annotations

from .. import dtypes
from ..autocast_state import float32_op
from ..ops.derived import Derived
from ..ops.pooling import FractionalMaxPool, fractional_max_pool_indices
from ..creation import rand
from ..tensor import Tensor
from .module import Module
from .pooling import IntOrTuple


def _tuple(value, dims):
    return tuple(value) if isinstance(value, (list, tuple)) else (value,) * dims


def _fractional(name, dims, input, kernel_size, output_size, output_ratio, return_indices,
                samples):
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if dims == 2 and len(output_ratio) > 2:  # a number: len()'s TypeError, as PyTorch
            raise ValueError(f"{name} requires output_ratio to either be a single Int or tuple "
                             "of Ints.")
        ratios = _tuple(output_ratio, dims)
        output_size = [int(input.shape[-dims + d] * ratios[d]) for d in range(dims)]
    if samples is None:
        if input.ndim < dims + 1:  # PyTorch reads input.size(-dims - 1) first
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[-{input.ndim}, {input.ndim - 1}], but got {-dims - 1})")
        if not dtypes.is_floating(input.dtype):
            raise dtypes.not_implemented("check_uniform_bounds", input.dtype)
        batch = 1 if input.ndim == dims + 1 else input.shape[0]
        samples = rand(batch, input.shape[-dims - 1], dims, dtype=input.dtype)
    kernel, out = _tuple(kernel_size, dims), _tuple(output_size, dims)
    words = "Ints" if dims == 2 else "three Ints"
    if len(kernel) != dims:
        raise RuntimeError(f"{name}: kernel_size must either be a single Int or tuple of {words}")
    if len(out) != dims:
        raise RuntimeError(f"{name}: output_size must either be a single Int or tuple of {words}")
    function = f"{name}()" if dims == 2 else f"{name}_out()"
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{function}: Expected {dims + 1}D or {dims + 2}D tensor, but got: "
                           f"{list(input.shape)}")
    for dim in range(1, input.ndim):
        if input.shape[dim] == 0:
            raise RuntimeError(f"{function}: Expected input to have non-zero size for non-batch "
                               f"dimensions, but got{list(input.shape)} with dimension {dim} "
                               "being empty.")
    spatial = input.shape[-dims:]
    labels = ("height", "width") if dims == 2 else ("time",) * 3  # sic: PyTorch's 3-D message
    for d in range(dims):
        if out[d] + kernel[d] - 1 > spatial[d]:
            # PyTorch's 3-D message names the time dim's sizes whichever dim is too small
            shown = d if dims == 2 else 0
            raise RuntimeError(f"{function}: pool {labels[d]} {kernel[shown]} too large relative "
                               f"to input {labels[d]} {spatial[shown]}")
    batch = 1 if input.ndim == dims + 1 else input.shape[0]
    if samples.dtype != input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if samples.shape[0] < batch:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.shape[1] != input.shape[-dims - 1]:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.shape[2] != dims:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {dims}; got "
                           f"{samples.shape[2]}.")
    arguments = {"kernel_size": tuple(int(k) for k in kernel),
                 "output_size": tuple(int(o) for o in out)}
    batched = input if input.ndim == dims + 2 else input.unsqueeze(0)
    values = FractionalMaxPool.apply(batched, samples, **arguments)
    indices = Derived.apply(batched, samples, function=fractional_max_pool_indices,
                            keywords=arguments) if return_indices else None
    if input.ndim == dims + 1:
        values = values.squeeze(0)
        indices = None if indices is None else indices.squeeze(0)
    return (values, indices) if return_indices else values


@float32_op
def fractional_max_pool2d(input: Tensor, kernel_size: IntOrTuple,
                          output_size: IntOrTuple | None = None,
                          output_ratio: float | tuple[float, float] | None = None,
                          return_indices: bool = False,
                          _random_samples: Tensor | None = None
                          ) -> Tensor | tuple[Tensor, Tensor]:
    """Fractional max pooling over ``(N, C, H, W)`` or ``(C, H, W)``, PyTorch's
    ``F.fractional_max_pool2d``: the maximum of ``kernel_size`` windows whose starts are
    spread pseudo-randomly so that ``output_size`` (or ``int(size * output_ratio)``) of them
    cover the input; ``_random_samples`` ``(N, C, 2)`` in [0, 1) of the input's dtype place
    them (drawn from tinygrad_bn's generator when not given). ``return_indices``: also
    where each maximum is (flat ``h * W + w``). Ties and NaN as ``max_pool2d``."""
    return _fractional("fractional_max_pool2d", 2, input, kernel_size, output_size,
                       output_ratio, return_indices, _random_samples)


@float32_op
def fractional_max_pool3d(input: Tensor, kernel_size: IntOrTuple,
                          output_size: IntOrTuple | None = None,
                          output_ratio: float | tuple[float, float, float] | None = None,
                          return_indices: bool = False,
                          _random_samples: Tensor | None = None
                          ) -> Tensor | tuple[Tensor, Tensor]:
    """Fractional max pooling over ``(N, C, D, H, W)`` or ``(C, D, H, W)``, PyTorch's
    ``F.fractional_max_pool3d``; ``_random_samples`` ``(N, C, 3)``. See
    ``fractional_max_pool2d``."""
    return _fractional("fractional_max_pool3d", 3, input, kernel_size, output_size,
                       output_ratio, return_indices, _random_samples)


class _FractionalMaxPoolNd(Module):
    """What ``FractionalMaxPool2d``/``3d`` share (PyTorch's): ``kernel_size``,
    ``output_size`` and ``output_ratio`` kept as tuples, one of the last two required, a
    ratio in (0, 1); the buffer ``_random_samples`` (None unless given)."""

    _dims = 0
    _function = None

    def __init__(self, kernel_size: IntOrTuple, output_size: IntOrTuple | None = None,
                 output_ratio: float | tuple[float, ...] | None = None,
                 return_indices: bool = False, _random_samples: Tensor | None = None) -> None:
        super().__init__()
        dims, name = self._dims, type(self).__name__
        self.kernel_size = _tuple(kernel_size, dims)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _tuple(output_size, dims) if output_size is not None else None
        self.output_ratio = _tuple(output_ratio, dims) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling "
                             "ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        return type(self)._function(input, self.kernel_size, self.output_size,
                                    self.output_ratio, self.return_indices,
                                    _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """``F.fractional_max_pool2d`` as a layer (PyTorch's ``nn.FractionalMaxPool2d``)."""

    _dims = 2
    _function = staticmethod(fractional_max_pool2d)


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """``F.fractional_max_pool3d`` as a layer (PyTorch's ``nn.FractionalMaxPool3d``)."""

    _dims = 3
    _function = staticmethod(fractional_max_pool3d)

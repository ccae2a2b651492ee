"""PyTorch's ``torch.nn.grad``: the gradients of a convolution with respect to its input
(``conv{1,2,3}d_input``) and its weight (``conv{1,2,3}d_weight``), given the gradient of its
output, without a forward pass having been recorded.

Each is the backward of the convolution op this framework already has (``ops.convolution``),
reached through autograd on a stand-in leaf of the missing tensor's shape: the leaf's values
never matter, as a convolution is linear in each argument. The results are differentiable
with respect to the tensors given (a graph is kept when grad mode is on and one of them
requires grad), as PyTorch's are."""

from __future__ import annotations

from ..autograd import engine, grad_mode
from ..tensor import Tensor
from .conv import conv1d, conv2d, conv3d


def _gradient(convolution, wanted: str, known: Tensor, shape, grad_output: Tensor,
              stride, padding, dilation, groups) -> Tensor:
    """The gradient of ``convolution(input, weight)`` with respect to ``wanted`` (``"input"``
    or ``"weight"``) of ``shape``, at output gradient ``grad_output``; ``known`` is the other
    argument."""
    stand_in = known.new_zeros(tuple(shape), dtype=grad_output.dtype).requires_grad_()
    create_graph = grad_mode.is_grad_enabled() and (known.requires_grad
                                                    or grad_output.requires_grad)
    with grad_mode.enable_grad():
        input, weight = (stand_in, known) if wanted == "input" else (known, stand_in)
        output = convolution(input, weight, None, stride, padding, dilation, groups)
        return engine.grad(output, stand_in, grad_output, create_graph=create_graph)[0]


def conv1d_input(input_size, weight: Tensor, grad_output: Tensor, stride=1, padding=0,
                 dilation=1, groups=1) -> Tensor:
    """The gradient of ``conv1d`` with respect to an input of shape ``input_size`` ``(N,
    C_in, L)``, for ``weight`` and the output gradient ``grad_output``."""
    return _gradient(conv1d, "input", weight, input_size, grad_output, stride, padding,
                     dilation, groups)


def conv1d_weight(input: Tensor, weight_size, grad_output: Tensor, stride=1, padding=0,
                  dilation=1, groups=1) -> Tensor:
    """The gradient of ``conv1d`` with respect to a weight of shape ``weight_size``, for
    ``input`` and the output gradient ``grad_output``."""
    return _gradient(conv1d, "weight", input, weight_size, grad_output, stride, padding,
                     dilation, groups)


def conv2d_input(input_size, weight: Tensor, grad_output: Tensor, stride=1, padding=0,
                 dilation=1, groups=1) -> Tensor:
    """The gradient of ``conv2d`` with respect to an input of shape ``input_size`` ``(N,
    C_in, H, W)``, for ``weight`` and the output gradient ``grad_output``."""
    return _gradient(conv2d, "input", weight, input_size, grad_output, stride, padding,
                     dilation, groups)


def conv2d_weight(input: Tensor, weight_size, grad_output: Tensor, stride=1, padding=0,
                  dilation=1, groups=1) -> Tensor:
    """The gradient of ``conv2d`` with respect to a weight of shape ``weight_size``, for
    ``input`` and the output gradient ``grad_output``."""
    return _gradient(conv2d, "weight", input, weight_size, grad_output, stride, padding,
                     dilation, groups)


def conv3d_input(input_size, weight: Tensor, grad_output: Tensor, stride=1, padding=0,
                 dilation=1, groups=1) -> Tensor:
    """The gradient of ``conv3d`` with respect to an input of shape ``input_size`` ``(N,
    C_in, D, H, W)``, for ``weight`` and the output gradient ``grad_output``."""
    return _gradient(conv3d, "input", weight, input_size, grad_output, stride, padding,
                     dilation, groups)


def conv3d_weight(input: Tensor, weight_size, grad_output: Tensor, stride=1, padding=0,
                  dilation=1, groups=1) -> Tensor:
    """The gradient of ``conv3d`` with respect to a weight of shape ``weight_size``, for
    ``input`` and the output gradient ``grad_output``."""
    return _gradient(conv3d, "weight", input, weight_size, grad_output, stride, padding,
                     dilation, groups)

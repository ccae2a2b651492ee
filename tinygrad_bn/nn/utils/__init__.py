"""``torch.nn.utils``: gradient clipping, flattening parameters into one vector,
parametrizations (``parametrize``, ``parametrizations``), the hook-based ``weight_norm`` and
``spectral_norm``, folding BatchNorm into the layer before it (``fusion``). Pruning by masks is
the submodule ``prune``, imported on demand (``import tinygrad_bn.nn.utils.prune``), as
PyTorch's."""

from . import parametrizations, parametrize
from .clip_grad import clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .fusion import (
    fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval, fuse_linear_bn_weights,
)
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm
from . import stateless
from . import init  # noqa: E402 - PyTorch's torch.nn.utils.init
from .clip_grad import clip_grad_norm  # noqa: E402 - deprecated name of clip_grad_norm_
from .init import skip_init  # noqa: E402

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm",
           "parameters_to_vector", "vector_to_parameters", "parametrizations", "parametrize",
           "weight_norm", "remove_weight_norm", "spectral_norm", "remove_spectral_norm",
           "fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
           "fuse_linear_bn_weights", "skip_init"]

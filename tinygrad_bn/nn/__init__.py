"""Neural-network building blocks with PyTorch's names: ``Module`` and ``Parameter``, layers,
losses, ``functional`` and ``init``."""

from . import functional, init, utils
from .activation import (
    ELU, GELU, Hardtanh, LeakyReLU, LogSoftmax, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Softplus, Tanh,
)
from .sparse import Embedding
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d
from .pooling import (
    AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AvgPool1d,
    AvgPool2d, MaxPool1d, MaxPool2d,
)
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .dropout import Dropout
from .linear import Flatten, Identity, Linear, Unflatten
from .loss import (
    BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss,
    SmoothL1Loss,
)
from .module import Buffer, Module, Parameter
from .normalization import BatchNorm1d, LayerNorm

# In the order of PyTorch's torch.nn reference: parameters and containers, convolution and
# pooling layers, activations, normalization, linear layers, dropout, sparse layers, losses,
# utilities; then the submodules.
__all__ = [
    "Parameter", "Buffer", "Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList",
    "ParameterDict",
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
    "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
    "ELU", "Hardtanh", "LeakyReLU", "ReLU", "ReLU6", "SiLU", "GELU", "Sigmoid", "Softplus", "Tanh",
    "Softmax", "LogSoftmax",
    "BatchNorm1d", "LayerNorm",
    "Identity", "Linear",
    "Dropout",
    "Embedding",
    "L1Loss", "MSELoss", "CrossEntropyLoss", "NLLLoss", "KLDivLoss", "BCELoss", "BCEWithLogitsLoss",
    "HuberLoss", "SmoothL1Loss",
    "Flatten", "Unflatten",
    "functional", "init", "utils",
]

# Distance functions as layers (metric learning), as in torch.nn.
from .distance import CosineSimilarity, PairwiseDistance  # noqa: E402

__all__ += ["CosineSimilarity", "PairwiseDistance"]

# Padding layers, as in torch.nn.
from .padding import (  # noqa: E402
    CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d, ConstantPad2d, ConstantPad3d,
    ReflectionPad1d, ReflectionPad2d, ReflectionPad3d, ReplicationPad1d, ReplicationPad2d,
    ReplicationPad3d, ZeroPad1d, ZeroPad2d, ZeroPad3d,
)

__all__ += [
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
    "ReplicationPad2d", "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
    "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "CircularPad1d", "CircularPad2d",
    "CircularPad3d",
]

# Normalization beyond BatchNorm1d and LayerNorm.
from .normalization import GroupNorm, RMSNorm  # noqa: E402

__all__ += ["GroupNorm", "RMSNorm"]

# Attention layers (Transformers), as in torch.nn.
from .attention import MultiheadAttention  # noqa: E402

__all__ += ["MultiheadAttention"]

# Transformer layers, as in torch.nn.
from .transformer import (  # noqa: E402
    Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
    TransformerEncoderLayer,
)

__all__ += ["Transformer", "TransformerEncoder", "TransformerDecoder",
            "TransformerEncoderLayer", "TransformerDecoderLayer"]

# Recurrent layers (sequence models), as in torch.nn.
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase  # noqa: E402

__all__ += ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

# Convolutional-network layers beyond BatchNorm1d and Dropout: batch, instance and local
# response normalization of feature maps, channel dropout, upsampling and pixel shuffling.
from .dropout import (  # noqa: E402
    AlphaDropout, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout,
)
from .normalization import (  # noqa: E402
    BatchNorm2d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, LocalResponseNorm,
)
from .pixelshuffle import PixelShuffle, PixelUnshuffle  # noqa: E402
from .upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d  # noqa: E402

__all__ += ["BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
            "LocalResponseNorm", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
            "FeatureAlphaDropout", "PixelShuffle", "PixelUnshuffle", "Upsample",
            "UpsamplingNearest2d", "UpsamplingBilinear2d"]

# Activations beyond the common ones (nn/activation.py, functions in functional_activations.py).
from .activation import (  # noqa: E402
    CELU, GLU, SELU, Hardshrink, Hardsigmoid, Hardswish, LogSigmoid, Mish, PReLU, RReLU,
    Softmax2d, Softmin, Softshrink, Softsign, Tanhshrink, Threshold,
)

__all__ += ["Hardshrink", "Hardsigmoid", "Hardswish", "LogSigmoid", "PReLU", "RReLU", "SELU",
            "CELU", "Mish", "Softshrink", "Softsign", "Tanhshrink", "Threshold", "GLU", "Softmin",
            "Softmax2d"]

# Margin, embedding and likelihood losses (nn/loss.py, functions in functional_losses.py).
from .loss import (  # noqa: E402
    CTCLoss, CosineEmbeddingLoss, GaussianNLLLoss, HingeEmbeddingLoss, MarginRankingLoss,
    MultiLabelMarginLoss, MultiLabelSoftMarginLoss, MultiMarginLoss, PoissonNLLLoss,
    SoftMarginLoss, TripletMarginLoss, TripletMarginWithDistanceLoss,
)

__all__ += ["PoissonNLLLoss", "GaussianNLLLoss", "HingeEmbeddingLoss", "MultiLabelMarginLoss",
            "SoftMarginLoss", "MultiLabelSoftMarginLoss", "CosineEmbeddingLoss",
            "MarginRankingLoss", "MultiMarginLoss", "TripletMarginLoss",
            "TripletMarginWithDistanceLoss", "CTCLoss"]

# The rest of the convolution and pooling family: 3-D pools, ConvTranspose3d, Fold/Unfold,
# power-average, fractional max pools and max unpooling.
from .conv import ConvTranspose3d  # noqa: E402
from .fold import Fold, Unfold  # noqa: E402
from .pooling_derived import (  # noqa: E402
    LPPool1d, LPPool2d, LPPool3d, MaxUnpool1d, MaxUnpool2d, MaxUnpool3d,
)
from .pooling_fractional import FractionalMaxPool2d, FractionalMaxPool3d  # noqa: E402
from .pooling3d import (  # noqa: E402
    AdaptiveAvgPool3d, AdaptiveMaxPool3d, AvgPool3d, MaxPool3d,
)

__all__ += ["ConvTranspose3d", "Unfold", "Fold", "MaxPool3d", "AvgPool3d", "AdaptiveMaxPool3d",
            "AdaptiveAvgPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "LPPool1d",
            "LPPool2d", "LPPool3d", "FractionalMaxPool2d", "FractionalMaxPool3d"]

# Bilinear maps, bags of embeddings, channel shuffling and lazily shaped layers.
from .channelshuffle import ChannelShuffle  # noqa: E402
from .linear import Bilinear  # noqa: E402
from .sparse import EmbeddingBag  # noqa: E402
from .lazy import (  # noqa: E402
    LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyConv1d, LazyConv2d, LazyConv3d,
    LazyConvTranspose1d, LazyConvTranspose2d, LazyInstanceNorm1d, LazyInstanceNorm2d,
    LazyInstanceNorm3d, LazyLinear, UninitializedBuffer, UninitializedParameter,
)
from . import parameter  # noqa: E402 - PyTorch's torch.nn.parameter path

__all__ += ["Bilinear", "EmbeddingBag", "ChannelShuffle", "LazyLinear", "LazyConv1d",
            "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d",
            "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyInstanceNorm1d",
            "LazyInstanceNorm2d", "LazyInstanceNorm3d", "UninitializedParameter",
            "UninitializedBuffer"]

# PyTorch's torch.nn.modules namespace (the classes' real home modules, for programs that
# import bases such as modules.batchnorm._BatchNorm) and data parallelism (both imported on first
# use, below), synchronised batch norm, and deprecated names old programs still use.
from .container import Container  # noqa: E402
from .loss import NLLLoss2d  # noqa: E402
from .normalization import SyncBatchNorm  # noqa: E402

__all__ += ["Container", "DataParallel", "NLLLoss2d", "SyncBatchNorm"]

# Adaptive softmax (imported on first use, below), Torch7's cross-map LRN and the lazy 3-D
# transposed convolution.
from .lazy import LazyConvTranspose3d  # noqa: E402
from .normalization import CrossMapLRN2d  # noqa: E402

__all__ += ["AdaptiveLogSoftmaxWithLoss", "CrossMapLRN2d", "LazyConvTranspose3d"]
from .factory import factory_kwargs  # noqa: E402
from .linear_cross_entropy import LinearCrossEntropyOptions  # noqa: E402
from .loss import LinearCrossEntropyLoss  # noqa: E402

__all__ += ["LinearCrossEntropyLoss", "LinearCrossEntropyOptions"]

# Imported on first use, not with ``nn``: the ``modules`` namespace, ``parallel``, ``grad``
# (convolution gradients), PyTorch's helper modules ``_reduction`` and ``common_types``, and the
# classes of _NAMES_ON_FIRST_USE ({name: its module}); together they added 8 ms (1.3%) to
# ``import tinygrad_bn``.
_ON_FIRST_USE = ("modules", "parallel", "grad", "_reduction", "common_types")
_NAMES_ON_FIRST_USE = {"AdaptiveLogSoftmaxWithLoss": "adaptive", "DataParallel": "parallel"}

from ..first_use import imported_on_first_use as _on_first_use  # noqa: E402

__getattr__, __dir__ = _on_first_use(__name__, globals(), _ON_FIRST_USE,
                                     _NAMES_ON_FIRST_USE)

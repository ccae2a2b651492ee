"""PyTorch's ``torch.nn.modules`` namespace: every layer class under the submodule PyTorch
files it in (``modules.batchnorm._BatchNorm``, ``modules.conv._ConvNd``,
``modules.loss._Loss``, ``modules.utils._pair``, ...), for programs that import the base
classes to subclass them or to test ``isinstance``. The classes live in ``tinygrad_bn.nn``'s
own files; these modules name them where PyTorch does, so
``nn.modules.batchnorm._BatchNorm is nn.normalization._BatchNorm``."""

from . import (  # noqa: F401
    activation, adaptive, batchnorm, channelshuffle, container, conv, distance, dropout,
    linear_cross_entropy_options,
    flatten, fold, instancenorm, lazy, linear, loss, module, normalization, padding,
    pixelshuffle, pooling, rnn, sparse, transformer, upsampling, utils,
)
from .activation import *  # noqa: F401,F403
from .adaptive import *  # noqa: F401,F403
from .batchnorm import *  # noqa: F401,F403
from .channelshuffle import *  # noqa: F401,F403
from .container import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .flatten import *  # noqa: F401,F403
from .fold import *  # noqa: F401,F403
from .instancenorm import *  # noqa: F401,F403
from .lazy import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .module import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .pixelshuffle import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from .upsampling import *  # noqa: F401,F403
from .linear_cross_entropy_options import *  # noqa: F401,F403

"""PyTorch's ``torch.nn.modules.module``: ``Module``. The global module hooks PyTorch files
here (``register_module_forward_hook`` and the like) are not provided."""

from ..module import IncompatibleKeys as _IncompatibleKeys  # noqa: F401
from ..module import Module  # noqa: F401

__all__ = ["Module"]

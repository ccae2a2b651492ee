"""PyTorch's ``torch.nn.modules.container``: the containers (and the deprecated ``Container``)."""

from ..container import (  # noqa: F401
    Container, ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential,
)

__all__ = [
    "Container", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
]

"""``DataParallel`` as PyTorch's behaves on a build without accelerators: the wrapper keeps
the module as ``.module`` (so its ``state_dict`` keys start with ``module.``) and its forward
is the module's; ``data_parallel``, the functional form, cannot find a device type and says
so."""

from __future__ import annotations

from typing import Any

from ..module import Module


class DataParallel(Module):
    """PyTorch's ``nn.DataParallel(module, device_ids=None, output_device=None, dim=0)`` where
    no GPU exists: ``device_ids`` is ``[]`` whatever was asked, ``output_device`` and ``dim``
    are ignored (and not kept, as PyTorch keeps neither then), and ``forward(*inputs,
    **kwargs)`` returns ``module(*inputs, **kwargs)``. The wrapped module's parameters and
    buffers are this module's under the prefix ``module.``."""

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0) -> None:
        super().__init__()
        self.module = module
        self.device_ids: list[int] = []

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        return self.module(*inputs, **kwargs)


def data_parallel(module: Module, inputs: Any, device_ids=None, output_device=None,
                  dim: int = 0, module_kwargs: Any | None = None):
    """PyTorch's functional ``data_parallel``: with no accelerator there is no device type to
    replicate the module onto, and PyTorch raises ``RuntimeError`` before running anything;
    so does this."""
    raise RuntimeError("device type could not be determined")

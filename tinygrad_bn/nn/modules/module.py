"""PyTorch's ``torch.nn.modules.module``: ``Module``, the global module hooks
(``register_module_forward_pre_hook``, ``register_module_forward_hook``,
``register_module_full_backward_pre_hook``, ``register_module_full_backward_hook``,
``register_module_backward_hook``), the global registration hooks
(``register_module_buffer/module/parameter_registration_hook``) and ``_addindent``."""

from ..module import IncompatibleKeys as _IncompatibleKeys  # noqa: F401
from ..module import (  # noqa: F401
    Module, register_module_backward_hook, register_module_buffer_registration_hook,
    register_module_forward_hook, register_module_forward_pre_hook,
    register_module_full_backward_hook, register_module_full_backward_pre_hook,
    register_module_module_registration_hook, register_module_parameter_registration_hook,
)

__all__ = [
    "Module", "register_module_forward_pre_hook", "register_module_forward_hook",
    "register_module_full_backward_pre_hook", "register_module_backward_hook",
    "register_module_full_backward_hook", "register_module_buffer_registration_hook",
    "register_module_module_registration_hook", "register_module_parameter_registration_hook",
]


def _addindent(s_: str, numSpaces: int) -> str:
    """PyTorch's helper for custom ``__repr__``s: every line of ``s_`` after the first indented
    by ``numSpaces`` spaces (blank lines left empty)."""
    lines = s_.split("\n")
    if len(lines) == 1:
        return s_
    first = lines.pop(0)
    return first + "\n" + "\n".join((numSpaces * " ") + line if line.strip() else ""
                                      for line in lines)

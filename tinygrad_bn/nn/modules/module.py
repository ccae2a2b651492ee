"""PyTorch's ``torch.nn.modules.module``: ``Module``. The global module hooks PyTorch files
here (``register_module_forward_hook`` and the like) are not provided."""

from ..module import IncompatibleKeys as _IncompatibleKeys  # noqa: F401
from ..module import Module  # noqa: F401

__all__ = ["Module"]


def _addindent(s_: str, numSpaces: int) -> str:
    """PyTorch's helper for custom ``__repr__``s: every line of ``s_`` after the first indented
    by ``numSpaces`` spaces (blank lines left empty)."""
    lines = s_.split("\n")
    if len(lines) == 1:
        return s_
    first = lines.pop(0)
    return first + "\n" + "\n".join((numSpaces * " ") + line if line.strip() else ""
                                      for line in lines)

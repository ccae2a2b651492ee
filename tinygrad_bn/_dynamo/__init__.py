"""``torch._dynamo``: the names of PyTorch's graph capturer that programs call around
``torch.compile`` (``reset``, ``config``, ``disable``, ``allow_in_graph``, ``is_compiling``,
``list_backends``). tinygrad_bn has no graph capturer, so ``compile`` runs models eagerly
(``eval_frame``) and these answer for that: nothing is ever compiling, and there is no cache to
reset."""

from . import config, exc  # noqa: F401 - torch._dynamo.config, torch._dynamo.exc
from .eval_frame import OptimizedModule, disable, list_backends  # noqa: F401

__all__ = ["OptimizedModule", "allow_in_graph", "config", "disable", "is_compiling",
           "list_backends", "reset"]


def reset() -> None:
    """Forget every compiled function (PyTorch's cache); there is none here."""


def is_compiling() -> bool:
    """False: nothing is ever being traced by a compiler here."""
    return False


def allow_in_graph(fn):
    """PyTorch's ``allow_in_graph``: put ``fn`` into captured graphs uninspected. Returns
    ``fn`` itself, as PyTorch does; a value that is not callable raises PyTorch's error."""
    if isinstance(fn, (list, tuple)):
        return [allow_in_graph(x) for x in fn]
    if not callable(fn):
        raise AssertionError("allow_in_graph expects a callable")
    return fn

"""``torch.compiler``: the public face of ``torch.compile``'s machinery (``compile``,
``disable``, ``reset``, ``is_compiling``, ...). tinygrad_bn runs compiled models eagerly (see
``tinygrad_bn._dynamo.eval_frame``), so nothing is ever compiling or exporting."""

from .._dynamo import allow_in_graph, list_backends, reset  # noqa: F401
from .._dynamo.eval_frame import compile, disable  # noqa: F401, A004 - torch.compiler.compile

__all__ = ["allow_in_graph", "assume_constant_result", "compile", "disable", "is_compiling",
           "is_dynamo_compiling", "is_exporting", "list_backends", "reset"]


def is_compiling() -> bool:
    """False: no compiler traces code here."""
    return False


def is_dynamo_compiling() -> bool:
    """False: no compiler traces code here."""
    return False


def is_exporting() -> bool:
    """False: there is no ``torch.export`` here."""
    return False


def assume_constant_result(fn):
    """PyTorch's hint that ``fn``'s result may be folded into a graph as a constant: marks
    ``fn`` (``_dynamo_marked_constant``, which a builtin cannot take: ``AttributeError``, as in
    PyTorch) and returns it."""
    fn._dynamo_marked_constant = True
    return fn

"""``torch.autograd.Variable``, the pre-0.4 wrapper old PyTorch programs still write
(``Variable(x, requires_grad=True)``). As in PyTorch it is no wrapper: calling it gives the
tensor's detached alias (same memory) with ``requires_grad`` set as asked, and every tensor is
an instance of it."""

import warnings


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        from ..tensor import Tensor
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(data, requires_grad=False, volatile=False)``: ``data.detach()`` (sharing its
    memory) with ``requires_grad``; ``volatile`` only warns, as PyTorch's does."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        from ..tensor import Tensor
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with "
                          "torch.no_grad():` instead.", UserWarning, stacklevel=2)
        out = data.detach()
        if requires_grad:
            out.requires_grad_(True)
        return out

"""PyTorch's ``torch.utils.hooks``: ``RemovableHandle`` (what every ``register_*hook`` returns),
``unserializable_hook`` and ``warn_if_has_hooks``. PyTorch's ``BackwardHook`` (the machinery
behind full module backward hooks) is not here: tinygrad_bn's module hooks are built
differently (``nn.module``), and a class that only looked like it would not behave like it."""

import warnings

from ..autograd.hooks import RemovableHandle

__all__ = ["RemovableHandle", "unserializable_hook", "warn_if_has_hooks"]


def unserializable_hook(f):
    """Mark ``f`` as a hook that is not expected to be serialized (sets
    ``f.__torch_unserializable__``), which silences ``warn_if_has_hooks`` for it. Returns ``f``."""
    f.__torch_unserializable__ = True
    return f


def _gradient_hooks(tensor):
    """The hooks ``tensor.register_hook`` added: a leaf keeps them itself, any other tensor on
    its ``grad_fn``."""
    if tensor.grad_fn is None:
        return dict(tensor._hooks or {})
    hooks = tensor.grad_fn.hooks
    return dict(hooks["tensor"]) if hooks is not None else {}


def warn_if_has_hooks(tensor) -> None:
    """PyTorch's: a ``UserWarning`` for each gradient hook of ``tensor`` not marked with
    ``unserializable_hook``, since saving the tensor does not save its hooks."""
    for hook in _gradient_hooks(tensor).values():
        if not hasattr(hook, "__torch_unserializable__"):
            warnings.warn(f"backward hook {repr(hook)} on tensor will not be "
                          "serialized.  If this is expected, you can "
                          "decorate the function with @torch.utils.hooks.unserializable_hook "
                          "to suppress this warning", stacklevel=2)

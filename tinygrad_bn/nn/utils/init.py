"""PyTorch's ``torch.nn.utils.init``: ``skip_init``, a module built without its parameters
initialised."""

import inspect

from ..module import Module


def skip_init(module_cls, *args, **kwargs):
    """Make ``module_cls(*args, **kwargs)`` with its parameters and buffers left uninitialised
    (as ``torch.empty`` leaves them), for a custom initialisation to follow. The class must
    take a ``device`` argument, as PyTorch requires. PyTorch builds the module on the ``meta``
    device, so that no initialiser runs; this framework has no meta device, so the module is
    built normally (its initialisers run and draw from the random generator) and then
    ``to_empty(device=...)`` discards the values."""
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    final_device = kwargs.pop("device", "cpu")
    return module_cls(*args, **kwargs).to_empty(device=final_device)

"""Optimizers with PyTorch's update rules: ``SGD``, ``Adam``, ``AdamW``, ``RMSprop``, ``Adagrad``,
``Adadelta``, ``Adamax``, ``NAdam``, ``RAdam``, ``Rprop``, ``ASGD``, ``LBFGS``, ``Adafactor``,
``Muon`` and ``SparseAdam``; learning-rate schedules in ``lr_scheduler``; weight averaging (SWA, EMA) in
``swa_utils``; the global step hooks in ``optimizer``."""

from . import lr_scheduler, swa_utils
from .adadelta import ASGD, Adadelta, Rprop
from .adam import Adam, AdamW
from .adam_variants import Adamax, NAdam, RAdam
from .lbfgs import LBFGS
from .optimizer import Optimizer
from .rmsprop import Adagrad, RMSprop
from .sgd import SGD

__all__ = ["ASGD", "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS", "Muon",
           "NAdam", "Optimizer", "RAdam", "RMSprop", "Rprop", "SGD", "SparseAdam", "lr_scheduler", "swa_utils"]

# The rarely used optimizers, imported on first use (``optim.Muon``, ``from tinygrad_bn.optim
# import Muon``): {name: its module}.
_ON_FIRST_USE = {"Adafactor": "adafactor", "Muon": "muon", "SparseAdam": "sparse_adam"}


def __getattr__(name):
    """The optimizers of ``_ON_FIRST_USE`` and their modules, imported when first asked for (an
    optimizer is then kept as a global: the next look-up does not come here)."""
    import importlib
    if name in _ON_FIRST_USE:
        value = getattr(importlib.import_module(f".{_ON_FIRST_USE[name]}", __name__), name)
        globals()[name] = value
        return value
    if name in _ON_FIRST_USE.values():  # the modules themselves (torch.optim.adafactor)
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    """The package's names, those imported on first use included (completion)."""
    return sorted(set(globals()) | set(_ON_FIRST_USE) | set(_ON_FIRST_USE.values()))

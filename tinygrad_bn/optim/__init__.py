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

from ..first_use import imported_on_first_use as _on_first_use  # noqa: E402

__getattr__, __dir__ = _on_first_use(__name__, globals(), (), _ON_FIRST_USE)

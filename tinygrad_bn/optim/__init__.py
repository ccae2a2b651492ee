"""Optimizers with PyTorch's update rules: ``SGD``, ``Adam``, ``AdamW``, ``RMSprop``, ``Adagrad``,
``Adadelta``, ``Adamax``, ``NAdam``, ``RAdam``, ``Rprop``, ``ASGD``, ``LBFGS``, ``Adafactor``,
``Muon`` and ``SparseAdam``; learning-rate schedules in ``lr_scheduler``; weight averaging (SWA, EMA) in
``swa_utils``; the global step hooks in ``optimizer``."""

from . import lr_scheduler, swa_utils
from .adafactor import Adafactor
from .adadelta import ASGD, Adadelta, Rprop
from .adam import Adam, AdamW
from .adam_variants import Adamax, NAdam, RAdam
from .lbfgs import LBFGS
from .muon import Muon
from .optimizer import Optimizer
from .rmsprop import Adagrad, RMSprop
from .sgd import SGD
from .sparse_adam import SparseAdam

__all__ = ["ASGD", "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS", "Muon",
           "NAdam", "Optimizer", "RAdam", "RMSprop", "Rprop", "SGD", "SparseAdam", "lr_scheduler", "swa_utils"]

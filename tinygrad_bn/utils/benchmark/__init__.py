"""``tinygrad_bn.utils.benchmark`` mirrors ``torch.utils.benchmark``: ``Timer`` to time a
statement (``timeit``, ``blocked_autorange``, ``adaptive_autorange``), the ``Measurement``
it returns, and ``Compare`` to print many as tables. Python statements only: PyTorch's C++
timing, callgrind counts and the input fuzzers are not here."""

from .common import (  # noqa: F401
    Measurement, TaskSpec, ordered_unique, select_unit, set_torch_threads, trim_sigfig,
    unit_to_english,
)
from .compare import Colorize, Compare  # noqa: F401
from .timer import Language, Timer, timer  # noqa: F401

__all__ = ["Colorize", "Compare", "Language", "Measurement", "TaskSpec", "Timer",
           "ordered_unique", "select_unit", "set_torch_threads", "timer", "trim_sigfig",
           "unit_to_english"]

"""Reverse-mode automatic differentiation, laid out as PyTorch's ``torch.autograd``.

- ``graph.py``: ``Op``, the base of every built-in operation (an op instance *is* the graph
  node), version counters, and the iterative topological walk; with ``graph_api.py`` (its
  public names: ``Node``, ``GradientEdge``, multi-grad and saved-tensor hooks) it is
  ``torch.autograd.graph``.
- ``forward_ad.py``: dual tensors (``make_dual``, ``unpack_dual``), tangents by double backward.
- ``anomaly_mode.py``: the module path of ``detect_anomaly`` and ``set_detect_anomaly``.
- ``engine.py``: the backward pass (``backward``, ``grad``), hooks and anomaly checks.
- ``function.py``: ``Function``, PyTorch's protocol for user-defined differentiable functions.
- ``grad_mode.py``: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode``
  (per thread), anomaly detection and the multithreading flag.
- ``hooks.py``: the handle every ``register_*hook`` returns.
- ``gradcheck.py``: ``gradcheck`` and ``gradgradcheck``, backward's gradients (and their
  gradients) held against finite differences.
- ``higher_order.py``: the backward pass of ``create_graph=True`` (gradients of gradients).
- ``functional.py``: ``torch.autograd.functional`` (jacobian, hessian, vjp, jvp, hvp, vhp).
- ``variable.py``: ``Variable``, the legacy wrapper (a detached alias of the tensor).
- ``profiler.py``, ``profiler_util.py``: the profiler's recorder and ``torch.autograd.profiler``.
"""

from . import anomaly_mode, functional, graph, graph_api
from .engine import backward, grad, root_grads, run_backward
from .function import Function, FunctionCtx, once_differentiable
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .grad_mode import (
    detect_anomaly, enable_grad, inference_mode, is_anomaly_check_nan_enabled,
    is_anomaly_enabled, is_grad_enabled, is_inference_mode_enabled, is_multithreading_enabled,
    no_grad, set_detect_anomaly, set_grad_enabled, set_multithreading_enabled,
)
from .graph import (
    RELEASED_GRAPH_MESSAGE, ModuleCall, Op, reduce_to_shape, topological_order,
)
from .hooks import RemovableHandle
from .variable import Variable


def __getattr__(name):
    """``profiler`` and ``profiler_util`` (``torch.autograd.profiler``), imported when first
    asked for: a program that never profiles does not load them; ``forward_ad`` (dual tensors)
    likewise."""
    if name in ("profiler", "profiler_util", "forward_ad"):
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    """The package's names, ``forward_ad`` included (completion)."""
    return sorted(set(globals()) | {"forward_ad"})

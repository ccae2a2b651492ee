"""``torch.autograd.forward_ad``: Jacobian-vector products through dual tensors.

    with forward_ad.dual_level():
        dual = forward_ad.make_dual(x, v)
        y = f(dual)
        jvp = forward_ad.unpack_dual(y).tangent     # J_f(x) @ v

tinygrad_bn has no forward-mode formulas: the tangent is computed when ``unpack_dual`` asks for
it, by the double-backward trick, from the reverse-mode graph ``f`` recorded. With ``u`` a
zero cotangent that requires grad, the vector-Jacobian product ``g(u) = J^T u`` is computed with
``create_graph=True`` (``higher_order.py``); it is linear in ``u``, so
``d/du <g(u), v> = J v``: a second ``autograd.grad`` gives the tangent. Every dual tensor of the
level contributes, ``J_1 v_1 + J_2 v_2 + ...``, and a tensor that depends on none has tangent
``None``, as in PyTorch.

Where this differs from PyTorch's forward AD:

- A dual tensor made from a tensor that does not require grad is a detached alias of it (same
  memory) that *does* require grad, and so do the results computed from it: the graph they
  record is what the tangents are computed from. (PyTorch's dual and results keep
  ``requires_grad=False``.) ``unpack_dual(t).primal`` is detached, unless a primal of the
  level required grad (forward-over-reverse), when it is ``t`` viewed.
- Tangents flow only through recorded operations: code run under ``no_grad`` (or on
  ``.detach()``-ed values) carries none, where PyTorch's forward AD ignores grad mode.
- Each ``unpack_dual`` of a computed tensor costs two backward passes over its graph (run with
  the graph's gradient hooks, module backward hooks and ``retain_grad()`` set aside, so none
  of them sees these passes), and an op without a ``create_graph=True`` formula (see
  ``higher_order.py``) raises there.
- A custom ``Function`` between a dual tensor and the result raises ``NotImplementedError``
  (PyTorch's message when it has no ``jvp``; a ``jvp`` is not called by tinygrad_bn), and so
  does a module with full backward hooks (their node is a custom Function, as in PyTorch).
- A tangent computed this way has the result's dtype and no history of its own (PyTorch's
  can be differentiated again); a tangent given to ``make_dual`` is kept as given, as in
  PyTorch.
"""

import functools
from typing import NamedTuple

import numpy as np

from . import graph
from .grad_mode import enable_grad

_current_level = -1


class _Level:
    """The open dual level's tangents: id(dual tensor) -> (dual tensor, tangent), and whether
    a primal required grad (the primals given back then keep their graph)."""

    tangents = {}
    keeps_graph = False


class UnpackedDualTensor(NamedTuple):
    """What ``unpack_dual`` returns: the ``primal`` value and its ``tangent`` (or None)."""

    primal: object
    tangent: object


def enter_dual_level():
    """Open the forward-AD level (there is one at a time, as in PyTorch) and return it (0)."""
    global _current_level
    if _current_level >= 0:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _current_level = 0
    _Level.tangents, _Level.keeps_graph = {}, False
    return _current_level


def exit_dual_level(*, level=None):
    """Close the level: every tangent made in it is dropped."""
    global _current_level
    if level is None:
        level = _current_level
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    if level != _current_level:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was "
                           "created. This is not supported.")
    _Level.tangents, _Level.keeps_graph = {}, False
    _current_level = level - 1


class dual_level:  # noqa: N801 - PyTorch's name
    """Context manager (and decorator) inside which dual tensors can be made and unpacked;
    ``with dual_level() as level:`` gives the level (0)."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc_info):
        exit_dual_level()
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def in_level(*args, **kwargs):
            with dual_level():
                return function(*args, **kwargs)
        return in_level


def _check_level(level, action):
    if level is None:
        level = _current_level
    if level < 0:
        return None
    if level != _current_level:
        raise RuntimeError(f"Invalid level given to {action}")
    return level


def make_dual(tensor, tangent, *, level=None):
    """A tensor aliasing ``tensor``'s memory whose tangent (forward gradient) is ``tangent``
    (same shape, floating); see the module docstring for how it differs from PyTorch's."""
    if level is None and _current_level < 0 or level is not None and level < 0:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, "
                           "make sure to enter_dual_level() first.")
    if not tensor.is_floating_point():
        raise ValueError(
            f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if not tangent.is_floating_point():
        raise ValueError(
            f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    _check_level(level, "_make_dual")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the "
            f"original Tensor, this is not supported. Tensor is of size {list(tensor.shape)} "
            f"while the given forward gradient is of size {list(tangent.shape)}.")
    with enable_grad():
        if tensor.requires_grad:
            dual = tensor.view_as(tensor)
            _Level.keeps_graph = True
        else:
            dual = tensor.detach().requires_grad_(True)
    _Level.tangents[id(dual)] = (dual, tangent)
    return dual


def unpack_dual(tensor, *, level=None):
    """``(primal, tangent)`` of ``tensor`` at the level: the tangent given to ``make_dual`` for a
    dual tensor, ``J v`` summed over the level's dual tensors for a tensor computed from them
    (None if it depends on none of them), and ``(tensor, None)`` outside a level."""
    level = _check_level(level, "_unpack_dual")
    if level is None or not isinstance(tensor, graph.Tensor):
        return UnpackedDualTensor(tensor, None)
    entry = _Level.tangents.get(id(tensor))
    if entry is not None and entry[0] is tensor:
        tangent = entry[1]
    else:
        tangent = _computed_tangent(tensor)
    if _Level.keeps_graph and tensor.requires_grad:
        with enable_grad():
            primal = tensor.view_as(tensor)
    else:
        primal = tensor.detach()
    return UnpackedDualTensor(primal, tangent)


def _computed_tangent(tensor):
    """``sum_i J_i v_i`` for ``tensor`` by the double-backward trick (module docstring)."""
    if not tensor.requires_grad or not tensor.is_floating_point() or not _Level.tangents:
        return None
    duals = list(_Level.tangents.values())
    order = graph.topological_order([tensor])
    _refuse_custom_functions(order, duals)
    # The backward passes below are this function's own business: the graph's gradient hooks,
    # module backward hooks and retain_grad() must not see them (PyTorch's forward AD runs no
    # backward). What saved-tensor hooks packed is still unpacked.
    kept = [(node, node.hooks, node.retained_output) for node in order
            if node.hooks is not None or node.retained_output is not None]
    for node, hooks, _ in kept:
        node.retained_output = None
        node.hooks = None if hooks is None or hooks["saved"] is None else {
            "tensor": {}, "pre": {}, "post": {}, "saved": hooks["saved"]}
    try:
        return _double_backward(tensor, duals)
    finally:
        for node, hooks, retained in kept:
            node.hooks, node.retained_output = hooks, retained


def _refuse_custom_functions(order, duals):
    """PyTorch's error for a custom ``Function`` between a dual tensor and the result: its
    forward AD calls the Function's ``jvp``, which tinygrad_bn does not (a tangent taken
    through its ``backward`` would be wrong if that backward is not differentiable)."""
    from .engine import _needed_nodes  # the engine builds on this package's modules
    from .function import CustomFunctionNode
    wanted = {id(dual): i for i, (dual, _) in enumerate(duals)}
    wanted_nodes = {id(dual.grad_fn): () for dual, _ in duals if dual.grad_fn is not None}
    on_path = _needed_nodes(order, wanted, wanted_nodes)
    for node in order:
        if isinstance(node, CustomFunctionNode) and id(node) in on_path:
            if getattr(node.function, "jvp", None) is not None:
                raise NotImplementedError(
                    f"forward AD through the custom Function {node.name} is not supported by "
                    "tinygrad_bn: its jvp is not called (tangents come from backward formulas)")
            raise NotImplementedError("You must implement the jvp function for custom "
                                      "autograd.Function to use it with forward mode AD.")


def _double_backward(tensor, duals):
    """``d/du <J^T u, v>`` with ``u`` a zero cotangent of ``tensor``'s shape that requires grad:
    ``J v`` summed over the dual tensors, or None if ``tensor`` depends on none of them."""
    from .engine import grad  # the engine builds on this package's modules
    with enable_grad():
        cotangent = graph.Tensor._make(np.zeros(tensor.shape, tensor._array.dtype), None)
        cotangent.requires_grad_(True)
        vjps = grad(tensor, [dual for dual, _ in duals], grad_outputs=cotangent,
                    create_graph=True, allow_unused=True)
        terms = [(vjp * tangent.to(vjp.dtype)).sum()
                 for vjp, (_, tangent) in zip(vjps, duals) if vjp is not None]
        if not terms:
            return None
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        if not total.requires_grad:  # J^T u does not depend on u: J is zero
            return graph.Tensor._make(cotangent._array.copy(), None)
        (tangent,) = grad(total, cotangent, retain_graph=True, allow_unused=True,
                          materialize_grads=True)
    return tangent.detach()

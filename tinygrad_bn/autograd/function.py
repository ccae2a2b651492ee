"""PyTorch's protocol for user-defined differentiable functions: subclass ``Function``, write
``forward(ctx, ...)`` and ``backward(ctx, ...)`` as static methods on Tensors, call ``.apply``.

    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * grad_output

    y = Cube.apply(x)

``apply`` runs ``forward`` with recording off, then records one node (a ``CustomFunctionNode``)
whose name is the subclass's name, so the graph drawer shows ``Cube``. ``ctx`` is a plain object
for the user's own attributes; the node keeps it as ``node.ctx``.
"""

import functools
import weakref

import numpy as np

from . import graph, graph_api
from .grad_mode import _AnomalyMode, no_grad, thread_state
from .graph import (
    RELEASED_GRAPH_MESSAGE, Op, _Writes, modified_error, tensor_type_name, user_stack,
    version_counter,
)


# Outputs of custom Functions that share memory with an input, by id: PyTorch refuses to write
# to them in place (the write would bypass the Function's own backward).
CUSTOM_FUNCTION_VIEWS = weakref.WeakValueDictionary()


class FunctionCtx:
    """The ``ctx`` passed to ``forward`` and ``backward``: holds what backward needs.

    - ``save_for_backward(*tensors)`` / ``saved_tensors``: tensors kept for backward; reading
      them checks that none was modified in place since it was saved.
    - ``needs_input_grad``: one bool per argument of ``forward`` (False for non-tensors).
    - ``mark_non_differentiable(*outputs)``: outputs that get no gradient (indices, masks).
    - ``set_materialize_grads(False)``: pass ``None`` instead of zeros for outputs that
      received no gradient.
    Any other attribute (``ctx.constant = 2``) is the user's.
    """

    def __init__(self):
        self.needs_input_grad = ()
        self._saved = ()
        self._saved_versions = ()
        self._non_differentiable = set()
        self._materialize_grads = True
        self._released = False
        self._packed = None  # (unpack_hook, packed values) inside saved_tensors_hooks

    def save_for_backward(self, *tensors):
        """Keep ``tensors`` (or None) for ``backward``, which reads them back from
        ``saved_tensors``; each one's version is recorded so that an in-place change before
        backward is caught, as in PyTorch. Call it at most once, from ``forward``."""
        Tensor = graph.Tensor
        for position, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward can only save variables, but argument {position} is of "
                    f"type {type(t).__name__}"
                )
        self._saved = tensors
        self._saved_versions = tuple(
            None if t is None else version_counter(t).value for t in tensors
        )

    @property
    def saved_tensors(self):
        """The tensors given to ``save_for_backward``, as a tuple in the same order. Raises if one
        was modified in place since, or if the graph was already freed by a backward without
        ``retain_graph=True``."""
        if self._released:
            raise RuntimeError(RELEASED_GRAPH_MESSAGE)
        if self._packed is not None:  # unpacked at each read, with no version check (PyTorch)
            unpack_hook, packed = self._packed
            return tuple(None if p is None else graph_api.unpack(unpack_hook, p) for p in packed)
        for t, version in zip(self._saved, self._saved_versions):
            if t is not None and t._version_counter.value != version:
                description = f"{tensor_type_name(t.dtype)} {list(t.shape)}"
                producer = None if t.grad_fn is None else t.grad_fn.name
                raise modified_error(description, producer, t._version_counter.value, version)
        return self._saved

    def mark_non_differentiable(self, *outputs):
        """Declare outputs (indices, masks) that get no gradient: they come out with
        ``requires_grad=False`` and no ``grad_fn``, as in PyTorch."""
        self._non_differentiable.update(id(t) for t in outputs)

    def set_materialize_grads(self, value):
        """With ``False``, ``backward`` receives None instead of a tensor of zeros for an output
        that got no gradient (True by default, as in PyTorch)."""
        self._materialize_grads = bool(value)

    def mark_dirty(self, *tensors):
        """Not supported: in-place custom Functions raise ``NotImplementedError``. Return a new
        tensor from ``forward`` instead."""
        raise NotImplementedError(
            "mark_dirty (in-place custom Functions) is not supported by tinygrad_bn: return a new "
            "tensor from forward instead of modifying an input"
        )


class Function:
    """Base class for user-defined differentiable functions (PyTorch's
    ``torch.autograd.Function``); see the module docstring for an example.

    ``forward(ctx, *args, **kwargs)`` gets the arguments as given (Tensors and anything else)
    and runs with recording off; it returns a Tensor or a tuple of them. ``backward(ctx,
    *grad_outputs)`` gets one gradient per output and returns one gradient per argument of
    ``forward`` (``None`` for non-tensors and for inputs that need none). PyTorch 2's split form,
    ``forward(*args)`` plus ``setup_context(ctx, inputs, output)``, works too.
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        """The forward computation, to override as a ``@staticmethod``: ``forward(ctx, *args,
        **kwargs)`` returns a Tensor or a tuple of them and runs with gradient recording off (or
        ``forward(*args)`` together with ``setup_context``)."""
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def backward(ctx, *grad_outputs):
        """The gradient computation, to override as a ``@staticmethod``: ``backward(ctx,
        *grad_outputs)`` gets one gradient per output of ``forward`` and returns one per argument
        of ``forward`` (None for non-tensors and inputs that need none)."""
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    @staticmethod
    def setup_context(ctx, inputs, output):
        """PyTorch 2's split form: override it (as a ``@staticmethod``) to fill ``ctx`` from the
        ``inputs`` tuple and the ``output`` of a ``forward`` that takes no ``ctx``."""
        raise NotImplementedError("setup_context is not implemented.")

    def __init__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use "
            "new-style autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
        )

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run the Function on ``args``: call ``forward`` and, when a tensor argument requires grad
        and recording is on, record one graph node whose backward calls ``backward``. Call it on
        the class (``Cube.apply(x)``), never on an instance."""
        Tensor = graph.Tensor
        graph.untraceable(f"custom autograd.Function {cls.__name__} (its Python forward and "
                          "backward are not recorded)")
        ctx = FunctionCtx()
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        inputs = tuple(args[i] for i in positions)
        recording = thread_state.grad_enabled and any(t._requires_grad for t in inputs)
        ctx.needs_input_grad = tuple(
            recording and isinstance(a, Tensor) and a._requires_grad for a in args
        )
        split = cls.setup_context is not Function.setup_context
        with no_grad():
            if split:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        is_tuple = isinstance(output, tuple)
        outputs = output if is_tuple else (output,)
        node = CustomFunctionNode(cls, ctx, positions, len(args)) if recording else None
        results, output_numbers = [], {}
        for number, out in enumerate(outputs):
            if not isinstance(out, Tensor):
                results.append(out)
                continue
            differentiable = (node is not None and id(out) not in ctx._non_differentiable
                              and out._array.dtype.kind == "f")
            if differentiable or any(out is t for t in inputs) or out.grad_fn is not None:
                # A new handle: an input returned as-is, or a result built with recording on,
                # must not be rewired; the values (and version counter) stay shared.
                fresh = Tensor._make(out._array, None)
                fresh._version_counter = version_counter(out)
                shared = next((t for t in inputs if np.shares_memory(t._array, out._array)), None)
                if shared is not None:  # a view of an input: writing to it in place is refused
                    fresh._base = shared._base if shared._base is not None else shared
                    CUSTOM_FUNCTION_VIEWS[id(fresh)] = fresh
                out = fresh
            if differentiable:
                out.grad_fn, out._requires_grad = node, True
                output_numbers[id(out)] = number
            results.append(out)
        if node is not None:
            node.inputs = inputs
            node.producers = tuple(t.grad_fn for t in inputs)
            node.needs_input_grad = tuple(ctx.needs_input_grad[i] for i in positions)
            node.outputs_meta = [(o.shape, o.dtype) if isinstance(o, Tensor) else None
                                 for o in outputs]
            # A single output's shape and dtype; None tells the engine to read them from the
            # tensor, as for a node with several outputs.
            node.output_meta = node.outputs_meta[0] if len(outputs) == 1 else None
            node.num_outputs = len(outputs)
            node.output_numbers = output_numbers
            node.module_call = thread_state.module_call
            if _AnomalyMode.enabled:
                node.creation_trace = user_stack()
            if thread_state.saved_tensors_hooks and ctx._saved:
                graph_api.pack_function_saved(ctx)
        return tuple(results) if is_tuple else results[0]


class CustomFunctionNode(Op):
    """The graph node of one ``Function.apply`` call: its ``name`` is the Function's class name,
    ``ctx`` is what forward stored, ``backward`` calls the user's ``backward`` on Tensors."""

    arguments = ()

    def __init__(self, function, ctx, positions, num_args):
        self.function, self.ctx = function, ctx
        self.positions, self.num_args = positions, num_args
        self.saved = ()
        self.write_stamp = _Writes.count
        self.output_counter = None
        self.retained_output = self.hooks = None

    @property
    def name(self):
        return graph.NodeName(self.function.__name__)

    def release(self):
        """Free what ``ctx`` saved and, as every node does, let go of intermediate inputs."""
        self.ctx._released = True
        self.ctx._saved = ()
        self.ctx._packed = None
        super().release()
        self.saved = None

    def backward(self, grad_output):
        Tensor = graph.Tensor
        grads = grad_output if self.num_outputs != 1 else [grad_output]
        wrapped = []
        for grad, meta in zip(grads, self.outputs_meta):
            if grad is None and meta is not None and self.ctx._materialize_grads:
                grad = np.zeros(meta[0], dtype=meta[1])
            wrapped.append(None if grad is None else Tensor._make(grad, None))
        with no_grad():
            result = self.function.backward(self.ctx, *wrapped)
        input_grads = []
        incoming = {id(g) for g in grads if g is not None}
        for grad in self._checked_gradients(result):
            if grad is None:
                input_grads.append(None)
                continue
            array = grad._array
            # A gradient passed straight through, or returned for two inputs, must not be
            # added into in place later (the engine adds into fresh arrays).
            input_grads.append(array.view() if id(array) in incoming else array)
            incoming.add(id(array))
        return tuple(input_grads)

    def tensor_backward(self, grad_output):
        """``create_graph=True``: the user's ``backward`` runs with recording on (as in
        PyTorch), so a ``backward`` written with Tensor operations is differentiable again.
        ``grad_output`` is a Tensor, or a list of them (zeros already made where materialized)."""
        grads = grad_output if self.num_outputs != 1 else [grad_output]
        result = self.function.backward(self.ctx, *grads)
        return tuple(self._checked_gradients(result))

    def _checked_gradients(self, result):
        """The user's ``backward`` result checked as PyTorch does (one gradient per argument of
        ``forward``, None for non-tensors, shapes that broadcast to the input's): one Tensor or
        None per tensor input."""
        Tensor = graph.Tensor
        result = result if isinstance(result, tuple) else (result,)
        if len(result) != self.num_args:
            if len(result) > self.num_args and all(r is None for r in result[self.num_args:]):
                result = result[:self.num_args]
            else:
                raise RuntimeError(
                    f"function {self.name}Backward returned an incorrect number of gradients "
                    f"(expected {self.num_args}, got {len(result)})"
                )
        tensor_positions = set(self.positions)
        for position, grad in enumerate(result):
            if grad is not None and position not in tensor_positions:
                raise RuntimeError(
                    f"function {self.name}Backward returned a gradient different than None at "
                    f"position {position + 1}, but the corresponding forward input was not a "
                    "Variable"
                )
        checked = []
        for index, position in enumerate(self.positions):
            grad = result[position]
            if grad is None:
                checked.append(None)
                continue
            if not isinstance(grad, Tensor):
                raise TypeError(
                    f"function {self.name}Backward returned a gradient of type "
                    f"{type(grad).__name__} at index {position}; expected a Tensor or None"
                )
            expected = self.inputs[index].shape
            try:
                fits = np.broadcast_shapes(expected, grad.shape) == tuple(grad.shape)
            except ValueError:
                fits = False
            if not fits:
                raise RuntimeError(
                    f"Function {self.name}Backward returned an invalid gradient at index "
                    f"{position} - got {list(grad.shape)} but expected shape compatible with "
                    f"{list(expected)}"
                )
            checked.append(grad)
        return checked


def once_differentiable(backward):
    """PyTorch's decorator for a ``backward`` that is not itself differentiable: it runs with
    recording off, so under ``create_graph=True`` its gradients have no history."""

    @functools.wraps(backward)
    def wrapper(ctx, *grad_outputs):
        with no_grad():
            return backward(ctx, *grad_outputs)

    return wrapper

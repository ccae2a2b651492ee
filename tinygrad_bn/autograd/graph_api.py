"""The public names of ``torch.autograd.graph`` that are not the graph's building blocks:
``Node`` (the abstract base every ``grad_fn`` is an instance of), ``GradientEdge``,
``get_gradient_edge``, ``increment_version``, ``register_multi_grad_hook`` and the hooks on
tensors saved for backward (``saved_tensors_hooks``, ``save_on_cpu``,
``disable_saved_tensors_hooks``, ``allow_mutation_on_saved_tensors``). ``graph.py``
re-exports them, so that ``tinygrad_bn.autograd.graph`` reads as PyTorch's module does.

Saved-tensor hooks, as in PyTorch: inside ``with saved_tensors_hooks(pack_hook, unpack_hook)``
every tensor an op keeps for its backward is handed to ``pack_hook`` when the op is recorded,
and what ``pack_hook`` returned is handed to ``unpack_hook`` each time a backward needs the
tensor; the op's backward uses the tensor ``unpack_hook`` returns.

- Built-in ops (every ``Op``, the fused Linear, ReLU, BatchNorm and CrossEntropy included):
  ``Op.apply`` packs the top-level arrays of the node's ``saved`` tuple right after
  ``forward``: as the input tensor itself when the op kept an input's array, as the result
  tensor when it kept its result, else as a new tensor with no history (a mask, softmax
  probabilities). A 0-d input that does not require grad (the ``2`` of ``x * 2``, which
  PyTorch keeps as a Python number) is not packed. The engine unpacks them just before the
  node's backward (``create_graph=True`` too) and puts the packed form back after it.
- Custom ``Function``s: what ``ctx.save_for_backward`` got is packed once ``forward`` has
  returned and unpacked at each read of ``ctx.saved_tensors``, as in PyTorch.
- A non-reentrant checkpoint's region packs nothing (``suspended_saved_tensors_hooks``), as
  in PyTorch.

So the number of ``pack_hook`` calls follows tinygrad_bn's backward formulas, not always
PyTorch's: equal for ``x * y``, ``x * 2``, ``x @ w``, ``linear``, ``conv2d``, ``exp``,
``log``, ``tanh``, ``sigmoid``, ``relu``, ``softmax``, ``log_softmax``, ``layer_norm``,
``batch_norm``, ``mse_loss``, none for ``sum``, ``mean``, ``reshape``, indexing and ``cat``;
different for ``cross_entropy`` (1 here, 4 in PyTorch), ``gelu`` (2 / 1), ``silu`` (3 / 1),
``max_pool2d`` (1 / 2) (the table is in ``tests/test_autograd_graph_api.py``). Arrays an op
keeps outside ``saved``, or nested in a tuple inside it, are not handed to the hooks, and a
backward that reads its inputs' arrays directly (``node.inputs``) reads the original values
whatever ``unpack_hook`` returns. With hooks, as in PyTorch, no in-place modification check is
made on what was packed.

A jit capture refuses a step that packs a saved tensor (the hooks are Python code a replay
would not run), and entering ``saved_tensors_hooks`` makes every plan captured before it
capture again (``_Structure``), so a plan captured without hooks never replays inside them.
"""

import abc
import contextlib
import functools
import threading
from collections import defaultdict
from typing import NamedTuple

import numpy as np

from . import graph
from .grad_mode import thread_state
from .graph import _SavedHooks
from .hooks import RemovableHandle


# --------------------------------------------------------------------------- Node


class Node(abc.ABC):
    """PyTorch's abstract base of the autograd graph's nodes: every ``grad_fn`` (an ``Op``
    instance, a custom Function's node) and the ``AccumulateGrad`` of a leaf in
    ``next_functions`` is an instance of it (the classes are registered with the ABC, as
    PyTorch registers its C++ node classes). A node has ``name()``, ``next_functions``,
    ``metadata`` (a dict of the user's own), ``register_hook`` and ``register_prehook``."""

    @abc.abstractmethod
    def name(self):
        """The node's name, e.g. ``Mul`` (tinygrad_bn's op names; PyTorch's are
        ``MulBackward0``)."""
        raise NotImplementedError

    @property
    @abc.abstractmethod
    def next_functions(self):
        """``((node, output_nr), ...)``, one edge per input."""
        raise NotImplementedError

    @property
    @abc.abstractmethod
    def metadata(self):
        """A dict the user may fill; it lives as long as the node."""
        raise NotImplementedError

    @abc.abstractmethod
    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` after the node's backward; may return new
        ``grad_inputs``."""
        raise NotImplementedError

    @abc.abstractmethod
    def register_prehook(self, fn):
        """``fn(grad_outputs)`` before the node's backward; may return new ``grad_outputs``."""
        raise NotImplementedError


class GradientEdge(NamedTuple):
    """Where the gradient of a tensor is computed: its ``node`` (its ``grad_fn``, or the
    ``AccumulateGrad`` of a leaf) and which of the node's outputs it is (``output_nr``).
    ``autograd.grad(loss, get_gradient_edge(t))`` equals ``autograd.grad(loss, t)``."""

    node: Node
    output_nr: int
    ownership_token: Node | None = None


def get_gradient_edge(tensor):
    """The ``GradientEdge`` of ``tensor`` (which must require grad), as PyTorch's."""
    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does "
                           "not require gradients")
    node = tensor.grad_fn
    if node is None:
        return GradientEdge(graph.AccumulateGrad(tensor), 0)
    number = 0 if node.num_outputs == 1 else node.output_numbers[id(tensor)]
    return GradientEdge(node, number)


def edge_tensor(edge):
    """A tensor standing for a ``GradientEdge`` given to ``autograd.grad`` as an input: the
    leaf of an ``AccumulateGrad`` edge, else a tensor with no values of its own (a broadcast
    zero of the node's output shape) whose ``grad_fn`` is the edge's node."""
    node = edge.node
    if isinstance(node, graph.AccumulateGrad):
        return node.variable
    if node.num_outputs != 1:
        raise NotImplementedError(
            "autograd.grad with a GradientEdge of a node with several outputs is not supported "
            "by tinygrad_bn: pass the output tensor itself")
    shape, dtype = node.output_meta
    stand_in = graph.Tensor._make(np.broadcast_to(np.zeros((), dtype), shape), None)
    stand_in.grad_fn, stand_in._requires_grad = node, True
    return stand_in


def increment_version(tensor):
    """Count an in-place write made behind autograd's back (through ``.numpy()``, a kernel of
    one's own) on ``tensor`` or on each tensor of an iterable, so that backward refuses a saved
    value written since it was saved."""
    tensors = (tensor,) if isinstance(tensor, graph.Tensor) else tuple(tensor)
    for t in tensors:
        graph.version_counter(t).bump()


# --------------------------------------------------------------------------- multi-grad hooks


class _MultiHandle(RemovableHandle):
    """The handle of ``register_multi_grad_hook``: removes the hook from every tensor."""

    def __init__(self, handles):
        self.handles = handles

    def remove(self):
        for handle in self.handles:
            handle.remove()


class GraphTask:
    """The backward pass running in this thread (``thread_state.graph_task``, set by
    ``running_graph_task``), so that a multi-grad hook can tell which of its tensors get a
    gradient in it: from its ``roots`` and, for ``autograd.grad``, its ``inputs``. The walk's
    nodes are found only when a multi-grad hook asks."""

    _ids = iter(range(1, 1 << 62))

    def __init__(self, roots, inputs):
        self.id = next(GraphTask._ids)
        self.roots, self.inputs = roots, inputs
        self._nodes = self._leaves = None

    def will_get_gradient(self, tensor):
        """Whether this pass computes ``tensor``'s gradient (runs its hooks): PyTorch's
        ``_will_engine_execute_node`` of its ``grad_fn`` or ``AccumulateGrad``."""
        if self._nodes is None:
            from .engine import _needed_nodes  # the engine builds on this module
            order = graph.topological_order(self.roots)
            if self.inputs is None:
                self._nodes = {id(node) for node in order}
            else:
                wanted = {id(t): i for i, t in enumerate(self.inputs)}
                wanted_nodes = {id(t.grad_fn): () for t in self.inputs if t.grad_fn is not None}
                self._nodes = _needed_nodes(order, wanted, wanted_nodes) | set(wanted_nodes)
            self._leaves = {id(t) for node in order
                            for t, producer, needed in zip(node.inputs, node.producers,
                                                           node.needs_input_grad)
                            if producer is None and needed}
        node = tensor.grad_fn
        if node is not None:
            return id(node) in self._nodes
        if self.inputs is not None:
            raise RuntimeError("A leaf node was passed to _will_engine_execute_node but we are "
                               "currently running autograd.grad(). This is currently not "
                               "supported.")
        return id(tensor) in self._leaves


def running_graph_task(walk):
    """Decorate a backward walk ``walk(roots, root_grads, retain_graph=False, inputs=None)``
    so that a ``GraphTask`` is current in this thread while it runs."""

    @functools.wraps(walk)
    def run(roots, root_grads, retain_graph=False, inputs=None):
        state = thread_state
        previous = state.graph_task
        state.graph_task = GraphTask(roots, inputs)
        try:
            return walk(roots, root_grads, retain_graph, inputs)
        finally:
            state.graph_task = previous

    return run


def _current_task():
    task = thread_state.graph_task
    if task is None:
        raise AssertionError("expected this hook to be called inside a backward call")
    return task


def register_multi_grad_hook(tensors, fn, *, mode="all"):
    """Call ``fn`` once per backward pass over the gradients of several tensors, as PyTorch's:

    - ``mode="all"``: ``fn(grads)`` once every tensor that gets a gradient in the pass has got
      it, ``grads`` a list in the order of ``tensors`` (None for those that get none).
    - ``mode="any"``: ``fn(grad)`` with the first gradient computed among the tensors.

    Built on ``Tensor.register_hook`` of each tensor; returns one handle removing them all."""
    supported_modes = ("all", "any")
    if mode not in supported_modes:
        raise ValueError(f"Expects mode to be one of {supported_modes} but got {mode}")
    lock = threading.Lock()
    tensors = tuple(tensors)
    if mode == "all":
        count, buffer, expected = {}, {}, {}

        def inner_hook_for(index):
            def inner_hook(grad):
                task = _current_task()
                with lock:
                    seen = count.get(task.id, 0)
                    count[task.id] = seen + 1
                    if seen == 0:
                        buffer[task.id] = [None] * len(tensors)
                        expected[task.id] = sum(task.will_get_gradient(t) for t in tensors)
                buffer[task.id][index] = grad
                if seen == expected[task.id] - 1:
                    grads = buffer.pop(task.id)
                    del count[task.id], expected[task.id]
                    fn(grads)
            return inner_hook

        handles = tuple(t.register_hook(inner_hook_for(i)) for i, t in enumerate(tensors))
    else:
        ran = defaultdict(bool)

        def wrapped(grad):
            task = _current_task()
            with lock:
                previous, ran[task.id] = ran[task.id], True
            if not previous:
                fn(grad)

        handles = tuple(t.register_hook(wrapped) for t in tensors if t.requires_grad)
    return _MultiHandle(handles)


# --------------------------------------------------------------------------- saved-tensor hooks


class saved_tensors_hooks:  # noqa: N801 - PyTorch's name
    """Context manager: inside it, ``pack_hook(tensor)`` runs on every tensor an op saves for
    backward and what it returns is kept instead; ``unpack_hook(packed)`` runs when backward
    needs the tensor and must return a Tensor (see the module docstring for which tensors
    built-in ops save). Blocks nest (the innermost pair is used) and are per thread."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        state = thread_state
        if state.saved_tensors_hooks_disabled is not None:
            raise RuntimeError(state.saved_tensors_hooks_disabled)
        state.saved_tensors_hooks = state.saved_tensors_hooks + (
            (self.pack_hook, self.unpack_hook),)
        with _active_lock:
            _SavedHooks.active += 1
        graph._Structure.count += 1  # a jit plan captured without hooks must not replay here

    def __exit__(self, *exc_info):
        state = thread_state
        state.saved_tensors_hooks = state.saved_tensors_hooks[:-1]
        with _active_lock:
            _SavedHooks.active -= 1
        return False


_active_lock = threading.Lock()  # blocks open and close in several threads at once


class save_on_cpu(saved_tensors_hooks):  # noqa: N801 - PyTorch's name
    """PyTorch's ``save_on_cpu``: saved tensors are packed as CPU tensors and unpacked back to
    their device. Every tinygrad_bn tensor is a CPU tensor: as PyTorch on CPU, the packed
    tensor is the tensor itself with ``pin_memory=False``, and a copy with ``pin_memory=True``
    (no memory can be pinned without an accelerator); the values are the same either way."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        def pack_to_cpu(tensor):
            if not pin_memory:
                return (tensor.device, tensor.cpu())
            packed = graph.Tensor._make(np.empty(tensor.shape, tensor._array.dtype), None)
            packed.copy_(tensor)
            return (tensor.device, packed)

        def unpack_from_cpu(packed):
            device, tensor = packed
            return tensor.to(device)

        super().__init__(pack_to_cpu, unpack_from_cpu)


class _AllowMutationOnSavedContext:
    """What ``allow_mutation_on_saved_tensors`` yields: the copies it saved, by handle."""

    def __init__(self):
        self.saved = {}

    def clear(self):
        """Drop every saved copy (the graph recorded in the block can no longer backward)."""
        self.saved.clear()


_allow_mutation_enabled = False


@contextlib.contextmanager
def allow_mutation_on_saved_tensors():
    """Inside it, a tensor saved for backward may be modified in place afterwards: backward
    uses its value from when it was saved, as PyTorch's. PyTorch keeps the tensor and copies
    it only when it is about to be written; tinygrad_bn copies every saved tensor when it is
    saved (the same values; more memory for tensors never written). Backward must run inside
    the block, and blocks do not nest (PyTorch's errors)."""
    global _allow_mutation_enabled
    ctx = _AllowMutationOnSavedContext()
    message = ("Trying to backward outside of the 'allow_mutation_on_saved_tensors' context"
               "in which the graph was originally recorded.")

    def pack_hook(tensor):
        handle = object()
        ctx.saved[handle] = tensor.detach().clone()
        return handle

    def unpack_hook(handle):
        if not _allow_mutation_enabled or handle not in ctx.saved:
            raise AssertionError(message)
        return ctx.saved[handle]

    with saved_tensors_hooks(pack_hook, unpack_hook):
        try:
            if _allow_mutation_enabled:
                raise RuntimeError("allow_mutation_on_saved_tensors contexts cannot be nested")
            _allow_mutation_enabled = True
            yield ctx
        finally:
            ctx.clear()
            _allow_mutation_enabled = False


@contextlib.contextmanager
def suspended_saved_tensors_hooks():
    """No saved-tensor hooks of this thread apply inside (they come back on exit): what a
    non-reentrant checkpoint's region saves is its own business, as in PyTorch, whose
    checkpoint puts its own hooks innermost there."""
    state = thread_state
    previous, state.saved_tensors_hooks = state.saved_tensors_hooks, ()
    try:
        yield
    finally:
        state.saved_tensors_hooks = previous


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message):
    """Inside it, entering ``saved_tensors_hooks`` raises ``RuntimeError(error_message)``; so
    does entering it while hooks are in use. Blocks nest; leaving one restores the message
    of the block around it."""
    state = thread_state
    previous = state.saved_tensors_hooks_disabled
    try:
        if state.saved_tensors_hooks:
            raise RuntimeError(error_message)
        state.saved_tensors_hooks_disabled = error_message
        yield
    finally:
        state.saved_tensors_hooks_disabled = previous


def pack_saved(op, inputs, out):
    """``Op.apply``'s work inside ``saved_tensors_hooks``: hand each array the new node ``op``
    saved to the innermost ``pack_hook`` (as the input or result tensor it is, else as a new
    tensor), keep what it returns in ``op.hooks["saved"]`` and leave ``None`` in its place in
    ``op.saved`` until backward unpacks it."""
    graph.untraceable("a tensor saved for backward inside saved_tensors_hooks (a replay would "
                      "not call the pack and unpack hooks)")
    pack_hook, unpack_hook = thread_state.saved_tensors_hooks[-1]
    saved = op.saved
    template, packed = list(saved), []
    for position, item in enumerate(saved):
        if type(item) is not np.ndarray:
            continue
        tensor = next((t for t in inputs if t._array is item), None)
        if tensor is not None and item.ndim == 0 and not tensor._requires_grad:
            continue  # the 2 of x * 2: PyTorch keeps a Python number as a number, unpacked
        if tensor is None:
            tensor = out if item is out._array else graph.Tensor._make(item, None)
        packed.append((position, _pack(pack_hook, tensor)))
        template[position] = None
    if packed:
        op.saved = tuple(template)
        op.output_counter = None  # as PyTorch: no in-place check on what hooks packed
        graph._node_hooks(op, "saved")["saved"] = (unpack_hook, packed)


def _pack(pack_hook, tensor):
    """``pack_hook(tensor)``, refused as PyTorch does when it writes to ``tensor`` in place."""
    counter = tensor._version_counter  # made on first use: None is version 0
    version = 0 if counter is None else counter.value
    result = pack_hook(tensor)
    counter = tensor._version_counter
    if (0 if counter is None else counter.value) != version:
        raise RuntimeError(
            "A saved tensor pack hook is modifying its input in place. Tensors provided as input "
            "to pack hook cannot be modified by in-place operations as this can lead to "
            "unexpected side-effects. Please open an issue if you need to perform in-place "
            "operations on the input to a pack hook.")
    return result


def unpack(unpack_hook, packed):
    """``unpack_hook(packed)``, which must return a Tensor (PyTorch's TypeError)."""
    tensor = unpack_hook(packed)
    if not isinstance(tensor, graph.Tensor):
        raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but got "
                        f"result of type {type(tensor).__name__}")
    return tensor


def unpack_saved(node):
    """Before a node's backward: put the unpacked arrays back into ``node.saved``; returns
    the packed form of ``saved`` to restore afterwards (``restore_packed``)."""
    unpack_hook, packed = node.hooks["saved"]
    packed_form = node.saved
    saved = list(packed_form)
    for position, value in packed:
        saved[position] = unpack(unpack_hook, value)._array
    node.saved = tuple(saved)
    return packed_form


def restore_packed(node, packed_form, retain_graph):
    """After a node's backward: the packed form again (unpacked anew by the next backward),
    or, without ``retain_graph``, nothing kept (the node is released)."""
    node.saved = packed_form
    if not retain_graph:
        node.hooks["saved"] = None


def pack_function_saved(ctx):
    """``Function.apply``'s work inside ``saved_tensors_hooks``: pack what
    ``ctx.save_for_backward`` got, once ``forward`` has returned (as PyTorch)."""
    graph.untraceable("a tensor saved for backward inside saved_tensors_hooks")
    pack_hook, unpack_hook = thread_state.saved_tensors_hooks[-1]
    ctx._packed = (unpack_hook, tuple(None if t is None else _pack(pack_hook, t)
                                      for t in ctx._saved))
    ctx._saved = tuple(None for _ in ctx._saved)


Node.register(graph.Op)
Node.register(graph.AccumulateGrad)

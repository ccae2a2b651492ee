"""Reverse-mode automatic differentiation: the op node, the graph walk, and gradient mode.

Every differentiable operation is a subclass of ``Function`` with ``forward(*arrays)`` and
``backward(grad_output)`` on NumPy arrays. Calling ``SomeOp.apply(*tensors, **arguments)`` runs
the forward pass and, when any input requires grad, records the op instance as the result's
``grad_fn``. That instance is the graph node: it holds the op's fixed arguments, its inputs in
order and the arrays it saved for backward. Nothing hides in closures, so the graph drawer, the
error messages and a student all read the same fields.

``backward`` walks the nodes in reverse topological order (iteratively, so a 100,000-op chain is
no problem), reduces each input's gradient to that input's shape in one helper
(``reduce_to_shape``) and accumulates: into ``tensor.grad`` for leaves, into a per-node buffer for
intermediate results.
"""

import functools

import numpy as np

# tensor.py imports this module and binds the class here once it exists, so that apply() can wrap
# its results without a circular import.
Tensor = None

RELEASED_GRAPH_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)


# --------------------------------------------------------------------------- gradient mode


class _GradMode:
    enabled = True


def is_grad_enabled():
    """Whether new operations are recorded for backward (False inside ``no_grad``)."""
    return _GradMode.enabled


class no_grad:
    """Context manager and decorator under which operations build no graph.

    ``with no_grad(): y = x * 2`` gives ``y.requires_grad == False`` and records nothing.
    Usable as ``@no_grad()`` or ``@no_grad``; nesting restores the previous mode on exit.
    """

    mode = False

    def __new__(cls, function=None):
        self = super().__new__(cls)
        self._previous = []
        return self(function) if callable(function) else self

    def __enter__(self):
        self._previous.append(_GradMode.enabled)
        _GradMode.enabled = self.mode
        return self

    def __exit__(self, *exc_info):
        _GradMode.enabled = self._previous.pop()
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def run_in_mode(*args, **kwargs):
            with self:
                return function(*args, **kwargs)

        return run_in_mode


class enable_grad(no_grad):
    """Context manager and decorator that turns recording back on inside ``no_grad``."""

    mode = True


class set_grad_enabled:
    """Turn recording on or off at once (``set_grad_enabled(False)``), or for a ``with`` block
    after which the mode from before the call comes back."""

    def __init__(self, mode):
        self._previous = _GradMode.enabled
        _GradMode.enabled = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        _GradMode.enabled = self._previous
        return False


# --------------------------------------------------------------------------- module scope


class ModuleCall:
    """One running call of an ``nn.Module``: the module and the call it was made from.

    ``Module.__call__`` makes the innermost call current for the duration of ``forward``;
    ``Function.apply`` stamps it on every node it records (``node.module_call``), so the graph
    drawer can group ops by the module call that ran them. A linked record keeps this O(1) per op.
    """

    __slots__ = ("module", "parent")

    def __init__(self, module, parent):
        self.module, self.parent = module, parent


class _ModuleScope:
    """The innermost running module call, or None outside any (set by ``Module.__call__``)."""

    current = None


# --------------------------------------------------------------------------- the op node

NO_INPUT_NEEDS_GRAD = ()


class Function:
    """Base class of every differentiable operation; an instance is one node of the graph.

    A subclass implements:

    - ``forward(self, *arrays) -> ndarray``: compute the result from the inputs' arrays, storing
      in ``self.saved`` (a tuple) the arrays backward will need. ``self.needs_input_grad`` (one
      bool per input) is already set, so work for unneeded gradients can be skipped.
    - ``backward(self, grad_output) -> tuple``: one gradient per input, in input order, or
      ``None`` for an input that needs none. A gradient may have the result's broadcast shape and
      any floating dtype: the engine reduces it to the input's shape and dtype. It must be a fresh
      array or a view of ``grad_output``, never an array the op keeps elsewhere.

    Fixed arguments (a ``dim``, an ``eps``) are keyword arguments of ``__init__`` stored as
    attributes and listed by name in the class attribute ``arguments``, so that ``repr(node)``
    reads like ``Sum(dim=(1,), keepdim=False)``.
    """

    __slots__ = ("inputs", "saved", "needs_input_grad", "retained_output", "module_call")
    arguments = ()

    def forward(self, *arrays):
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

    def backward(self, grad_output):
        raise NotImplementedError(f"{type(self).__name__} does not define backward")

    @classmethod
    def apply(cls, *inputs, **arguments):
        """Run the op on tensors; record it in the graph when an input requires grad."""
        op = cls(**arguments)
        needs = NO_INPUT_NEEDS_GRAD
        if _GradMode.enabled:
            needs = tuple([t._requires_grad for t in inputs])
            if True not in needs:
                needs = NO_INPUT_NEEDS_GRAD
        op.needs_input_grad = needs
        op.saved = ()
        data = op.forward(*[t.data for t in inputs])
        if needs and data.dtype.kind == "f":
            op.inputs = inputs
            op.retained_output = None
            op.module_call = _ModuleScope.current
            return Tensor._make(data, op)
        return Tensor._make(data, None)

    @property
    def name(self):
        """The op's math name, e.g. ``MatMul``."""
        return type(self).__name__

    def argument_values(self):
        """The fixed arguments as a dict, in declaration order."""
        return {name: getattr(self, name) for name in self.arguments}

    def release(self):
        """Free the arrays saved for backward (after a backward without ``retain_graph``)."""
        if self.saved:
            self.saved = None

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.argument_values().items())
        return f"{self.name}({args})"


# --------------------------------------------------------------------------- the graph walk


def reduce_to_shape(grad, shape, dtype):
    """Sum a gradient over the dimensions broadcasting added or stretched, so that it has the
    input's ``shape``, and cast it to the input's ``dtype``. The one place broadcasting is undone.

    A grad of shape ``(4, 3)`` for an input of shape ``(3,)`` is summed over dim 0; for an input
    of shape ``(4, 1)`` it is summed over dim 1 with the dim kept.
    """
    if grad.shape != shape:
        leading = grad.ndim - len(shape)
        stretched = tuple(
            leading + i for i, size in enumerate(shape) if size == 1 and grad.shape[leading + i] != 1
        )
        grad = grad.sum(axis=tuple(range(leading)) + stretched, keepdims=True)
        grad = grad.reshape(shape)
    if grad.dtype is not dtype:
        grad = grad.astype(dtype)
    return grad


def topological_order(roots):
    """Every node reachable from the ``roots`` tensors, each listed after the nodes feeding it.

    An iterative depth-first search keyed by ``id()``: no recursion, so graph depth is unlimited,
    and each node is visited once however many paths reach it.
    """
    order, visited = [], set()
    stack = [(t.grad_fn, False) for t in roots if t.grad_fn is not None]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for tensor in node.inputs:
            producer = tensor.grad_fn
            if producer is not None and id(producer) not in visited:
                stack.append((producer, False))
    return order


def _is_fresh(grad, grad_output):
    """Whether ``grad`` is an array no one else holds, so it may be accumulated into in place."""
    return grad is not grad_output and grad.base is None and grad.flags.writeable


def run_backward(roots, root_grads, retain_graph=False, inputs=None):
    """Backpropagate ``root_grads`` (arrays) from the ``roots`` (tensors).

    Without ``inputs``, gradients of leaves that require grad are accumulated into their
    ``.grad`` (and into the ``.grad`` of intermediate tensors that called ``retain_grad()``).
    With ``inputs`` (a sequence of tensors), nothing is accumulated: their gradients are returned
    in order, ``None`` where an input does not influence the roots.
    Unless ``retain_graph``, every node frees its saved arrays once it has run.
    """
    wanted = None if inputs is None else {id(t): i for i, t in enumerate(inputs)}
    wanted_nodes = {} if inputs is None else {
        id(t.grad_fn): t for t in inputs if t.grad_fn is not None
    }
    results = None if inputs is None else [None] * len(inputs)
    node_grads, owned = {}, set()  # gradient w.r.t. each node's output; ids we may add into

    def deliver(tensor, grad, fresh):
        if wanted is not None:
            index = wanted.get(id(tensor))
            if index is not None:
                previous = results[index]
                results[index] = grad if previous is None else previous + grad
        elif tensor.grad is None:
            tensor.grad = Tensor._make(grad if fresh else grad.copy(), None)
        else:
            tensor.grad.data += grad

    for root, grad in zip(roots, root_grads):
        if root.grad_fn is None:
            deliver(root, grad, False)
        else:
            key = id(root.grad_fn)
            node_grads[key] = grad if key not in node_grads else node_grads[key] + grad

    for node in reversed(topological_order(roots)):
        grad_output = node_grads.pop(id(node), None)
        if grad_output is None:
            continue
        if node.saved is None:
            raise RuntimeError(RELEASED_GRAPH_MESSAGE)
        if id(node) in wanted_nodes:
            deliver(wanted_nodes[id(node)], grad_output, False)
        elif node.retained_output is not None and wanted is None:
            retained = node.retained_output()
            if retained is not None:
                deliver(retained, grad_output, False)
        input_grads = node.backward(grad_output)
        if not retain_graph:
            node.release()
        for tensor, grad in zip(node.inputs, input_grads):
            if grad is None or not tensor._requires_grad:
                continue
            data = tensor.data
            if grad.shape != data.shape or grad.dtype is not data.dtype:
                grad = reduce_to_shape(grad, data.shape, data.dtype)
            fresh = _is_fresh(grad, grad_output)
            producer = tensor.grad_fn
            if producer is None:
                deliver(tensor, grad, fresh)
                continue
            key = id(producer)
            previous = node_grads.get(key)
            if previous is None:
                node_grads[key] = grad
                if fresh:
                    owned.add(key)
            elif key in owned:
                previous += grad
            else:
                node_grads[key] = previous + grad
                owned.add(key)
    return results


def grad(outputs, inputs, grad_outputs=None, retain_graph=False, allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned rather than accumulated
    (PyTorch's ``torch.autograd.grad``). ``grad_outputs`` default to ones for one-element
    outputs. An input the outputs do not depend on raises unless ``allow_unused=True``, in which
    case its gradient is ``None``.
    """
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not require grad")
    grads_in = _root_grads(outputs, grad_outputs)
    results = run_backward(outputs, grads_in, retain_graph=retain_graph, inputs=inputs)
    wrapped = []
    for i, g in enumerate(results):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"One of the differentiated Tensors (input {i}) appears to not have been used in "
                "the graph. Set allow_unused=True if this is the desired behavior."
            )
        wrapped.append(None if g is None else Tensor._make(np.array(g, copy=True), None))
    return tuple(wrapped)


def _as_tuple(tensors):
    return (tensors,) if isinstance(tensors, Tensor) else tuple(tensors)


def _root_grads(outputs, grad_outputs):
    """Check the outputs can start a backward pass and build their starting gradients."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    else:
        grad_outputs = _as_tuple(grad_outputs) if not isinstance(grad_outputs, np.ndarray) else (
            grad_outputs,
        )
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"grad requires one gradient per output: got {len(grad_outputs)} gradients for "
            f"{len(outputs)} outputs"
        )
    root_grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not out.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if out.data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            root_grads.append(np.ones_like(out.data))
            continue
        g = np.asarray(g.data if isinstance(g, Tensor) else g)
        if g.shape != out.data.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                f"has a shape of {out.data.shape}."
            )
        root_grads.append(g.astype(out.data.dtype, copy=False))
    return root_grads

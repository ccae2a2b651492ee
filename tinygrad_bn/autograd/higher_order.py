"""Gradients of gradients: the backward pass of ``create_graph=True``, whose gradients are
Tensors computed by recorded ops, so that they can be differentiated again.

The first-order engine (``engine.py``) runs each node's ``backward`` on NumPy arrays, out of the
graph. With ``create_graph=True`` the walk below runs each node's ``tensor_backward`` instead:
the same gradient, computed from the node's input *tensors* with Tensor operations while
recording is on. Its result is an ordinary graph (``x.grad`` of a PINN residual, a Hessian's
row), so a second ``autograd.grad`` over it gives second derivatives, and so on.

An op gets its ``tensor_backward`` in one of five ways (see ``Op.tensor_backward``):

- **linear ops** (``is_linear = True``: reshape, sum, an index, a concatenation, addition): the
  backward ``g -> J^T g`` is recorded as one ``LinearBackward`` node per input. Its own
  backward is ``v -> J v``, which for a linear op is the op itself applied to ``v``: so every
  order of derivative comes from the op's forward and first-order backward alone.
- **multilinear ops** (``multilinear_inputs``: convolution, einsum, cross): linear in each of
  those inputs with the others fixed (a bias, linear on its own, is added). The gradient for
  input ``k`` is recorded as a ``MultilinearBackward`` node whose inputs are ``grad_output``
  and the other multilinear inputs; its backward is the op applied with ``v`` in place of
  input ``k`` (for ``grad_output``), and the op's backward for input ``j`` evaluated with
  ``v`` in place of input ``k`` (for input ``j``): again every order from forward and backward.
- **piecewise-linear elementwise ops** (``is_piecewise_linear = True``: relu, abs, clamp, max of
  two): the local derivative is constant almost everywhere, so the gradient is ``g`` times the
  array ``backward(ones)``, whose own derivative is 0 (``local_derivative``: recorded as a
  function of the input where PyTorch's formula reads the input, so that the gradient
  requires grad exactly when PyTorch's does).
- **composites** (a ``composite(*inputs)`` method): the op's forward written again with
  simpler differentiable ops (layer norm, cross-entropy, GELU); the gradient is that
  composite's gradient, taken with ``create_graph=True``.
- **a formula** written with Tensor operations (``Mul``, ``Exp``, ``MatMul``, ``Softmax``...).
"""

import inspect

import numpy as np

from . import graph, graph_api
from .grad_mode import enable_grad, no_grad
from .graph import RELEASED_GRAPH_MESSAGE, Op, _Writes, PartialGradient, reduce_to_shape


def _constant(array):
    """A Tensor of ``array``'s values with no history (a mask, a local derivative)."""
    return graph.Tensor._make(np.asarray(array), None)


def reduce_tensor_to_shape(grad, shape, dtype):
    """``reduce_to_shape`` on a Tensor, with recorded ops: sum the dimensions broadcasting added
    or stretched, then cast to ``dtype``."""
    shape = tuple(shape)
    if tuple(grad.shape) != shape:
        leading = grad.ndim - len(shape)
        stretched = tuple(leading + i for i, size in enumerate(shape)
                          if size == 1 and grad.shape[leading + i] != 1)
        dims = tuple(range(leading)) + stretched
        if dims:
            grad = grad.sum(dim=dims, keepdim=True)
        grad = grad.reshape(shape)
    if grad.dtype != dtype:
        grad = grad.to(dtype)
    return grad


def default_tensor_backward(node, grad_output):
    """``Op.tensor_backward`` for an op without a formula of its own: by the op's class flags
    (``is_linear``, ``is_piecewise_linear``) or its ``composite``, else an error naming the op."""
    cls = type(node)
    if cls.is_linear:
        return _linear_backward(node, grad_output)
    if node.multilinear_inputs:
        return _multilinear_backward(node, grad_output)
    if cls.is_piecewise_linear:
        with no_grad():
            ones = np.ones(grad_output.shape, grad_output._array.dtype)
            local = node.backward(ones)
        return tuple(None if weight is None else grad_output * local_derivative(node, weight)
                     for weight in local)
    composite = getattr(node, "composite", None)
    if composite is not None:
        return composite_backward(node, grad_output, composite)
    raise RuntimeError(
        f"the derivative of {node.name}'s backward is not implemented in tinygrad_bn "
        "(create_graph=True needs it)"
    )


def local_derivative(node, weights):
    """The constant local derivative ``weights`` of a piecewise-linear op (a mask, a routing
    weight) as a Tensor: recorded as a function of the op's floating inputs with gradient zero
    (``LocalDerivative``), as PyTorch's backward formulas compute it from the input
    (``threshold_backward(grad, self, 0)``), so that the gradient requires grad when the input
    does and differentiates to zeros; a plain constant for an op whose
    ``local_derivative_is_constant`` is set, where PyTorch's gradient does not require grad
    (floor, round: ``zeros_like(grad)``; clamp, maximum, minimum, amax, amin)."""
    weights = _whole(weights)
    inputs = [t for t, needed in zip(node.inputs, node.needs_input_grad)
              if needed and t._array.dtype.kind == "f"]
    if getattr(node, "local_derivative_is_constant", False) or not inputs:
        return _constant(weights)
    return LocalDerivative.apply(*inputs, value=weights)


class LocalDerivative(Op):
    """``value``, an array that does not change with the inputs, recorded as a function of them
    whose gradient is zero (see ``local_derivative``)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def forward(self, *inputs):
        self.saved = tuple(a.shape for a in inputs)
        return self.value

    def backward(self, grad_output):
        return tuple(np.zeros(shape, grad_output.dtype) for shape in self.saved)

    def tensor_backward(self, grad_output):
        return tuple(_constant(np.zeros(shape, grad_output.dtype)) for shape in self.saved)


def composite_backward(node, grad_output, composite):
    """The gradient of ``composite(*inputs)`` (the op's forward written with simpler
    differentiable ops) for the inputs that need one, recorded with ``create_graph=True``."""
    inputs = node.inputs
    wanted = [i for i, needed in enumerate(node.needs_input_grad) if needed]
    with enable_grad():
        result = composite(*inputs)
        # retained: the gradients' own graph reads the composite's intermediate results
        grads = run_backward_graph([result], [grad_output], retain_graph=True,
                                   inputs=[inputs[i] for i in wanted])
    out = [None] * len(inputs)
    for i, grad in zip(wanted, grads):
        out[i] = grad
    return tuple(out)


def _whole(grad):
    return grad.materialize() if type(grad) is PartialGradient else np.asarray(grad)


def reads_input(node, grad_output):
    """``grad_output`` made to depend, with derivative zero, on the node's floating inputs
    (``LocalDerivative`` of ones): for an op whose PyTorch backward formula takes the input
    although the gradient does not depend on it (``avg_pool2d_backward(grad, self, ...)``),
    so that the gradient requires grad when the input does, as PyTorch's."""
    ones = np.ones(grad_output.shape, grad_output._array.dtype)
    return grad_output * local_derivative(node, ones)


def _linear_backward(node, grad_output):
    if node.backward_reads_input:
        grad_output = reads_input(node, grad_output)
    with no_grad():
        grads = node.backward(grad_output._array)
    metas = [(t.shape, t.dtype, t._array.dtype.kind == "f", t) for t in node.inputs]
    results = []
    for position, grad in enumerate(grads):
        if grad is None or not node.needs_input_grad[position]:
            results.append(None)
            continue
        shape, _, _, tensor = metas[position]
        array = reduce_to_shape(_whole(grad), tuple(shape), tensor._array.dtype)
        if array is grad_output._array or array.base is not None:
            array = array.copy()
        results.append(LinearBackward.apply(grad_output, node=node, position=position,
                                            metas=metas, grad=array))
    return tuple(results)


def _init_arguments(node):
    """The keyword arguments that made ``node`` (its ``__init__``'s parameters, read back from
    the attributes of the same names), to apply the same op again."""
    parameters = inspect.signature(type(node).__init__).parameters
    return {name: getattr(node, name) for name in list(parameters)[1:]
            if parameters[name].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD}


class LinearBackward(Op):
    """The gradient of a linear op's input number ``position``, ``J^T g``, as a node of its
    own (recorded by ``create_graph=True``). ``node`` is the linear op; ``grad`` the gradient
    its backward computed. Backward: ``J v``, the linear op applied to ``v`` in place of that
    input (zeros for its other floating inputs, the same indices and masks)."""

    __slots__ = ("node", "position", "metas", "grad")
    arguments = ("node", "position")

    def __init__(self, node, position, metas, grad):
        self.node, self.position, self.metas, self.grad = node, position, metas, grad

    def forward(self, grad_output):
        grad, self.grad = self.grad, None
        return grad

    def _apply_to(self, direction):
        """The linear op on ``direction`` (a Tensor of the input's shape), recorded."""
        arguments = []
        for position, (shape, dtype, floating, tensor) in enumerate(self.metas):
            if position == self.position:
                arguments.append(direction)
            elif floating:
                arguments.append(_constant(np.zeros(tuple(shape), tensor._array.dtype)))
            else:
                arguments.append(tensor)
        return type(self.node).apply(*arguments, **_init_arguments(self.node))

    def backward(self, grad_output):
        with no_grad():
            return (self._apply_to(_constant(grad_output))._array,)

    def tensor_backward(self, grad_output):
        return (self._apply_to(grad_output),)


def _multilinear_backward(node, grad_output):
    multilinear = tuple(node.multilinear_inputs)
    roles = []
    for position, tensor in enumerate(node.inputs):
        floating = tensor._array.dtype.kind == "f"
        role = "multilinear" if position in multilinear else ("additive" if floating else "fixed")
        roles.append((tuple(tensor.shape), tensor._array.dtype, role,
                      tensor if role == "fixed" else None))
    spec = (type(node), _init_arguments(node), roles, multilinear)
    with no_grad():
        grads = node.backward(grad_output._array)
    results = []
    for position, grad in enumerate(grads):
        if grad is None or not node.needs_input_grad[position]:
            results.append(None)
            continue
        others = tuple(j for j in multilinear if j != position) if position in multilinear \
            else ()
        shape, dtype = roles[position][:2]
        array = reduce_to_shape(_whole(grad), shape, dtype)
        if array is grad_output._array or array.base is not None:
            array = array.copy()
        results.append(MultilinearBackward.apply(
            grad_output, *[node.inputs[j] for j in others], spec=spec, position=position,
            others=others, grad=array))
    return tuple(results)


def _op_arrays(spec, values):
    """The input arrays for a fresh application of the op in ``spec``: ``values`` (position
    -> array) where given, zeros for the other floating inputs, the recorded fixed ones."""
    arrays = []
    for position, (shape, dtype, role, tensor) in enumerate(spec[2]):
        if position in values:
            arrays.append(values[position])
        elif role == "fixed":
            arrays.append(tensor._array)
        else:
            arrays.append(np.zeros(shape, dtype))
    return arrays


def _backward_at(spec, values, grad_output, target):
    """The op's gradient for input ``target``, by a fresh forward and backward with the inputs
    ``values`` (the others zero or fixed): for a multilinear op it does not depend on
    ``target``'s own value."""
    cls, arguments, roles, _ = spec
    op = cls(**arguments)
    op.needs_input_grad = tuple(i == target for i in range(len(roles)))
    op.saved = ()
    op.forward(*_op_arrays(spec, values))
    grad = op.backward(grad_output)[target]
    shape, dtype = roles[target][:2]
    grad = reduce_to_shape(_whole(grad), shape, dtype)
    return grad.copy() if grad is grad_output or grad.base is not None else grad


def _apply_op(spec, values):
    """The op applied (recorded) to the Tensors ``values`` (position -> Tensor), zeros for its
    other floating inputs."""
    cls, arguments, roles, _ = spec
    tensors = []
    for position, (shape, dtype, role, tensor) in enumerate(roles):
        if position in values:
            tensors.append(values[position])
        elif role == "fixed":
            tensors.append(tensor)
        else:
            tensors.append(_constant(np.zeros(shape, dtype)))
    return cls.apply(*tensors, **arguments)


class MultilinearBackward(Op):
    """The gradient of a multilinear op's input ``position`` (see the module docstring):
    inputs ``grad_output`` and the op's other multilinear inputs (``others``, in order)."""

    __slots__ = ("spec", "position", "others", "grad")
    arguments = ("position",)

    def __init__(self, spec, position, others, grad=None):
        self.spec, self.position, self.others, self.grad = spec, position, others, grad

    def forward(self, grad_output, *arrays):
        grad, self.grad = self.grad, None
        if grad is None:
            grad = _backward_at(self.spec, dict(zip(self.others, arrays)), grad_output,
                                self.position)
        self.saved = (grad_output,) + arrays
        return grad

    def backward(self, grad_output):
        g, *arrays = self.saved
        values = dict(zip(self.others, arrays))
        values[self.position] = grad_output
        with no_grad():
            jvp = _apply_op(self.spec, {k: _constant(v) for k, v in values.items()})._array
        return (jvp,) + tuple(_backward_at(self.spec, {k: v for k, v in values.items() if k != j},
                                           g, j) for j in self.others)

    def tensor_backward(self, grad_output):
        g, *tensors = self.inputs
        values = dict(zip(self.others, tensors))
        values[self.position] = grad_output
        results = [_apply_op(self.spec, values)]
        for j in self.others:
            others = tuple(i for i in self.spec[3] if i != j)
            results.append(MultilinearBackward.apply(
                g, *[values[i] for i in others], spec=self.spec, position=j, others=others))
        return tuple(results)


# --------------------------------------------------------------------------- the walk


@graph_api.running_graph_task
def run_backward_graph(roots, root_grads, retain_graph=False, inputs=None):
    """``engine.run_backward`` with ``create_graph=True``: ``root_grads`` are Tensors (or
    arrays), every node's gradient is computed by its ``tensor_backward`` with recording on,
    and the gradients returned (``inputs`` given) or accumulated into ``.grad`` are Tensors
    with a history. Only nodes that lead to a wanted tensor run."""
    from .engine import _needed_nodes  # the same pruning as the first-order walk

    graph.untraceable("a backward pass with create_graph=True")
    Tensor = graph.Tensor
    wanted = None if inputs is None else {id(t): i for i, t in enumerate(inputs)}
    wanted_nodes = {}
    for t in inputs or ():
        if t.grad_fn is not None:
            number = None if t.grad_fn.num_outputs == 1 else t.grad_fn.output_numbers[id(t)]
            wanted_nodes.setdefault(id(t.grad_fn), []).append((t, number))
    results = None if inputs is None else [None] * len(inputs)
    node_grads, leaf_grads = {}, {}

    def deliver(tensor, grad):
        if wanted is not None:
            index = wanted.get(id(tensor))
            if index is not None:
                previous = results[index]
                results[index] = grad if previous is None else previous + grad
            return
        entry = leaf_grads.get(id(tensor))
        if entry is None:
            leaf_grads[id(tensor)] = [tensor, grad]
        else:
            entry[1] = entry[1] + grad

    def add(producer, tensor, grad):
        if producer.num_outputs != 1:
            grad = reduce_tensor_to_shape(grad, tensor.shape, tensor._array.dtype)
            slots = node_grads.setdefault(id(producer), [None] * producer.num_outputs)
            slot = producer.output_numbers[id(tensor)]
            slots[slot] = grad if slots[slot] is None else slots[slot] + grad
            return
        shape, dtype = producer.output_meta
        grad = reduce_tensor_to_shape(grad, shape, dtype)
        previous = node_grads.get(id(producer))
        node_grads[id(producer)] = grad if previous is None else previous + grad

    with enable_grad():
        for root, grad in zip(roots, root_grads):
            if not isinstance(grad, Tensor):
                grad = _constant(grad)
            if root.grad_fn is None:
                deliver(root, grad)
            else:
                add(root.grad_fn, root, grad)
        order = graph.topological_order(roots)
        needed = None if wanted is None else _needed_nodes(order, wanted, wanted_nodes)
        for node in reversed(order):
            grad_output = node_grads.pop(id(node), None)
            if grad_output is None:
                continue
            if node.saved is None:
                raise RuntimeError(RELEASED_GRAPH_MESSAGE)
            if node.write_stamp != _Writes.count:
                node.check_saved_versions()
            grad_output = _before_node(node, grad_output, wanted_nodes, deliver)
            if needed is not None and id(node) not in needed:
                continue
            if node.num_outputs != 1:
                grad_output = [
                    g if g is not None or meta is None or not node.ctx._materialize_grads
                    else _constant(np.zeros(meta[0], meta[1]))
                    for g, meta in zip(grad_output, node.outputs_meta)]
            hooks = node.hooks
            if hooks is not None and hooks["saved"] is not None:  # saved_tensors_hooks
                packed_form = graph_api.unpack_saved(node)
            input_grads = graph.complex_tensor_backward(node, grad_output)
            if hooks is not None:
                if hooks["post"]:
                    input_grads = _post_hooks(node, input_grads, grad_output)
                if hooks["saved"] is not None:
                    graph_api.restore_packed(node, packed_form, retain_graph)
            edges = list(zip(node.inputs, node.producers, node.needs_input_grad, input_grads))
            if not retain_graph:
                node.release()
            for tensor, producer, needed_grad, grad in edges:
                if grad is None or not needed_grad:
                    continue
                if not isinstance(grad, Tensor):
                    grad = _constant(_whole(grad))
                if producer is None:
                    deliver(tensor, reduce_tensor_to_shape(grad, tensor.shape,
                                                           tensor._array.dtype))
                else:
                    add(producer, tensor, grad)

        if wanted is not None:
            for index, tensor in enumerate(inputs):
                if tensor.grad_fn is None and tensor._hooks and results[index] is not None:
                    results[index] = _tensor_hooks(tensor._hooks, results[index])
            return results
        for tensor, grad in leaf_grads.values():
            if tensor._hooks:
                grad = _tensor_hooks(tensor._hooks, grad)
            # As PyTorch with create_graph: .grad keeps its history, summed out of place.
            tensor._grad = grad if tensor._grad is None else tensor._grad + grad
            if tensor._hooks:
                from .engine import run_post_accumulate_grad_hooks  # engine imports this module
                run_post_accumulate_grad_hooks(tensor)
    return None


def _before_node(node, grad_output, wanted_nodes, deliver):
    """A wanted tensor's gradient, the output's hooks and pre-hooks, ``retain_grad()``."""
    if wanted_nodes and id(node) in wanted_nodes:
        for tensor, number in wanted_nodes[id(node)]:
            grad = grad_output if number is None else grad_output[number]
            if grad is not None:
                deliver(tensor, grad)
    hooks = node.hooks
    if hooks is not None:
        if hooks["tensor"]:
            grad_output = _tensor_hooks(hooks["tensor"], grad_output)
        for hook in list(hooks["pre"].values()):
            result = hook((grad_output,))
            if result is not None:
                grad_output = result[0]
    retained = node.retained_output
    if retained is not None:
        pairs = ([(ref(), grad_output[number]) for number, ref in retained.items()]
                 if type(retained) is dict else [(retained(), grad_output)])
        for tensor, grad in pairs:
            if tensor is not None and grad is not None:
                tensor._grad = grad if tensor._grad is None else tensor._grad + grad
    return grad_output


def _tensor_hooks(hooks, grad):
    for hook in list(hooks.values()):
        result = hook(grad)
        if result is not None:
            grad = result
    return grad


def _post_hooks(node, input_grads, grad_output):
    for hook in list(node.hooks["post"].values()):
        result = hook(tuple(input_grads), (grad_output,))
        if result is not None:
            input_grads = tuple(result)
    return input_grads

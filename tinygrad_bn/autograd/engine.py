"""The backward pass: walk the graph in reverse topological order, call each node's
``backward``, route each gradient along the recorded edges and accumulate it.

Gradients are accumulated into a per-node buffer for intermediate results (one ``+=`` in one
place) and, once the walk is over, into ``tensor.grad`` for leaves, after the leaf's hooks have
seen the total. Before a node runs, its tensor hooks see (and may replace) its output's
gradient, ``retain_grad()`` keeps it, and the versions of the arrays it saved are checked.
"""

import traceback
import warnings

import numpy as np

from . import graph
from .grad_mode import _AnomalyMode, thread_state
from .graph import (
    RELEASED_GRAPH_MESSAGE, PartialGradient, _Writes, reduce_to_shape, topological_order,
)
from .graph_api import (
    GradientEdge, edge_tensor, restore_packed, running_graph_task, unpack_saved,
)
from .higher_order import run_backward_graph
from .hooks import LeafHooks
from .. import printing
from ..printing import Size
from ..warn_once import warn_always


def _as_array(grad):
    """NumPy turns 0-d results into scalars; the engine adds into arrays in place."""
    return grad if type(grad) is np.ndarray else np.asarray(grad)


def add_gradients(previous, may_add_into_previous, grad, grad_output):
    """``previous + grad``, a value's gradients summed with as few new arrays as is safe: into
    ``previous`` in place when the caller knows no one else holds it, else into ``grad`` when
    that is a new array the node made (not its ``grad_output``, which other inputs may have got
    too, nor a view), else a new array. The caller owns the result. (The jit's plan sums a
    replay's gradients with the same rule.)"""
    if may_add_into_previous:
        previous += grad
        return previous
    if grad is not grad_output and grad.base is None and grad.flags.writeable:
        grad += previous  # the same sum (addition commutes), with no new array
        return grad
    return _as_array(previous + grad)


def _whole(grad):
    """A gradient a backward returned, as a whole array (a ``PartialGradient`` materialized)."""
    return grad.materialize() if type(grad) is PartialGradient else _as_array(grad)


def _gradient_tensor(grad, copy=True):
    """A gradient array as a Tensor (a copy unless ``copy=False``); a sparse one (sparse/coo.py)
    as a sparse tensor, as PyTorch hands it to hooks and returns it from ``autograd.grad``."""
    if getattr(grad, "is_sparse_array", False):
        from ..sparse.coo import sparse_tensor  # the sparse tensor builds on the engine
        return sparse_tensor(grad.copy() if copy else grad)
    return graph.Tensor._make(np.array(grad, copy=True) if copy else grad, None)


def _run_tensor_hooks(hooks, grad):
    """Call each hook with the gradient as a Tensor; a hook may return a replacement."""
    Tensor = graph.Tensor
    for hook in list(hooks.values()):
        result = hook(_gradient_tensor(grad, copy=False))
        if result is not None:
            if not isinstance(result, Tensor):
                raise TypeError(
                    f"a tensor hook must return a Tensor or None, got {type(result).__name__}"
                )
            if result.shape != grad.shape:
                raise RuntimeError(
                    f"hook returned a gradient of shape {tuple(result.shape)} for a tensor of "
                    f"shape {tuple(grad.shape)}"
                )
            if result.dtype != grad.dtype:
                raise RuntimeError(
                    f"hook '{getattr(hook, '__name__', 'hook')}' has changed the type of value "
                    f"(was {graph.tensor_type_name(grad.dtype)} got "
                    f"{graph.tensor_type_name(result.dtype)})"
                )
            grad = result._array
    return grad


@running_graph_task
def run_backward(roots, root_grads, retain_graph=False, inputs=None):
    """Backpropagate ``root_grads`` (arrays) from the ``roots`` (tensors).

    Without ``inputs``, gradients of leaves that require grad are accumulated into their
    ``.grad`` (and into the ``.grad`` of intermediate tensors that called ``retain_grad()``).
    With ``inputs`` (a sequence of tensors), nothing is accumulated: their gradients are returned
    in order, ``None`` where an input does not influence the roots.
    Unless ``retain_graph``, every node frees its saved arrays once it has run.
    """
    if graph.tracer is not None:  # a jit capture compiles this walk before it runs
        graph.tracer.record_backward(roots, root_grads, inputs, retain_graph)
    wanted = None if inputs is None else {id(t): i for i, t in enumerate(inputs)}
    wanted_nodes = {}  # id(node) -> [(wanted tensor, its output number or None)]
    for t in inputs or ():
        if t.grad_fn is not None:
            number = None if t.grad_fn.num_outputs == 1 else t.grad_fn.output_numbers[id(t)]
            wanted_nodes.setdefault(id(t.grad_fn), []).append((t, number))
    results = None if inputs is None else [None] * len(inputs)
    node_grads, owned = {}, set()  # gradient w.r.t. each node's output; ids we may add into
    # ids whose gradient may be held elsewhere (a root's, or a grad_output a backward passed on
    # as it got it): never added into in place. Listing these, not the others, keeps the set
    # small: most gradients are new arrays.
    shared = set()
    leaf_grads = {}                # id(leaf) -> [leaf, summed gradient, fresh]

    def deliver(tensor, grad, fresh):
        if wanted is not None:
            index = wanted.get(id(tensor))
            if index is not None:
                previous = results[index]
                results[index] = grad if previous is None else previous + grad
            return
        entry = leaf_grads.get(id(tensor))
        if entry is None:
            leaf_grads[id(tensor)] = [tensor, grad, fresh]
        elif entry[2]:
            entry[1] += grad
        else:
            entry[1] = _as_array(entry[1] + grad)
            entry[2] = True

    def add_to_outputs(producer, tensor, grad):
        """A gradient for one output of a node with several (a custom Function's)."""
        slots = node_grads.setdefault(id(producer), [None] * producer.num_outputs)
        slot = producer.output_numbers[id(tensor)]
        slots[slot] = grad if slots[slot] is None else _as_array(slots[slot] + grad)

    for root, grad in zip(roots, root_grads):
        producer = root.grad_fn
        if producer is None:
            deliver(root, grad, False)
        elif producer.num_outputs != 1:
            add_to_outputs(producer, root, grad)
        else:
            key = id(producer)
            node_grads[key] = grad if key not in node_grads else _as_array(node_grads[key] + grad)
            shared.add(key)

    # Anomaly mode checks each node's gradients, a recording profiler times each node, and once
    # a complex result exists gradients may need conjugating: read once per walk, so the walk
    # pays one test per node either way.
    checked = _AnomalyMode.enabled or graph.profiler is not None or graph.ComplexSeen.recorded
    order = topological_order(roots)
    must_run = _needed_nodes(order, wanted, wanted_nodes) if wanted is not None else None
    ndarray = np.ndarray
    for node in reversed(order):
        grad_output = node_grads.pop(id(node), None)
        if grad_output is None:
            continue
        if must_run is not None and id(node) not in must_run and id(node) not in wanted_nodes:
            continue  # nothing wanted lies upstream: PyTorch does not run it (nor its hooks)
        if node.saved is None:
            raise RuntimeError(RELEASED_GRAPH_MESSAGE)
        if node.write_stamp != _Writes.count:  # something was written in place since
            node.check_saved_versions()
        hooks = node.hooks
        if hooks is not None or node.retained_output is not None or wanted_nodes:
            grad_output = _before_node(node, grad_output, wanted_nodes, must_run, deliver)
            if must_run is not None and id(node) not in must_run:
                continue  # a wanted tensor's node with nothing wanted upstream
            if hooks is not None and hooks["saved"] is not None:  # saved_tensors_hooks
                packed_form = unpack_saved(node)
        if checked:
            input_grads = _checked_backward(node, grad_output)
        else:
            input_grads = node.backward(grad_output)
        if hooks is not None:
            if hooks["post"]:
                input_grads = _run_post_hooks(node, hooks, input_grads, grad_output)
            if hooks["saved"] is not None:
                restore_packed(node, packed_form, retain_graph)
        edges = zip(node.inputs, node.producers, node.needs_input_grad, input_grads)
        if not retain_graph:
            node.release()
        for tensor, producer, needed, grad in edges:
            if grad is None or not needed:
                continue
            if type(grad) is not ndarray:
                if type(grad) is PartialGradient and producer is not None and \
                        producer.num_outputs == 1 and (grad.shape, grad.values.dtype) == \
                        producer.output_meta:
                    _add_partial(grad, id(producer), node_grads, owned, shared)
                    continue
                if getattr(grad, "is_sparse_array", False):  # a sparse COO gradient
                    if producer is None:  # a leaf keeps it sparse, as PyTorch's
                        entry = leaf_grads.get(id(tensor)) if wanted is None else None
                        if entry is not None and getattr(entry[1], "is_sparse_array", False):
                            entry[1] = grad.concatenated(entry[1])  # as PyTorch's InputBuffer
                        else:
                            deliver(tensor, grad, True)
                        continue
                    grad = grad.to_dense()
                grad = grad.materialize() if type(grad) is PartialGradient else np.asarray(grad)
            if producer is None:  # a leaf: its gradient is summed here, stored after the walk
                data = tensor._array
                if grad.shape != data.shape or grad.dtype is not data.dtype:
                    grad = reduce_to_shape(grad, data.shape, data.dtype)
                fresh = grad is not grad_output and grad.base is None and grad.flags.writeable
                key = id(tensor)
                if wanted is None and key not in leaf_grads:  # the common case, inline
                    leaf_grads[key] = [tensor, grad, fresh]
                else:
                    deliver(tensor, grad, fresh)
                continue
            if producer.num_outputs != 1:  # an output of a node with several: read its tensor
                data = tensor._array
                if grad.shape != data.shape or grad.dtype is not data.dtype:
                    grad = reduce_to_shape(grad, data.shape, data.dtype)
                add_to_outputs(producer, tensor, grad)
                continue
            # An intermediate input's shape is its producer's output_meta (the tensor itself may
            # be gone).
            shape, dtype = producer.output_meta
            if grad.shape != shape or grad.dtype is not dtype:
                grad = reduce_to_shape(grad, shape, dtype)
            key = id(producer)
            previous = node_grads.get(key)
            if previous is None:
                node_grads[key] = grad
                # Whether it may be added into in place later: not this node's own grad_output
                # (which other inputs may have got too); the rest is checked if a second
                # gradient comes, as most results feed only one op.
                if grad is grad_output:
                    shared.add(key)
            else:
                node_grads[key] = add_gradients(
                    previous, key in owned or (key not in shared and previous.base is None
                                               and previous.flags.writeable),
                    grad, grad_output)
                owned.add(key)

    if wanted is not None:  # autograd.grad: a leaf's hooks see its gradient too
        for index, tensor in enumerate(inputs):
            if tensor.grad_fn is None and tensor._hooks and results[index] is not None:
                results[index] = _run_tensor_hooks(tensor._hooks, results[index])
    for tensor, grad, fresh in leaf_grads.values():
        hooks = tensor._hooks
        if hooks:
            if len(hooks):
                grad = _run_tensor_hooks(hooks, grad)
                fresh = False
            _accumulate(tensor, grad, fresh)
            run_post_accumulate_grad_hooks(tensor)
        else:
            _accumulate(tensor, grad, fresh)
    return results


def run_post_accumulate_grad_hooks(tensor):
    """A leaf's ``register_post_accumulate_grad_hook`` hooks, once its ``.grad`` holds this
    pass's total: each gets the tensor and must return None (PyTorch's errors otherwise)."""
    hooks = tensor._hooks
    if type(hooks) is not LeafHooks or not hooks.post_accumulate:
        return
    for hook in list(hooks.post_accumulate.values()):
        result = hook(tensor)
        if isinstance(result, graph.Tensor):
            raise RuntimeError("Tensor post accumulate grad hooks should return None.")
        if result is not None:
            raise TypeError(f"expected Variable, but hook returned '{type(result).__name__}'")


def _add_partial(partial, key, node_grads, owned, shared):
    """Add a ``PartialGradient`` into the gradient of the node ``key``: into a buffer of its own
    at ``partial.index`` (made of zeros for the first gradient, copied from a shared one)."""
    previous = node_grads.get(key)
    if previous is None:
        node_grads[key] = partial.materialize()
    elif key in owned or (key not in shared and previous.base is None
                          and previous.flags.writeable):
        partial.add_into(previous)
    else:
        previous = node_grads[key] = np.array(previous, copy=True)
        partial.add_into(previous)
    owned.add(key)


def _accumulate(tensor, grad, fresh):
    """Add ``grad`` into ``tensor.grad`` in place, or make it ``.grad`` (itself when ``fresh``,
    an array no one else holds, else a copy)."""
    if tensor._grad is None:
        if type(grad) is not np.ndarray:  # a sparse gradient (sparse/coo.py): a sparse .grad
            return _accumulate_sparse(tensor, grad, fresh)
        tensor._grad = graph.Tensor._make(grad if fresh else grad.copy(), None)
    elif type(grad) is not np.ndarray or type(tensor._grad._array) is not np.ndarray:
        _accumulate_sparse(tensor, grad, fresh)
    else:
        tensor._grad._array += grad


def _accumulate_sparse(tensor, grad, fresh):
    """``_accumulate`` where the gradient or ``.grad`` is a sparse COO array: as PyTorch's
    AccumulateGrad, a first sparse gradient becomes a sparse ``.grad``, sparse + sparse
    concatenates the entries (uncoalesced), and sparse + dense is dense."""
    from ..sparse.coo import sparse_tensor  # the sparse tensor builds on the engine

    if tensor._grad is None:
        tensor._grad = sparse_tensor(grad if fresh else grad.copy())
    elif type(tensor._grad._array) is np.ndarray:
        tensor._grad._array += grad  # dense += sparse: each entry added at its position
    elif type(grad) is np.ndarray:
        tensor._grad = graph.Tensor._make(grad + tensor._grad._array, None)
    else:
        tensor._grad._array = tensor._grad._array.concatenated(grad)


def _before_node(node, grad_output, wanted_nodes, must_run, deliver):
    """The rarer work before a node runs: ``autograd.grad`` taking a wanted tensor's gradient,
    the output tensor's hooks and the node's pre-hooks (which may replace the gradient), and
    ``retain_grad()``. Returns the gradient the node's backward gets."""
    hooks = node.hooks
    if wanted_nodes and id(node) in wanted_nodes:
        # PyTorch's order: a wanted tensor's gradient is taken after its hooks when its node
        # need not run (nothing wanted lies upstream), else before them.
        if hooks is not None and id(node) not in must_run:
            grad_output, hooks = _run_pre_hooks(node, hooks, grad_output), None
        for tensor, number in wanted_nodes[id(node)]:
            grad = grad_output if number is None else grad_output[number]
            if grad is not None:
                deliver(tensor, grad, False)
    if hooks is not None:
        grad_output = _run_pre_hooks(node, hooks, grad_output)
    if node.retained_output is not None:
        _retain(node.retained_output, grad_output)
    return grad_output


def _needed_nodes(order, wanted, wanted_nodes):
    """For ``autograd.grad``: ids of the nodes that lead to something wanted (a wanted leaf
    among their inputs, or a producer that is wanted or itself needed). ``order`` lists
    producers before their consumers."""
    needed = set()
    for node in order:
        for tensor, producer in zip(node.inputs, node.producers):
            if producer is None:
                if id(tensor) in wanted:
                    needed.add(id(node))
                    break
            elif id(producer) in needed or id(producer) in wanted_nodes:
                needed.add(id(node))
                break
    return needed


def _retain(retained_output, grad_output):
    """Accumulate a non-leaf's gradient into its ``.grad`` (after ``retain_grad()``).
    ``retained_output`` is a weak reference to the node's output, or for a node with several
    outputs a dict of them by output number."""
    if type(retained_output) is dict:
        pairs = [(ref(), grad_output[number]) for number, ref in retained_output.items()]
    else:
        pairs = [(retained_output(), grad_output)]
    for tensor, grad in pairs:
        if tensor is not None and grad is not None:
            _accumulate(tensor, grad, False)


def _run_pre_hooks(node, hooks, grad_output):
    """The output tensor's hooks, then the node's pre-hooks, each may replace the gradient."""
    if hooks["tensor"]:
        grad_output = _run_tensor_hooks(hooks["tensor"], grad_output)
    Tensor = graph.Tensor
    for hook in list(hooks["pre"].values()):
        result = hook((Tensor._make(grad_output, None),))
        if result is not None:
            grad_output = result[0]._array
    return grad_output


def _run_post_hooks(node, hooks, input_grads, grad_output):
    Tensor = graph.Tensor

    def wrap(grads):
        return tuple(None if g is None else Tensor._make(_whole(g), None) for g in grads)

    for hook in list(hooks["post"].values()):
        result = hook(wrap(input_grads), wrap((grad_output,)))
        if result is not None:
            input_grads = tuple(None if g is None else g._array for g in result)
    return input_grads


def _checked_backward(node, grad_output):
    """``node.backward`` under anomaly mode, with complex gradients conjugated
    (``graph.complex_backward``, once a complex result has been made), timed by the recording
    profiler: any of these."""
    if _AnomalyMode.enabled:
        check = _backward_with_anomaly_checks  # conjugates complex gradients itself
    elif graph.ComplexSeen.recorded:
        check = graph.complex_backward
    else:
        check = None
    profiler = graph.profiler
    if profiler is None:  # not recording, or stopped recording during this walk
        return node.backward(grad_output) if check is None else check(node, grad_output)
    return profiler.backward(node, grad_output, check)


def _backward_with_anomaly_checks(node, grad_output):
    """``node.backward`` under anomaly mode: an error, or a NaN in a returned gradient, comes
    with the forward traceback of the line that created the node."""
    try:
        input_grads = graph.complex_backward(node, grad_output)
        if any(type(grad) is PartialGradient for grad in input_grads):  # what the user sees
            input_grads = tuple(None if grad is None else _whole(grad) for grad in input_grads)
        if _AnomalyMode.check_nan:
            for position, grad in enumerate(input_grads):
                if grad is not None and np.isnan(grad).any():
                    raise RuntimeError(
                        f"Function '{node.name}' returned nan values in its {position}th output."
                    )
    except Exception as error:
        trace = getattr(node, "creation_trace", None)
        if trace is not None:
            text = "".join(traceback.format_list(trace))
            warnings.warn(
                f"Error detected in {node.name}. Traceback of forward call that caused the "
                f"error:\n{text}",
                stacklevel=2,
            )
            error.add_note(f"Traceback of forward call that created {node.name}:\n{text}")
        raise
    return input_grads


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned rather than accumulated
    (PyTorch's ``torch.autograd.grad``). ``grad_outputs`` default to ones for one-element
    outputs. An input the outputs do not depend on raises unless ``allow_unused=True``, in which
    case its gradient is ``None`` (zeros with ``materialize_grads=True``). With
    ``create_graph=True`` the gradients are computed by recorded ops (``higher_order.py``), so
    they can be differentiated again; ``retain_graph`` then defaults to True, as in PyTorch.
    ``inputs`` may be a dict of tensors (the gradients come back as a dict by the same keys);
    an output or input may be a ``graph.GradientEdge`` (``get_gradient_edge(t)``) in place of
    ``t``, as for ``backward``.
    ``is_grads_batched=True`` reads the first dim of each ``grad_outputs`` as a batch: one
    backward pass per entry (PyTorch vmaps them), the results stacked. ``only_inputs`` is
    ignored (deprecated, with PyTorch's FutureWarning when False).
    """
    if not only_inputs:
        warnings.warn(
            "only_inputs argument is deprecated and is ignored now (defaults to True). To "
            "accumulate gradient for other parts of the graph, please use "
            "torch.autograd.backward.", FutureWarning, stacklevel=2)
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, "
            "but got: allow_unused=False."
        )
    if isinstance(inputs, dict):
        results = grad(outputs, tuple(inputs.values()), grad_outputs, retain_graph,
                       create_graph, allow_unused=allow_unused,
                       is_grads_batched=is_grads_batched, materialize_grads=materialize_grads)
        return dict(zip(inputs, results))
    if is_grads_batched:
        return _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph,
                             allow_unused, materialize_grads)
    if allow_unused is None:
        allow_unused = materialize_grads
    outputs = _as_tensors(outputs)
    inputs = _as_tensors(inputs)
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads_in = root_grads(outputs, grad_outputs)
    Tensor = graph.Tensor
    previous, thread_state.in_grad_call = thread_state.in_grad_call, True
    try:
        if create_graph:
            results = run_backward_graph(
                outputs, _graph_root_grads(grads_in, grad_outputs),
                retain_graph=True if retain_graph is None else bool(retain_graph), inputs=inputs)
        else:
            results = run_backward(outputs, grads_in, retain_graph=bool(retain_graph),
                                   inputs=inputs)
    finally:
        thread_state.in_grad_call = previous
    wrapped = []
    for i, (t, g) in enumerate(zip(inputs, results)):
        if g is None and materialize_grads:
            g = np.zeros_like(t._array)
        if g is None and not allow_unused:
            raise RuntimeError(
                f"The differentiated Tensor at index {i} appears to not have been used in "
                "the graph. Set allow_unused=True if this is the desired behavior."
            )
        if g is not None and not isinstance(g, Tensor):
            g = _gradient_tensor(g)
        wrapped.append(g)
    return tuple(wrapped)


def _backward_into(tensors, grad_tensors, retain_graph, create_graph, inputs):
    """``backward(inputs=...)``: the walk of ``autograd.grad`` for ``inputs``, each leaf's
    gradient then accumulated into its ``.grad`` (an input nothing reaches keeps its own); a
    non-leaf input calls ``retain_grad()``, as in PyTorch, and later passes keep filling it."""
    if not inputs:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    for tensor in inputs:
        if tensor.grad_fn is not None:  # as PyTorch: a non-leaf input retains its grad from now
            tensor.retain_grad()
    grads_in = root_grads(tensors, grad_tensors)
    previous, thread_state.in_grad_call = thread_state.in_grad_call, True
    try:
        if create_graph:
            results = run_backward_graph(
                tensors, _graph_root_grads(grads_in, grad_tensors),
                retain_graph=True if retain_graph is None else bool(retain_graph), inputs=inputs)
        else:
            results = run_backward(tensors, grads_in, retain_graph=bool(retain_graph),
                                   inputs=inputs)
    finally:
        thread_state.in_grad_call = previous
    for tensor, grad in zip(inputs, results):
        if grad is None or tensor.grad_fn is not None:  # retain_grad() took a non-leaf's
            continue
        if create_graph:
            tensor._grad = grad if tensor._grad is None else tensor._grad + grad
        else:
            _accumulate(tensor, _as_array(grad), False)
        run_post_accumulate_grad_hooks(tensor)


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                  materialize_grads):
    """``grad`` with ``is_grads_batched=True``: one pass per entry of the grad_outputs' first
    dim, each input's gradients stacked (None where an input is unused)."""
    from ..tensor.shape import stack  # Tensor's functions build on autograd: imported on use
    outputs = _as_tuple(outputs)
    grad_outputs = _as_tuple(grad_outputs)
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is not None and tuple(g.shape[1:]) != tuple(out.shape):
            raise RuntimeError(
                "If `is_grads_batched=True`, we interpret the first dimension of each "
                "grad_output as the batch dimension. The sizes of the remaining dimensions are "
                "expected to match the shape of corresponding output, but a mismatch was "
                f"detected: grad_output[{i}] has a shape of {Size(g.shape[1:])} and output[{i}] "
                f"has a shape of {Size(out.shape)}. If you only want some tensors in "
                "`grad_output` to be considered batched, consider using vmap."
            )
    batch = next(g.shape[0] for g in grad_outputs if g is not None)
    rows = [grad(outputs, inputs, tuple(None if g is None else g[b] for g in grad_outputs),
                 retain_graph=True if b < batch - 1 else retain_graph,
                 create_graph=create_graph, allow_unused=allow_unused,
                 materialize_grads=materialize_grads) for b in range(batch)]
    return tuple(None if column[0] is None else stack(list(column))
                 for column in zip(*rows))


def _graph_root_grads(arrays, grad_outputs):
    """The starting gradients for ``create_graph=True``: the given Tensors themselves (their
    history is kept, so a gradient can be differentiated with respect to them), arrays for the
    rest."""
    Tensor = graph.Tensor
    if isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,)
    if not isinstance(grad_outputs, (list, tuple)):
        return arrays
    result = []
    for array, given in zip(arrays, grad_outputs):
        if isinstance(given, Tensor):
            result.append(given if given.dtype == array.dtype else given.to(array.dtype))
        else:
            result.append(array)
    return result


CREATE_GRAPH_CYCLE_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the "
    "parameter and its gradient which can cause a memory leak. We recommend using autograd.grad "
    "when creating the graph to avoid this. If you have to use this function, make sure to "
    "reset the .grad fields of your parameters to None after use to break the cycle and avoid "
    "the leak."
)
_warned_reference_cycle = False


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """PyTorch's ``torch.autograd.backward``: ``backward()`` on several outputs at once (and
    what ``Tensor.backward`` runs). With ``create_graph=True`` the gradients accumulated into
    ``.grad`` keep their history (``higher_order.py``). With ``inputs`` only those tensors
    (leaves or not) get their gradient accumulated into ``.grad``. A ``graph.GradientEdge``
    may stand for an output tensor."""
    tensors = _as_tensors(tensors)
    if inputs is not None:
        _backward_into(tensors, grad_tensors, retain_graph, create_graph, _as_tuple(inputs))
        return
    if create_graph:
        global _warned_reference_cycle
        if not _warned_reference_cycle or warn_always():  # once, as PyTorch's TORCH_WARN_ONCE
            _warned_reference_cycle = True
            warnings.warn(CREATE_GRAPH_CYCLE_WARNING, UserWarning, stacklevel=3)
        run_backward_graph(
            tensors, _graph_root_grads(root_grads(tensors, grad_tensors), grad_tensors),
            retain_graph=True if retain_graph is None else bool(retain_graph))
        return
    run_backward(tensors, root_grads(tensors, grad_tensors), retain_graph=bool(retain_graph))


def _as_tensors(items):
    """``_as_tuple`` of the tensors or ``graph.GradientEdge``s ``backward`` and ``grad`` take
    as outputs and inputs, each edge as the tensor standing for it (``edge_tensor``)."""
    if isinstance(items, graph.Tensor):  # loss.backward(): the common call, no edges
        return (items,)
    if isinstance(items, GradientEdge):  # a NamedTuple: not a sequence of them
        items = (items,)
    return tuple(edge_tensor(t) if isinstance(t, GradientEdge) else t for t in _as_tuple(items))


def _as_tuple(tensors):
    return (tensors,) if isinstance(tensors, graph.Tensor) else tuple(tensors)


def root_grads(outputs, grad_outputs):
    """Check the outputs can start a backward pass and build their starting gradients."""
    Tensor = graph.Tensor
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = (grad_outputs,)
    elif isinstance(grad_outputs, (list, tuple)):
        grad_outputs = tuple(grad_outputs)
    else:
        grad_outputs = (grad_outputs,)  # refused below, naming its type
    for g in grad_outputs:
        if g is not None and not isinstance(g, (Tensor, np.ndarray)):
            raise TypeError(
                f"gradients can be either Tensors or None, but got {type(g).__name__}"
            )
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"grad requires one gradient per output: got {len(grad_outputs)} gradients for "
            f"{len(outputs)} outputs"
        )
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not out.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        array = out._array
        if g is None:
            if array.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if array.dtype.kind == "c":
                raise RuntimeError("grad can be implicitly created only for real scalar outputs "
                                   f"but got {printing.dtype_name(array.dtype)}")
            # ones of the output's one-element shape (np.ones_like is a Python function
            # of NumPy's, twice as slow)
            grads.append(np.array(1, dtype=array.dtype).reshape(array.shape))
            continue
        g = np.asarray(g._array if isinstance(g, Tensor) else g)
        if g.shape != array.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {Size(g.shape)} and "
                f"output[{i}] has a shape of {Size(array.shape)}."
            )
        grads.append(g.astype(array.dtype, copy=False))
    return grads

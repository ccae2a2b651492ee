"""PyTorch's ``torch.utils.checkpoint``: activation checkpointing. A checkpointed function's
intermediate results are not kept for backward; backward runs the function again (with the
random state it had, so dropout draws the same masks) and differentiates that.

- ``use_reentrant=True`` (PyTorch's default when the argument is left out, with its warning):
  PyTorch's ``CheckpointFunction``, a custom ``autograd.Function`` whose forward runs under
  ``no_grad`` and whose backward recomputes and calls ``autograd.backward`` inside the outer
  pass: parameters the function uses get their ``.grad`` from that inner pass, gradients flow
  only if an input requires grad, and ``autograd.grad`` through it is refused, all as PyTorch.
- ``use_reentrant=False``: the function runs once with recording on to find every tensor
  outside it that it differentiates (its tensor arguments, the parameters and other tensors
  it closes over), then its graph is dropped; one ``Function`` node with those tensors as
  inputs stands for it. Backward recomputes the function and takes ``autograd.grad`` with
  respect to them, so ``autograd.grad``, keyword arguments and (through its recording
  backward) ``create_graph=True`` work, as with PyTorch's non-reentrant variant. The forward
  holds one segment's graph at a time; PyTorch's holds none (it drops each saved tensor as it
  is made). Saved-tensor hooks (``autograd.graph.saved_tensors_hooks``) are not called for
  what the function's ops save, in its forward or its recomputation, as in PyTorch; the
  tensors the node keeps (the arguments and the outside tensors) are packed by them, where
  PyTorch packs the tensor arguments only.
"""

import contextlib
import warnings

from .. import autocast_state, random as _random
from ..amp.autocast_mode import autocast
from ..autograd import graph
from ..autograd.engine import backward as _autograd_backward, grad as _autograd_grad
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, thread_state
from ..autograd.graph_api import suspended_saved_tensors_hooks

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointFunction", "check_backward_validity",
           "detach_variable", "noop_context_fn", "set_checkpoint_early_stop"]


def noop_context_fn():
    """The default ``context_fn``: two null contexts (forward, recomputation)."""
    return contextlib.nullcontext(), contextlib.nullcontext()


def _is_tensor(value):
    return isinstance(value, graph.Tensor)


def _cpu_autocast_now():
    """The CPU autocast state a checkpointed forward runs in, which its recomputation enters
    again (PyTorch's ``_get_autocast_kwargs``): else a float16 forward would be recomputed in
    float32 when backward runs outside the autocast region."""
    state = autocast_state.state
    return {"enabled": state.enabled.get("cpu", False), "dtype": autocast_state.get_dtype("cpu"),
            "cache_enabled": state.cache_enabled}


def detach_variable(inputs):
    """Each tensor of the tuple ``inputs`` detached, requiring grad as it did (PyTorch's)."""
    if not isinstance(inputs, tuple):
        raise RuntimeError(
            "Only tuple of tensors is supported. Got Unsupported input type: "
            f"{type(inputs).__name__}")
    return tuple(x.detach().requires_grad_(x.requires_grad) if _is_tensor(x) else x
                 for x in inputs)


def check_backward_validity(inputs):
    """PyTorch's warning when no tensor among ``inputs`` requires grad."""
    if not any(_is_tensor(a) and a.requires_grad for a in inputs):
        warnings.warn(
            "None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2)


@contextlib.contextmanager
def set_checkpoint_early_stop(enable):
    """PyTorch's switch for stopping a non-reentrant recomputation once the saved tensors are
    found again; recomputation here always runs the whole function (the same results), so the
    switch changes nothing."""
    yield


@contextlib.contextmanager
def _rng_forked(state):
    """Run with the random state ``state`` (when not None), then restore the current one."""
    if state is None:
        yield
        return
    current = _random.get_rng_state()
    _random.set_rng_state(state)
    try:
        yield
    finally:
        _random.set_rng_state(current)


class CheckpointFunction(Function):
    """PyTorch's reentrant checkpoint, line for line (see the module docstring)."""

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        check_backward_validity(args)
        ctx.run_function = run_function
        ctx.rng_state = _random.get_rng_state() if preserve_rng_state else None
        ctx.cpu_autocast = _cpu_autocast_now()
        ctx.inputs, ctx.tensor_indices, tensor_inputs = [], [], []
        for i, arg in enumerate(args):
            if _is_tensor(arg):
                tensor_inputs.append(arg)
                ctx.tensor_indices.append(i)
                ctx.inputs.append(None)
            else:
                ctx.inputs.append(arg)
        ctx.save_for_backward(*tensor_inputs)
        with no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx, *grad_outputs):
        if thread_state.in_grad_call:
            raise RuntimeError(
                "When use_reentrant=True, torch.utils.checkpoint is incompatible"
                " with .grad() or passing an `inputs` parameter to .backward()."
                " To resolve this error, you can either set use_reentrant=False,"
                " or call .backward() without passing the `inputs` argument."
            )
        inputs = list(ctx.inputs)
        tensors = ctx.saved_tensors  # read once, as PyTorch: each read unpacks saved hooks
        for i, index in enumerate(ctx.tensor_indices):
            inputs[index] = tensors[i]
        with _rng_forked(ctx.rng_state):
            detached_inputs = detach_variable(tuple(inputs))
            with enable_grad(), autocast("cpu", **ctx.cpu_autocast):
                outputs = ctx.run_function(*detached_inputs)
        if _is_tensor(outputs):
            outputs = (outputs,)
        outputs_with_grad, args_with_grad = [], []
        for output, grad in zip(outputs, grad_outputs):
            if _is_tensor(output) and output.requires_grad:
                outputs_with_grad.append(output)
                args_with_grad.append(grad)
        if not outputs_with_grad:
            raise RuntimeError(
                "none of output has requires_grad=True, this checkpoint() is not necessary")
        _autograd_backward(outputs_with_grad, args_with_grad)
        grads = tuple(inp.grad if _is_tensor(inp) else None for inp in detached_inputs)
        return (None, None) + grads


class _Scope:
    """Marks the nodes recorded while a non-reentrant checkpoint's function runs (as their
    ``module_call``), so that the walk over its graph stops where the function's own ops end.
    """

    def __init__(self, parent):
        self.module, self.parent = self, parent


def _inside(node, scope):
    call = node.module_call
    while call is not None:
        if call is scope:
            return True
        call = call.parent
    return False


def _outside_tensors(outputs, scope, exclude):
    """The tensors the function's graph reads from outside it that require grad: leaves (the
    parameters it used), and results of ops recorded before it ran (closed-over activations);
    those in ``exclude`` (its own detached arguments) left out. In order of first use."""
    found, seen, visited = [], set(exclude), set()
    stack = [o.grad_fn for o in outputs if _is_tensor(o) and o.grad_fn is not None]
    stack = [node for node in stack if _inside(node, scope)]
    while stack:
        node = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        for tensor, producer in zip(node.inputs, node.producers):
            if producer is not None and _inside(producer, scope):
                stack.append(producer)
            elif _is_tensor(tensor) and tensor.requires_grad and id(tensor) not in seen:
                seen.add(id(tensor))
                found.append(tensor)
    return found


class _NonReentrantCheckpoint(Function):
    """One node for a non-reentrant checkpoint: inputs the tensor arguments and the outside
    tensors the function differentiates; forward hands back the outputs already computed;
    backward recomputes and differentiates (see the module docstring)."""

    @staticmethod
    def forward(ctx, state, outputs, *tensors):
        ctx.state = state
        ctx.save_for_backward(*tensors)
        return tuple(o.detach() if _is_tensor(o) else o for o in outputs)

    @staticmethod
    def backward(ctx, *grad_outputs):
        state = ctx.state
        tensors = ctx.saved_tensors
        count = len(state["tensor_positions"])
        arguments, outside = tensors[:count], tensors[count:]
        recording = is_grad_enabled()  # create_graph=True: the recomputation is recorded
        args = list(state["args"])
        for position, tensor in zip(state["tensor_positions"], arguments):
            args[position] = tensor if recording else \
                tensor.detach().requires_grad_(tensor.requires_grad)
        with (_rng_forked(state["rng_state"]), enable_grad(), suspended_saved_tensors_hooks(),
              autocast("cpu", **state["cpu_autocast"]), state["context"]):
            outputs = state["function"](*args, **state["kwargs"])
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        pairs = [(o, g) for o, g in zip(outputs, grad_outputs)
                 if _is_tensor(o) and o.requires_grad and g is not None]
        wanted = [args[p] for p in state["tensor_positions"]] + list(outside)
        needs = [t.requires_grad for t in wanted]
        chosen = [t for t, need in zip(wanted, needs) if need]
        grads = iter(_autograd_grad([o for o, _ in pairs], chosen, [g for _, g in pairs],
                                    allow_unused=True, create_graph=recording)
                     if pairs and chosen else [None] * len(chosen))
        return (None, None) + tuple(next(grads) if need else None for need in needs)


def _checkpoint_without_reentrant(function, preserve, context_fn, args, kwargs):
    forward_context, recompute_context = context_fn()
    rng_state = _random.get_rng_state() if preserve else None
    tensor_positions = [i for i, a in enumerate(args) if _is_tensor(a)]
    detached = list(detach_variable(tuple(args)))
    scope = _Scope(thread_state.module_call)
    previous = thread_state.module_call
    thread_state.module_call = scope
    try:
        with forward_context, suspended_saved_tensors_hooks():
            result = function(*detached, **kwargs)
    finally:
        thread_state.module_call = previous
    outputs = result if isinstance(result, tuple) else (result,)
    if not is_grad_enabled():
        return result
    outside = _outside_tensors(outputs, scope, {id(detached[i]) for i in tensor_positions})
    state = {"function": function, "args": tuple(args), "kwargs": kwargs,
             "tensor_positions": tensor_positions, "rng_state": rng_state,
             "context": recompute_context, "cpu_autocast": _cpu_autocast_now()}
    tensors = [args[i] for i in tensor_positions] + outside
    if not any(t.requires_grad for t in tensors):
        return result
    wrapped = _NonReentrantCheckpoint.apply(state, outputs, *tensors)
    return wrapped if isinstance(result, tuple) else wrapped[0]


def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn,
               determinism_check="default", debug=False, early_stop=True, **kwargs):
    """``function(*args, **kwargs)`` without keeping its intermediate results for backward
    (recomputed there, with the random state of the forward when ``preserve_rng_state``,
    True by default). PyTorch's arguments, defaults, warning and errors; see the module
    docstring for the two variants."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be "
            "passed explicitly. Starting in PyTorch 2.9, calling checkpoint "
            "without use_reentrant will raise an exception. use_reentrant=False is "
            "recommended, but if you need to preserve the current default "
            "behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.",
            stacklevel=2
        )
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError(
                "Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        return CheckpointFunction.apply(function, preserve, *args)
    if determinism_check not in ("default", "none"):
        raise ValueError(
            "determinism_check should be one of ['default', 'none'], but got "
            f"{determinism_check}")
    return _checkpoint_without_reentrant(function, preserve, context_fn, args, kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run ``functions`` (an ``nn.Sequential`` or a list of modules/functions) in order on
    ``input``, checkpointing all of ``segments`` chunks but the last (PyTorch's split)."""
    from ..nn import Sequential  # nn builds on tensors and autograd: imported on use
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant "
            "parameter should be passed explicitly. "
            "In version 2.9 we will raise an exception if use_reentrant "
            "is not passed. use_reentrant=False is "
            "recommended, but if you need to preserve the current default "
            "behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.", stacklevel=2
        )
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))

    def run_function(start, end, functions):
        def forward(input):
            for j in range(start, end + 1):
                input = functions[j](input)
            return input
        return forward

    if isinstance(functions, Sequential):
        functions = list(functions.children())
    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(run_function(start, end, functions), input,
                           use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run_function(end + 1, len(functions) - 1, functions)(input)

"""A trace-and-replay JIT: run a training step eagerly while recording it, then replay the record
with no Tensor or graph node made, no module code and no graph walk.

    @tinygrad_bn.jit
    def step(x, y):
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    for x, y in loader:
        loss = step(x, y)          # calls 1 and 2 run eagerly and are recorded; then replays
    print(step.plan)               # the recorded kernels, in order

How it works (tinygrad's ``TinyJit`` and CUDA graphs do the same with GPU kernels):

1. **Capture.** The first two calls with arguments of given shapes, dtypes and ``requires_grad``
   run eagerly while a ``Capture`` listens at the framework's few dispatch points: every op's
   forward (``Op.apply``), the backward walk (compiled from the graph before it runs), in-place
   state updates outside the graph (``autograd.graph.effect``: BatchNorm's running statistics)
   and whole Python calls on training state (``replayable``: ``optimizer.step``, ``zero_grad``,
   a scheduler's ``step``).
2. **Check.** The two records must agree: the same ops with the same arguments on the same
   parameters, and every tensor made inside the function (a constant such as the ``2`` of
   ``x * 2``) with the same values both times. A tensor whose values differ (a random draw, a
   value computed in Python from data) cannot be replayed, and neither can a value read into
   Python (``.item()``, ``print``), a custom ``autograd.Function``, hooks, or an in-place write
   the capture did not see: each makes the function run eagerly from then on, with a
   ``TracerWarning`` that says why. Nothing is ever replayed that eager mode would compute
   differently, as far as the capture can see.
3. **Replay.** The second record becomes a ``Plan``: straight-line Python source, generated and
   compiled once, that calls each op's ``forward`` and ``backward`` on arrays, routes and sums
   gradients in the engine's order, makes the recorded effects and calls, and stores the
   parameters' ``.grad`` as the engine would. The same NumPy calls in the same order: results
   are bit-identical to eager mode. ``print(step.plan)`` lists the kernels and
   ``step.plan.source`` shows the generated function.

Guards run before every replay: the parameters and buffers used must still hold the same arrays
and ``requires_grad`` with no hooks added, every module called must be in the same
train/eval mode, and no module may have had a parameter, buffer or submodule assigned since the
capture. A failed guard captures again. Arguments of another shape or dtype (the last, smaller
batch) get a plan of their own.

What the user must keep in mind, as with ``torch.jit.trace``: Python code in the function runs
only during the two captures. Control flow that depends on tensor values, Python counters and
lists, and printing happen then and never in a replay. The returned tensors hold the replay's
values but no ``grad_fn``: call ``backward()`` inside the function.
"""

from __future__ import annotations

import copy
import functools
import threading
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .autograd import graph
from .autograd.engine import _accumulate
from .autograd.grad_mode import _AnomalyMode, thread_state
from .autograd.graph import _Structure, _Writes, reduce_to_shape, topological_order
from .tensor import Tensor

__all__ = ["jit", "JitFunction", "Plan", "TracerWarning"]


class TracerWarning(UserWarning):
    """A jitted function runs eagerly instead of replaying; the message says why."""


def jit(function: Callable[..., Any]) -> JitFunction:
    """Decorate a function (a training step) to be captured on its first calls and replayed
    after: see the module docstring."""
    return JitFunction(function)


# Op fields that belong to one graph, not to the computation: not compared between captures.
_GRAPH_FIELDS = frozenset({"inputs", "producers", "saved", "write_stamp", "output_counter",
                           "retained_output", "module_call", "hooks", "creation_trace",
                           "output_meta"})


class JitFunction:
    """A function under ``jit``: calls it eagerly twice per argument signature while capturing,
    then replays the plan. ``plan`` is the plan of the latest call (None before one exists);
    ``plans`` maps each argument signature to its plan; ``replays`` counts the calls a plan
    answered; ``reset()`` forgets them all."""

    def __init__(self, function: Callable[..., Any]) -> None:
        functools.update_wrapper(self, function)
        self.function = function
        self.plans: dict[Any, Plan] = {}
        self.plan: Plan | None = None
        self._first_capture: dict[Any, Trace] = {}
        self._eager: dict[Any, str] = {}  # signatures that run eagerly, and why
        self.replays = 0

    def reset(self) -> None:
        """Forget every plan and capture: the next calls capture again."""
        self.plans.clear()
        self._first_capture.clear()
        self._eager.clear()
        self.plan = None
        self.replays = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if graph.tracer is not None:  # called inside another capture: part of that one
            return self.function(*args, **kwargs)
        tensors, signature = _flatten((args, kwargs))
        if signature is None:
            key = ("unhashable",)
            if key not in self._eager:
                self._give_up(key, "an argument that is neither a tensor nor hashable (its value "
                                   "cannot key a plan)", stacklevel=3)
            return self.function(*args, **kwargs)
        key = (thread_state.grad_enabled, signature)
        plan = self.plans.get(key)
        if plan is not None:
            result = plan.replay(*tensors)
            if result is not MISS:
                self.plan = plan
                self.replays += 1
                return result
            del self.plans[key]  # a guard failed: capture again
        if key in self._eager:
            return self.function(*args, **kwargs)
        return self._capture(key, tensors, args, kwargs)

    def _give_up(self, key, reason, stacklevel=4):
        """Run the function eagerly from now on for arguments with this key, and say why (once;
        ``stacklevel`` makes the warning point at the caller of the jitted function)."""
        self._first_capture.pop(key, None)
        self._eager[key] = reason
        warnings.warn(f"jit: {self.__name__} runs eagerly for these arguments: {reason}",
                      TracerWarning, stacklevel=stacklevel)

    def _capture(self, key, tensors, args, kwargs):
        capture = Capture(tensors)
        result = capture.run(self.function, args, kwargs)
        trace = capture.trace
        if capture.refusal is None:
            first = self._first_capture.pop(key, None)
            if first is None:  # the first capture: kept to check the second against
                self._first_capture[key] = trace
                return result
            difference = first.difference(trace)
            if difference is None:
                self.plans[key] = self.plan = Plan(trace, self.__name__)
                return result
            capture.refusal = difference
        self._give_up(key, capture.refusal)
        return result

    def __repr__(self):
        return f"jit({self.function!r}, {len(self.plans)} plan(s))"


def _flatten(value):
    """The tensors in nested lists, tuples and dicts of arguments, and a hashable signature of
    the whole: each tensor as its shape, dtype and autograd state, anything else as itself
    (None when something is unhashable)."""
    tensors = []
    try:
        return tensors, _signature(value, tensors)
    except TypeError:
        return tensors, None


def _signature(item, tensors):
    """``_flatten``'s walk (a module-level function: a nested one that calls itself would make a
    reference cycle per call, holding the arguments until the garbage collector runs)."""
    if isinstance(item, Tensor):
        tensors.append(item)
        array = item._array
        return ("tensor", array.shape, array.dtype.str, item._requires_grad, item.grad_fn is None)
    if isinstance(item, (list, tuple)):
        return (type(item).__name__, tuple([_signature(i, tensors) for i in item]))
    if isinstance(item, dict):
        return ("dict", tuple([(k, _signature(v, tensors)) for k, v in item.items()]))
    hash(item)
    return ("value", type(item), item)


# --------------------------------------------------------------------------- capture


class Trace:
    """What one capture recorded: ``events`` in order (``("op", op, refs, value)``,
    ``("backward", roots, root_grads, steps)``, ``("effect", function, refs)``,
    ``("call", method, obj, args, kwargs)``), the ``output`` template, the ``modules`` called
    (with their mode), ``values`` (shape and dtype of each op's result) and the parameter
    names. A reference to a tensor is ``("value", k)`` (the result of the k-th op),
    ``("arg", i)`` (the i-th tensor argument) or ``("tensor", t)`` (anything else: a parameter,
    a buffer, or a constant made inside the function)."""

    def __init__(self, arguments=0):
        self.arguments = arguments  # how many tensor arguments
        self.events = []
        self.values = []
        self.output = None
        self.modules = {}
        self.names = {}
        self.constants = set()  # ids of ("tensor", t) references found to be constants

    def difference(self, other: Trace) -> str | None:
        """Why two captures of one function cannot share a plan, or None if they agree; marks
        the tensors ``other`` made inside the function (constants) in ``other.constants``."""
        if len(self.events) != len(other.events):
            return (f"the two captures ran {len(self.events)} and {len(other.events)} kernels "
                    "(Python control flow depends on the data)")
        for number, (mine, theirs) in enumerate(zip(self.events, other.events), 1):
            problem = self._event_difference(mine, theirs, other)
            if problem:
                return f"kernel {number} ({_event_name(theirs)}) differs between the two " \
                       f"captures: {problem}"
        if _ref_difference(self.output, other.output, other) is not None:
            return "the function returned different things from the two captures"
        if self.modules.keys() != other.modules.keys():
            return "the two captures called different modules"
        return None

    def _event_difference(self, mine, theirs, other):
        if mine[0] != theirs[0]:
            return "a different kind of kernel"
        kind = mine[0]
        if kind == "op":
            (_, op_a, refs_a, _), (_, op_b, refs_b, _) = mine, theirs
            if type(op_a) is not type(op_b):
                return f"{type(op_a).__name__} then {type(op_b).__name__}"
            for name in _op_fields(op_a):
                if not _same(getattr(op_a, name, None), getattr(op_b, name, None)):
                    return f"its argument {name!r} changed"
            return _ref_difference(refs_a, refs_b, other)
        if kind == "backward":
            if not _same(mine[2], theirs[2]):
                return "the gradients backward started from changed"
            return _ref_difference((mine[1], mine[3]), (theirs[1], theirs[3]), other)
        if kind == "effect":
            if mine[1] is not theirs[1]:
                return "a different update"
            return _ref_difference(mine[2], theirs[2], other)
        if mine[1] is not theirs[1] or mine[2] is not theirs[2]:
            return "a different method or object"
        if not (_same(mine[3], theirs[3]) and _same(mine[4], theirs[4])):
            return "its arguments changed"
        return None


def _event_name(event):
    kind = event[0]
    if kind == "op":
        return type(event[1]).__name__
    if kind == "call":
        return f"{type(event[2]).__name__}.{event[1].__name__}"
    if kind == "effect":
        return event[1].__name__
    return "backward"


def _op_fields(op):
    """The names of an op's own fields: its fixed arguments and settings."""
    names = []
    for cls in type(op).__mro__:
        for name in getattr(cls, "__slots__", ()):
            if name not in _GRAPH_FIELDS and name != "__weakref__":
                names.append(name)
    return names


def _same(a, b):
    """Whether two recorded values are the same: arrays equal in shape, dtype and values (nan
    equal to nan), tensors identical, containers element by element, the rest by ``==``."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return a is b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if callable(a) and callable(b) and not isinstance(a, type):
        return a is b
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # noqa: BLE001 - values that cannot be compared are not the same
        return False


def _is_ref(item, kind):
    """Whether ``item`` is a reference ``(kind, target)``."""
    return (type(item) is tuple and len(item) == 2 and isinstance(item[0], str)
            and item[0] == kind)


def _ref_difference(a, b, other):
    """Compare two (nested) references; a tensor referenced in both captures but a different
    object each time must be a constant: the same values, in memory of its own."""
    if _is_ref(a, "tensor"):
        if not _is_ref(b, "tensor"):
            return "an input changed"
        t_a, t_b = a[1], b[1]
        if t_a is t_b:
            return None
        if t_b._array.base is not None:
            return ("a tensor made inside the function from another tensor's memory (a view) "
                    "would be frozen by a replay")
        if not _same(t_a._array, t_b._array):
            return ("a tensor made inside the function has other values each call (random, or "
                    "computed from data outside the recorded ops)")
        other.constants.add(id(t_b))
        return None
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if type(a) is not type(b) or len(a) != len(b):
            return "its inputs changed"
        for x, y in zip(a, b):
            problem = _ref_difference(x, y, other)
            if problem:
                return problem
        return None
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return "its inputs changed"
        return _ref_difference(list(a.values()), list(b.values()), other)
    return None if _same(a, b) else "its inputs changed"


class Capture:
    """The listener installed as ``autograd.graph.tracer`` while a jitted function runs
    eagerly; builds a ``Trace``. Only the capturing thread is recorded. ``refusal`` is the
    first reason the function cannot be replayed, or None."""

    def __init__(self, arguments):
        self.thread = threading.get_ident()
        self.arguments = {id(t): i for i, t in enumerate(arguments)}
        self.trace = Trace(len(arguments))
        self.results = {}   # id(op result tensor) -> value number
        self.nodes = {}     # id(graph node) -> value number
        self.keep = []      # tensors and nodes held until the end, so that ids stay unique
        self.refusal = None
        self.writes_seen = 0

    def run(self, function, args, kwargs):
        writes = _Writes.count
        graph.tracer = self
        try:
            result = function(*args, **kwargs)
        finally:
            graph.tracer = None
        if _Writes.count - writes != self.writes_seen:
            self.refuse("an in-place write to a tensor (add_, copy_, x[i] = ..., or through "
                        ".data) is not recorded by the capture")
        if not any(event[0] == "backward" for event in self.trace.events) and any(
                t._requires_grad and t.grad_fn is not None for t in _flatten(result)[0]):
            self.refuse("it returns a tensor to differentiate, and a replay builds no graph "
                        "(call backward() inside the function)")
        self.trace.output = self._output(result)
        self.keep = None
        if self.trace.modules:  # names as the outermost module calls them (``0.weight``)
            outermost = next(iter(self.trace.modules.values()))[0]
            for name, tensor in [*outermost.named_parameters(), *outermost.named_buffers()]:
                self.trace.names[id(tensor)] = name
        return result

    def refuse(self, reason):
        if threading.get_ident() == self.thread and self.refusal is None:
            self.refusal = reason

    def _ref(self, tensor):
        number = self.results.get(id(tensor))
        if number is not None:
            return ("value", number)
        position = self.arguments.get(id(tensor))
        if position is not None:
            return ("arg", position)
        self.keep.append(tensor)
        return ("tensor", tensor)

    def _output(self, value):
        if isinstance(value, Tensor):
            return self._ref(value)
        if isinstance(value, (list, tuple)):
            return type(value)(self._output(v) for v in value)
        if isinstance(value, dict):
            return {k: self._output(v) for k, v in value.items()}
        return ("constant", value)

    # the dispatch points call these

    def record_op(self, op, inputs, out):
        if threading.get_ident() != self.thread:
            return
        refs = tuple(self._ref(t) for t in inputs)
        plan_op = copy.copy(op)
        plan_op.inputs = plan_op.producers = plan_op.hooks = plan_op.module_call = None
        plan_op.saved = ()
        number = len(self.trace.values)
        self.trace.values.append((out._array.shape, out._array.dtype))
        self.results[id(out)] = self.nodes[id(op)] = number
        self.keep += [out, op]
        self.trace.events.append(("op", plan_op, refs, number))

    def record_effect(self, function, args):
        if threading.get_ident() != self.thread:
            return
        refs = tuple(self._ref(a) if isinstance(a, Tensor) else ("constant", a) for a in args)
        self.trace.events.append(("effect", function, refs))

    def record_call(self, method, obj, args, kwargs):
        if threading.get_ident() != self.thread:
            return method(obj, *args, **kwargs)
        if _flatten((args, kwargs))[0]:
            self.refuse(f"{type(obj).__name__}.{method.__name__} was given a tensor argument")
        writes = _Writes.count
        graph.tracer = None  # the call is recorded whole, not what runs inside it
        try:
            result = method(obj, *args, **kwargs)
        finally:
            graph.tracer = self
        self.writes_seen += _Writes.count - writes
        self.trace.events.append(("call", method, obj, args, kwargs))
        return result

    def record_module(self, module, hooks):
        if threading.get_ident() != self.thread:
            return
        if hooks is not None and (hooks.forward_pre or hooks.forward or hooks.backward_pre
                                  or hooks.backward):
            self.refuse(f"the {type(module).__name__} module has hooks (Python code that a "
                        "replay would not run)")
        self.trace.modules[id(module)] = (module, module.training)

    def read_value(self, tensor, what):
        self.refuse(f"{what} reads a tensor's values into Python, which a replay cannot do "
                    "(return the tensor and read it outside the function)")

    def record_backward(self, roots, root_grads, inputs):
        if threading.get_ident() != self.thread:
            return
        if inputs is not None:
            return self.refuse("autograd.grad is not recorded (use loss.backward())")
        if _AnomalyMode.enabled:
            return self.refuse("anomaly detection is on")
        order = topological_order(roots)
        receiving = set()
        root_values = []
        for root in roots:
            if id(root.grad_fn) not in self.nodes:
                return self.refuse("backward starts from a tensor computed outside the function")
            receiving.add(id(root.grad_fn))
            root_values.append(self.nodes[id(root.grad_fn)])
        steps = []
        for node in reversed(order):
            if id(node) not in receiving:
                continue
            number = self.nodes.get(id(node))
            if number is None:
                return self.refuse("backward reaches ops recorded before the function was called")
            if node.hooks is not None or node.retained_output is not None:
                return self.refuse("a gradient hook or retain_grad() in the graph")
            edges = []
            for position, (tensor, producer, needed) in enumerate(
                    zip(node.inputs, node.producers, node.needs_input_grad)):
                if not needed:
                    continue
                if producer is None:
                    if tensor._hooks:
                        return self.refuse("a gradient hook on a leaf tensor")
                    edges.append((position, self._ref(tensor)))
                else:
                    receiving.add(id(producer))
                    edges.append((position, ("value", self.nodes.get(id(producer), -1))))
            steps.append((number, tuple(edges)))
        grads = tuple(np.array(g, copy=True) for g in root_grads)
        self.trace.events.append(("backward", tuple(root_values), grads, tuple(steps)))


# --------------------------------------------------------------------------- the plan


class _Miss:
    def __repr__(self):
        return "MISS"


MISS = _Miss()  # what a replay returns when a guard fails


def _fit(grad, shape, dtype):
    """A gradient as the engine passes it on: an ndarray, reduced to its input's shape and
    dtype when broadcasting stretched it."""
    if type(grad) is not np.ndarray:
        grad = np.asarray(grad)
    if grad.shape != shape or grad.dtype is not dtype:
        grad = reduce_to_shape(grad, shape, dtype)
    return grad


def _fresh(grad, grad_output):
    """The engine's test for a gradient no one else holds (it may become ``.grad`` as is)."""
    return grad is not grad_output and grad.base is None and grad.flags.writeable


def _describe(shape, dtype):
    return f"{np.dtype(dtype).name}[{', '.join(map(str, shape))}]"


class Plan:
    """One captured function for one argument signature: the kernels in order (``kernels``, a
    list of ``(kind, description)``), the generated Python (``source``) and the compiled
    ``replay``. ``print(plan)`` lists the kernels."""

    def __init__(self, trace: Trace, name: str) -> None:
        self.name = name
        self.kernels: list[tuple[str, str]] = []
        self._names = {}      # namespace of the generated function
        self._tensors = {}    # id(tensor) -> local name of its array
        self._labels = {}     # local name -> what the kernel listing calls it (``0.weight``)
        self._trace = trace
        lines = self._generate(trace)
        self.source = "\n".join(lines) + "\n"
        namespace = dict(self._names)
        exec(compile(self.source, f"<jit plan of {name}>", "exec"), namespace)  # noqa: S102
        self.replay = namespace["replay"]
        self._trace = None

    # ------------------------------------------------------------------ code generation

    def _constant(self, value, stem="k"):
        name = f"{stem}{len(self._names)}"
        self._names[name] = value
        return name

    def _array_of(self, ref, guards, lines):
        """The local name holding the array a reference stands for."""
        kind, target = ref
        if kind == "value":
            return f"v{target}"
        if kind == "arg":
            return f"a{target}"
        if id(target) in self._tensors:
            return self._tensors[id(target)]
        if id(target) in self._trace.constants:  # made inside the function: frozen values
            constant = target._array.copy()
            constant.flags.writeable = False
            name = self._constant(constant, "c")
        else:  # a parameter or buffer: guarded, then read
            name = f"p{len(self._tensors)}"
            self._names[name.upper()] = target
            self._names[name + "_array"] = target._array
            guards.append(f"{name.upper()}._array is not {name}_array")
            guards.append(f"{name.upper()}._requires_grad is not {target._requires_grad}")
            self._labels[name] = self._trace.names.get(id(target), name)
            lines.append(f"    {name} = {name}_array  # {self._labels[name]} "
                         f"{_describe(target._array.shape, target._array.dtype)}")
        self._tensors[id(target)] = name
        return name

    def _tensor_of(self, ref, guards, lines):
        """The expression for the Tensor a leaf reference stands for."""
        kind, target = ref
        if kind == "arg":
            return f"A{target}"
        name = self._array_of(ref, guards, lines)
        return name.upper()

    def _generate(self, trace):
        guards = [f"_Structure.count != {_Structure.count}"]
        for number, (module, training) in enumerate(trace.modules.values()):
            self._names[f"M{number}"] = module
            guards.append(f"M{number}.training is not {training}")
        body = []
        for event in trace.events:
            getattr(self, "_emit_" + event[0])(event, guards, body)
        output = self._output_expression(trace.output, guards, body)
        self._names.update(_Structure=_Structure, MISS=MISS, _fit=_fit, _fresh=_fresh,
                           _accumulate=_accumulate, _make=Tensor._make, _asarray=np.asarray)
        arguments = [f"A{i}" for i in range(trace.arguments)]
        lines = [f"def replay({', '.join(arguments)}):  # {self.name}, as captured",
                 "    if (" + "\n            or ".join(guards) + "):",
                 "        return MISS"]
        lines += [f"    a{i} = A{i}._array" for i in range(trace.arguments)]
        return lines + body + [f"    return {output}"]

    def _emit_op(self, event, guards, lines):
        _, op, refs, number = event
        arrays = [self._array_of(r, guards, lines) for r in refs]
        forward = self._constant(op.forward, "f")
        self._names[f"op{number}"] = op
        shape, dtype = self._trace.values[number]
        call = f"{forward}({', '.join(arrays)})"
        if shape == ():
            call = f"_asarray({call})"
        described = ", ".join(self._labels.get(a, a) for a in arrays)
        self.kernels.append(("forward", f"v{number} = {op!r}({described}) -> "
                                        f"{_describe(shape, dtype)}"))
        lines.append(f"    v{number} = {call}  # {op!r} -> {_describe(shape, dtype)}")

    def _emit_effect(self, event, guards, lines):
        _, function, refs = event
        arguments = []
        for ref in refs:
            if ref[0] == "constant":
                arguments.append(self._constant(ref[1]))
            else:
                arguments.append(self._array_of(ref, guards, lines))
        name = self._constant(function, "e")
        self.kernels.append(("effect", f"{function.__name__}("
                                       f"{', '.join(self._labels.get(a, a) for a in arguments)})"))
        lines.append(f"    {name}({', '.join(arguments)})  # {function.__name__}")

    def _emit_call(self, event, guards, lines):
        _, method, obj, args, kwargs = event
        bound = self._constant(functools.partial(method, obj, *args, **kwargs), "m")
        text = f"{type(obj).__name__}.{method.__name__}()"
        self.kernels.append(("call", text))
        lines.append(f"    {bound}()  # {text}")

    def _emit_backward(self, event, guards, lines):
        _, roots, root_grads, steps = event
        values = self._trace.values
        received = {}   # value number -> whether its gradient variable exists yet
        leaves = {}     # local tensor name -> (gradient variable, freshness variable)
        for root, grad in zip(roots, root_grads):
            grad = grad.copy()
            grad.flags.writeable = False
            lines.append(f"    g{root} = {self._constant(grad, 'c')}  # d(root)/d(root)")
            received[root] = True
        for number, edges in steps:
            targets = []
            lines.append(f"    r = op{number}.backward(g{number})")
            lines.append(f"    op{number}.saved = None")
            for position, (kind, target) in edges:
                if kind == "value":
                    shape, dtype = values[target]
                    fitted = f"_fit(r[{position}], {shape!r}, {self._constant(dtype, 'd')})"
                    if target in received:
                        lines.append(f"    g{target} = g{target} + {fitted}")
                    else:
                        lines.append(f"    g{target} = {fitted}")
                        received[target] = True
                    targets.append(f"g{target}")
                    continue
                tensor = self._tensor_of((kind, target), guards, lines)
                array = target._array if kind == "tensor" else None
                if kind == "arg":
                    fitted = f"_fit(r[{position}], A{target}._array.shape, A{target}._array.dtype)"
                else:
                    fitted = (f"_fit(r[{position}], {array.shape!r}, "
                              f"{self._constant(array.dtype, 'd')})")
                if tensor in leaves:
                    grad_name, fresh_name = leaves[tensor]
                    lines.append(f"    {grad_name} = {grad_name} + {fitted}")
                    lines.append(f"    {fresh_name} = True")
                else:
                    grad_name, fresh_name = f"G{len(leaves)}", f"F{len(leaves)}"
                    leaves[tensor] = (grad_name, fresh_name)
                    lines.append(f"    {grad_name} = {fitted}")
                    lines.append(f"    {fresh_name} = _fresh({grad_name}, g{number})")
                targets.append(f"{grad_name} (for {self._labels.get(tensor.lower(), tensor)})")
            self.kernels.append(("backward", f"{self._names[f'op{number}']!r}.backward(g{number})"
                                 f" -> {', '.join(targets)}"))
        for tensor, (grad_name, fresh_name) in leaves.items():
            lines.append(f"    _accumulate({tensor}, {grad_name}, {fresh_name})")
            label = self._labels.get(tensor.lower(), tensor)
            self.kernels.append(("grad", f"{label}.grad <- {grad_name}"))

    def _output_expression(self, template, guards, lines):
        if isinstance(template, tuple) and len(template) == 2 and template[0] in (
                "value", "arg", "tensor", "constant"):
            kind, target = template
            if kind == "value":
                return f"_make(v{target}, None)"
            if kind == "arg":
                return f"A{target}"
            if kind == "constant":
                return self._constant(target)
            name = self._array_of(template, guards, lines)
            if id(target) in self._trace.constants:
                return f"_make({name}.copy(), None)"
            return name.upper()
        if isinstance(template, dict):
            items = ", ".join(f"{self._constant(k)}: {self._output_expression(v, guards, lines)}"
                              for k, v in template.items())
            return "{" + items + "}"
        parts = [self._output_expression(v, guards, lines) for v in template]
        if type(template) is list:
            return "[" + ", ".join(parts) + "]"
        if type(template) is tuple:
            return "(" + "".join(p + ", " for p in parts) + ")"
        return f"{self._constant(type(template))}([{', '.join(parts)}])"

    # ------------------------------------------------------------------ printing

    def __str__(self):
        width = len(str(len(self.kernels)))
        lines = [f"Plan of {self.name}: {len(self.kernels)} kernels"]
        for number, (kind, text) in enumerate(self.kernels, 1):
            lines.append(f"  {number:>{width}}  {kind:<8}  {text}")
        return "\n".join(lines)

    def __repr__(self):
        return f"<Plan of {self.name}: {len(self.kernels)} kernels>"

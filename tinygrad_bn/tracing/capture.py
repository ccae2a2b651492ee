"""Capturing a jitted function: while it runs eagerly, a ``Capture`` records what it computes
(each op, the backward walk, state updates outside the graph, optimizer and scheduler calls)
and where every array it reads comes from, into a ``Trace``.

Where an array comes from is the heart of it (dataflow, not snapshots). Each array an op reads
is classified, by the identity of the array object, as one of:

- ``("arg", i)``: the array of the i-th tensor argument (``x``, and ``x.detach()``, ``x.data``,
  which share it);
- ``("value", k)``: the result of the k-th recorded op (or of a traced copy, ``tensor(t)``);
- ``("state", t)``: the array of a tensor that existed before the call (a parameter, a buffer,
  a tensor held in a global), read afresh by every replay and guarded by identity;
- ``("grad", t)``: ``t.grad``, read afresh at that point of every replay;
- ``("constant", array)``: a tensor made inside the function from Python values alone
  (``zeros``, ``arange``, the ``2`` of ``x * 2``; see ``autograd.graph.constant``).

Anything else (a tensor made from a NumPy array, a mask computed in Python) is
refused, naming the line that made it: the function then runs eagerly with a ``TracerWarning``.
Nothing is ever copied into a plan from the data of the calls it was captured on.
"""

from __future__ import annotations

import copy
import os
import sys
import threading
import types

import numpy as np

from ..autograd import graph
from ..autograd.grad_mode import _AnomalyMode, thread_state
from ..autograd.graph import topological_order
from ..nn.module import Module
from ..optim.optimizer import watch_param_groups
from ..tensor import Tensor

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Op fields that belong to one graph, or are set by forward itself: not fixed arguments.
GRAPH_FIELDS = frozenset({"inputs", "producers", "saved", "write_stamp", "output_counter",
                          "needs_input_grad", "retained_output", "module_call", "hooks",
                          "creation_trace", "output_meta", "__weakref__"})


class TracerWarning(UserWarning):
    """A jitted function runs eagerly instead of replaying; the message says why."""


# --------------------------------------------------------------------------- the listener


class Listener:
    """What ``autograd.graph.tracer`` is while at least one thread captures: it passes each
    report on to the calling thread's capture (``thread_state.capture``), so that threads
    capture independently and a thread that is not capturing pays one attribute read."""

    def record_op(self, op, inputs, out):
        capture = thread_state.capture
        if capture is not None:
            capture.record_op(op, inputs, out)

    def record_made(self, tensor):
        capture = thread_state.capture
        if capture is not None:
            capture.record_made(tensor)

    def record_created(self, tensor, data):
        capture = thread_state.capture
        if capture is not None:
            capture.record_created(tensor, data)

    def record_alias(self, handle, source):
        capture = thread_state.capture
        if capture is not None:
            capture.aliases[id(handle)] = source

    def record_constant(self, tensor, value=None):
        capture = thread_state.capture
        if capture is not None:
            capture.record_constant(tensor, value)

    def record_live_read(self, source, value):
        capture = thread_state.capture
        if capture is not None:
            capture.live_reads.append((source, value))
            capture.keep.append(value)

    def record_module_made(self, module):
        capture = thread_state.capture
        if capture is not None:
            capture.modules_made.add(id(module))
            capture.keep.append(module)

    def record_effect(self, function, args):
        capture = thread_state.capture
        if capture is not None:
            capture.record_effect(function, args)

    def record_call(self, function, args, kwargs):
        capture = thread_state.capture
        if capture is None:
            return function(*args, **kwargs)
        return capture.record_call(function, args, kwargs)

    def record_write(self):
        capture = thread_state.capture
        if capture is not None:
            capture.refuse("an in-place write to a tensor (add_, copy_, x[i] = ..., or through "
                           ".data) is not recorded by the capture")

    def record_module(self, module, hooks):
        capture = thread_state.capture
        if capture is not None:
            capture.record_module(module, hooks)

    def record_backward(self, roots, root_grads, inputs, retain_graph):
        capture = thread_state.capture
        if capture is not None:
            capture.record_backward(roots, root_grads, inputs, retain_graph)

    def record_grad_set(self, tensor, value):
        capture = thread_state.capture
        if capture is not None:
            capture.record_grad_set(tensor, value)

    def read_value(self, tensor, what):
        capture = thread_state.capture
        if capture is not None:
            capture.refuse(f"{what} reads a tensor's values into Python, which a replay cannot "
                           "do (return the tensor and read it outside the function)")

    def refuse(self, reason):
        capture = thread_state.capture
        if capture is not None:
            capture.refuse(reason)


LISTENER = Listener()
_installed = [0]  # how many threads are capturing
_install_lock = threading.Lock()


def _install(capture):
    thread_state.capture = capture
    with _install_lock:
        _installed[0] += 1
        graph.tracer = LISTENER
        watch_param_groups(True)


def _uninstall():
    thread_state.capture = None
    with _install_lock:
        _installed[0] -= 1
        if not _installed[0]:
            graph.tracer = None
            watch_param_groups(False)


def user_frame():
    """The innermost frame outside tinygrad_bn: the user's line that is running."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
    return frame


def user_line():
    """``file:line`` of the innermost frame outside tinygrad_bn (where a tensor was made)."""
    frame = user_frame()
    if frame is None:
        return "an unknown line"
    return f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"


def code_constants(function):
    """The ids of the constants written in ``function``'s code and the code nested in it:
    a number that is one of them is a literal, not state read at run time."""
    code = getattr(getattr(function, "__func__", function), "__code__", None)
    found, todo = set(), [code] if code is not None else []
    while todo:
        code = todo.pop()
        for constant in code.co_consts:
            found.add(id(constant))
            if hasattr(constant, "co_consts"):
                todo.append(constant)
    return found


# --------------------------------------------------------------------------- the record


class Trace:
    """What one capture recorded.

    ``events`` in order, each a tuple whose first item is its kind:

    - ``("op", op, refs, k)``: op ``k`` (a copy of the node, graph fields cleared) on the arrays
      ``refs`` name;
    - ``("copy", ref, dtype, k)``: value ``k`` is a copy of ``ref`` (``tensor(t)``);
    - ``("backward", roots, root_grads, steps, retain_graph)``: a backward walk, compiled;
    - ``("effect", function, refs)``: an update of state outside the graph (BatchNorm's
      running statistics), ``function`` called on arrays;
    - ``("call", function, args, kwargs, n)``: a ``replayable`` function or method called
      whole (``optimizer.step()``, ``zero_grad``, a scheduler's ``step``, ``clip_grad_norm_``),
      its arguments as references; its result is call result ``n``;
    - ``("grad_none", ref)``: ``t.grad = None`` for the tensor ``ref`` names.

    ``values[k]`` is the shape and dtype of value ``k``; ``output`` the returned structure with
    tensors and live Python values replaced by references; ``modules`` the modules called that
    existed before the call, with their mode and settings; ``names`` the parameter names of the
    outermost one (for the kernel listing); ``grads_read`` the leaves whose ``.grad`` the plan
    reads before anything recorded sets it (it must exist when a replay begins);
    ``array_arguments`` the positions
    of arguments that are NumPy arrays.
    """

    def __init__(self, arguments=0):
        self.arguments = arguments
        self.array_arguments = []  # positions of the arguments that are NumPy arrays
        self.argument_metas = []   # each argument's (shape, dtype), fixed by the plan's key
        self.events = []
        self.values = []
        self.output = None
        self.modules = {}
        self.names = {}
        self.grads_read = {}

    def difference(self, other: Trace) -> str | None:
        """Why two captures of one function cannot share a plan, or None if they agree. This is
        the second line of defence: classification already keeps data out of the plan; what is
        left is Python-side behaviour that changed between the two calls."""
        if len(self.events) != len(other.events):
            return (f"the two captures ran {len(self.events)} and {len(other.events)} kernels "
                    "(Python control flow depends on the data or on state that changed)")
        for number, (mine, theirs) in enumerate(zip(self.events, other.events), 1):
            problem = _event_difference(mine, theirs)
            if problem:
                return (f"kernel {number} ({event_name(theirs)}) differs between the two "
                        f"captures: {problem}")
        if not _same_refs(self.output, other.output):
            return "the function returned different things from the two captures"
        if self.modules.keys() != other.modules.keys():
            return "the two captures called different modules"
        return None


def event_name(event):
    kind = event[0]
    if kind == "op":
        return type(event[1]).__name__
    if kind == "call":
        return call_name(event[1], event[2])
    if kind == "effect":
        return event[1].__name__
    return kind


def _event_difference(mine, theirs):
    if mine[0] != theirs[0]:
        return "a different kind of kernel"
    kind = mine[0]
    if kind == "op":
        op_a, op_b = mine[1], theirs[1]
        if type(op_a) is not type(op_b):
            return f"{type(op_a).__name__} then {type(op_b).__name__}"
        for name in op_fields(op_a):
            if not same(getattr(op_a, name, None), getattr(op_b, name, None)):
                return f"its argument {name!r} changed"
        for ref_a, ref_b in zip(mine[2], theirs[2]):
            if ref_a[0] == ref_b[0] == "constant" and not same(ref_a[1], ref_b[1]):
                return ("a constant made inside the function has other values each call "
                        "(computed in Python from something that changes)")
        return None if _same_refs(mine[2], theirs[2]) else "its inputs changed"
    if kind == "call":
        if mine[1] is not theirs[1]:
            return "a different function"
        return None if _same_refs(mine[2:], theirs[2:]) else "its arguments changed"
    if kind == "effect" and mine[1] is not theirs[1]:
        return "a different update"
    return None if _same_refs(mine[1:], theirs[1:]) else "its inputs changed"


def call_name(function, args_template):
    """``Adam.step`` for a method (the class of its object), ``clip_grad_norm_`` for a
    function."""
    name = function.__name__
    if "." in function.__qualname__ and args_template and args_template[0][0] in (
            "python", "object"):
        return f"{type(args_template[0][1]).__name__}.{name}"
    return name


def op_fields(op):
    """The names of an op's own fields: its fixed arguments and settings."""
    names = []
    for cls in type(op).__mro__:
        for name in getattr(cls, "__slots__", ()):
            if name not in GRAPH_FIELDS:
                names.append(name)
    return names


def same(a, b):
    """Whether two recorded values are the same: arrays equal in shape, dtype and values (nan
    equal to nan), tensors and callables identical, containers item by item, the rest by
    type and ``==``."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return a is b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if callable(a) and callable(b) and not isinstance(a, type):
        return a is b
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # noqa: BLE001 - values that cannot be compared are not the same
        return False


def is_ref(item):
    """Whether ``item`` is a reference ``(kind, target)`` made by ``Capture``."""
    return (type(item) is tuple and len(item) == 2 and type(item[0]) is str
            and item[0] in REF_KINDS)


REF_KINDS = frozenset({"arg", "value", "state", "grad", "constant", "arg_tensor", "object",
                       "detached", "live", "live_scalar", "python", "call_result"})


def _same_refs(a, b):
    """Whether two (nested) references name the same thing: the same argument or value number,
    the same state tensor, constants with equal values."""
    if is_ref(a) or is_ref(b):
        if not (is_ref(a) and is_ref(b)) or a[0] != b[0]:
            return False
        if a[0] in ("arg", "value", "arg_tensor"):
            return a[1] == b[1]
        if a[0] in ("constant", "python"):
            return same(a[1], b[1])
        if a[0] == "detached":
            return _same_refs(a[1], b[1])
        return same(a[1], b[1])  # state, grad, object, live: identity of what they hold
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same_refs, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_refs(a[k], b[k]) for k in a)
    return same(a, b)


# --------------------------------------------------------------------------- the capture


class Capture:
    """Records one eager call of a jitted function into a ``Trace`` (see the module
    docstring). ``refusal`` is the first reason the call cannot be replayed, or None."""

    def __init__(self, arguments):
        self.trace = Trace(len(arguments))
        self.arguments = arguments
        self.sources = {}       # id(array) -> reference
        self.made = {}          # id(tensor) -> line, for tensors made by no recorded op
        self.made_arrays = set()
        self.nodes = {}         # id(graph node) -> value number
        self.states = {}        # id(tensor) -> tensor: tensors from before the call
        self.aliases = {}       # id(handle) -> the tensor detach() or .data was taken of
        self.modules_made = set()
        self.constant_values = {}  # id(array of a constant) -> the Python float it was made of
        self.frame_literals = set()  # ids of such floats written as literals where they were used
        self.live_reads = []    # (source, value) read from optimizer or scheduler state
        self.calls = []         # objects whose replayable methods were called
        self.call_results = []  # what each recorded call returned
        self.results_of_calls = {}  # id(object a call returned) -> ("call_result", where)
        self.keep = []          # everything whose id() is a key above, alive until the end
        self.refusal = None
        self.grads_decided = set()  # ids of leaves whose .grad the recorded events decide
        for position, argument in enumerate(arguments):
            array = argument if isinstance(argument, np.ndarray) else argument._array
            self.trace.argument_metas.append((array.shape, array.dtype))
            if isinstance(argument, np.ndarray):
                self.trace.array_arguments.append(position)
                self.sources.setdefault(id(argument), ("arg", position))
            else:
                self.sources.setdefault(id(argument._array), ("arg", position))
        self.keep.append(arguments)

    def run(self, function, args, kwargs):
        """Call ``function`` eagerly while recording; returns its result."""
        self.literals = code_constants(function)
        _install(self)
        try:
            result = function(*args, **kwargs)
        finally:
            _uninstall()
        if not any(event[0] == "backward" for event in self.trace.events) and any(
                t._requires_grad and t.grad_fn is not None for t in _tensors_in(result)):
            self.refuse("it returns a tensor to differentiate, and a replay builds no graph "
                        "(call backward() inside the function)")
        self._live_constants()
        self.trace.output = self._output(result)
        if self.trace.modules:  # names as the outermost module calls them (``0.weight``)
            outermost = next(iter(self.trace.modules.values()))[0]
            for name, tensor in [*outermost.named_parameters(), *outermost.named_buffers()]:
                self.trace.names[id(tensor)] = name
        self.keep = self.sources = self.made = None
        return result

    def refuse(self, reason):
        if self.refusal is None:
            self.refusal = reason

    # ------------------------------------------------------------------ where arrays come from

    def ref(self, tensor):
        """The reference for the array ``tensor`` holds (see the module docstring), or None
        after refusing."""
        array = tensor._array
        ref = self.sources.get(id(array))
        if ref is not None:
            return ref
        owner = self._grad_owner(tensor)
        if owner is not None:
            return owner
        source = self.aliases.get(id(tensor))
        if source is not None and source._array is array:  # detach(), .data
            return self.ref(source)
        line = self.made.get(id(tensor))
        if line is not None:
            if id(array) not in self.made_arrays:  # a new handle on an older array
                holder = self._holder(array)
                if holder is not None:
                    return self._state(holder)
            self.refuse(f"the tensor made at {line} holds values computed outside the recorded "
                        "ops (from a NumPy array, or data read into Python), "
                        "which a replay would freeze")
            return None
        return self._state(tensor)

    def _state(self, tensor):
        """A tensor from before the call: read afresh by every replay, guarded by identity."""
        self.states[id(tensor)] = tensor
        ref = ("state", tensor)
        self.sources[id(tensor._array)] = ref
        return ref

    def _grad_owner(self, tensor):
        """``("grad", leaf)`` when ``tensor`` is the ``.grad`` of an argument, a parameter or
        another tensor from before the call (``leaf`` as ``_leaf`` names it), else None. When
        nothing recorded so far decides whether that ``.grad`` exists (a backward reaching
        the leaf, ``zero_grad``, ``.grad = None``), whether it existed when the call began is
        noted, for a plan to guard."""
        for candidate in self._owners():
            if candidate._grad is tensor:
                leaf = self._leaf(candidate)
                if leaf is None:
                    return None
                if id(candidate) not in self.grads_decided:
                    self.trace.grads_read[id(candidate)] = leaf
                return ("grad", leaf)
        return None

    def _owners(self):
        yield from (a for a in self.arguments if isinstance(a, Tensor))
        yield from self.states.values()
        for module, _, _ in self.trace.modules.values():
            yield from module.parameters()
        for obj in self.calls:
            for group in getattr(obj, "param_groups", ()):
                yield from group["params"]

    def _holder(self, array):
        """A tensor from before the call that holds ``array`` (the source of ``p.detach()``)."""
        for candidate in self._owners():
            if candidate._array is array:
                return candidate
        return None

    # ------------------------------------------------------------------ what the hooks report

    def record_made(self, tensor):
        self.made[id(tensor)] = user_line()
        self.made_arrays.add(id(tensor._array))
        self.keep.append(tensor)

    def record_created(self, tensor, data):
        """``Tensor(data)``: a constant when ``data`` is Python values, a traced copy when it
        is a tensor, else a tensor made from data (refused if it is used)."""
        self.record_made(tensor)
        if isinstance(data, Tensor):
            source = self.ref(data)
            if source is not None:
                self._new_value(tensor._array)
                self.trace.events.append(("copy", source, tensor._array.dtype,
                                          len(self.trace.values) - 1))
        elif isinstance(data, np.ndarray) and self.sources.get(id(data), ("",))[0] == "arg":
            self._new_value(tensor._array)  # tensor(array argument): a traced copy
            self.trace.events.append(("copy", self.sources[id(data)], tensor._array.dtype,
                                      len(self.trace.values) - 1))
        elif python_values(data):
            self.record_constant(tensor)

    def record_constant(self, tensor, value=None):
        self.sources[id(tensor._array)] = ("constant", tensor._array)
        self.keep.append(tensor)
        if type(value) is float:  # perhaps a learning rate: see _live_constants
            frame = user_frame()
            if frame is not None and any(c is value for c in frame.f_code.co_consts):
                self.frame_literals.add(id(value))
            self.constant_values[id(tensor._array)] = value
            self.keep.append(value)

    def _new_value(self, array):
        number = len(self.trace.values)
        self.trace.values.append((array.shape, array.dtype))
        self.sources[id(array)] = ("value", number)
        self.keep.append(array)
        return number

    def record_op(self, op, inputs, out):
        refs = tuple(self.ref(t) for t in inputs)
        plan_op = copy.copy(op)
        for name in op_fields(op):
            value = getattr(op, name, None)
            if isinstance(value, Tensor):  # BatchNorm's running statistics: read at each forward
                ref = self.ref(value)
                if ref is not None and ref[0] != "state":
                    self.refuse(f"{type(op).__name__}'s {name} is a tensor made inside the "
                                "function")
                elif ref is not None:
                    self._state(value)
            elif holds_array(value) and name not in type(op).array_arguments:
                self.refuse(f"{type(op).__name__} holds an array in {name!r}, which a replay "
                            "would freeze")
        plan_op.inputs = plan_op.producers = plan_op.hooks = plan_op.module_call = None
        plan_op.saved = ()
        number = self._new_value(out._array)
        self.nodes[id(op)] = number
        self.keep += [out, op]
        self.trace.events.append(("op", plan_op, refs, number))

    def record_effect(self, function, args):
        refs = tuple(self.ref(a) if isinstance(a, Tensor) else ("python", a) for a in args)
        self.trace.events.append(("effect", function, refs))

    def record_call(self, function, args, kwargs):
        """A ``replayable`` call, recorded whole: its arguments as references (tensors as the
        objects or values they are, iterators listed), its result noted so that later ops and
        the output read it from the replay's own call."""
        args = [list(a) if isinstance(a, types.GeneratorType) else a for a in args]
        templates = (self._call_argument(args), self._call_argument(kwargs))
        thread_state.capture = None  # the call is recorded whole, not what runs inside it
        try:
            result = function(*args, **kwargs)
        finally:
            thread_state.capture = self
        obj = args[0] if args else None
        if function.__name__ == "zero_grad":  # (set_to_none=False keeps None as None: undecided)
            set_to_none = kwargs.get("set_to_none", args[1] if len(args) > 1 else True)
            if set_to_none:
                self.grads_decided.update(id(p) for p in _parameters_of(obj))
        self.calls.append(obj)
        number = len(self.call_results)
        self.call_results.append(result)
        self._note_call_result(result, (number, ()))
        self.trace.events.append(("call", function, *templates, number))
        return result

    def _call_argument(self, value):
        if isinstance(value, Tensor):
            return self._output_tensor(value)
        if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
            return type(value)(self._call_argument(item) for item in value)
        if isinstance(value, dict):
            return {k: self._call_argument(v) for k, v in value.items()}
        return ("python", value)

    def _note_call_result(self, value, where):
        """Remember the tensors a call returned (and the result itself) by identity."""
        self.keep.append(value)
        self.results_of_calls[id(value)] = ("call_result", where)
        if isinstance(value, Tensor):
            self.sources[id(value._array)] = ("call_result", where)
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                self._note_call_result(item, (where[0], where[1] + (index,)))

    def record_module(self, module, hooks):
        if hooks is not None and (hooks.forward_pre or hooks.forward or hooks.backward_pre
                                  or hooks.backward):
            self.refuse(f"the {type(module).__name__} module has hooks (Python code that a "
                        "replay would not run)")
        if id(module) not in self.modules_made:
            self.trace.modules[id(module)] = (module, module.training, settings_of(module))

    def record_grad_set(self, tensor, value):
        if value is not None:
            self.refuse("assigning a tensor to .grad inside the function")
            return
        if id(tensor) in self.made:
            self.refuse("assigning .grad of a tensor made inside the function")
            return
        leaf = self._leaf(tensor)  # the argument itself or the tensor from before the call
        if leaf is not None:
            self.grads_decided.add(id(tensor))
            self.trace.events.append(("grad_none", leaf))

    def record_backward(self, roots, root_grads, inputs, retain_graph):
        if inputs is not None:
            return self.refuse("autograd.grad is not recorded (use loss.backward())")
        if _AnomalyMode.enabled:
            return self.refuse("anomaly detection is on")
        order = topological_order(roots)
        receiving, root_values = set(), []
        for root in roots:
            if id(root.grad_fn) not in self.nodes:
                return self.refuse("backward starts from a tensor computed outside the function")
            receiving.add(id(root.grad_fn))
            root_values.append(self.nodes[id(root.grad_fn)])
        grads = []
        for root, grad in zip(roots, root_grads):
            ref = self.sources.get(id(grad))
            if ref is None and grad.size == 1 and np.all(grad == 1):  # backward()'s implicit 1
                ref = ("constant", grad)
            if ref is None:
                return self.refuse("backward was given a gradient computed outside the "
                                   "recorded ops")
            grads.append(ref)
        steps, decided = [], []
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
                    leaf = self._leaf(tensor)
                    if leaf is None:
                        return None
                    decided.append(id(tensor))
                    edges.append((position, leaf))
                else:
                    receiving.add(id(producer))
                    edges.append((position, ("value", self.nodes.get(id(producer), -1))))
            steps.append((number, tuple(edges)))
        self.grads_decided.update(decided)
        self.trace.events.append(("backward", tuple(root_values), tuple(grads), tuple(steps),
                                  bool(retain_graph)))

    def _leaf(self, tensor):
        """The reference to a leaf tensor whose ``.grad`` a replay reads or sets: the argument
        (``("arg_tensor", i)``) or the tensor from before the call (``("object", t)``)."""
        if tensor._hooks:
            return self.refuse("a gradient hook on a leaf tensor")
        for position, argument in enumerate(self.arguments):
            if argument is tensor:
                return ("arg_tensor", position)
        if id(tensor) in self.made:
            return self.refuse(f"backward reaches a tensor made at {self.made[id(tensor)]} that "
                               "requires grad; a replay makes no new leaf tensors")
        self._state(tensor)
        return ("object", tensor)

    # ------------------------------------------------------------------ what the function returns

    def _output(self, value):
        """The returned structure with references in place of tensors and live values."""
        if id(value) in self.results_of_calls:  # what optimizer.step(closure) returned
            return self.results_of_calls[id(value)]
        if isinstance(value, Tensor):
            return self._output_tensor(value)
        if isinstance(value, np.ndarray):
            for position, argument in enumerate(self.arguments):
                if argument is value:
                    return ("arg_tensor", position)
            self.refuse("it returns a NumPy array, which a replay cannot rebuild (return a "
                        "tensor)")
            return ("python", None)
        if isinstance(value, (list, tuple)) and not is_ref(value):
            live = self._live(value)
            if live is not None:
                return live
            items = [self._output(v) for v in value]
            return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
        if isinstance(value, dict):
            return {k: self._output(v) for k, v in value.items()}
        if value is None:
            return ("python", value)
        if id(value) in self.results_of_calls:
            return self.results_of_calls[id(value)]
        literal = id(value) in self.literals
        live = self._live(value)
        if live is not None:
            return live
        if literal and isinstance(value, (float, str, bytes)):  # written in the function
            return ("python", value)
        if isinstance(value, (bool, int, float, str, bytes, np.generic)):
            self.refuse(f"it returns the Python value {value!r}, which a replay would freeze "
                        "(return a tensor, or read the value outside the function)")
            return ("python", value)
        if isinstance(value, (type, type(len))) or callable(value) or hasattr(value, "state_dict"):
            return ("object", value)  # a class, function, module or optimizer: itself
        self.refuse(f"it returns a {type(value).__name__}, which a replay cannot rebuild")
        return ("python", value)

    def _output_tensor(self, tensor):
        if id(tensor) in self.results_of_calls:
            return self.results_of_calls[id(tensor)]
        for position, argument in enumerate(self.arguments):
            if argument is tensor:
                return ("arg_tensor", position)
        owner = self._grad_owner(tensor)
        if owner is not None:
            return owner
        if id(tensor) not in self.made and self.sources.get(id(tensor._array)) is None:
            return ("object", tensor)  # a parameter or another tensor from before the call
        ref = self.ref(tensor)
        if ref is None or ref[0] == "value":
            return ref
        if ref[0] == "state" and ref[1] is tensor:
            return ("object", tensor)
        return ("detached", ref)  # a new handle: x.detach(), p.data, state_dict() values

    def _live(self, value):
        """A reference to optimizer or scheduler state that ``value`` was read from, by
        identity, among the reads reported while the function ran: ``("group", group, key)``
        for ``param_groups[i][key]`` (see ``optim.optimizer.ParamGroup``), ``("last_lr",
        scheduler, index)`` for ``get_last_lr()`` or an item of it. A number that is also
        written as a literal in the function is ambiguous (the same object), and refused."""
        for source, read in self.live_reads:
            if isinstance(source, tuple):
                target = ("group", *source) if read is value else None
            elif read is value:
                target = ("last_lr", source, None)
            else:
                target = next((("last_lr", source, index) for index, item in
                               enumerate(read if isinstance(read, list) else ())
                               if item is value and type(item) is float), None)
            if target is not None:
                if id(value) in self.literals or id(value) in self.frame_literals:
                    self.refuse(f"the number {value!r} was read from an optimizer or scheduler "
                                "and is also written in the function (the same object), so a "
                                "replay cannot tell whether to read it afresh")
                return ("live", target)
        return None

    def _live_constants(self):
        """Constants made of a float read from optimizer or scheduler state (``loss * lr``)
        become reads of that state at replay."""
        live = {}
        for key, value in self.constant_values.items():
            ref = self._live(value)
            if ref is not None:
                live[key] = ref[1]
        if not live:
            return

        def resolve(ref):
            if is_ref(ref) and ref[0] == "constant" and id(ref[1]) in live:
                return ("live_scalar", (live[id(ref[1])], ref[1].dtype))
            if type(ref) is tuple and not is_ref(ref):
                return tuple(resolve(item) for item in ref)
            return ref

        self.trace.events = [(event[0], *[resolve(item) for item in event[1:]])
                             for event in self.trace.events]


def settings_of(module):
    """A module's Python settings (``momentum``, ``eps``, ``p``, ``reduction``...): what its
    forward may read besides tensors and submodules, copied so that later changes show."""
    return {name: copy.copy(value) for name, value in module.__dict__.items()
            if name not in ("training", "_module_hooks")
            and not isinstance(value, (Tensor, Module))}


def _parameters_of(obj):
    """The parameters an optimizer or a module holds (what its ``zero_grad`` clears)."""
    if isinstance(obj, Module):
        return list(obj.parameters())
    return [p for group in getattr(obj, "param_groups", ()) for p in group["params"]]


def holds_array(value):
    """Whether ``value`` is an array or a tensor, or holds one (in tuples, lists and dicts: an
    index, a ``Derived`` op's keywords)."""
    if isinstance(value, (np.ndarray, Tensor)):
        return True
    if isinstance(value, (tuple, list)):
        return any(holds_array(item) for item in value)
    if isinstance(value, dict):
        return any(holds_array(item) for item in value.values())
    return False


def python_values(data):
    """Whether ``data`` is made of Python (or NumPy scalar) numbers alone, in nested lists."""
    if isinstance(data, (bool, int, float, complex, np.generic)):
        return True
    if isinstance(data, (list, tuple)):
        return all(python_values(item) for item in data)
    return False


def _tensors_in(value):
    """The tensors in nested lists, tuples and dicts."""
    found = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Tensor):
            found.append(item)
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return found

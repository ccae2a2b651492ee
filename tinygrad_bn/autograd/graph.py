"""The graph's building blocks: the op node (``Op``), version counters, the walk over nodes.

Every differentiable operation is a subclass of ``Op`` with ``forward(*arrays)`` and
``backward(grad_output)`` on NumPy arrays. Calling ``SomeOp.apply(*tensors, **arguments)`` runs
the forward pass and, when any input requires grad, records the op instance as the result's
``grad_fn``. That instance is the graph node: it holds the op's fixed arguments, its inputs in
order, the node that produced each input (its edges, fixed when it was recorded) and the arrays
it saved for backward. Nothing hides in closures, so the graph drawer, the error messages and a
student all read the same fields.

In-place writes are checked with version counters, as in PyTorch: every tensor sharing one
array (the tensor, ``detach()`` and its views) shares one counter, and each in-place write
bumps it and notes the time on a process-wide write clock. A node notes the clock when it is
recorded; backward refuses an array the node saved (an input's or its own output's) whose
counter was written after that.
"""

import functools
import traceback
import weakref

import numpy as np

from .grad_mode import _AnomalyMode, thread_state
from .hooks import RemovableHandle

# tensor/core.py binds the Tensor class here once it exists, so that apply() can wrap its results
# without a circular import.
Tensor = None

# The jit's listener (``tracing.capture.Listener``) while any thread captures a jitted function,
# else None. Op.apply, the backward engine, ``effect``, ``replayable`` calls, the places tensors
# are made and Tensor's reads of values into Python report to it, and it passes each report on
# to the capture of the thread that made it (threads capture independently). With no capture
# this costs one global read per op.
tracer = None

# The recorder (``autograd.profiler._Recorder``) of the profiler recording now, else None. While
# it records, ``Op.apply`` is swapped for a timing version; the backward walk reads this once
# per walk.
profiler = None

RELEASED_GRAPH_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)


# --------------------------------------------------------------------------- version counters


class _Writes:
    """How many in-place writes the process has made: the clock that write stamps read."""

    count = 0


class _Structure:
    """How many times a module had a parameter, buffer, submodule or hook assigned, a tensor
    a hook registered, or CPU autocast started casting: a jit plan notes the count and captures
    again once it has moved."""

    count = 0


class _Settings:
    """How many times a module had a plain attribute assigned (``bn.momentum = 0.2``, ``loss.
    label_smoothing = 0.1``; not ``training``, which plans check directly): when it has moved,
    a jit plan compares the settings of the modules it calls with those it was captured with."""

    count = 0


class _SavedHooks:
    """How many ``saved_tensors_hooks`` blocks are open in all threads (see ``graph_api``):
    ``Op.apply`` reads this one class attribute on each recorded op and only when it is not
    zero looks at its own thread's blocks."""

    active = 0


class NodeName(str):
    """A node's name: a string (``node.name``, as tinygrad_bn reads it) that can also be
    called (``node.name()``, as PyTorch's ``Node.name``) to give the plain string."""

    __slots__ = ()

    def __call__(self):
        return str(self)


class VersionCounter:
    """How many in-place writes an array has had (``value``), shared by every tensor that uses
    the array, and the write clock's reading at its recent writes (``stamps``, the last 64 at
    least).

    A node notes the clock when it is recorded; if the clock has not moved by its backward,
    nothing was written anywhere and no check is needed. Otherwise a saved array whose counter
    has a later stamp was written after it was saved. (Class attributes are the starting
    values, so that making a counter, which happens on every op that saves its output, is
    nothing but an allocation.)
    """

    value = 0
    stamps = ()
    views = ()  # weak references to the views made of the array (see share_storage)
    views_limit = 64

    def bump(self):
        _Writes.count += 1
        self.value += 1
        _stamp(self, _Writes.count)
        if tracer is not None:  # a jit capture refuses writes it cannot replay
            tracer.record_write()

    def written_after(self, stamp):
        """Whether this counter had a write after the clock read ``stamp``."""
        return bool(self.stamps) and self.stamps[-1] > stamp

    def writes_since(self, stamp):
        """How many writes this counter had after the clock read ``stamp``."""
        return sum(1 for s in self.stamps if s > stamp)


def bump_versions(tensors):
    """``bump()`` each tensor's counter (an optimizer's in-place update of its parameters), in
    one loop: this runs every training step."""
    count = _Writes.count
    for tensor in tensors:
        counter = tensor._version_counter
        if counter is None:
            counter = tensor._version_counter = VersionCounter()
        count += 1
        counter.value += 1
        stamps = counter.stamps  # _stamp, written out: one call fewer per tensor
        if stamps:
            stamps.append(count)
            if len(stamps) > 128:
                del stamps[:64]
        else:
            counter.stamps = [count]
    _Writes.count = count
    if tracer is not None and tensors:
        tracer.record_write()


def _stamp(counter, count):
    """Append a write's clock reading to the counter's recent stamps (64 to 128 kept)."""
    if counter.stamps:
        counter.stamps.append(count)
        if len(counter.stamps) > 128:
            del counter.stamps[:64]
    else:  # the class default, an empty tuple: this counter's first write
        counter.stamps = [count]


def version_counter(tensor):
    """The tensor's counter, created on first use (most tensors are never written in place)."""
    counter = tensor._version_counter
    if counter is None:
        counter = tensor._version_counter = VersionCounter()
    return counter


def tensor_type_name(dtype):
    """PyTorch's legacy type name for a dtype, as its error messages print it."""
    names = {"float32": "FloatTensor", "float64": "DoubleTensor", "int64": "LongTensor",
             "bool": "BoolTensor"}
    return "tinygrad_bn." + names.get(str(dtype), f"Tensor[{dtype}]")


def modified_error(tensor_description, producer_name, version, expected):
    """PyTorch's error for a saved tensor written in place between forward and backward."""
    which = f", which is output 0 of {producer_name}" if producer_name else ""
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{tensor_description}]{which}, is at version {version}; expected version "
        f"{expected} instead. Hint: enable anomaly detection to find the operation that failed "
        "to compute its gradient, with tinygrad_bn.autograd.set_detect_anomaly(True)."
    )


# --------------------------------------------------------------------------- jit capture


def effect(function, *args):
    """Run ``function`` on ``args`` with every Tensor replaced by its array: an in-place update
    of state outside the graph (BatchNorm's running statistics, its batch count). A jit capture
    records the call, so that replays make the same update; code that writes arrays directly,
    bypassing this, would be lost by a replay."""
    function(*[a._array if isinstance(a, Tensor) else a for a in args])
    if tracer is not None:
        tracer.record_effect(function, args)


def replayable(function):
    """Decorate a function or method that changes Python-side training state
    (``Optimizer.step``, ``zero_grad``, a scheduler's ``step``, ``clip_grad_norm_``): a jit
    capture records the call whole, and replays make the call again with the arguments of the
    moment (the current ``.grad`` tensors, the tensors an earlier op made), so it reads the
    current learning rate, step count and gradients each time."""

    @functools.wraps(function)
    def recorded(*args, **kwargs):
        if tracer is None:
            return function(*args, **kwargs)
        return tracer.record_call(function, args, kwargs)

    return recorded


def constant(tensor, value=None):
    """Tell a jit capture in progress that ``tensor`` was just made from Python values alone
    (``zeros``, ``arange``, the ``2`` of ``x * 2``), not from any tensor's values: a replay may
    rebuild it as a constant. ``value``, the Python number it was made of, lets a capture see
    a learning rate read from an optimizer (which a replay reads afresh). Every other tensor
    made outside an op is refused by a capture when it is used. Returns ``tensor``."""
    if tracer is not None:
        tracer.record_constant(tensor, value)
    return tensor


def live_read(obj, value):
    """Tell a jit capture in progress that ``value`` was just read from ``obj``'s changing state
    (``scheduler.get_last_lr()``), so that a replay returns what ``obj`` holds then. Returns
    ``value``."""
    if tracer is not None:
        tracer.record_live_read(obj, value)
    return value


def untraceable(reason):
    """Tell a jit capture in progress that what is running now cannot be replayed (``reason``
    says what and why): the jitted function then runs eagerly, with a warning."""
    if tracer is not None:
        tracer.refuse(reason)


# --------------------------------------------------------------------------- complex results


class ComplexSeen:
    """Whether any op has made a complex result in this process: until one has, the backward
    walk never looks for complex gradients (``engine``), so real programs pay nothing."""

    recorded = False


def complex_result(op, dtype):
    """Called by ``Op.apply`` for a complex result (or complex input NumPy refused): refuse an
    op not known to compute it as PyTorch does (``supports_complex``), with PyTorch's wording
    where the op names it (``complex_refusal``, ``{dtype}`` standing for ``ComplexFloat``);
    tell a jit capture that complex steps are not replayed; note that complex gradients may
    now flow. True."""
    if not op.supports_complex:
        from ..dtypes import scalar_type_name  # dtypes imports nothing of the graph: fine
        refusal = op.complex_refusal or f'"{op.name}" not implemented for \'{{dtype}}\''
        error = NotImplementedError
        if not isinstance(refusal, str):
            error, refusal = refusal
        raise error(refusal.format(dtype=scalar_type_name(dtype)))
    if tracer is not None:
        tracer.refuse("complex tensors (a replay does not conjugate their gradients)")
    ComplexSeen.recorded = True
    return True


def complex_backward(node, grad_output):
    """``node.backward`` with PyTorch's convention for complex values: the gradient of a real
    loss ``L`` with respect to ``z`` is ``dL/dx + i dL/dy`` (the conjugate Wirtinger derivative
    times 2), so a holomorphic ``f`` passes back ``grad_output * conj(f'(z))``. An op whose
    ``backward`` computes ``grad_output * f'(z)`` (every holomorphic op and every op linear
    with real coefficients: ``backward`` never conjugates) gives that as
    ``conj(backward(conj(grad_output)))``; ops that set ``complex_backward`` (``abs``,
    ``real``, ``view_as_real``, the FFTs, ...) compute it themselves. Real gradients pass
    unchanged."""
    if node.complex_backward:
        return node.backward(grad_output)
    if type(grad_output) is np.ndarray:  # one output (a node with several gets a list)
        if grad_output.dtype.kind != "c":
            return node.backward(grad_output)
        conjugated = np.conj(grad_output)
    else:
        if not any(g is not None and g.dtype.kind == "c" for g in grad_output):
            return node.backward(grad_output)
        conjugated = [None if g is None else np.conj(g) for g in grad_output]
    grads = node.backward(conjugated)
    return tuple(None if g is None else np.conj(_materialized(g)) for g in grads)


def complex_tensor_backward(node, grad_output):
    """``node.tensor_backward`` (``create_graph=True``) with the conjugation of
    ``complex_backward``, on Tensors (``Tensor.conj`` is differentiable)."""
    if not ComplexSeen.recorded or node.complex_backward:
        return node.tensor_backward(grad_output)
    outputs = grad_output if isinstance(grad_output, (list, tuple)) else (grad_output,)
    if not any(g is not None and g._array.dtype.kind == "c" for g in outputs):
        return node.tensor_backward(grad_output)
    conjugated = [None if g is None else g.conj() for g in outputs]
    grads = node.tensor_backward(conjugated if isinstance(grad_output, (list, tuple))
                                 else conjugated[0])
    return tuple(None if g is None else
                 (g.conj() if isinstance(g, Tensor) else np.conj(_materialized(g)))
                 for g in grads)


def _materialized(grad):
    return grad.materialize() if type(grad) is PartialGradient else np.asarray(grad)


# --------------------------------------------------------------------------- module scope


class ModuleCall:
    """One running call of an ``nn.Module``: the module and the call it was made from.

    ``Module.__call__`` makes the innermost call current (per thread) for the duration of
    ``forward``; ``Op.apply`` stamps it on every node it records (``node.module_call``), so the
    graph drawer can group ops by the module call that ran them. A linked record keeps this O(1)
    per op.
    """

    __slots__ = ("module", "parent")

    def __init__(self, module, parent):
        self.module, self.parent = module, parent


# --------------------------------------------------------------------------- the op node

NO_INPUT_NEEDS_GRAD = ()
_ONE_NEEDS = (True,)
_new_object = object.__new__
_weak_reference = weakref.ref


class Op:
    """Base class of every built-in differentiable operation; an instance is one graph node.

    A subclass implements:

    - ``forward(self, *arrays) -> ndarray``: compute the result from the inputs' arrays, storing
      in ``self.saved`` (a tuple) the arrays backward will need. ``self.needs_input_grad`` (one
      bool per input) is already set, so work (and saving) for unneeded gradients can be skipped.
    - ``backward(self, grad_output) -> tuple``: one gradient per input, in input order, or
      ``None`` for an input that needs none. A gradient may have the result's broadcast shape and
      any floating dtype: the engine reduces it to the input's shape and dtype. It must be a fresh
      array (one per input: the engine may add into it in place) or ``grad_output`` or a view
      of it, never an array the op keeps elsewhere.

    Fixed arguments (a ``dim``, an ``eps``) are keyword arguments of ``__init__`` stored as
    attributes and listed by name in the class attribute ``arguments``, so that ``repr(node)``
    reads like ``Sum(dim=(1,), keepdim=False)``. An op whose result may share the input's memory
    (reshape, permute, indexing) sets ``is_view = True``: the result then shares the input's
    version counter, as views do in PyTorch. An op that saves its own result (or an array sharing
    its memory) for backward sets ``saves_output = True``, so that writing to the result in place
    is caught; saved inputs are found by the engine itself. An op that carries no gradient (a
    comparison, an index: ``ops.Derived``) sets ``differentiable = False`` and is never recorded
    in the graph.

    An array computed from a tensor's values is never a fixed argument: tensors the op reads
    (indices, masks, weights) are inputs, so that a jit capture replays them from the data of
    each call. An op whose fixed arguments include arrays built from Python values or shapes
    alone (an index given as a Python list) names those fields in ``array_arguments``; a
    capture refuses an op holding an array anywhere else.

    Fields of a recorded node: ``inputs`` (tensors, in order), ``producers`` (each input's
    ``grad_fn`` when this node was recorded, ``None`` for leaves: the graph's edges),
    ``needs_input_grad``, ``saved``, ``write_stamp`` (the write clock when it was recorded),
    ``output_meta`` (the output's shape and dtype), ``output_counter`` (the output's version
    counter, when the output is saved), ``module_call``,
    ``hooks`` (gradient hooks of the output tensor) and
    ``retained_output`` (a weak reference to the output, after ``retain_grad()``).
    """

    __slots__ = ("inputs", "producers", "saved", "write_stamp", "output_meta", "output_counter",
                 "needs_input_grad", "retained_output", "module_call", "hooks", "creation_trace",
                 "__weakref__")
    arguments = ()
    array_arguments = ()
    is_view = False
    saves_output = False
    differentiable = True
    num_outputs = 1
    is_linear = False
    is_piecewise_linear = False
    multilinear_inputs = ()
    backward_reads_input = False
    # Complex results (see ``complex_result``): an op that computes them correctly sets
    # ``supports_complex``; one whose ``backward`` already returns PyTorch's conjugate
    # Wirtinger gradients sets ``complex_backward`` too, the others are holomorphic or
    # linear with real coefficients and the engine conjugates around their backward.
    supports_complex = False
    complex_backward = False
    complex_refusal = None

    def forward(self, *arrays):
        """Compute the result from the inputs' NumPy arrays (in input order) and store in
        ``self.saved`` what backward needs; returns an ndarray."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

    def backward(self, grad_output):
        """Given ``grad_output`` (the gradient of the result, an ndarray of its shape), return one
        gradient per input in input order, or None for an input that needs none. The engine reduces
        broadcast gradients to each input's shape."""
        raise NotImplementedError(f"{type(self).__name__} does not define backward")

    def tensor_backward(self, grad_output):
        """``backward`` on Tensors, with recording on (``create_graph=True``): the gradients
        as Tensors with a history, so that they can be differentiated again. ``grad_output`` is
        a Tensor (a list of them for a node with several outputs). An op defines it as a
        formula, or sets ``is_linear`` (linear in its floating inputs: the gradient is recorded
        as a ``LinearBackward`` node, whose backward is the op itself), ``multilinear_inputs``
        (the positions of inputs it is linear in one at a time, a convolution's input and
        weight: ``MultilinearBackward`` nodes) or
        ``is_piecewise_linear`` (an elementwise op with a local derivative constant almost
        everywhere: ``grad_output * backward(ones)``), or defines ``composite(*inputs)``, its
        forward written with simpler differentiable ops. See ``higher_order.py``."""
        # higher_order builds on Op (its LinearBackward is an Op), so it is imported here
        from .higher_order import default_tensor_backward
        return default_tensor_backward(self, grad_output)

    @classmethod
    def apply(cls, *inputs, **arguments):
        """Run the op on tensors; record it in the graph when an input requires grad."""
        # The hottest path of eager mode: the result tensor is made here rather than by
        # Tensor._make (one call fewer per op). Tuples come from lists, not tuple(map(...)):
        # a tuple resized as it grows is counted as a new object by the garbage collector but
        # never as freed, which made the collector run once every W4 step.
        op = cls(**arguments) if arguments else cls()
        state = thread_state
        # One, two and three inputs (nearly every op; three for Linear with a bias, the
        # normalizations, Where) build their tuples as literals: a list comprehension is a
        # function call of its own in Python 3.11.
        count = len(inputs)
        if count == 1:
            first = inputs[0]
            arrays = (first._array,)
            needs = _ONE_NEEDS if first._requires_grad and state.grad_enabled else \
                NO_INPUT_NEEDS_GRAD
        elif count == 2:
            first, second = inputs
            arrays = (first._array, second._array)
            needs = NO_INPUT_NEEDS_GRAD
            if state.grad_enabled and (first._requires_grad or second._requires_grad):
                needs = (first._requires_grad, second._requires_grad)
        elif count == 3:
            first, second, third = inputs
            arrays = (first._array, second._array, third._array)
            needs = NO_INPUT_NEEDS_GRAD
            if state.grad_enabled and (first._requires_grad or second._requires_grad
                                       or third._requires_grad):
                needs = (first._requires_grad, second._requires_grad, third._requires_grad)
        else:
            arrays = [t._array for t in inputs]
            needs = NO_INPUT_NEEDS_GRAD
            if state.grad_enabled:
                needs = tuple([t._requires_grad for t in inputs])
                if True not in needs:
                    needs = NO_INPUT_NEEDS_GRAD
        op.needs_input_grad = needs
        op.saved = ()
        try:  # free unless raised (Python 3.11)
            data = op.forward(*arrays)
        except TypeError:  # NumPy has no such ufunc loop: for complex, PyTorch's error
            for array in arrays:
                if array.dtype.kind == "c":
                    complex_result(op, array.dtype)
            raise
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        out = _new_object(Tensor)
        out._array = data
        out._grad = out._version_counter = out._base = out._hooks = None
        kind = data.dtype.kind
        if needs and cls.differentiable and (
                kind == "f" or kind == "c" and complex_result(op, data.dtype)):
            op.inputs = inputs
            if count == 1:
                op.producers = (first.grad_fn,)
            elif count == 2:
                op.producers = (first.grad_fn, second.grad_fn)
            elif count == 3:
                op.producers = (first.grad_fn, second.grad_fn, third.grad_fn)
            else:
                op.producers = tuple([t.grad_fn for t in inputs])
            op.retained_output = op.hooks = op.output_counter = None
            op.module_call = state.module_call
            op.write_stamp = _Writes.count
            op.output_meta = (data.shape, data.dtype)
            out.grad_fn = op
            out._requires_grad = True
            if cls.saves_output:
                op.output_counter = out._version_counter = VersionCounter()
            if _AnomalyMode.enabled:
                op.creation_trace = user_stack()
            if _SavedHooks.active and state.saved_tensors_hooks:
                from .graph_api import pack_saved  # the module builds on this one
                pack_saved(op, inputs, out)
        else:
            if kind == "c":
                complex_result(op, data.dtype)
            out.grad_fn = None
            out._requires_grad = False
        if cls.is_view:
            share_storage(inputs[0], out, arrays[0])
        if tracer is not None:
            tracer.record_made(out)
            tracer.record_op(op, inputs, out)
        return out

    @property
    def name(self):
        """The op's math name, e.g. ``MatMul`` (also callable, ``name()``, as PyTorch's)."""
        return NodeName(type(self).__name__)

    @property
    def metadata(self):
        """PyTorch's ``Node.metadata``: a dict of the user's own, kept as long as the node."""
        return _node_metadata(self)

    def argument_values(self):
        """The fixed arguments as a dict, in declaration order."""
        return {name: getattr(self, name) for name in self.arguments}

    def check_saved_versions(self):
        """Raise PyTorch's error if an array this node saved (an input's or its output's) was
        written in place after the node was recorded. Called by backward only when the write
        clock has moved since then."""
        stamp = self.write_stamp
        counter = self.output_counter
        if counter is not None and counter.written_after(stamp):
            raise _modified(counter, stamp, *self.output_meta, self.name)
        for position in _saved_input_positions(self.saved, self.inputs):
            tensor = self.inputs[position]
            counter = tensor._version_counter
            if counter is not None and counter.written_after(stamp):
                # As PyTorch, name the tensor's grad_fn now (the in-place op that wrote it).
                producer = tensor.grad_fn
                raise _modified(counter, stamp, tensor.shape, tensor.dtype,
                                None if producer is None else producer.name)

    def release(self):
        """After a backward without ``retain_graph``: free the saved arrays, and hold the
        intermediate input tensors only weakly (``weakref.ref``), so that a kept ``loss`` keeps
        the graph's structure (nodes, edges, leaves, each result's shape in ``output_meta``) but
        not the step's activations. Tensors that retain their grad stay."""
        if self.saved:
            self.saved = None
        producers = self.producers
        count = len(producers)
        if count == 1:  # most nodes have one or two inputs: no list to build
            producer = producers[0]
            if producer is not None and producer.retained_output is None and \
                    producer.num_outputs == 1:
                tensor = self.inputs[0]
                if type(tensor) is Tensor:
                    self.inputs = (_weak_reference(tensor),)
        elif count == 2:
            first_producer, second_producer = producers
            if first_producer is not None or second_producer is not None:
                first, second = self.inputs
                if first_producer is not None and first_producer.retained_output is None and \
                        first_producer.num_outputs == 1 and type(first) is Tensor:
                    first = _weak_reference(first)
                if second_producer is not None and second_producer.retained_output is None \
                        and second_producer.num_outputs == 1 and type(second) is Tensor:
                    second = _weak_reference(second)
                self.inputs = (first, second)
        elif producers.count(None) != count:  # some inputs are intermediate results
            self.inputs = tuple([
                tensor if producer is None or producer.retained_output is not None
                or producer.num_outputs != 1 or type(tensor) is not Tensor
                else _weak_reference(tensor)
                for tensor, producer in zip(self.inputs, producers)
            ])

    @property
    def next_functions(self):
        """PyTorch's view of the edges: ``((node, 0), ...)`` per input, an ``AccumulateGrad``
        for a leaf that requires grad, ``(None, 0)`` for an input that needs no gradient."""
        edges = []
        for tensor, producer, needed in zip(self.inputs, self.producers, self.needs_input_grad):
            if not needed:
                edges.append((None, 0))
            elif producer is None:
                edges.append((AccumulateGrad(tensor), 0))
            else:
                edges.append((producer, 0))
        return tuple(edges)

    def register_hook(self, hook):
        """PyTorch's ``Node.register_hook``: ``hook(grad_inputs, grad_outputs)`` runs after this
        node's backward; it may return replacement ``grad_inputs``."""
        return RemovableHandle.append(_node_hooks(self, "post"), hook)

    def register_prehook(self, hook):
        """``hook(grad_outputs)`` runs before this node's backward; it may return replacements."""
        return RemovableHandle.append(_node_hooks(self, "pre"), hook)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.argument_values().items())
        return f"{self.name}({args})"


def _node_hooks(node, kind):
    """The ordered dict of a node's tensor ("tensor"), pre or post hooks, created on first use
    (the dict of them all for ``kind="saved"``, whose "saved" entry holds what saved-tensor
    hooks packed: see ``graph_api.pack_saved``)."""
    if node.hooks is None:
        node.hooks = {"tensor": {}, "pre": {}, "post": {}, "saved": None}
    return node.hooks if kind == "saved" else node.hooks[kind]


_metadata = {}  # id(owner) -> (weak reference to the owner, its metadata dict)


def _node_metadata(owner):
    """The ``metadata`` dict of a node (or a leaf, for its ``AccumulateGrad``), made on first
    use and dropped with its owner. Keyed by ``id``: a tensor's ``==`` is elementwise."""
    key = id(owner)
    entry = _metadata.get(key)
    if entry is None or entry[0]() is not owner:
        entry = _metadata[key] = (
            weakref.ref(owner, lambda _, key=key: _metadata.pop(key, None)), {})
    return entry[1]


def _saved_input_positions(saved, inputs):
    """Positions of the inputs whose array (or a view of it) the op saved."""
    positions = []
    for item in saved:
        if type(item) is not np.ndarray:
            continue
        for position, tensor in enumerate(inputs):
            if _same_memory(item, tensor._array):
                positions.append(position)
                break
    return positions


def _same_memory(array, other):
    """Whether ``array`` is ``other`` or a view of it (or of the array ``other`` views): a
    pointer test, not ``np.shares_memory``'s overlap search."""
    base = array.base
    return array is other or (base is not None and (base is other or base is other.base))


def _modified(counter, stamp, shape, dtype, producer_name):
    expected = counter.value - counter.writes_since(stamp)
    return modified_error(f"{tensor_type_name(dtype)} {list(shape)}", producer_name,
                          counter.value, expected)


def share_storage(source, view, source_array):
    """Make ``view`` (the result of a view op on ``source``) share ``source``'s version counter
    when its array really shares memory, and remember its base for in-place checks."""
    array = view._array
    base = array.base  # _same_memory, inline: this runs for every view op
    if not (array is source_array or (base is not None and (base is source_array
                                                              or base is source_array.base))):
        return
    counter = source._version_counter
    if counter is None:
        counter = source._version_counter = VersionCounter()
    view._version_counter = counter
    view._base = source._base if source._base is not None else source
    views = counter.views  # weakly, so a recorded write to the base can update their history
    if type(views) is tuple:
        views = counter.views = []
    views.append(weakref.ref(view))
    if len(views) > counter.views_limit:  # drop dead ones now and then (x.T every step...)
        views[:] = [ref for ref in views if ref() is not None]
        counter.views_limit = 2 * len(views) + 64


def user_stack():
    """The creating call stack without the frames inside tinygrad_bn (for anomaly mode)."""
    package = __name__.rsplit(".", 2)[0].replace(".", "/")
    frames = traceback.extract_stack()[:-2]
    return [f for f in frames if f"/{package}/" not in f.filename.replace("\\", "/")]


class AccumulateGrad:
    """PyTorch's leaf node in ``next_functions``: where a leaf's gradient is accumulated. Made
    anew at each look (equal when their leaf is the same); its hooks and ``metadata`` are the
    leaf's: a pre-hook ``fn((grad,))`` is a hook on the leaf's gradient, a hook ``fn((),
    (grad,))`` runs after the gradient is accumulated."""

    __slots__ = ("variable",)
    name = NodeName("AccumulateGrad")
    next_functions = ()

    @property
    def metadata(self):
        return _node_metadata(self.variable)

    def register_prehook(self, fn):
        def as_tensor_hook(grad):
            result = fn((grad,))
            return None if result is None else result[0]
        return self.variable.register_hook(as_tensor_hook)

    def register_hook(self, fn):
        def after_accumulation(tensor):
            fn((), (tensor.grad,))
        return self.variable.register_post_accumulate_grad_hook(after_accumulation)

    def __init__(self, variable):
        self.variable = variable

    def __eq__(self, other):
        return isinstance(other, AccumulateGrad) and other.variable is self.variable

    def __hash__(self):
        return id(self.variable)

    def __repr__(self):
        return f"AccumulateGrad(variable of shape {tuple(self.variable.shape)})"


class PartialGradient:
    """A gradient that is zero outside ``index`` of an array of ``shape``: ``values`` (the
    gradient of ``array[index]``) is all it holds. ``GetItem``'s backward returns one for a
    basic index (ints and slices), so that the engine adds ``values`` into the input's
    gradient at ``index`` rather than a whole array of zeros: ``q, k, v = qkv.split(C, 2)``
    leaves one buffer of ``qkv``'s shape, not three added up. Anything else that reads the
    gradient gets ``materialize()``: hooks, anomaly mode, leaves, a jit replay."""

    __slots__ = ("index", "values", "shape")

    def __init__(self, index, values, shape):
        self.index, self.values, self.shape = index, values, shape

    def materialize(self):
        """The whole gradient, an array of ``shape``: zeros with ``values`` at ``index``."""
        grad = np.zeros(self.shape, dtype=self.values.dtype)
        grad[self.index] = self.values
        return grad

    def add_into(self, grad):
        """Add ``values`` into ``grad`` (an array of ``shape``) at ``index``, in place."""
        grad[self.index] += self.values


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
        if grad.dtype.kind == "c" and dtype.kind != "c":
            grad = grad.real  # a real input of a complex op: the real part, as PyTorch
        grad = grad.astype(dtype)
    return grad


def topological_order(roots):
    """Every node reachable from the ``roots`` tensors, each listed after the nodes feeding it.

    An iterative depth-first search over the recorded edges (``node.producers``) keyed by
    ``id()``: each stack entry is a node and an iterator over its producers, and a node is
    listed once its producers are exhausted. No recursion, so graph depth is unlimited, and each
    node is visited once however many paths reach it.

    From a single root the walk first follows the chain of nodes fed by one node each (a
    sequence of layers, whose other inputs are leaves), with no stack or visited set: the
    search's order for that stretch is the chain reversed, and nothing upstream of the node
    where it branches can reach back into it, so the search starts from there.
    """
    if not isinstance(roots, (list, tuple)):  # any iterable of tensors
        roots = list(roots)
    if len(roots) == 1:
        chain, node = [], roots[0].grad_fn
        while node is not None:
            following = None
            for producer in node.producers:
                if producer is not None:
                    if following is not None:  # fed by two nodes (or one twice): search
                        order = _depth_first([node])
                        chain.reverse()
                        return order + chain
                    following = producer
            chain.append(node)
            node = following
        chain.reverse()
        return chain
    return _depth_first([root.grad_fn for root in roots])


def _depth_first(starts):
    """``topological_order``'s search from the nodes ``starts`` (``None`` skipped). The node
    being searched and the iterator over its producers are locals; the stack holds those of its
    consumers, waiting."""
    order, visited, stack = [], set(), []
    for node in starts:
        if node is None or id(node) in visited:
            continue
        visited.add(id(node))
        producers = iter(node.producers)
        while True:
            for producer in producers:
                if producer is not None and id(producer) not in visited:
                    visited.add(id(producer))
                    stack.append((node, producers))
                    node, producers = producer, iter(producer.producers)
                    break
            else:
                order.append(node)
                if not stack:
                    break
                node, producers = stack.pop()
    return order


# torch.autograd.graph's public names live in graph_api.py, which builds on this module (and
# registers Op and AccumulateGrad with its Node): they are looked up there when first asked
# for, so that neither module imports the other at its top.
_PUBLIC_NAMES = (
    "GradientEdge", "Node", "allow_mutation_on_saved_tensors", "disable_saved_tensors_hooks",
    "get_gradient_edge", "increment_version", "register_multi_grad_hook", "save_on_cpu",
    "saved_tensors_hooks",
)


def __getattr__(name):
    """``torch.autograd.graph.Node``, ``saved_tensors_hooks``, ...: from ``graph_api``."""
    if name in _PUBLIC_NAMES:
        from . import graph_api
        return getattr(graph_api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC_NAMES))


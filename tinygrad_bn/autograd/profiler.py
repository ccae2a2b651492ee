"""The profiler's recorder, and PyTorch's older ``torch.autograd.profiler`` API on it
(``profile``, ``record_function``, ``emit_nvtx``, ``emit_itt``); ``tinygrad_bn.profiler``
builds ``torch.profiler.profile`` (schedules, ``step()``, trace handlers) on the same recorder.

What is timed, while a profiler records:

- every op's forward: ``Op.apply`` of each op class, named as PyTorch names the aten op where
  there is an obvious one (``Add`` is ``aten::add``, ``MatMul`` ``aten::matmul``, ``Linear``
  ``aten::linear``, ``MaxPool`` on a 2-D kernel ``aten::max_pool2d``, a comparison
  ``aten::gt``, indexing ``aten::index``, ``aten::select`` or ``aten::slice`` by its index:
  PyTorch's first op of it; the tables are ``ATEN_NAMES`` and ``_DERIVED``), else
  ``tinygrad_bn::`` and the op's class name (``tinygrad_bn::RandomDraw``). Where one op of
  ours stands for several of PyTorch's, the name is the op's: ``view``, ``flatten`` and
  ``unsqueeze`` are ``aten::reshape``, ``transpose`` is ``aten::permute``, ``mm`` is
  ``aten::matmul``. One op of ours is one event: PyTorch's ``aten::linear`` has ``aten::t``
  and ``aten::addmm`` below it, ours has nothing below it. A custom ``autograd.Function`` is
  an event named by its class, as in PyTorch, with its ops below it.
- every backward node the engine runs, as PyTorch: ``autograd::engine::evaluate_function:
  AddBackward0`` around ``AddBackward0`` (the forward's aten name in CamelCase, ``Backward0``;
  a custom Function's is ``<Name>Backward``). Gradient accumulation into ``.grad`` is not an
  event (PyTorch's ``AccumulateGrad``).
- every ``record_function`` range, ``ProfilerStep#<n>`` under a schedule, and as in PyTorch
  each optimizer's ``step`` and ``zero_grad`` (``Optimizer.step#Adam.step``; their array
  updates are not ops, so nothing is inside them).

Costs nothing while no profiler records: ``Op.apply``, ``Function.apply`` and the optimizer
classes' ``step``/``zero_grad`` are replaced by timing versions only while a profiler records
(the same objects are put back after), and the backward walk reads one module global once
per walk (``graph.profiler``), in the test it already made for anomaly mode.

A ``jit`` function does not replay while a profiler records, since a replay runs no op the
profiler could time: recording starts by making every plan stale (the structure count its
guards read), and a capture made while recording is refused, with the jit's warning saying so;
that signature then runs eagerly (every op timed) until ``.reset()``.
"""

from __future__ import annotations

import contextlib
import functools
import re
import sys
import threading
import time
import traceback
import warnings

import numpy as np

from . import function as _function
from . import graph
from .profiler_util import EventList, FunctionEvent, FunctionEventAvg  # noqa: F401

__all__ = ["profile", "record_function", "emit_nvtx", "emit_itt", "EventList",
           "FunctionEvent", "FunctionEventAvg"]

# Op classes whose PyTorch counterpart is one obvious aten op.
ATEN_NAMES = {
    "Abs": "abs", "Acos": "acos", "Acosh": "acosh", "Add": "add", "AsStrided": "as_strided",
    "Asin": "asin", "Asinh": "asinh", "Atan": "atan", "Atan2": "atan2", "Atanh": "atanh",
    "BatchNorm": "batch_norm", "Bernoulli": "bernoulli",
    "BinaryCrossEntropy": "binary_cross_entropy", "Binomial": "binomial", "CDist": "cdist",
    "Cast": "to", "Cat": "cat", "Ceil": "ceil", "Cholesky": "linalg_cholesky",
    "CholeskyInverse": "cholesky_inverse", "CholeskySolve": "cholesky_solve", "Clamp": "clamp",
    "Clone": "clone", "Col2Im": "col2im", "ConstantPad": "constant_pad_nd", "Copy": "copy_",
    "Copysign": "copysign", "Cos": "cos", "Cosh": "cosh", "Cross": "linalg_cross",
    "CrossEntropy": "cross_entropy_loss", "Cumprod": "cumprod", "Cumsum": "cumsum",
    "Determinant": "linalg_det", "Diag": "diag", "Diagonal": "diagonal", "Digamma": "digamma",
    "Div": "div", "Dropout": "dropout", "Einsum": "einsum", "Embedding": "embedding",
    "Entr": "special_entr", "Erf": "erf", "Erfc": "erfc", "Erfcx": "special_erfcx",
    "Erfinv": "erfinv", "Exp": "exp", "Exp2": "exp2", "Expand": "expand", "Expm1": "expm1",
    "Fill": "fill_", "Flip": "flip", "Floor": "floor", "Fmod": "fmod", "Frexp": "frexp",
    "GELU": "gelu", "GRUSequence": "gru", "Gather": "gather", "GridSample": "grid_sampler",
    "Hypot": "hypot", "I0": "i0", "I0e": "special_i0e", "I1": "special_i1",
    "I1e": "special_i1e", "Igamma": "igamma", "Im2Col": "im2col", "IndexAdd": "index_add",
    "IndexSelect": "index_select", "Inverse": "linalg_inv", "LSTMSequence": "lstm",
    "LU": "linalg_lu", "LUFactor": "linalg_lu_factor", "LUSolve": "linalg_lu_solve",
    "LayerNorm": "layer_norm", "Ldexp": "ldexp", "Lerp": "lerp", "Lgamma": "lgamma",
    "Linear": "linear", "Log": "log", "Log10": "log10", "Log1p": "log1p", "Log2": "log2",
    "LogAbsDeterminant": "linalg_slogdet", "LogAddExp": "logaddexp",
    "LogNdtr": "special_log_ndtr", "LogSoftmax": "log_softmax", "LogSumExp": "logsumexp",
    "Logcumsumexp": "logcumsumexp", "Logit": "logit", "MatMul": "matmul",
    "MatrixExp": "linalg_matrix_exp", "Max": "max", "Maximum": "maximum", "Mean": "mean",
    "Min": "min", "Minimum": "minimum", "Mul": "mul", "Ndtri": "special_ndtri", "Neg": "neg",
    "NextAfter": "nextafter", "Norm": "norm", "Normal": "normal", "Permute": "permute",
    "Poisson": "poisson", "Polygamma": "polygamma", "Pow": "pow", "Prod": "prod",
    "PseudoInverse": "linalg_pinv", "QR": "linalg_qr", "ReLU": "relu",
    "Reciprocal": "reciprocal", "Remainder": "remainder", "Repeat": "repeat",
    "Reshape": "reshape", "Roll": "roll", "Round": "round", "RoundedDiv": "div",
    "Rsqrt": "rsqrt", "SVD": "linalg_svd", "ScatterAdd": "scatter_add",
    "ScatterReduce": "scatter_reduce", "Sigmoid": "sigmoid", "Sign": "sign", "Sin": "sin",
    "SingularValues": "linalg_svdvals", "Sinh": "sinh", "Softmax": "softmax",
    "Solve": "linalg_solve", "Sqrt": "sqrt", "Stack": "stack", "StandardGamma": "_standard_gamma",
    "Std": "std", "Sub": "sub", "Sum": "sum", "SymmetricEigen": "linalg_eigh", "Tan": "tan",
    "Tanh": "tanh", "TriangularSolve": "linalg_solve_triangular", "Trunc": "trunc",
    "Unfold": "unfold", "Unique": "_unique2", "Var": "var", "Where": "where",
    "XLog1pY": "special_xlog1py", "XLogY": "xlogy", "Zeta": "special_zeta",
}
# Ops whose aten name says the number of spatial dims: (name, the argument holding a tuple of
# that length).
_DIMENSIONAL = {"MaxPool": ("max_pool{}d", "kernel_size"),
                "AvgPool": ("avg_pool{}d", "kernel_size"),
                "AdaptiveAvgPool": ("adaptive_avg_pool{}d", "output_size"),
                "AdaptiveMaxPool": ("adaptive_max_pool{}d", "output_size"),
                "Convolution": ("conv{}d", "stride"),
                "ConvolutionTranspose": ("conv_transpose{}d", "stride")}

# ``Derived`` ops (results with no gradient) named by the NumPy function they apply.
_DERIVED = {"equal": "eq", "not_equal": "ne", "less": "lt", "less_equal": "le", "greater": "gt",
            "greater_equal": "ge", "argmax": "argmax", "argmin": "argmin", "isnan": "isnan",
            "isinf": "isinf", "isfinite": "isfinite", "isposinf": "isposinf",
            "isneginf": "isneginf", "isreal": "isreal", "signbit": "signbit", "sign": "sign",
            "logical_not": "logical_not", "invert": "bitwise_not", "any": "any", "all": "all",
            "isclose": "isclose"}

_names: dict[type, str] = {}  # op class -> event name, for ops named by class alone


def op_event_name(cls, arguments=None):
    """The event name of an op of class ``cls`` made with ``arguments``."""
    name = _names.get(cls)
    if name is not None:
        return name
    if cls.__name__ == "GetItem":
        return _indexing_name((arguments or {}).get("index"))
    if cls.__name__ == "Derived":
        function = (arguments or {}).get("function")
        aten = _DERIVED.get(getattr(function, "__name__", None))
        return "aten::" + aten if aten is not None else "tinygrad_bn::Derived"
    dimensional = _DIMENSIONAL.get(cls.__name__)
    if dimensional is not None:
        value = (arguments or {}).get(dimensional[1])
        if isinstance(value, tuple):
            return "aten::" + dimensional[0].format(len(value))
    aten = ATEN_NAMES.get(cls.__name__)
    name = "aten::" + aten if aten is not None else "tinygrad_bn::" + cls.__name__
    if dimensional is None:
        _names[cls] = name
    return name


def _indexing_name(index):
    """PyTorch's first aten op for ``t[index]``: ``aten::index`` with tensor (or list)
    indices, ``aten::select`` when an integer picks along a dim, ``aten::unsqueeze`` for
    ``None`` alone, else ``aten::slice``."""
    items = index if isinstance(index, tuple) else (index,)
    if any(not isinstance(item, (int, slice, type(None), type(Ellipsis))) for item in items):
        return "aten::index"
    if any(isinstance(item, int) for item in items):
        return "aten::select"
    if all(item is None for item in items):
        return "aten::unsqueeze"
    return "aten::slice"


def backward_event_name(node):
    """PyTorch's name of a backward node: ``AddBackward0`` for ``aten::add``'s."""
    if isinstance(node, _function.CustomFunctionNode):
        return node.name + "Backward"
    name = op_event_name(type(node), node.argument_values())
    base = name.split("::", 1)[1]
    if name.startswith("aten::"):
        base = "".join(part[:1].upper() + part[1:] for part in base.strip("_").split("_"))
    return base + "Backward0"


_JIT_REFUSAL = ("a profiler is recording (a replay would run no op it could time); call "
                "reset() on the jit function after profiling to capture it again")
_PACKAGE = re.compile(r"[\\/]tinygrad_bn[\\/]")

_op_apply = graph.Op.__dict__["apply"]
_function_apply = _function.Function.__dict__["apply"]


class _Recorder:
    """The events of one profiling session, as records ``[name, start_ns, end_ns, thread,
    input shapes, bytes made, stack, is a user annotation, parent record, scope]``, made into
    ``FunctionEvent``s by ``events()``."""

    def __init__(self, record_shapes=False, profile_memory=False, with_stack=False):
        self.record_shapes, self.profile_memory = record_shapes, profile_memory
        self.with_stack = with_stack
        self.records: list[list] = []
        self.optimizer_calls: set = set()  # (optimizer id, method) being timed
        self._local = threading.local()
        self.start_ns = time.perf_counter_ns()
        self.wall_start_ns = time.time_ns()
        self.end_ns = None

    def begin(self, name, inputs=(), annotation=False, scope=0):
        open_records = self._local.__dict__.setdefault("open", [])
        shapes = None
        if self.record_shapes:
            shapes = [list(t.shape) if hasattr(t, "shape") else [] for t in inputs]
        stack = _user_stack() if self.with_stack else None
        record = [name, 0, 0, threading.get_native_id(), shapes, 0, stack, annotation,
                  open_records[-1] if open_records else None, scope]
        self.records.append(record)
        open_records.append(record)
        record[1] = time.perf_counter_ns()
        return record

    def end(self, record, result=None, inputs=()):
        record[2] = time.perf_counter_ns()
        if self.profile_memory and result is not None:
            record[5] = _bytes_made(result, inputs)
        open_records = self._local.__dict__.get("open", [])
        if open_records and open_records[-1] is record:
            open_records.pop()
        elif any(entry is record for entry in open_records):
            while open_records.pop() is not record:  # closed out of order: the ones inside too
                pass

    def backward(self, node, grad_output, checked_backward):
        """Run ``node``'s backward (through ``checked_backward`` under anomaly mode) timed as
        PyTorch's two nested events."""
        name = backward_event_name(node)
        outer = self.begin("autograd::engine::evaluate_function: " + name, scope=1)
        inner = self.begin(name, (grad_output,) if self.record_shapes else (), scope=1)
        try:
            if checked_backward is not None:
                return checked_backward(node, grad_output)
            return node.backward(grad_output)
        finally:
            self.end(inner)
            self.end(outer)

    def events(self):
        """The records as an ``EventList`` of ``FunctionEvent``, in start order; a range
        still open is closed at the end of the session."""
        end_ns = self.end_ns if self.end_ns is not None else time.perf_counter_ns()
        made = {}
        events = EventList(profile_memory=self.profile_memory, start_ns=self.wall_start_ns)
        for number, record in enumerate(self.records):
            name, start, end, thread, shapes, memory, stack, annotation, parent, scope = record
            event = FunctionEvent(number, name, thread, (start - self.start_ns) / 1e3,
                                  ((end or end_ns) - self.start_ns) / 1e3, shapes, stack,
                                  memory, annotation, scope)
            made[id(record)] = event
            if parent is not None and id(parent) in made:
                event.cpu_parent = made[id(parent)]
                event.cpu_parent.cpu_children.append(event)
            events.append(event)
        return events


def _root(array):
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _bytes_made(result, inputs):
    """Bytes of the arrays in an op's result that are new memory: not views into an input's
    memory (a result may be a view of an array the op made, e.g. a transposed product)."""
    taken = {id(_root(t._array)) for t in inputs if hasattr(t, "_array")}
    total = 0
    for tensor in result if isinstance(result, (tuple, list)) else (result,):
        array = getattr(tensor, "_array", None)
        if array is not None and id(_root(array)) not in taken:
            total += array.nbytes
    return total


def _user_stack():
    """The caller's frames outside tinygrad_bn, innermost first, as ``file(line): name``."""
    frames = traceback.extract_stack(sys._getframe(2))
    return [f"{frame.filename}({frame.lineno}): {frame.name}" for frame in reversed(frames)
            if not _PACKAGE.search(frame.filename)]


def _profiled_op_apply(cls, *inputs, **arguments):
    recorder = graph.profiler
    if recorder is None:  # recording stopped while this thread was on its way in
        return _op_apply.__func__(cls, *inputs, **arguments)
    graph.untraceable(_JIT_REFUSAL)
    record = recorder.begin(op_event_name(cls, arguments), inputs)
    result = None
    try:
        result = _op_apply.__func__(cls, *inputs, **arguments)
        return result
    finally:
        recorder.end(record, result, inputs)


def _profiled_function_apply(cls, *args, **kwargs):
    recorder = graph.profiler
    if recorder is None:
        return _function_apply.__func__(cls, *args, **kwargs)
    record = recorder.begin(cls.__name__, [a for a in args if isinstance(a, graph.Tensor)])
    result = None
    try:
        result = _function_apply.__func__(cls, *args, **kwargs)
        return result
    finally:
        recorder.end(record, result, args)


def _timed_optimizer_method(name, function):
    """``function`` (an optimizer's ``step`` or ``zero_grad``) as PyTorch's profiler sees it:
    a ``record_function`` range ``Optimizer.step#Adam.step`` around the outermost call (a
    subclass's ``super().step()`` is not a second range)."""

    @functools.wraps(function)
    def timed(self, *args, **kwargs):
        recorder = graph.profiler
        key = (id(self), name)
        if recorder is None or key in recorder.optimizer_calls:
            return function(self, *args, **kwargs)
        recorder.optimizer_calls.add(key)
        record = recorder.begin(f"Optimizer.{name}#{type(self).__name__}.{name}",
                                annotation=True)
        try:
            return function(self, *args, **kwargs)
        finally:
            recorder.end(record)
            recorder.optimizer_calls.discard(key)

    return timed


def _swap_optimizer_methods():
    """Wrap ``step`` and ``zero_grad`` of every optimizer class defined so far; returns what
    to put back. Nothing when ``tinygrad_bn.optim`` was never imported (so no optimizer
    exists)."""
    module = sys.modules.get("tinygrad_bn.optim.optimizer")
    if module is None:
        return []
    originals, pending, seen = [], [module.Optimizer], set()
    while pending:
        cls = pending.pop()
        if cls in seen:
            continue
        seen.add(cls)
        pending.extend(cls.__subclasses__())
        for name in ("step", "zero_grad"):
            if name in cls.__dict__:
                original = cls.__dict__[name]
                originals.append((cls, name, original))
                setattr(cls, name, _timed_optimizer_method(name, original))
    return originals


_session_lock = threading.Lock()
_swapped_optimizer_methods: list = []


def start_recording(recorder):
    """Make ``recorder`` the process's recording profiler: swap in the timing ``apply``s and
    make jit plans stale. One records at a time."""
    with _session_lock:
        if graph.profiler is not None:
            raise RuntimeError("Can't profile: another profiler is already recording "
                               "(tinygrad_bn records one profiling session at a time)")
        graph.profiler = recorder
        graph.Op.apply = classmethod(_profiled_op_apply)
        _swapped_optimizer_methods[:] = _swap_optimizer_methods()
        _function.Function.apply = classmethod(_profiled_function_apply)
        graph._Structure.count += 1  # jit plans miss, and captures are refused while recording


def stop_recording(recorder):
    """Put the original ``apply``s back; ``recorder`` keeps what it recorded."""
    with _session_lock:
        if graph.profiler is not recorder:
            return
        recorder.end_ns = time.perf_counter_ns()
        graph.Op.apply = _op_apply
        _function.Function.apply = _function_apply
        for cls, name, original in reversed(_swapped_optimizer_methods):
            setattr(cls, name, original)
        _swapped_optimizer_methods.clear()
        graph.profiler = None


def _not_finished():
    return RuntimeError("Profiler didn't finish running")


class profile:
    """``torch.autograd.profiler.profile``: records while its ``with`` block runs (when
    ``enabled``); then ``function_events`` (an ``EventList``), ``key_averages()``,
    ``table()``, ``export_chrome_trace()``, ``self_cpu_time_total`` and ``total_average()``.
    ``use_cuda``/``use_device`` other than the CPU warn and record the CPU, as a PyTorch
    without the device does."""

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False,
                 with_flops=False, profile_memory=False, with_stack=False, with_modules=False,
                 use_kineto=False, use_cpu=True, experimental_config=None, acc_events=False,
                 custom_trace_id_callback=None, post_processing_timeout_s=None,
                 activity_filters=None):
        if use_cuda:
            warnings.warn("The attribute `use_cuda` will be deprecated soon, please use "
                          "``use_device = 'cuda'`` instead.", FutureWarning, stacklevel=2)
            use_device = "cuda"
        if use_device not in (None, "cpu"):  # as PyTorch without the device: CPU only
            name = "CUDA" if use_device == "cuda" else str(use_device)
            warnings.warn(f"{name} is not available, disabling {name} profiling", stacklevel=2)
        self.enabled = enabled
        self.record_shapes, self.profile_memory = record_shapes, profile_memory
        self.with_stack, self.with_flops, self.with_modules = with_stack, with_flops, with_modules
        self.use_device = None
        self.entered = False
        self._recorder = None
        self._function_events = None

    def __enter__(self):
        if not self.enabled:
            return self
        if self.entered:
            raise RuntimeError("Profiler context manager is not reentrant")
        self.entered = True
        self._recorder = _Recorder(self.record_shapes, self.profile_memory, self.with_stack)
        start_recording(self._recorder)
        return self

    def __exit__(self, exc_type, exc_value, traceback_):
        if not self.enabled:
            return
        stop_recording(self._recorder)
        self._function_events = self._recorder.events()
        self.entered = False

    @property
    def function_events(self):
        return self._function_events

    def _events(self):
        if self._function_events is None:
            if self.entered:  # inside the with block
                raise _not_finished()
            return EventList()  # never run (or not enabled): no events, as PyTorch
        return self._function_events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        return self._events().key_averages(group_by_input_shape, group_by_stack_n,
                                           group_by_overload_name)

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75,
              max_name_column_width=55, max_shapes_column_width=80, header=None,
              top_level_events_only=False, time_unit=None):
        return self._events().table(sort_by, row_limit, max_src_column_width,
                                    max_name_column_width, max_shapes_column_width, header,
                                    top_level_events_only, time_unit)

    def export_chrome_trace(self, path):
        self._events().export_chrome_trace(path)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        self._events().export_stacks(path, metric)

    def total_average(self):
        return self._events().total_average()

    @property
    def self_cpu_time_total(self):
        return self._events().self_cpu_time_total

    def __str__(self):
        return self.table()


class record_function(contextlib.ContextDecorator):
    """A named range in the profile (``with record_function("data"):`` or as a decorator);
    costs one global read when no profiler records. ``args`` is kept as in PyTorch (shown
    nowhere)."""

    def __init__(self, name: str, args: str | None = None):
        self.name, self.args = name, args
        self.run_callbacks_on_exit = True
        self._entry = None

    def _recreate_cm(self):
        # A decorated function's calls (recursive, or from several threads) each get their
        # own range.
        return record_function(self.name, self.args)

    def __enter__(self):
        recorder = graph.profiler
        if recorder is not None:
            self._entry = (recorder, recorder.begin(self.name, annotation=True))
        return self

    def __exit__(self, exc_type, exc_value, traceback_):
        entry, self._entry = self._entry, None
        if entry is not None and self.run_callbacks_on_exit:
            entry[0].end(entry[1])
        return False


class emit_nvtx:
    """``torch.autograd.profiler.emit_nvtx``: NVTX ranges for NVIDIA's profilers. As on a
    CPU-only PyTorch, entering it raises ``AssertionError("Torch not compiled with CUDA
    enabled")``; ``enabled=False`` makes it a no-op."""

    def __init__(self, enabled=True, record_shapes=False):
        self.enabled, self.record_shapes = enabled, record_shapes

    def __enter__(self):
        if self.enabled:
            raise AssertionError("Torch not compiled with CUDA enabled")
        return self

    def __exit__(self, *exc_info):
        return False


class emit_itt:
    """``torch.autograd.profiler.emit_itt``: ranges for Intel VTune's ITT API. tinygrad_bn
    has no ITT binding, so it records nothing (as PyTorch where VTune is not attached)."""

    def __init__(self, enabled=True, record_shapes=False):
        self.enabled, self.record_shapes = enabled, record_shapes

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False

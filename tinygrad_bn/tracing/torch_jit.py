"""``tinygrad_bn.jit`` as PyTorch's ``torch.jit`` namespace, while staying this framework's own
trace-and-replay decorator: ``tg.jit(step)`` / ``@tg.jit(max_plans=4)`` capture and replay
exactly as ``tinygrad_bn.tracing`` describes, and ``tg.jit.script``, ``tg.jit.trace``,
``tg.jit.save``... are the names programs written for PyTorch call.

There is no TorchScript compiler here. ``script`` and ``trace`` return objects of PyTorch's
types (``ScriptModule``, ``ScriptFunction``) that run the same Python code eagerly, so they
compute what eager PyTorch computes; what TorchScript would add (a compiled IR, ``.code``,
``.graph``, type checking of the source, frozen control flow in a trace, a C++-loadable archive)
is not made. In particular:

- ``script(module)`` returns a ``RecursiveScriptModule`` that shares the module's parameters and
  buffers (the same tensors, as PyTorch's) and has its own ``training`` flag; submodules are
  converted likewise, so ``state_dict()`` has the original's keys, plus (as PyTorch's) the
  non-persistent buffers, which a script module does not tell apart. Its class is a subclass of
  the original class too, so ``isinstance(scripted, MyNet)`` is True (False in PyTorch).
- ``trace(fn, example_inputs)`` calls ``fn`` once on the example inputs (PyTorch calls it up to
  three times with ``check_trace=True``, tracing twice and running the Python once to compare),
  with ``is_tracing()`` True during that call. The result re-runs the Python on every call, so
  data-dependent branches follow the new inputs, where PyTorch's trace replays the branch taken
  on the example; no ``TracerWarning`` is given for ``.item()`` or Python branches on tensors.
- ``save``/``load`` write and read a pickle of the whole object through
  ``tinygrad_bn.save``/``load``: files round-trip within tinygrad_bn only; a TorchScript archive
  written by PyTorch is refused with a ``RuntimeError`` saying so. ``load`` runs the pickle's
  code (as ``tinygrad_bn.load(..., weights_only=False)``): load only files you trust.
- ``.code``, ``.graph``, ``.inlined_graph``, ``.schema`` and ``_c`` are left out, since no
  TorchScript IR exists to show; reading them raises ``AttributeError`` saying so.
"""

from __future__ import annotations

import contextlib
import copy
import os
import sys
import threading
import types
import typing
import warnings
import zipfile
from typing import Any, Callable

from ..nn.module import Module, Parameter
from .capture import TracerWarning
from .jit_function import jit as _trace_and_replay

__all__ = ["script", "trace", "trace_module", "ignore", "unused", "export", "is_scripting",
           "is_tracing", "Final", "annotate", "ScriptModule", "RecursiveScriptModule",
           "TopLevelTracedModule", "TracedModule", "ScriptFunction", "save", "load", "freeze",
           "optimize_for_inference", "fork", "wait", "Future", "interface",
           "set_fusion_strategy", "enable_onednn_fusion", "onednn_fusion_enabled",
           "script_if_tracing", "script_method", "TracerWarning", "Attribute", "ScriptWarning",
           "optimized_execution"]

Final = typing.Final

_NO_IR = ("tinygrad_bn has no TorchScript compiler: a scripted or traced {kind} runs its Python "
          "code eagerly, so there is no TorchScript {name} to show")


def _no_ir(name):
    """A property that raises ``AttributeError`` saying why ``name`` (``code``, ``graph``...) is
    missing, so ``hasattr`` is False and a reader learns the reason."""
    def missing(self):
        kind = "function" if isinstance(self, ScriptFunction) else "module"
        raise AttributeError(_NO_IR.format(kind=kind, name=name))
    return property(missing, doc=f"Not available: {_NO_IR.format(kind='object', name=name)}.")


_IR_NAMES = ("code", "code_with_constants", "graph", "inlined_graph", "schema", "_c")


# ------------------------------------------------------------------ tracing state

_state = threading.local()


def is_scripting() -> bool:
    """False: nothing here runs as TorchScript (PyTorch's is True only inside compiled code)."""
    return False


def is_tracing() -> bool:
    """True while ``trace`` or ``trace_module`` runs the function on its example inputs (in
    this thread), as PyTorch's; False otherwise, including inside ``tinygrad_bn.jit``
    captures."""
    return getattr(_state, "tracing", 0) > 0


# ------------------------------------------------------------------ markers

def export(fn: Callable) -> Callable:
    """``@torch.jit.export``: marks a method to be compiled with the module. Every method runs
    as Python here, so this only sets PyTorch's marker and returns ``fn``."""
    fn._torchscript_modifier = "export"
    return fn


def ignore(drop: Any = False, **kwargs: Any) -> Any:
    """``@torch.jit.ignore`` or ``@torch.jit.ignore(drop=True)``: leaves a method as Python in
    a scripted module. Everything stays Python here, so it marks ``fn`` and returns it."""
    if callable(drop):
        drop._torchscript_modifier = "ignore"
        return drop
    if not isinstance(drop, bool):
        raise RuntimeError(
            f"Argument to @torch.jit.ignore must be a bool or a function but got {drop}")

    if drop:
        warnings.warn("ignore(True) has been deprecated. TorchScript will now drop the function "
                      "call on compilation. Use torch.jit.unused now. {}", FutureWarning,
                      stacklevel=2)

    def decorator(fn):
        fn._torchscript_modifier = "unused" if drop else "ignore"
        return fn
    return decorator


def unused(fn: Callable) -> Callable:
    """``@torch.jit.unused``: a method the compiler skips. As in PyTorch, calling it from
    Python still runs it; this marks ``fn`` and returns it."""
    if isinstance(fn, property):
        for accessor in (fn.fget, fn.fset):
            if accessor is not None:
                accessor._torchscript_modifier = "unused"
        return fn
    fn._torchscript_modifier = "unused"
    return fn


def interface(obj: type) -> type:
    """``@torch.jit.interface``: declares a module or class interface for TorchScript; the class
    is returned unchanged."""
    _deprecated(_DEPRECATED_USE_COMPILE, "interface")
    if not isinstance(obj, type):
        raise RuntimeError("interface must be applied to a class")
    return obj


def annotate(the_type: Any, the_value: Any) -> Any:
    """``torch.jit.annotate(type, value)``: a type hint for the compiler; returns ``the_value``."""
    return the_value


class Attribute(typing.NamedTuple):
    """``torch.jit.Attribute(value, type)``: a module attribute with its TorchScript type. As
    in eager PyTorch it is a named tuple ``(value, type)``; nothing reads the type here."""
    value: Any
    type: Any


class ScriptWarning(Warning):
    """PyTorch's warning category for TorchScript's own warnings (none are given here)."""


def jit_isinstance(obj: Any, target_type: Any) -> bool:
    """``torch.jit.isinstance(obj, List[int])`` (``tinygrad_bn.jit.isinstance``):
    ``isinstance`` that also checks the element types of ``List``, ``Dict``, ``Tuple``,
    ``Optional`` and ``Union`` (every element, as PyTorch's eager check; an empty container
    matches any element type)."""
    origin = typing.get_origin(target_type)
    arguments = typing.get_args(target_type)
    if origin is None:
        return isinstance(obj, target_type)
    if origin is typing.Union or origin is types.UnionType:
        return any(jit_isinstance(obj, option) for option in arguments)
    if origin is list:
        return isinstance(obj, list) and all(jit_isinstance(item, arguments[0]) for item in obj)
    if origin is dict:
        return isinstance(obj, dict) and all(
            jit_isinstance(key, arguments[0]) and jit_isinstance(value, arguments[1])
            for key, value in obj.items())
    if origin is tuple:
        return (isinstance(obj, tuple) and len(obj) == len(arguments)
                and all(jit_isinstance(item, kind) for item, kind in zip(obj, arguments)))
    return isinstance(obj, origin)


@contextlib.contextmanager
def optimized_execution(should_optimize: bool) -> Any:
    """``with torch.jit.optimized_execution(False):`` switches TorchScript's graph optimiser;
    nothing is optimised here, so the block just runs."""
    yield


def script_method(fn: Callable) -> Callable:
    """``@torch.jit.script_method`` on a method of a ``ScriptModule`` subclass (PyTorch's
    older API): the method stays Python, so ``fn`` is returned."""
    return fn


def script_if_tracing(fn: Callable) -> Callable:
    """``@torch.jit.script_if_tracing``: scripts ``fn`` lazily when called under tracing. As
    scripting changes nothing here, ``fn`` itself is returned."""
    return fn


# ------------------------------------------------------------------ script functions and modules

class ScriptFunction:
    """What ``script(fn)`` and ``trace(fn, inputs)`` return: calls ``fn`` (PyTorch runs the
    compiled graph; the results are the same). ``name`` is the function's name; ``save(f)``
    writes it as ``jit.save`` does (a module-level function pickles by reference)."""

    def __init__(self, fn: Callable) -> None:
        self._fn = fn
        self.name = getattr(fn, "__name__", type(fn).__name__)
        self.qualified_name = (f"{getattr(fn, '__module__', '__main__')}."
                               f"{getattr(fn, '__qualname__', self.name)}")
        self.__doc__ = getattr(fn, "__doc__", None)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._fn(*args, **kwargs)

    def save(self, f: Any) -> None:
        """Write this function to ``f`` as ``jit.save(self, f)``."""
        _save(self, f)

    def __repr__(self):
        return f"<tinygrad_bn.jit.ScriptFunction object at {hex(id(self))}>"


for _name in _IR_NAMES:
    setattr(ScriptFunction, _name, _no_ir(_name))


class ScriptModule(Module):
    """The type of a scripted or traced module (``isinstance(m, torch.jit.ScriptModule)``).
    ``script``/``trace`` make instances of a subclass that also derives from the module's own
    class, so ``forward`` and every method run the original Python. ``original_name`` is the
    original class's name; ``save(f)`` is ``jit.save(self, f)``."""

    @property
    def original_name(self) -> str:
        """The name of the class this module was made from (PyTorch's ``original_name``)."""
        return self.__dict__.get("_original_name", type(self).__name__)

    def save(self, f: Any) -> None:
        """Write this module to ``f`` as ``jit.save(self, f)``."""
        _save(self, f)

    def __repr__(self):
        children = list(self.named_children())
        kind = _script_kind(type(self))
        head = f"{self.original_name if issubclass(kind, TracedModule) else kind.__name__}("
        if not children:
            return f"{head}original_name={self.original_name})"
        lines = [head, f"  original_name={self.original_name}"]
        for name, child in children:
            text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {text}")
        return "\n".join(lines) + "\n)"

    def __reduce__(self):
        kind = _script_kind(type(self))
        original = [c for c in type(self).__mro__[1:] if not issubclass(c, ScriptModule)][0]
        return _rebuild_script_module, (kind, original, self.__dict__)


for _name in _IR_NAMES:
    setattr(ScriptModule, _name, _no_ir(_name))


class RecursiveScriptModule(ScriptModule):
    """What ``script(module)`` returns, and the submodules of a scripted module."""


class TracedModule(ScriptModule):
    """The submodules of a traced module."""


class TopLevelTracedModule(TracedModule):
    """What ``trace(module, inputs)`` returns."""


_KINDS = (RecursiveScriptModule, TopLevelTracedModule, TracedModule)
_classes: dict[tuple[type, type], type] = {}


def _script_kind(cls):
    """The PyTorch type (``RecursiveScriptModule``...) a converted class stands for."""
    for kind in _KINDS:
        if issubclass(cls, kind):
            return kind
    return ScriptModule


def _script_class(kind, original):
    """The class of a converted ``original`` instance: ``kind`` first in the MRO (its
    ``repr``, ``save``, missing ``code``), then ``original`` (``forward`` and every method)."""
    key = (kind, original)
    if key not in _classes:
        _classes[key] = type(kind.__name__, (kind, original),
                             {"__module__": __name__, "__qualname__": kind.__name__})
    return _classes[key]


def _rebuild_script_module(kind, original, state):
    """Unpickle a converted module: its class made again from ``kind`` and ``original``."""
    module = object.__new__(_script_class(kind, original))
    module.__dict__.update(state)
    return module


def _convert(module, kind, child_kind, memo):
    """A converted copy of ``module`` sharing its parameters, buffers and other attribute
    values; submodules converted as ``child_kind`` (once each, so sharing is kept). Lists,
    dicts and sets are copied so that registering on one does not register on the other."""
    if id(module) in memo:
        return memo[id(module)]
    if isinstance(module, ScriptModule):
        return module
    if issubclass(kind, TracedModule) and _has_exported_method(type(module)):
        kind = child_kind = RecursiveScriptModule  # PyTorch scripts such a module in a trace
    converted = object.__new__(_script_class(kind, type(module)))
    memo[id(module)] = converted
    state = {}
    for name, value in module.__dict__.items():
        if isinstance(value, Module):
            value = _convert(value, child_kind, child_kind, memo)
        elif name == "_modules" and isinstance(value, dict):
            value = type(value)((key, _convert(child, child_kind, child_kind, memo)
                                 if isinstance(child, Module) else child)
                                for key, child in value.items())
        elif isinstance(value, (list, dict, set)):
            value = copy.copy(value)
        state[name] = value
    state["_original_name"] = type(module).__name__
    # PyTorch's script modules keep no persistent flag: state_dict() holds every buffer
    state["_non_persistent_buffers"] = set()
    converted.__dict__.update(state)
    return converted


def _has_exported_method(cls):
    """Whether a class below ``Module`` has a method marked by ``export``."""
    return any(getattr(value, "_torchscript_modifier", None) == "export"
               for klass in cls.__mro__ if klass not in Module.__mro__
               for value in vars(klass).values())


_DEPRECATED = "`torch.jit.{0}` is deprecated. Please switch to `torch.compile` or `torch.export`."
_DEPRECATED_USE_COMPILE = "`torch.jit.{0}` is deprecated. Please use `torch.compile` instead."
_DEPRECATED_USE_EXPORT = "`torch.jit.{0}` is deprecated. Please switch to `torch.export`."


def _deprecated(message, name):
    """PyTorch's ``DeprecationWarning`` for ``torch.jit.<name>``, pointing at the caller's
    caller (the user's line)."""
    warnings.warn(message.format(name), DeprecationWarning, stacklevel=3)


def script(obj: Any, optimize: Any = None, _frames_up: int = 0, _rcb: Any = None,
           example_inputs: Any = None) -> Any:
    """``torch.jit.script``: a Module becomes a ``RecursiveScriptModule`` sharing its
    parameters and buffers (see this file's docstring), a function becomes a
    ``ScriptFunction`` that calls it, a class is returned unchanged, and a ScriptModule or
    ScriptFunction is returned as is. Gives PyTorch's ``DeprecationWarning``. Nothing is
    compiled: the source is not type-checked, so code TorchScript rejects runs here."""
    _deprecated(_DEPRECATED, "script")
    if isinstance(obj, (ScriptModule, ScriptFunction)):
        return obj
    if isinstance(obj, Module):
        return _convert(obj, RecursiveScriptModule, RecursiveScriptModule, {})
    if isinstance(obj, type):
        if obj.__module__ == "builtins":
            raise TypeError(f"{obj} is a built-in class")
        return obj
    if isinstance(obj, (types.FunctionType, types.MethodType, types.BuiltinFunctionType)):
        return ScriptFunction(obj)
    if type(obj).__module__ == "builtins":
        raise TypeError(f"{type(obj)} is a built-in class")
    raise RuntimeError(f"tinygrad_bn.jit.script: cannot script an object of type "
                       f"{type(obj).__name__}: expected a Module, a function or a class")


def _example_arguments(example_inputs, example_kwarg_inputs):
    """PyTorch's normalisation: a tensor or dict is one argument, a tuple is the arguments, any
    other iterable becomes a tuple."""
    from ..tensor.core import Tensor
    if example_kwarg_inputs is not None:
        if not isinstance(example_kwarg_inputs, dict):
            raise RuntimeError("example_kwarg_inputs should be a dict")
        return (), dict(example_kwarg_inputs)
    if example_inputs is None:
        raise TypeError("'NoneType' object is not iterable")
    if isinstance(example_inputs, (Tensor, dict)):
        return (example_inputs,), {}
    if not isinstance(example_inputs, tuple):
        return tuple(example_inputs), {}
    return example_inputs, {}


def _traceable(value):
    """Whether ``value`` is what PyTorch's trace can return: a tensor, or lists, tuples and
    dicts of them."""
    from ..tensor.core import Tensor
    if isinstance(value, Tensor):
        return True
    if isinstance(value, (list, tuple)):
        return all(_traceable(item) for item in value)
    if isinstance(value, dict):
        return all(_traceable(item) for item in value.values())
    return False


def _holds_dict(value):
    """Whether a traced result holds a dict (refused with ``strict=True``, as in PyTorch)."""
    if isinstance(value, dict):
        return True
    return isinstance(value, (list, tuple)) and any(_holds_dict(item) for item in value)


_DICT_OUTPUT = (
    "Encountering a dict at the output of the tracer might cause the trace to be incorrect, "
    "this is only valid if the container structure does not change based on the module's "
    "inputs. Consider using a constant container instead (e.g. for `list`, use a `tuple` "
    "instead. for `dict`, use a `NamedTuple` instead). If you absolutely need this and know "
    "the side effects, pass strict=False to trace() to allow this behavior.")


def _traced_call(fn, args, kwargs, strict=True):
    """``fn(*args, **kwargs)`` with ``is_tracing()`` True; its result must be ``_traceable``,
    not None, and with ``strict`` hold no dict (PyTorch's ``RuntimeError``s otherwise)."""
    _state.tracing = getattr(_state, "tracing", 0) + 1
    try:
        result = fn(*args, **kwargs)
    finally:
        _state.tracing -= 1
    if result is None:
        raise RuntimeError("The traced function didn't return any values! Side-effects are not "
                           "captured in traces, so it would be a no-op.")
    if not _traceable(result):
        raise RuntimeError("Only tensors, lists, tuples of tensors, or dictionary of tensors "
                           "can be output from traced functions")
    if strict and _holds_dict(result):
        raise RuntimeError(_DICT_OUTPUT)
    return result


def trace(func: Any, example_inputs: Any = None, optimize: Any = None, check_trace: bool = True,
          check_inputs: Any = None, check_tolerance: float = 1e-5, strict: bool = True,
          _force_outplace: bool = False, _module_class: Any = None,
          _compilation_unit: Any = None, example_kwarg_inputs: Any = None,
          _store_inputs: bool = True) -> Any:
    """``torch.jit.trace``: calls ``func`` once on the example inputs with ``is_tracing()``
    True (a Module through ``__call__``, so its hooks run and training-mode layers update their
    running statistics), then returns a ``TopLevelTracedModule`` sharing a Module's parameters,
    or a ``ScriptFunction`` calling a function. No graph is recorded: every later call runs the
    Python again, so unlike PyTorch's trace, branches on data follow each call's inputs.
    ``check_trace`` and its options are accepted and have nothing to check (the result is the
    Python itself). As PyTorch's, the example call must return tensors or lists, tuples (and,
    with ``strict=False``, dicts) of them, else ``RuntimeError``; PyTorch's further check that
    a list's elements share one type is not made. Gives PyTorch's ``DeprecationWarning``."""
    _deprecated(_DEPRECATED, "trace")
    if isinstance(func, ScriptModule):
        warnings.warn("The input to trace is already a ScriptModule, tracing it is a no-op. "
                      "Returning the object as is.", stacklevel=2)
        return func
    args, kwargs = _example_arguments(example_inputs, example_kwarg_inputs)
    if isinstance(func, Module):
        _traced_call(func, args, kwargs, strict)
        return _convert(func, TopLevelTracedModule, TracedModule, {})
    if isinstance(func, ScriptFunction):
        return func
    if not callable(func):
        raise RuntimeError("Could not get name of python class object")
    _traced_call(func, args, kwargs, strict)
    return ScriptFunction(func)


def trace_module(mod: Module, inputs: dict[str, Any], optimize: Any = None,
                 check_trace: bool = True, check_inputs: Any = None,
                 check_tolerance: float = 1e-5, strict: bool = True,
                 _force_outplace: bool = False, _module_class: Any = None,
                 _compilation_unit: Any = None, example_inputs_is_kwarg: bool = False,
                 _store_inputs: bool = True) -> Any:
    """``torch.jit.trace_module``: calls each named method of ``mod`` once on its example
    inputs (``{"forward": x, "encode": (a, b)}``) with ``is_tracing()`` True, then returns a
    ``TopLevelTracedModule`` as ``trace`` does."""
    if not isinstance(mod, Module):
        raise AttributeError("expected torch.nn.Module as the first argument")
    _deprecated(_DEPRECATED, "trace_method")
    if not isinstance(inputs, dict):
        raise AttributeError("expected a dictionary of (method_name, input) pairs")
    for method_name, example in inputs.items():
        if example_inputs_is_kwarg:
            args, kwargs = _example_arguments(None, example)
        else:
            args, kwargs = _example_arguments(example, None)
        method = mod if method_name == "forward" else getattr(mod, method_name)
        _traced_call(method, args, kwargs, strict)
    return _convert(mod, TopLevelTracedModule, TracedModule, {})


# ------------------------------------------------------------------ freezing

def freeze(mod: ScriptModule, preserved_attrs: list[str] | None = None,
           optimize_numerics: bool = True) -> ScriptModule:
    """``torch.jit.freeze``: a copy of an eval-mode ScriptModule whose parameters and buffers
    are constants, as PyTorch's: detached copies of their values held as plain attributes, so
    ``parameters()``, ``buffers()`` and ``state_dict()`` are empty and later changes to the
    original do not reach the copy. Every method is kept (``preserved_attrs`` has nothing to
    preserve); no constant folding or fusion is done. Unlike PyTorch's frozen module (which has
    no ``training`` attribute) the copy keeps ``training`` False."""
    _deprecated(_DEPRECATED_USE_COMPILE, "freeze")
    if not isinstance(mod, ScriptModule):
        raise RuntimeError(
            "Freezing expects a ScriptModule as input. Please use torch.jit.script or "
            "torch.jit.trace to script your 'nn.Module'.")
    if mod.training:
        raise RuntimeError(
            "Freezing is currently only implemented for modules in eval mode. Please call "
            ".eval() on your module before freezing.")
    frozen = _convert_frozen(mod, {})
    return frozen


def _convert_frozen(module, memo):
    """A RecursiveScriptModule copy of ``module`` with parameters and buffers as constants."""
    if id(module) in memo:
        return memo[id(module)]
    original = [c for c in type(module).__mro__ if not issubclass(c, ScriptModule)][0]
    frozen = object.__new__(_script_class(RecursiveScriptModule, original))
    memo[id(module)] = frozen
    buffers = module.__dict__.get("_buffer_names", ())
    state = {}
    for name, value in module.__dict__.items():
        if isinstance(value, Module):
            value = _convert_frozen(value, memo)
        elif name == "_modules" and isinstance(value, dict):
            value = type(value)((key, _convert_frozen(child, memo)
                                 if isinstance(child, Module) else child)
                                for key, child in value.items())
        elif isinstance(value, Parameter) or (name in buffers and value is not None):
            value = value.detach().clone()
        elif isinstance(value, (list, dict, set)):
            value = copy.copy(value)
        state[name] = value
    state["_buffer_names"] = []
    state["_non_persistent_buffers"] = set()
    frozen.__dict__.update(state)
    return frozen


def optimize_for_inference(mod: ScriptModule,
                           other_methods: list[str] | None = None) -> ScriptModule:
    """``torch.jit.optimize_for_inference``: as PyTorch's, puts ``mod`` in eval mode and
    returns ``freeze(mod)``; the graph rewrites PyTorch then runs (conv-batchnorm folding,
    MKLDNN layouts) do not exist here, so the numbers are eager PyTorch's."""
    _deprecated(_DEPRECATED_USE_COMPILE, "optimize_for_inference")
    if not isinstance(mod, ScriptModule):
        raise RuntimeError(
            "optimize_for_inference expects a ScriptModule as input. Please use "
            "torch.jit.script or torch.jit.trace to script your 'nn.Module'.")
    return freeze(mod.eval(), preserved_attrs=other_methods)


# ------------------------------------------------------------------ save and load

def save(m: Any, f: Any) -> None:
    """``torch.jit.save``: writes a ScriptModule or ScriptFunction to ``f`` (a path or binary
    file object) as ``tinygrad_bn.save`` pickles a whole object. The file is read back by
    ``jit.load`` in tinygrad_bn only: it is not a TorchScript archive. As in PyTorch, anything
    else is an ``AttributeError`` (a plain Module has no ``save``)."""
    _deprecated(_DEPRECATED_USE_EXPORT, "save")
    _save(m, f)


def _save(m, f):
    """``jit.save`` without its warning (``m.save(f)`` gives none in PyTorch)."""
    from ..serialization import save as save_object
    if not isinstance(m, (ScriptModule, ScriptFunction)):
        method = "save_to_buffer" if hasattr(f, "write") else "save"
        raise AttributeError(f"'{type(m).__name__}' object has no attribute '{method}'")
    save_object(m, f, format="npz")  # a whole object is pickled, whatever the path's suffix


def _is_torchscript_archive(f):
    """Whether ``f`` is a zip that PyTorch's ``torch.jit.save`` wrote (it holds
    ``constants.pkl`` and ``code/``)."""
    start = f.tell() if hasattr(f, "tell") else None
    try:
        with zipfile.ZipFile(f) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        if start is not None:
            f.seek(start)
    return any(name.endswith("/constants.pkl") or "/code/" in name for name in names)


def load(f: Any, map_location: Any = None, _extra_files: Any = None,
         _restore_shapes: bool = False) -> Any:
    """``torch.jit.load``: reads what ``jit.save`` wrote. The file is unpickled with
    ``weights_only=False`` (it runs the code it names, as a TorchScript archive runs its code):
    load only files you trust. A TorchScript archive written by PyTorch raises
    ``RuntimeError``: there is no TorchScript interpreter here. A missing path or a folder
    raises PyTorch's ``ValueError``; a file holding anything but a scripted or traced module
    or function raises ``RuntimeError``."""
    from ..serialization import load as load_object
    _deprecated(_DEPRECATED_USE_EXPORT, "load")
    if not hasattr(f, "read"):
        path = os.fspath(f)
        if not os.path.exists(path):
            raise ValueError(f"The provided filename {path} does not exist")
        if os.path.isdir(path):
            raise ValueError(f"The provided filename {path} is a directory")
        name = path
    else:
        name = getattr(f, "name", None) or "the file object"
    if _is_torchscript_archive(f):
        raise RuntimeError(
            f"{name} is a TorchScript archive written by PyTorch's torch.jit.save: tinygrad_bn "
            "has no TorchScript interpreter and cannot run its code. Save the model's "
            "state_dict in PyTorch (torch.save(model.state_dict(), path) or "
            "safetensors.torch.save_file) and load it into the same model class here")
    loaded = load_object(f, weights_only=False)
    if not isinstance(loaded, (ScriptModule, ScriptFunction)):
        raise RuntimeError(
            f"{name} holds a {type(loaded).__name__}, not a module or function written by "
            "tinygrad_bn.jit.save: read it with tinygrad_bn.load")
    return loaded


# ------------------------------------------------------------------ fork/wait and settings

class Future:
    """What ``fork`` returns: the value of a call already made. ``wait()`` and ``value()``
    return it; ``done()`` is True (as for PyTorch's eager ``fork``, which runs the call at
    once)."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def wait(self) -> Any:
        """The call's result."""
        return self._value

    def value(self) -> Any:
        """The call's result."""
        return self._value

    def done(self) -> bool:
        """True: the call has run."""
        return True

    def then(self, callback: Callable[[Future], Any]) -> Future:
        """A Future holding ``callback(self)``."""
        return Future(callback(self))


def fork(func: Callable, *args: Any, **kwargs: Any) -> Future:
    """``torch.jit.fork``: outside TorchScript PyTorch runs ``func(*args, **kwargs)`` at once
    and wraps its value in a Future; so does this. An exception propagates from ``fork``."""
    _deprecated(_DEPRECATED_USE_COMPILE, "fork")
    return Future(func(*args, **kwargs))


def wait(future: Future) -> Any:
    """``torch.jit.wait``: the value of a Future from ``fork``."""
    _deprecated(_DEPRECATED_USE_COMPILE, "wait")
    return future.wait()


_fusion = {"strategy": [("STATIC", 2), ("DYNAMIC", 10)], "onednn": False}


def set_fusion_strategy(strategy: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """``torch.jit.set_fusion_strategy``: records how many specialisations TorchScript's fuser
    would make and returns the previous setting (PyTorch's default
    ``[("STATIC", 2), ("DYNAMIC", 10)]``). Nothing here fuses, so it changes no computation."""
    _deprecated(_DEPRECATED_USE_COMPILE, "set_fusion_strategy")
    for behaviour, _depth in strategy:
        if behaviour not in ("STATIC", "DYNAMIC"):
            raise ValueError(
                f"FusionBehavior only supported 'STATIC' or 'DYNAMIC', got: {behaviour}")
    previous = _fusion["strategy"]
    _fusion["strategy"] = [tuple(item) for item in strategy]
    return previous


def enable_onednn_fusion(enabled: bool) -> None:
    """``torch.jit.enable_onednn_fusion``: records the flag ``onednn_fusion_enabled`` reads
    (False by default); it changes no computation."""
    _fusion["onednn"] = bool(enabled)


def onednn_fusion_enabled() -> bool:
    """Whether ``enable_onednn_fusion(True)`` was called last."""
    return _fusion["onednn"]


# ------------------------------------------------------------------ the namespace

class JitNamespace(types.ModuleType):
    """The module ``tinygrad_bn.jit``: calling it is the trace-and-replay decorator
    ``tinygrad_bn.tracing.jit`` (unchanged), and it holds ``torch.jit``'s names."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _trace_and_replay(*args, **kwargs)


def make_namespace(package_name: str) -> JitNamespace:
    """The callable module ``<package_name>.jit``, registered in ``sys.modules`` so that
    ``import tinygrad_bn.jit`` and ``from tinygrad_bn.jit import script`` work."""
    namespace = JitNamespace(f"{package_name}.jit", __doc__ + "\nCalled as a decorator:\n\n"
                             + (_trace_and_replay.__doc__ or ""))
    for name in __all__:
        setattr(namespace, name, globals()[name])
    namespace.isinstance = jit_isinstance
    sys.modules[namespace.__name__] = namespace
    return namespace

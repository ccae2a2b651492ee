"""``torch.compile`` and the wrapper it returns for a module, ``OptimizedModule``.

tinygrad_bn has no compiler: ``compile`` checks its arguments as PyTorch does and returns a
wrapper that runs the model eagerly. PyTorch promises that a compiled model computes what the
eager model computes (its eager results are the reference ``compile`` is tested against), so
the wrapper's results are the ones a compiled model must give; only the speed differs. The
wrapper's observable shape is PyTorch's: a module becomes an ``OptimizedModule`` holding it as
``_orig_mod`` (so its ``state_dict`` keys start with ``_orig_mod.``, which checkpoints written by
compiled models carry), attribute reads and writes reach the original module, and a function
becomes a function with the original as ``__wrapped__``.

Not done, for want of a compiler: a callable ``backend`` is never called (there is no FX graph
to give it), ``fullgraph=True`` never reports a graph break, ``mode``/``options``/``dynamic``
change nothing, and ``options`` is not checked against Inductor's settings (PyTorch refuses an
unknown option name).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ..nn.module import Module
from .exc import InvalidBackend

__all__ = ["OptimizedModule", "compile", "disable", "list_backends"]

# PyTorch's registered backends: those list_backends() shows, then its debug and experimental
# ones, which compile() accepts by name too.
_LISTED_BACKENDS = ("cudagraphs", "inductor", "openxla", "tvm")
_BACKENDS = _LISTED_BACKENDS + (
    "aot_eager", "aot_eager_decomp_partition", "aot_eager_decomp_partition_crossref",
    "aot_eager_decomp_partition_with_mode", "aot_eager_default_partitioner", "aot_ts",
    "dynamo_accuracy_minifier_backend", "dynamo_minifier_backend", "eager", "eager_debug",
    "eager_noexcept", "invoke_subgraph", "openxla_eval", "pre_dispatch_eager", "ts")
_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")


def list_backends(exclude_tags=("debug", "experimental")) -> list[str]:
    """The backend names ``compile`` accepts that PyTorch lists by default (its debug and
    experimental ones are accepted too, as in PyTorch, but listed only with
    ``exclude_tags=()``). Every one runs the model eagerly here."""
    return sorted(_LISTED_BACKENDS if exclude_tags else _BACKENDS)


class OptimizedModule(Module):
    """What ``compile(module)`` returns, as PyTorch's ``torch._dynamo.eval_frame.OptimizedModule``:
    a module whose one submodule is the original, ``_orig_mod``, and whose call runs it (its
    hooks included). Parameters, buffers and ``state_dict`` keys are the original's under the
    prefix ``_orig_mod.``; reading an attribute this wrapper lacks reads the original's, and
    setting one sets it on the original (unless the wrapper's class has the name);
    ``training`` is the original's, so ``train()``/``eval()`` on either switch both."""

    _opt_mod_attributes = frozenset({"_orig_mod", "compile_settings",
                                     "_super_module_initialized", "__dict__"})

    def __init__(self, mod: Module, compile_settings: dict[str, Any]) -> None:
        object.__setattr__(self, "_super_module_initialized", False)
        super().__init__()  # its own bookkeeping (buffer names) stays on the wrapper
        self._super_module_initialized = True
        self._orig_mod = mod
        self.compile_settings = compile_settings

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The original module's call: its hooks and ``forward``."""
        return self._orig_mod(*args, **kwargs)

    @property
    def training(self) -> bool:
        """The original module's mode."""
        return self._orig_mod.training

    @training.setter
    def training(self, value: bool) -> None:
        if self._super_module_initialized:  # Module.__init__'s default is not mirrored
            self._orig_mod.training = value

    def __getattr__(self, name: str) -> Any:
        """An attribute the wrapper lacks is the original module's."""
        original = self.__dict__.get("_orig_mod")
        if original is None:  # not made yet (unpickling)
            raise AttributeError(f"'OptimizedModule' object has no attribute '{name}'")
        return getattr(original, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if (not self.__dict__.get("_super_module_initialized", True) or hasattr(type(self), name)
                or name in OptimizedModule._opt_mod_attributes):
            return super().__setattr__(name, value)
        return setattr(self._orig_mod, name, value)

    def __delattr__(self, name: str) -> None:
        if hasattr(type(self), name) or name in OptimizedModule._opt_mod_attributes:
            return super().__delattr__(name)
        return delattr(self._orig_mod, name)

    def __len__(self) -> int:
        """The original module's length (``Sequential``, ``ModuleList``)."""
        if hasattr(type(self._orig_mod), "__len__"):
            return len(self._orig_mod)
        raise TypeError(f"{type(self._orig_mod).__name__} does not support len()")

    def __dir__(self) -> list[str]:
        """The original module's names, then the wrapper's own."""
        names = self._orig_mod.__dir__()
        return names + [name for name in super().__dir__() if name not in names]

    def __reduce__(self):
        """Pickled and deep-copied as the original module and the settings."""
        return (type(self), (self._orig_mod, self.compile_settings))


def _check_settings(model, backend, mode, options):
    """PyTorch's argument errors of ``compile``, in its order."""
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be "
                           "specified at the same time.")
    if backend == "inductor" and mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if isinstance(backend, str) and backend not in _BACKENDS:
        raise InvalidBackend(backend)
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")


def compile(model: Callable | None = None, *, fullgraph: bool = False, dynamic: bool | None = None,
            backend: str | Callable | None = "inductor", mode: str | None = None,
            options: dict[str, Any] | None = None, name: str | None = None,
            disable: bool = False, recompile_limit: int | None = None,
            isolate_recompiles: bool = False, shapes_spec: Any = None) -> Callable:
    """PyTorch's ``torch.compile``, run eagerly: there is no compiler in tinygrad_bn, and the
    results are the eager results, which PyTorch's compiled results must equal.

    ``compile(module)`` returns an ``OptimizedModule`` around it (``state_dict`` keys prefixed
    ``_orig_mod.``, attributes forwarded); ``compile(function)`` returns a function that calls
    it (``__wrapped__`` is the original); ``compile(...)`` without a model is a decorator;
    ``disable=True`` returns the model itself. The errors are PyTorch's: ``mode`` and
    ``options`` together, an unknown ``mode`` for Inductor, an unknown backend name
    (``list_backends``), a model that is not callable. ``fullgraph``, ``dynamic``, ``mode``,
    ``options``, ``name``, ``recompile_limit``, ``isolate_recompiles`` and ``shapes_spec``
    change nothing; a callable ``backend`` is accepted and never called (there is no graph to
    pass it)."""
    if backend is None:
        backend = "inductor"
    settings = dict(fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                    options=options, name=name, disable=disable,
                    recompile_limit=recompile_limit, isolate_recompiles=isolate_recompiles,
                    shapes_spec=shapes_spec)
    if model is None:
        def decorate(model: Callable) -> Callable:
            if model is None:
                raise RuntimeError("Model can't be None")
            return compile(model, **settings)
        return decorate
    _check_settings(model, backend, mode, options)
    if disable:
        return model
    if isinstance(model, Module):
        return OptimizedModule(model, settings)

    @functools.wraps(model)
    def compiled(*args, **kwargs):
        return model(*args, **kwargs)

    compiled._torchdynamo_orig_callable = model
    return compiled


def disable(fn: Callable | None = None, recursive: bool = True, *, reason: str | None = None,
            wrapping: bool = True) -> Callable:
    """PyTorch's ``torch._dynamo.disable``: keep ``fn`` out of compilation. Everything runs
    eagerly here, so the result is a function that calls ``fn`` (``__wrapped__`` is ``fn``),
    as PyTorch's; without ``fn`` it is a decorator."""
    if fn is None:
        return functools.partial(disable, recursive=recursive, reason=reason, wrapping=wrapping)
    if not callable(fn):
        raise AssertionError(f"A callable function is expected, but {type(fn)} is provided.")

    @functools.wraps(fn)
    def eager(*args, **kwargs):
        return fn(*args, **kwargs)

    return eager

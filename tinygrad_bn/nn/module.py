"""``Module``, the base class of layers and models, and ``Parameter``, the mark of a trainable
tensor.

A module finds its parameters, buffers and submodules by walking its own attributes in the order
they were assigned, so a model is plain Python: no registration calls except ``register_buffer``
for the state that is not trained (BatchNorm's running statistics). As in PyTorch, only an
attribute that *is* a Parameter, a buffer or a Module counts: a plain list, tuple or dict of
modules is not looked into (``nn.ModuleList``, ``nn.ModuleDict``, ``nn.ParameterList`` and
``nn.ParameterDict`` are the containers that register what they hold), and one holding a module
or parameter that is not registered some other way warns once, when the model is walked.
Names, ``state_dict`` keys and their order, ``train``/``eval`` and the ``repr`` follow PyTorch.
"""

from __future__ import annotations

import os
import sys
import threading
import types
import warnings
import weakref
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from .. import dtypes, layouts
from ..device import DeviceLike, check_device, parse_to_arguments
from ..dtypes import DTypeLike
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled, no_grad, thread_state
from ..autograd import graph
from ..autograd.graph import ModuleCall, replayable, version_counter
from ..autograd.hooks import RemovableHandle
from ..printing import Size
from ..tensor import Tensor, _to_array
from ..tensor_types import typename

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self from Python 3.11 on


class Parameter(Tensor):
    """A tensor that is a trainable part of a module: ``requires_grad`` defaults to True and
    ``Module.parameters()`` finds it. ``Parameter(tensor)`` shares the tensor's data."""

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.zeros(0, dtype=dtypes.get_default_dtype())
        self._array = data._array if isinstance(data, Tensor) else _to_array(data)
        self._grad = None
        self.grad_fn = None
        self._requires_grad = False
        self._version_counter = version_counter(data) if isinstance(data, Tensor) else None
        self._base = self._hooks = None
        self.requires_grad = requires_grad
        if graph.tracer is not None:  # a jit capture refuses parameters made inside the step
            graph.tracer.record_made(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> Parameter:
        """A Parameter of the same class over a copy of the values, with ``requires_grad``:
        as PyTorch's, it keeps neither ``grad`` nor the Python attributes (a deep-copied
        model starts with no gradients)."""
        if id(self) not in memo:
            memo[id(self)] = type(self)(Tensor(self._array), self._requires_grad)
        return memo[id(self)]

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class _BufferMeta(type):
    """``isinstance(t, Buffer)``: true for a tensor marked by ``Buffer(...)``, as PyTorch's."""

    def __instancecheck__(cls, instance):
        return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False) is True


class Buffer(Tensor, metaclass=_BufferMeta):
    """``nn.Buffer(data, persistent=True)``: a tensor that, assigned as a module attribute
    (``self.running_mean = nn.Buffer(torch.zeros(3))``), is registered as a buffer, as
    ``register_buffer(name, data, persistent)`` would. As PyTorch's, the object made is a plain
    ``Tensor`` (``data.detach()`` with ``data``'s ``requires_grad``) marked by the attributes
    ``persistent`` and ``_is_buffer``; ``isinstance(t, nn.Buffer)`` reads the mark."""

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Tensor:
        if data is None:
            data = Tensor(np.zeros(0, dtype=dtypes.get_default_dtype()))
        buffer = data.detach().requires_grad_(data.requires_grad)
        buffer.persistent = persistent
        buffer._is_buffer = True
        return buffer


# Types of attribute values that are never a parameter, a module or a container of them:
# ``_every_parameter`` passes over them with one test (most of a module's attributes: its
# ``training`` flag, sizes, ``eps``, the set of non-persistent buffer names). On makemore's
# Transformer (W4: 47 modules, 304 attributes) the walk took 185 us a step, now 105.
_PLAIN_VALUES = frozenset({bool, int, float, str, type(None), set, types.FunctionType})


def _every_parameter(root: Module) -> list[Parameter]:
    """The parameters ``root.parameters()`` finds, for ``zero_grad``, which runs every step and
    needs neither their names nor their order: a plain loop over each module's attributes (the
    members ``Module._members`` yields, and its warning), with no generators or dotted names.
    A shared parameter may be listed twice."""
    params, stack, seen = [], [root], set()
    plain = _PLAIN_VALUES
    while stack:
        module = stack.pop()
        if id(module) in seen:
            continue
        seen.add(id(module))
        if type(module)._members is not Module._members:  # a container: what it registers
            for kind, _, value in module._members():
                if kind == "module":
                    stack.append(value)
                elif kind == "parameter" and value is not None:
                    params.append(value)
            continue
        attributes = module.__dict__
        buffers = attributes.get("_buffer_names", ())
        for name, value in attributes.items():
            if type(value) in plain or name == "_buffer_names":  # the latter: a list of names
                continue
            if isinstance(value, Parameter):
                if name not in buffers:
                    params.append(value)
            elif isinstance(value, Module):
                if name not in buffers:
                    stack.append(value)
            elif isinstance(value, (list, tuple, dict)) and value:
                if name not in buffers and name not in module._holds and \
                        not getattr(_quiet, "walking", False):
                    _warn_if_unregistered(module, name, value)
    return params


def clear_grads(params: Iterable[Tensor], set_to_none: bool = True) -> None:
    """Set each tensor's ``.grad`` to None, or fill it with zeros in place (``zero_grad``),
    first taken out of the graph as PyTorch's: detached if an op made it (``create_graph``),
    else no longer requiring grad (zeroing a leaf that requires grad in place would raise)."""
    for param in params:  # the private field: this runs every step
        if param._grad is None:
            continue
        if set_to_none:
            param._grad = None
        else:
            grad = param._grad
            if grad.grad_fn is not None:
                grad.detach_()
            elif grad.requires_grad:
                grad.requires_grad_(False)
            grad.zero_()


_MISSING = object()  # getattr's default where None is a value

class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """``load_state_dict``'s result, PyTorch's named tuple: it prints as
    ``<All keys matched successfully>`` when nothing is missing or unexpected, else as
    ``_IncompatibleKeys(missing_keys=[...], unexpected_keys=[...])``."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


IncompatibleKeys = _IncompatibleKeys


class Module:
    """Base class of every layer and model.

    Subclasses call ``super().__init__()``, assign parameters, submodules and buffers as
    attributes, and define ``forward``; calling the module calls ``forward``. ``training``
    (True after construction) is what ``train()``/``eval()`` switch, recursively. Layers kept
    in a plain list or dict are not registered (PyTorch's rule, with a warning here): hold them
    in a ``ModuleList`` or ``ModuleDict``.
    """

    def __init__(self) -> None:
        self.training = True
        self._buffer_names = []
        self._non_persistent_buffers = set()
        if graph.tracer is not None:  # a module made inside a jitted function is not guarded
            graph.tracer.record_module_made(self)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation of this module, called by ``module(*args)`` (which also runs the hooks).
        Every subclass defines it; the subclass's docstring states the input and output shapes."""
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args, **kwargs):
        hooks = self.__dict__.get("_module_hooks")
        if (global_hooks.forward_pre or global_hooks.forward or global_hooks.backward_pre
                or global_hooks.backward):
            hooks = _with_global_hooks(hooks)
        if graph.tracer is not None:  # a jit capture notes the module, its mode and hooks
            graph.tracer.record_module(self, hooks)
        if hooks is not None:
            return _call_with_hooks(self, hooks, args, kwargs)
        return self._forward_in_its_call(args, kwargs)

    def _forward_in_its_call(self, args, kwargs):
        """``forward`` as the current module call: while it runs (in this thread) the ops it
        records carry the call, so the graph drawer can group them into one cluster."""
        state = thread_state
        parent = state.module_call
        state.module_call = ModuleCall(self, parent)
        try:
            return self.forward(*args, **kwargs)
        finally:
            state.module_call = parent

    # ------------------------------------------------------------------ PyTorch's private dicts

    # Programs reach into PyTorch's per-module dicts (``model._modules["fc"] = Linear(...)`` to
    # swap a layer, ``for name, p in m._parameters.items()``). This framework keeps members as
    # attributes, so these are live views that read and register through them.

    @property
    def _modules(self) -> _MemberView:
        """The direct submodules by name (PyTorch's ``_modules``); a container's own dict."""
        own = self.__dict__.get("_modules")
        return own if own is not None else _MemberView(self, "module")

    @property
    def _parameters(self) -> _MemberView:
        """This module's own parameters by name (PyTorch's ``_parameters``)."""
        return _MemberView(self, "parameter")

    @property
    def _buffers(self) -> _MemberView:
        """This module's own buffers by name (PyTorch's ``_buffers``)."""
        return _MemberView(self, "buffer")

    @property
    def _non_persistent_buffers_set(self) -> set[str]:
        """The names of the buffers ``state_dict`` leaves out (PyTorch's set)."""
        return self._non_persistent_buffers

    def _hook_dict(self, kind):
        """The live dict of this module's hooks of ``kind``, or an empty read-only mapping when
        it has no hooks (registering through it would be lost: use the register methods)."""
        hooks = self.__dict__.get("_module_hooks")
        return getattr(hooks, kind) if hooks is not None else types.MappingProxyType({})

    _forward_pre_hooks = property(lambda self: self._hook_dict("forward_pre"),
                                  doc="PyTorch's ``_forward_pre_hooks``: id -> hook.")
    _forward_hooks = property(lambda self: self._hook_dict("forward"),
                              doc="PyTorch's ``_forward_hooks``: id -> hook.")
    _backward_pre_hooks = property(lambda self: self._hook_dict("backward_pre"),
                                   doc="PyTorch's ``_backward_pre_hooks``: id -> hook.")
    _backward_hooks = property(lambda self: self._hook_dict("backward"),
                               doc="PyTorch's ``_backward_hooks``: id -> hook.")

    # ------------------------------------------------------------------ hooks

    def _hooks(self):
        hooks = self.__dict__.get("_module_hooks")
        if hooks is None:
            hooks = self.__dict__["_module_hooks"] = ModuleHooks()
        return hooks

    def register_forward_pre_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """``hook(module, args)`` runs before ``forward``; it may return new ``args`` (a tuple,
        or a single value). With ``with_kwargs=True`` it is ``hook(module, args, kwargs)`` and
        may return ``(args, kwargs)``. Returns a handle whose ``remove()`` unregisters it."""
        return self._hooks().add("forward_pre", hook, prepend, with_kwargs)

    def register_forward_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                              with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """``hook(module, args, output)`` runs after ``forward``; it may return a replacement
        output. With ``with_kwargs=True`` it is ``hook(module, args, kwargs, output)``. With
        ``always_call=True`` it also runs when a pre-hook, ``forward`` or another forward hook
        raises, with ``output=None`` (an error it raises then becomes a warning, and the first
        error propagates)."""
        return self._hooks().add("forward", hook, prepend, with_kwargs, always_call)

    def register_full_backward_pre_hook(self, hook: Callable[..., Any],
                                        prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_output)`` runs when the gradients of the module's output are
        known, before they flow into the module; it may return replacements."""
        return self._hooks().add("backward_pre", hook, prepend, False)

    def register_full_backward_hook(self, hook: Callable[..., Any],
                                    prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` runs once the gradients with respect to the
        module's tensor arguments are computed (``None`` for those that need none); it may
        return a replacement ``grad_input``."""
        return self._hooks().add("backward", hook, prepend, False)

    register_backward_hook = register_full_backward_hook

    # ------------------------------------------------------------------ discovery

    def __setattr__(self, name, value):
        if isinstance(value, (list, tuple, dict)) and name not in self._holds:
            _note_plain_container(self, name, value)
        if (registration_hooks["parameter"] or registration_hooks["buffer"]
                or registration_hooks["module"]) and value is not None:
            value = _after_registration_hooks(self, name, value)
        current = self.__dict__.get(name)
        if current is None or current.__class__ is not value.__class__:  # may change kind
            _check_assignment(self, name, value, current)
        if value is None or isinstance(value, (Tensor, Module)):
            graph._Structure.count += 1  # jit plans hold the tensors they were captured with
            if value.__class__ is Tensor and getattr(value, "_is_buffer", False):  # nn.Buffer
                self._buffer_name(name, value.persistent)
        elif name != "training":  # plans check the mode directly, and train() runs often
            graph._Settings.count += 1  # jit plans compare the settings they were captured with
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        """Delete an attribute; a buffer's name is forgotten with it, so assigning a tensor to
        the name again makes a plain attribute, as in PyTorch."""
        object.__delattr__(self, name)
        graph._Structure.count += 1
        nones = self.__dict__.get("_none_members")
        if nones:
            nones.discard((name, "parameter"))
            nones.discard((name, "module"))
        buffers = self.__dict__.get("_buffer_names")
        if buffers is not None and name in buffers:
            buffers.remove(name)
            self._non_persistent_buffers.discard(name)

    _holds = ()  # a container's own storage attributes, which it registers itself
    # Buffers a state dict may leave out: loading keeps their current value, as PyTorch's
    # _load_from_state_dict does for entries added after older checkpoints were written.
    _optional_state = ()

    def _members(self):
        """This module's own ``(kind, name, value)`` in assignment order; kind is
        ``"parameter"``, ``"buffer"`` or ``"module"``. Only the attribute itself counts, not
        what a list or dict in it holds (as in PyTorch); containers override this. A plain
        list, tuple or dict holding a module or parameter that is not also registered gets the
        unregistered warning here, when the module is first walked with it."""
        buffers = self.__dict__.get("_buffer_names", ())
        for name, value in self.__dict__.items():
            if name in buffers:
                yield "buffer", name, value
            elif isinstance(value, Parameter):
                yield "parameter", name, value
            elif isinstance(value, Module):
                yield "module", name, value
            elif (isinstance(value, (list, tuple, dict)) and value and name not in self._holds
                  and not getattr(_quiet, "walking", False)):
                _warn_if_unregistered(self, name, value)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """``(name, module)`` for each direct submodule, each once: one registered under two
        names (``self.shared = self.fc``) is given under the first only, as PyTorch's memo
        does (``state_dict``, ``repr`` and ``named_modules(remove_duplicate=False)`` list
        every name)."""
        seen = set()  # ids: a module need not be hashable
        for name, module in self._named_submodules():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def _named_submodules(self):
        """``(name, module)`` for each direct submodule under every name it has (PyTorch's
        ``_modules.items()`` without the None entries)."""
        for kind, name, value in self._members():
            if kind == "module":
                yield name, value

    def __dir__(self):
        """PyTorch's: the class's and the instance's attributes and the registered names, sorted,
        without those that start with a digit (``ModuleList`` positions)."""
        names = set(dir(type(self))) | set(self.__dict__)
        names.update(name for _, name, _ in self._members())
        return sorted(name for name in names if not name[0].isdigit())

    def children(self) -> Iterator[Module]:
        """The direct submodules, in registration order (not recursive; ``modules()`` is)."""
        for _, module in self.named_children():
            yield module

    def named_modules(self, memo: set[Module] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """This module and every submodule, depth first, with dotted names: each once (a module
        in ``memo`` is skipped, and ``memo`` gains those yielded), or, with
        ``remove_duplicate=False``, once under every name it is registered by (what
        ``state_dict`` lists; a module that contains itself is not entered again)."""
        seen = set()  # ids: a module need not be hashable (one may define __eq__ only)
        stack = [(prefix, self, ())]
        while stack:
            name, module, ancestors = stack.pop()
            if remove_duplicate:
                if id(module) in seen or (memo is not None and module in memo):
                    continue
                seen.add(id(module))
                if memo is not None:
                    memo.add(module)
            elif id(module) in ancestors:
                continue
            yield name, module
            ancestors = (*ancestors, id(module))
            children = list(module._named_submodules())
            for child_name, child in reversed(children):
                stack.append((f"{name}.{child_name}" if name else child_name, child, ancestors))

    def modules(self) -> Iterator[Module]:
        """This module and every submodule below it, each once, depth first in registration order
        (this module first)."""
        for _, module in self.named_modules():
            yield module

    def _named_members(self, kind, recurse=True, remove_duplicate=True):
        seen = set()
        modules = self.named_modules(remove_duplicate=remove_duplicate) if recurse else \
            [("", self)]
        for prefix, module in modules:
            for member_kind, name, value in module._members():
                if member_kind == kind and value is not None and id(value) not in seen:
                    if remove_duplicate:
                        seen.add(id(value))
                    yield (f"{prefix}.{name}" if prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)`` for every parameter, each once (shared ones too), or
        with ``remove_duplicate=False`` under every name it has (tied weights twice)."""
        for name, param in self._named_members("parameter", recurse, remove_duplicate):
            yield (f"{prefix}.{name}" if prefix else name), param

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter of this module and (with ``recurse=True``, the default) its submodules,
        each once even if shared, in registration order: what an optimizer takes."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """``(dotted name, buffer)`` for every buffer, each once (or, with
        ``remove_duplicate=False``, under every name it has): the names ``state_dict`` uses
        (``bn1.running_mean``); ``prefix`` is prepended with a dot."""
        for name, buffer in self._named_members("buffer", recurse, remove_duplicate):
            yield (f"{prefix}.{name}" if prefix else name), buffer

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer (a tensor that is state but not trained, such as BatchNorm's
        ``running_mean``) of this module and, with ``recurse=True`` (the default), its submodules,
        each once."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # ------------------------------------------------------------------ registration

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add state that is saved in ``state_dict`` but not trained (``tensor`` may be None)."""
        if "_buffer_names" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        if not isinstance(name, str) or "." in name or name == "":
            raise KeyError(f'buffer name must be a non-empty string without ".", got {name!r}')
        current = getattr(self, name, None)
        if current is not None and name not in self._buffer_names:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{typename(tensor)}' object to buffer '{name}' "
                "(torch Tensor or None required)"
            )
        if (registration_hooks["buffer"] and tensor is not None and name not in self._buffer_names
                and not getattr(tensor, "_is_buffer", False)):
            # a new buffer name: __setattr__ cannot tell it is one yet
            tensor = _run_registration_hooks("buffer", self, name, tensor)
        setattr(self, name, tensor)
        self._buffer_name(name, persistent)  # after: an nn.Buffer's own flag does not count here

    def _buffer_name(self, name, persistent):
        """Note ``name`` as a buffer's, saved in ``state_dict`` if ``persistent``."""
        if "_buffer_names" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        if name not in self._buffer_names:
            self._buffer_names.append(name)
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (a ``Parameter``, or None) under ``name``, the same as assigning the
        attribute; anything else raises ``TypeError`` as in PyTorch, and so does a name that
        another attribute has (``KeyError``; one that is None is taken over here)."""
        current = getattr(self, name, None)
        if current is not None and not isinstance(current, Parameter):
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{typename(param)}' object to parameter '{name}' "
                "(torch.nn.Parameter or None required)"
            )
        setattr(self, name, param)
        if param is None:
            _note_none(self, name, "parameter")

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` (a Module, or None) as the submodule ``name``, the same as assigning
        the attribute. ``name`` must be a non-empty string without ``.`` that names no other
        attribute (a method, a setting, a parameter), PyTorch's rules and errors.
        ``register_module`` is the same method."""
        self._check_submodule(name, module)
        setattr(self, name, module)
        if module is None:
            _note_none(self, name, "module")

    register_module = add_module

    def _check_submodule(self, name, module):
        """``add_module``'s checks, in PyTorch's order and words."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {type(name).__name__}")
        current = getattr(self, name, _MISSING)
        if current is not _MISSING and current is not None and not isinstance(current, Module):
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')

    def compile(self, *args: Any, **kwargs: Any) -> None:
        """PyTorch's ``Module.compile``: compile this module in place with ``torch.compile``'s
        arguments, keeping its structure and ``state_dict`` keys. tinygrad_bn has no compiler
        (see ``tinygrad_bn._dynamo.eval_frame``): the arguments are checked, with PyTorch's
        errors, and the module goes on running eagerly, which computes what a compiled module
        must."""
        from .._dynamo.eval_frame import compile  # compile wraps modules: it is a layer up

        compile(self.__call__, *args, **kwargs)

    # ------------------------------------------------------------------ modes and gradients

    def train(self, mode: bool = True) -> Self:
        """Set ``training`` on this module and every submodule; returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Self:
        """``train(False)``: switch this module and every submodule to evaluation mode (BatchNorm
        then uses its running statistics, Dropout does nothing); returns ``self``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Self:
        """Set ``requires_grad`` on every parameter (True by default; False freezes the module);
        returns ``self``."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    @replayable
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: to None (default), or to zeros in place."""
        clear_grads(_every_parameter(self), set_to_none)

    def apply(self, fn: Callable[[Module], Any]) -> Self:
        """Call ``fn`` on every submodule and then on this module; returns self."""
        for module in reversed(list(self.modules())):
            fn(module)
        return self

    def get_submodule(self, target: str) -> Module:
        """The submodule at dotted path ``target`` (``"layer1.0.conv1"``; ``""`` is ``self``),
        with PyTorch's AttributeErrors naming the first step that is missing or not a Module."""
        if target == "":
            return self
        module = self
        for item in target.split("."):
            if not hasattr(module, item):
                raise AttributeError(f"{type(module).__name__} has no attribute `{item}`")
            module = getattr(module, item)
            if not isinstance(module, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return module

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        """Put ``module`` at dotted path ``target`` (its parent must exist); with ``strict``
        only in place of an existing attribute. PyTorch's checks and messages."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        atoms = target.split(".")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        parent = self if len(atoms) == 1 else self.get_submodule(".".join(atoms[:-1]))
        if strict and not hasattr(parent, atoms[-1]):
            raise AttributeError(f"{parent._get_name()} has no attribute `{atoms[-1]}`")
        if hasattr(parent, atoms[-1]) and not isinstance(getattr(parent, atoms[-1]), Module):
            raise AttributeError(f"`{atoms[-1]}` is not an nn.Module")
        setattr(parent, atoms[-1], module)

    def _get_name(self) -> str:
        """The class name, as the repr starts (PyTorch's helper for custom reprs)."""
        return type(self).__name__

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at dotted path ``target`` (``"0.weight"``), with PyTorch's errors."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{type(module).__name__} has no attribute `{name}`")
        param = getattr(module, name)
        if not isinstance(param, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return param

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at dotted path ``target`` (``"bn.running_mean"``), with PyTorch's errors."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{type(module).__name__} has no attribute `{name}`")
        if name not in module._buffer_names:
            raise AttributeError(f"`{name}` is not a buffer")
        return getattr(module, name)

    # ------------------------------------------------------------------ dtype

    def to(self, *args: Any, dtype: DTypeLike | None = None, device: DeviceLike | None = None,
           non_blocking: bool = False, memory_format: layouts.memory_format | None = None
           ) -> Self:
        """Convert floating parameters and buffers to a dtype in place (``to(float64)``,
        ``to(device, dtype)``); the device must be the CPU, which changes nothing. With
        ``memory_format`` (``channels_last``), the 4-d and 5-d ones are kept in that order, as
        PyTorch's (values unchanged)."""
        target = parse_to_arguments(args, dtype, device)
        if memory_format is not None:
            layouts.check(memory_format, "to")
            for tensor in list(self.parameters()) + list(self.buffers()):
                if tensor.ndim in (4, 5) and memory_format is not layouts.preserve_format:
                    tensor._array = layouts.laid_out(tensor._array, memory_format)
        if target is None:
            return self
        target = dtypes.canonical(target)
        if not dtypes.is_floating(target):
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired "
                            f"dtype={target}")
        for tensor in list(self.parameters()) + list(self.buffers()):
            if dtypes.is_floating(tensor.dtype):
                tensor._array = tensor._array.astype(target)
                if tensor.grad is not None:
                    tensor.grad._array = tensor.grad._array.astype(target)
        return self

    def float(self) -> Self:
        """``to(float32)``: convert the floating parameters and buffers in place; returns ``self``.
        """
        return self.to(dtypes.float32)

    def double(self) -> Self:
        """``to(float64)``: convert the floating parameters and buffers in place (what
        ``gradcheck`` wants); returns ``self``."""
        return self.to(dtypes.float64)

    def half(self) -> Self:
        """``to(float16)``: convert the floating parameters and buffers in place; returns
        ``self``."""
        return self.to(dtypes.float16)

    def bfloat16(self) -> Self:
        """``to(bfloat16)``: convert the floating parameters and buffers in place; returns
        ``self``."""
        return self.to(dtypes.bfloat16)

    def type(self, dst_type: Any) -> Self:
        """Every parameter and buffer (integer ones too, as PyTorch's) cast to ``dst_type``
        (a dtype or its name), through ``_apply``; returns ``self``."""
        return self._apply(lambda t: t.type(dst_type))

    def _apply(self, fn: Callable[[Tensor], Tensor], recurse: bool = True) -> Self:
        """PyTorch's ``_apply``: ``fn`` on every parameter (whose ``.data`` becomes the
        result, so the Parameter object and its handles stay), its gradient likewise, and
        every buffer (replaced by the result), submodules first unless ``recurse=False``; under
        ``no_grad``. Returns ``self``."""
        if recurse:
            for module in self.children():
                module._apply(fn)
        for kind, name, value in list(self._members()):
            if kind == "module" or value is None:
                continue
            with no_grad():
                applied = fn(value)
            if kind == "buffer":
                setattr(self, name, applied)
                continue
            grad = value.grad
            value.data = applied
            if grad is not None:
                with no_grad():
                    grad.data = fn(grad)
        return self

    def cpu(self) -> Self:
        """Returns ``self``: everything already lives on the CPU."""
        return self

    def share_memory(self) -> Self:
        """Move every parameter, buffer and existing gradient into shared memory
        (``Tensor.share_memory_``), so that processes forked afterwards or sent this module
        through ``tinygrad_bn.multiprocessing`` train the same numbers (Hogwild!); returns
        ``self``."""
        for tensor in list(self.parameters()) + list(self.buffers()):
            tensor.share_memory_()
            if tensor.grad is not None:
                tensor.grad.share_memory_()
        return self

    def cuda(self, device: DeviceLike | None = None) -> Self:
        """Refused: tinygrad_bn runs on the CPU only (the error says so)."""
        check_device("cuda" if device is None else device)
        return self

    def to_empty(self, *, device: DeviceLike | None, recurse: bool = True) -> Self:
        """PyTorch's ``to_empty``: every parameter and buffer (and existing gradient) given
        fresh uninitialised storage of its shape and dtype on ``device`` (the CPU; others are
        refused), in place, so that handles to them stay valid; only this module's own with
        ``recurse=False``. Returns ``self``. PyTorch uses it after building a module on the
        ``meta`` device; here the values are simply discarded."""
        if device is not None:
            check_device(device)
        tensors = [*self.parameters(recurse=recurse), *self.buffers(recurse=recurse)]
        for tensor in tensors:
            tensor._array = np.empty_like(tensor._array)
            if tensor.grad is not None:
                tensor.grad._array = np.empty_like(tensor.grad._array)
        return self

    # ------------------------------------------------------------------ state

    # PyTorch's version of this class's state_dict layout, saved in ``state_dict()._metadata``
    # (BatchNorm's is 2): what a load pre-hook reads to convert an older layout.
    _version = 1
    # PyTorch's class attributes: whether Module.__init__ calls super().__init__ with the
    # extra arguments (never, here), and the legacy serialization patch flag
    call_super_init = False
    dump_patches = False
    T_destination = TypeVar("T_destination", bound=dict)

    def get_extra_state(self) -> Any:
        """Override (with ``set_extra_state``) to save any picklable state in ``state_dict``
        under ``"_extra_state"``; the base method is never called by ``state_dict``."""
        raise RuntimeError(
            "Reached a code path in Module.get_extra_state() that should never be called. "
            "Please file an issue at https://github.com/pytorch/pytorch/issues/new?template="
            "bug-report.yml to report this bug.")

    def set_extra_state(self, state: Any) -> None:
        """Override to restore what ``get_extra_state`` returned, when a state dict loads."""
        raise RuntimeError(
            "Reached a code path in Module.set_extra_state() that should never be called. "
            "Please file an issue at https://github.com/pytorch/pytorch/issues/new?template="
            "bug-report.yml to report this bug.")

    def register_state_dict_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, prefix, keep_vars)`` runs when ``state_dict`` reaches this module,
        before its parameters and buffers are listed."""
        return RemovableHandle.append(self._state_dict_hooks().state_dict_pre, hook)

    def register_load_state_dict_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, incompatible_keys)`` runs after ``load_state_dict`` has copied the
        values; it may edit ``incompatible_keys.missing_keys`` and ``.unexpected_keys`` in
        place (which ``strict`` then judges) and must return None."""
        return RemovableHandle.append(self._state_dict_hooks().load_post, hook)

    def _state_dict_hooks(self):
        hooks = self.__dict__.get("_state_hooks")
        if hooks is None:
            hooks = self.__dict__["_state_hooks"] = StateDictHooks()
        return hooks

    def _register_state_dict_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, state_dict, prefix, local_metadata)`` runs after ``state_dict`` has
        listed everything; it may edit the dict and the metadata in place or return a new dict
        (PyTorch's private hook, which ``spectral_norm`` uses to save its version)."""
        return RemovableHandle.append(self._state_dict_hooks().state_dict, hook)

    def register_state_dict_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, state_dict, prefix, local_metadata)`` runs after ``state_dict`` has
        listed everything; it edits in place and returns None."""
        return RemovableHandle.append(self._state_dict_hooks().state_dict_post, hook)

    def _register_load_state_dict_pre_hook(self, hook: Callable[..., Any],
                                           with_module: bool = False) -> RemovableHandle:
        """``hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
        error_msgs)`` (with ``with_module``, the module first) runs in ``load_state_dict`` before
        anything is checked or copied, on a copy of the given dict that it may edit (rename old
        keys, as ``weight_norm``'s hook does); what it appends to ``missing_keys`` and
        ``error_msgs`` is reported with the rest."""
        if with_module:
            hook = _WithModule(self, hook)
        return RemovableHandle.append(self._state_dict_hooks().load_pre, hook)

    def register_load_state_dict_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)``: ``_register_load_state_dict_pre_hook`` with the module."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def state_dict(self, *args: Any, destination: Any = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Every parameter and persistent buffer by dotted name, PyTorch's order: each module's
        own parameters, then its own buffers, then its ``"_extra_state"`` (when its class
        overrides ``get_extra_state``), then its submodules'. A module or tensor held under two
        names is listed under both, as in PyTorch (tied weights load either way). Values share
        memory with the module (detached tensors; the tensors themselves with ``keep_vars``).
        Entries go into ``destination`` if given (positional ``destination, prefix,
        keep_vars`` are PyTorch's deprecated form, with its warning). As PyTorch's, the dict
        carries ``_metadata``: ``{module name: {"version": its class's _version}}``, which
        state-dict hooks may add to; a module's pre-hooks run when it is reached, the other
        hooks once everything is listed, submodules' first."""
        if args:
            warnings.warn(
                "Positional args are being deprecated, use kwargs instead. Refer to "
                "https://pytorch.org/docs/main/generated/torch.nn.Module.html"
                "#torch.nn.Module.state_dict for details.", FutureWarning, stacklevel=2)
            destination = args[0] if destination is None else destination
            prefix = args[1] if len(args) > 1 and prefix == "" else prefix
            keep_vars = args[2] if len(args) > 2 and keep_vars is False else keep_vars
        if destination is None:
            state = OrderedDict()
            state._metadata = OrderedDict()
        else:
            state = destination
        metadata = getattr(state, "_metadata", None)
        hooked = []
        for module_prefix, module in self.named_modules(prefix=prefix.rstrip("."),
                                                        remove_duplicate=False):
            local_metadata = {"version": module._version}
            if metadata is not None:
                metadata[module_prefix] = local_metadata
            dotted = module_prefix + "." if module_prefix else ""
            if "_state_hooks" in module.__dict__:
                hooked.append((module_prefix, module, local_metadata))
                for hook in list(module.__dict__["_state_hooks"].state_dict_pre.values()):
                    hook(module, dotted, keep_vars)
            module._save_to_state_dict(state, dotted, keep_vars)
        for module_prefix, module, local_metadata in reversed(hooked):
            hooks = module.__dict__["_state_hooks"]
            dotted = module_prefix + "." if module_prefix else ""
            for hook in list(hooks.state_dict.values()):
                result = hook(module, state, dotted, local_metadata)
                if result is not None:
                    state = result
            for hook in list(hooks.state_dict_post.values()):
                if hook(module, state, dotted, local_metadata) is not None:
                    raise RuntimeError("state_dict post-hook must return None")
        return state

    def _save_to_state_dict(self, destination: Any, prefix: str, keep_vars: bool) -> None:
        """Put this module's own state into ``destination`` (PyTorch's hook for subclasses):
        its parameters, then its persistent buffers, then ``"_extra_state"`` when the class
        overrides ``get_extra_state``, each under ``prefix + name``."""
        names = self.__dict__.get("_non_persistent_buffers", set())
        members = list(self._members())
        for wanted in ("parameter", "buffer"):
            for kind, name, value in members:
                if kind == wanted and value is not None and name not in names:
                    destination[prefix + name] = value if keep_vars else value.detach()
        if _has_extra_state(self, "get_extra_state"):
            destination[prefix + _EXTRA_STATE] = self.get_extra_state()

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs) -> None:
        """Load this module's own state (PyTorch's method, which subclasses override to
        rename or convert old entries before calling it): each parameter and persistent
        buffer from ``state_dict[prefix + name]`` (copied, or assigned when
        ``local_metadata["assign_to_params_buffers"]``), the extra state, and the keys under
        ``prefix`` this module does not know, into ``unexpected_keys``. ``load_state_dict``
        goes through these per module, as PyTorch's does, only when some module of the model
        overrides it; otherwise it checks everything before copying anything."""
        assign = local_metadata.get("assign_to_params_buffers", False)
        names = self.__dict__.get("_non_persistent_buffers", set())
        local = {name: value for kind, name, value in self._members()
                 if kind in ("parameter", "buffer") and value is not None and name not in names}
        for name, target in local.items():
            key = prefix + name
            if key not in state_dict:
                if strict and name not in self._optional_state:
                    missing_keys.append(key)
                continue
            value = state_dict[key]
            array = np.asarray(value._array if isinstance(value, Tensor) else value)
            if array.dtype.kind not in "biuf":
                error_msgs.append(
                    f'While copying the parameter named "{key}", expected a tensor of numbers '
                    f"from checkpoint but received {type(value).__name__} of dtype {array.dtype}.")
                continue
            if array.shape != target.shape:
                error_msgs.append(
                    f"size mismatch for {key}: copying a param with shape {Size(array.shape)} "
                    f"from checkpoint, the shape in current model is {target.shape}.")
                continue
            if not assign:
                with no_grad():
                    target.copy_(Tensor._make(array.astype(target.dtype, copy=False), None))
                continue
            value = value if isinstance(value, Tensor) else Tensor._make(array, None)
            if isinstance(target, Parameter):
                if not isinstance(value, Parameter):
                    value = Parameter(value, requires_grad=target.requires_grad)
                else:
                    value.requires_grad_(target.requires_grad)
            setattr(self, name, value)
        extra_key = prefix + _EXTRA_STATE
        if _has_extra_state(self, "set_extra_state"):
            if extra_key in state_dict:
                self.set_extra_state(state_dict[extra_key])
            elif strict:
                missing_keys.append(extra_key)
        elif strict and extra_key in state_dict:
            unexpected_keys.append(extra_key)
        if strict:
            children = dict(self._named_submodules())
            for key in state_dict:
                if key.startswith(prefix) and key != extra_key:
                    first, dot, _ = key[len(prefix):].partition(".")
                    if (dot and first not in children) or (not dot and first not in local):
                        unexpected_keys.append(key)

    def _load_recursively(self, state_dict, strict, assign, missing, problems):
        """PyTorch's recursive load, for models where a module overrides
        ``_load_from_state_dict``: each module loads its own entries, then its children, then
        its post-hooks run."""
        unexpected = []
        metadata = getattr(state_dict, "_metadata", None)

        def load(module, local_state_dict, prefix=""):
            local_metadata = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
            if assign:
                local_metadata["assign_to_params_buffers"] = assign
            module._load_from_state_dict(local_state_dict, prefix, local_metadata, True,
                                         missing, unexpected, problems)
            for name, child in module._named_submodules():
                if child is not None:
                    child_prefix = prefix + name + "."
                    load(child, {k: v for k, v in local_state_dict.items()
                                 if k.startswith(child_prefix)}, child_prefix)
            _run_load_post_hooks(module, IncompatibleKeys(missing, unexpected))

        load(self, state_dict)
        if strict and unexpected:
            problems.insert(0, "Unexpected key(s) in state_dict: "
                            + ", ".join(f'"{k}"' for k in unexpected) + ". ")
        if strict and missing:
            problems.insert(0, "Missing key(s) in state_dict: "
                            + ", ".join(f'"{k}"' for k in missing) + ". ")
        if problems:
            self._raise_load_problems(problems)
        return IncompatibleKeys(missing, unexpected)

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True,
                        assign: bool = False) -> IncompatibleKeys:
        """Copy values from ``state_dict`` (Tensors or NumPy arrays) into this module in place
        (with ``assign``, put the given tensors themselves in place of the parameters and
        buffers, as PyTorch's: a parameter keeps its ``requires_grad``, the dtype is the
        value's).

        Everything is checked and converted to the destination's dtype before anything is
        copied, so a failed load leaves the module as it was: shape mismatches and values that
        are not numbers always raise, and with ``strict`` missing and unexpected keys raise too,
        all listed in one ``RuntimeError`` worded as PyTorch's, each naming its key. (When a
        module has load post-hooks, which may forgive missing and unexpected keys, those two
        are judged after the copy and the hooks, as PyTorch does.) A buffer that may be left
        out (BatchNorm's ``num_batches_tracked``) keeps its value, as PyTorch keeps it for a
        state dict without version metadata. ``"_extra_state"`` entries go to the modules'
        ``set_extra_state``. Load pre-hooks (parametrizations' and ``spectral_norm``'s) first
        see a copy of ``state_dict``, parents before children; post-hooks run after the copy,
        children before parents. Returns ``(missing_keys, unexpected_keys)``.
        """
        state_dict, hook_missing, problems = _run_load_pre_hooks(self, state_dict)
        for module_prefix, module in self.named_modules():  # lazy modules (nn/lazy.py) first
            if hasattr(module, "_materialize_from_state_dict"):  # take the loaded shapes
                module._materialize_from_state_dict(state_dict, module_prefix)
        if any(type(module)._load_from_state_dict is not Module._load_from_state_dict
               for module in self.modules()):
            metadata = getattr(state_dict, "_metadata", None)
            state_dict = OrderedDict(state_dict)  # the overrides may edit it: a copy
            if metadata is not None:
                state_dict._metadata = metadata
            return self._load_recursively(state_dict, strict, assign, hook_missing, problems)
        own, extra_setters = OrderedDict(), {}
        optional = {f"{module_prefix}.{name}" if module_prefix else name
                    for module_prefix, module in self.named_modules()
                    for name in module._optional_state}
        # each module call of PyTorch's recursive load, in its order: (module, its missing
        # keys, its unexpected keys, how many calls its subtree spans), for the post-hooks
        calls, post_hooked = [], False
        owner_of_unexpected = _owners_of_unexpected(self, state_dict)
        for module_prefix, module, depth in _modules_with_depth(self):
            dotted = module_prefix + "." if module_prefix else ""
            names = module.__dict__.get("_non_persistent_buffers", set())
            members = list(module._members())
            expected = []
            for wanted in ("parameter", "buffer"):
                for kind, name, value in members:
                    if kind == wanted and value is not None and name not in names:
                        own[dotted + name] = (module, name, value)
                        expected.append(dotted + name)
            if _has_extra_state(module, "set_extra_state"):
                extra_setters[dotted + _EXTRA_STATE] = module
                expected.append(dotted + _EXTRA_STATE)
            module_missing = [key for key in expected if key not in state_dict
                              and key not in optional and key not in hook_missing]
            calls.append((module, depth, module_missing,
                          owner_of_unexpected.get(module_prefix, [])))
            hooks = module.__dict__.get("_state_hooks")
            post_hooked = post_hooked or (hooks is not None and bool(hooks.load_post))
        missing = hook_missing + [key for call in calls for key in call[2]]
        unexpected = [key for call in calls for key in call[3]]
        updates = []
        for key, (module, name, target) in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = np.asarray(value._array if isinstance(value, Tensor) else value)
            if array.dtype.kind not in "biuf":
                problems.append(
                    f'While copying the parameter named "{key}", expected a tensor of numbers '
                    f"from checkpoint but received {type(value).__name__} of dtype {array.dtype}."
                )
                continue
            if array.shape != target.shape:
                problems.append(
                    f"size mismatch for {key}: copying a param with shape {Size(array.shape)} "
                    f"from checkpoint, the shape in current model is {target.shape}."
                )
                continue
            if assign:
                updates.append((module, name, target, value if isinstance(value, Tensor)
                                else Tensor._make(array, None)))
            else:  # converted now, as copy_ would (any number dtype casts): writing cannot fail
                updates.append((module, name, target, array.astype(target.dtype, copy=False)))

        def strict_problems():
            if strict and unexpected:
                problems.insert(0, "Unexpected key(s) in state_dict: "
                                + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if strict and missing:
                problems.insert(0, "Missing key(s) in state_dict: "
                                + ", ".join(f'"{k}"' for k in missing) + ". ")

        if not post_hooked:
            strict_problems()
        if problems:
            self._raise_load_problems(problems)
        for module, name, target, value in updates:
            if not assign:
                with no_grad():
                    target.copy_(Tensor._make(value, None))
            elif isinstance(target, Parameter):
                if not isinstance(value, Parameter):
                    value = Parameter(value, requires_grad=target.requires_grad)
                else:
                    value.requires_grad_(target.requires_grad)
                setattr(module, name, value)
            else:
                setattr(module, name, value)
        for key, module in extra_setters.items():
            if key in state_dict:
                module.set_extra_state(state_dict[key])
        result = IncompatibleKeys(missing, unexpected)
        if post_hooked:
            # PyTorch's order: a module's keys are judged when its load starts, its post-hooks
            # run when its subtree is done, on the lists as they stand then
            missing[:], unexpected[:] = hook_missing, []
            result = IncompatibleKeys(missing, unexpected)
            pending = []  # (depth, module) whose subtree is still loading
            for module, depth, module_missing, module_unexpected in calls:
                while pending and pending[-1][0] >= depth:
                    _run_load_post_hooks(pending.pop()[1], result)
                missing.extend(module_missing)
                unexpected.extend(module_unexpected)
                pending.append((depth, module))
            while pending:
                _run_load_post_hooks(pending.pop()[1], result)
            strict_problems()
            if problems:
                self._raise_load_problems(problems)
        return result

    def _raise_load_problems(self, problems):
        raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                           + "\n\t".join(problems))

    # ------------------------------------------------------------------ printing

    def extra_repr(self) -> str:
        """The text inside this module's parentheses, e.g. ``in_features=20, out_features=64``."""
        return ""

    def __repr__(self):
        """PyTorch's layout: ``Name(extra)`` when the extra text is one line and there are no
        submodules, otherwise one line per extra line and per ``(name): child``, indented."""
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        children = [f"({name}): " + repr(child).replace("\n", "\n  ")
                    for name, child in self._named_submodules()]
        if not children and len(lines) <= 1:
            return f"{type(self).__name__}({extra})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines + children) + "\n)"


# ---------------------------------------------------------------------- plain containers

# A plain list, tuple or dict of modules is not registered (PyTorch's rule), which silently
# costs a model its parameters, so it gets a warning; PyTorch stays silent. It is decided when
# the module is walked (``parameters()``, ``state_dict()``, ``train()``...), not when the list
# is assigned, because the modules in it may be registered after (``self.layers = []``, then
# ``add_module(f"l{i}", layer)`` and ``self.layers.append(layer)`` for each): only a module or
# parameter that is not reachable through registered attributes makes it warn. The warning
# points at the line that assigned the list when it held modules then, otherwise at the
# user's line that started the walk: the first frame outside this package.

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_warned_unregistered = set()  # (module class, attribute name) pairs already warned about
# id(module) -> {attribute name: (id of the list, filename, lineno, globals)}: where it was
# assigned. Keyed by id, not by the module (which need not be hashable); a weak reference to
# the module removes the entry when the module goes.
_assignment_sites = {}
_quiet = threading.local()  # walking=True while a check walks the tree: no warnings inside it


def _check_assignment(module, name, value, current):
    """PyTorch's ``Module.__setattr__`` rules where ``module.name = value`` may change what
    kind of member ``name`` is (``current`` is the attribute now, or None): a parameter takes
    only a Parameter or None, a submodule only a Module or None, a buffer only a tensor or None
    (``TypeError`` in PyTorch's words); a Parameter or Module before ``Module.__init__()``
    raises ``AttributeError``; a Parameter or Module over a buffer unregisters the buffer, and
    one that changes an attribute's kind moves it to the end (PyTorch re-inserts it in its
    dict). Assignments of the same class skip this (``self.weight = nn.Parameter(...)``,
    ``self.running_mean = t``). A parameter or submodule that is None is a plain None
    attribute here, its kind noted in ``_none_members`` (a set, which the member walk skips)
    when it became None through ``register_parameter``/``add_module`` or by assignment over a
    parameter or submodule: ``Linear(bias=False).bias = t`` raises as in PyTorch, but a layer
    that wrote ``self.bias = None`` itself has no such note."""
    attributes = module.__dict__
    buffers = attributes.get("_buffer_names")
    nones = attributes.get("_none_members")
    was = None
    if nones and current is None:
        was = "parameter" if (name, "parameter") in nones else \
            "module" if (name, "module") in nones else None
    if isinstance(value, Parameter):
        if buffers is None:
            raise AttributeError("cannot assign parameters before Module.__init__() call")
        if was == "parameter":  # a None parameter slot keeps its place
            nones.discard((name, "parameter"))
        elif not isinstance(current, Parameter):
            _forget_member(module, name, buffers)
    elif isinstance(current, Parameter) or was == "parameter":
        if value is not None:
            raise TypeError(f"cannot assign '{typename(value)}' as parameter '{name}' "
                            "(torch.nn.Parameter or None expected)")
        _note_none(module, name, "parameter")
    elif isinstance(value, Module):
        if buffers is None:
            raise AttributeError("cannot assign module before Module.__init__() call")
        if was == "module":
            nones.discard((name, "module"))
        elif not isinstance(current, Module):
            _forget_member(module, name, buffers)
    elif isinstance(current, Module) or was == "module":
        if value is not None:
            raise TypeError(f"cannot assign '{typename(value)}' as child module '{name}' "
                            "(torch.nn.Module or None expected)")
        _note_none(module, name, "module")
    elif buffers is not None and name in buffers:
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(f"cannot assign '{typename(value)}' as buffer '{name}' "
                            "(torch.nn.Buffer, torch.Tensor or None expected)")


def _note_none(module, name, kind):
    """Note that ``module.name``, now None, is a ``kind`` ("parameter" or "module") slot."""
    nones = module.__dict__.get("_none_members")
    if nones is None:
        nones = module.__dict__["_none_members"] = set()
    nones.add((name, kind))


def _forget_member(module, name, buffers):
    """Drop ``name``'s attribute, buffer registration and None-member note before it is
    assigned anew."""
    module.__dict__.pop(name, None)
    nones = module.__dict__.get("_none_members")
    if nones:
        nones.discard((name, "parameter"))
        nones.discard((name, "module"))
    if name in buffers:
        buffers.remove(name)
        module._non_persistent_buffers.discard(name)


def _held(value):
    """The modules and parameters a plain list, tuple or dict holds."""
    items = value.values() if isinstance(value, dict) else value
    return [item for item in items if isinstance(item, (Module, Parameter))]


def _user_frame():
    """The innermost frame whose code lives outside tinygrad_bn: the user's line."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    return frame


def _note_plain_container(module, name, value):
    """Remember where ``module.name`` was assigned a plain container that holds modules or
    parameters, for the warning a later walk may give; forget an older assignment."""
    sites = _assignment_sites.get(id(module))
    if sites is not None:
        sites.pop(name, None)
    if value and _held(value):
        frame = _user_frame()
        if frame is None:
            return
        if sites is None:
            key = id(module)
            sites = _assignment_sites[key] = {}
            sites[None] = weakref.ref(module, lambda _, key=key: _assignment_sites.pop(key, None))
        sites[name] = (id(value), frame.f_code.co_filename, frame.f_lineno, frame.f_globals)


def _registered(module):
    """The ids of every module and parameter reachable from ``module`` through registered
    attributes (``module`` included), found without warning."""
    found, stack = set(), [module]
    previous, _quiet.walking = getattr(_quiet, "walking", False), True
    try:
        while stack:
            current = stack.pop()
            if id(current) in found:
                continue
            found.add(id(current))
            for kind, _, value in current._members():
                if kind == "module":
                    stack.append(value)
                elif kind == "parameter" and value is not None:
                    found.add(id(value))
    finally:
        _quiet.walking = previous
    return found


def _warn_if_unregistered(module, name, value):
    """Warn, once per class and attribute name, that the plain list, tuple or dict in
    ``module.name`` holds modules or parameters that are not registered, and name the container
    that would register them. Nothing is said when every one of them is also registered."""
    key = (type(module), name)
    if key in _warned_unregistered:
        return
    held = _held(value)
    if not held:
        return
    registered = _registered(module)
    if all(id(item) in registered for item in held):
        return
    _warned_unregistered.add(key)
    has_modules = any(isinstance(item, Module) for item in held)
    has_parameters = any(isinstance(item, Parameter) for item in held)
    suffix = "Dict" if isinstance(value, dict) else "List"
    what = " and ".join(kind for kind, present in (("modules", has_modules),
                                                    ("parameters", has_parameters)) if present)
    containers = " / ".join(f"nn.{kind}{suffix}" for kind, present in (
        ("Module", has_modules), ("Parameter", has_parameters)) if present)
    message = (
        f"{type(module).__name__}.{name} is a plain {type(value).__name__} of {what}, which is "
        f"not registered (as in PyTorch): what it holds is not in parameters(), state_dict(), "
        f"children() or modules(), and .to()/.double() and train()/eval() do not reach it. "
        f"Use {containers} to register them."
    )
    site = _assignment_sites.get(id(module), {}).get(name)
    if site is not None and site[0] == id(value):
        _, filename, lineno, module_globals = site
    else:
        frame = _user_frame()
        if frame is None:  # walked from inside the package only: ordinary attribution
            warnings.warn(message, UserWarning, stacklevel=2)
            return
        filename, lineno, module_globals = (frame.f_code.co_filename, frame.f_lineno,
                                            frame.f_globals)
    warnings.warn_explicit(message, UserWarning, filename, lineno,
                           module=module_globals.get("__name__"),
                           registry=module_globals.setdefault("__warningregistry__", {}),
                           module_globals=module_globals)


# ---------------------------------------------------------------------- hooks


class _MemberView(MutableMapping):
    """A live view of one module's own parameters, buffers or submodules by name, in
    registration order: what PyTorch keeps as ``_parameters``, ``_buffers`` and ``_modules``.
    Writing registers (``register_parameter``, ``register_buffer`` keeping the name's
    persistence, ``add_module``), deleting unregisters. Unlike PyTorch's dicts, a member set to
    None is not listed."""

    __slots__ = ("module", "kind")

    def __init__(self, module, kind):
        self.module, self.kind = module, kind

    def _items(self):
        return [(name, value) for kind, name, value in self.module._members()
                if kind == self.kind]

    def __getitem__(self, name):
        for member, value in self._items():
            if member == name:
                return value
        raise KeyError(name)

    def __setitem__(self, name, value):
        module = self.module
        if self.kind == "parameter":
            module.register_parameter(name, value)
        elif self.kind == "buffer":
            module.register_buffer(name, value,
                                   persistent=name not in module._non_persistent_buffers)
        else:
            module.add_module(name, value)

    def __delitem__(self, name):
        if name not in self:
            raise KeyError(name)
        delattr(self.module, name)

    def __iter__(self):
        return iter([name for name, _ in self._items()])

    def __len__(self):
        return len(self._items())

    def __contains__(self, name):
        return any(member == name for member, _ in self._items())

    def __repr__(self):
        return f"{type(self).__name__}({dict(self._items())!r})"


# Hooks run when any module registers a parameter, buffer or submodule (PyTorch's
# register_module_parameter/buffer/module_registration_hook): hook(module, name, value) may
# return a replacement
registration_hooks = {"parameter": {}, "buffer": {}, "module": {}}


def _run_registration_hooks(kind, module, name, value):
    for hook in list(registration_hooks[kind].values()):
        output = hook(module, name, value)
        if output is not None:
            value = output
    return value


def _after_registration_hooks(module, name, value):
    """``value`` after the registration hooks of its kind (a Parameter, a Module, or a tensor
    assigned to a buffer's name or an ``nn.Buffer``); other values pass unchanged."""
    if isinstance(value, Parameter):
        return _run_registration_hooks("parameter", module, name, value)
    if isinstance(value, Module):
        return _run_registration_hooks("module", module, name, value)
    if isinstance(value, Tensor) and (getattr(value, "_is_buffer", False)
                                      or name in module.__dict__.get("_buffer_names", ())):
        return _run_registration_hooks("buffer", module, name, value)
    return value


def register_module_parameter_registration_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """PyTorch's global hook ``hook(module, name, param)``, run whenever a module registers a
    parameter (assignment or ``register_parameter``); it may return a replacement."""
    return RemovableHandle.append(registration_hooks["parameter"], hook)


def register_module_buffer_registration_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """PyTorch's global hook ``hook(module, name, buffer)``, run whenever a module registers a
    buffer; it may return a replacement."""
    return RemovableHandle.append(registration_hooks["buffer"], hook)


def register_module_module_registration_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """PyTorch's global hook ``hook(module, name, submodule)``, run whenever a module registers
    a submodule (assignment, ``add_module``, a container's entries); it may return a
    replacement."""
    return RemovableHandle.append(registration_hooks["module"], hook)


def _modules_with_depth(root):
    """``(dotted name, module, depth)`` for ``root`` and every submodule under every name, in
    the pre-order PyTorch's recursive load visits them (a module inside itself not again)."""
    stack = [("", root, 0, ())]
    while stack:
        name, module, depth, ancestors = stack.pop()
        if id(module) in ancestors:
            continue
        yield name, module, depth
        children = list(module._named_submodules())
        for child_name, child in reversed(children):
            if child is not None:
                stack.append((f"{name}.{child_name}" if name else child_name, child, depth + 1,
                              (*ancestors, id(module))))


def _owners_of_unexpected(root, state_dict):
    """The keys of ``state_dict`` no module expects, by the dotted name of the module that
    PyTorch's load reports each at: the deepest module its path reaches, where the next
    component names no submodule (a key naming a submodule itself is not reported, as in
    PyTorch). Keys a module does expect are left out."""
    owners = {}
    for key in state_dict:
        module, prefix, parts = root, "", key.split(".")
        for index, part in enumerate(parts):
            child = dict(module._named_submodules()).get(part)
            if isinstance(child, Module) and index < len(parts) - 1:
                module, prefix = child, f"{prefix}.{part}" if prefix else part
                continue
            if isinstance(child, Module):  # the key names a submodule
                break
            rest = ".".join(parts[index:])
            local = {name for kind, name, value in module._members()
                     if kind in ("parameter", "buffer") and value is not None
                     and name not in module.__dict__.get("_non_persistent_buffers", set())}
            if _has_extra_state(module, "set_extra_state"):
                local.add(_EXTRA_STATE)
            if rest not in local:
                owners.setdefault(prefix, []).append(key)
            break
    return owners


def _run_load_post_hooks(module, incompatible_keys):
    hooks = module.__dict__.get("_state_hooks")
    if hooks is None:
        return
    for hook in list(hooks.load_post.values()):
        if hook(module, incompatible_keys) is not None:
            raise AssertionError(
                "Hooks registered with ``register_load_state_dict_post_hook`` are not expected "
                "to return new values, if incompatible_keys need to be modified, it should be "
                "done inplace.")


# The state-dict key of a module's get_extra_state() (PyTorch's _EXTRA_STATE_KEY_SUFFIX)
_EXTRA_STATE = "_extra_state"


def _has_extra_state(module, method):
    """Whether ``module``'s class overrides ``get_extra_state`` / ``set_extra_state``."""
    return getattr(type(module), method) is not getattr(Module, method)


class StateDictHooks:
    """A module's ``state_dict`` and ``load_state_dict`` hooks, by kind, each an ordered dict
    keyed by handle id (kept apart from ``ModuleHooks``, whose presence sends ``__call__`` down
    its slower path)."""

    def __init__(self):
        self.state_dict, self.state_dict_post, self.load_pre = {}, {}, {}
        self.state_dict_pre, self.load_post = {}, {}


class _WithModule:
    """A load pre-hook that takes the module first (``register_load_state_dict_pre_hook``)."""

    def __init__(self, module, hook):
        self.module, self.hook = weakref.ref(module), hook

    def __call__(self, *args):
        return self.hook(self.module(), *args)

    def __getstate__(self):
        """The module itself, so that a deep copy's hook takes the copied module (PyTorch's
        ``_WrappedHook`` does the same)."""
        return {"module": self.module(), "hook": self.hook}

    def __setstate__(self, state):
        self.module, self.hook = weakref.ref(state["module"]), state["hook"]


def _run_load_pre_hooks(root, state_dict):
    """``state_dict`` as the load pre-hooks of ``root``'s modules leave it (a copy, with its
    ``_metadata``, when there are any), the keys they report missing, and their error
    messages; each hook gets its module's dotted prefix and metadata, parents first, and
    ``strict=True`` whatever ``strict`` is (PyTorch's ``load_state_dict`` passes True: missing
    keys are always reported, and only raise with ``strict``)."""
    hooked = [(name, module) for name, module in root.named_modules()
              if "_state_hooks" in module.__dict__ and module.__dict__["_state_hooks"].load_pre]
    missing, unexpected, errors = [], [], []
    if not hooked:
        return state_dict, missing, errors
    metadata = getattr(state_dict, "_metadata", None)
    state_dict = OrderedDict(state_dict)
    if metadata is not None:
        state_dict._metadata = metadata
    for name, module in hooked:
        local_metadata = {} if metadata is None else metadata.get(name, {})
        for hook in list(module.__dict__["_state_hooks"].load_pre.values()):
            hook(state_dict, name + "." if name else "", local_metadata, True, missing,
                 unexpected, errors)
    return state_dict, missing, errors


class ModuleHooks:
    """A module's registered hooks, by kind, each an ordered dict keyed by handle id."""

    def __init__(self):
        self.forward_pre, self.forward = {}, {}
        self.backward_pre, self.backward = {}, {}
        self.with_kwargs = set()
        self.always_called = set()  # ids of forward hooks registered with always_call=True

    def add(self, kind, hook, prepend, with_kwargs, always_call=False):
        graph._Structure.count += 1  # a jit plan would not run the hook: it captures again
        hooks = getattr(self, kind)
        handle = RemovableHandle.append(hooks, hook)
        if prepend:
            hooks_in_order = {handle.id: hooks.pop(handle.id), **hooks}
            hooks.clear()
            hooks.update(hooks_in_order)
        if with_kwargs:
            self.with_kwargs.add(handle.id)
        if always_call:
            self.always_called.add(handle.id)
        return handle


# Hooks every module call runs before the module's own (PyTorch's _global_forward_hooks and
# the like, registered with nn.modules.module.register_module_forward_hook & co.)
global_hooks = ModuleHooks()
_global_backward_kind = [None]  # "full" or "regular" once a global backward hook is registered


def _with_global_hooks(own):
    """The hooks a module call runs when global hooks exist: the global ones first, then the
    module's own (``own``, or None), as PyTorch orders them; a new ``ModuleHooks``."""
    merged = ModuleHooks()
    for kind in ("forward_pre", "forward", "backward_pre", "backward"):
        getattr(merged, kind).update(getattr(global_hooks, kind))
        if own is not None:
            getattr(merged, kind).update(getattr(own, kind))
    merged.with_kwargs = global_hooks.with_kwargs | (own.with_kwargs if own else set())
    merged.always_called = global_hooks.always_called | (own.always_called if own else set())
    return merged


def register_module_forward_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """PyTorch's global forward pre-hook: ``hook(module, args)`` before every module's
    ``forward`` (and before the module's own pre-hooks); it may return new ``args``."""
    return global_hooks.add("forward_pre", hook, False, False)


def register_module_forward_hook(hook: Callable[..., Any], *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:
    """PyTorch's global forward hook: ``hook(module, args, output)`` (``with_kwargs``:
    ``hook(module, args, kwargs, output)``) after every module's ``forward``, before the
    module's own forward hooks; it may return a replacement output."""
    return global_hooks.add("forward", hook, False, with_kwargs, always_call)


def _check_global_backward_kind(kind):
    if _global_backward_kind[0] not in (None, kind):
        raise RuntimeError("Cannot use both regular backward hooks and full backward hooks as a "
                           "global Module hook. Please use only one of them.")
    _global_backward_kind[0] = kind


def register_module_full_backward_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """PyTorch's global backward pre-hook: ``hook(module, grad_output)`` for every module
    call, as ``Module.register_full_backward_pre_hook``."""
    return global_hooks.add("backward_pre", hook, False, False)


def register_module_full_backward_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """PyTorch's global backward hook: ``hook(module, grad_input, grad_output)`` for every
    module call, as ``Module.register_full_backward_hook``; not with a regular one."""
    _check_global_backward_kind("full")
    return global_hooks.add("backward", hook, False, False)


def register_module_backward_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """PyTorch's deprecated global (non-full) backward hook, not with a full one. As this
    framework's ``Module.register_backward_hook``, it runs with the full hook's semantics
    (``grad_input`` with respect to the module's tensor arguments), which is what PyTorch's
    gives for a module made of a single operation."""
    _check_global_backward_kind("regular")
    return global_hooks.add("backward", hook, False, False)


def forward_pre_hooks(module):
    """``module``'s forward pre-hooks, handle id -> hook, in calling order (PyTorch's
    ``module._forward_pre_hooks``, which ``weight_norm``, ``spectral_norm`` and ``prune`` search
    for their own hook); an empty dict when it has none."""
    hooks = module.__dict__.get("_module_hooks")
    return {} if hooks is None else hooks.forward_pre


def remove_forward_pre_hook(module, key):
    """Unregister the forward pre-hook ``key`` of ``module`` (what its handle's ``remove()``
    does, for code that found the hook by searching ``forward_pre_hooks``)."""
    graph._Structure.count += 1  # a jit plan captured with the hook must not replay
    del module.__dict__["_module_hooks"].forward_pre[key]


def _call_with_hooks(module, hooks, args, kwargs):
    """``Module.__call__`` when hooks are registered: pre-hooks, ``forward``, forward hooks; if
    any of them raises, the forward hooks registered with ``always_call=True`` that have not run
    yet still run (with ``output=None``) before the error propagates, as in PyTorch."""
    called, output = set(), None
    try:
        args, kwargs, backward = _before_forward(module, hooks, args, kwargs)
        output = module._forward_in_its_call(args, kwargs)
        return _after_forward(module, hooks, args, kwargs, output, backward, called)
    except Exception:
        for key, hook in list(hooks.forward.items()):
            if key not in hooks.always_called or key in called:
                continue
            try:
                result = hook(module, args, kwargs, output) if key in hooks.with_kwargs else \
                    hook(module, args, output)
                if result is not None:
                    output = result
            except Exception as error:
                warnings.warn("module forward hook with ``always_call=True`` raised an exception "
                              f"that was silenced as another error was raised in forward: {error}",
                              stacklevel=2)
        raise


def _before_forward(module, hooks, args, kwargs):
    """What ``Module.__call__`` does before ``forward`` when hooks are registered: the forward
    pre-hooks, then (for backward hooks) an identity node on the tensor arguments."""
    for key, hook in list(hooks.forward_pre.items()):
        if key in hooks.with_kwargs:
            result = hook(module, args, kwargs)
            if result is not None:
                args, kwargs = result
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    backward = None
    if (hooks.backward or hooks.backward_pre) and is_grad_enabled():
        backward = _BackwardHookState(module, hooks)
        args = backward.wrap_inputs(args)
    return args, kwargs, backward


def _after_forward(module, hooks, args, kwargs, output, backward, called):
    """The forward hooks, then (for backward hooks) an identity node on the output. The ids of
    the hooks that ran are added to ``called``."""
    for key, hook in list(hooks.forward.items()):
        called.add(key)
        result = hook(module, args, kwargs, output) if key in hooks.with_kwargs else \
            hook(module, args, output)
        if result is not None:
            output = result
    if backward is not None:
        output = backward.wrap_output(output)
    return output


class _BackwardHookState:
    """Connects a module call's backward hooks to the graph, as PyTorch does: identity
    functions on the tensor arguments and on the output. The output's backward records
    ``grad_output`` (after the pre-hooks); the arguments' backward, reached once the module's
    own gradients are done, calls the hooks with ``grad_input``."""

    def __init__(self, module, hooks):
        self.module, self.hooks = module, hooks
        self.grad_output = None
        self.tensor_args, self.wrapped = [], []  # positions of tensor args; those wrapped

    def wrap_inputs(self, args):
        self.tensor_args = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.wrapped = [i for i in self.tensor_args if args[i].requires_grad]
        return tuple(self._through_identity("input", args, self.wrapped))

    def wrap_output(self, output):
        outputs = output if isinstance(output, tuple) else (output,)
        positions = [i for i, o in enumerate(outputs) if isinstance(o, Tensor) and o.requires_grad]
        outputs = self._through_identity("output", outputs, positions)
        return tuple(outputs) if isinstance(output, tuple) else outputs[0]

    def _through_identity(self, side, values, positions):
        """``values`` as a list, those at ``positions`` passed through one identity node whose
        backward reports to this state."""
        values = list(values)
        if positions:
            wrapped = BackwardHookFunction.apply(self, side, *[values[i] for i in positions])
            wrapped = wrapped if isinstance(wrapped, tuple) else (wrapped,)
            for position, tensor in zip(positions, wrapped):
                values[position] = tensor
        return values

    def output_gradients(self, grads):
        for hook in list(self.hooks.backward_pre.values()):
            result = hook(self.module, grads)
            if result is not None:
                result = _as_gradient_tuple(result)
                if len(result) != len(grads):
                    raise RuntimeError("Backward pre hook returned an invalid number of "
                                       f"grad_output, got {len(result)}, but expected {len(grads)}")
                grads = result
        self.grad_output = grads
        if not self.wrapped:  # no argument needs a gradient: the hooks run now
            self._call_hooks((None,) * max(len(self.tensor_args), 1))
        return grads

    def input_gradients(self, grads):
        by_position = dict(zip(self.wrapped, grads))
        grad_input = tuple(by_position.get(i) for i in self.tensor_args)
        grad_input = self._call_hooks(grad_input)
        by_position = dict(zip(self.tensor_args, grad_input))
        return tuple(by_position[i] for i in self.wrapped)

    def _call_hooks(self, grad_input):
        for hook in list(self.hooks.backward.values()):
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                result = _as_gradient_tuple(result)
                if len(result) != len(grad_input):
                    raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                       f"got {len(result)}, but expected {len(grad_input)}")
                grad_input = result
        return grad_input


def _as_gradient_tuple(result):
    """What a backward hook returned, as a tuple of gradients: a tuple or list as it is, a
    single tensor as a tuple of one."""
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)


class BackwardHookFunction(Function):
    """Identity on a module call's tensors whose backward runs the module's backward hooks."""

    @staticmethod
    def forward(ctx, state, side, *tensors):
        ctx.state, ctx.side = state, side
        return tuple(t.detach() for t in tensors) if len(tensors) > 1 else tensors[0].detach()

    @staticmethod
    def backward(ctx, *grads):
        if ctx.side == "output":
            grads = ctx.state.output_gradients(grads)
        else:
            grads = ctx.state.input_gradients(grads)
        return (None, None) + tuple(grads)

"""Containers, named as PyTorch names them: ``Sequential`` (modules applied one after another),
``ModuleList`` and ``ModuleDict`` of modules, ``ParameterList`` and ``ParameterDict`` of
parameters.

They exist because a module registers only attributes that are themselves a Parameter or a
Module (as PyTorch does): a plain list of layers is invisible to ``parameters()``,
``state_dict()``, ``to()`` and ``train()``. A container is a Module that registers what it holds
under its position or key, so ``self.blocks = ModuleList(...)`` gives ``blocks.0.weight``.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import ItemsView, Iterable, KeysView, Mapping, ValuesView
from typing import TYPE_CHECKING, Any, Union

from ..printing import dtype_name
from ..tensor import Tensor
from .module import Module, Parameter

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self from Python 3.11 on

# What ModuleDict accepts: a mapping, or (name, module) pairs.
NamedModules = Union[Mapping[str, Module], Iterable[tuple[str, Module]]]


class ModuleList(Module):
    """A list of modules whose parameters belong to the owner, named ``0``, ``1``, ... as in
    PyTorch. Indexing, slicing (a new ModuleList), ``len``, iteration, ``append``, ``extend``,
    ``insert`` and item assignment work as on a list; it has no ``forward``."""

    _holds = ("layers",)

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        self.layers = []
        self.extend(modules or [])

    def _members(self):
        for i, module in enumerate(self.layers):
            yield "module", str(i), module
        yield from super()._members()

    def _index(self, index):
        if not -len(self.layers) <= index < len(self.layers):
            raise IndexError(f"index {index} is out of range for {type(self).__name__} of "
                             f"length {len(self.layers)}")
        return index % len(self.layers)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ModuleList(self.layers[index])
        return self.layers[self._index(index)]

    def __setitem__(self, index, module):
        self.layers[self._index(index)] = _module(module)

    def __delitem__(self, index):
        del self.layers[index if isinstance(index, slice) else self._index(index)]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def append(self, module: Module) -> Self:
        """Add ``module`` at the end; returns the list."""
        self.layers.append(_module(module))
        return self

    def extend(self, modules: Iterable[Module]) -> Self:
        """Append every module of an iterable, in order; returns the list."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert ``module`` before position ``index`` (as ``list.insert``)."""
        self.layers.insert(index, _module(module))

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "ModuleList is a container, not a layer: call the modules it holds"
        )


class ModuleDict(Module):
    """An ordered dict of modules whose parameters belong to the owner, named by their keys (as
    PyTorch's). ``d[key]``, ``d[key] = module``, ``in``, ``len``, iteration over keys, ``keys``,
    ``values``, ``items``, ``update`` and ``pop`` work as on a dict."""

    _holds = ("entries",)

    def __init__(self, modules: NamedModules | None = None) -> None:
        super().__init__()
        self.entries = {}
        if modules is not None:
            self.update(modules)

    def _members(self):
        for key, module in self.entries.items():
            yield "module", key, module
        yield from super()._members()

    def __getitem__(self, key):
        return self.entries[key]

    def __setitem__(self, key, module):
        if not isinstance(key, str):
            raise TypeError(f"module name should be a string. Got {type(key).__name__}")
        self.entries[key] = _module(module)

    def __delitem__(self, key):
        del self.entries[key]

    def __contains__(self, key):
        return key in self.entries

    def __len__(self):
        return len(self.entries)

    def __iter__(self):
        return iter(self.entries)

    def keys(self) -> KeysView[str]:
        """The keys, in insertion order."""
        return self.entries.keys()

    def values(self) -> ValuesView[Module]:
        """The modules, in insertion order."""
        return self.entries.values()

    def items(self) -> ItemsView[str, Module]:
        """``(key, module)`` pairs, in insertion order."""
        return self.entries.items()

    def update(self, modules: NamedModules) -> None:
        """Add or replace modules from a mapping or an iterable of ``(key, module)`` pairs, in
        their order."""
        pairs = modules.items() if hasattr(modules, "items") else modules
        for key, module in pairs:
            self[key] = module

    def pop(self, key: str) -> Module:
        """Remove the module under ``key`` and return it (``KeyError`` if absent)."""
        return self.entries.pop(key)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "ModuleDict is a container, not a layer: call the modules it holds"
        )


class Sequential(ModuleList):
    """Apply the given modules in order: ``Sequential(a, b)(x) == b(a(x))``.

    A ``ModuleList`` that is also a layer: indexing (an int gives a module, a slice a new
    Sequential), ``len``, iteration and ``append``; parameters are named ``0.weight``,
    ``1.bias``, ... as in PyTorch, or by the keys of an ``OrderedDict`` given instead
    (``Sequential(OrderedDict(fc=Linear(2, 3)))`` has ``fc.weight`` and an attribute ``fc``).
    """

    _holds = ("layers", "_names")

    def __init__(self, *modules: Module | Mapping[str, Module]) -> None:
        names = None
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            names, modules = list(modules[0]), list(modules[0].values())
        super().__init__(modules)
        self._names = names

    def _members(self):
        names = self.__dict__.get("_names")
        if names is None:
            yield from super()._members()
            return
        for name, module in zip(names, self.layers):
            yield "module", name, module
        yield from Module._members(self)

    def append(self, module: Module) -> Self:
        """Add ``module`` as the last step (named by its position); returns the Sequential."""
        names = self.__dict__.get("_names")
        if names is not None:
            names.append(str(len(self.layers)))
        return super().append(module)

    def __getattr__(self, name):
        """A module by its ``OrderedDict`` key (called only when normal lookup fails)."""
        names = self.__dict__.get("_names")
        if names is not None and name in names:
            return self.layers[names.index(name)]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def forward(self, input: Any) -> Any:
        for module in self.layers:
            input = module(input)
        return input

    def __getitem__(self, index):
        if isinstance(index, slice):
            names = self.__dict__.get("_names")
            if names is not None:
                return Sequential(OrderedDict(zip(names[index], self.layers[index])))
            return Sequential(*self.layers[index])
        return super().__getitem__(index)


class ParameterList(Module):
    """A list of parameters that belong to the owner, named ``0``, ``1``, ... (``params.0`` in
    the owner's ``state_dict``), as PyTorch's.

    A Tensor that is not yet a Parameter is wrapped into one as it enters (through the
    constructor, ``append``, ``extend``, ``+=`` or item assignment), sharing its data and
    requiring grad. Other values are kept as they are, as PyTorch keeps them: a Module among
    them becomes a submodule, anything else is stored but not registered. Indexing (a slice
    gives a new ParameterList), ``len`` and iteration work as on a list; there is no ``del``
    or ``insert``, and calling it raises, as in PyTorch.
    """

    _holds = ("_values",)

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        self._values = []
        if values is not None:
            self.extend(values)

    def _members(self):
        for i, value in enumerate(self._values):
            if isinstance(value, Parameter):
                yield "parameter", str(i), value
            elif isinstance(value, Module):
                yield "module", str(i), value
        yield from super()._members()

    def _index(self, index):
        index = operator.index(index)
        if not -len(self._values) <= index < len(self._values):
            raise IndexError(f"index {index} is out of range")
        return index % len(self._values)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)().extend(self._values[index])
        return self._values[self._index(index)]

    def __setitem__(self, index, value):
        self._values[self._index(index)] = _as_parameter(value)

    def __len__(self):
        return len(self._values)

    def __iter__(self):
        return iter(self._values)

    def __iadd__(self, values):
        return self.extend(values)

    def append(self, value: Any) -> Self:
        """Add ``value`` at the end (a tensor that is not yet a ``Parameter`` is wrapped in one, as
        in PyTorch); returns the list."""
        self._values.append(_as_parameter(value))
        return self

    def extend(self, values: Iterable[Any]) -> Self:
        # a Tensor iterates over its rows, but is never meant to be unpacked here
        """Append every value of an iterable (not a single tensor), wrapping tensors as
        ``Parameter``; returns the list."""
        if not isinstance(values, Iterable) or isinstance(values, Tensor):
            raise TypeError("ParameterList.extend should be called with an iterable, but got "
                            + type(values).__name__)
        for value in list(values):  # a copy first: ``params += params`` ends
            self.append(value)
        return self

    def extra_repr(self) -> str:
        """One line per entry: ``  (0): Parameter containing: [torch.float32 of size 2x3]``."""
        return "\n".join(f"  ({i}): " + _describe(value, lambda p: dtype_name(p.dtype))
                         for i, value in enumerate(self._values))

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """An ordered dict of parameters that belong to the owner, named by their (string) keys, as
    PyTorch's.

    Tensors are wrapped into Parameters as they enter, as in ``ParameterList``. A plain
    ``dict`` given to the constructor or ``update`` enters in sorted key order (PyTorch's rule);
    an ``OrderedDict``, a ParameterDict or a sequence of ``(key, value)`` pairs keeps its order.
    ``d[key]`` (a missing key raises ``AttributeError``, as in PyTorch), ``d.key``, ``in``,
    ``len``, iteration over keys, ``keys``, ``values``, ``items``, ``get``, ``pop``,
    ``popitem``, ``setdefault``, ``clear``, ``copy``, ``fromkeys`` and ``|`` work as on a dict.
    """

    _holds = ("_values",)

    def __init__(self,
                 parameters: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None) -> None:
        super().__init__()
        self._values = {}
        if parameters is not None:
            self.update(parameters)

    def _members(self):
        for key, value in self._values.items():
            if isinstance(value, Parameter):
                yield "parameter", key, value
            elif isinstance(value, Module):
                yield "module", key, value
        yield from super()._members()

    def __getattr__(self, name):
        # only reached when ordinary lookup fails: entries read as attributes, as in PyTorch
        values = self.__dict__.get("_values")
        if values is not None and name in values:
            return values[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __getitem__(self, key):
        _check_key(key)
        if key not in self._values:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{key}'")
        return self._values[key]

    def __setitem__(self, key, value):
        _check_key(key)
        self._values[key] = _as_parameter(value)

    def __delitem__(self, key):
        del self._values[key]

    def __contains__(self, key):
        return key in self._values

    def __len__(self):
        return len(self._values)

    def __iter__(self):
        return iter(self._values)

    def __reversed__(self):
        return reversed(self._values)

    def keys(self) -> KeysView[str]:
        """The keys, in insertion order."""
        return self._values.keys()

    def values(self) -> ValuesView[Any]:
        """The parameters, in insertion order."""
        return self._values.values()

    def items(self) -> ItemsView[str, Any]:
        """``(key, parameter)`` pairs, in insertion order."""
        return self._values.items()

    def get(self, key: str, default: Any = None) -> Any:
        """The parameter under ``key``, or ``default`` (None) if absent."""
        return self._values.get(key, default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        """The parameter under ``key``; if absent, first store ``default`` there (wrapped as a
        ``Parameter`` when it is a tensor)."""
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key: str) -> Any:
        """Remove the parameter under ``key`` and return it (``KeyError`` if absent)."""
        value = self[key]
        del self[key]
        return value

    def popitem(self) -> tuple[str, Any]:
        """Remove and return the last inserted ``(key, parameter)`` pair."""
        return self._values.popitem()

    def clear(self) -> None:
        """Remove every parameter."""
        self._values.clear()

    def copy(self) -> ParameterDict:
        """A new ParameterDict holding the same parameters (not copies of them), in the same order.
        """
        return ParameterDict(OrderedDict(self._values))

    def fromkeys(self, keys: Iterable[str], default: Any = None) -> ParameterDict:
        """A new ParameterDict with every key of ``keys`` mapped to ``default``, as PyTorch's
        ``fromkeys``."""
        return ParameterDict((key, default) for key in keys)

    def update(self,
               parameters: Mapping[str, Any] | ParameterDict | Iterable[tuple[str, Any]]) -> None:
        """Add or overwrite entries from a mapping or from ``(key, value)`` pairs."""
        if not isinstance(parameters, Iterable):
            raise TypeError("ParametersDict.update should be called with an iterable of "
                            "key/value pairs, but got " + type(parameters).__name__)
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            pairs = parameters.items()
        elif isinstance(parameters, Mapping):
            pairs = sorted(parameters.items())
        else:
            pairs = []
            for j, pair in enumerate(parameters):
                if not isinstance(pair, Iterable):
                    raise TypeError(f"ParameterDict update sequence element #{j} should be "
                                    f"Iterable; is{type(pair).__name__}")
                if len(pair) != 2:
                    raise ValueError(f"ParameterDict update sequence element #{j} has length "
                                     f"{len(pair)}; 2 is required")
                pairs.append(pair)
        for key, value in pairs:
            self[key] = value

    def __or__(self, other):
        merged = self.copy()
        merged.update(other)
        return merged

    def __ror__(self, other):
        merged = other.copy()
        merged.update(self)
        return merged

    def __ior__(self, other):
        self.update(other)
        return self

    def extra_repr(self) -> str:
        """One line per entry: ``  (key): Parameter containing: [torch.FloatTensor of size 3]``
        (PyTorch names the type here, where ParameterList names the dtype)."""
        return "\n".join(f"  ({key}): " + _describe(value, Tensor.type)
                         for key, value in self._values.items())

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterDict should not be called.")


def _as_parameter(value):
    """A Tensor enters a parameter container as a Parameter (sharing its data), as in PyTorch."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


def _describe(value, type_text):
    """How a parameter container prints one entry, in PyTorch's words: ``type_text(tensor)``
    and the sizes joined by ``x`` (nothing for a 0-d one), or the type of a non-tensor."""
    if not isinstance(value, Tensor):
        return f"Object of type: {type(value).__name__}"
    kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
    size = "x".join(str(s) for s in value.shape)
    return f"{kind} containing: [{type_text(value)} of size {size}]"


def _check_key(key):
    if not isinstance(key, str):
        raise TypeError("Index given to ParameterDict cannot be used as a key as it is not a "
                        f"string (type is '{type(key).__name__}'). Open an issue on github if "
                        "you need non-string keys.")


def _module(value):
    if not isinstance(value, Module):
        raise TypeError(f"{type(value).__name__} is not a Module subclass")
    return value

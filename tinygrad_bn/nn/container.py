"""Containers, named as PyTorch names them: ``Sequential`` (modules applied one after another),
``ModuleList`` and ``ModuleDict`` of modules, ``ParameterList`` and ``ParameterDict`` of
parameters.

They exist because a module registers only attributes that are themselves a Parameter or a
Module (as PyTorch does): a plain list of layers is invisible to ``parameters()``,
``state_dict()``, ``to()`` and ``train()``. A container is a Module that registers what it holds
under its position or key, so ``self.blocks = ModuleList(...)`` gives ``blocks.0.weight``.

The three module containers keep their modules in one ordered dict, name to module, as PyTorch
keeps ``_modules``; their list and dict methods follow PyTorch's, quirks included where they are
not errors (a slice of a ``Sequential`` keeps the names it had; ``del`` renumbers).
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from itertools import chain, islice
from typing import TYPE_CHECKING, Any, Union

from ..autograd import graph
from ..printing import dtype_name
from ..tensor import Tensor
from .deprecation import deprecated_class
from .module import Module, Parameter, _run_registration_hooks, registration_hooks

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self from Python 3.11 on

# What ModuleDict accepts: a mapping, or (name, module) pairs.
NamedModules = Union[Mapping[str, Module], Iterable[tuple[str, Module]]]


class _ModuleTable(Module):
    """What ``ModuleList``, ``Sequential`` and ``ModuleDict`` share: ``_modules``, an ordered
    dict of name to module (or None), which is what they register, as PyTorch's ``_modules``.

    As in PyTorch, a module assigned as an attribute joins it (``d.head = Linear(2, 2)`` is
    ``d["head"] = ...`` on a ModuleDict, and one more entry on a list), an attribute that is not
    found otherwise is looked up in it (``d.head``, ``getattr(seq, "0")``), ``del d.head``
    takes it out, and assigning anything else than a module or None to one of its names raises.
    """

    _holds = ("_modules",)

    def __init__(self) -> None:
        super().__init__()
        self.__dict__["_modules"] = {}

    def _members(self):
        for name, module in self._modules.items():
            if module is not None:
                yield "module", name, module
        yield from super()._members()

    def __getattr__(self, name):
        # only reached when ordinary lookup fails: the entries read as attributes, as in PyTorch
        modules = self.__dict__.get("_modules")
        if modules is not None and name in modules:
            return modules[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name, value):
        modules = self.__dict__.get("_modules")
        if modules is None:
            super().__setattr__(name, value)
        elif isinstance(value, Module) or (value is None and name in modules):
            self.__dict__.pop(name, None)
            self._set_entry(name, value)
        elif name in modules:
            raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                            "(torch.nn.Module or None expected)")
        else:
            super().__setattr__(name, value)

    def __delattr__(self, name):
        if name in self.__dict__.get("_modules", ()):
            graph._Structure.count += 1
            del self._modules[name]
        else:
            super().__delattr__(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` (or None, kept as a placeholder) under ``name``, with
        ``Module.add_module``'s checks."""
        self._check_submodule(name, module)
        self.__dict__.pop(name, None)
        self._set_entry(name, module)

    register_module = add_module

    def _set_entry(self, name, module):
        graph._Structure.count += 1  # jit plans hold the modules they were captured with
        if registration_hooks["module"] and module is not None:
            module = _run_registration_hooks("module", self, name, module)
        self._modules[name] = module

    def _renumber(self):
        """Name the entries by their positions again, as PyTorch does after ``del``."""
        graph._Structure.count += 1
        self.__dict__["_modules"] = {str(i): module
                                     for i, module in enumerate(self._modules.values())}

    def _key_at(self, index) -> str:
        """The name of the entry at position ``index`` (negative counts from the end), with
        PyTorch's errors: ``TypeError`` for a non-integer, ``IndexError`` out of range."""
        index = operator.index(index)
        size = len(self._modules)
        if not -size <= index < size:
            raise IndexError(f"index {index} is out of range")
        return next(islice(self._modules, index % size, None))

    def __len__(self) -> int:
        return len(self._modules)


class _ModuleSequence(_ModuleTable):
    """What ``ModuleList`` and ``Sequential`` share: entries read, written and deleted by
    position (negative too), slices, iteration over the modules. (Neither is a subclass of the
    other, as in PyTorch.) A subclass says what a slice of it is, in ``_sliced``."""

    def _sliced(self, index: slice):
        raise NotImplementedError

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._sliced(index)
        return self._modules[self._key_at(index)]

    def __setitem__(self, index, module):
        setattr(self, self._key_at(index), module)

    def __delitem__(self, index):
        if isinstance(index, slice):
            for key in list(self._modules)[index]:
                delattr(self, key)
        else:
            delattr(self, self._key_at(index))
        self._renumber()

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters belong to the owner, named ``0``, ``1``, ... as in
    PyTorch. Indexing (negative too), slicing (a new ModuleList), ``len``, iteration, ``in``,
    ``append``, ``extend``, ``insert``, ``pop``, ``del``, item assignment, ``+`` and ``+=``
    work as on a list (``del`` and ``insert`` renumber); it has no ``forward``. Its repr
    groups consecutive equal entries as PyTorch's does: ``(0-2): 3 x Linear(...)``."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self += modules

    def _sliced(self, index):
        return type(self)(list(self._modules.values())[index])

    def __iadd__(self, modules: Iterable[Module]) -> Self:
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        combined = ModuleList()
        for i, module in enumerate(chain(self, other)):
            combined.add_module(str(i), module)
        return combined

    def append(self, module: Module) -> Self:
        """Add ``module`` at the end; returns the list."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Self:
        """Append every module of an iterable, in order; returns the list."""
        if not isinstance(modules, Iterable):
            raise TypeError("ModuleList.extend should be called with an iterable, but got "
                            + type(modules).__name__)
        for module in list(modules):  # a copy first: ``layers += layers`` ends
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert ``module`` before position ``index``, as ``list.insert`` (a negative index
        counts from the end, a large one appends); the entries after it move up one name."""
        modules = list(self._modules.values())
        modules.insert(operator.index(index), _module(module))
        self.__dict__["_modules"] = {}
        self.extend(modules)

    def pop(self, key: int | slice) -> Module | ModuleList:
        """Remove the entry (or a slice of them) at ``key`` and return it; the rest renumber."""
        value = self[key]
        del self[key]
        return value

    def __repr__(self):
        """PyTorch's: one line per entry, runs of equal reprs as ``(i-j): n x repr``."""
        if not self._modules:
            return f"{type(self).__name__}()"
        runs = []  # [first index, last index, repr]
        for i, module in enumerate(self):
            text = repr(module)
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        lines = [(f"({first}): {text}" if first == last else
                  f"({first}-{last}): {last - first + 1} x {text}").replace("\n", "\n  ")
                 for first, last, text in runs]
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


def _key_value_pairs(container, pairs):
    """The ``(key, value)`` pairs of an ``update`` argument that is not a mapping, each checked
    with PyTorch's messages (``container`` names the class in them)."""
    for j, pair in enumerate(pairs):
        if not isinstance(pair, Iterable):
            raise TypeError(f"{container} update sequence element #{j} should be Iterable; "
                            f"is{type(pair).__name__}")
        if len(pair) != 2:
            raise ValueError(f"{container} update sequence element #{j} has length "
                             f"{len(pair)}; 2 is required")
        yield pair[0], pair[1]


class ModuleDict(_ModuleTable):
    """An ordered dict of modules whose parameters belong to the owner, named by their keys, as
    PyTorch's: ``self.transformer = ModuleDict(dict(wte=Embedding(...), h=ModuleList(...)))``
    gives ``transformer.wte.weight`` and ``self.transformer.wte`` reads the entry.

    ``d[key]``, ``d[key] = module``, ``del d[key]``, ``in``, ``len``, iteration over keys in
    insertion order, ``keys``, ``values``, ``items``, ``update`` (a mapping or ``(key,
    module)`` pairs), ``pop`` and ``clear`` work as on a dict. A key must be a string naming no
    other attribute (``"keys"``, ``"training"`` and ``"forward"`` are taken), with no ``.``,
    and not empty: PyTorch's ``add_module`` rules and errors.
    """

    def __init__(self, modules: NamedModules | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        graph._Structure.count += 1
        del self._modules[key]

    def __contains__(self, key) -> bool:
        return key in self._modules

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def keys(self) -> KeysView[str]:
        """The keys, in insertion order."""
        return self._modules.keys()

    def values(self) -> ValuesView[Module]:
        """The modules, in insertion order."""
        return self._modules.values()

    def items(self) -> ItemsView[str, Module]:
        """``(key, module)`` pairs, in insertion order."""
        return self._modules.items()

    def update(self, modules: NamedModules | ModuleDict) -> None:
        """Add or replace modules from a mapping (a ModuleDict too) or an iterable of
        ``(key, module)`` pairs, in their order (a key already present keeps its place)."""
        if not isinstance(modules, Iterable):
            raise TypeError("ModuleDict.update should be called with an iterable of key/value "
                            "pairs, but got " + type(modules).__name__)
        if isinstance(modules, (Mapping, ModuleDict)):
            for key, module in modules.items():
                self[key] = module
            return
        for key, module in _key_value_pairs("ModuleDict", modules):
            self[key] = module

    def pop(self, key: str) -> Module:
        """Remove the module under ``key`` and return it (``KeyError`` if absent)."""
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        """Remove every module."""
        graph._Structure.count += 1
        self._modules.clear()


class Sequential(_ModuleSequence):
    """Apply the given modules in order: ``Sequential(a, b)(x) == b(a(x))``.

    Modules are named ``0``, ``1``, ... (``0.weight`` in ``state_dict``), or by the keys of an
    ``OrderedDict`` given instead (``Sequential(OrderedDict(fc=Linear(2, 3)))`` has
    ``fc.weight`` and an attribute ``fc``), as in PyTorch. Indexing (an int gives a module, a
    slice a new Sequential that keeps the names), ``len``, iteration, ``append``, ``extend``,
    ``insert``, ``pop``, ``del`` (which renames the rest by position), ``+`` and ``+=`` (with
    another Sequential), ``*`` and ``*=`` (by a positive int, repeating the same modules) work
    as in PyTorch.
    """

    def __init__(self, *modules: Module | OrderedDict[str, Module]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for key, module in modules[0].items():
                self.add_module(key, module)
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), module)

    def forward(self, input: Any) -> Any:
        for module in self:
            input = module(input)
        return input

    def _sliced(self, index):
        return type(self)(OrderedDict(list(self._modules.items())[index]))  # keeps the names

    def __add__(self, other: Sequential) -> Sequential:
        _check_sequential(other)
        return Sequential().extend(chain(self, other))

    def __iadd__(self, other: Sequential) -> Self:
        _check_sequential(other)
        return self.extend(list(other))

    def __mul__(self, times: int) -> Sequential:
        self._check_factor(times)
        return Sequential().extend(list(self) * times)

    __rmul__ = __mul__

    def __imul__(self, times: int) -> Self:
        self._check_factor(times)
        return self.extend(list(self) * (times - 1))

    def _check_factor(self, times):
        if not isinstance(times, int):
            raise TypeError(f"unsupported operand type(s) for *: {type(self)} and {type(times)}")
        if times <= 0:
            raise ValueError(f"Non-positive multiplication factor {times} for {type(self)}")

    def append(self, module: Module) -> Self:
        """Add ``module`` as the last step, named by its position; returns the Sequential."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Self:
        """Append every module of an iterable, in order; returns the Sequential."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> Self:
        """Insert ``module`` before position ``index`` (``-len <= index <= len``); the steps
        after it move up one position, and every step is then named by its position."""
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        size = len(self._modules)
        if not -size <= index <= size:
            raise IndexError(f"Index out of range: {index}")
        modules = list(self._modules.values())
        modules.insert(index, module)
        self.__dict__["_modules"] = {}
        return self.extend(modules)

    def pop(self, key: int | slice) -> Module | Sequential:
        """Remove the step (or slice of steps) at ``key`` and return it; the rest renumber."""
        value = self[key]
        del self[key]
        return value


def _check_sequential(other):
    if not isinstance(other, Sequential):
        raise ValueError("add operator supports only objects of Sequential class, but "
                         f"{type(other)} is given.")


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

    def __getattr__(self, name):
        # only reached when ordinary lookup fails: ``getattr(params, "0")``, as in PyTorch
        values = self.__dict__.get("_values")
        if values is not None and name.isascii() and name.isdigit() and int(name) < len(values):
            return values[int(name)]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

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

    def __delattr__(self, name):
        if name in self.__dict__.get("_values", ()):
            del self[name]
        else:
            super().__delattr__(name)

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
            pairs = list(_key_value_pairs("ParameterDict", parameters))
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


@deprecated_class("`nn.Container` is deprecated. All of its functionality is now implemented "
                  "in `nn.Module`. Subclass that instead.")
class Container(Module):
    """PyTorch's deprecated ``nn.Container``: a Module holding the keyword arguments as its
    submodules (``Container(a=Linear(2, 2))`` has ``a.weight``); making one warns."""

    def __init__(self, **kwargs: Module) -> None:
        super().__init__()
        for key, value in kwargs.items():
            self.add_module(key, value)

"""Containers of modules, named as PyTorch names them: ``Sequential`` (applied one after another),
``ModuleList`` and ``ModuleDict``."""

from .module import Module


class ModuleList(Module):
    """A list of modules whose parameters belong to the owner, named ``0``, ``1``, ... as in
    PyTorch. Indexing, slicing (a new ModuleList), ``len``, iteration, ``append``, ``extend``,
    ``insert`` and item assignment work as on a list; it has no ``forward``."""

    def __init__(self, modules=None):
        super().__init__()
        self.layers = []
        self.extend(modules or [])

    def _members(self):
        for i, module in enumerate(self.layers):
            yield "module", str(i), module
        for kind, name, value in super()._members():
            if not name.startswith("layers."):
                yield kind, name, value

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

    def append(self, module):
        self.layers.append(_module(module))
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        self.layers.insert(index, _module(module))

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            "ModuleList is a container, not a layer: call the modules it holds"
        )


class ModuleDict(Module):
    """An ordered dict of modules whose parameters belong to the owner, named by their keys (as
    PyTorch's). ``d[key]``, ``d[key] = module``, ``in``, ``len``, iteration over keys, ``keys``,
    ``values``, ``items``, ``update`` and ``pop`` work as on a dict."""

    def __init__(self, modules=None):
        super().__init__()
        self.entries = {}
        if modules is not None:
            self.update(modules)

    def _members(self):
        for key, module in self.entries.items():
            yield "module", key, module
        for kind, name, value in super()._members():
            if not name.startswith("entries."):
                yield kind, name, value

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

    def keys(self):
        return self.entries.keys()

    def values(self):
        return self.entries.values()

    def items(self):
        return self.entries.items()

    def update(self, modules):
        pairs = modules.items() if hasattr(modules, "items") else modules
        for key, module in pairs:
            self[key] = module

    def pop(self, key):
        return self.entries.pop(key)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            "ModuleDict is a container, not a layer: call the modules it holds"
        )


class Sequential(ModuleList):
    """Apply the given modules in order: ``Sequential(a, b)(x) == b(a(x))``.

    A ``ModuleList`` that is also a layer: indexing (an int gives a module, a slice a new
    Sequential), ``len``, iteration and ``append``; parameters are named ``0.weight``,
    ``1.bias``, ... as in PyTorch.
    """

    def __init__(self, *modules):
        super().__init__(modules)

    def forward(self, input):
        for module in self.layers:
            input = module(input)
        return input

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return super().__getitem__(index)


def _module(value):
    if not isinstance(value, Module):
        raise TypeError(f"{type(value).__name__} is not a Module subclass")
    return value

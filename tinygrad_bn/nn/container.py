"""``Sequential``: modules applied one after another, named ``0``, ``1``, ... like PyTorch's."""

from .module import Module


class Sequential(Module):
    """Apply the given modules in order: ``Sequential(a, b)(x) == b(a(x))``.

    Supports indexing (an int gives a module, a slice a new Sequential), ``len``, iteration and
    ``append``; parameters are named ``0.weight``, ``1.bias``, ... as in PyTorch.
    """

    def __init__(self, *modules):
        super().__init__()
        self.layers = []
        for module in modules:
            self.append(module)

    def _members(self):
        """The layers, named by position (``0``, ``1``, ...) as in PyTorch, then anything else
        assigned to this module."""
        for i, module in enumerate(self.layers):
            yield "module", str(i), module
        for kind, name, value in super()._members():
            if not name.startswith("layers."):
                yield kind, name, value

    def forward(self, input):
        for module in self.layers:
            input = module(input)
        return input

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        if not -len(self.layers) <= index < len(self.layers):
            raise IndexError(
                f"index {index} is out of range for Sequential of length {len(self.layers)}")
        return self.layers[index]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def append(self, module):
        if not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self.layers.append(module)
        return self

"""``Sequential``: modules applied one after another, named ``0``, ``1``, ... like PyTorch's."""

from .module import Module


class Sequential(Module):
    """Apply the given modules in order: ``Sequential(a, b)(x) == b(a(x))``.

    Supports indexing (an int gives a module, a slice a new Sequential), ``len``, iteration and
    ``append``; parameters are named ``0.weight``, ``1.bias``, ... as in PyTorch.
    """

    def __init__(self, *modules):
        super().__init__()
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"{type(module).__name__} is not a Module subclass")
            setattr(self, str(i), module)

    def _layers(self):
        return [module for _, module in self.named_children()]

    def forward(self, input):
        for module in self._layers():
            input = module(input)
        return input

    def __getitem__(self, index):
        layers = self._layers()
        if isinstance(index, slice):
            return Sequential(*layers[index])
        if not -len(layers) <= index < len(layers):
            raise IndexError(f"index {index} is out of range for Sequential of length {len(layers)}")
        return layers[index]

    def __len__(self):
        return len(self._layers())

    def __iter__(self):
        return iter(self._layers())

    def append(self, module):
        if not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        setattr(self, str(len(self)), module)
        return self

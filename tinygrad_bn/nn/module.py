"""``Module``, the base class of layers and models, and ``Parameter``, the mark of a trainable
tensor.

A module finds its parameters, buffers and submodules by walking its own attributes in the order
they were assigned (also inside lists, tuples and dicts, named ``layers.0``), so a model is plain
Python: no registration calls except ``register_buffer`` for the state that is not trained
(BatchNorm's running statistics). Names, ``state_dict`` keys and their order, ``train``/``eval``
and the ``repr`` follow PyTorch.
"""

from collections import OrderedDict, namedtuple

import numpy as np

from .. import dtypes
from ..autograd import ModuleCall, _ModuleScope
from ..tensor import Tensor, _to_array


class Parameter(Tensor):
    """A tensor that is a trainable part of a module: ``requires_grad`` defaults to True and
    ``Module.parameters()`` finds it. ``Parameter(tensor)`` shares the tensor's data."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.zeros(0, dtype=dtypes.get_default_dtype())
        self.data = data.data if isinstance(data, Tensor) else _to_array(data)
        self.grad = None
        self.grad_fn = None
        self._requires_grad = False
        self.requires_grad = requires_grad

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


def clear_grads(params, set_to_none=True):
    """Set each tensor's ``.grad`` to None, or fill it with zeros in place (``zero_grad``)."""
    for param in params:
        if param.grad is None:
            continue
        if set_to_none:
            param.grad = None
        else:
            param.grad.data[...] = 0


IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class of every layer and model.

    Subclasses call ``super().__init__()``, assign parameters, submodules and buffers as
    attributes, and define ``forward``; calling the module calls ``forward``. ``training``
    (True after construction) is what ``train()``/``eval()`` switch, recursively.
    """

    def __init__(self):
        self.training = True
        self._buffer_names = []
        self._non_persistent_buffers = set()

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args, **kwargs):
        # This call becomes the current module call while forward runs, so the ops it records
        # carry it and the graph drawer can group them into one cluster (see autograd.ModuleCall).
        parent = _ModuleScope.current
        _ModuleScope.current = ModuleCall(self, parent)
        try:
            return self.forward(*args, **kwargs)
        finally:
            _ModuleScope.current = parent

    # ------------------------------------------------------------------ discovery

    def _members(self):
        """This module's own ``(kind, name, value)`` in assignment order; kind is
        ``"parameter"``, ``"buffer"`` or ``"module"``. Containers are opened one level."""
        buffers = self.__dict__.get("_buffer_names", ())
        for name, value in self.__dict__.items():
            if name in buffers:
                yield "buffer", name, value
            elif isinstance(value, Parameter):
                yield "parameter", name, value
            elif isinstance(value, Module):
                yield "module", name, value
            elif isinstance(value, (list, tuple, dict)) and value:
                items = value.items() if isinstance(value, dict) else enumerate(value)
                for key, item in items:
                    if isinstance(item, Parameter):
                        yield "parameter", f"{name}.{key}", item
                    elif isinstance(item, Module):
                        yield "module", f"{name}.{key}", item

    def named_children(self):
        """``(name, module)`` for each direct submodule."""
        for kind, name, value in self._members():
            if kind == "module":
                yield name, value

    def children(self):
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix=""):
        """This module and every submodule, depth first, each once, with dotted names."""
        seen, stack = set(), [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = list(module.named_children())
            for child_name, child in reversed(children):
                stack.append((f"{name}.{child_name}" if name else child_name, child))

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def _named_members(self, kind, recurse=True):
        seen = set()
        modules = self.named_modules() if recurse else [("", self)]
        for prefix, module in modules:
            for member_kind, name, value in module._members():
                if member_kind == kind and value is not None and id(value) not in seen:
                    seen.add(id(value))
                    yield (f"{prefix}.{name}" if prefix else name), value

    def named_parameters(self, prefix="", recurse=True):
        """``(dotted name, parameter)`` for every parameter, each once (shared ones too)."""
        for name, param in self._named_members("parameter", recurse):
            yield (f"{prefix}.{name}" if prefix else name), param

    def parameters(self, recurse=True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True):
        for name, buffer in self._named_members("buffer", recurse):
            yield (f"{prefix}.{name}" if prefix else name), buffer

    def buffers(self, recurse=True):
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # ------------------------------------------------------------------ registration

    def register_buffer(self, name, tensor, persistent=True):
        """Add state that is saved in ``state_dict`` but not trained (``tensor`` may be None)."""
        if "_buffer_names" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        if not isinstance(name, str) or "." in name or name == "":
            raise KeyError(f'buffer name must be a non-empty string without ".", got {name!r}')
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                "(torch Tensor or None required)"
            )
        if name not in self._buffer_names:
            self._buffer_names.append(name)
        if not persistent:
            self._non_persistent_buffers.add(name)
        setattr(self, name, tensor)

    def register_parameter(self, name, param):
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(torch.nn.Parameter or None required)"
            )
        setattr(self, name, param)

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        setattr(self, name, module)

    register_module = add_module

    # ------------------------------------------------------------------ modes and gradients

    def train(self, mode=True):
        """Set ``training`` on this module and every submodule; returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Clear every parameter's gradient: to None (default), or to zeros in place."""
        clear_grads(self.parameters(), set_to_none)

    def apply(self, fn):
        """Call ``fn`` on every submodule and then on this module; returns self."""
        for module in reversed(list(self.modules())):
            fn(module)
        return self

    # ------------------------------------------------------------------ dtype

    def to(self, dtype_or_device=None, dtype=None):
        """Convert floating parameters and buffers to ``dtype`` in place; ``"cpu"`` is a no-op."""
        target = dtype if dtype is not None else dtype_or_device
        if target is None or target == "cpu":
            return self
        target = dtypes.canonical(target)
        if not dtypes.is_floating(target):
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired "
                            f"dtype={target}")
        for tensor in list(self.parameters()) + list(self.buffers()):
            if dtypes.is_floating(tensor.data.dtype):
                tensor.data = tensor.data.astype(target)
                if tensor.grad is not None:
                    tensor.grad.data = tensor.grad.data.astype(target)
        return self

    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    def cpu(self):
        return self

    # ------------------------------------------------------------------ state

    def state_dict(self, prefix=""):
        """Every parameter and persistent buffer by dotted name, PyTorch's order: each module's
        own parameters, then its own buffers, then its submodules'. Values share memory with
        the module (detached tensors)."""
        state = OrderedDict()
        for module_prefix, module in self.named_modules(prefix=prefix.rstrip(".")):
            names = module.__dict__.get("_non_persistent_buffers", set())
            members = list(module._members())
            for wanted in ("parameter", "buffer"):
                for kind, name, value in members:
                    if kind == wanted and value is not None and name not in names:
                        key = f"{module_prefix}.{name}" if module_prefix else name
                        state[key] = value.detach()
        return state

    def load_state_dict(self, state_dict, strict=True):
        """Copy values from ``state_dict`` (Tensors or NumPy arrays) into this module in place.

        Everything is checked before anything is copied, so a failed load leaves the module as
        it was: shape mismatches always raise, and with ``strict`` missing and unexpected keys
        raise too, all listed in one ``RuntimeError`` worded as PyTorch's. Returns
        ``(missing_keys, unexpected_keys)``.
        """
        own = self.state_dict()
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        problems = []
        if strict and unexpected:
            problems.append(
                "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ". "
            )
        if strict and missing:
            problems.insert(
                0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". "
            )
        updates = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = np.asarray(value.data if isinstance(value, Tensor) else value)
            if array.shape != target.shape:
                problems.append(
                    f"size mismatch for {key}: copying a param with shape {array.shape} from "
                    f"checkpoint, the shape in current model is {target.shape}."
                )
                continue
            updates.append((target, array))
        if problems:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(problems)
            )
        for target, array in updates:
            target.data[...] = array
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ printing

    def extra_repr(self):
        """The text inside this module's parentheses, e.g. ``in_features=20, out_features=64``."""
        return ""

    def __repr__(self):
        children = list(self.named_children())
        extra = self.extra_repr()
        if not children:
            return f"{type(self).__name__}({extra})"
        lines = [extra] if extra else []
        for name, child in children:
            child_text = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {child_text}")
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"

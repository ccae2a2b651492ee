"""Lazily shaped layers, PyTorch's: ``LazyLinear``, ``LazyConv1d/2d/3d``,
``LazyConvTranspose1d/2d``, ``LazyBatchNorm1d/2d/3d`` and ``LazyInstanceNorm1d/2d/3d`` hold
``UninitializedParameter`` / ``UninitializedBuffer`` placeholders until their first call, which
reads the input's feature size, gives the placeholders their shapes (in place: an optimizer
built before that call holds the same objects), initialises them as the regular layer would,
and turns the module into that regular class (``type(m) is nn.Linear`` afterwards)."""

from __future__ import annotations


import numpy as np

from .. import dtypes
from ..autograd import no_grad
from ..printing import Size
from ..tensor import Tensor
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .linear import Linear
from .module import Parameter
from .normalization import (
    BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d,
    _NormBase,
)


def _use_error(what: str, kind: str = "UninitializedParameter") -> ValueError:
    """PyTorch's error for computing with an uninitialised parameter or buffer."""
    return ValueError(
        f"Attempted to use an uninitialized parameter in {what}. This error happens when you "
        f"are using a `LazyModule` or explicitly manipulating `torch.nn.parameter.{kind}` "
        "objects. When using LazyModules Call `forward` with a dummy batch to initialize the "
        "parameters before calling torch functions")


class _UninitializedArray(np.ndarray):
    """The array of an uninitialised parameter or buffer: empty, with the dtype the
    materialised one will get (``Module.to`` converts it, as PyTorch's ``to`` is allowed).
    Any NumPy computation on it (what every op does) raises PyTorch's error."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raise _use_error(f"<ufunc '{ufunc.__name__}'>")

    def __array_function__(self, function, types, args, kwargs):
        raise _use_error(f"<function '{function.__name__}'>")


def _placeholder(dtype) -> np.ndarray:
    dtype = dtypes.get_default_dtype() if dtype is None else dtypes.canonical(dtype)
    return np.empty(0, dtype=dtype).view(_UninitializedArray)


class UninitializedTensorMixin:
    """What ``UninitializedParameter`` and ``UninitializedBuffer`` share: ``materialize``,
    PyTorch's errors for reading the shape (``RuntimeError``) or computing with it
    (``ValueError``), and the repr ``<UninitializedParameter>``."""

    __slots__ = ()
    cls_to_become: type = Tensor

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give the placeholder its ``shape`` (uninitialised values; the module's
        ``reset_parameters`` fills them) and turn it into a ``cls_to_become``, in place."""
        dtype = self._array.dtype if dtype is None else dtypes.canonical(dtype)
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        self._array = np.empty(shape, dtype=dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually "
            "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
            "initialized one. Call `forward` to initialize the parameters before accessing their "
            "attributes.")

    def size(self, dim=None):
        """``Size([0])``, as PyTorch's (its one allowed size query)."""
        return Size((0,)) if dim is None else (0,)[dim]

    def numel(self):
        raise _use_error("<method 'numel' of 'Tensor' objects>", type(self).__name__)

    def dim(self):
        raise _use_error("<method 'dim' of 'Tensor' objects>", type(self).__name__)

    @property
    def ndim(self):
        raise _use_error("<attribute 'ndim' of 'Tensor' objects>", type(self).__name__)

    def detach(self):
        """Itself: a state dict holds an uninitialised parameter as it is (PyTorch's)."""
        return self

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, dtype=self._array.dtype)
        return memo[id(self)]


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter whose shape is not known yet (a lazy module's, before its first call);
    ``materialize(shape)`` makes it a ``Parameter``."""

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        Parameter.__init__(self, None, requires_grad)
        self._array = _placeholder(dtype)


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet (a lazy norm layer's running statistics);
    ``materialize(shape)`` makes it a ``Tensor``."""

    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, device=None, dtype=None) -> None:
        Tensor.__init__(self, np.zeros(0))
        self._array = _placeholder(dtype)
        self.requires_grad = requires_grad


def is_lazy(tensor) -> bool:
    """Whether ``tensor`` is an uninitialised parameter or buffer."""
    return isinstance(tensor, UninitializedTensorMixin)


class LazyModuleMixin:
    """What every lazy module shares, PyTorch's ``LazyModuleMixin``: a forward pre-hook that on
    the first call runs ``initialize_parameters(*args, **kwargs)``, checks nothing is left
    uninitialised, removes itself and turns the module into ``cls_to_become``; and, when a
    state dict is loaded, the placeholders take the shapes of the values loaded.

    A subclass lists the mixin first (``class LazyLinear(LazyModuleMixin, Linear)``) and
    defines ``initialize_parameters``."""

    cls_to_become: type | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters,
                                                               with_kwargs=True)

    def has_uninitialized_params(self) -> bool:
        """Whether any of this module's own parameters or buffers is still a placeholder."""
        return any(is_lazy(tensor) for tensor in (*self.parameters(recurse=False),
                                                  *self.buffers(recurse=False)))

    def initialize_parameters(self, *args, **kwargs) -> None:
        """Give the placeholders their shapes from the first call's arguments."""
        raise NotImplementedError(f"initialize_parameters is not implemented for "
                                  f"{type(self).__name__}")

    @staticmethod
    def _infer_parameters(module, args, kwargs=None):
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {type(module).__name__} has not been fully initialized")
        module._initialize_hook.remove()
        del module._initialize_hook
        hooks = module.__dict__.get("_module_hooks")
        if hooks is not None and not (hooks.forward_pre or hooks.forward or hooks.backward_pre
                                      or hooks.backward):
            del module.__dict__["_module_hooks"]  # calls take the path without hooks again
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _materialize_from_state_dict(self, state_dict, prefix: str) -> None:
        """The placeholders whose names (under ``prefix``) ``state_dict`` holds take its
        values' shapes (PyTorch's ``_lazy_load_hook``); ``Module.load_state_dict`` calls it on
        each module before loading, so a lazy layer inside a container loads too."""
        prefix = f"{prefix}." if prefix else ""
        for name, tensor in (*self.named_parameters(recurse=False),
                             *self.named_buffers(recurse=False)):
            if is_lazy(tensor) and prefix + name in state_dict:
                with no_grad():
                    tensor.materialize(tuple(state_dict[prefix + name].shape))


class LazyLinear(LazyModuleMixin, Linear):
    """``Linear`` whose ``in_features`` is the last size of its first input."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(0, 0, False, device=device)
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input) -> None:
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()


class _LazyConvMixin(LazyModuleMixin):
    """``in_channels`` from the first input (dim 1 batched, dim 0 unbatched)."""

    def _lazy_setup(self, out_channels, bias, dtype):
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def _get_in_channels(self, input) -> int:
        unbatched = self._dims + 1
        if input.ndim not in (unbatched, unbatched + 1):
            raise RuntimeError(f"Expected {unbatched}D (unbatched) or {unbatched + 1}D (batched) "
                               f"input to {type(self).__name__}, but got input of size: "
                               f"{input.shape}")
        return input.shape[1] if input.ndim == unbatched + 1 else input.shape[0]

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            with no_grad():
                if self.transposed:
                    shape = (self.in_channels, self.out_channels // self.groups)
                else:
                    shape = (self.out_channels, self.in_channels // self.groups)
                self.weight.materialize((*shape, *self.kernel_size))
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,))
                self.reset_parameters()


def _lazy_conv(regular):
    class LazyConv(_LazyConvMixin, regular):
        __doc__ = f"""``{regular.__name__}`` whose ``in_channels`` is read from its first input
        (``input.shape[1]``, or ``[0]`` unbatched)."""
        cls_to_become = regular

        def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                     groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
            super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False,
                             padding_mode, device, dtype)
            self._lazy_setup(out_channels, bias, dtype)

    LazyConv.__name__ = LazyConv.__qualname__ = f"Lazy{regular.__name__}"
    LazyConv.__module__ = __name__
    return LazyConv


def _lazy_conv_transpose(regular):
    class LazyConvTranspose(_LazyConvMixin, regular):
        __doc__ = f"""``{regular.__name__}`` whose ``in_channels`` is read from its first input
        (``input.shape[1]``, or ``[0]`` unbatched)."""
        cls_to_become = regular

        def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                     groups=1, bias=True, dilation=1, padding_mode="zeros", device=None,
                     dtype=None):
            super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False,
                             dilation, padding_mode, device, dtype)
            self._lazy_setup(out_channels, bias, dtype)

    LazyConvTranspose.__name__ = LazyConvTranspose.__qualname__ = f"Lazy{regular.__name__}"
    LazyConvTranspose.__module__ = __name__
    return LazyConvTranspose


LazyConv1d = _lazy_conv(Conv1d)
LazyConv2d = _lazy_conv(Conv2d)
LazyConv3d = _lazy_conv(Conv3d)
LazyConvTranspose1d = _lazy_conv_transpose(ConvTranspose1d)
LazyConvTranspose2d = _lazy_conv_transpose(ConvTranspose2d)
LazyConvTranspose3d = _lazy_conv_transpose(ConvTranspose3d)


class _LazyNormBase(LazyModuleMixin, _NormBase):
    """What the lazy norm layers share (PyTorch's ``_LazyNormBase``): ``num_features`` from
    the first input's dim 1; PyTorch's defaults ``affine=True`` and
    ``track_running_stats=True`` for every lazy norm layer, the instance norms included."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None):
        super().__init__(1, eps, momentum, False, False, device, dtype)
        self.num_features = 0
        self.affine, self.track_running_stats, self.use_bias = affine, track_running_stats, affine
        if affine:
            self.weight = UninitializedParameter(dtype=dtype)
            self.bias = UninitializedParameter(dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(dtype=dtype)
            self.running_var = UninitializedBuffer(dtype=dtype)
            self.num_batches_tracked = Tensor(np.array(0, dtype=np.int64))

    def reset_parameters(self) -> None:
        """Running statistics 0 and 1, the count 0, weight ones, bias zeros (PyTorch's)."""
        if self.has_uninitialized_params() or self.num_features == 0:
            return
        self.reset_running_stats()
        if self.affine:
            with no_grad():
                self.weight.fill_(1)
                self.bias.zero_()

    def _materialize_from_state_dict(self, state_dict, prefix: str) -> None:
        """As every lazy module's; then ``num_features`` from the loaded shapes, which this
        framework's norm layers check their input against (PyTorch's keeps 0 there, and prints
        it: its layers do not check)."""
        super()._materialize_from_state_dict(state_dict, prefix)
        for tensor in (self.weight, self.running_mean):
            if tensor is not None and not is_lazy(tensor) and self.num_features == 0:
                self.num_features = tensor.shape[0]

    def initialize_parameters(self, input) -> None:
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            with no_grad():
                if self.affine:
                    self.weight.materialize((self.num_features,))
                    self.bias.materialize((self.num_features,))
                if self.track_running_stats:
                    self.running_mean.materialize((self.num_features,))
                    self.running_var.materialize((self.num_features,))
                self.reset_parameters()


def _lazy_norm(regular):
    """The lazy form of ``regular``, as PyTorch builds it: a subclass of ``_LazyNormBase`` and
    of ``regular``'s base (``_BatchNorm`` or ``_InstanceNorm``), not of ``regular`` itself,
    with ``regular``'s input check; it becomes ``regular`` once initialised."""
    base = regular.__bases__[0]

    class LazyNorm(_LazyNormBase, base):
        __doc__ = f"""``{regular.__name__}`` whose ``num_features`` is read from its first
        input (``input.shape[1]``)."""
        cls_to_become = regular
        _check_input_dim = regular._check_input_dim

    if hasattr(regular, "_no_batch_dim"):  # an instance norm's unbatched input dims
        LazyNorm._no_batch_dim = regular._no_batch_dim

    LazyNorm.__name__ = LazyNorm.__qualname__ = f"Lazy{regular.__name__}"
    LazyNorm.__module__ = __name__
    return LazyNorm


LazyBatchNorm1d = _lazy_norm(BatchNorm1d)
LazyBatchNorm2d = _lazy_norm(BatchNorm2d)
LazyBatchNorm3d = _lazy_norm(BatchNorm3d)
LazyInstanceNorm1d = _lazy_norm(InstanceNorm1d)
LazyInstanceNorm2d = _lazy_norm(InstanceNorm2d)
LazyInstanceNorm3d = _lazy_norm(InstanceNorm3d)


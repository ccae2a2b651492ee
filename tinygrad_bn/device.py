"""Devices, as PyTorch names them: tinygrad_bn computes on the CPU only.

``device("cpu")``, ``device=`` on every factory, ``.to(device)`` and ``.cpu()`` are accepted so
that PyTorch scripts run unchanged; ``cuda.is_available()`` and ``backends.mps.is_available()``
say False, so the usual ``"cuda" if torch.cuda.is_available() else "cpu"`` picks the CPU. Asking
for another device raises an error that says so.
"""

from __future__ import annotations

import types
from typing import Union


class device:
    """A device: ``device("cpu")``, ``device("cpu", 0)`` or ``device("cuda:0")``. Any device may
    be named (scripts build ``device("cuda")`` before checking), but only the CPU can hold a
    tensor. ``str(d)`` is its name; as in PyTorch, ``d == "cpu"`` is False (compare
    ``d.type == "cpu"``)."""

    def __init__(self, type_or_device, index=None):
        if isinstance(type_or_device, device):
            type_or_device, index = type_or_device.type, type_or_device.index
        if not isinstance(type_or_device, str):
            raise TypeError(f"device() expects a string like 'cpu', got {type_or_device!r}")
        name, _, number = type_or_device.partition(":")
        if number:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was "
                                   f"passed explicitly: {type_or_device}")
            if not number.isdigit():
                raise RuntimeError(f"Invalid device string: '{type_or_device}'")
            index = int(number)
        if name not in KNOWN_TYPES:
            raise RuntimeError(
                f"Expected one of {', '.join(KNOWN_TYPES)} device type at start of device "
                f"string: {type_or_device}"
            )
        self.type, self.index = name, index

    def __eq__(self, other):  # as in PyTorch, a device never equals a string
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"


# A ``device=`` argument: a device or its name.
DeviceLike = Union[device, str]

KNOWN_TYPES = ("cpu", "cuda", "mps", "xpu", "meta")
CPU = device("cpu")
_default = [CPU]


def check_device(requested):
    """``requested`` (a device, its name or None) as a device the tensor can live on: the CPU.
    Anything else raises, naming the device."""
    if requested is None:
        return _default[0]
    wanted = requested if isinstance(requested, device) else device(requested)
    if wanted.type != "cpu":
        raise RuntimeError(
            f"tinygrad_bn runs on the CPU only: it cannot put a tensor on '{wanted}'. Use "
            "device='cpu' (cuda.is_available() and backends.mps.is_available() return False, "
            "so `'cuda' if torch.cuda.is_available() else 'cpu'` picks it)."
        )
    return CPU


def is_device(value):
    """Whether ``value`` names a device (a ``device``, or a string such as ``"cpu"``)."""
    if isinstance(value, device):
        return True
    return isinstance(value, str) and value.partition(":")[0] in KNOWN_TYPES


def parse_to_arguments(args, dtype, device_arg):
    """The ``(dtype, device)`` that ``.to(...)`` asks for, read PyTorch's ways: ``to(dtype)``,
    ``to(device)``, ``to(device, dtype)``, ``to(other_tensor)`` and keywords. The device is
    checked (the CPU only); the dtype is None when unchanged."""
    for arg in args:
        if is_device(arg):
            device_arg = arg
        elif not isinstance(arg, type) and hasattr(arg, "dtype") and hasattr(arg, "shape"):
            # a tensor: its dtype and device (a NumPy scalar type such as np.float64 has the
            # two attributes too, as descriptors of its class: it is a dtype)
            dtype = arg.dtype
        elif arg is not None:
            dtype = arg
    if device_arg is not None:
        check_device(device_arg)
    return dtype


def set_default_device(requested):
    """PyTorch's ``set_default_device``: only the CPU (or None, meaning it) is accepted."""
    _default[0] = check_device(requested)


def get_default_device():
    """The device new tensors are made on: always ``device("cpu")``, the only one tinygrad_bn has
    (PyTorch's ``get_default_device``)."""
    return _default[0]


def _false(*args, **kwargs):
    return False


# torch.backends as far as scripts use it on a machine without a GPU (torch.cuda is the cuda
# package). The flags scripts set for GPUs (``torch.backends.cuda.matmul.allow_tf32 = True``),
# with PyTorch's defaults; nothing here reads them.
backends = types.SimpleNamespace(
    mps=types.SimpleNamespace(is_available=_false, is_built=_false),
    cuda=types.SimpleNamespace(
        is_built=_false,
        matmul=types.SimpleNamespace(allow_tf32=False,
                                     allow_fp16_reduced_precision_reduction=True,
                                     allow_bf16_reduced_precision_reduction=True)),
    cudnn=types.SimpleNamespace(is_available=_false, enabled=False, deterministic=False,
                                benchmark=False, allow_tf32=True),
)

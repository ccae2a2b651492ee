"""Label text: how a tensor's values, a shape, a count and an op with its fixed arguments read in
a drawing. Plain strings, for any writer; escaping them for Graphviz is the writer's job."""

from __future__ import annotations

import numpy as np

from ..printing import format_number, format_numbers


def _values(array, look, gradient=False):
    """Small arrays in full (PyTorch's number format); larger ones summarised as the style
    says: ``"mean"`` gives mean and std (norm and mean for gradients), ``"max_abs"`` the
    largest magnitude."""
    if array.size <= look.full_values:
        text = ", ".join(format_numbers(array))
        text = text if array.ndim == 0 else f"[{text}]"
        return text if array.ndim <= 1 else f"{text} (flattened)"
    if array.dtype.kind in "iub":
        return f"min {array.min()}, max {array.max()}"
    if look.summary == "max_abs":
        return f"max abs {format_number(np.abs(array).max())}"
    if gradient:
        return f"norm {format_number(np.linalg.norm(array))}, mean {format_number(array.mean())}"
    return f"mean {format_number(array.mean())}, std {format_number(array.std())}"


def _shape_text(shape):
    return "scalar" if not tuple(shape) else str(tuple(shape))


def _count(n, noun):
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _op_lines(op, wrap=False):
    """An op's label: its name with its fixed arguments, ``Sum(dim=(1,), keepdim=False)``, or
    with ``wrap`` the arguments on a second line."""
    arguments = ", ".join(f"{k}={_format_argument(v)}" for k, v in op.argument_values().items()
                          if v is not None)
    if not arguments:
        return [op.name]
    return [op.name, arguments] if wrap else [f"{op.name}({arguments})"]


def _format_argument(value):
    if isinstance(value, np.ndarray):
        return f"array{tuple(value.shape)}" if value.size > 4 else str(value.tolist())
    if isinstance(value, slice):
        parts = ["" if v is None else str(v) for v in (value.start, value.stop, value.step)]
        return ":".join(parts[:2]) + (f":{parts[2]}" if value.step is not None else "")
    if isinstance(value, tuple) and any(isinstance(v, (np.ndarray, slice)) for v in value):
        return "[" + ", ".join(_format_argument(v) for v in value) + "]"
    if isinstance(value, np.dtype):
        return str(value)
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


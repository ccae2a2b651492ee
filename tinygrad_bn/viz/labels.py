"""Label text: how a tensor's values, a shape, a count and an op with its fixed arguments read in
a drawing. Plain strings, for any writer; escaping them for Graphviz is the writer's job.

Numbers read as PyTorch prints them (``printing.format_numbers``: 4 decimals, or scientific,
one mode for all of a tensor's elements), except that whole numbers drop the point PyTorch
writes after them (``tensor(2.)``): a label reads ``grad 2``, and a step caption
``-2 \u00d7 -3 = 6``, where ``2.`` would read as the end of a sentence. The drawing prints
a tensor's dtype when it differs from the rest, which is what the point told apart."""

from __future__ import annotations

import numpy as np

from ..printing import format_numbers


def _numbers(array):
    """The elements of ``array`` (flattened) as text, in one shared mode, exactly as PyTorch
    prints a tensor's elements (``["1.", "-2."]``, ``["0.5000", "2.0000"]``). Labels and the
    step page's captions both print through it, so they always agree."""
    return list(format_numbers(array))


def _number(value):
    """One number as a label shows it (``_numbers``): ``2.``, ``0.2500``, ``1.0000e-05``."""
    return _numbers(value)[0]


def _values(array, look, gradient=False):
    """Small arrays in full (``_numbers``); larger ones summarised as the style
    says: ``"mean"`` gives mean and std (norm and mean for gradients), ``"max_abs"`` the
    largest magnitude."""
    if array.size <= look.full_values:
        text = ", ".join(_numbers(array))
        text = text if array.ndim == 0 else f"[{text}]"
        return text if array.ndim <= 1 else f"{text} (flattened)"
    if array.dtype.kind in "iub":
        return f"min {array.min()}, max {array.max()}"
    if look.summary == "max_abs":
        return f"max abs {_number(np.abs(array).max())}"
    if gradient:
        return f"norm {_number(np.linalg.norm(array))}, mean {_number(array.mean())}"
    return f"mean {_number(array.mean())}, std {_number(array.std())}"


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


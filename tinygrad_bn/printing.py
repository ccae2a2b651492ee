"""How tensors, shapes and ``(values, indices)`` pairs print: PyTorch's format, character for
character, so a script's output reads the same on both frameworks.

The rules (PyTorch's ``_tensor_str``), applied to the finite non-zero values of a floating
tensor:

- **integer mode** when every such value is whole: ``tensor([1., 2.])``;
- **scientific mode** when the largest magnitude exceeds 1e8, the smallest is under 1e-4, or
  they are more than three orders apart: ``tensor([1.0000e-07, 3.0000e-06])``;
- otherwise **fixed** with ``precision`` (4) decimals: ``tensor([0.5000, 1.2500])``.

Every element is right-aligned to the widest one, rows wrap at ``linewidth`` (80), and tensors
with more than ``threshold`` (1000) elements show ``edgeitems`` (3) at each end of every
dimension around ``...``. Suffixes follow: the dtype when it is not the default float, int64 or
bool (``dtype=torch.float64``), the size of an empty tensor that is not 1-D, then
``grad_fn=<Name>`` or ``requires_grad=True``.

Names print as PyTorch prints them (``torch.Size``, ``torch.float64``,
``torch.return_types.max``): scripts written for PyTorch import this package as ``torch``, and
their printed output is the same text.
"""

import math
from collections import namedtuple
from contextlib import contextmanager

import numpy as np

from . import dtypes

MODULE_NAME = "torch"


class _PrintOptions:
    """The current settings of ``set_printoptions``."""

    __slots__ = ("edgeitems", "linewidth", "precision", "sci_mode", "threshold")

    def __init__(self):
        self.precision, self.threshold, self.edgeitems, self.linewidth = 4, 1000, 3, 80
        self.sci_mode = None


OPTIONS = _PrintOptions()

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Set how tensors print, as ``torch.set_printoptions``: ``profile`` (``"default"``,
    ``"short"`` or ``"full"``) first, then each option given; ``sci_mode`` True/False forces
    or forbids scientific notation, None (the default) decides from the values."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"Unknown profile {profile!r}; expected one of {sorted(_PROFILES)}")
        for name, value in _PROFILES[profile].items():
            setattr(OPTIONS, name, value)
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            setattr(OPTIONS, name, value)
    OPTIONS.sci_mode = sci_mode


def get_printoptions():
    """The current print options as a dict that ``set_printoptions(**options)`` accepts."""
    return {name: getattr(OPTIONS, name) for name in _PrintOptions.__slots__}


@contextmanager
def printoptions(**options):
    """Change print options inside a ``with`` block only."""
    saved = get_printoptions()
    set_printoptions(**options)
    try:
        yield
    finally:
        set_printoptions(**saved)


# ---------------------------------------------------------------------- shapes and result pairs


class Size(tuple):
    """A tensor's shape: a tuple of ints that prints as ``torch.Size([2, 3])``. Adding,
    repeating or slicing gives a ``Size`` again."""

    __slots__ = ()

    def __repr__(self):
        return f"{MODULE_NAME}.Size({list(self)})"

    __str__ = __repr__

    def __getitem__(self, index):
        item = super().__getitem__(index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(other) + tuple(self))

    def __mul__(self, count):
        if not isinstance(count, int):
            return NotImplemented
        return Size(tuple(self) * count)

    __rmul__ = __mul__

    def numel(self):
        """The number of elements a tensor of this shape holds (1 for ``Size([])``)."""
        return math.prod(self)


def _result_tuple(name, fields=("values", "indices")):
    """A named tuple of tensors printing as ``torch.return_types.<name>(...)``, one field a line."""

    class ResultTuple(namedtuple(name, fields)):
        __slots__ = ()

        def __repr__(self):
            lines = ",\n".join(f"{field}={value!r}" for field, value in zip(fields, self))
            return f"{MODULE_NAME}.return_types.{name}(\n{lines})"

        __str__ = __repr__

    ResultTuple.__name__ = ResultTuple.__qualname__ = name
    ResultTuple.__module__ = f"{MODULE_NAME}.return_types"
    return ResultTuple


class return_types:
    """The named tuples of ops that return several tensors (values with their indices, a
    histogram with its bin edges)."""

    max = _result_tuple("max")
    min = _result_tuple("min")
    sort = _result_tuple("sort")
    topk = _result_tuple("topk")
    histogram = _result_tuple("histogram", ("hist", "bin_edges"))
    histogramdd = _result_tuple("histogramdd", ("hist", "bin_edges"))
    median = _result_tuple("median")
    nanmedian = _result_tuple("nanmedian")
    kthvalue = _result_tuple("kthvalue")
    mode = _result_tuple("mode")
    cummax = _result_tuple("cummax")
    cummin = _result_tuple("cummin")
    aminmax = _result_tuple("aminmax", ("min", "max"))
    frexp = _result_tuple("frexp", ("mantissa", "exponent"))


# ---------------------------------------------------------------------- tensors


def dtype_name(dtype):
    """``torch.float64`` for NumPy's float64, and so on for every supported dtype."""
    return f"{MODULE_NAME}.{np.dtype(dtype)}"


class _ElementFormat:
    """Formats single elements of one tensor so that all of them line up (see the module
    docstring for the three floating modes)."""

    def __init__(self, array, precision=None):
        self.precision = OPTIONS.precision if precision is None else precision
        self.floating = dtypes.is_floating(array.dtype)
        self.int_mode, self.sci_mode, self.width = True, False, 1
        flat = array.reshape(-1)
        if not self.floating:
            self.width = max((len(str(v)) for v in flat.tolist()), default=1)
            return
        values = flat[np.isfinite(flat) & (flat != 0)]
        if values.size == 0:
            return
        magnitudes = np.abs(values).astype(np.float64)
        smallest, largest = magnitudes.min(), magnitudes.max()
        self.int_mode = bool(np.all(values == np.ceil(values)))
        if OPTIONS.sci_mode is None:
            self.sci_mode = bool(largest / smallest > 1000.0 or largest > 1.0e8
                                 or smallest < 1.0e-4)
        else:
            self.sci_mode = OPTIONS.sci_mode
        precision = self.precision
        if self.sci_mode:
            texts = (f"{v:.{precision}e}" for v in values.tolist())
        elif self.int_mode:
            texts = (f"{v:.0f}." for v in values.tolist())
        else:
            texts = (f"{v:.{precision}f}" for v in values.tolist())
        self.width = max(len(text) for text in texts)

    def __call__(self, value):
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:.{self.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{self.precision}f}"
        return text.rjust(self.width)


class _ComplexFormat:
    """Formats complex elements as PyTorch does: the real parts with one ``_ElementFormat``,
    the imaginary parts with another, joined as ``real+imagj`` (``1.+2.0000e+00j``); the
    width is both widths and the sign."""

    def __init__(self, array, precision=None):
        self.real = _ElementFormat(np.ascontiguousarray(array.real), precision)
        self.imag = _ElementFormat(np.ascontiguousarray(array.imag), precision)
        self.width = self.real.width + self.imag.width + 1

    def __call__(self, value):
        imag = (self.imag(value.imag) + "j").lstrip()
        sign = "" if imag[0] in "+-" else "+"
        return self.real(value.real) + sign + imag


def _element_format(array, precision=None):
    return _ComplexFormat(array, precision) if array.dtype.kind == "c" else \
        _ElementFormat(array, precision)


def _edges(array):
    """The elements a summarized print shows: ``edgeitems`` at each end of every dimension."""
    if array.ndim == 0:
        return array
    keep = OPTIONS.edgeitems
    if array.shape[0] > 2 * keep:
        rows = list(array[:keep]) + list(array[-keep:]) if keep else []
    else:
        rows = list(array)
    if array.ndim == 1:
        return np.asarray(rows, dtype=array.dtype)
    if not rows:
        return np.empty((0,) * array.ndim, dtype=array.dtype)
    return np.stack([_edges(row) for row in rows])


def _body(array, indent, summarize, element):
    """The bracketed text of ``array``, nested lines indented by ``indent``."""
    if array.ndim == 0:
        return element(array.item())
    keep = OPTIONS.edgeitems
    cut = summarize and array.shape[0] > 2 * keep
    if array.ndim == 1:
        if summarize and not keep:
            items = ["..."]
        elif cut:
            items = ([element(v) for v in array[:keep].tolist()] + [" ..."]
                     + [element(v) for v in array[-keep:].tolist()])
        else:
            items = [element(v) for v in array.tolist()]
        per_line = max(1, (OPTIONS.linewidth - indent) // (element.width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    if cut:
        rows = ([_body(array[i], indent + 1, summarize, element) for i in range(keep)] + ["..."]
                + [_body(array[i], indent + 1, summarize, element)
                   for i in range(len(array) - keep, len(array))])
    else:
        rows = [_body(row, indent + 1, summarize, element) for row in array]
    separator = "," + "\n" * (array.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(rows) + "]"


def _with_suffixes(text, suffixes, indent):
    """Append ``, suffix`` to ``text``, starting a new indented line where one would pass
    ``linewidth``; then close the parenthesis."""
    parts = [text]
    line_length = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if line_length + len(suffix) + 2 > OPTIONS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            line_length = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            line_length += len(suffix) + 2
    return "".join(parts) + ")"


def format_tensor(tensor):
    """``repr(tensor)``: ``tensor([...], dtype=..., grad_fn=<...>)`` as PyTorch prints it."""
    array = tensor._array
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    default_dtypes = (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool,
                      dtypes.default_complex())
    if array.size == 0:
        if array.ndim != 1:
            suffixes.append(f"size={tuple(array.shape)}")
        if array.dtype != dtypes.get_default_dtype():
            suffixes.append(f"dtype={dtype_name(array.dtype)}")
        body = "[]"
    else:
        summarize = array.size > OPTIONS.threshold
        element = _element_format(_edges(array) if summarize else array)
        body = _body(array, indent, summarize, element)
        if not OPTIONS.edgeitems:
            suffixes.append(f"size={tuple(array.shape)}")
        if array.dtype not in default_dtypes:
            suffixes.append(f"dtype={dtype_name(array.dtype)}")
    if tensor.grad_fn is not None:
        suffixes.append(f"grad_fn=<{tensor.grad_fn.name}>")
    elif tensor.requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, indent)


def format_numbers(array, precision=None):
    """The elements of ``array`` (flattened), each as printed inside a tensor holding them all
    (one shared mode: ``["1.0000e-05", "2.0000e+00"]``), without the alignment padding: the
    format graph labels use."""
    flat = np.asarray(array).reshape(-1)
    element = _element_format(flat, precision)
    return [element(value).lstrip() for value in flat.tolist()]


def format_number(value, precision=None):
    """One number as a tensor holding it alone would print it (``1.0000e-05``, ``0.2500``,
    ``3.``)."""
    return format_numbers(value, precision)[0]

"""``torch.testing``: ``assert_close`` (tensors, numbers, and nested sequences and mappings of
them compared with dtype-dependent tolerances, failing with PyTorch's messages) and
``make_tensor`` (a random tensor of a shape and dtype, for tests).

The comparison follows PyTorch 2.13's ``torch/testing/_comparison.py``: each leaf pair is
handled by the first of None, bool, number and tensor-like comparisons that accepts it; its
attributes (shape, dtype, stride) are checked first, then its values with ``isclose``; the first
failure raises, with the item's path appended (``The failure occurred for item [0]['a']``).
"""

from __future__ import annotations

import cmath
import collections.abc
import contextlib
import math
import warnings
from typing import Any, Callable

import numpy as np

from .. import dtypes
from ..creation import as_tensor, tensor
from ..random import numpy_generator
from ..tensor import Tensor

__all__ = ["assert_close", "assert_allclose", "make_tensor"]

# PyTorch's default (rtol, atol) per dtype; every other dtype compares exactly.
_DTYPE_PRECISIONS = {
    dtypes.float16: (0.001, 1e-5),
    dtypes.float32: (1.3e-6, 1e-5),
    dtypes.float64: (1e-7, 1e-7),
}
# The dtype PyTorch takes for a Python number's tolerances.
_NUMBER_DTYPES = {int: dtypes.int64, float: dtypes.float64}


class _Failure(Exception):
    """A comparison failure: the exception type to raise, its message and the item's path."""

    def __init__(self, type: type[Exception], msg: str, id: tuple = ()) -> None:
        super().__init__(msg)
        self.type, self.msg, self.id = type, msg, id

    def to_error(self, msg: str | Callable[[str], str] | None = None) -> Exception:
        if not isinstance(msg, str):
            generated = self.msg
            if self.id:
                generated += ("\n\nThe failure occurred for item "
                              f"{''.join(str([item]) for item in self.id)}")
            msg = msg(generated) if callable(msg) else generated
        return self.type(msg)


class _Unsupported(Exception):
    """This comparison does not handle these inputs: the next one is tried."""


def _torch_name(dtype) -> str:
    return f"torch.{dtypes.canonical(dtype)}"


def _tolerances(*dtype_list, rtol, atol, id):
    if (rtol is None) ^ (atol is None):
        raise _Failure(ValueError, "Both 'rtol' and 'atol' must be either specified or omitted, "
                       f"but got no {'rtol' if rtol is None else 'atol'}.", id)
    if rtol is not None:
        return rtol, atol
    rtols, atols = zip(*[_DTYPE_PRECISIONS.get(d, (0.0, 0.0)) for d in dtype_list])
    return max(rtols), max(atols)


def _mismatch_msg(*, identifier, extra, abs_diff, abs_diff_idx, atol, rel_diff, rel_diff_idx,
                  rtol) -> str:
    """PyTorch's ``_make_mismatch_msg``."""
    equality = rtol == 0 and atol == 0

    def diff_line(kind, diff, idx, tol):
        if idx is None:
            line = f"{kind.title()} difference: {diff}"
        else:
            line = f"Greatest {kind} difference: {diff} at index {idx}"
        if not equality:
            line += f" (up to {tol} allowed)"
        return line + "\n"

    msg = f"{identifier} are not {'equal' if equality else 'close'}!\n\n"
    if extra:
        msg += f"{extra.strip()}\n"
    msg += diff_line("absolute", abs_diff, abs_diff_idx, atol)
    msg += diff_line("relative", rel_diff, rel_diff_idx, rtol)
    return msg.strip()


def _scalar_mismatch_msg(actual, expected, *, rtol, atol) -> str:
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _mismatch_msg(identifier="Scalars", extra=f"Expected {expected} but got {actual}.",
                         abs_diff=abs_diff, abs_diff_idx=None, atol=atol, rel_diff=rel_diff,
                         rel_diff_idx=None, rtol=rtol)


def _tensor_mismatch_msg(actual: np.ndarray, expected: np.ndarray, matches: np.ndarray, *,
                         rtol, atol) -> str:
    """PyTorch's ``make_tensor_mismatch_msg``: the differences are computed in the tensors'
    dtype (integers and bools in int64, their relative difference in the default float), the
    matching elements set to 0 before the greatest is taken."""
    total = matches.size
    mismatches = total - int(matches.sum())
    extra = f"Mismatched elements: {mismatches} / {total} ({mismatches / total:.1%})"
    actual_flat, expected_flat = actual.reshape(-1), expected.reshape(-1)
    matches_flat = matches.reshape(-1)
    floating = dtypes.is_floating(actual.dtype)
    if not floating:
        actual_flat, expected_flat = (a.astype(np.int64) for a in (actual_flat, expected_flat))
    with np.errstate(all="ignore"):
        abs_diff = np.abs(actual_flat - expected_flat)
        abs_diff[matches_flat] = 0
        rel_diff = abs_diff / np.abs(expected_flat)
        if not floating:
            rel_diff = rel_diff.astype(dtypes.get_default_dtype())
    rel_diff[matches_flat] = 0

    def unravel(flat_index):
        return tuple(int(i) for i in np.unravel_index(flat_index, matches.shape))

    abs_index, rel_index = int(np.argmax(abs_diff)), int(np.argmax(rel_diff))
    return _mismatch_msg(identifier="Tensor-likes", extra=extra,
                         abs_diff=abs_diff[abs_index].item(), abs_diff_idx=unravel(abs_index),
                         atol=atol, rel_diff=rel_diff[rel_index].item(),
                         rel_diff_idx=unravel(rel_index), rtol=rtol)


def _compare_none(actual, expected, id, **options):
    if not (actual is None or expected is None):
        raise _Unsupported
    if not (actual is None and expected is None):
        raise _Failure(AssertionError, f"None mismatch: {actual} is not {expected}", id)


def _compare_bool(actual, expected, id, **options):
    if not all(isinstance(v, (bool, np.bool_)) for v in (actual, expected)):
        raise _Unsupported
    actual, expected = bool(actual), bool(expected)
    if actual is not expected:
        raise _Failure(AssertionError, f"Booleans mismatch: {actual} is not {expected}", id)


def _compare_number(actual, expected, id, *, rtol, atol, equal_nan, check_dtype, **options):
    if not all(isinstance(v, (int, float, complex, np.number)) for v in (actual, expected)):
        raise _Unsupported
    actual, expected = (v.item() if isinstance(v, np.number) else v for v in (actual, expected))
    rtol, atol = _tolerances(*[_NUMBER_DTYPES.get(type(v)) for v in (actual, expected)],
                             rtol=rtol, atol=atol, id=id)
    if check_dtype and type(actual) is not type(expected):
        raise _Failure(AssertionError, f"The (d)types do not match: {type(actual)} != "
                       f"{type(expected)}.", id)
    if actual == expected:
        return
    if equal_nan and cmath.isnan(actual) and cmath.isnan(expected):
        return
    abs_diff = abs(actual - expected)
    if cmath.isfinite(abs_diff) and abs_diff <= atol + rtol * abs(expected):
        return
    raise _Failure(AssertionError, _scalar_mismatch_msg(actual, expected, rtol=rtol, atol=atol),
                   id)


def _compare_tensor_like(actual, expected, id, *, allow_subclasses, rtol, atol, equal_nan,
                         check_device, check_dtype, check_layout, check_stride, **options):
    if not (isinstance(actual, type(expected)) or isinstance(expected, type(actual))):
        raise _Unsupported
    if not allow_subclasses and type(actual) is not type(expected):
        raise _Unsupported
    try:
        actual, expected = (v if isinstance(v, Tensor) else as_tensor(v)
                            for v in (actual, expected))
    except Exception:
        raise _Unsupported from None
    rtol, atol = _tolerances(actual.dtype, expected.dtype, rtol=rtol, atol=atol, id=id)

    def mismatch(attribute, actual_value, expected_value):
        raise _Failure(AssertionError, f"The values for attribute '{attribute}' do not match: "
                       f"{actual_value} != {expected_value}.", id)

    if actual.shape != expected.shape:
        mismatch("shape", actual.shape, expected.shape)
    if check_stride and actual.stride() != expected.stride():
        mismatch("stride()", actual.stride(), expected.stride())
    if check_dtype and actual.dtype != expected.dtype:
        mismatch("dtype", _torch_name(actual.dtype), _torch_name(expected.dtype))
    a, e = actual.detach().numpy(), expected.detach().numpy()
    if a.dtype != e.dtype:
        common = dtypes.promote(a.dtype, e.dtype)
        a, e = a.astype(common), e.astype(common)
    matches = tensor(a).isclose(tensor(e), rtol=rtol, atol=atol, equal_nan=equal_nan).numpy()
    if matches.all():
        return
    if a.shape == ():
        msg = _scalar_mismatch_msg(a.item(), e.item(), rtol=rtol, atol=atol)
    else:
        msg = _tensor_mismatch_msg(a, e, matches, rtol=rtol, atol=atol)
    raise _Failure(AssertionError, msg, id)


_COMPARISONS = (_compare_none, _compare_bool, _compare_number, _compare_tensor_like)


def _pairs(actual, expected, id=()):
    """``(actual, expected, id)`` for every leaf, recursing through sequences (not strings)
    and mappings (keys sorted where they can be) as PyTorch's ``originate_pairs``."""
    Sequence, Mapping = collections.abc.Sequence, collections.abc.Mapping
    if (isinstance(actual, Sequence) and not isinstance(actual, str)
            and isinstance(expected, Sequence) and not isinstance(expected, str)):
        if len(actual) != len(expected):
            raise _Failure(AssertionError, f"The length of the sequences mismatch: "
                           f"{len(actual)} != {len(expected)}", id)
        for index in range(len(actual)):
            yield from _pairs(actual[index], expected[index], (*id, index))
    elif isinstance(actual, Mapping) and isinstance(expected, Mapping):
        actual_keys, expected_keys = set(actual.keys()), set(expected.keys())
        if actual_keys != expected_keys:
            raise _Failure(AssertionError, (
                "The keys of the mappings do not match:\n"
                f"Missing keys in the actual mapping: {sorted(expected_keys - actual_keys)}\n"
                f"Additional keys in the actual mapping: {sorted(actual_keys - expected_keys)}"),
                id)
        keys = actual_keys
        with contextlib.suppress(Exception):
            keys = sorted(keys)
        for key in keys:
            yield from _pairs(actual[key], expected[key], (*id, key))
    else:
        yield actual, expected, id


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True,
                 rtol: float | None = None, atol: float | None = None, equal_nan: bool = False,
                 check_device: bool = True, check_dtype: bool = True, check_layout: bool = True,
                 check_stride: bool = False,
                 msg: str | Callable[[str], str] | None = None) -> None:
    """Assert that ``actual`` and ``expected`` are close: PyTorch's ``torch.testing.
    assert_close``. Tensors (or NumPy arrays, compared as tensors) must have the same shape,
    dtype (unless ``check_dtype=False``: then both are promoted) and, with
    ``check_stride=True``, strides; their values satisfy ``|actual - expected| <= atol + rtol *
    |expected|`` elementwise (NaNs equal only with ``equal_nan``). Python numbers compare the
    same way, and their types must match; sequences and mappings are compared item by item.

    Default ``(rtol, atol)`` by dtype: float16 ``(1e-3, 1e-5)``, float32 ``(1.3e-6, 1e-5)``,
    float64 ``(1e-7, 1e-7)``, everything else ``(0, 0)``; give both or neither. A failure
    raises ``AssertionError`` with PyTorch's message ("Tensor-likes are not close!", the
    mismatched count, the greatest absolute and relative differences and their indices), or
    ``msg`` instead (a callable receives the generated message). Inputs no comparison handles
    raise ``TypeError``. ``check_device`` and ``check_layout`` have nothing to check here (one
    device, strided tensors only).
    """
    __tracebackhide__ = True
    options = dict(allow_subclasses=allow_subclasses, rtol=rtol, atol=atol, equal_nan=equal_nan,
                   check_device=check_device, check_dtype=check_dtype,
                   check_layout=check_layout, check_stride=check_stride)
    try:
        pairs = list(_pairs(actual, expected))
    except _Failure as failure:
        raise failure.to_error() from None
    checks = []
    for a, e, id in pairs:
        for comparison in _COMPARISONS:
            try:
                comparison(a, e, id, **options)
            except _Unsupported:
                continue
            except _Failure as failure:
                if failure.type is not AssertionError:  # bad arguments: raised at once
                    raise failure.to_error() from None
                checks.append(failure)
            break
        else:
            raise TypeError(f"No comparison pair was able to handle inputs of type {type(a)} "
                            f"and {type(e)}." + (f"\n\nThe failure occurred for item "
                                                 f"{''.join(str([item]) for item in id)}"
                                                 if id else ""))
    if checks:
        raise checks[0].to_error(msg)


def assert_allclose(actual: Any, expected: Any, rtol: float | None = None,
                    atol: float | None = None, equal_nan: bool = True, msg: str = "") -> None:
    """Deprecated (PyTorch's FutureWarning): ``assert_close`` of the two as tensors without the
    dtype check, NaNs equal by default, and tolerances from the promoted dtype."""
    warnings.warn(
        "`torch.testing.assert_allclose()` is deprecated since 1.12 and will be removed in a "
        "future release. Please use `torch.testing.assert_close()` instead. You can find "
        "detailed upgrade instructions in https://github.com/pytorch/pytorch/issues/61844.",
        FutureWarning, stacklevel=2)
    if not isinstance(actual, Tensor):
        actual = tensor(actual)
    if not isinstance(expected, Tensor):
        expected = tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        rtol, atol = _tolerances(dtypes.promote(actual.dtype, expected.dtype), rtol=None,
                                 atol=None, id=())
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_device=True, check_dtype=False, check_stride=False, msg=msg or None)


def make_tensor(*shape, dtype, device, low: float | None = None, high: float | None = None,
                requires_grad: bool = False, noncontiguous: bool = False,
                exclude_zero: bool = False, memory_format=None) -> Tensor:
    """A tensor of ``shape`` and ``dtype`` with values drawn uniformly from ``[low, high)``:
    PyTorch's ``make_tensor``, its checks and messages. Defaults: bool ``[0, 2)``, integers
    ``[-9, 10)`` clamped to the dtype's range (uint8: ``[0, 10)``), floats ``[-9, 9)``; integer
    bounds are rounded up. ``exclude_zero`` replaces zeros by 1 (integers) or the dtype's
    ``tiny``; ``noncontiguous`` returns every other element of a last dim twice as long;
    ``requires_grad`` is for floating dtypes only. The values come from the default generator
    (``manual_seed``), not PyTorch's draws."""
    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = shape[0]
    shape = tuple(shape)
    dtype = dtypes.canonical(dtype)
    if noncontiguous and memory_format is not None:
        raise ValueError("The parameters `noncontiguous` and `memory_format` are mutually "
                         f"exclusive, but got noncontiguous={noncontiguous} and "
                         f"memory_format={memory_format}")
    floating = dtypes.is_floating(dtype)
    if requires_grad and not floating:
        raise ValueError("`requires_grad=True` is not supported for boolean and integral "
                         f"dtypes, but got dtype=torch.{dtype}")
    noncontiguous = noncontiguous and math.prod(shape) > 1
    if noncontiguous:
        shape = (*shape[:-1], 2 * shape[-1])
    if dtype == dtypes.bool:
        low, high = _low_high(low, high, dtype, 0, 2, 0, 2)
    elif not floating:
        info = np.iinfo(dtype)
        low, high = _low_high(low, high, dtype, int(info.min),
                              int(info.max) + (1 if dtype != dtypes.int64 else 0), -9, 10)
    else:
        info = np.finfo(dtype)
        low, high = _low_high(low, high, dtype, float(info.min), float(info.max), -9, 9)
    rng = numpy_generator()
    if floating:
        values = rng.uniform(low, high, size=shape).astype(dtype)
    else:
        values = rng.integers(low, high, size=shape).astype(dtype)
    if noncontiguous:
        values = values[..., 1::2]
    if exclude_zero:
        values[values == 0] = 1 if not floating else np.finfo(dtype).tiny
    result = as_tensor(values) if noncontiguous else tensor(values)
    if requires_grad:
        result.requires_grad_(True)
    return result


def _low_high(low, high, dtype, lowest_inclusive, highest_exclusive, default_low,
              default_high):
    """PyTorch's ``modify_low_high``: the defaults filled in, NaN and empty intervals refused,
    the bounds clamped to the dtype's range (and rounded up for integers and bool)."""
    low = default_low if low is None else low
    high = default_high if high is None else high
    floating = dtypes.is_floating(dtype)
    if any(isinstance(value, float) and math.isnan(value) for value in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    if low == high and floating:
        warnings.warn("Passing `low==high` to `torch.testing.make_tensor` for floating or "
                      "complex types is deprecated since 2.1 and will be removed in 2.3. Use "
                      "`torch.full(...)` instead.", FutureWarning, stacklevel=3)
    elif low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    elif high < lowest_inclusive or low >= highest_exclusive:
        raise ValueError(f"The value interval specified by `low` and `high` is [{low}, {high}), "
                         f"but torch.{dtype} only supports [{lowest_inclusive}, "
                         f"{highest_exclusive})")
    low = min(max(low, lowest_inclusive), highest_exclusive)
    high = min(max(high, lowest_inclusive), highest_exclusive)
    if not floating:
        return math.ceil(low), math.ceil(high)
    return low, high

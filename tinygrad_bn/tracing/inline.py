"""Inline templates: a few small ops' ``forward`` and ``backward`` written straight into a plan's
code (Linear, ReLU, training BatchNorm on ``(N, C)``), so that a replay makes the same NumPy
calls on the same values in the same order as the op's methods, without the method calls, the
op's fields, ``saved`` and the NumPy scalars converted on every call.

A template transcribes one version of its op's code. It is used only while that code is the one
transcribed: the source of the op's methods and of the helpers they call is fingerprinted when
a plan is built, and any other source (the op was edited) makes the plan call the methods as
usual. ``tests/test_jit.py`` checks that the fingerprints match the ops as they are (else the
templates need reading against the new code) and that each template gives the methods' bits.
"""

from __future__ import annotations

import hashlib
import inspect

import numpy as np

from ..ops.elementwise import ReLU, zero_of
from ..ops.linalg import Linear
from ..ops.normalization import BatchNorm, update_running_statistics
from ..ops.reduce import column_sums

# The functions each template transcribes, and the sha256 of their source (``fingerprint``).
_SOURCES = {
    Linear: (Linear.forward, Linear.backward, column_sums),
    ReLU: (ReLU.forward, ReLU.backward, zero_of),
    BatchNorm: (BatchNorm.forward, BatchNorm._sums, BatchNorm.backward, column_sums,
                update_running_statistics),
}
EXPECTED = {
    Linear: "2c8e6f0cdea0626dc62fa2252576d04de766d62aef3b7b8c04e1205731c0ac7e",
    ReLU: "33224a63fdd6141bb522a7e036d4f122502e30edd9e2b51657366fad8c6604c7",
    BatchNorm: "f85a0dc12cb34a6c6205dd61b58ca55d3e9d5342695e03663a4e1f6f46f1ae47",
}
_checked = {}


def fingerprint(op_type) -> str | None:
    """The sha256 of the source of the functions ``op_type``'s template transcribes, or None
    when there is no template or a source cannot be read."""
    functions = _SOURCES.get(op_type)
    if functions is None:
        return None
    digest = hashlib.sha256()
    try:
        for function in functions:
            digest.update(inspect.getsource(function).encode())
    except (OSError, TypeError):
        return None
    return digest.hexdigest()


def transcribed(op_type) -> bool:
    """Whether ``op_type`` has a template and its code is still the code transcribed."""
    known = _checked.get(op_type)
    if known is None:
        known = _checked[op_type] = (op_type in EXPECTED
                                     and fingerprint(op_type) == EXPECTED[op_type])
    return known


class Inlined:
    """What an inlined forward left for its backward: the names of the saved arrays (locals of
    the generated function) and how to write the backward."""

    def __init__(self, backward, saved):
        self.backward, self.saved = backward, saved


def forward(plan, op, arrays, number, metas, lines):
    """Write op ``number``'s forward inline (``v{number} = ...``) and return an ``Inlined`` for
    its backward, or return None (the plan calls ``op.forward``). ``arrays`` are the input
    expressions, ``metas`` their ``(shape, dtype)`` (None when not known when the plan is
    built)."""
    kind = type(op)
    if kind not in _SOURCES or not transcribed(kind):
        return None
    out_shape, out_dtype = plan._trace.values[number]
    if out_dtype == np.float16 and kind is not ReLU:
        return None  # float16 Linear and BatchNorm compute in float32 (ops/opmath.py)
    # Saved inputs must be what the forward read: expressions that read an attribute
    # (``S0._grad._array``) are bound to a local first.
    names = []
    for position, expression in enumerate(arrays):
        if not expression.isidentifier():
            local = f"z{number}_{position}"
            lines.append(f"    {local} = {expression}")
            expression = local
        names.append(expression)
    v = f"v{number}"
    needs = op.needs_input_grad or ()
    if kind is ReLU:
        if out_shape == ():
            return None
        zero = plan._constant(zero_of(out_dtype), "k")
        lines.append(f"    {v} = _maximum({names[0]}, {zero})  # ReLU, inline")
        return Inlined(_relu_backward, (v, zero))
    if kind is Linear:
        if len(out_shape) != 2:
            return None
        x, weight = names[0], names[1]
        lines.append(f"    {v} = _dot({x}, {weight}.T)  # Linear, inline")
        if len(names) == 3:
            lines.append(f"    {v} += {names[2]}")
        return Inlined(_linear_backward, (x, weight, out_shape, needs,
                                          len(names), metas[1]))
    if kind is BatchNorm:
        if (not op.training or len(out_shape) != 2 or len(names) != 3 or out_shape[0] < 2
                or (op.running_mean is None) != (op.running_var is None)
                or type(op.momentum) not in (int, float)
                or any(meta is None or meta[1] is not out_dtype for meta in metas)):
            return None
        scalar = out_dtype.type
        m = out_shape[0]  # x.size // x.shape[1] for (N, C)
        inverse_m = plan._constant(scalar(1 / m), "k")
        eps = plan._constant(scalar(op.eps), "k")
        one = plan._constant(scalar(1), "k")
        x, gamma, beta = names
        n = number
        lines += [
            f"    m{n} = _column_sums({x})  # BatchNorm (training), inline",
            f"    m{n} *= {inverse_m}",
            f"    c{n}_ = {x} - m{n}",
            f"    {v} = _multiply(c{n}_, c{n}_)",
            f"    i{n} = _column_sums({v})",
            f"    i{n} *= {inverse_m}",
        ]
        if op.running_mean is not None:
            _running_statistics(plan, op, n, m, lines)
        lines += [
            f"    _add(i{n}, {eps}, out=i{n})",
            f"    _sqrt(i{n}, out=i{n})",
            f"    _divide({one}, i{n}, out=i{n})",
            f"    _multiply(c{n}_, i{n}, out=c{n}_)",
            f"    _multiply(c{n}_, {gamma}, out={v})",
            f"    {v} += {beta}",
            f"    del m{n}",
        ]
        return Inlined(_batchnorm_backward, (f"c{n}_", f"i{n}", gamma, out_shape, needs,
                                             plan._constant(scalar(1 / m), "k")))
    return None


def _running_statistics(plan, op, n, m, lines):
    """``update_running_statistics`` of op ``n``'s running buffers, inline with its scalars made
    once, for buffers of the dtypes they have now; buffers of other dtypes by the function (the
    op reads them afresh each forward: a module's buffer converted or replaced is not a guard
    failure)."""
    momentum = op.momentum
    mean_dtype, var_dtype = op.running_mean._array.dtype, op.running_var._array.dtype
    keep = plan._constant(mean_dtype.type(1 - momentum), "k")
    mean_weight = plan._constant(mean_dtype.type(momentum), "k")
    var_weight = plan._constant(var_dtype.type(momentum * m / (m - 1)), "k")
    lines += [
        f"    rm = op{n}.running_mean._array",
        f"    rv = op{n}.running_var._array",
        f"    if rm.dtype is {plan._constant(mean_dtype, 'd')} and "
        f"rv.dtype is {plan._constant(var_dtype, 'd')}:",
        f"        rm *= {keep}",
        f"        rm += m{n}.reshape(-1) * {mean_weight}",
        f"        rv *= {keep}",
        f"        rv += i{n}.reshape(-1) * {var_weight}",
        "    else:",
        f"        _update_running_statistics(rm, rv, m{n}, i{n}, {m}, "
        f"{plan._constant(momentum, 'k')})",
    ]


def _relu_backward(g, saved, lines):
    out, zero = saved
    lines.append(f"    r = ({g} * ({out} > {zero}),)  # ReLU backward, inline")


def _linear_backward(g, saved, lines):
    """``Linear.backward`` for a 2-D ``grad_output`` (rows = its first dim)."""
    x, weight, (rows, columns), needs, inputs, weight_meta = saved
    lines.append(f"    h = {g}.reshape({rows}, {columns})  # Linear backward, inline")
    parts = [f"_dot(h, {weight}).reshape({rows}, {weight}.shape[1])" if needs[0] else "None",
             f"_dot(h.T, {x}.reshape({rows}, {x}.shape[-1]))" if needs[1] else "None"]
    if inputs == 3:
        parts.append("_column_sums(h)" if needs[2] else "None")
    lines.append(f"    r = ({', '.join(parts)},)")


def _batchnorm_backward(g, saved, lines):
    """``BatchNorm.backward`` in training for ``(N, C)``."""
    x_hat, inv_std, gamma, _, needs, inverse_m = saved
    needs_x, needs_gamma, needs_beta = needs
    lines += [f"    sg = _column_sums({g})  # BatchNorm backward, inline",
              f"    p = {g} * {x_hat}",
              "    sgx = _column_sums(p)"]
    if needs_x:
        lines += [f"    scale = {gamma} * {inv_std}",
                  f"    gx = {g} - sg * {inverse_m}",
                  f"    gx -= _multiply({x_hat}, sgx * {inverse_m}, out=p)",
                  "    gx *= scale"]
    lines.append(f"    r = ({'gx' if needs_x else 'None'}, "
                 f"{'sgx.reshape(-1)' if needs_gamma else 'None'}, "
                 f"{'sg.reshape(-1)' if needs_beta else 'None'})")


NAMES = dict(_maximum=np.maximum, _dot=np.dot, _multiply=np.multiply, _add=np.add,
             _sqrt=np.sqrt, _divide=np.divide, _column_sums=column_sums,
             _update_running_statistics=update_running_statistics)

"""Inline templates: a few small ops' ``forward`` and ``backward`` written straight into a
plan's code (Linear, ReLU, training BatchNorm on ``(N, C)`` and its batch count), so that a
replay makes the same NumPy calls on the same values in the same order as the op's methods,
without the method calls, the op's fields, ``saved`` and the NumPy scalars converted on every
call.

A template transcribes one version of its op's code. It is used only while that code is the one
transcribed: the source of the op's methods and of the helpers they call is fingerprinted when
a plan is built, and any other source (the op was edited) makes the plan call the methods as
usual. ``tests/test_jit_inline.py`` checks that the fingerprints match the ops as they are
(else the templates need reading against the new code) and that the templates give eager's
bits.
"""

from __future__ import annotations

import hashlib
import inspect

import numpy as np

from ..nn.normalization import _count_batch
from ..ops.elementwise import ReLU, zero_of
from ..ops.linalg import Linear
from ..ops.loss import CrossEntropy, check_labels_in_range
from ..ops.normalization import BatchNorm, update_running_statistics
from ..ops.reduce import column_sums, row_max, row_sums

# The functions each template transcribes, and the sha256 of their source (``fingerprint``).
# (The locals a template writes are named so as never to meet the plan's own names: ``v``,
# ``g``, ``G``, ``F``, ``a``, ``s``, ``c`` and ``r`` locals, ``k``, ``c``, ``d``, ``e``, ``f``,
# ``o``, ``w`` constants, all followed by digits.)
_SOURCES = {
    Linear: (Linear.forward, Linear.backward, column_sums),
    ReLU: (ReLU.forward, ReLU.backward, zero_of),
    BatchNorm: (BatchNorm.forward, BatchNorm._sums, BatchNorm.backward, column_sums,
                update_running_statistics),
    _count_batch: (_count_batch,),
    CrossEntropy: (CrossEntropy.forward, CrossEntropy._scale, CrossEntropy.backward,
                   check_labels_in_range, row_max, row_sums, column_sums),
}
EXPECTED = {
    Linear: "26ea772881b83dfb92ee60e5cd9b5313448bf4daa4b5c10b2c51f10c2681c700",
    ReLU: "33224a63fdd6141bb522a7e036d4f122502e30edd9e2b51657366fad8c6604c7",
    BatchNorm: "9c9772847b22dd306a49370f0e5802ec66552aaa4b49f714116fae9ab19af65a",
    _count_batch: "8f25c90bbf83ae6ac984d26c2a85021dfe7008cccc35240c8f5d1ea5e84eef54",
    CrossEntropy: "e4301e08ac84ecdb3fbed0f7841b82b4414404fec44d97d7ccf392bccd477ccb",
}
_checked = {}


def fingerprint(op_type) -> str | None:
    """The sha256 of the source of the functions ``op_type``'s template transcribes (an op
    class, or the effect function ``_count_batch``), or None when there is no template or a
    source cannot be read."""
    functions = _SOURCES.get(op_type)
    if functions is None:
        return None
    digest = hashlib.sha256()
    try:
        for function in functions:
            for source in _sources(function):
                digest.update(source.encode())
    except (OSError, TypeError):
        return None
    return digest.hexdigest()


def _sources(function):
    """The source of ``function`` and of the functions its closure holds (a method wrapped by
    a decorator such as ``ops.opmath``: the wrapper and the method it calls)."""
    yield inspect.getsource(function.__code__)  # a code object: never unwrapped to another
    for cell in getattr(function, "__closure__", None) or ():
        try:
            inner = cell.cell_contents
        except ValueError:
            continue
        if inspect.isfunction(inner):
            yield from _sources(inner)


def transcribed(op_type) -> bool:
    """Whether ``op_type`` has a template and its code is still the code transcribed."""
    known = _checked.get(op_type)
    if known is None:
        known = _checked[op_type] = (op_type in EXPECTED
                                     and fingerprint(op_type) == EXPECTED[op_type])
    return known


class Inlined:
    """What an inlined forward left for its backward: the names of the saved arrays (locals of
    the generated function), how to write the backward, and what its gradients are known to
    be when the plan is built. ``exact[i]``: the gradient for input ``i`` is an ndarray of
    that input's shape and dtype, so the engine's fitting (``_fit``) has nothing to do and the
    plan leaves out its test; ``fresh[i]``: it is moreover a new array of its own (not a view,
    not the incoming gradient), which the engine's rule may keep as a leaf's ``.grad`` or add
    into in place, so the plan leaves out that test too."""

    def __init__(self, backward, saved, exact=(), fresh=()):
        self.backward, self.saved = backward, saved
        self.exact, self.fresh = exact, fresh

    def is_exact(self, position):
        return position < len(self.exact) and self.exact[position]

    def is_fresh(self, position):
        return position < len(self.fresh) and self.fresh[position]


def forward(plan, op, arrays, number, metas, root, lines):
    """Write op ``number``'s forward inline (``v{number} = ...``) and return an ``Inlined`` for
    its backward, or return None (the plan calls ``op.forward``). ``arrays`` are the input
    expressions, ``metas`` their ``(shape, dtype)`` (None when not known when the plan is
    built); ``root``: a backward starts at this op's result, with a gradient of any shape."""
    kind = type(op)
    if kind not in _SOURCES or not transcribed(kind) or (root and kind is not CrossEntropy):
        return None
    out_shape, out_dtype = plan._trace.values[number]
    if out_dtype == np.float16 or any(meta is not None and meta[1] == np.float16
                                      for meta in metas):
        return None  # float16 runs in float32 (ops.opmath): left to the methods
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
        # g * (out > 0): a new array of g's shape and dtype, which are the input's
        return Inlined(_relu_backward, (v, zero), exact=(True,), fresh=(True,))
    if kind is Linear:
        if len(out_shape) != 2 or metas[0] is None:  # (x's dtype: opmath's test)
            return None
        x, weight = names[0], names[1]
        lines.append(f"    {v} = _dot({x}, {weight}.T)  # Linear, inline")
        if len(names) == 3:
            lines.append(f"    {v} += {names[2]}")
        # dot(g, W) reshaped to x's (rows, in) (a view: not fresh), dot(g.T, x) of W's shape,
        # column sums of g of the bias's: of their inputs' dtypes when all share the output's
        same = [meta is not None and meta[1] is out_dtype for meta in metas]
        exact = (same[0] and same[1],
                 same[0] and same[1] and metas[1][0] == out_shape[1:] + metas[0][0][1:],
                 len(names) == 3 and same[2] and metas[2][0] == out_shape[1:])
        return Inlined(_linear_backward, (x, weight, out_shape, needs, len(names), metas[1]),
                       exact=exact, fresh=(False, exact[1], exact[2]))
    if kind is CrossEntropy:
        return _cross_entropy(plan, op, names, number, metas, out_dtype, lines)
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
        # g - sum(g) / m ... of x's shape, column sums of gamma's and beta's, all new arrays
        # of the output's dtype (the test above: every input has it)
        exact = (metas[0][0] == out_shape, metas[1][0] == out_shape[1:],
                 metas[2][0] == out_shape[1:])
        return Inlined(_batchnorm_backward, (f"c{n}_", f"i{n}", gamma, out_shape, needs,
                                             plan._constant(scalar(1 / m), "k")),
                       exact=exact, fresh=exact)
    return None


def _running_statistics(plan, op, n, m, lines):
    """``update_running_statistics`` of op ``n``'s running buffers, inline with its scalars made
    once, for buffers of the dtypes they have now; buffers of other dtypes by the function (the
    op reads them afresh each forward: a module's buffer converted or replaced is not a guard
    failure)."""
    momentum = op.momentum
    mean_dtype, var_dtype = op.running_mean._array.dtype, op.running_var._array.dtype
    if mean_dtype == np.float16:  # updated in float32 and rounded once: the function's
        lines.append(f"    _update_running_statistics(op{n}.running_mean._array, "
                     f"op{n}.running_var._array, m{n}, i{n}, {m}, "
                     f"{plan._constant(momentum, 'k')})")
        return
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


def effect(plan, function, arguments, refs, lines):
    """Write an effect inline (BatchNorm's batch count: ``num_batches_tracked += 1`` on its
    guarded int64 array, the 1 made once) and return True, or return False (the plan calls
    ``function``)."""
    if (function is not _count_batch or not transcribed(_count_batch) or len(refs) != 1
            or refs[0][0] != "state" or refs[0][1]._array.dtype != np.int64
            or not arguments[0].isidentifier()):
        return False
    lines.append(f"    {arguments[0]} += {plan._constant(np.int64(1), 'k')}  # _count_batch, inline")
    return True


def _cross_entropy(plan, op, names, n, metas, out_dtype, lines):
    """``CrossEntropy`` with class labels, mean reduction, no weights, no smoothing and an
    ``ignore_index`` outside the classes: its forward's plain path when every label is in
    range (checked as the method checks, the same IndexError), else the method itself."""
    if len(names) != 2 or metas[0] is None or metas[1] is None:
        return None
    (x_shape, x_dtype), (t_shape, t_dtype) = metas
    if (op.reduction != "mean" or op.label_smoothing or t_dtype.kind not in "iu"
            or len(x_shape) != 2 or x_shape[0] < 1 or t_shape != x_shape[:1]
            or x_dtype is not out_dtype or type(op.ignore_index) is not int
            or 0 <= op.ignore_index < x_shape[1]):
        return None
    rows_count, classes = x_shape
    rows = np.arange(rows_count)
    rows.flags.writeable = False
    rows = plan._constant(rows, "k")
    x, target = names
    lines += [
        f"    if _check_labels_in_range({target}, {classes}, {op.ignore_index}):"
        "  # CrossEntropy (labels, mean), inline",
        f"        x{n} = {x} - _row_max({x})",
        f"        pr{n} = _exp(x{n})",
        f"        q{n} = _row_sums(pr{n})",
        f"        l{n} = _log(q{n}).reshape({rows_count}) - x{n}[{rows}, {target}]",
        f"        _divide(pr{n}, q{n}, out=pr{n})",
        f"        v{n} = _asarray(_add_reduce(l{n}) / {rows_count}, "
        f"dtype={plan._constant(out_dtype, 'd')})",
        f"        del x{n}, q{n}, l{n}",
        "    else:  # labels out of range but ignored: the method",
        f"        v{n} = _asarray({plan._constant(op.forward, 'f')}({x}, {target}))",
        f"        pr{n} = None",
    ]
    return Inlined(_cross_entropy_backward, (n, f"pr{n}", rows, target, rows_count))


def _cross_entropy_backward(g, saved, lines):
    n, probabilities, rows, target, rows_count = saved
    lines += [
        f"    if {probabilities} is not None:  # CrossEntropy backward, inline",
        f"        r = {probabilities}.copy()",
        f"        r[{rows}, {target}] -= 1",
        f"        r *= {g} / {rows_count}",
        "        r = (r, None)",
        "    else:",
        f"        r = op{n}.backward({g})",
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
    lines.append(f"    r = ({'gx' if needs_x else 'None'}, {'sgx' if needs_gamma else 'None'}, "
                 f"{'sg' if needs_beta else 'None'})")


NAMES = dict(_check_labels_in_range=check_labels_in_range, _row_max=row_max,
             _row_sums=row_sums, _exp=np.exp, _log=np.log, _add_reduce=np.add.reduce,
             _maximum=np.maximum, _dot=np.dot, _multiply=np.multiply, _add=np.add,
             _sqrt=np.sqrt, _divide=np.divide, _column_sums=column_sums,
             _update_running_statistics=update_running_statistics)

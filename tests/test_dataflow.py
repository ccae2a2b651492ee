"""Dataflow, not snapshots: what a jit capture sees of each Tensor method, factory and
``nn.functional`` call.

An audit listener stands in for the jit's tracer (``autograd.graph.tracer``) while one call
runs, and checks the rule the capture relies on: every tensor a recorded op reads, and every
tensor the call returns, is an argument, the output of a recorded op, a constant made from
Python values alone (``graph.constant``, or ``Tensor(python values)``), or a tensor from before
the call; unless the call told the capture it cannot be replayed, and why. No recorded op
holds an array in a field other than those its class lists in ``array_arguments`` (an array
there would be frozen into a plan), and every ``Derived`` op computes with a module-level
function or ufunc and Python keywords. Tensors are told apart by the identity of their arrays,
as the capture does (``x.detach()`` is ``x``'s array).

The second half checks that the ops made dataflow kept their eager values, gradients (finite
differences in float64) and errors.
"""

import copy
import math
import sys

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn.autograd import graph
from tinygrad_bn.nn import functional as F
from tinygrad_bn.ops import Derived
from tinygrad_bn.ops.movement import INDEX_TENSOR
from tinygrad_bn.tracing.capture import GRAPH_FIELDS, holds_array, python_values


def _module_level(function):
    """Whether ``function`` is a ufunc or reachable by name from its module (so that two
    captures can compare it by identity)."""
    if isinstance(function, np.ufunc):
        return True
    module = sys.modules.get(getattr(function, "__module__", None) or "")
    return module is not None and getattr(module, function.__qualname__, None) is function


def _tensors(value):
    if isinstance(value, tg.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in _tensors(item)]
    return []


class Audit:
    """The tracer's interface, checking dataflow instead of recording a plan. ``problems``
    lists every violation; ``refusals`` every reason given to refuse a capture."""

    def __init__(self, arguments):
        self.sources = {id(t._array): "argument" for t in arguments}  # id(array) -> where from
        self.made = set()          # ids of tensors made while the call ran
        self.keep = list(arguments)  # so that ids stay unique
        self.ops = []              # (op, inputs, out) in order
        self.problems = []
        self.refusals = []

    def known(self, tensor, what):
        if id(tensor._array) in self.sources:
            return
        if id(tensor) not in self.made:  # from before the call: a parameter, a buffer
            self.sources[id(tensor._array)] = "state"
            return
        self.problems.append(f"{what} reads a tensor of shape {tuple(tensor.shape)} made from "
                             "outside the recorded ops")

    # --- the listener interface

    def record_op(self, op, inputs, out):
        name = type(op).__name__
        for position, tensor in enumerate(inputs):
            self.known(tensor, f"{name} input {position}")
        for cls in type(op).__mro__:
            for field in getattr(cls, "__slots__", ()):
                if field in GRAPH_FIELDS:
                    continue
                value = getattr(op, field, None)
                if isinstance(value, tg.Tensor):  # BatchNorm's running statistics
                    self.known(value, f"{name}.{field}")
                elif holds_array(value) and field not in type(op).array_arguments:
                    self.problems.append(f"{name} holds an array in its field {field!r}")
        if isinstance(op, Derived):
            if not _module_level(op.function):
                self.problems.append(f"{op!r} computes with {op.function!r}, not a module-level "
                                     "function or ufunc")
            if holds_array(op.keywords):
                self.problems.append(f"{op!r} has an array among its keywords")
        self.ops.append((op, inputs, out))
        self.sources[id(out._array)] = "op"
        self.keep += [op, out]

    def record_made(self, tensor):
        self.made.add(id(tensor))
        self.keep.append(tensor)

    def record_created(self, tensor, data):
        self.record_made(tensor)
        if isinstance(data, tg.Tensor):  # a copy of a tensor: the capture traces it
            self.known(data, "Tensor(tensor)")
            self.sources[id(tensor._array)] = "copy"
        elif python_values(data):
            self.record_constant(tensor)

    def record_live_read(self, obj, value):
        pass

    def record_alias(self, handle, source):
        pass

    def record_module_made(self, module):
        pass

    def record_constant(self, tensor, value=None):
        self.sources[id(tensor._array)] = "constant"
        self.keep.append(tensor)

    def record_effect(self, function, args):
        for arg in args:
            if isinstance(arg, tg.Tensor):
                self.known(arg, function.__name__)

    def record_call(self, function, args, kwargs):
        return function(*args, **kwargs)

    def record_module(self, module, hooks):
        pass

    def read_value(self, tensor, what):
        self.refusals.append(f"{what} reads a tensor's values into Python")

    def record_backward(self, roots, root_grads, inputs, retain_graph):
        pass

    def refuse(self, reason):
        self.refusals.append(reason)

    def record_grad_set(self, tensor, value):
        pass

    def record_write(self):
        self.refusals.append("an in-place write")


def audit(function, arguments):
    """Run ``function(*arguments)`` under an ``Audit``; returns ``(result, audit)``."""
    listener = Audit(arguments)
    graph.tracer = listener
    try:
        result = function(*arguments)
    finally:
        graph.tracer = None
    for tensor in _tensors(result):
        listener.known(tensor, "the result")
    return result, listener


# --------------------------------------------------------------------------- the table

def floats(*shape, requires_grad=True, seed=0):
    rng = np.random.default_rng(seed)
    return tg.tensor(rng.standard_normal(shape), dtype=tg.float64, requires_grad=requires_grad)


def ints(high, *shape, low=0, seed=1):
    return tg.tensor(np.random.default_rng(seed).integers(low, high, shape))


def X():
    return [floats(3, 4)]


def XY():
    return [floats(3, 4), floats(3, 4, seed=2)]


def XI(index):
    return lambda: [floats(3, 4), index()]


def logits_labels(classes=4, n=6, ignore=False):
    def build():
        labels = ints(classes, n)
        if ignore:
            labels = tg.tensor(np.where(np.arange(n) % 3 == 0, -100, labels.numpy()))
        return [floats(n, classes), labels]
    return build


CASES = [
    # comparisons, logical and bitwise ops
    ("eq", lambda x, y: x == y, XY, None),
    ("ne scalar", lambda x: x != 0.5, X, None),
    ("lt", lambda x, y: x < y, XY, None),
    ("le scalar", lambda x: x <= 0, X, None),
    ("gt reflected", lambda x: 0 > x, X, None),
    ("ge list", lambda x: x >= [0.0, 1.0, 2.0, 3.0], X, None),
    ("and", lambda x, y: (x > 0) & (y > 0), XY, None),
    ("or scalar", lambda x: (x > 0) | True, X, None),
    ("xor int", lambda i: i ^ 3, lambda: [ints(9, 5)], None),
    ("invert", lambda x: ~(x > 0), X, None),
    ("logical_not", lambda x: x.logical_not(), X, None),
    ("logical_and", lambda x, y: x.logical_and(y), XY, None),
    ("logical_or", lambda x, y: x.logical_or(y), XY, None),
    ("logical_xor", lambda x, y: x.logical_xor(y), XY, None),
    ("isnan", lambda x: (x * math.nan).isnan(), X, None),
    ("isinf", lambda x: (x * math.inf).isinf(), X, None),
    ("isfinite", lambda x: x.isfinite(), X, None),
    ("isclose", lambda x, y: x.isclose(y, rtol=0.5, equal_nan=True), XY, None),
    ("allclose", lambda x, y: x.allclose(y), XY, "reads a tensor's values"),
    ("equal", lambda x, y: x.equal(y), XY, "reads a tensor's values"),
    ("all", lambda x: (x > -5).all(), X, None),
    ("all dim", lambda x: (x > 0).all(dim=1, keepdim=True), X, None),
    ("any dims", lambda x: (x > 0).any(dim=(0, 1)), X, None),
    ("argmax", lambda x: x.argmax(), X, None),
    ("argmax dim", lambda x: x.argmax(dim=1, keepdim=True), X, None),
    ("argmin dim", lambda x: x.argmin(0), X, None),
    ("max dim", lambda x: x.max(dim=1), X, None),
    ("min dim", lambda x: x.min(dim=0, keepdim=True), X, None),
    ("count_nonzero", lambda x: (x > 0).count_nonzero(dim=1), X, None),
    ("sign int", lambda i: i.sign(), lambda: [ints(9, 5, low=-4)], None),
    ("floor int", lambda i: i.floor(), lambda: [ints(9, 5)], None),
    ("round bool", lambda x: (x > 0).round(), X, None),
    ("clamp tensor bounds", lambda x, y: x.clamp(min=y - 1, max=y + 1), XY, None),
    ("lerp number", lambda x, y: x.lerp(y, 0.25), XY, None),
    ("masked_fill", lambda x: x.masked_fill(x > 0, 2.0), X, None),
    ("masked_fill tensor", lambda x, y: x.masked_fill(y > 0, y.sum()), XY, None),
    ("where numbers", lambda x: tg.where(x > 0, 1.0, -1.0), X, None),
    ("where", lambda x, y: tg.where(x > y, x, 0), XY, None),
    ("tril", lambda x: x.tril(), X, None),
    ("triu", lambda x: x.triu(1), X, None),
    # positions and the values picked with them
    ("median", lambda x: x.median(), X, None),
    ("median empty", lambda x: x[:0].median(), X, None),
    ("median dim", lambda x: x.median(dim=1), X, None),
    ("kthvalue", lambda x: x.kthvalue(2, dim=1, keepdim=True), X, None),
    ("mode", lambda i: i.mode(1), lambda: [ints(3, 4, 5)], None),
    ("sort", lambda x: x.sort(dim=1, descending=True), X, None),
    ("argsort bool", lambda x: (x > 0).argsort(dim=0, descending=True), X, None),
    ("topk", lambda x: x.topk(2, dim=1), X, None),
    ("topk smallest", lambda x: x.topk(3, dim=0, largest=False), X, None),
    ("cummax", lambda x: x.cummax(1), X, None),
    ("cummin 0-d", lambda x: x.sum().cummin(0), X, None),
    # indices as inputs
    ("gather", lambda x, i: x.gather(1, i), XI(lambda: ints(4, 3, 2)), None),
    ("scatter", lambda x, i, s: x.scatter(1, i, s),
     lambda: [floats(3, 4), ints(4, 3, 2), floats(3, 2, seed=5)], None),
    ("scatter number", lambda x, i: x.scatter(1, i, 7.0), XI(lambda: ints(4, 3, 2)), None),
    ("scatter_add", lambda x, i, s: x.scatter_add(0, i, s),
     lambda: [floats(3, 4), ints(3, 2, 4), floats(2, 4, seed=5)], None),
    ("index_select", lambda x, i: x.index_select(1, i), XI(lambda: ints(4, 6)), None),
    ("index_select scalar", lambda x, i: x.sum().index_select(0, i),
     XI(lambda: tg.tensor([0])), None),
    ("getitem tensor", lambda x, i: x[i], XI(lambda: ints(3, 5)), None),
    ("getitem 0-d tensor", lambda x, i: x[i], XI(lambda: tg.tensor(2)), None),
    ("getitem tuple", lambda x, i, j: x[i, 1:, None][..., j],
     lambda: [floats(3, 4), ints(3, 2), tg.tensor(0)], None),
    ("getitem two tensors", lambda x, i, j: x[i, j],
     lambda: [floats(3, 4), ints(3, 5), ints(4, 5, seed=3)], None),
    ("getitem list", lambda x: x[[0, 2], 1:], X, None),
    ("getitem numpy", lambda x: x[np.array([1, 1, 0])], X, None),
    ("getitem arange", lambda x, i: x[tg.arange(3), i], XI(lambda: ints(4, 3)), None),
    ("getitem basic", lambda x: x[1, ..., None, ::2], X, None),
    ("iterate", lambda x: list(x), X, None),
    ("split", lambda x: x.split(2, dim=1), X, None),
    ("getitem mask", lambda x: x[x > 0], X, "boolean mask"),
    ("setitem tensor index", lambda x, i: x.__setitem__(i, 0.0),
     lambda: [floats(3, 4, requires_grad=False), ints(3, 2)], "in-place write"),
    ("masked_select", lambda x: x.masked_select(x > 0), X, "masked_select returns a shape"),
    ("nonzero", lambda x: (x > 0).nonzero(), X, "nonzero returns a shape"),
    ("argwhere", lambda x: (x > 0).argwhere(), X, "nonzero returns a shape"),
    ("nonzero tuple", lambda x: (x > 0).nonzero(as_tuple=True), X, "nonzero returns a shape"),
    ("repeat_interleave int", lambda x: x.repeat_interleave(2, dim=0), X, None),
    ("repeat_interleave output_size", lambda x, r: x.repeat_interleave(r, 1, output_size=9),
     XI(lambda: tg.tensor([1, 2, 3, 3])), None),
    ("repeat_interleave tensor", lambda x, r: x.repeat_interleave(r, 1),
     XI(lambda: tg.tensor([1, 2, 3, 3])), "repeat_interleave returns a shape"),
    ("repeat_interleave counts", lambda r: r.repeat_interleave(), lambda: [tg.tensor([1, 2])],
     "repeat_interleave returns a shape"),
    ("unique", lambda i: tg.unique(i, return_counts=True), lambda: [ints(3, 9)],
     "unique returns a shape"),
    ("histc", lambda x: x.histc(bins=5), X, None),
    ("histc range", lambda x: x.histc(bins=4, min=-1, max=1), X, None),
    ("histogram", lambda x: tg.histogram(x, bins=3), X, None),
    ("histogram edges weight", lambda x, e, w: tg.histogram(x, e, weight=w),
     lambda: [floats(3, 4), tg.tensor([-1.0, 0.0, 2.0], dtype=tg.float64),
              floats(3, 4, seed=4).abs()], None),
    # factories
    ("zeros", lambda x: x + tg.zeros(3, 4, dtype=tg.float64), X, None),
    ("ones", lambda: tg.ones((2, 3)), list, None),
    ("full", lambda: tg.full((2,), 7), list, None),
    ("full tensor value", lambda x: tg.full((2,), x.sum().detach()), X,
     "reads a tensor's values"),
    ("empty", lambda: tg.empty(2, 2), list, None),
    ("arange", lambda: tg.arange(1, 7, 2), list, None),
    ("linspace", lambda: tg.linspace(0, 1, 5), list, None),
    ("eye", lambda: tg.eye(3, 2), list, None),
    ("zeros_like", lambda x: tg.zeros_like(x), X, None),
    ("ones_like", lambda x: tg.ones_like(x, dtype=tg.int64), X, None),
    ("full_like", lambda x: tg.full_like(x, 2.5), X, None),
    ("empty_like", lambda x: tg.empty_like(x), X, None),
    ("new_zeros", lambda x: x.new_zeros(2, 3), X, None),
    ("new_ones", lambda x: x.new_ones((2,)), X, None),
    ("new_full", lambda x: x.new_full((2,), 3), X, None),
    ("new_empty", lambda x: x.new_empty(4), X, None),
    ("new_tensor", lambda x: x.new_tensor([1, 2]), X, None),
    ("tensor of a tensor", lambda x: tg.tensor(x.detach()) * 2, X, None),
    ("asarray copy", lambda x: tg.asarray(x.detach(), copy=True), X, None),
    ("randn", lambda: tg.randn(2, 3), list, None),  # RandomDraw: replays draw again
    ("rand", lambda: tg.rand(2), list, None),
    ("randint", lambda: tg.randint(0, 5, (3,)), list, None),
    ("randperm", lambda: tg.randperm(4), list, None),
    ("normal", lambda: tg.normal(0.0, 1.0, (2,)), list, None),
    ("normal tensors", lambda x: tg.normal(x, x.abs()), X, None),  # Normal: replays draw again
    ("rand_like", lambda x: tg.rand_like(x), X, None),
    ("randn_like", lambda x: tg.randn_like(x), X, None),
    ("randint_like", lambda x: tg.randint_like(x, 5), X, None),
    ("multinomial", lambda x: x.abs().multinomial(2), X, "a random draw (multinomial)"),
    ("bernoulli", lambda x: x.sigmoid().bernoulli(), X, None),  # Bernoulli: draws again
    ("uniform_", lambda x: x.detach().uniform_(), X, "a random draw (uniform_)"),
    ("normal_", lambda x: x.detach().normal_(), X, "a random draw (normal_)"),
    ("exponential_", lambda x: x.detach().exponential_(), X, "a random draw (exponential_)"),
    ("random_", lambda x: x.detach().random_(5), X, "a random draw (random_)"),
    ("bernoulli_", lambda x: x.detach().bernoulli_(0.5), X, "a random draw (bernoulli_)"),
    # nn.functional
    ("one_hot", lambda i: F.one_hot(i, 5), lambda: [ints(5, 6)], None),
    ("one_hot inferred", lambda i: F.one_hot(i), lambda: [ints(5, 6)],
     "one_hot with num_classes=-1 returns a shape"),
    ("embedding", lambda i, w: F.embedding(i, w),
     lambda: [ints(5, 2, 3), floats(5, 4)], None),
    ("embedding padding", lambda i, w: F.embedding(i, w, padding_idx=1),
     lambda: [ints(5, 2, 3), floats(5, 4)], None),
    ("batch_norm defaults", lambda x: F.batch_norm(x, None, None, training=True), X, None),
    ("batch_norm running", lambda x, m, v: F.batch_norm(x, m, v, training=True),
     lambda: [floats(3, 4), floats(4, requires_grad=False),
              floats(4, requires_grad=False).abs()], None),
    ("batch_norm composed", lambda x, m, v: F.batch_norm(x, m, v, training=True, fused=False),
     lambda: [floats(3, 4), floats(4, requires_grad=False),
              floats(4, requires_grad=False).abs()], None),
    ("dropout", lambda x: F.dropout(x, 0.5), X, None),  # the Dropout op draws its mask
    ("dropout eval", lambda x: F.dropout(x, 0.5, training=False), X, None),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.1), X, None),
    ("hardtanh", lambda x: F.hardtanh(x), X, None),
    ("elu", lambda x: F.elu(x), X, None),
    ("softplus", lambda x: F.softplus(x, beta=2.0, threshold=1.0), X, None),
    ("kl_div", lambda x, y: F.kl_div(x, y.abs()), XY, None),
    ("smooth_l1", lambda x, y: F.smooth_l1_loss(x, y), XY, None),
    ("huber", lambda x, y: F.huber_loss(x, y, delta=0.5), XY, None),
    ("binary_cross_entropy", lambda x, y: F.binary_cross_entropy(x.sigmoid(), (y > 0).double()),
     XY, None),
    ("bce with logits", lambda x, y: F.binary_cross_entropy_with_logits(x, y.sigmoid()), XY,
     None),
]
for fused in (True, False):
    tag = "fused" if fused else "composed"
    CASES += [
        (f"cross_entropy {tag}", lambda x, y, f=fused: F.cross_entropy(x, y, fused=f),
         logits_labels(), None),
        (f"cross_entropy {tag} ignore smoothing",
         lambda x, y, f=fused: F.cross_entropy(x, y, label_smoothing=0.2, fused=f),
         logits_labels(ignore=True), None),
        (f"cross_entropy {tag} weight",
         lambda x, y, w, f=fused: F.cross_entropy(x, y, weight=w, reduction="sum", fused=f),
         lambda: logits_labels()() + [floats(4, requires_grad=False).abs()], None),
        (f"cross_entropy {tag} float32 weight",
         lambda x, y, w, f=fused: F.cross_entropy(x, y, weight=w, fused=f),
         lambda: logits_labels()() + [tg.tensor([1.0, 2.0, 0.5, 1.0])], None),
        (f"cross_entropy {tag} probabilities",
         lambda x, y, f=fused: F.cross_entropy(x, y.softmax(1), label_smoothing=0.1, fused=f),
         lambda: [floats(6, 4), floats(6, 4, seed=3)], None),
        (f"cross_entropy {tag} k-dim none",
         lambda x, y, f=fused: F.cross_entropy(x, y, reduction="none", fused=f),
         lambda: [floats(2, 3, 5), ints(3, 2, 5)], None),
    ]
CASES += [
    ("nll_loss", lambda x, y: F.nll_loss(x.log_softmax(1), y), logits_labels(), None),
    ("nll_loss weight ignore", lambda x, y, w: F.nll_loss(x, y, weight=w),
     lambda: logits_labels(ignore=True)() + [floats(4, requires_grad=True).abs()], None),
    ("nll_loss k-dim sum", lambda x, y: F.nll_loss(x, y, reduction="sum"),
     lambda: [floats(2, 3, 2, 2), ints(3, 2, 2, 2)], None),
    ("nll_loss 1-D", lambda x, y: F.nll_loss(x, y, reduction="none"),
     lambda: [floats(4), tg.tensor(2)], None),
]


@pytest.mark.parametrize("function, arguments, refusal",
                         [pytest.param(f, a, r, id=name) for name, f, a, r in CASES])
def test_every_tensor_comes_from_dataflow(function, arguments, refusal):
    _, listener = audit(function, arguments())
    if refusal is None:
        assert listener.refusals == []
        assert listener.problems == []
    else:  # refused, and for the reason expected; ops recorded still hold no arrays
        assert any(refusal in reason for reason in listener.refusals), listener.refusals
        assert not [p for p in listener.problems if "holds an array" in p or "Derived" in p]


def test_the_table_covers_every_converted_method():
    """Each Tensor method and function made dataflow names some case of the table (its first
    word)."""
    covered = {name.split()[0] for name, *_ in CASES}
    converted = [
        "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "xor", "invert", "logical_not",
        "logical_and", "logical_or", "logical_xor", "isnan", "isinf", "isfinite", "isclose",
        "allclose", "equal", "all", "any", "argmax", "argmin", "count_nonzero", "sign", "floor",
        "round", "clamp", "lerp", "masked_fill", "where", "tril", "triu", "median", "kthvalue",
        "mode", "sort", "argsort", "topk", "cummax", "cummin", "gather", "scatter",
        "scatter_add", "index_select", "getitem", "setitem", "masked_select", "nonzero",
        "argwhere", "repeat_interleave", "unique", "histc", "histogram", "zeros", "ones",
        "full", "empty", "arange", "linspace", "eye", "zeros_like", "ones_like", "full_like",
        "empty_like", "new_zeros", "new_ones", "new_full", "new_empty", "asarray", "randn",
        "rand", "randint", "randperm", "normal", "rand_like", "randn_like", "randint_like",
        "multinomial", "bernoulli", "uniform_", "normal_", "exponential_", "random_",
        "bernoulli_", "one_hot", "embedding", "batch_norm", "dropout", "cross_entropy",
        "nll_loss", "binary_cross_entropy",
    ]
    assert [name for name in converted if name not in covered] == []


# --------------------------------------------------------------------------- the audit itself

def test_the_audit_catches_a_mask_computed_in_python():
    def snapshot_mask(x):
        mask = tg.Tensor._make(x.detach().numpy() > 0, None)  # a frozen copy of this batch
        return tg.where(mask, x, 0.0)

    _, listener = audit(snapshot_mask, X())
    assert listener.problems == ["Where input 0 reads a tensor of shape (3, 4) made from outside "
                                 "the recorded ops"]


def test_the_audit_catches_an_array_held_as_a_field_and_a_closure():
    class Frozen(tg.autograd.Op):
        __slots__ = ("mask",)

        def __init__(self, mask):
            self.mask = mask

        def forward(self, a):
            return a * self.mask

        def backward(self, grad_output):
            return (grad_output * self.mask,)

    def frozen(x):
        threshold = 0.5
        picked = Derived.apply(x, function=lambda a: a > threshold)  # a closure per call
        return Frozen.apply(x, mask=x._array > 0), picked

    _, listener = audit(frozen, X())
    assert "Frozen holds an array in its field 'mask'" in listener.problems
    assert any("not a module-level function" in p for p in listener.problems)


def test_index_tensors_weights_and_masks_are_op_inputs():
    """The tensors an op reads its positions or weights from are among its inputs (so that a
    replay reads them from each call), never copied into its fields."""
    def inputs_of(function, arguments):
        _, listener = audit(function, arguments)
        return {type(op).__name__: [id(t) for t in inputs] for op, inputs, _ in listener.ops}

    x, i = floats(3, 4), ints(3, 5)
    assert id(i) in inputs_of(lambda x, i: x[i, 1], [x, i])["GetItem"]
    j = ints(4, 3, 2)
    assert id(j) in inputs_of(lambda x, j: x.gather(1, j), [x, j])["Gather"]
    assert id(j) in inputs_of(lambda x, j: x.scatter_add(1, j, x[:, :2]), [x, j])["ScatterAdd"]
    k = ints(4, 6)
    assert id(k) in inputs_of(lambda x, k: x.index_select(1, k), [x, k])["IndexSelect"]
    logits, labels = logits_labels()()
    weight = floats(4, requires_grad=False).abs()
    ops = inputs_of(lambda a, b, c: F.cross_entropy(a, b, weight=c), [logits, labels, weight])
    assert ops["CrossEntropy"] == [id(logits), id(labels), id(weight)]
    ops = inputs_of(lambda a, b: F.cross_entropy(a, b), [logits, labels])
    assert ops["CrossEntropy"] == [id(logits), id(labels)]  # no weight: two inputs, as before
    y, rows, value = floats(3, 4, requires_grad=False), ints(3, 2), floats(2, 4)
    _, listener = audit(lambda y, i, v: y.__setitem__(i, v), [y, rows, value])
    ((set_item, inputs),) = [(op, inputs) for op, inputs, _ in listener.ops
                             if type(op).__name__ == "SetItem"]
    assert set_item.index is INDEX_TENSOR and repr(set_item) == "SetItem(index=tensor)"
    assert inputs[1:] == (value, rows)


# --------------------------------------------------------------------------- eager unchanged

def test_comparisons_logic_and_indices_keep_their_values_and_dtypes():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    x, y = tg.tensor(a), tg.tensor(b)
    checks = [
        (x < y, a < b), (x == 0.5, a == 0.5), (x.isclose(y, atol=1.0), np.isclose(a, b, atol=1.0)),
        ((x > 0) & (y > 0), (a > 0) & (b > 0)), (~(x > 0), ~(a > 0)),
        (x.logical_xor(y), np.logical_xor(a, b)), ((x > 0).all(1), np.all(a > 0, axis=1)),
        ((x > 0).any(), np.asarray(np.any(a > 0))), (x.argmax(), np.asarray(np.argmax(a))),
        (x.argmin(1, keepdim=True), np.argmin(a, axis=1, keepdims=True)),
        ((x > 0).count_nonzero(0), np.count_nonzero(a > 0, axis=0).astype(np.int64)),
        (x.argsort(1, descending=True), np.argsort(-a, axis=1, kind="stable")),
        (x.topk(2, 0).indices, np.argsort(-a, axis=0, kind="stable")[:2]),
        (tg.tensor([3, -2, 0]).sign(), np.array([1, -1, 0])),
    ]
    for got, expected in checks:
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got.numpy(), expected)
        assert got.grad_fn is None


def test_embedding_padding_row_gets_no_gradient_and_keeps_its_values():
    weight, ids = floats(5, 3), tg.tensor([[0, 4], [2, 0]])
    rows = F.embedding(ids, weight, padding_idx=0)
    np.testing.assert_array_equal(rows.detach().numpy(), weight.detach().numpy()[ids.numpy()])
    (rows * floats(2, 2, 3, seed=7, requires_grad=False)).sum().backward()
    assert np.all(weight.grad.numpy()[0] == 0) and np.all(weight.grad.numpy()[[2, 4]] != 0)


def test_indexing_by_a_0d_tensor_is_a_view_as_by_an_int():
    x = tg.arange(12.0).reshape(3, 4)
    picked = x[tg.tensor(1)]
    assert np.shares_memory(picked.numpy(), x.numpy())
    picked.add_(100.0)
    assert x[1, 0].item() == 104.0 and picked._version == x._version == 1


GRADCHECKS = [
    ("getitem tensor", lambda x, i: x[i], lambda: [floats(4, 3), tg.tensor([3, 0, 3, 1])]),
    ("getitem tuple", lambda x, i, j: x[i, 1:][..., j],
     lambda: [floats(4, 3), tg.tensor([2, 2, 0]), tg.tensor(1)]),
    ("getitem pairs", lambda x, i, j: x[i, j],
     lambda: [floats(4, 3), tg.tensor([[0, 3], [3, 3]]), tg.tensor([[2, 0], [2, 2]])]),
    ("gather", lambda x, i: x.gather(0, i), lambda: [floats(3, 4), tg.tensor([[2, 2, 0, 1]])]),
    ("scatter", lambda x, s, i: x.scatter(1, i, s),
     lambda: [floats(3, 4), floats(3, 2, seed=1), tg.tensor([[0, 3], [1, 2], [3, 2]])]),
    ("scatter_add", lambda x, s, i: x.scatter_add(1, i, s),
     lambda: [floats(3, 4), floats(3, 2, seed=1), tg.tensor([[0, 0], [1, 1], [3, 2]])]),
    ("index_select", lambda x, i: x.index_select(1, i),
     lambda: [floats(3, 4), tg.tensor([3, 3, 0], dtype=tg.int32)]),
    ("index_select scalar", lambda x, i: x.sum().index_select(0, i),
     lambda: [floats(3), tg.tensor([0])]),
    ("repeat_interleave", lambda x, r: x.repeat_interleave(r, dim=1, output_size=6),
     lambda: [floats(2, 3), tg.tensor([3, 0, 3])]),
    ("setitem", lambda x, v, i: _set(x * 1, i, v),
     lambda: [floats(4, 3), floats(2, 3, seed=1), tg.tensor([3, 1])]),
    ("median", lambda x: x.median() + x.median(dim=0).values.sum(), lambda: [floats(3, 5)]),
    ("kthvalue mode", lambda x: x.kthvalue(2, 1).values.sum() + x.round().mode(1).values.sum(),
     lambda: [floats(3, 5)]),
    ("sort topk", lambda x: x.sort(0).values * 2 + x.topk(3, 0).values.sum(),
     lambda: [floats(3, 5)]),
    ("cummax cummin", lambda x: x.cummax(1).values + x.cummin(0).values, lambda: [floats(3, 5)]),
    ("embedding", lambda w, i: F.embedding(i, w),
     lambda: [floats(5, 3), tg.tensor([[0, 4], [2, 0]])]),
    ("cross_entropy weight", lambda x, y, w: F.cross_entropy(x, y, weight=w,
                                                            label_smoothing=0.1),
     lambda: [floats(6, 4), tg.tensor([0, 3, -100, 1, 1, 2]),
              tg.tensor([1.0, 2.0, 0.5, 1.5], dtype=tg.float64)]),
    ("cross_entropy probabilities weight",
     lambda x, t, w: F.cross_entropy(x, t, weight=w, label_smoothing=0.2),
     lambda: [floats(4, 3), floats(4, 3, seed=1).abs(),
              tg.tensor([0.5, 2.0, 1.0], dtype=tg.float64)]),
    ("cross_entropy composed", lambda x, y, w: F.cross_entropy(x, y, weight=w, fused=False,
                                                              label_smoothing=0.1),
     lambda: [floats(6, 4), tg.tensor([0, 3, -100, 1, 1, 2]),
              floats(4, seed=3).abs()]),
    ("nll_loss", lambda x, y, w: F.nll_loss(x.log_softmax(1), y, weight=w),
     lambda: [floats(6, 4), tg.tensor([0, 3, -100, 1, 1, 2]),
              tg.tensor([1.0, 2.0, 0.5, 1.5], dtype=tg.float64)]),
    ("binary_cross_entropy", lambda x, t: F.binary_cross_entropy(x.sigmoid(), t),
     lambda: [floats(6), tg.tensor([0.0, 1.0, 0.5, 1.0, 0.0, 0.2], dtype=tg.float64)]),
]


def _set(tensor, index, value):
    tensor[index] = value
    return tensor


@pytest.mark.parametrize("function, arguments",
                         [pytest.param(f, a, id=name) for name, f, a in GRADCHECKS])
def test_converted_ops_pass_gradcheck(function, arguments):
    assert tg.gradcheck(function, tuple(arguments()))


def test_composed_losses_equal_the_fused_op_with_weights_ignored_rows_and_smoothing():
    x = floats(8, 5)
    y = tg.tensor([0, 4, -100, 2, 2, 1, -100, 3])
    w = tg.tensor([1.0, 0.5, 2.0, 1.5, 0.25], dtype=tg.float64)
    for reduction in ("mean", "sum", "none"):
        for smoothing in (0.0, 0.3):
            losses = [F.cross_entropy(x, y, weight=w, reduction=reduction,
                                      label_smoothing=smoothing, fused=fused)
                      for fused in (True, False)]
            grads = [tg.autograd.grad(loss.sum(), x)[0] for loss in losses]
            np.testing.assert_allclose(losses[0].detach().numpy(), losses[1].detach().numpy(),
                                       rtol=1e-12)
            np.testing.assert_allclose(grads[0].numpy(), grads[1].numpy(), atol=1e-12)
    nll = F.nll_loss(x.log_softmax(1), y, weight=w)
    fused = F.cross_entropy(x, y, weight=w)
    np.testing.assert_allclose(nll.item(), fused.item(), rtol=1e-12)


@pytest.mark.parametrize("fused", [True, False])
def test_mean_losses_keep_pytorch_edge_cases(fused):
    """Every row ignored: nan with a zero gradient; rows that count but weigh 0 in total: nan,
    and nan reaches the gradient. The composed loss computes both as ops, not Python
    branches."""
    x = floats(3, 4)
    loss = F.cross_entropy(x, tg.tensor([-100, -100, -100]), fused=fused)
    (grad,) = tg.autograd.grad(loss, x)
    assert math.isnan(loss.item()) and np.all(grad.numpy() == 0)
    weight = tg.tensor([0.0, 1.0, 1.0, 1.0], dtype=tg.float64)
    loss = F.cross_entropy(x, tg.tensor([0, 0, -100]), weight=weight, fused=fused)
    (grad,) = tg.autograd.grad(loss, x)
    assert math.isnan(loss.item()) and np.isnan(grad.numpy()[:2]).all()
    if not fused:
        loss = F.nll_loss(x.log_softmax(1), tg.tensor([-100, -100, -100]))
        (grad,) = tg.autograd.grad(loss, x)
        assert math.isnan(loss.item()) and np.all(grad.numpy() == 0)


ERRORS = [
    (lambda: floats(3, 4).gather(1, tg.tensor([[4], [0], [0]])), RuntimeError,
     "index 4 is out of bounds for dimension 1 with size 4"),
    (lambda: floats(3, 4).gather(0, tg.tensor([[-4, 0, 0, 0]])), RuntimeError,
     "index -4 is out of bounds for dimension 0 with size 3"),
    (lambda: floats(3, 4).scatter(1, tg.tensor([[9]]), 1.0), RuntimeError,
     "index 9 is out of bounds for dimension 1 with size 4"),
    (lambda: floats(3, 4).index_select(0, tg.tensor([0, 3])), IndexError,
     "index out of range in self"),
    (lambda: floats(3, 4).index_select(1, tg.tensor([0, 4])), RuntimeError,
     "INDICES element is out of DATA bounds, id=4 axis_dim=4"),
    (lambda: floats(1).sum().index_select(0, tg.tensor([1])), IndexError,
     "index out of range in self"),
    (lambda: floats(3, 4)[tg.tensor([0, 5])], IndexError,
     "index 5 is out of bounds for dimension 0 with size 3 (indexing a tensor of shape (3, 4))"),
    (lambda: floats(3, 4)[:, tg.tensor(-5)], IndexError,
     "index -5 is out of bounds for dimension 1 with size 4 (indexing a tensor of shape (3, 4))"),
    (lambda: floats(3, 4)[tg.tensor([0.5])], IndexError,
     "tensors used as indices must be long, int, byte or bool tensors (got float32)"),
    (lambda: F.embedding(tg.tensor([0, 5]), floats(5, 2)), IndexError,
     "index out of range in self"),
    (lambda: F.embedding(tg.tensor([-1]), floats(5, 2)), IndexError, "index out of range in self"),
    (lambda: F.one_hot(tg.tensor([0, -1]), 3), RuntimeError, "Class values must be non-negative."),
    (lambda: F.one_hot(tg.tensor([0, 3]), 3), RuntimeError,
     "Class values must be smaller than num_classes."),
    (lambda: F.one_hot(tg.tensor([0, -1])), RuntimeError, "Class values must be non-negative."),
    (lambda: F.cross_entropy(floats(2, 3), tg.tensor([0, 7]), fused=False), IndexError,
     "Target 7 is out of bounds."),
    (lambda: F.cross_entropy(floats(2, 3), tg.tensor([0, 7])), IndexError,
     "Target 7 is out of bounds."),
    (lambda: F.nll_loss(floats(2, 3), tg.tensor([-2, 0])), IndexError,
     "Target -2 is out of bounds."),
    (lambda: F.binary_cross_entropy(floats(3) + 2, floats(3)), RuntimeError,
     "all elements of input should be between 0 and 1"),
    (lambda: floats(2).repeat_interleave(tg.tensor([1, -1])), RuntimeError,
     "repeats can not be negative"),
    (lambda: floats(2).repeat_interleave(tg.tensor([1, 2]), output_size=4), RuntimeError,
     "repeat_interleave: output_size (4) does not match the sum of repeats (3)"),
    (lambda: (floats(3) * math.inf).histc(bins=3), RuntimeError, "torch.histc: range of"),
    (lambda: tg.histogram(floats(3), tg.tensor([0.0, -1.0], dtype=tg.float64)), RuntimeError,
     "torch.histogram(): bin edges must be increasing"),
]


@pytest.mark.parametrize("call, error, message", ERRORS)
def test_value_checks_raise_pytorchs_errors_from_inside_the_ops(call, error, message):
    with pytest.raises(error) as raised:
        call()
    assert str(raised.value).startswith(message)


def test_value_checks_run_again_when_an_op_is_replayed():
    """The checks live in the ops' forward (what a replay runs), not in the Python around the
    call: running a recorded op again on new data raises the same error."""
    x, i = floats(3, 4), tg.tensor([[0], [1], [2]])
    _, listener = audit(lambda x, i: x.gather(1, i), [x, i])
    ((op, _, _),) = listener.ops
    with pytest.raises(RuntimeError, match="index 9 is out of bounds for dimension 1 with size 4"):
        copy.copy(op).forward(x.detach().numpy(), np.array([[0], [9], [2]]))
    logits, labels = logits_labels()()
    _, listener = audit(lambda a, b: F.nll_loss(a, b), [logits, labels])
    derived = [op for op, _, _ in listener.ops if isinstance(op, Derived)]
    with pytest.raises(IndexError, match="Target 9 is out of bounds."):
        copy.copy(derived[0]).forward(np.array([0, 9, 1, 1, 1, 1]))

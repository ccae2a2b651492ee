"""float16 computed as PyTorch computes it (``tinygrad_bn/ops/opmath.py``): in float32, rounded
once at the end. For each op of the table:

- its float16 result equals the same op on the input widened to float32, rounded to float16
  (bit for bit), and PyTorch's float16 result within ``assert_close``'s float16 tolerance;
- its float16 gradient equals PyTorch's within that tolerance;
- its float64 gradient passes the finite-difference check (the float32/float64 paths are
  untouched by the decorator).

Also: the float32 path copies nothing, an in-place write to a saved float16 input is still
caught, a jit replay of float16 ops gives eager's bits, and where PyTorch's kernels round
otherwise than once (the last-dim log_softmax, nll_loss's float16 cascade sum, cross_entropy
composed of those, batch_norm's float16 statistics, binary_cross_entropy_with_logits, float16
linspace, floor division and fmod, histc's bins, histogram's sequential sums, a float16 tensor
with a Python number, add/sub's alpha) its results are matched bit for bit."""

import numpy as np
import pytest

import tinygrad_bn as tg
import tinygrad_bn.nn.functional as F


def _inputs(shapes, seed=0, scale=3.0, divisor=None):
    """Normal draws; the input at position ``divisor`` is drawn from [1, 4) instead (float16
    gradients of a division by values near 0 overflow)."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(1, 4, shape) if position == divisor else rng.normal(0, scale, shape)
            for position, shape in enumerate(shapes)]


# name -> (function of (library, *tensors), input shapes[, position of a divisor]). The library
# is tinygrad_bn or torch; both spell these calls the same way.
CASES = {
    "gelu": (lambda lib, x: lib.nn.functional.gelu(x), [(40, 50)]),
    "gelu_tanh": (lambda lib, x: lib.nn.functional.gelu(x, approximate="tanh"), [(40, 50)]),
    "sigmoid": (lambda lib, x: x.sigmoid(), [(40, 50)]),
    "rsqrt": (lambda lib, x: x.rsqrt(), [(40, 50)], 0),
    "silu": (lambda lib, x: lib.nn.functional.silu(x), [(40, 50)]),
    "softplus": (lambda lib, x: lib.nn.functional.softplus(x, beta=2.0, threshold=5.0),
                 [(40, 50)]),
    "leaky_relu": (lambda lib, x: lib.nn.functional.leaky_relu(x, 0.1), [(40, 50)]),
    "cube": (lambda lib, x: x ** 3, [(40, 50)]),
    "lerp_tensor": (lambda lib, a, b, w: lib.lerp(a, b, w), [(30, 40), (30, 40), (30, 40)]),
    "lerp_scalar": (lambda lib, a, b: lib.lerp(a, b, 0.4), [(30, 40), (40,)]),
    "lerp_scalar_large": (lambda lib, a, b: lib.lerp(a, b, 0.7), [(30, 40), (30, 40)]),
    "var": (lambda lib, x: x.var(1), [(20, 300)]),
    "var_all": (lambda lib, x: x.var(), [(20, 300)]),
    "std": (lambda lib, x: x.std(0, correction=0), [(300, 20)]),
    "softmax_dim0": (lambda lib, x: x.softmax(0), [(10, 20)]),
    "softmax_last": (lambda lib, x: x.softmax(-1), [(20, 10)]),
    "log_softmax_dim0": (lambda lib, x: x.log_softmax(0), [(20, 30, 4)]),
    "linear": (lambda lib, x, w, b: lib.nn.functional.linear(x, w, b), [(6, 40), (30, 40), (30,)]),
    "linear_3d": (lambda lib, x, w: lib.nn.functional.linear(x, w), [(2, 3, 40), (30, 40)]),
    "addmm": (lambda lib, s, a, b: lib.addmm(s, a, b, beta=0.2, alpha=0.6),
              [(20, 30), (20, 40), (40, 30)]),
    "addcmul": (lambda lib, s, a, b: lib.addcmul(s, a, b), [(20, 30), (20, 1), (30,)]),
    "addcmul_value": (lambda lib, s, a, b: lib.addcmul(s, a, b, value=3.14),
                      [(20, 30), (20, 30), (20, 30)]),
    "addcdiv_value": (lambda lib, s, a, b: lib.addcdiv(s, a, b, value=3.14),
                      [(20, 30), (20, 30), (20, 30)], 2),
    "einsum_bmm": (lambda lib, a, b: lib.einsum("aij,ajk->aik", a, b), [(4, 6, 30), (4, 30, 5)]),
    "layer_norm": (lambda lib, x, w, b: lib.nn.functional.layer_norm(x, w.shape, w, b),
                   [(20, 30), (30,), (30,)]),
    "huber_loss": (lambda lib, a, b: lib.nn.functional.huber_loss(a, b, reduction="none",
                                                                  delta=2.3), [(20, 30)] * 2),
}
# float16 results that are not the float32 ones rounded once, because PyTorch's are not either:
# the last-dim log_softmax (see test_log_softmax_last_dim_float16_is_pytorchs_bit_for_bit) and a
# reduced huber loss (PyTorch rounds the elementwise losses to float16, then reduces them).
NOT_ROUNDED_ONCE = {
    # PyTorch rounds the batch's mean and 1/std to float16 (its saved statistics) first
    "batch_norm": (lambda lib, x, w, b: lib.nn.functional.batch_norm(x, None, None, w, b,
                                                                      training=True),
                   [(8, 6, 30), (6,), (6,)]),
    "log_softmax_last": (lambda lib, x: x.log_softmax(-1), [(20, 10)]),
    "huber_loss_mean": (lambda lib, a, b: lib.nn.functional.huber_loss(a, b, delta=2.3),
                        [(20, 30)] * 2),
}


def _ours(arrays, dtype, requires_grad=False):
    return [tg.tensor(a, dtype=dtype, requires_grad=requires_grad) for a in arrays]


@pytest.mark.parametrize("name", sorted(CASES))
def test_float16_is_float32_rounded_once(name):
    function, shapes, *divisor = CASES[name]
    half = [a.astype(np.float16) for a in _inputs(shapes, divisor=divisor and divisor[0])]
    result = function(tg, *_ours(half, tg.float16))
    wide = function(tg, *_ours(half, tg.float32))
    assert result.dtype == tg.float16
    np.testing.assert_array_equal(result.numpy(), wide.numpy().astype(np.float16))


@pytest.mark.parametrize("name", sorted(CASES) + sorted(NOT_ROUNDED_ONCE))
def test_float16_values_and_gradients_match_pytorch(name):
    torch = pytest.importorskip("torch")
    function, shapes, *divisor = {**CASES, **NOT_ROUNDED_ONCE}[name]
    half = [a.astype(np.float16) for a in _inputs(shapes, divisor=divisor and divisor[0])]
    ours = _ours(half, tg.float16, requires_grad=True)
    theirs = [torch.tensor(a, requires_grad=True) for a in half]
    our_out, their_out = function(tg, *ours), function(torch, *theirs)
    torch.testing.assert_close(torch.from_numpy(our_out.detach().numpy()), their_out.detach())
    grad = _inputs([tuple(their_out.shape)], seed=1, scale=1.0)[0].astype(np.float16)
    our_out.backward(tg.tensor(grad))
    their_out.backward(torch.tensor(grad))
    for our_leaf, their_leaf in zip(ours, theirs):
        assert our_leaf.grad.dtype == tg.float16
        # PyTorch's float16 backward kernels and formulas round intermediate results (and
        # sums over rows: layer_norm's weight gradient) to float16: several units in the last
        # place, where the values are compared once rounded.
        torch.testing.assert_close(torch.from_numpy(our_leaf.grad.numpy()), their_leaf.grad,
                                   atol=1e-3, rtol=1e-2)


@pytest.mark.parametrize("name", sorted(CASES) + sorted(NOT_ROUNDED_ONCE))
def test_float64_gradients_pass_finite_differences(name):
    function, shapes, *divisor = {**CASES, **NOT_ROUNDED_ONCE}[name]
    sizes = sorted({size for shape in shapes for size in shape if size > 1})
    small = {size: 2 + rank for rank, size in enumerate(sizes)}  # same sizes stay equal
    inputs = _inputs([tuple(small.get(size, size) for size in shape) for shape in shapes],
                     divisor=divisor and divisor[0])
    assert tg.gradcheck(lambda *xs: function(tg, *xs), tuple(_ours(inputs, tg.float64, True)))


def test_log_softmax_last_dim_float16_is_pytorchs_bit_for_bit():
    """PyTorch's last-dim kernel rounds the sum of exponentials and its log to float16 before
    subtracting (a row dominated by one element gives -log(sum) with the sum's rounding);
    along other dims it is the float32 result rounded once."""
    torch = pytest.importorskip("torch")
    for shape, dim in (((1000, 5), 1), ((30, 300), 1), ((300, 30), 0), ((20, 30, 40), 1)):
        x = _inputs([shape])[0].astype(np.float16)
        ours = tg.tensor(x).log_softmax(dim).numpy()
        theirs = torch.from_numpy(x).log_softmax(dim).numpy()
        np.testing.assert_array_equal(ours.view(np.int16), theirs.view(np.int16))


def test_float32_path_copies_nothing():
    """The decorator passes float32 and float64 arrays through: the op saves the input array
    itself, not a converted copy."""
    for dtype in (tg.float32, tg.float64):
        x = tg.randn(4, 5, dtype=dtype, requires_grad=True)
        out = F.gelu(x)
        assert out.dtype == dtype and out.grad_fn.saved[0] is x._array


def test_float16_saves_the_float16_input_so_in_place_writes_are_caught():
    x = tg.randn(4, 5, dtype=tg.float16, requires_grad=True)
    y = x * 1
    out = F.gelu(y)
    assert out.grad_fn.saved[0] is y._array
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_float16_scalar_lerp_weight_is_not_rounded_to_float16():
    """PyTorch's kernel takes a number weight in float32 for float16 tensors: 0.4 is not
    float16's 0.39990234375."""
    start, end = tg.zeros(1, dtype=tg.float16), tg.tensor([1000.0], dtype=tg.float16)
    assert tg.lerp(start, end, 0.4).item() == 400.0


def test_composites_widen_float16_only():
    """``in_opmath`` (addcmul, addmm, huber_loss): float32 runs the ops as they are (no cast
    node); float16 runs them on float32 copies and casts back; float16 mixed with float32
    promotes to float32, as in PyTorch, with nothing narrowed."""
    def leaves(dtype, other=None):
        return [tg.randn(3, 4, dtype=d, requires_grad=True) for d in (dtype, dtype, other or dtype)]

    assert F.huber_loss(*leaves(tg.float32)[:2], reduction="none").grad_fn.name == "Where"
    assert tg.addcmul(*leaves(tg.float32)).grad_fn.name == "Add"
    out = tg.addcmul(*leaves(tg.float16))
    assert out.dtype == tg.float16 and out.grad_fn.name == "Cast"
    out = tg.addcmul(*leaves(tg.float16, tg.float32))
    assert out.dtype == tg.float32 and out.grad_fn.name == "Add"


def _cascade_sum_by_hand(values, counted):
    """PyTorch's nll_loss reduction written as its kernel's loop: 8 levels of float16 partial
    sums, level j closed into level j+1 at counted positions that are multiples of 16**(j+1)."""
    partial = [np.float16(0)] * 8
    for index, (value, count) in enumerate(zip(values, counted)):
        if not count:
            continue
        partial[0] = np.float16(partial[0] + value)
        for level in range(7):
            if index % 16 ** (level + 1):
                break
            partial[level + 1] = np.float16(partial[level + 1] + partial[level])
            partial[level] = np.float16(0)
    total = np.float16(0)
    for value in partial:
        total = np.float16(total + value)
    return total


@pytest.mark.parametrize("n", [0, 1, 16, 17, 300, 5000])
def test_cascade_sum_is_pytorchs_nll_loss_loop(n):
    from tinygrad_bn.ops.loss import CascadeSum

    rng = np.random.default_rng(n)
    values = rng.normal(0, 3, n).astype(np.float16)
    counted = rng.random(n) > 0.2
    counted[16:32] = False  # a closing position ignored: level 0 runs on to the next one
    for mask in (np.ones(n, dtype=bool), counted):
        ours = CascadeSum.apply(tg.tensor(values), tg.tensor(mask)).numpy()
        assert ours.dtype == np.float16 and ours == _cascade_sum_by_hand(values, mask)


LOSS_CALLS = [  # (input shape, kwargs); targets are class indices unless "probabilities"
    ((300, 5), {}), ((40, 7), {"reduction": "sum", "weight": True}),
    ((4, 5, 10, 10), {"ignore_index": 1}), ((2, 3, 50), {"weight": True}),
    ((40, 7), {"reduction": "none", "label_smoothing": 0.15}),
    ((4, 5, 6, 6), {"label_smoothing": 0.15, "ignore_index": 1, "weight": True}),
    ((40, 7), {"probabilities": True, "label_smoothing": 0.15, "reduction": "none"}),
    ((2, 3, 50), {"probabilities": True, "weight": True}), ((7,), {}),
]


@pytest.mark.parametrize("function, shape, kwargs", [
    (function, shape, kwargs) for function in ("cross_entropy", "nll_loss")
    for shape, kwargs in LOSS_CALLS  # nll_loss: class indices, no label smoothing
    if function == "cross_entropy" or not {"probabilities", "label_smoothing"} & set(kwargs)])
def test_float16_losses_are_pytorchs_bit_for_bit(function, shape, kwargs):
    """PyTorch's float16 cross_entropy is log_softmax, then nll_loss (a float16 cascade sum),
    or its probability and label-smoothing formulas op by op: the same roundings here."""
    torch = pytest.importorskip("torch")
    kwargs = dict(kwargs)
    probabilities, weighted = kwargs.pop("probabilities", False), kwargs.pop("weight", False)
    rng = np.random.default_rng(0)
    classes = shape[0] if len(shape) == 1 else shape[1]
    x = rng.normal(0, 2, shape).astype(np.float16)
    if probabilities:
        target = rng.random(shape).astype(np.float16)
    else:
        target = np.asarray(rng.integers(0, classes, () if len(shape) == 1 else
                                         (shape[0], *shape[2:])))
    weight = rng.random(classes).astype(np.float16) if weighted else None
    results = []
    for lib in (tg, torch):
        convert = tg.tensor if lib is tg else torch.from_numpy
        loss = getattr(lib.nn.functional, function)(
            convert(x), convert(target), weight=None if weight is None else convert(weight),
            **kwargs)
        results.append(loss.numpy())
    assert results[0].dtype == results[1].dtype == np.float16
    np.testing.assert_array_equal(results[0], results[1])


@pytest.mark.parametrize("kwargs", [{}, {"label_smoothing": 0.2, "reduction": "sum"},
                                    {"ignore_index": 1, "weight": True}])
def test_loss_gradients_in_float64_pass_finite_differences(kwargs):
    kwargs = dict(kwargs)
    weight = tg.tensor([0.5, 2.0, 1.0], dtype=tg.float64) if kwargs.pop("weight", False) else None
    x = tg.randn(4, 3, 2, dtype=tg.float64, requires_grad=True)
    target = tg.tensor([[0, 1], [2, 1], [1, 0], [2, 2]])
    assert tg.gradcheck(lambda t: F.cross_entropy(t, target, weight=weight, **kwargs), (x,))
    assert tg.gradcheck(lambda t: F.nll_loss(t.log_softmax(1), target, weight=weight), (x,))


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(64, 10), (8, 6, 30)])
def test_float16_batch_norm_and_running_statistics_are_pytorchs(shape, training):
    torch = pytest.importorskip("torch")
    x, weight, bias, mean = _inputs([shape, shape[1:2], shape[1:2], shape[1:2]])
    var = np.random.default_rng(1).uniform(0.5, 2, shape[1])
    arrays = [a.astype(np.float16) for a in (x, mean, var, weight, bias)]
    results = []
    for lib, convert in ((tg, tg.tensor), (torch, torch.from_numpy)):
        tensors = [convert(a.copy()) for a in arrays]
        out = lib.nn.functional.batch_norm(*tensors, training=training, momentum=0.3)
        results.append([out.numpy(), tensors[1].numpy(), tensors[2].numpy()])
    for ours, theirs in zip(*results):  # the output, then the running mean and variance
        assert ours.dtype == np.float16
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_floor_division_and_fmod_are_pytorchs_bit_for_bit(dtype):
    """PyTorch floors a quotient from the exact remainder ``fmod(a, b)``, in the operands' own
    dtype (its float16 kernel does not widen), and ``fmod`` is exact."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a = (rng.normal(0, 50, 20000)).astype(dtype)
    b = (rng.normal(0, 3, 20000)).astype(dtype)
    b[:3] = 0  # a / 0: inf or nan, as IEEE
    for ours, theirs in (
            (tg.tensor(a).div(tg.tensor(b), rounding_mode="floor"),
             torch.from_numpy(a).div(torch.from_numpy(b), rounding_mode="floor")),
            (tg.tensor(a) // tg.tensor(b), torch.from_numpy(a) // torch.from_numpy(b)),
            (tg.fmod(tg.tensor(a), tg.tensor(b)), torch.fmod(torch.from_numpy(a),
                                                             torch.from_numpy(b)))):
        assert ours.dtype == getattr(tg, dtype)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_fmod_gradients():
    """``d fmod(a, b) = da - trunc(a / b) db``, against finite differences and PyTorch."""
    a = tg.tensor([5.3, -7.1, 2.2, -0.4], dtype=tg.float64, requires_grad=True)
    b = tg.tensor([2.0, 3.5, -0.7, 0.3], dtype=tg.float64, requires_grad=True)
    assert tg.gradcheck(tg.fmod, (a, b))
    torch = pytest.importorskip("torch")
    tg.fmod(a, b).sum().backward()
    ta, tb = (torch.tensor(t.detach().numpy(), requires_grad=True) for t in (a, b))
    torch.fmod(ta, tb).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy())
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy())


def test_integer_fmod_by_zero_raises():
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        tg.fmod(tg.tensor([3, 4]), tg.tensor([1, 0]))
    assert tg.fmod(tg.tensor([-7, 7]), tg.tensor([3, -3])).tolist() == [-1, 1]


@pytest.mark.parametrize("start, end, steps", [(-2.0, 1, 50), (4.3, -3, 50), (50, -3, 50),
                                               (-3.3, 10.7, 3000), (0, 1, 2), (5, 5, 7)])
def test_float16_linspace_is_pytorchs_bit_for_bit(start, end, steps):
    """PyTorch's float16 linspace computes in float16 (step, products and sums each rounded),
    from the start for the first half and from the end for the rest."""
    torch = pytest.importorskip("torch")
    ours = tg.linspace(start, end, steps, dtype=tg.float16).numpy()
    theirs = torch.linspace(start, end, steps, dtype=torch.float16).numpy()
    assert ours.dtype == np.float16 and ours[0] == np.float16(start) and ours[-1] == np.float16(end)
    np.testing.assert_array_equal(ours, theirs)


def test_histogram_adds_weights_one_by_one_in_the_input_dtype():
    """PyTorch's kernel adds each weight into its bin in the input's dtype, in element order:
    float32 weights give float32's sequential sums (not float64's, rounded once)."""
    rng = np.random.default_rng(0)
    values = rng.normal(size=5000).astype(np.float32)
    weights = rng.random(5000).astype(np.float32)
    hist = tg.histogram(tg.tensor(values), 7, weight=tg.tensor(weights)).hist.numpy()
    edges = np.histogram_bin_edges(values, 7)
    index = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, 6)
    expected = np.zeros(7, dtype=np.float32)
    for bin_index, weight in zip(index, weights):
        expected[bin_index] += weight
    np.testing.assert_array_equal(hist, expected)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("bins, low, high", [(100, -10, 10), (10, -10, 0), (37, -3.3, 2.9),
                                             (50, 0, 0)])
def test_histc_bins_values_as_pytorch_does(dtype, bins, low, high):
    """PyTorch's histc puts ``x`` in bin ``trunc((x - min) * bins / (max - min))`` computed in
    the input's dtype: in float16 a value near an edge lands where PyTorch's lands."""
    torch = pytest.importorskip("torch")
    x = (np.random.default_rng(0).normal(0, 5, 20000)).astype(dtype)
    ours = tg.histc(tg.tensor(x), bins, low, high).numpy()
    theirs = torch.histc(torch.from_numpy(x), bins, low, high).numpy()
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("pos_weight", [False, True])
def test_float16_bce_with_logits_is_pytorchs_bit_for_bit(pos_weight):
    """PyTorch's float16 binary_cross_entropy_with_logits: log_sigmoid rounded once (opmath),
    then ``(1 - t) * x - log_sigmoid(x)`` (weighted by ``1 + (p - 1) t``) op by op."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.normal(0, 2, (200, 250)).astype(np.float16)
    target = rng.random((200, 250)).astype(np.float16)
    weight = (rng.random(250) * 3).astype(np.float16) if pos_weight else None
    results = []
    for lib, convert in ((tg, tg.tensor), (torch, torch.from_numpy)):
        results.append(lib.nn.functional.binary_cross_entropy_with_logits(
            convert(x), convert(target), reduction="none",
            pos_weight=None if weight is None else convert(weight)).numpy())
    np.testing.assert_array_equal(*results)
    logits = tg.tensor(rng.normal(0, 2, (3, 4)), requires_grad=True)
    probabilities = tg.tensor(rng.random((3, 4)))
    assert tg.gradcheck(lambda t: F.binary_cross_entropy_with_logits(t, probabilities), (logits,))


def test_jit_replays_float16_linear_and_batch_norm_as_eager():
    """The jit's inline templates transcribe the float32/float64 code of Linear and BatchNorm;
    a float16 plan calls the ops (which compute in float32), so a replay gives eager's bits
    (a template computing in float16 did not)."""
    from tinygrad_bn import nn

    def make():
        tg.manual_seed(0)
        return nn.Sequential(nn.Linear(8, 6), nn.BatchNorm1d(6), nn.ReLU(),
                             nn.Linear(6, 3)).to(tg.float16)

    model, twin = make(), make()

    def step(module, x):
        loss = module(x).sum()
        loss.backward()
        return loss

    replay = tg.jit(lambda x: step(model, x))
    rng = np.random.default_rng(0)
    for _ in range(4):  # new data each call: captured once, then replayed
        x = tg.tensor(rng.normal(size=(5, 8)), dtype=tg.float16)
        assert replay(x).item() == step(twin, x).item()
        for ours, eager in zip(model.parameters(), twin.parameters()):
            np.testing.assert_array_equal(ours.grad.numpy(), eager.grad.numpy())
            ours.grad = eager.grad = None


# A float16 tensor with a Python number as PyTorch's kernels compute it: mul, div and div with a
# rounding mode keep the number in float32 and round the result once; number / tensor is
# reciprocal() * number; add and sub round the number to float16. (add/sub with alpha= are in
# test_silent_differences.py: PyTorch's float16 result depends on its vectorised loop's width.)
_SCALAR_FORMS = {
    "x * s": lambda x, s: x * s,
    "s * x": lambda x, s: s * x,
    "x / s": lambda x, s: x / s,
    "s / x": lambda x, s: s / x,
    "x + s": lambda x, s: x + s,
    "s + x": lambda x, s: s + x,
    "x - s": lambda x, s: x - s,
    "s - x": lambda x, s: s - x,
    "x // s": lambda x, s: x // s,
    "s // x": lambda x, s: s // x,
    "div trunc": lambda x, s: x.div(s, rounding_mode="trunc"),
    "div floor": lambda x, s: x.div(s, rounding_mode="floor"),
    "mul_": lambda x, s: x.clone().mul_(s),
    "div_": lambda x, s: x.clone().div_(s),
}
_DIFFERENTIABLE = ("x * s", "s * x", "x / s", "s / x", "x + s", "x - s", "s - x")


@pytest.mark.parametrize("form, dtype", [(form, dtype) for dtype in ("float16", "float32")
                                         for form in _SCALAR_FORMS])
def test_tensor_with_a_number_is_pytorchs_bit_for_bit(form, dtype):
    """Values and (where PyTorch has them) gradients equal PyTorch's bit for bit, for numbers
    float16 rounds (0.1, 2.3, 1e-5, 2049, 100000, NumPy scalars) and ones it holds (3); the
    dtype stays the tensor's."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(4031) * 3).astype(dtype)  # 125 vectors of 32 and 31 left over
    g = rng.standard_normal(4031).astype(dtype)
    function = _SCALAR_FORMS[form]
    for s in (0.1, 2.3, 3, 1e-5, 2049, 100000, np.float32(0.1), np.float64(2.3)):
        ours = tg.tensor(x, requires_grad=form in _DIFFERENTIABLE)
        theirs = torch.tensor(x, requires_grad=form in _DIFFERENTIABLE)
        with np.errstate(all="ignore"):  # 100000 overflows float16, as in PyTorch
            out, expected = function(ours, s), function(theirs, s)
            assert out.dtype == getattr(tg, dtype)
            np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
            if form in _DIFFERENTIABLE:
                out.backward(tg.tensor(g))
                expected.backward(torch.from_numpy(g))
                np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


def test_float16_number_is_taken_in_float32_without_torch():
    """The rule itself: 0.1 stays float32's 0.1 (not float16's 0.0999755859375), int 2049 stays
    2049 (float16 holds 2048), the result is rounded once; float32 is unchanged."""
    x = np.array([10.0, 3.0, -7.5, 2.0], dtype=np.float16)
    expected = (x.astype(np.float32) * np.float32(0.1)).astype(np.float16)
    assert not np.array_equal(expected, x * np.float16(0.1))
    np.testing.assert_array_equal((tg.tensor(x) * 0.1).numpy(), expected)
    np.testing.assert_array_equal((tg.tensor(x) * 2049).numpy(),
                                  (x.astype(np.float32) * 2049).astype(np.float16))
    y = x.astype(np.float32)
    np.testing.assert_array_equal((tg.tensor(y) * 0.1).numpy(), y * np.float32(0.1))


def test_float16_reciprocal_gradient_in_float64_passes_finite_differences():
    """The float16 ``number / tensor`` path's op (``Reciprocal``) checks out in float64."""
    from tinygrad_bn.autograd import gradcheck
    from tinygrad_bn.ops.elementwise import Reciprocal
    rng = np.random.default_rng(7)
    a = tg.tensor(rng.standard_normal(5) + 3, requires_grad=True)
    assert gradcheck(lambda a: Reciprocal.apply(a), (a,))

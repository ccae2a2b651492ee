"""K-dimensional ``cross_entropy`` and ``nll_loss``: input ``(N, C, d1, ..., dK)`` against targets
``(N, d1, ..., dK)`` (or probabilities shaped like the input), and ``(C,)`` against a 0-d target.

Each case is checked against a NumPy reference that keeps the class dim where it is, against the
2-D call on the permuted and flattened input, fused against composed, against finite differences
in float64, and against PyTorch when it is installed. Every error gets its message asserted, and
PyTorch's own message beside it when PyTorch is there.
"""

import itertools
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_bn as tg
from tinygrad_bn import nn
from tinygrad_bn.nn import functional as F

# ---------------------------------------------------------------------- references


def reference_cross_entropy(x, target, weight=None, ignore_index=-100, reduction="mean",
                            smoothing=0.0):
    """PyTorch's documented formulas on ``x`` ``(N, C, d1, ..., dK)``, the class dim left at 1:
    nothing is moved or flattened, so this shares no code path with the package."""
    classes = x.shape[1]
    weight = np.ones(classes) if weight is None else weight
    along_classes = weight.reshape((1, classes) + (1,) * (x.ndim - 2))
    shifted = x - x.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    if target.shape == x.shape:
        smoothed = target * (1 - smoothing) + smoothing / classes
        losses = -(along_classes * smoothed * log_p).sum(axis=1)
        return _reduce(losses, losses.size, reduction)
    losses, divisor = reference_nll(log_p, target, weight, ignore_index)
    if smoothing:
        uniform = -(along_classes * log_p).sum(axis=1) * (target != ignore_index)
        losses = (1 - smoothing) * losses + smoothing / classes * uniform
    return _reduce(losses, divisor, reduction)


def reference_nll(log_p, target, weight, ignore_index=-100):
    """``-w[y] * log_p[n, y, d1, ..., dK]`` per position (0 where ignored), and the summed
    weights of the positions not ignored, ``"mean"``'s divisor."""
    valid = target != ignore_index
    labels = np.where(valid, target, 0)
    picked = np.take_along_axis(log_p, labels[:, None], axis=1)[:, 0]
    picked_weight = weight[labels] * valid
    return -picked_weight * picked, picked_weight.sum()


def _reduce(losses, divisor, reduction):
    if reduction == "none":
        return losses
    return losses.sum() / divisor if reduction == "mean" else losses.sum()


def rows(x, target):
    """The 2-D form of a K-dim case: class dim last, positions flattened into rows."""
    classes = x.shape[1]
    x_rows = np.moveaxis(x, 1, -1).reshape(-1, classes)
    if target.shape == x.shape:
        return x_rows, np.moveaxis(target, 1, -1).reshape(-1, classes)
    return x_rows, target.reshape(-1)


# ---------------------------------------------------------------------- the cases

SHAPES = {
    "K=1": (2, 3, 4),
    "K=2": (2, 3, 4, 5),        # PyTorch's nll_loss2d kernel
    "K=3": (2, 3, 2, 3, 2),
    "N=1": (1, 4, 3, 2),
    "C=1": (3, 1, 2, 2),
}
KINDS = ("indices", "ignored", "probabilities")
REDUCTIONS = ("mean", "sum", "none")


def make_case(shape, kind, seed=0):
    """float64 logits of ``shape`` and a target of ``kind``; "ignored" marks every third
    position ``-100``, so some positions are ignored and some are not."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape) * 2
    classes = shape[1]
    if kind == "probabilities":
        p = rng.random(shape)
        return x, p / p.sum(axis=1, keepdims=True)
    target = rng.integers(0, classes, (shape[0],) + shape[2:])
    if kind == "ignored":
        target.reshape(-1)[::3] = -100
    return x, target


def class_weight(classes):
    return np.linspace(0.5, 3.0, classes)


CE_CASES = list(itertools.product(SHAPES, KINDS, REDUCTIONS, [False, True], [0.0, 0.2]))
CE_IDS = [f"{s}-{k}-{r}-{'weight' if w else 'noweight'}-ls{ls}" for s, k, r, w, ls in CE_CASES]
NLL_CASES = list(itertools.product(SHAPES, ["indices", "ignored"], REDUCTIONS, [False, True]))
NLL_IDS = [f"{s}-{k}-{r}-{'weight' if w else 'noweight'}" for s, k, r, w in NLL_CASES]


def _ce_options(shape, weighted, reduction, smoothing, lib=tg):
    weight = lib.tensor(class_weight(shape[1])) if weighted else None
    return {"weight": weight, "reduction": reduction, "label_smoothing": smoothing}


def _backward(out, grad_output, lib=tg):
    """Backward with a given upstream gradient, so "none" is not only checked through a sum."""
    out.backward(lib.tensor(grad_output))


def _grad(tensor):
    return np.array(tensor.grad.detach().numpy())


# ---------------------------------------------------------------------- cross_entropy


@pytest.mark.parametrize("shape_name, kind, reduction, weighted, smoothing", CE_CASES, ids=CE_IDS)
def test_cross_entropy_matches_the_reference_and_the_2d_call(shape_name, kind, reduction,
                                                             weighted, smoothing):
    shape = SHAPES[shape_name]
    x, target = make_case(shape, kind)
    weight = class_weight(shape[1]) if weighted else None
    expected = reference_cross_entropy(x, target, weight, reduction=reduction, smoothing=smoothing)
    options = _ce_options(shape, weighted, reduction, smoothing)
    grad_output = np.random.default_rng(1).normal(size=np.shape(expected))

    grads = []
    for fused in (True, False):
        xt = tg.tensor(x, requires_grad=True)
        out = F.cross_entropy(xt, tg.tensor(target), fused=fused, **options)
        assert out.shape == np.shape(expected) and out.dtype == tg.float64
        np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12, atol=1e-12)
        _backward(out, grad_output)
        grads.append(_grad(xt))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-10, atol=1e-13)

    x_rows, target_rows = rows(x, target)
    xt = tg.tensor(x_rows, requires_grad=True)
    out = F.cross_entropy(xt, tg.tensor(target_rows), **options)
    np.testing.assert_allclose(out.detach().numpy().reshape(np.shape(expected)), expected,
                               rtol=1e-12, atol=1e-12)
    _backward(out, grad_output.reshape(out.shape))
    moved_back = np.moveaxis(_grad(xt).reshape(x.shape[:1] + x.shape[2:] + x.shape[1:2]), -1, 1)
    np.testing.assert_allclose(grads[0], moved_back, rtol=1e-12, atol=1e-14)

    xt = tg.tensor(x, requires_grad=True)
    assert tg.gradcheck(lambda t: F.cross_entropy(t, tg.tensor(target), **options), xt)


@settings(max_examples=40, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 3), st.integers(1, 4)).flatmap(
        lambda nc: st.lists(st.integers(1, 3), max_size=3).map(lambda d: (nc[0], nc[1], *d))),
    kind=st.sampled_from(KINDS), reduction=st.sampled_from(REDUCTIONS), weighted=st.booleans(),
    smoothing=st.sampled_from([0.0, 0.25]), seed=st.integers(0, 2**16),
)
def test_any_k_fused_and_composed_agree_with_the_reference(shape, kind, reduction, weighted,
                                                           smoothing, seed):
    x, target = make_case(shape, kind, seed)
    weight = class_weight(shape[1]) if weighted else None
    with np.errstate(invalid="ignore", divide="ignore"):  # all ignored: "mean" is 0 / 0, nan
        expected = reference_cross_entropy(x, target, weight, reduction=reduction,
                                           smoothing=smoothing)
        grads = []
        for fused in (True, False):
            xt = tg.tensor(x, requires_grad=True)
            out = F.cross_entropy(xt, tg.tensor(target), fused=fused,
                                  **_ce_options(shape, weighted, reduction, smoothing))
            np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12, atol=1e-12)
            out.sum().backward()
            grads.append(_grad(xt))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("shape_name, kind, reduction, weighted, smoothing", CE_CASES, ids=CE_IDS)
def test_cross_entropy_matches_pytorch(shape_name, kind, reduction, weighted, smoothing):
    torch = pytest.importorskip("torch")
    shape = SHAPES[shape_name]
    x, target = make_case(shape, kind)
    grad_output = np.random.default_rng(1).normal(size=() if reduction != "none" else
                                                  (shape[0],) + shape[2:])
    results = []
    for lib in (tg, torch):
        xt = lib.tensor(x, requires_grad=True)
        tt = lib.tensor(target, requires_grad=kind == "probabilities")
        out = lib.nn.functional.cross_entropy(
            xt, tt, **_ce_options(shape, weighted, reduction, smoothing, lib))
        _backward(out, grad_output, lib)
        results.append([out.detach().numpy(), _grad(xt)]
                       + ([_grad(tt)] if kind == "probabilities" else []))
    assert results[0][0].shape == results[1][0].shape
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape_name", SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradient_with_respect_to_probability_targets_fused_and_composed(shape_name, reduction):
    x, p = make_case(SHAPES[shape_name], "probabilities", seed=3)
    weight = tg.tensor(class_weight(x.shape[1]))
    for fused in (True, False):
        inputs = (tg.tensor(x, requires_grad=True), tg.tensor(p, requires_grad=True))
        assert tg.gradcheck(lambda a, b, fused=fused: F.cross_entropy(
            a, b, weight=weight, reduction=reduction, label_smoothing=0.1, fused=fused), inputs)


@pytest.mark.parametrize("shape_name", SHAPES)
@pytest.mark.parametrize("kind", ["ignored", "probabilities"])
def test_composed_path_passes_gradcheck(shape_name, kind):
    x, target = make_case(SHAPES[shape_name], kind, seed=4)
    weight = tg.tensor(class_weight(x.shape[1]))
    xt = tg.tensor(x, requires_grad=True)
    assert tg.gradcheck(lambda t: F.cross_entropy(t, tg.tensor(target), weight=weight,
                                                  reduction="none", label_smoothing=0.3,
                                                  fused=False), xt)


def test_mean_divides_by_the_summed_weights_of_the_positions_not_ignored():
    x, target = make_case((2, 3, 4, 5), "ignored", seed=5)
    weight = class_weight(3)
    options = {"weight": tg.tensor(weight), "label_smoothing": 0.1}
    total = F.cross_entropy(tg.tensor(x), tg.tensor(target), reduction="sum", **options).item()
    mean = F.cross_entropy(tg.tensor(x), tg.tensor(target), **options).item()
    kept = target[target != -100]
    assert mean == pytest.approx(total / weight[kept].sum(), rel=1e-12)


@pytest.mark.parametrize("ignore_index", [1, 0, -1])
def test_custom_ignore_index_in_k_dims(ignore_index):
    x, target = _ignore_index_case(ignore_index)
    expected = reference_cross_entropy(x, target, class_weight(3), ignore_index, smoothing=0.2)
    loss = F.cross_entropy(tg.tensor(x), tg.tensor(target), weight=tg.tensor(class_weight(3)),
                           ignore_index=ignore_index, label_smoothing=0.2)
    np.testing.assert_allclose(loss.item(), expected, rtol=1e-12)


@pytest.mark.parametrize("ignore_index", [1, 0, -1])
def test_custom_ignore_index_matches_pytorch(ignore_index):
    torch = pytest.importorskip("torch")
    x, target = _ignore_index_case(ignore_index)
    ours, theirs = (lib.nn.functional.cross_entropy(
        lib.tensor(x), lib.tensor(target), weight=lib.tensor(class_weight(3)),
        ignore_index=ignore_index, label_smoothing=0.2).item() for lib in (tg, torch))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def _ignore_index_case(ignore_index):
    """Labels in every class; with ``-1``, every fourth position also carries the ``-1``."""
    x, target = make_case((2, 3, 4, 5), "indices", seed=6)
    if ignore_index == -1:
        target.reshape(-1)[::4] = -1
    return x, target


def test_k_dim_loss_is_one_fused_node_over_the_movement_ops_in_float32():
    loss = nn.CrossEntropyLoss()(tg.randn(2, 5, 3, 4, requires_grad=True),
                                 tg.randint(0, 5, (2, 3, 4)))
    assert loss.grad_fn.name == "CrossEntropy" and loss.dtype == tg.float32 and loss.shape == ()
    per_pixel = F.cross_entropy(tg.randn(2, 5, 3, 4), tg.randint(0, 5, (2, 3, 4)),
                                reduction="none")
    assert per_pixel.shape == (2, 3, 4) and per_pixel.dtype == tg.float32


def test_empty_spatial_dims():
    x, target = tg.randn(2, 3, 0), tg.zeros(2, 0, dtype=tg.int64)
    assert F.cross_entropy(x, target, reduction="none").shape == (2, 0)
    assert F.cross_entropy(x, target, reduction="sum").item() == 0.0
    assert F.nll_loss(x, target, reduction="none").shape == (2, 0)


# ---------------------------------------------------------------------- one sample, (C,)

ONE_SAMPLE_TARGETS = {"0d": np.int64(2), "size1": np.array([2]),
                      "probabilities": np.array([0.1, 0.2, 0.3, 0.4])}
ONE_SAMPLE_LOGITS = np.array([0.5, -1.0, 2.0, 0.0])


def _one_sample_options(reduction, lib=tg):
    return {"weight": lib.tensor(class_weight(4)), "reduction": reduction, "label_smoothing": 0.1}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kind", ONE_SAMPLE_TARGETS)
def test_one_sample_matches_the_batch_of_one(reduction, kind):
    x, target = ONE_SAMPLE_LOGITS, ONE_SAMPLE_TARGETS[kind]
    options = _one_sample_options(reduction)
    batch_target = target.reshape(1, -1) if kind == "probabilities" else target.reshape(1)
    batch = F.cross_entropy(tg.tensor(x[None]), tg.tensor(batch_target), **options)
    for fused in (True, False):
        xt = tg.tensor(x, requires_grad=True)
        loss = F.cross_entropy(xt, tg.tensor(target), fused=fused, **options)
        assert loss.shape == ()
        np.testing.assert_allclose(loss.item(), batch.detach().numpy().sum(), rtol=1e-12)
        assert tg.gradcheck(lambda t, fused=fused: F.cross_entropy(t, tg.tensor(target),
                                                                   fused=fused, **options), xt)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kind", ONE_SAMPLE_TARGETS)
def test_one_sample_matches_pytorch(reduction, kind):
    torch = pytest.importorskip("torch")
    x, target = ONE_SAMPLE_LOGITS, ONE_SAMPLE_TARGETS[kind]
    ours = F.cross_entropy(tg.tensor(x), tg.tensor(target), **_one_sample_options(reduction))
    if kind == "size1":  # PyTorch's smoothing fails on it: "output with shape [] doesn't match
        target = target[0]  # the broadcast shape [1]"; the 0-d target is the same loss
    theirs = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(target),
                                               **_one_sample_options(reduction, torch))
    assert ours.shape == () and tuple(theirs.shape) == ()
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-12)


ONE_SAMPLE_LABELS = {"0d": np.int64(3), "size1": np.array([1]), "ignored": np.int64(-100)}
ONE_SAMPLE_LOG_P = np.log(np.array([0.1, 0.2, 0.3, 0.4]))


def _nll_of_one_sample(lib, kind, reduction):
    with np.errstate(invalid="ignore"):  # all ignored: "mean" is 0 / 0
        return lib.nn.functional.nll_loss(
            lib.tensor(ONE_SAMPLE_LOG_P), lib.tensor(ONE_SAMPLE_LABELS[kind]),
            weight=lib.tensor(class_weight(4)), reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kind", ONE_SAMPLE_LABELS)
def test_nll_loss_of_one_sample(reduction, kind):
    loss = _nll_of_one_sample(tg, kind, reduction)
    assert loss.shape == ()
    y, weight = int(np.reshape(ONE_SAMPLE_LABELS[kind], -1)[0]), class_weight(4)
    expected = 0.0 if y == -100 else -weight[y] * ONE_SAMPLE_LOG_P[y]
    if reduction == "mean":
        expected = np.nan if y == -100 else expected / weight[y]
    np.testing.assert_allclose(loss.item(), expected, rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kind", ONE_SAMPLE_LABELS)
def test_nll_loss_of_one_sample_matches_pytorch(reduction, kind):
    torch = pytest.importorskip("torch")
    ours, theirs = _nll_of_one_sample(tg, kind, reduction), _nll_of_one_sample(torch, kind,
                                                                                reduction)
    assert tuple(theirs.shape) == ours.shape == ()
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-12)


# ---------------------------------------------------------------------- nll_loss


def _log_probabilities(x):
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


@pytest.mark.parametrize("shape_name, kind, reduction, weighted", NLL_CASES, ids=NLL_IDS)
def test_nll_loss_matches_the_reference_and_cross_entropy(shape_name, kind, reduction, weighted):
    shape = SHAPES[shape_name]
    x, target = make_case(shape, kind, seed=7)
    log_p = _log_probabilities(x)
    weight = class_weight(shape[1]) if weighted else np.ones(shape[1])
    options = {"weight": tg.tensor(weight) if weighted else None, "reduction": reduction}
    expected = _reduce(*reference_nll(log_p, target, weight), reduction)
    loss = F.nll_loss(tg.tensor(log_p), tg.tensor(target), **options)
    assert loss.shape == np.shape(expected)
    np.testing.assert_allclose(loss.detach().numpy(), expected, rtol=1e-12, atol=1e-12)
    through_log_softmax = F.nll_loss(tg.tensor(x).log_softmax(dim=1), tg.tensor(target), **options)
    np.testing.assert_allclose(through_log_softmax.detach().numpy(),
                               F.cross_entropy(tg.tensor(x), tg.tensor(target),
                                               **options).detach().numpy(), rtol=1e-12)
    x_rows, target_rows = rows(log_p, target)
    flat = F.nll_loss(tg.tensor(x_rows), tg.tensor(target_rows), **options)
    np.testing.assert_allclose(flat.detach().numpy().reshape(np.shape(expected)), expected,
                               rtol=1e-12, atol=1e-12)
    xt = tg.tensor(log_p, requires_grad=True)
    assert tg.gradcheck(lambda t: F.nll_loss(t, tg.tensor(target), **options), xt)


@pytest.mark.parametrize("shape_name, kind, reduction, weighted", NLL_CASES, ids=NLL_IDS)
def test_nll_loss_matches_pytorch(shape_name, kind, reduction, weighted):
    torch = pytest.importorskip("torch")
    shape = SHAPES[shape_name]
    x, target = make_case(shape, kind, seed=7)
    log_p = _log_probabilities(x)
    grad_output = np.random.default_rng(2).normal(size=() if reduction != "none" else
                                                  (shape[0],) + shape[2:])
    results = []
    for lib in (tg, torch):
        xt = lib.tensor(log_p, requires_grad=True)
        weight = lib.tensor(class_weight(shape[1])) if weighted else None
        out = lib.nn.functional.nll_loss(xt, lib.tensor(target), weight=weight,
                                         reduction=reduction)
        _backward(out, grad_output, lib)
        results.append((out.detach().numpy(), _grad(xt)))
    assert results[0][0].shape == results[1][0].shape
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------- the modules


def _module_calls(shape):
    """(the module, made from either library; its input; its target; the functional call it
    stands for) for CrossEntropyLoss and NLLLoss, with weights, ignored positions and (for
    NLLLoss) an ignore_index of its own."""
    x, target = make_case(shape, "ignored", seed=8)
    weight = class_weight(shape[1])
    return [
        (lambda lib: lib.nn.CrossEntropyLoss(weight=lib.tensor(weight), reduction="none",
                                             label_smoothing=0.1), x, target,
         lambda i, t: F.cross_entropy(i, t, weight=tg.tensor(weight), reduction="none",
                                      label_smoothing=0.1)),
        (lambda lib: lib.nn.NLLLoss(weight=lib.tensor(weight), ignore_index=-1),
         _log_probabilities(x), np.where(target == -100, -1, target),
         lambda i, t: F.nll_loss(i, t, weight=tg.tensor(weight), ignore_index=-1)),
    ]


@pytest.mark.parametrize("shape_name", SHAPES)
def test_modules_take_k_dim_input(shape_name):
    for make, inputs, labels, functional in _module_calls(SHAPES[shape_name]):
        np.testing.assert_array_equal(
            make(tg)(tg.tensor(inputs), tg.tensor(labels)).detach().numpy(),
            functional(tg.tensor(inputs), tg.tensor(labels)).detach().numpy())


@pytest.mark.parametrize("shape_name", SHAPES)
def test_modules_match_pytorch(shape_name):
    torch = pytest.importorskip("torch")
    for make, inputs, labels, _ in _module_calls(SHAPES[shape_name]):
        np.testing.assert_allclose(
            make(tg)(tg.tensor(inputs), tg.tensor(labels)).detach().numpy(),
            make(torch)(torch.tensor(inputs), torch.tensor(labels)).numpy(),
            rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------- errors


def ce(input, target, **options):
    """A cross_entropy call to make with either library: ``input``/``target`` build the
    tensors from the library they are given."""
    return lambda lib: lib.nn.functional.cross_entropy(input(lib), target(lib), **{
        k: v(lib) if callable(v) else v for k, v in options.items()})


def nll(input, target, **options):
    return lambda lib: lib.nn.functional.nll_loss(input(lib), target(lib), **{
        k: v(lib) if callable(v) else v for k, v in options.items()})


def randn(*shape):
    return lambda lib: lib.randn(*shape)


def labels(*shape, value=0, dtype="int64"):
    return lambda lib: lib.full(shape, value, dtype=getattr(lib, dtype))


def floats(*shape):
    return lambda lib: lib.rand(*shape)


def ones(*shape):
    return lambda lib: lib.ones(*shape)


def scalar(value):
    return lambda lib: lib.tensor(value)


# (call, error type, our message, PyTorch's message when it words it differently, or None)
ERRORS = [
    # the target's shape against the input's, each of PyTorch's kernels in its own words
    (ce(randn(2, 3, 4), labels(2, 3)), RuntimeError,
     "Expected target size [2, 4], got [2, 3]", None),
    (ce(randn(2, 3, 4), labels(2)), RuntimeError, "Expected target size [2, 4], got [2]", None),
    (ce(randn(2, 3, 4), labels(2, 4, 1)), RuntimeError,
     "Expected target size [2, 4], got [2, 4, 1]", None),
    (ce(randn(2, 3, 4), floats(2, 3, 5)), RuntimeError,
     "Expected target size [2, 4], got [2, 3, 5]", None),
    (ce(randn(2, 3, 4), labels(3, 4)), ValueError,
     "Expected input batch_size (2) to match target batch_size (3).", None),
    (ce(randn(2, 3, 4, 5), labels(3, 4, 5)), ValueError,
     "Expected input batch_size (2) to match target batch_size (3).", None),
    (ce(randn(2, 3, 4, 5), labels(2, 4)), RuntimeError,
     "only batches of spatial targets supported (3D tensors) but got targets of dimension: 2",
     None),
    (ce(randn(2, 3, 4, 5), labels(2, 4, 5, 1)), RuntimeError,
     "only batches of spatial targets supported (3D tensors) but got targets of dimension: 4",
     None),
    (ce(randn(2, 3, 4, 5), labels(2, 4, 6)), RuntimeError,
     "size mismatch (got input: [2, 3, 4, 5] , target: [2, 4, 6]", None),
    (ce(randn(2, 3, 4, 5, 6), labels(2, 4, 5, 7)), RuntimeError,
     "Expected target size [2, 4, 5, 6], got [2, 4, 5, 7]", None),
    (ce(randn(3, 5), labels(3, 3)), RuntimeError,
     "0D or 1D target tensor expected, multi-target not supported", None),
    (ce(randn(5), labels(2)), ValueError,
     "For 1D input, 1D target must have size 1, but got target size: 2", None),
    (ce(scalar(1.0), labels(2)), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)", None),
    (ce(scalar(1.0), scalar(0.0)), IndexError,
     "Dimension specified as 1 but tensor has no dimensions", None),
    # a target shaped like the input holds probabilities
    (ce(randn(2, 3, 4), labels(2, 3, 4)), RuntimeError,
     "Expected floating point type for target with class probabilities, got Long", None),
    (ce(scalar(1.0), scalar(1)), RuntimeError,
     "Expected floating point type for target with class probabilities, got Long", None),
    (ce(randn(2, 3, 4), floats(2, 3, 4), ignore_index=1), RuntimeError,
     "ignore_index is not supported for floating point target", None),
    # class weights: each kernel words it differently, and checks it at a different moment
    (ce(randn(2, 3, 4), labels(2, 4), weight=ones(2)), RuntimeError,
     "weight tensor should be defined either for all or no classes", None),
    (ce(randn(2, 3, 4, 5), labels(2, 4, 6), weight=ones(2)), RuntimeError,
     "weight tensor should be defined either for all or no classes", None),
    (ce(randn(2, 3, 4), floats(2, 3, 4), weight=ones(2), label_smoothing=2.0), RuntimeError,
     ("cross_entropy: weight tensor should be defined either for all 3 classes or no classes "
      "but got weight tensor of shape: [2]"), None),
    (ce(randn(3, 5), labels(3, value=7), weight=ones(2)), RuntimeError,
     ("weight tensor should be defined either for all 5 classes or no classes but got weight "
      "tensor of shape: [2]"), None),
    # values
    (ce(randn(2, 3, 4), labels(2, 4, value=7)), IndexError, "Target 7 is out of bounds.", None),
    (ce(randn(2, 3, 4, 5, 6), labels(2, 4, 5, 6, value=3)), IndexError,
     "Target 3 is out of bounds.", None),
    (ce(randn(2, 3, 4), labels(2, 4, value=-1)), IndexError, "Target -1 is out of bounds.", None),
    (ce(randn(2, 3, 4), labels(2, 5), label_smoothing=1.5), RuntimeError,
     "label_smoothing must be between 0.0 and 1.0. Got: 1.5", None),
    (ce(randn(2, 3, 4), labels(2, 5), reduction="avg"), ValueError,
     "avg is not a valid value for reduction", None),
    # where we say more than PyTorch does (only int64 indices are accepted here)
    (ce(randn(2, 3, 4), floats(2, 4)), RuntimeError,
     ("expected target dtype to be Long (int64 class indices of shape (2, 4)), but got float32 "
      "of shape (2, 4); float targets are read as class probabilities only when shaped like the "
      "input (2, 3, 4)"), "expected target dtype to be Long or Byte, but got Float"),
    (ce(randn(2, 3, 4), labels(2, 4, dtype="bool")), RuntimeError,
     ("expected target dtype to be Long (int64 class indices of shape (2, 4)), but got bool of "
      "shape (2, 4)"), "expected target dtype to be Long or Byte, but got Bool"),
    (ce(randn(2, 3, 4), scalar(0)), ValueError,
     "Expected input batch_size (2) to match target batch_size (a scalar).",
     "Expected input batch_size (2) to match target batch_size (0)."),
    (lambda lib: lib.nn.functional.cross_entropy(lib.randn(2, 3, 4), [[0, 1, 2, 0]] * 2),
     TypeError, "target must be a Tensor, got list",
     "cross_entropy_loss(): argument 'target' (position 2) must be Tensor, not list"),
    # nll_loss
    (nll(scalar(1.0), labels(1)), ValueError, "Expected 1 or more dimensions (got 0)", None),
    (nll(randn(2, 3, 4), labels(2, 3)), RuntimeError,
     "Expected target size [2, 4], got [2, 3]", None),
    (nll(randn(2, 3, 4, 5, 6), labels(2, 4, 5)), RuntimeError,
     "Expected target size [2, 4, 5, 6], got [2, 4, 5]", None),
    (nll(randn(2, 3, 4, 5), labels(3, 4, 5)), ValueError,
     "Expected input batch_size (2) to match target batch_size (3).", None),
    (nll(randn(2, 3, 4, 5), labels(2, 4)), RuntimeError,
     "only batches of spatial targets supported (3D tensors) but got targets of dimension: 2",
     None),
    (nll(randn(2, 3, 4, 5), labels(2, 4, 6)), RuntimeError,
     "size mismatch (got input: [2, 3, 4, 5] , target: [2, 4, 6]", None),
    (nll(randn(5), labels(2, 2)), RuntimeError,
     "0D or 1D target tensor expected, multi-target not supported", None),
    (nll(randn(5), labels(5)), ValueError,
     "For 1D input, 1D target must have size 1, but got target size: 5", None),
    (nll(randn(2, 3, 4), labels(2, 4), weight=ones(2)), RuntimeError,
     "weight tensor should be defined either for all or no classes", None),
    (nll(randn(3, 5), labels(3), weight=ones(3)), RuntimeError,
     ("weight tensor should be defined either for all 5 classes or no classes but got weight "
      "tensor of shape: [3]"), None),
    (nll(randn(2, 3, 4), labels(2, 4, value=-1)), IndexError, "Target -1 is out of bounds.",
     None),
    (nll(randn(2, 3, 4), labels(2, 5), reduction="avg"), ValueError,
     "avg is not a valid value for reduction", None),
    (nll(randn(2, 3, 4, 5), floats(2, 4, 6)), RuntimeError,
     ("expected target dtype to be Long (int64 class indices of shape (2, 4, 5)), but got "
      "float32 of shape (2, 4, 6)"), "expected target dtype to be Long or Byte, but got Float"),
    # the modules
    (lambda lib: lib.nn.CrossEntropyLoss(weight=lib.ones(2))(lib.randn(2, 3, 4),
                                                             lib.zeros(2, 4, dtype=lib.int64)),
     RuntimeError, "weight tensor should be defined either for all or no classes", None),
    (lambda lib: lib.nn.NLLLoss()(lib.randn(2, 3, 4), lib.zeros(2, 5, dtype=lib.int64)),
     RuntimeError, "Expected target size [2, 4], got [2, 5]", None),
]
ERROR_IDS = [message[:60] for _, _, message, _ in ERRORS]


@pytest.mark.parametrize("call, error, message, _", ERRORS, ids=ERROR_IDS)
def test_errors(call, error, message, _):
    with pytest.raises(error, match=re.escape(message) + "$"):
        call(tg)


@pytest.mark.parametrize("call, error, message, torch_message", ERRORS, ids=ERROR_IDS)
def test_pytorch_raises_the_same_errors(call, error, message, torch_message):
    torch = pytest.importorskip("torch")
    with pytest.raises(error, match=re.escape(torch_message or message) + "$"):
        call(torch)

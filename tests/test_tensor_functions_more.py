"""Tensor functions and methods PyTorch 2.13 has that tinygrad_bn lacked (tensor/windows.py,
tensor/scattering.py, tensor/products.py, nn/functional_toplevel.py, ...): values and gradients
against PyTorch in float32 and float64, float64 gradchecks, and PyTorch's error messages."""

import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn.autograd import gradcheck

torch = pytest.importorskip("torch")


def pair(values, dtype="float64", requires_grad=False):
    """The same values as a tinygrad_bn and a torch tensor."""
    array = np.asarray(values, dtype=dtype)
    ours = tg.tensor(array, requires_grad=requires_grad)
    theirs = torch.tensor(array, requires_grad=requires_grad)
    return ours, theirs


def assert_same(ours, theirs, rtol=1e-6, atol=1e-7):
    if isinstance(theirs, (tuple, list)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b, rtol, atol)
        return
    if not isinstance(theirs, torch.Tensor):
        assert ours == theirs
        return
    assert str(ours.dtype).replace("tinygrad_bn.", "") == str(theirs.dtype).replace("torch.", ""), (
        ours.dtype, theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol,
                               atol=atol, equal_nan=True)


def run_both(call, *arrays, dtype="float64", grad=True, rtol=1e-6, atol=1e-7):
    """``call(lib, *tensors)`` in both libraries; values and (float) gradients compared."""
    ours_in, theirs_in = zip(*(pair(a, dtype, grad) for a in arrays)) if arrays else ((), ())
    ours, theirs = call(tg, *ours_in), call(torch, *theirs_in)
    assert_same(ours, theirs, rtol, atol)
    if grad:
        first_ours = ours[0] if isinstance(ours, tuple) else ours
        first_theirs = theirs[0] if isinstance(theirs, tuple) else theirs
        weights = np.linspace(-1, 1, max(first_theirs.numel(), 1)).reshape(first_theirs.shape)
        (first_ours * tg.tensor(weights.astype(dtype))).sum().backward()
        (first_theirs * torch.tensor(weights.astype(dtype))).sum().backward()
        for a, b in zip(ours_in, theirs_in):
            if b.grad is None:
                assert a.grad is None or not a.grad.numpy().any()
            else:
                np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol)
    return ours


RNG = np.random.default_rng(0)


def values(*shape):
    return RNG.standard_normal(shape)


# ---------------------------------------------------------------- torch.X forms of nn.functional

X3 = values(2, 4, 9)
TOPLEVEL_CASES = [
    ("conv1d", lambda L, x, w: L.conv1d(x, w, None, 2, 1), (X3, values(3, 4, 3))),
    ("conv2d", lambda L, x, w: L.conv2d(x, w, padding="same"), (values(1, 2, 5, 5),
                                                                values(3, 2, 3, 3))),
    ("conv3d", lambda L, x, w: L.conv3d(x, w), (values(1, 2, 4, 4, 4), values(2, 2, 2, 2, 2))),
    ("conv_transpose1d", lambda L, x, w: L.conv_transpose1d(x, w, None, 2, 1, 1),
     (X3, values(4, 2, 3))),
    ("conv_transpose2d", lambda L, x, w: L.conv_transpose2d(x, w, stride=2),
     (values(1, 2, 3, 3), values(2, 3, 2, 2))),
    ("avg_pool1d", lambda L, x: L.avg_pool1d(x, 3), (X3,)),
    ("avg_pool1d", lambda L, x: L.avg_pool1d(x, 3, 2, 1, True, False), (X3,)),
    ("max_pool1d", lambda L, x: L.max_pool1d(x, 2), (X3,)),
    ("max_pool2d", lambda L, x: L.max_pool2d(x, 2, (), 1), (values(1, 2, 5, 5),)),
    ("adaptive_avg_pool1d", lambda L, x: L.adaptive_avg_pool1d(x, 4), (X3,)),
    ("adaptive_max_pool1d", lambda L, x: L.adaptive_max_pool1d(x, 4), (X3,)),
    ("pixel_shuffle", lambda L, x: L.pixel_shuffle(x, 2), (values(1, 8, 2, 3),)),
    ("pixel_unshuffle", lambda L, x: L.pixel_unshuffle(x, 2), (values(1, 2, 4, 6),)),
    ("pairwise_distance", lambda L, a, b: L.pairwise_distance(a, b, 3, 1e-6, True),
     (values(4, 5), values(4, 5))),
    ("cosine_similarity", lambda L, a, b: L.cosine_similarity(a, b, 0),
     (values(4, 5), values(4, 5))),
    ("cosine_embedding_loss",
     lambda L, a, b: L.cosine_embedding_loss(a, b, L.tensor([1, -1, 1, -1]), 0.2, 0),
     (values(4, 5), values(4, 5))),
    ("hinge_embedding_loss",
     lambda L, a: L.hinge_embedding_loss(a, L.tensor([1.0, -1.0, 1.0, -1.0]), 0.5, 2),
     (values(4),)),
    ("margin_ranking_loss",
     lambda L, a, b: L.margin_ranking_loss(a, b, L.tensor([1.0, -1.0, 1.0, -1.0])),
     (values(4), values(4))),
    ("triplet_margin_loss", lambda L, a, p, n: L.triplet_margin_loss(a, p, n, 1.0, 2, 1e-6, True),
     (values(3, 4), values(3, 4), values(3, 4))),
    ("kl_div", lambda L, a, b: L.kl_div(a, b), (values(3, 4), np.abs(values(3, 4)))),
    ("kl_div", lambda L, a, b: L.kl_div(a, b, 2, log_target=True), (values(3, 4), values(3, 4))),
    ("poisson_nll_loss", lambda L, a, b: L.poisson_nll_loss(a, b, True, True, 1e-8, 0),
     (values(3, 4), np.abs(values(3, 4)) * 3)),
    ("binary_cross_entropy_with_logits",
     lambda L, a, b: L.binary_cross_entropy_with_logits(
         a, b, None, L.tensor([0.5, 2.0, 1.0, 3.0], dtype=a.dtype), 2),
     (values(3, 4), RNG.uniform(size=(3, 4)))),
    ("embedding", lambda L, w: L.embedding(w, L.tensor([[0, 2], [2, 3]]), 2), (values(5, 3),)),
    ("embedding", lambda L, w: L.embedding(w, L.tensor([1, 1, 4])), (values(5, 3),)),
    ("dropout", lambda L, x: L.dropout(x, 0.5, False), (X3,)),
    ("alpha_dropout", lambda L, x: L.alpha_dropout(x, 0.5, False), (X3,)),
    ("feature_alpha_dropout", lambda L, x: L.feature_alpha_dropout(x, 0.5, False), (X3,)),
    ("layer_norm", lambda L, x, w, b: L.layer_norm(x, [9], w, b, 1e-5, False),
     (X3, values(9), values(9))),
    ("group_norm", lambda L, x, w, b: L.group_norm(x, 2, w, b), (X3, values(4), values(4))),
    ("instance_norm",
     lambda L, x, w, b: L.instance_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
     (X3, values(4), values(4))),
    ("batch_norm",
     lambda L, x, w, b: L.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
     (X3, values(4), values(4))),
    ("rms_norm", lambda L, x, w: L.rms_norm(x, [9], w), (X3, values(9))),
]


@pytest.mark.parametrize("name, call, arrays", TOPLEVEL_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(TOPLEVEL_CASES)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_toplevel_nn_forms_match_torch(name, call, arrays, dtype):
    tolerance = dict(rtol=1e-6, atol=1e-7) if dtype == "float64" else dict(rtol=2e-5, atol=2e-5)
    run_both(call, *arrays, dtype=dtype, **tolerance)


def test_toplevel_batch_norm_updates_running_statistics_in_atens_order():
    x = values(6, 3)
    stats = {}
    for L in (tg, torch):
        mean, var = L.zeros(3, dtype=L.float64), L.ones(3, dtype=L.float64)
        out = L.batch_norm(L.tensor(x), None, None, mean, var, True, 0.3, 1e-5, True)
        stats[L] = (out.numpy(), mean.numpy(), var.numpy())
    for a, b in zip(stats[tg], stats[torch]):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_toplevel_ctc_loss_matches_torch():
    log_probs = np.log(RNG.dirichlet(np.ones(5), size=(7, 2)))
    ours, theirs = pair(log_probs, requires_grad=True)
    targets = [[1, 2, 2], [3, 1, 0]]
    out = [L.ctc_loss(x, L.tensor(targets), [7, 6], [3, 2], 0, 2)
           for L, x in ((tg, ours), (torch, theirs))]
    assert_same(*out)
    out[0].backward(), out[1].backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-6, atol=1e-9)


def test_toplevel_forms_refuse_what_torch_refuses():
    x = tg.ones(2, 3)
    with pytest.raises(TypeError, match="argument 'reduction' must be int, not str"):
        tg.kl_div(x, x, "mean")
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'train'"):
        tg.dropout(x, 0.5)
    with pytest.raises(TypeError, match="unexpected keyword argument 'return_indices'"):
        tg.max_pool1d(tg.ones(1, 2, 4), 2, return_indices=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tg.kl_div(x, x)  # no advice to use 'batchmean', as torch.kl_div


@pytest.mark.parametrize("reduction", [None, 0, 1, 2, 5])
def test_toplevel_losses_reduce_as_torchs_int_enum(reduction):
    """1 the mean, 2 the sum, anything else (and the default) no reduction, as measured."""
    a, b = values(3, 4), np.abs(values(3, 4))
    args = () if reduction is None else (reduction,)
    run_both(lambda L, x, y: L.kl_div(x, y, *args), a, b)
    run_both(lambda L, x, y: L.margin_ranking_loss(x, y, L.ones(3, 4, dtype=L.float64), 0.1,
                                                   *args), a, b)

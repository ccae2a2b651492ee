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


# ---------------------------------------------------------------- tensor functions and methods

M = values(3, 4)
CASES = [
    ("unfold", lambda L, x: x.unfold(1, 2, 1), (M,)),
    ("unfold-step", lambda L, x: x.unfold(0, 2, 2).unfold(1, 3, 1), (values(5, 4),)),
    ("as_strided", lambda L, x: x.as_strided((3, 3), (1, 2), 1), (values(12),)),
    ("as_strided-view", lambda L, x: (x * 1)[1:].as_strided((2, 2), (2, 1)), (values(6),)),
    ("take", lambda L, x: L.take(x, L.tensor([[0, -1], [5, 5]])), (M,)),
    ("put", lambda L, x, s: x.put(L.tensor([1, 1, -2]), s, accumulate=True), (M, values(3))),
    ("put-overwrite", lambda L, x, s: x.put(L.tensor([0, 7, 3]), s), (M, values(3))),
    ("index_put", lambda L, x, v: L.index_put(x, (L.tensor([0, 2]), L.tensor([1, 3])), v),
     (M, values(2))),
    ("index_put-accumulate",
     lambda L, x, v: x.index_put((L.tensor([0, 0, 2]),), v, accumulate=True), (M, values(4))),
    ("masked_scatter", lambda L, x, s: x.masked_scatter(x > 0, s), (M, values(12))),
    ("masked_scatter-broadcast",
     lambda L, x, s: L.masked_scatter(x, L.tensor([True, False, True, False]), s),
     (M, values(7))),
    ("index_reduce-prod", lambda L, x, s: x.index_reduce(0, L.tensor([0, 2, 0]), s, "prod"),
     (M, values(3, 4))),
    ("index_reduce-mean", lambda L, x, s: x.index_reduce(1, L.tensor([3, 0]), s, "mean",
                                                         include_self=False),
     (M, values(3, 2))),
    ("index_reduce-amax", lambda L, x, s: L.index_reduce(x, 0, L.tensor([1, 1]), s, "amax"),
     (M, values(2, 4))),
    ("select_scatter", lambda L, x, s: L.select_scatter(x, s, 1, -1), (M, values(3))),
    ("slice_scatter", lambda L, x, s: x.slice_scatter(s, 1, 0, 4, 2), (M, values(3, 2))),
    ("diagonal_scatter", lambda L, x, s: L.diagonal_scatter(x, s, 1), (M, values(3))),
    ("diag_embed", lambda L, x: L.diag_embed(x, 1, 0, 2), (values(2, 3),)),
    ("diagflat", lambda L, x: L.diagflat(x, -1), (values(2, 2),)),
    ("fliplr", lambda L, x: L.fliplr(x), (M,)),
    ("flipud", lambda L, x: x.flipud(), (M,)),
    ("inner", lambda L, a, b: L.inner(a, b), (values(2, 4), values(3, 4))),
    ("vdot", lambda L, a, b: L.vdot(a, b), (values(4), values(4))),
    ("addmv", lambda L, i, m, v: L.addmv(i, m, v, beta=0.5, alpha=2), (values(3), M, values(4))),
    ("addr", lambda L, i, a, b: i.addr(a, b, alpha=-1), (M, values(3), values(4))),
    ("baddbmm", lambda L, i, a, b: L.baddbmm(i, a, b, beta=2),
     (values(2, 3, 1), values(2, 3, 4), values(2, 4, 5))),
    ("addbmm", lambda L, i, a, b: i.addbmm(a, b, beta=0.25, alpha=3),
     (values(3, 5), values(2, 3, 4), values(2, 4, 5))),
    ("cov", lambda L, x: L.cov(x), (M,)),
    ("cov-weights", lambda L, x, a: x.cov(correction=0, fweights=L.tensor([1, 2, 0, 3]),
                                          aweights=a.abs() + 0.1), (M, values(4))),
    ("corrcoef", lambda L, x: x.corrcoef(), (M,)),
    ("nanmedian", lambda L, x: x.nanmedian(), (np.where(M > 1, np.nan, M),)),
    ("nanmedian-dim", lambda L, x: L.nanmedian(x, 1, keepdim=True),
     (np.where(M > 0.5, np.nan, M),)),
    ("split_with_sizes", lambda L, x: x.split_with_sizes([1, 3], 1), (M,)),
    ("unsafe_chunk", lambda L, x: L.unsafe_chunk(x, 2, 1), (M,)),
    ("unsafe_split", lambda L, x: L.unsafe_split(x, 2), (M,)),
    ("narrow_copy", lambda L, x: x.narrow_copy(1, 1, 2), (M,)),
    ("sum_to_size", lambda L, x: x.sum_to_size(3, 1), (M,)),
    ("sum_to_size-lead", lambda L, x: x.sum_to_size((1, 4)), (values(2, 3, 4),)),
    ("pdist", lambda L, x: L.pdist(x), (values(4, 3),)),
    ("pdist-p1", lambda L, x: L.pdist(x, 1), (values(4, 3),)),
]


@pytest.mark.parametrize("name, call, arrays", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_and_gradients_match_torch(name, call, arrays, dtype):
    tolerance = dict(rtol=1e-6, atol=1e-7) if dtype == "float64" else dict(rtol=2e-5, atol=2e-5)
    run_both(call, *arrays, dtype=dtype, **tolerance)


GRADCHECKED = [c for c in CASES if c[0] not in ("nanmedian", "nanmedian-dim")]


@pytest.mark.parametrize("name, call, arrays", GRADCHECKED, ids=[c[0] for c in GRADCHECKED])
def test_gradients_match_finite_differences(name, call, arrays):
    def first(*tensors):
        out = call(tg, *tensors)
        return out[0] if isinstance(out, tuple) else out
    inputs = [tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    assert gradcheck(first, tuple(inputs))


@pytest.mark.parametrize("method, arguments", [
    ("put_", lambda L: (L.tensor([0, 5]), L.tensor([9.0, 8.0], dtype=L.float64), True)),
    ("index_put_", lambda L: ((L.tensor([1]),), L.tensor(7.0, dtype=L.float64))),
    ("masked_scatter_", lambda L: (L.tensor([True, False, True, True]),
                                   L.arange(12.0, dtype=L.float64))),
    ("index_reduce_", lambda L: (0, L.tensor([2, 0]), L.ones(2, 4, dtype=L.float64) * 3,
                                 "amin")),
    ("addmv_", None), ("addr_", None), ("baddbmm_", None), ("addbmm_", None),
])
def test_in_place_forms_write_what_torch_writes(method, arguments):
    products = {"addmv_": lambda L: (L.ones(3, 4, dtype=L.float64), L.arange(4.0, dtype=L.float64)),
                "addr_": lambda L: (L.arange(3.0, dtype=L.float64), L.arange(4.0, dtype=L.float64)),
                "baddbmm_": None, "addbmm_": lambda L: (L.ones(2, 3, 5, dtype=L.float64),
                                                        L.ones(2, 5, 4, dtype=L.float64))}
    results = []
    for L in (tg, torch):
        x = L.tensor(M.copy())
        if method == "addmv_":
            x = L.tensor(M[:, 0].copy())
        if method == "baddbmm_":
            x = L.tensor(values(2, 3, 4))
            args = (L.ones(2, 3, 5, dtype=L.float64), L.ones(2, 5, 4, dtype=L.float64))
        else:
            args = (arguments or products[method])(L)
        kwargs = {"beta": 0.5} if method in products else {}
        assert getattr(x, method)(*args, **kwargs) is x
        results.append(x)
    if method == "baddbmm_":
        return  # values differ by the random self; the identity is what is checked
    assert_same(*results)


def test_unfold_is_a_view_that_writes_through_and_its_gradient_counts_overlaps():
    x = tg.zeros(5)
    windows = x.unfold(0, 3, 1)
    windows[0, 2] = 7.0
    assert x.tolist() == [0.0, 0.0, 7.0, 0.0, 0.0]
    y = tg.ones(5, requires_grad=True)
    y.unfold(0, 3, 1).sum().backward()
    assert y.grad.tolist() == [1.0, 2.0, 3.0, 2.0, 1.0]


def test_as_strided_reads_the_storage_of_a_view_at_its_offset():
    base = tg.arange(10.0)
    view = base[3:]
    assert view.storage_offset() == 3
    assert view.as_strided((2, 2), (1, 2)).tolist() == [[3.0, 5.0], [4.0, 6.0]]
    assert base.as_strided((3,), (3,), 1).tolist() == [1.0, 4.0, 7.0]
    t = tg.arange(6.0)
    assert t.as_strided_((2, 2), (2, 1)) is t and t.shape == (2, 2)


def test_fill_diagonal_wraps_as_torch():
    for wrap in (False, True):
        for shape in ((7, 3), (3, 5), (4, 4, 4)):
            ours, theirs = tg.zeros(*shape), torch.zeros(*shape)
            ours.fill_diagonal_(2.5, wrap=wrap), theirs.fill_diagonal_(2.5, wrap=wrap)
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_unique_consecutive_matches_torch():
    data = [[1, 1], [1, 1], [2, 3], [2, 3], [1, 1]]
    for dim in (None, 0, 1):
        for inverse in (False, True):
            for counts in (False, True):
                keywords = dict(return_inverse=inverse, return_counts=counts, dim=dim)
                ours = tg.unique_consecutive(tg.tensor(data), **keywords)
                theirs = torch.unique_consecutive(torch.tensor(data), **keywords)
                assert_same(ours, theirs)


def test_nanmedian_of_all_nan_and_ints_match_torch():
    data = [[np.nan, np.nan, np.nan], [1.0, np.nan, 3.0], [2.0, 1.0, np.nan]]
    assert_same(tg.tensor(data).nanmedian(1), torch.tensor(data).nanmedian(1))
    assert_same(tg.tensor([[3, 1, 2, 5]]).nanmedian(-1), torch.tensor([[3, 1, 2, 5]]).nanmedian(-1))
    assert type(tg.tensor(data).nanmedian(0)).__name__ == "nanmedian"


@pytest.mark.parametrize("call", [
    lambda L: L.logspace(-1, 2, 7), lambda L: L.logspace(0, 3, 4, base=2, dtype=L.float64),
    lambda L: L.logspace(0, 2, 3, dtype=L.int64), lambda L: L.logspace(1.2, 2, 4,
                                                                       dtype=L.float16),
    lambda L: L.scalar_tensor(3), lambda L: L.scalar_tensor(True, dtype=L.int64),
    lambda L: L.hann_window(8), lambda L: L.hann_window(7, False, dtype=L.float64),
    lambda L: L.hamming_window(9, True, 0.6, 0.3), lambda L: L.blackman_window(6),
    lambda L: L.bartlett_window(7), lambda L: L.bartlett_window(6, False),
    lambda L: L.kaiser_window(6), lambda L: L.kaiser_window(5, False, 3.0, dtype=L.float64),
    lambda L: L.hann_window(1), lambda L: L.hann_window(0),
    lambda L: L.unravel_index(L.tensor([[4, 1], [5, 0]]), (2, 3)),
    lambda L: L.unravel_index(L.tensor(7), (2, 2)),
], ids=lambda c: "")
def test_factories_match_torch(call):
    assert_same(call(tg), call(torch), rtol=1e-6, atol=1e-6)


def test_range_is_end_inclusive_and_warns_as_torch():
    with pytest.warns(UserWarning, match="torch.range is deprecated"):
        ours = tg.range(0, 1, 0.25)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.range(0, 1, 0.25)
        assert_same(tg.range(3, 0, -1), torch.range(3, 0, -1))
        assert_same(tg.range(0, 3, dtype=tg.int64), torch.range(0, 3, dtype=torch.int64))
    assert_same(ours, theirs)


def test_dtype_questions_match_torch():
    names = ["float16", "float32", "float64", "uint8", "int8", "int16", "int32", "int64", "bool"]
    for a in names:
        for b in names:
            assert str(tg.promote_types(getattr(tg, a), getattr(tg, b))) == \
                str(torch.promote_types(getattr(torch, a), getattr(torch, b))).replace("torch.", "")
            assert tg.can_cast(getattr(tg, a), getattr(tg, b)) == \
                torch.can_cast(getattr(torch, a), getattr(torch, b))
    for x, y in [([1], 1.0), ([1], 2), (2, 3.0), (True, 3), ([True], 2), (3, 4)]:
        ours = tg.result_type(tg.tensor(x) if isinstance(x, list) else x, y)
        theirs = torch.result_type(torch.tensor(x) if isinstance(x, list) else x, y)
        assert str(ours) == str(theirs).replace("torch.", "")


def test_queries_match_torch():
    for data in ([1.5], [0], [[True]]):
        assert tg.tensor(data).is_nonzero() == torch.tensor(data).is_nonzero()
    for dtype in ("uint8", "int8", "bool", "float32"):
        assert tg.ones(1, dtype=getattr(tg, dtype)).is_signed() == \
            torch.ones(1, dtype=getattr(torch, dtype)).is_signed()
    x = tg.ones(2, 3)
    assert x.get_device() == -1 and not x.is_inference() and not x.is_neg()
    assert x.resolve_neg() is x and x.is_same_size(tg.zeros(2, 3)) and not tg.is_same_size(x, x.t())
    strided = tg.empty_strided((2, 3), (1, 2))
    assert strided.shape == (2, 3) and strided.stride() == (1, 2)
    assert x.new_empty_strided((2, 2), (2, 1)).dtype == tg.float32


def test_poisson_and_binomial_draw_with_the_right_statistics():
    tg.manual_seed(0)
    rates = tg.tensor([0.5, 3.0, 20.0], dtype=tg.float64).expand(20000, 3)
    draws = tg.poisson(rates)
    assert draws.shape == (20000, 3) and draws.dtype == tg.float64
    np.testing.assert_allclose(draws.numpy().mean(0), [0.5, 3.0, 20.0], rtol=0.03)
    np.testing.assert_allclose(draws.numpy().var(0), [0.5, 3.0, 20.0], rtol=0.06)
    assert (draws.numpy() == np.round(draws.numpy())).all()
    r = tg.tensor([2.0, 3.0], requires_grad=True)
    tg.poisson(r).sum().backward()
    assert r.grad.tolist() == [0.0, 0.0]
    count, prob = tg.full((20000, 2), 10.0), tg.tensor([0.2, 0.9])
    b = tg.binomial(count, prob)
    assert b.shape == (20000, 2) and b.dtype == tg.float32
    np.testing.assert_allclose(b.numpy().mean(0), [2.0, 9.0], rtol=0.03)
    np.testing.assert_allclose(b.numpy().var(0), [1.6, 0.9], rtol=0.08)
    assert b.numpy().min() >= 0 and b.numpy().max() <= 10


@pytest.mark.parametrize("call", [
    lambda L: L.take(L.ones(2, 3), L.tensor([6])),
    lambda L: L.fliplr(L.ones(3)), lambda L: L.flipud(L.tensor(1.0)),
    lambda L: L.inner(L.ones(2, 3), L.ones(2, 4)),
    lambda L: L.vdot(L.ones(2, 3), L.ones(3)),
    lambda L: L.vdot(L.ones(3), L.ones(4)),
    lambda L: L.ones(2, 3).split_with_sizes([2, 2], 1),
    lambda L: L.ones(2, 3).sum_to_size(4),
    lambda L: L.ones(0).is_nonzero(), lambda L: L.ones(2).is_nonzero(),
    lambda L: L.ones(2, 3).unfold(1, 4, 1), lambda L: L.ones(2, 3).unfold(1, 2, 0),
    lambda L: L.ones(2, 3).select_scatter(L.ones(2), 0, 0),
    lambda L: L.ones(2, 3).slice_scatter(L.ones(2, 2), 1, 0, 3),
    lambda L: L.ones(2, 3).diagonal_scatter(L.ones(3)),
    lambda L: L.ones(2, 3).masked_scatter(L.ones(2, 3), L.ones(6)),
    lambda L: L.ones(2, 3).masked_scatter(L.ones(2, 3, dtype=L.bool), L.ones(5)),
    lambda L: L.addmv(L.ones(2), L.ones(2, 3), L.ones(4)),
    lambda L: L.addmv(L.ones(2), L.ones(3), L.ones(3)),
    lambda L: L.addr(L.ones(2, 3), L.ones(2), L.ones(3, 1)),
    lambda L: L.baddbmm(L.ones(2, 2, 2), L.ones(2, 2, 3), L.ones(2, 4, 2)),
    lambda L: L.addbmm(L.ones(2, 2), L.ones(2, 2, 3), L.ones(3, 3, 2)),
    lambda L: L.cov(L.ones(2, 2, 2)),
    lambda L: L.cov(L.ones(2, 3), fweights=L.ones(3)),
    lambda L: L.cov(L.ones(2, 3), aweights=-L.ones(3)),
    lambda L: L.hann_window(-1), lambda L: L.logspace(0, 3, -1),
    lambda L: L.pdist(L.ones(3)), lambda L: L.poisson(L.tensor([-1.0])),
    lambda L: L.binomial(L.tensor([3]), L.tensor([0.5])),
    lambda L: L.range(0, 1, 0),
    lambda L: L.unravel_index(L.tensor([1.0]), (2, 3)),
])
def test_errors_match_torch(call):
    with pytest.raises(Exception) as theirs, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        call(torch)
    with pytest.raises(theirs.type) as ours, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        call(tg)
    expected = str(theirs.value).split("\n")[0].replace("torch.", "")
    assert str(ours.value).split("\n")[0].replace("torch.", "") == expected


def test_index_reduce_warns_once_that_it_is_in_beta_as_torch(monkeypatch):
    from tinygrad_bn.tensor import scattering
    monkeypatch.setattr(scattering, "_WARNED", [])
    x, index, source = tg.ones(3), tg.tensor([0, 0]), tg.tensor([2.0, 3.0])
    with pytest.warns(UserWarning, match=r"index_reduce\(\) is in beta"):
        assert x.index_reduce(0, index, source, "prod").tolist() == [6.0, 1.0, 1.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x.index_reduce(0, index, source, "amax")


def test_as_strided_of_a_view_sends_its_gradient_through_the_view_as_torch():
    grads = []
    for L in (tg, torch):
        base = L.arange(10.0, dtype=L.float64, requires_grad=True)
        view = base[3:]
        out = view.as_strided((2, 2), (1, 2))
        (out * L.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=L.float64)).sum().backward()
        grads.append(base.grad.numpy())
    np.testing.assert_array_equal(*grads)

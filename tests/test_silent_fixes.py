"""Ops that used to give a different answer from PyTorch without an error (issue 24, item 2),
checked against PyTorch where it is installed and against their definitions where not."""

import re
import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn.ops.tie_order import mode_index, quickselect_index, std_sort_order


# --- which index among ties: kthvalue and mode --------------------------------------------

def _tied_rows(seed, count=200):
    """Rows with many repeated values, short and long (past the 16 of insertion sort), with
    NaNs in some."""
    rng = np.random.default_rng(seed)
    for r in range(count):
        size = int(rng.integers(1, 40 if r % 2 else 400))
        row = rng.integers(-4, 5, size).astype(np.float64)
        if r % 5 == 0:
            row[rng.random(size) < 0.2] = np.nan
        yield row


def test_std_sort_order_sorts():
    for row in _tied_rows(1, 50):
        keys = np.nan_to_num(row, nan=99.0).tolist()
        order = std_sort_order(keys)
        assert sorted(order) == list(range(len(keys)))
        assert [keys[i] for i in order] == sorted(keys)


def test_quickselect_index_selects_the_kth():
    for row in _tied_rows(2, 50):
        for k in range(len(row)):
            picked = row[quickselect_index(row.tolist(), k)]
            expected = np.sort(row)[k]  # NumPy too sorts NaN last
            assert picked == expected or (np.isnan(picked) and np.isnan(expected))


def test_mode_index_without_ties_in_the_sort_is_the_last_occurrence():
    row = [3, 1, 2, 1, 3, 1]  # short: insertion sort keeps ties in order
    assert mode_index(row) == 5


def test_kthvalue_and_mode_pick_pytorchs_index_among_ties():
    torch = pytest.importorskip("torch")
    for seed, row in enumerate(_tied_rows(3)):
        theirs = torch.from_numpy(row)
        ours = tg.tensor(row)
        k = seed % len(row) + 1
        assert ours.kthvalue(k).indices.item() == theirs.kthvalue(k).indices.item()
        assert ours.mode().indices.item() == theirs.mode().indices.item()
    grid = np.random.default_rng(4).integers(0, 3, (6, 40, 5)).astype(np.int16)
    for dim in range(3):
        for keepdim in (False, True):
            ours = tg.tensor(grid).kthvalue(2, dim, keepdim)
            theirs = torch.from_numpy(grid).kthvalue(2, dim, keepdim)
            np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
            ours, theirs = tg.tensor(grid).mode(dim, keepdim), torch.from_numpy(grid).mode(dim, keepdim)
            np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
            np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())


# --- einsum: result dtypes and refusals as PyTorch's pairwise contraction gives them -------

EINSUM_CASES = [
    ("ij,jk->ik", (2, 3), (3, 4)), ("ij->i", (2, 3)), ("ij->ji", (2, 3)), ("ii", (3, 3)),
    ("ij,j->", (2, 3), (3,)), ("ij,j->", (1, 3), (3,)), ("ij,jk->", (2, 3), (3, 4)),
    ("ij,jk->i", (2, 3), (3, 4)), ("ij,k->ik", (2, 3), (4,)), ("i,j->", (2,), (3,)),
    ("ij,j->i", (2, 3), (1,)), ("ij,jk,kl->", (2, 3), (3, 4), (4, 5)),
    ("ij,jk,k->i", (2, 3), (3, 4), (4,)), ("i,i,j->", (2,), (2,), (3,)),
    ("...ij,...jk->...ik", (2, 1, 2, 3), (3, 3, 4)), ("ii,i->i", (3, 3), (3,)),
    ("i,i->", (0,), (0,)), ("ij,j->", (0, 3), (3,)), ("ij,jk->ik", (2, 0), (0, 3)),
    ("i,i,i->i", (3,), (3,), (3,)), (",->", (), ()), ("i,->i", (3,), ()),
]
EINSUM_DTYPES = [("uint8", "uint8"), ("int32", "int32"), ("bool", "bool"), ("float16", "float16"),
                 ("float64", "float64"), ("float32", "float64"), ("uint8", "int64"),
                 ("bool", "uint8"), ("int64", "bool"), ("int32", "float16")]


@pytest.mark.parametrize("case", EINSUM_CASES, ids=[f"{c[0]}{c[1:]}" for c in EINSUM_CASES])
def test_einsum_dtypes_values_and_refusals_match_pytorch(case):
    equation, *shapes = case
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for pair in EINSUM_DTYPES:
        arrays = [rng.integers(0, 4, s).astype(pair[k % 2]) for k, s in enumerate(shapes)]
        try:
            theirs = torch.einsum(equation, *[torch.from_numpy(a) for a in arrays])
        except Exception as error:
            with pytest.raises(type(error), match=re.escape(str(error))):
                tg.einsum(equation, *[tg.tensor(a) for a in arrays])
            continue
        ours = tg.einsum(equation, *[tg.tensor(a) for a in arrays])
        assert str(ours.dtype).replace("tinygrad_bn.", "") == str(theirs.dtype)[6:], pair
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_einsum_float16_accumulates_in_float32():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((4, 300)).astype(np.float16), rng.standard_normal((300, 5)).astype(np.float16)
    exact = (a.astype(np.float32) @ b.astype(np.float32)).astype(np.float16)
    np.testing.assert_array_equal(tg.einsum("ij,jk->ik", tg.tensor(a), tg.tensor(b)).numpy(), exact)


def test_einsum_mixed_dtype_product_is_differentiable():
    x = tg.tensor(np.arange(3.0), requires_grad=True)
    y = tg.tensor(np.array([1.0, 2.0, 3.0], dtype=np.float32))
    out = tg.einsum("i,i->i", x, y)  # no contraction: a mul, so dtypes promote
    assert out.dtype == tg.float64
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0, 3.0])
    assert tg.autograd.gradcheck(lambda a, b: tg.einsum("ij,jk->ik", a, b),
                                 (tg.tensor(np.random.rand(2, 3), requires_grad=True),
                                  tg.tensor(np.random.rand(3, 4), requires_grad=True)))


# --- random ops in the graph: requires_grad and (zero) gradients as PyTorch's -------------

def _leaf(values):
    return tg.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def test_bernoulli_and_normal_results_require_grad_with_zero_gradients():
    probabilities, mean, std = _leaf([0.2, 0.9]), _leaf([1.0, -1.0]), _leaf([0.5, 2.0])
    for out, leaves in ((tg.bernoulli(probabilities), [probabilities]),
                        (tg.normal(mean, std), [mean, std]), (tg.normal(mean, 2.0), [mean]),
                        (tg.normal(3.0, std), [std]), (probabilities.bernoulli(), [probabilities])):
        assert out.requires_grad and out.grad_fn is not None
        grads = tg.autograd.grad(out, leaves, tg.ones_like(out))
        for grad in grads:
            np.testing.assert_array_equal(grad.numpy(), 0.0)
    with pytest.raises(RuntimeError, match="derivative for aten::bernoulli is not implemented"):
        tg.bernoulli(probabilities, 0.5).sum().backward()


def test_normal_of_zero_dim_tensors_and_its_checks():
    out = tg.normal(tg.tensor(2.0), tg.tensor(0.5))
    assert out.shape == () and out.dtype == tg.float32
    assert tg.normal(tg.zeros(2, 1), tg.ones(3)).shape == (2, 3)
    with pytest.raises(RuntimeError, match=r"normal expects std >= 0.0, but found std -1$"):
        tg.normal(tg.zeros(2), -1.0)
    with pytest.raises(RuntimeError, match="normal expects all elements of std >= 0.0"):
        tg.normal(tg.zeros(2), -tg.ones(2))
    with pytest.raises(RuntimeError, match=r"normal expects std >= 0.0, but found std -1.5"):
        tg.zeros(2).normal_(0.0, -1.5)
    with pytest.raises(RuntimeError, match="The size of tensor a \\(2\\) must match the size of "
                                           "tensor b \\(3\\) at non-singleton dimension 0"):
        tg.normal(tg.zeros(2), tg.ones(3))
    with pytest.raises(NotImplementedError, match="\"normal_kernel_cpu\" not implemented for 'Long'"):
        tg.normal(tg.zeros(2, dtype=tg.int64), 1.0)


@pytest.mark.parametrize("weights, replacement, message", [
    ([1.0, -1.0, 1.0], True, r"invalid multinomial distribution \(encountering probability entry < 0\)"),
    ([1.0, float("inf"), 1.0], True, r"entry = infinity or NaN\)"),
    ([1.0, 1.0, float("nan")], True, r"entry < 0\)"),
    ([[0.0, 0.0], [1.0, -1.0]], True, r"\(sum of probabilities <= 0\)"),
    ([1.0, float("nan"), 1.0], False, "probability tensor contains either `inf`, `nan` or element < 0"),
    ([0.0, 0.0, 0.0], False, r"invalid multinomial distribution \(sum of probabilities <= 0\)"),
])
def test_multinomial_refuses_bad_weights_with_pytorchs_message(weights, replacement, message):
    with pytest.raises(RuntimeError, match=message):
        tg.multinomial(tg.tensor(weights), 2, replacement)


def test_multinomial_category_limit():
    with pytest.raises(RuntimeError, match=r"number of categories cannot exceed 2\^24"):
        tg.multinomial(tg.zeros(2 ** 24 + 1, dtype=tg.float16), 3)


def test_random_ops_replay_in_the_jit_like_eager():
    def step(p, m, s):
        return tg.bernoulli(p) + tg.normal(m, s)

    jitted = tg.jit(step) if hasattr(tg, "jit") else None
    if jitted is None:
        pytest.skip("no tg.jit")
    inputs = [tg.tensor([0.3, 0.7]), tg.tensor([0.0, 1.0]), tg.tensor([1.0, 2.0])]
    for seed in range(3):
        tg.manual_seed(seed)
        eager = step(*inputs).numpy()
        tg.manual_seed(seed)
        np.testing.assert_array_equal(jitted(*inputs).numpy(), eager)


# --- linspace: PyTorch's values to the bit, tensor bounds, its refusals ---------------------

LINSPACE_CASES = [(-2.0, 1, 50), (4.3, -3, 50), (0.1, 0.7, 33), (-7.25, 1.5, 101), (0, 1, 5000),
                  (1.1, 1.3, 4097), (3, 3, 4), (5, -5, 1), (2, 9, 0), (-85.74, 63.6, 293)]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "uint8", "int16", "int32",
                                   "int64"])
def test_linspace_is_bit_exact_with_pytorch(dtype):
    torch = pytest.importorskip("torch")
    for start, end, steps in LINSPACE_CASES:
        if dtype == "uint8":
            start, end = abs(start), abs(end)
        theirs = torch.linspace(start, end, steps, dtype=getattr(torch, dtype))
        ours = tg.linspace(start, end, steps, dtype=getattr(tg, dtype))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=str((start, end, steps)))


def test_linspace_takes_zero_dim_tensor_bounds_at_their_value():
    start = tg.tensor(4.3, dtype=tg.float32)  # 4.300000190734863 as a float64
    out = tg.linspace(start, tg.tensor(-3), 50, dtype=tg.float64)
    assert out.dtype == tg.float64 and out[0].item() == float(np.float32(4.3))
    torch = pytest.importorskip("torch")
    theirs = torch.linspace(torch.tensor(4.3), torch.tensor(-3), 50, dtype=torch.float64)
    np.testing.assert_array_equal(out.numpy(), theirs.numpy())


def test_linspace_refusals():
    with pytest.raises(RuntimeError, match=r"linspace only supports 0-dimensional start and end "
                                           r"tensors, but got start with 1 dimension\(s\) and end "
                                           r"with 0 dimension\(s\)\."):
        tg.linspace(tg.tensor([1, 1]), tg.tensor(3), 4)
    with pytest.raises(TypeError, match=r"linspace\(\) received an invalid combination of "
                                        r"arguments - got \(int, int, float\)"):
        tg.linspace(0, 3, 1.0)
    with pytest.raises(RuntimeError, match="number of steps must be non-negative"):
        tg.linspace(0, 3, -1)
    with pytest.raises(RuntimeError, match="value cannot be converted to type c10::Half without "
                                           "overflow"):
        tg.linspace(0, 7e4, 5, dtype=tg.float16)
    with pytest.raises(RuntimeError, match="value cannot be converted to type int8_t without "
                                           "overflow"):
        tg.linspace(0, 300, 5, dtype=tg.int8)
    assert tg.linspace(-5, 3, 5, dtype=tg.uint8).tolist() == [251, 189, 127, 65, 3]  # wraps


# --- fmod and rounded division: C's fmod, PyTorch's floor division, float16 as PyTorch ------

@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int32", "int64"])
def test_fmod_and_rounded_division_match_pytorch(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    if dtype.startswith("float"):
        a = (rng.standard_normal(4000) * 20).astype(dtype)
        b = (rng.standard_normal(4000) * 3).astype(dtype)
        b[:50] = 0.0
        b[50:100] = a[50:100] / 3  # quotients close to integers
    else:
        a = rng.integers(-100, 100, 4000).astype(dtype)
        b = rng.integers(1, 9, 4000).astype(dtype) * rng.choice([-1, 1], 4000).astype(dtype)
    pairs = [(a, b), (a, b[100:101]), (a[:1], b[100:101]), (a[7:8], b)]  # single-element paths
    for fn in (lambda x, y: x.fmod(y), lambda x, y: x.div(y, rounding_mode="floor"),
               lambda x, y: x.div(y, rounding_mode="trunc"), lambda x, y: x.floor_divide(y),
               lambda x, y: x.remainder(y)):
        for x, y in pairs:
            np.testing.assert_array_equal(fn(tg.tensor(x), tg.tensor(y)).numpy(),
                                          fn(torch.from_numpy(x), torch.from_numpy(y)).numpy())


def test_fmod_gradients():
    a = tg.tensor(np.array([5.3, -5.3, 2.0, -7.9]), requires_grad=True)
    b = tg.tensor(np.array([2.0, 2.0, -0.7, 3.1]), requires_grad=True)
    assert tg.autograd.gradcheck(lambda x, y: x.fmod(y), (a, b))
    torch = pytest.importorskip("torch")
    ta, tb = (torch.tensor(t.detach().numpy(), requires_grad=True) for t in (a, b))
    ta.fmod(tb).sum().backward()
    a.fmod(b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy())
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy())
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        tg.tensor([3, 4]).fmod(tg.tensor([1, 0]))


# --- histc: PyTorch's bins, edges in the input's dtype --------------------------------------

@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_histc_matches_pytorch_bin_for_bin(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    for trial in range(120):
        size, bins = int(rng.integers(0, 300)), int(rng.integers(1, 130))
        x = (rng.standard_normal(size) * rng.uniform(0.1, 50)).round(int(rng.integers(0, 3)))
        x = x.astype(dtype)
        if trial % 4 == 1 and size:
            x[rng.random(size) < 0.05] = np.nan  # NaN falls in no bin
        low, high = [(0, 0), (-1.3, 2.7), (-5, 5), (0.1, 0.1)][trial % 4]
        np.testing.assert_array_equal(tg.histc(tg.tensor(x), bins, low, high).numpy(),
                                      torch.histc(torch.from_numpy(x), bins, low, high).numpy())
    with pytest.raises(RuntimeError, match=r"torch.histc: range of \[nan, nan\] is not finite"):
        tg.histc(tg.tensor(np.array([1.0, np.nan], dtype=dtype)))


def test_histc_of_a_collapsed_or_overflowing_range_counts_as_pytorch():
    """A range that collapses in float16 (2536 +- 1 rounds back to 2536) or a position that
    overflows gives nan or inf: PyTorch counts such values in the first bin (it crashed in
    NumPy's bincount)."""
    cases = [([2536.0], 13, "float16", [1] + [0] * 12), ([0.0, 3e38], 3, "float32", [2, 0, 0])]
    for values, bins, dtype, expected in cases:
        counts = tg.histc(tg.tensor(np.array(values, dtype=dtype)), bins)
        assert counts.tolist() == expected


def test_histogram_edges_and_counts_are_pytorchs():
    """Equal-width edges are PyTorch's linspace in the input's dtype (not NumPy's
    histogram_bin_edges), so a value on an edge lands in PyTorch's bin."""
    hist, edges = tg.histogram(tg.tensor([0.0, 0.9, 1.0]), 10)
    assert hist.tolist() == [1, 0, 0, 0, 0, 0, 0, 0, 0, 2]
    assert edges.numpy()[9] == np.float32(0.9)
    assert tg.histogram(tg.tensor([2.0, 2.0]), 4).bin_edges.tolist() == [1.5, 1.75, 2, 2.25, 2.5]
    with pytest.raises(RuntimeError, match=r"^torch.histogramdd: min should not exceed max, "
                                           r"but got min 2 max 1 for dimension 0$"):
        tg.histogram(tg.tensor([2.0, 3.0]), 4, range=(2.0, 1.0))
    with pytest.raises(RuntimeError, match=r"^torch.histogramdd: dimension 0's range \[0, inf\] "
                                           r"is not finite$"):
        tg.histogram(tg.tensor([2.0, 3.0]), 4, range=(0.0, float("inf")))
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for _ in range(200):
        x = rng.standard_normal(int(rng.integers(0, 50))).astype(np.float32)
        bins = int(rng.integers(1, 20))
        ours, theirs = tg.histogram(tg.tensor(x), bins), torch.histogram(torch.tensor(x), bins)
        np.testing.assert_array_equal(ours.hist.numpy(), theirs.hist.numpy())
        np.testing.assert_array_equal(ours.bin_edges.numpy(), theirs.bin_edges.numpy())


# --- log_softmax in float16: PyTorch's roundings --------------------------------------------

def test_float16_log_softmax_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    for trial in range(150):
        # rows up to 12 long: longer ones PyTorch sums in vector lanes, in another order
        shape = tuple(int(v) for v in rng.integers(1, 13, int(rng.integers(1, 4))))
        dim = int(rng.integers(0, len(shape)))
        x = (rng.standard_normal(shape) * 4).astype(np.float16)
        np.testing.assert_array_equal(tg.tensor(x).log_softmax(dim).numpy(),
                                      torch.from_numpy(x).log_softmax(dim).numpy())


def test_log_softmax_gradient_unchanged_in_float64():
    x = tg.tensor(np.random.default_rng(2).standard_normal((3, 4)), requires_grad=True)
    assert tg.autograd.gradcheck(lambda t: t.log_softmax(1), (x,))
    assert tg.autograd.gradcheck(lambda t: t.log_softmax(0), (x,))


# --- prod's gradient for a 0-d input and empty slices ---------------------------------------

def test_prod_gradient_of_zero_dim_and_empty_inputs():
    x = tg.tensor(np.float64(-0.5), requires_grad=True)
    x.prod(0).backward()
    assert x.grad.item() == 1.0
    assert tg.autograd.gradcheck(lambda t: t.prod(0, keepdim=True), (x,))
    for shape, dim in (((0,), None), ((0,), 0), ((2, 0), 1), ((0, 3), 0)):
        empty = tg.zeros(*shape, dtype=tg.float64, requires_grad=True)
        out = empty.prod() if dim is None else empty.prod(dim, keepdim=True)
        out.sum().backward()
        assert empty.grad.shape == shape
    torch = pytest.importorskip("torch")
    their = torch.zeros(2, 0, dtype=torch.float64, requires_grad=True)
    their.prod(1).sum().backward()
    assert tuple(their.grad.shape) == (2, 0)


# --- kl_div: xlogy(target, target) - target * input, as PyTorch -----------------------------

def test_kl_div_matches_pytorch_for_zero_negative_and_nan_targets():
    torch = pytest.importorskip("torch")
    x = np.array([0.3, -0.2, 0.5, 0.1, -1.0])
    t = np.array([0.0, 0.4, -0.3, np.nan, 0.7])
    for reduction in ("none", "sum", "mean", "batchmean"):
        ours_x, ours_t = (tg.tensor(a, requires_grad=True) for a in (x, t))
        their_x, their_t = (torch.tensor(a, requires_grad=True) for a in (x, t))
        ours = tg.nn.functional.kl_div(ours_x, ours_t, reduction=reduction)
        with warnings.catch_warnings():  # PyTorch's notice that "mean" is not "batchmean"
            warnings.simplefilter("ignore", UserWarning)
            theirs = torch.nn.functional.kl_div(their_x, their_t, reduction=reduction)
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
        ours.sum().backward()
        theirs.sum().backward()
        # the same NaNs; values may differ in the last bit (order of accumulation)
        np.testing.assert_allclose(ours_x.grad.numpy(), their_x.grad.numpy(), rtol=1e-12)
        np.testing.assert_allclose(ours_t.grad.numpy(), their_t.grad.numpy(), rtol=1e-12)


def test_kl_div_gradcheck_for_positive_targets():
    rng = np.random.default_rng(3)
    x = tg.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    t = tg.tensor(rng.uniform(0.1, 1.0, (3, 4)), requires_grad=True)
    assert tg.autograd.gradcheck(lambda a, b: tg.nn.functional.kl_div(a, b, reduction="sum"), (x, t))


@pytest.mark.parametrize("dtype,large", [("float16", 11.5), ("float32", 100.0), ("float64", 1e3)])
def test_elu_gradient_of_a_large_input_is_one_not_nan(dtype, large):
    """elu's exponential overflowed for a large input (float16 past 11.1, float32 past 88.7):
    the discarded branch of where sent 0 * inf = nan into the gradient."""
    x = tg.tensor(np.array([-2.0, 0.0, 0.5, large], dtype=dtype), requires_grad=True)
    tg.nn.functional.elu(x, alpha=1.5).sum().backward()
    expected = np.array([1.5 * np.exp(-2.0), 1.5, 1.0, 1.0]).astype(dtype)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-3)
    y = tg.tensor(np.array([-1.3, -0.2, 0.4, 2.0]), requires_grad=True)
    assert tg.autograd.gradcheck(lambda t: tg.nn.functional.elu(t, alpha=0.7), (y,))


def test_linspace_finer_than_float32_resolution_matches_pytorch():
    """Steps below float32's resolution put many values exactly halfway in float64: the exact
    sums among them round once correctly without the slow exact-fraction path."""
    torch = pytest.importorskip("torch")
    for k in (10, 15):
        ours = tg.linspace(1, 1 + 2.0 ** (k - 24), 2 ** k + 1)
        theirs = torch.linspace(1, 1 + 2.0 ** (k - 24), 2 ** k + 1)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_xlogy_gradient_in_x_at_zero_is_log_y_as_pytorch_2_13():
    """PyTorch's formula is ``xlogy(grad, y)`` masked to 0 only where ``x == 0`` and
    ``y <= 0``: at ``x = 0`` and a positive ``y`` the gradient is ``log(y)`` (it was 0 here)."""
    xs = [0.0, 0.0, 0.0, 1.0, 1.0, 2.0, -1.0, 0.0]
    ys = [2.0, 0.0, -1.0, 0.0, float("inf"), 3.0, -2.0, float("inf")]
    weights = [1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 2.0, 1.0]
    x = tg.tensor(xs, dtype=tg.float64, requires_grad=True)
    y = tg.tensor(ys, dtype=tg.float64, requires_grad=True)
    (tg.xlogy(x, y) * tg.tensor(weights, dtype=tg.float64)).sum().backward()
    expected = [np.log(2.0), 0.0, 0.0, -np.inf, np.inf, 0.0, np.nan, np.inf]
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_clamp_gradient_outside_the_bounds_is_zero_even_for_a_nan_incoming_gradient():
    """PyTorch selects the incoming gradient inside the bounds; a product with the mask let a
    NaN or infinite gradient through as NaN where the input was clamped."""
    a = tg.tensor([-1.0, 0.5, 3.0], dtype=tg.float64, requires_grad=True)
    weights = tg.tensor([float("nan"), 1.0, float("inf")], dtype=tg.float64)
    (a.clamp(0, 1) * weights).sum().backward()
    assert a.grad.tolist() == [0.0, 1.0, 0.0]


def test_new_factories_take_size_by_keyword_and_where_takes_the_condition_alone():
    """``x.new_zeros(size=(2, 3))`` and ``torch.where(mask)`` (the indices of the true
    elements, as ``nonzero(as_tuple=True)``) raised TypeError; PyTorch accepts both."""
    x = tg.ones(2)
    assert x.new_zeros(size=(2, 3)).shape == (2, 3)
    assert x.new_ones(size=(1, 2)).tolist() == [[1.0, 1.0]]
    assert x.new_empty(size=(4,)).shape == (4,)
    rows, cols = tg.where(tg.tensor([[True, False], [False, True]]))
    assert rows.tolist() == [0, 1] and cols.tolist() == [0, 1]
    with pytest.raises(TypeError, match=r"where\(\) received an invalid combination of "
                                        r"arguments - got \(Tensor, Tensor\)"):
        tg.where(tg.tensor([True]), tg.ones(1))

"""Tensor attributes, dtype inference and promotion, conversions, printing, creation functions
and seeding."""

import warnings

import numpy as np
import pytest

import tinygrad_bn as tg


def test_attributes_of_a_leaf():
    x = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert isinstance(x.detach().numpy(), np.ndarray)
    assert x.shape == (2, 3) and x.ndim == 2 and x.dim() == 2
    assert x.size() == (2, 3) and x.size(1) == 3 and x.size(-2) == 2
    assert x.numel() == 6 and len(x) == 2
    assert x.dtype == tg.float32 and x.dtype == np.float32
    assert x.grad is None and x.grad_fn is None and x.is_leaf and x.requires_grad
    assert x.T.shape == (3, 2)
    assert x.detach().numpy() is x.detach().numpy()
    assert x.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert np.asarray(x.detach()) is x.detach().numpy()
    assert x.to("cpu") is x and str(x.device) == "cpu" and x.device == tg.device("cpu")


def test_item_and_python_conversions():
    t = tg.tensor([[2.5]])
    assert t.item() == 2.5 and isinstance(t.item(), float)
    assert float(t) == 2.5 and int(t) == 2 and bool(t)
    assert tg.tensor(3).item() == 3 and isinstance(tg.tensor(3).item(), int)
    assert [10, 20, 30][tg.tensor(1)] == 20


def test_iteration_yields_rows():
    rows = list(tg.tensor([[1, 2], [3, 4]]))
    assert [r.tolist() for r in rows] == [[1, 2], [3, 4]]


@pytest.mark.parametrize(
    "data, dtype",
    [
        (1.5, tg.float32),
        ([1.0, 2.0], tg.float32),
        ([1, 2.5], tg.float32),
        (3, tg.int64),
        ([1, 2], tg.int64),
        (True, tg.bool),
        ([True, False], tg.bool),
        (np.array([1.0, 2.0]), tg.float64),  # NumPy arrays keep their dtype
        (np.array([1.0], dtype=np.float32), tg.float32),
        (np.array([1, 2], dtype=np.int32), tg.int32),  # arrays keep their dtype
        (np.array([1, 2], dtype=np.uint8), tg.uint8),
        (np.array([1.0], dtype=np.float16), tg.float16),
        (np.array([1, 2], dtype=np.uint32), tg.int64),  # PyTorch has no arithmetic on uint32
        (np.float64(2.0), tg.float64),
    ],
)
def test_dtype_inference(data, dtype):
    assert tg.tensor(data).dtype == dtype
    assert tg.Tensor(data).dtype == dtype


def test_explicit_dtype_and_default_dtype():
    assert tg.tensor([1, 2], dtype=tg.float64).dtype == tg.float64
    assert tg.tensor([1.7], dtype=tg.int64).tolist() == [1]
    tg.set_default_dtype(tg.float64)
    assert tg.get_default_dtype() == tg.float64
    assert tg.tensor([1.0]).dtype == tg.float64
    assert tg.randn(2).dtype == tg.float64 and tg.zeros(2).dtype == tg.float64
    assert (tg.tensor([1, 2]) / 2).dtype == tg.float64


def test_tensor_copies_its_data():
    a = np.array([1.0, 2.0])
    t = tg.tensor(a)
    a[0] = 100
    assert t.tolist() == [1.0, 2.0]
    shared = tg.from_numpy(a)
    a[1] = 7
    assert shared.tolist() == [100.0, 7.0]


@pytest.mark.parametrize(
    "a_dtype, b, expected",
    [
        (tg.float32, tg.tensor([1.0], dtype=tg.float64), tg.float64),  # NumPy float promotion
        (tg.float64, tg.tensor([1.0]), tg.float64),
        (tg.float32, tg.tensor([1]), tg.float32),  # an int tensor takes the float's dtype
        (tg.int64, tg.tensor([1.0]), tg.float32),
        (tg.int64, tg.tensor([True]), tg.int64),
        (tg.float32, 2.5, tg.float32),  # a Python scalar never widens a tensor
        (tg.float32, 2, tg.float32),
        (tg.float64, 2.5, tg.float64),
        (tg.int64, 2, tg.int64),
        (tg.int64, 2.5, tg.float32),
        (tg.bool, 2, tg.int64),
        (tg.float32, np.float64(2.5), tg.float32),
    ],
)
def test_binary_op_dtype_promotion(a_dtype, b, expected):
    a = tg.ones(2, dtype=a_dtype)
    assert (a * b).dtype == expected
    assert (b * a).dtype == expected


def test_mixed_precision_gradients_come_back_in_each_inputs_dtype():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 4.0], dtype=tg.float64, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == tg.float32 and b.grad.dtype == tg.float64
    np.testing.assert_array_equal(a.grad.detach().numpy(), [3.0, 4.0])


def test_ndarray_on_the_left_defers_to_the_tensor():
    out = np.array([1.0, 2.0]) * tg.tensor([3.0, 4.0], requires_grad=True)
    assert isinstance(out, tg.Tensor) and out.requires_grad
    assert out.dtype == tg.float64 and out.tolist() == [3.0, 8.0]  # an f64 array is an f64 tensor


def test_comparisons_and_argmax_make_non_differentiable_results():
    x = tg.tensor([[1.0, 5.0, 3.0], [7.0, 0.0, 2.0]], requires_grad=True)
    for result in (x > 2, x >= 2, x < 2, x <= 2, x == 3, x != 3):
        assert result.dtype == tg.bool and not result.requires_grad
    assert (x > 2).tolist() == [[False, True, True], [True, False, False]]
    assert x.argmax().item() == 3 and x.argmin().item() == 4
    assert x.argmax(dim=1).tolist() == [1, 0]
    assert x.argmin(dim=0, keepdim=True).tolist() == [[0, 1, 1]]
    assert tg.argmax(x, dim=1).dtype == tg.int64


def test_max_returns_values_and_indices_like_pytorch():
    x = tg.tensor([[1.0, 5.0], [7.0, 0.0]])
    result = x.max(dim=1)
    values, indices = result
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert result.values is values and result.indices is indices
    assert x.min(dim=0).values.tolist() == [1.0, 0.0]
    assert x.max().item() == 7.0 and tg.max(x).item() == 7.0


def test_var_and_std_conventions():
    data = np.array([[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]])
    x = tg.tensor(data)
    np.testing.assert_allclose(x.var().item(), data.var(ddof=1), rtol=1e-6)
    np.testing.assert_allclose(x.var(dim=1, unbiased=False).detach().numpy(), data.var(axis=1), rtol=1e-6)
    np.testing.assert_allclose(x.var(dim=0, correction=0).detach().numpy(), data.var(axis=0), rtol=1e-6)
    np.testing.assert_allclose(x.std(dim=1).detach().numpy(), data.std(axis=1, ddof=1), rtol=1e-6)


def test_repr_follows_pytorch():
    assert repr(tg.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(tg.tensor([1.5, 2.25])) == "tensor([1.5000, 2.2500])"
    assert repr(tg.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(tg.tensor([True])) == "tensor([True])"
    assert repr(tg.tensor([True, False])) == "tensor([ True, False])"
    assert repr(tg.tensor([1.5], dtype=tg.float64)) == "tensor([1.5000], dtype=torch.float64)"
    assert repr(tg.tensor(2.0, requires_grad=True)) == "tensor(2., requires_grad=True)"
    x = tg.tensor([1.0], requires_grad=True)
    assert repr(x * 2) == "tensor([2.], grad_fn=<Mul>)"
    assert "\n" in repr(tg.ones(2, 2))


def test_creation_functions():
    assert tg.zeros(2, 3).tolist() == [[0.0] * 3] * 2
    assert tg.zeros((2, 3)).shape == (2, 3) and tg.ones([4]).shape == (4,)
    assert tg.ones(2, dtype=tg.int64).dtype == tg.int64
    assert tg.empty(3).shape == (3,)
    assert tg.full((2,), 7).dtype == tg.int64 and tg.full((2,), 7).tolist() == [7, 7]
    assert tg.full((2,), 0.5).dtype == tg.float32
    assert tg.full((1,), True).dtype == tg.bool
    assert tg.arange(4).tolist() == [0, 1, 2, 3] and tg.arange(4).dtype == tg.int64
    assert tg.arange(1, 2, 0.5).tolist() == [1.0, 1.5] and tg.arange(0.0, 2).dtype == tg.float32
    assert tg.arange(5, 0, -2).tolist() == [5, 3, 1]
    assert tg.linspace(0, 1, 3).tolist() == [0.0, 0.5, 1.0]
    assert tg.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    x = tg.randn(2, 3, dtype=tg.float64)
    assert tg.zeros_like(x).dtype == tg.float64 and tg.ones_like(x).tolist() == [[1.0] * 3] * 2
    assert tg.full_like(x, 3.0).tolist() == [[3.0] * 3] * 2
    assert tg.zeros(2, requires_grad=True).requires_grad


def test_random_functions_draw_reproducibly_from_manual_seed():
    tg.manual_seed(42)
    first = (tg.randn(3, 4), tg.rand(5), tg.randint(0, 5, (6,)), tg.randint(3, (2,)), tg.randperm(7))
    tg.manual_seed(42)
    second = (tg.randn(3, 4), tg.rand(5), tg.randint(0, 5, (6,)), tg.randint(3, (2,)), tg.randperm(7))
    for a, b in zip(first, second):
        assert a.tolist() == b.tolist() and a.dtype == b.dtype
    randn, rand, labels, small, perm = first
    assert randn.dtype == tg.float32 and rand.dtype == tg.float32
    assert labels.dtype == tg.int64 and set(labels.tolist()) <= set(range(5))
    assert set(small.tolist()) <= {0, 1, 2}
    assert sorted(perm.tolist()) == list(range(7))
    assert np.all((rand.detach().numpy() >= 0) & (rand.detach().numpy() < 1))


def test_a_generator_object_is_independent_of_the_global_seed():
    g = tg.Generator().manual_seed(7)
    a = tg.randn(3, generator=g)
    tg.manual_seed(123)
    b = tg.randn(3, generator=tg.Generator().manual_seed(7))
    assert a.tolist() == b.tolist()
    assert g.initial_seed() == 7


def test_random_statistics_are_plausible():
    tg.manual_seed(0)
    x = tg.randn(100_000, dtype=tg.float64)
    assert abs(x.mean().item()) < 0.02 and abs(x.std().item() - 1) < 0.02


def test_in_place_helpers_write_outside_autograd():
    x = tg.ones(3)
    assert x.zero_() is x and x.tolist() == [0.0] * 3
    x.fill_(2.0)
    x.copy_(tg.tensor([1.0, 2.0, 3.0]))
    assert x.tolist() == [1.0, 2.0, 3.0]


def test_module_level_functions_match_methods():
    x = tg.randn(3, 4)
    pairs = [
        (tg.exp(x), x.exp()),
        (tg.sum(x, dim=1), x.sum(dim=1)),
        (tg.softmax(x, dim=1), x.softmax(dim=1)),
        (tg.transpose(x, 0, 1), x.transpose(0, 1)),
        (tg.clamp(x, min=0), x.clamp(min=0)),
    ]
    for a, b in pairs:
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_ops_on_tensors_without_grad_build_no_graph():
    x, y = tg.randn(3), tg.randn(3)
    out = (x * y).exp().sum()
    assert out.grad_fn is None and not out.requires_grad


@pytest.mark.parametrize("data", [1e6, [1e6, 1.0], np.array([1e6]), -1e300])
def test_a_value_too_large_for_float16_becomes_inf_without_a_warning(data):
    """PyTorch gives inf silently; NumPy's cast warns. The test turns warnings into errors
    itself, so the silence holds under pytest's own warning capture."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = tg.tensor(data, dtype=tg.float16)
    assert np.isinf(t.numpy()).any()

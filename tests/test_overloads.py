"""The argument forms and overloads real programs use (issue 24, item 4): each one checked
against PyTorch when it is installed, its gradient checked in float64 by finite differences,
and each error path it adds asserting PyTorch's message."""

import math
import re
import warnings

import numpy as np
import pytest

import tinygrad_bn as tg


def _torch():
    return pytest.importorskip("torch")


def _raises_in_both(call, error, message):
    """``call(tinygrad_bn)``, then ``call(torch)``, each raise ``error`` with exactly ``message``."""
    with pytest.raises(error, match="^" + re.escape(message) + "$"):
        call(tg)
    torch = _torch()
    with pytest.raises(error, match="^" + re.escape(message) + "$"):
        call(torch)


def _both(values, dtype="float64", requires_grad=False):
    """The same values as a tinygrad_bn tensor and (when installed) a PyTorch tensor."""
    torch = _torch()
    array = np.asarray(values, dtype=dtype)
    ours = tg.tensor(array, requires_grad=requires_grad)
    theirs = torch.tensor(array, requires_grad=requires_grad)
    return ours, theirs


def _assert_same(ours, theirs, **tolerances):
    assert str(ours.dtype).replace("tinygrad_bn.", "") == str(theirs.dtype).replace("torch.", "")
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **tolerances)


# ---------------------------------------------------------------- flip

@pytest.mark.parametrize("call", [
    lambda lib, x: lib.flip(x, dims=(0, 2)),
    lambda lib, x: x.flip(dims=[-1]),
    lambda lib, x: x.flip((1, 0)),
    lambda lib, x: x.flip(2, 0),
    lambda lib, x: x.flip(dims=()),
])
def test_flip_dims_forms_match_pytorch(call):
    torch = _torch()
    values = np.arange(24.0).reshape(2, 3, 4)
    ours, theirs = _both(values, requires_grad=True)
    _assert_same(call(tg, ours), call(torch, theirs))
    assert tg.gradcheck(lambda t: call(tg, t), ours)


def test_flip_refuses_missing_and_repeated_dims():
    x = tg.ones(2, 3)
    with pytest.raises(TypeError, match='flip\\(\\) missing 1 required positional arguments: '
                                        '"dims"'):
        x.flip()
    with pytest.raises(TypeError, match="flip\\(\\) got multiple values for argument 'dims'"):
        x.flip(0, dims=(1,))
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times in the list of dims"):
        x.flip(dims=(0, -2))


# ---------------------------------------------------------------- gather, scatter, scatter_add

INDEX = [[1, 0, 4], [3, 3, 0]]  # repeated positions along dim 0 of a (5, 3) tensor


def _index(lib, values, dtype="int64"):
    return lib.tensor(values, dtype=getattr(lib, dtype))


@pytest.mark.parametrize("dtype", ["int32", "int64"])
@pytest.mark.parametrize("call", [
    lambda lib, x, i, s: lib.gather(x, 0, i),
    lambda lib, x, i, s: x.gather(1, i[:, :2] % 3, sparse_grad=True),
    lambda lib, x, i, s: lib.scatter(x, 0, i, s),
    lambda lib, x, i, s: x.scatter(0, i, value=-2.5),
    lambda lib, x, i, s: lib.scatter_add(x, 0, i, s),
])
def test_gather_and_scatter_take_int32_and_int64_indices_as_pytorch(dtype, call):
    torch = _torch()
    values = np.random.default_rng(0).standard_normal((5, 3))
    ours, theirs = _both(values, requires_grad=True)
    src = np.random.default_rng(1).standard_normal((2, 3))
    our_src, their_src = _both(src, requires_grad=True)
    args = (_index(tg, INDEX, dtype), our_src)
    _assert_same(call(tg, ours, *args), call(torch, theirs, _index(torch, INDEX, dtype), their_src))
    assert tg.gradcheck(lambda x, s: call(tg, x, args[0], s), (ours, our_src))


@pytest.mark.parametrize("self_shape, index, src_shape", [
    ((), 0, ()), ((), [0], (1,)), ((), [0, 0], (2,)), ((1,), 0, ()),
])
def test_zero_dim_tensors_count_as_one_dim_of_size_one(self_shape, index, src_shape):
    torch = _torch()
    ours, theirs = _both(np.full(self_shape, 1.5), requires_grad=True)
    our_src, their_src = _both(np.full(src_shape, -3.0), requires_grad=True)
    our_index, their_index = tg.tensor(index), torch.tensor(index)
    _assert_same(tg.gather(ours, 0, our_index), torch.gather(theirs, 0, their_index))
    _assert_same(tg.scatter(ours, -1, our_index, 7.0), torch.scatter(theirs, -1, their_index, 7.0))
    assert tg.gradcheck(lambda x: x.gather(0, our_index), ours)
    if len(np.shape(index)) <= len(src_shape) or np.size(index) == 1:
        _assert_same(ours.scatter_add(0, our_index, our_src),
                     theirs.scatter_add(0, their_index, their_src))
        assert tg.gradcheck(lambda x, s: x.scatter_add(0, our_index, s), (ours, our_src))


def test_an_empty_index_of_any_dtype_is_not_checked_further():
    torch = _torch()
    ours, theirs = _both(np.arange(6.0).reshape(2, 3))
    for dtype in ("uint8", "int16", "float32", "bool"):
        _assert_same(ours.gather(0, tg.zeros((0, 7), dtype=getattr(tg, dtype))),
                     theirs.gather(0, torch.zeros((0, 7), dtype=getattr(torch, dtype))))
        _assert_same(ours.scatter(0, tg.zeros(0, dtype=getattr(tg, dtype)), 1.0),
                     theirs.scatter(0, torch.zeros(0, dtype=getattr(torch, dtype)), 1.0))


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "uint8", "bool"])
@pytest.mark.parametrize("reduce", ["add", "multiply"])
@pytest.mark.parametrize("tensor_src", [False, True])
def test_scatter_reduce_adds_or_multiplies_repeated_positions_as_pytorch(dtype, reduce,
                                                                         tensor_src):
    torch = _torch()
    rng = np.random.default_rng(2)
    ours, theirs = _both(rng.integers(0, 3, (5, 3)), dtype=dtype)
    src = rng.integers(0, 3, (2, 4)) if tensor_src else 2.5
    our_src, their_src = _both(src, dtype=dtype) if tensor_src else (src, src)
    with warnings.catch_warnings():  # PyTorch's deprecation of a tensor src: tested below
        warnings.simplefilter("ignore")
        ours_result = tg.scatter(ours, 0, tg.tensor(INDEX), our_src, reduce=reduce)
        theirs_result = torch.scatter(theirs, 0, torch.tensor(INDEX), their_src, reduce=reduce)
    _assert_same(ours_result, theirs_result)


def test_scatter_reduce_has_no_derivative_as_in_pytorch():
    x = tg.ones(5, 3, dtype=tg.float64, requires_grad=True)
    y = x.scatter(0, tg.tensor(INDEX), 2.0, reduce="multiply")
    assert y.requires_grad
    with pytest.raises(RuntimeError, match="^derivative for aten::scatter is not implemented$"):
        y.sum().backward()


def test_scatter_reduce_with_a_tensor_src_warns_as_pytorch(monkeypatch):
    from tinygrad_bn.tensor import indexing
    monkeypatch.setitem(indexing._warned, "scatter reduce", False)
    with pytest.warns(UserWarning, match="The reduce argument of torch.scatter with Tensor src "
                                         "is deprecated") as record:
        tg.zeros(5, 3).scatter(0, tg.tensor(INDEX), tg.ones(2, 3), reduce="add")
    assert record[0].filename == __file__


@pytest.mark.parametrize("call, error, message", [
    (lambda lib: lib.zeros(5, 3).gather(0, lib.tensor([[-1, 0]])), RuntimeError,
     "index -1 is out of bounds for dimension 0 with size 5"),
    (lambda lib: lib.zeros(5, 3).scatter(0, lib.tensor([[0, 5]]), 1.0), RuntimeError,
     "index 5 is out of bounds for dimension 0 with size 5"),
    (lambda lib: lib.zeros(5, 3).gather(0, lib.tensor([[1]], dtype=lib.int16)), RuntimeError,
     "gather(): Expected dtype int32/int64 for index"),
    (lambda lib: lib.zeros(5, 3).scatter_add(0, lib.tensor([[1]], dtype=lib.uint8),
                                             lib.ones(1, 1)), RuntimeError,
     "scatter(): Expected dtype int32/int64 for index"),
    (lambda lib: lib.zeros(5, 3).gather(0, lib.tensor([1])), RuntimeError,
     "Index tensor must have the same number of dimensions as input tensor"),
    (lambda lib: lib.zeros(5, 3).scatter(0, lib.tensor([1]), 1.0), RuntimeError,
     "Index tensor must have the same number of dimensions as self tensor"),
    (lambda lib: lib.zeros(5, 3).scatter(0, lib.tensor([[1]]), lib.ones(1, 1, 1)), RuntimeError,
     "Index tensor must have the same number of dimensions as src tensor"),
    (lambda lib: lib.zeros(5, 3).gather(0, lib.tensor([[1, 1, 1, 1]])), RuntimeError,
     "Size does not match at dimension 1 expected index [1, 4] to be no larger than self [5, 3] "
     "apart from dimension 0"),
    (lambda lib: lib.zeros(5, 3).scatter_add(0, lib.tensor([[1, 1]]), lib.ones(2, 1)),
     RuntimeError, "Expected index [1, 2] to be no larger than self [5, 3] apart from dimension "
                   "0 and to be no larger size than src [2, 1]"),
    (lambda lib: lib.zeros(5, 3).scatter(0, lib.tensor([[1, 1, 1, 1]]), 1.0), RuntimeError,
     "Expected index [1, 4] to be no larger than self [5, 3] apart from dimension 0"),
    (lambda lib: lib.zeros(5, 3).scatter(0, lib.tensor([[1]]), 1.0, reduce="mean"),
     RuntimeError, "reduce argument must be either add or multiply."),
    (lambda lib: lib.zeros(5, 3).scatter(0, lib.tensor([[1]]), lib.ones(1, 1, dtype=lib.int64)),
     RuntimeError, "scatter(): Expected self.dtype to be equal to src.dtype"),
])
def test_gather_and_scatter_errors_are_pytorchs(call, error, message):
    _raises_in_both(call, error, message)


def test_scatter_takes_exactly_one_of_src_and_value():
    with pytest.raises(TypeError, match="^scatter\\(\\) received an invalid combination of "
                                        "arguments"):
        tg.zeros(5, 3).scatter(0, tg.tensor([[1]]))
    with pytest.raises(TypeError, match="^gather\\(\\): argument 'index' \\(position 3\\) must be "
                                        "Tensor, not list$"):
        tg.zeros(5, 3).gather(0, [[1]])


# ---------------------------------------------------------------- singular values and norms

def _matrices(*shape, seed=3):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 3), (3, 5), (2, 1, 5, 2)])
def test_svdvals_matches_pytorch_and_its_gradient_is_u_diag_g_vh(shape):
    torch = _torch()
    ours, theirs = _both(_matrices(*shape), requires_grad=True)
    _assert_same(tg.linalg.svdvals(ours), torch.linalg.svdvals(theirs), rtol=1e-10)
    assert tg.gradcheck(tg.linalg.svdvals, ours)
    g = np.random.default_rng(4).standard_normal(tuple(tg.linalg.svdvals(ours).shape))
    tg.linalg.svdvals(ours).backward(tg.tensor(g))
    torch.linalg.svdvals(theirs).backward(torch.tensor(g))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("ord", [2, -2, "nuc"])
@pytest.mark.parametrize("dim, keepdim", [((-2, -1), False), ((0, 2), True), ((2, 0), False)])
def test_matrix_norms_of_singular_values_match_pytorch(ord, dim, keepdim):
    torch = _torch()
    ours, theirs = _both(_matrices(3, 2, 4), requires_grad=True)
    call = lambda lib, x: lib.linalg.matrix_norm(x, ord, dim, keepdim)  # noqa: E731
    _assert_same(call(tg, ours), call(torch, theirs), rtol=1e-10)
    assert tg.gradcheck(lambda x: call(tg, x), ours)
    _assert_same(tg.linalg.norm(ours, ord, dim, keepdim), torch.linalg.norm(theirs, ord, dim,
                                                                            keepdim), rtol=1e-10)


@pytest.mark.parametrize("ord", [2, -2, "nuc"])
def test_matrix_norm_subgradient_at_zero_is_pytorchs(ord):
    torch = _torch()
    ours, theirs = _both(np.zeros((2, 3, 3)), requires_grad=True)
    tg.linalg.matrix_norm(ours, ord).sum().backward()
    torch.linalg.matrix_norm(theirs, ord).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("shape", [(0, 0), (5, 0), (0, 5)])
@pytest.mark.parametrize("ord", [1, math.inf, 2, "nuc", "fro"])
def test_largest_matrix_norms_of_no_entries_are_zero(shape, ord):
    torch = _torch()
    ours, theirs = _both(np.zeros(shape))
    _assert_same(tg.linalg.matrix_norm(ours, ord), torch.linalg.matrix_norm(theirs, ord))


def test_torch_norm_with_a_string_p_is_a_matrix_norm():
    torch = _torch()
    ours, theirs = _both(_matrices(2, 3, 4), requires_grad=True)
    for p, dim in (("nuc", (1, 2)), ("nuc", (0, -1)), ("fro", (0, 1)), ("fro", None)):
        _assert_same(ours.norm(p, dim), theirs.norm(p, dim), rtol=1e-10)
    assert tg.gradcheck(lambda x: x.norm("nuc", (0, 2), keepdim=True), ours)


def test_float16_vector_norms_sum_in_float32():
    torch = _torch()
    values = np.full(600, 20.0)  # the sum of squares, 240000, overflows float16
    ours, theirs = _both(values, dtype="float16")
    for ord in (2, 3, 1, math.inf):
        _assert_same(tg.linalg.vector_norm(ours, ord), torch.linalg.vector_norm(theirs, ord))


@pytest.mark.parametrize("call, error, message", [
    (lambda lib: lib.linalg.matrix_norm(lib.ones(2, 2, dtype=lib.float16), "nuc"), RuntimeError,
     "linalg.matrix_norm: Low precision dtypes not supported. Got Half"),
    (lambda lib: lib.linalg.svdvals(lib.ones(2, 2, dtype=lib.float16)), NotImplementedError,
     "\"linalg_svd_cpu\" not implemented for 'Half'"),
    (lambda lib: lib.linalg.svdvals(lib.ones(2, 2, dtype=lib.int64)), RuntimeError,
     "linalg.svd: Expected a floating point or complex tensor as input. Got Long"),
    (lambda lib: lib.linalg.svdvals(lib.ones(2)), RuntimeError,
     "linalg.svd: The input tensor A must have at least 2 dimensions."),
    (lambda lib: lib.linalg.svdvals(lib.ones(2, 2), driver="gesvd"), RuntimeError,
     "torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with "
     "cuSOLVER backend."),
    (lambda lib: lib.ones(2, 2, 2).norm("nuc"), RuntimeError,
     "linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2"),
    (lambda lib: lib.ones(2, 2).norm("abc"), RuntimeError,
     "linalg.matrix_norm: Order abc not supported."),
])
def test_norm_errors_are_pytorchs(call, error, message):
    _raises_in_both(call, error, message)


def test_smallest_matrix_norm_of_no_entries_is_refused():
    """PyTorch names the dim as given (-1) where tinygrad_bn's amin names it normalised."""
    with pytest.raises(IndexError, match=r"^amin\(\): Expected reduction dim (-1|0) to have "
                                         r"non-zero size\.$"):
        tg.linalg.matrix_norm(tg.ones(0, 3), -2)


# ---------------------------------------------------------------- round(decimals=), zero_, 0-d dims

@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("decimals", [0, 2, 3, -1, -3, 10, -40])
def test_round_decimals_matches_pytorch(dtype, decimals):
    torch = _torch()
    values = [1.2345, 2.5, -2.5, 1234.5, 1500.0, 2500.0, 0.0125, -0.0125, 1e30, 0.0]
    if dtype == "float16":  # 1e30 is inf there
        values = values[:8]
    ours, theirs = _both(values, dtype=dtype, requires_grad=True)
    _assert_same(tg.round(ours, decimals=decimals), torch.round(theirs, decimals=decimals),
                 rtol=1e-6 if dtype != "float16" else 1e-3)
    if dtype == "float64":
        ours.round(decimals=decimals).sum().backward()
        assert not ours.grad.numpy().any()  # piecewise constant: zero, as PyTorch's
        assert tg.gradcheck(lambda x: x.round(decimals=2) + x, tg.tensor([0.123, -4.5678],
                                                                         dtype=tg.float64,
                                                                         requires_grad=True))


def test_round_decimals_refuses_integers_and_the_in_place_form_takes_it():
    for dtype, name in ((tg.int64, "Long"), (tg.uint8, "Byte"), (tg.bool, "Bool")):
        with pytest.raises(NotImplementedError,
                           match=f"^\"round_vml_cpu\" not implemented for '{name}'$"):
            tg.ones(2, dtype=dtype).round(decimals=0)
        with pytest.raises(NotImplementedError, match=f"^\"round_cpu\" not implemented for "
                                                      f"'{name}'$"):
            tg.ones(2, dtype=dtype).round(decimals=2)
    assert tg.tensor([3, 4]).round().tolist() == [3, 4]
    x = tg.tensor([1.26, -3.14159])
    assert x.round_(decimals=1) is x and np.allclose(x.numpy(), [1.3, -3.1])


def test_zero_function_form_writes_in_place():
    torch = _torch()
    ours, theirs = _both(np.arange(6.0).reshape(2, 3))
    assert tg.zero_(ours) is ours and ours._version == 1
    _assert_same(ours, torch.zero_(theirs))


@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_and_argmax_over_dim_of_a_0d_tensor(dim, keepdim):
    torch = _torch()
    ours, theirs = _both(2.5, requires_grad=True)
    for name in ("max", "min"):
        our_pair = getattr(ours, name)(dim, keepdim)
        their_pair = getattr(theirs, name)(dim, keepdim)
        _assert_same(our_pair.values, their_pair.values)
        _assert_same(our_pair.indices, their_pair.indices)
        assert tg.gradcheck(lambda x: getattr(x, name)(dim, keepdim).values, ours)
    _assert_same(ours.argmax(dim, keepdim), theirs.argmax(dim, keepdim))
    _assert_same(ours.argmin(dim, keepdim), theirs.argmin(dim, keepdim))
    _assert_same(ours.transpose(dim, 0), theirs.transpose(dim, 0))
    assert tg.gradcheck(lambda x: x.transpose(0, dim) * 2, ours)
    with pytest.raises(IndexError, match=re.escape("Dimension out of range (expected to be in "
                                                   "range of [-1, 0], but got 1)")):
        ours.max(1)
    with pytest.raises(IndexError, match=re.escape("Dimension out of range (expected to be in "
                                                   "range of [-1, 0], but got -2)")):
        ours.transpose(0, -2)


# ---------------------------------------------------------------- embedding options

EMBEDDING_IDS = [[1, 1, 4], [0, 1, 4], [2, 0, 0]]


@pytest.mark.parametrize("options", [
    {"max_norm": 1.0}, {"max_norm": 1.5, "norm_type": 1.0}, {"max_norm": 0.5, "norm_type": 3.0},
    {"scale_grad_by_freq": True}, {"sparse": True},
    {"sparse": True, "scale_grad_by_freq": True, "padding_idx": 0, "max_norm": 1.0},
    {"padding_idx": -1, "scale_grad_by_freq": True},
])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_embedding_options_match_pytorch(options, dtype):
    torch = _torch()
    values = np.random.default_rng(5).standard_normal((5, 4))
    ours, theirs = _both(values, dtype=dtype, requires_grad=True)
    our_ids, their_ids = tg.tensor(EMBEDDING_IDS), torch.tensor(EMBEDDING_IDS)
    our_out = tg.nn.functional.embedding(our_ids, ours, **options)
    their_out = torch.nn.functional.embedding(their_ids, theirs, **options)
    _assert_same(our_out, their_out, rtol=1e-6)
    _assert_same(ours, theirs, rtol=1e-6)  # max_norm rescaled the same rows in place
    assert ours._version == theirs._version
    g = np.random.default_rng(6).standard_normal(tuple(our_out.shape))
    if options.get("sparse") and options.get("scale_grad_by_freq"):  # refused by both
        message = "embedding_backward: scale_grad_by_freq not supported with sparse gradients"
        for out, lib in ((our_out, tg), (their_out, torch)):
            with pytest.raises(RuntimeError, match=message):
                out.backward(lib.tensor(g.astype(dtype)))
        return
    our_out.backward(tg.tensor(g.astype(dtype)))
    their_out.backward(torch.tensor(g.astype(dtype)))
    assert ours.grad.is_sparse == theirs.grad.is_sparse
    our_grad = ours.grad.to_dense() if ours.grad.is_sparse else ours.grad
    their_grad = theirs.grad.to_dense() if theirs.grad.is_sparse else theirs.grad
    np.testing.assert_allclose(our_grad.numpy(), their_grad.numpy(), rtol=1e-6)


def test_embedding_gradient_scaled_by_frequency_is_the_gradient_over_the_counts():
    """scale_grad_by_freq is no derivative (gradcheck would refuse it by design): it is the
    true gradient, which gradcheck checks, divided by how often each row is picked."""
    weight = tg.tensor(np.random.default_rng(7).standard_normal((5, 3)), requires_grad=True)
    ids = tg.tensor(EMBEDDING_IDS, dtype=tg.int32)
    assert tg.gradcheck(lambda w: tg.nn.functional.embedding(ids, w), weight)
    g = tg.tensor(np.random.default_rng(8).standard_normal((3, 3, 3)))
    tg.nn.functional.embedding(ids, weight).backward(g)
    true_grad = weight.grad.numpy().copy()
    weight.grad = None
    tg.nn.functional.embedding(ids, weight, scale_grad_by_freq=True).backward(g)
    counts = np.maximum(np.bincount(np.ravel(EMBEDDING_IDS), minlength=5), 1)
    np.testing.assert_allclose(weight.grad.numpy(), true_grad / counts[:, None])


def test_nn_embedding_passes_its_options_to_the_function():
    torch = _torch()
    tg.manual_seed(0)
    ours = tg.nn.Embedding(5, 4, max_norm=1.0, scale_grad_by_freq=True, sparse=True).double()
    theirs = torch.nn.Embedding(5, 4, max_norm=1.0, scale_grad_by_freq=True, sparse=True).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.detach().numpy().copy()))
    _assert_same(ours(tg.tensor(EMBEDDING_IDS)), theirs(torch.tensor(EMBEDDING_IDS)))
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("call, error, message", [
    (lambda lib: lib.nn.functional.embedding(lib.tensor([[0]]), lib.zeros(3, 2, 2)),
     RuntimeError, "'weight' must be 2-D"),
    (lambda lib: lib.nn.functional.embedding(lib.tensor([[0]]), lib.zeros(3)),
     RuntimeError, "'weight' must be 2-D"),
    (lambda lib: lib.nn.functional.embedding(lib.tensor([[0]]), lib.zeros(3, 2), padding_idx=3),
     AssertionError, "Padding_idx must be within num_embeddings"),
    (lambda lib: lib.nn.functional.embedding(lib.tensor([[0]]), lib.zeros(3, 2), padding_idx=-4),
     AssertionError, "Padding_idx must be within num_embeddings"),
])
def test_embedding_errors_are_pytorchs(call, error, message):
    _raises_in_both(call, error, message)


# ---------------------------------------------------------------- scatter_reduce

REDUCE_INDEX = [[0, 2, 2], [2, 2, 0], [3, 1, 2]]  # repeats along dim 0 of a (4, 3) tensor


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_matches_pytorch_and_passes_gradcheck(reduce, include_self):
    torch = _torch()
    rng = np.random.default_rng(9)
    ours, theirs = _both(rng.uniform(0.5, 2, (4, 3)), requires_grad=True)
    our_src, their_src = _both(rng.uniform(0.5, 2, (3, 4)), requires_grad=True)
    call = lambda lib, x, s, i: lib.scatter_reduce(x, 0, i, s, reduce,  # noqa: E731
                                                   include_self=include_self)
    our_index = tg.tensor(REDUCE_INDEX)
    _assert_same(call(tg, ours, our_src, our_index),
                 call(torch, theirs, their_src, torch.tensor(REDUCE_INDEX)), rtol=1e-12)
    assert tg.gradcheck(lambda x, s: call(tg, x, s, our_index), (ours, our_src))


@pytest.mark.parametrize("reduce, self_values, src_values", [
    ("prod", [[0.0, 2, 3], [1, 0, 2], [2, 2, 2], [1, 1, 1]],
     [[0.0, 3, 0], [2, 0, 0], [5, 1, 4]]),  # one zero and two zeros at a position
    ("amax", [[1.0, 2, 3], [1, 2, 3], [2, 2, 2], [1, 1, 1]],
     [[2.0, 2, 3], [2, 2, 3], [2, 2, 1]]),  # ties between self and src
    ("amin", [[1.0, 2, 3], [1, 2, 3], [2, 2, 2], [1, 1, 1]],
     [[1.0, 2, 3], [1, 2, 3], [1, 2, 3]]),
])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_gradients_at_zeros_and_ties_are_pytorchs(reduce, self_values,
                                                                 src_values, include_self):
    torch = _torch()
    ours, theirs = _both(self_values, requires_grad=True)
    our_src, their_src = _both(src_values, requires_grad=True)
    g = np.random.default_rng(10).standard_normal((4, 3))
    tg.scatter_reduce(ours, 0, tg.tensor(REDUCE_INDEX), our_src, reduce,
                      include_self=include_self).backward(tg.tensor(g))
    torch.scatter_reduce(theirs, 0, torch.tensor(REDUCE_INDEX), their_src, reduce,
                         include_self=include_self).backward(torch.tensor(g))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(our_src.grad.numpy(), their_src.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("dtype", ["int64", "uint8", "bool", "float16"])
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_scatter_reduce_on_other_dtypes_matches_pytorch(dtype, reduce):
    torch = _torch()
    if dtype == "bool" and reduce == "mean":
        with pytest.raises(NotImplementedError, match=re.escape(
                '"scatter_gather_tensor_cpu_reduce_mean" not implemented for \'Bool\'')):
            tg.ones(4, 3, dtype=tg.bool).scatter_reduce(0, tg.tensor(REDUCE_INDEX),
                                                        tg.ones(3, 3, dtype=tg.bool), "mean")
        return
    rng = np.random.default_rng(11)
    ours, theirs = _both(rng.integers(0, 7, (4, 3)), dtype=dtype)
    our_src, their_src = _both(rng.integers(0, 7, (3, 3)), dtype=dtype)
    for include_self in (True, False):
        _assert_same(ours.scatter_reduce(0, tg.tensor(REDUCE_INDEX), our_src, reduce,
                                         include_self=include_self),
                     theirs.scatter_reduce(0, torch.tensor(REDUCE_INDEX), their_src, reduce,
                                           include_self=include_self))


def test_scatter_reduce_in_place_and_its_errors():
    torch = _torch()
    ours, theirs = _both(np.ones((4, 3)))
    our_src, their_src = _both(np.full((3, 3), 2.0))
    assert ours.scatter_reduce_(0, tg.tensor(REDUCE_INDEX), our_src, "prod") is ours
    _assert_same(ours, theirs.scatter_reduce_(0, torch.tensor(REDUCE_INDEX), their_src, "prod"))
    for lib in (tg, torch):
        with pytest.raises(RuntimeError, match="^reduce argument must be either sum, prod, mean, "
                                               "amax or amin, got foo$"):
            lib.ones(2).scatter_reduce(0, lib.tensor([0]), lib.ones(1), "foo")
        _assert_same(tg.ones(2).scatter_reduce(0, tg.tensor([0]), tg.tensor([3.0]), "max"),
                     torch.ones(2).scatter_reduce(0, torch.tensor([0]), torch.tensor([3.0]),
                                                  "max"))  # an alias of amax
        with pytest.raises(TypeError, match=re.escape(
                "scatter_reduce(): argument 'src' (position 3) must be Tensor, not float")):
            lib.ones(2).scatter_reduce(0, lib.tensor([0]), 2.0, "sum")
        with pytest.raises(RuntimeError, match="^reduce argument must be either add or "
                                               "multiply.$"):
            lib.ones(2).scatter(0, lib.tensor([0]), 2.0, reduce="sum")


def test_scatter_reduce_refuses_a_backward_through_its_result_written_in_place():
    x = tg.ones(4, 3, dtype=tg.float64, requires_grad=True)
    src = tg.full((3, 3), 2.0, dtype=tg.float64, requires_grad=True)
    out = x.scatter_reduce(0, tg.tensor(REDUCE_INDEX), src, "prod")
    out.mul_(3)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()
    out = x.scatter_reduce(0, tg.tensor(REDUCE_INDEX), src, "amax")
    src.detach().add_(1)  # an input it saved
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_scatter_reduce_refuses_writes_to_its_inputs_before_backward_as_pytorch():
    torch = _torch()
    for lib in (tg, torch):
        x = lib.ones(4, 3, dtype=lib.float64, requires_grad=True)
        src = lib.full((3, 3), 2.0, dtype=lib.float64, requires_grad=True)
        out = x.scatter_reduce(0, lib.tensor(REDUCE_INDEX), src, "mean", include_self=False)
        src.detach().add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()


@pytest.mark.parametrize("reduce", ["sum", "mean", "prod", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_float16_scatter_reduce_and_scatter_add_round_once_as_pytorch(reduce, include_self):
    """PyTorch's CPU kernel accumulates float16 sums and products in float32 and rounds once
    (a mean: that rounded sum divided by the count in float16); bit for bit."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    for _ in range(50):
        a = (rng.standard_normal((4, 5)) * 3).astype(np.float16)
        src = (rng.standard_normal((12, 5)) * 3).astype(np.float16)
        index = rng.integers(0, 4, (12, 5))
        ours = tg.tensor(a).scatter_reduce(0, tg.tensor(index), tg.tensor(src), reduce,
                                           include_self=include_self)
        theirs = torch.tensor(a).scatter_reduce(0, torch.tensor(index), torch.tensor(src),
                                                reduce, include_self=include_self)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        np.testing.assert_array_equal(
            tg.tensor(a).scatter_add(0, tg.tensor(index), tg.tensor(src)).numpy(),
            torch.tensor(a).scatter_add(0, torch.tensor(index), torch.tensor(src)).numpy())


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_embedding_max_norm_rescales_rows_bit_for_bit_as_pytorch(dtype):
    """embedding_renorm_'s roundings: the norm (float32 for float16) and the scale rounded to
    the row's dtype, the product in float32 (ord 1 and 2; ord 3 may differ in the last bit)."""
    torch = pytest.importorskip("torch")
    for seed in range(40):
        weight = (np.random.default_rng(seed).standard_normal((5, 4)) * 2).astype(dtype)
        ours, theirs = tg.tensor(weight.copy()), torch.tensor(weight.copy())
        norm_type = (1.0, 2.0)[seed % 2]
        tg.nn.functional.embedding(tg.tensor([0, 1, 3]), ours, max_norm=1.0, norm_type=norm_type)
        torch.nn.functional.embedding(torch.tensor([0, 1, 3]), theirs, max_norm=1.0,
                                      norm_type=norm_type)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_singular_values_of_a_non_finite_matrix_raise_pytorchs_linalg_error():
    x = tg.tensor([[1.0, float("nan")], [0.0, 1.0]])
    message = ("linalg.svd: The algorithm failed to converge because the input matrix "
               "contained non-finite values.")
    for call in (lambda: tg.linalg.svdvals(x), lambda: tg.linalg.matrix_norm(x, "nuc")):
        with pytest.raises(tg.linalg.LinAlgError, match=re.escape(message)):
            call()
    assert issubclass(tg.linalg.LinAlgError, RuntimeError)


def test_linspace_refuses_bool_and_names_the_bounds_that_are_not_0d():
    with pytest.raises(NotImplementedError, match="^\"linspace_cpu\" not implemented for 'Bool'$"):
        tg.linspace(0, 1, 3, dtype=tg.bool)
    with pytest.raises(RuntimeError, match=r"but got end with 1 dimension\(s\)\.$"):
        tg.linspace(1, tg.zeros(1), 3)

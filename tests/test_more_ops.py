"""The products, views, slice-indexing, elementwise, distance and counting functions added
after the first release (``mv``, ``tensordot``, ``diagonal``, ``index_add``, ``cross``,
``cdist``, ``searchsorted``, ...): values, dtypes and float64 gradients against PyTorch (when
installed), finite differences in float64 (``gradcheck``), writes through the ``diagonal``
view, and the error messages. Each case is one row: a function of the library (``tinygrad_bn``
or ``torch``) and its inputs, and the input arrays."""

import numpy as np
import pytest

import tinygrad_bn as tg
import tinygrad_bn.nn.functional as F

_rng = np.random.default_rng(0)


def normal(*shape):
    return _rng.standard_normal(shape)


def with_nan(*shape, infinite=True):
    """Normal values with a NaN (and, when ``infinite``, +inf and -inf) among them."""
    values = normal(*shape)
    values.flat[1] = np.nan
    if infinite:
        values.flat[-2], values.flat[-1] = np.inf, -np.inf
    return values


def ints(*values):
    return np.array(values, dtype=np.int64)


# (id, function(L, *tensors), arrays, exact): float arrays require grad; integer arrays are
# indices. ``exact``: the values are bit for bit PyTorch's (else within allclose: a matrix
# product's summation order is BLAS's).
CASES = [
    ("mv", lambda L, a, v: L.mv(a, v), [normal(4, 3), normal(3)], False),
    ("mv_method", lambda L, a, v: a.mv(v), [normal(2, 5), normal(5)], False),
    ("tensordot_int", lambda L, a, b: L.tensordot(a, b, 2), [normal(2, 3, 4), normal(3, 4, 5)],
     False),
    ("tensordot_lists", lambda L, a, b: L.tensordot(a, b, ([1, 0], [0, 2])),
     [normal(2, 3, 4), normal(3, 4, 2)], False),
    ("tensordot_0", lambda L, a, b: L.tensordot(b, a, 0), [normal(2, 3), normal(4)], False),
    ("tensordot_size1", lambda L, a, b: L.tensordot(a, b, ([1], [0])),
     [normal(2, 3), normal(1, 4)], False),
    ("diagonal", lambda L, a: a.diagonal(), [normal(3, 4)], True),
    ("diagonal_offset", lambda L, a: L.diagonal(a, 1, 2, 0), [normal(3, 4, 5)], True),
    ("diagonal_negative", lambda L, a: a.diagonal(-2, -1, 0), [normal(3, 4, 5)], True),
    ("diagonal_empty", lambda L, a: a.diagonal(7), [normal(3, 4)], True),
    ("select", lambda L, a: L.select(a, 1, -2), [normal(3, 4, 5)], True),
    ("index_add", lambda L, a, s, i: a.index_add(0, i, s),
     [normal(4, 3), normal(3, 3), ints(0, 3, 0)], True),
    ("index_add_alpha", lambda L, a, s, i: L.index_add(a, 1, i, s, alpha=-2.5),
     [normal(2, 4), normal(2, 5), ints(1, 1, 3, 0, 1)], True),
    ("index_add_float32", lambda L, a, s, i: a.float().index_add(1, i, s.float(), alpha=0.3),
     [normal(2, 4), normal(2, 5), ints(1, 1, 3, 0, 1)], True),
    ("index_copy", lambda L, a, s, i: a.index_copy(1, i, s),
     [normal(2, 4), normal(2, 3), ints(3, 0, 2)], True),
    ("index_fill", lambda L, a, i: L.index_fill(a, 1, i, -1.5), [normal(2, 4), ints(3, -4)],
     True),
    ("index_fill_tensor", lambda L, a, v, i: a.index_fill(0, i, v),
     [normal(3, 2), normal(), ints(2, 2, 0)], True),
    ("take_along_dim", lambda L, a, i: L.take_along_dim(a, i, 1),
     [normal(3, 4), ints(0, 3, -1).reshape(1, 3)], True),
    ("take_along_dim_flat", lambda L, a, i: a.take_along_dim(i), [normal(3, 4), ints(11, 0, 0)],
     True),
    ("nansum", lambda L, a: L.nansum(a, 1, keepdim=True), [with_nan(3, 4, infinite=False)], False),
    ("nansum_all", lambda L, a: a.nansum(), [with_nan(3, 4, infinite=False)], False),
    ("nanmean", lambda L, a: L.nanmean(a, 0), [with_nan(3, 4, infinite=False)], False),
    ("logaddexp", lambda L, a, b: L.logaddexp(a, b), [normal(3, 4), normal(4)], False),
    ("logaddexp2", lambda L, a, b: a.logaddexp2(b), [normal(3, 4), normal(3, 1)], False),
    ("xlogy", lambda L, a, b: L.xlogy(a, b.abs()), [normal(3, 4), normal(3, 4)], True),
    ("xlogy_number", lambda L, b: L.xlogy(2, b.abs()), [normal(5)], True),
    ("nan_to_num", lambda L, a: L.nan_to_num(a, posinf=7.0), [with_nan(3, 4)], True),
    ("frac", lambda L, a: L.frac(3 * a), [normal(3, 4)], True),
    ("sinc", lambda L, a: L.sinc(a), [np.r_[normal(7), 0.0]], False),
    ("cross", lambda L, a, b: L.cross(a, b, dim=0), [normal(3, 4), normal(3, 1)], True),
    ("cross_float32", lambda L, a, b: L.linalg.cross(a.float(), b.float()),
     [normal(5, 3), normal(5, 3)], True),
    ("kron", lambda L, a, b: L.kron(a, b), [normal(2, 3), normal(4)], True),
    ("dist", lambda L, a, b: L.dist(a, b), [normal(3, 4), normal(4)], False),
    ("dist_p", lambda L, a, b: a.dist(b, 3), [normal(3, 4), normal(3, 4)], False),
    ("renorm", lambda L, a: L.renorm(a, 2, 0, 1.0), [normal(4, 5)], False),
    ("renorm_p1", lambda L, a: a.renorm(1, 1, 0.5), [normal(4, 5)], False),
    ("cdist", lambda L, a, b: L.cdist(a, b), [normal(4, 3), normal(2, 5, 3)], False),
    ("cdist_p1", lambda L, a, b: L.cdist(a, b, p=1), [normal(4, 3), normal(5, 3)], False),
    ("cdist_pinf", lambda L, a, b: L.cdist(a, b, p=float("inf")), [normal(4, 3), normal(5, 3)],
     False),
    ("cdist_mm", lambda L, a, b: L.cdist(a, b), [normal(30, 3), normal(5, 3)], False),
    ("cdist_forced_mm", lambda L, a, b: L.cdist(a, b, compute_mode="use_mm_for_euclid_dist"),
     [normal(4, 3), normal(5, 3)], False),
    ("tensor_split", lambda L, a: joined(L, a.tensor_split(3, 1)), [normal(2, 7)], True),
    ("tensor_split_indices", lambda L, a: joined(L, L.tensor_split(a, [1, 5, 3, 9, -2])),
     [normal(7, 2)], True),
    ("hsplit", lambda L, a: joined(L, L.hsplit(a, 2)[::-1]), [normal(2, 4)], True),
    ("vsplit", lambda L, a: joined(L, a.vsplit([1])[1:]), [normal(3, 4)], True),
    ("dsplit", lambda L, a: joined(L, L.dsplit(a, 2)), [normal(1, 2, 4)], True),
    ("dstack", lambda L, a, b: L.dstack([a, b]), [normal(2, 3), normal(2, 3, 2)], True),
    ("column_stack", lambda L, a, b, c: L.column_stack([a, b, c]),
     [normal(3), normal(3, 2), normal(3)], True),
    ("atleast_3d", lambda L, a, b: joined(L, L.atleast_3d(a, b)), [normal(), normal(3)], True),
    ("block_diag", lambda L, a, b, c: L.block_diag(a, b, c), [normal(2, 3), normal(2), normal()],
     True),
    ("cartesian_prod", lambda L, a, b: L.cartesian_prod(a, b), [normal(3), normal(2)], True),
    ("vander", lambda L, a: L.vander(a), [normal(4)], True),
    ("vander_increasing", lambda L, a: L.vander(a, N=2, increasing=True), [normal(4)], True),
    ("linalg_vander", lambda L, a: L.linalg.vander(a, N=3), [normal(2, 4)], True),
    ("rot90", lambda L, a: L.rot90(a, 1, [2, 0]), [normal(2, 3, 4)], True),
    ("rot90_negative", lambda L, a: a.rot90(-1), [normal(2, 3)], True),
]


def joined(library, pieces):
    """Pieces flattened and joined into one tensor (to compare and differentiate at once)."""
    return library.cat([p.flatten() for p in pieces])


INTEGER_RESULTS = [
    ("searchsorted", lambda L, s, v: L.searchsorted(s, v), [np.array([1.0, 3, 5, 7]),
                                                            np.array([0.0, 3, 4, 7, 9])]),
    ("searchsorted_right_int32", lambda L, s, v: L.searchsorted(s, v, side="right",
                                                                out_int32=True),
     [np.array([1.0, 3, 5, 7]), np.array([0.0, 3, 4, 7, 9])]),
    ("searchsorted_rows", lambda L, s, v: L.searchsorted(s, v),
     [np.sort(normal(2, 3, 5), -1), normal(2, 3, 4)]),
    ("searchsorted_sorter", lambda L, s, v: L.searchsorted(s, v, sorter=s.argsort()),
     [normal(6), normal(4)]),
    ("searchsorted_number", lambda L, s: L.searchsorted(s, 5.0), [np.array([1.0, 3, 5, 7])]),
    ("bucketize", lambda L, s, v: L.bucketize(v, s, right=True),
     [np.array([1.0, 3, 5, 7]), np.array([0.0, 3, 4, 7, 9])]),
    ("bincount", lambda L, i: L.bincount(i, minlength=9), [ints(1, 1, 3, 0, 7)]),
    ("bincount_weights", lambda L, i, w: i.bincount(w), [ints(1, 1, 3), normal(3)]),
    ("bincount_float32_weights", lambda L, i, w: L.bincount(i, w.float()),
     [ints(1, 1, 3), normal(3)]),
]


@pytest.mark.parametrize("case", INTEGER_RESULTS, ids=[c[0] for c in INTEGER_RESULTS])
def test_counting_and_searching_match_pytorch(case):
    torch = pytest.importorskip("torch")
    _, function, arrays = case
    result = function(tg, *[tg.tensor(a) for a in arrays])
    expected = function(torch, *[torch.tensor(a) for a in arrays])
    assert str(result.dtype).replace("torch.", "") == str(expected.dtype).replace("torch.", "")
    assert np.array_equal(result.numpy(), expected.numpy())


# PyTorch 2.13's torch.vander cannot be differentiated (its backward raises "modified by an
# inplace operation"); ours is checked against finite differences only.
NO_PYTORCH_GRADIENT = {"vander", "vander_increasing"}


def _inputs(library, arrays, grad):
    return [library.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients_match_pytorch(case):
    torch = pytest.importorskip("torch")
    name, function, arrays, exact = case
    grad = name not in NO_PYTORCH_GRADIENT
    ours, theirs = _inputs(tg, arrays, grad), _inputs(torch, arrays, grad)
    result, expected = function(tg, *ours), function(torch, *theirs)
    assert result.shape == tuple(expected.shape)
    assert str(result.dtype).replace("torch.", "") == str(expected.dtype).replace("torch.", "")
    compare = np.array_equal if exact else np.allclose
    assert compare(result.detach().numpy(), expected.detach().numpy(), equal_nan=True)
    if expected.requires_grad:
        grad_output = np.random.default_rng(1).standard_normal(expected.shape)
        result.backward(tg.tensor(grad_output, dtype=result.dtype))
        expected.backward(torch.tensor(grad_output, dtype=expected.dtype))
        for mine, reference in zip(ours, theirs):
            if reference.requires_grad:
                assert np.allclose(mine.grad.numpy(), reference.grad.numpy())


# Finite differences need float64: the float32 cases are compared with PyTorch only.
FLOAT64_CASES = [case for case in CASES if "float32" not in case[0]]


@pytest.mark.parametrize("case", FLOAT64_CASES, ids=[c[0] for c in FLOAT64_CASES])
def test_gradients_match_finite_differences(case):
    name, function, arrays, _ = case
    inputs = _inputs(tg, arrays, True)
    assert any(t.requires_grad for t in inputs), f"{name}: nothing to differentiate"
    assert tg.gradcheck(lambda *ts: function(tg, *ts), inputs)


def test_a_write_through_diagonal_reaches_the_base_and_its_gradient():
    torch = pytest.importorskip("torch")
    values = normal(3, 4)
    results = []
    for library in (tg, torch):
        x = library.tensor(values, requires_grad=True)
        y = x * 2
        y.diagonal(1).mul_(3)
        (y ** 2).sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy()))
    assert np.array_equal(results[0][0], results[1][0])
    assert np.array_equal(results[0][1], results[1][1])
    plain = tg.zeros(3, 3)
    plain.diagonal().fill_(1)
    assert np.array_equal(plain.numpy(), np.eye(3))


def test_in_place_index_forms():
    x = tg.zeros(3, 2)
    assert x.index_add_(0, tg.tensor([2, 2]), tg.ones(2, 2), alpha=2) is x
    x.index_copy_(1, tg.tensor([0]), tg.full((3, 1), 5.0))
    x.index_fill_(0, tg.tensor([0]), -1)
    assert x.tolist() == [[-1, -1], [5, 0], [5, 4]]


ERRORS = [
    (lambda: tg.mv(tg.ones(3, 4), tg.ones(3)), RuntimeError,
     "size mismatch, got input (3), mat (3x4), vec (3)"),
    (lambda: tg.mv(tg.ones(4), tg.ones(4)), RuntimeError,
     "vector + matrix @ vector expected, got 1, 1, 1"),
    (lambda: tg.tensordot(tg.ones(3, 4), tg.ones(3, 4), 1), RuntimeError,
     "contracted dimensions need to match, but first has size 4 in dim -1 and second has size 3 "
     "in dim 0"),
    (lambda: tg.tensordot(tg.ones(3), tg.ones(3), -1), RuntimeError,
     "tensordot expects dims >= 0, but got dims=-1"),
    (lambda: tg.tensordot(tg.ones(3), tg.ones(3), ([0], [0, 1])), RuntimeError,
     "both dimension lists should have same length"),
    (lambda: tg.ones(3, 4).diagonal(0, 1, -1), RuntimeError,
     "diagonal dimensions cannot be identical 1, -1"),
    (lambda: tg.ones(3, 4).select(0, 3), IndexError,
     "select(): index 3 out of range for tensor of size [3, 4] at dimension 0"),
    (lambda: tg.tensor(1.0).select(0, 0), IndexError,
     "select() cannot be applied to a 0-dim tensor."),
    (lambda: tg.zeros(3, 4).index_add(0, tg.tensor([0, 2]), tg.ones(3, 4)), RuntimeError,
     "index_add_(): Number of indices (2) should be equal to source.size(dim): (3), for dim: 0"),
    (lambda: tg.zeros(3, 4).index_add(0, tg.tensor([0.0]), tg.ones(1, 4)), RuntimeError,
     "index_add_(): Expected dtype int32/int64 for index but got: Float"),
    (lambda: tg.zeros(3, 4).index_add(0, tg.tensor([0]), tg.ones(1, 4).double()), RuntimeError,
     "index_add_(): self (Float) and source (Double) must have the same scalar type"),
    (lambda: tg.zeros(3, 4).index_add(0, tg.tensor([0]), tg.ones(1, 3)), RuntimeError,
     "source tensor shape must match self tensor shape, excluding the specified dimension. Got "
     "self.shape = [3, 4] source.shape = [1, 3]"),
    (lambda: tg.zeros(3, 4).index_add(0, tg.tensor([0, 5]), tg.ones(2, 4)), RuntimeError,
     "index 5 is out of bounds for dimension 0 with size 3"),
    (lambda: tg.zeros(3, 4).index_copy(0, tg.tensor([0]).int(), tg.ones(1, 4)), RuntimeError,
     "index_copy_(): Expected a long tensor for index, but got Int"),
    (lambda: tg.zeros(3, 4).index_copy(0, tg.tensor([0]), tg.ones(2, 4)), IndexError,
     "index_copy_(): Number of indices (1) should be equal to source.size(dim) (2)"),
    (lambda: tg.zeros(3, 4).index_fill(0, tg.tensor([0]).int(), 1), IndexError,
     "index_fill_(): Expected dtype int64 for index."),
    (lambda: tg.zeros(3, 4).index_fill(0, tg.tensor([0]), tg.ones(2)), RuntimeError,
     "index_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 "
     "dimension(s)."),
    (lambda: tg.take_along_dim(tg.ones(3, 4), tg.tensor([0]), 1), RuntimeError,
     "torch.take_along_dim(): input and indices should have the same number of dimensions, but "
     "got 2 dimensions for input, and 1 dimensions for indices"),
    (lambda: tg.take_along_dim(tg.ones(3, 4), tg.tensor([[0]]).int(), 1), RuntimeError,
     "torch.take_along_dim(): dtype of indices should be Long but got Int"),
    (lambda: tg.logaddexp(tg.tensor([1]), tg.tensor([2])), NotImplementedError,
     "\"logaddexp_cpu\" not implemented for 'Long'"),
    (lambda: tg.frac(tg.tensor([1])), NotImplementedError,
     "\"frac_cpu\" not implemented for 'Long'"),
    (lambda: tg.nanmean(tg.tensor([1])), RuntimeError,
     "nanmean(): expected input to have floating point or complex dtype but got Long"),
    (lambda: tg.cross(tg.ones(2, 4), tg.ones(2, 4), dim=None), RuntimeError,
     "no dimension of size 3 in input"),
    (lambda: tg.linalg.cross(tg.ones(3, 2), tg.ones(3, 2)), RuntimeError,
     "linalg.cross: inputs dimension -1 must have length 3. Got 2 and 2"),
    (lambda: tg.cross(tg.ones(3).long(), tg.ones(3), dim=0), RuntimeError,
     "expected scalar type Long but found Float"),
    (lambda: tg.renorm(tg.ones(3, 3), 2, 0, -1), RuntimeError,
     "renorm: expected maxnorm to be >= 0 but got -1.0"),
    (lambda: tg.renorm(tg.ones(3), 2, 0, 1), RuntimeError,
     "renorm: input needs at least 2 dimensions, got 1 dimensions"),
    (lambda: tg.renorm(tg.ones(3, 3), 0, 0, 1), RuntimeError,
     "renorm: non-positive-norm not supported"),
    (lambda: tg.cdist(tg.ones(3, 3).long(), tg.ones(3, 3)), RuntimeError,
     "cdist only supports floating-point dtypes, X1 got: Long"),
    (lambda: tg.cdist(tg.ones(3, 3), tg.ones(3)), RuntimeError,
     "cdist only supports at least 2D tensors, X2 got: 1D"),
    (lambda: tg.cdist(tg.ones(3, 3), tg.ones(3, 4)), RuntimeError,
     "X1 and X2 must have the same number of columns. X1: 3 X2: 4"),
    (lambda: tg.cdist(tg.ones(3, 3), tg.ones(3, 3), p=-1), RuntimeError,
     "cdist only supports non-negative p values"),
    (lambda: tg.cdist(tg.ones(3, 3), tg.ones(3, 3), compute_mode="x"), ValueError,
     "x is not a valid value for compute_mode"),
    (lambda: tg.searchsorted(tg.ones(4), tg.ones(2), side="left", right=True), RuntimeError,
     "torch.searchsorted(): side and right can't be set to opposites, got side of left while "
     "right was True"),
    (lambda: tg.searchsorted(tg.ones(2, 2), tg.ones(2)), RuntimeError,
     "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions "
     "of boundaries tensor and input value tensor must match, but we got boundaries tensor "
     "[2, 2] and input value tensor [2]"),
    (lambda: tg.bucketize(tg.ones(2), tg.ones(2, 2)), RuntimeError,
     "boundaries tensor must be 1 dimension, but got dim(2)"),
    (lambda: tg.bincount(tg.tensor([1, -1])), RuntimeError,
     "bincount only supports 1-d non-negative integral inputs."),
    (lambda: tg.bincount(tg.tensor([1.0])), NotImplementedError,
     "\"bincount_cpu\" not implemented for 'Float'"),
    (lambda: tg.bincount(tg.tensor([1]), tg.ones(2)), RuntimeError,
     "weights should be 1-d and have the same length as input"),
    (lambda: tg.ones(4).tensor_split(0), RuntimeError,
     "number of sections must be larger than 0, got 0"),
    (lambda: tg.ones(3, 4).hsplit(3), RuntimeError,
     "torch.hsplit attempted to split along dimension 1, but the size of the dimension 4 is not "
     "divisible by the split_size 3!"),
    (lambda: tg.ones(3).vsplit(3), RuntimeError,
     "torch.vsplit requires a tensor with at least 2 dimension, but got a tensor with 1 "
     "dimensions!"),
    (lambda: tg.block_diag(tg.ones(2, 2, 2)), RuntimeError,
     "torch.block_diag: Input tensors must have 2 or fewer dimensions. Input 0 has 3 dimensions"),
    (lambda: tg.cartesian_prod(tg.ones(2, 2)), RuntimeError,
     "Expect a 1D vector, but got shape [2, 2]"),
    (lambda: tg.vander(tg.ones(2, 2)), RuntimeError, "x must be a one-dimensional tensor."),
    (lambda: tg.linalg.vander(tg.ones(2), N=1), RuntimeError, "N must be greater than 1."),
    (lambda: tg.rot90(tg.ones(2, 3), 1, [0, 0]), RuntimeError,
     "expected rotation dims to be different, but got dim0 = 0 and dim1 = 0"),
    (lambda: tg.rot90(tg.ones(2), 1), RuntimeError,
     "expected total dims >= 2, but got total dims = 1"),
]


def test_cross_without_dim_warns_as_pytorch():
    for cross in (tg.cross, tg.Tensor.cross):
        with pytest.warns(UserWarning, match="Using torch.cross without specifying the dim") as w:
            result = cross(tg.ones(4, 3), tg.ones(4, 3))
        assert result.shape == (4, 3)
        assert w[0].filename == __file__  # the caller's line, as a warning should name


@pytest.mark.filterwarnings("ignore:Using torch.cross without specifying the dim")
@pytest.mark.parametrize("call, error, message", ERRORS)
def test_errors_are_pytorchs(call, error, message):
    with pytest.raises(error) as raised:
        call()
    assert str(raised.value) == message


OUT_CALLS = {
    "logaddexp": lambda L, a, b, out: L.logaddexp(a, b, out=out),
    "xlogy": lambda L, a, b, out: L.xlogy(2, b.abs(), out=out),
    "frac": lambda L, a, b, out: L.frac(a, out=out),
    "sinc": lambda L, a, b, out: L.sinc(a, out=out),
    "kron": lambda L, a, b, out: L.kron(a, b, out=out),
    "cross": lambda L, a, b, out: L.cross(a, b, dim=1, out=out),
    "take_along_dim": lambda L, a, b, out: L.take_along_dim(a, L.tensor([[0, 2, 1]]), 1,
                                                            out=out),
    "index_add": lambda L, a, b, out: L.index_add(a, 0, L.tensor([1]), b[:1], out=out),
    "renorm": lambda L, a, b, out: L.renorm(a, 2, 0, 0.5, out=out),
    "dstack": lambda L, a, b, out: L.dstack([a, b], out=out),
    "mv": lambda L, a, b, out: L.mv(a, b[0], out=out),
    "tensordot": lambda L, a, b, out: L.tensordot(a, b, ([1], [1]), out=out),
}


@pytest.mark.parametrize("name", OUT_CALLS)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_out_argument_as_pytorch(name, dtype):
    """``out=``: the values written into ``out`` and ``out`` returned, or PyTorch's error for
    an ``out`` of a dtype the op refuses."""
    torch = pytest.importorskip("torch")
    a, b = normal(2, 3).astype(np.float32), normal(2, 3).astype(np.float32)
    if name == "mv":
        b = normal(3, 3).astype(np.float32)
    outcomes = []
    for library in (tg, torch):
        out = library.empty(0, dtype=getattr(library, dtype))
        try:
            returned = OUT_CALLS[name](library, library.tensor(a), library.tensor(b), out)
            outcomes.append(("ok", returned is out, out.numpy()))
        except (RuntimeError, TypeError) as error:
            outcomes.append((type(error), str(error)))
    ours, theirs = outcomes
    assert ours[:2] == theirs[:2]
    if ours[0] == "ok":
        assert np.allclose(ours[2], theirs[2], equal_nan=True)


@pytest.mark.parametrize("p", [0, 0.5, 1, 2, 3, float("inf")])
def test_cdist_gradients_at_ties_and_zeros_are_pytorchs(p):
    """Equal coordinates, tied largest differences and a zero distance: PyTorch's
    ``_cdist_backward`` choices (every tie of the inf-norm gets the gradient, 0 where a
    coordinate difference is 0 for p < 1 and where the distance is 0)."""
    torch = pytest.importorskip("torch")
    a = np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]])
    b = np.array([[0.0, 3.0, 2.0], [1.0, 1.0, 1.0]])
    grads = []
    for library in (tg, torch):
        x1 = library.tensor(a, requires_grad=True)
        x2 = library.tensor(b, requires_grad=True)
        library.cdist(x1, x2, p=p).sum().backward()
        grads.append((x1.grad.numpy(), x2.grad.numpy()))
    assert np.allclose(grads[0][0], grads[1][0])
    assert np.allclose(grads[0][1], grads[1][1])


def test_functions_tensors_have_as_methods_in_pytorch_are_methods_here_too():
    """Every function of ``tinygrad_bn`` that PyTorch also offers as a ``Tensor`` method is a
    ``Tensor`` method here (``x.where(mask, y)``, ``x.histogram(3)``, ``x.hardshrink()``,
    ``x.prelu(w)`` were missing)."""
    x = tg.tensor([[-1.0, 2.0], [0.5, -0.2]], dtype=tg.float64)
    assert x.where(x > 0, 7).tolist() == [[7.0, 2.0], [0.5, 7.0]]
    assert x.hardshrink(0.3).tolist() == [[-1.0, 2.0], [0.5, 0.0]]
    assert x.prelu(tg.tensor([0.25], dtype=tg.float64)).tolist() == [[-0.25, 2.0], [0.5, -0.05]]
    hist, edges = x.histogram(3)
    assert hist.tolist() == [2.0, 1.0, 1.0] and edges.tolist() == [-1.0, 0.0, 1.0, 2.0]
    torch = pytest.importorskip("torch")
    ours = {name for name in dir(tg) if not name.startswith("_")}
    missing = sorted(name for name in dir(torch.Tensor) if not name.startswith("_")
                     and name in ours and not hasattr(tg.Tensor, name))
    assert missing == []


def test_in_place_methods_pytorch_also_has_as_functions_are_functions_here_too():
    """``torch.relu_(x)``, ``torch.clamp_(x, -1, 1)``, ``torch.fill_(x, 5)``...: the in-place
    methods PyTorch also offers at top level are ``tinygrad_bn`` functions, the methods
    themselves (they write into their first argument and return it)."""
    x = tg.tensor([-1.0, 0.5])
    assert tg.relu_(x) is x and x.tolist() == [0.0, 0.5]
    assert tg.clamp_(tg.tensor([3.0, -3.0]), -1, 1).tolist() == [1.0, -1.0]
    assert tg.fill_(tg.zeros(2), 5).tolist() == [5.0, 5.0]
    torch = pytest.importorskip("torch")
    methods = {name for name in dir(tg.Tensor) if not name.startswith("_")}
    missing = sorted(name for name in dir(torch) if name.endswith("_") and not name.startswith("_")
                     and name in methods and not hasattr(tg, name))
    assert missing == []


@pytest.mark.parametrize("name, arguments", [
    ("relu_", ()), ("elu_", (0.5,)), ("leaky_relu_", (0.2,)), ("hardtanh_", (-1.0, 1.0)),
    ("celu_", (0.7,)), ("selu_", ()), ("threshold_", (0.1, 9.0)), ("rrelu_", ())])
def test_functional_in_place_activations_write_into_their_input(name, arguments):
    """``F.relu_``, ``F.elu_``, ... (and ``F.relu(x, inplace=True)``) return their input with
    the activation written into it, the values of the out-of-place function (``rrelu_`` in
    eval mode, its default)."""
    values = np.array([-1.5, -0.2, 0.0, 0.7, 2.5])
    x = tg.tensor(values)
    assert getattr(F, name)(x, *arguments) is x
    expected = getattr(F, name.rstrip("_"))(tg.tensor(values), *arguments)
    np.testing.assert_array_equal(x.numpy(), expected.numpy())
    y = tg.tensor(values)
    assert F.relu(y, inplace=True) is y and y.tolist() == [0.0, 0.0, 0.0, 0.7, 2.5]
    torch = pytest.importorskip("torch")
    theirs = torch.tensor(values)
    getattr(torch.nn.functional, name)(theirs, *arguments)
    np.testing.assert_allclose(x.numpy(), theirs.numpy(), rtol=1e-15, atol=0)

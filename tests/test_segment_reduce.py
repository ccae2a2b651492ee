"""``torch.segment_reduce`` (tensor/segments.py, ``scatter_reduce`` onto one slot per
segment): values and float64 gradients against PyTorch for every reduction, with ``initial``,
offsets, a later axis and ``unsafe``; finite differences; the error messages."""

import numpy as np
import pytest

import tinygrad_bn as tg
from pytorch_errors import error_tests

RNG = np.random.default_rng(17)
DATA = RNG.standard_normal((6, 3))
DATA_2 = RNG.standard_normal((2, 6, 3))
LENGTHS = np.array([3, 0, 2, 1])
LENGTHS_2 = np.array([[2, 4], [0, 6]])

CASES = [(reduce, kwargs) for reduce in ("sum", "mean", "max", "min", "prod")
         for kwargs in ({"lengths": LENGTHS}, {"lengths": LENGTHS, "initial": 0.5},
                        {"offsets": np.array([0, 3, 3, 5, 6])},
                        {"lengths": LENGTHS_2, "axis": 1, "data": DATA_2},
                        {"offsets": np.array([1, 2, 5]), "unsafe": True})]


def _call(lib, reduce, kwargs, data):
    arguments = {k: lib.tensor(v) if isinstance(v, np.ndarray) else v
                 for k, v in kwargs.items() if k != "data"}
    return lib.segment_reduce(data, reduce, **arguments)


@pytest.mark.parametrize("reduce, kwargs", CASES, ids=[f"{r}-{i % 5}" for i, (r, _) in
                                                        enumerate(CASES)])
def test_values_and_gradients_are_pytorchs(reduce, kwargs):
    torch = pytest.importorskip("torch")
    array = kwargs.get("data", DATA)
    results = []
    for lib in (tg, torch):
        data = lib.tensor(array, requires_grad=True)
        out = _call(lib, reduce, kwargs, data)
        seed = np.random.default_rng(1).standard_normal(tuple(out.shape))
        finite = lib.tensor(np.where(np.isfinite(out.detach().numpy()), seed, 0.0))
        out.backward(finite)
        results.append((out.detach().numpy(), data.grad.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("reduce", ["sum", "mean", "max", "min", "prod"])
def test_gradients_match_finite_differences(reduce):
    data = tg.tensor(DATA, requires_grad=True)
    assert tg.autograd.gradcheck(
        lambda d: tg.segment_reduce(d, reduce, lengths=tg.tensor([3, 1, 2]), initial=0.25),
        (data,))


ERRORS = [
    ("unknown reduction", lambda lib: lib.segment_reduce(lib.zeros(3), "foo",
                                                         lengths=lib.tensor([3])),
     RuntimeError, "reduce argument must be either sum, prod, mean, amax or amin, got foo"),
    ("no segments", lambda lib: lib.segment_reduce(lib.zeros(3), "sum"), RuntimeError,
     "segment_reduce(): Either lengths or offsets must be defined."),
    ("lengths not covering", lambda lib: lib.segment_reduce(lib.zeros(3), "sum",
                                                            lengths=lib.tensor([1, 1])),
     RuntimeError, "segment_reduce(): Expected all rows of lengths along axis to sum to "
                   "data.size(lengths.dim()-1) when !unsafe."),
    ("negative length", lambda lib: lib.segment_reduce(lib.zeros(3), "sum",
                                                       lengths=lib.tensor([4, -1])),
     RuntimeError, "lengths contains negative value!"),
    ("integer data", lambda lib: lib.segment_reduce(lib.tensor([1, 2]), "sum",
                                                    lengths=lib.tensor([2])),
     NotImplementedError, "\"_segment_reduce_cpu\" not implemented for 'Long'"),
]

test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)

"""The op table and the dtype rules run through PyTorch as well, when PyTorch happens to be
installed: same inputs, same outputs, same gradients, same result dtypes. Skipped otherwise
(the package never imports PyTorch)."""

import numpy as np
import pytest

import tinygrad_bn as tg
from op_cases import CASES, make_inputs

torch = pytest.importorskip("torch")


def _run(lib, fn, arrays):
    if lib is torch:
        inputs = [torch.tensor(a, requires_grad=True) for a in arrays]
    else:
        inputs = [tg.tensor(a, requires_grad=True) for a in arrays]
    out = fn(lib, *inputs)
    seed = np.linspace(-1.0, 1.0, int(np.prod(out.shape))).reshape(out.shape)
    out.backward(torch.tensor(seed) if lib is torch else tg.tensor(seed))
    grads = [np.asarray(x.grad.detach().numpy() if lib is torch else x.grad.detach().numpy()) for x in inputs]
    values = out.detach().numpy() if lib is torch else out.detach().numpy()
    return np.asarray(values), grads


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=[c[0] for c in CASES])
def test_matches_pytorch(name, fn, shapes, domain):
    arrays = make_inputs(shapes, domain, np.float64, seed=1)
    ours, our_grads = _run(tg, fn, arrays)
    theirs, their_grads = _run(torch, fn, arrays)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    for a, b in zip(our_grads, their_grads):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


PROMOTIONS = [
    ("float32", "float64"), ("float32", "int64"), ("int64", "float64"), ("int64", "bool"),
    ("float32", 2.5), ("float32", 2), ("int64", 2), ("int64", 2.5), ("bool", 2), ("bool", 1.5),
    ("float64", 2), ("bool", True), ("int64", True),
]


@pytest.mark.parametrize("left, right", PROMOTIONS)
@pytest.mark.parametrize("op", ["add", "mul", "truediv"])
def test_result_dtypes_match_pytorch(left, right, op):
    def result_dtype(lib):
        a = lib.ones(2, dtype=getattr(lib, left))
        b = lib.ones(2, dtype=getattr(lib, right)) if isinstance(right, str) else right
        return str(getattr(a, f"__{op}__")(b).dtype).split(".")[-1]

    assert result_dtype(tg) == result_dtype(torch)


def test_tied_reductions_distribute_gradients_like_pytorch():
    data = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    for fn in (lambda t: t.max(), lambda t: t.amax(dim=1), lambda t: t.max(dim=1)[0],
               lambda t: t.min(), lambda t: t.clamp(1.0, 2.0)):
        ours = tg.tensor(data, requires_grad=True)
        theirs = torch.tensor(data, requires_grad=True)
        fn(ours).sum().backward()
        fn(theirs).sum().backward()
        np.testing.assert_array_equal(ours.grad.detach().numpy(), theirs.grad.numpy())

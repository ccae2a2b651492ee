"""Fused ops against the same computation from primitive ops: ``ops.LayerNorm`` against
``layer_norm(..., fused=False)`` and ``ops.GELU`` against ``gelu(..., fused=False)`` (values and
every gradient, float64 and float32), the sort-based scatter-add of ``ops.Embedding`` against
``np.add.at``. Finite differences check all three in ``test_op_gradients.py`` (``op_cases``)."""

import numpy as np
import pytest

import tinygrad_bn as tg
import tinygrad_bn.nn.functional as F


@pytest.mark.parametrize("dtype, tolerance", [(tg.float64, 1e-12), (tg.float32, 2e-5)])
@pytest.mark.parametrize("shape, normalized, affine", [
    ((32, 16, 64), (64,), True), ((5, 3, 4), (3, 4), True), ((7, 6), (6,), False)])
def test_fused_layer_norm_equals_primitive_ops(dtype, tolerance, shape, normalized, affine):
    rng = np.random.default_rng(0)
    x = rng.normal(2, 3, shape)
    g = rng.normal(size=shape)
    weight = rng.normal(size=normalized) if affine else None
    bias = rng.normal(size=normalized) if affine else None
    results = []
    for fused in (True, False):
        inputs = [tg.tensor(a, dtype=dtype, requires_grad=True) for a in (x, weight, bias)
                  if a is not None]
        out = F.layer_norm(inputs[0], normalized, *inputs[1:], eps=1e-5, fused=fused)
        assert (type(out.grad_fn).__name__ == "LayerNorm") == fused
        out.backward(tg.tensor(g, dtype=dtype))
        results.append([out.detach().numpy()] + [t.grad.numpy() for t in inputs])
    for fused_array, composed_array in zip(*results):
        scale = np.abs(composed_array).max()
        np.testing.assert_allclose(fused_array, composed_array, rtol=0, atol=tolerance * scale)


def test_layer_norm_weight_of_another_dtype_takes_the_primitive_ops():
    x = tg.randn(3, 4, dtype=tg.float64)
    out = F.layer_norm(x, (4,), tg.ones(4, requires_grad=True))
    assert type(out.grad_fn).__name__ != "LayerNorm" and out.dtype == tg.float64


@pytest.mark.parametrize("count, rows", [(27, 512), (5, 0), (3, 1), (1000, 64)])
def test_embedding_scatter_add_by_sorting_equals_add_at(count, rows):
    from tinygrad_bn.ops.movement import scatter_add_rows

    rng = np.random.default_rng(0)
    positions = rng.integers(0, count, rows)
    values = rng.normal(size=(rows, 4))
    expected = np.zeros((count, 4))
    np.add.at(expected, positions, values)
    np.testing.assert_allclose(scatter_add_rows(values, positions, count), expected, atol=1e-12)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype, tolerance", [(tg.float64, 1e-12), (tg.float32, 1e-6)])
def test_fused_gelu_equals_primitive_ops(approximate, dtype, tolerance):
    rng = np.random.default_rng(0)
    x = rng.normal(0, 3, (64, 16))
    g = rng.normal(size=x.shape)
    results = []
    for fused in (True, False):
        xt = tg.tensor(x, dtype=dtype, requires_grad=True)
        out = F.gelu(xt, approximate=approximate, fused=fused)
        assert (type(out.grad_fn).__name__ == "GELU") == fused
        out.backward(tg.tensor(g, dtype=dtype))
        results.append((out.detach().numpy(), xt.grad.numpy()))
    for fused_array, composed_array in zip(*results):
        np.testing.assert_allclose(fused_array, composed_array, rtol=0,
                                   atol=tolerance * np.abs(composed_array).max())

"""BatchNorm1d and functional.batch_norm: forward and backward against the from-scratch NumPy
version of the article's formulas (examples/_shared/numpy_batchnorm.py), the fused node against the
primitive-op version and finite differences, running statistics, modes and options, errors."""

import re

import numpy as np
import pytest

from _shared import numpy_batchnorm
import tinygrad_bn as tg
from tinygrad_bn import nn
from tinygrad_bn.nn import functional as F


def _inputs(shape=(8, 3), seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(2.0, 3.0, shape)
    channels = shape[1]
    return x, rng.normal(1.0, 0.5, channels), rng.normal(0.0, 0.5, channels), rng.normal(size=shape)


@pytest.mark.parametrize("fused", [True, False])
def test_forward_and_backward_match_the_article_formulas(fused):
    x, gamma, beta, dout = _inputs()
    expected, cache = numpy_batchnorm.forward(x, gamma, beta)
    dx, dgamma, dbeta = numpy_batchnorm.backward(dout, cache)
    xt, gt, bt = (tg.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    out = F.batch_norm(xt, None, None, gt, bt, training=True, fused=fused)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12, atol=1e-12)
    out.backward(tg.tensor(dout))
    np.testing.assert_allclose(xt.grad.detach().numpy(), dx, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(gt.grad.detach().numpy(), dgamma, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(bt.grad.detach().numpy(), dbeta, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 1)])
@pytest.mark.parametrize("training", [True, False])
def test_fused_composed_and_finite_differences_agree(shape, training):
    x, gamma, beta, dout = _inputs(shape, seed=3)
    running_mean = np.linspace(-1, 1, shape[1])
    running_var = np.linspace(0.5, 2, shape[1])

    def run(fused, xt, gt, bt):
        rm, rv = tg.tensor(running_mean.copy()), tg.tensor(running_var.copy())
        out = F.batch_norm(xt, rm, rv, gt, bt, training=training, fused=fused)
        return out, rm, rv

    results = []
    for fused in (True, False):
        xt, gt, bt = (tg.tensor(a, requires_grad=True) for a in (x, gamma, beta))
        out, rm, rv = run(fused, xt, gt, bt)
        out.backward(tg.tensor(dout))
        results.append((out.detach().numpy(), xt.grad.detach().numpy(), gt.grad.detach().numpy(), bt.grad.detach().numpy(), rm.detach().numpy(), rv.detach().numpy()))
    for fused_value, composed_value in zip(*results):
        np.testing.assert_allclose(fused_value, composed_value, rtol=1e-10, atol=1e-12)
    inputs = tuple(tg.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    assert tg.gradcheck(lambda *t: run(True, *t)[0], inputs)


def test_backward_with_only_some_inputs_needing_grad():
    x, gamma, beta, dout = _inputs()
    xt = tg.tensor(x, requires_grad=True)
    out = F.batch_norm(xt, None, None, tg.tensor(gamma), tg.tensor(beta), training=True)
    out.backward(tg.tensor(dout))
    expected = numpy_batchnorm.backward(dout, numpy_batchnorm.forward(x, gamma, beta)[1])[0]
    np.testing.assert_allclose(xt.grad.detach().numpy(), expected, rtol=1e-9, atol=1e-12)


def test_module_is_one_fused_node_and_normalises_each_channel():
    bn = nn.BatchNorm1d(3)
    x = tg.tensor(np.random.default_rng(1).normal(5, 2, (64, 3)), dtype=tg.float32)
    out = bn(x)
    assert out.grad_fn.name == "BatchNorm" and out.grad_fn.argument_values() == {
        "eps": 1e-5, "training": True}
    assert out.dtype == tg.float32
    np.testing.assert_allclose(out.detach().numpy().mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(out.detach().numpy().std(axis=0), 1, atol=1e-4)


def test_running_statistics_follow_pytorch_convention():
    rng = np.random.default_rng(2)
    bn = nn.BatchNorm1d(3).double()
    expected_mean, expected_var = np.zeros(3), np.ones(3)
    for step in range(5):
        batch = rng.normal(5, 2, (16, 3))
        bn(tg.tensor(batch))
        expected_mean = 0.9 * expected_mean + 0.1 * batch.mean(axis=0)
        expected_var = 0.9 * expected_var + 0.1 * batch.var(axis=0, ddof=1)  # unbiased
    np.testing.assert_allclose(bn.running_mean.detach().numpy(), expected_mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.detach().numpy(), expected_var, rtol=1e-12)
    assert bn.num_batches_tracked.item() == 5 and bn.num_batches_tracked.dtype == tg.int64


def test_momentum_none_is_the_cumulative_average():
    rng = np.random.default_rng(3)
    bn = nn.BatchNorm1d(2, momentum=None).double()
    batches = [rng.normal(size=(10, 2)) for _ in range(4)]
    for b in batches:
        bn(tg.tensor(b))
    np.testing.assert_allclose(bn.running_mean.detach().numpy(), np.mean([b.mean(axis=0) for b in batches], 0),
                               rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.detach().numpy(),
                               np.mean([b.var(axis=0, ddof=1) for b in batches], 0), rtol=1e-12)


def test_three_dimensional_input_takes_statistics_over_batch_and_length():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(4, 3, 5))
    bn = nn.BatchNorm1d(3).double()
    out = bn(tg.tensor(x))
    flat = x.transpose(0, 2, 1).reshape(-1, 3)
    expected = (x - flat.mean(0)[None, :, None]) / np.sqrt(flat.var(0)[None, :, None] + 1e-5)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-10)
    np.testing.assert_allclose(bn.running_var.detach().numpy(), 0.9 + 0.1 * flat.var(0, ddof=1), rtol=1e-12)


def test_eval_uses_running_statistics_and_changes_nothing():
    bn = nn.BatchNorm1d(2).double()
    bn.running_mean.data[...] = [1.0, -1.0]
    bn.running_var.data[...] = [4.0, 0.25]
    bn.weight.data[...] = [2.0, 1.0]
    bn.bias.data[...] = [0.5, 0.0]
    bn.eval()
    x = tg.tensor([[3.0, -1.0]], dtype=tg.float64)  # a single sample is fine in eval
    out = bn(x)
    np.testing.assert_allclose(out.detach().numpy(), [[2 * 2 / np.sqrt(4 + 1e-5) + 0.5, 0.0]])
    assert bn.num_batches_tracked.item() == 0
    assert bn.running_mean.tolist() == [1.0, -1.0]


def test_without_running_stats_batch_statistics_are_used_in_eval_too():
    bn = nn.BatchNorm1d(2, track_running_stats=False).double()
    assert bn.running_mean is None and list(bn.buffers()) == []
    assert "running_mean" not in bn.state_dict()
    bn.eval()
    x = tg.tensor([[1.0, 2.0], [3.0, 6.0]], dtype=tg.float64)
    np.testing.assert_allclose(bn(x).detach().numpy(), [[-1, -1], [1, 1]], atol=1e-4)


def test_affine_false_has_no_parameters():
    bn = nn.BatchNorm1d(4, affine=False)
    assert bn.weight is None and bn.bias is None and list(bn.parameters()) == []
    assert list(bn.state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]
    out = bn(tg.randn(5, 4, requires_grad=True))
    assert out.requires_grad


def test_reset_running_stats():
    bn = nn.BatchNorm1d(2)
    bn(tg.randn(4, 2) + 3)
    bn.reset_running_stats()
    assert bn.running_mean.tolist() == [0, 0] and bn.running_var.tolist() == [1, 1]
    assert bn.num_batches_tracked.item() == 0


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: nn.BatchNorm1d(4)(tg.randn(2, 4, 3, 3)), ValueError,
         "expected 2D or 3D input (got 4D input)"),
        (lambda: nn.BatchNorm1d(4)(tg.randn(4)), ValueError, "expected 2D or 3D input (got 1D input)"),
        (lambda: nn.BatchNorm1d(4)(tg.randn(1, 4)), ValueError,
         "Expected more than 1 value per channel when training, got input size torch.Size([1, 4])"),
        (lambda: nn.BatchNorm1d(4, eps=0)(tg.randn(3, 4)), ValueError,
         "batch_norm eps must be positive during training, but got 0"),
        (lambda: F.batch_norm(tg.randn(3, 4), None, None, training=True, eps=-1e-5), ValueError,
         "batch_norm eps must be positive during training, but got -1e-05"),
        (lambda: nn.BatchNorm1d(64)(tg.randn(32, 3)), ValueError,
         "BatchNorm1d(64) expected 64 channels in dim 1 of its input, got input of shape (32, 3) "
         "with 3"),
        (lambda: nn.BatchNorm1d(0), ValueError, "num_features must be a positive int, got 0"),
        (lambda: F.batch_norm(tg.randn(4, 3), tg.zeros(2), tg.ones(2)), RuntimeError,
         "batch_norm: running_mean should contain 3 elements (one per channel of input of shape "
         "(4, 3)), not 2"),
    ],
)
def test_errors(make, error, message):
    with pytest.raises(error, match=re.escape(message)):
        make()


def test_a_rejected_batch_leaves_the_buffers_untouched():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError):
        bn(tg.randn(1, 3))
    assert bn.num_batches_tracked.item() == 0 and bn.running_mean.tolist() == [0, 0, 0]


def test_an_empty_training_batch_gives_an_empty_output_as_pytorch():
    bn = nn.BatchNorm1d(3)
    x = tg.randn(0, 3, requires_grad=True)
    out = bn(x)
    assert out.shape == (0, 3) and out.requires_grad
    out.sum().backward()
    assert x.grad.shape == (0, 3) and bn.weight.grad.tolist() == [0.0, 0.0, 0.0]
    assert bn.running_mean.tolist() == [0.0] * 3 and bn.running_var.tolist() == [1.0] * 3
    assert bn.num_batches_tracked.item() == 1  # PyTorch counts the empty batch
    bn.eval()
    assert bn(tg.randn(0, 3, 5)).shape == (0, 3, 5)


def test_eps_zero_is_allowed_with_running_statistics():
    bn = nn.BatchNorm1d(2, eps=0.0).eval()
    assert bn(tg.ones(3, 2)).tolist() == [[1.0, 1.0]] * 3


@pytest.mark.parametrize("input_dtype, running_dtype, weight_dtype, expected", [
    ("float32", "float32", "float64", "mixed dtype (CPU): expect parameter to have scalar type "
                                      "of Float"),
    ("float32", "float64", None, "mixed dtype (CPU): expect parameter to have scalar type of "
                                 "Float"),
    ("float64", "float32", None, "mixed dtype (CPU): all inputs must share same datatype."),
    ("float16", "float32", "float16", "expected scalar type Half but found Float"),
    ("float16", "float32", "float32", None),  # half input, float32 parameters: allowed
])
def test_batch_norm_parameters_share_the_input_dtype_as_in_pytorch(input_dtype, running_dtype,
                                                                   weight_dtype, expected):
    x = tg.randn(4, 3).to(getattr(tg, input_dtype))
    running = [tg.zeros(3).to(getattr(tg, running_dtype)),
               tg.ones(3).to(getattr(tg, running_dtype))]
    weight = None if weight_dtype is None else tg.ones(3).to(getattr(tg, weight_dtype))
    if expected is None:
        assert F.batch_norm(x, *running, weight, training=True).dtype == tg.float16
        return
    with pytest.raises(RuntimeError, match=re.escape(expected)):
        F.batch_norm(x, *running, weight, training=True)

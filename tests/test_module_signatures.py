"""Module constructors take PyTorch's arguments in PyTorch's positions (``device`` before
``dtype``, the deprecated ``size_average``/``reduce`` of losses), so positional calls written
for PyTorch mean the same here; and ``BatchNorm1d(fused=False)`` is the same layer built from
primitive ops."""

import inspect
import re

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn


def _parameters(cls):
    return [(p.name, p.default, p.kind) for p in inspect.signature(cls.__init__).parameters.values()
            if p.name != "self"]


@pytest.mark.parametrize("name", [
    "Linear", "LayerNorm", "Embedding", "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss",
    "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "KLDivLoss", "Softmax",
    "LeakyReLU", "ELU", "GELU", "Softplus", "Flatten", "Unflatten", "Dropout",
])
def test_signatures_are_pytorchs(name):
    torch = pytest.importorskip("torch")
    assert _parameters(getattr(nn, name)) == _parameters(getattr(torch.nn, name))


def test_batchnorm_signature_is_pytorchs_plus_fused():
    torch = pytest.importorskip("torch")
    ours = _parameters(nn.BatchNorm1d)
    assert ours[-1][0] == "fused" and ours[:-1] == _parameters(torch.nn.BatchNorm1d)


@pytest.mark.parametrize("size_average, reduce, reduction", [
    (None, None, "mean"), (False, None, "sum"), (True, False, "none"), (None, False, "none"),
    (False, True, "sum"), (True, True, "mean"),
])
def test_legacy_reduction_flags(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        assert nn.MSELoss().reduction == "mean"
        return
    message = f"size_average and reduce args will be deprecated, please use reduction='{reduction}'"
    with pytest.warns(UserWarning, match=re.escape(message)):
        loss = nn.MSELoss(size_average=size_average, reduce=reduce)
    assert loss.reduction == reduction
    with pytest.warns(UserWarning):
        assert nn.CrossEntropyLoss(None, size_average, reduce=reduce).reduction == reduction


def test_old_tutorial_loss_sums():
    with pytest.warns(UserWarning):
        loss_fn = nn.MSELoss(size_average=False)
    assert loss_fn(tg.ones(3), tg.zeros(3)).item() == 3.0


def test_loss_weights_are_buffers():
    loss = nn.BCEWithLogitsLoss(pos_weight=tg.ones(3))
    assert list(loss.state_dict()) == ["pos_weight"]
    assert list(nn.CrossEntropyLoss(weight=tg.ones(2)).state_dict()) == ["weight"]
    assert list(nn.BCELoss(weight=tg.ones(2)).double().weight.shape) == [2]


def test_device_arguments():
    assert nn.Linear(2, 3, True, "cpu", tg.float64).weight.dtype == tg.float64
    assert nn.BatchNorm1d(3, 1e-5, 0.1, True, True, "cpu", tg.float64).weight.dtype == tg.float64
    assert nn.LayerNorm(3, device=tg.device("cpu")).weight.shape == (3,)
    with pytest.raises(RuntimeError, match="runs on the CPU"):
        nn.Linear(2, 3, device="cuda")


def test_embedding_from_pretrained_and_its_options():
    weights = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    frozen = nn.Embedding.from_pretrained(weights)
    assert not frozen.weight.requires_grad and frozen(tg.tensor([1])).tolist() == [[3.0, 4.0]]
    assert nn.Embedding.from_pretrained(weights, freeze=False).weight.requires_grad
    capped = nn.Embedding.from_pretrained(weights.clone(), max_norm=1.0, norm_type=1.0)
    assert np.allclose(capped(tg.tensor([1])).numpy(), [[3 / 7, 4 / 7]], atol=1e-6)
    assert repr(capped) == "Embedding(2, 2, max_norm=1.0, norm_type=1.0)"
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dimensional"):
        nn.Embedding.from_pretrained(tg.ones(3))


@pytest.mark.parametrize("shape", [(8, 4), (6, 4, 3)])
def test_unfused_batchnorm_is_the_same_layer(shape):
    tg.manual_seed(0)
    x = tg.randn(*shape, dtype=tg.float64)
    layers = [nn.BatchNorm1d(4, dtype=tg.float64, fused=fused) for fused in (True, False)]
    results = []
    for layer in layers:
        with tg.no_grad():
            layer.weight.uniform_(0.5, 1.5)
            layer.bias.uniform_(-1, 1)
        layer.weight.data.copy_(layers[0].weight.data)
        layer.bias.data.copy_(layers[0].bias.data)
        inputs = x.clone().requires_grad_()
        out = layer(inputs)
        (out * tg.arange(out.numel(), dtype=tg.float64).reshape(out.shape)).sum().backward()
        results.append((out, inputs.grad, layer.weight.grad, layer.running_mean, layer.running_var))
    fused_op = {type(op).__name__ for op in [results[0][0].grad_fn]}
    assert fused_op == {"BatchNorm"} and results[1][0].grad_fn.name != "BatchNorm"
    for a, b in zip(*results):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)

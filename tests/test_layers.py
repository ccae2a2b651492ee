"""Containers (ModuleList, ModuleDict), Embedding and the activation modules: names, shapes,
reprs and errors as PyTorch's, compared with PyTorch when installed. Their gradients are checked
in the op table (``op_cases.py``)."""

import re

import numpy as np
import pytest

import tinygrad_bn as tg
import tinygrad_bn.nn as nn


def network(lib):
    """A model built with ModuleList and ModuleDict, its weights set from NumPy."""
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = lib.nn.Embedding(5, 3, padding_idx=1)
            self.blocks = lib.nn.ModuleList([lib.nn.Linear(3, 4), lib.nn.Linear(4, 4)])
            self.blocks.append(lib.nn.Linear(4, 2))
            self.heads = lib.nn.ModuleDict({"act": lib.nn.GELU(), "out": lib.nn.Linear(2, 1)})

        def forward(self, tokens):
            h = self.embed(tokens).mean(dim=1)
            for block in self.blocks:
                h = self.heads["act"](block(h))
            return self.heads["out"](h)

    net = Net().double()
    rng = np.random.default_rng(0)
    with lib.no_grad():
        for p in net.parameters():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape))))
        net.embed.weight[1] = 0.0
    tokens = lib.tensor([[0, 1, 4], [2, 2, 1]])
    out = net(tokens)
    out.sum().backward()
    return {"keys": list(net.state_dict().keys()), "repr": repr(net), "out": out.detach().numpy(),
            "embed_grad": net.embed.weight.grad.numpy(),
            "block_grad": net.blocks[0].weight.grad.numpy()}


def test_containers_name_their_modules_like_pytorch():
    result = network(tg)
    assert result["keys"] == [
        "embed.weight", "blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias",
        "blocks.2.weight", "blocks.2.bias", "heads.out.weight", "heads.out.bias"]
    assert np.all(result["embed_grad"][1] == 0)  # the padding row gets no gradient


def test_containers_and_embedding_match_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = network(tg), network(torch)
    assert ours["keys"] == theirs["keys"]
    for key in ("out", "embed_grad", "block_grad"):
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-10, atol=1e-12)


def test_module_list_and_dict_behave_as_a_list_and_a_dict():
    layers = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    layers.insert(0, nn.Sigmoid())
    layers[1] = nn.GELU()
    assert [type(m).__name__ for m in layers] == ["Sigmoid", "GELU", "Tanh"]
    assert len(layers[1:]) == 2 and isinstance(layers[1:], nn.ModuleList)
    del layers[0]
    assert len(layers) == 2
    heads = nn.ModuleDict()
    heads.update([("a", nn.ReLU())])
    heads["b"] = nn.Tanh()
    assert list(heads) == ["a", "b"] and "a" in heads and len(heads) == 2
    assert type(heads.pop("a")).__name__ == "ReLU" and list(heads.keys()) == ["b"]


def test_activation_reprs_match_pytorchs():
    modules = [nn.LeakyReLU(0.2), nn.ReLU6(), nn.Hardtanh(-2.0, 2.0), nn.ELU(alpha=0.5),
               nn.GELU(), nn.GELU("tanh"), nn.SiLU(), nn.Softplus(beta=2.0), nn.ReLU(inplace=True),
               nn.Embedding(10, 4), nn.Embedding(10, 4, padding_idx=-1)]
    texts = [repr(m) for m in modules]
    assert texts[0] == "LeakyReLU(negative_slope=0.2)" and texts[-1] == (
        "Embedding(10, 4, padding_idx=9)")
    torch = pytest.importorskip("torch")
    theirs = [repr(m) for m in (
        torch.nn.LeakyReLU(0.2), torch.nn.ReLU6(), torch.nn.Hardtanh(-2.0, 2.0),
        torch.nn.ELU(alpha=0.5), torch.nn.GELU(), torch.nn.GELU("tanh"), torch.nn.SiLU(),
        torch.nn.Softplus(beta=2.0), torch.nn.ReLU(inplace=True), torch.nn.Embedding(10, 4),
        torch.nn.Embedding(10, 4, padding_idx=-1))]
    assert texts == theirs


def test_inplace_relu_writes_into_its_input():
    x = tg.tensor([-1.0, 2.0], requires_grad=True)
    h = x * 1
    out = nn.ReLU(inplace=True)(h)
    assert out is h and h.tolist() == [0.0, 2.0]
    out.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0]


@pytest.mark.parametrize("action, error, message", [
    (lambda: nn.Embedding(3, 2)(tg.tensor([3])), IndexError, "index out of range in self"),
    (lambda: nn.Embedding(3, 2)(tg.tensor([0.0])), RuntimeError,
     "Expected tensor for argument #1 'indices' to have one of the following scalar types: "
     "Long, Int; but got float32 instead"),
    (lambda: nn.Embedding(3, 2, padding_idx=3), AssertionError,
     "Padding_idx must be within num_embeddings"),
    (lambda: nn.Hardtanh(1.0, -1.0), ValueError, "min_val cannot be greater than max_val"),
    (lambda: nn.GELU("fast")(tg.ones(1)), RuntimeError,
     "approximate argument must be either none or tanh, got 'fast'"),
    (lambda: nn.ModuleList([nn.ReLU()])[3], IndexError,
     "index 3 is out of range"),
    (lambda: nn.ModuleList([3]), TypeError, "int is not a Module subclass"),
    (lambda: nn.ModuleDict().__setitem__(1, nn.ReLU()), TypeError,
     "module name should be a string. Got int"),
    (lambda: nn.ModuleList()(tg.ones(1)), NotImplementedError,
     'Module [ModuleList] is missing the required "forward" function'),
    (lambda: tg.ones(2) & tg.ones(2), NotImplementedError,
     "\"bitwise_and_cpu\" not implemented for 'Float'"),
    (lambda: ~tg.ones(2), TypeError,
     "~ (operator.invert) is only implemented on integer and Boolean-type tensors"),
])
def test_layer_errors(action, error, message):
    with pytest.raises(error, match=re.escape(message)):
        action()


def test_bitwise_and_logical_ops_on_masks():
    a, b = tg.tensor([True, True, False]), tg.tensor([True, False, False])
    assert (a & b).tolist() == [True, False, False] and (a | b).tolist() == [True, True, False]
    assert (a ^ b).tolist() == [False, True, False] and (~a).tolist() == [False, False, True]


def test_linear_with_zero_features_works_as_pytorch():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        layer = tg.nn.Linear(0, 4)
    out = layer(tg.ones(2, 0))
    assert out.shape == (2, 4) and layer.weight.shape == (4, 0)
    assert out.tolist() == [layer.bias.tolist()] * 2  # the bias alone, from U(0, 0) = 0
    assert layer.bias.tolist() == [0.0] * 4
    out.sum().backward()
    assert layer.bias.grad.tolist() == [2.0] * 4
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        assert tg.nn.Linear(4, 0)(tg.ones(2, 4)).shape == (2, 0)

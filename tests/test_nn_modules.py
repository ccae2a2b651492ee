"""Module mechanics (discovery, names, modes, state dicts, printing) and the simple layers."""

import math
import re

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn
from _shared.article_models import MLPWithBatchNorm


ArticleMLP = MLPWithBatchNorm  # the article's model, as written for PyTorch (examples/)


ARTICLE_KEYS = [
    "fc1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
    "bn1.num_batches_tracked", "fc2.weight", "bn2.weight", "bn2.bias", "bn2.running_mean",
    "bn2.running_var", "bn2.num_batches_tracked", "fc3.weight", "fc3.bias",
]


def test_state_dict_keys_and_order_are_pytorchs():
    model = ArticleMLP(20, 64, 5)
    assert list(model.state_dict()) == ARTICLE_KEYS
    assert [name for name, _ in model.named_parameters()] == [
        "fc1.weight", "bn1.weight", "bn1.bias", "fc2.weight", "bn2.weight", "bn2.bias",
        "fc3.weight", "fc3.bias"]
    assert [name for name, _ in model.named_buffers()] == [
        "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked", "bn2.running_mean",
        "bn2.running_var", "bn2.num_batches_tracked"]
    assert [name for name, _ in model.named_children()] == ["fc1", "bn1", "fc2", "bn2", "fc3",
                                                            "relu"]
    assert [name for name, _ in model.named_modules()][:3] == ["", "fc1", "bn1"]


def test_parameter_counts_of_the_articles_placement_models():
    before = nn.Sequential(nn.Linear(256, 128, bias=False), nn.BatchNorm1d(128), nn.ReLU(),
                           nn.Linear(128, 64, bias=False), nn.BatchNorm1d(64), nn.ReLU(),
                           nn.Linear(64, 10))
    after = nn.Sequential(nn.Linear(256, 128), nn.ReLU(), nn.BatchNorm1d(128),
                          nn.Linear(128, 64), nn.ReLU(), nn.BatchNorm1d(64), nn.Linear(64, 10))
    assert sum(p.numel() for p in before.parameters()) == 41_994
    assert sum(p.numel() for p in after.parameters()) == 42_186
    assert "0.weight" in before.state_dict() and "1.running_var" in before.state_dict()


def test_parameters_inside_containers_and_shared_ones_once():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 1)])
            self.extra = nn.ParameterDict({"scale": nn.Parameter(tg.ones(1))})
            self.tied = self.layers[0]  # the same module under two names
            self.offset = nn.Parameter(tg.zeros(1))

    model = Model()
    names = [n for n, _ in model.named_parameters()]
    # a module's own parameters come before its children's, as in PyTorch
    assert names == ["offset", "layers.0.weight", "layers.0.bias", "layers.1.weight",
                     "layers.1.bias", "extra.scale"]
    assert len(list(model.parameters())) == 6


def test_train_and_eval_recurse():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(), nn.BatchNorm1d(2)))
    assert model.eval() is model
    assert all(not m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        model.train("yes")


def test_zero_grad_to_none_or_zeros():
    model = nn.Linear(3, 2)
    model(tg.randn(4, 3)).sum().backward()
    model.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.detach().numpy() == 0) for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_double_and_float_convert_parameters_and_buffers_in_place():
    model = ArticleMLP(20, 64, 5)
    weight = model.fc1.weight
    model.double()
    assert model.fc1.weight is weight and weight.dtype == tg.float64
    assert model.bn1.running_var.dtype == tg.float64
    assert model.bn1.num_batches_tracked.dtype == tg.int64
    assert model(tg.randn(4, 20, dtype=tg.float64)).dtype == tg.float64
    model.float()
    assert weight.dtype == tg.float32
    with pytest.raises(TypeError, match="only accepts floating point dtypes, but got desired "
                                        "dtype=int64"):
        model.to(tg.int64)


def test_load_state_dict_round_trip_and_arrays():
    a, b = ArticleMLP(20, 64, 5), ArticleMLP(20, 64, 5)
    a.bn1.running_mean.data[...] = 3.0
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values()):
        np.testing.assert_array_equal(x.detach().numpy(), y.detach().numpy(), err_msg=name)
    c = ArticleMLP(20, 64, 5)
    c.load_state_dict({k: v.detach().numpy().copy() for k, v in a.state_dict().items()})  # NumPy arrays
    np.testing.assert_array_equal(c.fc3.bias.detach().numpy(), a.fc3.bias.detach().numpy())


def test_load_state_dict_lists_every_problem_and_changes_nothing():
    model = ArticleMLP(20, 64, 5)
    before = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    state = ArticleMLP(20, 64, 5).state_dict()
    del state["fc3.bias"]
    state["fc4.weight"] = tg.ones(2)
    state["fc1.weight"] = tg.ones(64, 19)
    with pytest.raises(RuntimeError) as error:
        model.load_state_dict(state)
    assert str(error.value) == (
        "Error(s) in loading state_dict for MLPWithBatchNorm:\n"
        '\tMissing key(s) in state_dict: "fc3.bias". \n'
        '\tUnexpected key(s) in state_dict: "fc4.weight". \n'
        "\tsize mismatch for fc1.weight: copying a param with shape torch.Size([64, 19]) from "
        "checkpoint, the shape in current model is torch.Size([64, 20]).")
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.detach().numpy(), before[key])
    state["fc1.weight"] = tg.ones(64, 20)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["fc3.bias"] and result.unexpected_keys == ["fc4.weight"]
    assert np.all(model.fc1.weight.detach().numpy() == 1)


def test_load_state_dict_converts_dtypes_and_is_atomic_on_values_that_are_not_numbers():
    model = ArticleMLP(20, 64, 5)
    before = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    state = {k: v.detach().numpy().astype(np.float64) for k, v in
             ArticleMLP(20, 64, 5).state_dict().items()}
    state["bn1.num_batches_tracked"] = np.float64(7.0)
    good = dict(state)
    state["fc3.bias"] = np.array(["a"] * 5)  # after fc1..., so a loop that writes as it goes
    with pytest.raises(RuntimeError) as error:  # would already have changed fc1
        model.load_state_dict(state)
    assert 'While copying the parameter named "fc3.bias", expected a tensor of numbers from ' \
        "checkpoint but received ndarray of dtype <U1." in str(error.value)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.detach().numpy(), before[key])
    model.load_state_dict(good)
    assert model.fc1.weight.dtype == tg.float32 and model.bn1.num_batches_tracked.item() == 7
    assert model.bn1.num_batches_tracked.dtype == tg.int64
    np.testing.assert_array_equal(model.fc1.weight.detach().numpy(),
                                  good["fc1.weight"].astype(np.float32))


def test_repr_is_pytorchs():
    assert repr(ArticleMLP(20, 64, 5)) == (
        "MLPWithBatchNorm(\n"
        "  (fc1): Linear(in_features=20, out_features=64, bias=False)\n"
        "  (bn1): BatchNorm1d(64, eps=1e-05, momentum=0.1, affine=True, bias=True, "
        "track_running_stats=True)\n"
        "  (fc2): Linear(in_features=64, out_features=64, bias=False)\n"
        "  (bn2): BatchNorm1d(64, eps=1e-05, momentum=0.1, affine=True, bias=True, "
        "track_running_stats=True)\n"
        "  (fc3): Linear(in_features=64, out_features=5, bias=True)\n"
        "  (relu): ReLU()\n"
        ")")
    nested = nn.Sequential(nn.Sequential(nn.Tanh()), nn.Dropout(0.1))
    assert repr(nested) == ("Sequential(\n  (0): Sequential(\n    (0): Tanh()\n  )\n"
                            "  (1): Dropout(p=0.1, inplace=False)\n)")
    assert repr(nn.Parameter(tg.ones(2))) == "Parameter containing:\ntensor([1., 1.], " \
                                             "requires_grad=True)"


def test_sequential_container_behaviour():
    seq = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    seq.append(nn.Linear(3, 2))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear) and isinstance(seq[1], nn.ReLU)
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear"]
    assert len(seq[:2]) == 2
    assert seq(tg.randn(5, 4)).shape == (5, 2)
    assert list(seq.state_dict())[-1] == "2.bias"
    with pytest.raises(IndexError, match="^index 3 is out of range$"):  # PyTorch's words
        seq[3]
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        nn.Sequential(nn.ReLU(), 3)


def test_linear_matches_numpy_and_pytorchs_initialisation():
    tg.manual_seed(0)
    layer = nn.Linear(400, 30)
    bound = 1 / math.sqrt(400)
    for p in (layer.weight, layer.bias):
        assert p.detach().numpy().min() >= -bound and p.detach().numpy().max() <= bound
        assert p.detach().numpy().max() > 0.9 * bound and p.detach().numpy().min() < -0.9 * bound  # the whole range
    assert layer.weight.shape == (30, 400) and layer.weight.dtype == tg.float32
    x = tg.randn(7, 400)
    np.testing.assert_allclose(layer(x).detach().numpy(), x.detach().numpy() @ layer.weight.detach().numpy().T + layer.bias.detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    out = layer(x)
    assert out.grad_fn.name == "Linear"
    tg.manual_seed(0)
    again = nn.Linear(400, 30)
    np.testing.assert_array_equal(again.weight.detach().numpy(), layer.weight.detach().numpy())


@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradients(shape, bias):
    layer = nn.Linear(4, 3, bias=bias).double()
    x = tg.tensor(np.random.default_rng(0).normal(size=shape), requires_grad=True)
    params = [x] + list(layer.parameters())
    assert tg.gradcheck(lambda x, *p: layer(x), params)


def test_linear_error_names_the_layer_and_the_shape():
    with pytest.raises(RuntimeError, match=re.escape(
            "Linear(20 -> 64) got input of shape (32, 19): expected the last dimension to be 20")):
        nn.Linear(20, 64)(tg.randn(32, 19))
    with pytest.raises(ValueError, match=re.escape("Linear: in_features must be a non-negative "
                                                   "int, got 2.5")):
        nn.Linear(2.5, 3)


def test_layer_norm_matches_numpy_and_gradchecks():
    rng = np.random.default_rng(1)
    x = rng.normal(3, 2, (4, 5))
    ln = nn.LayerNorm(5).double()
    expected = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(ln(tg.tensor(x)).detach().numpy(), expected, rtol=1e-10)
    ln.weight.data[...] = rng.normal(size=5)
    xt = tg.tensor(x, requires_grad=True)
    assert tg.gradcheck(lambda t, w, b: ln(t), [xt, ln.weight, ln.bias])
    two_dims = nn.LayerNorm((2, 3), elementwise_affine=False)
    assert list(two_dims.parameters()) == [] and two_dims(tg.randn(4, 2, 3)).shape == (4, 2, 3)
    with pytest.raises(RuntimeError, match=re.escape(
            "Given normalized_shape=[4], expected input with shape [*, 4], but got input of "
            "size[2, 3]")):
        nn.LayerNorm(4)(tg.randn(2, 3))


def test_dropout_in_training_and_eval():
    tg.manual_seed(0)
    drop = nn.Dropout(p=0.25)
    x = tg.ones(200, 100)
    y = drop(x)
    kept = y.detach().numpy() != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.75)
    x = tg.ones(3, requires_grad=True)
    drop(x).sum().backward()
    assert np.all(np.isclose(x.grad.detach().numpy(), 0) | np.isclose(x.grad.detach().numpy(), 1 / 0.75))
    drop.eval()
    assert drop(x) is x
    assert np.all(nn.Dropout(1.0)(tg.ones(5)).detach().numpy() == 0)
    assert nn.Dropout(0.0)(x) is x
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got "
                                         "1.5"):
        nn.Dropout(1.5)


def test_activation_modules_and_identity_flatten():
    x = tg.tensor([[-1.0, 0.5], [2.0, -3.0]])
    np.testing.assert_array_equal(nn.ReLU()(x).detach().numpy(), x.relu().detach().numpy())
    np.testing.assert_array_equal(nn.Tanh()(x).detach().numpy(), x.tanh().detach().numpy())
    np.testing.assert_array_equal(nn.Sigmoid()(x).detach().numpy(), x.sigmoid().detach().numpy())
    np.testing.assert_array_equal(nn.Softmax(dim=1)(x).detach().numpy(), x.softmax(1).detach().numpy())
    np.testing.assert_array_equal(nn.LogSoftmax(dim=1)(x).detach().numpy(), x.log_softmax(1).detach().numpy())
    assert nn.Identity(54, unused=1)(x) is x
    assert nn.Flatten()(tg.ones(2, 3, 4)).shape == (2, 12)
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"


def test_module_errors():
    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match=re.escape(
            'Module [NoForward] is missing the required "forward" function')):
        NoForward()(tg.ones(1))
    module = nn.Module()
    with pytest.raises(TypeError, match=re.escape(
            "cannot assign 'numpy.ndarray' object to buffer 'stats' (torch Tensor or None required)")):
        module.register_buffer("stats", np.ones(2))
    with pytest.raises(KeyError, match="buffer name must be a non-empty string"):
        module.register_buffer("a.b", tg.ones(1))
    with pytest.raises(TypeError, match="cannot assign 'torch.FloatTensor' object to parameter 'w'"):
        module.register_parameter("w", tg.ones(1))
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        module.add_module("m", 3)

    class Forgot(nn.Module):
        def __init__(self):
            self.register_buffer("x", tg.ones(1))

    with pytest.raises(AttributeError, match=re.escape(
            "cannot assign buffer before Module.__init__() call")):
        Forgot()


def test_registered_buffers_and_parameters_and_apply():
    module = nn.Module()
    module.register_buffer("counts", tg.zeros(3))
    module.register_buffer("scratch", tg.zeros(2), persistent=False)
    module.register_parameter("scale", nn.Parameter(tg.ones(1)))
    module.add_module("inner", nn.Linear(1, 1))
    assert list(module.state_dict()) == ["scale", "counts", "inner.weight", "inner.bias"]
    assert [n for n, _ in module.named_buffers()] == ["counts", "scratch"]
    visited = []
    module.apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Linear", "Module"]
    module.requires_grad_(False)
    assert not any(p.requires_grad for p in module.parameters())


def test_init_functions_and_their_error():
    w = nn.Parameter(tg.zeros(30, 40))
    nn.init.kaiming_uniform_(w, nonlinearity="relu")
    bound = math.sqrt(2.0) * math.sqrt(3.0 / 40)
    assert np.abs(w.detach().numpy()).max() <= bound and np.abs(w.detach().numpy()).max() > 0.9 * bound
    nn.init.normal_(w, mean=2.0, std=0.1)
    assert abs(w.detach().numpy().mean() - 2.0) < 0.02
    assert nn.init.ones_(w) is w and np.all(w.detach().numpy() == 1)
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor with "
                                         "fewer than 2 dimensions"):
        nn.init.kaiming_uniform_(nn.Parameter(tg.zeros(5)))

"""Layers, losses and optimizers against PyTorch, when it is installed: identical initial
weights and batches give the same losses, running statistics and parameters to float64
precision. Skipped otherwise (the package never imports PyTorch)."""

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn
from tinygrad_bn.nn import functional as F

torch = pytest.importorskip("torch")


def article_model(lib, batchnorm=True):
    n = lib.nn
    if batchnorm:
        return n.Sequential(n.Linear(20, 64, bias=False), n.BatchNorm1d(64), n.ReLU(),
                            n.Linear(64, 64, bias=False), n.BatchNorm1d(64), n.ReLU(),
                            n.Linear(64, 5))
    return n.Sequential(n.Linear(20, 64), n.ReLU(), n.Linear(64, 64), n.ReLU(), n.Linear(64, 5))


def copy_weights(ours, theirs):
    theirs.load_state_dict({k: torch.from_numpy(np.array(v.detach().numpy())) for k, v in
                            ours.state_dict().items()})


@pytest.mark.parametrize("batchnorm", [True, False])
@pytest.mark.parametrize("make_optimizer", [
    lambda lib, params: lib.optim.Adam(params, lr=0.01),
    lambda lib, params: lib.optim.Adam(params, lr=0.01, weight_decay=0.01, amsgrad=True),
    lambda lib, params: lib.optim.AdamW(params, lr=0.01),
    lambda lib, params: lib.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True),
    lambda lib, params: lib.optim.RMSprop(params, lr=0.01),
    lambda lib, params: lib.optim.RMSprop(params, lr=0.01, momentum=0.9, centered=True,
                                          weight_decay=0.01),
    lambda lib, params: lib.optim.Adagrad(params, lr=0.1),
    lambda lib, params: lib.optim.Adagrad(params, lr=0.1, lr_decay=0.01, weight_decay=0.01,
                                          initial_accumulator_value=0.1),
], ids=["adam", "adam_l2_amsgrad", "adamw", "sgd_nesterov", "rmsprop", "rmsprop_centered_momentum",
        "adagrad", "adagrad_decay"])
def test_training_steps_match_pytorch(batchnorm, make_optimizer):
    tg.manual_seed(0)
    ours = article_model(tg, batchnorm).double()
    theirs = article_model(torch, batchnorm).double()
    copy_weights(ours, theirs)
    opt_ours = make_optimizer(tg, ours.parameters())
    opt_theirs = make_optimizer(torch, theirs.parameters())
    rng = np.random.default_rng(0)
    for step in range(20):
        x, y = rng.normal(size=(32, 20)), rng.integers(0, 5, 32)
        losses = []
        for model, opt, lib in ((ours, opt_ours, tg), (theirs, opt_theirs, torch)):
            opt.zero_grad()
            loss = lib.nn.CrossEntropyLoss()(model(lib.tensor(x)), lib.tensor(y))
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert losses[0] == pytest.approx(losses[1], rel=1e-10, abs=1e-12), step
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].detach().numpy(), value.numpy(), rtol=1e-8,
                                   atol=1e-10, err_msg=key)
    ours.eval(), theirs.eval()
    x = rng.normal(size=(7, 20))
    np.testing.assert_allclose(ours(tg.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("options", [
    {}, {"momentum": None}, {"momentum": 0.3, "eps": 1e-3}, {"affine": False},
    {"track_running_stats": False},
])
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5)])
def test_batchnorm_matches_pytorch(options, shape):
    ours, theirs = nn.BatchNorm1d(3, **options).double(), torch.nn.BatchNorm1d(3, **options).double()
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = rng.normal(2, 3, shape)
        xt, xp = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        g = rng.normal(size=shape)
        ours(xt).backward(tg.tensor(g))
        theirs(xp).backward(torch.tensor(g))
        np.testing.assert_allclose(xt.grad.detach().numpy(), xp.grad.numpy(), rtol=1e-9, atol=1e-12)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].detach().numpy(), value.numpy(), rtol=1e-12)
    ours.eval(), theirs.eval()
    x = rng.normal(size=shape)
    np.testing.assert_allclose(ours(tg.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("kind", ["indices", "ignored", "probabilities"])
def test_cross_entropy_matches_pytorch(reduction, smoothing, kind):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(6, 4)) * 3
    if kind == "probabilities":
        target = rng.random((6, 4))
        target /= target.sum(1, keepdims=True)
    else:
        target = rng.integers(0, 4, 6)
        if kind == "ignored":
            target[[0, 3]] = -100
    weight = np.array([0.5, 2.0, 1.0, 3.0])
    results = []
    for lib, functional in ((tg, F), (torch, torch.nn.functional)):
        xt = lib.tensor(x, requires_grad=True)
        loss = functional.cross_entropy(xt, lib.tensor(target), weight=lib.tensor(weight),
                                        reduction=reduction, label_smoothing=smoothing)
        loss.sum().backward()
        results.append((np.asarray(loss.detach().numpy() if lib is torch else loss.detach().numpy()),
                        np.asarray(xt.grad.numpy() if lib is torch else xt.grad.detach().numpy())))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_layer_norm_and_linear_init_shapes_match_pytorch():
    ours, theirs = nn.LayerNorm((3, 4)).double(), torch.nn.LayerNorm((3, 4)).double()
    x = np.random.default_rng(3).normal(size=(2, 3, 4))
    np.testing.assert_allclose(ours(tg.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10)
    assert repr(ours) == repr(theirs)
    assert repr(nn.Linear(3, 2)) == repr(torch.nn.Linear(3, 2))
    assert list(article_model(tg).state_dict()) == list(article_model(torch).state_dict())

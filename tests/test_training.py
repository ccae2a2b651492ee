"""End to end: the article's training code, written for PyTorch with only the imports changed,
learns a learnable problem with and without BatchNorm."""

import numpy as np

import tinygrad_bn as torch  # the article's code runs with its import lines changed
from tinygrad_bn.utils.data import DataLoader, TensorDataset
from _shared.article_models import MLPWithBatchNorm as ArticleMLP, MLPWithoutBatchNorm
from batchnorm_comparison import train_model  # the article's training loop, as PyTorch code


def learnable_problem(n=1000, features=20, classes=5):
    """Labels from a fixed random linear teacher, so a model can learn them (unlike the
    article's random labels, which can only be memorised)."""
    torch.manual_seed(42)
    X = torch.randn(n, features)
    teacher = torch.randn(features, classes)
    y = (X @ teacher).argmax(dim=1)
    return X, y


def accuracy(model, X, y):
    model.eval()
    with torch.no_grad():
        return (model(X).argmax(dim=1) == y).float().mean().item()


def test_both_article_mlps_learn_a_learnable_problem():
    X, y = learnable_problem()
    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    for model in (ArticleMLP(20, 64, 5), MLPWithoutBatchNorm(20, 64, 5)):
        losses = train_model(model, loader, epochs=8)
        assert losses[-1] < 0.5 * losses[0], losses
        assert accuracy(model, X, y) > 0.9
        assert all(np.isfinite(losses))


def test_batchnorm_state_after_training_is_sane():
    X, y = learnable_problem()
    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    model = ArticleMLP(20, 64, 5)
    train_model(model, loader, epochs=2)
    assert model.bn1.num_batches_tracked.item() == 2 * len(loader)
    assert np.all(model.bn1.running_var.detach().numpy() > 0)
    assert not np.allclose(model.bn1.weight.detach().numpy(), 1)

"""Checkpoints meet PyTorch: a state dict saved by tinygrad_bn loads into the same PyTorch model
through numpy.load and torch.from_numpy, and PyTorch's own files are refused with a message
that says what they are and what to do. Skipped without PyTorch."""

import re

import numpy as np
import pytest

import tinygrad_bn as tg
from test_nn_modules import ArticleMLP

torch = pytest.importorskip("torch")


def torch_article_model(torch):
    """The article's model (examples/_shared/article_models.py) with PyTorch's nn: same names."""
    class MLPWithBatchNorm(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(20, 64, bias=False)
            self.bn1 = torch.nn.BatchNorm1d(64)
            self.fc2 = torch.nn.Linear(64, 64, bias=False)
            self.bn2 = torch.nn.BatchNorm1d(64)
            self.fc3 = torch.nn.Linear(64, 5)

        def forward(self, x):
            x = torch.relu(self.bn1(self.fc1(x)))
            return self.fc3(torch.relu(self.bn2(self.fc2(x))))

    return MLPWithBatchNorm()


def test_the_readme_one_liner_loads_an_npz_state_dict_into_pytorch(tmp_path):
    model = ArticleMLP(20, 64, 5)
    model(tg.randn(8, 20))
    model(tg.randn(8, 20))
    model.eval()
    tg.save(model.state_dict(), tmp_path / "model.npz")
    state_dict = {k: torch.from_numpy(v) for k, v in np.load(tmp_path / "model.npz").items()}
    theirs = torch_article_model(torch).eval()
    assert not theirs.load_state_dict(state_dict).missing_keys  # strict: every key matches
    assert int(theirs.bn2.num_batches_tracked) == 2
    assert theirs.bn2.num_batches_tracked.dtype == torch.int64
    x = np.random.default_rng(0).standard_normal((4, 20)).astype(np.float32)
    np.testing.assert_allclose(theirs(torch.from_numpy(x)).detach().numpy(),
                               model(tg.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_a_pytorch_zip_checkpoint_says_what_to_do(tmp_path):
    torch.save(torch.nn.Linear(2, 2).state_dict(), tmp_path / "real.pt")
    with pytest.raises(RuntimeError, match=re.escape(
            f"{tmp_path / 'real.pt'} is not a readable tinygrad_bn checkpoint: it holds "
            "'real/data.pkl', which is not a NumPy array (a PyTorch .pt file? tinygrad_bn "
            "cannot read the pickles torch.save writes: in PyTorch, save the state dict with "
            "safetensors.torch.save_file(model.state_dict(), 'model.safetensors') and load "
            "that file)")):
        tg.load(tmp_path / "real.pt")


def test_a_legacy_pytorch_pickle_says_what_it_is(tmp_path):
    torch.save(torch.nn.Linear(2, 2).state_dict(), tmp_path / "old.pt",
               _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match=re.escape(
            f"{tmp_path / 'old.pt'} is not a readable tinygrad_bn checkpoint: it is a bare "
            "Python pickle (what pickle.dump writes, or torch.save with "
            "_use_new_zipfile_serialization=False), which tinygrad_bn does not read: load it "
            "where it was written and save it with tinygrad_bn.save, or in PyTorch with "
            "safetensors.torch.save_file(state_dict, 'model.safetensors')")):
        tg.load(tmp_path / "old.pt")


def test_a_batchnorm_state_dict_without_num_batches_tracked_loads_as_in_pytorch(tmp_path):
    """PyTorch keeps the module's own count for a state dict without the entry (one with no
    version metadata, as any dict read from a file): 0 for a fresh module."""
    ours, theirs = tg.nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    for module, lib in ((ours, tg), (theirs, torch)):
        module(lib.randn(4, 3))
        module(lib.randn(4, 3))
        old = {key: value for key, value in module.state_dict().items()
               if key != "num_batches_tracked"}
        old["running_mean"] = lib.ones(3)
        assert module.load_state_dict(old) == ([], [])
        assert int(module.num_batches_tracked) == 2 and module.running_mean.tolist() == [1.0] * 3
    tg.save({k: v for k, v in ours.state_dict().items() if k != "num_batches_tracked"},
            tmp_path / "old.npz")
    fresh, fresh_theirs = tg.nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    fresh.load_state_dict(tg.load(tmp_path / "old.npz"))
    fresh_theirs.load_state_dict({k: torch.from_numpy(v)
                                  for k, v in np.load(tmp_path / "old.npz").items()})
    assert int(fresh.num_batches_tracked) == int(fresh_theirs.num_batches_tracked) == 0
    assert fresh.running_mean.tolist() == fresh_theirs.running_mean.tolist() == [1.0] * 3

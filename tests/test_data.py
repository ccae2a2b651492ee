"""TensorDataset and DataLoader: batching, shuffling, dtypes, reproducibility, errors."""

import re

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn.data import DataLoader, Dataset, TensorDataset


def _dataset(n=10):
    return TensorDataset(tg.arange(n * 2).reshape(n, 2).float(), tg.arange(n))


def test_tensor_dataset_indexing_and_length():
    ds = _dataset()
    x, y = ds[3]
    assert len(ds) == 10 and x.tolist() == [6.0, 7.0] and y.item() == 3


@pytest.mark.parametrize("batch_size, drop_last, sizes", [
    (4, False, [4, 4, 2]), (4, True, [4, 4]), (10, False, [10]), (32, False, [10]), (32, True, []),
])
def test_batches_in_order(batch_size, drop_last, sizes):
    loader = DataLoader(_dataset(), batch_size=batch_size, drop_last=drop_last)
    batches = list(loader)
    assert [len(y) for _, y in batches] == sizes and len(loader) == len(sizes)
    if sizes:
        seen = np.concatenate([y.detach().numpy() for _, y in batches])
        assert seen.tolist() == list(range(sum(sizes)))


def test_shuffle_visits_every_sample_once_and_keeps_dtypes_and_pairs():
    loader = DataLoader(_dataset(), batch_size=3, shuffle=True)
    x_batches, y_batches = zip(*loader)
    labels = np.concatenate([y.detach().numpy() for y in y_batches])
    assert sorted(labels.tolist()) == list(range(10)) and labels.tolist() != list(range(10))
    assert all(y.dtype == tg.int64 and x.dtype == tg.float32 for x, y in zip(x_batches, y_batches))
    for x, y in zip(x_batches, y_batches):
        np.testing.assert_array_equal(x.detach().numpy()[:, 0], 2 * y.detach().numpy())  # rows stay paired


def test_shuffling_is_reproducible_under_manual_seed_and_differs_per_epoch():
    loader = DataLoader(_dataset(50), batch_size=50, shuffle=True)
    tg.manual_seed(1)
    first_epoch, second_epoch = [next(iter(loader))[1].tolist() for _ in range(2)]
    tg.manual_seed(1)
    assert next(iter(loader))[1].tolist() == first_epoch
    assert first_epoch != second_epoch
    g = tg.Generator(5)
    with_generator = DataLoader(_dataset(50), batch_size=50, shuffle=True, generator=g)
    order = next(iter(with_generator))[1].tolist()
    g.manual_seed(5)
    assert next(iter(with_generator))[1].tolist() == order


def test_generic_datasets_are_collated():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return tg.tensor([float(i)]), i * i

    x, y = next(iter(DataLoader(Squares(), batch_size=5, shuffle=True)))
    assert x.shape == (5, 1) and sorted(y.tolist()) == [0, 1, 4, 9, 16]
    assert y.dtype == tg.int64


def test_batches_are_plain_tensors_that_training_can_use():
    x, y = next(iter(DataLoader(_dataset(), batch_size=4)))
    assert not x.requires_grad and x.grad_fn is None


@pytest.mark.parametrize("action, error, message", [
    (lambda: TensorDataset(tg.ones(3), tg.ones(4)), ValueError,
     "Size mismatch between tensors: first dims are [3, 4]"),
    (lambda: TensorDataset(), ValueError, "TensorDataset needs at least one tensor"),
    (lambda: TensorDataset(tg.tensor(1.0)), TypeError,
     "TensorDataset expects tensors with a first dim; argument 0 is Tensor of 0 dims"),
    (lambda: TensorDataset([1, 2]), TypeError,
     "TensorDataset expects tensors with a first dim; argument 0 is list"),
    (lambda: DataLoader(_dataset(), batch_size=0), ValueError,
     "batch_size should be a positive integer value, but got batch_size=0"),
    (lambda: DataLoader(_dataset(), batch_size=2.5), ValueError,
     "batch_size should be a positive integer value, but got batch_size=2.5"),
    (lambda: Dataset()[0], NotImplementedError, "Dataset does not define __getitem__"),
])
def test_errors(action, error, message):
    with pytest.raises(error, match=re.escape(message)):
        action()


def test_pytorch_import_path_works():
    from tinygrad_bn.utils.data import DataLoader as AliasLoader

    assert AliasLoader is DataLoader and tg.utils.data.TensorDataset is TensorDataset

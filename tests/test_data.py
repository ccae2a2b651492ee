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
    g = tg.Generator().manual_seed(5)
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
    (lambda: TensorDataset(tg.ones(3), tg.ones(4)), AssertionError,  # as PyTorch
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
    (lambda: Dataset()[0], NotImplementedError, "Subclasses of Dataset should implement __getitem__."),
])
def test_errors(action, error, message):
    with pytest.raises(error, match=re.escape(message)):
        action()


def test_pytorch_import_path_works():
    from tinygrad_bn.utils.data import DataLoader as AliasLoader

    assert AliasLoader is DataLoader and tg.utils.data.TensorDataset is TensorDataset


# ---------------------------------------------------------------------- more of torch.utils.data


def test_batches_are_copies_so_writing_to_one_keeps_the_data_set():
    x = tg.arange(6).reshape(3, 2).float()
    for shuffle in (False, True):
        for (batch,) in DataLoader(TensorDataset(x), batch_size=2, shuffle=shuffle):
            batch.zero_()
            batch += 5
    assert x.tolist() == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]


def test_subset_concat_and_random_split():
    from tinygrad_bn.utils.data import ConcatDataset, Subset, random_split

    data = TensorDataset(tg.arange(10))
    subset = Subset(data, [7, 2, 5])
    assert len(subset) == 3 and subset[1][0].item() == 2
    both = ConcatDataset([subset, TensorDataset(tg.arange(100, 103))])
    assert len(both) == 6 and both[3][0].item() == 100 and both[-1][0].item() == 102
    first, second = random_split(data, [0.7, 0.3], generator=tg.Generator().manual_seed(1))
    assert (len(first), len(second)) == (7, 3)
    seen = sorted(int(s[0].item()) for part in (first, second) for s in part)
    assert seen == list(range(10))
    parts = random_split(data, [0.34, 0.33, 0.33])
    assert [len(p) for p in parts] == [4, 3, 3]  # the remainder handed out from the first


def test_loader_options_sampler_collate_fn_unbatched_and_dict_samples():
    data = TensorDataset(tg.arange(5), tg.arange(5) * 10)
    order = [b[0].tolist() for b in DataLoader(data, batch_size=2, sampler=[4, 0, 3, 1, 2])]
    assert order == [[4, 0], [3, 1], [2]]
    summed = list(DataLoader(data, batch_size=2, collate_fn=lambda s: sum(x.item() for x, _ in s)))
    assert summed == [1, 5, 4]
    assert [x.item() for x, _ in DataLoader(data, batch_size=None)] == [0, 1, 2, 3, 4]

    class Records(tg.utils.data.Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return {"x": tg.tensor([float(i)]), "label": i}

    batch = next(iter(DataLoader(Records(), batch_size=3)))
    assert batch["x"].shape == (3, 1) and batch["label"].tolist() == [0, 1, 2]


@pytest.mark.parametrize("action, error, message", [
    (lambda: DataLoader(TensorDataset(tg.ones(2)), sampler=[0, 1], shuffle=True), ValueError,
     "sampler option is mutually exclusive with shuffle"),
    (lambda: tg.utils.data.random_split(TensorDataset(tg.ones(5)), [2, 2]), ValueError,
     "Sum of input lengths does not equal the length of the input dataset!"),
    (lambda: tg.utils.data.ConcatDataset([]), AssertionError,
     "datasets should not be an empty iterable"),
    (lambda: tg.utils.data.ConcatDataset([TensorDataset(tg.ones(2))])[-3], ValueError,
     "absolute value of index should not exceed dataset length"),
])
def test_more_data_errors(action, error, message):
    with pytest.raises(error, match=re.escape(message)):
        action()

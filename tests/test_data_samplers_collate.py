"""torch.utils.data in one process: samplers (lazy, with their generators), batch samplers, the
indices a dataset receives, PyTorch's collate rules, DataLoader's argument checks and
messages, IterableDataset, and PyTorch's module paths. Compared with PyTorch when installed."""

import collections
import re
import time
import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn.utils import data
from tinygrad_bn.utils.data import (
    BatchSampler, DataLoader, Dataset, IterableDataset, RandomSampler, SequentialSampler,
    SubsetRandomSampler, TensorDataset, WeightedRandomSampler, default_collate, default_convert,
)


def describe(obj):
    """A library-neutral picture of a batch: tensors as (dtype name, shape, values), containers
    by their type name, recursively; comparing pictures compares structure, dtypes and values."""
    if hasattr(obj, "dtype") and hasattr(obj, "tolist") and not isinstance(obj, np.ndarray):
        return ("tensor", str(obj.dtype).split(".")[-1], tuple(obj.shape), obj.tolist())
    if isinstance(obj, dict):
        return (type(obj).__name__, {key: describe(value) for key, value in obj.items()})
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [describe(item) for item in obj])
    return (type(obj).__name__, obj)


# ---------------------------------------------------------------------- samplers


def test_sequential_and_batch_samplers_match_pytorch_examples():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    assert len(SequentialSampler(range(4))) == 4
    batches = BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False)
    assert list(batches) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]] and len(batches) == 4
    dropped = BatchSampler(range(10), batch_size=3, drop_last=True)
    assert list(dropped) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]] and len(dropped) == 3


def test_random_sampler_is_a_permutation_drawn_from_its_generator():
    sampler = RandomSampler(range(10), generator=tg.Generator().manual_seed(3))
    order = list(sampler)
    assert sorted(order) == list(range(10)) and len(sampler) == 10
    assert all(type(i) is int for i in order)
    sampler.generator.manual_seed(3)
    assert list(sampler) == order
    expected = np.random.Generator(np.random.PCG64(3)).permutation(10).tolist()
    assert order == expected  # the stream the loader has always shuffled with


def test_random_sampler_draws_when_iteration_starts_not_before():
    generator, untouched = tg.Generator().manual_seed(1), tg.Generator().manual_seed(1)
    iterator = iter(RandomSampler(range(5), generator=generator))
    assert generator.get_state()["state"] == untouched.get_state()["state"]
    next(iterator)
    assert generator.get_state()["state"] != untouched.get_state()["state"]


def test_random_sampler_num_samples_without_replacement_chains_permutations():
    drawn = list(RandomSampler(range(4), num_samples=10))
    assert len(drawn) == 10
    assert sorted(drawn[:4]) == sorted(drawn[4:8]) == [0, 1, 2, 3]
    assert len(set(drawn[8:])) == 2


def test_random_sampler_with_replacement_is_lazy():
    sampler = RandomSampler(range(5), replacement=True, num_samples=10**10)
    start = time.perf_counter()
    first = [next(iter(sampler)) for _ in range(3)]
    assert time.perf_counter() - start < 1.0 and len(sampler) == 10**10
    assert all(0 <= i < 5 for i in first)
    counts = np.bincount(list(RandomSampler(range(5), replacement=True, num_samples=5000)),
                         minlength=5)
    assert counts.min() > 800  # uniform over the 5 indices, repeats allowed


def test_makemore_style_endless_sampler_gives_a_batch_at_once():
    X, Y = tg.arange(60).reshape(20, 3), tg.arange(20)
    dataset = TensorDataset(X, Y)
    sampler = RandomSampler(dataset, replacement=True, num_samples=int(1e10))
    loader = DataLoader(dataset, batch_size=32, sampler=sampler)
    start = time.perf_counter()
    x, y = next(iter(loader))
    assert time.perf_counter() - start < 1.0
    assert x.shape == (32, 3) and y.shape == (32,) and len(loader) == 312500000
    np.testing.assert_array_equal(x.numpy()[:, 0], 3 * y.numpy())


def test_subset_random_and_weighted_samplers():
    picked = list(SubsetRandomSampler([10, 20, 30, 40], generator=tg.Generator().manual_seed(1)))
    assert sorted(picked) == [10, 20, 30, 40]
    weighted = list(WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], num_samples=400))
    assert set(weighted) == {1, 3} and weighted.count(3) > weighted.count(1)
    distinct = list(WeightedRandomSampler([1, 1, 1, 1, 5], 5, replacement=False))
    assert sorted(distinct) == [0, 1, 2, 3, 4]
    assert len(WeightedRandomSampler([1, 2], 7)) == 7


SAMPLER_ERRORS = [  # (sampler class name, args, kwargs, iterate it?, error, message)
    ("RandomSampler", (range(3),), {"replacement": 1}, False, TypeError,
     "replacement should be a boolean value, but got replacement=1"),
    ("RandomSampler", (range(3),), {"num_samples": 0}, False, ValueError,
     "num_samples should be a positive integer value, but got num_samples=0"),
    ("RandomSampler", ([],), {}, False, ValueError,
     "num_samples should be a positive integer value, but got num_samples=0"),
    ("WeightedRandomSampler", ([1.0],), {"num_samples": True}, False, ValueError,
     "num_samples should be a positive integer value, but got num_samples=True"),
    ("WeightedRandomSampler", ([1.0], 1), {"replacement": None}, False, ValueError,
     "replacement should be a boolean value, but got replacement=None"),
    ("WeightedRandomSampler", ([[1.0, 2.0]], 1), {}, False, ValueError,
     "weights should be a 1d sequence but given weights have shape (1, 2)"),
    ("WeightedRandomSampler", ([1.0, 2.0], 3), {"replacement": False}, True, RuntimeError,
     "cannot sample n_sample > prob_dist.size(-1) samples without replacement"),
    ("BatchSampler", (range(3), 0, False), {}, False, ValueError,
     "batch_size should be a positive integer value, but got batch_size=0"),
    ("BatchSampler", (range(3), 2), {"drop_last": 1}, False, ValueError,
     "drop_last should be a boolean value, but got drop_last=1"),
]


def _make_sampler(module, name, args, kwargs, iterate):
    sampler = getattr(module, name)(*args, **kwargs)
    return list(sampler) if iterate else sampler


@pytest.mark.parametrize("name, args, kwargs, iterate, error, message", SAMPLER_ERRORS)
def test_sampler_errors(name, args, kwargs, iterate, error, message):
    with pytest.raises(error) as raised:
        _make_sampler(data, name, args, kwargs, iterate)
    assert str(raised.value) == message


@pytest.mark.parametrize("name, args, kwargs, iterate, error, message", SAMPLER_ERRORS)
def test_sampler_errors_are_pytorchs(name, args, kwargs, iterate, error, message):
    torch = pytest.importorskip("torch")
    with pytest.raises(error) as raised:
        _make_sampler(torch.utils.data, name, args, kwargs, iterate)
    assert str(raised.value) == message


# ---------------------------------------------------------------------- what the dataset receives


class Recorder(Dataset):
    """Remembers every index it is given; samples are ``(float(index), index)``."""

    def __init__(self, n=6):
        self.n, self.seen = n, []

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        self.seen.append(index)
        return float(index if isinstance(index, int) else sum(index)), index


class BatchedRecorder(Recorder):
    def __getitems__(self, indices):
        self.seen.append(("batch", indices))
        return [(float(i), i) for i in indices]


def test_indices_reach_the_dataset_unchanged():
    dataset = Recorder()
    batches = list(DataLoader(dataset, batch_size=None, sampler=[[0, 1], [4]]))
    assert dataset.seen == [[0, 1], [4]]  # a sampler of lists, one list per dataset[...] call
    assert describe(batches[0]) == ("list", [("float", 1.0), ("list", [("int", 0), ("int", 1)])])
    with_getitems = BatchedRecorder()
    list(DataLoader(with_getitems, batch_sampler=[[3, 1], [0]]))
    assert with_getitems.seen == [("batch", [3, 1]), ("batch", [0])]
    plain = Recorder()
    list(DataLoader(plain, batch_size=2))
    assert plain.seen == [0, 1, 2, 3, 4, 5] and all(type(i) is int for i in plain.seen)


def test_batch_sampler_option_and_pytorch_benchmark_pattern():
    dataset = TensorDataset(tg.arange(10))
    batches = [b[0].tolist() for b in DataLoader(dataset, batch_sampler=[[9, 0], [5, 5, 1]])]
    assert batches == [[9, 0], [5, 5, 1]]
    sampler = BatchSampler(RandomSampler(dataset), 4, drop_last=True)
    whole = list(DataLoader(dataset, sampler=sampler, batch_size=None))
    assert [b[0].shape for b in whole] == [(4,), (4,)]  # a TensorDataset indexed by a list


def test_fast_tensor_dataset_path_gives_what_collating_gives():
    dataset = TensorDataset(tg.randn(11, 3), tg.arange(11), tg.randn(11) > 0)
    tg.manual_seed(5)
    fast = list(DataLoader(dataset, batch_size=4, shuffle=True))
    tg.manual_seed(5)
    slow = list(DataLoader(dataset, batch_size=4, shuffle=True,
                           collate_fn=lambda samples: default_collate(samples)))
    assert [describe(b) for b in fast] == [describe(b) for b in slow]


@pytest.mark.parametrize("kind, n, batch_size, drop_last, num_samples", [
    ("random", 11, 4, False, None), ("random", 11, 4, True, None),
    ("random", 10, 3, False, 27), ("random", 10, 7, True, 25),       # several permutations
    ("replacement", 10, 5, False, 77), ("replacement", 50, 30, False, 100),  # chunks of 32
    ("replacement", 10, 16, True, 65), ("sequential", 70_001, 1_000, False, None),
    ("sequential", 9, 4, True, None),
])
def test_index_array_batches_are_the_batch_samplers_batches(kind, n, batch_size, drop_last,
                                                             num_samples):
    """A loader over a TensorDataset draws its batches as index arrays (regrouping the
    sampler's chunks itself); the batches, the draws and their timing are those of
    ``BatchSampler.__iter__`` (the general path, taken here through a custom collate_fn), over
    two epochs, across chunk boundaries, and with ``batch_size`` changed mid-epoch."""
    dataset = TensorDataset(tg.arange(n), tg.arange(2 * n).reshape(n, 2).float())

    def batches(collate_fn):
        if kind == "sequential":
            sampler = SequentialSampler(dataset)
        else:
            sampler = RandomSampler(dataset, replacement=kind == "replacement",
                                    num_samples=num_samples,
                                    generator=tg.Generator().manual_seed(3))
        loader = DataLoader(dataset, batch_sampler=BatchSampler(sampler, batch_size, drop_last),
                            **({} if collate_fn is None else {"collate_fn": collate_fn}))
        seen = []
        for _ in range(2):
            for number, batch in enumerate(loader):
                seen.append(describe(batch))
                if number == 1:
                    loader.batch_sampler.batch_size = batch_size + 1
            loader.batch_sampler.batch_size = batch_size
        return seen

    fast = batches(None)
    assert fast == batches(lambda samples: default_collate(samples))
    assert len(fast) >= 2


def test_shuffle_order_is_the_generators_permutation_each_epoch():
    dataset = TensorDataset(tg.arange(7))
    loader = DataLoader(dataset, batch_size=7, shuffle=True,
                        generator=tg.Generator().manual_seed(9))
    stream = np.random.Generator(np.random.PCG64(9))
    for _ in range(3):  # one permutation per epoch, nothing else drawn
        assert next(iter(loader))[0].tolist() == stream.permutation(7).tolist()


# ---------------------------------------------------------------------- collate

Point = collections.namedtuple("Point", "x y")

COLLATE_CASES = {
    "python floats": [1.5, 2.0],
    "python ints": [1, 2],
    "bools": [True, False],
    "strings": ["a", "b"],
    "numpy float32 arrays": [np.ones(2, np.float32), np.zeros(2, np.float32)],
    "numpy scalars": [np.float32(1), np.float32(2)],
    "numpy int64 scalars": [np.int64(3), np.int64(4)],
    "tuples of (tensor-like, int)": [(np.ones(2), 0), (np.zeros(2), 1)],
    "lists": [[1, 2.5], [3, 4.5]],
    "dicts": [{"a": 1, "b": [0.5, 1]}, {"a": 2, "b": [1.5, 2]}],
    "namedtuples": [Point(0, 0.5), Point(1, 1.5)],
}


@pytest.mark.parametrize("case", COLLATE_CASES)
def test_default_collate_and_convert_match_pytorch(case):
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate
    from torch.utils.data import default_convert as torch_convert

    samples = COLLATE_CASES[case]
    assert describe(default_collate(samples)) == describe(torch_collate(samples))
    assert describe(default_convert(samples[0])) == describe(torch_convert(samples[0]))
    as_tensors = [tg.tensor(np.asarray(s)) for s in samples if isinstance(s, np.ndarray)]
    if as_tensors:
        torch_tensors = [torch.tensor(np.asarray(s)) for s in samples]
        assert describe(default_collate(as_tensors)) == describe(torch_collate(torch_tensors))


def test_collate_rules_without_pytorch():
    assert default_collate([1.5, 2.0]).dtype == tg.float64
    assert default_collate([1, 2]).dtype == tg.int64
    batch = default_collate([{"x": Point(1, 2.0)}, {"x": Point(3, 4.0)}])
    assert isinstance(batch["x"], Point) and batch["x"].y.dtype == tg.float64
    assert default_collate([("a", 1), ("b", 2)])[0] == ["a", "b"]
    assert isinstance(default_convert(np.arange(3)), tg.Tensor)
    converted = default_convert((np.arange(2), "s"))
    assert isinstance(converted, list) and converted[1] == "s" and converted[0].dtype == tg.int64


@pytest.mark.parametrize("batch, error, message", [
    ([object(), object()], TypeError,
     "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
     "found <class 'object'>"),
    ([np.array(["a"]), np.array(["b"])], TypeError,
     "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
     "found <U1"),
    ([[1, 2], [3]], RuntimeError, "each element in list of batch should be of equal size"),
])
def test_collate_errors(batch, error, message):
    with pytest.raises(error) as ours:
        default_collate(batch)
    assert str(ours.value) == message
    torch = pytest.importorskip("torch")
    with pytest.raises(error) as theirs:
        torch.utils.data.default_collate(batch)
    assert str(theirs.value) == message


def test_a_map_style_dataset_class_batches_like_pytorch():
    class Pairs(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.full(2, i, np.float32), i

    ours = [describe(b) for b in DataLoader(Pairs(), batch_size=2)]
    torch = pytest.importorskip("torch")
    theirs = [describe(b) for b in torch.utils.data.DataLoader(Pairs(), batch_size=2)]
    assert ours == theirs


# ---------------------------------------------------------------------- DataLoader's arguments

_ds = TensorDataset(tg.ones(4))


class Stream(IterableDataset):
    def __init__(self, n=5):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))


LOADER_ERRORS = [
    (dict(num_workers=-1), ValueError,
     "num_workers option should be non-negative; use num_workers=0 to disable multiprocessing."),
    (dict(timeout=-1), ValueError, "timeout option should be non-negative"),
    (dict(prefetch_factor=2), ValueError,
     "prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 to "
     "enable multiprocessing, otherwise set prefetch_factor to None."),
    (dict(num_workers=1, prefetch_factor=-1), ValueError,
     "prefetch_factor option should be non-negative"),
    (dict(persistent_workers=True), ValueError, "persistent_workers option needs num_workers > 0"),
    (dict(sampler=[0, 1], shuffle=True), ValueError,
     "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), ValueError,
     "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"),
    (dict(batch_sampler=[[0]], drop_last=True), ValueError,
     "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"),
    (dict(batch_size=None, drop_last=True), ValueError,
     "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"),
    (dict(batch_size=0), ValueError,
     "batch_size should be a positive integer value, but got batch_size=0"),
    (dict(multiprocessing_context="fork"), ValueError,
     "multiprocessing_context can only be used with multi-process loading (num_workers > 0), "
     "but got num_workers=0"),
    (dict(num_workers=1, multiprocessing_context=3), TypeError,
     "multiprocessing_context option should be a valid context object or a string specifying "
     "the start method, but got multiprocessing_context=3"),
    (dict(dataset=Stream(), shuffle=True), ValueError,
     "DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle=True"),
    (dict(dataset=Stream(), sampler=[0]), ValueError,
     "DataLoader with IterableDataset: expected unspecified sampler option, but got sampler=[0]"),
    (dict(dataset=Stream(), batch_sampler=[[0]]), ValueError,
     "DataLoader with IterableDataset: expected unspecified batch_sampler option, but got "
     "batch_sampler=[[0]]"),
]


@pytest.mark.parametrize("kwargs, error, message", LOADER_ERRORS)
def test_loader_argument_errors(kwargs, error, message):
    kwargs = {"dataset": _ds, **kwargs}
    with pytest.raises(error) as raised:
        DataLoader(**kwargs)
    assert str(raised.value) == message


@pytest.mark.parametrize("kwargs, error, message", LOADER_ERRORS)
def test_loader_argument_errors_are_pytorchs(kwargs, error, message):
    torch = pytest.importorskip("torch")
    kwargs = dict(kwargs)
    dataset = kwargs.pop("dataset", None)
    if isinstance(dataset, Stream):  # the same stream as PyTorch's own IterableDataset
        dataset = type("TorchStream", (torch.utils.data.IterableDataset,),
                       {"__iter__": lambda self: iter(range(5))})()
    with pytest.raises(error) as raised:
        torch.utils.data.DataLoader(dataset if dataset is not None else [1.0] * 4, **kwargs)
    assert str(raised.value) == message


def test_bad_start_method_names_the_valid_ones():
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    with pytest.raises(ValueError) as raised:
        DataLoader(_ds, num_workers=1, multiprocessing_context="teleport")
    assert str(raised.value) == (f"multiprocessing_context option should specify a valid start "
                                 f"method in {methods!r}, but got "
                                 "multiprocessing_context='teleport'")


def test_attributes_are_frozen_after_init():
    loader = DataLoader(_ds)
    with pytest.raises(ValueError, match="^batch_size attribute should not be set after "
                                         "DataLoader is initialized$"):
        loader.batch_size = 3
    loader.num_workers = 0  # not one of the frozen ones


def test_pin_memory_is_accepted_with_pytorchs_warning():
    loader = DataLoader(_ds, batch_size=2, pin_memory=True)
    with pytest.warns(UserWarning) as caught:
        batches = list(loader)
    assert len(batches) == 2
    assert str(caught[0].message) == ("'pin_memory' argument is set as true but no accelerator "
                                      "is found, then device pinned memory won't be used.")


@pytest.mark.parametrize("kwargs", [
    dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None),
    dict(batch_sampler=[[0], [1, 2]]), dict(sampler=[3, 2, 1], batch_size=2),
    dict(batch_size=2, shuffle=True),
])
def test_len_matches_pytorch(kwargs):
    ours = len(DataLoader(TensorDataset(tg.arange(7)), **kwargs))
    torch = pytest.importorskip("torch")
    theirs = len(torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.arange(7)),
                                             **kwargs))
    assert ours == theirs


def test_len_without_pytorch():
    dataset = TensorDataset(tg.arange(7))
    assert len(DataLoader(dataset, batch_size=3)) == 3
    assert len(DataLoader(dataset, batch_size=3, drop_last=True)) == 2
    assert len(DataLoader(dataset, batch_size=None)) == 7
    sized = type("SizedStream", (Stream,), {"__len__": lambda self: self.n})(7)
    assert len(DataLoader(sized, batch_size=2)) == 4
    assert len(DataLoader(sized, batch_size=2, drop_last=True)) == 3


def test_iterable_dataset_single_process_and_its_length_warning():
    assert [b.tolist() for b in DataLoader(Stream(5), batch_size=2)] == [[0, 1], [2, 3], [4]]
    assert [b.tolist() for b in DataLoader(Stream(5), batch_size=2, drop_last=True)] == [[0, 1],
                                                                                       [2, 3]]
    assert list(DataLoader(Stream(3), batch_size=None)) == [0, 1, 2]

    class Liar(Stream):
        def __len__(self):
            return 2

    loader = DataLoader(Liar(3), batch_size=None)
    assert len(loader) == 2
    with pytest.warns(UserWarning, match=re.escape("was reported to be 2(when accessing "
                                                   "len(dataloader)), but 3 samples")):
        list(loader)
    assert list(Stream(2) + Stream(1)) == [0, 1, 0]


def test_subset_getitems_and_subclass_check():
    subset = data.Subset(BatchedRecorder(), [5, 4, 3])
    assert [s[1] for s in subset.__getitems__([0, 2])] == [5, 3]

    class Broken(data.Subset):
        def __getitem__(self, i):
            return 0

    with pytest.raises(NotImplementedError, match="Broken overrides __getitem__ but not "
                                                  "__getitems__"):
        Broken(_ds, [0])


def test_stack_dataset():
    stacked = data.StackDataset(x=TensorDataset(tg.arange(3)), y=Recorder(3))
    batch = next(iter(DataLoader(stacked, batch_size=3)))
    assert batch["x"][0].tolist() == [0, 1, 2] and batch["y"][1].tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="^Size mismatch between datasets$"):
        data.StackDataset(Recorder(2), Recorder(3))
    with pytest.raises(ValueError, match="^At least one dataset should be passed$"):
        data.StackDataset()


def test_pytorch_module_paths():
    from tinygrad_bn.utils.data.dataloader import DataLoader as Loader, default_collate as collate
    from tinygrad_bn.utils.data.dataset import Dataset as Base
    from tinygrad_bn.utils.data.sampler import RandomSampler as Random

    assert (Loader, collate, Base, Random) == (DataLoader, default_collate, Dataset, RandomSampler)
    assert data.get_worker_info() is None  # the main process is no worker


def test_random_split_fraction_errors_and_warnings():
    with pytest.raises(ValueError, match="^Fraction at index 0 is not between 0 and 1$"):
        data.random_split(_ds, [-0.5, 1.5])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parts = data.random_split(TensorDataset(tg.ones(1)), [0.5, 0.5])
    assert [len(p) for p in parts] == [1, 0]
    assert "Length of split at index 1 is 0." in str(caught[0].message)


@pytest.mark.parametrize("n, batch_size, drop_last", [
    (n, b, d) for n in (1, 5, 12) for b in (1, 4, 5, 13) for d in (False, True)])
def test_sequential_batches_match_pytorch(n, batch_size, drop_last):
    ours = [describe(b) for b in DataLoader(TensorDataset(tg.arange(n), tg.arange(n) * 0.5),
                                            batch_size=batch_size, drop_last=drop_last)]
    assert sum(len(b[1][0][3]) for b in ours) == (n // batch_size * batch_size if drop_last else n)
    torch = pytest.importorskip("torch")
    dataset = torch.utils.data.TensorDataset(torch.arange(n), torch.arange(n) * 0.5)
    theirs = [describe(b) for b in torch.utils.data.DataLoader(dataset, batch_size=batch_size,
                                                               drop_last=drop_last)]
    assert ours == theirs


def test_plain_python_sequences_are_datasets_too():
    assert describe(next(iter(DataLoader([1.0, 2.0, 3.0], batch_size=2)))) == (
        "tensor", "float64", (2,), [1.0, 2.0])
    assert [b.tolist() for b in DataLoader(range(5), batch_size=2, drop_last=True)] == [[0, 1],
                                                                                      [2, 3]]


class Span:
    """A type default_collate does not know, for the collate_fn_map extension point."""

    def __init__(self, start, stop):
        self.start, self.stop = start, stop


def _collate_spans(batch, *, collate_fn_map=None):
    return [(span.start, span.stop) for span in batch]


def test_collate_fn_map_extends_the_rules_as_in_pytorch():
    from tinygrad_bn.utils.data._utils.collate import collate, default_collate_fn_map

    samples = [{"span": Span(0, 2), "x": 1.5}, {"span": Span(3, 4), "x": 2.5}]
    with pytest.raises(TypeError, match="found <class '.*Span'>"):
        default_collate(samples)
    extended = {**default_collate_fn_map, Span: _collate_spans}
    ours = describe(collate(samples, collate_fn_map=extended))
    assert ours == ("dict", {"span": ("list", [("tuple", [("int", 0), ("int", 2)]),
                                               ("tuple", [("int", 3), ("int", 4)])]),
                             "x": ("tensor", "float64", (2,), [1.5, 2.5])})
    torch = pytest.importorskip("torch")
    from torch.utils.data._utils.collate import collate as torch_collate
    from torch.utils.data._utils.collate import default_collate_fn_map as torch_map

    assert describe(torch_collate(samples, collate_fn_map={**torch_map, Span: _collate_spans})) \
        == ours


def test_datasets_and_samplers_are_generic_as_in_pytorch():
    class Squares(Dataset[int]):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return i * i

    class Backwards(data.Sampler[int]):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n - 1, -1, -1))

    batches = DataLoader(Squares(), batch_size=2, sampler=Backwards(3))
    assert [b.tolist() for b in batches] == [[4, 1], [0]]
    assert issubclass(Stream, IterableDataset) and IterableDataset[int] is not None

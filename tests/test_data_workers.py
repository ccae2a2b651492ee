"""DataLoader with worker processes (num_workers > 0): same batches as in one process, worker
seeds and get_worker_info, IterableDataset sharding, errors re-raised with PyTorch's wording,
timeouts, prefetching, persistent workers, and no worker left behind (no zombie, no hang).

Every test runs under a watchdog that dumps all stacks and ends the run if it hangs."""

import faulthandler
import gc
import math
import os
import pickle
import random
import sys
import time

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn.data.worker import _generate_state
from tinygrad_bn.utils.data import (
    DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="fork-based worker tests")


@pytest.fixture(autouse=True)
def _hang_watchdog():
    faulthandler.dump_traceback_later(120, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def _process_gone(pid):
    """True once ``pid`` has exited and been reaped (a zombie still has a /proc entry)."""
    return not os.path.exists(f"/proc/{pid}")


def _wait_gone(pids, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(_process_gone(pid) for pid in pids):
            return True
        time.sleep(0.05)
    return False


class Pairs(Dataset):
    """A map-style dataset as programs write it: ``(x, y)`` with a float32 array and an int."""

    def __init__(self, n=10):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full(2, i, np.float32), i


class WhoAmI(Dataset):
    """Each sample says which process read it, how it was seeded, and what it drew."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return {"index": i, "pid": os.getpid(), "worker": info.id, "seed": info.seed,
                "num_workers": info.num_workers, "numpy": float(np.random.random()),
                "python": random.random(), "tinygrad_bn": float(tg.rand(1).item())}


def test_tensor_dataset_with_two_workers_for_two_epochs_matches_one_process():
    dataset = TensorDataset(tg.arange(20).reshape(10, 2).float(), tg.arange(10))
    loader = DataLoader(dataset, batch_size=3, num_workers=2)
    expected = [[x.tolist(), y.tolist()] for x, y in DataLoader(dataset, batch_size=3)]
    for _ in range(2):
        batches = [[x.tolist(), y.tolist()] for x, y in loader]
        assert batches == expected
    x, y = next(iter(loader))
    assert x.dtype == tg.float32 and y.dtype == tg.int64 and not x.requires_grad


def test_map_style_class_with_workers_matches_pytorch():
    ours = [(x.tolist(), str(x.dtype).split(".")[-1], y.tolist(), str(y.dtype).split(".")[-1])
            for x, y in DataLoader(Pairs(), batch_size=4, num_workers=2)]
    assert [b[2] for b in ours] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    torch = pytest.importorskip("torch")
    theirs = [(x.tolist(), str(x.dtype).split(".")[-1], y.tolist(), str(y.dtype).split(".")[-1])
              for x, y in torch.utils.data.DataLoader(Pairs(), batch_size=4, num_workers=2)]
    assert ours == theirs


def test_shuffled_epochs_with_workers_visit_every_sample_once_with_rows_paired():
    loader = DataLoader(Pairs(), batch_size=3, shuffle=True, num_workers=2)
    for _ in range(2):
        batches = list(loader)
        labels = [i for _, y in batches for i in y.tolist()]
        assert sorted(labels) == list(range(10))
        for x, y in batches:
            np.testing.assert_array_equal(x.numpy()[:, 0], y.numpy())


def test_worker_seeds_info_and_init_fn():
    base = tg.Generator().manual_seed(4)
    loader = DataLoader(WhoAmI(), batch_size=None, num_workers=2, generator=base,
                        worker_init_fn=lambda worker_id: np.random.seed(1000 + worker_id))
    samples = list(loader)
    assert [s["index"] for s in samples] == list(range(8))
    assert {s["worker"] for s in samples} == {0, 1} and {s["num_workers"] for s in samples} == {2}
    assert len({s["pid"] for s in samples} | {os.getpid()}) == 3
    seeds = {s["worker"]: s["seed"] for s in samples}
    assert seeds[1] == seeds[0] + 1  # base_seed + worker_id
    # worker_init_fn runs after the seeding: NumPy's draws follow the seed it set.
    first_of_worker_0 = [s["numpy"] for s in samples if s["worker"] == 0][0]
    assert first_of_worker_0 == np.random.RandomState(1000).random_sample()
    python_of_worker_1 = [s["python"] for s in samples if s["worker"] == 1][0]
    assert python_of_worker_1 == random.Random(seeds[1]).random()
    ours_of_worker_0 = [s["tinygrad_bn"] for s in samples if s["worker"] == 0][0]
    tg.manual_seed(seeds[0])
    assert ours_of_worker_0 == tg.rand(1).item()
    # The base seed is drawn from the generator, so the same seed gives the same workers' seeds.
    base.manual_seed(4)
    again = list(DataLoader(WhoAmI(), batch_size=None, num_workers=2, generator=base))
    assert {s["worker"]: s["seed"] for s in again} == seeds


def test_numpy_seeds_in_workers_are_pytorchs_hash():
    def numpy_state_seed(base_seed, worker_id):
        return np.random.RandomState(_generate_state(base_seed, worker_id)).random_sample()

    loader = DataLoader(WhoAmI(), batch_size=None, num_workers=2)
    samples = list(loader)
    base_seed = samples[0]["seed"] - samples[0]["worker"]
    for worker in (0, 1):
        first = [s["numpy"] for s in samples if s["worker"] == worker][0]
        assert first == numpy_state_seed(base_seed, worker)
    torch = pytest.importorskip("torch")
    from torch.utils.data._utils.worker import _generate_state as torch_generate_state

    for base_seed, worker_id in [(0, 0), (12345, 3), (2**63 - 1, 7), (98765432123, 1)]:
        assert _generate_state(base_seed, worker_id) == torch_generate_state(base_seed, worker_id)


class Shards(IterableDataset):
    """PyTorch's documented example: each worker takes its share of ``range(start, end)``."""

    def __init__(self, start, end):
        self.start, self.end = start, end

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.start, self.end))
        per_worker = int(math.ceil((self.end - self.start) / float(info.num_workers)))
        start = self.start + info.id * per_worker
        return iter(range(start, min(start + per_worker, self.end)))


def test_iterable_dataset_sharded_with_get_worker_info_matches_pytorch():
    ours = [b.tolist() for b in DataLoader(Shards(3, 7), num_workers=2)]
    assert ours == [[3], [5], [4], [6]]  # the order PyTorch's docstring shows
    assert [b.tolist() for b in DataLoader(Shards(3, 7), num_workers=0)] == [[3], [4], [5], [6]]
    batched = [b.tolist() for b in DataLoader(Shards(0, 9), batch_size=2, num_workers=2)]
    assert sorted(i for b in batched for i in b) == list(range(9))
    torch = pytest.importorskip("torch")

    class TorchShards(torch.utils.data.IterableDataset):
        def __init__(self, start, end):
            self.start, self.end = start, end

        def __iter__(self):
            info = torch.utils.data.get_worker_info()
            per_worker = int(math.ceil((self.end - self.start) / float(info.num_workers)))
            start = self.start + info.id * per_worker
            return iter(range(start, min(start + per_worker, self.end)))

    assert [b.tolist() for b in torch.utils.data.DataLoader(TorchShards(3, 7), num_workers=2)] \
        == ours
    theirs = [b.tolist() for b in torch.utils.data.DataLoader(TorchShards(0, 9), batch_size=2,
                                                              num_workers=2)]
    assert theirs == batched


class FailsAt(Dataset):
    def __init__(self, bad, error=ValueError):
        self.bad, self.error = bad, error

    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == self.bad:
            raise self.error(f"sample {i} is broken")
        return i


def test_a_worker_exception_is_raised_here_with_pytorchs_wording():
    loader = DataLoader(FailsAt(3), batch_size=1, num_workers=2)
    iterator = iter(loader)
    assert [next(iterator).item() for _ in range(3)] == [0, 1, 2]
    with pytest.raises(ValueError) as raised:
        next(iterator)
    message = str(raised.value)
    assert message.startswith("Caught ValueError in DataLoader worker process 1.\n"
                              "Original Traceback (most recent call last):\n")
    assert message.rstrip().endswith("ValueError: sample 3 is broken")
    del iterator
    with pytest.raises(KeyError) as raised:  # KeyError keeps the traceback readable
        list(DataLoader(FailsAt(0, KeyError), num_workers=1))
    assert ("Caught KeyError in DataLoader worker process 0.\nOriginal Traceback"
            in str(raised.value))
    torch = pytest.importorskip("torch")
    try:  # PyTorch's worker wraps what it caught this way (its own workers are slow to stop)
        FailsAt(3)[3]
    except ValueError:
        wrapped = torch._utils.ExceptionWrapper(where="in DataLoader worker process 1")
    with pytest.raises(ValueError) as theirs:
        wrapped.reraise()
    assert str(theirs.value).split("\n")[:2] == message.split("\n")[:2]


def test_worker_init_fn_failure_is_reported_for_that_worker():
    def init(worker_id):
        if worker_id == 1:
            raise RuntimeError("cannot open the shard")

    with pytest.raises(RuntimeError, match="Caught RuntimeError in DataLoader worker process 1"):
        list(DataLoader(Pairs(), num_workers=2, worker_init_fn=init))


class Unpicklable(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        return lambda: i  # a lambda cannot be pickled back to the main process


def test_a_batch_that_cannot_cross_is_an_error_not_a_hang():
    with pytest.raises(Exception, match="Caught .* in DataLoader worker process 0"):
        list(DataLoader(Unpicklable(), batch_size=None, collate_fn=lambda s: s, num_workers=1))


class Slow(Dataset):
    def __init__(self, seconds, slow_index=0):
        self.seconds, self.slow_index = seconds, slow_index

    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == self.slow_index:
            time.sleep(self.seconds)
        return i


def test_timeout():
    with pytest.raises(RuntimeError, match=r"^DataLoader timed out after 0\.3 seconds$"):
        list(DataLoader(Slow(5), num_workers=1, timeout=0.3))
    assert [b.item() for b in DataLoader(Slow(0.01), num_workers=1, timeout=5)] == [0, 1, 2, 3]


def test_in_order_false_hands_out_batches_as_they_arrive():
    ordered = [b.item() for b in DataLoader(Slow(1.0), num_workers=2)]
    assert ordered == [0, 1, 2, 3]
    arrived = [b.item() for b in DataLoader(Slow(1.0), num_workers=2, in_order=False)]
    assert sorted(arrived) == [0, 1, 2, 3] and arrived[0] != 0


class CountingSampler:
    def __init__(self, n):
        self.n, self.drawn = n, 0

    def __iter__(self):
        for i in range(self.n):
            self.drawn += 1
            yield i

    def __len__(self):
        return self.n


@pytest.mark.parametrize("workers, prefetch_factor", [(2, 1), (2, 3), (1, 2)])
def test_prefetch_keeps_prefetch_factor_batches_per_worker_in_flight(workers, prefetch_factor):
    sampler = CountingSampler(100)
    loader = DataLoader(Pairs(100), batch_size=2, sampler=sampler, num_workers=workers,
                        prefetch_factor=prefetch_factor)
    iterator = iter(loader)
    assert sampler.drawn == 2 * workers * prefetch_factor
    next(iterator)
    assert sampler.drawn == 2 * (workers * prefetch_factor + 1)
    del iterator
    torch = pytest.importorskip("torch")
    torch_sampler = CountingSampler(100)
    iter(torch.utils.data.DataLoader(Pairs(100), batch_size=2, sampler=torch_sampler,
                                     num_workers=workers, prefetch_factor=prefetch_factor))
    assert torch_sampler.drawn == 2 * workers * prefetch_factor


class Pids(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return os.getpid()


def test_workers_end_with_the_epoch():
    pids = {b.item() for b in DataLoader(Pids(), num_workers=2)}
    assert len(pids) == 2 and _wait_gone(pids)


def test_an_abandoned_iterator_ends_its_workers():
    first = next(iter(DataLoader(Pids(), num_workers=2)))  # the iterator is dropped mid-epoch
    gc.collect()
    iterator = iter(DataLoader(Pids(), num_workers=2))
    pids = {next(iterator).item(), next(iterator).item()}
    del iterator
    assert _wait_gone(pids | {first.item()})


def test_persistent_workers_are_reused_across_epochs_and_end_with_the_loader():
    loader = DataLoader(Pids(), num_workers=2, persistent_workers=True)
    first = {b.item() for b in loader}
    second = {b.item() for b in loader}
    assert first == second and len(first) == 2 and not _wait_gone(first, seconds=0.2)
    iterator = iter(loader)
    next(iterator)  # abandon the third epoch mid-way: the fourth still starts cleanly
    assert [b.item() in first for b in loader] == [True] * 4
    del loader, iterator
    gc.collect()
    assert _wait_gone(first)


class Dies(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 1:
            os._exit(3)
        return i


def test_a_worker_that_dies_is_reported():
    with pytest.raises(RuntimeError, match=r"^DataLoader worker \(pid\(s\) \d+\) exited "
                                           r"unexpectedly$"):
        list(DataLoader(Dies(), num_workers=2))


def test_makemore_style_endless_sampler_with_workers():
    dataset = TensorDataset(tg.arange(40).reshape(20, 2), tg.arange(20))
    sampler = tg.utils.data.RandomSampler(dataset, replacement=True, num_samples=int(1e10))
    x, y = next(iter(DataLoader(dataset, batch_size=32, sampler=sampler, num_workers=2)))
    assert x.shape == (32, 2)
    np.testing.assert_array_equal(x.numpy()[:, 0], 2 * y.numpy())


def test_spawn_start_method():
    loader = DataLoader(Pairs(4), batch_size=2, num_workers=1, multiprocessing_context="spawn")
    assert [y.tolist() for _, y in loader] == [[0, 1], [2, 3]]


class HoldsALambda(Pairs):
    def __init__(self):
        super().__init__(4)
        self.transform = lambda x: x


def test_spawn_with_an_unpicklable_dataset_warns_as_pytorch_and_raises():
    loader = DataLoader(HoldsALambda(), num_workers=1, multiprocessing_context="spawn")
    with pytest.warns(UserWarning, match="^Got pickle error when attempting to start a worker "
                                         "Process. This might be because the worker Process "
                                         "arguments are not picklable."):
        with pytest.raises((AttributeError, pickle.PicklingError)):
            iter(loader)


def test_views_and_requires_grad_cross_the_boundary():
    base = tg.arange(12.0).reshape(4, 3)
    loader = DataLoader(TensorDataset(base), batch_size=None, num_workers=1)
    rows = [row.tolist() for (row,) in loader]  # each sample is a view of base
    assert rows == base.tolist()
    # A row of a tensor that requires grad is in its graph: autograd does not cross processes.
    in_graph = TensorDataset(tg.ones(2, 2, requires_grad=True))
    with pytest.raises(RuntimeError, match="Caught RuntimeError in DataLoader worker process 0"
                                           "(.|\n)*Cowardly refusing to serialize non-leaf "
                                           "tensor which requires_grad"):
        list(DataLoader(in_graph, batch_size=None, num_workers=1))
    leaf = next(iter(DataLoader(Leaves(), batch_size=None, num_workers=1)))
    assert leaf.requires_grad and leaf.is_leaf and leaf.tolist() == [1.0, 2.0]


class Leaves(Dataset):
    def __len__(self):
        return 1

    def __getitem__(self, i):
        return tg.tensor([1.0, 2.0], requires_grad=True)


def test_too_many_workers_warns_as_pytorch_does():
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with pytest.warns(UserWarning, match=f"This DataLoader will create {cpus + 1} worker processes "
                                         f"in total. Our suggested max number of worker in current "
                                         f"system is {cpus}"):
        DataLoader(Pairs(), num_workers=cpus + 1)


def test_with_workers_the_base_seed_is_drawn_before_the_shuffle_as_in_pytorch():
    loader = DataLoader(Pairs(), batch_size=10, shuffle=True, num_workers=2,
                        generator=tg.Generator().manual_seed(11))
    stream = np.random.Generator(np.random.PCG64(11))
    for _ in range(2):  # each epoch: the workers' base seed, then the permutation
        stream.integers(0, 2**63, dtype=np.uint64)
        assert next(iter(loader))[1].tolist() == stream.permutation(10).tolist()


def test_two_loaders_with_workers_iterated_together():
    train = DataLoader(Pairs(10), batch_size=2, shuffle=True, num_workers=2,
                       persistent_workers=True)
    val = DataLoader(Pairs(6), batch_size=3, num_workers=1)
    for _ in range(2):
        seen = []
        for (x, y), (vx, vy) in zip(train, val):  # val runs out first: its workers stop then
            seen += y.tolist()
            assert vx.shape == (3, 2)
        assert len(seen) == 4
    assert sorted(i for _, y in train for i in y.tolist()) == list(range(10))

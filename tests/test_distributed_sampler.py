"""``utils.data.DistributedSampler`` against PyTorch's: the same indices for every
``num_replicas``/``rank``/``shuffle``/``seed``/``drop_last``/epoch (PyTorch's MT19937
permutation reproduced), its errors, and use in a ``DataLoader``."""

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn.data.distributed import pytorch_randperm
from tinygrad_bn.utils.data import DataLoader, DistributedSampler, TensorDataset

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("n", [0, 1, 2, 7, 100, 4099])
@pytest.mark.parametrize("seed", [0, 1, 41, 2**32 + 3, 67280421310721, -5])
def test_permutation_is_pytorchs(n, seed):
    generator = torch.Generator()
    generator.manual_seed(seed)
    assert pytorch_randperm(n, seed) == torch.randperm(n, generator=generator).tolist()


def test_long_permutation_is_pytorchs():
    generator = torch.Generator()
    generator.manual_seed(123)
    assert pytorch_randperm(200_000, 123) == torch.randperm(200_000,
                                                            generator=generator).tolist()


@pytest.mark.parametrize("n", [1, 5, 10, 11, 37])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("drop_last", [True, False])
def test_indices_are_pytorchs(n, replicas, shuffle, drop_last):
    from torch.utils.data import DistributedSampler as Reference
    for rank in range(replicas):
        for seed in (0, 9):
            ours = DistributedSampler(range(n), replicas, rank, shuffle, seed, drop_last)
            theirs = Reference(range(n), replicas, rank, shuffle, seed, drop_last)
            for epoch in (0, 1, 5):
                ours.set_epoch(epoch), theirs.set_epoch(epoch)
                assert list(ours) == list(theirs)
                assert len(ours) == len(theirs)
                assert (ours.num_samples, ours.total_size, ours.epoch) == (
                    theirs.num_samples, theirs.total_size, theirs.epoch)


def test_replicas_partition_the_padded_dataset():
    """Without drop_last the ranks together cover every index, the first ones repeated to fill;
    with it, disjoint and equal in length."""
    parts = [list(DistributedSampler(range(10), 4, rank, seed=3)) for rank in range(4)]
    assert sorted(sum(parts, [])) == sorted(list(range(10)) + pytorch_randperm(10, 3)[:2])
    parts = [list(DistributedSampler(range(10), 4, rank, drop_last=True)) for rank in range(4)]
    flat = sum(parts, [])
    assert len(flat) == len(set(flat)) == 8 and all(len(p) == 2 for p in parts)


@pytest.mark.parametrize("kwargs", [dict(), dict(num_replicas=2), dict(rank=0),
                                    dict(num_replicas=2, rank=2),
                                    dict(num_replicas=2, rank=-1),
                                    dict(num_replicas=1, rank=1)])
def test_errors_as_pytorch(kwargs):
    with pytest.raises(ValueError) as expected:
        torch.utils.data.DistributedSampler(range(4), **kwargs)
    with pytest.raises(ValueError) as got:
        DistributedSampler(range(4), **kwargs)
    assert str(got.value) == str(expected.value)


def test_in_a_dataloader():
    data = TensorDataset(tg.arange(12.0))
    sampler = DistributedSampler(data, num_replicas=3, rank=1, seed=2)
    reference = torch.utils.data.DistributedSampler(range(12), num_replicas=3, rank=1, seed=2)
    for epoch in range(2):
        sampler.set_epoch(epoch), reference.set_epoch(epoch)
        loader = DataLoader(data, batch_size=2, sampler=sampler)
        got = np.concatenate([batch[0].numpy() for batch in loader])
        np.testing.assert_array_equal(got, np.array(list(reference), dtype=np.float32))
    assert tg.utils.data.distributed.DistributedSampler is DistributedSampler
    assert tg.data.DistributedSampler is DistributedSampler


def test_sampler_reads_world_size_and_rank_from_the_process_group():
    """Without ``num_replicas``/``rank`` the sampler asks the default process group, as
    PyTorch's does (a group of one process here, started in this process)."""
    import socket

    import tinygrad_bn.distributed as dist
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", world_size=1, rank=0)
    try:
        sampler = tg.utils.data.DistributedSampler(list(range(10)), seed=3)
        assert (sampler.num_replicas, sampler.rank) == (1, 0)
        explicit = tg.utils.data.DistributedSampler(list(range(10)), num_replicas=1, rank=0,
                                                    seed=3)
        assert list(sampler) == list(explicit)
    finally:
        dist.destroy_process_group()

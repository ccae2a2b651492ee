"""tinygrad_bn.distributed.ddp.DistributedDataParallel: two spawned ranks train a small
float64 MLP (with BatchNorm buffers, a ``no_sync`` micro-batch and per-rank starting values
that DDP must overwrite with rank 0's) and end on PyTorch's own DDP-with-gloo parameters from
the same start and data, to 1e-12; unused parameters; errors. Every wait has a deadline."""

import importlib.util
import pickle
import re

import numpy as np
import pytest

import tinygrad_bn as tg
from distributed_workers import ddp_train, finish, free_port, start_processes


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Each rank's final state_dict, ours and (when installed) PyTorch's: the two groups of
    processes run at the same time (PyTorch's spend most of theirs importing torch)."""
    out = tmp_path_factory.mktemp("ddp")
    theirs = None
    if importlib.util.find_spec("torch") is not None:
        theirs = start_processes(ddp_train, ("torch", f"tcp://127.0.0.1:{free_port()}",
                                              str(out)), nprocs=2)
    try:
        finish(start_processes(ddp_train, ("tinygrad_bn", f"tcp://127.0.0.1:{free_port()}",
                                           str(out)), nprocs=2))
    finally:
        if theirs is not None:
            finish(theirs)
    load = lambda library, run="": [  # noqa: E731
        dict(np.load(out / f"{library}-{rank}{run}.npz")) for rank in (0, 1)]
    return out, load, theirs is not None


@pytest.mark.parametrize("run", ["", "-unused"])
def test_two_rank_training_ends_on_pytorchs_parameters(trained, run):
    """run "": broadcast_buffers, no_sync; "-unused": find_unused_parameters with a layer
    each rank uses on alternate steps, broadcast_buffers=False."""
    _, load, with_torch = trained
    ours = load("tinygrad_bn", run)
    assert all(name.startswith("module.") for name in ours[0])
    for name in ours[0]:
        if "running" not in name:  # buffers: each rank's last forward updates its own
            np.testing.assert_array_equal(ours[0][name], ours[1][name], err_msg=name)
    if not with_torch:
        pytest.skip("PyTorch is not installed")
    theirs = load("torch", run)
    for rank in (0, 1):
        assert list(ours[rank]) == list(theirs[rank])
        for name in ours[rank]:
            np.testing.assert_allclose(ours[rank][name], theirs[rank][name], rtol=0,
                                       atol=1e-12, err_msg=f"rank {rank} {name}")


def test_unused_parameters(trained):
    out = trained[0]
    ranks = [np.load(out / f"unused-{rank}.npz") for rank in (0, 1)]
    for name in ("shared", "sometimes"):
        np.testing.assert_array_equal(ranks[0][name], ranks[1][name])
    # rank 1 alone used `sometimes`: the mean of its gradient and rank 0's zero
    assert np.all(ranks[0]["sometimes"] != 0)
    assert bool(ranks[0]["never"]) and bool(ranks[1]["never"])


def test_needs_a_process_group_and_a_parameter():
    from tinygrad_bn.distributed import destroy_process_group, init_process_group
    from tinygrad_bn.distributed.ddp import DistributedDataParallel
    with pytest.raises(ValueError, match=r"^Default process group has not been initialized, "
                                         r"please make sure to call init_process_group\.$"):
        DistributedDataParallel(tg.nn.Linear(2, 2))
    init_process_group("gloo", init_method=f"tcp://127.0.0.1:{free_port()}", rank=0,
                       world_size=1)
    try:
        with pytest.raises(RuntimeError, match=r"^DistributedDataParallel is not needed when a "
                                               r"module doesn't have any parameter that "
                                               r"requires a gradient\.$"):
            DistributedDataParallel(tg.nn.ReLU())
        model = DistributedDataParallel(tg.nn.Linear(3, 2))
        assert isinstance(model.module, tg.nn.Linear)
        assert list(model.state_dict()) == ["module.weight", "module.bias"]
        x = tg.randn(4, 3)
        model(x).sum().backward()  # one rank: the mean is the gradient itself
        expected = x.sum(0).expand(2, 3).numpy()
        np.testing.assert_allclose(model.module.weight.grad.numpy(), expected, rtol=1e-6)
        with pytest.raises(ValueError, match=re.escape(
                "DistributedDataParallel device_ids and output_device arguments only work with "
                "single-device/multiple-device GPU modules or CPU modules, but got device_ids "
                "[0], output_device None, and module parameters {device(type='cpu')}.")):
            DistributedDataParallel(tg.nn.Linear(3, 2), device_ids=[0])
        copy = pickle.loads(pickle.dumps(model))  # onto the default group, hooks again
        assert copy.process_group is model.process_group
        copy.zero_grad()
        copy(x).sum().backward()
        np.testing.assert_allclose(copy.module.weight.grad.numpy(), expected, rtol=1e-6)
        assert copy._parameters_to_reduce[0] is copy.module.weight
        assert len(copy._ready) == 2 and not copy._armed  # its hooks ran the reduction
    finally:
        destroy_process_group()

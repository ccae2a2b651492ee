"""tinygrad_bn.distributed: process groups and collectives on the CPU, as PyTorch's
``torch.distributed`` with the gloo backend. Collectives run in spawned processes (3 ranks)
and are checked against their definitions there (tests/distributed_workers.py); the errors
are checked in this process on a one-rank group, their messages against PyTorch's when it is
installed. Every wait has a deadline, so a hang fails instead of stalling the suite."""

import re

import numpy as np
import pytest

import tinygrad_bn as tg
from distributed_workers import collectives, free_port, rendezvous, run_processes

NO_GROUP = ("Default process group has not been initialized, please make sure to call "
            "init_process_group.")


def test_is_imported_on_first_use_and_available():
    import tinygrad_bn.distributed as dist
    assert tg.distributed is dist and "distributed" in dir(tg)
    assert dist.is_available() and dist.is_gloo_available() and not dist.is_nccl_available()


def test_every_collective_matches_its_definition_on_three_ranks():
    run_processes(collectives, (f"tcp://127.0.0.1:{free_port()}", 3), nprocs=3)


def test_env_and_file_rendezvous(tmp_path):
    run_processes(rendezvous, (free_port(), str(tmp_path / "rendezvous"), 2), nprocs=2)


# -- errors ------------------------------------------------------------------------------------

def _not_initialised_calls(dist, torch):
    t = torch.ones(3)
    return [lambda: dist.get_rank(), lambda: dist.get_world_size(), lambda: dist.get_backend(),
            lambda: dist.all_reduce(t), lambda: dist.broadcast(t, 0), lambda: dist.barrier(),
            lambda: dist.new_group([0]), lambda: dist.all_gather([t], t)]


def _raised(call):
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the type and message are what is compared
        return type(error).__name__, str(error)
    return None


def test_uninitialised_errors_are_pytorchs():
    import tinygrad_bn.distributed as dist
    assert not dist.is_initialized()
    for call in _not_initialised_calls(dist, tg):
        assert _raised(call) == ("ValueError", NO_GROUP)
    assert _raised(dist.destroy_process_group) == ("AssertionError",
                                                   "Process group cannot be None")


def test_backend_and_rendezvous_errors_are_pytorchs(monkeypatch):
    import tinygrad_bn.distributed as dist
    for name in ("MASTER_ADDR", "MASTER_PORT", "RANK", "WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    tcp = f"tcp://127.0.0.1:{free_port()}"
    expected = {
        "nccl": ("RuntimeError", "Distributed package doesn't have NCCL built in"),
        "bogus": ("AssertionError", "Unknown backend type bogus"),
        "no MASTER_ADDR": ("ValueError", "Error initializing torch.distributed using env:// "
                           "rendezvous: environment variable MASTER_ADDR expected, but not set"),
        "no rank": ("ValueError", "Error initializing torch.distributed using tcp:// "
                    "rendezvous: rank parameter missing"),
    }
    calls = lambda d: {  # noqa: E731
        "nccl": lambda: d.init_process_group("nccl", init_method=tcp, rank=0, world_size=1),
        "bogus": lambda: d.init_process_group("bogus", init_method=tcp, rank=0, world_size=1),
        "no MASTER_ADDR": lambda: d.init_process_group("gloo", rank=0, world_size=1),
        "no rank": lambda: d.init_process_group("gloo", init_method=tcp, world_size=1)}
    for key, call in calls(dist).items():
        assert _raised(call) == expected[key], key
    assert not dist.is_initialized()
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    assert _raised(lambda: dist.init_process_group("gloo", rank=0, world_size=1))[1].endswith(
        "environment variable MASTER_PORT expected, but not set")
    torch = _torch_or_none()
    if torch is not None:
        import torch.distributed as torch_dist
        monkeypatch.delenv("MASTER_ADDR")
        for key, call in calls(torch_dist).items():
            assert _raised(call) == expected[key], key


def _torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    return torch


@pytest.fixture
def one_rank():
    """A one-rank default group in this process (torch's too, when installed)."""
    import tinygrad_bn.distributed as dist
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{free_port()}", rank=0,
                            world_size=1)
    torch = _torch_or_none()
    if torch is not None:
        import torch.distributed as torch_dist
        torch_dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{free_port()}",
                                      rank=0, world_size=1)
    yield dist, torch
    dist.destroy_process_group()
    if torch is not None:
        torch_dist.destroy_process_group()


def _bad_calls(dist, lib):
    t = lib.ones(3)
    return {
        "twice": lambda: dist.init_process_group("gloo", rank=0, world_size=1),
        "not a tensor": lambda: dist.all_reduce([t]),
        "BAND on floats": lambda: dist.all_reduce(lib.ones(3), op=dist.ReduceOp.BAND),
        "AVG on integers": lambda: dist.all_reduce(lib.arange(3), op=dist.ReduceOp.AVG),
        "all_gather list length": lambda: dist.all_gather([t, t], t),
        "all_gather size": lambda: dist.all_gather([lib.ones(4)], t),
        "all_gather dtype": lambda: dist.all_gather([lib.ones(3, dtype=lib.float64)], t),
        "all_gather_into_tensor size": lambda: dist.all_gather_into_tensor(lib.ones(4), t),
        "all_gather_into_tensor stacked": lambda: dist.all_gather_into_tensor(
            lib.ones(1, 3), t),
        "gather without list": lambda: dist.gather(t, None, dst=0),
        "scatter without list": lambda: dist.scatter(t, None, src=0),
        "broadcast root": lambda: dist.broadcast(t, 3),
        "send to self": lambda: dist.send(t, 0),
        "new_group too big": lambda: dist.new_group([0, 5]),
        "reduce_scatter_tensor size": lambda: dist.reduce_scatter_tensor(lib.zeros(2),
                                                                         lib.zeros(3)),
        "reduce_scatter list length": lambda: dist.reduce_scatter(lib.zeros(2),
                                                                  [lib.zeros(2)] * 2),
        "reduce_scatter size": lambda: dist.reduce_scatter(lib.zeros(2), [lib.zeros(3)]),
        "gather list length": lambda: dist.gather(lib.zeros(2), [lib.zeros(2)] * 2),
        "scatter list length": lambda: dist.scatter(lib.zeros(2), [lib.zeros(2)] * 2),
        "scatter size": lambda: dist.scatter(lib.zeros(2), [lib.zeros(3)]),
        "gather size": lambda: dist.gather(lib.zeros(2), [lib.zeros(3)]),
        "all_to_all list length": lambda: dist.all_to_all([lib.zeros(2)] * 2,
                                                          [lib.zeros(2)] * 2),
    }


MESSAGES = {
    "twice": ("ValueError", "trying to initialize the default process group twice!"),
    "not a tensor": ("TypeError", "Invalid function argument. Expected parameter `tensor` of "
                     "type torch.Tensor\n             but got <class 'list'> instead."),
    "BAND on floats": ("RuntimeError", "Cannot use ReduceOp.BAND with non-integral dtype"),
    "AVG on integers": ("RuntimeError",
                        "result type Float can't be cast to the desired output type Long"),
    "all_gather list length": ("RuntimeError", "ProcessGroupGloo::allgather: invalid output "
                               "tensor list at index 0 (expected length 1, got 2)"),
    "all_gather size": ("RuntimeError", "ProcessGroupGloo::allgather: invalid tensor size at "
                        "index 0 (expected (3), got (4))"),
    "all_gather dtype": ("ValueError", "Invalid usage of tensors with different dtypesFound "
                         "torch.float64 and  torch.float32"),
    "all_gather_into_tensor size": ("RuntimeError", "ProcessGroupGloo::allgather: invalid "
                                    "tensor size at index 0 (expected (3), got (4))"),
    "all_gather_into_tensor stacked": ("RuntimeError", "ProcessGroupGloo::allgather: invalid "
                                       "tensor size at index 0 (expected (3), got (1, 3))"),
    "gather without list": ("ValueError",
                            "Argument ``gather_list`` must be specified on destination rank."),
    "scatter without list": ("ValueError",
                             "Argument ``scatter_list`` must be specified on source rank."),
    "broadcast root": ("RuntimeError", "ProcessGroupGloo::broadcast: invalid root rank: 3"),
    "send to self": ("ValueError", "Invalid destination rank: destination rank should not be "
                     "the same as the rank of the current process."),
    "new_group too big": ("ValueError", "the new group's world size should be less or equal "
                          "to the world size set by init_process_group"),
    "reduce_scatter_tensor size": ("RuntimeError", "Check failed: outputShape[0] * worldSize "
                                   "== inputShape[0] (2 vs. 3). \n"),
    "reduce_scatter list length": ("RuntimeError",
                                   "invalid input tensor list size, must be world size"),
    "reduce_scatter size": ("RuntimeError", "Check failed: outputs[0].sizes().vec() == "
                            "inputs[0][i].sizes().vec() (2 vs. 3). \n"),
    "gather list length": ("RuntimeError", "ProcessGroupGloo::gather: Incorrect output list "
                           "size 2. Output list size should be 1, same as size of the process "
                           "group."),
    "scatter list length": ("RuntimeError", "ProcessGroupGloo::scatter: Incorrect input list "
                            "size 2. Input list size should be 1, same as size of the process "
                            "group."),
    "scatter size": ("RuntimeError", "ProcessGroupGloo::scatter: invalid tensor size at index "
                     "0 (expected (2), got (3))"),
    "gather size": ("RuntimeError", "ProcessGroupGloo::gather: invalid tensor size at index 0 "
                    "(expected (2), got (3))"),
    "all_to_all list length": ("RuntimeError", "ProcessGroupGloo::alltoall: input tensor list "
                               "size 2 does not match world size 1"),
}

# gloo's failed checks carry a log prefix ("[rank0]:[F1207 03:47:52.429614296
# ProcessGroupGloo.cpp:1537] ") that names the time: compared without it
_LOG_PREFIX = re.compile(r"^\[rank\d+\]:\[F\d{4} [\d:.]+ \S+\] ")


def _without_log_prefix(raised):
    return raised if raised is None else (raised[0], _LOG_PREFIX.sub("", raised[1]))


def test_bad_arguments_raise_pytorchs_errors(one_rank):
    dist, torch = one_rank
    for key, call in _bad_calls(dist, tg).items():
        assert _raised(call) == MESSAGES[key], key
    if torch is not None:
        import torch.distributed as torch_dist
        for key, call in _bad_calls(torch_dist, torch).items():
            assert _without_log_prefix(_raised(call)) == MESSAGES[key], key


def test_deprecations_and_p2p_argument_errors(one_rank, monkeypatch):
    dist, torch = one_rank
    libraries = [(dist, tg)]
    if torch is not None:
        import torch.distributed as torch_dist
        libraries.append((torch_dist, torch))
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    for module, lib in libraries:
        for name, single in (("all_gather_into_tensor", "all_gather_single"),
                             ("reduce_scatter_tensor", "reduce_scatter_single")):
            with pytest.warns(FutureWarning, match=re.escape(
                    f"`torch.distributed.{name}` is deprecated. Please use "
                    f"`torch.distributed.{single}` instead.")):
                getattr(module, name)(lib.zeros(2), lib.ones(2))
        assert _raised(lambda: module.P2POp(module.all_reduce, lib.ones(2), 0)) == (
            "ValueError", "Invalid ``op``. Expected ``op`` to be of type "
            "``torch.distributed.isend`` or ``torch.distributed.irecv``.")
        assert _raised(lambda: module.batch_isend_irecv([1])) == (
            "ValueError", "Invalid ``p2p_op_list``. Each op is expected to to be of type "
            "``torch.distributed.P2POp``.")
        assert module.get_node_local_rank(fallback_rank=3) == 3
        assert _raised(module.get_node_local_rank)[1].startswith(
            "LOCAL_RANK is not in the environment.")


def test_one_rank_group_queries_and_async_work(one_rank):
    dist, _ = one_rank
    assert dist.get_backend() == "gloo" and type(dist.get_backend()) is str
    assert dist.group.WORLD is dist.GroupMember.WORLD is not None
    tensor = tg.tensor([1.5, -2.0])
    work = dist.all_reduce(tensor, op=dist.ReduceOp.AVG, async_op=True)
    assert work.wait() is True and work.is_completed() and work.is_success()
    np.testing.assert_array_equal(tensor.numpy(), [1.5, -2.0])
    leaf = tg.ones(2, requires_grad=True)  # collectives write outside autograd, as PyTorch's
    dist.broadcast(leaf, 0)
    assert leaf.grad_fn is None and leaf.requires_grad
    subgroup = dist.new_group([0])
    assert dist.get_process_group_ranks(subgroup) == [0] and dist.get_rank(subgroup) == 0
    assert re.fullmatch(r"RedOpType\.SUM", str(dist.ReduceOp.SUM))
    assert dist.Backend("GLOO") == dist.Backend.GLOO == "gloo"

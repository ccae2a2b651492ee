"""What the processes of tests/test_distributed*.py run (importable by name, as the spawn
start method needs), and ``run_processes``: spawn them with a deadline, so that a hang fails
the test instead of stalling the suite."""

from __future__ import annotations

import os
import socket
import time

import numpy as np

import tinygrad_bn.multiprocessing as mp

DEADLINE = 50  # seconds for one group of processes, imports included


def free_port() -> int:
    """A port nothing listens on now (bound to port 0, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_processes(fn, args, nprocs: int):
    """``fn(rank, *args)`` started in ``nprocs`` spawned processes; ``finish`` waits."""
    context = mp.spawn(fn, args, nprocs, join=False)
    context.started, context.name = time.monotonic(), fn.__name__
    return context


def finish(context, deadline: float = DEADLINE) -> None:
    """Wait for ``start_processes``'s processes; raise what one raised, and ``TimeoutError``
    (after killing them) when they are not done ``deadline`` s after they started."""
    end = context.started + deadline
    while not context.join(timeout=max(end - time.monotonic(), 0.01)):
        if time.monotonic() > end:
            for process in context.processes:
                process.kill()
            raise TimeoutError(f"{context.name} did not finish within {deadline} s")


def run_processes(fn, args, nprocs: int, deadline: float = DEADLINE) -> None:
    """``fn(rank, *args)`` in ``nprocs`` spawned processes, waited for with ``finish``."""
    finish(start_processes(fn, args, nprocs), deadline)


# -- DDP training: the same program with torch or tinygrad_bn --------------------------------

STEPS = 6


def _start_parameters(rank: int) -> dict[str, np.ndarray]:
    """Each rank starts from its own values: DDP must broadcast rank 0's."""
    draw = np.random.default_rng(100 + rank)
    return {"0.weight": draw.normal(size=(8, 5)), "0.bias": draw.normal(size=8),
            "1.weight": 1 + 0.1 * draw.normal(size=8), "1.bias": 0.1 * draw.normal(size=8),
            "1.running_mean": draw.normal(size=8), "1.running_var": 1 + draw.random(8),
            "3.weight": draw.normal(size=(3, 8)), "3.bias": draw.normal(size=3)}


def _batches(rank: int):
    draw = np.random.default_rng(7 + rank)
    return [(draw.normal(size=(6, 5)), draw.normal(size=(6, 3))) for _ in range(STEPS + 2)]


def ddp_train(rank: int, library: str, init_method: str, out: str) -> None:
    """Two ranks train Linear-BatchNorm-Tanh-Linear with SGD (momentum) under DDP: STEPS
    synchronised steps, then one step accumulated over a ``no_sync`` micro-batch and a
    synchronised one; rank ``rank`` saves its final parameters and buffers to ``out``. Then
    the same with ``find_unused_parameters=True, broadcast_buffers=False`` and a layer that
    each rank uses on alternate steps only (``_train_unused``)."""
    if library == "torch":
        import torch
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel
    else:
        import tinygrad_bn as torch
        import tinygrad_bn.distributed as dist
        from tinygrad_bn.distributed.ddp import DistributedDataParallel
    torch.set_default_dtype(torch.float64)
    dist.init_process_group("gloo", init_method=init_method, rank=rank, world_size=2)
    model = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.BatchNorm1d(8),
                                torch.nn.Tanh(), torch.nn.Linear(8, 3))
    model.load_state_dict({name: torch.tensor(value) for name, value in
                           _start_parameters(rank).items()}, strict=False)
    ddp = DistributedDataParallel(model)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    batches = _batches(rank)
    for x, y in batches[:STEPS]:
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(ddp(torch.tensor(x)), torch.tensor(y)).backward()
        optimizer.step()
    optimizer.zero_grad()
    with ddp.no_sync():
        x, y = batches[STEPS]
        torch.nn.functional.mse_loss(ddp(torch.tensor(x)), torch.tensor(y)).backward()
    x, y = batches[STEPS + 1]
    torch.nn.functional.mse_loss(ddp(torch.tensor(x)), torch.tensor(y)).backward()
    optimizer.step()
    state = {name: value.detach().numpy() for name, value in ddp.state_dict().items()}
    np.savez(os.path.join(out, f"{library}-{rank}.npz"), **state)
    _train_unused(rank, library, torch, DistributedDataParallel, batches, out)
    if library == "tinygrad_bn":
        unused_parameter(rank, out)
    dist.destroy_process_group()


def _train_unused(rank, library, torch, DistributedDataParallel, batches, out) -> None:
    class Alternating(torch.nn.Module):
        """``extra`` is used by rank 0 on even steps and by rank 1 on odd ones; ``norm``'s
        buffers are each rank's own (broadcast_buffers=False)."""

        def __init__(self):
            super().__init__()
            self.first, self.norm = torch.nn.Linear(5, 8), torch.nn.BatchNorm1d(8)
            self.extra, self.last = torch.nn.Linear(8, 8), torch.nn.Linear(8, 3)

        def forward(self, x, use_extra):
            hidden = torch.tanh(self.norm(self.first(x)))
            return self.last(self.extra(hidden) if use_extra else hidden)

    model = Alternating()
    draw = np.random.default_rng(55)  # the same start on both ranks, for once
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.tensor(0.3 * draw.normal(size=tuple(parameter.shape))))
    ddp = DistributedDataParallel(model, find_unused_parameters=True, broadcast_buffers=False)
    # (not Adam: it scales the bias before BatchNorm's gradient, rounding noise of 1e-17,
    # up to steps of 1e-11 that differ between any two implementations)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.05, momentum=0.5)
    for step, (x, y) in enumerate(batches[:4]):
        optimizer.zero_grad()
        output = ddp(torch.tensor(x), use_extra=(step + rank) % 2 == 0)
        torch.nn.functional.mse_loss(output, torch.tensor(y)).backward()
        optimizer.step()
    state = {name: value.detach().numpy() for name, value in ddp.state_dict().items()}
    np.savez(os.path.join(out, f"{library}-{rank}-unused.npz"), **state)


# -- each collective against its definition ----------------------------------------------------

def _value(rank: int, shape=(2, 3), dtype=np.float64) -> np.ndarray:
    """Rank ``rank``'s input: distinct, exactly representable values."""
    return (np.arange(np.prod(shape)).reshape(shape) * (rank + 2) + rank).astype(dtype)


def collectives(rank: int, init_method: str, world_size: int) -> None:
    """Run every collective on ``world_size`` ranks and check it against its definition,
    computed here from every rank's known input (``_value``); an assertion fails the rank."""
    import tinygrad_bn as tg
    import tinygrad_bn.distributed as dist
    dist.init_process_group("gloo", init_method=init_method, rank=rank, world_size=world_size)
    assert dist.is_initialized() and dist.get_rank() == rank
    assert dist.get_world_size() == world_size and dist.get_backend() == "gloo"
    size = world_size
    everyone = [_value(r) for r in range(size)]
    T = lambda array: tg.tensor(array)  # noqa: E731

    def same(tensor, expected):
        np.testing.assert_array_equal(tensor.numpy(), expected)

    for op, combine in [(dist.ReduceOp.SUM, np.add), (dist.ReduceOp.PRODUCT, np.multiply),
                        (dist.ReduceOp.MIN, np.minimum), (dist.ReduceOp.MAX, np.maximum)]:
        tensor = T(everyone[rank])
        assert dist.all_reduce(tensor, op=op) is None
        expected = everyone[0]
        for other in everyone[1:]:
            expected = combine(expected, other)
        same(tensor, expected)
    base = T(everyone[rank])  # a view (transposed, not contiguous) is written through
    dist.all_reduce(base.t())
    same(base, sum(everyone[1:], everyone[0]))
    parameter = tg.nn.Parameter(T(everyone[rank]))  # a leaf that requires grad, as PyTorch
    dist.broadcast(parameter, src=0)
    assert parameter.grad_fn is None and parameter.requires_grad
    same(parameter.detach(), everyone[0])
    tensor = T(everyone[rank])
    dist.all_reduce(tensor, op=dist.ReduceOp.AVG)
    same(tensor, sum(everyone[1:], everyone[0]) / size)
    integers = T(np.array([6, 5, 12]) + rank)
    dist.all_reduce(integers, op=dist.ReduceOp.BXOR)
    same(integers, np.bitwise_xor.reduce([np.array([6, 5, 12]) + r for r in range(size)]))
    flags = T(np.array([True, rank == 1, False]))
    dist.all_reduce(flags)  # SUM of bools: any
    same(flags, np.array([True, True, False]))
    # reduce: only dst gets the result
    tensor = T(everyone[rank])
    dist.reduce(tensor, dst=1)
    same(tensor, sum(everyone[1:], everyone[0]) if rank == 1 else everyone[rank])
    # broadcast
    tensor = T(everyone[rank])
    dist.broadcast(tensor, src=size - 1)
    same(tensor, everyone[size - 1])
    # all_gather / all_gather_into_tensor / gather / scatter
    outputs = [tg.zeros(2, 3, dtype=tg.float64) for _ in range(size)]
    dist.all_gather(outputs, T(everyone[rank]))
    for output, expected in zip(outputs, everyone):
        same(output, expected)
    for gather_into in (dist.all_gather_single, dist.all_gather_into_tensor):
        output = tg.zeros(2 * size, 3, dtype=tg.float64)
        gather_into(output, T(everyone[rank]))
        same(output, np.concatenate(everyone))
    gathered = [tg.zeros(2, 3, dtype=tg.float64) for _ in range(size)] if rank == 0 else None
    dist.gather(T(everyone[rank]), gathered, dst=0)
    if rank == 0:
        for output, expected in zip(gathered, everyone):
            same(output, expected)
    received = tg.zeros(2, 3, dtype=tg.float64)
    dist.scatter(received, [T(10 * v) for v in everyone] if rank == 1 else None, src=1)
    same(received, 10 * everyone[rank])
    # reduce_scatter: rank r gets the sum over ranks of their r-th piece
    pieces = lambda r: [_value(r, (4,)) * (d + 1) for d in range(size)]  # noqa: E731
    output = tg.zeros(4, dtype=tg.float64)
    dist.reduce_scatter(output, [T(p) for p in pieces(rank)])
    same(output, sum(pieces(r)[rank] for r in range(size)))
    output = tg.zeros(4, dtype=tg.float64)
    dist.reduce_scatter_tensor(output, T(np.concatenate(pieces(rank))), op=dist.ReduceOp.MAX)
    same(output, np.maximum.reduce([pieces(r)[rank] for r in range(size)]))
    outputs = [tg.zeros(4, dtype=tg.float64) for _ in range(size)]
    dist.all_to_all(outputs, [T(p) for p in pieces(rank)])
    for source, output in enumerate(outputs):
        same(output, pieces(source)[rank])
    # async: queued in call order, Work.wait
    first, second = T(everyone[rank]), T(everyone[rank])
    works = [dist.all_reduce(first, async_op=True), dist.broadcast(second, 0, async_op=True)]
    assert all(work.wait() for work in works) and all(work.is_completed() for work in works)
    same(first, sum(everyone[1:], everyone[0]))
    same(second, everyone[0])
    # point to point, in a ring: each rank sends to the next, receives from the previous
    after, before = (rank + 1) % size, (rank - 1) % size
    inbox = tg.zeros(2, 3, dtype=tg.float64)
    request = dist.irecv(inbox, src=before, tag=5)
    dist.isend(T(everyone[rank]), dst=after, tag=5).wait()
    assert request.wait()
    same(inbox, everyone[before])
    inbox = tg.zeros(2, 3, dtype=tg.float64)
    works = dist.batch_isend_irecv([dist.P2POp(dist.irecv, inbox, before),
                                    dist.P2POp(dist.isend, T(-everyone[rank]), after)])
    assert all(work.wait() for work in works)
    same(inbox, -everyone[before])
    received_objects = [None, None]
    if rank == 0:
        dist.send_object_list([{"to": 1}, "two"], dst=1)
    elif rank == 1:
        assert dist.recv_object_list(received_objects, src=0) == 0
        assert received_objects == [{"to": 1}, "two"]
    if rank == 0:
        for _ in range(size - 1):
            inbox = tg.zeros(2, 3, dtype=tg.float64)
            source = dist.recv(inbox)  # from any rank: returns the sender
            same(inbox, everyone[source])
    else:
        dist.send(T(everyone[rank]), dst=0)
    # objects
    objects = [None] * size
    dist.all_gather_object(objects, {"rank": rank, "name": f"r{rank}"})
    assert objects == [{"rank": r, "name": f"r{r}"} for r in range(size)]
    sent = [rank, f"from {rank}", (rank,)]
    dist.broadcast_object_list(sent, src=1)
    assert sent == [1, "from 1", (1,)]
    # a group of the last two ranks: group ranks differ from global ones
    pair = dist.new_group([size - 2, size - 1])
    if rank >= size - 2:
        assert dist.get_rank(pair) == rank - (size - 2) and dist.get_world_size(pair) == 2
        tensor = T(everyone[rank])
        dist.all_reduce(tensor, group=pair)
        same(tensor, everyone[size - 2] + everyone[size - 1])
        tensor = T(everyone[rank])
        dist.broadcast(tensor, src=size - 1, group=pair)  # a global rank
        same(tensor, everyone[size - 1])
    else:
        assert pair == dist.GroupMember.NON_GROUP_MEMBER and dist.get_rank(pair) == -1
        tensor = T(everyone[rank])
        assert dist.all_reduce(tensor, group=pair) is None  # not a member: nothing happens
        same(tensor, everyone[rank])
    # ranks whose tensors differ in size: every rank raises (gloo would time out or
    # read garbage), naming the two sizes
    try:
        dist.all_reduce(tg.ones(rank + 1))
    except RuntimeError as error:
        assert str(error).startswith("ProcessGroupGloo::allreduce: rank "), error
        assert "sent a tensor of size" in str(error), error
    else:
        raise AssertionError("all_reduce of tensors of different sizes did not raise")
    dist.barrier()
    dist.destroy_process_group()
    assert not dist.is_initialized()


def rendezvous(rank: int, port: int, path: str, world_size: int) -> None:
    """``init_method`` omitted: ``env://`` with MASTER_ADDR/MASTER_PORT/RANK/WORLD_SIZE; then,
    after ``destroy_process_group``, a new group through ``file://path``."""
    import tinygrad_bn as tg
    import tinygrad_bn.distributed as dist
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(world_size))
    dist.init_process_group("gloo")
    tensor = tg.tensor([float(rank + 1)])
    dist.all_reduce(tensor)
    assert tensor.item() == world_size * (world_size + 1) / 2
    dist.destroy_process_group()
    dist.init_process_group("gloo", init_method=f"file://{path}", rank=rank,
                            world_size=world_size)
    tensor = tg.tensor([float(rank + 1)])
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    assert tensor.item() == world_size
    dist.destroy_process_group()


def unused_parameter(rank: int, out: str) -> None:
    """DDP with a layer only rank 1 uses (find_unused_parameters=True): rank 0's gradient of it
    is the mean with its zero; a layer no rank uses keeps no gradient. Without
    find_unused_parameters, an unused layer makes the next forward raise PyTorch's error."""
    import tinygrad_bn as tg
    from tinygrad_bn.distributed.ddp import DistributedDataParallel
    tg.manual_seed(0)

    class Branches(tg.nn.Module):
        def __init__(self):
            super().__init__()
            self.shared, self.sometimes, self.never = (tg.nn.Linear(2, 2) for _ in range(3))

        def forward(self, x, use):
            return self.sometimes(self.shared(x)) if use else self.shared(x)

    model = DistributedDataParallel(Branches(), find_unused_parameters=True)
    x = tg.ones(1, 2) * (rank + 1)
    model(x, use=rank == 1).sum().backward()
    module = model.module
    np.savez(os.path.join(out, f"unused-{rank}.npz"),
             shared=module.shared.weight.grad.numpy(), sometimes=module.sometimes.weight.grad.numpy(),
             never=np.array(module.never.weight.grad is None))
    strict = DistributedDataParallel(Branches())
    strict(x, use=False).sum().backward()
    try:
        strict(x, use=False)
    except RuntimeError as error:
        message = str(error)
    else:
        message = ""
    assert message.startswith("Expected to have finished reduction in the prior iteration "
                              "before starting a new one."), message
    assert f"Parameter indices which did not receive grad for rank {rank}: 2 3 4 5\n" \
        in message, message

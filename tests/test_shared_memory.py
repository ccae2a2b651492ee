"""``Tensor.share_memory_`` and ``Module.share_memory``: tensors whose values several processes
write, as ``torch.multiprocessing`` shares them (Hogwild! training), for processes made by
``fork`` and by ``spawn``, and for tensors sent through queues."""

import gc
import os

import numpy as np
import pytest

import tinygrad_bn as tg
import tinygrad_bn.multiprocessing as mp
from tinygrad_bn.tensor import shared_memory

TIMEOUT = 120  # seconds: a spawned child imports NumPy and tinygrad_bn first


def test_share_memory_moves_the_values_and_keeps_everything_else():
    t = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert not t.is_shared()
    assert t.share_memory_() is t
    assert t.is_shared() and t.requires_grad and t.is_leaf
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    array = t.detach().numpy()
    assert t.share_memory_() is t and t.detach().numpy() is array  # already shared: no move
    (t * t).sum().backward()
    assert t.grad.tolist() == [[2.0, 4.0], [6.0, 8.0]]
    view = t.detach()[1]
    assert view.is_shared()  # a view of shared memory is shared


def test_a_shared_block_is_unmapped_and_its_descriptor_closed_with_its_last_tensor():
    t = tg.zeros(1000).share_memory_()
    fd = shared_memory.block_of(t.numpy())[0]
    os.fstat(fd)
    del t
    gc.collect()
    with pytest.raises(OSError):
        os.fstat(fd)


def test_module_share_memory_shares_parameters_buffers_and_gradients():
    model = tg.nn.Sequential(tg.nn.Linear(3, 4), tg.nn.BatchNorm1d(4))
    model(tg.randn(5, 3)).sum().backward()
    assert model.share_memory() is model
    for tensor in list(model.parameters()) + list(model.buffers()):
        assert tensor.is_shared()
    assert all(p.grad.is_shared() for p in model.parameters())


def _add_one(tensor):
    with tg.no_grad():
        tensor.add_(1.0)


def _train(rank, model, steps):
    tg.manual_seed(rank)
    optimizer = tg.optim.SGD(model.parameters(), lr=0.1)
    x, y = tg.ones(4, 3), tg.zeros(4, 2)
    for _ in range(steps):
        optimizer.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        optimizer.step()


def _add_one_to_each_received(inbox, done):
    for tensor in iter(inbox.get, None):
        _add_one(tensor)
    done.put(True)


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_a_child_process_writes_into_the_parents_shared_tensor(start_method):
    context = mp.get_context(start_method)
    shared = tg.tensor([1.0, 2.0, 3.0]).share_memory_()
    private = tg.tensor([1.0, 2.0, 3.0])
    for tensor in (shared, private):
        child = context.Process(target=_add_one, args=(tensor,))
        child.start()
        child.join(TIMEOUT)
        assert child.exitcode == 0
    assert shared.tolist() == [2.0, 3.0, 4.0]
    assert private.tolist() == [1.0, 2.0, 3.0]  # not shared: the child wrote its own copy


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_tensors_sent_through_a_queue_share_the_senders_memory_views_included(start_method):
    context = mp.get_context(start_method)
    inbox, done = context.Queue(), context.Queue()
    child = context.Process(target=_add_one_to_each_received, args=(inbox, done))
    child.start()
    base = tg.zeros(2, 3).share_memory_()
    inbox.put(base)
    inbox.put(base[1, 1:])  # a view: it must land in the same place of the same block
    inbox.put(None)
    assert done.get(timeout=TIMEOUT)
    child.join(TIMEOUT)
    assert base.tolist() == [[1.0, 1.0, 1.0], [1.0, 2.0, 2.0]]


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_hogwild_children_train_the_parents_model(start_method):
    """pytorch/examples' mnist_hogwild pattern: ``model.share_memory()``, then processes that
    each run an optimizer over the same parameters; the parent's model is what they trained."""
    context = mp.get_context(start_method)
    tg.manual_seed(0)
    model = tg.nn.Linear(3, 2)
    x = tg.ones(4, 3)
    with tg.no_grad():
        loss_before = float((model(x) ** 2).mean())
    before = model.weight.detach().numpy().copy()
    model.share_memory()
    children = [context.Process(target=_train, args=(rank, model, 5)) for rank in range(2)]
    for child in children:
        child.start()
    for child in children:
        child.join(TIMEOUT)
        assert child.exitcode == 0
    with tg.no_grad():
        loss_after = float((model(x) ** 2).mean())
    assert not np.array_equal(model.weight.detach().numpy(), before)
    assert loss_after < 0.5 * loss_before  # ten SGD steps in all drove the outputs to zero

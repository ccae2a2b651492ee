"""``tinygrad_bn.multiprocessing``: tensors through queues and pipes to child processes and back,
``spawn`` and its failures, as ``torch.multiprocessing`` (compared with it when installed).
Every wait has a timeout, so a hang fails the test instead of stalling the suite."""

import importlib
import pickle
import re
import pytest

import tinygrad_bn as tg
import tinygrad_bn.multiprocessing as mp
from tinygrad_bn.multiprocessing.reductions import NON_LEAF_MESSAGE

TIMEOUT = 120  # seconds: a spawned child imports NumPy and tinygrad_bn first


def _echo(library_name, inbox, outbox):
    """In the child: take tensors, use them (a write through a view, a backward pass), send
    back what arrived and what came of it."""
    lib = importlib.import_module(library_name)
    x, column, weight, parameter, counts = inbox.get(timeout=TIMEOUT)
    report = {
        "classes": [type(t).__name__ for t in (x, column, weight, parameter, counts)],
        "requires_grad": [t.requires_grad for t in (x, column, weight, parameter, counts)],
        "leaves": [t.is_leaf for t in (x, column, weight, parameter, counts)],
        "dtypes": [str(t.dtype).removeprefix("torch.") for t in (x, column, weight, parameter,
                                                                 counts)],
    }
    column[0] = 100.0  # x's memory too, when the two arrived sharing it
    (weight * lib.arange(3.0)).sum().backward()
    outbox.put((report, x, weight.grad, weight, parameter, counts))
    inbox.get(timeout=TIMEOUT)  # PyTorch's receiver fetches shared memory from this process


def _send_and_receive(lib, context):
    """Send tensors to a child of ``context`` running ``_echo`` and return what came back."""
    inbox, outbox = context.Queue(), context.Queue()
    child = context.Process(target=_echo, args=(lib.__name__, inbox, outbox))
    child.start()
    try:
        x = lib.arange(6.0).reshape(2, 3)
        weight = lib.ones(3, requires_grad=True)
        parameter = lib.nn.Parameter(lib.full((2,), 0.5))
        inbox.put((x, x[:, 0], weight, parameter, lib.tensor([1, 2], dtype=lib.int32)))
        received = outbox.get(timeout=TIMEOUT)
        inbox.put("received")
        child.join(TIMEOUT)
        assert child.exitcode == 0
    finally:
        if child.is_alive():
            child.kill()
            child.join()
    return received, x


def _check_received(received):
    report, x, grad, weight, parameter, counts = received
    assert report == {
        "classes": ["Tensor", "Tensor", "Tensor", "Parameter", "Tensor"],
        "requires_grad": [False, False, True, True, False],
        "leaves": [True, True, True, True, True],
        "dtypes": ["float32", "float32", "float32", "float32", "int32"],
    }
    assert x.tolist() == [[100.0, 1.0, 2.0], [3.0, 4.0, 5.0]]  # the view's write, in x
    assert grad.tolist() == [0.0, 1.0, 2.0]
    assert weight.requires_grad and weight.is_leaf and weight.grad is None  # grad stays behind
    assert type(parameter).__name__ == "Parameter" and parameter.tolist() == [0.5, 0.5]
    assert counts.tolist() == [1, 2]


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_tensors_with_views_and_grad_go_to_a_child_and_back(start_method):
    received, sent = _send_and_receive(tg, mp.get_context(start_method))
    _check_received(received)
    assert sent.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]  # copied, not shared memory


def test_pytorch_sends_the_same_through_its_queues():
    torch = pytest.importorskip("torch")
    import torch.multiprocessing

    received, _ = _send_and_receive(torch, torch.multiprocessing.get_context("fork"))
    _check_received(received)


def test_a_non_leaf_that_requires_grad_is_refused_as_pytorch():
    receiver, sender = mp.Pipe(duplex=False)
    loss = (tg.ones(3, requires_grad=True) * 2).sum()
    with pytest.raises(RuntimeError, match=f"^{re.escape(NON_LEAF_MESSAGE)}$"):
        sender.send(loss)
    sender.send(loss.detach())
    assert receiver.poll(TIMEOUT) and receiver.recv().item() == 6.0
    try:
        import torch
    except ImportError:
        return
    with pytest.raises(RuntimeError, match=f"^{re.escape(NON_LEAF_MESSAGE)}$"):
        sender.send((torch.ones(3, requires_grad=True) * 2).sum())


def test_what_crosses_keeps_no_attributes_and_warns_of_hooks():
    from multiprocessing.reduction import ForkingPickler

    weight = tg.ones(2, requires_grad=True)
    weight.note = "stays"
    weight.register_hook(lambda grad: grad)
    with pytest.warns(UserWarning, match="on tensor will not be serialized"):
        data = ForkingPickler.dumps(weight)
    arrived = pickle.loads(data)
    assert not hasattr(arrived, "note") and arrived.requires_grad
    with pytest.warns(UserWarning, match="on tensor will not be serialized"):
        assert pickle.loads(pickle.dumps(weight)).note == "stays"  # plain pickle keeps them


def _put_square(i, queue):
    queue.put((i, tg.tensor([float(i)]) ** 2))


def _fail(i, code):
    if i == 1:
        if code is None:
            raise ValueError(f"process {i} gave up")
        raise SystemExit(code)


def test_spawn_runs_fn_with_each_index():
    context = mp.get_context("spawn")
    queue = context.Queue()
    assert mp.spawn(_put_square, args=(queue,), nprocs=2) is None
    results = dict(queue.get(timeout=TIMEOUT) for _ in range(2))
    assert {i: t.tolist() for i, t in results.items()} == {0: [0.0], 1: [1.0]}


def test_spawn_raises_the_childs_error_with_its_traceback():
    with pytest.raises(mp.ProcessRaisedException) as error:
        mp.spawn(_fail, args=(None,), nprocs=2)
    assert error.value.error_index == 1
    assert str(error.value).startswith("\n\n-- Process 1 terminated with the following error:\n")
    assert "ValueError: process 1 gave up" in str(error.value)


def test_start_processes_reports_an_exit_code_and_returns_a_context_without_join():
    with pytest.raises(mp.ProcessExitedException,
                       match="^process 1 terminated with exit code 3$") as error:
        mp.start_processes(_fail, args=(3,), nprocs=2, start_method="fork")
    assert error.value.exit_code == 3 and error.value.signal_name is None
    running = mp.start_processes(_fail, args=(None,), nprocs=1, join=False,
                                 start_method="fork")
    assert len(running.pids()) == 1
    assert running.join(TIMEOUT) is True


def test_spawn_with_another_start_method_warns_and_spawns():
    with pytest.warns(FutureWarning, match=r"^This method only supports start_method=spawn "
                                           r"\(got: fork\)"):
        mp.spawn(_fail, args=(None,), nprocs=1, start_method="fork")


def test_sharing_strategies_as_pytorch():
    torch_mp = None
    try:
        import torch.multiprocessing as torch_mp
    except ImportError:
        pass
    assert mp.get_sharing_strategy() == "file_descriptor"
    assert mp.get_all_sharing_strategies() == {"file_descriptor", "file_system"}
    try:
        mp.set_sharing_strategy("file_system")
        assert mp.get_sharing_strategy() == "file_system"
    finally:
        mp.set_sharing_strategy("file_descriptor")
    for module in (mp, torch_mp) if torch_mp else (mp,):
        with pytest.raises(AssertionError, match="^invalid sharing strategy 'bogus', expected "
                                                 "one of {'file_"):
            module.set_sharing_strategy("bogus")


def test_the_names_programs_use_are_there():
    for name in ("Process", "Queue", "SimpleQueue", "Pool", "Pipe", "Manager", "Lock", "Event",
                 "get_context", "set_start_method", "get_start_method", "cpu_count",
                 "current_process", "spawn", "start_processes", "ProcessContext"):
        assert hasattr(mp, name), name
    assert tg.multiprocessing is mp
    with mp.get_context("fork").Pool(1) as pool:
        squares = pool.map(_square, [tg.tensor([2.0]), tg.tensor([3])])
    assert [t.tolist() for t in squares] == [[4.0], [9]]


def _square(tensor):
    return tensor ** 2

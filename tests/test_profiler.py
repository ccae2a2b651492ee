"""``tinygrad_bn.profiler`` and ``tinygrad_bn.autograd.profiler`` against PyTorch's where the
outcome is deterministic: which events are recorded and how they nest, the counts and sums of
``key_averages``, the table's layout (times masked), the schedule's actions and when
``on_trace_ready`` runs, the Chrome trace's structure; and that the profiler leaves nothing
behind when it stops (the original ``apply``s, replaying jit functions)."""

import contextlib
import gzip
import json
import re
import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn.autograd import graph
from tinygrad_bn.autograd import profiler as autograd_profiler
from tinygrad_bn.profiler import (
    ProfilerAction, ProfilerActivity, profile, record_function, schedule,
    tensorboard_trace_handler,
)

ORIGINAL_APPLY = graph.Op.__dict__["apply"]
ORIGINAL_FUNCTION_APPLY = tg.autograd.Function.__dict__["apply"]


def masked(table):
    """A table with every time, percentage and memory figure (and the padding before it)
    replaced by `` #``: the headers and separators, which fix the column widths, stay."""
    return re.sub(r" *(-?\d+(\.\d+)?(us|ms|s|%| B| KB| MB)|NaN)", " #", table)


def ranges_only(module, profile_factory):
    """Nested record_function ranges with no op inside: both frameworks record the same
    events."""
    with profile_factory() as prof:
        with module.record_function("outer"):
            for _ in range(2):
                with module.record_function("inner_range"):
                    pass
            with module.record_function("a_much_longer_range_name_than_the_others"):
                pass
    return prof


def test_ranges_table_and_tree_match_torch():
    torch = pytest.importorskip("torch")
    theirs = ranges_only(torch.profiler, lambda: torch.profiler.profile(
        activities=[torch.profiler.ProfilerActivity.CPU]))
    ours = ranges_only(tg.profiler, lambda: profile(activities=[ProfilerActivity.CPU]))
    shape = [(e.name, [c.name for c in e.cpu_children]) for e in ours.events()]
    assert shape == [(e.name, [c.name for c in e.cpu_children]) for e in theirs.events()]
    for sort_by in ("count", None):
        ours_table = ours.key_averages().table(sort_by=sort_by, row_limit=-1)
        theirs_table = theirs.key_averages().table(sort_by=sort_by, row_limit=-1)
        if sort_by is None:  # the same order of first appearance
            assert masked(ours_table) == masked(theirs_table)
        else:  # ties in count may sort either way: the same lines
            assert sorted(masked(ours_table).splitlines()) == \
                sorted(masked(theirs_table).splitlines())
    assert masked(ours.key_averages().table(row_limit=1)) == \
        masked(theirs.key_averages().table(row_limit=1))
    for sort_by in ("self_cuda_time_total", "xpu_time_total", "self_cpu_memory_usage"):
        assert sorted(masked(ours.key_averages().table(sort_by=sort_by)).splitlines()) == \
            sorted(masked(theirs.key_averages().table(sort_by=sort_by)).splitlines())


def test_self_times_and_averages_add_up():
    prof = ranges_only(tg.profiler, profile)
    events = prof.events()
    outer = events[0]
    assert outer.self_cpu_time_total == pytest.approx(
        outer.cpu_time_total - sum(c.cpu_time_total for c in outer.cpu_children))
    for child in outer.cpu_children:
        assert child.cpu_parent is outer
        assert outer.time_range.start <= child.time_range.start <= child.time_range.end \
            <= outer.time_range.end
    averages = {a.key: a for a in prof.key_averages()}
    inner = averages["inner_range"]
    assert inner.count == 2
    assert inner.cpu_time == pytest.approx(inner.cpu_time_total / 2)
    assert sum(a.self_cpu_time_total for a in averages.values()) == pytest.approx(
        outer.cpu_time_total)
    assert prof.key_averages().self_cpu_time_total == pytest.approx(outer.cpu_time_total)
    assert prof.key_averages().total_average().count == 4


def test_ops_forward_and_backward_named_as_in_torch():
    torch = pytest.importorskip("torch")

    def run(module, make):
        a, b = make([[1.0, 2.0]], True), make([[3.0, 4.0]], True)
        with module.profiler.profile(record_shapes=True) as prof:
            with module.profiler.record_function("step"):
                loss = ((a + b) * b).relu().sum()
            loss.backward()
        return prof

    ours = run(tg, lambda v, g: tg.tensor(v, requires_grad=g))
    theirs = run(torch, lambda v, g: torch.tensor(v, requires_grad=g))
    names = ["step", "aten::add", "aten::mul", "aten::relu", "aten::sum",
             "autograd::engine::evaluate_function: SumBackward0", "SumBackward0",
             "autograd::engine::evaluate_function: ReluBackward0", "ReluBackward0",
             "autograd::engine::evaluate_function: MulBackward0", "MulBackward0",
             "autograd::engine::evaluate_function: AddBackward0", "AddBackward0"]
    # The forward ops nest in "step", as PyTorch's (whose backward nodes also run aten ops
    # inside them: ours have nothing inside).
    step = next(e for e in ours.events() if e.name == "step")
    their_step = next(e for e in theirs.events() if e.name == "step")
    assert [c.name for c in step.cpu_children] == names[1:5] == \
        [c.name for c in their_step.cpu_children]
    our_counts = {a.key: a.count for a in ours.key_averages()}
    their_counts = {a.key: a.count for a in theirs.key_averages()}
    for name in names[5:]:
        assert our_counts[name] == their_counts[name] == 1, name
    assert set(our_counts) == set(names)  # one event per op of ours
    by_name = {e.name: e for e in ours.events()}
    assert by_name["aten::add"].input_shapes == [[1, 2], [1, 2]]
    assert by_name["SumBackward0"].cpu_parent.name == names[5]
    assert by_name["SumBackward0"].scope == 1 and by_name["aten::add"].scope == 0
    grouped = ours.key_averages(group_by_input_shape=True)
    assert {a.key: a.input_shapes for a in grouped}["aten::mul"] == [[1, 2], [1, 2]]
    assert all(a.input_shapes == "" for a in ours.key_averages())
    table = grouped.table(sort_by="self_cpu_time_total", row_limit=3)
    assert "Input Shapes" in table.splitlines()[1] and len(table.splitlines()) == 3 + 3 + 2


def test_event_names_for_dimension_dependent_and_unmapped_ops():
    x = tg.randn(1, 1, 4, 4)
    conv = tg.nn.Conv2d(1, 2, 3)
    with profile() as prof:
        tg.nn.functional.max_pool2d(x, 2)
        tg.nn.functional.avg_pool2d(x, 2)
        conv(x)
        x[0, 0, 1:3]
    keys = [a.key for a in prof.key_averages()]
    assert "aten::max_pool2d" in keys and "aten::avg_pool2d" in keys and "aten::conv2d" in keys
    assert "aten::select" in keys  # x[0, 0, 1:3]: PyTorch's first op of it
    index = tg.tensor([0, 2])
    with profile() as prof:
        tg.randn(2)  # an op with no obvious aten counterpart: its class name
        x[0, 0, index]
    assert [e.name for e in prof.events()] == ["tinygrad_bn::RandomDraw", "aten::index"]
    x.requires_grad_()
    with profile() as prof:
        (x[0, :, 1:] * 2).sum().backward()
    assert "SelectBackward0" in [e.name for e in prof.events()]


def test_custom_function_is_an_event_with_its_ops_inside():
    class Cube(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 3 * x * x * grad

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with profile() as prof:
        Cube.apply(x).sum().backward()
    cube = next(e for e in prof.events() if e.name == "Cube")
    assert [c.name for c in cube.cpu_children] == ["aten::mul", "aten::mul"]
    assert "CubeBackward" in [e.name for e in prof.events()]
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 12.0])


def test_memory_columns_and_bytes_made():
    x = tg.ones(10, 10)
    with profile(profile_memory=True) as prof:
        with record_function("block"):
            y = x + 1
            y.reshape(100)
    events = {e.name: e for e in prof.events()}
    assert events["aten::add"].cpu_memory_usage == 400
    assert events["aten::reshape"].cpu_memory_usage == 0  # a view
    assert events["block"].cpu_memory_usage == 400 and events["block"].self_cpu_memory_usage == 0
    header = prof.key_averages().table().splitlines()[1]
    assert "CPU Mem" in header and "Self CPU Mem" in header
    assert "400 B" in prof.key_averages().table()
    # a result that is a view of memory the op made itself is new memory too
    with profile(profile_memory=True) as prof:
        tg.nn.functional.conv2d(tg.ones(1, 1, 4, 4), tg.ones(2, 1, 3, 3))
    assert [e.cpu_memory_usage for e in prof.events()] == [2 * 2 * 2 * 4]


def test_with_stack_records_user_frames():
    def user_function(x):
        return x * 2

    with profile(with_stack=True) as prof:
        user_function(tg.ones(2))
    mul = next(e for e in prof.events() if e.name == "aten::mul")
    assert "user_function" in mul.stack[0] and "test_profiler.py" in mul.stack[0]
    assert not any("tinygrad_bn/" in entry for entry in mul.stack)
    table = prof.key_averages(group_by_stack_n=2).table()
    assert "Source Location" in table.splitlines()[1]


SCHEDULES = [dict(wait=1, warmup=1, active=2), dict(wait=1, warmup=1, active=2, repeat=1),
             dict(wait=0, warmup=2, active=1, repeat=2, skip_first=3),
             dict(wait=2, warmup=1, active=3, repeat=0, skip_first=1, skip_first_wait=1)]


@pytest.mark.parametrize("arguments", SCHEDULES)
def test_schedule_actions_and_trace_ready_steps_match_torch(arguments):
    torch = pytest.importorskip("torch")
    ours, theirs = schedule(**arguments), torch.profiler.schedule(**arguments)
    assert [ours(i).name for i in range(20)] == [theirs(i).name for i in range(20)]

    def run(module, framework):
        ready = []

        def handler(prof):
            ready.append((prof.step_num, sorted(a.key for a in prof.key_averages())))

        with module.profile(schedule=module.schedule(**arguments), on_trace_ready=handler) as p:
            for _ in range(9):
                with module.record_function("work"):
                    pass
                p.step()
        return ready

    assert run(tg.profiler, tg) == run(torch.profiler, torch)


def test_step_ranges_named_as_in_torch():
    torch = pytest.importorskip("torch")

    def run(module):
        with module.profile(schedule=module.schedule(wait=0, warmup=1, active=2),
                            acc_events=True) as prof:
            for _ in range(4):
                prof.step()
        events = prof.events()
        return sorted(e.name for e in events), sorted(e.trace_name for e in events), \
            [(a.key, a.count) for a in prof.key_averages()]

    ours = run(tg.profiler)
    assert ours == run(torch.profiler)
    assert ours[1] == ["ProfilerStep#1", "ProfilerStep#2", "ProfilerStep#4"]


def test_schedule_errors_and_warnings_match_torch():
    torch = pytest.importorskip("torch")
    for module in (tg.profiler, torch.profiler):
        with pytest.raises(AssertionError) as error:
            module.schedule(wait=-1, warmup=1, active=0)
        assert str(error.value) == (
            "Invalid profiler schedule arguments. Got wait=-1 (need >= 0), warmup=1 (need >= "
            "0), active=0 (need > 0), repeat=0 (need >= 0), skip_first=0 (need >= 0).")
        with pytest.warns(UserWarning, match="Profiler won't be using warmup"):
            module.schedule(wait=1, warmup=0, active=1)

    def bad_schedule(step):
        return ProfilerAction.RECORD if step == 0 else ProfilerAction.NONE

    with pytest.warns(UserWarning, match="Incorrect schedule: RECORD followed by NONE"):
        with profile(schedule=bad_schedule) as prof:
            prof.step()
    with pytest.raises(ValueError, match="DEVICE_STOPPED is set internally"):
        profile(schedule=lambda step: ProfilerAction.DEVICE_STOPPED)
    with pytest.raises(AssertionError, match="Profiler must be initialized before accessing"):
        profile().events()
    assert int(ProfilerActivity.CUDA) == int(torch.profiler.ProfilerActivity.CUDA)
    for module in (tg.profiler, torch.profiler):  # a device that is not there: nothing left
        device_only = module.profile(activities=[module.ProfilerActivity.CUDA])
        with pytest.warns(UserWarning, match="CUDA is not available, disabling CUDA profiling"), \
                pytest.raises(AssertionError, match="No activities specified for the profiler"):
            device_only.start()
    for module in (autograd_profiler, torch.autograd.profiler):
        with pytest.warns(UserWarning, match="CUDA is not available, disabling CUDA profiling"):
            with module.profile(use_device="cuda") as legacy:
                with module.record_function("r"):
                    pass
        assert [e.name for e in legacy.function_events] == ["r"]
    assert tg.profiler.supported_activities() == {ProfilerActivity.CPU}


def test_chrome_trace_is_valid_and_nested(tmp_path):
    with profile(record_shapes=True) as prof:
        with record_function("outer"):
            tg.ones(3) * 2
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    document = json.loads(path.read_text())
    assert document["schemaVersion"] == 1 and document["displayTimeUnit"] == "ms"
    complete = [e for e in document["traceEvents"] if e["ph"] == "X"]
    assert [e["name"] for e in complete] == [e.name for e in prof.events()]
    outer, mul = complete[0], next(e for e in complete if e["name"] == "aten::mul")
    assert outer["cat"] == "user_annotation" and mul["cat"] == "cpu_op"
    assert outer["ts"] <= mul["ts"] and mul["ts"] + mul["dur"] <= outer["ts"] + outer["dur"]
    assert mul["args"]["Input Dims"] == [[3], []]
    assert any(e["ph"] == "M" and e["name"] == "thread_name" for e in document["traceEvents"])
    gz = tmp_path / "trace.json.gz"
    prof.export_chrome_trace(str(gz))
    assert json.loads(gzip.open(gz, "rt").read())["traceEvents"] == document["traceEvents"]


def test_tensorboard_trace_handler_writes_one_file_per_cycle(tmp_path):
    directory = tmp_path / "logs"
    with profile(schedule=schedule(wait=1, warmup=1, active=1, repeat=2),
                 on_trace_ready=tensorboard_trace_handler(str(directory), "worker0")) as prof:
        for _ in range(8):
            tg.ones(2) + 1
            prof.step()
    files = sorted(directory.iterdir())
    assert len(files) == 2
    assert all(re.fullmatch(r"worker0\.\d+\.pt\.trace\.json", f.name) for f in files)
    for file in files:
        names = [e["name"] for e in json.loads(file.read_text())["traceEvents"] if e["ph"] == "X"]
        assert names[0].startswith("ProfilerStep#") and "aten::add" in names


def test_nothing_left_behind_and_errors_inside_the_block():
    with pytest.raises(ValueError, match="boom"):
        with profile():
            tg.ones(2) + 1
            raise ValueError("boom")
    assert graph.Op.__dict__["apply"] is ORIGINAL_APPLY
    assert tg.autograd.Function.__dict__["apply"] is ORIGINAL_FUNCTION_APPLY
    assert graph.profiler is None
    with profile():
        with pytest.raises(RuntimeError, match="another profiler is already recording"):
            with profile():
                pass
    assert graph.profiler is None
    # record_function with no profiler is a no-op, as a context manager and as a decorator
    calls = []

    @record_function("decorated")
    def decorated(n):
        calls.append(n)
        return decorated(n - 1) if n else 0

    decorated(2)
    with profile() as prof:
        decorated(1)
    assert calls == [2, 1, 0, 1, 0]
    events = prof.events()
    assert [e.name for e in events] == ["decorated", "decorated"]
    assert events[1].cpu_parent is events[0]


def test_anomaly_mode_still_checks_while_profiling():
    x = tg.tensor([0.0], requires_grad=True)
    with profile() as prof, tg.autograd.detect_anomaly(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="returned nan values"):
            (x.sqrt() * 0).sum().backward()  # 0 * inf in SqrtBackward
    assert "SqrtBackward0" in [e.name for e in prof.events()]


def test_jit_runs_eagerly_while_profiling_and_replays_after_reset():
    model = tg.nn.Linear(3, 2)

    @tg.jit
    def step(x):
        model.zero_grad()
        loss = model(x).sum()
        loss.backward()
        return loss

    for _ in range(3):
        step(tg.randn(4, 3))
    assert step.replays == 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with profile() as prof:
            step(tg.randn(4, 3))
            step(tg.randn(4, 3))
    assert step.replays == 1  # no replay while recording: every op is timed
    assert [a.count for a in prof.key_averages() if a.key == "aten::linear"] == [2]
    assert any("a profiler is recording" in str(w.message) for w in caught)
    step.reset()
    for _ in range(3):
        step(tg.randn(4, 3))
    assert step.replays == 1


def test_autograd_profiler_aliases_match_torch():
    torch = pytest.importorskip("torch")
    ours = ranges_only(autograd_profiler, autograd_profiler.profile)
    theirs = ranges_only(torch.autograd.profiler, torch.autograd.profiler.profile)
    assert masked(ours.key_averages().table()) == masked(theirs.key_averages().table())
    assert masked(ours.table()) == masked(theirs.table())
    assert [e.name for e in ours.function_events] == [e.name for e in theirs.function_events]
    assert ours.self_cpu_time_total == pytest.approx(ours.function_events[0].cpu_time_total)
    assert autograd_profiler.profile().key_averages() == []
    disabled = autograd_profiler.profile(enabled=False)
    with disabled:
        tg.ones(2) + 1
    assert disabled.function_events is None
    for module in (autograd_profiler, torch.autograd.profiler):
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            with module.emit_nvtx():
                pass
        with module.emit_itt():
            pass
    assert tg.autograd.profiler.record_function is tg.profiler.record_function


def test_training_under_the_profiler_is_bit_identical():
    def train(profiled):
        tg.manual_seed(0)
        rng = np.random.default_rng(0)
        model = tg.nn.Sequential(tg.nn.Linear(6, 8), tg.nn.BatchNorm1d(8), tg.nn.ReLU(),
                                 tg.nn.Linear(8, 3))
        optimizer = tg.optim.Adam(model.parameters(), lr=1e-2)
        with profile() if profiled else contextlib.nullcontext():
            for _ in range(5):
                x = tg.tensor(rng.standard_normal((16, 6)).astype(np.float32))
                y = tg.tensor(rng.integers(0, 3, 16))
                loss = tg.nn.functional.cross_entropy(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        return [v.numpy().copy() for v in model.state_dict().values()]

    for ours, plain in zip(train(True), train(False)):
        np.testing.assert_array_equal(ours, plain)


def test_optimizer_steps_are_ranges_as_in_torch():
    torch = pytest.importorskip("torch")

    def run(module, optimizer_class):
        model = module.nn.Linear(2, 2)
        optimizer = optimizer_class(model.parameters(), lr=0.1)
        with module.profiler.profile() as prof:
            for _ in range(2):
                optimizer.zero_grad()
                model(module.ones(1, 2)).sum().backward()
                optimizer.step()
        return [(e.name, e.is_user_annotation) for e in prof.events()
                if e.name.startswith("Optimizer.")]

    classes = (tg.optim.Optimizer, tg.optim.Adam, tg.optim.SGD)
    before = [dict(cls.__dict__) for cls in classes]
    for name in ("Adam", "SGD"):
        assert run(tg, getattr(tg.optim, name)) == run(torch, getattr(torch.optim, name)) == \
            [(f"Optimizer.zero_grad#{name}.zero_grad", True),
             (f"Optimizer.step#{name}.step", True)] * 2
    for cls, methods in zip(classes, before):  # the same functions put back
        for method in ("step", "zero_grad"):
            assert cls.__dict__.get(method) is methods.get(method)


# Calls whose ops are one op of ours each and PyTorch's top-level aten ops: the same names.
SAME_NAMES = {
    "exp": lambda m, x, w: x.exp(), "log": lambda m, x, w: x.abs().log(),
    "tanh": lambda m, x, w: x.tanh(), "sigmoid": lambda m, x, w: x.sigmoid(),
    "matmul": lambda m, x, w: x @ w, "add_sub_mul_div": lambda m, x, w: (x + x - 1) * 2 / 3,
    "pow_neg": lambda m, x, w: -(x ** 2), "reductions": lambda m, x, w: (x.sum(), x.mean(),
                                                                        x.max(), x.var()),
    "softmax": lambda m, x, w: m.nn.functional.softmax(x, dim=1),
    "log_softmax": lambda m, x, w: m.nn.functional.log_softmax(x, dim=1),
    "relu_gelu": lambda m, x, w: m.nn.functional.gelu(m.relu(x)),
    "layer_norm": lambda m, x, w: m.nn.functional.layer_norm(x, (4,)),
    "batch_norm": lambda m, x, w: m.nn.functional.batch_norm(x, None, None, training=True),
    "cat_stack": lambda m, x, w: (m.cat([x, x]), m.stack([x, x])),
    "reshape_permute": lambda m, x, w: x.reshape(4, 3).permute(1, 0),
    "clamp_abs_cumsum": lambda m, x, w: x.clamp(0, 1).abs().cumsum(0),
    "compare_where": lambda m, x, w: m.where(x > 0, x, x * 0),
    "dropout": lambda m, x, w: m.nn.functional.dropout(x, 0.5, training=True),
    "max_pool2d": lambda m, x, w: m.nn.functional.max_pool2d(x.reshape(1, 1, 3, 4), 2),
    "index": lambda m, x, w: (x[0], x[:, 1:3], x[None], x[x > 0]),
}


@pytest.mark.parametrize("name", SAME_NAMES)
def test_forward_event_names_are_torchs(name):
    torch = pytest.importorskip("torch")

    def names(module):
        x = module.tensor(np.arange(12.0, dtype=np.float32).reshape(3, 4) / 7 - 0.5)
        w = module.ones(4, 5)
        with module.profiler.profile() as prof:
            with module.profiler.record_function("r"):
                SAME_NAMES[name](module, x, w)
        return [c.name for c in next(e for e in prof.events() if e.name == "r").cpu_children]

    assert names(tg) == names(torch)

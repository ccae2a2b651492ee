"""``tinygrad_bn.utils.tensorboard.SummaryWriter``: what it writes is read back with
TensorBoard's own ``EventAccumulator`` (tags, steps, values, wall times, histograms, text),
compared with what ``torch.utils.tensorboard.SummaryWriter`` writes for the same calls when
PyTorch is installed, and the ``ImportError`` when the ``tensorboard`` package is missing."""

import importlib
import os
import re
import socket
import sys
import types

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import tinygrad_bn as tg
from tinygrad_bn import nn
from tinygrad_bn.utils.tensorboard import SummaryWriter


def read(log_dir):
    """An ``EventAccumulator`` over ``log_dir``, everything loaded."""
    accumulator = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "histograms": 0,
                                                                "tensors": 0})
    accumulator.Reload()
    return accumulator


def scalars(log_dir, tag):
    """``[(step, value)]`` of ``tag`` in ``log_dir``."""
    return [(event.step, event.value) for event in read(log_dir).Scalars(tag)]


def event_files(log_dir):
    return sorted(name for name in os.listdir(log_dir) if name.startswith("events.out.tfevents."))


# ---------------------------------------------------------------------- scalars


VALUES = [  # what a training loop logs: Python and NumPy numbers, 0-d arrays and tensors
    2.5, 3, True, np.float32(0.25), np.float64(1 / 3), np.array(7.0), np.array([4.5]),
    tg.tensor(1.5), tg.tensor(-2.0, requires_grad=True), tg.tensor([[0.125]]),
    tg.tensor(5, dtype=tg.int64),
]


def test_scalars_read_back_with_their_steps_and_values(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        for step, value in enumerate(VALUES):
            writer.add_scalar("Loss/train", value, step)
    expected = [2.5, 3.0, 1.0, 0.25, np.float32(1 / 3), 7.0, 4.5, 1.5, -2.0, 0.125, 5.0]
    assert scalars(tmp_path, "Loss/train") == list(enumerate(expected))
    assert read(tmp_path).Tags()["scalars"] == ["Loss/train"]
    assert len(event_files(tmp_path)) == 1


def test_the_loss_of_a_training_loop_is_logged_as_makemore_logs_it(tmp_path):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    optimizer = tg.optim.SGD(model.parameters(), lr=0.1)
    x, y = tg.randn(16, 3), tg.randn(16, 1)
    writer = SummaryWriter(log_dir=tmp_path)
    losses = []
    for step in range(5):
        loss = ((model(x) - y) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        writer.add_scalar("Loss/train", loss.item(), step)
        writer.add_scalar("Loss/tensor", loss, step)  # a tensor that requires grad, as is
        losses.append(loss.item())
    writer.close()
    stored = [value for _, value in scalars(tmp_path, "Loss/train")]
    np.testing.assert_array_equal(stored, np.float32(losses))  # simple_value is a float32
    assert scalars(tmp_path, "Loss/tensor") == scalars(tmp_path, "Loss/train")


def test_walltime_and_a_missing_step(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("a", 1.0, walltime=1234.5)
        writer.add_scalar("a", 2.0, np.int64(7), walltime=1240.0)
    events = read(tmp_path).Scalars("a")
    assert [(e.wall_time, e.step, e.value) for e in events] == [(1234.5, 0, 1.0),
                                                                (1240.0, 7, 2.0)]


def test_new_style_scalars_are_tensors_of_the_scalars_plugin(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("single", 1 / 3, 0, new_style=True)
        writer.add_scalar("double", 1 / 3, 0, new_style=True, double_precision=True)
    accumulator = read(tmp_path)
    single = accumulator.Tensors("single")[0].tensor_proto
    double = accumulator.Tensors("double")[0].tensor_proto
    assert list(single.float_val) == [np.float32(1 / 3)] and list(double.double_val) == [1 / 3]
    assert accumulator.SummaryMetadata("single").plugin_data.plugin_name == "scalars"


def test_add_scalars_writes_one_run_per_key(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        for step in range(3):
            writer.add_scalars("Loss/split", {"train": step, "val": 10 + step}, step)
    assert sorted(os.listdir(tmp_path)) == ["Loss_split_train", "Loss_split_val"] + \
        event_files(tmp_path)
    assert scalars(tmp_path / "Loss_split_train", "Loss/split") == [(0, 0), (1, 1), (2, 2)]
    assert scalars(tmp_path / "Loss_split_val", "Loss/split") == [(0, 10), (1, 11), (2, 12)]


# ---------------------------------------------------------------------- histograms and text


def test_histograms_hold_the_statistics_of_the_values(tmp_path):
    values = np.random.default_rng(0).standard_normal((20, 50))
    with SummaryWriter(tmp_path) as writer:
        writer.add_histogram("weights", tg.tensor(values, requires_grad=True), 1)
        writer.add_histogram("auto", values, 2, bins="auto", max_bins=7)
    accumulator = read(tmp_path)
    assert accumulator.Tags()["histograms"] == ["weights", "auto"]
    for tag in ("weights", "auto"):
        histogram = accumulator.Histograms(tag)[0].histogram_value
        assert (histogram.min, histogram.max, histogram.num) == (values.min(), values.max(), 1000)
        assert histogram.sum == pytest.approx(values.sum(), abs=1e-9)
        assert histogram.sum_squares == pytest.approx((values ** 2).sum())
        assert sum(histogram.bucket) == 1000 and histogram.bucket[0] == 0  # an empty left one
        assert list(histogram.bucket_limit) == sorted(histogram.bucket_limit)
    auto_bins = len(np.histogram(values, bins="auto")[0])  # merged by groups of auto_bins // 7
    merged = -(-auto_bins // (auto_bins // 7))
    assert len(accumulator.Histograms("auto")[0].histogram_value.bucket) <= merged + 1 < auto_bins


def test_a_raw_histogram_is_stored_as_given(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_histogram_raw("raw", min=0.0, max=3.0, num=6, sum=9.0, sum_squares=17.0,
                                 bucket_limits=[1.0, 2.0, 3.0], bucket_counts=[1, 2, 3],
                                 global_step=4)
    event = read(tmp_path).Histograms("raw")[0]
    assert event.step == 4
    histogram = event.histogram_value
    assert (histogram.min, histogram.max, histogram.num, histogram.sum,
            histogram.sum_squares) == (0.0, 3.0, 6, 9.0, 17.0)
    assert (list(histogram.bucket_limit), list(histogram.bucket)) == ([1, 2, 3], [1, 2, 3])


def test_text_is_stored_for_the_text_plugin(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_text("notes", "**lr** = 0.1 ✓", 3)
    accumulator = read(tmp_path)
    event = accumulator.Tensors("notes/text_summary")[0]
    assert event.step == 3
    assert event.tensor_proto.string_val == ["**lr** = 0.1 ✓".encode()]
    assert accumulator.SummaryMetadata("notes/text_summary").plugin_data.plugin_name == "text"


# ---------------------------------------------------------------------- files and lifetime


def test_flush_writes_without_closing(tmp_path):
    writer = SummaryWriter(tmp_path, flush_secs=10_000)
    writer.add_scalar("a", 1.0, 0)
    writer.flush()
    assert scalars(tmp_path, "a") == [(0, 1.0)]
    writer.close()


def test_close_twice_and_writing_after_close_opens_a_new_file(tmp_path):
    writer = SummaryWriter(tmp_path, filename_suffix=".first")
    writer.add_scalar("a", 1.0, 0)
    writer.close()
    writer.close()  # nothing to do
    writer.flush()  # nothing to do
    writer.add_scalar("a", 2.0, 1)
    writer.close()
    files = event_files(tmp_path)
    assert len(files) == 2 and all(name.endswith(".first") for name in files)
    assert scalars(tmp_path, "a") == [(0, 1.0), (1, 2.0)]


def test_the_context_manager_closes(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("a", 1.0, 0)
    assert writer.all_writers is None and scalars(tmp_path, "a") == [(0, 1.0)]


def test_the_default_log_dir_is_runs_date_host_comment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    writer = SummaryWriter(comment="_lr0.1")
    writer.close()
    pattern = (r"runs/[A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2}_" + re.escape(socket.gethostname())
               + r"_lr0\.1")
    assert re.fullmatch(pattern, writer.get_logdir().replace(os.sep, "/"))
    assert event_files(tmp_path / writer.log_dir)
    named = SummaryWriter(tmp_path / "named", comment="_ignored")
    named.close()
    assert named.get_logdir() == tmp_path / "named" and os.listdir(tmp_path / "named")


def test_purge_step_hides_the_events_of_a_crashed_run_from_that_step_on(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        for step in range(10):
            writer.add_scalar("loss", float(step), step, walltime=100.0 + step)
    with SummaryWriter(tmp_path, purge_step=5) as writer:  # restarted from step 5
        for step in range(5, 8):
            writer.add_scalar("loss", -float(step), step, walltime=200.0 + step)
    assert scalars(tmp_path, "loss") == [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, -5),
                                         (6, -6), (7, -7)]


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize("value, error, message", [
    (tg.ones(3), AssertionError, "Tensor should contain one element (0 dimensions).             "
                                 "Was given size: 3 and 1 dimensions."),
    (np.ones((2, 2)), AssertionError, "Tensor should contain one element (0 dimensions).      "
                                      "       Was given size: 4 and 2 dimensions."),
    ([1.0], NotImplementedError, "Got <class 'list'>, but numpy array or torch tensor are "
                                 "expected."),
    (None, NotImplementedError, "Got <class 'NoneType'>, but numpy array or torch tensor are "
                                "expected."),
    ("abc", ValueError, "could not convert string to float: 'abc'"),
])
def test_scalar_errors_are_pytorchs(tmp_path, value, error, message):
    with SummaryWriter(tmp_path) as writer:
        with pytest.raises(error, match="^" + re.escape(message) + "$"):
            writer.add_scalar("x", value, 0)


@pytest.mark.parametrize("call, error, message", [
    (lambda w: w.add_histogram("h", tg.ones(0), 0), ValueError, "The input has no element."),
    (lambda w: w.add_histogram("h", [1.0], 0), NotImplementedError,
     "Got <class 'list'>, but numpy array or torch tensor are expected."),
    (lambda w: w.add_histogram_raw("h", 0, 1, 1, 1, 1, [1.0, 2.0], [1], 0), ValueError,
     "len(bucket_limits) != len(bucket_counts), see the document."),
    (lambda w: w.add_scalar("x", 1.0, "a"), ValueError,
     "invalid literal for int() with base 10: 'a'"),
])
def test_histogram_and_step_errors_are_pytorchs(tmp_path, call, error, message):
    with SummaryWriter(tmp_path) as writer:
        with pytest.raises(error, match="^" + re.escape(message) + "$"):
            call(writer)


def reimport_without(monkeypatch, tensorboard):
    """Import ``tinygrad_bn.utils.tensorboard`` afresh with ``sys.modules["tensorboard"]`` set
    to ``tensorboard`` (None: not installed); the original modules come back after the test."""
    for name in [name for name in sys.modules if name.startswith("tinygrad_bn.utils.tensorboard")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tensorboard", tensorboard)
    monkeypatch.delattr(sys.modules["tinygrad_bn.utils"], "tensorboard", raising=False)
    return importlib.import_module("tinygrad_bn.utils.tensorboard")


def test_without_tensorboard_the_import_says_which_extra_to_install(monkeypatch):
    with pytest.raises(ImportError) as caught:
        reimport_without(monkeypatch, None)
    assert str(caught.value) == (
        "TensorBoard logging requires TensorBoard version 1.15 or above, which is not "
        "installed: install it with `pip install tinygrad_bn[tensorboard]` (or `pip install "
        "tensorboard`).")
    assert isinstance(caught.value.__cause__, ImportError)  # the original error is kept


def test_an_old_tensorboard_is_refused(monkeypatch):
    old = types.ModuleType("tensorboard")
    old.__version__ = "1.14.0"
    with pytest.raises(ImportError, match=r"^TensorBoard logging requires TensorBoard version "
                                          r"1\.15 or above, and version 1\.14\.0 is installed: "
                                          r"install it with `pip install "
                                          r"tinygrad_bn\[tensorboard\]`"):
        reimport_without(monkeypatch, old)


def test_the_real_module_is_back_after_the_simulations():
    import tinygrad_bn.utils.tensorboard as module

    assert module.SummaryWriter is SummaryWriter
    assert sorted(module.__all__) == ["FileWriter", "RecordWriter", "SummaryWriter"]


# ---------------------------------------------------------------------- against PyTorch


def log_everything(lib, writer_class, log_dir):
    """The same calls with either library's writer."""
    values = np.random.default_rng(1).standard_normal(500)
    with writer_class(log_dir, purge_step=None) as writer:
        for step in range(4):
            writer.add_scalar("Loss/train", lib.tensor(1.0 / (step + 1), requires_grad=True),
                              step, walltime=10.0 + step)
            writer.add_scalar("lr", 0.1 * step, step, walltime=10.0 + step)
            writer.add_scalars("Loss/both", {"train": step, "val": np.float32(step) / 3}, step,
                               walltime=20.0 + step)
        writer.add_scalar("new", 2.0, 1, walltime=30.0, new_style=True, double_precision=True)
        writer.add_histogram("w", lib.tensor(values), 2, walltime=40.0)
        writer.add_histogram("w_fd", values, 3, bins="fd", walltime=41.0, max_bins=10)
        writer.add_text("note", "hello", 0, walltime=50.0)
    return log_dir


def contents(log_dir):
    """Everything the accumulators of ``log_dir`` and its run subdirectories read."""
    found = {}
    for run in sorted(["."] + [d for d in os.listdir(log_dir) if (log_dir / d).is_dir()]):
        accumulator = read(log_dir / run)
        tags = accumulator.Tags()
        found[run] = {
            "tags": {kind: tags[kind] for kind in ("scalars", "histograms", "tensors")},
            "scalars": {tag: accumulator.Scalars(tag) for tag in tags["scalars"]},
            "histograms": {tag: accumulator.Histograms(tag) for tag in tags["histograms"]},
            "tensors": {tag: [(e.wall_time, e.step, e.tensor_proto.SerializeToString())
                              for e in accumulator.Tensors(tag)] for tag in tags["tensors"]},
        }
    return found


def test_the_event_files_read_back_as_pytorchs(tmp_path):
    torch = pytest.importorskip("torch")
    from torch.utils.tensorboard import SummaryWriter as TorchSummaryWriter

    ours = contents(log_everything(tg, SummaryWriter, tmp_path / "ours"))
    theirs = contents(log_everything(torch, TorchSummaryWriter, tmp_path / "theirs"))
    assert list(ours) == [".", "Loss_both_train", "Loss_both_val"]
    assert ours == theirs

"""save/load of whole objects (a Module, your own class), pickled as torch.save pickles them,
and loaded as torch.load loads them: refused by default unless every global is allowlisted
(weights_only=True), loaded whole with weights_only=False."""

import io
import os
import pickle
import re
import threading
import zipfile
from collections import Counter, OrderedDict

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn, serialization
from test_nn_modules import ArticleMLP


class Point:
    """A class of the user's: not allowed in weights-only loads unless added."""

    def __init__(self, x, y):
        self.x, self.y = x, y


class RunsCode:
    """Unpickling this runs ``os.system``: a weights-only load must refuse it."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def weights_only_message(full_name):
    """PyTorch 2.13's message (torch.load of a torch.save(nn.Linear(2, 2)) file), adapted to
    tinygrad_bn's names."""
    return (
        "Weights only load failed. This file can still be loaded, to do so you have two "
        "options, do those steps only if you trust the source of the checkpoint. \n"
        "\t(1) `tinygrad_bn.load` defaults to `weights_only=True`, as `torch.load` does since "
        "PyTorch 2.6. Re-running `tinygrad_bn.load` with `weights_only` set to `False` will "
        "likely succeed, but it can result in arbitrary code execution. Do it only if you got "
        "the file from a trusted source.\n"
        "\t(2) Alternatively, to load with `weights_only=True` please check the recommended "
        "steps in the following error message.\n"
        f"\tWeightsUnpickler error: Unsupported global: GLOBAL {full_name} was not an allowed "
        "global by default. Please use "
        f"`tinygrad_bn.serialization.add_safe_globals([{full_name}])` or the "
        f"`tinygrad_bn.serialization.safe_globals([{full_name}])` context manager to allowlist "
        "this global if you trust this class/function.\n\n"
        "Check the documentation of tinygrad_bn.load to learn more about types accepted by "
        "default with weights_only: help(tinygrad_bn.serialization).")


@pytest.fixture(autouse=True)
def _no_added_safe_globals():
    serialization.clear_safe_globals()
    yield
    serialization.clear_safe_globals()


def _trained_model():
    model = ArticleMLP(20, 64, 5)
    model(tg.randn(8, 20))  # moves the running statistics and the batch count
    return model


def test_a_whole_module_round_trips_with_weights_only_false(tmp_path):
    model = _trained_model().eval()
    tg.save(model, tmp_path / "model.pt")
    loaded = tg.load(tmp_path / "model.pt", weights_only=False)
    assert type(loaded) is type(model) and loaded.training is False
    assert list(loaded.state_dict()) == list(model.state_dict())
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[key].numpy(), value.numpy())
    assert isinstance(loaded.fc1.weight, nn.Parameter) and loaded.fc1.weight.requires_grad
    x = tg.randn(4, 20)
    np.testing.assert_array_equal(loaded(x).detach().numpy(), model(x).detach().numpy())


def test_loading_a_pickled_object_is_refused_by_default_with_pytorchs_message(tmp_path):
    tg.save(nn.Linear(2, 2), tmp_path / "linear.pt")
    for weights_only in ({}, {"weights_only": True}, {"weights_only": None}):
        with pytest.raises(pickle.UnpicklingError) as raised:
            tg.load(tmp_path / "linear.pt", **weights_only)
        assert str(raised.value) == weights_only_message("tinygrad_bn.nn.linear.Linear")


def test_an_object_anywhere_inside_data_makes_the_whole_file_a_pickle(tmp_path):
    checkpoint = {"epoch": 3, "weights": [tg.ones(2)], "origin": Point(1, 2)}
    tg.save(checkpoint, tmp_path / "c.pt")
    with zipfile.ZipFile(tmp_path / "c.pt") as archive:
        assert archive.namelist() == ["__pickle__.pkl"]
        assert archive.comment.startswith(b"tinygrad_bn pickled object")
    with pytest.raises(pickle.UnpicklingError, match=re.escape(
            f"Unsupported global: GLOBAL {__name__}.Point was not an allowed global")):
        tg.load(tmp_path / "c.pt")
    loaded = tg.load(tmp_path / "c.pt", weights_only=False)
    assert loaded["epoch"] == 3 and loaded["weights"][0].tolist() == [1.0, 1.0]
    assert (loaded["origin"].x, loaded["origin"].y) == (1, 2)


def test_safe_globals_allow_a_class_inside_the_block_only(tmp_path):
    model = _trained_model()
    tg.save(model, tmp_path / "model.pt")
    classes = [ArticleMLP, nn.Linear, nn.BatchNorm1d, nn.ReLU]
    with serialization.safe_globals(classes):
        assert serialization.get_safe_globals() == classes
        loaded = tg.load(tmp_path / "model.pt")
    assert serialization.get_safe_globals() == []
    np.testing.assert_array_equal(loaded.bn1.running_mean.numpy(), model.bn1.running_mean.numpy())
    with pytest.raises(pickle.UnpicklingError,
                       match="Unsupported global: GLOBAL _shared.article_models"):
        tg.load(tmp_path / "model.pt")


def test_add_safe_globals_by_class_or_by_name_and_clear(tmp_path):
    tg.save(Point(3, 4), tmp_path / "p.pt")
    serialization.add_safe_globals([(Point, f"{__name__}.Point")])
    assert serialization.get_safe_globals() == [Point]
    assert tg.load(tmp_path / "p.pt").y == 4
    serialization.clear_safe_globals()
    serialization.add_safe_globals([(Point, "elsewhere.Point")])
    assert serialization.get_safe_globals() == [(Point, "elsewhere.Point")]
    with pytest.raises(pickle.UnpicklingError, match=f"GLOBAL {__name__}.Point was not"):
        tg.load(tmp_path / "p.pt")
    serialization.add_safe_globals([Point])
    assert tg.load(tmp_path / "p.pt").x == 3


@pytest.mark.parametrize("item", [5, "tests.Point", (Point, 5), (Point,)])
def test_add_safe_globals_refuses_what_is_not_a_class_or_function(item):
    with pytest.raises(TypeError, match=re.escape(
            "add_safe_globals expects a list of classes or functions, or of (class or "
            f"function, 'module.name') pairs, but got {item!r}")):
        serialization.add_safe_globals([item])


def _pickle_file(path, obj, protocol):
    """A file as tinygrad_bn.save writes a pickled object, with the pickle protocol chosen."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("__pickle__.pkl", pickle.dumps(obj, protocol=protocol))


@pytest.mark.parametrize("protocol", range(2, pickle.HIGHEST_PROTOCOL + 1))
def test_weights_only_allows_pytorchs_builtins_tensors_parameters_and_numpy(tmp_path, protocol):
    written = tg.zeros(3)
    written.add_(2)
    value = {"point": Point(1, 2), "set": {1, 2}, "counter": Counter("aab"), "complex": 1 + 2j,
             "bytes": b"\x00\xff", "bytearray": bytearray(b"ab"), "tuple": (1.5, None),
             "ordered": OrderedDict(b=tg.ones(2, dtype=tg.int64)), "written": written,
             "grad": tg.ones(2, requires_grad=True), "parameter": nn.Parameter(tg.ones(2)),
             "array": np.arange(4.0).reshape(2, 2), "scalar": np.float32(2.5), "flag": np.bool_(1)}
    _pickle_file(tmp_path / "c.pt", value, protocol)
    with serialization.safe_globals([Point]):
        loaded = tg.load(tmp_path / "c.pt")
    assert loaded["point"].y == 2 and loaded["set"] == {1, 2} and loaded["counter"]["a"] == 2
    assert loaded["complex"] == 1 + 2j and loaded["bytes"] == b"\x00\xff"
    assert loaded["bytearray"] == bytearray(b"ab") and loaded["tuple"] == (1.5, None)
    assert isinstance(loaded["ordered"], OrderedDict) and loaded["ordered"]["b"].dtype == tg.int64
    assert loaded["written"].tolist() == [2.0, 2.0, 2.0] and loaded["grad"].requires_grad
    assert isinstance(loaded["parameter"], nn.Parameter)
    assert loaded["array"].tolist() == [[0.0, 1.0], [2.0, 3.0]]
    assert loaded["scalar"] == np.float32(2.5) and loaded["flag"] == np.bool_(True)


@pytest.mark.parametrize("protocol", [0, 2, 4])
def test_a_pickle_that_would_run_code_is_refused_and_runs_nothing(tmp_path, protocol):
    marker = tmp_path / "ran"
    _pickle_file(tmp_path / "evil.pt", {"w": [1.5], "x": RunsCode(marker)}, protocol)
    with pytest.raises(pickle.UnpicklingError, match=re.escape(
            f"GLOBAL {os.system.__module__}.system was not an allowed global by default")):
        tg.load(tmp_path / "evil.pt")
    assert not marker.exists()


def test_a_bytearray_of_a_given_size_is_refused(tmp_path):
    payload = b"\x80\x02cbuiltins\nbytearray\nJ\x00\x00\x00\x40\x85R."  # bytearray(2**30)
    with zipfile.ZipFile(tmp_path / "big.pt", "w") as archive:
        archive.writestr("__pickle__.pkl", payload)
    with pytest.raises(RuntimeError, match=re.escape(
            "big.pt is not a readable tinygrad_bn checkpoint: its pickle cannot be read "
            "(UnpicklingError: bytearray from int in a weights-only load")):
        tg.load(tmp_path / "big.pt")


def test_a_damaged_pickle_raises_naming_the_file(tmp_path):
    tg.save(Point(1, 2), tmp_path / "p.pt")
    with zipfile.ZipFile(tmp_path / "p.pt") as archive:
        payload = archive.read("__pickle__.pkl")
    with zipfile.ZipFile(tmp_path / "cut.pt", "w") as archive:
        archive.writestr("__pickle__.pkl", payload[: len(payload) // 2])
    with serialization.safe_globals([Point]):
        with pytest.raises(RuntimeError, match=re.escape(
                "cut.pt is not a readable tinygrad_bn checkpoint: its pickle cannot be read")):
            tg.load(tmp_path / "cut.pt")


def test_an_object_that_cannot_be_pickled_raises_before_anything_is_written(tmp_path):
    tg.save({"w": tg.ones(2)}, tmp_path / "c.pt")
    before = (tmp_path / "c.pt").read_bytes()
    with pytest.raises(TypeError, match="cannot pickle '_thread.lock' object"):
        tg.save({"w": tg.zeros(2), "lock": Point(threading.Lock(), 0)}, tmp_path / "c.pt")
    assert (tmp_path / "c.pt").read_bytes() == before and len(list(tmp_path.iterdir())) == 1


def test_whole_objects_through_file_objects(tmp_path):
    buffer = io.BytesIO()
    buffer.write(b"ahead")
    tg.save(Point(5, 6), buffer)
    buffer.seek(5)
    assert tg.load(buffer, weights_only=False).x == 5


def test_data_without_objects_stays_npz_and_loads_without_opting_in(tmp_path):
    model = _trained_model()
    tg.save({"model": model.state_dict(), "classes": ("a", "b")}, tmp_path / "c.npz")
    with zipfile.ZipFile(tmp_path / "c.npz") as archive:
        assert "__pickle__.pkl" not in archive.namelist()
    assert tg.load(tmp_path / "c.npz")["classes"] == ("a", "b")
    assert tg.load(tmp_path / "c.npz", weights_only=False)["classes"] == ("a", "b")


def test_the_message_follows_pytorchs_line_by_line(tmp_path):
    """PyTorch 2.13 refuses a pickled Linear with the message ours adapts: the same lines,
    but for the names, the version note in (1) and the documentation's address."""
    torch = pytest.importorskip("torch")
    torch.save(torch.nn.Linear(2, 2), tmp_path / "torch.pt")
    with pytest.raises(pickle.UnpicklingError) as raised:
        torch.load(tmp_path / "torch.pt")
    theirs = str(raised.value).replace("\x1b[1m", "").replace("\x1b[0m", "").splitlines()
    ours = weights_only_message("torch.nn.modules.linear.Linear").replace(
        "tinygrad_bn.serialization", "torch.serialization").replace(
        "tinygrad_bn.load", "torch.load").splitlines()
    assert len(ours) == len(theirs)
    for number, (our_line, their_line) in enumerate(zip(ours, theirs)):
        if number == 1:  # (1): PyTorch tells of its change of default
            assert our_line.startswith("\t(1) ") and their_line.startswith("\t(1) ")
            tail = "Re-running `torch.load` with `weights_only` set to `False` will likely succeed"
            assert tail in our_line and tail in their_line
        elif number == len(ours) - 1:  # PyTorch's ends with its documentation's address
            assert their_line.startswith(our_line.rstrip(".").split(":")[0])
        else:
            assert our_line == their_line

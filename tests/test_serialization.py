"""save/load: exact round trips of model and optimizer state, a plain NumPy-readable layout,
no pickle, and clear errors for damaged files that leave the model untouched."""

import io
import json
import os
import re
import stat
import threading
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn, optim
from test_nn_modules import ArticleMLP


def _trained(steps=3):
    tg.manual_seed(0)
    model = ArticleMLP(20, 64, 5)
    opt = optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
    for _ in range(steps):
        opt.zero_grad()
        nn.CrossEntropyLoss()(model(tg.randn(8, 20)), tg.randint(0, 5, (8,))).backward()
        opt.step()
    return model, opt


def test_model_state_round_trips_exactly_with_dtypes(tmp_path):
    model, _ = _trained()
    path = tmp_path / "model.npz"
    tg.save(model.state_dict(), path)
    loaded = tg.load(path)
    assert isinstance(loaded, OrderedDict) and list(loaded) == list(model.state_dict())
    for key, value in model.state_dict().items():
        assert isinstance(loaded[key], tg.Tensor)
        assert loaded[key].dtype == value.dtype and loaded[key].shape == value.shape
        np.testing.assert_array_equal(loaded[key].detach().numpy(), value.detach().numpy())
    assert loaded["bn1.num_batches_tracked"].dtype == tg.int64
    fresh = ArticleMLP(20, 64, 5)
    fresh.load_state_dict(loaded)
    x = tg.randn(4, 20)
    model.eval(), fresh.eval()
    np.testing.assert_array_equal(model(x).detach().numpy(), fresh(x).detach().numpy())


def test_optimizer_state_round_trips_and_training_resumes_identically(tmp_path):
    model, opt = _trained()
    tg.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, tmp_path / "c")
    checkpoint = tg.load(tmp_path / "c")
    assert checkpoint["epoch"] == 3
    saved_groups = checkpoint["optimizer"]["param_groups"]
    assert saved_groups[0]["betas"] == (0.9, 0.999) and saved_groups[0]["amsgrad"] is True
    assert list(checkpoint["optimizer"]["state"]) == list(range(8))
    resumed_model = ArticleMLP(20, 64, 5)
    resumed_model.load_state_dict(checkpoint["model"])
    resumed_opt = optim.Adam(resumed_model.parameters(), lr=0.5)
    resumed_opt.load_state_dict(checkpoint["optimizer"])
    tg.manual_seed(9)
    batch = (tg.randn(8, 20), tg.randint(0, 5, (8,)))
    for m, o in ((model, opt), (resumed_model, resumed_opt)):
        o.zero_grad()
        nn.CrossEntropyLoss()(m(batch[0]), batch[1]).backward()
        o.step()
    for a, b in zip(model.parameters(), resumed_model.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_nested_optimizer_state_is_flattened_to_dotted_keys_readable_by_numpy(tmp_path):
    model, opt = _trained(1)
    tg.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, tmp_path / "c.npz")
    with np.load(tmp_path / "c.npz", allow_pickle=False) as archive:
        names = set(archive.files)
        np.testing.assert_array_equal(archive["model.fc1.weight"], model.fc1.weight.detach().numpy())
    assert "optimizer.state.0.exp_avg" in names and "optimizer.state.7.max_exp_avg_sq" in names
    tg.save(model.state_dict(), tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        assert [n for n in archive.files if n != "__structure__"] == list(model.state_dict())


def test_values_containers_and_plain_npz(tmp_path):
    obj = {"a": [1, 2.5, None, "text", True], "b": (tg.ones(2), np.arange(3)), 3: {"x": -1}}
    tg.save(obj, tmp_path / "o")
    loaded = tg.load(tmp_path / "o")
    assert loaded["a"] == [1, 2.5, None, "text", True] and loaded[3] == {"x": -1}
    assert isinstance(loaded["b"], tuple) and isinstance(loaded["b"][0], tg.Tensor)
    assert isinstance(loaded["b"][1], np.ndarray) and loaded["b"][1].tolist() == [0, 1, 2]
    np.savez(tmp_path / "plain.npz", weight=np.ones((2, 2)))
    plain = tg.load(tmp_path / "plain.npz")
    assert list(plain) == ["weight"] and plain["weight"].dtype == tg.float64


def test_saving_overwrites_atomically(tmp_path):
    tg.save({"v": tg.ones(1)}, tmp_path / "c")
    tg.save({"v": tg.zeros(1)}, tmp_path / "c")
    assert tg.load(tmp_path / "c")["v"].tolist() == [0.0]
    assert [p.name for p in tmp_path.iterdir()] == ["c"]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "pickle"])
def test_damaged_files_raise_and_leave_the_model_unchanged(tmp_path, damage):
    model, _ = _trained(1)
    path = tmp_path / "model.npz"
    tg.save(model.state_dict(), path)
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "garbage":
        path.write_bytes(b"not a checkpoint at all" * 10)
    else:
        np.save(path.with_suffix(".npy"), np.array([{"code": "object"}], dtype=object))
        path = path.with_suffix(".npy")
    before = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    with pytest.raises(RuntimeError, match=re.escape(f"{path} is not a readable tinygrad_bn "
                                                     "checkpoint")):
        model.load_state_dict(tg.load(path))
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.detach().numpy(), before[key])


def test_damaged_structure_entry(tmp_path):
    path = tmp_path / "c.npz"
    np.savez(path, __structure__=np.array('{"format": "something else", "root": {}}'))
    with pytest.raises(RuntimeError, match="unknown format 'something else'"):
        tg.load(path)
    with zipfile.ZipFile(tmp_path / "d.npz", "w") as archive:
        archive.writestr("__structure__.npy", b"\x93NUMPY broken")
    with pytest.raises(RuntimeError, match="is not a readable tinygrad_bn checkpoint"):
        tg.load(tmp_path / "d.npz")


def test_missing_file_and_unsavable_objects(tmp_path):
    with pytest.raises(FileNotFoundError):
        tg.load(tmp_path / "absent.npz")
    with pytest.raises(TypeError, match="cannot save an object of type set at 'a'"):
        tg.save({"a": {1, 2}}, tmp_path / "x")
    with pytest.raises(TypeError, match=re.escape("cannot save a dict key of type tuple: (1, 2)")):
        tg.save({(1, 2): 1}, tmp_path / "x")
    with pytest.raises(ValueError, match="two entries would both be named 'a.b'"):
        tg.save({"a.b": tg.ones(1), "a": {"b": tg.ones(1)}}, tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_a_single_array_file_or_an_unknown_entry_kind_is_not_a_checkpoint(tmp_path):
    np.save(tmp_path / "weights.npy", np.ones(3))
    with pytest.raises(RuntimeError, match="it holds a single array, not a checkpoint archive"):
        tg.load(tmp_path / "weights.npy")
    structure = '{"format": "tinygrad_bn.checkpoint/1", "root": {"kind": "pickle"}}'
    np.savez(tmp_path / "odd.npz", __structure__=np.array(structure))
    with pytest.raises(RuntimeError, match="unknown entry kind 'pickle'"):
        tg.load(tmp_path / "odd.npz")


# ---------------------------------------------------------------------- files and hostile input


@pytest.fixture
def umask():
    """Run a test under a chosen umask, restoring the process's own afterwards."""
    saved = os.umask(0o022)
    os.umask(saved)
    yield lambda mask: os.umask(mask)
    os.umask(saved)


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_files_follow_the_umask(tmp_path, umask, mask, mode):
    umask(mask)
    tg.save({"w": tg.ones(2)}, tmp_path / "c.npz")
    assert stat.S_IMODE(os.stat(tmp_path / "c.npz").st_mode) == mode


def test_overwriting_keeps_the_mode_and_writes_through_symlinks(tmp_path):
    target = tmp_path / "real.npz"
    tg.save({"w": tg.ones(2)}, target)
    os.chmod(target, 0o640)
    link = tmp_path / "link.npz"
    link.symlink_to(target)
    tg.save({"w": tg.zeros(3)}, link)
    assert link.is_symlink() and stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert tg.load(target)["w"].tolist() == [0.0, 0.0, 0.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.npz", "real.npz"]


def test_save_flushes_to_disk_before_renaming(tmp_path, monkeypatch):
    events = []
    monkeypatch.setattr(os, "fsync", lambda fd: events.append("fsync"))
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b)))
    tg.save({"w": tg.ones(2)}, tmp_path / "c.npz")
    assert events[:2] == ["fsync", "replace"]


def test_errors_name_the_target_not_a_temporary_file(tmp_path):
    missing_folder = tmp_path / "no" / "such" / "c.npz"
    with pytest.raises(FileNotFoundError) as raised:
        tg.save({"w": tg.ones(2)}, missing_folder)
    assert raised.value.filename == str(missing_folder) and ".tmp-" not in str(raised.value)
    with pytest.raises(IsADirectoryError) as raised:
        tg.save({"w": tg.ones(2)}, tmp_path)
    assert raised.value.filename == str(tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value, message", [
    (np.array([{"a": 1}], dtype=object), "cannot save 'bad': arrays of dtype object"),
    (np.array(["text"]), "cannot save 'bad': arrays of dtype <U4"),
    (np.ones(2, dtype=np.clongdouble), "cannot save 'bad': arrays of dtype complex256"),
])
def test_save_refuses_what_load_would_refuse_before_writing(tmp_path, value, message):
    path = tmp_path / "c.npz"
    tg.save({"w": tg.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=re.escape(message)):
        tg.save({"w": tg.zeros(2), "bad": value}, path)
    assert path.read_bytes() == before and sorted(tmp_path.iterdir()) == [path]


def test_save_refuses_excessive_nesting(tmp_path):
    deep = []
    for _ in range(150):
        deep = [deep]
    with pytest.raises(ValueError, match="nested deeper than 100 levels"):
        tg.save(deep, tmp_path / "c.npz")
    assert list(tmp_path.iterdir()) == []


def test_file_objects(tmp_path):
    buffer = io.BytesIO()
    model, opt = _trained(1)
    tg.save({"model": model.state_dict(), "step": 1}, buffer)
    buffer.seek(0)
    loaded = tg.load(buffer)
    assert loaded["step"] == 1
    np.testing.assert_array_equal(loaded["model"]["fc1.weight"].numpy(),
                                  model.fc1.weight.detach().numpy())
    with open(tmp_path / "c.npz", "wb") as file:
        tg.save([tg.ones(2)], file)
    with open(tmp_path / "c.npz", "rb") as file:
        assert tg.load(file)[0].tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="the file object is not a readable tinygrad_bn"):
        tg.load(io.BytesIO(b"garbage"))


def test_a_zip_bomb_is_refused(tmp_path):
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, w=np.zeros(40 * 2**20, dtype=np.uint8))  # 40 MiB in about 40 kB
    assert path.stat().st_size < 200_000
    with pytest.raises(RuntimeError, match=re.escape(f"{path} is not a readable tinygrad_bn "
                                                     "checkpoint: entry 'w.npy' would inflate")):
        tg.load(path)
    ordinary = tmp_path / "ordinary.npz"
    np.savez_compressed(ordinary, w=np.random.default_rng(0).standard_normal(1000))
    assert tg.load(ordinary)["w"].shape == (1000,)


def _npz_with_entry(path, name, payload):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(name, payload)


def test_an_oversized_npy_header_is_refused(tmp_path):
    header = ("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }" + " " * 60000) + "\n"
    payload = b"\x93NUMPY\x02\x00" + len(header).to_bytes(4, "little") + header.encode()
    _npz_with_entry(tmp_path / "c.npz", "w.npy", payload + b"\x00" * 8)
    with pytest.raises(RuntimeError, match="is not a readable tinygrad_bn checkpoint: Header"):
        tg.load(tmp_path / "c.npz")


def test_deeply_nested_structure_is_refused(tmp_path):
    for depth in (150, 100_000):
        root = {"kind": "value", "value": 1}
        text = '{"kind": "list", "items": [' * depth + json.dumps(root) + "]}" * depth
        structure = '{"format": "tinygrad_bn.checkpoint/1", "root": ' + text + "}"
        np.savez(tmp_path / "c.npz", __structure__=np.array(structure))
        with pytest.raises(RuntimeError, match="nested"):
            tg.load(tmp_path / "c.npz")


def test_load_converts_or_refuses_dtypes_tensors_cannot_hold(tmp_path):
    np.savez(tmp_path / "c.npz", w=np.arange(3, dtype=np.uint32), b=np.ones(2, dtype=">f8"))
    with pytest.warns(UserWarning, match="checkpoint entry 'w' of dtype uint32 loaded as int64"):
        loaded = tg.load(tmp_path / "c.npz")
    assert loaded["w"].dtype == tg.int64 and loaded["b"].dtype == tg.float64
    assert loaded["b"].tolist() == [1.0, 1.0]
    np.savez(tmp_path / "d.npz", w=np.ones(2, dtype=np.clongdouble))
    with pytest.raises(RuntimeError, match=re.escape(
            "d.npz is not a readable tinygrad_bn checkpoint: entry 'w' has dtype complex256")):
        tg.load(tmp_path / "d.npz")
    np.savez(tmp_path / "e.npz", w=np.array([2**64 - 1], dtype=np.uint64))
    with pytest.raises(RuntimeError, match="entry 'w' holds uint64 values beyond int64"):
        tg.load(tmp_path / "e.npz")


def test_any_key_saves_even_numpys_own_argument_names(tmp_path):
    state = {"file": tg.ones(2), "allow_pickle": tg.zeros(1), "w": tg.arange(3)}
    tg.save(state, tmp_path / "c.npz")
    loaded = tg.load(tmp_path / "c.npz")
    assert list(loaded) == ["file", "allow_pickle", "w"]
    assert loaded["file"].tolist() == [1.0, 1.0] and loaded["w"].tolist() == [0, 1, 2]
    with np.load(tmp_path / "c.npz", allow_pickle=False) as archive:
        assert archive["allow_pickle"].tolist() == [0.0]


def test_a_pytorch_checkpoint_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "model.pt"
    with zipfile.ZipFile(path, "w") as archive:  # the layout torch.save writes
        archive.writestr("model/data.pkl", b"\x80\x02}q\x00.")
        archive.writestr("model/version", b"3\n")
    with pytest.raises(RuntimeError, match=re.escape(
            f"{path} is not a readable tinygrad_bn checkpoint: it holds 'model/data.pkl', which "
            "is not a NumPy array (a PyTorch .pt file?")):
        tg.load(path)


def test_a_real_torch_save_file_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save(torch.nn.Linear(2, 2).state_dict(), tmp_path / "real.pt")
    with pytest.raises(RuntimeError, match="which is not a NumPy array .a PyTorch .pt file"):
        tg.load(tmp_path / "real.pt")


def _read_fifo_in_thread(path, collected):
    """Start a thread that reads the named pipe ``path`` to its end into ``collected``."""
    def read():
        with open(path, "rb") as pipe:
            collected.append(pipe.read())
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader


@pytest.mark.parametrize("through_symlink", [False, True])
@pytest.mark.parametrize("obj, suffix", [({"w": tg.arange(3)}, ".npz"),
                                         ({"w": tg.arange(3)}, ".safetensors"),
                                         ({"w": tg.arange(3), "plan": [1, {"x": 2.5}]}, ".npz")])
def test_a_named_pipe_is_written_through_not_replaced(tmp_path, obj, suffix, through_symlink):
    if suffix == ".safetensors":
        pytest.importorskip("safetensors")
    fifo = tmp_path / ("pipe" + suffix)
    os.mkfifo(fifo)
    target = fifo
    if through_symlink:
        target = tmp_path / ("link" + suffix)
        target.symlink_to(fifo)
    collected = []
    reader = _read_fifo_in_thread(fifo, collected)
    tg.save(obj, target)  # blocks until the reader opens the pipe, as open() would
    reader.join(timeout=30)
    assert not reader.is_alive() and stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert target.is_symlink() == through_symlink
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({fifo.name, target.name})
    loaded = tg.load(io.BytesIO(collected[0]))
    assert loaded["w"].tolist() == [0, 1, 2]
    if "plan" in obj:
        assert loaded["plan"] == [1, {"x": 2.5}]


def test_a_pickled_object_goes_through_a_named_pipe(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    collected = []
    reader = _read_fifo_in_thread(tmp_path / "pipe", collected)
    tg.save(nn.Linear(2, 3), tmp_path / "pipe")
    reader.join(timeout=30)
    assert tg.load(io.BytesIO(collected[0]), weights_only=False).out_features == 3
    assert stat.S_ISFIFO(os.stat(tmp_path / "pipe").st_mode)


def test_a_symlink_to_a_missing_file_creates_its_target(tmp_path):
    link = tmp_path / "link.npz"
    link.symlink_to(tmp_path / "target.npz")
    tg.save({"w": tg.ones(1)}, link)
    assert link.is_symlink() and tg.load(tmp_path / "target.npz")["w"].tolist() == [1.0]


def test_parameters_and_requires_grad_come_back_as_torch_load_gives_them(tmp_path):
    state = {"p": nn.Parameter(tg.ones(2)), "frozen": nn.Parameter(tg.ones(1), requires_grad=False),
             "leaf": tg.zeros(2, requires_grad=True), "plain": tg.zeros(1)}
    tg.save(state, tmp_path / "c.npz")
    loaded = tg.load(tmp_path / "c.npz")
    kinds = {key: (type(value).__name__, value.requires_grad) for key, value in loaded.items()}
    assert kinds == {"p": ("Parameter", True), "frozen": ("Parameter", False),
                     "leaf": ("Tensor", True), "plain": ("Tensor", False)}
    torch = pytest.importorskip("torch")
    theirs = {"p": torch.nn.Parameter(torch.ones(2)),
              "frozen": torch.nn.Parameter(torch.ones(1), requires_grad=False),
              "leaf": torch.zeros(2, requires_grad=True), "plain": torch.zeros(1)}
    torch.save(theirs, tmp_path / "c.pt")
    kinds_in_torch = {key: (type(value).__name__, value.requires_grad)
                      for key, value in torch.load(tmp_path / "c.pt").items()}
    assert kinds_in_torch == kinds


def test_a_structure_asking_an_integer_tensor_to_require_grad_is_refused(tmp_path):
    structure = json.dumps({"format": "tinygrad_bn.checkpoint/1", "root": {
        "kind": "tensor", "key": "w", "requires_grad": True}})
    np.savez(tmp_path / "c.npz", w=np.arange(3), __structure__=np.array(structure))
    with pytest.raises(RuntimeError, match="c.npz is not a readable tinygrad_bn checkpoint: "
                                           "only Tensors of floating point"):
        tg.load(tmp_path / "c.npz")


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all", b"abcdefgh{not json"])
def test_a_file_of_no_known_format_says_which_formats_load_reads(tmp_path, content):
    (tmp_path / "c.bin").write_bytes(content)
    with pytest.raises(RuntimeError, match=re.escape(
            f"{tmp_path / 'c.bin'} is not a readable tinygrad_bn checkpoint: it is neither a zip "
            "archive (.npz, or a pickled object from tinygrad_bn.save) nor a .npy or "
            ".safetensors file")):
        tg.load(tmp_path / "c.bin")


def test_an_empty_state_dict_round_trips(tmp_path):
    tg.save({}, tmp_path / "c.npz")
    assert tg.load(tmp_path / "c.npz") == OrderedDict()
    assert tg.load(tmp_path / "c.npz", weights_only=False) == {}

"""save/load in the safetensors format (the optional extra): files the safetensors package reads
back, a clear error naming the extra when it is missing, and what the format cannot hold."""

import io
import re
import sys
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_bn as tg
from test_nn_modules import ArticleMLP

safetensors_numpy = pytest.importorskip("safetensors.numpy")


def _model():
    model = ArticleMLP(20, 64, 5)
    model(tg.randn(8, 20))  # running statistics and batch counts away from their start
    return model


def test_a_safetensors_path_writes_what_safetensors_reads(tmp_path):
    model = _model()
    tg.save(model.state_dict(), tmp_path / "model.safetensors")
    read = safetensors_numpy.load_file(tmp_path / "model.safetensors")
    assert sorted(read) == sorted(model.state_dict())
    for key, value in model.state_dict().items():
        assert read[key].dtype == value.numpy().dtype and read[key].shape == tuple(value.shape)
        np.testing.assert_array_equal(read[key], value.numpy())
    assert read["bn1.num_batches_tracked"].shape == () and read["bn1.num_batches_tracked"] == 1


def test_load_reads_it_back_sorted_by_name_and_into_a_model(tmp_path):
    model = _model()
    tg.save(model.state_dict(), tmp_path / "model.safetensors")
    loaded = tg.load(tmp_path / "model.safetensors")
    assert isinstance(loaded, OrderedDict) and list(loaded) == sorted(model.state_dict())
    fresh = ArticleMLP(20, 64, 5)
    fresh.load_state_dict(loaded)
    x = tg.randn(4, 20)
    model.eval(), fresh.eval()
    np.testing.assert_array_equal(fresh(x).detach().numpy(), model(x).detach().numpy())


def test_the_format_argument_and_file_objects(tmp_path):
    state = {"w": tg.arange(6).reshape(2, 3).t(), "flag": tg.tensor([True, False])}  # a view
    buffer = io.BytesIO()
    tg.save(state, buffer, format="safetensors")
    read = safetensors_numpy.load(buffer.getvalue())
    assert read["w"].tolist() == [[0, 3], [1, 4], [2, 5]] and read["flag"].dtype == np.bool_
    buffer.seek(0)
    assert tg.load(buffer)["w"].tolist() == [[0, 3], [1, 4], [2, 5]]
    tg.save(state, tmp_path / "plain.bin", format="safetensors")
    assert tg.load(tmp_path / "plain.bin")["flag"].tolist() == [True, False]
    tg.save(state, tmp_path / "kept.safetensors", format="npz")
    assert np.load(tmp_path / "kept.safetensors")["flag"].tolist() == [True, False]


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match=re.escape(
            "format must be one of ('npz', 'safetensors'), but got 'pt'")):
        tg.save({"w": tg.ones(1)}, io.BytesIO(), format="pt")


@pytest.mark.parametrize("obj, message", [
    ([tg.ones(2)], "cannot save an object of type list as safetensors: the format holds one "
                   "flat dict of names (str) to tensors, such as model.state_dict()"),
    ({1: tg.ones(2)}, "cannot save a dict key of type int as safetensors: 1 (the format names "
                      "tensors with strings)"),
    ({"epoch": 3}, "cannot save 'epoch' as safetensors: it is a int, and the format holds "
                   "tensors only"),
    ({"model": {"w": tg.ones(1)}}, "cannot save 'model' as safetensors: it is a dict"),
    ({"w": np.ones(2, dtype=np.longdouble)}, "cannot save 'w': arrays of dtype float128 cannot "
                                             "be loaded back"),
])
def test_what_safetensors_cannot_hold_is_refused_before_writing(tmp_path, obj, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        tg.save(obj, tmp_path / "c.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_a_missing_safetensors_package_names_the_extra(tmp_path, monkeypatch):
    tg.save({"w": tg.ones(2)}, tmp_path / "c.safetensors")
    for name in ("safetensors", "safetensors.numpy"):
        monkeypatch.setitem(sys.modules, name, None)  # import now fails, as when not installed
    hint = "pip install safetensors (or pip install 'tinygrad_bn[safetensors]')"
    with pytest.raises(ImportError, match=re.escape(
            "saving as safetensors needs the safetensors package, which is not installed: "
            + hint)):
        tg.save({"w": tg.ones(2)}, tmp_path / "d.safetensors")
    assert not (tmp_path / "d.safetensors").exists()
    with pytest.raises(ImportError, match=re.escape(
            f"{tmp_path / 'c.safetensors'} is a safetensors file; reading it needs the "
            "safetensors package, which is not installed: " + hint)):
        tg.load(tmp_path / "c.safetensors")


def test_a_damaged_safetensors_file_raises_naming_it(tmp_path):
    tg.save({"w": tg.ones(100)}, tmp_path / "c.safetensors")
    data = (tmp_path / "c.safetensors").read_bytes()
    (tmp_path / "c.safetensors").write_bytes(data[:-50])
    with pytest.raises(RuntimeError, match=re.escape(
            f"{tmp_path / 'c.safetensors'} is not a readable tinygrad_bn checkpoint: ")):
        tg.load(tmp_path / "c.safetensors")


def test_safetensors_files_load_into_pytorch(tmp_path):
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    from test_serialization_torch import torch_article_model

    model = _model().eval()
    tg.save(model.state_dict(), tmp_path / "model.safetensors")
    theirs = torch_article_model(torch).eval()
    theirs.load_state_dict(safetensors_torch.load_file(tmp_path / "model.safetensors"))
    x = np.random.default_rng(0).standard_normal((4, 20)).astype(np.float32)
    np.testing.assert_allclose(theirs(torch.from_numpy(x)).detach().numpy(),
                               model(tg.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    assert int(theirs.bn1.num_batches_tracked) == 1


def test_complex_tensors_round_trip_through_safetensors_as_pytorch_reads_them(tmp_path):
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    w = tg.tensor([1 + 2j, -0.5j], dtype=tg.complex64)
    tg.save({"w": w}, tmp_path / "c.safetensors")
    theirs = safetensors_torch.load_file(str(tmp_path / "c.safetensors"))["w"]
    assert theirs.dtype == torch.complex64
    np.testing.assert_array_equal(theirs.numpy(), w.numpy())
    ours = tg.load(tmp_path / "c.safetensors")["w"]
    assert ours.dtype == tg.complex64
    np.testing.assert_array_equal(ours.numpy(), w.numpy())

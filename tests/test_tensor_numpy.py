"""How tensors meet NumPy and Python numbers: ``numpy.asarray``/``numpy.array`` of a tensor,
``float(t)`` and ``"%.4f" % t`` on one that requires grad, a tensor as a fill value; against
PyTorch when it is installed."""

import re
import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn.tensor import conversion
from test_tensor_pickle import libraries, values

NUMPY_MESSAGE = ("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                 "instead.")


# PyTorch's own __array__ takes no copy keyword, which NumPy 2 warns about.
@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_numpy_asarray_of_a_tensor_that_requires_grad_refuses_as_pytorch():
    for lib in libraries():
        leaf = lib.ones(3, requires_grad=True)
        for tensor in (leaf, leaf * 2):
            for convert in (np.asarray, np.array, lambda t: np.asarray(t, dtype=np.float64)):
                with pytest.raises(RuntimeError, match=f"^{re.escape(NUMPY_MESSAGE)}$"):
                    convert(tensor)
        np.testing.assert_array_equal(np.asarray(leaf.detach()), [1.0, 1.0, 1.0])


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_numpy_asarray_shares_and_numpy_array_copies_as_pytorch():
    for lib in libraries():
        tensor = lib.zeros(3)
        np.asarray(tensor)[0] = 1.0
        np.array(tensor)[1] = 1.0
        converted = np.asarray(tensor, dtype=np.float64)
        converted[2] = 1.0
        assert values(tensor).tolist() == [1.0, 0.0, 0.0] and converted.dtype == np.float64


def test_numpy_array_without_a_copy_refuses_a_dtype_change():
    tensor = tg.zeros(3)
    assert np.array(tensor, copy=False) is tensor.numpy()
    with pytest.raises(ValueError, match="Unable to avoid copy"):
        np.array(tensor, dtype=np.float64, copy=False)


def test_float_of_a_tensor_that_requires_grad_warns_once_at_the_users_line(monkeypatch):
    """PyTorch warns the first time in a process (``%`` formatting and ``math`` functions call
    ``__float__``); ``format``, ``int`` and ``item`` do not warn."""
    monkeypatch.setitem(conversion._warned, "float of grad", False)
    loss = tg.tensor(1.5, requires_grad=True) * 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert f"{loss:.4f}" == "3.0000" and int(loss) == 3 and loss.item() == 3.0
        assert f"{tg.tensor(2.0):.1f}" == "2.0" and float(tg.tensor(2.0)) == 2.0
        with tg.no_grad():  # grad mode off: PyTorch does not warn (nor use up its one warning)
            assert float(loss) == 3.0 and "%.1f" % loss == "3.0"
    with pytest.warns(UserWarning) as record:
        assert "%.4f" % loss == "3.0000"
    assert len(record) == 1 and record[0].filename == __file__
    assert str(record[0].message) == (
        "Converting a tensor with requires_grad=True to a scalar may lead to unexpected "
        "behavior.\nConsider using tensor.detach() first.")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(loss) == 3.0  # once per process, as PyTorch's TORCH_WARN_ONCE


def test_full_takes_a_tensor_as_its_value_only_as_pytorch_does():
    for lib in libraries():
        assert lib.full((2,), lib.tensor(3.0)).tolist() == [3.0, 3.0]
        assert lib.full_like(lib.zeros(2), lib.tensor(3.0)).tolist() == [3.0, 3.0]
        for value in (lib.tensor(3.0, requires_grad=True), lib.tensor([3.0])):
            with pytest.raises(TypeError, match=r"^full\(\): argument 'fill_value' \(position "
                                                r"2\) must be Number, not Tensor$"):
                lib.full((2,), value)
            with pytest.raises(TypeError, match=r"^full_like\(\): argument 'fill_value'"):
                lib.full_like(lib.zeros(2), value)

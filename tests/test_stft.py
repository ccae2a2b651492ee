"""``tinygrad_bn.stft``/``istft`` against PyTorch's: shapes, dtypes, values and gradients for
windows, hops, centring, pad modes, normalization and one- or two-sided spectra; the round trip;
PyTorch's warnings and errors."""

import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from pytorch_errors import error_tests

SIGNAL = np.random.default_rng(0).standard_normal((2, 40))

STFT_CASES = [
    {"n_fft": 16},
    {"n_fft": 16, "window": "hann"},
    {"n_fft": 16, "hop_length": 5, "win_length": 10, "window": "hann10", "center": False},
    {"n_fft": 16, "window": "hann", "normalized": True, "onesided": False},
    {"n_fft": 16, "window": "hann", "pad_mode": "constant"},
    {"n_fft": 12, "hop_length": 3, "window": "hamming", "pad_mode": "replicate"},
    {"n_fft": 16, "window": "hann", "pad_mode": "circular", "normalized": True},
]


def _window(lib, name, dtype):
    if name is None:
        return None
    length = 10 if name == "hann10" else 16 if name == "hann" else 12
    function = lib.hamming_window if name == "hamming" else lib.hann_window
    return function(length, dtype=dtype)


@pytest.mark.parametrize("batched", [True, False], ids=["batch", "single"])
@pytest.mark.parametrize("case", STFT_CASES, ids=[str(i) for i in range(len(STFT_CASES))])
def test_stft_and_its_gradient_are_pytorchs(case, batched):
    torch = pytest.importorskip("torch")
    data = SIGNAL if batched else SIGNAL[0]
    x, t = tg.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    kwargs = dict(case)
    name = kwargs.pop("window", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = tg.stft(x, window=_window(tg, name, tg.float64), return_complex=True, **kwargs)
        theirs = torch.stft(t, window=_window(torch, name, torch.float64), return_complex=True,
                            **kwargs)
    assert tuple(ours.shape) == tuple(theirs.shape) and ours.dtype == tg.complex128
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=1e-12)
    rng = np.random.default_rng(1)
    grad = rng.standard_normal(ours.shape) + 1j * rng.standard_normal(ours.shape)
    ours.backward(tg.tensor(grad))
    theirs.backward(torch.tensor(grad))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("case", [
    {"n_fft": 16, "window": "hann"},
    {"n_fft": 16, "window": "hann", "length": 38},
    {"n_fft": 16, "window": "hann", "length": 50},
    {"n_fft": 16, "window": "hann", "normalized": True},
    {"n_fft": 16, "window": "hann", "onesided": False},
    {"n_fft": 16, "window": "hann", "onesided": False, "return_complex": True},
    {"n_fft": 12, "hop_length": 3, "window": "hamming"},
    {"n_fft": 16},
])
def test_istft_and_its_gradient_are_pytorchs(case):
    torch = pytest.importorskip("torch")
    kwargs = dict(case)
    name = kwargs.pop("window", None)
    onesided = kwargs.get("onesided", True)
    spectrum = torch.stft(torch.tensor(SIGNAL), kwargs["n_fft"],
                          hop_length=kwargs.get("hop_length"),
                          window=_window(torch, name, torch.float64), onesided=onesided,
                          normalized=kwargs.get("normalized", False),
                          return_complex=True).numpy()
    x = tg.tensor(spectrum, requires_grad=True)
    t = torch.tensor(spectrum, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = tg.istft(x, window=_window(tg, name, tg.float64), **kwargs)
        theirs = torch.istft(t, window=_window(torch, name, torch.float64), **kwargs)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype)[6:]
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=1e-12)
    grad = np.random.default_rng(2).standard_normal(tuple(theirs.shape))
    if theirs.is_complex():
        grad = grad + 0.5j * grad[..., ::-1]
    ours.backward(tg.tensor(grad))
    theirs.backward(torch.tensor(grad))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), atol=1e-12)


def test_round_trip_and_the_method_forms():
    x = tg.tensor(SIGNAL.astype(np.float32))
    window = tg.hann_window(16)
    spectrum = x.stft(16, window=window, return_complex=True)
    assert spectrum.dtype == tg.complex64 and spectrum.shape == (2, 9, 11)
    back = spectrum.istft(16, window=window, length=40)
    np.testing.assert_allclose(back.numpy(), SIGNAL, atol=1e-5)
    with pytest.warns(UserWarning, match="return_complex=False is deprecated"):
        pairs = tg.stft(x, 16, window=window, return_complex=False)
    assert pairs.shape == (2, 9, 11, 2)
    np.testing.assert_array_equal(pairs.numpy(), tg.view_as_real(spectrum).numpy())
    with pytest.warns(UserWarning, match="A window was not provided"):
        tg.stft(x, 16, return_complex=True)


ERRORS = [
    ("return_complex", lambda lib: lib.stft(lib.ones(40), 16, window=lib.hann_window(16)),
     RuntimeError, "stft requires the return_complex parameter be given for real inputs, and "
     "will further require that return_complex=True in a future PyTorch release."),
    ("n_fft", lambda lib: lib.stft(lib.ones(2, 40), 64, window=lib.hann_window(64),
                                   center=False, return_complex=True),
     RuntimeError, "stft(torch.FloatTensor[2, 40], n_fft=64, hop_length=16, win_length=64, "
     "window=torch.FloatTensor{[64]}, normalized=0, onesided=None, return_complex=1, "
     "align_to_window=None) : expected 0 < n_fft < 40, but got n_fft=64"),
    ("window_size", lambda lib: lib.stft(lib.ones(2, 40), 16, window=lib.hann_window(20),
                                         return_complex=True),
     RuntimeError, "stft(torch.FloatTensor[2, 56], n_fft=16, hop_length=4, win_length=16, "
     "window=torch.FloatTensor{[20]}, normalized=0, onesided=None, return_complex=1, "
     "align_to_window=None) : expected a 1D window tensor of size equal to win_length=16, but "
     "got window with size [20]"),
    ("hop", lambda lib: lib.stft(lib.ones(2, 40), 16, hop_length=0, window=lib.hann_window(16),
                                 return_complex=True),
     RuntimeError, "stft(torch.FloatTensor[2, 56], n_fft=16, hop_length=0, win_length=16, "
     "window=torch.FloatTensor{[16]}, normalized=0, onesided=None, return_complex=1, "
     "align_to_window=None) : expected hop_length > 0, but got hop_length=0"),
    ("istft_real", lambda lib: lib.istft(lib.ones(9, 11), 16), RuntimeError,
     "istft requires a complex-valued input tensor matching the output from stft with "
     "return_complex=True."),
    ("istft_onesided_complex", lambda lib: lib.istft(
        lib.ones(9, 11).to(lib.complex64), 16, window=lib.hann_window(16), return_complex=True),
     RuntimeError, "Cannot have onesided output if window or input is complex"),
    ("istft_envelope", lambda lib: lib.istft(lib.ones(2, 9, 7).to(lib.complex64), 16,
                                             window=lib.hann_window(16), center=False),
     RuntimeError, "istft(CPUComplexFloatType[2, 9, 7], n_fft=16, hop_length=4, win_length=16, "
     "window=torch.FloatTensor{[16]}, center=0, normalized=0, onesided=None, length=None, "
     "return_complex=0) window overlap add min: 1"),
]
test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)

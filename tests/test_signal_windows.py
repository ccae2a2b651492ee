"""``tinygrad_bn.signal.windows`` against ``torch.signal.windows``: every window for lengths 0
to 33, symmetric and periodic, float32 and float64 (values to the rounding of the elementary
functions: NumPy's sin/cos/exp/i0 against PyTorch's vectorised ones), the ``requires_grad``
results (non-leaf, as PyTorch's) and every argument error with PyTorch's message."""

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn.signal import windows

NAMES = windows.__all__
EXTRA = {"general_cosine": {"a": [0.5, 0.3, 0.2]}, "general_hamming": {"alpha": 0.6},
         "kaiser": {"beta": 5.0}, "gaussian": {"std": 2.5}, "exponential": {"tau": 3.0}}
TOLERANCE = {"float32": 3e-7, "float64": 2e-15}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_windows_match_torch(name, dtype):
    torch = pytest.importorskip("torch")
    theirs_module = torch.signal.windows
    for M in (0, 1, 2, 3, 5, 10, 33):
        for sym in (True, False):
            for extra in ({}, EXTRA.get(name, {})):
                if name == "general_cosine" and not extra:
                    continue
                ours = getattr(windows, name)(M, sym=sym, dtype=getattr(tg, dtype), **extra)
                theirs = getattr(theirs_module, name)(M, sym=sym, dtype=getattr(torch, dtype),
                                                      **extra)
                assert str(ours.dtype) == dtype and tuple(ours.shape) == tuple(theirs.shape)
                np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=TOLERANCE[dtype],
                                           atol=TOLERANCE[dtype], err_msg=f"{name} {M} {sym}")


def test_default_dtype_and_periodic_center():
    torch = pytest.importorskip("torch")
    assert windows.hann(4).dtype == tg.float32
    tg.set_default_dtype(tg.float64)
    try:
        assert windows.hann(4).dtype == tg.float64
    finally:
        tg.set_default_dtype(tg.float32)
    ours = windows.exponential(7, sym=False, center=2.0, tau=0.5)
    theirs = torch.signal.windows.exponential(7, sym=False, center=2.0, tau=0.5)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=3e-7, atol=3e-7)


def test_requires_grad_results_have_history_as_in_torch():
    torch = pytest.importorskip("torch")
    for name in NAMES:
        extra = EXTRA.get(name, {}) if name == "general_cosine" else {}
        ours = getattr(windows, name)(6, requires_grad=True, dtype=tg.float64, **extra)
        theirs = getattr(torch.signal.windows, name)(6, requires_grad=True,
                                                      dtype=torch.float64, **extra)
        assert ours.requires_grad == theirs.requires_grad
        assert (ours.grad_fn is None) == (theirs.grad_fn is None), name
    assert windows.hann(0, requires_grad=True).requires_grad
    assert windows.hann(1, requires_grad=True).is_leaf


def test_reachable_as_torch_signal():
    assert tg.signal.windows.hann is windows.hann
    import tinygrad_bn.signal.windows as by_import
    assert by_import is windows


ERRORS = [
    (lambda w: w.hann(-1), ValueError,  # hann is general_cosine, and says so (as PyTorch)
     "general_cosine requires non-negative window length, got M=-1"),
    (lambda w: w.cosine(-2), ValueError, "cosine requires non-negative window length, got M=-2"),
    (lambda w: w.kaiser(4, dtype=w_int(w)), ValueError,
     "kaiser expects float32 or float64 dtypes, got: torch.int64"),
    (lambda w: w.exponential(4, tau=0), ValueError, "Tau must be positive, got: 0 instead."),
    (lambda w: w.exponential(4, center=1.0), ValueError,
     "Center must be None for symmetric windows"),
    (lambda w: w.gaussian(4, std=-1.0), ValueError,
     "Standard deviation must be positive, got: -1.0 instead."),
    (lambda w: w.kaiser(4, beta=-1.0), ValueError,
     "beta must be non-negative, got: -1.0 instead."),
    (lambda w: w.general_cosine(4, a=3), TypeError, "Coefficients must be a list/tuple"),
    (lambda w: w.general_cosine(4, a=[]), ValueError, "Coefficients cannot be empty"),
]


def w_int(module):
    """int64 in the namespace ``module`` belongs to (torch's or ours)."""
    return tg.int64 if module is windows else __import__("torch").int64


@pytest.mark.parametrize("call, kind, message", ERRORS)
def test_errors_are_pytorchs(call, kind, message):
    with pytest.raises(kind) as ours:
        call(windows)
    assert str(ours.value) == message
    torch = pytest.importorskip("torch")
    with pytest.raises(kind) as theirs:
        call(torch.signal.windows)
    assert str(theirs.value) == message

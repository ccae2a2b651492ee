"""``tinygrad_bn.fft`` against ``torch.fft``: values, dtypes and shapes of every transform under
each ``norm`` with signal sizes that trim and pad, gradients of each (PyTorch's handling of the
one-sided half in rfft/irfft/hfft included), finite differences in float64, the helpers, and
PyTorch's errors."""

import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from pytorch_errors import error_tests

RNG = np.random.default_rng(0)


def _complex(shape):
    return RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)


def _real(shape):
    return RNG.standard_normal(shape)


ONE_DIM = [(name, make) for name, make in [
    ("fft", _complex), ("fft", _real), ("ifft", _complex), ("ifft", _real), ("rfft", _real),
    ("irfft", _complex), ("hfft", _complex), ("hfft", _real), ("ihfft", _real)]]
MANY_DIMS = [(name, make) for name, make in [
    ("fftn", _complex), ("fftn", _real), ("ifftn", _complex), ("rfftn", _real),
    ("irfftn", _complex), ("hfftn", _complex), ("ihfftn", _real), ("fft2", _complex),
    ("ifft2", _real), ("rfft2", _real), ("irfft2", _complex), ("hfft2", _complex),
    ("ihfft2", _real)]]


def _compare(name, data, kwargs):
    torch = pytest.importorskip("torch")
    x = tg.tensor(data, requires_grad=True)
    t = torch.tensor(data, requires_grad=True)
    ours = getattr(tg.fft, name)(x, **kwargs)
    theirs = getattr(torch.fft, name)(t, **kwargs)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype)[6:]
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().resolve_conj().numpy(),
                               rtol=1e-10, atol=1e-10)
    grad = _complex(tuple(theirs.shape)) if theirs.is_complex() else _real(tuple(theirs.shape))
    ours.backward(tg.tensor(grad))
    theirs.backward(torch.tensor(grad))
    assert x.grad.dtype == x.dtype
    np.testing.assert_allclose(x.grad.numpy(), t.grad.resolve_conj().numpy(), rtol=1e-10,
                               atol=1e-10)


@pytest.mark.parametrize("norm", [None, "backward", "ortho", "forward"])
@pytest.mark.parametrize("n", [None, 3, 9])
@pytest.mark.parametrize("shape", [(6,), (5,), (3, 4)], ids=["even", "odd", "2d"])
@pytest.mark.parametrize("name, make", ONE_DIM,
                         ids=[f"{name}-{make.__name__[1:]}" for name, make in ONE_DIM])
def test_one_dim_transforms_and_gradients_are_pytorchs(name, make, shape, n, norm):
    _compare(name, make(shape), {"n": n, "norm": norm})


@pytest.mark.parametrize("norm", [None, "ortho", "forward"])
@pytest.mark.parametrize("s", [None, (3, 4), (5, -1)])
@pytest.mark.parametrize("shape", [(4, 6), (2, 3, 5)], ids=["2d", "3d"])
@pytest.mark.parametrize("name, make", MANY_DIMS,
                         ids=[f"{name}-{make.__name__[1:]}" for name, make in MANY_DIMS])
def test_many_dim_transforms_and_gradients_are_pytorchs(name, make, shape, s, norm):
    _compare(name, make(shape), {"s": s, "norm": norm})


@pytest.mark.parametrize("name, make, kwargs", [
    ("fftn", _complex, {"dim": (0,)}), ("rfftn", _real, {"dim": (-1, 0)}),
    ("irfftn", _complex, {"dim": (-1, 0)}), ("hfftn", _complex, {"dim": (1, 0), "s": (4, 3)}),
    ("fft", _complex, {"dim": 0}), ("irfft", _complex, {"dim": 0, "n": 2}),
    ("fftn", _real, {"dim": ()}), ("ihfftn", _real, {"dim": (0, 2), "s": (3, 3)}),
])
def test_dims_in_any_order_are_pytorchs(name, make, kwargs):
    _compare(name, make((3, 4, 5)), kwargs)


@pytest.mark.parametrize("name", ["fft", "rfft", "ihfft", "fftn", "rfftn", "irfft", "hfft",
                                  "ifft2"])
def test_float32_signals_give_complex64_and_float32(name):
    torch = pytest.importorskip("torch")
    data = _real((4, 6)).astype(np.float32)
    if name in ("irfft", "hfft"):
        data = (data + 1j * data[::-1]).astype(np.complex64)
    ours, theirs = getattr(tg.fft, name)(tg.tensor(data)), getattr(torch.fft, name)(
        torch.tensor(data))
    assert str(ours.dtype) == str(theirs.dtype)[6:]
    np.testing.assert_allclose(ours.numpy(), theirs.resolve_conj().numpy(), rtol=1e-5,
                               atol=1e-5)
    integers = tg.fft.fft(tg.arange(4))
    assert integers.dtype == tg.complex64


def test_gradients_match_finite_differences():
    """The gradient of a real loss through rfft and irfft (PyTorch's handling of the one-sided
    half, which is the true gradient for a real input and a Hermitian-consistent spectrum)."""
    data = _real((7,))

    def loss(x):
        spectrum = tg.fft.rfft(x, n=10, norm="ortho")
        weights = tg.tensor(np.linspace(0.5, 1.5, 6) + 0.3j)
        back = tg.fft.irfft(spectrum * weights, n=8)
        return (back * back).sum() + spectrum.abs().sum()

    x = tg.tensor(data, requires_grad=True)
    loss(x).backward()
    h = 1e-6
    for i in range(7):
        up, down = data.copy(), data.copy()
        up[i] += h
        down[i] -= h
        slope = (loss(tg.tensor(up)).item() - loss(tg.tensor(down)).item()) / (2 * h)
        np.testing.assert_allclose(x.grad.numpy()[i], slope, rtol=1e-6, atol=1e-8)


def test_second_order_gradients_are_pytorchs():
    torch = pytest.importorskip("torch")
    data = _real((6,))
    x = tg.tensor(data, requires_grad=True)
    t = torch.tensor(data, requires_grad=True)
    (gx,) = tg.autograd.grad(tg.fft.irfft(tg.fft.rfft(x * x) * 2j).pow(2).sum(), x,
                             create_graph=True)
    (gt,) = torch.autograd.grad(torch.fft.irfft(torch.fft.rfft(t * t) * 2j).pow(2).sum(), t,
                                create_graph=True)
    np.testing.assert_allclose(gx.detach().numpy(), gt.detach().numpy(), rtol=1e-10)
    (ggx,) = tg.autograd.grad((gx * gx).sum(), x)
    (ggt,) = torch.autograd.grad((gt * gt).sum(), t)
    np.testing.assert_allclose(ggx.numpy(), ggt.numpy(), rtol=1e-10)


@pytest.mark.parametrize("n", [0, 1, 5, 6])
@pytest.mark.parametrize("d", [1.0, 0.3])
@pytest.mark.parametrize("dtype", [None, "float64"])
def test_frequencies_are_pytorchs(n, d, dtype):
    torch = pytest.importorskip("torch")
    for name in ("fftfreq", "rfftfreq"):
        ours = getattr(tg.fft, name)(n, d, dtype=getattr(tg, dtype) if dtype else None)
        theirs = getattr(torch.fft, name)(n, d, dtype=getattr(torch, dtype) if dtype else None)
        assert str(ours.dtype) == str(theirs.dtype)[6:]
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1), (-1,)])
def test_shifts_are_pytorchs(dim):
    torch = pytest.importorskip("torch")
    data = np.arange(30.0).reshape(5, 6)
    for name in ("fftshift", "ifftshift"):
        np.testing.assert_array_equal(getattr(tg.fft, name)(tg.tensor(data), dim).numpy(),
                                      getattr(torch.fft, name)(torch.tensor(data), dim).numpy())
    spectrum = tg.fft.fftshift(tg.fft.fft(tg.tensor(data[0])))
    assert tg.fft.ifftshift(spectrum).tolist() == tg.fft.fft(tg.tensor(data[0])).tolist()


def test_out_argument_is_written():
    out = tg.empty(0, dtype=tg.complex128)
    result = tg.fft.fft(tg.tensor(_real((4,))), out=out)
    assert result is out and out.shape == (4,)


ERRORS = [
    ("half", lambda lib: lib.fft.fft(lib.ones(4, dtype=lib.float16)), RuntimeError,
     "Unsupported dtype Half"),
    ("n_zero", lambda lib: lib.fft.fft(lib.ones(4), n=0), RuntimeError,
     "Invalid number of data points (0) specified"),
    ("n_negative", lambda lib: lib.fft.fft(lib.ones(4), n=-1), RuntimeError,
     "Invalid number of data points (-1) specified"),
    ("dim", lambda lib: lib.fft.fft(lib.ones(4, 6), dim=2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("scalar", lambda lib: lib.fft.fft(lib.tensor(1.0)), IndexError,
     "Dimension specified as -1 but tensor has no dimensions"),
    ("norm", lambda lib: lib.fft.fft(lib.ones(4), norm="bad"), RuntimeError,
     'Invalid normalization mode: "bad"'),
    ("rfft_complex", lambda lib: lib.fft.rfft(lib.ones(4).to(lib.complex64)), RuntimeError,
     "rfft expects a real input tensor, but got ComplexFloat"),
    ("ihfft_complex", lambda lib: lib.fft.ihfft(lib.ones(4).to(lib.complex64)), RuntimeError,
     "ihfft expects a real input tensor, but got ComplexFloat"),
    ("irfft_too_short", lambda lib: lib.fft.irfft(lib.ones(4, 1).to(lib.complex64)),
     RuntimeError, "Invalid number of data points (0) specified"),
    ("s_and_dim", lambda lib: lib.fft.fftn(lib.ones(4, 6), s=(3,), dim=(0, 1)), RuntimeError,
     "When given, dim and shape arguments must have the same length"),
    ("s_too_long", lambda lib: lib.fft.fftn(lib.ones(4, 6), s=(3, 3, 3)), RuntimeError,
     "Got shape with 3 values but input tensor only has 2 dimensions."),
    ("dims_unique", lambda lib: lib.fft.fftn(lib.ones(4, 6), dim=(0, 0)), RuntimeError,
     "FFT dims must be unique"),
    ("fft2_of_1d", lambda lib: lib.fft.fft2(lib.ones(3)), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got -2)"),
    ("rfftn_zero", lambda lib: lib.fft.rfftn(lib.ones(4, 6), s=(0, 3)), RuntimeError,
     "Invalid number of data points (0) specified"),
    ("fftfreq_int", lambda lib: lib.fft.fftfreq(5, dtype=lib.int64), RuntimeError,
     "fftfreq requires a floating point or complex dtype"),
]
test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)


def test_a_warning_free_transform():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tg.fft.irfft(tg.fft.rfft(tg.ones(8)))
        tg.fft.rfftfreq(0)

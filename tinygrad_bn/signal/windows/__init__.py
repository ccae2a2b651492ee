"""``torch.signal.windows``: SciPy-style window functions of length ``M``.

They are computed as PyTorch computes them, as compositions of differentiable tensor ops (a
``linspace`` of sample positions, then ``cos``, ``exp``, ``i0`` ... and, for the cosine-sum
family, a weighted ``sum``), so they carry PyTorch's values to the rounding of those ops and,
with ``requires_grad=True``, a ``grad_fn`` as in PyTorch (``cosine(3, requires_grad=True)``
is the non-leaf result of ``sin``). They are not the older ``hann_window``/``hamming_window``
/``blackman_window``/``bartlett_window``/``kaiser_window`` of ``factories.py`` with
``periodic = not sym``: PyTorch computes those with other expressions (one fused formula per
point), and the two families differ in PyTorch itself by up to an ulp (float32 ``kaiser``:
1e-6), so reusing one for the other would not give PyTorch's numbers. Within this module there
is one implementation per shape: ``hamming``, ``hann``, ``blackman``, ``nuttall`` and
``general_hamming`` are ``general_cosine`` with their coefficients, as in PyTorch.

``sym=True`` (the default) gives a symmetric window, for filter design; ``sym=False`` a
periodic one (the symmetric window of ``M + 1`` points without its last), for spectral
analysis. Every function takes keyword-only ``dtype`` (float32 or float64; default the
default dtype), ``layout`` (strided only), ``device`` and ``requires_grad``.
"""

from collections.abc import Iterable
from math import pi, sqrt

from ... import dtypes
from ...creation import arange, empty, linspace, ones, tensor

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine",
           "general_hamming", "hamming", "hann", "kaiser", "nuttall"]


def _checks(function_name, M, dtype, layout):
    """PyTorch's argument checks shared by every window; returns the dtype to use."""
    dtype = dtypes.get_default_dtype() if dtype is None else dtypes.canonical(dtype)
    if M < 0:
        raise ValueError(f"{function_name} requires non-negative window length, got M={M}")
    if layout is not None and str(layout) != "torch.strided":
        raise ValueError(f"{function_name} is implemented for strided tensors only, got: "
                         f"{layout}")
    if dtype not in (dtypes.float32, dtypes.float64):
        raise ValueError(f"{function_name} expects float32 or float64 dtypes, got: "
                         f"torch.{dtype}")
    return dtype


def _positions(start, constant, M, dtype, device, requires_grad):
    """``M`` evenly spaced sample positions ``(start + n) * constant``, ``n = 0 .. M - 1``."""
    return linspace(start * constant, (start + (M - 1)) * constant, M, dtype=dtype, device=device,
                    requires_grad=requires_grad)


def exponential(M: int, *, center: float | None = None, tau: float = 1.0, sym: bool = True,
                dtype=None, layout=None, device=None, requires_grad: bool = False):
    """The exponential (Poisson) window ``exp(-|n - c| / tau)``, ``c = center``, by default
    the middle: ``(M - 1) / 2`` (``M / 2`` when periodic). ``center`` is for periodic windows
    only."""
    dtype = _checks("exponential", M, dtype, layout)
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    if M == 0:
        return empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    if center is None:
        center = (M if not sym and M > 1 else M - 1) / 2.0
    return _positions(-center, 1 / tau, M, dtype, device, requires_grad).abs().neg().exp()


def cosine(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,
           requires_grad: bool = False):
    """The cosine (sine) window ``sin(pi (n + 0.5) / M)`` (SciPy's; ``M + 1`` in place of
    ``M`` when periodic): never zero at the ends."""
    dtype = _checks("cosine", M, dtype, layout)
    if M == 0:
        return empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    constant = pi / (M + 1 if not sym and M > 1 else M)
    return _positions(0.5, constant, M, dtype, device, requires_grad).sin()


def gaussian(M: int, *, std: float = 1.0, sym: bool = True, dtype=None, layout=None,
             device=None, requires_grad: bool = False):
    """The Gaussian window ``exp(-(n - c)^2 / (2 std^2))`` about the middle ``c``."""
    dtype = _checks("gaussian", M, dtype, layout)
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    if M == 0:
        return empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    start = -(M if not sym and M > 1 else M - 1) / 2.0
    k = _positions(start, 1 / (std * sqrt(2)), M, dtype, device, requires_grad)
    return (-k ** 2).exp()


def kaiser(M: int, *, beta: float = 12.0, sym: bool = True, dtype=None, layout=None,
           device=None, requires_grad: bool = False):
    """The Kaiser window ``I0(beta sqrt(1 - ((n - N/2) / (N/2))^2)) / I0(beta)``,
    ``N = M - 1`` when symmetric, else ``M``; computed as ``I0(sqrt(beta^2 - k^2))`` on
    positions ``k`` from ``-beta`` (``beta`` rounded to ``dtype`` first, as PyTorch does to
    avoid NaNs at the ends)."""
    dtype = _checks("kaiser", M, dtype, layout)
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    if M == 0:
        return empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    if M == 1:
        return ones((1,), dtype=dtype, device=device, requires_grad=requires_grad)
    beta = tensor(beta, dtype=dtype, device=device)
    start = -beta
    constant = 2.0 * beta / (M if not sym else M - 1)
    end = beta.minimum(start + (M - 1) * constant)
    k = linspace(start, end, M, dtype=dtype, device=device, requires_grad=requires_grad)
    return (beta * beta - k.pow(2)).sqrt().i0() / beta.i0()


def general_cosine(M, *, a: Iterable, sym: bool = True, dtype=None, layout=None, device=None,
                   requires_grad: bool = False):
    """The generalized cosine window ``sum_i (-1)^i a_i cos(2 pi i n / N)``, ``N = M - 1``
    when symmetric, else ``M``: the family of ``hamming``, ``hann``, ``blackman``,
    ``nuttall``."""
    dtype = _checks("general_cosine", M, dtype, layout)
    if M == 0:
        return empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    if M == 1:
        return ones((1,), dtype=dtype, device=device, requires_grad=requires_grad)
    if not isinstance(a, Iterable):
        raise TypeError("Coefficients must be a list/tuple")
    if not a:
        raise ValueError("Coefficients cannot be empty")
    constant = 2 * pi / (M if not sym else M - 1)
    k = linspace(0, (M - 1) * constant, M, dtype=dtype, device=device,
                 requires_grad=requires_grad)
    a_i = tensor([(-1) ** i * w for i, w in enumerate(a)], dtype=dtype, device=device,
                 requires_grad=requires_grad)
    i = arange(a_i.shape[0], dtype=a_i.dtype, device=device, requires_grad=requires_grad)
    return (a_i.unsqueeze(-1) * (i.unsqueeze(-1) * k).cos()).sum(0)


def general_hamming(M, *, alpha: float = 0.54, sym: bool = True, dtype=None, layout=None,
                    device=None, requires_grad: bool = False):
    """``alpha - (1 - alpha) cos(2 pi n / N)``: ``general_cosine`` with ``a = [alpha,
    1 - alpha]``."""
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout,
                          device=device, requires_grad=requires_grad)


def hamming(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,
            requires_grad: bool = False):
    """The Hamming window ``0.54 - 0.46 cos(2 pi n / N)``."""
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def hann(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,
         requires_grad: bool = False):
    """The Hann window ``0.5 - 0.5 cos(2 pi n / N) = sin^2(pi n / N)``."""
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def blackman(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,
             requires_grad: bool = False):
    """The Blackman window ``0.42 - 0.5 cos(2 pi n / N) + 0.08 cos(4 pi n / N)``."""
    dtype = _checks("blackman", M, dtype, layout)
    return general_cosine(M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, layout=layout,
                          device=device, requires_grad=requires_grad)


def bartlett(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,
             requires_grad: bool = False):
    """The Bartlett (triangular) window ``1 - |2 n / N - 1|``."""
    dtype = _checks("bartlett", M, dtype, layout)
    if M == 0:
        return empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    if M == 1:
        return ones((1,), dtype=dtype, device=device, requires_grad=requires_grad)
    constant = 2 / (M if not sym else M - 1)
    k = linspace(-1, -1 + (M - 1) * constant, M, dtype=dtype, device=device,
                 requires_grad=requires_grad)
    return 1 - k.abs()


def nuttall(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,
            requires_grad: bool = False):
    """The minimum 4-term Blackman-Harris window of Nuttall: ``general_cosine`` with ``a =
    [0.3635819, 0.4891775, 0.1365995, 0.0106411]``."""
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym,
                          dtype=dtype, layout=layout, device=device, requires_grad=requires_grad)

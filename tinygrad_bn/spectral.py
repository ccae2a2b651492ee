"""The short-time Fourier transform and its inverse, PyTorch's ``torch.stft`` and
``torch.istft``, built of differentiable ops: padding, ``unfold`` into frames, the window, an
FFT along each frame (``tinygrad_bn.fft``), and for the inverse the overlap-add of the windowed
frames (``nn.functional.fold``) divided by the overlap-added squared window.

As PyTorch 2.x, ``stft`` of a real signal requires ``return_complex`` (``True``: a complex
tensor of shape ``(batch?, freq, frames)``; ``False``, deprecated: its ``view_as_real``).
"""

from __future__ import annotations

import warnings

import numpy as np

from . import dtypes, fft
from .tensor import Tensor
from .tensor.complex import complex as _complex, view_as_real

_STFT_WINDOW_WARNING = (
    "A window was not provided. A rectangular window will be applied,which is known to cause "
    "spectral leakage. Other windows such as torch.hann_window or torch.hamming_window are "
    "recommended to reduce spectral leakage.To suppress this warning and use a rectangular "
    "window, explicitly set `window=torch.ones(n_fft, device=<device>)`.")
_ISTFT_WINDOW_WARNING = (
    "A window was not provided. A rectangular window will be applied.Please provide the same "
    "window used by stft to make the inversion lossless.To suppress this warning and use a "
    "rectangular window, explicitly set `window=torch.ones(n_fft, device=<device>)`.")


def _type_name(tensor):
    names = {"float32": "FloatTensor", "float64": "DoubleTensor",
             "complex64": "ComplexFloatTensor", "complex128": "ComplexDoubleTensor"}
    return "torch." + names.get(str(tensor.dtype), f"{dtypes.scalar_type_name(tensor.dtype)}"
                                                   "Tensor")


def _window_text(window):
    return "None" if window is None else f"{_type_name(window)}{{{list(window.shape)}}}"


def _padded_window(window, win_length, n_fft, dtype):
    """The window (ones when None) padded with zeros on both sides to ``n_fft`` (the extra one
    on the right), as PyTorch centres a shorter window in the frame."""
    if window is None:
        window = Tensor(np.ones(win_length, dtype=dtype))
    left = (n_fft - win_length) // 2
    if left or n_fft - win_length - left:
        from .nn.functional import pad
        window = pad(window, (left, n_fft - win_length - left))
    return window


def stft(input: Tensor, n_fft: int, hop_length: int | None = None,
         win_length: int | None = None, window: Tensor | None = None, center: bool = True,
         pad_mode: str = "reflect", normalized: bool = False, onesided: bool | None = None,
         return_complex: bool | None = None, align_to_window: bool | None = None) -> Tensor:
    """The STFT of a 1-D signal ``(L,)`` or a batch ``(B, L)``: frames of ``n_fft`` samples
    ``hop_length`` apart (default ``n_fft // 4``), each times ``window`` (``win_length`` long,
    default ``n_fft``, centred in the frame; ones when None, with PyTorch's warning), then its
    FFT: ``(B?, n_fft // 2 + 1, frames)`` when ``onesided`` (the default for real signals and
    windows), ``(B?, n_fft, frames)`` otherwise. ``center`` pads the signal by ``n_fft // 2``
    on both sides first (``pad_mode``, reflect by default); ``normalized`` scales by
    ``n_fft ** -0.5``."""
    if window is None:
        warnings.warn(_STFT_WINDOW_WARNING, UserWarning, stacklevel=2)
    complex_input = input.is_complex() or (window is not None and window.is_complex())
    if return_complex is None:
        if not complex_input:
            raise RuntimeError(
                "stft requires the return_complex parameter be given for real inputs, and will "
                "further require that return_complex=True in a future PyTorch release.")
        return_complex = True
    if align_to_window is not None and center:
        raise ValueError("stft align_to_window should only be set when center = false")
    if not return_complex:
        warnings.warn(
            "stft with return_complex=False is deprecated. In a future pytorch release, stft "
            "will return complex tensors for all inputs, and return_complex=False will raise an "
            "error.\nNote: you can still call torch.view_as_real on the complex output to "
            "recover the old return format.", UserWarning, stacklevel=2)
    if input.dtype.kind not in "fc":
        input = input.to(dtypes.get_default_dtype())
    if center:
        from .nn.functional import pad
        extended = (1,) * (3 - input.ndim) + tuple(input.shape) if input.ndim <= 3 else None
        if extended is not None:
            signal_dims = input.ndim
            input = pad(input.reshape(extended), (n_fft // 2, n_fft // 2), pad_mode)
            input = input.reshape(input.shape[-signal_dims:])
    hop_length = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length

    def refuse(expectation):
        raise RuntimeError(
            f"stft({_type_name(input)}{list(input.shape)}, n_fft={n_fft}, hop_length="
            f"{hop_length}, win_length={win_length}, window={_window_text(window)}, normalized="
            f"{int(normalized)}, onesided={'None' if onesided is None else int(onesided)}, "
            f"return_complex={int(return_complex)}, align_to_window="
            f"{'None' if align_to_window is None else int(align_to_window)}) : {expectation}")

    if input.ndim not in (1, 2):
        refuse("expected a 1D or 2D tensor")
    length = input.shape[-1]
    if not 0 < n_fft <= length:
        refuse(f"expected 0 < n_fft < {length}, but got n_fft={n_fft}")
    if hop_length <= 0:
        refuse(f"expected hop_length > 0, but got hop_length={hop_length}")
    if not 0 < win_length <= n_fft:
        refuse(f"expected 0 < win_length <= n_fft, but got win_length={win_length}")
    if window is not None and (window.ndim != 1 or window.shape[0] != win_length):
        refuse(f"expected a 1D window tensor of size equal to win_length={win_length}, but got "
               f"window with size {list(window.shape)}")
    if onesided is None:
        onesided = not complex_input
    elif onesided and complex_input:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    frames = input.unfold(-1, n_fft, hop_length)
    frames = frames * _padded_window(window, win_length, n_fft, dtypes.to_real(input.dtype))
    norm = "ortho" if normalized else "backward"
    spectrum = fft.rfft(frames, norm=norm) if onesided else fft.fft(frames, norm=norm)
    spectrum = spectrum.transpose(-1, -2)
    return spectrum if return_complex else view_as_real(spectrum)


def istft(input: Tensor, n_fft: int, hop_length: int | None = None,
          win_length: int | None = None, window: Tensor | None = None, center: bool = True,
          normalized: bool = False, onesided: bool | None = None, length: int | None = None,
          return_complex: bool = False) -> Tensor:
    """The inverse of ``stft``: each frame's inverse FFT times the window, overlap-added and
    divided by the overlap-added squared window (which must not vanish anywhere: PyTorch's
    error), the ``center`` padding removed, trimmed or padded with zeros to ``length``.
    ``input`` is ``stft``'s complex result ``(B?, freq, frames)``."""
    if not input.is_complex():
        raise RuntimeError("istft requires a complex-valued input tensor matching the output "
                           "from stft with return_complex=True.")
    if window is None:
        warnings.warn(_ISTFT_WINDOW_WARNING, UserWarning, stacklevel=2)
    hop_length = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    given_onesided = onesided

    def refuse(expectation):
        onesided = given_onesided
        raise RuntimeError(
            f"istft(CPU{_type_name(input)[6:-6]}Type{list(input.shape)}, n_fft={n_fft}, "
            f"hop_length={hop_length}, win_length={win_length}, window="
            f"{_window_text(window)}, center={int(center)}, normalized={int(normalized)}, "
            f"onesided={'None' if onesided is None else int(onesided)}, length="
            f"{'None' if length is None else length}, return_complex={int(return_complex)}) "
            f"{expectation}")

    if input.ndim not in (2, 3):
        refuse(f"expected a tensor with 2 or 3 dimensions of complex dtype, but got "
               f"{input.ndim}")
    batched = input.ndim == 3
    if not batched:
        input = input.unsqueeze(0)
    fft_size, n_frames = input.shape[-2], input.shape[-1]
    if onesided is None:
        onesided = fft_size != n_fft
    if onesided:
        if n_fft // 2 + 1 != fft_size:
            refuse(f": expected the frequency dimension (3rd to the last) of the input tensor "
                   f"to match n_fft / 2 + 1 when onesided=True, but got {fft_size}")
        if return_complex or (window is not None and window.is_complex()):
            raise RuntimeError("Cannot have onesided output if window or input is complex")
    elif n_fft != fft_size:
        refuse(f": expected the frequency dimension (3rd to the last) of the input tensor to "
               f"match n_fft when onesided=False, but got {fft_size}")
    if not 0 < hop_length <= win_length:
        refuse(": expected 0 < hop_length <= win_length")
    if not 0 < win_length <= n_fft:
        refuse(": expected 0 < win_length <= n_fft")
    if window is not None and (window.ndim != 1 or window.shape[0] != win_length):
        refuse(": Invalid window shape. window has to be 1D and length of `win_length`")
    norm = "ortho" if normalized else "backward"
    frames = input.transpose(-1, -2)
    if return_complex:
        frames = fft.ifft(frames, n=n_fft, norm=norm)
    else:  # a real signal from the one-sided half (of a two-sided input too), as PyTorch
        if window is not None and window.is_complex():
            raise RuntimeError("Complex windows are incompatible with return_complex=False")
        if not onesided:
            frames = frames.narrow(-1, 0, n_fft // 2 + 1)
        frames = fft.irfft(frames, n=n_fft, norm=norm)
    window = _padded_window(window, win_length, n_fft, dtypes.to_real(input.dtype))
    frames = frames * window
    expected_length = n_fft + hop_length * (n_frames - 1)
    signal = _overlap_add(frames, expected_length, n_fft, hop_length)
    envelope = _overlap_add((window * window).expand(n_frames, n_fft).unsqueeze(0),
                            expected_length, n_fft, hop_length)
    start = n_fft // 2 if center else 0
    if length is not None:
        end = start + length
    else:
        end = expected_length - n_fft // 2 if center else expected_length
    signal = signal[:, start:end]
    envelope = envelope[:, start:end]
    lowest = envelope.abs().min().item() if envelope.numel() else 1.0
    if lowest < 1e-11:
        refuse("window overlap add min: 1")  # PyTorch prints its test's result, true
    signal = signal / envelope
    if end > expected_length:
        from .nn.functional import pad
        signal = pad(signal, (0, end - expected_length)) if not signal.is_complex() else \
            _complex(pad(signal.real, (0, end - expected_length)),
                     pad(signal.imag, (0, end - expected_length)))
    return signal if batched else signal.squeeze(0)


def _overlap_add(frames, output_length, n_fft, hop_length):
    """``(B, frames, n_fft)`` frames summed into ``(B, output_length)``, frame ``t`` starting
    at ``t * hop_length`` (``fold``; a complex signal part by part)."""
    from .nn.functional import fold

    if frames.is_complex():
        return _complex(_overlap_add(frames.real, output_length, n_fft, hop_length),
                        _overlap_add(frames.imag, output_length, n_fft, hop_length))
    columns = frames.transpose(-1, -2)
    summed = fold(columns, output_size=(1, output_length), kernel_size=(1, n_fft),
                  stride=(1, hop_length))
    return summed.reshape(frames.shape[0], output_length)

"""PyTorch's ``torch.nn._reduction``: a loss's ``reduction`` string as ATen's enum
(``get_enum``), and the string the deprecated ``size_average``/``reduce`` flags stand for
(``legacy_get_string``, ``legacy_get_enum``), which custom losses written for PyTorch call."""

from __future__ import annotations

import warnings

from .functional_losses import legacy_reduction


def get_enum(reduction: str) -> int:
    """``"none"`` 0, ``"mean"`` 1 (also the deprecated ``"elementwise_mean"``, warning),
    ``"sum"`` 2; anything else PyTorch's ``ValueError``."""
    if reduction == "none":
        return 0
    if reduction == "mean":
        return 1
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' "
                      "instead.", stacklevel=2)
        return 1
    if reduction == "sum":
        return 2
    raise ValueError(f"{reduction} is not a valid value for reduction")


def legacy_get_string(size_average: bool | None, reduce: bool | None,
                      emit_warning: bool = True) -> str:
    """The ``reduction`` the legacy flags mean (``legacy_reduction``: either None counts as
    True), with PyTorch's deprecation warning unless ``emit_warning`` is false."""
    if emit_warning:
        return legacy_reduction(size_average, reduce, stacklevel=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return legacy_reduction(size_average, reduce)


def legacy_get_enum(size_average: bool | None, reduce: bool | None,
                    emit_warning: bool = True) -> int:
    """``get_enum(legacy_get_string(...))``."""
    return get_enum(legacy_get_string(size_average, reduce, emit_warning))

"""Questions a tensor answers about itself that PyTorch asks of its own: ``is_nonzero``,
``is_same_size``, ``is_signed``, ``get_device``, ``is_inference``, ``is_neg``/``resolve_neg``,
and ``new_empty_strided``. There is one device (the CPU, ``get_device() == -1``), no lazy
negation (``is_neg`` is always False) and no inference tensors (tensors made under
``inference_mode`` are ordinary ones here, so ``is_inference`` is False)."""

from __future__ import annotations

# ``bool`` and ``int`` are Tensor methods, so annotations use these:
from builtins import bool as _bool, int as _int

from collections.abc import Sequence

from .. import layouts
from ..device import DeviceLike
from ..dtypes import DTypeLike
from .arguments import _tensor_argument
from .core import Tensor


class QueryMethods:
    """The self-describing methods of ``Tensor``, which takes them as its own (see
    ``tinygrad_bn/tensor/__init__.py``)."""

    def is_nonzero(self) -> _bool:
        """Whether the one element of this tensor is not zero (``bool(x)`` with PyTorch's
        errors for no element or several)."""
        if self._array.size == 0:
            raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
        if self._array.size > 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._array.reshape(-1)[0] != 0)

    def is_same_size(self, other: Tensor) -> _bool:
        """Whether ``other`` has this tensor's shape."""
        other = _tensor_argument(other, "is_same_size", "other", 1)
        return tuple(self.shape) == tuple(other.shape)

    def is_signed(self) -> _bool:
        """Whether the dtype holds negative numbers (all but ``uint8`` and ``bool``)."""
        return self._array.dtype.kind not in "ub"

    def get_device(self) -> _int:
        """The device index: -1, the CPU (the only device here)."""
        return -1

    def is_inference(self) -> _bool:
        """False: tensors made under ``inference_mode`` are not marked here."""
        return False

    def is_neg(self) -> _bool:
        """False: negation is never lazy here (PyTorch's negative bit is for complex views)."""
        return False

    def resolve_neg(self) -> Tensor:
        """This tensor (no lazy negation to resolve)."""
        return self

    @property
    def layout(self) -> layouts.layout:
        """``strided``: every tensor here is a dense array with a stride per dimension."""
        return layouts.strided

    def new_empty_strided(self, size: Sequence[_int], stride: Sequence[_int], *,
                          dtype: DTypeLike | None = None, device: DeviceLike | None = None,
                          requires_grad: _bool = False) -> Tensor:
        """``empty_strided`` in this tensor's dtype unless ``dtype`` is given."""
        from ..factories import empty_strided  # the factories build on the tensor: a layer up

        return empty_strided(size, stride, dtype=self._array.dtype if dtype is None else dtype,
                             device=device, requires_grad=requires_grad)

"""PyTorch's ``torch.nn.modules.utils``: the helpers layers use to turn an int argument into
a tuple (``_single``, ``_pair``, ``_triple``, ``_quadruple``, ``_ntuple``), to reverse and
repeat a padding tuple for ``F.pad``, and ``consume_prefix_in_state_dict_if_present`` (which
strips the ``module.`` prefix a ``DataParallel`` wrapper adds to state-dict keys)."""

from __future__ import annotations

import collections.abc
from itertools import repeat
from typing import Any

__all__ = ["consume_prefix_in_state_dict_if_present"]


def _ntuple(n: int, name: str = "parse"):
    """A function making ``x`` an ``n``-tuple: an iterable as ``tuple(x)``, anything else
    repeated ``n`` times (PyTorch's)."""

    def parse(x):
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return tuple(repeat(x, n))

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t, n: int) -> tuple:
    """``t`` reversed, each element repeated ``n`` times: ``(1, 2)`` and 2 give ``(2, 2, 1,
    1)``, a convolution's padding in ``F.pad``'s order."""
    return tuple(x for x in reversed(t) for _ in range(n))


def _list_with_default(out_size, defaults: list[int]) -> list[int]:
    """An adaptive pool's ``output_size`` with each ``None`` replaced by the size of the input
    dim at that place (``defaults`` is the input's shape); an int is returned as it is."""
    if isinstance(out_size, int):
        return out_size
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [v if v is not None else d for v, d in zip(out_size, defaults[-len(out_size):])]


def consume_prefix_in_state_dict_if_present(state_dict: dict[str, Any], prefix: str) -> None:
    """Strip ``prefix`` from every key of ``state_dict`` that starts with it, in place (and from
    the keys of its ``_metadata``, if any), as PyTorch's: a checkpoint of a ``DataParallel``
    model (``module.weight``) then loads into the bare model."""
    keys = list(state_dict.keys())
    for key in keys:
        if key.startswith(prefix):
            state_dict[key[len(prefix):]] = state_dict.pop(key)
    if hasattr(state_dict, "_metadata"):
        for key in list(state_dict._metadata.keys()):
            # '' is the wrapper's own entry; 'module' (no dot) and 'module.x' are the model's
            if len(key) == 0:
                continue
            if key == prefix.replace(".", "") or key.startswith(prefix):
                state_dict._metadata[key[len(prefix):]] = state_dict._metadata.pop(key)

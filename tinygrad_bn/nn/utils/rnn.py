"""``torch.nn.utils.rnn``: ``pad_sequence``, which batches sequences of different lengths for
the recurrent layers. (``PackedSequence`` and ``pack_padded_sequence`` are not here yet: pad,
and mask or take each sequence's last valid step yourself.)"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ...creation import full
from ...tensor import Tensor, cat, stack

__all__ = ["pad_sequence"]


def pad_sequence(sequences: Sequence[Tensor] | Tensor, batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stack sequences of shapes ``(L_i, *)`` into one ``(T, B, *)`` tensor (``(B, T, *)``
    with ``batch_first``), ``T`` the longest ``L_i``, filling the rest with ``padding_value``
    after each sequence (``padding_side="left"``: before it), as PyTorch's ``pad_sequence``.

    The result has the first sequence's dtype and trailing shape; each sequence is converted
    to that dtype and broadcast to that shape as PyTorch's copy does (its errors when it
    cannot be). Built from ``cat`` and ``stack``, so gradients flow back to every sequence.
    """
    if not isinstance(sequences, Iterable):
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg "
                           f"of type: {type(sequences)}")
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    first = sequences[0]
    trailing, dtype = tuple(first.shape[1:]), first.dtype
    longest = max(sequence.shape[0] for sequence in sequences)
    padded = []
    for sequence in sequences:
        slot = (sequence.shape[0],) + trailing
        _check_copy_broadcast(slot, tuple(sequence.shape))
        if sequence.dtype != dtype:
            sequence = sequence.to(dtype)
        if tuple(sequence.shape) != slot:
            sequence = sequence.expand(*slot)
        if sequence.shape[0] == longest:
            padded.append(sequence)
            continue
        fill = full((longest - sequence.shape[0],) + trailing, padding_value, dtype=dtype)
        padded.append(cat([sequence, fill] if padding_side == "right" else [fill, sequence], 0))
    return stack(padded, 0 if batch_first else 1)


def _check_copy_broadcast(destination: tuple[int, ...], source: tuple[int, ...]) -> None:
    """PyTorch's errors when ``source`` cannot be copied into ``destination`` by broadcasting
    (dims aligned from the right)."""
    ndim = max(len(destination), len(source))
    broadcast = []
    for dim in range(ndim):
        a = destination[dim - ndim + len(destination)] if dim >= ndim - len(destination) else 1
        b = source[dim - ndim + len(source)] if dim >= ndim - len(source) else 1
        if a != b and a != 1 and b != 1:
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b "
                               f"({b}) at non-singleton dimension {dim}")
        broadcast.append(a if b == 1 else b)
    if tuple(broadcast) != destination:
        raise RuntimeError(f"output with shape {list(destination)} doesn't match the broadcast "
                           f"shape {broadcast}")

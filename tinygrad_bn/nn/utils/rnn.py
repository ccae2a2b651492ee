"""``torch.nn.utils.rnn``: batching sequences of different lengths for the recurrent layers,
padded (``pad_sequence``) or packed (``PackedSequence``, ``pack_padded_sequence``,
``pack_sequence``, ``pad_packed_sequence``), as PyTorch's. Built from slices, ``cat``,
``stack`` and ``index_select``, so gradients flow back to the sequences."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable, Sequence

import numpy as np

from ...creation import arange, full
from ...tensor import Tensor, cat, stack

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "pack_sequence", "unpad_sequence", "unpack_sequence"]

_PackedSequenceFields = namedtuple("PackedSequence_",
                                   ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_PackedSequenceFields):
    """A batch of sequences of different lengths, packed time step by time step, PyTorch's:
    ``data`` ``(sum of lengths, *)`` holds step 0 of every sequence, then step 1 of those
    still running, and so on, the sequences sorted longest first; ``batch_sizes`` (int64)
    how many sequences run at each step; ``sorted_indices`` the order the batch was sorted in
    (None if it was given sorted) and ``unsorted_indices`` its inverse. The recurrent layers
    take and return it; make one with ``pack_padded_sequence`` or ``pack_sequence``."""

    def __new__(cls, data: Tensor, batch_sizes: Tensor | None = None,
                sorted_indices: Tensor | None = None, unsorted_indices: Tensor | None = None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = _inverse(sorted_indices)
        if batch_sizes is None:  # PyTorch also takes the pair (data, batch_sizes)
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data: Tensor) -> PackedSequence:
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """``data.to(...)``; the sizes and indices stay int64."""
        return self._with_data(self.data.to(*args, **kwargs))

    def double(self) -> PackedSequence:
        return self._with_data(self.data.double())

    def float(self) -> PackedSequence:
        return self._with_data(self.data.float())

    @property
    def is_cuda(self) -> bool:
        return False


def _inverse(permutation: Tensor) -> Tensor:
    order = permutation.numpy()
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order), dtype=order.dtype)
    return Tensor(inverse)


def _int64(values) -> Tensor:
    return Tensor(np.asarray(values, dtype=np.int64))


def pack_padded_sequence(input: Tensor, lengths: Tensor | Sequence[int], batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) of sequences of
    the given ``lengths``. With ``enforce_sorted`` the lengths must decrease; otherwise the
    batch is sorted here (longest first, ties in their order) and the order remembered."""
    lengths = np.asarray(lengths.numpy() if isinstance(lengths, Tensor) else lengths,
                         dtype=np.int64).reshape(-1)
    sorted_indices = None
    if enforce_sorted:
        if np.any(lengths[1:] > lengths[:-1]):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability.")
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = _int64(order)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    if len(lengths) != input.shape[1]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(lengths)} (batch_size={input.shape[1]})")
    if len(lengths) and lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if len(lengths) and lengths[0] > input.shape[0]:
        raise RuntimeError(f"pack_padded_sequence: a length of {lengths[0]} is longer than the "
                           f"{input.shape[0]} time steps of the input")
    batch_sizes = [int((lengths > step).sum()) for step in range(int(lengths[0]))]
    data = cat([input[step, :size] for step, size in enumerate(batch_sizes)], 0)
    return PackedSequence(data, _int64(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """The inverse of ``pack_padded_sequence``: the padded batch ``(T, B, *)`` (``(B, T, *)``
    with ``batch_first``) in the original order, and the lengths (int64). ``total_length``
    pads to that many steps (at least the longest sequence)."""
    data, batch_sizes = sequence.data, [int(size) for size in sequence.batch_sizes.numpy()]
    steps, batch = len(batch_sizes), batch_sizes[0]
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {steps}")
        steps = total_length
    trailing = tuple(data.shape[1:])
    rows, offset = [], 0
    for step in range(steps):
        size = batch_sizes[step] if step < len(batch_sizes) else 0
        piece = data[offset:offset + size]
        offset += size
        if size < batch:
            fill = full((batch - size,) + trailing, padding_value, dtype=data.dtype)
            piece = cat([piece, fill], 0) if size else fill
        rows.append(piece)
    padded = stack(rows, 1 if batch_first else 0)
    lengths = np.array([sum(size > b for size in batch_sizes) for b in range(batch)],
                       dtype=np.int64)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(0 if batch_first else 1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.numpy()]
    return padded, Tensor(lengths)


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences ``(L_i, *)``: ``pad_sequence`` then ``pack_padded_sequence``,
    as PyTorch's."""
    lengths = [sequence.shape[0] for sequence in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


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


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor,
                   batch_first: bool = False) -> list[Tensor]:
    """The sequences ``pad_sequence`` stacked, each cut to its length: a list of ``(L_i, *)``
    tensors from ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``), as PyTorch's. Like
    PyTorch's it transposes a time-first ``padded_sequences`` in place (``transpose_(0, 1)``),
    so the caller's tensor is batch-first afterwards."""
    if not batch_first:
        padded_sequences.transpose_(0, 1)
    index = arange(padded_sequences.shape[1])
    if len(padded_sequences) != len(lengths):  # PyTorch's zip(..., strict=True)
        longer = "longer" if len(lengths) > len(padded_sequences) else "shorter"
        raise ValueError(f"zip() argument 2 is {longer} than argument 1")
    return [sequence[index < length] for sequence, length in zip(padded_sequences, lengths)]


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences a ``PackedSequence`` holds, in their original order (the inverse
    of ``pack_sequence``), as PyTorch's."""
    padded_sequences, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded_sequences, lengths, batch_first=True)


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

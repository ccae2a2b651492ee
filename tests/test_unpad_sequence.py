"""``nn.utils.rnn.unpad_sequence`` and ``unpack_sequence``: the inverses of ``pad_sequence`` and
``pack_sequence``, against PyTorch's (values, dtypes, gradients, the in-place transpose of a
time-first input, and the length-mismatch error)."""

import numpy as np
import pytest

import tinygrad_bn as tg


def sequences(lib, dtype="float64"):
    rng = np.random.default_rng(0)
    return [lib.tensor(rng.standard_normal((n, 2)).astype(dtype), requires_grad=True)
            for n in (3, 1, 4)]


@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence_matches_pytorch_values_and_gradients(batch_first):
    torch = pytest.importorskip("torch")
    out = {}
    for lib in (torch, tg):
        seqs = sequences(lib)
        padded = lib.nn.utils.rnn.pad_sequence(seqs, batch_first=batch_first)
        lengths = lib.tensor([3, 1, 4])
        back = lib.nn.utils.rnn.unpad_sequence(padded, lengths, batch_first=batch_first)
        sum(((i + 1) * b).sum() for i, b in enumerate(back)).backward()
        out[lib.__name__] = (back, seqs, tuple(padded.shape))
    (theirs, their_seqs, their_shape) = out["torch"]
    (ours, our_seqs, our_shape) = out["tinygrad_bn"]
    assert our_shape == their_shape  # a time-first input is transposed in place, as PyTorch's
    assert len(ours) == len(theirs) == 3
    for a, b, sa, sb in zip(ours, theirs, our_seqs, their_seqs):
        assert tuple(a.shape) == tuple(b.shape) and str(a.dtype) == str(b.dtype)[6:]
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        np.testing.assert_array_equal(sa.grad.numpy(), sb.grad.numpy())


def test_unpack_sequence_restores_the_original_order():
    torch = pytest.importorskip("torch")
    for lib in (torch, tg):
        seqs = [lib.tensor([1, 2, 3]), lib.tensor([4, 5]), lib.tensor([6])]
        packed = lib.nn.utils.rnn.pack_sequence([seqs[1], seqs[0], seqs[2]],
                                                enforce_sorted=False)
        back = lib.nn.utils.rnn.unpack_sequence(packed)
        assert [b.tolist() for b in back] == [[4, 5], [1, 2, 3], [6]]
        assert back[0].dtype == lib.int64


def test_lengths_not_matching_the_batch_is_pytorchs_value_error():
    for lengths, word in (([1, 2, 3, 1], "longer"), ([1, 2], "shorter")):
        with pytest.raises(ValueError, match=f"^zip\\(\\) argument 2 is {word} than argument 1$"):
            tg.nn.utils.rnn.unpad_sequence(tg.ones(3, 3), tg.tensor(lengths), batch_first=True)

"""``zeros``, ``ones``, ``empty``, ``rand`` and ``randn`` take the shape as PyTorch's ``size=``
keyword too (``torch.empty(size=(n, m))``, as in the graph-attention example), with PyTorch's
errors when it is given twice or is not a sequence."""

import numpy as np
import pytest

import tinygrad_bn as tg

NAMES = ["zeros", "ones", "empty", "rand", "randn"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("size", [(2, 3), [4], (), tg.Size([2, 1])])
def test_size_keyword_gives_the_shape(name, size):
    out = getattr(tg, name)(size=size, dtype=tg.float64, requires_grad=True)
    assert tuple(out.shape) == tuple(size) and out.dtype == tg.float64 and out.requires_grad


def test_size_keyword_values_are_the_positional_ones():
    assert np.array_equal(tg.ones(size=(2, 3)).numpy(), tg.ones(2, 3).numpy())
    tg.manual_seed(3)
    a = tg.randn(size=(5,))
    tg.manual_seed(3)
    assert np.array_equal(a.numpy(), tg.randn(5).numpy())


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_size_given_twice_is_pytorchs_type_error(name):
    with pytest.raises(TypeError, match=rf"^{name}\(\) got multiple values for argument 'size'$"):
        getattr(tg, name)(2, size=(3,))


@pytest.mark.parametrize("name", ["rand", "randn"])
def test_random_size_given_twice_is_pytorchs_type_error(name):
    with pytest.raises(TypeError, match=rf"^{name}\(\) received an invalid combination of "
                                        r"arguments - got \(int, size=tuple\)"):
        getattr(tg, name)(2, size=(3,))


def test_size_keyword_must_be_a_sequence():
    with pytest.raises(TypeError, match=r"^zeros\(\): argument 'size' must be tuple of ints, "
                                        r"not int$"):
        tg.zeros(size=3)


def test_messages_are_pytorchs():
    torch = pytest.importorskip("torch")
    for call in (lambda lib: lib.zeros(2, size=(3,)), lambda lib: lib.zeros(size=3),
                 lambda lib: lib.randn(2, size=(3,))):
        with pytest.raises(TypeError) as theirs:
            call(torch)
        with pytest.raises(TypeError) as ours:
            call(tg)
        assert str(theirs.value).startswith(str(ours.value))

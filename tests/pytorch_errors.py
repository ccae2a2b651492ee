"""The two tests every error table gets: ``(name, call, error, message)`` rows, where
``call(lib)`` makes a bad call through ``lib`` (tinygrad_bn, or torch). tinygrad_bn must raise
``error`` with exactly ``message``; PyTorch, when installed, must raise the same (the message, or
its first line: PyTorch's C++ errors may add where they were raised), so the table stays PyTorch's
wording, not an invention. A test file binds both at module level::

    test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)
"""

import warnings

import pytest

import tinygrad_bn as tg


def error_tests(cases):
    """The pair of parametrised tests over the table ``cases``."""
    parametrize = pytest.mark.parametrize("name, call, error, message", cases,
                                          ids=[case[0] for case in cases])

    @parametrize
    def test_errors_are_pytorchs(name, call, error, message):
        with warnings.catch_warnings(), pytest.raises(error) as raised:
            warnings.simplefilter("ignore")  # a warning on the way is not what is tested
            call(tg)
        assert str(raised.value) == message

    @parametrize
    def test_pytorch_raises_the_same(name, call, error, message):
        torch = pytest.importorskip("torch")
        with warnings.catch_warnings(), pytest.raises(error) as raised:
            warnings.simplefilter("ignore")
            call(torch)
        text = str(raised.value)
        assert text == message or text.split("\n")[0] == message

    return test_errors_are_pytorchs, test_pytorch_raises_the_same

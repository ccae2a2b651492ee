"""The fast paths of ``view``/``reshape`` and ``permute`` (``tensor/shape.py``)
give what the checking path gives, result or error, for every form of argument."""

import itertools

import numpy as np
import pytest

import tinygrad_bn as lib
from tinygrad_bn.shapes import normalize_dim, resolve_shape, size_arguments
from tinygrad_bn.tensor.shape import _plain_order, _target_shape

SIZES = [0, 1, 2, 3, 4, 6, 12, 24, -1, -2, True, 2.0, np.int64(6), (2, 12), [4, 6], ((2, 12),)]


def outcome(function, *args):
    try:
        result = function(*args)
    except Exception as error:  # noqa: BLE001 - the type and message are what is compared
        return type(error), str(error)
    return result, type(result)


@pytest.mark.parametrize("numel", [0, 1, 24])
def test_target_shape_is_the_checked_shape(numel):
    for count in range(4):
        for shape in itertools.product(SIZES, repeat=count):
            assert outcome(_target_shape, shape, numel) == outcome(
                lambda s, n: resolve_shape(size_arguments(s), n), shape, numel), shape


@pytest.mark.parametrize("ndim", [0, 1, 2, 3])
def test_plain_order_is_the_checked_order(ndim):
    entries = [0, 1, 2, -1, 3, True, 1.0, np.int64(1)]
    for count in range(4):
        for dims in itertools.product(entries, repeat=count):
            for form in (dims, (dims,), (list(dims),)):
                order = _plain_order(form, ndim)
                if order is None:
                    continue
                checked = tuple(normalize_dim(d, ndim) for d in size_arguments(form))
                assert order == checked and sorted(order) == list(range(ndim)), form
                assert all(type(d) is int for d in order), form


def test_methods_on_the_fast_paths_match_numpy():
    data = np.arange(24.0).reshape(2, 3, 4)
    x = lib.tensor(data)
    for call, expected in [(lambda t: t.view(4, 6), data.reshape(4, 6)),
                           (lambda t: t.reshape(6, 4), data.reshape(6, 4)),
                           (lambda t: t.permute(2, 0, 1), data.transpose(2, 0, 1)),
                           (lambda t: t.permute((1, 2, 0)), data.transpose(1, 2, 0))]:
        np.testing.assert_array_equal(call(x).numpy(), expected)

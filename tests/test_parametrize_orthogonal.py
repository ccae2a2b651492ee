"""``nn.utils.parametrizations.orthogonal`` against PyTorch's: the three maps with and without
the trivialization, square, tall, wide and batched weights, float32 and float64: the initial
``original``/``base`` from the same weight, the parametrized weight and the gradient reaching
``original`` (after copying PyTorch's ``original`` and ``base`` into ours where a random draw
made them), ``state_dict`` keys, assignment, errors, and a recurrent weight kept orthogonal over
SGD steps."""

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn.nn.utils import parametrize
from tinygrad_bn.nn.utils.parametrizations import orthogonal

from pytorch_errors import error_tests

MAPS = ["matrix_exp", "cayley", "householder"]
SHAPES = [(5, 5), (6, 3), (3, 6), (2, 4, 4), (2, 5, 3), (2, 3, 5)]
TOLERANCE = {"float32": 2e-6, "float64": 1e-13}


def _torch():
    return pytest.importorskip("torch")


def _weight(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _module(lib, weight):
    """A module holding ``weight`` as its parameter ``weight`` (any number of dimensions)."""
    module = lib.nn.Module()
    module.weight = lib.nn.Parameter(lib.tensor(weight))
    return module


def _pair(shape, dtype, orthogonal_map, use_trivialization):
    """The same weight parametrized in PyTorch and in tinygrad_bn, PyTorch's originals and
    buffers then copied into ours (the completion of a non-square base is a random draw)."""
    torch = _torch()
    weight = _weight(shape, dtype)
    theirs = torch.nn.utils.parametrizations.orthogonal(
        _module(torch, weight), orthogonal_map=orthogonal_map,
        use_trivialization=use_trivialization)
    ours = orthogonal(_module(tg, weight), orthogonal_map=orthogonal_map,
                      use_trivialization=use_trivialization)
    return theirs, ours


def _copy_state(theirs, ours):
    our_state = dict(ours.named_parameters(), **dict(ours.named_buffers()))
    with tg.no_grad():
        for key, value in theirs.state_dict().items():
            our_state[key].copy_(tg.tensor(value.numpy()))


def _close(ours, theirs, dtype):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(),
                               rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("use_trivialization", [True, False])
@pytest.mark.parametrize("orthogonal_map", MAPS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_weight_and_gradient_to_original_match_pytorch(shape, orthogonal_map,
                                                       use_trivialization, dtype):
    torch = _torch()
    theirs, ours = _pair(shape, dtype, orthogonal_map, use_trivialization)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _copy_state(theirs, ours)
    their_weight, our_weight = theirs.weight, ours.weight
    assert our_weight.dtype == getattr(tg, dtype) and tuple(our_weight.shape) == shape
    _close(our_weight, their_weight, dtype)
    grad_output = _weight(shape, dtype, seed=1)
    their_weight.backward(torch.tensor(grad_output))
    our_weight.backward(tg.tensor(grad_output))
    _close(ours.parametrizations.weight.original.grad,
           theirs.parametrizations.weight.original.grad, dtype)


@pytest.mark.parametrize("orthogonal_map", MAPS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_the_weight_is_orthogonal(shape, orthogonal_map):
    weight = orthogonal(_module(tg, _weight(shape, "float64")),
                        orthogonal_map=orthogonal_map).weight.detach().numpy()
    if shape[-2] < shape[-1]:
        weight = np.swapaxes(weight, -1, -2)
    gram = np.swapaxes(weight, -1, -2) @ weight
    np.testing.assert_allclose(gram, np.broadcast_to(np.eye(gram.shape[-1]), gram.shape),
                               atol=1e-13)


@pytest.mark.parametrize("orthogonal_map", MAPS)
@pytest.mark.parametrize("shape", [(5, 5), (2, 4, 4), (6, 3), (3, 6)], ids=str)
def test_registration_starts_from_pytorchs_originals(shape, orthogonal_map):
    """Square with trivialization: ``base`` is the weight's QR ``Q`` (signs from ``R``) and
    ``original`` is ``-I``; householder without it: ``original`` holds the ``geqrf``
    reflectors with the signs on the diagonal. (A non-square ``base`` completes the weight
    with random columns, and the other maps without trivialization keep the weight.)"""
    for use_trivialization in (True, False):
        theirs, ours = _pair(shape, "float64", orthogonal_map, use_trivialization)
        their_state = theirs.state_dict()
        for key, value in ours.state_dict().items():
            ours_value, their_value = value.numpy(), their_state[key].numpy()
            if key.endswith("base") and shape[-2] != shape[-1]:
                # only the columns after the weight's (rows if wide) are random
                k = min(shape[-2:])
                ours_value, their_value = ours_value[..., :k], their_value[..., :k]
            np.testing.assert_allclose(ours_value, their_value, rtol=1e-13, atol=1e-13)


def test_an_orthogonal_weight_is_kept_as_the_base():
    q = np.linalg.qr(_weight((4, 4), "float64"))[0]
    module = orthogonal(_module(tg, q))
    base = module.parametrizations.weight[0].base
    assert np.array_equal(base.numpy(), q)
    np.testing.assert_allclose(module.weight.detach().numpy(), q, atol=1e-15)
    assert np.array_equal(module.parametrizations.weight.original.detach().numpy(), -np.eye(4))


def test_defaults_state_dict_keys_and_repr():
    torch = _torch()
    for shape, expected in (((4, 4), "matrix_exp"), ((5, 3), "householder")):
        ours = orthogonal(tg.nn.Linear(shape[1], shape[0]))
        theirs = torch.nn.utils.parametrizations.orthogonal(torch.nn.Linear(shape[1], shape[0]))
        assert ours.parametrizations.weight[0].orthogonal_map.name == expected
        assert list(ours.state_dict()) == list(theirs.state_dict()) == [
            "bias", "parametrizations.weight.original", "parametrizations.weight.0.base"]
        assert repr(ours) == repr(theirs)
    ours = orthogonal(tg.nn.Linear(3, 3), use_trivialization=False)
    assert not hasattr(ours.parametrizations.weight[0], "base")
    assert list(ours.state_dict()) == ["bias", "parametrizations.weight.original"]


@pytest.mark.parametrize("orthogonal_map", MAPS)
def test_assigning_a_weight_matches_pytorch(orthogonal_map):
    torch = _torch()
    theirs, ours = _pair((4, 4), "float64", orthogonal_map, True)
    value = _weight((4, 4), "float64", seed=2)
    with torch.no_grad():
        theirs.weight = torch.tensor(value)
    original = ours.parametrizations.weight.original
    ours.weight = tg.tensor(value)
    assert ours.parametrizations.weight.original is original
    _close(ours.weight, theirs.weight, "float64")
    for key, their_value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), their_value.numpy(),
                                   atol=1e-13)


@pytest.mark.parametrize("value", [_weight((5, 3), "float64", seed=3),
                                   -np.eye(5, 3), np.diag([1.0, -2.0, 3.0])[[0, 1, 2, 0, 0]]],
                         ids=["random", "minus_eye", "tau_zero_mixed"])
def test_householder_assignment_without_trivialization_matches_pytorch(value):
    """Including columns LAPACK does not reflect (``tau == 0``), whose sign flips back."""
    torch = _torch()
    theirs, ours = _pair((5, 3), "float64", "householder", False)
    with torch.no_grad():
        theirs.weight = torch.tensor(value)
    ours.weight = tg.tensor(value)
    _close(ours.parametrizations.weight.original, theirs.parametrizations.weight.original,
           "float64")
    _close(ours.weight, theirs.weight, "float64")


@pytest.mark.parametrize("orthogonal_map", MAPS)
def test_gradcheck_through_the_map(orthogonal_map):
    module = orthogonal(_module(tg, _weight((4, 3), "float64")), orthogonal_map=orthogonal_map)
    original = module.parametrizations.weight.original
    start = original.detach().numpy() + 0.3 * _weight((4, 3), "float64", seed=4)
    parametrization = module.parametrizations.weight[0]
    original.requires_grad_(False)
    x = tg.tensor(start, requires_grad=True)
    assert tg.autograd.gradcheck(parametrization, (x,), eps=1e-6, atol=1e-6)


def _recurrent(lib, weights, orthogonal_map):
    """An RNN cell ``h = tanh(x W_ih^T + h W_hh^T)`` with ``W_hh`` orthogonal."""
    cell = lib.nn.Module()
    cell.input = lib.nn.Linear(3, 4, bias=False, dtype=lib.float64)
    cell.hidden = lib.nn.Linear(4, 4, bias=False, dtype=lib.float64)
    with lib.no_grad():
        cell.input.weight.copy_(lib.tensor(weights[0]))
        cell.hidden.weight.copy_(lib.tensor(weights[1]))
    lib.nn.utils.parametrizations.orthogonal(cell.hidden, orthogonal_map=orthogonal_map)
    return cell


def _unroll(lib, cell, inputs):
    hidden = lib.zeros(inputs.shape[1], 4, dtype=inputs.dtype)
    with lib.nn.utils.parametrize.cached():
        for x in inputs:
            hidden = (cell.input(x) + cell.hidden(hidden)).tanh()
    return (hidden ** 2).mean()


@pytest.mark.parametrize("orthogonal_map", MAPS)
def test_recurrent_weight_stays_orthogonal_over_sgd_steps_as_pytorch(orthogonal_map):
    torch = _torch()
    rng = np.random.default_rng(5)
    weights = [rng.standard_normal((4, 3)), rng.standard_normal((4, 4))]
    inputs = rng.standard_normal((6, 2, 3))
    theirs = _recurrent(torch, weights, orthogonal_map)
    ours = _recurrent(tg, weights, orthogonal_map)
    _copy_state(theirs, ours)
    their_optimizer = torch.optim.SGD(theirs.parameters(), lr=0.5)
    our_optimizer = tg.optim.SGD(ours.parameters(), lr=0.5)
    first = ours.hidden.weight.detach().numpy()
    for _ in range(8):
        losses = []
        for lib, cell, optimizer in ((torch, theirs, their_optimizer),
                                     (tg, ours, our_optimizer)):
            optimizer.zero_grad()
            loss = _unroll(lib, cell, lib.tensor(inputs))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        np.testing.assert_allclose(losses[1], losses[0], rtol=1e-12)
        weight = ours.hidden.weight.detach().numpy()
        np.testing.assert_allclose(weight.T @ weight, np.eye(4), atol=1e-13)
        _close(ours.hidden.weight, theirs.hidden.weight, "float64")
        _close(ours.input.weight, theirs.input.weight, "float64")
    assert not np.allclose(ours.hidden.weight.detach().numpy(), first)


def _no_tensor(lib):
    lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(2, 2), "foo")


def _vector(lib):
    lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(2, 2), "bias")


def _unknown_map(lib):
    lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(2, 2), orthogonal_map="svd")


def _assign_wrong_shape(lib):
    module = lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3))
    module.weight = lib.randn(2, 3)


def _assign_without_trivialization(orthogonal_map):
    def call(lib):
        module = lib.nn.utils.parametrizations.orthogonal(
            lib.nn.Linear(3, 3), orthogonal_map=orthogonal_map, use_trivialization=False)
        module.weight = lib.eye(3)
    return call


_NO_ASSIGNMENT = ("It is not possible to assign to the matrix exponential or the Cayley "
                  "parametrizations when use_trivialization=False.")
ERRORS = [
    ("no_tensor", _no_tensor, ValueError,
     "Module 'Linear(in_features=2, out_features=2, bias=True)' has no parameter or buffer "
     "with name 'foo'"),
    ("vector", _vector, ValueError,
     "Expected a matrix or batch of matrices. Got a tensor of 1 dimensions."),
    ("unknown_map", _unknown_map, ValueError,
     'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". Got: svd'),
    ("assign_wrong_shape", _assign_wrong_shape, ValueError,
     "Expected a matrix or batch of matrices of shape torch.Size([3, 3]). "
     "Got a tensor of shape torch.Size([2, 3])."),
    ("assign_matrix_exp", _assign_without_trivialization("matrix_exp"), NotImplementedError,
     _NO_ASSIGNMENT),
    ("assign_cayley", _assign_without_trivialization("cayley"), NotImplementedError,
     _NO_ASSIGNMENT),
]

test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)


def test_nn_rnn_with_an_orthogonal_recurrent_weight_trains_as_pytorch():
    torch = _torch()
    theirs = torch.nn.utils.parametrizations.orthogonal(
        torch.nn.RNN(3, 4, dtype=torch.float64), "weight_hh_l0")
    ours = orthogonal(tg.nn.RNN(3, 4, dtype=tg.float64), "weight_hh_l0")
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _copy_state(theirs, ours)
    inputs = np.random.default_rng(6).standard_normal((5, 2, 3))
    their_optimizer = torch.optim.SGD(theirs.parameters(), lr=0.3)
    our_optimizer = tg.optim.SGD(ours.parameters(), lr=0.3)
    for _ in range(5):
        losses = []
        for lib, rnn, optimizer in ((torch, theirs, their_optimizer), (tg, ours, our_optimizer)):
            optimizer.zero_grad()
            output, hidden = rnn(lib.tensor(inputs))
            loss = (output ** 2).mean() + hidden.sum()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        np.testing.assert_allclose(losses[1], losses[0], rtol=1e-12)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), atol=1e-13)
    weight = ours.weight_hh_l0.detach().numpy()
    np.testing.assert_allclose(weight.T @ weight, np.eye(4), atol=1e-13)

"""``nn.Buffer``, state-dict metadata and hooks, ``nn.utils.parametrize``,
``nn.utils.parametrizations`` (``weight_norm``, ``spectral_norm``) and the hook-based
``nn.utils.weight_norm`` / ``spectral_norm``, compared with PyTorch: values, gradients through
the parametrization to the originals, ``state_dict`` keys and metadata, load round trips
(PyTorch's state dicts included) and error messages."""

import copy
import pickle
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_bn as tg
import tinygrad_bn.nn as nn
import tinygrad_bn.nn.utils.prune  # noqa: F401  (not imported by nn.utils, as in PyTorch)
from tinygrad_bn.nn.utils import parametrizations, parametrize

from pytorch_errors import error_tests

P = parametrize


def _torch():
    return pytest.importorskip("torch")


def _state(module):
    """A state dict as NumPy arrays (loads into either library)."""
    return {key: value.detach().numpy().copy() for key, value in module.state_dict().items()}


def _same_start(make):
    """``make(lib)`` for tinygrad_bn and PyTorch, PyTorch's values copied into ours."""
    torch = _torch()
    torch.manual_seed(0)
    theirs = make(torch)
    ours = make(tg)
    ours.load_state_dict(_state(theirs))
    return ours, theirs, torch


def _close(ours, theirs, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol,
                               atol=atol)


def _grads_close(ours, theirs, rtol=1e-10, atol=1e-12):
    for (name, p), (their_name, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == their_name
        _close(p.grad, q.grad, rtol, atol)


# ---------------------------------------------------------------------- nn.Buffer, metadata


def _buffered(lib):
    class Model(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = lib.nn.Linear(2, 2)
            self.bn = lib.nn.BatchNorm1d(2)
            self.kept = lib.nn.Buffer(lib.ones(2))
            self.scratch = lib.nn.Buffer(lib.zeros(1), persistent=False)
    return Model()


def test_assigning_a_buffer_registers_it_as_pytorch_does():
    torch = _torch()
    ours, theirs = _buffered(tg), _buffered(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert "scratch" not in ours.state_dict()
    assert isinstance(ours.kept, nn.Buffer) and type(ours.kept) is tg.Tensor
    assert not isinstance(tg.ones(1), nn.Buffer)
    marked = nn.Buffer(tg.ones(2, requires_grad=True))
    assert marked.requires_grad and marked.grad_fn is None and marked.persistent
    del ours.kept, theirs.kept
    ours.kept, theirs.kept = tg.ones(2), torch.ones(2)  # a plain attribute again
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    ours.scratch = nn.Buffer(tg.zeros(1))  # persistent now
    assert "scratch" in ours.state_dict()


def test_state_dict_metadata_is_pytorchs():
    torch = _torch()
    ours, theirs = _buffered(tg), _buffered(torch)
    assert dict(ours.state_dict()._metadata) == dict(theirs.state_dict()._metadata)
    assert dict(ours.state_dict(prefix="m.")._metadata) == \
        dict(theirs.state_dict(prefix="m.")._metadata)


def test_state_dict_and_load_hooks_run():
    model = nn.Sequential(nn.Linear(2, 2))
    seen = []
    model[0]._register_state_dict_hook(
        lambda module, state, prefix, metadata: metadata.update(extra=prefix))
    assert model.state_dict()._metadata["0"] == {"version": 1, "extra": "0."}

    def rename(module, state, prefix, metadata, strict, missing, unexpected, errors):
        seen.append((prefix, metadata, strict))
        state[prefix + "weight"] = state.pop(prefix + "w")

    handle = model[0].register_load_state_dict_pre_hook(rename)
    saved = model.state_dict()
    given = {"0.w": np.full((2, 2), 3.0, np.float32), "0.bias": saved["0.bias"]}
    model.load_state_dict(given, strict=False)
    assert seen == [("0.", {}, True)] and "0.w" in given  # the hook edits a copy
    np.testing.assert_array_equal(model[0].weight.detach().numpy(), 3.0)
    handle.remove()
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "0.w"'):
        model.load_state_dict(given)


def test_load_pre_hook_errors_are_reported_after_missing_keys():
    model = nn.Linear(2, 2)
    model._register_load_state_dict_pre_hook(
        lambda state, prefix, meta, strict, missing, unexpected, errors: errors.append("bad"))
    with pytest.raises(RuntimeError) as raised:
        model.load_state_dict({"weight": np.zeros((2, 2), np.float32)})
    assert str(raised.value) == ('Error(s) in loading state_dict for Linear:\n\tMissing key(s) '
                                 'in state_dict: "bias". \n\tbad')


# ---------------------------------------------------------------------- parametrize


def _symmetric(lib):
    class Symmetric(lib.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).T

        def right_inverse(self, A):
            return A.triu()
    return Symmetric()


def _scale(lib, factor=2.0):
    class Scale(lib.nn.Module):
        def forward(self, X):
            return X * factor

        def right_inverse(self, X):
            return X / factor
    return Scale()


def _rank_one(lib):
    class RankOne(lib.nn.Module):
        def forward(self, x, y):
            return x.unsqueeze(-1) @ y.unsqueeze(-2)

        def right_inverse(self, Z):
            return Z[:, 0].clone(), Z[0, :].clone()
    return RankOne()


def _parametrized(lib, *parametrizations, name="weight", size=4):
    module = lib.nn.Linear(size, size).double()
    for parametrization in parametrizations:
        lib.nn.utils.parametrize.register_parametrization(module, name, parametrization(lib))
    return module


@pytest.mark.parametrize("chain", [(_symmetric,), (_symmetric, _scale), (_rank_one,),
                                   (_rank_one, _scale)],
                         ids=["symmetric", "symmetric+scale", "rank_one", "rank_one+scale"])
def test_values_gradients_and_keys_match_pytorch(chain):
    torch = _torch()
    torch.manual_seed(0)
    theirs = _parametrized(torch, *chain)
    ours = _parametrized(tg, *chain)
    assert type(ours).__name__ == type(theirs).__name__ == "ParametrizedLinear"
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    ours.load_state_dict(_state(theirs))
    _close(ours.weight, theirs.weight)
    x = np.random.default_rng(0).standard_normal((3, 4))
    (ours(tg.tensor(x)) ** 2).sum().backward()
    (theirs(torch.tensor(x)) ** 2).sum().backward()
    _grads_close(ours, theirs)
    assert P.is_parametrized(ours) and P.is_parametrized(ours, "weight")
    assert not P.is_parametrized(ours, "bias") and not P.is_parametrized(nn.Linear(2, 2))
    assert P.type_before_parametrizations(ours) is nn.Linear


def test_assigning_calls_right_inverse_and_keeps_the_original_object():
    torch = _torch()
    ours, theirs = _parametrized(tg, _symmetric, _scale), _parametrized(torch, _symmetric, _scale)
    original = ours.parametrizations.weight.original
    A = np.random.default_rng(1).standard_normal((4, 4))
    A = A + A.T
    ours.weight, theirs.weight = tg.tensor(A), torch.tensor(A)
    assert ours.parametrizations.weight.original is original
    _close(ours.parametrizations.weight.original, theirs.parametrizations.weight.original)
    np.testing.assert_allclose(ours.weight.detach().numpy(), A, rtol=1e-12)


def test_cached_computes_once_inside_the_context():
    calls = []

    class Counted(nn.Module):
        def forward(self, X):
            calls.append(1)
            return X * 1.0

    module = nn.Linear(2, 2)
    P.register_parametrization(module, "weight", Counted())
    calls.clear()
    with P.cached():
        first = module.weight
        with P.cached():
            assert module.weight is first
        assert module.weight is first
    assert len(calls) == 1
    assert module.weight is not first and len(calls) == 2


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations(leave):
    torch = _torch()
    ours, theirs = _parametrized(tg, _symmetric), _parametrized(torch, _symmetric)
    ours.load_state_dict(_state(theirs))
    original = ours.parametrizations.weight.original
    P.remove_parametrizations(ours, "weight", leave_parametrized=leave)
    torch.nn.utils.parametrize.remove_parametrizations(theirs, "weight",
                                                       leave_parametrized=leave)
    assert type(ours) is nn.Linear and not hasattr(ours, "parametrizations")
    assert ours.weight is original and isinstance(ours.weight, nn.Parameter)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight"]
    _close(ours.weight, theirs.weight)


def test_remove_leaves_a_new_parameter_for_a_sequence_of_originals():
    ours = _parametrized(tg, _rank_one)
    value = ours.weight.detach().numpy()
    P.remove_parametrizations(ours, "weight")
    assert isinstance(ours.weight, nn.Parameter) and type(ours) is nn.Linear
    np.testing.assert_array_equal(ours.weight.detach().numpy(), value)


def test_a_second_name_keeps_the_class_until_the_last_is_removed():
    module = nn.Linear(3, 3)
    P.register_parametrization(module, "weight", _symmetric(tg))
    P.register_parametrization(module, "bias", _scale(tg))
    assert list(module.state_dict()) == ["parametrizations.weight.original",
                                         "parametrizations.bias.original"]
    P.remove_parametrizations(module, "weight")
    assert type(module).__name__ == "ParametrizedLinear"
    P.remove_parametrizations(module, "bias")
    assert type(module) is nn.Linear


def test_parametrizing_a_buffer_keeps_it_a_buffer():
    module = nn.BatchNorm1d(3)
    P.register_parametrization(module, "running_var", _scale(tg))
    assert "parametrizations.running_var.original" in dict(module.named_buffers())
    np.testing.assert_array_equal(module.running_var.numpy(), 1.0)


def test_transfer_parametrizations_and_params():
    source = _parametrized(tg, _symmetric, size=3)
    target = nn.Linear(3, 3).double()
    P.transfer_parametrizations_and_params(source, target)
    assert target.parametrizations.weight.original is source.parametrizations.weight.original
    np.testing.assert_array_equal(target.weight.detach().numpy(), source.weight.detach().numpy())
    assert len(target.parametrizations.weight) == 1
    bare = nn.Module()
    P.transfer_parametrizations_and_params(_parametrized(tg, _rank_one, size=3), bare, "weight")
    assert [n for n, _ in bare.named_parameters()] == ["parametrizations.weight.original0",
                                                       "parametrizations.weight.original1"]


def test_deepcopy_works_and_pickling_is_refused():
    module = _parametrized(tg, _symmetric, size=3)
    replica = copy.deepcopy(module)
    assert type(replica) is type(module)
    assert replica.parametrizations.weight.original is not module.parametrizations.weight.original
    np.testing.assert_array_equal(replica.weight.detach().numpy(), module.weight.detach().numpy())
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules is only"):
        pickle.dumps(module)


def test_an_optimizer_trains_the_original_as_pytorch():
    ours, theirs, torch = _same_start(lambda lib: _parametrized(lib, _symmetric, _scale))
    opt_ours = tg.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    opt_theirs = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    x = np.random.default_rng(2).standard_normal((5, 4))
    for _ in range(5):
        for model, opt, lib in ((ours, opt_ours, tg), (theirs, opt_theirs, torch)):
            opt.zero_grad()
            model(lib.tensor(x)).tanh().sum().backward()
            opt.step()
    for key, value in _state(theirs).items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value, rtol=1e-10)


def _errors_case(name, call, message, error=ValueError):
    return (name, call, error, message)


def _wrong_dtype(lib):
    class ToFloat(lib.nn.Module):
        def forward(self, X):
            return X.float()
    lib.nn.utils.parametrize.register_parametrization(lib.nn.Linear(2, 2).double(), "weight",
                                                      ToFloat())


def _wrong_shape(lib):
    class First(lib.nn.Module):
        def forward(self, X):
            return X[0]
    lib.nn.utils.parametrize.register_parametrization(lib.nn.Linear(2, 2), "weight", First())


def _wrong_inverse_type(lib):
    class Bad(lib.nn.Module):
        def forward(self, X):
            return X

        def right_inverse(self, X):
            return 3
    lib.nn.utils.parametrize.register_parametrization(lib.nn.Linear(2, 2), "weight", Bad())


def _not_a_tensor(lib):
    class Bad(lib.nn.Module):
        def forward(self, X):
            return 3
    lib.nn.utils.parametrize.register_parametrization(lib.nn.Linear(2, 2), "weight", Bad())


def _second_wrong_shape(lib):
    module = lib.nn.Linear(2, 2)
    lib.nn.utils.parametrize.register_parametrization(module, "weight", _symmetric(lib))

    class First(lib.nn.Module):
        def forward(self, X):
            return X[0]
    lib.nn.utils.parametrize.register_parametrization(module, "weight", First())


def _no_right_inverse(lib):
    class NoInverse(lib.nn.Module):
        def forward(self, X):
            return X * 2
    module = lib.nn.Linear(2, 2)
    lib.nn.utils.parametrize.register_parametrization(module, "weight", NoInverse())
    module.weight = lib.ones(2, 2)


def _inverse_of_wrong_dtype(lib):
    class Bad(lib.nn.Module):
        def forward(self, X):
            return X

        def right_inverse(self, X):
            return X.double()
    lib.nn.utils.parametrize.register_parametrization(lib.nn.Linear(2, 2), "weight", Bad())


def _remove_sequence_unparametrized(lib):
    module = _parametrized(lib, _rank_one, size=2)
    lib.nn.utils.parametrize.remove_parametrizations(module, "weight", leave_parametrized=False)


ERRORS = [
    _errors_case("no such tensor", lambda lib: lib.nn.utils.parametrize.register_parametrization(
        lib.nn.Linear(2, 2), "nothing", _symmetric(lib)),
        "Module 'Linear(in_features=2, out_features=2, bias=True)' does not have a parameter, a "
        "buffer, or a parametrized element with name 'nothing'"),
    _errors_case("dtype change", _wrong_dtype,
                 "Registering a parametrization may not change the dtype of the tensor, unless "
                 "`unsafe` flag is enabled.\nunparametrized dtype: torch.float64\n"
                 "parametrized dtype: torch.float32"),
    _errors_case("shape change", _wrong_shape,
                 "Registering a parametrization may not change the shape of the tensor, unless "
                 "`unsafe` flag is enabled.\nunparametrized shape: torch.Size([2, 2])\n"
                 "parametrized shape: torch.Size([2])"),
    _errors_case("right_inverse type", _wrong_inverse_type,
                 "'right_inverse' must return a Tensor or a Sequence of tensors (list, "
                 "tuple...). Got int"),
    _errors_case("forward not a tensor", _not_a_tensor,
                 "A parametrization must return a tensor. Got int."),
    _errors_case("second shape change", _second_wrong_shape,
                 "Registering a parametrization may not change the shape of the tensor, unless "
                 "the `unsafe` flag is enabled.\nmodule.weight.shape: torch.Size([2, 2])\n"
                 "parametrization(module.weight).shape: torch.Size([2])"),
    _errors_case("no right_inverse", _no_right_inverse,
                 "parametrization NoInverse does not implement right_inverse.", RuntimeError),
    _errors_case("right_inverse dtype", _inverse_of_wrong_dtype,
                 "When `right_inverse` outputs one tensor, it may not change the dtype.\n"
                 "original.dtype: torch.float32\nright_inverse(original).dtype: torch.float64"),
    _errors_case("remove not parametrized", lambda lib: lib.nn.utils.parametrize
                 .remove_parametrizations(lib.nn.Linear(2, 2), "weight"),
                 "Module Linear(in_features=2, out_features=2, bias=True) does not have a "
                 "parametrization on weight"),
    _errors_case("remove sequence", _remove_sequence_unparametrized,
                 "Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is "
                 "parametrized in terms of a sequence of tensors."),
    _errors_case("spectral norm dim", lambda lib: lib.nn.utils.parametrizations.spectral_norm(
        lib.nn.Linear(2, 2), dim=2),
        "Dimension out of range (expected to be in range of [-2, 1] but got 2)", IndexError),
    _errors_case("spectral norm iterations", lambda lib: lib.nn.utils.parametrizations
                 .spectral_norm(lib.nn.Linear(2, 2), n_power_iterations=0),
                 "Expected n_power_iterations to be positive, but got n_power_iterations=0"),
    _errors_case("spectral norm name", lambda lib: lib.nn.utils.parametrizations.spectral_norm(
        lib.nn.Linear(2, 2), "nothing"),
        "Module 'Linear(in_features=2, out_features=2, bias=True)' has no parameter or buffer "
        "with name 'nothing'"),
    _errors_case("old weight norm twice", lambda lib: lib.nn.utils.weight_norm(
        lib.nn.utils.weight_norm(lib.nn.Linear(2, 2))),
        "Cannot register two weight_norm hooks on the same parameter weight", RuntimeError),
    _errors_case("remove old weight norm", lambda lib: lib.nn.utils.remove_weight_norm(
        lib.nn.Linear(2, 2)),
        "weight_norm of 'weight' not found in Linear(in_features=2, out_features=2, bias=True)"),
    _errors_case("old spectral norm twice", lambda lib: lib.nn.utils.spectral_norm(
        lib.nn.utils.spectral_norm(lib.nn.Linear(2, 2))),
        "Cannot register two spectral_norm hooks on the same parameter weight", RuntimeError),
    _errors_case("remove old spectral norm", lambda lib: lib.nn.utils.remove_spectral_norm(
        lib.nn.Linear(2, 2)),
        "spectral_norm of 'weight' not found in Linear(in_features=2, out_features=2, "
        "bias=True)"),
    _errors_case("old spectral norm iterations", lambda lib: lib.nn.utils.spectral_norm(
        lib.nn.Linear(2, 2), n_power_iterations=0),
        "Expected n_power_iterations to be positive, but got n_power_iterations=0"),
    _errors_case("old spectral norm no parameter", lambda lib: lib.nn.utils.spectral_norm(
        lib.nn.Linear(2, 2, bias=False), "bias"),
        "`SpectralNorm` cannot be applied as parameter `bias` is None"),
]

test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)


# ---------------------------------------------------------------------- weight_norm


def _conv(lib):
    return lib.nn.Conv2d(2, 3, 3).double()


def _linear(lib):
    return lib.nn.Linear(4, 3).double()


def _input(make, lib):
    rng = np.random.default_rng(3)
    shape = (2, 2, 5, 5) if make is _conv else (5, 4)
    return lib.tensor(rng.standard_normal(shape))


@pytest.mark.parametrize("make", [_linear, _conv])
@pytest.mark.parametrize("dim", [0, 1, None, -2])
def test_weight_norm_parametrization_matches_pytorch(make, dim):
    torch = _torch()
    torch.manual_seed(0)
    theirs = torch.nn.utils.parametrizations.weight_norm(make(torch), dim=dim)
    ours = parametrizations.weight_norm(make(tg), dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(_state(theirs))
    assert ours.parametrizations.weight.original0.shape == \
        theirs.parametrizations.weight.original0.shape
    _close(ours.weight, theirs.weight)
    (ours(_input(make, tg)) ** 2).sum().backward()
    (theirs(_input(make, torch)) ** 2).sum().backward()
    _grads_close(ours, theirs, rtol=1e-9)
    # registration computes g = ||w|| from the weight itself
    fresh = parametrizations.weight_norm(make(tg), dim=dim)
    fresh_weight = fresh.parametrizations.weight.original1.detach()
    _close(fresh.weight, fresh_weight)


def test_weight_norm_loads_an_old_weight_norm_state_dict():
    torch = _torch()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        old = torch.nn.utils.weight_norm(torch.nn.Linear(3, 2))
    new = parametrizations.weight_norm(nn.Linear(3, 2))
    new.load_state_dict(_state(old))
    _close(new.parametrizations.weight.original0, old.weight_g)
    _close(new.weight, old.weight_g * old.weight_v / old.weight_v.norm(dim=1, keepdim=True),
           rtol=1e-6)


def test_old_weight_norm_warns_and_matches_pytorch():
    torch = _torch()
    torch.manual_seed(0)
    with pytest.warns(FutureWarning, match="`torch.nn.utils.weight_norm` is deprecated in "
                                           "favor of `torch.nn.utils.parametrizations."):
        ours = nn.utils.weight_norm(_conv(tg), dim=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        theirs = torch.nn.utils.weight_norm(_conv(torch), dim=1)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight_g",
                                                                    "weight_v"]
    ours.load_state_dict(_state(theirs))
    for _ in range(2):  # the hook recomputes the weight at each call
        (ours(_input(_conv, tg)) ** 2).sum().backward()
        (theirs(_input(_conv, torch)) ** 2).sum().backward()
    _close(ours.weight, theirs.weight)
    _grads_close(ours, theirs, rtol=1e-9)
    nn.utils.remove_weight_norm(ours)
    torch.nn.utils.remove_weight_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight"]
    assert isinstance(ours.weight, nn.Parameter)
    _close(ours.weight, theirs.weight)


# ---------------------------------------------------------------------- spectral_norm


def _copy_vectors(ours, theirs, prefix):
    ours.load_state_dict(_state(theirs))
    for suffix in ("_u", "_v"):
        np.testing.assert_array_equal(ours.state_dict()[prefix + suffix].numpy(),
                                      theirs.state_dict()[prefix + suffix].numpy())


@pytest.mark.parametrize("make, dim", [(_linear, None), (_conv, None), (_conv, 1),
                                       (lambda lib: lib.nn.ConvTranspose2d(2, 3, 3).double(),
                                        None)], ids=["linear", "conv", "conv-dim1", "convT"])
def test_spectral_norm_parametrization_matches_pytorch(make, dim):
    torch = _torch()
    torch.manual_seed(0)
    theirs = torch.nn.utils.parametrizations.spectral_norm(make(torch), n_power_iterations=2,
                                                           dim=dim)
    ours = parametrizations.spectral_norm(make(tg), n_power_iterations=2, dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _copy_vectors(ours, theirs, "parametrizations.weight.0.")
    shape = (5, 4) if isinstance(ours, nn.Linear) else (2, 2, 5, 5)
    x = (lambda lib: lib.tensor(np.random.default_rng(3).standard_normal(shape)))
    for _ in range(3):  # training: each read iterates
        (ours(x(tg)) ** 2).sum().backward()
        (theirs(x(torch)) ** 2).sum().backward()
    _grads_close(ours, theirs, rtol=1e-8)
    for key, value in _state(theirs).items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value, rtol=1e-9, atol=1e-12)
    ours.eval(), theirs.eval()
    before = ours.parametrizations.weight[0]._u.numpy().copy()
    _close(ours.weight, theirs.weight, rtol=1e-9)
    np.testing.assert_array_equal(ours.parametrizations.weight[0]._u.numpy(), before)


def test_spectral_norm_normalizes_its_largest_singular_value():
    module = parametrizations.spectral_norm(nn.Linear(6, 5).double(), n_power_iterations=30)
    module.eval()
    np.testing.assert_allclose(np.linalg.norm(module.weight.detach().numpy(), 2), 1.0, rtol=1e-6)
    vector = parametrizations.spectral_norm(nn.Linear(3, 1, bias=True), name="bias")
    np.testing.assert_allclose(np.linalg.norm(vector.bias.detach().numpy()), 1.0, rtol=1e-6)


def _discriminator(lib):
    sn = lib.nn.utils.parametrizations.spectral_norm
    return lib.nn.Sequential(sn(lib.nn.Conv2d(1, 4, 3, stride=2)), lib.nn.LeakyReLU(0.2),
                             sn(lib.nn.Conv2d(4, 8, 3, stride=2)), lib.nn.LeakyReLU(0.2),
                             lib.nn.Flatten(), sn(lib.nn.Linear(8, 1)))


def test_a_spectral_norm_discriminator_trains_as_pytorchs():
    torch = _torch()
    torch.manual_seed(0)
    theirs = _discriminator(torch)
    ours = _discriminator(tg)
    ours.load_state_dict(_state(theirs))  # weights and the power method's start vectors
    opt_ours = tg.optim.Adam(ours.parameters(), lr=2e-3, betas=(0.5, 0.999))
    opt_theirs = torch.optim.Adam(theirs.parameters(), lr=2e-3, betas=(0.5, 0.999))
    rng = np.random.default_rng(4)
    for _ in range(4):
        real, fake = rng.standard_normal((6, 1, 7, 7)), rng.standard_normal((6, 1, 7, 7))
        for model, opt, lib in ((ours, opt_ours, tg), (theirs, opt_theirs, torch)):
            opt.zero_grad()
            loss = (lib.nn.functional.softplus(-model(lib.tensor(real, dtype=lib.float32)))
                    + lib.nn.functional.softplus(model(lib.tensor(fake, dtype=lib.float32))))
            loss.mean().backward()
            opt.step()
    for key, value in _state(theirs).items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value, rtol=1e-4, atol=1e-5)


def test_old_spectral_norm_matches_pytorch_with_its_metadata():
    torch = _torch()
    torch.manual_seed(0)
    theirs = torch.nn.utils.spectral_norm(_conv(torch))
    ours = nn.utils.spectral_norm(_conv(tg))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == [
        "bias", "weight_orig", "weight_u", "weight_v"]
    assert dict(ours.state_dict()._metadata) == dict(theirs.state_dict()._metadata)
    _copy_vectors(ours, theirs, "weight")
    for _ in range(3):
        (ours(_input(_conv, tg)) ** 2).sum().backward()
        (theirs(_input(_conv, torch)) ** 2).sum().backward()
    _grads_close(ours, theirs, rtol=1e-8)
    _close(ours.weight, theirs.weight, rtol=1e-9)
    _close(ours.weight_u, theirs.weight_u, rtol=1e-9)
    ours.eval(), theirs.eval()
    ours(_input(_conv, tg)), theirs(_input(_conv, torch))
    _close(ours.weight, theirs.weight, rtol=1e-9)
    nn.utils.remove_spectral_norm(ours)
    torch.nn.utils.remove_spectral_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight"]
    assert dict(ours.state_dict()._metadata) == dict(theirs.state_dict()._metadata)
    _close(ours.weight, theirs.weight, rtol=1e-9)


def test_old_spectral_norm_converts_a_version_0_state_dict_as_pytorch():
    torch = _torch()
    torch.manual_seed(0)
    theirs = torch.nn.utils.spectral_norm(_linear(torch))
    theirs(_input(_linear, torch))
    old = _state(theirs)
    old["weight"] = theirs.weight.detach().numpy()  # version 0 saved the normalized weight
    del old["weight_v"]
    metadata = theirs.state_dict()._metadata
    metadata[""]["spectral_norm"]["weight.version"] = 0
    ours = nn.utils.spectral_norm(_linear(tg))
    for model in (ours, theirs):
        given = OrderedDict((key, value if model is ours else torch.tensor(value))
                            for key, value in old.items())
        given._metadata = metadata
        model.load_state_dict(given)
    _close(ours.weight_v, theirs.weight_v, rtol=1e-8)


# ---------------------------------------------------------------------- fusion


def _trained_bn(lib, bn):
    with lib.no_grad():
        bn.running_mean.copy_(lib.tensor(np.linspace(-1, 1, bn.num_features)))
        bn.running_var.copy_(lib.tensor(np.linspace(0.5, 2, bn.num_features)))
        if bn.weight is not None:
            bn.weight.copy_(lib.tensor(np.linspace(0.5, 1.5, bn.num_features)))
            bn.bias.copy_(lib.tensor(np.linspace(-0.2, 0.3, bn.num_features)))
    return bn.eval()


@pytest.mark.parametrize("case", ["conv", "conv-nobias", "convT", "linear", "linear-bn1",
                                  "bn-noaffine"])
def test_fusion_matches_pytorch_and_the_unfused_layers(case):
    torch = _torch()

    def make(lib):
        features = 1 if case == "linear-bn1" else 3
        if case.startswith("linear"):
            layer, bn = lib.nn.Linear(4, 3), lib.nn.BatchNorm1d(features)
        elif case == "convT":
            layer, bn = lib.nn.ConvTranspose2d(2, 3, 3), lib.nn.BatchNorm2d(3)
        else:
            layer = lib.nn.Conv2d(2, 3, 3, bias=case != "conv-nobias")
            bn = lib.nn.BatchNorm2d(3, affine=case != "bn-noaffine")
        return lib.nn.Sequential(layer, bn).double()

    ours, theirs, _ = _same_start(make)
    _trained_bn(tg, ours[1]), _trained_bn(torch, theirs[1])
    ours[0].eval(), theirs[0].eval()
    if case.startswith("linear"):
        fused = nn.utils.fuse_linear_bn_eval(ours[0], ours[1])
        their_fused = torch.nn.utils.fuse_linear_bn_eval(theirs[0], theirs[1])
        shape = (5, 4)
    else:
        fused = nn.utils.fuse_conv_bn_eval(ours[0], ours[1], transpose=case == "convT")
        their_fused = torch.nn.utils.fuse_conv_bn_eval(theirs[0], theirs[1],
                                                       transpose=case == "convT")
        shape = (2, 2, 5, 5)
    assert fused is not ours[0] and isinstance(fused.weight, nn.Parameter)
    assert fused.bias.requires_grad == their_fused.bias.requires_grad
    for key, value in _state(their_fused).items():
        np.testing.assert_allclose(fused.state_dict()[key].numpy(), value, rtol=1e-12)
    if case == "linear-bn1":
        return  # a BatchNorm1d of one feature does not take the (5, 3) output: keys only
    x = np.random.default_rng(5).standard_normal(shape)
    expected = ours(tg.tensor(x))
    np.testing.assert_allclose(fused(tg.tensor(x)).detach().numpy(),
                               expected.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_fusion_errors_are_pytorchs():
    conv, bn = nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3)
    with pytest.raises(AssertionError, match="^Fusion only for eval!$"):
        nn.utils.fuse_conv_bn_eval(conv, bn)
    with pytest.raises(AssertionError) as raised:
        nn.utils.fuse_linear_bn_eval(nn.Linear(2, 3).eval(), nn.BatchNorm1d(2).eval())
    assert str(raised.value) == ("To fuse, linear.out_features == bn.num_features or "
                                 "bn.num_features == 1, got linear.out_features=3 and "
                                 "bn.num_features=2")
    with pytest.raises(AssertionError, match="must not be None"):
        nn.utils.fuse_conv_bn_eval(conv.eval(), nn.BatchNorm2d(3, track_running_stats=False)
                                   .eval())


# ---------------------------------------------------------------------- under the jit


@pytest.mark.parametrize("kind", ["weight_norm", "spectral_norm", "old_spectral_norm"])
def test_a_jitted_step_computes_what_eager_does(kind):
    """weight_norm's step replays (the parametrization is ordinary ops on the originals);
    spectral_norm's in-place power iteration and the hook-based forms run eagerly, with the
    jit's warning: either way the results are eager's, bit for bit."""
    def run(use_jit):
        tg.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        if kind == "weight_norm":
            parametrizations.weight_norm(model[0])
        elif kind == "spectral_norm":
            parametrizations.spectral_norm(model[0])
        else:
            nn.utils.spectral_norm(model[2])
        opt = tg.optim.Adam(model.parameters(), lr=0.01)

        def step(x, y):
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            return loss

        function = tg.jit(step) if use_jit else step
        rng = np.random.default_rng(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            losses = [function(tg.tensor(rng.standard_normal((5, 4)), dtype=tg.float32),
                               tg.tensor(rng.standard_normal((5, 2)), dtype=tg.float32)).item()
                      for _ in range(6)]
        return losses, _state(model), function

    eager_losses, eager_state, _ = run(False)
    losses, state, jitted = run(True)
    assert losses == eager_losses
    for key, value in eager_state.items():
        np.testing.assert_array_equal(state[key], value)
    assert (jitted.replays > 0) == (kind == "weight_norm")


# ---------------------------------------------------------------------- prune


def _torch_prune():
    torch = _torch()
    import torch.nn.utils.prune  # noqa: F401  (not imported by torch.nn.utils itself)
    return torch


def _pruned_pair(prune_both):
    """A conv net in both libraries with PyTorch's weights, pruned by ``prune_both(lib, net)``;
    the masks must come out the same (the methods here are deterministic)."""
    torch = _torch_prune()

    def make(lib):
        return lib.nn.Sequential(lib.nn.Conv2d(2, 4, 3), lib.nn.Tanh(), lib.nn.Flatten(),
                                 lib.nn.Linear(36, 3)).double()

    ours, theirs, _ = _same_start(make)
    prune_both(tg, ours)
    prune_both(torch, theirs)
    return ours, theirs, torch


PRUNINGS = {
    "identity": lambda lib, net: lib.nn.utils.prune.identity(net[0], "weight"),
    "l1-int": lambda lib, net: lib.nn.utils.prune.l1_unstructured(net[0], "weight", amount=10),
    "l1-float": lambda lib, net: lib.nn.utils.prune.l1_unstructured(net[3], "weight", 0.35),
    "l1-scores": lambda lib, net: lib.nn.utils.prune.l1_unstructured(
        net[0], "bias", 2, importance_scores=lib.tensor([4.0, 1.0, 3.0, 2.0])),
    "ln-2-dim0": lambda lib, net: lib.nn.utils.prune.ln_structured(net[0], "weight", 0.5, 2, 0),
    "ln-1-dim1": lambda lib, net: lib.nn.utils.prune.ln_structured(net[0], "weight", 1, 1, 1),
    "ln-inf-last": lambda lib, net: lib.nn.utils.prune.ln_structured(net[3], "weight", 10,
                                                                     float("inf"), -1),
    "custom": lambda lib, net: lib.nn.utils.prune.custom_from_mask(
        net[0], "bias", mask=lib.tensor([1.0, 0.0, 1.0, 0.0])),
    "iterative": lambda lib, net: (lib.nn.utils.prune.l1_unstructured(net[0], "weight", 0.3),
                                   lib.nn.utils.prune.ln_structured(net[0], "weight", 1, 2, 0),
                                   lib.nn.utils.prune.l1_unstructured(net[0], "weight", 5)),
    "global": lambda lib, net: lib.nn.utils.prune.global_unstructured(
        [(net[0], "weight"), (net[3], "weight"), (net[0], "bias")],
        pruning_method=lib.nn.utils.prune.L1Unstructured, amount=0.4),
    "global-after-l1": lambda lib, net: (
        lib.nn.utils.prune.l1_unstructured(net[3], "weight", 20),
        lib.nn.utils.prune.global_unstructured(
            [(net[0], "weight"), (net[3], "weight")],
            pruning_method=lib.nn.utils.prune.L1Unstructured, amount=30)),
}


@pytest.mark.parametrize("how", list(PRUNINGS))
def test_pruning_matches_pytorch(how):
    ours, theirs, torch = _pruned_pair(PRUNINGS[how])
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in _state(theirs).items():
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value)
    assert nn.utils.prune.is_pruned(ours) and not nn.utils.prune.is_pruned(nn.Linear(2, 2))
    x = np.random.default_rng(6).standard_normal((2, 2, 5, 5))
    for _ in range(2):  # the hook recomputes the pruned weight at each call
        (ours(tg.tensor(x)) ** 2).sum().backward()
        (theirs(torch.tensor(x)) ** 2).sum().backward()
    _grads_close(ours, theirs)
    for module in (ours, theirs):
        lib = tg if module is ours else torch
        for layer in (module[0], module[3]):
            for name in ("weight", "bias"):
                if hasattr(layer, name + "_mask"):
                    lib.nn.utils.prune.remove(layer, name)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in _state(theirs).items():
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value)
    assert not nn.utils.prune.is_pruned(ours)


def test_pruned_state_dicts_load_both_ways():
    ours, theirs, torch = _pruned_pair(PRUNINGS["iterative"])
    fresh_ours = nn.Sequential(nn.Conv2d(2, 4, 3), nn.Tanh(), nn.Flatten(), nn.Linear(36, 3))
    nn.utils.prune.identity(fresh_ours[0], "weight")
    fresh_ours.double().load_state_dict(_state(theirs))
    np.testing.assert_array_equal(fresh_ours[0].weight_mask.numpy(),
                                  theirs[0].weight_mask.numpy())
    theirs.load_state_dict({key: torch.tensor(value) for key, value in _state(ours).items()})


@pytest.mark.parametrize("amount", [7, 0.25, 0, 1.0])
def test_random_unstructured_prunes_the_right_count(amount):
    layer = nn.utils.prune.random_unstructured(nn.Linear(6, 5), "weight", amount=amount)
    expected = amount if isinstance(amount, int) else round(amount * 30)
    assert layer.weight_mask.shape == (5, 6)
    assert int((layer.weight_mask == 0).sum()) == expected
    np.testing.assert_array_equal(layer.weight.detach().numpy(),
                                  (layer.weight_mask * layer.weight_orig).detach().numpy())


@pytest.mark.parametrize("amount, dim", [(2, 0), (0.5, 1), (1, -1)])
def test_random_structured_prunes_whole_channels(amount, dim):
    conv = nn.utils.prune.random_structured(nn.Conv2d(4, 6, 3), "weight", amount=amount, dim=dim)
    mask = conv.weight_mask.numpy()
    other = tuple(d for d in range(4) if d != dim % 4)
    per_channel = mask.sum(axis=other)
    size = conv.weight.shape[dim]
    expected = amount if isinstance(amount, int) else round(amount * size)
    assert int((per_channel == 0).sum()) == expected
    assert set(np.unique(per_channel)) <= {0.0, mask.size / size}


def _prune_error(lib, call):
    import importlib
    importlib.import_module(lib.__name__ + ".nn.utils.prune")
    return call(lib.nn.utils.prune)


PRUNE_ERRORS = [
    ("amount type", lambda lib: _prune_error(lib, lambda p: p.l1_unstructured(
        lib.nn.Linear(2, 2), "weight", amount="x")), TypeError,
     "Invalid type for amount: x. Must be int or float."),
    ("amount range", lambda lib: _prune_error(lib, lambda p: p.l1_unstructured(
        lib.nn.Linear(2, 2), "weight", amount=1.5)), ValueError,
     "amount=1.5 should either be a float in the range [0, 1] or a non-negative integer"),
    ("amount too large", lambda lib: _prune_error(lib, lambda p: p.random_unstructured(
        lib.nn.Linear(2, 2), "weight", amount=5)), ValueError,
     "amount=5 should be smaller than the number of parameters to prune=4"),
    ("structured 1-d", lambda lib: _prune_error(lib, lambda p: p.ln_structured(
        lib.nn.Linear(2, 2), "bias", 1, 2, 0)), ValueError,
     "Structured pruning can only be applied to multidimensional tensors. Found tensor of shape "
     "torch.Size([2]) with 1 dims"),
    ("structured dim", lambda lib: _prune_error(lib, lambda p: p.random_structured(
        lib.nn.Linear(2, 2), "weight", 1, dim=2)), IndexError,
     "Invalid index 2 for tensor of size torch.Size([2, 2])"),
    ("remove unpruned", lambda lib: _prune_error(lib, lambda p: p.remove(
        lib.nn.Linear(2, 2), "weight")), ValueError,
     "Parameter 'weight' of module Linear(in_features=2, out_features=2, bias=True) has to be "
     "pruned before pruning can be removed"),
    ("scores shape", lambda lib: _prune_error(lib, lambda p: p.l1_unstructured(
        lib.nn.Linear(2, 2), "weight", 1, importance_scores=lib.ones(3))), AssertionError,
     "importance_scores should have the same shape as parameter weight of Linear(in_features=2, "
     "out_features=2, bias=True), got torch.Size([3]) vs torch.Size([2, 2])"),
    ("global not iterable", lambda lib: _prune_error(lib, lambda p: p.global_unstructured(
        3, p.L1Unstructured, amount=1)), TypeError,
     "global_unstructured(): parameters is not an Iterable"),
    ("global scores", lambda lib: _prune_error(lib, lambda p: p.global_unstructured(
        [], p.L1Unstructured, importance_scores=[1], amount=1)), TypeError,
     "global_unstructured(): importance_scores must be of type dict"),
    ("custom mask shape", lambda lib: _prune_error(lib, lambda p: p.custom_from_mask(
        lib.nn.Linear(2, 2), "bias", mask=lib.ones(3))), AssertionError,
     "default_mask shape torch.Size([2]) must match self.mask shape torch.Size([3])"),
]

test_prune_errors_are_pytorchs, test_pytorch_raises_the_same_prune_errors = \
    error_tests(PRUNE_ERRORS)


# ---------------------------------------------------------------------- finite differences


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_gradients_agree_with_finite_differences(dim):
    rng = np.random.default_rng(7)
    v = tg.tensor(rng.standard_normal((3, 4, 2)), requires_grad=True)
    g = parametrizations.norm_except_dim(v.detach(), 2, -1 if dim is None else dim) * 1.5
    g.requires_grad_(True)
    assert tg.gradcheck(parametrizations._WeightNorm(dim), (g, v))


@pytest.mark.parametrize("shape, dim", [((4, 3), 0), ((3, 2, 2), 1), ((5,), 0)])
def test_spectral_norm_gradients_agree_with_finite_differences(shape, dim):
    """In evaluation mode (fixed u, v) the parametrization is a function of the weight alone."""
    weight = tg.tensor(np.random.default_rng(8).standard_normal(shape), requires_grad=True)
    parametrization = parametrizations._SpectralNorm(weight.detach(), dim=dim).eval()
    assert tg.gradcheck(parametrization, (weight,))


def test_register_buffer_decides_persistence_over_the_buffers_flag():
    torch = _torch()
    for lib in (tg, torch):
        module = lib.nn.Module()
        module.register_buffer("kept", lib.nn.Buffer(lib.ones(1), persistent=False))
        module.register_buffer("dropped", lib.nn.Buffer(lib.ones(1)), persistent=False)
        assert list(module.state_dict()) == ["kept"]


def test_a_deep_copy_has_its_own_hooks_and_cache():
    module = nn.Linear(2, 2)
    seen = []
    module.register_load_state_dict_pre_hook(lambda m, *args: seen.append(m))
    replica = copy.deepcopy(module)
    replica.load_state_dict(replica.state_dict())
    assert seen == [replica]
    parametrized = _parametrized(tg, _symmetric, size=2)
    copied = copy.deepcopy(parametrized)
    with P.cached():
        assert copied.weight is not parametrized.weight

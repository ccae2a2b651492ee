"""``F.rms_norm`` + ``nn.RMSNorm`` and ``F.group_norm`` + ``nn.GroupNorm``: values and float64
gradients against PyTorch (when installed), finite differences in float64, state_dict keys and
reprs equal to PyTorch's, and every error path's message."""

import numpy as np
import pytest

import tinygrad_bn as tg
import tinygrad_bn.nn.functional as F

from pytorch_errors import error_tests
from torch_comparison import assert_matches_torch

# (function, input shape, positional arguments after the input (shapes become tensors), keywords)
CASES = [
    ("rms_norm", (2, 3, 4), [(4,), (4,)], {}),
    ("rms_norm", (2, 3, 4), [(3, 4), (3, 4)], {"eps": 0.5}),
    ("rms_norm", (5, 6), [[6]], {}),
    ("rms_norm", (0, 2), [(2,), (2,)], {}),
    ("group_norm", (2, 6, 3), [2, (6,), (6,)], {"eps": 0.5}),
    ("group_norm", (3, 4, 2, 2), [4, (4,), (4,)], {}),
    ("group_norm", (4, 6), [3], {}),
    ("group_norm", (2, 6, 5), [1, (6,)], {}),
    ("group_norm", (0, 2), [1, (2,), (2,)], {}),
]


def _call(library, case, dtype, grad):
    name, shape, arguments, keywords = CASES[case]
    rng = np.random.default_rng(case)
    make = (lambda a: library.tensor(a, requires_grad=grad))
    input = make((rng.standard_normal(shape) * 3 + 1).astype(dtype))
    tensors = [input]
    resolved = []
    for position, argument in enumerate(arguments):
        if isinstance(argument, tuple) and not (name == "rms_norm" and position == 0):
            tensor = make(rng.standard_normal(argument).astype(dtype))
            tensors.append(tensor)
            resolved.append(tensor)
        else:
            resolved.append(argument)
    out = getattr(library.nn.functional, name)(input, *resolved, **keywords)
    return out, tensors


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_values_and_gradients_match_pytorch(case, dtype):
    torch = pytest.importorskip("torch")
    grad = dtype == np.float64
    expected, theirs = _call(torch, case, dtype, grad)
    out, ours = _call(tg, case, dtype, grad)
    tolerance = {np.float64: 1e-12, np.float32: 1e-5, np.float16: 2e-3}[dtype]
    assert_matches_torch(out, expected, ours, theirs, dtype, grad, tolerance, (1e-9, 1e-11))


@pytest.mark.parametrize("case", [0, 1, 2, 4, 5, 6, 7])
def test_gradients_match_finite_differences(case):
    _, tensors = _call(tg, case, np.float64, True)
    name, _, arguments, keywords = CASES[case]
    leading = [a for a in arguments if not isinstance(a, tuple) or name == "rms_norm"][:1]

    def function(*xs):
        return getattr(F, name)(xs[0], *leading, *xs[1:], **keywords)

    assert tg.gradcheck(function, tuple(tensors))


def test_rms_norm_default_eps_is_the_computing_dtypes_epsilon():
    x = tg.zeros(2, 3, dtype=tg.float16)
    x[0, 0] = 1e-4
    out = F.rms_norm(x, (3,)).float().numpy()
    root = np.sqrt(np.float32(1e-4) ** 2 / 3 + np.finfo(np.float32).eps)
    np.testing.assert_allclose(out[0, 0], np.float16(np.float32(1e-4) / root), rtol=1e-3)


def test_modules_state_dicts_and_reprs():
    rms, group = tg.nn.RMSNorm([3, 4], eps=1e-3), tg.nn.GroupNorm(2, 6)
    assert list(rms.state_dict()) == ["weight"] and list(group.state_dict()) == ["weight", "bias"]
    assert repr(rms) == "RMSNorm((3, 4), eps=0.001, elementwise_affine=True)"
    assert repr(group) == "GroupNorm(2, 6, eps=1e-05, affine=True, bias=True)"
    assert list(tg.nn.GroupNorm(2, 6, bias=False).state_dict()) == ["weight"]
    assert tg.nn.GroupNorm(2, 6, affine=False).state_dict() == {}
    assert tg.nn.RMSNorm(4, elementwise_affine=False).state_dict() == {}
    x = tg.tensor(np.random.default_rng(0).standard_normal((2, 6, 3, 4)), dtype=tg.float32)
    np.testing.assert_array_equal(group(x).detach().numpy(),
                                  F.group_norm(x, 2, group.weight, group.bias).detach().numpy())
    torch = pytest.importorskip("torch")
    for ours, theirs in ((rms, torch.nn.RMSNorm([3, 4], eps=1e-3)),
                         (group, torch.nn.GroupNorm(2, 6)),
                         (tg.nn.GroupNorm(3, 6, affine=False), torch.nn.GroupNorm(3, 6, affine=False)),
                         (tg.nn.GroupNorm(2, 6, bias=False), torch.nn.GroupNorm(2, 6, bias=False)),
                         (tg.nn.RMSNorm(4), torch.nn.RMSNorm(4))):
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for (name, value), (their_name, their_value) in zip(ours.state_dict().items(),
                                                            theirs.state_dict().items()):
            np.testing.assert_array_equal(value.numpy(), their_value.numpy())


ERRORS = [
    ("rms_int_shape", lambda m: m.nn.functional.rms_norm(m.ones(2, 3, 4), 4), TypeError,
     "rms_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not int"),
    ("rms_empty_shape", lambda m: m.nn.functional.rms_norm(m.ones(2, 3, 4), ()), RuntimeError,
     "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
     "element, but got normalized_shape = []"),
    ("rms_weight", lambda m: m.nn.functional.rms_norm(m.ones(2, 3, 4), (3, 4), m.ones(4)),
     RuntimeError, "Expected weight to be of same shape as normalized_shape, but got weight of "
                   "shape [4] and normalized_shape = [3, 4]"),
    ("rms_input", lambda m: m.nn.functional.rms_norm(m.ones(2, 3, 4), (2, 2)), RuntimeError,
     "Given normalized_shape=[2, 2], expected input with shape [*2, 2], but got input of "
     "size[2, 3, 4]"),
    ("rms_long", lambda m: m.nn.functional.rms_norm(m.ones(2, 3, dtype=m.int64), (3,)),
     NotImplementedError, "\"rms_norm\" not implemented for 'Long'"),
    ("group_1d", lambda m: m.nn.functional.group_norm(m.ones(1), 1), RuntimeError,
     "Expected at least 2 dimensions for input tensor but received 1"),
    ("group_divisible", lambda m: m.nn.functional.group_norm(m.ones(2, 7, 4), 2), RuntimeError,
     "Expected number of channels in input to be divisible by num_groups, but got input of "
     "shape [2, 7, 4] and num_groups=2"),
    ("group_weight", lambda m: m.nn.functional.group_norm(m.ones(2, 6, 4), 2, m.ones(5)),
     RuntimeError, "Expected weight to be a vector of size equal to the number of channels in "
                   "input, but got weight of shape [5] and input of shape [2, 6, 4]"),
    ("group_bias", lambda m: m.nn.functional.group_norm(m.ones(2, 6, 4), 2, m.ones(6),
                                                        m.ones(5)),
     RuntimeError, "Expected bias to be a vector of size equal to the number of channels in "
                   "input, but got bias of shape [6] and input of shape [2, 6, 4]"),
    ("group_bias_no_weight", lambda m: m.nn.functional.group_norm(m.ones(2, 6, 4), 2, None,
                                                                  m.ones(5)),
     RuntimeError, "Expected bias to be a vector of size equal to the number of channels in "
                   "input, but got bias of shape [0] and input of shape [2, 6, 4]"),
    ("group_long", lambda m: m.nn.functional.group_norm(m.ones(2, 6, 4, dtype=m.int64), 2),
     NotImplementedError, "\"GroupNormKernelImpl\" not implemented for 'Long'"),
    ("group_mixed", lambda m: m.nn.functional.group_norm(m.ones(2, 6, 4), 2,
                                                         m.ones(6, dtype=m.float64), m.ones(6)),
     RuntimeError, "mixed dtype (CPU): expect parameter to have scalar type of Float"),
    ("group_one_value", lambda m: m.nn.functional.group_norm(m.ones(1, 2), 2), ValueError,
     "Expected more than 1 value per channel when training, got input size [1, 2]"),
    ("group_module_channels", lambda m: m.nn.GroupNorm(2, 7), ValueError,
     "num_channels (7) must be divisible by num_groups (2)"),
    ("group_module_input", lambda m: m.nn.GroupNorm(2, 6)(m.ones(2, 4, 3)), RuntimeError,
     "Expected weight to be a vector of size equal to the number of channels in input, but "
     "got weight of shape [6] and input of shape [2, 4, 3]"),
]


test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)
